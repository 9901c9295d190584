//! The task form over real HTTP, on both engines: a refused form comes back on the
//! same page under the staff menu, every error beside its field, what was typed
//! kept, and nothing created.

use liancha_store::Engine;
use liancha_store::demo::{DEMO_PASSWORD, DemoSize};

mod common;

use common::field_error;

async fn every_error_beside_its_field(engine: Engine) {
    let size = DemoSize {
        legal_persons: 20,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let s = srv.login("bianban", DEMO_PASSWORD).await.unwrap();
    let before = mouding.tasks(&Default::default()).await.unwrap().len();

    let form = [
        ("title", "  "),
        ("year", "二〇二六"),
        ("domain", "market"),
        ("mode", "comprehensive"),
        ("lead_department", "amr"),
        ("inspection_start", "2026-12-20"),
        ("inspection_end", "2026-12-01"),
        ("quota_kind", "ratio"),
        ("quota_a", "3"),
        ("quota_b", "120"),
        ("team_count", "两"),
        ("team_size", "2"),
        ("tags", "食品经营许可证"),
    ];
    let (status, page) = srv.post(&s, "/staff/tasks", &form).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("退出"), "the staff layout, not an error page");
    assert!(page.contains("共 6 处"), "{page}");
    assert_eq!(field_error(&page, "title"), Some("请填写任务名称"));
    assert_eq!(field_error(&page, "year"), Some("年度须为四位数字"));
    assert_eq!(
        field_error(&page, "inspection_end"),
        Some("检查结束日期不能早于开始日期")
    );
    assert_eq!(
        field_error(&page, "quota_b"),
        Some("B 类比例须为 0–100 之间的数，最多两位小数")
    );
    assert_eq!(field_error(&page, "team_count"), Some("检查组数量须为整数"));
    assert!(page.contains("<p class=\"field-error\">请至少选择一项抽查事项</p>"));
    assert_eq!(field_error(&page, "quota_a"), None);
    assert!(
        page.contains("name=\"year\" aria-invalid=\"true\""),
        "marked for the eye and screen readers"
    );
    // What was typed stays.
    assert!(page.contains("value=\"二〇二六\"") && page.contains("value=\"食品经营许可证\""));
    assert!(page.contains("value=\"120\""));
    assert_eq!(
        mouding.tasks(&Default::default()).await.unwrap().len(),
        before,
        "nothing created"
    );

    // A form that reads well but breaks a rule of the county: the store's check,
    // beside its field too.
    let mut form = form.to_vec();
    for (k, v) in form.iter_mut() {
        match *k {
            "title" => *v = "联合抽查",
            "year" => *v = "2026",
            "inspection_end" => *v = "2027-01-20",
            "quota_b" => *v = "2",
            "team_count" => *v = "2",
            "team_size" => *v = "1",
            _ => {}
        }
    }
    form.push(("items", "SC-001"));
    let (status, page) = srv.post(&s, "/staff/tasks", &form).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        field_error(&page, "team_size").is_some_and(|m| m.contains("不能少于实施细则规定")),
        "{page}"
    );
    assert!(page.contains("value=\"联合抽查\""));
    assert_eq!(
        mouding.tasks(&Default::default()).await.unwrap().len(),
        before,
        "nothing created"
    );
    srv.db.finish().await;
}

#[tokio::test]
async fn every_error_beside_its_field_sqlite() {
    every_error_beside_its_field(Engine::Sqlite).await;
}

#[tokio::test]
async fn every_error_beside_its_field_postgres() {
    every_error_beside_its_field(Engine::Postgres).await;
}
