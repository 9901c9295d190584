//! One story suite, run unchanged against SQLite and PostgreSQL: two engines, one behaviour.

use chrono::{Days, Utc};
use liancha_domain::{Department, Domain, Entity, EntityStatus, RiskClass, RuleBook, Township};
use liancha_store::demo::{self, DemoSize};
use liancha_store::directories::EntityFilter;
use liancha_store::import::Kind;
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Store, StoreError};

liancha_store::on_both_engines!(
    reference_data,
    entity_directory,
    item_versions,
    joint_item_lists,
    rule_books,
    demo_county,
    import_entities_csv,
    import_refuses_bad_check_character,
    first_import_into_empty_directory,
    import_gbk_csv,
    import_reports_every_problem,
    export_import_round_trip,
    import_inspectors_and_items,
    import_onto_read_only_database,
    import_onto_full_disk,
);

const SMALL: DemoSize = DemoSize {
    legal_persons: 120,
    individuals: 380,
};

async fn small_demo(store: &Store) {
    demo::load(store, SMALL, &|_, _| {}).await.unwrap();
}

async fn reference_data(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    mouding
        .put_township(
            &Township {
                code: "532323100".into(),
                name: "共和镇".into(),
            },
            0,
        )
        .await
        .unwrap();
    mouding
        .put_township(
            &Township {
                code: "532323101".into(),
                name: "新桥镇".into(),
            },
            1,
        )
        .await
        .unwrap();
    let d = Department {
        code: "amr".into(),
        name: "牟定县市场监督管理局".into(),
        domain: Domain::Market,
    };
    mouding.put_department(&d).await.unwrap();
    // Writing again updates in place.
    mouding
        .put_department(&Department {
            name: "牟定县市场监管局".into(),
            ..d.clone()
        })
        .await
        .unwrap();
    let names: Vec<String> = mouding
        .townships()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["共和镇", "新桥镇"]);
    let depts = mouding.departments().await.unwrap();
    assert_eq!(depts.len(), 1);
    assert_eq!(depts[0].name, "牟定县市场监管局");
    let lookup = mouding.lookup().await.unwrap();
    assert_eq!(
        lookup
            .departments
            .get("牟定县市场监管局")
            .map(String::as_str),
        Some("amr")
    );
    assert!(lookup.townships.contains("新桥镇"));
}

async fn entity_directory(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let all = demo::entities(SMALL);
    let first = &all[0];
    let got = mouding.entity(&first.id).await.unwrap().expect("stored");
    assert_eq!(&got, first);
    // Lower case and spaces, as typed into a search box.
    assert_eq!(
        mouding
            .entity(&format!(" {} ", first.id.to_lowercase()))
            .await
            .unwrap()
            .as_ref(),
        Some(first)
    );

    let page = mouding
        .entities(&EntityFilter::default(), 0, 20)
        .await
        .unwrap();
    assert_eq!(page.total, 500);
    assert_eq!(page.rows.len(), 20);
    let mut ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        page.rows.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ids[..20]
    );

    let filter = EntityFilter {
        township: Some("共和镇".into()),
        risk_class: Some(RiskClass::B),
        ..Default::default()
    };
    let expected = all
        .iter()
        .filter(|e| e.township == "共和镇" && e.risk_class == RiskClass::B)
        .count();
    assert_eq!(
        mouding.entities(&filter, 0, 1000).await.unwrap().total as usize,
        expected
    );

    let by_name = EntityFilter {
        query: Some("农资".into()),
        ..Default::default()
    };
    let expected = all.iter().filter(|e| e.name.contains("农资")).count();
    assert!(expected > 0);
    assert_eq!(
        mouding.entities(&by_name, 0, 1000).await.unwrap().total as usize,
        expected
    );
    // A name with LIKE's wildcards matches literally.
    let wild = EntityFilter {
        query: Some("%".into()),
        ..Default::default()
    };
    assert_eq!(mouding.entities(&wild, 0, 10).await.unwrap().total, 0);

    // Dynamic management: writing the same id again updates it.
    let changed = Entity {
        status: EntityStatus::Deregistered,
        name: "改名后的名称".into(),
        ..first.clone()
    };
    mouding
        .put_entities(std::slice::from_ref(&changed))
        .await
        .unwrap();
    assert_eq!(mouding.entity(&first.id).await.unwrap(), Some(changed));
    assert_eq!(mouding.counts().await.unwrap().entities, 500);
}

