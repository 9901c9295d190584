//! The demo county's year, on both engines: tasks in every state, published results
//! whose draw records verify, follow-ups open and closed, listings, targeted
//! inspections and a published plan; and the same year twice from the same day.

mod common;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use liancha_app::App;
use liancha_domain::workflow::{CreditList, FollowUpState, TaskState, VisitState};
use liancha_store::Store;

liancha_store::on_both_engines!(a_year_behind_the_demo_county, a_year_ending_another_day);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
}

/// Today's first moment in Beijing.
fn midnight() -> DateTime<Utc> {
    liancha_domain::calendar::china_midnight(today()).unwrap()
}

async fn a_year_behind_the_demo_county(store: &Store) {
    let t0 = Utc.with_ymd_and_hms(2025, 12, 1, 1, 0, 0).unwrap();
    let county = common::demo_county(store, 600, 1_400, t0).await;
    let app = App::new(store.clone());
    let year = liancha_app::demo::year(&app, county.code(), today())
        .await
        .unwrap();

    let tasks = county.tasks(&Default::default()).await.unwrap();
    assert_eq!(tasks.len(), year.tasks);
    let state_count = |s: TaskState| tasks.iter().filter(|t| t.state == s).count();
    assert_eq!(state_count(TaskState::Published), year.published);
    assert!(year.published >= 6, "{year:?}");
    for s in [
        TaskState::Draft,
        TaskState::Committed,
        TaskState::Drawn,
        TaskState::Cancelled,
    ] {
        assert!(state_count(s) >= 1, "a task {s:?}");
    }
    // Every domain has published work.
    for d in liancha_domain::Domain::ALL {
        assert!(
            tasks
                .iter()
                .any(|t| t.domain == *d && t.state == TaskState::Published),
            "{d:?}"
        );
    }
    let mut in_review = 0;
    let mut visits_entered = 0;
    for t in &tasks {
        let visits = county.visits(t.id).await.unwrap();
        if matches!(t.state, TaskState::Drawn | TaskState::Published) {
            let record = county.draw_record(t.id).await.unwrap().expect("drawn");
            liancha_draw::verify_record(record.as_bytes())
                .unwrap_or_else(|e| panic!("task {} record: {e}", t.id));
            assert!(visits.len() >= 5, "task {}: {} visits", t.id, visits.len());
        }
        if t.state == TaskState::Published {
            assert!(
                visits
                    .iter()
                    .all(|v| v.team_no.is_none() || v.state == VisitState::Published)
            );
            // Published within its deadline: nothing in the year is overdue by accident.
            let deadline = county.deadline_of(t).await.unwrap();
            assert!(
                t.published_at.unwrap().date_naive() <= deadline,
                "task {}",
                t.id
            );
        }
        if t.state == TaskState::Drawn {
            let submitted = visits
                .iter()
                .filter(|v| v.state != VisitState::Pending)
                .count();
            if submitted == visits.iter().filter(|v| v.team_no.is_some()).count() {
                in_review += 1;
            }
        }
        visits_entered += visits
            .iter()
            .filter(|v| v.team_no.is_some() && v.state != VisitState::Pending)
            .count();
        // Nothing in the year happened after it.
        assert!(t.created_at < midnight());
    }
    assert_eq!(visits_entered, year.visits);
    assert!(in_review >= 1, "a task whose visits are all in, in review");

    let follow_ups = county.follow_ups(None, false).await.unwrap();
    assert!(follow_ups.iter().any(|f| f.state == FollowUpState::Open));
    assert!(follow_ups.iter().any(|f| f.state == FollowUpState::Closed));
    assert!(follow_ups.iter().any(|f| f.due_on.is_some()));
    for list in [CreditList::Abnormal, CreditList::Blacklist] {
        assert!(
            !county.listed_entities(list).await.unwrap().is_empty(),
            "{list:?}"
        );
    }
    // Ties declared before the first draw, both kinds, and honoured by the draws
    // that reached them (a sealed plan lists them; no team visits its own tie).
    let conflicts = county.conflict_declarations(None).await.unwrap();
    assert_eq!(conflicts.len(), year.conflicts);
    assert!(year.conflicts >= 3, "{year:?}");
    assert!(conflicts.iter().any(|c| c.kind == "entity-request"));
    assert!(conflicts.iter().any(|c| c.kind == "tie"));
    let mut honoured = 0;
    for t in &tasks {
        let Some(record) = county.draw_record(t.id).await.unwrap() else {
            continue;
        };
        let record: serde_json::Value = serde_json::from_str(&record).unwrap();
        honoured += record["plan"]["conflicts"].as_array().map_or(0, Vec::len);
    }
    assert!(honoured >= 1, "some draw had a declared tie in its pool");
    assert_eq!(year.targeted, 4);
    assert_eq!(county.targeted_inspections(None).await.unwrap().len(), 4);
    let plans = county.annual_plans(None, false).await.unwrap();
    assert_eq!(plans.len(), 1);
    assert!(plans[0].published_at.is_some());
    // The plan came first: every market task of its year is set under one of its entries.
    for t in tasks
        .iter()
        .filter(|t| t.domain == liancha_domain::Domain::Market && t.year == plans[0].year)
    {
        assert!(t.plan_entry_id.is_some(), "task {} {}", t.id, t.title);
    }
    // The last thing in the audit trail happened before today, and the trail reads
    // in the order things happened: its setup first, each entry no earlier than the
    // one before.
    let last = county.audit_recent(1).await.unwrap();
    assert!(last[0].at < midnight());
    assert_in_time_order(&county).await;
}

/// The trail, newest first, never goes back in time.
async fn assert_in_time_order(county: &liancha_store::County<'_>) {
    let trail = county.audit_recent(100_000).await.unwrap();
    for pair in trail.windows(2) {
        // Newest first.
        assert!(
            pair[0].at >= pair[1].at,
            "{} at {} after {} at {}",
            pair[1].action,
            pair[1].at,
            pair[0].action,
            pair[0].at
        );
    }
}

/// The same year ending on another day: its steps fall on other days of the week
/// and meet each other differently (a 2026-12-07 demo once had an approval written
/// before an earlier seal); the trail still reads in order.
async fn a_year_ending_another_day(store: &Store) {
    let t0 = Utc.with_ymd_and_hms(2025, 12, 1, 1, 0, 0).unwrap();
    let county = common::demo_county(store, 300, 700, t0).await;
    let app = App::new(store.clone());
    let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    liancha_app::demo::year(&app, county.code(), day)
        .await
        .unwrap();
    assert_in_time_order(&county).await;
}
