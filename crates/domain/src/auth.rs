//! Who may do what. Roles, the scope an account is bound to, the password rule, and
//! one function, [`Principal::may`], that every page and API asks before acting.
//! No storage and no HTTP here, so the whole matrix is tested in memory.

use crate::labelled_enum;
use crate::org::{DivisionCode, Level};

labelled_enum! {
    /// 用户角色.
    pub enum Role {
        Admin = ("admin", "系统管理员"),
        Coordinator = ("coordinator", "县级统筹（县委编办）", "县级统筹", "统筹"),
        DepartmentAdmin = ("department-admin", "部门管理员"),
        DepartmentHead = ("department-head", "部门负责人", "负责人"),
        Inspector = ("inspector", "执法检查人员", "检查人员"),
        Oversight = ("oversight", "督查室", "督查"),
        Township = ("township", "乡镇工作人员", "乡镇"),
    }
}

impl Role {
    /// The role's name where the account works: a coordinator above the counties is
    /// the prefecture's or province's, not a county's.
    pub fn label_at(&self, level: Level) -> &'static str {
        match (self, level) {
            (Role::Coordinator, Level::Prefecture) => "州（市）统筹（编办）",
            (Role::Coordinator, Level::Province) => "省级统筹（编办）",
            _ => self.label(),
        }
    }
}

/// A signed-in account, as far as permissions care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    /// Where the account works: its county, or a prefecture or province office, from
    /// which it reads the counties below (see [`Principal::may`]).
    pub division: DivisionCode,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Department code, for department admins and inspectors.
    pub department: Option<String>,
    /// Township name, for township officers.
    pub township: Option<String>,
    /// Inspector id in the directory, for inspectors.
    pub inspector_id: Option<String>,
}

/// What a task looks like to the permission check: who owns it, where it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskScope {
    pub lead_department: String,
    pub departments: Vec<String>,
    /// Empty means the whole county.
    pub townships: Vec<String>,
    /// Inspector ids of the task's teams (after the draw).
    pub inspectors: Vec<String>,
}