async fn item_versions(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let today = Utc::now().date_naive();
    let yesterday = today.checked_sub_days(Days::new(1)).unwrap();
    let published = mouding.items(true).await.unwrap();
    assert_eq!(published.len(), demo::items().len());
    assert_eq!(
        mouding.items_as_published_on(yesterday).await.unwrap(),
        vec![]
    );
    // China is ahead of UTC: by tomorrow everything recorded now is in the list.
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap();
    assert_eq!(
        mouding.items_as_published_on(tomorrow).await.unwrap(),
        published
    );

    let mut item = published[0].clone();
    // Off the joint lists first: a listed item is not unpublished (see the app's
    // items tests).
    for mut l in mouding.joint_item_lists(false).await.unwrap() {
        if l.items.contains(&item.code) {
            l.items.retain(|c| *c != item.code);
            mouding
                .save_joint_item_lists(
                    std::slice::from_ref(&l),
                    &liancha_store::accounts::Actor::system("test"),
                    Utc::now(),
                )
                .await
                .unwrap();
        }
    }
    item.legal_basis.push_str("；《新规章》第一条");
    let w = mouding
        .put_items(std::slice::from_ref(&item))
        .await
        .unwrap();
    assert_eq!((w.inserted, w.updated, w.unchanged), (0, 1, 0));
    let w = mouding
        .put_items(std::slice::from_ref(&item))
        .await
        .unwrap();
    assert_eq!(
        (w.inserted, w.updated, w.unchanged),
        (0, 0, 1),
        "unchanged items get no version"
    );
    let history = mouding.item_history(&item.code).await.unwrap();
    assert_eq!(
        history.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(history[1].item, item);

    // Withdrawing keeps the item but drops it from the published list.
    item.published = false;
    mouding
        .put_items(std::slice::from_ref(&item))
        .await
        .unwrap();
    assert_eq!(
        mouding.items(true).await.unwrap().len(),
        published.len() - 1
    );
    assert_eq!(mouding.items(false).await.unwrap().len(), published.len());
    assert_eq!(
        mouding.items_as_published_on(tomorrow).await.unwrap().len(),
        published.len() - 1
    );
}

async fn joint_item_lists(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let lists = mouding.joint_item_lists(true).await.unwrap();
    let mut expected = demo::joint_item_lists();
    expected.sort_by(|a, b| a.code.cmp(&b.code));
    assert_eq!(lists, expected, "in code order");
    let mut l = lists[0].clone();
    l.items.truncate(1);
    let system = liancha_store::accounts::Actor::system("test");
    assert_eq!(
        mouding
            .save_joint_item_lists(std::slice::from_ref(&l), &system, chrono::Utc::now())
            .await
            .unwrap(),
        0,
        "replaced, not new"
    );
    assert_eq!(
        mouding.joint_item_lists(false).await.unwrap()[0].items,
        l.items
    );
}

async fn rule_books(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let eco = mouding.rule_book(Domain::Ecology).await.unwrap();
    assert_eq!(eco.ratio_bp, [500, 1000, 2000, 5000]);
    let bad = RuleBook {
        min_team_size: 1,
        ..eco.clone()
    };
    assert!(mouding.put_rule_book(&bad).await.is_err());
    assert_eq!(
        mouding.rule_book(Domain::Ecology).await.unwrap(),
        eco,
        "a refused change changes nothing"
    );

    // Versions: a change adopted now for a later day applies from that day only; a
    // form that showed an older version than the latest is refused.
    let today = liancha_domain::calendar::today_in_china();
    let system = liancha_store::accounts::Actor::system("test");
    let now = chrono::Utc::now();
    let v1 = mouding.rule_book_versions(Domain::Ecology).await.unwrap();
    assert_eq!(
        (v1.len(), v1[0].version, v1[0].effective_from),
        (1, 1, None)
    );
    let later = today + chrono::Days::new(10);
    let stricter = RuleBook {
        annual_cap: 3,
        ..eco.clone()
    };
    let v = mouding
        .save_rule_book(&stricter, later, Some(1), &system, now)
        .await
        .unwrap();
    assert_eq!(v, 2);
    assert_eq!(mouding.rule_book(Domain::Ecology).await.unwrap(), eco);
    let on = mouding.rule_book_on(Domain::Ecology, later).await.unwrap();
    assert_eq!((on.version, on.book.annual_cap), (2, 3));
    assert!(matches!(
        mouding
            .save_rule_book(&eco, later, Some(1), &system, now)
            .await,
        Err(liancha_store::StoreError::Conflict(_))
    ));
    assert_eq!(
        mouding
            .rule_book_versions(Domain::Ecology)
            .await
            .unwrap()
            .len(),
        2
    );

    // A sealed task keeps the version it was sealed under: a version saved after
    // it does not move its publication deadline.
    demo::accounts(store, now).await.unwrap();
    let (id, _) =
        liancha_store::testing::county_wide_task(store, &mouding, "bianban", "amr-admin").await;
    let task = mouding.task_or_404(id).await.unwrap();
    let sealed = mouding.rule_book_on(Domain::Market, today).await.unwrap();
    assert_eq!(task.rule_book_version, Some(sealed.version));
    let deadline = mouding.deadline_of(&task).await.unwrap();
    let slower = RuleBook {
        publication_deadline_days: sealed.book.publication_deadline_days + 10,
        ..sealed.book.clone()
    };
    mouding
        .save_rule_book(&slower, today, None, &system, now)
        .await
        .unwrap();
    assert_eq!(
        mouding.rule_book(Domain::Market).await.unwrap(),
        slower,
        "the new version is in force"
    );
    assert_eq!(mouding.deadline_of(&task).await.unwrap(), deadline);
}

async fn demo_county(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let c = mouding.counts().await.unwrap();
    assert_eq!(c.townships, 7);
    assert_eq!(c.departments, 14);
    assert_eq!(c.entities, 500);
    assert_eq!(c.legal_person_entities, 120);
    assert_eq!(c.inspectors, 150);
    assert_eq!(c.rule_books, 5, "one per domain");
    let inspectors = mouding.inspectors(None).await.unwrap();
    let mut expected = demo::inspectors();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(inspectors, expected);
    assert_eq!(mouding.inspectors(Some("amr")).await.unwrap().len(), 26);
    // A second load is refused and changes nothing.
    assert!(demo::load(store, SMALL, &|_, _| {}).await.is_err());
    assert_eq!(mouding.counts().await.unwrap(), c);
}

#[tokio::test]
async fn engine_is_chosen_by_url() {
    let db = TestDb::new(Engine::Sqlite).await;
    assert_eq!(db.store.engine(), Engine::Sqlite);
    db.finish().await;
}

const HEADER: &str =
    "统一社会信用代码,名称,类型,行业,乡镇,地址,法定代表人,成立日期,状态,信用风险分类\n";

fn uscc(n: u32) -> String {
    liancha_domain::Uscc::complete(&format!("92532323MA{:07}", n))
        .unwrap()
        .to_string()
}

fn csv_rows(n: u32) -> String {
    let mut s = String::from(HEADER);
    for i in 0..n {
        s.push_str(&format!(
            "{},牟定县共和镇第{i}号农资经营部,个体工商户,F5166,共和镇,\"共和镇龙川街{i}号, 一楼\",李明,2019-05-08,存续,{}\n",
            uscc(i),
            ["A", "B", "C", "D"][i as usize % 4]
        ));
    }
    s
}

fn write_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

async fn import(
    store: &Store,
    kind: Kind,
    path: &std::path::Path,
) -> Result<liancha_store::import::ImportOutcome, StoreError> {
    let mouding = liancha_store::testing::mouding_county(store).await;
    mouding.import_file(kind, path, &|_| {}).await
}

async fn import_entities_csv(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let dir = tempfile::tempdir().unwrap();
    // UTF-8 with a BOM, as Excel writes "CSV UTF-8".
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(csv_rows(50).as_bytes());
    let path = write_file(&dir, "entities.csv", &bytes);
    let out = import(store, Kind::Entities, &path).await.unwrap();
    assert_eq!((out.rows, out.inserted, out.updated), (50, 50, 0));
    assert_eq!(mouding.counts().await.unwrap().entities, 550);
    let e = mouding.entity(&uscc(7)).await.unwrap().unwrap();
    assert_eq!(e.address, "共和镇龙川街7号, 一楼");
    assert_eq!(e.risk_class, RiskClass::D);

    // Dynamic management: the same file with a change updates, adds nothing.
    let changed = csv_rows(50).replace("第7号农资经营部", "第7号农资经营部（已更名）");
    let path = write_file(&dir, "entities2.csv", changed.as_bytes());
    let out = import(store, Kind::Entities, &path).await.unwrap();
    assert_eq!((out.rows, out.inserted, out.updated), (50, 0, 50));
    assert_eq!(
        mouding.entity(&uscc(7)).await.unwrap().unwrap().name,
        "牟定县共和镇第7号农资经营部（已更名）"
    );
    assert_eq!(mouding.counts().await.unwrap().entities, 550);
}

async fn import_refuses_bad_check_character(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let before = mouding.counts().await.unwrap();
    let existing = demo::entities(SMALL)[3].clone();
    let dir = tempfile::tempdir().unwrap();
    // Row 2 updates an existing entity (that must not stick); row 40 (file row 41) is bad.
    let mut text = csv_rows(60);
    text = text.replacen(&uscc(0), &existing.id, 1);
    let bad = uscc(39);
    let last = bad.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    text = text.replace(&bad, &format!("{}{wrong}", &bad[..17]));
    let path = write_file(&dir, "bad.csv", text.as_bytes());
    let err = import(store, Kind::Entities, &path).await.unwrap_err();
    let StoreError::Import { errors, more } = &err else {
        panic!("{err}")
    };
    assert_eq!(*more, 0);
    assert_eq!(errors.len(), 1, "{err}");
    assert_eq!(errors[0].file, "bad.csv");
    assert_eq!(errors[0].row, 41);
    assert_eq!(errors[0].column.as_ref().map(|c| c.0.as_str()), Some("A"));
    assert!(errors[0].reason.contains("校验码"), "{}", errors[0].reason);
    let message = err.to_string();
    assert!(
        message.contains("bad.csv 第 41 行 A 列（统一社会信用代码）"),
        "{message}"
    );
    // Nothing from the file was kept, not even the rows before the bad one.
    assert_eq!(mouding.counts().await.unwrap(), before);
    assert_eq!(mouding.entity(&existing.id).await.unwrap(), Some(existing));
    assert_eq!(mouding.entity(&uscc(1)).await.unwrap(), None);
}

/// The first load into an empty directory takes PostgreSQL's fast path (rows straight
/// into the table, key built at the end): a refusal after rows were already written
/// leaves the directory empty and keyed, and the next imports insert, then update.
async fn first_import_into_empty_directory(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    let reference = DemoSize {
        legal_persons: 0,
        individuals: 0,
    };
    demo::load(store, reference, &|_, _| {}).await.unwrap();
    assert_eq!(mouding.counts().await.unwrap().entities, 0);
    let dir = tempfile::tempdir().unwrap();
    // More rows than one write batch before the bad one, so some were written.
    let rows = 12_000;
    let bad = uscc(11_000);
    let wrong = if bad.ends_with('0') { '1' } else { '0' };
    let text = csv_rows(rows).replace(&bad, &format!("{}{wrong}", &bad[..17]));
    let path = write_file(&dir, "first.csv", text.as_bytes());
    let err = import(store, Kind::Entities, &path).await.unwrap_err();
    assert!(
        err.to_string().contains("first.csv 第 11002 行 A 列"),
        "{err}"
    );
    assert_eq!(mouding.counts().await.unwrap().entities, 0);

    let path = write_file(&dir, "good.csv", csv_rows(rows).as_bytes());
    let out = import(store, Kind::Entities, &path).await.unwrap();
    assert_eq!((out.rows, out.inserted, out.updated), (12_000, 12_000, 0));
    let e = mouding.entity(&uscc(11_999)).await.unwrap().unwrap();
    assert_eq!(e.name, "牟定县共和镇第11999号农资经营部");
    let out = import(store, Kind::Entities, &path).await.unwrap();
    assert_eq!((out.rows, out.inserted, out.updated), (12_000, 0, 12_000));
    assert_eq!(mouding.counts().await.unwrap().entities, 12_000);
    // The key is there: a second row with an existing id is refused.
    let twice = liancha_store::with_pool!(store, p => sqlx::query(
        "INSERT INTO entities (id, name, entity_type, township, status, risk_class, updated_at) \
         SELECT id, name, entity_type, township, status, risk_class, updated_at FROM entities LIMIT 1")
        .execute(p).await.map(|_| ()));
    assert!(twice.is_err(), "duplicate id accepted");
}

async fn import_gbk_csv(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let dir = tempfile::tempdir().unwrap();
    let text = csv_rows(3).replace("李明", "龘𪚥鑫");
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file really is not UTF-8"
    );
    let path = write_file(&dir, "gbk.csv", &bytes);
    import(store, Kind::Entities, &path).await.unwrap();
    let e = mouding.entity(&uscc(2)).await.unwrap().unwrap();
    assert_eq!(e.name, "牟定县共和镇第2号农资经营部");
    assert_eq!(e.legal_rep, "龘𪚥鑫");
    assert_eq!(e.address, "共和镇龙川街2号, 一楼");
}

