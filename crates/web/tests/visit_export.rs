//! 导出 of the task page's visit table, over real HTTP on both engines: the rows the
//! page's filters and sort give, every page of them, with each team's members; an
//! inspector's file holds only their own team's visits, as their page does.
//! Also the exclusion list, which pages the same way.

use liancha_store::Engine;
use liancha_store::demo::DEMO_PASSWORD;

mod common;
use common::xlsx_rows;

/// A published visit's 检查结果告知书 (PDF) says each item's result, the problem
/// found and what the entity may do; an unpublished one has none.
async fn result_notices_say_the_results(srv: &common::Server, mouding: &liancha_store::County<'_>) {
    let tasks = mouding.tasks(&Default::default()).await.unwrap();
    let published = tasks
        .iter()
        .find(|t| t.state.code() == "published" && t.lead_department == "amr")
        .expect("a published task");
    let results = mouding.results_of_task(published.id).await.unwrap();
    let (entity, found) = results
        .iter()
        .find(|(_, r)| {
            r.values()
                .any(|r| r.categories.iter().any(|c| c.is_problem()))
        })
        .expect("a visit with a problem");
    let visit = mouding.visit(published.id, entity).await.unwrap().unwrap();
    let admin = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();
    let path = format!("/staff/tasks/{}/results.pdf?entity={entity}", published.id);
    let (status, kind, pdf) = srv.get_bytes(&admin.cookie, &path).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    let text = common::pdf_text(&pdf);
    let flat = |s: &str| s.split_whitespace().collect::<String>();
    assert!(
        text.contains("检查结果告知书") && text.contains(&flat(&visit.entity_name)),
        "{text}"
    );
    let problem = found
        .values()
        .flat_map(|r| r.categories.iter())
        .find(|c| c.is_problem())
        .unwrap();
    assert!(
        text.contains(&flat(problem.label())),
        "{} in {text}",
        problem.label()
    );
    assert!(
        text.contains("陈述、申辩") && text.contains("请按照有关部门的要求及时整改"),
        "{text}"
    );
    // The whole task's: one notice (or more pages) per published visit.
    let (status, _, all) = srv
        .get_bytes(
            &admin.cookie,
            &format!("/staff/tasks/{}/results.pdf", published.id),
        )
        .await;
    assert_eq!(status, 200);
    assert!(common::pdf_pages(&all) >= results.len());
    // The record forms come as PDF too, with the 组长 and the entity's opinion.
    let (status, _, forms) = srv
        .get_bytes(
            &admin.cookie,
            &format!("/staff/tasks/{}/forms.pdf?entity={entity}", published.id),
        )
        .await;
    assert_eq!(status, 200);
    let text = common::pdf_text(&forms);
    assert!(
        text.contains("联合检查记录表")
            && text.contains("被检查单位意见")
            && text.contains("组长签字")
            && text.contains("审核人签字"),
        "{text}"
    );
    // The same notices as a page to print, with the link to the file.
    let (status, page) = srv
        .get(
            &admin.cookie,
            &format!("/staff/tasks/{}/result-notices", published.id),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1>检查结果告知书</h1>") && page.contains(&visit.entity_name));
    assert!(
        page.contains(problem.label()) && page.contains("陈述、申辩"),
        "{page}"
    );
    assert!(page.contains(&format!("/staff/tasks/{}/results.pdf", published.id)));
    // A task whose results are not published has no result notices.
    let drawn = tasks.iter().find(|t| t.state.code() == "drawn").unwrap();
    let (status, _, _) = srv
        .get_bytes(
            &admin.cookie,
            &format!("/staff/tasks/{}/results.pdf", drawn.id),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = srv
        .get(
            &admin.cookie,
            &format!("/staff/tasks/{}/result-notices", drawn.id),
        )
        .await;
    assert_eq!(status, 404);
}

async fn the_visit_table_exports_as_the_page_filters_it(engine: Engine) {
    let srv = common::start_with_year(engine).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let drawn = mouding
        .tasks(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.state.code() == "drawn" && t.lead_department == "amr")
        .expect("a task under way");
    let visits = mouding.visits(drawn.id).await.unwrap();
    let members = mouding.team_members(drawn.id).await.unwrap();
    result_notices_say_the_results(&srv, &mouding).await;
    let team = visits[0].team_no.expect("drawn visits have teams");

    // The page offers the file with its filters.
    let admin = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();
    let page_path = format!("/staff/tasks/{}?team={team}&sort=state", drawn.id);
    let (status, page) = srv.get(&admin.cookie, &page_path).await;
    assert_eq!(status, 200);
    let link = format!(
        "href=\"/staff/tasks/{}/visits.xlsx?team={team}&#38;sort=state\"",
        drawn.id
    );
    assert!(page.contains(&link), "{page}");

    let path = format!("/staff/tasks/{}/visits.xlsx?team={team}", drawn.id);
    let (status, kind, body) = srv.get_bytes(&admin.cookie, &path).await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let rows = xlsx_rows(&body);
    assert_eq!(rows[0][0], drawn.title);
    assert_eq!(
        rows[1],
        [
            "序号",
            "检查对象",
            "统一社会信用代码",
            "乡镇",
            "地址",
            "检查组",
            "组员",
            "核验码",
            "状态",
            "检查日期"
        ]
    );
    let mut expected: Vec<_> = visits.iter().filter(|v| v.team_no == Some(team)).collect();
    expected.sort_by_key(|v| v.draw_order);
    let team_names: Vec<&str> = members
        .iter()
        .filter(|m| m.team_no == team && m.active)
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(rows.len() - 2, expected.len());
    for (row, v) in rows[2..].iter().zip(&expected) {
        assert_eq!(row[0], v.draw_order.to_string());
        assert_eq!((&row[1], &row[2]), (&v.entity_name, &v.entity_id));
        assert_eq!(row[5], team.to_string());
        assert_eq!(row[6], team_names.join("、"));
        assert_eq!(row[7], v.check_code);
        assert_eq!(row[8], v.state.label());
    }

    // Every visit, not the page's 50: the whole task unfiltered.
    let (_, _, body) = srv
        .get_bytes(
            &admin.cookie,
            &format!("/staff/tasks/{}/visits.xlsx", drawn.id),
        )
        .await;
    assert_eq!(xlsx_rows(&body).len() - 2, visits.len());

    // The inspector of the task under way: the own team's visits only.
    let inspector = srv.login("inspector", DEMO_PASSWORD).await.unwrap();
    let me = store
        .user_by_name("inspector")
        .await
        .unwrap()
        .and_then(|u| u.inspector_id)
        .expect("the demo inspector is an inspector");
    let mine: Vec<i32> = members
        .iter()
        .filter(|m| m.inspector_id == me && m.active)
        .map(|m| m.team_no)
        .collect();
    assert!(!mine.is_empty());
    let (status, _, body) = srv
        .get_bytes(
            &inspector.cookie,
            &format!("/staff/tasks/{}/visits.xlsx", drawn.id),
        )
        .await;
    assert_eq!(status, 200);
    let rows = xlsx_rows(&body);
    let own = visits
        .iter()
        .filter(|v| v.team_no.is_some_and(|t| mine.contains(&t)))
        .count();
    assert_eq!(rows.len() - 2, own);
    assert!(
        own < visits.len(),
        "other teams' visits exist and are left out"
    );
    assert!(
        rows[2..]
            .iter()
            .all(|r| mine.iter().any(|t| r[5] == t.to_string()))
    );

    // A task that is not there.
    let (status, _, _) = srv
        .get_bytes(&admin.cookie, "/staff/tasks/99999999/visits.xlsx")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_visit_table_exports_as_the_page_filters_it_sqlite() {
    the_visit_table_exports_as_the_page_filters_it(Engine::Sqlite).await;
}

#[tokio::test]
async fn the_visit_table_exports_as_the_page_filters_it_postgres() {
    the_visit_table_exports_as_the_page_filters_it(Engine::Postgres).await;
}

/// The exclusion list of a county-wide task (a thousand entities and more) reads a
/// hundred a page, by reason; every exclusion is on exactly one page.
async fn the_exclusion_list_pages_by_reason(engine: Engine) {
    let srv = common::start_with_year(engine).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let mut biggest = None;
    for t in mouding.tasks(&Default::default()).await.unwrap() {
        let n = mouding.exclusions(t.id).await.unwrap().len();
        if biggest.is_none_or(|(_, m)| n > m) {
            biggest = Some((t.id, n));
        }
    }
    let (task, total) = biggest.unwrap();
    assert!(
        total > 100,
        "a task with more than a page of exclusions: {total}"
    );
    let all = mouding.exclusions(task).await.unwrap();
    let s = srv.login("bianban", DEMO_PASSWORD).await.unwrap();
    let rows_of = |page: &str| {
        page.matches("<td class=\"id\" data-label=\"统一社会信用代码\">")
            .count()
    };
    let base = format!("/staff/tasks/{task}/exclusions");
    let (status, first) = srv.get(&s.cookie, &base).await;
    assert_eq!(status, 200);
    assert!(
        first.contains(&format!("未纳入抽取的主体（{total} 户）")),
        "{first}"
    );
    assert_eq!(rows_of(&first), 100);
    let pages = total.div_ceil(100);
    assert!(first.contains(&format!("第 1 / {pages} 页")), "{first}");
    let mut seen = 0;
    for page in 1..=pages {
        let (status, body) = srv.get(&s.cookie, &format!("{base}?page={page}")).await;
        assert_eq!(status, 200);
        seen += rows_of(&body);
    }
    assert_eq!(seen, total, "every exclusion on one page");
    // By reason: the tab's count is the rows of that reason.
    let not_active = all.iter().filter(|e| e.reason == "not-active").count();
    assert!(not_active > 0);
    assert!(
        first.contains(&format!("非存续状态（注销、吊销、迁出）（{not_active}）")),
        "{first}"
    );
    let (_, body) = srv
        .get(&s.cookie, &format!("{base}?reason=not-active&page=999"))
        .await;
    assert_eq!(
        rows_of(&body),
        (not_active - 1) % 100 + 1,
        "past the end: the last page"
    );
    assert!(!body.contains(">已在同类事项的进行中任务内</td>"));
}

#[tokio::test]
async fn the_exclusion_list_pages_by_reason_sqlite() {
    the_exclusion_list_pages_by_reason(Engine::Sqlite).await;
}

#[tokio::test]
async fn the_exclusion_list_pages_by_reason_postgres() {
    the_exclusion_list_pages_by_reason(Engine::Postgres).await;
}
