//! Two counties and a prefecture in one installation, over real HTTP on both engines:
//! a county's accounts never read or change another county's data, whatever route,
//! id, query or cookie they try, and the prefecture's office reads the counties below
//! it and changes nothing. 0 leaks is the only passing count.
//!
//! 南华县 (532324) gets work of every kind with marked text in it (titles, findings,
//! notes, file names); every page 牟定县's accounts can open is searched for the marks,
//! every 南华县 id is tried on every route that takes one, and afterwards 南华县's audit
//! trail and task versions show that nothing of it changed.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use liancha_domain::workflow::{
    CreditList, ResultCategory, SourceDecl, TargetedSource, TaskMode, WitnessRole,
};
use liancha_domain::{Domain, InspectionMethod};
use liancha_store::accounts::Actor;
use liancha_store::demo::DemoSize;
use liancha_store::results::{ItemResult, NewTargeted};
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::{County, Engine, Store};

mod common;
use common::Session;

const PASSWORD: &str = liancha_store::demo::DEMO_PASSWORD;
/// Text that appears only in 南华县's rows.
const MARK: &str = "南华保密";

/// What 南华县 holds, for the routes to be tried with.
struct Nanhua {
    drawn: i64,
    published: i64,
    draft: i64,
    plan: i64,
    entry: i64,
    visit_entity: String,
    attachment: i64,
    targeted: i64,
    follow_up: i64,
    proposal: i64,
    user: i64,
    inspector: String,
    /// A campaign the prefecture set for 南华县 alone.
    campaign: i64,
    /// The drawn visit's code, and an entity's complaint about it.
    code: String,
    complaint: i64,
    /// A credit repair application of the confirmed listing, and an objection to a
    /// published result.
    repair: i64,
    objection: i64,
}

async fn actor(store: &Store, name: &str) -> Actor {
    (&store.user_by_name(name).await.unwrap().unwrap().principal()).into()
}

fn task(title: &str, items: &[&str]) -> NewTask {
    let today = liancha_domain::calendar::today_in_china();
    NewTask {
        year: chrono::Datelike::year(&today),
        title: format!("{MARK}{title}"),
        domain: Domain::Market,
        mode: TaskMode::Comprehensive,
        lead_department: "amr".into(),
        items: items.iter().map(|s| s.to_string()).collect(),
        scope: TaskScopeFilter::default(),
        quotas: QuotaSpec::Count([1, 1, 1, 1]),
        team_count: 1,
        team_size: 2,
        avoid_same_township: false,
        inspection_start: today,
        inspection_end: today + Duration::days(30),
        plan_entry_id: None,
    }
}

fn result(item: &str, category: ResultCategory) -> ItemResult {
    ItemResult {
        item_code: item.into(),
        categories: vec![category],
        methods: vec![InspectionMethod::OnSite],
        findings: format!("{MARK}的检查情况"),
    }
}

/// Seals and draws a task of 南华县's, at times a little before now.
async fn drawn(c: &County<'_>, id: i64, who: &Actor) {
    let now = Utc::now() - Duration::minutes(5);
    let v = c.task_or_404(id).await.unwrap().version;
    liancha_store::testing::approve(c, id, v, now).await;
    let dice = SourceDecl::other("掷骰", now + Duration::seconds(1)).unwrap();
    c.commit_task(id, v, &[dice], who, now).await.unwrap();
    let v = c.task_or_404(id).await.unwrap().version;
    c.reveal_and_draw(id, v, &["4".into()], who, now + Duration::seconds(2))
        .await
        .unwrap();
    liancha_store::testing::check_in_all(c, id, now).await;
}

