//! Items kept on the web, on both engines: a department drafts, publishes and
//! withdraws its own items with every version kept; the draft goes through the
//! import's rules; a refused step changes nothing; a draft over a version someone
//! else wrote is refused. Joint item lists are public only once the 编办 approved
//! them, and a change asks for approval again. An item's least ratio raises the
//! rule book's when a task is sealed.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_app::items::{ItemQuery, ItemState};
use liancha_app::{App, AppError};
use liancha_domain::ItemCategory;
use liancha_domain::workflow::SourceDecl;
use liancha_store::Store;
use liancha_store::tasks::QuotaSpec;

mod common;
use common::ctx;

liancha_store::on_both_engines!(
    items_are_drafted_published_and_withdrawn,
    joint_lists_are_public_once_approved,
    an_items_ratio_raises_the_rule_books,
    publishing_and_withdrawing_at_once,
    listing_and_withdrawing_at_once,
    publishing_asks_how_an_item_is_checked
);

fn mouding_code() -> liancha_domain::org::DivisionCode {
    liancha_domain::org::DivisionCode::parse("532323").unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn cells(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn new_item() -> BTreeMap<String, String> {
    cells(&[
        ("code", "SC-009"),
        ("name", "广告发布行为的检查"),
        ("legal_basis", "《中华人民共和国广告法》第四十九条"),
        ("department", "amr"),
        ("methods", "on-site、documentary"),
        ("category", "key"),
        ("ratio", "5"),
        ("frequency", "1"),
        ("cooperating", "health"),
        ("national_code", "JC-GG-0001"),
    ])
}

async fn items_are_drafted_published_and_withdrawn(store: &Store) {
    let mouding = common::demo_county(store, 10, 10, t0()).await;
    let app = App::new(store.clone());
    let amr = ctx(store, "amr-admin", t0()).await;
    let agri = ctx(store, "agri-admin", t0()).await;
    let inspector = ctx(store, "inspector", t0()).await;
    let public_before = mouding.items(true).await.unwrap();
    let all = liancha_store::audit::AuditFilter::default();
    let audit_before = mouding.audit_count(&all).await.unwrap();

    // Refused drafts write nothing: another department's item, an inspector, a
    // frequency above the rule book's cap (the import's rule, beside its field).
    assert!(matches!(
        app.save_item_draft(&agri, &new_item(), 0, 0).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app.save_item_draft(&inspector, &new_item(), 0, 0).await,
        Err(AppError::Forbidden)
    ));
    let mut over = new_item();
    over.insert("frequency".into(), "9".into());
    match app.save_item_draft(&amr, &over, 0, 0).await {
        Err(AppError::Invalid { field, message }) => {
            assert_eq!(field.as_deref(), Some("frequency"));
            assert!(message.contains("年度抽查上限"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A code already taken is not a new item.
    let mut taken = new_item();
    taken.insert("code".into(), "SC-001".into());
    assert!(matches!(
        app.save_item_draft(&amr, &taken, 0, 0).await,
        Err(AppError::Invalid { field: Some(f), .. }) if f == "code"
    ));
    assert!(mouding.item_drafts().await.unwrap().is_empty());
    assert_eq!(mouding.audit_count(&all).await.unwrap(), audit_before);

    // A draft: the public list is unchanged; its keepers see it, others do not.
    let code = app.save_item_draft(&amr, &new_item(), 0, 0).await.unwrap();
    assert_eq!(code, "SC-009");
    // Another department cannot take the new code's draft over, nor can a page
    // that did not see the draft replace it.
    let mut theirs = new_item();
    theirs.insert("department".into(), "agri".into());
    theirs.insert("cooperating".into(), String::new());
    assert!(matches!(
        app.save_item_draft(&agri, &theirs, 0, 0).await,
        Err(AppError::Invalid { field: Some(f), .. }) if f == "code"
    ));
    assert!(matches!(
        app.save_item_draft(&amr, &new_item(), 0, 0).await,
        Err(AppError::Invalid { field: Some(f), .. }) if f == "code"
    ));
    assert_eq!(
        mouding
            .item_draft("SC-009")
            .await
            .unwrap()
            .unwrap()
            .department,
        "amr"
    );
    assert_eq!(mouding.items(true).await.unwrap(), public_before);
    let drafted = ItemQuery {
        state: Some(ItemState::Drafted),
        ..ItemQuery::default()
    };
    let lines = app.staff_items(&amr, &drafted).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert!(!lines[0].listed);
    assert_eq!(lines[0].item.category, ItemCategory::Key);
    assert!(app.staff_items(&agri, &drafted).await.unwrap().is_empty());
    assert!(matches!(
        app.item_record(&agri, "SC-009").await,
        Err(AppError::NotFound(_))
    ));

    // Publishing needs a reason and the revision the page showed.
    let record = app.item_record(&amr, "SC-009").await.unwrap();
    let revision = record.draft.as_ref().unwrap().revision;
    assert!(matches!(
        app.publish_item(&amr, "SC-009", revision, "").await,
        Err(AppError::Invalid { field: Some(f), .. }) if f == "reason"
    ));
    assert!(matches!(
        app.publish_item(&amr, "SC-009", revision + 1, "新增广告事项")
            .await,
        Err(AppError::Conflict(_))
    ));
    assert!(matches!(
        app.publish_item(&agri, "SC-009", revision, "新增广告事项")
            .await,
        Err(AppError::Forbidden)
    ));
    app.publish_item(&amr, "SC-009", revision, "新增广告事项")
        .await
        .unwrap();
    let published = mouding.item("SC-009").await.unwrap().unwrap();
    assert!(published.published);
    assert_eq!(published.ratio_bp, Some(500));
    assert_eq!(published.frequency, Some(1));
    assert_eq!(published.cooperating, vec!["health".to_string()]);
    assert_eq!(published.national_code.as_deref(), Some("JC-GG-0001"));
    assert!(mouding.item_draft("SC-009").await.unwrap().is_none());
    assert!(mouding.items(true).await.unwrap().contains(&published));
    // Everyone reads it now; the other department cannot change it.
    let seen = app.item_record(&agri, "SC-009").await.unwrap();
    assert!(!seen.editable);
    assert_eq!(seen.history.lines.len(), 2, "draft and publication");

    // A change is a draft over version 1; an import meanwhile makes it stale.
    let mut renamed = new_item();
    renamed.insert("name".into(), "广告发布行为的监督检查".into());
    assert!(matches!(
        app.save_item_draft(&amr, &renamed, 0, 0).await,
        Err(AppError::Invalid { .. })
    ));
    app.save_item_draft(&amr, &renamed, 1, 0).await.unwrap();
    let revision = mouding
        .item_draft("SC-009")
        .await
        .unwrap()
        .unwrap()
        .revision;
    let mut imported = published.clone();
    imported.content = "导入的抽查内容".into();
    mouding.put_items(&[imported]).await.unwrap();
    assert!(matches!(
        app.publish_item(&amr, "SC-009", revision, "改名").await,
        Err(AppError::Conflict(_))
    ));
    assert_eq!(
        mouding.item("SC-009").await.unwrap().unwrap().name,
        "广告发布行为的检查",
        "the refused publication changed nothing"
    );
    // Drafted again over version 2 (and the draft as it is), published: version 3.
    assert!(matches!(
        app.save_item_draft(&amr, &renamed, 2, 0).await,
        Err(AppError::Conflict(_))
    ));
    app.save_item_draft(&amr, &renamed, 2, revision)
        .await
        .unwrap();
    let revision = mouding
        .item_draft("SC-009")
        .await
        .unwrap()
        .unwrap()
        .revision;
    assert_eq!(
        app.publish_item(&amr, "SC-009", revision, "改名")
            .await
            .unwrap(),
        3
    );

    // Withdrawn: off the public list, every version kept.
    assert!(matches!(
        app.withdraw_item(&amr, "SC-009", 2, "并入 SC-001").await,
        Err(AppError::Conflict(_))
    ));
    app.withdraw_item(&amr, "SC-009", 3, "并入 SC-001")
        .await
        .unwrap();
    assert!(
        !mouding
            .items(true)
            .await
            .unwrap()
            .iter()
            .any(|i| i.code == "SC-009")
    );
    assert!(matches!(
        app.withdraw_item(&amr, "SC-009", 4, "再撤一次").await,
        Err(AppError::WrongState(_))
    ));
    let versions = mouding.item_history("SC-009").await.unwrap();
    assert_eq!(versions.len(), 4);
    assert!(versions[2].item.published && !versions[3].item.published);

    // Discarding needs the draft the page showed.
    app.save_item_draft(&amr, &renamed, 4, 0).await.unwrap();
    let revision = mouding
        .item_draft("SC-009")
        .await
        .unwrap()
        .unwrap()
        .revision;
    assert!(matches!(
        app.discard_item_draft(&amr, "SC-009", revision + 1).await,
        Err(AppError::Conflict(_))
    ));
    app.discard_item_draft(&amr, "SC-009", revision)
        .await
        .unwrap();
    assert!(mouding.item_draft("SC-009").await.unwrap().is_none());
}

/// A draft may leave 抽查方式 for later; publishing asks for it, nothing written.
async fn publishing_asks_how_an_item_is_checked(store: &Store) {
    let mouding = common::demo_county(store, 10, 10, t0()).await;
    let app = App::new(store.clone());
    let amr = ctx(store, "amr-admin", t0()).await;
    let mut cells = new_item();
    cells.remove("methods");
    app.save_item_draft(&amr, &cells, 0, 0).await.unwrap();
    let revision = mouding
        .item_draft("SC-009")
        .await
        .unwrap()
        .unwrap()
        .revision;
    match app.publish_item(&amr, "SC-009", revision, "新增").await {
        Err(AppError::Invalid {
            field: None,
            message,
        }) => {
            assert!(
                message.contains("抽查方式：已发布的事项须填写抽查方式"),
                "{message}"
            );
            assert!(message.contains("请先在上方修改草稿"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(mouding.item("SC-009").await.unwrap().is_none());
    assert!(mouding.item_draft("SC-009").await.unwrap().is_some());
}

async fn joint_lists_are_public_once_approved(store: &Store) {
    let mouding = common::demo_county(store, 10, 10, t0()).await;
    let app = App::new(store.clone());
    let admin = ctx(store, "admin", t0()).await;
    let bianban = ctx(store, "bianban", t0()).await;
    let amr = ctx(store, "amr-admin", t0()).await;
    let public = mouding.joint_item_lists(true).await.unwrap();
    assert!(!public.is_empty(), "the demo's lists are approved");

    // A joint list holds published items only.
    let mut with_draft = public[0].clone();
    let mut hidden = mouding.item("SC-005").await.unwrap().unwrap();
    hidden.code = "SC-099".into();
    hidden.published = false;
    mouding.put_items(&[hidden]).await.unwrap();
    with_draft.items.push("SC-099".into());
    match app.save_joint_item_list(&admin, &with_draft).await {
        Err(AppError::Invalid { message, .. }) => {
            assert!(message.contains("尚未发布"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(mouding.joint_item_lists(true).await.unwrap(), public);

    // An item a joint list names is not withdrawn from under it.
    let version = mouding.item_version("SC-001").await.unwrap();
    match app.withdraw_item(&amr, "SC-001", version, "并入他项").await {
        Err(AppError::WrongState(m)) => assert!(m.contains("LC-market"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(mouding.item("SC-001").await.unwrap().unwrap().published);
    // Nor by a file that says it is unpublished: refused at preview and at import
    // (the CLI's path too), nothing of the file written.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.csv");
    app.export_items(&amr, &file).await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let unpublished: String = text
        .lines()
        .map(|l| {
            if l.starts_with("SC-001,") {
                l.replace("已发布", "草稿")
            } else if l.starts_with("SC-002,") {
                l.replace("抽查", "抽查（改）")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(unpublished, text.trim_end());
    std::fs::write(&file, unpublished).unwrap();
    let sc002 = mouding.item("SC-002").await.unwrap();
    for refused in [
        app.preview_import(&amr, liancha_store::import::Kind::Items, &file)
            .await
            .map(|_| ()),
        app.import_directory(&amr, liancha_store::import::Kind::Items, &file, None, true)
            .await
            .map(|_| ()),
        app.import_as_operator(
            &mouding_code(),
            liancha_store::import::Kind::Items,
            &file,
            &|_| {},
        )
        .await
        .map(|_| ()),
    ] {
        match refused {
            Err(AppError::WrongState(m)) => {
                assert!(
                    m.contains("SC-001（LC-market") && m.contains("未导入任何记录"),
                    "{m}"
                )
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert!(mouding.item("SC-001").await.unwrap().unwrap().published);
    assert_eq!(mouding.item("SC-002").await.unwrap(), sc002);

    // Saving the same list again keeps its approval.
    let mut list = public[0].clone();
    app.save_joint_item_list(&admin, &list).await.unwrap();
    assert_eq!(mouding.joint_item_lists(true).await.unwrap(), public);

    // A change takes it off the public pages until the 编办 approves it.
    list.items.truncate(1);
    app.save_joint_item_list(&admin, &list).await.unwrap();
    assert!(
        !mouding
            .joint_item_lists(true)
            .await
            .unwrap()
            .iter()
            .any(|l| l.code == list.code)
    );
    let line = app
        .joint_lists(&bianban)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.list.code == list.code)
        .unwrap();
    assert!(!line.approval.approved());
    // The 编办 sees what changed since its approval.
    assert!(line.approval.approved_items.len() > list.items.len());
    let revision = line.approval.revision;

    // Sent back (退回) with a reason: a draft again; submitted again, it waits anew.
    assert!(matches!(
        app.return_joint_list(&bianban, &list.code, revision, "").await,
        Err(AppError::Invalid { field: Some(f), .. }) if f == "reason"
    ));
    assert!(matches!(
        app.return_joint_list(&admin, &list.code, revision, "不宜纳入")
            .await,
        Err(AppError::Forbidden)
    ));
    app.return_joint_list(&bianban, &list.code, revision, "SC 事项不宜纳入联合抽查")
        .await
        .unwrap();
    // The lead department sees why, until the list is submitted again.
    let returned_to = |approvals: Vec<liancha_store::items::JointListApproval>| {
        approvals
            .into_iter()
            .find(|a| a.code == list.code)
            .unwrap()
            .returned
    };
    let why = returned_to(mouding.joint_list_approvals().await.unwrap()).expect("returned");
    assert_eq!(why.reason, "SC 事项不宜纳入联合抽查");
    assert_eq!(why.by, "bianban");
    assert_eq!(why.at, t0());
    // The lead department corrects and submits it itself; another department may not.
    let agri = ctx(store, "agri-admin", t0()).await;
    let (lead, other) = match list.lead_department.as_str() {
        "amr" => (&amr, &agri),
        "agri" => (&agri, &amr),
        l => panic!("a demo account of {l}"),
    };
    assert!(matches!(
        app.save_joint_item_list(other, &list).await,
        Err(AppError::Forbidden)
    ));
    let mut elsewhere = list.clone();
    elsewhere.lead_department = other.principal.department.clone().unwrap();
    assert!(matches!(
        app.save_joint_item_list(lead, &elsewhere).await,
        Err(AppError::Forbidden)
    ));
    let returned = mouding.joint_item_lists(false).await.unwrap();
    assert!(
        !returned
            .iter()
            .find(|l| l.code == list.code)
            .unwrap()
            .published
    );
    assert!(matches!(
        app.approve_joint_list(&bianban, &list.code, revision + 1)
            .await,
        Err(AppError::WrongState(_))
    ));
    app.save_joint_item_list(lead, &list).await.unwrap();
    assert_eq!(
        returned_to(mouding.joint_list_approvals().await.unwrap()),
        None,
        "submitted again"
    );
    let revision = mouding
        .joint_list_approvals()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.code == list.code)
        .unwrap()
        .revision;
    for who in [&admin, &amr] {
        assert!(matches!(
            app.approve_joint_list(who, &list.code, revision).await,
            Err(AppError::Forbidden)
        ));
    }
    assert!(matches!(
        app.approve_joint_list(&bianban, &list.code, revision - 1)
            .await,
        Err(AppError::Conflict(_))
    ));
    app.approve_joint_list(&bianban, &list.code, revision)
        .await
        .unwrap();
    assert!(matches!(
        app.approve_joint_list(&bianban, &list.code, revision).await,
        Err(AppError::WrongState(_))
    ));
    let now_public = mouding.joint_item_lists(true).await.unwrap();
    assert_eq!(now_public.iter().find(|l| l.code == list.code), Some(&list));
    let approval = mouding
        .joint_list_approvals()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.code == list.code)
        .unwrap();
    assert_eq!(approval.approved_at, Some(t0()));
    assert!(!approval.approved_by.is_empty());

    // A draft list (not submitted) cannot be approved.
    list.published = false;
    app.save_joint_item_list(&admin, &list).await.unwrap();
    let revision = mouding
        .joint_list_approvals()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.code == list.code)
        .unwrap()
        .revision;
    assert!(matches!(
        app.approve_joint_list(&bianban, &list.code, revision).await,
        Err(AppError::WrongState(_))
    ));
}

async fn an_items_ratio_raises_the_rule_books(store: &Store) {
    let mouding = common::demo_county(store, 60, 60, t0()).await;
    let bianban = ctx(store, "bianban", t0()).await;
    let start = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
    let sources = |_: DateTime<Utc>| {
        vec![SourceDecl::other("公证员现场掷骰", t0() + Duration::minutes(5)).unwrap()]
    };
    // SC-001 requires at least 40% of every class.
    let mut item = mouding.item("SC-001").await.unwrap().unwrap();
    item.ratio_bp = Some(4000);
    mouding.put_items(&[item]).await.unwrap();

    let by_book = mouding
        .create_task(
            &common::joint_task("按细则", QuotaSpec::RuleBook, start),
            &bianban.actor(),
            t0(),
        )
        .await
        .unwrap();
    liancha_store::testing::approve(&mouding, by_book, 1, t0()).await;
    mouding
        .commit_task(by_book, 1, &sources(t0()), &bianban.actor(), t0())
        .await
        .unwrap();
    let plan: serde_json::Value =
        serde_json::from_str(&mouding.plan_json(by_book).await.unwrap().unwrap()).unwrap();
    let ratios: Vec<i64> = plan["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["ratio_bp"].as_i64().unwrap())
        .collect();
    // The demo's market rule book: 3, 5, 10, 20 % — each raised to 40 %.
    assert_eq!(ratios, vec![4000, 4000, 4000, 4000]);

    // Ratios set by hand below the item's are refused, nothing sealed.
    let by_hand = mouding
        .create_task(
            &common::joint_task(
                "手工比例",
                QuotaSpec::RatioBp([5000, 5000, 5000, 100]),
                start,
            ),
            &bianban.actor(),
            t0(),
        )
        .await
        .unwrap();
    liancha_store::testing::approve(&mouding, by_hand, 1, t0()).await;
    match mouding
        .commit_task(by_hand, 1, &sources(t0()), &bianban.actor(), t0())
        .await
    {
        Err(liancha_store::StoreError::Invalid { field, message }) => {
            assert_eq!(field, Some("quotas"));
            assert!(message.contains("不低于 40%"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(mouding.plan_json(by_hand).await.unwrap().is_none());
}

/// Two keepers at the same time: one publishes a draft of an item while the other
/// withdraws it, both from the same version. Exactly one goes through, the other is
/// refused as a conflict (never a database error), and the versions stay gapless.
async fn publishing_and_withdrawing_at_once(store: &Store) {
    let mouding = common::demo_county(store, 10, 10, t0()).await;
    let app = App::new(store.clone());
    let amr = ctx(store, "amr-admin", t0()).await;
    let mut cells = new_item();
    for round in 0..6 {
        let version = mouding.item_version("SC-009").await.unwrap();
        if version > 0 && !mouding.item("SC-009").await.unwrap().unwrap().published {
            // Withdrawn last round: publish it again first.
            cells.insert(
                "name".into(),
                format!("广告发布行为的检查（第 {round} 轮）"),
            );
            app.save_item_draft(&amr, &cells, version, 0).await.unwrap();
            let revision = mouding
                .item_draft("SC-009")
                .await
                .unwrap()
                .unwrap()
                .revision;
            app.publish_item(&amr, "SC-009", revision, "重新发布")
                .await
                .unwrap();
        } else if version == 0 {
            app.save_item_draft(&amr, &cells, 0, 0).await.unwrap();
            let revision = mouding
                .item_draft("SC-009")
                .await
                .unwrap()
                .unwrap()
                .revision;
            app.publish_item(&amr, "SC-009", revision, "新增")
                .await
                .unwrap();
        }
        let version = mouding.item_version("SC-009").await.unwrap();
        cells.insert("name".into(), format!("广告发布行为的检查（改 {round}）"));
        app.save_item_draft(&amr, &cells, version, 0).await.unwrap();
        let revision = mouding
            .item_draft("SC-009")
            .await
            .unwrap()
            .unwrap()
            .revision;
        let (published, withdrawn) = tokio::join!(
            app.publish_item(&amr, "SC-009", revision, "改名"),
            app.withdraw_item(&amr, "SC-009", version, "撤回"),
        );
        let ok = [published.is_ok(), withdrawn.is_ok()];
        assert_eq!(
            ok.iter().filter(|o| **o).count(),
            1,
            "{published:?} {withdrawn:?}"
        );
        for e in [published.as_ref().err(), withdrawn.as_ref().err()]
            .into_iter()
            .flatten()
        {
            assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
        }
        let versions = mouding.item_history("SC-009").await.unwrap();
        let numbers: Vec<i64> = versions.iter().map(|v| v.version).collect();
        assert_eq!(numbers, (1..=versions.len() as i64).collect::<Vec<_>>());
        // A refused publication leaves its draft to publish again or discard.
        if withdrawn.is_ok() {
            assert!(mouding.item_draft("SC-009").await.unwrap().is_some());
            app.discard_item_draft(&amr, "SC-009", revision)
                .await
                .unwrap();
        }
    }
}

/// A coordinator puts an item on a joint list while its department withdraws it.
/// Exactly one goes through: never a public list naming an unpublished item.
async fn listing_and_withdrawing_at_once(store: &Store) {
    let mouding = common::demo_county(store, 10, 10, t0()).await;
    let app = App::new(store.clone());
    let admin = ctx(store, "admin", t0()).await;
    let amr = ctx(store, "amr-admin", t0()).await;
    let list = mouding
        .joint_item_lists(true)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.code == "LC-market")
        .unwrap();
    let mut cells = new_item();
    for round in 0..6 {
        let version = mouding.item_version("SC-009").await.unwrap();
        cells.insert(
            "name".into(),
            format!("广告发布行为的检查（第 {round} 轮）"),
        );
        app.save_item_draft(&amr, &cells, version, 0).await.unwrap();
        let revision = mouding
            .item_draft("SC-009")
            .await
            .unwrap()
            .unwrap()
            .revision;
        app.publish_item(&amr, "SC-009", revision, "发布")
            .await
            .unwrap();
        let version = mouding.item_version("SC-009").await.unwrap();
        let mut with_it = list.clone();
        with_it.items.push("SC-009".into());
        let (listed, withdrawn) = tokio::join!(
            app.save_joint_item_list(&admin, &with_it),
            app.withdraw_item(&amr, "SC-009", version, "撤回"),
        );
        assert_eq!(
            [listed.is_ok(), withdrawn.is_ok()]
                .iter()
                .filter(|o| **o)
                .count(),
            1,
            "round {round}: {listed:?} {withdrawn:?}"
        );
        let item = mouding.item("SC-009").await.unwrap().unwrap();
        let named = mouding
            .joint_item_lists(false)
            .await
            .unwrap()
            .iter()
            .any(|l| l.items.iter().any(|i| i == "SC-009"));
        assert_eq!(named, item.published, "round {round}");
        if listed.is_ok() {
            assert!(
                matches!(withdrawn, Err(AppError::WrongState(_))),
                "{withdrawn:?}"
            );
            // Off the list again, to withdraw it for the next round.
            app.save_joint_item_list(&admin, &list).await.unwrap();
            app.withdraw_item(&amr, "SC-009", version, "撤回")
                .await
                .unwrap();
        } else {
            assert!(
                matches!(listed, Err(AppError::Invalid { .. })),
                "{listed:?}"
            );
        }
    }
}