async fn import_reports_every_problem(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let before = mouding.counts().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut text = csv_rows(5);
    text = text.replacen("共和镇,", "外县镇,", 1); // row 2: unknown township
    text = text.replace("2019-05-08,存续,B", "2019-02-30,存续,B"); // row 3: bad date
    text.push_str(&format!("{},重复的,企业,,共和镇,,,,,\n", uscc(4))); // row 7: duplicate of row 6
    text.push_str(",,个体工商户,,共和镇,,,,,\n"); // row 8: no name
    let path = write_file(&dir, "many.csv", text.as_bytes());
    let err = import(store, Kind::Entities, &path).await.unwrap_err();
    let StoreError::Import { errors, .. } = &err else {
        panic!("{err}")
    };
    let got: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| (e.row, e.column.as_ref().map(|c| c.1.as_str()).unwrap_or("")))
        .collect();
    assert_eq!(
        got,
        [
            (2, "乡镇"),
            (3, "成立日期"),
            (7, "统一社会信用代码"),
            (8, "名称")
        ],
        "{err}"
    );
    assert!(errors[2].reason.contains("第 6 行"), "{}", errors[2].reason);
    assert_eq!(mouding.counts().await.unwrap(), before);

    // A file without a required column is refused before any row is read.
    let path = write_file(&dir, "nocol.csv", "统一社会信用代码,名称\n".as_bytes());
    let err = import(store, Kind::Entities, &path).await.unwrap_err();
    assert!(err.to_string().contains("缺少必填列「类型」"), "{err}");
}

