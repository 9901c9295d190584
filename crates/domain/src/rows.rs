//! The clerk-facing columns of the three importable kinds, and the rules that turn a
//! row of text cells into a validated record. Import, export and templates all use
//! these tables, so a file exported can be edited and imported back unchanged.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::industry::{Industry, SECTIONS};
use crate::labels::{EntityStatus, EntityType, InspectionMethod, InspectorStatus, RiskClass};
use crate::model::{Entity, Inspector, Item};
use crate::text;
use crate::uscc::Uscc;

/// What a column holds, so writers can keep ids as text and dates as dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Text,
    /// Identifiers: always text, never a number (Excel would turn an 18-digit USCC into 9.1E+17).
    Id,
    Date,
    Bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub header: &'static str,
    /// Other headers clerks use for the same column.
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub kind: CellKind,
    pub description: &'static str,
    pub example: &'static str,
    pub allowed: fn() -> Vec<&'static str>,
}

fn any() -> Vec<&'static str> {
    Vec::new()
}
fn yes_no() -> Vec<&'static str> {
    vec!["是", "否"]
}
fn sections() -> Vec<&'static str> {
    Vec::new()
}

macro_rules! col {
    ($key:literal, $header:literal, [$($alias:literal),*], $req:expr, $kind:ident, $desc:literal, $ex:literal) => {
        col!($key, $header, [$($alias),*], $req, $kind, $desc, $ex, any)
    };
    ($key:literal, $header:literal, [$($alias:literal),*], $req:expr, $kind:ident, $desc:literal, $ex:literal, $allowed:expr) => {
        Column {
            key: $key,
            header: $header,
            aliases: &[$($alias),*],
            required: $req,
            kind: CellKind::$kind,
            description: $desc,
            example: $ex,
            allowed: $allowed,
        }
    };
}
pub(crate) use col;

pub const ENTITY_COLUMNS: &[Column] = &[
    col!(
        "uscc",
        "统一社会信用代码",
        ["社会信用代码", "信用代码", "USCC"],
        false,
        Id,
        "18 位，按 GB 32100-2015 校验第 18 位；无代码的个体户等可留空，并填写注册号",
        "91532323MA6N0XXX1Q"
    ),
    col!(
        "reg_no",
        "注册号",
        ["原注册号", "工商注册号"],
        false,
        Id,
        "无统一社会信用代码时填写，用于生成稳定编号",
        "532323600012345"
    ),
    col!(
        "name",
        "名称",
        ["主体名称", "企业名称", "字号名称"],
        true,
        Text,
        "登记的全称",
        "牟定县共和镇示例农资经营部"
    ),
    col!(
        "entity_type",
        "类型",
        ["主体类型", "市场主体类型"],
        true,
        Text,
        "企业、个体工商户、农民专业合作社、其他",
        "个体工商户",
        EntityType::labels
    ),
    col!(
        "industry",
        "行业",
        ["行业代码", "所属行业", "国民经济行业"],
        false,
        Text,
        "GB/T 4754-2017 门类字母加代码，如 F5211；也可只写门类字母",
        "F5166",
        sections
    ),
    col!(
        "township",
        "乡镇",
        ["所属乡镇", "乡镇（街道）"],
        true,
        Text,
        "须为本县已有的乡镇",
        "共和镇"
    ),
    col!(
        "address",
        "地址",
        ["住所", "经营场所", "住所（经营场所）"],
        false,
        Text,
        "住所或经营场所",
        "共和镇龙川街 12 号"
    ),
    col!(
        "legal_rep",
        "法定代表人",
        ["法定代表人（负责人）", "经营者", "负责人"],
        false,
        Text,
        "法定代表人、负责人或经营者",
        "李明"
    ),
    col!(
        "registered_on",
        "成立日期",
        ["注册日期", "登记日期"],
        false,
        Date,
        "如 2019-05-08",
        "2019-05-08"
    ),
    col!(
        "status",
        "状态",
        ["登记状态", "经营状态"],
        false,
        Text,
        "存续、注销、吊销、迁出；留空为存续",
        "存续",
        EntityStatus::labels
    ),
    col!(
        "risk_class",
        "信用风险分类",
        ["风险分类", "信用风险等级", "风险等级"],
        false,
        Text,
        "A、B、C、D（A 风险最低）；留空为 B",
        "B",
        RiskClass::labels
    ),
    col!(
        "abnormal",
        "经营异常名录",
        ["列入经营异常名录"],
        false,
        Bool,
        "是 / 否；留空为否",
        "否",
        yes_no
    ),
    col!(
        "blacklisted",
        "严重违法失信名单",
        ["列入严重违法失信名单", "黑名单"],
        false,
        Bool,
        "是 / 否；留空为否",
        "否",
        yes_no
    ),
    col!(
        "tags",
        "许可证及标签",
        ["许可证", "标签", "许可"],
        false,
        Text,
        "多个用顿号「、」分隔，如 食品经营许可证、危险化学品",
        "食品经营许可证"
    ),
];