async fn nanhua_work(store: &Store) -> Nanhua {
    let c = store.county(&liancha_store::demo::NANHUA.division());
    let coordinator = actor(store, "nh-bianban").await;
    let amr = actor(store, "nh-amr-admin").await;
    let agri = actor(store, "nh-agri-admin").await;
    let now = Utc::now();
    let today = liancha_domain::calendar::today_in_china();

    let drawn_id = c
        .create_task(&task("在办联查", &["SC-001", "NY-001"]), &coordinator, now)
        .await
        .unwrap();
    drawn(&c, drawn_id, &coordinator).await;
    c.add_witness(
        drawn_id,
        &format!("{MARK}见证人"),
        WitnessRole::Notary,
        "公证处",
        &coordinator,
        now,
    )
    .await
    .unwrap();
    let visit = c
        .visits(drawn_id)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.team_no.is_some())
        .unwrap();
    c.record_results(
        drawn_id,
        &visit.entity_id,
        today,
        &[
            result("SC-001", ResultCategory::NoProblem),
            result("NY-001", ResultCategory::NoProblem),
        ],
        &amr,
        now,
    )
    .await
    .unwrap();
    let complaint = c
        .complain(
            &visit.check_code,
            &liancha_domain::check_in::Complaint {
                text: format!("{MARK}投诉"),
                contact: None,
            },
            now,
        )
        .await
        .unwrap();
    let attachment = c
        .add_attachment(
            drawn_id,
            Some(&visit.entity_id),
            liancha_domain::attachment::AttachmentPurpose::Result,
            "南华保密照片.png",
            &png(),
            false,
            &amr,
            now,
        )
        .await
        .unwrap();

    // A published task whose findings lead to a follow-up and a credit proposal.
    let published = c
        .create_task(
            &task("已公示联查", &["SC-001", "NY-001"]),
            &coordinator,
            now,
        )
        .await
        .unwrap();
    drawn(&c, published, &coordinator).await;
    for v in c.visits(published).await.unwrap() {
        if v.team_no.is_some() {
            c.record_results(
                published,
                &v.entity_id,
                today,
                &[
                    result("SC-001", ResultCategory::Unreachable),
                    result("NY-001", ResultCategory::NoProblem),
                ],
                &amr,
                now,
            )
            .await
            .unwrap();
        }
    }
    c.approve_results(published, "amr", &amr, now)
        .await
        .unwrap();
    c.approve_results(published, "agri", &agri, now)
        .await
        .unwrap();
    let v = c.task_or_404(published).await.unwrap().version;
    c.publish_task(published, v, &coordinator, now)
        .await
        .unwrap();
    let follow_up = c.follow_ups(None, false).await.unwrap()[0].id;
    let proposal = c
        .credit_proposals(None)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.list == CreditList::Abnormal)
        .unwrap()
        .id;
    c.decide_credit_proposal(proposal, true, "", &amr, now)
        .await
        .unwrap();
    let listed = c
        .credit_proposal(proposal)
        .await
        .unwrap()
        .unwrap()
        .entity_id;
    let repair = c
        .apply_credit_repair(
            &listed,
            proposal,
            &liancha_domain::credit_repair::RepairApplication::parse(
                CreditList::Abnormal,
                &["reachable".into()],
                &format!("{MARK}已变更住所"),
                &format!("{MARK}联系人"),
            )
            .unwrap(),
            liancha_domain::credit_repair::RepairSource::Department,
            &amr,
            now,
        )
        .await
        .unwrap();
    let published_code = c
        .visits(published)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.team_no.is_some())
        .unwrap()
        .check_code;
    let objection = c
        .object_to_result(
            &published_code,
            &liancha_domain::credit_repair::Objection::parse(
                "amr",
                &format!("{MARK}异议内容"),
                &format!("{MARK}异议联系人"),
            )
            .unwrap(),
            now,
        )
        .await
        .unwrap();

    let draft = c
        .create_task(&task("草稿", &["SC-002"]), &coordinator, now)
        .await
        .unwrap();
    let plan = c
        .create_annual_plan(
            chrono::Datelike::year(&today),
            Domain::Market,
            &format!("{MARK}年度计划"),
            "amr",
            &["agri".into()],
            &amr,
            now,
        )
        .await
        .unwrap();
    let entry = c
        .add_plan_entry(
            plan,
            5,
            &format!("{MARK}计划任务"),
            &["SC-001".into()],
            "",
            &amr,
            now,
        )
        .await
        .unwrap();
    let inspector = c.inspectors(Some("amr")).await.unwrap()[0].id.clone();
    c.declare_conflict(
        &inspector,
        &visit.entity_id,
        false,
        &format!("{MARK}回避理由"),
        &amr,
        now,
    )
    .await
    .unwrap();
    let targeted = c
        .record_targeted(
            &NewTargeted {
                check_in: liancha_store::results::TargetedCheckIn::Paper {
                    reason: "按纸质记录补录".into(),
                },
                entity_id: visit.entity_id.clone(),
                department: "amr".into(),
                source: TargetedSource::Complaint,
                document_ref: format!("{MARK}投诉单"),
                inspected_on: today,
                items: vec!["SC-001".into()],
                findings: format!("{MARK}定向检查情况"),
            },
            &amr,
            now,
        )
        .await
        .unwrap();
    let user = store
        .user_by_name("nh-inspector")
        .await
        .unwrap()
        .unwrap()
        .id;
    let zhou = actor(store, "zhou-bianban").await;
    let campaign = store
        .create_campaign(
            &liancha_store::campaigns::NewCampaign {
                division: liancha_domain::org::DivisionCode::parse("532300").unwrap(),
                year: 2026,
                title: format!("{MARK}专项整治"),
                domain: liancha_domain::Domain::Market,
                items: vec!["SC-003".into()],
                scope: liancha_store::tasks::TaskScopeFilter::default(),
                quotas: liancha_store::tasks::QuotaSpec::RuleBook,
                team_count: 1,
                team_size: 2,
                inspection_start: chrono::NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
                inspection_end: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                counties: vec![(liancha_store::demo::NANHUA.division(), "amr".into())],
            },
            &zhou,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    Nanhua {
        code: visit.check_code.clone(),
        complaint,
        repair,
        objection,
        campaign,
        drawn: drawn_id,
        published,
        draft,
        plan,
        entry,
        visit_entity: visit.entity_id,
        attachment,
        targeted,
        follow_up,
        proposal,
        user,
        inspector,
    }
}