async fn export_import_round_trip(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let dir = tempfile::tempdir().unwrap();
    for ext in ["xlsx", "csv"] {
        let path = dir.path().join(format!("entities.{ext}"));
        let n = mouding
            .export_file(Kind::Entities, &path, &|_| {})
            .await
            .unwrap();
        assert_eq!(n, 500);
        let other = TestDb::new(store.engine()).await;
        demo::load(
            &other.store,
            DemoSize {
                legal_persons: 0,
                individuals: 0,
            },
            &|_, _| {},
        )
        .await
        .unwrap();
        let other_county = liancha_store::testing::mouding_county(&other.store).await;
        let out = other_county
            .import_file(Kind::Entities, &path, &|_| {})
            .await
            .unwrap();
        assert_eq!(out.inserted, 500, "{ext}");
        let a = mouding
            .entities(&EntityFilter::default(), 0, 1000)
            .await
            .unwrap()
            .rows;
        let b = other_county
            .entities(&EntityFilter::default(), 0, 1000)
            .await
            .unwrap()
            .rows;
        assert_eq!(a, b, "{ext}: every field survives export and re-import");
        other.finish().await;
    }
    // Imported again as it is, the directory is left as it was, down to each row's
    // `updated_at`; a row changed in the file is the one row rewritten.
    let stamps = async || -> Vec<(String, chrono::DateTime<Utc>)> {
        liancha_store::with_pool!(store, p => sqlx::query_as(
            "SELECT id, updated_at FROM entities WHERE county = '532323' ORDER BY id")
            .fetch_all(p).await)
        .unwrap()
    };
    let csv = dir.path().join("entities.csv");
    let before = stamps().await;
    let again = mouding
        .import_file(Kind::Entities, &csv, &|_| {})
        .await
        .unwrap();
    assert_eq!((again.rows, again.inserted), (500, 0));
    assert_eq!(stamps().await, before, "nothing rewritten");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let first = mouding
        .entities(&EntityFilter::default(), 0, 1)
        .await
        .unwrap()
        .rows[0]
        .clone();
    let at = lines.iter().position(|l| l.contains(&first.name)).unwrap();
    lines[at] = lines[at].replace(&first.name, "改过名称的主体");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    mouding
        .import_file(Kind::Entities, &csv, &|_| {})
        .await
        .unwrap();
    let after = stamps().await;
    let changed: Vec<&String> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| &b.0)
        .collect();
    assert_eq!(changed, [&first.id]);
    assert_eq!(
        mouding.entity(&first.id).await.unwrap().unwrap().name,
        "改过名称的主体"
    );
    // Joint item lists go out and come back as they were: nothing new, nothing changed.
    let path = dir.path().join("lists.xlsx");
    let before = mouding.joint_item_lists(false).await.unwrap();
    assert!(
        mouding
            .export_file(Kind::JointLists, &path, &|_| {})
            .await
            .unwrap()
            > 0
    );
    let again = mouding
        .import_file(Kind::JointLists, &path, &|_| {})
        .await
        .unwrap();
    assert_eq!((again.rows, again.inserted), (before.len() as u64, 0));
    assert_eq!(mouding.joint_item_lists(false).await.unwrap(), before);
}

