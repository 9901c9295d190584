//! The targeted-inspection and conflict forms over real HTTP, on both engines: a
//! refused form comes back on its page with every error beside its field and what
//! was typed kept, and nothing is recorded; a good one is recorded.

use liancha_store::Engine;
use liancha_store::demo::{DEMO_PASSWORD, DemoSize};

mod common;

use common::field_error;

async fn a_targeted_inspection_says_every_error_beside_its_field(engine: Engine) {
    let size = DemoSize {
        legal_persons: 20,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let s = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();
    let tomorrow =
        (liancha_domain::calendar::today_in_china() + chrono::Duration::days(1)).to_string();
    let long = "情".repeat(2_001);
    let (status, page) = srv
        .post(
            &s,
            "/staff/targeted",
            &[
                ("entity_id", "91532323NOTHERE00X"),
                ("source", "complaint"),
                ("document_ref", "  "),
                ("inspected_on", &tomorrow),
                ("items", "SC-001, ZZ-999"),
                ("findings", &long),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("未登记，请按提示修改（共 6 处）"), "{page}");
    assert!(page.contains("<nav"), "under the staff menu");
    for (field, message) in [
        ("entity_id", "主体名录中没有 91532323NOTHERE00X"),
        ("document_ref", "请填写来源文书编号"),
        ("inspected_on", "检查日期不能晚于今天"),
        ("items", "抽查事项「ZZ-999」不存在"),
        ("findings", "检查情况："),
        ("paper_reason", "请填写未能现场签到的原因"),
    ] {
        let m = field_error(&page, field).unwrap_or_else(|| panic!("{field}: {page}"));
        assert!(m.contains(message), "{field}: {m}");
    }
    // What was typed is kept.
    assert!(page.contains("value=\"91532323NOTHERE00X\""));
    assert!(page.contains("value=\"SC-001, ZZ-999\""));
    assert!(page.contains(&format!("value=\"{tomorrow}\"")));
    assert!(mouding.targeted_inspections(None).await.unwrap().is_empty());

    // A post naming thousands of items is refused at once, not looked up one by one.
    let many = vec!["SC-001"; 5_000].join(",")
        + ","
        + &(0..60)
            .map(|i| format!("ZZ-{i:03}"))
            .collect::<Vec<_>>()
            .join(",");
    let (status, page) = srv
        .post(
            &s,
            "/staff/targeted",
            &[
                ("entity_id", "91532323NOTHERE00X"),
                ("source", "complaint"),
                ("document_ref", "x"),
                ("inspected_on", "2026-01-05"),
                ("items", &many),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(field_error(&page, "items"), Some("涉及事项最多 50 项"));

    // A source that is not one is said beside the source.
    let entity = liancha_store::demo::entities(size)[0].id.clone();
    let (status, page) = srv
        .post(
            &s,
            "/staff/targeted",
            &[
                ("entity_id", &entity),
                ("source", "rumour"),
                ("document_ref", "牟市监投〔2026〕9号"),
                ("inspected_on", "2026-01-05"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(field_error(&page, "source"), Some("请选择来源"));
    assert!(mouding.targeted_inspections(None).await.unwrap().is_empty());

    let (status, _) = srv
        .post(
            &s,
            "/staff/targeted",
            &[
                ("entity_id", &entity.to_lowercase()),
                ("source", "complaint"),
                ("document_ref", "牟市监投〔2026〕9号"),
                ("inspected_on", "2026-01-05"),
                ("items", "SC-001"),
                ("findings", "未发现问题"),
                ("paper_reason", "按现场检查笔录补录"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let rows = mouding.targeted_inspections(None).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].entity_id, entity);
}

async fn a_conflict_declaration_says_every_error_beside_its_field(engine: Engine) {
    let size = DemoSize {
        legal_persons: 20,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let s = srv.login("bianban", DEMO_PASSWORD).await.unwrap();
    let (status, page) = srv
        .post(
            &s,
            "/staff/conflicts",
            &[
                ("inspector_id", "5323239999"),
                ("entity_id", "91532323NOTHERE00X"),
                ("kind", "entity-request"),
                ("reason", "   "),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("未登记，请按提示修改（共 3 处）"), "{page}");
    assert_eq!(
        field_error(&page, "inspector_id"),
        Some("执法人员名录中没有编号 5323239999")
    );
    assert_eq!(
        field_error(&page, "entity_id"),
        Some("主体名录中没有 91532323NOTHERE00X")
    );
    assert_eq!(field_error(&page, "reason"), Some("请填写回避理由"));
    assert!(page.contains("value=\"5323239999\""));
    assert!(page.contains("<option value=\"entity-request\" selected>"));
    assert!(
        mouding
            .conflict_declarations(None)
            .await
            .unwrap()
            .is_empty()
    );

    let inspector = mouding.inspectors(Some("amr")).await.unwrap()[0].id.clone();
    let entity = liancha_store::demo::entities(size)[0].id.clone();
    let (status, _) = srv
        .post(
            &s,
            "/staff/conflicts",
            &[
                ("inspector_id", &inspector),
                ("entity_id", &entity),
                ("kind", "tie"),
                ("reason", "配偶任该公司监事"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(mouding.conflict_declarations(None).await.unwrap().len(), 1);
}

async fn the_plan_forms_say_every_error_beside_its_field(engine: Engine) {
    let size = DemoSize {
        legal_persons: 20,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let s = srv.login("bianban", DEMO_PASSWORD).await.unwrap();
    // The new plan's lead department belongs to the domain it shows (市场监管, the
    // first), as on the task form, and follows a change of domain in the browser.
    let (status, page) = srv.get(&s.cookie, "/staff/plans").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<option value=\"market\" selected>"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"amr\" data-domain=\"market\" selected>"),
        "{page}"
    );
    assert!(page.contains("data-leads=\"lead_department\""));
    let (status, page) = srv
        .post(
            &s,
            "/staff/plans",
            &[
                ("year", "二〇二七"),
                ("domain", "weather"),
                ("title", " "),
                ("lead_department", "amr"),
                ("departments", "agri"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("未保存，请按提示修改（共 3 处）"), "{page}");
    // The create form (the list's search form above it has a year too).
    let form = |page: &str| page[page.find("新建年度计划").expect("the form")..].to_string();
    let created = form(&page);
    assert_eq!(
        field_error(&created, "year"),
        Some("请填写年度（四位数字）")
    );
    assert_eq!(field_error(&created, "title"), Some("请填写计划名称"));
    assert!(page.contains("value=\"二〇二七\""));
    assert!(
        page.contains("value=\"agri\" checked"),
        "the departments ticked stay ticked"
    );
    assert!(mouding.annual_plans(None, false).await.unwrap().is_empty());

    let good = [
        ("year", "2027"),
        ("domain", "market"),
        ("title", "2027年度市场监管领域部门联合抽查工作计划"),
        ("lead_department", "amr"),
        ("departments", "agri"),
    ];
    let (status, _) = srv.post(&s, "/staff/plans", &good).await;
    assert_eq!(status, 303);
    // A second plan of the year and domain: said beside the domain.
    let (status, page) = srv.post(&s, "/staff/plans", &good).await;
    assert_eq!(status, 422);
    assert_eq!(
        field_error(&form(&page), "domain"),
        Some("2027 年市场监管领域的计划已存在")
    );
    let plans = mouding.annual_plans(None, false).await.unwrap();
    assert_eq!(plans.len(), 1);

    // An entry without a name or items: both said, the month kept.
    let path = format!("/staff/plans/{}/entries", plans[0].id);
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[("month", "5"), ("title", ""), ("scope", "全县农资店")],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("未添加，请按提示修改（共 2 处）"), "{page}");
    assert_eq!(field_error(&page, "title"), Some("请填写计划任务名称"));
    assert!(page.contains("请至少选择一项抽查事项"));
    assert!(page.contains("<option value=\"5\" selected>"));
    assert!(page.contains("value=\"全县农资店\""));
    // An item of a department outside the plan: said beside the items.
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[("month", "5"), ("title", "农资"), ("items", "JT-001")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("的部门未参与本计划"), "{page}");
    assert!(
        mouding.annual_plans(None, false).await.unwrap()[0]
            .entries
            .is_empty()
    );
    let (status, _) = srv
        .post(
            &s,
            &path,
            &[("month", "5"), ("title", "农资"), ("items", "NY-001")],
        )
        .await;
    assert_eq!(status, 303);
}

/// The follow-up and credit forms of one row: refused, the page comes back with the
/// error in that row and what was typed kept; nothing changes.
async fn a_follow_up_form_says_its_error_in_its_row(engine: Engine) {
    let srv = common::start_with_year(engine).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let open = mouding.follow_ups(None, true).await.unwrap();
    let f = open.first().expect("the year leaves follow-ups open");
    let s = srv
        .login(&format!("{}-admin", f.department), DEMO_PASSWORD)
        .await
        .unwrap();
    let path = format!("/staff/follow-ups/{}", f.id);
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[
                ("action", "update"),
                ("kind", "rectify"),
                ("due_on", ""),
                ("note", "已电话通知当事人"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    let row = &page[page.find(&format!("id=\"follow-up-{}\"", f.id)).unwrap()..];
    let row = &row[..row.find("</form>").unwrap()];
    assert!(row.contains("未保存：责令整改须填写整改期限"), "{row}");
    assert!(
        row.contains("value=\"已电话通知当事人\""),
        "what was typed is kept"
    );
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[("action", "close"), ("note", " "), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("未办结：请填写办结情况"), "{page}");
    // 办结 is final: without its box ticked nothing changes, the note kept.
    let (status, page) = srv
        .post(&s, &path, &[("action", "close"), ("note", "已整改到位")])
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("未办结：请勾选确认：办结后该处置不能重新打开"),
        "{page}"
    );
    assert!(
        page.contains("value=\"已整改到位\""),
        "what was typed is kept"
    );
    let again = mouding.follow_up(f.id).await.unwrap().unwrap();
    assert_eq!((again.state, again.note.clone()), (f.state, f.note.clone()));
    // Closed, then closed again (a double click): the second is refused with its
    // reason, though the row has no form left to show it in.
    let (status, _) = srv
        .post(
            &s,
            &path,
            &[("action", "close"), ("note", "已整改"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[("action", "close"), ("note", "已整改"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("未作任何更改"), "{page}");
    assert_in_workbench(&page);

    let proposal = mouding
        .credit_proposals(None)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.state.code() == "proposed")
        .expect("the year leaves proposals to decide");
    let s = srv
        .login(&format!("{}-admin", proposal.department), DEMO_PASSWORD)
        .await
        .unwrap();
    let path = format!("/staff/credit/{}", proposal.id);
    let (status, page) = srv.post(&s, &path, &[("decision", "confirm")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("未列入：请勾选确认"), "{page}");
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[("decision", "reject"), ("note", ""), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("未处理：不予列入须说明理由"), "{page}");
    let (status, page) = srv
        .post(&s, &path, &[("decision", "reject"), ("note", "证据不足")])
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("未处理：请勾选确认：不予列入后该建议不能再列入"),
        "{page}"
    );
    let p = mouding.credit_proposal(proposal.id).await.unwrap().unwrap();
    assert_eq!(p.state, proposal.state, "nothing decided");

    // Listed, then taken off the list (移出名单): without the box ticked or without
    // a reason nothing changes; then the row says so, and a second removal is
    // refused inside the workbench.
    let (status, _) = srv
        .post(&s, &path, &[("decision", "confirm"), ("confirm", "yes")])
        .await;
    assert_eq!(status, 303);
    let remove = format!("/staff/credit/{}/remove", proposal.id);
    let (status, page) = srv.post(&s, &remove, &[("reason", "已补报年报")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("未移出：请勾选确认"), "{page}");
    assert!(
        page.contains("value=\"已补报年报\""),
        "what was typed is kept"
    );
    let (status, page) = srv
        .post(&s, &remove, &[("reason", " "), ("confirm", "yes")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("未移出：请填写移出理由"), "{page}");
    assert!(
        mouding
            .credit_proposal(proposal.id)
            .await
            .unwrap()
            .unwrap()
            .removed
            .is_none()
    );
    let (status, _) = srv
        .post(&s, &remove, &[("reason", "已补报年报"), ("confirm", "yes")])
        .await;
    assert_eq!(status, 303);
    let (_, page) = srv.get(&s.cookie, "/staff/follow-ups").await;
    assert!(page.contains("已移出名单"), "{page}");
    assert!(page.contains("已补报年报"));
    let (status, page) = srv
        .post(&s, &remove, &[("reason", "已补报年报"), ("confirm", "yes")])
        .await;
    assert_eq!(status, 409, "{page}");
    assert_in_workbench(&page);

    // 信用修复: the year leaves an application awaiting its department's decision.
    // Without the box ticked, or granting without a reason, nothing changes; then
    // the entity leaves the list, and a second decision is refused.
    let repair = mouding
        .credit_repairs(None)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.state.code() == "applied")
        .expect("the year leaves an application to decide");
    let s = srv
        .login(&format!("{}-admin", repair.department), DEMO_PASSWORD)
        .await
        .unwrap();
    let path = format!("/staff/credit-repairs/{}", repair.id);
    let (status, page) = srv
        .post(&s, &path, &[("decision", "grant"), ("note", "已核实")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("未决定：请勾选确认"), "{page}");
    assert!(
        page.contains(">已核实</textarea>"),
        "what was typed is kept"
    );
    let (status, page) = srv
        .post(&s, &path, &[("decision", "grant"), ("confirm", "yes")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("未决定：请写明准予修复的理由"), "{page}");
    assert!(
        mouding
            .entity(&repair.entity_id)
            .await
            .unwrap()
            .unwrap()
            .abnormal
    );
    let (status, _) = srv
        .post(
            &s,
            &path,
            &[
                ("decision", "grant"),
                ("note", "已核实信息已更正"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert!(
        !mouding
            .entity(&repair.entity_id)
            .await
            .unwrap()
            .unwrap()
            .abnormal
    );
    let (_, page) = srv
        .get("", "/c/532323/lists?list=abnormal&state=removed")
        .await;
    assert!(
        page.contains(&repair.entity_id) && page.contains("信用修复：已核实信息已更正"),
        "{page}"
    );
    // The entity's public page keeps the history, dates and reason.
    let (_, page) = srv
        .get("", &format!("/c/532323/entities/{}", repair.entity_id))
        .await;
    let history = &page[page.find("信用名单记录").expect("the listing's history")..];
    assert!(history.contains("信用修复：已核实信息已更正"), "{history}");
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[("decision", "refuse"), ("note", "重复"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 409, "{page}");

    // 异议: the year leaves one open; its department corrects its item, refused
    // first without a result chosen; the public result shows the correction.
    let objection = mouding
        .objections(None)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.state.code() == "open")
        .expect("the year leaves an objection open");
    let department = objection.department.clone();
    let s = srv
        .login(&format!("{department}-admin"), DEMO_PASSWORD)
        .await
        .unwrap();
    let (_, page) = srv.get(&s.cookie, "/staff/follow-ups").await;
    let item = page
        .split(&format!("action=\"/staff/objections/{}\"", objection.id))
        .nth(2)
        .and_then(|f| f.split("<option value=\"").nth(1))
        .and_then(|o| o.split('"').next())
        .expect("the correction form lists the department's items")
        .to_string();
    let path = format!("/staff/objections/{}", objection.id);
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[
                ("action", "correct"),
                ("item", &item),
                ("note", "经复核更正"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("未更正：请至少选择一项检查结果"), "{page}");
    assert!(
        page.contains("value=\"经复核更正\""),
        "the reason typed is kept"
    );
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[
                ("action", "correct"),
                ("item", &item),
                ("categories", "no-activity"),
                ("note", "经复核更正"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("未更正：请勾选确认"), "{page}");
    assert!(
        page.contains("value=\"no-activity\" checked"),
        "the result ticked is kept"
    );
    let (status, _) = srv
        .post(
            &s,
            &path,
            &[
                ("action", "correct"),
                ("item", &item),
                ("categories", "no-activity"),
                ("note", "经复核，企业已当场整改"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = srv
        .get("", &format!("/public/tasks/{}", objection.task_id))
        .await;
    assert!(page.contains("更正理由：经复核，企业已当场整改"), "{page}");
    // The open data says so too.
    let (_, api) = srv
        .get("", &format!("/api/v1/tasks/{}/results", objection.task_id))
        .await;
    assert!(api.contains("更正（原结果："), "{api}");

    // A correction that leaves an open follow-up with nothing to act on closes it,
    // saying why.
    let open = mouding
        .follow_ups(None, false)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.state.code() == "open" && f.task_id.is_some() && f.items.len() == 1)
        .expect("the year leaves follow-ups open");
    let task = open.task_id.unwrap();
    let code = mouding
        .visits(task)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.entity_id == open.entity_id)
        .unwrap()
        .check_code;
    let objection = mouding
        .object_to_result(
            &code,
            &liancha_domain::credit_repair::Objection::parse(
                &open.department,
                "已当场整改，不应再责令整改",
                "赵六 137",
            )
            .unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let s = srv
        .login(&format!("{}-admin", open.department), DEMO_PASSWORD)
        .await
        .unwrap();
    let (status, page) = srv
        .post(
            &s,
            &format!("/staff/objections/{objection}"),
            &[
                ("action", "correct"),
                ("item", &open.items[0]),
                ("categories", "none"),
                ("note", "复核检查记录，未发现问题"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{page}");
    let closed = mouding.follow_up(open.id).await.unwrap().unwrap();
    assert_eq!(closed.state.code(), "closed");
    assert!(
        closed.note.contains(&format!("异议 {objection}")),
        "{}",
        closed.note
    );

    // A substitution on the task page of the task under way: the error beside the
    // field it is about, what was typed kept, nothing replaced.
    let drawn = mouding
        .tasks(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.state.code() == "drawn" && t.lead_department == "amr")
        .expect("a task under way");
    let s = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();
    let path = format!("/staff/tasks/{}/substitute", drawn.id);
    let version = drawn.version.to_string();
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[
                ("version", &version),
                ("kind", "entity"),
                ("id", "91532323NOTHERE00X"),
                ("reason", "已注销"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("未替补，请按提示修改"), "{page}");
    assert_eq!(
        field_error(&page, "id"),
        Some("91532323NOTHERE00X 不是本任务抽中的检查对象")
    );
    assert!(page.contains("value=\"已注销\""));
    assert!(page.contains("<option value=\"entity\" selected>"));
    let (status, page) = srv
        .post(
            &s,
            &path,
            &[
                ("version", &version),
                ("kind", "inspector"),
                ("id", "5323230001"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(field_error(&page, "reason"), Some("请填写替补原因"));
    assert_eq!(
        mouding.task_or_404(drawn.id).await.unwrap().version,
        drawn.version,
        "nothing replaced"
    );

    // A button whose step is not open (publishing a task still under way) and a
    // task that is not there: said inside the workbench, with its way back.
    let (status, page) = srv
        .post(
            &s,
            &format!("/staff/tasks/{}/publish", drawn.id),
            &[("version", &version), ("confirm", "on")],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert_in_workbench(&page);
    assert!(
        page.contains(&format!("href=\"/staff/tasks/{}\"", drawn.id)),
        "{page}"
    );
    assert_eq!(
        mouding.task_or_404(drawn.id).await.unwrap().version,
        drawn.version,
        "nothing published"
    );
    let (status, page) = srv.get(&s.cookie, "/staff/tasks/99999999").await;
    assert_eq!(status, 404);
    assert_in_workbench(&page);
}

/// A refusal page of the workbench keeps its menu and the signed-in user.
fn assert_in_workbench(page: &str) {
    assert!(page.contains("<body class=\"staff\">"), "{page}");
    assert!(page.contains("href=\"/staff/tasks\""), "{page}");
    assert!(page.contains("退出"), "{page}");
    assert!(!page.contains("工作人员登录"), "{page}");
}

#[tokio::test]
async fn a_follow_up_form_says_its_error_in_its_row_sqlite() {
    a_follow_up_form_says_its_error_in_its_row(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_follow_up_form_says_its_error_in_its_row_postgres() {
    a_follow_up_form_says_its_error_in_its_row(Engine::Postgres).await;
}

#[tokio::test]
async fn the_plan_forms_say_every_error_beside_its_field_sqlite() {
    the_plan_forms_say_every_error_beside_its_field(Engine::Sqlite).await;
}

#[tokio::test]
async fn the_plan_forms_say_every_error_beside_its_field_postgres() {
    the_plan_forms_say_every_error_beside_its_field(Engine::Postgres).await;
}

#[tokio::test]
async fn a_conflict_declaration_says_every_error_beside_its_field_sqlite() {
    a_conflict_declaration_says_every_error_beside_its_field(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_conflict_declaration_says_every_error_beside_its_field_postgres() {
    a_conflict_declaration_says_every_error_beside_its_field(Engine::Postgres).await;
}

#[tokio::test]
async fn a_targeted_inspection_says_every_error_beside_its_field_sqlite() {
    a_targeted_inspection_says_every_error_beside_its_field(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_targeted_inspection_says_every_error_beside_its_field_postgres() {
    a_targeted_inspection_says_every_error_beside_its_field(Engine::Postgres).await;
}
