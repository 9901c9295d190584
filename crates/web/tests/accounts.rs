//! An administrator keeps the county's accounts on the web, on both engines: finds
//! one by part of its name, role or state; corrects its name or role; gives a user
//! who forgot their password a new initial one (their sessions end, they must choose
//! their own); a refused form says why beside what was typed and changes nothing;
//! nobody changes their own role, and an account outside the administrator's
//! division does not exist for them.

use liancha_store::Engine;
use liancha_store::demo::DemoSize;

mod common;

const PASSWORD: &str = liancha_store::demo::DEMO_PASSWORD;

async fn accounts_kept_on_the_web(engine: Engine) {
    let size = DemoSize {
        legal_persons: 10,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let admin = srv.login("admin", PASSWORD).await.unwrap();

    // The list, searched: by part of the name or username, by role, by state.
    let (status, page) = srv.get(&admin.cookie, "/staff/users?q=agri").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(">agri-admin</a>"), "{page}");
    assert!(!page.contains(">amr-admin</a>"), "{page}");
    let (_, page) = srv.get(&admin.cookie, "/staff/users?role=oversight").await;
    assert!(page.contains(">duchashi</a>"), "{page}");
    assert!(!page.contains(">agri-admin</a>"), "{page}");
    let (_, page) = srv
        .get(&admin.cookie, "/staff/users?q=nobody-like-this")
        .await;
    assert!(page.contains("没有符合条件的账号"), "{page}");
    // Unknown filter values are ignored, not an error page.
    let (status, _) = srv
        .get(&admin.cookie, "/staff/users?role=x&state=y&page=-3")
        .await;
    assert_eq!(status, 200);

    // A new account refused: the page comes back with the reason and what was
    // typed, never the password.
    let (status, page) = srv
        .post(
            &admin,
            "/staff/users",
            &[
                ("username", "wang.fang"),
                ("display_name", "王芳"),
                ("role", "department-admin"),
                ("password", "Start#2026x"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("未能创建：「部门管理员」账号须指定所属部门"),
        "{page}"
    );
    assert!(page.contains("value=\"wang.fang\"") && page.contains("value=\"王芳\""));
    assert!(
        !page.contains("Start#2026x"),
        "the password is not sent back"
    );
    assert!(
        page.contains("<h1>账号管理</h1>"),
        "the same page, in the workbench"
    );
    assert!(store.user_by_name("wang.fang").await.unwrap().is_none());
    // A binding that does not fit the role is refused, never dropped unseen: a
    // township picked for an account whose role was left as something else does not
    // quietly make that role; no role chosen is refused too.
    for (role, field, value, why) in [
        (
            "admin",
            "township",
            "共和镇",
            "「系统管理员」账号不属于某一乡镇",
        ),
        (
            "oversight",
            "department",
            "amr",
            "「督查室」账号不属于某一部门",
        ),
        (
            "coordinator",
            "inspector_id",
            "5323230101",
            "只有执法检查人员账号关联执法人员编号",
        ),
        ("", "township", "共和镇", "请选择角色"),
    ] {
        let (status, page) = srv
            .post(
                &admin,
                "/staff/users",
                &[
                    ("username", "wang.fang"),
                    ("display_name", "王芳"),
                    ("role", role),
                    (field, value),
                    ("password", "Start#2026x"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{role}: {page}");
        assert!(page.contains(why), "{role}: {page}");
        assert!(store.user_by_name("wang.fang").await.unwrap().is_none());
    }

    // Corrected: the name and the role, in the log with before and after.
    let user = store.user_by_name("agri-admin").await.unwrap().unwrap();
    let path = format!("/staff/users/{}", user.id);
    let (status, page) = srv.get(&admin.cookie, &path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("value=\"agri-admin\"") || page.contains(">agri-admin<"));
    // Refused first: an inspector without an inspector number; nothing changes and
    // the typed name is kept.
    let (status, page) = srv
        .post(
            &admin,
            &path,
            &[
                ("display_name", "李四（农业）"),
                ("role", "inspector"),
                ("department", "agri"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("未保存：执法检查人员账号须关联执法人员名录中的编号"),
        "{page}"
    );
    assert!(page.contains("value=\"李四（农业）\""), "{page}");
    assert_eq!(store.user(user.id).await.unwrap().unwrap(), user);
    let (status, page) = srv
        .post(
            &admin,
            &path,
            &[
                ("display_name", "李四（农业）"),
                ("role", "department-admin"),
                ("department", "agri"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{page}");
    let changed = store.user(user.id).await.unwrap().unwrap();
    assert_eq!(changed.display_name, "李四（农业）");
    let (_, page) = srv
        .get(&admin.cookie, "/staff/audit?what=user.update")
        .await;
    assert!(
        page.contains("修改账号") && page.contains("李四（农业）"),
        "{page}"
    );
    // Two administrators with the page open: the second, whose page still shows the
    // old name, is told so and overwrites nothing.
    let (status, page) = srv
        .post(
            &admin,
            &path,
            &[
                ("display_name", "李四"),
                ("role", "department-admin"),
                ("department", "agri"),
                ("was_display_name", &user.display_name),
                ("was_role", "department-admin"),
                ("was_department", "agri"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("已被他人修改"), "{page}");
    assert_eq!(
        store.user(user.id).await.unwrap().unwrap().display_name,
        "李四（农业）"
    );
    // The log finds the account's own actions by the name it goes by now.
    srv.login("agri-admin", PASSWORD).await.unwrap();
    let (_, page) = srv
        .get(&admin.cookie, "/staff/audit?who=%E6%9D%8E%E5%9B%9B")
        .await;
    assert!(page.contains("agri-admin</span>"), "{page}");
    assert!(!page.contains("amr-admin</span>"), "{page}");

    // A forgotten password: reset only once confirmed; then the old password and
    // the user's sessions are gone and the new one must be changed at sign-in.
    let agri = srv.login("agri-admin", PASSWORD).await.unwrap();
    let reset = format!("/staff/users/{}/password", user.id);
    let (status, page) = srv
        .post(&admin, &reset, &[("password", "Reset#2026z")])
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("未重置：请勾选确认"), "{page}");
    assert_eq!(
        srv.get(&agri.cookie, "/staff/tasks").await.0,
        200,
        "unchanged"
    );
    let (status, page) = srv
        .post(&admin, &reset, &[("password", "short"), ("confirm", "yes")])
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("未重置："), "{page}");
    let (status, _) = srv
        .post(
            &admin,
            &reset,
            &[("password", "Reset#2026z"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        srv.get(&agri.cookie, "/staff/tasks").await.0,
        303,
        "the user's session ended"
    );
    assert_eq!(srv.login("agri-admin", PASSWORD).await.err(), Some(401));
    let again = srv.login("agri-admin", "Reset#2026z").await.unwrap();
    assert_eq!(
        srv.get(&again.cookie, "/staff/tasks").await.0,
        303,
        "sent to choose a password first"
    );
    assert!(
        store
            .user(user.id)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );

    // The address of a refused form, asked for again from the address bar, leads
    // back to the form's page, not to a bare "405".
    let r = srv
        .http
        .get(format!("{}{reset}", srv.base))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], path.as_str());
    let r = srv
        .http
        .get(format!("{}/logout", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers().contains_key("allow"));
    let body = r.text().await.unwrap();
    assert!(body.contains("不能以这种方式访问此地址"), "{body}");

    // Nobody changes their own role; their own name they may.
    let me = store.user_by_name("admin").await.unwrap().unwrap();
    let own = format!("/staff/users/{}", me.id);
    let (status, page) = srv
        .post(
            &admin,
            &own,
            &[("display_name", "系统管理员"), ("role", "oversight")],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("不能更改自己账号的角色或部门"), "{page}");
    assert_eq!(store.user(me.id).await.unwrap().unwrap().role, me.role);
    let (status, page) = srv
        .post(
            &admin,
            &format!("{own}/password"),
            &[("password", "Reset#2026z"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 422, "{page}");

    // Only an administrator keeps accounts; another county's account is not found.
    let duchashi = srv.login("duchashi", PASSWORD).await.unwrap();
    assert_eq!(srv.get(&duchashi.cookie, &path).await.0, 403);
    let (status, _) = srv
        .post(
            &duchashi,
            &reset,
            &[("password", "Steal#2026q"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 403);
    let nh = store.user_by_name("nh-admin").await.unwrap().unwrap();
    let (status, _) = srv
        .get(&admin.cookie, &format!("/staff/users/{}", nh.id))
        .await;
    assert_eq!(status, 404);
    let (status, _) = srv
        .post(
            &admin,
            &format!("/staff/users/{}", nh.id),
            &[("display_name", "x"), ("role", "admin")],
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(store.user(nh.id).await.unwrap().unwrap(), nh);
}

#[tokio::test]
async fn accounts_kept_on_the_web_sqlite() {
    accounts_kept_on_the_web(Engine::Sqlite).await;
}

#[tokio::test]
async fn accounts_kept_on_the_web_postgres() {
    accounts_kept_on_the_web(Engine::Postgres).await;
}