async fn import_inspectors_and_items(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inspectors.xlsx");
    mouding
        .export_file(Kind::Inspectors, &path, &|_| {})
        .await
        .unwrap();
    let out = import(store, Kind::Inspectors, &path).await.unwrap();
    assert_eq!((out.rows, out.inserted, out.updated), (150, 0, 150));
    let text = "执法人员编号,姓名,所属部门,执法证号,执法证有效期至\n9999,赵六,牟定县市场监督管理局,5300000001,2030-01-01\n9998,钱七,不存在的局,5300000002,2030-01-01\n";
    let path = write_file(&dir, "insp.csv", text.as_bytes());
    let err = import(store, Kind::Inspectors, &path).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("insp.csv 第 3 行 C 列（所属部门）"),
        "{err}"
    );
    assert_eq!(
        mouding.inspector("9999").await.unwrap(),
        None,
        "nothing from a refused file is kept"
    );

    let path = dir.path().join("items.csv");
    mouding
        .export_file(Kind::Items, &path, &|_| {})
        .await
        .unwrap();
    let out = import(store, Kind::Items, &path).await.unwrap();
    assert_eq!(
        (out.inserted, out.updated),
        (0, 0),
        "an unchanged list gets no new versions"
    );
    assert_eq!(mouding.items(false).await.unwrap(), {
        let mut i = demo::items();
        i.sort_by(|a, b| a.code.cmp(&b.code));
        i
    });

    let tpl = dir.path().join("template.xlsx");
    liancha_store::export::write_template(
        Kind::Entities,
        &tpl,
        &liancha_store::export::Examples::default(),
    )
    .unwrap();
    // A template is a valid, empty import file.
    let out = import(store, Kind::Entities, &tpl).await.unwrap();
    assert_eq!(out.rows, 0);
}