pub const INSPECTOR_COLUMNS: &[Column] = &[
    col!(
        "id",
        "执法人员编号",
        ["人员编号", "编号"],
        true,
        Id,
        "本县唯一的编号",
        "5323230012"
    ),
    col!("name", "姓名", [], true, Text, "", "王芳"),
    col!(
        "department",
        "所属部门",
        ["部门", "单位"],
        true,
        Text,
        "须为本县已有的部门全称",
        "牟定县市场监督管理局"
    ),
    col!(
        "certificate_no",
        "执法证号",
        ["执法证件号", "证件号"],
        true,
        Id,
        "行政执法证件号",
        "53232300012"
    ),
    col!(
        "certificate_valid_until",
        "执法证有效期至",
        ["有效期至", "证件有效期"],
        true,
        Date,
        "该日之后证件失效，不再参与抽取",
        "2028-12-31"
    ),
    col!(
        "specialties",
        "专业领域",
        ["专业", "擅长领域"],
        false,
        Text,
        "多个用顿号分隔",
        "食品安全、特种设备"
    ),
    col!(
        "township",
        "乡镇",
        ["所在乡镇", "常驻乡镇"],
        false,
        Text,
        "用于同乡镇回避；县级人员可留空",
        "共和镇"
    ),
    col!(
        "status",
        "状态",
        ["在岗状态"],
        false,
        Text,
        "在岗、休假、借调、离岗；留空为在岗",
        "在岗",
        InspectorStatus::labels
    ),
    col!(
        "phone",
        "联系电话",
        ["电话", "手机"],
        false,
        Id,
        "仅内部可见",
        "13800000000"
    ),
];

pub const ITEM_COLUMNS: &[Column] = &[
    col!(
        "code",
        "事项编码",
        ["编码", "事项编号"],
        true,
        Id,
        "本县唯一",
        "SC-001"
    ),
    col!(
        "name",
        "抽查事项",
        ["抽查事项名称", "抽查项目", "事项名称"],
        true,
        Text,
        "",
        "营业执照（登记证）规范使用情况的检查"
    ),
    col!(
        "legal_basis",
        "抽查依据",
        ["法律依据", "依据"],
        true,
        Text,
        "法律、法规、规章的名称与条款",
        "《中华人民共和国市场主体登记管理条例》第三十六条"
    ),
    col!(
        "department",
        "抽查主体",
        ["责任部门", "实施部门", "部门"],
        true,
        Text,
        "须为本县已有的部门全称",
        "牟定县市场监督管理局"
    ),
    col!(
        "content",
        "抽查内容",
        ["检查内容"],
        false,
        Text,
        "",
        "营业执照是否置于住所醒目位置"
    ),
    col!(
        "methods",
        "抽查方式",
        ["检查方式"],
        false,
        Text,
        "实地检查、书面检查、网络监测、检验检测、委托专业机构，多个用顿号分隔",
        "实地检查、书面检查",
        InspectionMethod::labels
    ),
    col!(
        "authority",
        "执法权限",
        ["权限"],
        false,
        Text,
        "",
        "行政检查"
    ),
    col!(
        "entity_types",
        "适用对象类型",
        ["检查对象类型", "对象类型"],
        false,
        Text,
        "企业、个体工商户、农民专业合作社、其他，多个用顿号分隔；留空为全部",
        "企业、个体工商户"
    ),
    col!(
        "published",
        "发布状态",
        ["状态", "是否发布"],
        false,
        Text,
        "已发布 或 草稿；留空为草稿",
        "已发布"
    ),
];

