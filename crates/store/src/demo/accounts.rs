//! One demo account per role, in every demo county and the offices above them.

use super::*;

/// The password of every demo account; printed by `liancha serve --demo`.
pub const DEMO_PASSWORD: &str = "Liancha#2026";

/// One demo account per role.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub role: liancha_domain::auth::Role,
    /// Where it works: 牟定县, 南华县, 楚雄彝族自治州, 云南省.
    pub division: String,
    /// The role, named for where it works.
    pub role_label: &'static str,
    pub who: String,
}

/// Creates, unless the database already has accounts, one account per role in each
/// demo county (two department admins, so that a two-department task can be
/// reviewed; 南华县's names begin with `nh-`), the province's administrator
/// (`province-admin`), the prefecture's oversight office (`zhou-duchashi`) and its
/// coordinator (`zhou-bianban`, who sets campaigns across the counties). A
/// county's demo inspector is an on-duty market inspector certified for years. Demo
/// accounts need no password change at first sign-in; accounts made with
/// `liancha user add` do.
pub async fn accounts(
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<DemoAccount>> {
    accounts_with(store, now, &[]).await
}

/// [`accounts`], leaving out the inspector account of the counties in `later`: their
/// demo inspector gets an account when put on a team ([`inspector_account`]), so that
/// its 我的检查 has work in it.
pub async fn accounts_with(
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
    later: &[liancha_domain::org::DivisionCode],
) -> Result<Vec<DemoAccount>> {
    use liancha_domain::auth::Role;
    let code = |c: &str| liancha_domain::org::DivisionCode::parse(c).expect("valid demo code");
    let (province, prefecture) = (code(DIVISIONS[0].0), code(DIVISIONS[1].0));
    if !store.users(&province).await?.is_empty() {
        return Ok(vec![]);
    }
    let far = chrono::NaiveDate::from_ymd_opt(2028, 12, 31).expect("valid date");
    let mut plans: Vec<(liancha_domain::org::DivisionCode, String, AccountPlan)> = Vec::new();
    for demo in &COUNTIES {
        let county = store.county(&demo.division());
        let inspector = county
            .inspectors(Some("amr"))
            .await?
            .into_iter()
            .find(|i| i.is_available_on(far))
            .ok_or_else(|| StoreError::invalid("演示数据中没有可用的市场监管执法人员"))?;
        let town = demo.townships[0].1;
        let p = |u: &str| format!("{}{u}", demo.account_prefix);
        let none = || None::<String>;
        let with_inspector = !later.contains(&demo.division());
        for plan in [
            (
                p("admin"),
                format!("{} 系统管理员", demo.name),
                Role::Admin,
                none(),
                none(),
                none(),
            ),
            (
                p("bianban"),
                format!("{}委编办 统筹员", demo.name),
                Role::Coordinator,
                none(),
                none(),
                none(),
            ),
            (
                p("amr-admin"),
                format!("{}市场监管局 管理员", demo.short),
                Role::DepartmentAdmin,
                Some("amr".into()),
                none(),
                none(),
            ),
            (
                p("amr-head"),
                format!("{}市场监管局 负责人", demo.short),
                Role::DepartmentHead,
                Some("amr".into()),
                none(),
                none(),
            ),
            (
                p("agri-admin"),
                format!("{}农业农村局 管理员", demo.short),
                Role::DepartmentAdmin,
                Some("agri".into()),
                none(),
                none(),
            ),
            (
                p("inspector"),
                inspector.name.clone(),
                Role::Inspector,
                Some("amr".into()),
                none(),
                Some(inspector.id.clone()),
            ),
            (
                p("duchashi"),
                format!("{}政府督查室", demo.name),
                Role::Oversight,
                none(),
                none(),
                none(),
            ),
            (
                if demo.account_prefix.is_empty() {
                    "gonghe".to_string()
                } else {
                    p("longchuan")
                },
                format!("{town} 工作人员"),
                Role::Township,
                none(),
                Some(town.to_string()),
                none(),
            ),
        ] {
            if plan.2 == Role::Inspector && !with_inspector {
                continue;
            }
            plans.push((demo.division(), demo.name.to_string(), plan));
        }
    }
    plans.push((
        province.clone(),
        DIVISIONS[0].1.to_string(),
        (
            "province-admin".into(),
            "省级系统管理员".into(),
            Role::Admin,
            None,
            None,
            None,
        ),
    ));
    plans.push((
        prefecture.clone(),
        DIVISIONS[1].1.to_string(),
        (
            "zhou-duchashi".into(),
            "楚雄州政府督查室".into(),
            Role::Oversight,
            None,
            None,
            None,
        ),
    ));
    plans.push((
        prefecture,
        DIVISIONS[1].1.to_string(),
        (
            "zhou-bianban".into(),
            "楚雄州委编办 统筹员".into(),
            Role::Coordinator,
            None,
            None,
            None,
        ),
    ));
    let mut out = Vec::new();
    for (division, where_, plan) in plans {
        out.push(create_demo_account(store, division, where_, plan, now).await?);
    }
    Ok(out)
}

/// The demo inspector account of `county`, for `inspector` of its directory, unless
/// the county has one already.
pub async fn inspector_account(
    store: &Store,
    county: &liancha_domain::org::DivisionCode,
    inspector: &liancha_domain::Inspector,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<DemoAccount>> {
    let Some(demo) = COUNTIES.iter().find(|c| c.division() == *county) else {
        return Ok(None);
    };
    let username = format!("{}inspector", demo.account_prefix);
    if store.user_by_name(&username).await?.is_some() {
        return Ok(None);
    }
    let plan = (
        username,
        inspector.name.clone(),
        liancha_domain::auth::Role::Inspector,
        Some(inspector.department.clone()),
        None,
        Some(inspector.id.clone()),
    );
    create_demo_account(store, county.clone(), demo.name.into(), plan, now)
        .await
        .map(Some)
}

/// (username, name, role, department, township, inspector)
type AccountPlan = (
    String,
    String,
    liancha_domain::auth::Role,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn create_demo_account(
    store: &Store,
    division: liancha_domain::org::DivisionCode,
    where_: String,
    plan: AccountPlan,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<DemoAccount> {
    let actor = crate::accounts::Actor::system("demo");
    let (username, name, role, department, township, inspector_id) = plan;
    {
        let role_label = role.label_at(division.level());
        store
            .create_user(
                &crate::accounts::NewUser {
                    division,
                    username: username.clone(),
                    display_name: name.clone(),
                    role,
                    department,
                    township,
                    inspector_id,
                    password: DEMO_PASSWORD.into(),
                    must_change_password: false,
                },
                &actor,
                now,
            )
            .await?;
        Ok(DemoAccount {
            username,
            role,
            division: where_,
            role_label,
            who: name,
        })
    }
}