/// Every pooled connection refuses writes from now on, as on a read-only file or a
/// standby server.
async fn make_read_only(store: &Store) {
    liancha_store::with_pool!(store, p => {
        let mut held = Vec::new();
        for _ in 0..p.options().get_max_connections() {
            held.push(p.acquire().await.unwrap());
        }
        let sql = match store.engine() {
            Engine::Sqlite => "PRAGMA query_only = ON",
            Engine::Postgres => "SET SESSION default_transaction_read_only = on",
        };
        for c in &mut held {
            sqlx::query(sql).execute(&mut **c).await.unwrap();
        }
    });
}

/// The writer fails at its first statement while the reader has more batches than
/// the channel holds: the import must end with the writer's reason, not wait forever.
async fn import_onto_read_only_database(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    small_demo(store).await;
    let before = mouding.counts().await.unwrap().entities;
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "ro.csv", csv_rows(30_000).as_bytes());
    make_read_only(store).await;
    let started = std::time::Instant::now();
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        import(store, Kind::Entities, &path),
    )
    .await
    .expect("the import hung on a read-only database");
    assert!(matches!(r, Err(StoreError::ReadOnly)), "{r:?}");
    assert!(
        r.unwrap_err().to_string().contains("只读"),
        "the message says what happened"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(mouding.counts().await.unwrap().entities, before);
}