/// One error in one cell, by index into the kind's column table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub column: usize,
    pub reason: String,
}

/// Cells of one row, addressed by the kind's column index; an absent column reads "".
pub trait Cells {
    fn cell(&self, column: usize) -> &str;
}

impl<S: AsRef<str>> Cells for [S] {
    fn cell(&self, column: usize) -> &str {
        self.get(column).map(|s| s.as_ref().trim()).unwrap_or("")
    }
}

impl<S: AsRef<str>> Cells for Vec<S> {
    fn cell(&self, column: usize) -> &str {
        self.as_slice().cell(column)
    }
}

/// What a row is checked against: the county's townships and departments.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub townships: BTreeSet<String>,
    /// Department name (and code) → code.
    pub departments: BTreeMap<String, String>,
}

pub(crate) struct Row<'a, C: Cells + ?Sized> {
    cells: &'a C,
    columns: &'static [Column],
    errors: Vec<FieldError>,
    /// Columns whose value broke its [`text::import_rule`]. They read as
    /// empty from then on, so a 100 MB value is neither stored nor echoed
    /// into further messages, and are not reported a second time.
    refused: Vec<bool>,
}

impl<'a, C: Cells + ?Sized> Row<'a, C> {
    pub(crate) fn new(cells: &'a C, columns: &'static [Column]) -> Self {
        let mut errors = Vec::new();
        let refused = columns
            .iter()
            .enumerate()
            .map(|(column, spec)| {
                let rule = text::import_rule(spec.key).unwrap_or(text::NAME);
                match text::bounded_text(cells.cell(column), rule) {
                    Ok(_) => false,
                    Err(e) => {
                        errors.push(FieldError {
                            column,
                            reason: e.to_string(),
                        });
                        true
                    }
                }
            })
            .collect();
        Row {
            cells,
            columns,
            errors,
            refused,
        }
    }

    fn idx(&self, key: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.key == key)
            .expect("known column key")
    }

    pub(crate) fn fail(&mut self, key: &str, reason: impl Into<String>) {
        let column = self.idx(key);
        self.errors.push(FieldError {
            column,
            reason: reason.into(),
        });
    }

    fn raw(&self, key: &str) -> &'a str {
        let column = self.idx(key);
        if self.refused[column] {
            return "";
        }
        self.cells.cell(column)
    }

    /// A required cell: empty is an error, reported once.
    pub(crate) fn required(&mut self, key: &str) -> Option<&'a str> {
        let v = self.raw(key);
        if self.refused[self.idx(key)] {
            return None;
        }
        if v.is_empty() {
            self.fail(key, "必填项为空");
            None
        } else {
            Some(v)
        }
    }

    /// Free text; its length and characters were checked in [`Row::new`].
    pub(crate) fn text(&mut self, key: &str) -> String {
        self.raw(key).to_string()
    }

    pub(crate) fn parsed<T>(
        &mut self,
        key: &str,
        default: T,
        parse: impl Fn(&str) -> Option<T>,
        what: &str,
    ) -> T {
        let v = self.raw(key);
        if v.is_empty() {
            return default;
        }
        match parse(v) {
            Some(t) => t,
            None => {
                self.fail(key, format!("「{v}」不是有效的{what}"));
                default
            }
        }
    }

    fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let v = self.raw(key);
        if v.is_empty() {
            return None;
        }
        let d = parse_date(v);
        if d.is_none() {
            self.fail(key, format!("「{v}」不是有效日期，应写作 2019-05-08"));
        }
        d
    }

    pub(crate) fn bool(&mut self, key: &str) -> bool {
        self.parsed(key, false, parse_bool, "是/否")
    }

    fn township(&mut self, key: &str, lookup: &Lookup, required: bool) -> Option<String> {
        let v = if required {
            self.required(key)?
        } else {
            self.raw(key)
        };
        if v.is_empty() {
            return None;
        }
        if lookup.townships.contains(v) {
            Some(v.to_string())
        } else {
            self.fail(key, format!("乡镇「{v}」不是本县的乡镇"));
            None
        }
    }

    pub(crate) fn department(&mut self, key: &str, lookup: &Lookup) -> Option<String> {
        let v = self.required(key)?;
        match lookup.departments.get(v) {
            Some(code) => Some(code.clone()),
            None => {
                self.fail(key, format!("部门「{v}」不是本县已登记的部门"));
                None
            }
        }
    }

    fn list<T>(&mut self, key: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> Vec<T> {
        let mut out = Vec::new();
        for part in split_list(self.raw(key)) {
            match parse(part) {
                Some(t) => out.push(t),
                None => {
                    self.fail(key, format!("「{part}」不是有效的{what}"));
                }
            }
        }
        out
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.into_errors())
        }
    }

    /// The errors in column order, however they were found.
    fn into_errors(mut self) -> Vec<FieldError> {
        self.errors.sort_by_key(|e| e.column);
        self.errors
    }
}

