//! A row of text cells read into an entity, inspector or item, every wrong cell
//! named with its column.

use super::*;

/// The id of an entity without a USCC: `X` and 17 hex digits of a hash of what
/// identifies it, so re-importing the same entity updates it instead of adding a copy.
/// No USCC starts with `X`, so the two kinds never collide.
pub fn stable_entity_id(reg_no: &str, name: &str, township: &str) -> String {
    let mut h = Sha256::new();
    if reg_no.is_empty() {
        h.update(b"name\0");
        h.update(name.as_bytes());
        h.update(b"\0");
        h.update(township.as_bytes());
    } else {
        h.update(b"reg\0");
        h.update(reg_no.as_bytes());
    }
    let digest = h.finalize();
    let mut id = String::with_capacity(18);
    id.push('X');
    for b in digest.iter().take(9) {
        id.push_str(&format!("{b:02X}"));
    }
    id.truncate(18);
    id
}

pub fn parse_entity<C: Cells + ?Sized>(
    cells: &C,
    lookup: &Lookup,
) -> Result<Entity, Vec<FieldError>> {
    let mut r = Row::new(cells, ENTITY_COLUMNS);
    let raw_uscc = r.raw("uscc");
    let uscc = if raw_uscc.is_empty() {
        None
    } else {
        match Uscc::parse(raw_uscc) {
            Ok(u) => Some(u),
            Err(e) => {
                r.fail("uscc", format!("「{raw_uscc}」{e}"));
                None
            }
        }
    };
    let reg_no = r.text("reg_no");
    let name = r.required("name").map(str::to_string).unwrap_or_default();
    let entity_type = r.required("entity_type").and_then(|v| {
        let t = EntityType::parse(v);
        if t.is_none() {
            r.fail(
                "entity_type",
                format!(
                    "「{v}」不是有效的类型，可填 {}",
                    EntityType::labels().join("、")
                ),
            );
        }
        t
    });
    let industry = {
        let v = r.raw("industry");
        if v.is_empty() {
            None
        } else {
            match Industry::parse(v) {
                Ok(i) => Some(i),
                Err(e) => {
                    r.fail("industry", format!("「{v}」：{e}"));
                    None
                }
            }
        }
    };
    let township = r.township("township", lookup, true);
    let address = r.text("address");
    let legal_rep = r.text("legal_rep");
    let registered_on = r.date("registered_on");
    let status = r.parsed(
        "status",
        EntityStatus::Active,
        EntityStatus::parse,
        "状态（存续、注销、吊销、迁出）",
    );
    let risk_class = r.parsed(
        "risk_class",
        RiskClass::B,
        RiskClass::parse,
        "信用风险分类（A、B、C、D）",
    );
    let abnormal = r.bool("abnormal");
    let blacklisted = r.bool("blacklisted");
    let tags = split_list(r.raw("tags")).map(str::to_string).collect();
    let (Some(entity_type), Some(township)) = (entity_type, township) else {
        return Err(r.into_errors());
    };
    let id = match &uscc {
        Some(u) => u.as_str().to_string(),
        None => stable_entity_id(&reg_no, &name, &township),
    };
    let entity = Entity {
        id,
        uscc,
        reg_no,
        name,
        entity_type,
        industry,
        township,
        address,
        legal_rep,
        registered_on,
        status,
        risk_class,
        abnormal,
        blacklisted,
        tags,
    };
    r.finish(entity)
}

pub fn parse_inspector<C: Cells + ?Sized>(
    cells: &C,
    lookup: &Lookup,
) -> Result<Inspector, Vec<FieldError>> {
    let mut r = Row::new(cells, INSPECTOR_COLUMNS);
    let id = r.required("id").map(str::to_string);
    let name = r.required("name").map(str::to_string);
    let department = r.department("department", lookup);
    let certificate_no = r.required("certificate_no").map(str::to_string);
    let valid_until = if r.required("certificate_valid_until").is_some() {
        r.date("certificate_valid_until")
    } else {
        None
    };
    let specialties = split_list(r.raw("specialties"))
        .map(str::to_string)
        .collect();
    let township = r.township("township", lookup, false);
    let status = r.parsed(
        "status",
        InspectorStatus::OnDuty,
        InspectorStatus::parse,
        "状态（在岗、休假、借调、离岗）",
    );
    let phone = Some(r.text("phone")).filter(|p| !p.is_empty());
    let (
        Some(id),
        Some(name),
        Some(department),
        Some(certificate_no),
        Some(certificate_valid_until),
    ) = (id, name, department, certificate_no, valid_until)
    else {
        return Err(r.into_errors());
    };
    r.finish(Inspector {
        id,
        name,
        department,
        certificate_no,
        certificate_valid_until,
        specialties,
        township,
        status,
        phone,
    })
}