/// The disk fills while the first load writes straight into the directory: the
/// statement fails after it started reading the batches.
async fn import_onto_full_disk(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    demo::load(
        store,
        DemoSize {
            legal_persons: 0,
            individuals: 0,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "full.csv", csv_rows(40_000).as_bytes());
    // Room for a few thousand rows more, not forty thousand.
    liancha_store::with_pool!(store, p => {
        let mut held = Vec::new();
        for _ in 0..p.options().get_max_connections() {
            held.push(p.acquire().await.unwrap());
        }
        for c in &mut held {
            match store.engine() {
                Engine::Sqlite => {
                    let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut **c).await.unwrap();
                    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {}", pages + 200)))
                        .execute(&mut **c).await.unwrap();
                }
                // PostgreSQL has no page limit to set; a full disk fails its COPY the
                // same way, and a read-only server is the test above.
                Engine::Postgres => {
                    sqlx::query("SET SESSION default_transaction_read_only = on").execute(&mut **c).await.unwrap();
                }
            }
        }
    });
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        import(store, Kind::Entities, &path),
    )
    .await
    .expect("the import hung when the disk filled");
    match store.engine() {
        Engine::Sqlite => assert!(matches!(r, Err(StoreError::DiskFull)), "{r:?}"),
        Engine::Postgres => assert!(matches!(r, Err(StoreError::ReadOnly)), "{r:?}"),
    }
    assert_eq!(mouding.counts().await.unwrap().entities, 0);
}
