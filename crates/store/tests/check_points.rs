//! Items' check points on SQLite and on PostgreSQL: kept per item in their order,
//! read for a task's items in the task's order, and a refused write changes nothing.

use liancha_domain::check_points::CheckPoint;
use liancha_domain::workflow::ResultCategory;
use liancha_store::demo::{self, DemoSize};
use liancha_store::{Store, StoreError};

liancha_store::on_both_engines!(points_are_kept_per_item);

async fn points_are_kept_per_item(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    demo::load(
        store,
        DemoSize {
            legal_persons: 10,
            individuals: 10,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    let items = |codes: &[&str]| codes.iter().map(|c| (*c).to_string()).collect::<Vec<_>>();

    // The demo's points, in the order asked: the task's item order, then each
    // item's own order.
    let read = mouding
        .check_points(&items(&["WS-001", "SC-003"]))
        .await
        .unwrap();
    let codes: Vec<(&str, &str)> = read
        .iter()
        .map(|p| (p.item.as_str(), p.code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("WS-001", "WSXK"),
            ("WS-001", "JKZM"),
            ("SC-003", "SPXK"),
            ("SC-003", "JKZM"),
            ("SC-003", "JHCY"),
        ]
    );
    assert_eq!(read[1].fail_category, ResultCategory::Corrected);
    assert!(mouding.check_points(&[]).await.unwrap().is_empty());

    let before = mouding.check_points(&items(&["SC-003"])).await.unwrap();
    let refused = |r: Result<(), StoreError>, says: &str| match r {
        Err(StoreError::Invalid { message, .. }) => assert!(message.contains(says), "{message}"),
        other => panic!("expected a refusal saying {says:?}, got {other:?}"),
    };
    let mut twice = before.clone();
    twice[1].code = "SPXK".into();
    refused(mouding.put_check_points("SC-003", &twice).await, "重复");
    let mut harmless = before.clone();
    harmless[0].fail_category = ResultCategory::NoProblem;
    refused(
        mouding.put_check_points("SC-003", &harmless).await,
        "不能是「未发现问题」",
    );
    let mut blank = before.clone();
    blank[2].content = " ".into();
    refused(mouding.put_check_points("SC-003", &blank).await, "不能为空");
    let mut other = before.clone();
    other[0].item = "WS-001".into();
    refused(mouding.put_check_points("SC-003", &other).await, "属于事项");
    let stray: Vec<CheckPoint> = before
        .iter()
        .cloned()
        .map(|mut p| {
            p.item = "NOPE-1".into();
            p
        })
        .collect();
    refused(mouding.put_check_points("NOPE-1", &stray).await, "不存在");
    // A code another item uses is the same question: same content and method.
    let mut clash = before.clone();
    clash[1].content = "从业人员是否穿戴工作衣帽".into();
    refused(
        mouding.put_check_points("SC-003", &clash).await,
        "检查内容和检查方法须一致",
    );
    assert_eq!(
        mouding.check_points(&items(&["SC-003"])).await.unwrap(),
        before
    );

    // A write replaces the item's points, in the order given.
    let mut reordered = before.clone();
    reordered.reverse();
    reordered.pop();
    mouding
        .put_check_points("SC-003", &reordered)
        .await
        .unwrap();
    assert_eq!(
        mouding.check_points(&items(&["SC-003"])).await.unwrap(),
        reordered
    );
    mouding.put_check_points("SC-003", &[]).await.unwrap();
    assert!(
        mouding
            .check_points(&items(&["SC-003"]))
            .await
            .unwrap()
            .is_empty()
    );
}