pub fn parse_item<C: Cells + ?Sized>(cells: &C, lookup: &Lookup) -> Result<Item, Vec<FieldError>> {
    let mut r = Row::new(cells, ITEM_COLUMNS);
    let code = r.required("code").map(str::to_string);
    let name = r.required("name").map(str::to_string);
    let legal_basis = r.required("legal_basis").map(str::to_string);
    let department = r.department("department", lookup);
    let content = r.text("content");
    let methods = r.list("methods", InspectionMethod::parse, "检查方式");
    let authority = r.text("authority");
    let entity_types = r.list("entity_types", EntityType::parse, "对象类型");
    let specialty = Some(r.text("specialty")).filter(|s| !s.is_empty());
    if specialty
        .as_deref()
        .is_some_and(|s| split_list(s).nth(1).is_some())
    {
        // One specialty per item: a list would silently ask for all of them.
        r.fail(
            "specialty",
            "只能填写一个专业领域；需要多个专业时请拆分为多个事项",
        );
    }
    let category = r.parsed(
        "category",
        ItemCategory::General,
        ItemCategory::parse,
        "事项类别（重点、一般）",
    );
    let ratio_bp = r.parsed(
        "ratio",
        None,
        |v| parse_item_ratio(v).map(Some),
        "抽查比例（如 5%，大于 0，至多 100%）",
    );
    let frequency = r.parsed(
        "frequency",
        None,
        |v| parse_frequency(v).map(Some),
        "抽查频次（每年 1 至 12 次，如 每年1次）",
    );
    if let (Some(n), Some(cap)) = (
        frequency,
        department.as_ref().and_then(|d| lookup.caps.get(d)),
    ) && n > *cap
    {
        r.fail(
            "frequency",
            format!("抽查频次每年 {n} 次超过了该领域实施细则的年度抽查上限 {cap} 次"),
        );
    }
    let mut cooperating: Vec<String> = Vec::new();
    for part in split_list(r.raw("cooperating"))
        .map(str::to_string)
        .collect::<Vec<_>>()
    {
        match lookup.departments.get(&part) {
            None => r.fail("cooperating", format!("部门「{part}」不是本县已登记的部门")),
            Some(c) if department.as_ref() == Some(c) => {
                // Named as clerks know it, whether the cell held its name or code.
                let name = lookup
                    .departments
                    .iter()
                    .find(|(k, v)| *v == c && *k != c)
                    .map_or(part.as_str(), |(k, _)| k.as_str());
                r.fail(
                    "cooperating",
                    format!("「{name}」是本事项的抽查主体，不必再列为配合部门"),
                )
            }
            Some(c) if !cooperating.contains(c) => cooperating.push(c.clone()),
            Some(_) => {}
        }
    }
    let national_code = Some(r.text("national_code")).filter(|s| !s.is_empty());
    if national_code
        .as_deref()
        .is_some_and(|c| !national_code_ok(c))
    {
        r.fail("national_code", "国家清单编码只能由字母、数字和 - 组成");
    }
    let published = r.parsed(
        "published",
        false,
        parse_published,
        "发布状态（已发布、草稿）",
    );
    if published && methods.is_empty() && r.raw("methods").trim().is_empty() {
        // The public list says how each item is checked (实施细则「抽查方式」).
        r.fail(
            "methods",
            "已发布的事项须填写抽查方式（实地检查、书面检查、网络监测、检验检测、委托专业机构）",
        );
    }
    let (Some(code), Some(name), Some(legal_basis), Some(department)) =
        (code, name, legal_basis, department)
    else {
        return Err(r.into_errors());
    };
    r.finish(Item {
        code,
        name,
        legal_basis,
        department,
        content,
        methods,
        authority,
        entity_types,
        published,
        specialty,
        category,
        ratio_bp,
        frequency,
        cooperating,
        national_code,
    })
}

/// An item's 抽查比例 as lists write it: `5%`, `5`, `不低于5%`; above 0, at most 100 %.
pub fn parse_item_ratio(v: &str) -> Option<u32> {
    let v = v.trim();
    let v = ["不低于", "不少于", "不小于", "≥"]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .unwrap_or(v);
    crate::setup_rows::percent_bp(v).filter(|bp| *bp > 0)
}

/// An item's 抽查频次 as lists write it: `1`, `1次`, `每年1次`, `每年不少于2次`,
/// `2次/年`; 1 to 12 times a year.
pub fn parse_frequency(v: &str) -> Option<u32> {
    let mut v = v.trim();
    for p in ["每年", "不少于", "至少"] {
        v = v.strip_prefix(p).unwrap_or(v).trim();
    }
    for t in ["次/年", "次每年", "次"] {
        v = v.strip_suffix(t).unwrap_or(v).trim();
    }
    if v.is_empty() || v.len() > 2 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|n| (1..=12).contains(n))
}

/// A national 检查实施清单 code: letters, digits and `-`.
pub fn national_code_ok(c: &str) -> bool {
    c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub(crate) fn parse_published(s: &str) -> Option<bool> {
    match s {
        "已发布" | "发布" | "公布" | "已公布" => Some(true),
        "草稿" | "未发布" => Some(false),
        other => parse_bool(other),
    }
}
