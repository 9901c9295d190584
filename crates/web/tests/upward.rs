//! 上报 over real HTTP, on both engines: a demo year's published results exported as
//! JSON and validated against the schema file in the repository (columns, code
//! lists, formats); CSV and XLSX with the schema's column titles; incremental (the
//! next export holds only what changed since: a correction) and idempotent (the
//! corrected record keeps its key, with a newer version); who may export.

use liancha_domain::credit_repair::Objection;
use liancha_domain::workflow::ResultCategory;
use liancha_store::Engine;
use liancha_store::demo::DEMO_PASSWORD;
use serde_json::Value;

mod common;
use common::{Server, Session};

const SCHEMA: &str = include_str!("../../../docs/upward/results-v1.schema.json");

/// Checks `v` against `schema` for the keywords the schema file uses (type,
/// required, additionalProperties, properties, items, enum, pattern, minLength,
/// minItems, $ref); returns what does not hold.
fn validate(v: &Value, schema: &Value, root: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let def = r.trim_start_matches("#/$defs/");
        return validate(v, &root["$defs"][def], root, at, errors);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: not of type {types:?}: {v}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errors.push(format!("{at}: {v} not in the code list"));
    }
    if let Some(s) = v.as_str() {
        if let Some(p) = schema.get("pattern").and_then(Value::as_str)
            && !regex::Regex::new(p).unwrap().is_match(s)
        {
            errors.push(format!("{at}: {s:?} does not match {p}"));
        }
        if let Some(n) = schema.get("minLength").and_then(Value::as_u64)
            && (s.chars().count() as u64) < n
        {
            errors.push(format!("{at}: empty"));
        }
    }
    if let Some(o) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !o.contains_key(r.as_str().unwrap()) {
                errors.push(format!("{at}: {r} missing"));
            }
        }
        for (k, x) in o {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(x, s, root, &format!("{at}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: {k} is not a column"))
                }
                None => {}
            }
        }
    }
    if let Some(a) = v.as_array() {
        if let Some(n) = schema.get("minItems").and_then(Value::as_u64)
            && (a.len() as u64) < n
        {
            errors.push(format!("{at}: fewer than {n} items"));
        }
        if let Some(items) = schema.get("items") {
            for (i, x) in a.iter().enumerate() {
                validate(x, items, root, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

fn valid(export: &Value) {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let mut errors = Vec::new();
    validate(export, &schema, &schema, "$", &mut errors);
    assert!(
        errors.is_empty(),
        "{}",
        errors[..errors.len().min(20)].join("\n")
    );
}

/// Every code the export uses has its counterpart in the schema's `x-code-map`
/// (the provincial codes a platform maps them to), and nothing else does.
#[test]
fn every_code_has_its_provincial_counterpart() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let map = &schema["x-code-map"];
    let enumerated: Vec<&str> =
        schema["$defs"]["record"]["properties"]["result_codes"]["items"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
    let ours: Vec<&str> = ResultCategory::ALL.iter().map(|c| c.code()).collect();
    assert_eq!(enumerated, ours);
    let mapped: Vec<&str> = map["result_codes"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = ours.clone();
    sorted.sort_unstable();
    let mut mapped_sorted = mapped.clone();
    mapped_sorted.sort_unstable();
    assert_eq!(mapped_sorted, sorted);
    for (code, to) in map["result_codes"].as_object().unwrap() {
        assert!(
            !to["code"].as_str().unwrap().is_empty() && !to["label"].as_str().unwrap().is_empty(),
            "{code}"
        );
    }
    let types: Vec<&str> = map["sampling_type"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut ours: Vec<&str> = liancha_domain::upward::SamplingType::ALL
        .iter()
        .map(|t| t.label())
        .collect();
    ours.sort_unstable();
    let mut types = types;
    types.sort_unstable();
    assert_eq!(types, ours);
}

async fn export(srv: &Server, s: &Session, form: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    srv.post_bytes(s, "/staff/upward", form).await
}

async fn a_year_reported_upward(engine: Engine) {
    let srv = common::start_with_year(engine).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let s = srv.login("bianban", DEMO_PASSWORD).await.unwrap();
    let (status, page) = srv.get(&s.cookie, "/staff/upward").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("待上报") && page.contains("尚未上报过"),
        "{page}"
    );

    // Everything, as JSON: valid against the schema file, one record per visit
    // and item, each key once.
    let (status, kind, body) = export(&srv, &s, &[("since", "all"), ("format", "json")]).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(kind.starts_with("application/json"), "{kind}");
    let all: Value = serde_json::from_slice(&body).unwrap();
    valid(&all);
    let records = all["records"].as_array().unwrap();
    let published = mouding
        .tasks(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.state.code() == "published")
        .count();
    assert!(
        published > 0 && records.len() > published,
        "{}",
        records.len()
    );
    let keys: std::collections::BTreeSet<&str> = records
        .iter()
        .map(|r| r["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), records.len(), "each record once");
    assert!(records.iter().any(|r| r["sampling_type"] == "定向"));
    // 抽查机关 by its name (牟定县市场监督管理局, 楚雄州生态环境局牟定分局), never a code.
    assert!(
        records
            .iter()
            .all(|r| !r["authority"].as_str().unwrap().is_ascii())
    );

    // Nothing changed since: the next increment is empty, its CSV has the header.
    let (status, kind, body) = export(&srv, &s, &[("since", "last"), ("format", "csv")]).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let text = String::from_utf8(body).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().unwrap().split(',').collect::<Vec<_>>(),
        liancha_domain::upward::TITLES
    );
    assert_eq!(lines.count(), 0, "{text}");
    let last = mouding.upward_exports(1).await.unwrap()[0].until;

    // A correction: the next increment holds that record alone, same key, newer
    // version, with its note.
    let (task, entity, item) = {
        let r = &records[0];
        let id = r["record_id"].as_str().unwrap();
        let task: i64 = id.split('-').nth(1).unwrap().parse().unwrap();
        (
            task,
            r["uscc"].as_str().unwrap().to_string(),
            r["item_code"].as_str().unwrap().to_string(),
        )
    };
    let code = mouding
        .visits(task)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.entity_id == entity)
        .unwrap()
        .check_code;
    // Made after the last window ended; the server's clock then moves past the
    // settling time, so the next window holds it.
    let now = srv.clock.now();
    let item_department = mouding
        .items(false)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.code == item)
        .unwrap()
        .department;
    let o = mouding
        .object_to_result(
            &code,
            &Objection::parse(&item_department, "结果与事实不符，请核实", "王五 139").unwrap(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        mouding.objection(o).await.unwrap().unwrap().department,
        item_department
    );
    let head = store
        .user_by_name(&format!("{item_department}-admin"))
        .await
        .unwrap()
        .unwrap();
    let actor: liancha_store::accounts::Actor = (&head.principal()).into();
    let before = records[0]["result_codes"].clone();
    let after = if before == serde_json::json!(["no-activity"]) {
        ResultCategory::Closed
    } else {
        ResultCategory::NoActivity
    };
    mouding
        .answer_objection(
            o,
            &item_department,
            "经复核更正",
            Some((&item, &[after], "")),
            &actor,
            now,
        )
        .await
        .unwrap();
    srv.clock.advance(chrono::Duration::seconds(20));
    let (status, _, body) = export(&srv, &s, &[("since", "last"), ("format", "json")]).await;
    assert_eq!(status, 200);
    let next: Value = serde_json::from_slice(&body).unwrap();
    valid(&next);
    let changed = next["records"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{next}");
    assert_eq!(changed[0]["record_id"], records[0]["record_id"]);
    assert!(changed[0]["version"].as_str() > records[0]["version"].as_str());
    assert_eq!(
        changed[0]["result_codes"],
        serde_json::json!([after.code()])
    );
    assert!(
        changed[0]["correction"]
            .as_str()
            .unwrap()
            .contains("经复核更正")
    );
    // The window starts where the last export ended.
    let since: chrono::DateTime<chrono::Utc> = next["since"].as_str().unwrap().parse().unwrap();
    assert_eq!(since, last);

    // XLSX with the same columns; the exports are listed on the page.
    let (status, _, body) = export(&srv, &s, &[("since", "all"), ("format", "xlsx")]).await;
    assert_eq!(status, 200);
    let rows = common::xlsx_rows(&body);
    assert_eq!(rows[0], liancha_domain::upward::TITLES);
    assert_eq!(rows.len() - 1, records.len());
    let (_, page) = srv.get(&s.cookie, "/staff/upward").await;
    assert_eq!(
        page.matches("<td data-label=\"记录数\">").count(),
        4,
        "{page}"
    );
    // A day that cannot be read is refused beside the form, nothing recorded.
    let (status, _, body) = export(
        &srv,
        &s,
        &[("since", "day"), ("day", "昨天"), ("format", "json")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(String::from_utf8_lossy(&body).contains("请填写起始日期"));
    assert_eq!(mouding.upward_exports(100).await.unwrap().len(), 4);

    // The oversight office reads the page but records no report.
    let office = srv.login("duchashi", DEMO_PASSWORD).await.unwrap();
    let (status, page) = srv.get(&office.cookie, "/staff/upward").await;
    assert!(
        status == 200 && !page.contains("导出并记录本次上报"),
        "{page}"
    );
    assert_eq!(export(&srv, &office, &[("since", "all")]).await.0, 403);
    assert_eq!(mouding.upward_exports(100).await.unwrap().len(), 4);
    // A department's clerk does not report the county's results.
    let clerk = srv.login("agri-admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(srv.get(&clerk.cookie, "/staff/upward").await.0, 403);
    assert_eq!(export(&srv, &clerk, &[("since", "all")]).await.0, 403);
    assert_eq!(mouding.upward_exports(100).await.unwrap().len(), 4);
    // The schema is served as it is in the repository.
    let (status, served) = srv.get("", "/schemas/upward/results-v1.schema.json").await;
    assert_eq!((status, served.as_str()), (200, SCHEMA));
}

#[tokio::test]
async fn a_year_reported_upward_sqlite() {
    a_year_reported_upward(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_year_reported_upward_postgres() {
    a_year_reported_upward(Engine::Postgres).await;
}

/// A CSV of `rows` (the first its header), every cell quoted.
fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        .into_bytes()
}

/// The confirmation form's hidden counts and token, as the clerk's browser posts them.
fn confirmation(page: &str) -> (String, Vec<(String, String)>) {
    let at = page
        .find("action=\"/staff/import/")
        .unwrap_or_else(|| panic!("a confirmation form: {page}"));
    let rest = &page[at + "action=\"/staff/import/".len()..];
    let token = rest.split('"').next().unwrap().to_string();
    let form = &rest[..rest.find("</form>").unwrap()];
    let fields = ["new", "changed", "removed", "skipped", "digest"]
        .iter()
        .map(|n| {
            let key = format!("name=\"{n}\" value=\"");
            let v = &form[form.find(&key).unwrap() + key.len()..];
            (n.to_string(), v.split('"').next().unwrap().to_string())
        })
        .collect();
    (token, fields)
}

/// Posts the preview's confirmation as the clerk's browser does, box ticked.
async fn confirm(
    srv: &Server,
    s: &Session,
    token: &str,
    fields: &[(String, String)],
) -> (u16, String) {
    let mut form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.push(("confirm", "yes"));
    srv.post(s, &format!("/staff/import/{token}"), &form).await
}

/// 省级回传: the county's credit state downloaded in the province's columns and
/// imported back unchanged changes nothing; the province's file (a new risk class
/// and a listing with its day, a removal, a removal held by a pending credit
/// repair, an entity of another county) previews each change and each row left
/// alone, imports on confirmation, and the next download is the file, less what
/// was left alone; a confirmation whose counts no longer hold is refused.
async fn province_credit_round_trip(engine: Engine) {
    use liancha_domain::credit_repair::RepairState;
    use liancha_domain::credit_status::COLUMNS;
    use liancha_domain::workflow::CreditList;
    let srv = common::start_with_year(engine).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let amr = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();
    let (status, _, body) = srv
        .get_bytes(&amr.cookie, "/staff/upward/credit-state.xlsx")
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    // Dates as a clerk's spreadsheet saves them to CSV (the reader here gives
    // XLSX dates as serial numbers).
    let as_dates = |mut rows: Vec<Vec<String>>| {
        for r in rows.iter_mut().skip(1) {
            for i in [4, 6] {
                if let Ok(n) = r[i].parse::<i64>() {
                    let d = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()
                        + chrono::Duration::days(n);
                    r[i] = d.to_string();
                }
            }
        }
        rows
    };
    let state = as_dates(common::xlsx_rows(&body));
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.header).collect();
    assert_eq!(state[0], headers);
    assert!(state.len() > 100, "{}", state.len());
    let upload = |file: Vec<u8>| {
        let (srv, amr) = (&srv, &amr);
        async move {
            srv.upload_to(
                amr,
                "/staff/import",
                &[("kind", "credit-status")],
                ("省级回传.csv", &file),
            )
            .await
        }
    };
    let (status, page) = upload(csv(&state)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("完全一致"), "{page}");

    // The province's file: one entity moves to D and onto the abnormal list from
    // 2026-06-01; one listed entity leaves its list; one whose application for
    // repair awaits its decision stays; a row of another county is left alone.
    let pending = mouding
        .credit_repairs(None)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.state == RepairState::Applied)
        .expect("the demo has a pending application");
    let pending_list = mouding
        .credit_proposal(pending.proposal_id)
        .await
        .unwrap()
        .unwrap()
        .list;
    let removable = mouding
        .listings(CreditList::Abnormal, false)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.entity_id != pending.entity_id)
        .expect("a standing listing");
    let col = |key: &str| COLUMNS.iter().position(|c| c.key == key).unwrap();
    let mut file = state.clone();
    let calm = file
        .iter()
        .skip(1)
        .position(|r| {
            r[col("abnormal")] == "不在列"
                && r[col("blacklisted")] == "不在列"
                && r[col("risk_class")] != "D"
                && r[0] != pending.entity_id
                && r[0] != removable.entity_id
        })
        .unwrap()
        + 1;
    file[calm][col("risk_class")] = "D".into();
    file[calm][col("abnormal")] = "在列".into();
    file[calm][col("abnormal_since")] = "2026-06-01".into();
    let calm_id = file[calm][0].clone();
    let row_of = |file: &[Vec<String>], id: &str| file.iter().position(|r| r[0] == id).unwrap();
    let r = row_of(&file, &removable.entity_id);
    file[r][col("abnormal")] = "不在列".into();
    file[r][col("abnormal_since")] = String::new();
    let (status_col, since_col) = match pending_list {
        CreditList::Abnormal => (col("abnormal"), col("abnormal_since")),
        CreditList::Blacklist => (col("blacklisted"), col("blacklist_since")),
    };
    let r = row_of(&file, &pending.entity_id);
    file[r][status_col] = "不在列".into();
    file[r][since_col] = String::new();
    let elsewhere = liancha_domain::uscc::Uscc::complete("91532301MA6N0ABC1")
        .unwrap()
        .to_string();
    let mut other = vec![String::new(); COLUMNS.len()];
    other[0] = elsewhere.clone();
    other[1] = "楚雄市某公司".into();
    other[col("risk_class")] = "A".into();
    file.push(other);

    let (status, page) = upload(csv(&file)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<dt>内容改变</dt><dd>2</dd>"), "{page}");
    assert!(page.contains("在列（2026-06-01 列入）"), "{page}");
    assert!(page.contains("暂不导入的项"), "{page}");
    assert!(
        page.contains(&elsewhere) && page.contains("不在本县检查对象名录中"),
        "{page}"
    );
    assert!(page.contains("有待决定的信用修复申请"), "{page}");
    let (token, fields) = confirmation(&page);
    assert!(
        fields.contains(&("skipped".into(), "2".into())),
        "{fields:?}"
    );

    // A confirmation that does not carry the plan previewed is refused.
    let mut blind: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "digest")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    blind.push(("confirm", "yes"));
    let (status, page) = srv
        .post(&amr, &format!("/staff/import/{token}"), &blind)
        .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("核对预览"), "{page}");
    let entity = mouding.entity(&calm_id).await.unwrap().unwrap();
    assert!(!entity.abnormal, "a refused import changes nothing");

    let (status, page) = upload(csv(&file)).await;
    assert_eq!(status, 200, "{page}");
    let (token, fields) = confirmation(&page);
    let (status, page) = confirm(&srv, &amr, &token, &fields).await;
    assert_eq!(status, 303, "{page}");

    let entity = mouding.entity(&calm_id).await.unwrap().unwrap();
    assert_eq!(entity.risk_class.code(), "D");
    assert!(entity.abnormal);
    let listed = mouding.listings_of_entity(&calm_id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]
            .listed_at
            .map(liancha_domain::calendar::china_date),
        chrono::NaiveDate::from_ymd_opt(2026, 6, 1)
    );
    assert_eq!(listed[0].category_label(), "省级协同监管平台回传");
    let gone = mouding
        .listings_of_entity(&removable.entity_id)
        .await
        .unwrap();
    assert!(
        gone.iter()
            .all(|l| l.list != CreditList::Abnormal || !l.standing())
    );
    assert!(
        gone.iter()
            .filter_map(|l| l.removal_reason.as_deref())
            .any(|r| r.contains("省级协同监管平台回传")),
        "{gone:?}"
    );
    assert!(
        mouding
            .credit_repair(pending.id)
            .await
            .unwrap()
            .unwrap()
            .state
            == RepairState::Applied
    );

    // The next download is the province's file, less the rows left alone.
    let (_, _, body) = srv
        .get_bytes(&amr.cookie, "/staff/upward/credit-state.xlsx")
        .await;
    let mut expected = file.clone();
    expected.pop();
    let r = expected
        .iter()
        .position(|r| r[0] == pending.entity_id)
        .unwrap();
    expected[r] = state[r].clone();
    assert_eq!(as_dates(common::xlsx_rows(&body)), expected);
    // Audited: the file, and each entity changed.
    let admin = srv.login("admin", DEMO_PASSWORD).await.unwrap();
    let audit = srv.get(&admin.cookie, "/staff/audit").await.1;
    assert!(audit.contains("省级回传信用状态"), "{audit}");
    // One entry for the file, one for each entity changed.
    let entries = mouding.audit_recent(50).await.unwrap();
    let per_entity: Vec<&str> = entries
        .iter()
        .filter(|e| e.action == "credit.province")
        .map(|e| e.object_id.as_str())
        .collect();
    assert_eq!(per_entity.len(), 2, "{per_entity:?}");
    assert!(
        per_entity.contains(&calm_id.as_str())
            && per_entity.contains(&removable.entity_id.as_str())
    );
    assert!(
        entries
            .iter()
            .any(|e| e.action == "directory.import" && e.object_id == "credit-status")
    );

    // Previewed again, the file changes nothing (the held removal and the other
    // county's row stay left alone); then the pending application is refused, so
    // the removal the file asks for would now be made: a plan the clerk never
    // read, refused as a whole, the listing standing.
    let (status, page) = upload(csv(&file)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("导入不会改变任何内容"), "{page}");
    let (token, fields) = confirmation(&page);
    let head: liancha_store::accounts::Actor = (&store
        .user_by_name("amr-admin")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    mouding
        .decide_credit_repair(pending.id, false, "材料不全", &head, srv.clock.now())
        .await
        .unwrap();
    let (status, page) = confirm(&srv, &amr, &token, &fields).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("已有改动"), "{page}");
    let still = mouding
        .credit_proposal(pending.proposal_id)
        .await
        .unwrap()
        .unwrap();
    assert!(still.removed.is_none(), "the listing stands");

    // Another department neither imports the file nor downloads the state.
    let clerk = srv.login("agri-admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        srv.get(&clerk.cookie, "/staff/upward/credit-state.xlsx")
            .await
            .0,
        403
    );
    let (status, _) = srv
        .upload_to(
            &clerk,
            "/staff/import",
            &[("kind", "credit-status")],
            ("省级回传.csv", &csv(&file)),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn province_credit_round_trip_sqlite() {
    province_credit_round_trip(Engine::Sqlite).await;
}

#[tokio::test]
async fn province_credit_round_trip_postgres() {
    province_credit_round_trip(Engine::Postgres).await;
}