/// Everything a request can ask to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// The directories, item lists and rule books (read).
    ReadDirectories,
    /// Phone numbers and other personal data of inspectors.
    ReadInspectorContacts,
    ManageUsers,
    /// Holiday calendar, rule books.
    ManageSettings,
    /// Annual plans of a domain's lead department.
    ManagePlans {
        lead_department: &'a str,
    },
    ReadTask(&'a TaskScope),
    /// Create, edit, commit, reveal, draw, cancel, substitute.
    ManageTask(&'a TaskScope),
    /// Record results for one assigned entity of a task.
    RecordResults(&'a TaskScope),
    /// Approve, return and publish results of the department's items.
    ReviewResults {
        department: &'a str,
    },
    /// Follow-up items and credit proposals of a department.
    ManageFollowUp {
        department: &'a str,
    },
    /// Targeted inspections (complaint, referral, data lead, licensing check) of a department.
    RecordTargeted {
        department: &'a str,
    },
    /// Declare that an inspector of `department` must not inspect an entity
    /// (recusal: a tie, or the entity's request).
    DeclareConflict {
        department: &'a str,
    },
    ReadOversight,
    ReadAudit,
    /// Answer an entity's complaint about a visit (扫码入企): the county's oversight
    /// office, to which it was made.
    HandleComplaint,
    /// Read entities' complaints and ratings: the oversight offices, to which they
    /// are made; not the county's coordinator or administrator, who run the work
    /// complained of.
    ReadComplaints,
    /// Check a visit of the task in on the spot: an inspector of its teams.
    CheckIn(&'a TaskScope),
    /// Check in on arrival at an enterprise for a targeted inspection (complaint,
    /// referral, data lead, licensing check) of `department`: one of its inspectors,
    /// on the spot.
    CheckInTargeted {
        department: &'a str,
    },
    /// Add counties to the tree below the principal's office and give each its first
    /// administrator.
    ManageDivisions,
    /// Set a campaign (专项整治) across the counties below the principal's office.
    SetCampaign,
    /// The installation's transparency log: register its witnesses. The log is
    /// the whole installation's, so only the province office's administrator.
    ManageLog,
    /// Keep a directory or list kept by `department` (its inspectors and items; for
    /// the entity directory, the department that keeps it): import it, correct its
    /// records on their pages.
    KeepDirectory {
        department: &'a str,
    },
    /// Approve a county's joint item lists for publication (审定: the county's
    /// 编办, 「经县委编办审定后向社会公布」).
    ApproveJointLists,
    /// Approve a task's inspection before its plan is sealed (检查审批): the head of
    /// the task's lead department.
    ApproveTask {
        lead_department: &'a str,
    },
}

impl Principal {
    fn in_department(&self, code: &str) -> bool {
        self.department.as_deref() == Some(code)
    }

    /// Whether the account works in a county (and acts there), rather than in a
    /// prefecture or province office above counties.
    /// The account's role, named for where it works.
    pub fn role_label(&self) -> &'static str {
        self.role.label_at(self.division.level())
    }

    pub fn in_county(&self) -> bool {
        self.division.level() == Level::County
    }

    /// Whether the account may work on `county`'s rows at all: its own county, or, for
    /// an office above, a county below it. What it may do there is [`Principal::may`].
    pub fn reaches(&self, county: &DivisionCode) -> bool {
        self.division.contains(county)
    }

    /// The single rule book of permissions, for an action in a county the principal
    /// [`reaches`](Principal::reaches). A prefecture or province office watches the
    /// counties below it and sets up new ones; it does not do their work.
    pub fn may(&self, action: &Action<'_>) -> bool {
        use Role::*;
        if !self.in_county() {
            return match action {
                Action::ReadDirectories => true,
                Action::ReadTask(_) | Action::ReadOversight | Action::ReadAudit => {
                    matches!(self.role, Admin | Oversight | Coordinator)
                }
                Action::ManageUsers | Action::ManageDivisions => self.role == Admin,
                Action::SetCampaign => matches!(self.role, Admin | Coordinator),
                Action::ManageLog => self.role == Admin && self.division.level() == Level::Province,
                Action::ReadComplaints => self.role == Oversight,
                _ => false,
            };
        }
        match action {
            Action::ManageDivisions | Action::SetCampaign | Action::ManageLog => false,
            Action::ReadDirectories => true,
            Action::ApproveJointLists => self.role == Coordinator,
            Action::ApproveTask { lead_department } => {
                self.role == DepartmentHead && self.in_department(lead_department)
            }
            Action::ReadInspectorContacts => {
                matches!(
                    self.role,
                    Admin | Coordinator | DepartmentAdmin | DepartmentHead
                )
            }
            Action::ManageUsers | Action::ManageSettings => self.role == Admin,
            Action::ManagePlans {
                lead_department: department,
            }
            | Action::DeclareConflict { department } => match self.role {
                Coordinator => true,
                DepartmentAdmin => self.in_department(department),
                _ => false,
            },
            Action::ReadTask(t) => match self.role {
                Admin | Coordinator | Oversight => true,
                DepartmentAdmin | DepartmentHead => {
                    t.departments.iter().any(|d| self.in_department(d))
                        || self.in_department(&t.lead_department)
                }
                Inspector => self
                    .inspector_id
                    .as_ref()
                    .is_some_and(|id| t.inspectors.contains(id)),
                Township => self
                    .township
                    .as_ref()
                    .is_some_and(|town| t.townships.is_empty() || t.townships.contains(town)),
            },
            Action::ManageTask(t) => match self.role {
                Coordinator => true,
                DepartmentAdmin => self.in_department(&t.lead_department),
                _ => false,
            },
            Action::RecordResults(t) => match self.role {
                Inspector => self
                    .inspector_id
                    .as_ref()
                    .is_some_and(|id| t.inspectors.contains(id)),
                // A department admin may enter results from paper forms for its own items.
                DepartmentAdmin => t.departments.iter().any(|d| self.in_department(d)),
                _ => false,
            },
            Action::ReviewResults { department }
            | Action::ManageFollowUp { department }
            | Action::RecordTargeted { department } => {
                self.role == DepartmentAdmin && self.in_department(department)
            }
            Action::KeepDirectory { department } => match self.role {
                Admin => true,
                DepartmentAdmin => self.in_department(department),
                _ => false,
            },
            Action::ReadOversight => matches!(self.role, Admin | Coordinator | Oversight),
            Action::ReadAudit => matches!(self.role, Admin | Coordinator | Oversight),
            Action::HandleComplaint | Action::ReadComplaints => self.role == Oversight,
            Action::CheckIn(t) => {
                self.role == Inspector
                    && self
                        .inspector_id
                        .as_ref()
                        .is_some_and(|id| t.inspectors.contains(id))
            }
            Action::CheckInTargeted { department } => {
                self.role == Inspector
                    && self.inspector_id.is_some()
                    && self.in_department(department)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("密码至少 8 个字符")]
    TooShort,
    #[error("密码须包含大写字母、小写字母、数字、符号中的至少三类")]
    TooFewClasses,
    #[error("新密码不能与用户名相同")]
    SameAsUsername,
    #[error("这是常见或已泄露的密码，容易被猜中，请换一个")]
    Common,
}

/// Common and leaked passwords (8 characters or more, lower case), one a line; see
/// the file's header for where the list comes from.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

/// Whether a password is on the list of common and leaked passwords, in any case
/// (`Passw0rd` is `passw0rd`).
pub fn is_common_password(password: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let set = SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });
    set.contains(password.to_lowercase().as_str())
}

/// At least 8 characters from at least 3 of: upper case, lower case, digits, other;
/// not the username, and not a common or leaked password (NIST SP 800-63B).
pub fn check_password(username: &str, password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < 8 {
        return Err(PasswordError::TooShort);
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(PasswordError::SameAsUsername);
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|&&c| c).count() < 3 {
        return Err(PasswordError::TooFewClasses);
    }
    if is_common_password(password) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

/// Failed sign-ins in a row an account takes before it makes attempts wait.
pub const FREE_FAILED_LOGINS: u32 = 4;
/// The longest an account makes attempts wait.
pub const MAX_ACCOUNT_WAIT_MINUTES: i64 = 60;
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// A session ends this long after sign-in, however busy.
pub const SESSION_MAX_HOURS: i64 = 12;

/// How long an account makes the next attempt (from an address that failed lately)
/// wait after `failures` failures in a row: nothing for the first four, then 1
/// minute, 2, 4 … up to an hour. Never a lockout: see `liancha_store::accounts`.
pub fn account_wait(failures: u32) -> Option<chrono::Duration> {
    let over = failures.checked_sub(FREE_FAILED_LOGINS + 1)?;
    let minutes = 1i64
        .checked_shl(over.min(16))
        .unwrap_or(i64::MAX)
        .min(MAX_ACCOUNT_WAIT_MINUTES);
    Some(chrono::Duration::minutes(minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, department: Option<&str>) -> Principal {
        Principal {
            user_id: 1,
            division: DivisionCode::parse("532323").unwrap(),
            username: "u".into(),
            display_name: "u".into(),
            role,
            department: department.map(Into::into),
            township: (role == Role::Township).then(|| "共和镇".into()),
            inspector_id: (role == Role::Inspector).then(|| "I1".into()),
        }
    }

    #[test]
    fn only_the_lead_departments_head_approves_its_tasks() {
        let approve = Action::ApproveTask {
            lead_department: "amr",
        };
        assert!(who(Role::DepartmentHead, Some("amr")).may(&approve));
        assert!(!who(Role::DepartmentHead, Some("agri")).may(&approve));
        for role in Role::ALL.iter().filter(|r| **r != Role::DepartmentHead) {
            assert!(!who(*role, Some("amr")).may(&approve), "{role:?}");
        }
        // The head reads its department's tasks, and manages none.
        let scope = TaskScope {
            lead_department: "amr".into(),
            departments: vec!["amr".into(), "health".into()],
            ..TaskScope::default()
        };
        let head = who(Role::DepartmentHead, Some("amr"));
        assert!(head.may(&Action::ReadTask(&scope)));
        assert!(!head.may(&Action::ManageTask(&scope)));
        assert!(!head.may(&Action::RecordResults(&scope)));
        assert!(!who(Role::DepartmentHead, Some("agri")).may(&Action::ReadTask(&scope)));
        let mut above = head.clone();
        above.division = DivisionCode::parse("5323").unwrap();
        assert!(!above.may(&approve));
    }

    #[test]
    fn a_role_is_named_for_where_it_works() {
        let mut p = who(Role::Coordinator, None);
        assert_eq!(p.role_label(), "县级统筹（县委编办）");
        p.division = DivisionCode::parse("5323").unwrap();
        assert_eq!(p.role_label(), "州（市）统筹（编办）");
        p.division = DivisionCode::parse("53").unwrap();
        assert_eq!(p.role_label(), "省级统筹（编办）");
        p.role = Role::Admin;
        assert_eq!(p.role_label(), "系统管理员");
    }

    #[test]
    fn only_a_countys_coordinator_approves_joint_lists() {
        for role in Role::ALL {
            assert_eq!(
                who(*role, Some("amr")).may(&Action::ApproveJointLists),
                *role == Role::Coordinator,
                "{role:?}"
            );
        }
        let mut above = who(Role::Coordinator, None);
        above.division = DivisionCode::parse("5323").unwrap();
        assert!(!above.may(&Action::ApproveJointLists));
    }

    #[test]
    fn password_rule() {
        assert_eq!(check_password("a", "Ab1"), Err(PasswordError::TooShort));
        assert_eq!(
            check_password("a", "abcdefgh1"),
            Err(PasswordError::TooFewClasses)
        );
        assert!(check_password("a", "abcdefg1!").is_ok());
        assert!(check_password("a", "Abcdefh1").is_ok());
        assert_eq!(
            check_password("x", "admin123"),
            Err(PasswordError::TooFewClasses)
        );
        assert_eq!(
            check_password("Admin_123", "admin_123"),
            Err(PasswordError::SameAsUsername)
        );
    }

    #[test]
    fn account_waits_grow_and_stay_bounded() {
        let m = |n| account_wait(n).map(|d| d.num_minutes());
        assert_eq!((0..=4).map(m).collect::<Vec<_>>(), vec![None; 5]);
        assert_eq!(m(5), Some(1));
        assert_eq!(m(6), Some(2));
        assert_eq!(m(8), Some(8));
        assert_eq!(m(11), Some(60));
        assert_eq!(m(u32::MAX), Some(60));
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        for p in [
            "Passw0rd",
            "PASSWORD1!",
            "pASSw0rd",
            "Aaaaaaa1",
            "Password1",
            "P@ssw0rd",
            "Qwerty123",
        ] {
            assert_eq!(check_password("u", p), Err(PasswordError::Common), "{p}");
        }
        // The demo accounts' password and ordinary strong ones still pass.
        assert!(check_password("admin", "Liancha#2026").is_ok());
        assert!(check_password("u", "Longer#pass1").is_ok());
        assert!(!is_common_password("Kx7#mPq2vL"));
    }

    #[test]
    fn department_admin_is_bound_to_its_department() {
        let t = TaskScope {
            lead_department: "amr".into(),
            departments: vec!["amr".into(), "agri".into()],
            townships: vec![],
            inspectors: vec!["I1".into()],
        };
        let amr = who(Role::DepartmentAdmin, Some("amr"));
        let agri = who(Role::DepartmentAdmin, Some("agri"));
        let env = who(Role::DepartmentAdmin, Some("env"));
        assert!(amr.may(&Action::ManageTask(&t)));
        assert!(!agri.may(&Action::ManageTask(&t)));
        assert!(agri.may(&Action::ReadTask(&t)));
        assert!(!env.may(&Action::ReadTask(&t)));
        assert!(agri.may(&Action::ReviewResults { department: "agri" }));
        assert!(!agri.may(&Action::ReviewResults { department: "amr" }));
    }

    #[test]
    fn conflicts_are_declared_by_the_inspectors_department_or_the_coordinator() {
        let declare = |p: &Principal, d| p.may(&Action::DeclareConflict { department: d });
        let amr = who(Role::DepartmentAdmin, Some("amr"));
        assert!(declare(&amr, "amr"));
        assert!(!declare(&amr, "agri"));
        assert!(declare(&who(Role::Coordinator, None), "agri"));
        for role in [
            Role::Admin,
            Role::Oversight,
            Role::Inspector,
            Role::Township,
        ] {
            assert!(!declare(&who(role, Some("amr")), "amr"), "{role:?}");
        }
        let mut office = who(Role::Coordinator, None);
        office.division = DivisionCode::parse("5323").unwrap();
        assert!(!declare(&office, "amr"));
    }

    #[test]
    fn offices_above_counties_watch_and_set_up_but_do_no_county_work() {
        let scope = TaskScope {
            lead_department: "amr".into(),
            departments: vec!["amr".into()],
            ..TaskScope::default()
        };
        let mut prefecture = who(Role::Oversight, None);
        prefecture.division = DivisionCode::parse("5323").unwrap();
        assert!(!prefecture.in_county());
        assert!(prefecture.reaches(&DivisionCode::parse("532323").unwrap()));
        assert!(prefecture.reaches(&DivisionCode::parse("532324").unwrap()));
        assert!(!prefecture.reaches(&DivisionCode::parse("532523").unwrap()));
        assert!(prefecture.may(&Action::ReadOversight));
        assert!(prefecture.may(&Action::ReadTask(&scope)));
        assert!(prefecture.may(&Action::ReadAudit));
        assert!(!prefecture.may(&Action::ManageUsers));
        assert!(!prefecture.may(&Action::ManageTask(&scope)));
        let mut province_admin = who(Role::Admin, None);
        province_admin.division = DivisionCode::parse("53").unwrap();
        assert!(province_admin.may(&Action::ManageDivisions));
        assert!(province_admin.may(&Action::ManageUsers));
        assert!(!province_admin.may(&Action::ManageSettings));
        assert!(!province_admin.may(&Action::ManageTask(&scope)));
        // The log is the installation's: its province administrator alone.
        assert!(province_admin.may(&Action::ManageLog));
        let mut prefecture_admin = who(Role::Admin, None);
        prefecture_admin.division = DivisionCode::parse("5323").unwrap();
        assert!(prefecture_admin.may(&Action::ManageDivisions));
        assert!(!prefecture_admin.may(&Action::ManageLog));
        assert!(!who(Role::Admin, None).may(&Action::ManageLog));
        // An office's department admin or inspector has no county work either.
        let mut office_clerk = who(Role::DepartmentAdmin, Some("amr"));
        office_clerk.division = DivisionCode::parse("5323").unwrap();
        assert!(!office_clerk.may(&Action::ReviewResults { department: "amr" }));
        assert!(!office_clerk.may(&Action::ReadOversight));
        assert!(!office_clerk.may(&Action::KeepDirectory { department: "amr" }));
        assert!(!province_admin.may(&Action::KeepDirectory { department: "amr" }));
        // A department imports its own directories; the county's admin any.
        let amr = Action::KeepDirectory { department: "amr" };
        assert!(who(Role::Admin, None).may(&amr));
        assert!(who(Role::DepartmentAdmin, Some("amr")).may(&amr));
        assert!(!who(Role::DepartmentAdmin, Some("agri")).may(&amr));
        for role in [
            Role::Coordinator,
            Role::Oversight,
            Role::Inspector,
            Role::Township,
        ] {
            assert!(!who(role, Some("amr")).may(&amr), "{role:?}");
        }
        // A county's own admin does not add counties, nor set campaigns.
        assert!(!who(Role::Admin, None).may(&Action::ManageDivisions));
        assert!(!who(Role::Coordinator, None).may(&Action::SetCampaign));
        let mut zhou = who(Role::Coordinator, None);
        zhou.division = DivisionCode::parse("5323").unwrap();
        assert!(zhou.may(&Action::SetCampaign) && zhou.may(&Action::ReadTask(&scope)));
        assert!(!zhou.may(&Action::ManageTask(&scope)));
        assert!(
            !prefecture.may(&Action::SetCampaign),
            "an oversight office watches"
        );
        let county = who(Role::Oversight, None);
        assert!(!county.reaches(&DivisionCode::parse("532324").unwrap()));
    }

    #[test]
    fn oversight_reads_everything_and_changes_nothing() {
        let t = TaskScope::default();
        let o = who(Role::Oversight, None);
        assert!(o.may(&Action::ReadTask(&t)));
        assert!(o.may(&Action::ReadOversight));
        for a in [
            Action::ManageTask(&t),
            Action::RecordResults(&t),
            Action::ManageUsers,
            Action::ManagePlans {
                lead_department: "amr",
            },
            Action::ReviewResults { department: "amr" },
        ] {
            assert!(!o.may(&a), "{a:?}");
        }
    }

    #[test]
    fn inspector_sees_only_own_assignments() {
        let mine = TaskScope {
            inspectors: vec!["I1".into()],
            ..TaskScope::default()
        };
        let other = TaskScope {
            inspectors: vec!["I2".into()],
            ..TaskScope::default()
        };
        let i = who(Role::Inspector, Some("amr"));
        assert!(i.may(&Action::ReadTask(&mine)));
        assert!(i.may(&Action::RecordResults(&mine)));
        assert!(!i.may(&Action::ReadTask(&other)));
        assert!(!i.may(&Action::RecordResults(&other)));
        assert!(!i.may(&Action::ReadOversight));
        assert!(i.may(&Action::CheckIn(&mine)));
        assert!(!i.may(&Action::CheckIn(&other)));
        assert!(i.may(&Action::CheckInTargeted {
            department: i.department.as_deref().unwrap()
        }));
        assert!(!i.may(&Action::CheckInTargeted {
            department: "another"
        }));
    }

    #[test]
    fn only_the_team_checks_in_and_only_oversight_answers_complaints() {
        let t = TaskScope {
            inspectors: vec!["I1".into()],
            departments: vec!["amr".into()],
            ..TaskScope::default()
        };
        for role in Role::ALL.iter().filter(|r| **r != Role::Inspector) {
            assert!(
                !who(*role, Some("amr")).may(&Action::CheckIn(&t)),
                "{role:?}"
            );
        }
        for role in Role::ALL {
            assert_eq!(
                who(*role, None).may(&Action::HandleComplaint),
                *role == Role::Oversight,
                "{role:?}"
            );
        }
        let mut prefecture = who(Role::Oversight, None);
        prefecture.division = DivisionCode::parse("5323").unwrap();
        assert!(
            !prefecture.may(&Action::HandleComplaint),
            "the county's own office"
        );
        assert!(prefecture.may(&Action::ReadComplaints));
        for role in [Role::Admin, Role::Coordinator, Role::DepartmentAdmin] {
            assert!(
                !who(role, Some("amr")).may(&Action::ReadComplaints),
                "{role:?}"
            );
        }
    }

    #[test]
    fn township_officer_sees_tasks_touching_its_township() {
        let here = TaskScope {
            townships: vec!["共和镇".into()],
            ..TaskScope::default()
        };
        let there = TaskScope {
            townships: vec!["新桥镇".into()],
            ..TaskScope::default()
        };
        let t = who(Role::Township, None);
        assert!(t.may(&Action::ReadTask(&here)));
        assert!(t.may(&Action::ReadTask(&TaskScope::default())));
        assert!(!t.may(&Action::ReadTask(&there)));
        assert!(!t.may(&Action::ManageTask(&here)));
    }
}
