//! Staff pages over real HTTP, on both engines: every route with every role (allow
//! or deny), CSRF, sign-in, and the rule that a department admin never reads or
//! changes another department's work.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use liancha_domain::Domain;
use liancha_domain::auth::Role;
use liancha_domain::workflow::{SourceDecl, TaskMode, TaskState};
use liancha_store::accounts::{Actor, NewUser};
use liancha_store::demo::{self, DemoSize};
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::{Engine, Store};

mod common;
use common::{Server, Session, encode, hidden_csrf, set_cookie, url_encode};

async fn start(engine: Engine) -> (Server, Store) {
    let size = DemoSize {
        legal_persons: 100,
        individuals: 300,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    (srv, store)
}

fn spec(lead: &str, items: &[&str]) -> NewTask {
    let today = liancha_domain::calendar::today_in_china();
    NewTask {
        year: chrono::Datelike::year(&today),
        title: "联合抽查".into(),
        domain: Domain::Market,
        mode: TaskMode::Comprehensive,
        lead_department: lead.into(),
        items: items.iter().map(|s| s.to_string()).collect(),
        scope: TaskScopeFilter::default(),
        quotas: QuotaSpec::Count([1, 1, 1, 1]),
        team_count: 2,
        team_size: 2,
        avoid_same_township: false,
        inspection_start: today,
        inspection_end: today + Duration::days(20),
        plan_entry_id: None,
    }
}

const PASSWORD: &str = demo::DEMO_PASSWORD;

async fn every_route_with_every_role(engine: Engine) {
    let (srv, store) = start(engine).await;
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let coordinator: Actor = (&store
        .user_by_name("bianban")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    let now = Utc::now();

    // A drawn two-department task (amr leads, agri takes part) and a draft.
    let drawn = mouding
        .create_task(&spec("amr", &["SC-001", "NY-001"]), &coordinator, now)
        .await
        .unwrap();
    let draft = mouding
        .create_task(&spec("amr", &["SC-002"]), &coordinator, now)
        .await
        .unwrap();
    let v = mouding.task_or_404(drawn).await.unwrap().version;
    liancha_store::testing::approve(&mouding, drawn, v, now).await;
    let dice = SourceDecl::other("掷骰", now + Duration::seconds(1)).unwrap();
    mouding
        .commit_task(drawn, v, &[dice], &coordinator, now)
        .await
        .unwrap();
    let v = mouding.task_or_404(drawn).await.unwrap().version;
    mouding
        .reveal_and_draw(
            drawn,
            v,
            &["6".into()],
            &coordinator,
            now + Duration::seconds(2),
        )
        .await
        .unwrap();
    liancha_store::testing::check_in_all(&mouding, drawn, now).await;
    let members = mouding.team_members(drawn).await.unwrap();
    let visits = mouding.visits(drawn).await.unwrap();
    let visit = visits.iter().find(|v| v.team_no.is_some()).unwrap();
    let in_team = members
        .iter()
        .find(|m| Some(m.team_no) == visit.team_no && m.department == "amr")
        .unwrap()
        .inspector_id
        .clone();
    let out_of_task = mouding
        .inspectors(Some("amr"))
        .await
        .unwrap()
        .into_iter()
        .find(|i| !members.iter().any(|m| m.inspector_id == i.id))
        .unwrap()
        .id;
    let admin: Actor = Actor::system("test");
    for (username, role, department, inspector) in [
        (
            "insp-in",
            Role::Inspector,
            Some("amr"),
            Some(in_team.clone()),
        ),
        ("insp-out", Role::Inspector, Some("amr"), Some(out_of_task)),
        ("env-admin", Role::DepartmentAdmin, Some("ecology"), None),
    ] {
        store
            .create_user(
                &NewUser {
                    division: mouding.code().clone(),
                    username: username.into(),
                    display_name: username.into(),
                    role,
                    department: department.map(Into::into),
                    township: None,
                    inspector_id: inspector,
                    password: PASSWORD.into(),
                    must_change_password: false,
                },
                &admin,
                now,
            )
            .await
            .unwrap();
    }

    // Public: the code on the notice checks a visit; nothing unpublished leaks.
    let public = |path: String| {
        let http = srv.http.clone();
        let base = srv.base.clone();
        async move {
            let r = http.get(format!("{base}{path}")).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, body) = public(format!("/check?code={}", visit.check_code.to_lowercase())).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("核验通过") && body.contains(&visit.entity_name),
        "{body}"
    );
    let member = members
        .iter()
        .find(|m| Some(m.team_no) == visit.team_no)
        .unwrap();
    assert!(body.contains(&member.name));
    assert!(
        !body.contains(&member.inspector_id),
        "inspector ids stay internal"
    );
    let (_, body) = public("/check?code=ZZZZZZZZ".into()).await;
    assert!(body.contains("未找到该核验码"));

    // 扫码入企: the entity rates the visit (checked in) and complains through its
    // code, without an account; what is refused says why and keeps what was written.
    let public_post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let http = srv.http.clone();
        let base = srv.base.clone();
        async move {
            let r = http
                .post(format!("{base}{path}"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let location = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            (r.status().as_u16(), location, r.text().await.unwrap())
        }
    };
    let code = visit.check_code.clone();
    let (status, _, body) = public_post(
        "/check/rate",
        vec![
            ("code", code.clone()),
            ("stars", "9".into()),
            ("comment", "留言保留".into()),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("评价须为 1 至 5 星") && body.contains("留言保留"));
    let (status, location, _) = public_post(
        "/check/rate",
        vec![("code", code.to_lowercase()), ("stars", "3".into())],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some(format!("/check?code={code}&done=rated#feedback").as_str())
    );
    let (_, body) = public(format!("/check?code={code}&done=rated")).await;
    assert!(
        body.contains("感谢评价") && body.contains("本次检查已收到 1 条评价"),
        "{body}"
    );
    assert!(
        !body.contains("提交评价"),
        "the form is not offered again at once"
    );
    let (status, _, body) = public_post(
        "/check/complain",
        vec![("code", code.clone()), ("text", "长".repeat(2001))],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("投诉内容"), "{body}");
    let (status, location, _) = public_post(
        "/check/complain",
        vec![
            ("code", code.clone()),
            ("text", "未出示证件".into()),
            ("anonymous", "1".into()),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().contains("done=complained"));
    // Objections wait for the published result; a repair names a listing of the
    // entity's own.
    let (status, _, body) = public_post(
        "/check/object",
        vec![
            ("code", code.clone()),
            ("objection_department", "amr".into()),
            ("objection", "第一项结果与事实不符".into()),
            ("objection_contact", "李四 139".into()),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("检查结果公示后才能对结果提出异议"), "{body}");
    let (status, _, body) = public_post(
        "/check/repair",
        vec![
            ("code", code.clone()),
            ("proposal", "999999".into()),
            ("list", "abnormal".into()),
            ("grounds", "annual-report".into()),
            ("statement", "已补报年度报告".into()),
            ("repair_contact", "李四 139".into()),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("未找到本单位的这一名单记录"), "{body}");
    let (status, _, _) = public_post(
        "/check/complain",
        vec![
            ("code", "ZZZZZZZZ".into()),
            ("text", "x".into()),
            ("anonymous", "1".into()),
        ],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        public(format!("/public/tasks/{drawn}/record.json")).await.0,
        404
    );
    assert_eq!(public(format!("/verify?task={drawn}")).await.0, 404);
    let r = srv
        .http
        .get(format!("{}/verify", srv.base))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let r = srv
        .http
        .get(format!("{}/verify", srv.base))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    assert!(
        !r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("unsafe-inline")
    );
    let (status, body) = public("/verify".into()).await;
    assert_eq!(status, 200);
    assert!(body.contains("src=\"/static/verify-page.js\""));
    let (status, body) = public("/static/verify.js".into()).await;
    assert_eq!(status, 200);
    assert!(body.contains("export async function verifyRecord"));
    let (_, body) = public("/public/tasks".into()).await;
    assert!(!body.contains(&format!("/public/tasks/{drawn}/")));

    // Not signed in: every staff page sends to the sign-in page.
    let r = srv
        .http
        .get(format!("{}/staff/tasks/{drawn}", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );
    assert_eq!(srv.login("bianban", "wrong").await.err(), Some(401));

    let users = [
        "admin",
        "bianban",
        "amr-admin",
        "agri-admin",
        "env-admin",
        "insp-in",
        "insp-out",
        "duchashi",
        "gonghe",
        "amr-head",
    ];
    let mut sessions = BTreeMap::new();
    for u in users {
        sessions.insert(u, srv.login(u, PASSWORD).await.unwrap());
    }

    let readers = [
        "admin",
        "bianban",
        "amr-admin",
        "agri-admin",
        "insp-in",
        "duchashi",
        "gonghe",
        "amr-head",
    ];
    let whole_task_readers: Vec<&str> = readers
        .iter()
        .copied()
        .filter(|u| *u != "insp-in")
        .collect();
    let e = &visit.entity_id;
    let get_rules: Vec<(String, Vec<&str>)> = vec![
        ("/staff".into(), users.to_vec()),
        ("/staff/tasks".into(), users.to_vec()),
        ("/staff/plans".into(), users.to_vec()),
        ("/staff/calendar".into(), users.to_vec()),
        ("/staff/users".into(), vec!["admin"]),
        (
            "/staff/import".into(),
            vec!["admin", "amr-admin", "agri-admin", "env-admin"],
        ),
        ("/account/password".into(), users.to_vec()),
        ("/staff/entities".into(), users.to_vec()),
        ("/staff/inspectors".into(), users.to_vec()),
        (
            "/staff/tasks/new".into(),
            vec!["bianban", "amr-admin", "agri-admin", "env-admin"],
        ),
        (format!("/staff/tasks/{drawn}"), readers.to_vec()),
        // The whole task's files list every team's entities: not for an inspector
        // before publication (they see their own team's visits).
        (
            format!("/staff/tasks/{drawn}/plan.json"),
            whole_task_readers.to_vec(),
        ),
        (
            format!("/staff/tasks/{drawn}/record.json"),
            whole_task_readers.to_vec(),
        ),
        (
            format!("/staff/tasks/{drawn}/exclusions"),
            whole_task_readers.to_vec(),
        ),
        (
            format!("/staff/tasks/{drawn}/review"),
            whole_task_readers.to_vec(),
        ),
        (
            format!("/staff/tasks/{drawn}/review?show=problems&format=xlsx"),
            whole_task_readers.to_vec(),
        ),
        (format!("/staff/tasks/{drawn}/notices"), readers.to_vec()),
        (format!("/staff/tasks/{drawn}/forms"), readers.to_vec()),
        (
            format!("/staff/tasks/{drawn}/notices.pdf"),
            readers.to_vec(),
        ),
        (format!("/staff/tasks/{drawn}/forms.pdf"), readers.to_vec()),
        (format!("/staff/tasks/{drawn}/visits/{e}"), readers.to_vec()),
        (
            format!("/staff/tasks/{draft}/edit"),
            vec!["bianban", "amr-admin"],
        ),
        ("/staff/my".into(), vec!["insp-in", "insp-out"]),
        (
            "/staff/follow-ups".into(),
            vec![
                "admin",
                "bianban",
                "amr-admin",
                "agri-admin",
                "env-admin",
                "duchashi",
            ],
        ),
        (
            "/staff/targeted".into(),
            vec![
                "admin",
                "bianban",
                "amr-admin",
                "agri-admin",
                "env-admin",
                "duchashi",
                "insp-in",
                "insp-out",
            ],
        ),
        ("/staff/audit".into(), vec!["admin", "bianban", "duchashi"]),
        (
            "/staff/conflicts".into(),
            vec![
                "admin",
                "bianban",
                "amr-admin",
                "agri-admin",
                "env-admin",
                "duchashi",
            ],
        ),
        (
            "/staff/oversight".into(),
            vec!["admin", "bianban", "duchashi"],
        ),
        (
            "/staff/oversight/export.xlsx".into(),
            vec!["admin", "bianban", "duchashi"],
        ),
        ("/staff/oversight/complaints".into(), vec!["duchashi"]),
        ("/staff/upward".into(), vec!["admin", "bianban", "duchashi"]),
        (
            "/staff/oversight/report?department=amr".into(),
            vec![
                "admin",
                "bianban",
                "duchashi",
                "amr-admin",
                "agri-admin",
                "env-admin",
            ],
        ),
    ];
    for (path, allowed) in &get_rules {
        for u in users {
            let (status, body) = srv.get(&sessions[u].cookie, path).await;
            let expect = if allowed.contains(&u) { 200 } else { 403 };
            assert_eq!(status, expect, "{engine:?} GET {path} as {u}: {body}");
        }
        // No cache keeps a staff page or export, allowed or refused; none is
        // compressed (its CSRF token beside echoed input: BREACH).
        for u in [allowed[0], "gonghe"] {
            let r = srv
                .http
                .get(format!("{}{path}", srv.base))
                .header("cookie", format!("liancha_session={}", sessions[u].cookie))
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.headers()["cache-control"],
                "no-store",
                "GET {path} as {u}"
            );
            assert!(
                r.headers().get("content-encoding").is_none(),
                "GET {path} as {u}"
            );
        }
    }
    for path in ["/login", "/staff", "/staff/oversight/export.xlsx"] {
        let r = srv
            .http
            .get(format!("{}{path}", srv.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()["cache-control"],
            "no-store",
            "GET {path} signed out"
        );
    }
    // The dashboard shows the task; the monthly report of a department admin is
    // always its own department's, whatever the query asks.
    let (_, dash) = srv
        .get(&sessions["duchashi"].cookie, "/staff/oversight")
        .await;
    assert!(
        dash.contains("<meter") && dash.contains("牟定县市场监督管理局"),
        "{dash}"
    );
    let (_, report) = srv
        .get(
            &sessions["agri-admin"].cookie,
            "/staff/oversight/report?department=amr",
        )
        .await;
    assert!(
        report.contains("牟定县农业农村局") && !report.contains("牟定县市场监督管理局<br>"),
        "{report}"
    );
    let r = srv
        .http
        .get(format!("{}/staff/oversight/export.xlsx", srv.base))
        .header(
            "cookie",
            format!("liancha_session={}", sessions["bianban"].cookie),
        )
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let body = r.bytes().await.unwrap();
    assert_eq!(&body[..2], b"PK");
    // Shares are numbers (in a percent format), not text: they sort and sum in Excel.
    {
        use calamine::{Data, Reader, Xlsx};
        let mut wb: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(body.to_vec())).unwrap();
        let sheet = wb.worksheet_range("按部门").unwrap();
        let header: Vec<String> = sheet
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        for column in ["覆盖率", "问题占比", "牵头任务"] {
            let i = header.iter().position(|h| h == column).unwrap();
            for row in sheet.rows().skip(1) {
                assert!(
                    matches!(row[i], Data::Float(_) | Data::Int(_)),
                    "{column}: {:?}",
                    row[i]
                );
            }
        }
    }

    // Each notice carries its check code and a QR code of the public check page.
    let (_, notices) = srv
        .get(
            &sessions["bianban"].cookie,
            &format!("/staff/tasks/{drawn}/notices"),
        )
        .await;
    assert!(
        notices.contains(&visit.check_code) && notices.contains("<svg"),
        "{notices}"
    );
    assert!(!notices.contains("<?xml"));
    // Dates the way official documents write them, the notice dated the day of the draw.
    let task = mouding.task_or_404(drawn).await.unwrap();
    let cn = liancha_domain::calendar::chinese_date;
    assert!(
        notices.contains(&format!(
            "{}至{}期间",
            cn(task.inspection_start),
            cn(task.inspection_end)
        )),
        "{notices}"
    );
    let drawn_on = liancha_domain::calendar::china_date(task.drawn_at.unwrap());
    assert!(notices.contains(&format!("<br>{}</p>", cn(drawn_on))));
    assert!(!notices.contains(&task.inspection_start.to_string()));

    // What an inspector and a foreign department see in lists.
    let (_, list) = srv.get(&sessions["env-admin"].cookie, "/staff/tasks").await;
    assert!(!list.contains(&format!("/staff/tasks/{drawn}\"")));
    let (_, list) = srv.get(&sessions["insp-in"].cookie, "/staff/tasks").await;
    assert!(list.contains(&format!("/staff/tasks/{drawn}\"")));
    assert!(!list.contains(&format!("/staff/tasks/{draft}\"")));
    let (_, my) = srv.get(&sessions["insp-in"].cookie, "/staff/my").await;
    assert!(my.contains(e.as_str()));
    // A form saved for later (暂存) is marked in the inspector's list.
    assert!(!my.contains("已暂存"), "{my}");
    let insp = store.user_by_name("insp-in").await.unwrap().unwrap();
    let no_answers = Default::default();
    mouding
        .save_visit_draft(
            drawn,
            e.as_str(),
            insp.id,
            &liancha_store::drafts::DraftForm {
                inspected_on: "",
                results: &[],
                answers: &no_answers,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let (_, my) = srv.get(&sessions["insp-in"].cookie, "/staff/my").await;
    assert_eq!(my.matches("已暂存").count(), 1, "{my}");

    // State-changing requests: denied roles get 403 and change nothing; allowed
    // roles get past the permission check (refused by the workflow here, 422).
    let version = mouding
        .task_or_404(drawn)
        .await
        .unwrap()
        .version
        .to_string();
    let stale = "0";
    type Rule<'a> = (String, Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let post_rules: Vec<Rule> = vec![
        (
            format!("/staff/tasks/{drawn}/cancel"),
            vec![("version", stale), ("reason", "测试")],
            vec!["bianban", "amr-admin"],
        ),
        (
            format!("/staff/tasks/{drawn}/publish"),
            vec![("version", &version)],
            vec!["bianban", "amr-admin"],
        ),
        (
            format!("/staff/tasks/{drawn}/commit"),
            vec![("version", &version)],
            vec!["bianban", "amr-admin"],
        ),
        (
            format!("/staff/tasks/{drawn}/substitute"),
            vec![
                ("version", stale),
                ("kind", "inspector"),
                ("id", "x"),
                ("reason", "病"),
            ],
            vec!["bianban", "amr-admin"],
        ),
        // 检查审批: the task's managers ask, the lead department's head decides.
        (
            format!("/staff/tasks/{draft}/approval/request"),
            vec![("version", stale)],
            vec!["bianban", "amr-admin"],
        ),
        (
            format!("/staff/tasks/{draft}/approval"),
            vec![("version", stale), ("decision", "approve")],
            vec!["amr-head"],
        ),
        (
            format!("/staff/tasks/{drawn}/approve"),
            vec![],
            vec!["amr-admin", "agri-admin"],
        ),
        (
            format!("/staff/tasks/{drawn}/visits/{e}"),
            vec![("inspected_on", "")],
            vec!["amr-admin", "agri-admin", "insp-in"],
        ),
        (
            format!("/staff/tasks/{draft}/edit"),
            vec![("lead_department", "amr"), ("title", "")],
            vec!["bianban", "amr-admin"],
        ),
        (
            "/staff/plans".into(),
            vec![
                ("lead_department", "amr"),
                ("year", "x"),
                ("domain", "market"),
                ("title", "t"),
            ],
            vec!["bianban", "amr-admin"],
        ),
        (
            "/staff/users".into(),
            vec![
                ("username", "u"),
                ("display_name", "u"),
                ("role", "nope"),
                ("password", "x"),
            ],
            vec!["admin"],
        ),
        (
            "/staff/calendar".into(),
            vec![("year", "x"), ("days", "")],
            vec!["admin"],
        ),
        (
            "/staff/conflicts".into(),
            vec![
                ("inspector_id", "nobody"),
                ("entity_id", "x"),
                ("kind", "tie"),
                ("reason", "r"),
            ],
            vec!["bianban", "amr-admin", "agri-admin", "env-admin"],
        ),
    ];
    for (path, form, allowed) in &post_rules {
        for u in users {
            let (status, body) = srv.post(&sessions[u], path, form).await;
            if allowed.contains(&u) {
                // A stale version is a conflict (409), other refusals are 422.
                assert!(
                    status == 422 || (status == 409 && form.contains(&("version", stale))),
                    "{engine:?} POST {path} as {u}: {status} {body}"
                );
                assert!(
                    body.contains("未作任何更改")
                        || body.contains("未保存")
                        || body.contains("未登记")
                        || body.contains("未生效"),
                    "{body}"
                );
            } else {
                assert_eq!(status, 403, "{engine:?} POST {path} as {u}: {body}");
            }
        }
    }
    // Attachments: type from the bytes, size capped, only for one's own visit.
    let png = b"\x89PNG\r\n\x1a\n0000";
    let fields = [("purpose", "result"), ("entity", e.as_str())];
    let (status, body) = srv
        .upload(&sessions["insp-in"], drawn, &fields, ("现场照片.png", png))
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        srv.upload(&sessions["insp-out"], drawn, &fields, ("x.png", png))
            .await
            .0,
        403
    );
    assert_eq!(
        srv.upload(&sessions["duchashi"], drawn, &fields, ("x.png", png))
            .await
            .0,
        403
    );
    let (status, body) = srv
        .upload(
            &sessions["insp-in"],
            drawn,
            &fields,
            ("x.exe", b"MZ\x90\x00"),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("不支持的文件类型"), "{body}");
    let mut big = vec![0xFF, 0xD8, 0xFF];
    big.resize(10 * 1024 * 1024 + 1, 0);
    let (status, body) = srv
        .upload(&sessions["insp-in"], drawn, &fields, ("big.jpg", &big))
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("文件过大"), "{body}");
    let (status, _) = srv
        .upload(
            &Session {
                cookie: sessions["insp-in"].cookie.clone(),
                csrf: "forged".into(),
            },
            drawn,
            &fields,
            ("x.png", png),
        )
        .await;
    assert_eq!(status, 403);
    let stored = mouding.attachments(drawn).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].filename.as_str(), stored[0].content_type.as_str()),
        ("现场照片.png", "image/png")
    );
    assert_eq!(
        srv.get(
            &sessions["duchashi"].cookie,
            &format!("/staff/attachments/{}", stored[0].id)
        )
        .await
        .0,
        200
    );
    assert_eq!(
        srv.get(
            &sessions["env-admin"].cookie,
            &format!("/staff/attachments/{}", stored[0].id)
        )
        .await
        .0,
        403
    );

    // An inspector of another team of the same task reads the task, but not this
    // visit's material (the visit's own read rule applies to its attachments).
    let other = members
        .iter()
        .find(|m| m.active && Some(m.team_no) != visit.team_no)
        .unwrap();
    store
        .create_user(
            &NewUser {
                division: mouding.code().clone(),
                username: "insp-other".into(),
                display_name: "insp-other".into(),
                role: Role::Inspector,
                department: Some(other.department.clone()),
                township: None,
                inspector_id: Some(other.inspector_id.clone()),
                password: PASSWORD.into(),
                must_change_password: false,
            },
            &admin,
            now,
        )
        .await
        .unwrap();
    let other_team = srv.login("insp-other", PASSWORD).await.unwrap();
    assert_eq!(
        srv.get(&other_team.cookie, &format!("/staff/tasks/{drawn}"))
            .await
            .0,
        200
    );
    for path in [
        format!("/staff/attachments/{}", stored[0].id),
        format!("/staff/tasks/{drawn}/visits/{e}"),
    ] {
        assert_eq!(srv.get(&other_team.cookie, &path).await.0, 403, "{path}");
    }
    assert_eq!(
        srv.get(
            &sessions["insp-in"].cookie,
            &format!("/staff/attachments/{}", stored[0].id)
        )
        .await
        .0,
        200
    );
    // The task page does not offer the whole task's files to an inspector.
    let (_, page) = srv
        .get(
            &sessions["insp-in"].cookie,
            &format!("/staff/tasks/{drawn}"),
        )
        .await;
    assert!(
        !page.contains("record.json") && !page.contains("plan.json"),
        "{page}"
    );

    // Results for an item come from the visit's team or the item's own department:
    // the agriculture admin cannot post the market item's results of a joint visit.
    let today = liancha_domain::calendar::today_in_china().to_string();
    for (u, item) in [("agri-admin", "SC-001"), ("amr-admin", "NY-001")] {
        let (status, body) = srv
            .post(
                &sessions[u],
                &format!("/staff/tasks/{drawn}/visits/{e}"),
                &[
                    ("inspected_on", &today),
                    (&format!("cat_{item}"), "none"),
                    (&format!("method_{item}"), "on-site"),
                ],
            )
            .await;
        assert_eq!(status, 403, "{u} {item}: {body}");
    }
    let (status, body) = srv
        .post(
            &sessions["agri-admin"],
            &format!("/staff/tasks/{drawn}/visits/{e}"),
            &[
                ("inspected_on", &today),
                ("cat_NY-001", "none"),
                ("method_NY-001", "on-site"),
            ],
        )
        .await;
    // Its own item is saved; the visit waits for the market department's.
    assert_eq!(status, 303, "{body}");
    let saved = mouding.visit_results(drawn, e).await.unwrap();
    assert_eq!(saved.keys().collect::<Vec<_>>(), ["NY-001"]);
    let visit = mouding.visit(drawn, e).await.unwrap().unwrap();
    assert_eq!(visit.state, liancha_domain::workflow::VisitState::Pending);
    let (status, body) = srv
        .post(
            &sessions["amr-admin"],
            &format!("/staff/tasks/{drawn}/visits/{e}"),
            &[
                ("inspected_on", &today),
                ("cat_SC-001", "none"),
                ("method_SC-001", "on-site"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let visit = mouding.visit(drawn, e).await.unwrap().unwrap();
    assert_eq!(visit.state, liancha_domain::workflow::VisitState::Submitted);
    assert_eq!(mouding.visit_results(drawn, e).await.unwrap().len(), 2);
    // Entering results moved the task on, as every change to it does.
    let version = mouding
        .task_or_404(drawn)
        .await
        .unwrap()
        .version
        .to_string();

    // A department admin declares conflicts only for its own inspectors.
    let (status, _) = srv
        .post(
            &sessions["agri-admin"],
            "/staff/conflicts",
            &[
                ("inspector_id", &in_team),
                ("entity_id", e),
                ("kind", "tie"),
                ("reason", "亲属"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = srv
        .post(
            &sessions["amr-admin"],
            "/staff/conflicts",
            &[
                ("inspector_id", &in_team),
                ("entity_id", e),
                ("kind", "entity-request"),
                ("reason", "对象申请"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        mouding
            .conflict_declarations(Some("amr"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        mouding
            .conflict_declarations(Some("agri"))
            .await
            .unwrap()
            .is_empty()
    );

    // A targeted inspection's source document: by its department, typed from the bytes.
    let amr_actor: Actor = (&store
        .user_by_name("amr-admin")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    let targeted = mouding
        .record_targeted(
            &liancha_store::results::NewTargeted {
                check_in: liancha_store::results::TargetedCheckIn::Paper {
                    reason: "按纸质记录补录".into(),
                },
                entity_id: e.clone(),
                department: "amr".into(),
                source: liancha_domain::workflow::TargetedSource::Complaint,
                document_ref: "牟市监投〔2026〕8号".into(),
                inspected_on: liancha_domain::calendar::today_in_china(),
                items: vec![],
                findings: "未发现问题".into(),
            },
            &amr_actor,
            Utc::now(),
        )
        .await
        .unwrap();
    let doc_path = format!("/staff/targeted/{targeted}/document");
    assert_eq!(
        srv.upload_to(
            &sessions["agri-admin"],
            &doc_path,
            &[],
            ("x.pdf", b"%PDF-1.4")
        )
        .await
        .0,
        403
    );
    let (status, body) = srv
        .upload_to(&sessions["amr-admin"], &doc_path, &[], ("x.txt", b"hello"))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        srv.upload_to(
            &sessions["amr-admin"],
            &doc_path,
            &[],
            ("投诉件.pdf", b"%PDF-1.4")
        )
        .await
        .0,
        303
    );
    let listed = mouding.targeted_inspections(Some("amr")).await.unwrap();
    let doc = listed
        .iter()
        .find(|t| t.id == targeted)
        .unwrap()
        .document
        .unwrap();
    assert_eq!(
        srv.get(
            &sessions["duchashi"].cookie,
            &format!("/staff/attachments/{doc}")
        )
        .await
        .0,
        200
    );
    assert_eq!(
        srv.get(
            &sessions["agri-admin"].cookie,
            &format!("/staff/attachments/{doc}")
        )
        .await
        .0,
        403
    );
    assert_eq!(
        srv.get(
            &sessions["insp-in"].cookie,
            &format!("/staff/attachments/{doc}")
        )
        .await
        .0,
        403
    );

    // A department admin cannot create a task led by another department.
    let (status, _) = srv
        .post(
            &sessions["agri-admin"],
            "/staff/tasks",
            &[("lead_department", "amr"), ("title", "x")],
        )
        .await;
    assert_eq!(status, 403);
    let after = mouding.task_or_404(drawn).await.unwrap();
    assert_eq!(after.state, TaskState::Drawn);
    assert_eq!(after.version.to_string(), version);

    // CSRF: the right session without its token is refused, nothing changes.
    let r = srv
        .http
        .post(format!("{}/staff/tasks/{drawn}/cancel", srv.base))
        .header(
            "cookie",
            format!("liancha_session={}", sessions["bianban"].cookie),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&[("version", &version), ("reason", "伪造")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.text().await.unwrap().contains("表单已过期或来源不明"));
    assert_eq!(
        mouding.task_or_404(drawn).await.unwrap().state,
        TaskState::Drawn
    );

    // The admin keeps the calendar: a year's notice replaces that year's days.
    let (status, body) = srv
        .post(
            &sessions["admin"],
            "/staff/calendar",
            &[
                ("year", "2099"),
                ("days", "2099-01-01 off 元旦\n2099-13-01 off x"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("第 2 行"), "{body}");
    let (status, _) = srv
        .post(
            &sessions["admin"],
            "/staff/calendar",
            &[
                ("year", "2099"),
                ("days", "2099-01-01 off 元旦\n2099-01-03 work 元旦调休"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let cal = mouding.calendar().await.unwrap();
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2099, m, d).unwrap();
    assert!(!cal.is_working_day(day(1, 1)) && cal.is_working_day(day(1, 3)));
    // Next year's holidays not entered yet: the page says so, until they are.
    let (_, page) = srv.get(&sessions["admin"].cookie, "/staff/calendar").await;
    let next: i32 = page
        .split("name=\"year\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|y| y.parse().ok())
        .expect("the form offers next year");
    let entered = |cal: &liancha_domain::calendar::WorkCalendar| {
        cal.days()
            .any(|(d, _, _)| chrono::Datelike::year(&d) == next)
    };
    let warning = format!("{next} 年的节假日安排尚未录入");
    assert_eq!(
        page.contains(&warning),
        !entered(&mouding.calendar().await.unwrap()),
        "{page}"
    );
    let (status, _) = srv
        .post(
            &sessions["admin"],
            "/staff/calendar",
            &[
                ("year", &next.to_string()),
                ("days", &format!("{next}-01-01 off 元旦")),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert!(entered(&mouding.calendar().await.unwrap()));
    let (_, page) = srv.get(&sessions["admin"].cookie, "/staff/calendar").await;
    assert!(!page.contains(&warning), "{page}");
    // Creating and disabling accounts.
    let (status, _) = srv
        .post(
            &sessions["admin"],
            "/staff/users",
            &[
                ("username", "newbie"),
                ("display_name", "新人"),
                ("role", "oversight"),
                ("password", "Start#2026x"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let newbie = store.user_by_name("newbie").await.unwrap().unwrap();
    assert!(newbie.must_change_password);
    let first = srv.login("newbie", "Start#2026x").await.unwrap();
    assert_eq!(
        srv.get(&first.cookie, "/staff/tasks").await.0,
        303,
        "sent to the password page first"
    );
    let (status, _) = srv
        .post(
            &first,
            "/account/password",
            &[
                ("current", "Start#2026x"),
                ("new", "Next#2026y"),
                ("repeat", "Next#2026y"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(srv.get(&first.cookie, "/staff/tasks").await.0, 200);
    let (status, _) = srv
        .post(
            &sessions["admin"],
            &format!("/staff/users/{}/disabled", newbie.id),
            &[("disabled", "1")],
        )
        .await;
    assert_eq!(status, 422, "disabling without its confirmation is refused");
    assert_eq!(
        srv.get(&first.cookie, "/staff/tasks").await.0,
        200,
        "and changes nothing"
    );
    let (status, _) = srv
        .post(
            &sessions["admin"],
            &format!("/staff/users/{}/disabled", newbie.id),
            &[("disabled", "1"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 303);
    // Disabled reads like a wrong password (401), not 403: names do not leak.
    assert_eq!(srv.login("newbie", "Next#2026y").await.err(), Some(401));
    assert_eq!(
        srv.get(&first.cookie, "/staff/tasks").await.0,
        303,
        "disabling ends the sessions"
    );

    // An administrator cannot lock themselves out (they may be the county's only
    // one): the store refuses it, and the page does not offer it on their own row.
    let admin = store.user_by_name("admin").await.unwrap().unwrap();
    let (status, own) = srv
        .get(
            &sessions["admin"].cookie,
            &format!("/staff/users/{}", admin.id),
        )
        .await;
    assert_eq!(status, 200, "{own}");
    assert!(own.contains("本人正在使用"), "{own}");
    assert!(!own.contains("停用后立即退出"), "{own}");
    assert!(!own.contains("重置密码</button>"), "{own}");
    let (status, body) = srv
        .post(
            &sessions["admin"],
            &format!("/staff/users/{}/disabled", admin.id),
            &[("disabled", "1"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("不能停用自己"), "{body}");
    assert_eq!(
        srv.get(&sessions["admin"].cookie, "/staff/users").await.0,
        200
    );
    assert!(!store.user_by_name("admin").await.unwrap().unwrap().disabled);

    // Sign-out ends the session.
    let (status, _) = srv.post(&sessions["duchashi"], "/logout", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(srv.get(&sessions["duchashi"].cookie, "/staff").await.0, 303);
}

#[tokio::test]
async fn every_route_with_every_role_sqlite() {
    every_route_with_every_role(Engine::Sqlite).await;
}

#[tokio::test]
async fn every_route_with_every_role_postgres() {
    every_route_with_every_role(Engine::Postgres).await;
}

/// The public pages show what was published and nothing else: no findings text
/// (it may hold internal notes), no inspector ids or phone numbers, no draft,
/// committed or unreviewed task.
async fn public_pages_show_only_what_is_published(engine: Engine) {
    use liancha_domain::InspectionMethod;
    use liancha_domain::workflow::ResultCategory;
    use liancha_store::results::ItemResult;
    let (srv, store) = start(engine).await;
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let actor = |name: &str| {
        let store = store.clone();
        let name = name.to_string();
        async move {
            Actor::from(
                &store
                    .user_by_name(&name)
                    .await
                    .unwrap()
                    .unwrap()
                    .principal(),
            )
        }
    };
    let coordinator = actor("bianban").await;
    let amr = actor("amr-admin").await;
    let agri = actor("agri-admin").await;
    let now = Utc::now();
    let today = liancha_domain::calendar::today_in_china();
    let mut published_spec = spec("amr", &["SC-001", "NY-001"]);
    published_spec.title = "已公示的联合抽查".into();
    let id = mouding
        .create_task(&published_spec, &coordinator, now)
        .await
        .unwrap();
    let mut hidden_spec = spec("amr", &["SC-002"]);
    hidden_spec.title = "尚未公示的联合抽查".into();
    let hidden = mouding
        .create_task(&hidden_spec, &coordinator, now)
        .await
        .unwrap();
    for t in [id, hidden] {
        let v = mouding.task_or_404(t).await.unwrap().version;
        liancha_store::testing::approve(&mouding, t, v, now).await;
        mouding
            .commit_task(
                t,
                v,
                &[SourceDecl::other("掷骰", now + Duration::seconds(1)).unwrap()],
                &coordinator,
                now,
            )
            .await
            .unwrap();
        let v = mouding.task_or_404(t).await.unwrap().version;
        mouding
            .reveal_and_draw(
                t,
                v,
                &["4".into()],
                &coordinator,
                now + Duration::seconds(2),
            )
            .await
            .unwrap();
        liancha_store::testing::check_in_all(&mouding, t, now).await;
    }
    let visits = mouding.visits(id).await.unwrap();
    for (n, v) in visits.iter().filter(|v| v.team_no.is_some()).enumerate() {
        let cat = if n == 0 {
            ResultCategory::Unreachable
        } else {
            ResultCategory::NoProblem
        };
        let results = ["SC-001", "NY-001"].map(|code| ItemResult {
            item_code: code.into(),
            categories: vec![cat],
            methods: vec![InspectionMethod::OnSite],
            findings: "内部备注：线索来自举报人张某".into(),
        });
        mouding
            .record_results(id, &v.entity_id, today, &results, &amr, now)
            .await
            .unwrap();
    }
    mouding.approve_results(id, "amr", &amr, now).await.unwrap();
    mouding
        .approve_results(id, "agri", &agri, now)
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    mouding
        .publish_task(id, v, &coordinator, now)
        .await
        .unwrap();
    let proposal = mouding.credit_proposals(Some("amr")).await.unwrap()[0].id;
    mouding
        .decide_credit_proposal(proposal, true, "", &amr, now)
        .await
        .unwrap();

    let get = |path: String| {
        let http = srv.http.clone();
        let base = srv.base.clone();
        async move {
            let r = http.get(format!("{base}{path}")).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let first = visits.iter().find(|v| v.team_no.is_some()).unwrap();
    let members = mouding.team_members(id).await.unwrap();
    let inspectors = mouding.inspectors(None).await.unwrap();
    let mut pages = Vec::new();
    for path in [
        "/public/tasks".to_string(),
        format!("/public/tasks/{id}"),
        format!("/c/532323/entities/{}", first.entity_id),
        "/public/lists".to_string(),
        "/c/532323/plans".to_string(),
        format!("/check?code={}", first.check_code),
        format!("/public/results?q={}", first.entity_id),
        format!(
            "/public/results?q={}",
            url_encode(
                &first
                    .entity_name
                    .chars()
                    .skip(3)
                    .take(2)
                    .collect::<String>()
            )
        ),
        "/public/results?q=%E7%89%9F%E5%AE%9A%E5%8E%BF".to_string(),
        "/c/532323/stats".to_string(),
        "/c/532323/tasks".to_string(),
        "/c/532323/lists".to_string(),
    ] {
        let (status, body) = get(path.clone()).await;
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains("内部备注"), "findings leak on {path}");
        assert!(
            !body.contains("尚未公示的联合抽查"),
            "unpublished task on {path}"
        );
        for m in &members {
            assert!(
                !body.contains(&format!(">{}<", m.inspector_id)),
                "inspector id on {path}"
            );
        }
        for i in &inspectors {
            if let Some(phone) = &i.phone {
                assert!(!body.contains(phone.as_str()), "phone number on {path}");
            }
        }
        pages.push(body);
    }
    assert!(pages[0].contains("已公示的联合抽查"));
    assert!(
        pages[1].contains("通过登记的住所（经营场所）无法联系")
            && pages[1].contains(&first.entity_name)
    );
    assert!(
        pages[2].contains("已公示的联合抽查"),
        "the entity's page lists its published inspection"
    );
    assert!(
        pages[3].contains(&first.entity_id),
        "the confirmed listing shows"
    );
    // Search by USCC and by two characters of the name finds the published visit.
    for (page, how) in [(&pages[6], "USCC"), (&pages[7], "two characters")] {
        assert!(
            page.contains(&first.entity_name) && page.contains("已公示的联合抽查"),
            "search by {how}"
        );
        assert!(page.contains("发现问题"), "the problem shows ({how})");
    }
    // 牟定县 is in every demo name: every published visit, and only those.
    let published = visits.iter().filter(|v| v.team_no.is_some()).count();
    assert_eq!(pages[8].matches("href=\"/public/tasks/").count(), published);
    assert!(pages[9].contains("抽查结果统计") && pages[9].contains("<meter"));
    assert!(
        pages[9].contains(&format!("{published} 户次")),
        "stats count the published visits"
    );
    // The drawn, unpublished task: its announcement (sealed plans are public from
    // the commit on), never whom it drew; no record, nothing to verify yet.
    let (status, page) = get(format!("/public/tasks/{hidden}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("尚未公示的联合抽查") && page.contains("已抽取，检查中"));
    for v in mouding.visits(hidden).await.unwrap() {
        assert!(!page.contains(&v.entity_id) && !page.contains(&v.entity_name));
    }
    assert!(
        !page.contains("record.json"),
        "no record before publication"
    );
    for path in [
        format!("/public/tasks/{hidden}/record.json"),
        format!("/verify?task={hidden}"),
    ] {
        assert_eq!(get(path.clone()).await.0, 404, "{path}");
    }
    let (status, record) = get(format!("/public/tasks/{id}/record.json")).await;
    assert_eq!(status, 200);
    liancha_draw::verify_record(record.as_bytes()).unwrap();
}

#[tokio::test]
async fn public_pages_show_only_what_is_published_sqlite() {
    public_pages_show_only_what_is_published(Engine::Sqlite).await;
}

#[tokio::test]
async fn public_pages_show_only_what_is_published_postgres() {
    public_pages_show_only_what_is_published(Engine::Postgres).await;
}

/// Searches and downloads are limited per address; pages are not; the refusal says
/// when to come back.
#[tokio::test]
async fn public_rate_limits() {
    let db = liancha_store::testing::TestDb::new(Engine::Sqlite).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = liancha_web::router(liancha_web::AppState::new(db.store.clone()).with_limits(
        liancha_web::limits::Limits {
            search_per_minute: 3,
            download_per_minute: 2,
            trust_forwarded_for: false,
        },
    ));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    let http = reqwest::Client::new();
    let get = |path: &'static str| {
        let http = http.clone();
        async move {
            http.get(format!("http://{addr}{path}"))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(
            get("/public/results?q=%E5%86%9C%E8%B5%84").await.status(),
            200
        );
    }
    let refused = get("/public/results?q=%E5%86%9C%E8%B5%84").await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(refused.headers()["cache-control"], "no-store");
    assert!(refused.text().await.unwrap().contains("请求过于频繁"));
    // Pages and the other limit's routes are unaffected.
    assert_eq!(get("/public/tasks").await.status(), 200);
    assert_eq!(get("/public/tasks/999/record.json").await.status(), 404);
    assert_eq!(get("/public/tasks/999/record.json").await.status(), 404);
    assert_eq!(get("/public/tasks/999/record.json").await.status(), 429);
    // The check-code lookup shares the search's limit: codes cannot be tried at speed.
    assert_eq!(get("/check?code=ABCD-EFGH").await.status(), 429);
}

/// Signs in from `address` (the proxy's X-Forwarded-For) and returns the answer.
async fn sign_in_from(
    srv: &Server,
    address: &str,
    user: &str,
    password: &str,
    next: &str,
) -> reqwest::Response {
    let r = srv
        .http
        .get(format!("{}/login", srv.base))
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap();
    let login_cookie = set_cookie(&r, "liancha_login").unwrap();
    let csrf = hidden_csrf(&r.text().await.unwrap());
    srv.http
        .post(format!("{}/login", srv.base))
        .header("x-forwarded-for", address)
        .header("cookie", format!("liancha_login={login_cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&[
            ("username", user),
            ("password", password),
            ("csrf", &csrf),
            ("next", next),
        ]))
        .send()
        .await
        .unwrap()
}

fn refusal_text(body: &str) -> String {
    let at = body.find("role=\"alert\">").expect("a refusal");
    body[at..at + body[at..].find("</p>").unwrap()].to_string()
}

/// Sign-in: same-site redirects only; wrong passwords slow an address and an account
/// down, but never keep the real user out; every refusal reads and takes alike.
#[tokio::test]
async fn sign_in_is_throttled_without_lockout_or_enumeration() {
    let size = DemoSize {
        legal_persons: 20,
        individuals: 20,
    };
    let limits = liancha_web::limits::Limits {
        trust_forwarded_for: true,
        ..Default::default()
    };
    let srv = common::start(Engine::Sqlite, size, true, Some(limits)).await;
    let store = srv.store();

    // Redirects after sign-in stay on this site, and always carry a Location.
    for (i, next) in [
        "/%09/evil.example/x",
        "/\t/evil.example/x",
        "/\\evil.example",
        "//evil.example",
        "/%0d%0aSet-Cookie:%20a=b",
        "/\r\nSet-Cookie: a=b",
    ]
    .into_iter()
    .enumerate()
    {
        let r = sign_in_from(&srv, &format!("10.1.0.{i}"), "bianban", PASSWORD, next).await;
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], "/staff", "{next:?}");
    }
    let r = sign_in_from(&srv, "10.1.1.1", "bianban", PASSWORD, "/staff/tasks?x=1").await;
    assert_eq!(r.headers()["location"], "/staff/tasks?x=1");

    // Unknown, disabled and wrong read the same, with the same status.
    let admin = Actor::system("test");
    let gone = store.user_by_name("gonghe").await.unwrap().unwrap();
    store
        .set_user_disabled(gone.id, true, &admin, Utc::now())
        .await
        .unwrap();
    let mut answers = Vec::new();
    let mut times = BTreeMap::new();
    for (i, (user, password)) in [
        ("bianban", "Wrong#2026"),
        ("nobody-here", PASSWORD),
        ("gonghe", PASSWORD),
    ]
    .into_iter()
    .enumerate()
    {
        let mut spent = Vec::new();
        for j in 0..3 {
            let started = std::time::Instant::now();
            let r = sign_in_from(&srv, &format!("10.2.{i}.{j}"), user, password, "/staff").await;
            spent.push(started.elapsed());
            let status = r.status().as_u16();
            answers.push((status, refusal_text(&r.text().await.unwrap())));
        }
        spent.sort();
        times.insert(user, spent[1]);
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 401);
    // The disabled and unknown accounts cost a real password check too (the old code
    // answered ~20 times faster). The margin is wide: the tests share two cores with
    // other tests, and a password check is the same work, not the same milliseconds.
    for user in ["nobody-here", "gonghe"] {
        assert!(
            times[user] * 8 >= times["bianban"],
            "{user} {:?} vs {:?}",
            times[user],
            times["bianban"]
        );
    }

    // A stranger fails on admin over and over: its address soon waits ...
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(sign_in_from(&srv, "203.0.113.9", "admin", "Guess#0000", "/staff").await);
    }
    let codes: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(codes, [401, 401, 401, 401, 401, 429, 429]);
    let wait: i64 = statuses[5].headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    // ... and after the wait, the account makes it wait too, even with the password,
    srv.clock.advance(Duration::seconds(3));
    assert_eq!(
        sign_in_from(&srv, "203.0.113.9", "admin", PASSWORD, "/staff")
            .await
            .status(),
        401
    );
    // while the real admin at another desk signs in at once: no lockout.
    let r = sign_in_from(&srv, "198.51.100.7", "admin", PASSWORD, "/staff").await;
    assert_eq!(r.status(), 303);
    // Signed-in staff see the directory's ids and certificate numbers; the public not.
    let cookie = set_cookie(&r, "liancha_session").unwrap();
    let someone = liancha_store::testing::mouding_county(&store)
        .await
        .inspectors(None)
        .await
        .unwrap()
        .remove(0);
    let (_, staff_view) = srv.get(&cookie, "/c/532323/inspectors").await;
    let public_view = srv
        .http
        .get(format!("{}/c/532323/inspectors", srv.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(staff_view.contains(&someone.certificate_no) && staff_view.contains(&someone.id));
    assert!(!public_view.contains(&someone.certificate_no));
}

/// A flood of sign-ins from many addresses: password hashing runs on the blocking
/// pool a few at a time, the overflow is refused at once with 503 and Retry-After,
/// and other pages stay fast meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_flood_does_not_stall_pages() {
    let size = DemoSize {
        legal_persons: 20,
        individuals: 20,
    };
    let limits = liancha_web::limits::Limits {
        trust_forwarded_for: true,
        ..Default::default()
    };
    // No per-address post limit here: the flood comes from 200 addresses anyway.
    let srv = std::sync::Arc::new(
        common::start_with(Engine::Sqlite, size, true, Some(limits), |s| {
            s.with_login_per_minute(0)
        })
        .await,
    );
    let r = srv
        .http
        .get(format!("{}/login", srv.base))
        .send()
        .await
        .unwrap();
    let login_cookie = set_cookie(&r, "liancha_login").unwrap();
    let csrf = hidden_csrf(&r.text().await.unwrap());
    let body = encode(&[
        ("username", "admin"),
        ("password", "Guess#0000"),
        ("csrf", &csrf),
        ("next", "/staff"),
    ]);
    let mut flood = Vec::new();
    for i in 0..200 {
        let (srv, body, login_cookie) = (srv.clone(), body.clone(), login_cookie.clone());
        flood.push(tokio::spawn(async move {
            let r = srv
                .http
                .post(format!("{}/login", srv.base))
                .header("x-forwarded-for", format!("10.9.{}.{}", i / 250, i % 250))
                .header("cookie", format!("liancha_login={login_cookie}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let retry = r.headers().get("retry-after").is_some();
            (r.status().as_u16(), retry)
        }));
    }
    let mut slowest = std::time::Duration::ZERO;
    for _ in 0..20 {
        let started = std::time::Instant::now();
        let r = srv
            .http
            .get(format!("{}/healthz", srv.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let mut answers = BTreeMap::new();
    for f in flood {
        let (status, retry) = f.await.unwrap();
        if status == 503 {
            assert!(retry, "503 says when to come back");
        }
        *answers.entry(status).or_insert(0) += 1;
    }
    eprintln!("healthz slowest {slowest:?} during the flood; answers {answers:?}");
    assert!(
        slowest < std::time::Duration::from_millis(250),
        "/healthz took {slowest:?} during a sign-in flood"
    );
    assert!(answers.get(&503).is_some_and(|&n| n > 0), "{answers:?}");
    assert!(answers.get(&401).is_some_and(|&n| n > 0), "{answers:?}");
    assert_eq!(answers.values().sum::<i32>(), 200);
}

/// Writes a request head declaring a body of `length` bytes, sends only `sent` bytes
/// of it, and returns the status line the server answers with, within 5 seconds:
/// a server that waited for the rest of the body would not answer.
async fn answer_before_body(base: &str, head: &str, length: usize, sent: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.strip_prefix("http://").unwrap();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("{head}Content-Length: {length}\r\nHost: {addr}\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&vec![b'-'; sent]).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("answered without the body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    text.lines().next().unwrap_or("").to_string()
}

/// Uploads: without a session or the CSRF token, or declaring more than the cap, a
/// post is refused before its body is read (only 1 KiB of a declared 100 MB is sent).
#[tokio::test]
async fn uploads_are_refused_before_the_body_is_read() {
    let size = DemoSize {
        legal_persons: 20,
        individuals: 20,
    };
    let srv = common::start(Engine::Sqlite, size, true, None).await;
    let s = srv.login("bianban", PASSWORD).await.unwrap();
    let big = 100 * 1024 * 1024;
    let multipart = "Content-Type: multipart/form-data; boundary=b\r\n";
    for (what, path, cookie) in [
        (
            "no token",
            "/staff/tasks/1/attachments".to_string(),
            s.cookie.as_str(),
        ),
        (
            "forged token",
            "/staff/tasks/1/attachments?csrf=forged".to_string(),
            s.cookie.as_str(),
        ),
        (
            "no token",
            "/staff/targeted/1/document".to_string(),
            s.cookie.as_str(),
        ),
        ("no token", "/staff/import".to_string(), s.cookie.as_str()),
        (
            "no session",
            format!("/staff/tasks/1/attachments?csrf={}", s.csrf),
            "none",
        ),
    ] {
        let head =
            format!("POST {path} HTTP/1.1\r\nCookie: liancha_session={cookie}\r\n{multipart}");
        let status = answer_before_body(&srv.base, &head, big, 1024).await;
        let expect = if cookie == "none" { " 303 " } else { " 403 " };
        assert!(status.contains(expect), "{what} {path}: {status}");
    }
    // With the token, a declared size over the cap is refused at once too.
    for (path, length) in [
        (
            format!("/staff/tasks/1/attachments?csrf={}", s.csrf),
            big + 20 * 1024 * 1024,
        ),
        (
            format!("/staff/targeted/1/document?csrf={}", s.csrf),
            13 * 1024 * 1024,
        ),
        (format!("/staff/import?csrf={}", s.csrf), 31 * 1024 * 1024),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nCookie: liancha_session={}\r\n{multipart}",
            s.cookie
        );
        let status = answer_before_body(&srv.base, &head, length, 1024).await;
        assert!(status.contains(" 413 "), "{path}: {status}");
    }
    // The same token in a header is accepted (the check passes, the body is read).
    let r = srv
        .http
        .post(format!("{}/staff/tasks/1/attachments", srv.base))
        .header("cookie", format!("liancha_session={}", s.cookie))
        .header("x-csrf-token", &s.csrf)
        .header("content-type", "multipart/form-data; boundary=b")
        .body("--b--\r\n")
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 403);
}

/// 扫码入企 outside the random tasks: an inspector checks a targeted inspection in on
/// arrival (two inspectors at least, the place the phone gave), then enters its
/// findings once; the department's head enters one from paper only saying why it
/// was not checked in; nobody else fills another department's findings.
async fn targeted_inspections_are_checked_in_on_the_spot(engine: Engine) {
    let (srv, store) = start(engine).await;
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let inspector = srv.login("inspector", PASSWORD).await.unwrap();
    let me = store
        .user_by_name("inspector")
        .await
        .unwrap()
        .unwrap()
        .principal()
        .inspector_id
        .unwrap();
    let today = liancha_domain::calendar::today_in_china();
    let colleague = mouding
        .inspectors(Some("amr"))
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.id != me && i.is_available_on(today))
        .unwrap();
    let entity = mouding
        .entities(&Default::default(), 0, 1)
        .await
        .unwrap()
        .rows
        .remove(0)
        .id;
    let (status, page) = srv.get(&inspector.cookie, "/staff/targeted").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("现场签到（到达企业时）") && page.contains(&colleague.name));
    assert!(
        !page.contains("<h2>按纸质记录补录</h2>"),
        "an inspector does not enter paper records"
    );

    // Alone: refused beside the field, what was typed kept, nothing recorded.
    let form = |present: &'static str| {
        vec![
            ("entity_id", entity.clone()),
            ("source", "complaint".to_string()),
            ("document_ref", "牟市监投〔2026〕21号".to_string()),
            ("present", present.to_string()),
            ("latitude", "25.311204".to_string()),
            ("longitude", "101.543210".to_string()),
            ("accuracy", "30".to_string()),
        ]
    };
    let alone = form("");
    let alone: Vec<(&str, &str)> = alone.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = srv
        .post(&inspector, "/staff/targeted/check-in", &alone)
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("两名以上执法人员") && page.contains("牟市监投〔2026〕21号"),
        "{page}"
    );
    assert!(
        mouding
            .targeted_inspections(Some("amr"))
            .await
            .unwrap()
            .is_empty()
    );

    // A colleague with a declared tie to the entity may not be one of the two.
    let tied = mouding
        .inspectors(Some("amr"))
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.id != me && i.id != colleague.id && i.is_available_on(today))
        .unwrap();
    mouding
        .declare_conflict(
            &tied.id,
            &entity,
            false,
            "亲属关系",
            &Actor::system("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    let mut with_tied = form("");
    with_tied.retain(|(k, _)| *k != "present");
    with_tied.push(("present", tied.id.clone()));
    let with_tied: Vec<(&str, &str)> = with_tied.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = srv
        .post(&inspector, "/staff/targeted/check-in", &with_tied)
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("回避关系"), "{page}");
    assert!(
        mouding
            .targeted_inspections(Some("amr"))
            .await
            .unwrap()
            .is_empty()
    );

    let mut two = form("");
    two.retain(|(k, _)| *k != "present");
    two.push(("present", colleague.id.clone()));
    let two: Vec<(&str, &str)> = two.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = srv.post(&inspector, "/staff/targeted/check-in", &two).await;
    assert_eq!(status, 303, "{page}");
    let rows = mouding.targeted_inspections(Some("amr")).await.unwrap();
    assert_eq!(rows.len(), 1);
    let t = &rows[0];
    assert_eq!((t.check_in_mode.as_str(), t.inspected_on), ("code", today));
    assert!(t.inspectors.contains(&colleague.name) && t.checked_in_at.is_some());
    assert_eq!(t.location().unwrap().latitude_e6, 25_311_204);
    assert!(t.awaits_findings());
    // The same check-in posted twice (a double tap): one inspection.
    let (status, page) = srv.post(&inspector, "/staff/targeted/check-in", &two).await;
    assert_eq!(status, 409, "{page}");
    assert_eq!(
        mouding
            .targeted_inspections(Some("amr"))
            .await
            .unwrap()
            .len(),
        1
    );
    // It counts toward the entity's inspections this year at once.
    let (_, page) = srv.get(&inspector.cookie, "/staff/targeted").await;
    assert!(
        page.contains("填写检查情况") && page.contains("北纬 25.311204"),
        "{page}"
    );

    // Another department's inspector neither checks in for amr nor fills its findings.
    let findings = format!("/staff/targeted/{}/findings", t.id);
    let agri_admin = srv.login("agri-admin", PASSWORD).await.unwrap();
    let (status, _) = srv
        .post(&agri_admin, &findings, &[("findings", "无问题")])
        .await;
    assert_eq!(status, 403);
    let (status, page) = srv
        .post(&inspector, &findings, &[("items", ""), ("findings", "")])
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("检查情况未保存：请填写检查情况"), "{page}");
    assert!(mouding.targeted_inspections(Some("amr")).await.unwrap()[0].awaits_findings());
    let (status, _) = srv
        .post(
            &inspector,
            &findings,
            &[("findings", "经核查，投诉反映的问题属实，已责令改正")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, page) = srv
        .post(&inspector, &findings, &[("findings", "再填一次")])
        .await;
    assert_eq!(status, 409, "{page}");
    let t = mouding
        .targeted_inspections(Some("amr"))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(t.findings, "经核查，投诉反映的问题属实，已责令改正");

    // The head enters a paper record only with the reason there was no check-in.
    let admin = srv.login("amr-admin", PASSWORD).await.unwrap();
    let paper = [
        ("entity_id", entity.as_str()),
        ("source", "referral"),
        ("document_ref", "牟市监转〔2026〕3号"),
        ("inspected_on", &today.to_string()),
        ("items", ""),
        ("findings", "未发现问题"),
    ];
    let (status, page) = srv.post(&admin, "/staff/targeted", &paper).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("未能现场签到的原因"), "{page}");
    let mut no_findings = paper.to_vec();
    no_findings.retain(|(k, _)| *k != "findings");
    no_findings.push(("paper_reason", "执法记录仪故障，未能签到"));
    let (status, page) = srv.post(&admin, "/staff/targeted", &no_findings).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("请按纸质记录填写检查情况"), "{page}");
    let mut with_reason = paper.to_vec();
    with_reason.push(("paper_reason", "执法记录仪故障，未能签到"));
    let (status, page) = srv.post(&admin, "/staff/targeted", &with_reason).await;
    assert_eq!(status, 303, "{page}");
    let rows = mouding.targeted_inspections(Some("amr")).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .any(|t| t.check_in_mode == "paper" && t.paper_reason.contains("执法记录仪"))
    );
    // The head does not check in on the spot: that is an inspector's, there.
    let (status, _) = srv.post(&admin, "/staff/targeted/check-in", &two).await;
    assert_eq!(status, 403);
    // The oversight office sees how the year's targeted inspections were checked in.
    let office = srv.login("duchashi", PASSWORD).await.unwrap();
    let (_, page) = srv.get(&office.cookie, "/staff/oversight").await;
    assert!(
        page.contains("现场签到 1 次") && page.contains("纸质补录（未现场签到）1 次"),
        "{page}"
    );
}

#[tokio::test]
async fn targeted_inspections_are_checked_in_on_the_spot_sqlite() {
    targeted_inspections_are_checked_in_on_the_spot(Engine::Sqlite).await;
}

#[tokio::test]
async fn targeted_inspections_are_checked_in_on_the_spot_postgres() {
    targeted_inspections_are_checked_in_on_the_spot(Engine::Postgres).await;
}
