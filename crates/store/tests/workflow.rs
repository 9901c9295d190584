//! A whole joint inspection, every step, on SQLite and on PostgreSQL: accounts,
//! draft, commit, reveal and draw, substitution, results, return, review,
//! publication, follow-up, credit, targeted inspections, cancellation, audit.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_domain::EntityStatus;
use liancha_domain::search::ResultQuery;
use liancha_domain::workflow::{
    CreditList, ExclusionReason, FollowUpKind, FollowUpState, ProposalState, ResultCategory,
    SourceDecl, TargetedSource, TaskMode, TaskState, VisitState, WitnessRole,
};
use liancha_domain::{Domain, InspectionMethod};
use liancha_store::accounts::{Actor, LoginError};
use liancha_store::demo::{self, DemoSize};
use liancha_store::results::{ItemResult, NewTargeted};
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::{Store, StoreError};

liancha_store::on_both_engines!(whole_joint_task, sign_in_rules, posted_text_is_bounded);

/// 2026-11-26 10:00 Beijing time.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

async fn setup(store: &Store) {
    demo::load(
        store,
        DemoSize {
            legal_persons: 120,
            individuals: 380,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(demo::accounts(store, t0()).await.unwrap().len(), 19);
}

async fn actor(store: &Store, name: &str) -> Actor {
    let u = store.user_by_name(name).await.unwrap().unwrap();
    (&u.principal()).into()
}

fn task_spec() -> NewTask {
    NewTask {
        year: 2026,
        title: "2026年市场监管领域部门联合抽查".into(),
        domain: Domain::Market,
        mode: TaskMode::Comprehensive,
        lead_department: "amr".into(),
        items: vec!["SC-001".into(), "NY-001".into()],
        scope: TaskScopeFilter::default(),
        quotas: QuotaSpec::Count([2, 2, 2, 2]),
        team_count: 2,
        team_size: 2,
        avoid_same_township: true,
        inspection_start: today(),
        inspection_end: today() + Duration::days(30),
        plan_entry_id: None,
    }
}

fn invalid(r: Result<impl std::fmt::Debug, StoreError>, contains: &str) {
    match r {
        Err(
            StoreError::Invalid { message: m, .. }
            | StoreError::Conflict(m)
            | StoreError::WrongState(m),
        ) => assert!(m.contains(contains), "{m}"),
        other => panic!("expected a refusal containing {contains:?}, got {other:?}"),
    }
}

/// Refused because of the task's state, as the workflow's rules say.
fn wrong_state(r: Result<impl std::fmt::Debug, StoreError>, contains: &str) {
    match r {
        Err(StoreError::WrongState(m)) => assert!(m.contains(contains), "{m}"),
        other => panic!("expected a wrong-state refusal containing {contains:?}, got {other:?}"),
    }
}

async fn sign_in_rules(store: &Store) {
    setup(store).await;
    let now = t0();
    // Four failures, then the right password: the count starts again.
    for _ in 0..4 {
        assert_eq!(
            store
                .login("bianban", "wrong", now)
                .await
                .unwrap()
                .unwrap_err(),
            LoginError::BadCredentials
        );
    }
    let s = store
        .login("bianban", demo::DEMO_PASSWORD, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.user.username, "bianban");
    let (user, csrf) = store
        .session(&s.token, now + Duration::minutes(29))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.username, "bianban");
    assert_eq!(csrf, s.csrf_token);
    // Idle for more than 30 minutes since the last use: gone.
    assert!(
        store
            .session(&s.token, now + Duration::minutes(60))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.session("not-a-token", now).await.unwrap().is_none());
    // An absolute lifetime of 12 hours, however busy the session.
    let busy = store
        .login("bianban", demo::DEMO_PASSWORD, now)
        .await
        .unwrap()
        .unwrap();
    let mut at = now;
    while at < now + Duration::hours(12) - Duration::minutes(20) {
        at += Duration::minutes(20);
        assert!(
            store.session(&busy.token, at).await.unwrap().is_some(),
            "{at}"
        );
    }
    assert!(
        store
            .session(
                &busy.token,
                now + Duration::hours(12) + Duration::minutes(1)
            )
            .await
            .unwrap()
            .is_none()
    );
    // Throttling, not lockout: from the fifth failure in a row the account makes
    // attempts from a suspect address wait 1 minute, then 2, 4 …; they are refused
    // like a wrong password, whatever the password.
    use liancha_store::accounts::Address;
    for _ in 0..5 {
        assert_eq!(
            store
                .login("bianban", "wrong", now)
                .await
                .unwrap()
                .unwrap_err(),
            LoginError::BadCredentials
        );
    }
    let wait = store
        .user_by_name("bianban")
        .await
        .unwrap()
        .unwrap()
        .locked_until;
    assert_eq!(wait, Some(now + Duration::minutes(1)));
    let at = now + Duration::seconds(30);
    assert_eq!(
        store
            .login("bianban", demo::DEMO_PASSWORD, at)
            .await
            .unwrap()
            .unwrap_err(),
        LoginError::BadCredentials
    );
    // Attempts during the wait do not make it longer.
    assert_eq!(
        store
            .user_by_name("bianban")
            .await
            .unwrap()
            .unwrap()
            .locked_until,
        wait
    );
    // The real user at a desk with no recent failures is not kept out.
    assert!(
        store
            .login_from("bianban", demo::DEMO_PASSWORD, at, Address::Clean)
            .await
            .unwrap()
            .is_ok()
    );
    // A wrong password from a clean address still counts, and the waits grow.
    for _ in 0..6 {
        let _ = store
            .login_from("bianban", "wrong", now, Address::Clean)
            .await
            .unwrap()
            .unwrap_err();
    }
    assert_eq!(
        store
            .user_by_name("bianban")
            .await
            .unwrap()
            .unwrap()
            .locked_until,
        Some(now + Duration::minutes(2))
    );
    assert!(
        store
            .login("bianban", demo::DEMO_PASSWORD, now + Duration::seconds(90))
            .await
            .unwrap()
            .is_err()
    );
    assert!(
        store
            .login("bianban", demo::DEMO_PASSWORD, now + Duration::seconds(121))
            .await
            .unwrap()
            .is_ok()
    );
    // Unknown user reads the same as a wrong password.
    assert_eq!(
        store.login("nobody", "x", now).await.unwrap().unwrap_err(),
        LoginError::BadCredentials
    );

    // Password rule and role bindings on new accounts.
    let admin = actor(store, "admin").await;
    let mut u = liancha_store::accounts::NewUser {
        division: liancha_store::testing::mouding(store).await,
        username: "clerk1".into(),
        display_name: "办事员".into(),
        role: liancha_domain::auth::Role::DepartmentAdmin,
        department: None,
        township: None,
        inspector_id: None,
        password: "short".into(),
        must_change_password: true,
    };
    invalid(store.create_user(&u, &admin, now).await, "至少 8");
    u.password = "Longer#pass1".into();
    invalid(store.create_user(&u, &admin, now).await, "所属部门");
    u.department = Some("amr".into());
    for bad in ["名".repeat(201), "办事\0员".into(), "   ".into()] {
        let long = liancha_store::accounts::NewUser {
            display_name: bad,
            ..u.clone()
        };
        invalid(store.create_user(&long, &admin, now).await, "姓名");
    }
    let long = liancha_store::accounts::NewUser {
        username: "c".repeat(65),
        ..u.clone()
    };
    invalid(store.create_user(&long, &admin, now).await, "用户名");
    store.create_user(&u, &admin, now).await.unwrap();
    invalid(store.create_user(&u, &admin, now).await, "已存在");
    // First sign-in must change the password; the change ends other sessions.
    let s = store
        .login("clerk1", "Longer#pass1", now)
        .await
        .unwrap()
        .unwrap();
    assert!(s.user.must_change_password);
    let other = store
        .login("clerk1", "Longer#pass1", now)
        .await
        .unwrap()
        .unwrap();
    invalid(
        store
            .change_password(s.user.id, "Longer#pass1", "weakweak", &s.token, now)
            .await,
        "三类",
    );
    store
        .change_password(s.user.id, "Longer#pass1", "Newer#pass2", &s.token, now)
        .await
        .unwrap();
    assert!(store.session(&other.token, now).await.unwrap().is_none());
    let (user, _) = store.session(&s.token, now).await.unwrap().unwrap();
    assert!(!user.must_change_password);
    // Common passwords are refused, in any case.
    invalid(
        store
            .change_password(s.user.id, "Newer#pass2", "Passw0rd", &s.token, now)
            .await,
        "常见",
    );
    // Wrong current passwords count like failed sign-ins.
    for _ in 0..5 {
        invalid(
            store
                .change_password(s.user.id, "guess", "Third#pass3", &s.token, now)
                .await,
            "不正确",
        );
    }
    invalid(
        store
            .change_password(s.user.id, "Newer#pass2", "Third#pass3", &s.token, now)
            .await,
        "过多",
    );
    assert!(
        store
            .login("clerk1", "Newer#pass2", now)
            .await
            .unwrap()
            .is_err()
    );
    // A disabled account reads the same as a wrong password, even with the right one.
    store
        .set_user_disabled(s.user.id, true, &admin, now)
        .await
        .unwrap();
    assert_eq!(
        store
            .login_from(
                "clerk1",
                "Newer#pass2",
                now + Duration::hours(2),
                liancha_store::accounts::Address::Clean
            )
            .await
            .unwrap()
            .unwrap_err(),
        LoginError::BadCredentials
    );
}

/// A targeted inspection of amr's entered today from the paper record.
fn on_paper(
    entity_id: String,
    source: TargetedSource,
    document: &str,
    findings: &str,
) -> NewTargeted {
    NewTargeted {
        check_in: liancha_store::results::TargetedCheckIn::Paper {
            reason: "按纸质记录补录".into(),
        },
        entity_id,
        department: "amr".into(),
        source,
        document_ref: document.into(),
        inspected_on: today(),
        items: vec![],
        findings: findings.into(),
    }
}

async fn whole_joint_task(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    setup(store).await;
    let coordinator = actor(store, "bianban").await;
    let amr = actor(store, "amr-admin").await;
    let agri = actor(store, "agri-admin").await;
    let mut now = t0();

    let population: Vec<_> = demo::entities(DemoSize {
        legal_persons: 120,
        individuals: 380,
    });
    let active: Vec<&liancha_domain::Entity> = population
        .iter()
        .filter(|e| e.status == EntityStatus::Active)
        .collect();
    let inactive = population
        .iter()
        .filter(|e| e.status != EntityStatus::Active)
        .count();

    // Two targeted inspections reach the annual cap (2) of one entity.
    let capped = active[0].id.clone();
    for n in 0..2 {
        mouding
            .record_targeted(
                &NewTargeted {
                    check_in: liancha_store::results::TargetedCheckIn::Paper {
                        reason: "按纸质记录补录".into(),
                    },
                    entity_id: capped.clone(),
                    department: "amr".into(),
                    source: TargetedSource::Complaint,
                    document_ref: format!("牟市监投〔2026〕{n}号"),
                    inspected_on: today() - Duration::days(10),
                    items: vec!["SC-001".into()],
                    findings: "经核查，投诉不属实".into(),
                },
                &amr,
                now,
            )
            .await
            .unwrap();
    }
    invalid(
        mouding
            .record_targeted(
                &on_paper(
                    "NOT-AN-ENTITY".into(),
                    TargetedSource::Referral,
                    "x",
                    "未发现问题",
                ),
                &amr,
                now,
            )
            .await,
        "主体名录中没有",
    );

    // The annual plan the task comes from.
    invalid(
        mouding
            .create_annual_plan(2026, Domain::Market, "计划", "nope", &[], &coordinator, now)
            .await,
        "不存在",
    );
    let plan = mouding
        .create_annual_plan(
            2026,
            Domain::Market,
            "2026年市场监管领域抽查计划",
            "amr",
            &["agri".into()],
            &coordinator,
            now,
        )
        .await
        .unwrap();
    invalid(
        mouding
            .create_annual_plan(2026, Domain::Market, "again", "amr", &[], &coordinator, now)
            .await,
        "已存在",
    );
    invalid(
        mouding.publish_annual_plan(plan, &coordinator, now).await,
        "还没有任务",
    );
    invalid(
        mouding
            .add_plan_entry(plan, 3, "春季", &["HB-001".into()], "", &coordinator, now)
            .await,
        "未参与",
    );
    let entry = mouding
        .add_plan_entry(
            plan,
            11,
            "综合查一次",
            &["SC-001".into(), "NY-001".into()],
            "全县",
            &coordinator,
            now,
        )
        .await
        .unwrap();
    mouding
        .publish_annual_plan(plan, &coordinator, now)
        .await
        .unwrap();
    invalid(
        mouding
            .add_plan_entry(plan, 12, "x", &["SC-001".into()], "", &coordinator, now)
            .await,
        "已公布",
    );
    assert_eq!(
        mouding.annual_plans(Some(2026), true).await.unwrap().len(),
        1
    );

    // Draft.
    let mut bad = task_spec();
    bad.team_size = 1;
    invalid(
        mouding.create_task(&bad, &coordinator, now).await,
        "检查组人数",
    );
    let mut bad = task_spec();
    bad.items = vec!["NOPE".into()];
    invalid(mouding.create_task(&bad, &coordinator, now).await, "不存在");
    let id = mouding
        .create_task(
            &NewTask {
                plan_entry_id: Some(entry),
                ..task_spec()
            },
            &coordinator,
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        mouding.annual_plan(plan).await.unwrap().unwrap().entries[0].tasks,
        vec![id]
    );
    let task = mouding.task_or_404(id).await.unwrap();
    assert_eq!(task.state, TaskState::Draft);
    assert_eq!(
        task.departments(),
        vec!["amr".to_string(), "agri".to_string()]
    );
    let mut renamed = task_spec();
    renamed.title = "2026年市场监管领域部门联合抽查（第一批）".into();
    mouding
        .update_task(id, task.version, &renamed, &coordinator, now)
        .await
        .unwrap();
    // The same form posted again carries the old version: refused, nothing changes.
    invalid(
        mouding
            .update_task(id, task.version, &task_spec(), &coordinator, now)
            .await,
        "已被修改",
    );
    let task = mouding.task_or_404(id).await.unwrap();
    assert_eq!(task.title, renamed.title);

    liancha_store::testing::approve(&mouding, id, task.version, now).await;
    // Commit: sources must lie in the future.
    let past = SourceDecl::other("公证员掷骰", now - Duration::minutes(1)).unwrap();
    invalid(
        mouding
            .commit_task(id, task.version, &[past], &coordinator, now)
            .await,
        "已过",
    );
    invalid(
        mouding
            .commit_task(id, task.version, &[], &coordinator, now)
            .await,
        "随机源",
    );
    let dice = SourceDecl::other("公证员现场掷骰（5 枚）", now + Duration::minutes(5)).unwrap();
    let summary = mouding
        .commit_task(
            id,
            task.version,
            std::slice::from_ref(&dice),
            &coordinator,
            now,
        )
        .await
        .unwrap();
    assert_eq!(summary.excluded.get("cap-reached"), Some(&1));
    assert_eq!(
        summary.excluded.get("not-active").copied().unwrap_or(0),
        inactive
    );
    assert_eq!(summary.population, active.len() - 1);
    assert!(summary.inspectors >= 4);
    let task = mouding.task_or_404(id).await.unwrap();
    assert_eq!(task.state, TaskState::Committed);
    assert_eq!(
        task.plan_digest.as_deref(),
        Some(summary.plan_digest.as_str())
    );
    let plan = mouding.plan_json(id).await.unwrap().unwrap();
    assert_eq!(
        liancha_draw::hex::encode(&liancha_draw::plan_digest(
            &liancha_draw::Plan::parse(plan.as_bytes()).unwrap()
        )),
        summary.plan_digest
    );
    let exclusions = mouding.exclusions(id).await.unwrap();
    assert!(
        exclusions
            .iter()
            .any(|e| e.entity_id == capped && e.reason == ExclusionReason::CapReached.code())
    );
    // Nothing in the plan can change after the commit.
    wrong_state(
        mouding
            .update_task(id, task.version, &task_spec(), &coordinator, now)
            .await,
        "不能修改",
    );
    invalid(
        mouding
            .commit_task(
                id,
                task.version,
                std::slice::from_ref(&dice),
                &coordinator,
                now,
            )
            .await,
        "方案已封存",
    );

    // Witnesses.
    mouding
        .add_witness(
            id,
            "李公证",
            WitnessRole::Notary,
            "牟定县公证处",
            &coordinator,
            now,
        )
        .await
        .unwrap();
    mouding
        .add_witness(
            id,
            "王代表",
            WitnessRole::PeoplesCongress,
            "",
            &coordinator,
            now,
        )
        .await
        .unwrap();
    assert_eq!(mouding.witnesses(id).await.unwrap().len(), 2);

    // Reveal before the source's time: refused, nothing changes.
    invalid(
        mouding
            .reveal_and_draw(
                id,
                task.version,
                &["3 1 4 1 5".into()],
                &coordinator,
                now + Duration::minutes(1),
            )
            .await,
        "未到",
    );
    assert_eq!(
        mouding.task_or_404(id).await.unwrap().state,
        TaskState::Committed
    );
    now += Duration::minutes(6);
    invalid(
        mouding
            .reveal_and_draw(id, task.version, &["".into()], &coordinator, now)
            .await,
        "揭示值",
    );
    let record = mouding
        .reveal_and_draw(id, task.version, &["3 1 4 1 5".into()], &coordinator, now)
        .await
        .unwrap();
    let task = mouding.task_or_404(id).await.unwrap();
    assert_eq!(task.state, TaskState::Drawn);
    // One plan, one draw.
    invalid(
        mouding
            .reveal_and_draw(id, task.version, &["2 7 1 8 2".into()], &coordinator, now)
            .await,
        "已抽取",
    );
    // The stored record verifies on its own.
    let stored = mouding.draw_record(id).await.unwrap().unwrap();
    let summary = liancha_draw::verify_record(stored.as_bytes()).unwrap();
    assert_eq!(summary.selected, 8);
    assert_eq!(summary.teams, 2);
    assert_eq!(record.result().selected.len(), 8);
    assert_eq!(
        mouding.task_or_404(id).await.unwrap().sources[0]
            .revealed
            .as_deref(),
        Some("3 1 4 1 5")
    );

    let members = mouding.team_members(id).await.unwrap();
    for team in 1..=2 {
        let depts: Vec<&str> = members
            .iter()
            .filter(|m| m.team_no == team)
            .map(|m| m.department.as_str())
            .collect();
        assert!(
            depts.contains(&"amr") && depts.contains(&"agri"),
            "{depts:?}"
        );
    }
    let visits = mouding.visits(id).await.unwrap();
    assert_eq!(visits.len(), 8);
    assert!(visits.iter().all(|v| v.check_code.len() == 8));
    let found = mouding
        .visit_by_code(&visits[0].check_code.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.entity_id, visits[0].entity_id);

    // Substitution: an inspector falls ill; a visited entity is deregistered.
    let ill = members
        .iter()
        .find(|m| m.team_no == 1 && m.department == "amr")
        .unwrap();
    invalid(
        mouding
            .substitute_inspector(id, task.version, &ill.inspector_id, " ", &coordinator, now)
            .await,
        "原因",
    );
    let replacement = mouding
        .substitute_inspector(
            id,
            task.version,
            &ill.inspector_id,
            "因病住院",
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let after = mouding.team_members(id).await.unwrap();
    let new = after
        .iter()
        .find(|m| m.inspector_id == replacement)
        .unwrap();
    assert!(new.active && new.team_no == 1 && new.department == "amr");
    assert!(
        !after
            .iter()
            .find(|m| m.inspector_id == ill.inspector_id)
            .unwrap()
            .active
    );
    let task = mouding.task_or_404(id).await.unwrap();
    let gone = visits
        .iter()
        .rev()
        .find(|v| v.state == VisitState::Pending)
        .unwrap();
    let stand_in = mouding
        .substitute_entity(
            id,
            task.version,
            &gone.entity_id,
            "抽取后已注销",
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let visits = mouding.visits(id).await.unwrap();
    assert_eq!(visits.len(), 9);
    let replaced = visits
        .iter()
        .find(|v| v.entity_id == gone.entity_id)
        .unwrap();
    assert_eq!(replaced.state, VisitState::Replaced);
    assert_eq!(replaced.replaced_by.as_deref(), Some(stand_in.as_str()));
    let stand_in_visit = visits.iter().find(|v| v.entity_id == stand_in).unwrap();
    assert_eq!(stand_in_visit.team_no, gone.team_no);

    // Results: one visit, every department's items.
    let ok = |code: &str| ItemResult {
        item_code: code.into(),
        categories: vec![ResultCategory::NoProblem],
        methods: vec![InspectionMethod::OnSite],
        findings: String::new(),
    };
    invalid(
        mouding
            .record_results(
                id,
                &capped,
                today(),
                &[ok("SC-001"), ok("NY-001")],
                &amr,
                now,
            )
            .await,
        "不是本任务分派",
    );
    let pending: Vec<_> = visits
        .iter()
        .filter(|v| v.state == VisitState::Pending)
        .map(|v| v.entity_id.clone())
        .collect();
    let first = pending[0].clone();

    // 扫码入企: no results before the team has checked in on the spot.
    let audit_before = mouding.audit_count(&Default::default()).await.unwrap();
    wrong_state(
        mouding
            .record_results(
                id,
                &first,
                today(),
                &[ok("SC-001"), ok("NY-001")],
                &amr,
                now,
            )
            .await,
        "尚未签到",
    );
    let first_visit = visits.iter().find(|v| v.entity_id == first).unwrap();
    let other_code = &visits
        .iter()
        .find(|v| v.entity_id != first)
        .unwrap()
        .check_code;
    for (code, why) in [(other_code.as_str(), "不一致"), ("  ", "核验码")] {
        invalid(
            mouding
                .check_in(id, &first, code, "甲、乙", None, &amr, now)
                .await,
            why,
        );
    }
    assert_eq!(mouding.check_ins(id, &first).await.unwrap(), vec![]);
    assert_eq!(
        mouding.audit_count(&Default::default()).await.unwrap(),
        audit_before,
        "a refused check-in writes nothing"
    );
    let place = liancha_domain::check_in::Location {
        latitude_e6: 25_312_345,
        longitude_e6: 101_546_789,
        accuracy_m: Some(25),
    };
    // The code as typed on a phone: lower case, spaces around.
    let typed = format!(" {} ", first_visit.check_code.to_lowercase());
    for _ in 0..2 {
        mouding
            .check_in(id, &first, &typed, "甲、乙", Some(place), &amr, now)
            .await
            .unwrap();
    }
    let ins = mouding.check_ins(id, &first).await.unwrap();
    assert_eq!(ins.len(), 1, "a repeated post is the same check-in");
    assert_eq!(ins[0].mode, liancha_domain::check_in::CheckInMode::Code);
    assert_eq!(ins[0].inspectors, "甲、乙");
    assert_eq!(ins[0].location, Some(place));
    assert_eq!(
        mouding.check_in_modes(id).await.unwrap().get(&first),
        Some(&liancha_domain::check_in::CheckInMode::Code)
    );
    // A replaced visit is not checked in.
    wrong_state(
        mouding
            .check_in(
                id,
                &gone.entity_id,
                &replaced.check_code,
                "甲",
                None,
                &amr,
                now,
            )
            .await,
        "不需要签到",
    );
    liancha_store::testing::check_in_all(&mouding, id, now).await;
    invalid(
        mouding
            .record_results(id, &first, today(), &[ok("SC-001")], &amr, now)
            .await,
        "请填写事项",
    );
    let mut both_bad = ok("SC-001");
    both_bad.categories.push(ResultCategory::Corrected);
    invalid(
        mouding
            .record_results(id, &first, today(), &[both_bad, ok("NY-001")], &amr, now)
            .await,
        "不能与其他",
    );
    invalid(
        mouding
            .record_results(
                id,
                &first,
                today() - Duration::days(1),
                &[ok("SC-001"), ok("NY-001")],
                &amr,
                now,
            )
            .await,
        "检查日期",
    );
    let mut too_long = ok("SC-001");
    too_long.findings = "字".repeat(2001);
    invalid(
        mouding
            .record_results(id, &first, today(), &[too_long, ok("NY-001")], &amr, now)
            .await,
        "检查情况",
    );
    let unreachable = ItemResult {
        item_code: "SC-001".into(),
        categories: vec![ResultCategory::Unreachable],
        methods: vec![InspectionMethod::OnSite],
        findings: "登记住所无此企业，电话无法接通".into(),
    };
    mouding
        .record_results(
            id,
            &first,
            today(),
            &[unreachable.clone(), ok("NY-001")],
            &amr,
            now,
        )
        .await
        .unwrap();
    // The same form posted twice.
    invalid(
        mouding
            .record_results(
                id,
                &first,
                today(),
                &[unreachable.clone(), ok("NY-001")],
                &amr,
                now,
            )
            .await,
        "已提交",
    );
    for e in &pending[1..] {
        mouding
            .record_results(id, e, today(), &[ok("SC-001"), ok("NY-001")], &amr, now)
            .await
            .unwrap();
    }

    // Review: return one visit, resubmit, then each department approves.
    invalid(
        mouding
            .return_visit(id, &pending[1], "amr", &"字".repeat(2001), &amr, now)
            .await,
        "退回原因",
    );
    mouding
        .return_visit(id, &pending[1], "amr", "请补充检查方式说明", &amr, now)
        .await
        .unwrap();
    invalid(
        mouding.approve_results(id, "amr", &amr, now).await,
        "未提交",
    );
    mouding
        .record_results(
            id,
            &pending[1],
            today(),
            &[ok("SC-001"), ok("NY-001")],
            &amr,
            now,
        )
        .await
        .unwrap();
    mouding.approve_results(id, "amr", &amr, now).await.unwrap();
    invalid(
        mouding.approve_results(id, "amr", &amr, now).await,
        "已审核通过",
    );
    let task = mouding.task_or_404(id).await.unwrap();
    invalid(
        mouding
            .publish_task(id, task.version, &coordinator, now)
            .await,
        "尚未审核",
    );
    mouding
        .approve_results(id, "agri", &agri, now)
        .await
        .unwrap();
    // Approved is not yet published: the public search knows nothing of it.
    let by_first = ResultQuery::parse(&first).unwrap();
    assert!(
        store
            .search_published(&by_first, None, 20)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    let progress = |total, entered, published| liancha_store::tasks::VisitProgress {
        total,
        entered,
        published,
    };
    assert_eq!(
        mouding.visit_progress(id).await.unwrap(),
        progress(8, 8, 0),
        "the replaced visit is not counted"
    );
    let deadline = mouding.deadline_of(&task).await.unwrap();
    assert!(deadline > task.inspection_end + Duration::days(20));
    // The approval moved the task on: the page the publication comes from is newer.
    invalid(
        mouding
            .publish_task(id, task.version, &coordinator, now)
            .await,
        "已被修改",
    );
    let task = mouding.task_or_404(id).await.unwrap();
    mouding
        .publish_task(id, task.version, &coordinator, now)
        .await
        .unwrap();
    invalid(
        mouding
            .publish_task(id, task.version, &coordinator, now)
            .await,
        "公示",
    );
    let task = mouding.task_or_404(id).await.unwrap();
    assert_eq!(task.state, TaskState::Published);
    let states: Vec<VisitState> = mouding
        .visits(id)
        .await
        .unwrap()
        .iter()
        .map(|v| v.state)
        .collect();
    assert_eq!(
        states
            .iter()
            .filter(|s| **s == VisitState::Published)
            .count(),
        8
    );
    assert_eq!(
        states
            .iter()
            .filter(|s| **s == VisitState::Replaced)
            .count(),
        1
    );
    assert!(task.published_at.is_some());
    assert_eq!(mouding.visit_progress(id).await.unwrap(), progress(8, 8, 8));
    public_search(store, id, &first).await;

    // The oversight office sees it: 8 entities inspected for each department's
    // items, one with a problem in the market department's item.
    let o = mouding.oversight(2026, None, now).await.unwrap();
    let amr_figures = &o
        .departments
        .iter()
        .find(|(d, _)| d.code == "amr")
        .unwrap()
        .1;
    assert_eq!(amr_figures.inspected, 8);
    assert_eq!(amr_figures.with_problems, 1);
    assert_eq!(amr_figures.tasks_by_state[3], 1);
    assert_eq!(amr_figures.targeted, 2);
    let agri_figures = &o
        .departments
        .iter()
        .find(|(d, _)| d.code == "agri")
        .unwrap()
        .1;
    assert_eq!((agri_figures.inspected, agri_figures.with_problems), (8, 0));
    assert_eq!(o.total.inspected, 8);
    assert!(o.over_inspected.is_empty());
    // A complaint cannot be refused for the cap, but the excess shows.
    mouding
        .record_targeted(
            &on_paper(
                capped.clone(),
                TargetedSource::DataLead,
                "监测线索 2026-118",
                "未发现问题",
            ),
            &amr,
            now,
        )
        .await
        .unwrap();
    let o = mouding.oversight(2026, None, now).await.unwrap();
    assert_eq!(o.over_inspected.len(), 1);
    assert_eq!(
        (
            o.over_inspected[0].entity_id.as_str(),
            o.over_inspected[0].count
        ),
        (capped.as_str(), 3)
    );
    // A licensing check (许可核查) is an inspection like any other: stored with its
    // source on both engines (SQLite's CHECK was rebuilt for it) and counted.
    mouding
        .record_targeted(
            &on_paper(
                capped.clone(),
                TargetedSource::Licensing,
                "食许受 2026-042",
                "现场与申请材料一致",
            ),
            &amr,
            now,
        )
        .await
        .unwrap();
    let licensing = mouding.targeted_inspections(Some("amr")).await.unwrap();
    let licensing = licensing
        .iter()
        .find(|t| t.document_ref == "食许受 2026-042")
        .unwrap();
    assert_eq!(licensing.source, "licensing");
    assert_eq!(licensing.source_label(), "许可核查");
    let o = mouding.oversight(2026, None, now).await.unwrap();
    assert_eq!(o.over_inspected[0].count, 4);
    let month = mouding.oversight(2026, Some(11), now).await.unwrap();
    assert_eq!(month.total.inspected, 8);
    assert_eq!(
        mouding
            .oversight(2026, Some(10), now)
            .await
            .unwrap()
            .total
            .inspected,
        0
    );

    // Follow-up for the problem, and a credit proposal for the department to decide.
    let follow_ups = mouding.follow_ups(Some("amr"), true).await.unwrap();
    assert_eq!(follow_ups.len(), 1);
    let f = &follow_ups[0];
    assert_eq!(
        (f.entity_id.as_str(), f.category),
        (first.as_str(), ResultCategory::Unreachable)
    );
    assert_eq!(f.kind, FollowUpKind::Rectify);
    assert_eq!(f.items, ["SC-001"], "the item it came from");
    assert!(f.due_on.is_some());
    assert!(
        mouding
            .follow_ups(Some("agri"), true)
            .await
            .unwrap()
            .is_empty()
    );
    invalid(
        mouding
            .update_follow_up(f.id, FollowUpKind::Transfer, None, None, "", &amr, now)
            .await,
        "接收部门",
    );
    mouding
        .update_follow_up(
            f.id,
            FollowUpKind::Notify,
            None,
            Some("agri"),
            "抄告农业农村局",
            &amr,
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        mouding.follow_ups(Some("agri"), true).await.unwrap().len(),
        1
    );
    invalid(
        mouding.close_follow_up(f.id, "", &amr, now).await,
        "办结情况",
    );
    mouding
        .close_follow_up(f.id, "已抄告并归档", &amr, now)
        .await
        .unwrap();
    assert_eq!(
        mouding.follow_up(f.id).await.unwrap().unwrap().state,
        FollowUpState::Closed
    );
    invalid(
        mouding.close_follow_up(f.id, "again", &amr, now).await,
        "已办结",
    );

    let proposals = mouding.credit_proposals(Some("amr")).await.unwrap();
    assert_eq!(proposals.len(), 1);
    assert_eq!(proposals[0].list, CreditList::Abnormal);
    assert!(!mouding.entity(&first).await.unwrap().unwrap().abnormal);
    mouding
        .decide_credit_proposal(proposals[0].id, true, "", &amr, now)
        .await
        .unwrap();
    assert_eq!(
        mouding
            .credit_proposal(proposals[0].id)
            .await
            .unwrap()
            .unwrap()
            .state,
        ProposalState::Confirmed
    );
    let listed = mouding.entity(&first).await.unwrap().unwrap();
    assert!(listed.abnormal);
    invalid(
        mouding
            .decide_credit_proposal(proposals[0].id, false, "x", &amr, now)
            .await,
        "已处理",
    );

    // The next task: the listed entity is drawn one class up; whoever visited an
    // entity last time is recused from it (rotation); a declared tie too.
    let tied_inspector = members
        .iter()
        .find(|m| m.department == "agri")
        .unwrap()
        .inspector_id
        .clone();
    let tied_entity = active[5].id.clone();
    mouding
        .declare_conflict(
            &tied_inspector,
            &tied_entity,
            false,
            "近亲属经营",
            &amr,
            now,
        )
        .await
        .unwrap();
    let id2 = mouding
        .create_task(&task_spec(), &coordinator, now)
        .await
        .unwrap();
    let t2 = mouding.task_or_404(id2).await.unwrap();
    liancha_store::testing::approve(&mouding, id2, t2.version, now).await;
    let dice2 = SourceDecl::other("见证人掷骰", now + Duration::minutes(5)).unwrap();
    mouding
        .commit_task(id2, t2.version, &[dice2], &coordinator, now)
        .await
        .unwrap();
    let plan = liancha_draw::Plan::parse(mouding.plan_json(id2).await.unwrap().unwrap().as_bytes())
        .unwrap();
    let listed_in_plan = plan.entities.iter().find(|e| e.id == first).unwrap();
    assert_eq!(
        listed_in_plan.stratum,
        liancha_domain::workflow::effective_stratum(listed.risk_class, true, false).code()
    );
    assert!(
        plan.conflicts
            .iter()
            .any(|c| c.inspector == tied_inspector && c.entity == tied_entity)
    );
    let team_of_visit = visits
        .iter()
        .find(|v| v.entity_id == pending[2])
        .unwrap()
        .team_no;
    let visitors: Vec<String> = mouding
        .team_members(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.active && Some(m.team_no) == team_of_visit)
        .map(|m| m.inspector_id)
        .collect();
    for v in &visitors {
        if plan.inspectors.iter().any(|i| &i.id == v) {
            assert!(
                plan.conflicts
                    .iter()
                    .any(|c| &c.inspector == v && c.entity == pending[2]),
                "rotation conflict for {v}"
            );
        }
    }
    // The capped entity counts its visit in task 1 as well now (with the complaint,
    // the data lead and the licensing check).
    let counts = mouding.inspections_in_year(2026).await.unwrap();
    assert_eq!(counts.get(&capped), Some(&4));
    assert_eq!(counts.get(&first), Some(&1));

    // Cancellation keeps the task visible with its reason; no draw afterwards.
    let t2 = mouding.task_or_404(id2).await.unwrap();
    invalid(
        mouding
            .cancel_task(id2, t2.version, " ", &coordinator, now)
            .await,
        "原因",
    );
    mouding
        .cancel_task(id2, t2.version, "范围设置有误，重新立项", &coordinator, now)
        .await
        .unwrap();
    let t2 = mouding.task_or_404(id2).await.unwrap();
    assert_eq!(t2.state, TaskState::Cancelled);
    assert_eq!(t2.cancel_reason.as_deref(), Some("范围设置有误，重新立项"));
    invalid(
        mouding
            .reveal_and_draw(
                id2,
                t2.version,
                &["1".into()],
                &coordinator,
                now + Duration::minutes(10),
            )
            .await,
        "已取消",
    );
    invalid(
        mouding
            .cancel_task(id, task.version, "x", &coordinator, now)
            .await,
        "不能取消",
    );

    // 移出名单: a reason is required; the flag is cleared, the removal shown beside
    // the listing; a second removal (a double click) changes nothing.
    let listing = proposals[0].id;
    invalid(
        mouding.remove_credit_listing(listing, " ", &amr, now).await,
        "移出理由",
    );
    assert!(mouding.entity(&first).await.unwrap().unwrap().abnormal);
    credit_repair_and_objection(store, &mouding, id, &first, listing, &amr, now).await;
    assert!(!mouding.entity(&first).await.unwrap().unwrap().abnormal);
    let removed = mouding.credit_proposal(listing).await.unwrap().unwrap();
    assert_eq!(removed.state, ProposalState::Confirmed);
    assert_eq!(
        removed.removed.map(|r| r.reason).as_deref(),
        Some("信用修复：已核实 2025 年度报告已补报公示")
    );
    let all = liancha_store::audit::AuditFilter::default();
    let audit_before = mouding.audit_count(&all).await.unwrap();
    invalid(
        mouding
            .remove_credit_listing(listing, "again", &amr, now)
            .await,
        "已依此建议移出",
    );
    assert_eq!(mouding.audit_count(&all).await.unwrap(), audit_before);

    // The audit trail tells the task's story in order, and cannot be edited.
    let history: Vec<String> = mouding
        .audit_for_task(id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    for step in [
        "task.create",
        "task.update",
        "task.commit",
        "task.witness",
        "task.draw",
        "task.substitute-inspector",
        "task.substitute-entity",
        "visit.check-in",
        "visit.submit",
        "visit.return",
        "task.approve",
        "task.publish",
    ] {
        assert!(
            history.iter().any(|h| h == step),
            "{step} missing from {history:?}"
        );
    }
    let pos = |s: &str| history.iter().position(|h| h == s).unwrap();
    assert!(pos("task.commit") < pos("task.draw") && pos("task.draw") < pos("task.publish"));
    let tamper = match store.pool() {
        liancha_store::Pool::Sqlite(p) => sqlx::query("UPDATE audit_log SET username = 'x'")
            .execute(p)
            .await
            .map(|_| ()),
        liancha_store::Pool::Postgres(p) => sqlx::query("DELETE FROM audit_log")
            .execute(p)
            .await
            .map(|_| ()),
    };
    assert!(tamper.unwrap_err().to_string().contains("append-only"));
    transparency_log(store, id, id2).await;
}

/// Every public event of the story is an entry of the transparency log, in order;
/// the checkpoint is signed by the installation's key; every entry is proven
/// included from the tiles the store serves; nothing in it can be changed.
async fn transparency_log(store: &Store, task: i64, cancelled: i64) {
    use liancha_domain::transparency::{LogEntry, Proof, Tiles, split_bundle, verify_checkpoint};
    let key = store.log_key().await.unwrap();
    assert_eq!(key.origin, liancha_store::transparency::DEFAULT_ORIGIN);
    let note = store.log_checkpoint().await.unwrap().expect("a checkpoint");
    let cp = verify_checkpoint(&key.verifier, note.as_bytes()).unwrap();
    let size = store.log_size().await.unwrap();
    assert_eq!(cp.size(), size);
    let entries = store.log_entries(None, 1000).await.unwrap();
    assert_eq!(entries.len() as u64, size);
    let kinds = |t: i64| -> Vec<&str> {
        entries
            .iter()
            .rev()
            .filter(|e| e.entry.task() == Some(t))
            .map(|e| e.entry.kind())
            .collect()
    };
    assert_eq!(
        kinds(task),
        [
            "task.sealed",
            "task.drawn",
            "task.substituted",
            "task.substituted",
            "task.published",
            // An objection upheld by correcting a published result.
            "task.corrected"
        ]
    );
    assert_eq!(kinds(cancelled), ["task.sealed", "task.cancelled"]);
    assert!(entries.iter().any(|e| e.entry.kind() == "credit.listed"));
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.entry.kind() == "credit.removed")
            .count(),
        1
    );
    assert_eq!(
        store.task_log_entries("532323", task).await.unwrap().len(),
        6
    );
    // The bundles hold the same bytes, and the tiles prove each one in the tree.
    let bundle = store
        .log_entry_bundle(0, size as u32)
        .await
        .unwrap()
        .unwrap();
    let bytes = split_bundle(&bundle).unwrap();
    assert!(
        store
            .log_entry_bundle(0, size as u32 + 1)
            .await
            .unwrap()
            .is_none()
    );
    let tiles = Tiles::default();
    for (i, data) in bytes.iter().enumerate() {
        assert_eq!(
            LogEntry::parse(data).unwrap(),
            entries[entries.len() - 1 - i].entry
        );
        loop {
            match tiles.inclusion(&cp, i as u64, data) {
                Ok(()) => break,
                Err(Proof::Need(paths)) => {
                    for p in paths {
                        let t = Tiles::parse_path(&p).unwrap();
                        let d = store
                            .log_hash_tile(t.level(), t.level_index(), t.width())
                            .await
                            .unwrap()
                            .unwrap();
                        tiles.add(&p, d).unwrap();
                    }
                }
                Err(e) => panic!("entry {i}: {e}"),
            }
        }
    }
    // Each earlier checkpoint is kept, and the log only grew from it.
    let first = store.log_checkpoint_at(1).await.unwrap().unwrap();
    let first = verify_checkpoint(&key.verifier, first.as_bytes()).unwrap();
    tiles.consistency(&first, &cp).unwrap();
    refused_as_append_only(
        store,
        &[
            "UPDATE log_entries SET kind = 'x'",
            "DELETE FROM log_nodes",
            "DELETE FROM log_key",
        ],
    )
    .await;
    log_sm2(store).await;
    audit_chain(store).await;
}

/// 国密 turned on for a log that already has entries: the next checkpoint is
/// signed with SM2 too and states the SM3 root of every entry (the earlier ones
/// included); Ed25519 verification is unchanged; a second time is refused.
async fn log_sm2(store: &Store) {
    use liancha_domain::sm2_note::{Sm2Verifier, Sm3Frontier, sm3_root_of};
    use liancha_domain::transparency::verify_checkpoint;
    let key = store.log_key().await.unwrap();
    let before = store.log_size().await.unwrap();
    let sm2 = store.enable_log_sm2(t0()).await.unwrap();
    assert_eq!(
        store.log_sm2_key().await.unwrap(),
        Some((sm2.clone(), before))
    );
    assert!(matches!(
        store.enable_log_sm2(t0()).await,
        Err(StoreError::Conflict(_))
    ));
    let mouding = liancha_store::testing::mouding_county(store).await;
    mouding
        .append_log_entry(
            liancha_domain::transparency::LogEvent::CreditListed {
                entity: "91532323TEST0000XX".into(),
                list: "abnormal".into(),
            },
            t0(),
        )
        .await
        .unwrap();
    let note = store.log_checkpoint().await.unwrap().unwrap();
    let cp = verify_checkpoint(&key.verifier, note.as_bytes()).unwrap();
    assert_eq!(cp.size(), before + 1);
    Sm2Verifier::parse(&sm2)
        .unwrap()
        .verify(note.as_bytes())
        .unwrap();
    let mut sm3 = Sm3Frontier::default();
    for n in 0..cp.size().div_ceil(256) {
        let width = (cp.size() - n * 256).min(256) as u32;
        let bundle = store.log_entry_bundle(n, width).await.unwrap().unwrap();
        for e in liancha_domain::transparency::split_bundle(&bundle).unwrap() {
            sm3.append(e);
        }
    }
    assert_eq!(sm3_root_of(cp.extension()), Some(sm3.root()));
    // The key cannot be swapped or dropped around the application.
    refused_as_append_only(
        store,
        &[
            "DELETE FROM log_sm2",
            "UPDATE log_sm2 SET verifier = 'x'",
            "UPDATE log_sm2 SET signer = 'x'",
        ],
    )
    .await;
}

/// Each statement, run straight on the database, is refused by the log's triggers.
async fn refused_as_append_only(store: &Store, statements: &[&'static str]) {
    for &sql in statements {
        let r = match store.pool() {
            liancha_store::Pool::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            liancha_store::Pool::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        };
        assert!(r.unwrap_err().to_string().contains("append-only"), "{sql}");
    }
}

/// Runs statements as a database administrator could, triggers and all.
async fn admin_sql(store: &Store, statements: &[String]) {
    for sql in statements {
        let r = match store.pool() {
            liancha_store::Pool::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(p)
                .await
                .map(|_| ()),
            liancha_store::Pool::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(p)
                .await
                .map(|_| ()),
        };
        r.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// The audit trail's chain holds for the whole story and matches every head the
/// log anchored. Then, with the triggers dropped as a database administrator could:
/// an edited entry is named; the chain rewritten over the edit holds again but no
/// longer matches the heads in the log; a deleted entry and one slipped in are named.
async fn audit_chain(store: &Store) {
    use liancha_domain::audit_chain::{Break, GENESIS, Linked, link};
    let mouding = liancha_store::testing::mouding_county(store).await;
    let report = mouding.verify_audit_chain().await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(report.links > 20 && report.anchors >= 8, "{report:?}");
    let drop = match store.engine() {
        liancha_store::Engine::Sqlite => vec![
            "DROP TRIGGER audit_log_no_update".to_string(),
            "DROP TRIGGER audit_log_no_delete".to_string(),
            "DROP TRIGGER audit_chain_no_update".to_string(),
        ],
        liancha_store::Engine::Postgres => vec![
            "DROP TRIGGER audit_log_no_change ON audit_log".to_string(),
            "DROP TRIGGER audit_chain_no_change ON audit_chain".to_string(),
        ],
    };
    admin_sql(store, &drop).await;
    type Row = (
        i64,
        i64,
        chrono::DateTime<Utc>,
        Option<i64>,
        String,
        String,
        String,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let read = "SELECT c.seq, a.id, a.at, a.user_id, a.username, a.action, a.object_type, a.object_id, a.task_id, a.before_value, a.after_value \
                FROM audit_chain c JOIN audit_log a ON a.county = c.county AND a.id = c.audit_id WHERE c.county = '532323' ORDER BY c.seq";
    let rows: Vec<Row> = match store.pool() {
        liancha_store::Pool::Sqlite(p) => sqlx::query_as(read).fetch_all(p).await,
        liancha_store::Pool::Postgres(p) => sqlx::query_as(read).fetch_all(p).await,
    }
    .unwrap();
    let edited = rows[3].1;
    admin_sql(
        store,
        &[format!(
            "UPDATE audit_log SET username = 'someone' WHERE id = {edited}"
        )],
    )
    .await;
    let report = mouding.verify_audit_chain().await.unwrap();
    assert_eq!(
        report.breaks,
        [Break::Changed {
            seq: 3,
            audit_id: edited
        }]
    );

    // The administrator recomputes the whole chain over the edit.
    let mut prev = GENESIS;
    let mut rewrite = Vec::new();
    for (seq, id, at, user_id, username, action, object_type, object_id, task_id, before, after) in
        &rows
    {
        let username = if *id == edited {
            "someone"
        } else {
            username.as_str()
        };
        prev = link(
            &prev,
            &Linked {
                county: "532323",
                at: *at,
                user_id: *user_id,
                username,
                action,
                object_type,
                object_id,
                task_id: *task_id,
                before: before.as_deref(),
                after: after.as_deref(),
            },
        );
        let hex = liancha_draw::hex::encode(&prev);
        let lit = match store.engine() {
            liancha_store::Engine::Sqlite => format!("X'{hex}'"),
            liancha_store::Engine::Postgres => format!("'\\x{hex}'::bytea"),
        };
        rewrite.push(format!(
            "UPDATE audit_chain SET hash = {lit} WHERE county = '532323' AND seq = {seq}"
        ));
        if *seq == rows.len() as i64 - 1 {
            rewrite.push(format!(
                "UPDATE audit_heads SET hash = {lit} WHERE county = '532323'"
            ));
        }
    }
    admin_sql(store, &rewrite).await;
    let report = mouding.verify_audit_chain().await.unwrap();
    assert!(!report.breaks.is_empty());
    assert!(
        report
            .breaks
            .iter()
            .all(|b| matches!(b, Break::Anchor { seq, .. } if *seq >= 3)),
        "{:?}",
        report.breaks
    );

    let deleted = rows[rows.len() - 2].1;
    let mut more = vec![format!("DELETE FROM audit_log WHERE id = {deleted}")];
    more.push(
        "INSERT INTO audit_log (county, at, username, action, object_type, object_id) \
         VALUES ('532323', '2026-12-01 00:00:00', 'x', 'task.commit', 'task', '1')"
            .to_string(),
    );
    if store.engine() == liancha_store::Engine::Sqlite {
        more.insert(0, "DROP TRIGGER audit_log_no_delete".to_string());
    }
    let more: Vec<String> = more
        .into_iter()
        .filter(|s| !(s.starts_with("DROP") && drop.contains(s)))
        .collect();
    admin_sql(store, &more).await;
    let report = mouding.verify_audit_chain().await.unwrap();
    assert!(
        report
            .breaks
            .iter()
            .any(|b| matches!(b, Break::Deleted { audit_id, .. } if *audit_id == deleted)),
        "{:?}",
        report.breaks
    );
    assert!(
        report
            .breaks
            .iter()
            .any(|b| matches!(b, Break::Unlinked { .. })),
        "{:?}",
        report.breaks
    );
}

/// After publication: the public search finds each published visit by USCC and by
/// any part of the name, newest first, a page at a time; replaced entities and
/// findings text never appear.
async fn public_search(store: &Store, task_id: i64, first: &str) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    let found = store
        .search_published(&ResultQuery::parse(first).unwrap(), None, 20)
        .await
        .unwrap();
    assert_eq!(found.rows.len(), 1);
    assert_eq!(found.next, None);
    let r = &found.rows[0];
    assert_eq!((r.task_id, r.entity_id.as_str()), (task_id, first));
    assert!(r.problems);
    assert!(r.categories.contains(&ResultCategory::Unreachable));
    assert_eq!(r.departments, vec!["agri".to_string(), "amr".to_string()]);

    // Any two or more consecutive characters of the name find it.
    let name: Vec<char> = mouding
        .entity(first)
        .await
        .unwrap()
        .unwrap()
        .name
        .chars()
        .collect();
    // PostgreSQL reaches a name's rows in two ways (chosen by cost): both, and the
    // choice, give the same pages.
    use liancha_store::search::NameWay;
    let mut pages_by_way = Vec::new();
    for way in [None, Some(NameWay::Walk), Some(NameWay::ByNames)] {
        for (from, len) in [(3, 2), (4, 3), (0, name.len())] {
            let part: String = name[from..from + len].iter().collect();
            let rows = store
                .search_published_by(&ResultQuery::parse(&part).unwrap(), None, 100, way)
                .await
                .unwrap()
                .rows;
            assert!(rows.iter().any(|r| r.entity_id == first), "{part} {way:?}");
            let normalized = liancha_domain::search::normalize(&part);
            assert!(rows.iter().all(|r| {
                liancha_domain::search::normalize(&r.entity_name).contains(&normalized)
            }));
        }

        // Every demo name starts with 牟定县: all eight published visits, in pages of three.
        let all = ResultQuery::parse("牟定县").unwrap();
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = store
                .search_published_by(&all, before, 3, way)
                .await
                .unwrap();
            assert!(page.rows.len() <= 3);
            seen.extend(page.rows.iter().map(|r| r.id));
            match page.next {
                Some(n) => before = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len(), 8, "{way:?}");
        assert!(
            seen.windows(2).all(|w| w[0] > w[1]),
            "newest first: {seen:?}"
        );
        pages_by_way.push(seen);
        let none = ResultQuery::parse("不存在的名称").unwrap();
        assert!(
            store
                .search_published_by(&none, None, 20, way)
                .await
                .unwrap()
                .rows
                .is_empty()
        );
    }
    assert!(pages_by_way.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(store.published_result_count().await.unwrap(), 8);
}

/// Every text a user posts is held to the bounds of imported text: a length, no
/// control characters, no line break in a one-line field. Refused, nothing changes.
async fn posted_text_is_bounded(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    setup(store).await;
    let coordinator = actor(store, "bianban").await;
    let amr = actor(store, "amr-admin").await;
    let now = t0();
    let long_name = "名".repeat(201);
    let long_text = "字".repeat(2001);
    let nul = "正常\0之后";
    let bidi = "某某\u{202e}司公";

    // Task title and the draft.
    for bad in [long_name.as_str(), nul, bidi, "两行\n标题"] {
        let mut t = task_spec();
        t.title = bad.into();
        invalid(mouding.create_task(&t, &coordinator, now).await, "任务名称");
    }
    assert!(mouding.tasks(&Default::default()).await.unwrap().is_empty());
    let id = mouding
        .create_task(&task_spec(), &coordinator, now)
        .await
        .unwrap();
    let task = mouding.task_or_404(id).await.unwrap();
    for bad in [long_name.as_str(), nul] {
        invalid(
            mouding
                .add_witness(id, bad, WitnessRole::Notary, "", &coordinator, now)
                .await,
            "见证人姓名",
        );
        invalid(
            mouding
                .add_witness(id, "李公证", WitnessRole::Notary, bad, &coordinator, now)
                .await,
            "见证人单位",
        );
    }
    assert!(mouding.witnesses(id).await.unwrap().is_empty());
    for bad in [long_text.as_str(), nul] {
        invalid(
            mouding
                .cancel_task(id, task.version, bad, &coordinator, now)
                .await,
            "取消原因",
        );
    }
    let population = demo::entities(DemoSize {
        legal_persons: 120,
        individuals: 380,
    });
    let inspector = demo::inspectors()[0].id.clone();
    invalid(
        mouding
            .declare_conflict(
                &inspector,
                &population[0].id,
                false,
                &long_text,
                &coordinator,
                now,
            )
            .await,
        "回避理由",
    );
    // Annual plans.
    invalid(
        mouding
            .create_annual_plan(
                2026,
                Domain::Market,
                &long_name,
                "amr",
                &[],
                &coordinator,
                now,
            )
            .await,
        "计划名称",
    );
    assert!(mouding.annual_plans(None, false).await.unwrap().is_empty());
    // Targeted inspections.
    let targeted = |document_ref: &str, findings: &str| NewTargeted {
        check_in: liancha_store::results::TargetedCheckIn::Paper {
            reason: "按纸质记录补录".into(),
        },
        entity_id: population[0].id.clone(),
        department: "amr".into(),
        source: TargetedSource::Complaint,
        document_ref: document_ref.into(),
        inspected_on: today(),
        items: vec![],
        findings: findings.into(),
    };
    invalid(
        mouding
            .record_targeted(&targeted(&long_name, ""), &amr, now)
            .await,
        "来源文书编号",
    );
    invalid(
        mouding
            .record_targeted(&targeted("投诉 1 号", &long_text), &amr, now)
            .await,
        "检查情况",
    );
    invalid(
        mouding
            .record_targeted(&targeted("投诉\u{7}1 号", ""), &amr, now)
            .await,
        "来源文书编号",
    );
    // Multi-line free text keeps its line breaks.
    mouding
        .record_targeted(&targeted("投诉 1 号", "第一行\r\n第二行"), &amr, now)
        .await
        .unwrap();
    let task = mouding.task_or_404(id).await.unwrap();
    assert_eq!(
        task.state,
        TaskState::Draft,
        "nothing refused changed the task"
    );
}

/// 信用修复 and 异议 on a published task: the entity of `first` applies through its
/// code to leave the abnormal list `listing` put it on; a double submit is one
/// application; the department refuses with a reason, registers a paper application
/// and grants it, which takes the entity off the list. The entity objects to the
/// published result; the department corrects its item, and the public result and
/// projection follow.
async fn credit_repair_and_objection(
    store: &Store,
    mouding: &liancha_store::County<'_>,
    id: i64,
    first: &str,
    listing: i64,
    amr: &Actor,
    now: DateTime<Utc>,
) {
    use liancha_domain::credit_repair::{
        Objection, ObjectionState, RepairApplication, RepairSource, RepairState,
    };
    let code = mouding
        .visits(id)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.entity_id == first)
        .unwrap()
        .check_code;
    let grounds = |g: &[&str]| g.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let application = RepairApplication::parse(
        CreditList::Abnormal,
        &grounds(&["annual-report"]),
        "已于 2026 年 11 月补报 2025 年度报告",
        "李会计 13800000000",
    )
    .unwrap();
    // The code of another entity's visit does not reach this listing.
    let other = mouding
        .visits(id)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.entity_id != first)
        .unwrap()
        .check_code;
    invalid(
        mouding
            .apply_credit_repair_by_code(&other, listing, &application, now)
            .await,
        "未找到本单位的这一名单记录",
    );
    let a = mouding
        .apply_credit_repair_by_code(&code, listing, &application, now)
        .await
        .unwrap();
    invalid(
        mouding
            .apply_credit_repair_by_code(&code, listing, &application, now)
            .await,
        "待决定",
    );
    // While it awaits its decision, the listing is not removed another way.
    wrong_state(
        mouding
            .remove_credit_listing(listing, "已补报", amr, now)
            .await,
        "待决定的信用修复申请",
    );
    let repairs = mouding.credit_repairs(Some("amr")).await.unwrap();
    assert_eq!(repairs.len(), 1);
    assert_eq!(repairs[0].source, RepairSource::Entity);
    assert_eq!(repairs[0].state, RepairState::Applied);
    assert!(
        mouding
            .credit_repairs(Some("agri"))
            .await
            .unwrap()
            .is_empty()
    );
    let cleared = mouding
        .decide_credit_repair(a, false, "年报尚未公示", amr, now)
        .await
        .unwrap();
    assert!(!cleared);
    assert!(mouding.entity(first).await.unwrap().unwrap().abnormal);
    invalid(
        mouding.decide_credit_repair(a, true, "x", amr, now).await,
        "已经决定",
    );
    let b = mouding
        .apply_credit_repair(
            first,
            listing,
            &application,
            RepairSource::Department,
            amr,
            now,
        )
        .await
        .unwrap();
    assert!(
        mouding
            .decide_credit_repair(b, true, "已核实 2025 年度报告已补报公示", amr, now)
            .await
            .unwrap(),
        "its only listing: the flag is cleared"
    );
    assert!(!mouding.entity(first).await.unwrap().unwrap().abnormal);
    let ended = mouding.listings(CreditList::Abnormal, true).await.unwrap();
    assert!(
        ended
            .iter()
            .any(|l| l.proposal_id == listing && l.removed_at.is_some())
    );
    assert!(
        !mouding
            .listed_entities(CreditList::Abnormal)
            .await
            .unwrap()
            .iter()
            .any(|e| e.id == first)
    );
    wrong_state(
        mouding
            .apply_credit_repair_by_code(&code, listing, &application, now)
            .await,
        "已移出",
    );
    let states: Vec<_> = mouding
        .credit_repairs_of_entity(first)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.state)
        .collect();
    assert_eq!(states, [RepairState::Granted, RepairState::Refused]);

    // 异议 and 更正.
    let objection =
        Objection::parse("amr", "营业执照一项的结果与事实不符", "李会计 13800000000").unwrap();
    let o = mouding
        .object_to_result(&code, &objection, now)
        .await
        .unwrap();
    let open = mouding.objections(Some("amr")).await.unwrap();
    assert_eq!(open.len(), 1);
    assert!(open[0].departments.contains(&"amr".to_string()));
    let results = mouding.visit_results(id, first).await.unwrap();
    let items = mouding.items(false).await.unwrap();
    let amr_item = results
        .keys()
        .find(|c| items.iter().any(|i| &i.code == *c && i.department == "amr"))
        .unwrap()
        .clone();
    let agri_item = results
        .keys()
        .find(|c| items.iter().any(|i| &i.code == *c && i.department != "amr"));
    let agri_item = agri_item.expect("the visit holds another department's item");
    invalid(
        mouding
            .answer_objection(
                o,
                "amr",
                "更正",
                Some((agri_item, &[ResultCategory::NoProblem], "")),
                amr,
                now,
            )
            .await,
        "本部门",
    );
    // Another department does not answer an objection to amr's results.
    invalid(
        mouding
            .answer_objection(o, "agri", "维持", None, amr, now)
            .await,
        "其他部门",
    );
    assert_eq!(
        mouding.visit_results(id, first).await.unwrap(),
        results,
        "nothing changed"
    );
    let before = results[&amr_item].categories.clone();
    let log_before = mouding.audit_count(&Default::default()).await.unwrap();
    // A search by name before the correction: its page is kept for the version of
    // the published results, which the correction must move (the largest id did not).
    let version_before = store.public_results_version().await.unwrap();
    let name = store
        .search_published(&ResultQuery::EntityId(first.to_string()), None, 1)
        .await
        .unwrap()
        .rows[0]
        .entity_name
        .clone();
    let by_name = ResultQuery::parse(&name).unwrap();
    let row_by_name = async || {
        store
            .search_published(&by_name, None, 100)
            .await
            .unwrap()
            .rows
            .into_iter()
            .find(|r| r.task_id == id && r.entity_id == first)
            .map(|r| (r.problems, r.categories))
            .expect("found by name")
    };
    let seen_before = row_by_name().await;
    mouding
        .answer_objection(
            o,
            "amr",
            "经复核，企业已于检查前办结变更登记",
            Some((&amr_item, &[ResultCategory::NoProblem], "")),
            amr,
            now,
        )
        .await
        .unwrap();
    assert!(mouding.audit_count(&Default::default()).await.unwrap() > log_before);
    invalid(
        mouding
            .answer_objection(o, "amr", "again", None, amr, now)
            .await,
        "已经处理",
    );
    let public = mouding.published_results_of_task(id).await.unwrap();
    let corrected = public
        .iter()
        .find(|r| r.entity_id == first && r.item_code == amr_item)
        .unwrap();
    assert_eq!(corrected.categories, [ResultCategory::NoProblem]);
    let note = corrected.correction.as_ref().unwrap();
    assert_eq!(note.reason, "经复核，企业已于检查前办结变更登记");
    assert_eq!(
        note.before_categories,
        before
            .iter()
            .map(|c| c.code())
            .collect::<Vec<_>>()
            .join(",")
    );
    // Audited on the task; the searchable projection follows the result.
    let history: Vec<String> = mouding
        .audit_for_task(id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert!(
        history.iter().any(|h| h == "result.objection"),
        "{history:?}"
    );
    assert!(history.iter().any(|h| h == "result.correct"), "{history:?}");
    let still_problems = mouding
        .visit_results(id, first)
        .await
        .unwrap()
        .values()
        .any(|r| r.categories.iter().any(|c| c.is_problem()));
    let projected: Vec<(bool, Vec<ResultCategory>)> = store
        .search_published(&ResultQuery::EntityId(first.to_string()), None, 100)
        .await
        .unwrap()
        .rows
        .into_iter()
        .filter(|r| r.task_id == id)
        .map(|r| (r.problems, r.categories))
        .collect();
    assert_eq!(projected.len(), 1);
    assert_eq!(projected[0].0, still_problems);
    assert!(
        projected[0].1.contains(&ResultCategory::NoProblem),
        "{projected:?}"
    );
    let answered = mouding.objections_of_visit(id, first).await.unwrap();
    assert_eq!(answered[0].state, ObjectionState::Corrected);
    assert!(
        store.public_results_version().await.unwrap() > version_before,
        "a correction moves the version public caches are keyed on"
    );
    let seen_after = row_by_name().await;
    assert_eq!(
        seen_after, projected[0],
        "the search by name shows the correction"
    );
    assert!(
        seen_before.1.iter().any(|c| before.contains(c)),
        "read before: {seen_before:?}"
    );
}
