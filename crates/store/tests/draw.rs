//! Drawing straight from the entity directory gives exactly what `liancha_draw::select`
//! gives on a plan listing the same entities: on both engines, for any thread count,
//! and, on PostgreSQL, with the tickets computed by the server.

use liancha_domain::{Entity, EntityStatus, EntityType};
use liancha_draw::{PlanEntity, Quota, QuotaRule, Seed, Selected, Selection};
use liancha_store::demo::{self, DemoSize};
use liancha_store::draw::DrawScope;
use liancha_store::{Store, StoreError};

macro_rules! on_both_engines {
    ($($story:ident),* $(,)?) => {
        // SQLite on the default single-threaded runtime, PostgreSQL on a multi-threaded
        // one: both ways of running the blocking part of a draw are exercised.
        mod sqlite {
            $(
                #[tokio::test]
                async fn $story() {
                    let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Sqlite).await;
                    super::$story(&db.store).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Postgres).await;
                    super::$story(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}

on_both_engines!(
    directory_draw_equals_plan_draw,
    scopes_filter_the_population,
    thread_count_never_changes_the_draw,
    in_database_draw,
);

const SIZE: DemoSize = DemoSize {
    legal_persons: 300,
    individuals: 1700,
};

fn seed() -> Seed {
    liancha_draw::seed(&[0x11; 32], &["体彩排列5 第26321期开奖号码: 3 5 7 1 9"])
}

/// The ratios of the bench and of a typical market-supervision rule book.
fn ratios() -> Selection {
    Selection::Quotas(
        [("A", 300), ("B", 500), ("C", 1000), ("D", 2000)]
            .into_iter()
            .map(|(s, bp)| Quota {
                stratum: s.into(),
                rule: QuotaRule::RatioBp(bp),
            })
            .collect(),
    )
}

fn selections() -> Vec<Selection> {
    vec![
        ratios(),
        Selection::Total(97),
        Selection::Quotas(vec![
            Quota {
                stratum: "D".into(),
                rule: QuotaRule::Count(7),
            },
            Quota {
                stratum: "B".into(),
                rule: QuotaRule::RatioBp(10_000),
            },
            Quota {
                stratum: "A".into(),
                rule: QuotaRule::Count(0),
            },
        ]),
    ]
}

/// The plan a clerk would publish for `scope`: its entities, stratum = risk class.
fn plan_entities(all: &[Entity], scope: &DrawScope) -> Vec<PlanEntity> {
    all.iter()
        .filter(|e| scope.status.is_none_or(|s| e.status == s))
        .filter(|e| scope.entity_type.is_none_or(|t| e.entity_type == t))
        .filter(|e| scope.township.as_ref().is_none_or(|t| &e.township == t))
        .map(|e| PlanEntity {
            id: e.id.clone(),
            stratum: e.risk_class.code().into(),
            township: Some(e.township.clone()),
        })
        .collect()
}

fn plan_draw(all: &[Entity], scope: &DrawScope, selection: &Selection) -> Vec<Selected> {
    let mut entities = plan_entities(all, scope);
    // Row order is irrelevant: the plan lists them backwards.
    entities.reverse();
    liancha_draw::select(&entities, selection, &seed(), 1).expect("plan draw")
}

async fn directory_draw_equals_plan_draw(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    demo::load(store, SIZE, &|_, _| {}).await.unwrap();
    let all = demo::entities(SIZE);
    let scope = DrawScope::default();
    for selection in selections() {
        let want = plan_draw(&all, &scope, &selection);
        assert!(!want.is_empty());
        let got = mouding
            .select_from_directory(&scope, &selection, &seed(), 2)
            .await
            .unwrap();
        assert_eq!(got, want, "{selection:?}");
    }
    // Stratum sizes as the spec counts them, active entities only.
    let populations = mouding.draw_populations(&scope).await.unwrap();
    let active = all
        .iter()
        .filter(|e| e.status == EntityStatus::Active)
        .count() as u64;
    assert_eq!(populations.values().sum::<u64>(), active);
    assert!(active < all.len() as u64);
    // A different seed draws differently.
    let other = mouding
        .select_from_directory(&scope, &ratios(), &[0x22; 32], 1)
        .await
        .unwrap();
    assert_ne!(other, plan_draw(&all, &scope, &ratios()));
}

async fn scopes_filter_the_population(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    demo::load(store, SIZE, &|_, _| {}).await.unwrap();
    // Entities whose township needs quoting, to exercise how the scope reaches SQL
    // (PostgreSQL's COPY takes no parameters).
    let odd_township = "O'Neil \\ 新桥镇\" ; --";
    let mut all = demo::entities(SIZE);
    let extra: Vec<Entity> = all
        .iter()
        .take(40)
        .enumerate()
        .map(|(i, e)| Entity {
            id: format!("XTEST{i:04}"),
            uscc: None,
            township: odd_township.into(),
            ..e.clone()
        })
        .collect();
    mouding.put_entities(&extra).await.unwrap();
    all.extend(extra);

    let scopes = [
        DrawScope {
            township: Some("共和镇".into()),
            ..DrawScope::default()
        },
        DrawScope {
            entity_type: Some(EntityType::Enterprise),
            ..DrawScope::default()
        },
        DrawScope {
            township: Some("新桥镇".into()),
            entity_type: Some(EntityType::IndividualBusiness),
            status: Some(EntityStatus::Active),
        },
        DrawScope {
            township: Some(odd_township.into()),
            ..DrawScope::default()
        },
        DrawScope {
            status: None,
            ..DrawScope::default()
        },
    ];
    for scope in &scopes {
        let want = plan_draw(&all, scope, &ratios());
        assert!(!want.is_empty(), "{scope:?}");
        let got = mouding
            .select_from_directory(scope, &ratios(), &seed(), 2)
            .await
            .unwrap();
        assert_eq!(got, want, "{scope:?}");
    }

    // Nothing in scope, or nothing asked for: nothing drawn, no error.
    let nowhere = DrawScope {
        township: Some("不存在镇".into()),
        ..DrawScope::default()
    };
    assert!(mouding.draw_populations(&nowhere).await.unwrap().is_empty());
    let none = mouding
        .select_from_directory(&nowhere, &ratios(), &seed(), 2)
        .await
        .unwrap();
    assert!(none.is_empty());
    let zero = mouding
        .select_from_directory(
            &DrawScope::default(),
            &Selection::Quotas(vec![]),
            &seed(),
            2,
        )
        .await
        .unwrap();
    assert!(zero.is_empty());
    // A plan the spec refuses is refused here too.
    let twice = Selection::Quotas(vec![
        Quota {
            stratum: "A".into(),
            rule: QuotaRule::Count(1),
        },
        Quota {
            stratum: "A".into(),
            rule: QuotaRule::Count(2),
        },
    ]);
    let err = mouding
        .select_from_directory(&DrawScope::default(), &twice, &seed(), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
}

async fn thread_count_never_changes_the_draw(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    // Several batches of rows, so that worker threads really share them.
    let size = DemoSize {
        legal_persons: 3_000,
        individuals: 17_000,
    };
    demo::load(store, size, &|_, _| {}).await.unwrap();
    let all = demo::entities(size);
    let scope = DrawScope::default();
    for selection in selections() {
        let want = plan_draw(&all, &scope, &selection);
        for threads in [1, 2, 4, 0] {
            let got = mouding
                .select_from_directory(&scope, &selection, &seed(), threads)
                .await
                .unwrap();
            assert_eq!(got, want, "{threads} threads, {selection:?}");
        }
    }
}

async fn in_database_draw(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    demo::load(store, SIZE, &|_, _| {}).await.unwrap();
    let scope = DrawScope::default();
    match store.engine() {
        liancha_store::Engine::Sqlite => {
            let err = mouding
                .select_in_database(&scope, &ratios(), &seed())
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
            assert!(err.to_string().contains("PostgreSQL"), "{err}");
        }
        liancha_store::Engine::Postgres => {
            let all = demo::entities(SIZE);
            let scopes = [
                scope.clone(),
                DrawScope {
                    township: Some("江坡镇".into()),
                    entity_type: Some(EntityType::IndividualBusiness),
                    ..DrawScope::default()
                },
            ];
            for scope in &scopes {
                for selection in selections() {
                    let rust = mouding
                        .select_from_directory(scope, &selection, &seed(), 2)
                        .await
                        .unwrap();
                    let sql = mouding
                        .select_in_database(scope, &selection, &seed())
                        .await
                        .unwrap();
                    // Same entities, same tickets, same draw order.
                    assert_eq!(sql, rust, "{scope:?} {selection:?}");
                    assert_eq!(sql, plan_draw(&all, scope, &selection));
                }
            }
        }
    }
}
