//! The audit log page over real HTTP, on both engines: actions in Chinese, pages
//! that link to each other, a wrong filter named beside its field on the same page
//! (staff menu kept, values kept), the export as a real workbook, and who may read it.

use std::io::Cursor;

use liancha_store::Engine;
use liancha_store::accounts::{Actor, Audit};
use liancha_store::demo::{DEMO_PASSWORD, DemoSize};

mod common;

async fn the_log_reads_as_the_oversight_office_needs(engine: Engine) {
    let size = DemoSize {
        legal_persons: 20,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let clerk = Actor {
        user_id: None,
        username: "amr-admin".into(),
    };
    for i in 0..70 {
        mouding
            .audit(
                &clerk,
                chrono::Utc::now(),
                Audit::new("task.cancel", "task", 9000 + i)
                    .task(9000 + i)
                    .before(serde_json::json!({"state": "drawn"}))
                    .after(serde_json::json!({"state": "cancelled", "reason": format!("第{i}次")})),
            )
            .await
            .unwrap();
    }
    let duchashi = srv.login("duchashi", DEMO_PASSWORD).await.unwrap();

    let (status, page) = srv.get(&duchashi.cookie, "/staff/audit").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("取消任务") && page.contains("新建账号"),
        "actions in Chinese"
    );
    assert!(!page.contains(">task.cancel<") && !page.contains(">user.create<"));
    assert!(
        page.contains("<del>已抽取，检查中</del> → <ins>已取消</ins>"),
        "states in Chinese"
    );
    assert!(page.contains("第 1 / "), "paged");
    assert!(page.contains("href=\"/staff/audit?page=2\""), "{page}");

    let (status, page) = srv
        .get(
            &duchashi.cookie,
            "/staff/audit?what=task.cancel&who=amr-admin&page=2",
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("共 70 条，第 51–70 条"), "{page}");
    assert!(
        page.contains("href=\"/staff/audit?who=amr-admin&#38;what=task.cancel&#38;page=1\""),
        "{}",
        &page[page.find("pager").unwrap_or(0)..]
    );
    assert!(
        page.contains("<option value=\"task.cancel\" selected>"),
        "the filter is kept"
    );

    // A wrong filter: 422 on the same page, under the staff menu, beside its field.
    let (status, page) = srv
        .get(
            &duchashi.cookie,
            "/staff/audit?who=amr-admin&from=2026-13-01&task=abc",
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("退出"), "staff layout kept");
    assert!(page.contains("value=\"amr-admin\""), "values kept");
    assert!(
        page.contains("class=\"field-error\">任务编号应为正整数"),
        "{page}"
    );
    let (status, page) = srv
        .get(&duchashi.cookie, "/staff/audit?from=2026-13-01")
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("“2026-13-01”不是日期"), "{page}");
    assert!(
        page.contains("name=\"from\" value=\"2026-13-01\" aria-invalid=\"true\""),
        "{page}"
    );

    // The export: every entry of the filter, in Chinese, as a workbook.
    let r = srv
        .http
        .get(format!(
            "{}/staff/audit?what=task.cancel&format=xlsx",
            srv.base
        ))
        .header("cookie", format!("liancha_session={}", duchashi.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let body = r.bytes().await.unwrap();
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(body.to_vec())).unwrap();
    let rows: Vec<Vec<calamine::Data>> = book
        .worksheet_range_at(0)
        .unwrap()
        .unwrap()
        .rows()
        .map(|r| r.to_vec())
        .collect();
    assert_eq!(rows.len(), 71, "header and 70 entries");
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(
        header,
        [
            "序号",
            "时间（北京时间）",
            "操作人",
            "操作",
            "对象",
            "对象编号",
            "对象名称",
            "任务",
            "变更"
        ]
    );
    assert!(rows[1..].iter().all(|r| r[3] == "取消任务"));
    assert!(
        rows[1][8]
            .to_string()
            .contains("状态：已抽取，检查中 → 已取消"),
        "{:?}",
        rows[1]
    );

    // A department's clerk reads no county-wide log, nor its export.
    let amr = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();
    assert_eq!(srv.get(&amr.cookie, "/staff/audit").await.0, 403);
    assert_eq!(
        srv.get(&amr.cookie, "/staff/audit?format=xlsx").await.0,
        403
    );
    assert_eq!(srv.get(&amr.cookie, "/staff/audit?from=bad").await.0, 403);
    srv.db.finish().await;
}

#[tokio::test]
async fn the_log_reads_as_the_oversight_office_needs_sqlite() {
    the_log_reads_as_the_oversight_office_needs(Engine::Sqlite).await;
}

#[tokio::test]
async fn the_log_reads_as_the_oversight_office_needs_postgres() {
    the_log_reads_as_the_oversight_office_needs(Engine::Postgres).await;
}
