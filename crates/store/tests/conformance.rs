//! One story suite, run unchanged against SQLite and PostgreSQL: two engines, one behaviour.

use chrono::{Days, Utc};
use liancha_domain::{Department, Domain, Entity, EntityStatus, RiskClass, RuleBook, Township};
use liancha_store::demo::{self, DemoSize};
use liancha_store::directories::EntityFilter;
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Store};

macro_rules! conformance {
    ($($story:ident),* $(,)?) => {
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
                #[tokio::test]
                async fn $story() {
                    let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Postgres).await;
                    super::$story(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}

conformance!(
    reference_data,
    entity_directory,
    item_versions,
    joint_item_lists,
    rule_books,
    demo_county,
);

const SMALL: DemoSize = DemoSize { legal_persons: 120, individuals: 380 };

async fn small_demo(store: &Store) {
    demo::load(store, SMALL, &|_, _| {}).await.unwrap();
}

async fn reference_data(store: &Store) {
    store.put_township(&Township { code: "532323100".into(), name: "共和镇".into() }, 0).await.unwrap();
    store.put_township(&Township { code: "532323101".into(), name: "新桥镇".into() }, 1).await.unwrap();
    let d = Department { code: "amr".into(), name: "牟定县市场监督管理局".into(), domain: Domain::Market };
    store.put_department(&d).await.unwrap();
    // Writing again updates in place.
    store.put_department(&Department { name: "牟定县市场监管局".into(), ..d.clone() }).await.unwrap();
    let names: Vec<String> = store.townships().await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["共和镇", "新桥镇"]);
    let depts = store.departments().await.unwrap();
    assert_eq!(depts.len(), 1);
    assert_eq!(depts[0].name, "牟定县市场监管局");
    let lookup = store.lookup().await.unwrap();
    assert_eq!(lookup.departments.get("牟定县市场监管局").map(String::as_str), Some("amr"));
    assert!(lookup.townships.contains("新桥镇"));
}

async fn entity_directory(store: &Store) {
    small_demo(store).await;
    let all = demo::entities(SMALL);
    let first = &all[0];
    let got = store.entity(&first.id).await.unwrap().expect("stored");
    assert_eq!(&got, first);
    // Lower case and spaces, as typed into a search box.
    assert_eq!(store.entity(&format!(" {} ", first.id.to_lowercase())).await.unwrap().as_ref(), Some(first));

    let page = store.entities(&EntityFilter::default(), 0, 20).await.unwrap();
    assert_eq!(page.total, 500);
    assert_eq!(page.rows.len(), 20);
    let mut ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    assert_eq!(page.rows.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ids[..20]);

    let filter = EntityFilter { township: Some("共和镇".into()), risk_class: Some(RiskClass::B), ..Default::default() };
    let expected = all.iter().filter(|e| e.township == "共和镇" && e.risk_class == RiskClass::B).count();
    assert_eq!(store.entities(&filter, 0, 1000).await.unwrap().total as usize, expected);

    let by_name = EntityFilter { query: Some("农资".into()), ..Default::default() };
    let expected = all.iter().filter(|e| e.name.contains("农资")).count();
    assert!(expected > 0);
    assert_eq!(store.entities(&by_name, 0, 1000).await.unwrap().total as usize, expected);
    // A name with LIKE's wildcards matches literally.
    let wild = EntityFilter { query: Some("%".into()), ..Default::default() };
    assert_eq!(store.entities(&wild, 0, 10).await.unwrap().total, 0);

    // Dynamic management: writing the same id again updates it.
    let changed = Entity { status: EntityStatus::Deregistered, name: "改名后的名称".into(), ..first.clone() };
    store.put_entities(std::slice::from_ref(&changed)).await.unwrap();
    assert_eq!(store.entity(&first.id).await.unwrap(), Some(changed));
    assert_eq!(store.counts().await.unwrap().entities, 500);
}

async fn item_versions(store: &Store) {
    small_demo(store).await;
    let today = Utc::now().date_naive();
    let yesterday = today.checked_sub_days(Days::new(1)).unwrap();
    let published = store.items(true).await.unwrap();
    assert_eq!(published.len(), demo::items().len());
    assert_eq!(store.items_as_published_on(yesterday).await.unwrap(), vec![]);
    // China is ahead of UTC: by tomorrow everything recorded now is in the list.
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap();
    assert_eq!(store.items_as_published_on(tomorrow).await.unwrap(), published);

    let mut item = published[0].clone();
    item.legal_basis.push_str("；《新规章》第一条");
    let w = store.put_items(std::slice::from_ref(&item)).await.unwrap();
    assert_eq!((w.inserted, w.updated, w.unchanged), (0, 1, 0));
    let w = store.put_items(std::slice::from_ref(&item)).await.unwrap();
    assert_eq!((w.inserted, w.updated, w.unchanged), (0, 0, 1), "unchanged items get no version");
    let history = store.item_history(&item.code).await.unwrap();
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(history[1].item, item);

    // Withdrawing keeps the item but drops it from the published list.
    item.published = false;
    store.put_items(std::slice::from_ref(&item)).await.unwrap();
    assert_eq!(store.items(true).await.unwrap().len(), published.len() - 1);
    assert_eq!(store.items(false).await.unwrap().len(), published.len());
    assert_eq!(store.items_as_published_on(tomorrow).await.unwrap().len(), published.len() - 1);
}

async fn joint_item_lists(store: &Store) {
    small_demo(store).await;
    let lists = store.joint_item_lists(true).await.unwrap();
    let mut expected = demo::joint_item_lists();
    expected.sort_by(|a, b| a.code.cmp(&b.code));
    assert_eq!(lists, expected, "in code order");
    let mut l = lists[0].clone();
    l.items.truncate(1);
    store.put_joint_item_list(&l).await.unwrap();
    assert_eq!(store.joint_item_lists(false).await.unwrap()[0].items, l.items);
}

async fn rule_books(store: &Store) {
    small_demo(store).await;
    let eco = store.rule_book(Domain::Ecology).await.unwrap();
    assert_eq!(eco.ratio_bp, [500, 1000, 2000, 5000]);
    let bad = RuleBook { min_team_size: 1, ..eco.clone() };
    assert!(store.put_rule_book(&bad).await.is_err());
    assert_eq!(store.rule_book(Domain::Ecology).await.unwrap(), eco, "a refused change changes nothing");
}

async fn demo_county(store: &Store) {
    small_demo(store).await;
    let c = store.counts().await.unwrap();
    assert_eq!(c.townships, 7);
    assert_eq!(c.departments, 14);
    assert_eq!(c.entities, 500);
    assert_eq!(c.legal_person_entities, 120);
    assert_eq!(c.inspectors, 150);
    let inspectors = store.inspectors(None).await.unwrap();
    let mut expected = demo::inspectors();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(inspectors, expected);
    assert_eq!(store.inspectors(Some("amr")).await.unwrap().len(), 26);
    // A second load is refused and changes nothing.
    assert!(demo::load(store, SMALL, &|_, _| {}).await.is_err());
    assert_eq!(store.counts().await.unwrap(), c);
}

#[tokio::test]
async fn engine_is_chosen_by_url() {
    let db = TestDb::new(Engine::Sqlite).await;
    assert_eq!(db.store.engine(), Engine::Sqlite);
    db.finish().await;
}