/// A 1×1 PNG: what the upload check takes for a photo.
fn png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

/// 南华县's audit trail length and task versions: what any change would move.
async fn fingerprint(store: &Store, n: &Nanhua) -> (usize, Vec<i32>) {
    let c = store.county(&liancha_store::demo::NANHUA.division());
    let trail = c.audit_recent(100_000).await.unwrap().len();
    let mut versions = Vec::new();
    for id in [n.drawn, n.published, n.draft] {
        versions.push(c.task_or_404(id).await.unwrap().version);
    }
    (trail, versions)
}

/// Whether a page shows anything of 南华县's: its marked text, its inspectors' ids.
fn leaks(body: &str, n: &Nanhua) -> Option<String> {
    if body.contains(MARK) {
        return Some(MARK.into());
    }
    if body.contains(&n.inspector) {
        return Some(n.inspector.clone());
    }
    if body.contains("nh-") {
        return Some("nh- account".into());
    }
    None
}

async fn counties_apart(engine: Engine) {
    let size = DemoSize {
        legal_persons: 40,
        individuals: 120,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let n = nanhua_work(&store).await;

    let mouding_accounts = [
        "admin",
        "bianban",
        "amr-admin",
        "amr-head",
        "agri-admin",
        "inspector",
        "duchashi",
        "gonghe",
    ];
    let mut sessions: BTreeMap<&str, Session> = BTreeMap::new();
    for u in mouding_accounts
        .iter()
        .chain(&["nh-bianban", "zhou-duchashi", "province-admin"])
    {
        sessions.insert(u, srv.login(u, PASSWORD).await.unwrap());
    }
    // After the sign-ins, which 南华县's trail records for its own account.
    let before = fingerprint(&store, &n).await;
    let e = &n.visit_entity;
    // Pages every account may open: lists of its own county's work.
    let lists = [
        "/staff",
        "/staff/tasks",
        "/staff/plans",
        "/staff/my",
        "/staff/follow-ups",
        "/staff/targeted",
        "/staff/conflicts",
        "/staff/audit",
        "/staff/oversight",
        "/staff/oversight/report?department=amr",
        "/staff/oversight/complaints",
        "/staff/upward",
        "/staff/users",
        "/staff/calendar",
        "/staff/settings",
        "/staff/campaigns",
        "/c/532323/inspectors",
        "/staff/entities",
        "/staff/entities/export?format=csv",
        "/staff/inspectors",
        "/staff/inspectors/export?format=csv",
        "/staff/items",
        "/staff/items/new",
        "/staff/items/export?format=csv",
        "/staff/joint-lists",
        "/staff/tasks/export?format=csv",
        "/staff/plans/export?format=csv",
        "/staff/follow-ups/export?format=csv",
    ];
    // Pages of 南华县's objects, by their ids.
    let objects = [
        format!("/staff/tasks/{}", n.drawn),
        format!("/staff/tasks/{}", n.published),
        format!("/staff/tasks/{}/plan.json", n.drawn),
        format!("/staff/tasks/{}/record.json", n.drawn),
        format!("/staff/tasks/{}/exclusions", n.drawn),
        format!("/staff/tasks/{}/review", n.drawn),
        format!("/staff/tasks/{}/notices", n.drawn),
        format!("/staff/tasks/{}/forms", n.drawn),
        format!("/staff/tasks/{}/notices.pdf", n.drawn),
        format!("/staff/tasks/{}/forms.pdf?entity={e}", n.drawn),
        format!("/staff/tasks/{}/results.pdf", n.published),
        format!("/staff/tasks/{}/result-notices", n.published),
        format!("/staff/tasks/{}/visits/{e}", n.drawn),
        format!("/staff/check-in?code={}", n.code),
        format!("/staff/tasks/{}/edit", n.draft),
        format!("/staff/plans/{}", n.plan),
        format!("/staff/attachments/{}", n.attachment),
        format!("/staff/tasks/new?entry={}", n.entry),
        format!("/staff/campaigns/{}", n.campaign),
        format!("/staff/entities/{e}"),
        format!("/staff/inspectors/{}", n.inspector),
    ];
    let mut tried = 0;
    for u in mouding_accounts {
        let s = &sessions[u];
        for path in lists
            .iter()
            .map(|p| p.to_string())
            .chain(objects.iter().cloned())
        {
            // Naming the other county, in the query or a cookie, changes nothing for a
            // county's own account.
            for variant in [
                path.clone(),
                format!(
                    "{path}{}county=532324",
                    if path.contains('?') { '&' } else { '?' }
                ),
            ] {
                let (status, body) = srv.get(&s.cookie, &variant).await;
                tried += 1;
                assert!(
                    status < 500,
                    "{engine:?} GET {variant} as {u}: {status} {body}"
                );
                if let Some(what) = leaks(&body, &n) {
                    panic!("{engine:?} GET {variant} as {u} shows 南华县's {what}: {body}");
                }
                if objects.contains(&path) && !path.starts_with("/staff/tasks/new") {
                    assert!(
                        status == 404 || status == 403,
                        "{engine:?} GET {variant} as {u}: {status}"
                    );
                }
            }
        }
        let r = srv
            .http
            .get(format!("{}/staff/tasks", srv.base))
            .header(
                "cookie",
                format!("liancha_session={}; liancha_county=532324", s.cookie),
            )
            .send()
            .await
            .unwrap();
        assert!(
            leaks(&r.text().await.unwrap(), &n).is_none(),
            "cookie as {u}"
        );
    }

    // Every change a 牟定县 account could ask of 南华县's objects is refused.
    type Post = (String, Vec<(&'static str, String)>);
    let d = n.drawn;
    let version = |_: ()| "1".to_string();
    let posts: Vec<Post> = vec![
        (
            format!("/staff/tasks/{d}/cancel"),
            vec![("version", version(())), ("reason", "x".into())],
        ),
        (
            format!("/staff/tasks/{d}/publish"),
            vec![("version", version(())), ("confirm", "yes".into())],
        ),
        (
            format!("/staff/tasks/{}/commit", n.draft),
            vec![("version", version(())), ("confirm", "yes".into())],
        ),
        (
            format!("/staff/tasks/{d}/draw"),
            vec![("version", version(())), ("confirm", "yes".into())],
        ),
        (
            format!("/staff/tasks/{d}/witnesses"),
            vec![("name", "某".into()), ("role", "notary".into())],
        ),
        (
            format!("/staff/tasks/{d}/substitute"),
            vec![
                ("version", version(())),
                ("kind", "entity".into()),
                ("id", e.clone()),
                ("reason", "x".into()),
            ],
        ),
        (
            format!("/staff/tasks/{d}/approve"),
            vec![("confirm", "yes".into())],
        ),
        (
            format!("/staff/tasks/{d}/visits/{e}/return"),
            vec![("note", "x".into())],
        ),
        (
            format!("/staff/tasks/{d}/visits/{e}/check-in"),
            vec![("code", n.code.clone())],
        ),
        (
            format!("/staff/oversight/complaints/{}", n.complaint),
            vec![("reply", "已处理".into())],
        ),
        (
            format!("/staff/tasks/{d}/visits/{e}"),
            vec![(
                "inspected_on",
                liancha_domain::calendar::today_in_china().to_string(),
            )],
        ),
        (
            format!("/staff/tasks/{}/edit", n.draft),
            vec![("title", "改".into()), ("lead_department", "amr".into())],
        ),
        (
            format!("/staff/follow-ups/{}", n.follow_up),
            vec![
                ("action", "close".into()),
                ("note", "x".into()),
                ("confirm", "yes".into()),
            ],
        ),
        (
            format!("/staff/credit/{}", n.proposal),
            vec![("decision", "confirm".into()), ("confirm", "yes".into())],
        ),
        (
            format!("/staff/credit/{}/remove", n.proposal),
            vec![("reason", "x".into()), ("confirm", "yes".into())],
        ),
        (
            format!("/staff/credit/{}/repair", n.proposal),
            vec![
                ("grounds", "reachable".into()),
                ("statement", "已变更住所登记".into()),
                ("contact", "某 139".into()),
            ],
        ),
        (
            format!("/staff/credit-repairs/{}", n.repair),
            vec![
                ("decision", "grant".into()),
                ("note", "已核实".into()),
                ("confirm", "yes".into()),
            ],
        ),
        (
            format!("/staff/objections/{}", n.objection),
            vec![("action", "uphold".into()), ("note", "维持原结果".into())],
        ),
        (
            format!("/staff/plans/{}/entries", n.plan),
            vec![
                ("month", "3".into()),
                ("title", "x".into()),
                ("items", "SC-001".into()),
            ],
        ),
        (format!("/staff/plans/{}/publish", n.plan), vec![]),
        (
            format!("/staff/plans/{}/filing", n.plan),
            vec![
                ("filed_with", "司法局".into()),
                ("filed_on", "2026-01-02".into()),
                ("reference", "x".into()),
            ],
        ),
        (
            format!("/staff/tasks/{}/approval/request", n.draft),
            vec![("version", version(()))],
        ),
        (
            format!("/staff/tasks/{}/approval", n.draft),
            vec![("version", version(())), ("decision", "approve".into())],
        ),
        (
            format!("/staff/entities/{e}"),
            vec![
                ("status", "revoked".into()),
                ("risk_class", "D".into()),
                ("reason", "吊销决定书".into()),
            ],
        ),
        (
            format!("/staff/inspectors/{}", n.inspector),
            vec![
                ("status", "departed".into()),
                ("certificate_no", "x".into()),
                ("certificate_valid_until", "2030-01-01".into()),
                ("reason", "调离".into()),
            ],
        ),
        (
            format!("/staff/users/{}/disabled", n.user),
            vec![("disabled", "1".into()), ("confirm", "yes".into())],
        ),
    ];
    for u in mouding_accounts {
        let s = &sessions[u];
        for (path, form) in &posts {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = srv.post(s, path, &form).await;
            tried += 1;
            assert!(
                [403, 404, 409, 422].contains(&status),
                "{engine:?} POST {path} as {u}: {status} {body}"
            );
            assert!(
                leaks(&body, &n).is_none(),
                "{engine:?} POST {path} as {u}: {body}"
            );
        }
        let (status, _) = srv
            .upload(
                s,
                d,
                &[("purpose", "result"), ("entity", e)],
                ("x.png", &png()),
            )
            .await;
        assert!([403, 404].contains(&status), "upload as {u}: {status}");
        let (status, _) = srv
            .upload_to(
                s,
                &format!("/staff/targeted/{}/document", n.targeted),
                &[],
                ("x.png", &png()),
            )
            .await;
        assert!(
            [403, 404].contains(&status),
            "targeted document as {u}: {status}"
        );
    }
    assert_eq!(
        fingerprint(&store, &n).await,
        before,
        "南华县's rows unchanged"
    );

    // 南华县's own coordinator reads its task, as a check that the marks are there.
    let (status, body) = srv
        .get(&sessions["nh-bianban"].cookie, &format!("/staff/tasks/{d}"))
        .await;
    assert_eq!(status, 200);
    assert!(body.contains(MARK));

    // The prefecture's office reads both counties below it, chosen by name, and
    // changes nothing.
    let zhou = &sessions["zhou-duchashi"];
    let (status, body) = srv.get(&zhou.cookie, "/staff/tasks?county=532324").await;
    assert_eq!(status, 200);
    assert!(body.contains(MARK), "{body}");
    let (status, body) = srv
        .get(&zhou.cookie, &format!("/staff/tasks/{d}?county=532324"))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = srv
        .get(&zhou.cookie, &format!("/staff/tasks/{d}?county=532323"))
        .await;
    assert_eq!(status, 404, "the task is 南华县's, not 牟定县's");
    let (status, body) = srv
        .get(&zhou.cookie, "/staff/oversight?county=532324")
        .await;
    assert_eq!(status, 200, "{body}");
    for (path, form) in &posts {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = srv
            .post(zhou, &format!("{path}?county=532324"), &form)
            .await;
        assert!(
            [403, 404].contains(&status),
            "{engine:?} POST {path} as the prefecture: {status} {body}"
        );
    }
    assert_eq!(
        fingerprint(&store, &n).await,
        before,
        "the prefecture changed nothing"
    );
    // A county outside the prefecture is not its to read.
    let (status, body) = srv.get(&zhou.cookie, "/staff/tasks?county=532501").await;
    assert!(status == 200 && leaks(&body, &n).is_none());

    // The province's administrator keeps the accounts of both counties.
    let (status, body) = srv
        .get(&sessions["province-admin"].cookie, "/staff/users")
        .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("nh-admin") && body.contains("amr-admin"),
        "{body}"
    );
    // 牟定县's administrator keeps 牟定县's only.
    let (_, body) = srv.get(&sessions["admin"].cookie, "/staff/users").await;
    assert!(body.contains("amr-admin") && !body.contains("nh-admin"));

    // Public search and open data show 南华县's published work, never the rest.
    let (_, body) = srv.get("", &format!("/public/tasks/{}", n.published)).await;
    assert!(body.contains("已公示联查"), "{body}");
    assert!(!body.contains("的检查情况"), "findings are never public");
    // 南华县's drawn task is announced, without whom it drew.
    let (status, body) = srv.get("", &format!("/public/tasks/{d}")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("已抽取，检查中") && body.contains("南华县"),
        "{body}"
    );
    for v in srv
        .store()
        .county(&liancha_store::demo::NANHUA.division())
        .visits(d)
        .await
        .unwrap()
    {
        assert!(!body.contains(&v.entity_id), "{}", v.entity_id);
    }
    assert_eq!(
        srv.get("", &format!("/public/tasks/{d}/record.json"))
            .await
            .0,
        404
    );
    assert!(tried > 300, "{tried} requests tried");
    srv.db.finish().await;
}

#[tokio::test]
async fn counties_apart_sqlite() {
    counties_apart(Engine::Sqlite).await;
}

#[tokio::test]
async fn counties_apart_postgres() {
    counties_apart(Engine::Postgres).await;
}