/// Splits on the separators clerks use between list members.
pub fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(['、', '，', ',', '；', ';', '|', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Dates as spreadsheets hold them: 2019-05-08, 2019/5/8, 2019.05.08, 2019年5月8日, 20190508.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(s, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = s
        .trim_end_matches('日')
        .split(['-', '/', '.', '年', '月'])
        .collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        // A datetime from a spreadsheet: keep its date part.
        if let Some((d, _)) = s.split_once([' ', 'T']) {
            return parse_date(d);
        }
        return None;
    }
    let y: i32 = parts[0].parse().ok()?;
    if !(1900..=2200).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, parts[1].parse().ok()?, parts[2].parse().ok()?)
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "是" | "Y" | "y" | "yes" | "true" | "TRUE" | "1" | "√" | "已列入" => Some(true),
        "否" | "N" | "n" | "no" | "false" | "FALSE" | "0" | "" | "未列入" => Some(false),
        _ => None,
    }
}

pub fn bool_label(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

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
    let published = r.parsed(
        "published",
        false,
        parse_published,
        "发布状态（已发布、草稿）",
    );
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
    })
}

pub(crate) fn parse_published(s: &str) -> Option<bool> {
    match s {
        "已发布" | "发布" | "公布" | "已公布" => Some(true),
        "草稿" | "未发布" => Some(false),
        other => parse_bool(other),
    }
}

fn join<T: Copy>(xs: &[T], label: fn(T) -> &'static str) -> String {
    xs.iter().map(|x| label(*x)).collect::<Vec<_>>().join("、")
}

/// The cells of an entity in [`ENTITY_COLUMNS`] order, for export.
pub fn entity_cells(e: &Entity) -> Vec<String> {
    vec![
        e.uscc.as_ref().map(|u| u.to_string()).unwrap_or_default(),
        e.reg_no.clone(),
        e.name.clone(),
        e.entity_type.label().into(),
        e.industry
            .as_ref()
            .map(|i| i.to_string())
            .unwrap_or_default(),
        e.township.clone(),
        e.address.clone(),
        e.legal_rep.clone(),
        e.registered_on.map(|d| d.to_string()).unwrap_or_default(),
        e.status.label().into(),
        e.risk_class.code().into(),
        bool_label(e.abnormal).into(),
        bool_label(e.blacklisted).into(),
        e.tags.join("、"),
    ]
}

/// The cells of an inspector in [`INSPECTOR_COLUMNS`] order; `department_name` maps a code to its name.
pub fn inspector_cells(i: &Inspector, department_name: &str) -> Vec<String> {
    vec![
        i.id.clone(),
        i.name.clone(),
        department_name.into(),
        i.certificate_no.clone(),
        i.certificate_valid_until.to_string(),
        i.specialties.join("、"),
        i.township.clone().unwrap_or_default(),
        i.status.label().into(),
        i.phone.clone().unwrap_or_default(),
    ]
}

