//! 检查审批 and 备案 over real HTTP, on both engines: a task is sealed only after the
//! lead department's head approves the version sealed; a refused step changes
//! nothing; a published plan's filing is recorded, a refused filing form keeps what
//! was typed.

use chrono::{Duration, Utc};
use liancha_domain::Domain;
use liancha_domain::workflow::{TaskMode, TaskState};
use liancha_store::Engine;
use liancha_store::accounts::Actor;
use liancha_store::demo::{DEMO_PASSWORD, DemoSize};
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};

mod common;

use common::field_error;

fn task(title: &str) -> NewTask {
    let today = liancha_domain::calendar::today_in_china();
    NewTask {
        year: chrono::Datelike::year(&today),
        title: title.into(),
        domain: Domain::Market,
        mode: TaskMode::Comprehensive,
        lead_department: "amr".into(),
        items: vec!["SC-001".into(), "NY-001".into()],
        scope: TaskScopeFilter::default(),
        quotas: QuotaSpec::Count([1, 1, 1, 1]),
        team_count: 2,
        team_size: 2,
        avoid_same_township: false,
        inspection_start: today + Duration::days(10),
        inspection_end: today + Duration::days(30),
        plan_entry_id: None,
    }
}

async fn a_task_is_sealed_only_once_its_head_approves(engine: Engine) {
    let size = DemoSize {
        legal_persons: 30,
        individuals: 30,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let amr: Actor = (&store
        .user_by_name("amr-admin")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    let id = mouding
        .create_task(&task("审批联合抽查"), &amr, Utc::now())
        .await
        .unwrap();
    let clerk = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();
    let head = srv.login("amr-head", DEMO_PASSWORD).await.unwrap();
    let page = format!("/staff/tasks/{id}");
    let commit = format!("/staff/tasks/{id}/commit");
    let request = format!("/staff/tasks/{id}/approval/request");
    let decide = format!("/staff/tasks/{id}/approval");
    let in_an_hour = (Utc::now().with_timezone(&liancha_domain::calendar::china())
        + Duration::hours(1))
    .format("%Y-%m-%dT%H:%M")
    .to_string();
    let seal = |v: String| {
        vec![
            ("version".to_string(), v),
            ("confirm".into(), "yes".into()),
            ("other_source".into(), "公证员现场掷骰（五枚）".into()),
            ("other_time".into(), in_an_hour.clone()),
        ]
    };
    let pairs = |f: &[(String, String)]| -> Vec<(String, String)> { f.to_vec() };
    let post = async |s: &common::Session, path: &str, f: Vec<(String, String)>| {
        let form: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        srv.post(s, path, &form).await
    };
    let version = || async { mouding.task_or_404(id).await.unwrap().version.to_string() };

    // Not asked for: the page says so, and sealing is refused, nothing changed.
    let sheet = format!("/staff/tasks/{id}/approval.pdf");
    let (status, _, _) = srv.get_bytes(&clerk.cookie, &sheet).await;
    assert_eq!(status, 404, "no 检查审批表 before a request");
    let (_, body) = srv.get(&clerk.cookie, &page).await;
    assert!(!body.contains("approval.pdf"));
    assert!(
        body.contains("未报请审批") && body.contains("报请审批</button>"),
        "{body}"
    );
    assert!(body.contains("负责人审批同意后才能封存抽取方案"));
    assert!(
        !body.contains("封存方案</button>"),
        "no seal form before approval"
    );
    let audit = mouding.audit_for_task(id).await.unwrap().len();
    let (status, body) = post(&clerk, &commit, pairs(&seal(version().await))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("须经部门负责人审批同意"), "{body}");
    assert!(body.contains("未作任何更改"), "{body}");
    assert_eq!(
        mouding.task_or_404(id).await.unwrap().state,
        TaskState::Draft
    );
    assert_eq!(mouding.audit_for_task(id).await.unwrap().len(), audit);

    // The head cannot decide before a request; the clerk cannot decide at all.
    let approve = |v: String| {
        vec![
            ("version".to_string(), v),
            ("decision".into(), "approve".into()),
        ]
    };
    let (status, _) = post(&head, &decide, approve(version().await)).await;
    assert_eq!(status, 422);
    let (status, _) = post(&clerk, &decide, approve(version().await)).await;
    assert_eq!(status, 403);

    // Asked for: on the head's home page; asking twice is refused.
    let v = vec![("version".to_string(), version().await)];
    let (status, body) = post(&clerk, &request, v.clone()).await;
    assert_eq!(status, 303, "{body}");
    let (status, _) = post(&clerk, &request, v.clone()).await;
    assert_eq!(status, 422);
    let (_, home) = srv.get(&head.cookie, "/staff").await;
    assert!(
        home.contains("待审批的检查任务") && home.contains("审批联合抽查"),
        "{home}"
    );
    assert!(home.contains(&format!("/staff/tasks/{id}#approval")));
    let (_, body) = srv.get(&head.cookie, &page).await;
    assert!(
        body.contains("待负责人审批") && body.contains("name=\"opinion\""),
        "{body}"
    );

    // Refused without an opinion: said, nothing kept; with one: the clerk sees it.
    let refuse = |v: String, o: &str| {
        vec![
            ("version".to_string(), v),
            ("decision".into(), "refuse".into()),
            ("opinion".into(), o.to_string()),
        ]
    };
    let (status, body) = post(&head, &decide, refuse(version().await, " ")).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("不同意时请写明审批意见"), "{body}");
    let (status, _) = post(
        &head,
        &decide,
        refuse(version().await, "检查组太少，请增至三组"),
    )
    .await;
    assert_eq!(status, 303);
    let (_, body) = srv.get(&clerk.cookie, &page).await;
    assert!(
        body.contains("负责人不同意") && body.contains("检查组太少，请增至三组"),
        "{body}"
    );
    let (status, _) = post(&clerk, &commit, pairs(&seal(version().await))).await;
    assert_eq!(status, 422);
    // The 检查审批表 says the refusal and why.
    let (status, kind, pdf) = srv.get_bytes(&clerk.cookie, &sheet).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(kind, "application/pdf");
    let text = common::pdf_text(&pdf);
    assert!(
        text.contains("涉企行政检查审批表")
            && text.contains("不同意。检查组太少，请增至三组")
            && text.contains("审批联合抽查"),
        "{text}"
    );

    // Asked again and approved; a change after the approval asks for a new one.
    let (status, _) = post(&clerk, &request, vec![("version".into(), version().await)]).await;
    assert_eq!(status, 303);
    let (status, _) = post(&head, &decide, approve(version().await)).await;
    assert_eq!(status, 303);
    let approved_at = version().await;
    let mut changed = task("审批联合抽查（修改）");
    changed.team_count = 3;
    mouding
        .update_task(id, approved_at.parse().unwrap(), &changed, &amr, Utc::now())
        .await
        .unwrap();
    let (_, body) = srv.get(&clerk.cookie, &page).await;
    assert!(
        body.contains("任务已修改，原报请或审批失效，须重新报请审批"),
        "{body}"
    );
    assert!(body.contains("（修改前的方案）"));
    // Changed since: no sheet of a plan that is no longer the task's.
    assert!(!body.contains("approval.pdf"));
    let (status, _, _) = srv.get_bytes(&clerk.cookie, &sheet).await;
    assert_eq!(status, 404);
    let (status, body) = post(&clerk, &commit, pairs(&seal(version().await))).await;
    assert_eq!(status, 422, "{body}");
    // At the version the page showed before the change: someone else changed it.
    let (status, _) = post(&clerk, &commit, pairs(&seal(approved_at.clone()))).await;
    assert_eq!(status, 409);
    let (status, _) = post(&clerk, &request, vec![("version".into(), version().await)]).await;
    assert_eq!(status, 303);
    let (status, _) = post(&head, &decide, approve(version().await)).await;
    assert_eq!(status, 303);
    let (_, body) = srv.get(&clerk.cookie, &page).await;
    assert!(
        body.contains("负责人已同意") && body.contains("封存方案</button>"),
        "{body}"
    );
    let (status, body) = post(&clerk, &commit, pairs(&seal(version().await))).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        mouding.task_or_404(id).await.unwrap().state,
        TaskState::Committed
    );

    // The trail: each step, with who and the opinion.
    let trail: Vec<String> = mouding
        .audit_for_task(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    let steps: Vec<&str> = trail
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with("task.approval") || *a == "task.commit")
        .collect();
    assert_eq!(
        steps,
        [
            "task.approval-request",
            "task.approval-refuse",
            "task.approval-request",
            "task.approval-grant",
            "task.approval-request",
            "task.approval-grant",
            "task.commit",
        ]
    );
    // Sealed: no more requests, and the page keeps the record.
    let (status, _) = post(&clerk, &request, vec![("version".into(), version().await)]).await;
    assert_eq!(status, 422);
    let (_, body) = srv.get(&head.cookie, &page).await;
    assert!(
        body.contains("检查审批") && body.contains("检查组太少"),
        "{body}"
    );
    let (_, home) = srv.get(&head.cookie, "/staff").await;
    assert!(home.contains("没有待审批的任务"), "{home}");

    // The sealed task's 检查审批表: the plan as sealed, its items' legal basis, the
    // head's consent; another county's staff do not get it.
    assert!(body.contains(&format!("/staff/tasks/{id}/approval.pdf")));
    let sealed = mouding.task_or_404(id).await.unwrap();
    let head_name = store
        .user_by_name("amr-head")
        .await
        .unwrap()
        .unwrap()
        .display_name;
    let basis = mouding.item("SC-001").await.unwrap().unwrap().legal_basis;
    let (status, _, pdf) = srv.get_bytes(&head.cookie, &sheet).await;
    assert_eq!(status, 200);
    let text = common::pdf_text(&pdf);
    let flat = |s: &str| s.split_whitespace().collect::<String>();
    for said in [
        "涉企行政检查审批表",
        "审批联合抽查（修改）",
        "组成3个检查组",
        "审批意见同意",
        &format!("负责人：{}", flat(&head_name)),
        &flat(&basis)[..flat(&basis)
            .char_indices()
            .nth(12)
            .map_or(flat(&basis).len(), |(i, _)| i)],
        &flat(&sealed.number),
    ] {
        assert!(text.contains(said), "{said} in {text}");
    }
    assert!(
        !text.contains("检查组太少"),
        "only the last request's round"
    );
    assert!(!sealed.number.is_empty(), "sealed tasks are numbered");
    let nanhua = srv.login("nh-admin", DEMO_PASSWORD).await.unwrap();
    let (status, _, _) = srv.get_bytes(&nanhua.cookie, &sheet).await;
    assert_eq!(status, 404, "another county's task is not found");

    // A department without a head: its draft says so before anyone asks.
    let bianban_actor: Actor = (&store
        .user_by_name("bianban")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    let mut agri_led = task("农业牵头的任务");
    agri_led.lead_department = "agri".into();
    let agri = mouding
        .create_task(&agri_led, &bianban_actor, Utc::now())
        .await
        .unwrap();
    let bianban = srv.login("bianban", DEMO_PASSWORD).await.unwrap();
    let (_, body) = srv
        .get(&bianban.cookie, &format!("/staff/tasks/{agri}"))
        .await;
    assert!(body.contains("还没有“部门负责人”账号"), "{body}");
    let (_, body) = srv.get(&bianban.cookie, &page).await;
    assert!(!body.contains("还没有“部门负责人”账号"));
}

async fn a_published_plan_is_filed(engine: Engine) {
    let size = DemoSize {
        legal_persons: 20,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let who = Actor::system("test");
    let now = Utc::now();
    let today = liancha_domain::calendar::today_in_china();
    let plan = mouding
        .create_annual_plan(
            chrono::Datelike::year(&today),
            Domain::Market,
            "市场监管领域年度抽查计划",
            "amr",
            &[],
            &who,
            now,
        )
        .await
        .unwrap();
    mouding
        .add_plan_entry(
            plan,
            3,
            "食品经营抽查",
            &["SC-001".into()],
            "全县",
            &who,
            now,
        )
        .await
        .unwrap();
    let clerk = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();
    let path = format!("/staff/plans/{plan}/filing");
    let page = format!("/staff/plans/{plan}");
    // Not before publication.
    let good = [
        ("filed_with", "牟定县司法局"),
        ("filed_on", &today.to_string()),
        ("reference", "牟司备〔2026〕4号"),
    ];
    let (status, _) = srv.post(&clerk, &path, &good).await;
    assert_eq!(status, 422);
    mouding.publish_annual_plan(plan, &who, now).await.unwrap();
    let (_, body) = srv.get(&clerk.cookie, &page).await;
    assert!(body.contains("尚未登记备案"), "{body}");

    // A day after today: said beside the field, what was typed kept, nothing saved.
    let tomorrow = (today + Duration::days(1)).to_string();
    let (status, body) = srv
        .post(
            &clerk,
            &path,
            &[
                ("filed_with", "牟定县司法局"),
                ("filed_on", &tomorrow),
                ("reference", "牟司备〔2026〕4号"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let m = field_error(&body, "filed_on").unwrap_or_else(|| panic!("{body}"));
    assert!(m.contains("不能晚于今天"), "{m}");
    assert!(body.contains("value=\"牟司备〔2026〕4号\""));
    assert!(
        mouding
            .annual_plan(plan)
            .await
            .unwrap()
            .unwrap()
            .filing
            .is_none()
    );
    // Another department's admin may not file it.
    let other = srv.login("agri-admin", DEMO_PASSWORD).await.unwrap();
    let (status, _) = srv.post(&other, &path, &good).await;
    assert_eq!(status, 403);

    let (status, _) = srv.post(&clerk, &path, &good).await;
    assert_eq!(status, 303);
    let filing = mouding
        .annual_plan(plan)
        .await
        .unwrap()
        .unwrap()
        .filing
        .unwrap();
    assert_eq!(filing.filed_with, "牟定县司法局");
    assert_eq!(filing.reference, "牟司备〔2026〕4号");
    assert_eq!(filing.recorded_by, "牟定市场监管局 管理员");
    let (_, body) = srv.get(&clerk.cookie, &page).await;
    assert!(
        body.contains("牟司备〔2026〕4号") && body.contains("更正备案信息"),
        "{body}"
    );
    // The public sees it on the plans page.
    let (_, public) = srv.get("", "/c/532323/plans").await;
    assert!(public.contains("牟司备〔2026〕4号"), "{public}");
}

#[tokio::test]
async fn a_task_is_sealed_only_once_its_head_approves_sqlite() {
    a_task_is_sealed_only_once_its_head_approves(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_task_is_sealed_only_once_its_head_approves_postgres() {
    a_task_is_sealed_only_once_its_head_approves(Engine::Postgres).await;
}

#[tokio::test]
async fn a_published_plan_is_filed_sqlite() {
    a_published_plan_is_filed(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_published_plan_is_filed_postgres() {
    a_published_plan_is_filed(Engine::Postgres).await;
}
