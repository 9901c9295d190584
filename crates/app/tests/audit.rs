//! The audit log as the oversight office reads it, on both engines: every filter
//! recounted from the entries written, pages that add up, names in place of ids, the
//! county's own entries only, and who may read it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use liancha_app::audit::{AuditSearch, PAGE_SIZE};
use liancha_app::{App, AppError, Context};
use liancha_domain::org::DivisionCode;
use liancha_store::Store;
use liancha_store::accounts::{Actor, Audit};

mod common;

liancha_store::on_both_engines!(the_log_is_filtered_paged_and_named);

/// 2026-12-01 09:00 in Beijing.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap()
}

async fn ctx(store: &Store, name: &str) -> Context {
    common::ctx(store, name, t0() + Duration::days(10)).await
}

async fn the_log_is_filtered_paged_and_named(store: &Store) {
    let mouding = common::demo_county(store, 20, 20, t0()).await;
    let app = App::new(store.clone());
    let duchashi = ctx(store, "duchashi").await;
    let entity = mouding
        .entities(&liancha_store::directories::EntityFilter::default(), 0, 1)
        .await
        .unwrap()
        .rows
        .remove(0);
    let inspector = mouding.inspectors(Some("amr")).await.unwrap().remove(0);

    // Each filter, recounted from what was written (beyond what the demo wrote).
    let mut filters: Vec<(AuditSearch, i64)> = vec![
        (
            AuditSearch {
                who: "amr-admin".into(),
                ..Default::default()
            },
            40,
        ),
        (
            AuditSearch {
                what: "task.".into(),
                ..Default::default()
            },
            30,
        ),
        (
            AuditSearch {
                what: "task.cancel".into(),
                ..Default::default()
            },
            0,
        ),
        (
            AuditSearch {
                task: Some(7),
                ..Default::default()
            },
            30,
        ),
        (
            AuditSearch {
                object_type: "inspector".into(),
                object_id: inspector.id.clone(),
                ..Default::default()
            },
            90,
        ),
        // Beijing days: 12-01 holds the entries from 09:00 to 23:30, 30 of them.
        (
            AuditSearch {
                from: "2026-12-01".into(),
                to: "2026-12-01".into(),
                ..Default::default()
            },
            30,
        ),
        (
            AuditSearch {
                from: "2026-12-02".into(),
                to: "2026-12-02".into(),
                ..Default::default()
            },
            48,
        ),
        (
            AuditSearch {
                from: "2026-12-03".into(),
                ..Default::default()
            },
            42,
        ),
        (
            AuditSearch {
                who: "bianban".into(),
                what: "conflict.".into(),
                from: "2026-12-02".into(),
                to: "2026-12-02".into(),
                ..Default::default()
            },
            (0..120i64)
                .filter(|i| i % 3 != 0 && i % 4 != 0 && (30..78).contains(i))
                .count() as i64,
        ),
    ];
    // An entity's code finds its visits' entries (kept as `task/entity`).
    filters.push((
        AuditSearch {
            object_id: entity.id.clone(),
            ..Default::default()
        },
        3,
    ));
    let count = |s: &AuditSearch| {
        let app = app.clone();
        let ctx = duchashi.clone();
        let q = s.parse().unwrap();
        async move { app.audit_log(&ctx, &q, 1).await.unwrap().total }
    };
    let mut baseline = Vec::new();
    for (f, _) in &filters {
        baseline.push(count(f).await);
    }

    // 120 entries over three Beijing days by two clerks, plus one in another county.
    let before = app
        .audit_log(&duchashi, &AuditSearch::default().parse().unwrap(), 1)
        .await
        .unwrap()
        .total;
    let clerk = |i: i64| Actor {
        user_id: None,
        username: if i % 3 == 0 {
            "amr-admin".into()
        } else {
            "bianban".into()
        },
    };
    for i in 0..120i64 {
        // Entries at 09:00 + i hours / 2: the first 30 on 12-01, then 12-02, 12-03.
        let at = t0() + Duration::minutes(30 * i);
        let a = if i % 4 == 0 {
            Audit::new("task.substitute-inspector", "task", 7)
                .task(7)
                .before(serde_json::json!({"team": 1, "inspector": inspector.id}))
                .after(serde_json::json!({"team": 1, "inspector": "nobody", "reason": "病假"}))
        } else {
            Audit::new("conflict.declare", "inspector", &inspector.id)
                .after(serde_json::json!({"entity": entity.id, "reason": "亲属"}))
        };
        mouding.audit(&clerk(i), at, a).await.unwrap();
    }
    // Outside every other filter's window: another month, other tasks.
    for task in [70, 80, 90] {
        mouding
            .audit(
                &clerk(1),
                t0() - Duration::days(40),
                Audit::new("visit.results", "visit", format!("{task}/{}", entity.id)).task(task),
            )
            .await
            .unwrap();
    }
    // The demo holds 南华县 too.
    let nanhua = store.county(&DivisionCode::parse("532324").unwrap());
    nanhua
        .audit(
            &clerk(3),
            t0(),
            Audit::new("task.cancel", "task", 7).task(7),
        )
        .await
        .unwrap();

    let search = |s: AuditSearch| s.parse().unwrap();
    let all = app
        .audit_log(&duchashi, &search(AuditSearch::default()), 1)
        .await
        .unwrap();
    assert_eq!(
        all.total,
        before + 123,
        "the other county's entry is not ours"
    );
    assert_eq!(all.lines.len() as i64, PAGE_SIZE);
    assert!(
        all.lines.windows(2).all(|w| w[0].entry.id > w[1].entry.id),
        "newest first"
    );

    // Pages add up to the whole, without overlap; a page past the end is the last.
    let mut ids = Vec::new();
    for page in 1..=all.pages {
        let v = app
            .audit_log(&duchashi, &search(AuditSearch::default()), page)
            .await
            .unwrap();
        assert_eq!(v.page, page);
        ids.extend(v.lines.iter().map(|l| l.entry.id));
    }
    assert_eq!(ids.len() as i64, all.total);
    ids.dedup();
    assert_eq!(ids.len() as i64, all.total);
    let past = app
        .audit_log(&duchashi, &search(AuditSearch::default()), 999)
        .await
        .unwrap();
    assert_eq!(past.page, all.pages);
    assert!(!past.lines.is_empty());

    for ((f, n), base) in filters.iter().zip(&baseline) {
        assert_eq!(count(f).await - base, *n, "{f:?}");
    }

    // Actions in Chinese, ids by name.
    let subs = app
        .audit_log(
            &duchashi,
            &search(AuditSearch {
                what: "task.substitute-inspector".into(),
                ..Default::default()
            }),
            1,
        )
        .await
        .unwrap();
    let line = &subs.lines[0];
    assert_eq!(line.action, "替补检查人员");
    assert_eq!(line.object, "任务");
    let who = line.changes.iter().find(|c| c.field == "检查人员").unwrap();
    assert_eq!(
        who.before.as_deref(),
        Some(format!("{}（{}）", inspector.name, inspector.id).as_str())
    );
    assert_eq!(who.after.as_deref(), Some("nobody"));
    let conflict = app
        .audit_log(
            &duchashi,
            &search(AuditSearch {
                what: "conflict.declare".into(),
                ..Default::default()
            }),
            1,
        )
        .await
        .unwrap();
    assert_eq!(
        conflict.lines[0].object_name.as_deref(),
        Some(inspector.name.as_str())
    );
    let target = conflict.lines[0]
        .changes
        .iter()
        .find(|c| c.field == "检查对象")
        .unwrap();
    assert_eq!(
        target.after.as_deref(),
        Some(format!("{}（{}）", entity.name, entity.id).as_str())
    );

    // The export holds every entry of the filter.
    let file = app
        .audit_export(
            &duchashi,
            &search(AuditSearch {
                task: Some(7),
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    assert_eq!(file.len(), 30);

    // Who acted is named by the account's name; an entry without an account (the
    // clerks above) keeps the name it was written with.
    assert_eq!(conflict.lines[0].actor_name, None);
    let amr = ctx(store, "amr-admin").await;
    mouding
        .audit(
            &amr.actor(),
            t0(),
            Audit::new("calendar.replace", "calendar", "2027"),
        )
        .await
        .unwrap();
    let by_amr = app
        .audit_log(
            &duchashi,
            &search(AuditSearch {
                who: "amr-admin".into(),
                what: "calendar.replace".into(),
                ..Default::default()
            }),
            1,
        )
        .await
        .unwrap();
    assert!(
        by_amr
            .lines
            .iter()
            .any(|l| l.actor_name.as_deref() == Some(amr.principal.display_name.as_str())),
        "{:?}",
        by_amr.lines
    );

    // Who reads it: the oversight office, the coordinator and the administrator; a
    // department's clerk only the history of a task it manages, an inspector nothing.
    let amr = ctx(store, "amr-admin").await;
    assert!(matches!(
        app.audit_log(&amr, &search(AuditSearch::default()), 1)
            .await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app.audit_export(&amr, &search(AuditSearch::default()))
            .await,
        Err(AppError::Forbidden)
    ));
    for name in ["bianban", "admin"] {
        app.audit_log(&ctx(store, name).await, &search(AuditSearch::default()), 1)
            .await
            .unwrap();
    }
}