pub fn item_cells(i: &Item, department_name: &str) -> Vec<String> {
    vec![
        i.code.clone(),
        i.name.clone(),
        i.legal_basis.clone(),
        department_name.into(),
        i.content.clone(),
        join(&i.methods, InspectionMethod::label),
        i.authority.clone(),
        join(&i.entity_types, EntityType::label),
        if i.published { "已发布" } else { "草稿" }.into(),
    ]
}

/// Industry section list for templates' explanation sheet.
pub fn industry_sections_text() -> String {
    SECTIONS
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join("；")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup() -> Lookup {
        let mut l = Lookup::default();
        l.townships.insert("共和镇".into());
        l.departments
            .insert("牟定县市场监督管理局".into(), "amr".into());
        l
    }

    fn entity_row() -> Vec<String> {
        let mut v = vec![String::new(); ENTITY_COLUMNS.len()];
        v[0] = Uscc::complete("92532323MA6N0XXX1").unwrap().to_string();
        v[2] = "牟定县共和镇示例农资经营部".into();
        v[3] = "个体工商户".into();
        v[4] = "F5166".into();
        v[5] = "共和镇".into();
        v[8] = "2019/5/8".into();
        v
    }

    #[test]
    fn good_entity_row() {
        let e = parse_entity(&entity_row(), &lookup()).unwrap();
        assert_eq!(e.entity_type, EntityType::IndividualBusiness);
        assert_eq!(e.registered_on, NaiveDate::from_ymd_opt(2019, 5, 8));
        assert_eq!(e.risk_class, RiskClass::B);
        assert_eq!(e.status, EntityStatus::Active);
        // Export then re-parse gives the same record.
        assert_eq!(parse_entity(&entity_cells(&e), &lookup()).unwrap(), e);
    }

    #[test]
    fn every_bad_cell_is_reported() {
        let mut row = entity_row();
        row[0] = "91350100M000100Y44".into();
        row[5] = "外县镇".into();
        row[8] = "2019-13-01".into();
        let errs = parse_entity(&row, &lookup()).unwrap_err();
        let cols: Vec<usize> = errs.iter().map(|e| e.column).collect();
        assert_eq!(cols, vec![0, 5, 8]);
        assert!(errs[0].reason.contains("校验码"), "{}", errs[0].reason);
    }

    #[test]
    fn entity_without_uscc_gets_stable_id() {
        let mut row = entity_row();
        row[0].clear();
        let a = parse_entity(&row, &lookup()).unwrap();
        let b = parse_entity(&row, &lookup()).unwrap();
        assert_eq!(a.id, b.id);
        assert!(a.id.starts_with('X') && a.id.len() == 18);
        row[1] = "532323600012345".into();
        assert_ne!(parse_entity(&row, &lookup()).unwrap().id, a.id);
    }

    #[test]
    fn inspector_requires_certificate() {
        let row = vec![
            "5323230012",
            "王芳",
            "牟定县市场监督管理局",
            "",
            "",
            "",
            "",
            "",
            "",
        ];
        let errs = parse_inspector(row.as_slice(), &lookup()).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.column).collect::<Vec<_>>(),
            vec![3, 4]
        );
    }

    #[test]
    fn item_lists_parse() {
        let row = vec![
            "SC-001",
            "检查",
            "《条例》",
            "牟定县市场监督管理局",
            "",
            "实地检查、书面检查",
            "",
            "企业",
            "已发布",
        ];
        let item = parse_item(row.as_slice(), &lookup()).unwrap();
        assert_eq!(
            item.methods,
            vec![InspectionMethod::OnSite, InspectionMethod::Documentary]
        );
        assert!(item.published);
        assert_eq!(
            parse_item(&item_cells(&item, "牟定县市场监督管理局"), &lookup()).unwrap(),
            item
        );
    }

    /// A row of `columns` in which every cell is valid, so that a single
    /// changed cell is the only possible error.
    fn valid_row(columns: &[Column]) -> Vec<String> {
        if std::ptr::eq(columns, ENTITY_COLUMNS) {
            entity_row()
        } else if std::ptr::eq(columns, INSPECTOR_COLUMNS) {
            [
                "5323230012",
                "王芳",
                "牟定县市场监督管理局",
                "53232300012",
                "2028-12-31",
                "",
                "",
                "",
                "",
            ]
            .map(String::from)
            .to_vec()
        } else {
            [
                "SC-001",
                "检查",
                "《条例》",
                "牟定县市场监督管理局",
                "",
                "",
                "",
                "",
                "",
            ]
            .map(String::from)
            .to_vec()
        }
    }

    fn parse_any(columns: &'static [Column], row: &[String]) -> Result<(), Vec<FieldError>> {
        let l = lookup();
        if std::ptr::eq(columns, ENTITY_COLUMNS) {
            parse_entity(row, &l).map(drop)
        } else if std::ptr::eq(columns, INSPECTOR_COLUMNS) {
            parse_inspector(row, &l).map(drop)
        } else {
            parse_item(row, &l).map(drop)
        }
    }

    #[test]
    fn every_imported_field_is_bounded_and_free_of_control_characters() {
        for columns in [ENTITY_COLUMNS, INSPECTOR_COLUMNS, ITEM_COLUMNS] {
            assert!(parse_any(columns, &valid_row(columns)).is_ok());
            for (i, column) in columns.iter().enumerate() {
                let rule = text::import_rule(column.key).unwrap();
                let bad = |value: String, words: &str| {
                    let mut row = valid_row(columns);
                    row[i] = value;
                    let errs = parse_any(columns, &row).unwrap_err();
                    assert_eq!(errs.len(), 1, "{}: {errs:?}", column.key);
                    assert_eq!(errs[0].column, i, "{}", column.key);
                    assert!(
                        errs[0].reason.contains(words),
                        "{}: {}",
                        column.key,
                        errs[0].reason
                    );
                };
                bad(
                    "甲".repeat(rule.max_chars + 1),
                    &format!("最多 {} 个字", rule.max_chars),
                );
                bad("甲\u{0}乙".into(), "U+0000");
                bad("甲\u{1b}[2J乙".into(), "U+001B");
                bad("甲\t乙".into(), "U+0009");
                bad("\u{202e}甲乙".into(), "U+202E");
                if rule.lines == text::Lines::Single {
                    bad("甲\n乙".into(), "不能换行");
                }
            }
        }
    }

    #[test]
    fn fields_at_their_limit_are_accepted() {
        let mut row = entity_row();
        let name = text::import_rule("name").unwrap().max_chars;
        let address = text::import_rule("address").unwrap().max_chars;
        row[2] = "名".repeat(name);
        row[6] = "址".repeat(address);
        let e = parse_entity(&row, &lookup()).unwrap();
        assert_eq!(e.name.chars().count(), name);

        let mut item = valid_row(ITEM_COLUMNS);
        item[4] = format!("第一条\n第二条\r\n{}", "文".repeat(1000));
        assert!(parse_item(&item, &lookup()).is_ok());
    }

    #[test]
    fn a_huge_value_is_refused_without_being_echoed() {
        let mut row = entity_row();
        row[2] = "大".repeat(10_000_000);
        let errs = parse_entity(&row, &lookup()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].column, 2);
        assert!(errs[0].reason.len() < 200, "{}", errs[0].reason);
        assert!(
            errs[0].reason.contains("10000000 个字"),
            "{}",
            errs[0].reason
        );
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2019, 5, 8);
        for s in [
            "2019-05-08",
            "2019/5/8",
            "2019.05.08",
            "2019年5月8日",
            "20190508",
            "2019-05-08 00:00:00",
        ] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        assert_eq!(parse_date("2019-02-30"), None);
        assert_eq!(parse_date("明天"), None);
    }
}
