//! What the application's story tests share: a demo county with its accounts, a
//! principal's context, and a two-department market task of the demo's items.

// Each test file is its own crate and uses only part of this.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate};
use liancha_app::Context;
use liancha_domain::Domain;
use liancha_domain::workflow::TaskMode;
use liancha_store::demo::{self, DemoSize};
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::{County, Store};

/// The demo county of `legal_persons` + `individuals`, with one account per role.
pub async fn demo_county(
    store: &Store,
    legal_persons: usize,
    individuals: usize,
    at: DateTime<chrono::Utc>,
) -> County<'_> {
    let county = liancha_store::testing::mouding_county(store).await;
    demo::load_at(
        store,
        DemoSize {
            legal_persons,
            individuals,
        },
        at,
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(store, at).await.unwrap();
    county
}

/// The demo account `name` acting at `at`.
pub async fn ctx(store: &Store, name: &str, at: DateTime<chrono::Utc>) -> Context {
    let u = store.user_by_name(name).await.unwrap().unwrap();
    Context::new(u.principal(), at)
}

/// A market task led by amr with a market and an agriculture item, two teams of two,
/// inspections from `start` for 30 days.
pub fn joint_task(title: &str, quotas: QuotaSpec, start: NaiveDate) -> NewTask {
    NewTask {
        year: chrono::Datelike::year(&start),
        title: title.into(),
        domain: Domain::Market,
        mode: TaskMode::Comprehensive,
        lead_department: "amr".into(),
        items: vec!["SC-001".into(), "NY-001".into()],
        scope: TaskScopeFilter::default(),
        quotas,
        team_count: 2,
        team_size: 2,
        avoid_same_township: false,
        inspection_start: start,
        inspection_end: start + Duration::days(30),
        plan_entry_id: None,
    }
}
