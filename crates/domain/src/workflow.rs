//! The life of a joint inspection task and of what it finds: states and their
//! transitions, result categories and what each one leads to (follow-up, credit),
//! declared randomness sources, and the substitution rule after a draw.

use chrono::{DateTime, NaiveDate, Utc};
use liancha_draw::{Plan, Purpose, Seed, Ticket, Ticketer, drand};

use crate::calendar::WorkCalendar;
use crate::labelled_enum;
use crate::labels::RiskClass;

labelled_enum! {
    /// 检查模式.
    pub enum TaskMode {
        Comprehensive = ("comprehensive", "综合查一次"),
        Directed = ("directed", "领域定向抽查", "定向"),
        Campaign = ("campaign", "专项检查", "专项"),
    }
}

labelled_enum! {
    /// Where a task stands. Draft → committed → drawn → published; any state but
    /// published can be cancelled, and a cancelled task stays visible with its reason.
    pub enum TaskState {
        Draft = ("draft", "草稿"),
        Committed = ("committed", "方案已封存"),
        Drawn = ("drawn", "已抽取，检查中"),
        Published = ("published", "结果已公示"),
        Cancelled = ("cancelled", "已取消"),
    }
}

labelled_enum! {
    /// Where one visit (one entity of a task) stands.
    pub enum VisitState {
        Pending = ("pending", "待检查"),
        Submitted = ("submitted", "已提交，待审核"),
        Returned = ("returned", "已退回，待修改"),
        Published = ("published", "结果已公示"),
        Unassigned = ("unassigned", "未能分配检查组"),
        Replaced = ("replaced", "已替补"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("任务处于「{}」状态，不能{action}", .state.label())]
    WrongState {
        state: TaskState,
        action: &'static str,
    },
    #[error("{0}")]
    Invalid(String),
}

impl TaskState {
    /// The task's plan can still be edited.
    pub fn editable(self) -> bool {
        self == TaskState::Draft
    }

    /// Entities in a task in this state are "in an open task" for exclusions.
    pub fn is_open(self) -> bool {
        matches!(self, TaskState::Committed | TaskState::Drawn)
    }

    pub fn require(self, wanted: TaskState, action: &'static str) -> Result<(), WorkflowError> {
        if self == wanted {
            Ok(())
        } else {
            Err(WorkflowError::WrongState {
                state: self,
                action,
            })
        }
    }

    pub fn cancellable(self) -> bool {
        !matches!(self, TaskState::Published | TaskState::Cancelled)
    }
}

labelled_enum! {
    /// 检查结果 categories of the national market-regulation system.
    pub enum ResultCategory {
        NoProblem = ("none", "未发现问题"),
        NotDisclosed = ("not-disclosed", "未按规定公示应当公示的信息"),
        FalseDisclosure = ("false-disclosure", "公示信息隐瞒真实情况弄虚作假"),
        Unreachable = ("unreachable", "通过登记的住所（经营场所）无法联系", "通过登记的住所无法联系"),
        Obstructed = ("obstructed", "不配合检查情节严重"),
        Corrected = ("corrected", "发现问题已责令改正"),
        PendingAction = ("pending-action", "发现问题待后续处理"),
        NoActivity = ("no-activity", "未发现开展本次抽查涉及的经营活动"),
        Closed = ("closed", "已关闭停业或正在组织清算"),
        OtherViolation = ("other-violation", "违反其他相关规定"),
    }
}

labelled_enum! {
    /// 信用名单.
    pub enum CreditList {
        Abnormal = ("abnormal", "经营异常名录"),
        Blacklist = ("blacklist", "严重违法失信名单"),
    }
}

impl ResultCategory {
    /// The codes of the categories that are problems (see [`ResultCategory::is_problem`]).
    pub fn problem_codes() -> impl Iterator<Item = &'static str> {
        Self::ALL
            .iter()
            .filter(|c| c.is_problem())
            .map(|c| c.code())
    }

    /// A problem the responsible department must follow up.
    pub fn is_problem(self) -> bool {
        use ResultCategory::*;
        matches!(
            self,
            NotDisclosed
                | FalseDisclosure
                | Unreachable
                | Obstructed
                | Corrected
                | PendingAction
                | OtherViolation
        )
    }

    /// The list this finding leads to by rule, if any: 《企业信息公示暂行条例》 and the
    /// SAMR rules on the abnormal list (not disclosing, false disclosure, unreachable at
    /// the registered address) and on the serious-violation list (obstructing
    /// inspection in a serious way). A proposal only: the department confirms it.
    pub fn credit_list(self) -> Option<CreditList> {
        use ResultCategory::*;
        match self {
            NotDisclosed | FalseDisclosure | Unreachable => Some(CreditList::Abnormal),
            Obstructed => Some(CreditList::Blacklist),
            _ => None,
        }
    }

    /// The follow-up a problem starts with by default; the department can change it.
    pub fn default_follow_up(self) -> Option<FollowUpKind> {
        use ResultCategory::*;
        match self {
            NotDisclosed | Corrected => Some(FollowUpKind::Rectify),
            FalseDisclosure | Obstructed | PendingAction | OtherViolation => {
                Some(FollowUpKind::Case)
            }
            Unreachable => Some(FollowUpKind::Rectify),
            _ => None,
        }
    }
}

/// Checks one item's result: at least one category; 未发现问题 stands alone.
pub fn check_categories(categories: &[ResultCategory]) -> Result<(), WorkflowError> {
    if categories.is_empty() {
        return Err(WorkflowError::Invalid("请至少选择一项检查结果".into()));
    }
    if categories.contains(&ResultCategory::NoProblem) && categories.len() > 1 {
        return Err(WorkflowError::Invalid(
            "「未发现问题」不能与其他检查结果同时选择".into(),
        ));
    }
    Ok(())
}

/// The ratios per risk class a task drawn by the rule book uses: the rule book's,
/// each raised to the least ratio of the task's items (抽查比例, "不低于").
pub fn raised_ratios(book: [u32; 4], floor: Option<u32>) -> [u32; 4] {
    book.map(|r| r.max(floor.unwrap_or(0)))
}

/// Holders of each required specialty a task needs so that every draw forms its
/// teams (draw-v2 §3): a team takes at most one specialist per required specialty
/// before anyone else is drawn, so `(teams − 1) × specialties + 1` always leave one
/// for the last team; with one specialty, one per team.
pub fn specialists_needed(teams: u32, specialties: usize) -> usize {
    if specialties == 0 || teams == 0 {
        return 0;
    }
    (teams as usize - 1) * specialties + 1
}

labelled_enum! {
    /// 后续处置.
    pub enum FollowUpKind {
        Rectify = ("rectify", "责令整改"),
        Case = ("case", "立案查处"),
        Transfer = ("transfer", "移送"),
        Notify = ("notify", "抄告"),
    }
}

labelled_enum! {
    pub enum FollowUpState {
        Open = ("open", "处置中"),
        Closed = ("closed", "已办结"),
    }
}

labelled_enum! {
    pub enum ProposalState {
        Proposed = ("proposed", "待确认"),
        Confirmed = ("confirmed", "已确认列入"),
        Rejected = ("rejected", "不予列入"),
    }
}

labelled_enum! {
    /// 定向检查 sources: not drawn, but counted toward the annual cap. Every visit
    /// to an enterprise outside a drawn task is one of these (国办发〔2024〕54号).
    pub enum TargetedSource {
        Complaint = ("complaint", "投诉举报"),
        Referral = ("referral", "转办交办"),
        DataLead = ("data-lead", "大数据监测线索", "数据线索"),
        // A check on site of what an applicant for a licence declared.
        Licensing = ("licensing", "许可核查", "许可检查"),
    }
}

labelled_enum! {
    /// 见证人身份.
    pub enum WitnessRole {
        Notary = ("notary", "公证员"),
        PeoplesCongress = ("npc", "人大代表"),
        Cppcc = ("cppcc", "政协委员"),
        Press = ("press", "新闻媒体"),
        Other = ("other", "其他见证人"),
    }
}

labelled_enum! {
    /// Why an entity of the scope is not in the draw's population.
    pub enum ExclusionReason {
        NotActive = ("not-active", "非存续状态（注销、吊销、迁出）"),
        CapReached = ("cap-reached", "本年度检查次数已达上限（含定向检查）"),
        OpenTask = ("open-task", "已在同类事项的进行中任务内"),
    }
}

/// The stratum an entity is drawn in: its risk class, raised by confirmed listings,
/// so that the rule book's higher ratio applies (an abnormal-list entity one class up,
/// a blacklisted entity in D).
pub fn effective_stratum(class: RiskClass, abnormal: bool, blacklisted: bool) -> RiskClass {
    if blacklisted {
        RiskClass::D
    } else if abnormal {
        match class {
            RiskClass::A => RiskClass::B,
            RiskClass::B => RiskClass::C,
            _ => RiskClass::D,
        }
    } else {
        class
    }
}

/// A declared randomness source and the earliest time its value can exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDecl {
    pub text: String,
    pub not_before: DateTime<Utc>,
}

impl SourceDecl {
    /// A drand quicknet round: its time is the round's emission time.
    pub fn drand(round: u64) -> Self {
        SourceDecl {
            text: format!("drand quicknet round {round}"),
            not_before: DateTime::from_timestamp(drand::round_time(round), 0)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }

    /// The first quicknet round emitted at or after `t`.
    pub fn drand_round_after(t: DateTime<Utc>) -> u64 {
        let secs = t.timestamp() - drand::QUICKNET_GENESIS;
        if secs <= 0 {
            1
        } else {
            (secs as u64).div_ceil(drand::QUICKNET_PERIOD as u64) + 1
        }
    }

    /// Any other source (a witness's dice, a lottery draw), with the time the clerk
    /// declares it happens. A drand source's time always comes from its round.
    pub fn other(text: &str, not_before: DateTime<Utc>) -> Result<Self, WorkflowError> {
        let text = text.trim();
        if text.is_empty() || text.contains('\0') {
            return Err(WorkflowError::Invalid("随机源说明不能为空".into()));
        }
        if let Some(round) = drand::parse_source(text) {
            return Ok(SourceDecl::drand(round));
        }
        Ok(SourceDecl {
            text: text.into(),
            not_before,
        })
    }

    /// A public beacon (drand): anyone can fetch its value once its round is out.
    pub fn is_public(&self) -> bool {
        drand::parse_source(&self.text).is_some()
    }

    /// The plan's digest and sources are announced at the commit, and the seed is
    /// a function of the digest and the revealed values only: with public beacons
    /// alone, anyone could compute the draw once the round is out and know which
    /// entities will be visited before the visits. One source whose value is not
    /// public (a notary's dice, revealed at the draw and published with the
    /// results) keeps the selection unknown until then; a beacon beside it keeps
    /// the county from choosing the outcome.
    pub fn require_private(sources: &[SourceDecl]) -> Result<(), WorkflowError> {
        if !sources.is_empty() && sources.iter().all(SourceDecl::is_public) {
            return Err(WorkflowError::Invalid(
                "只声明 drand 公共随机数时，轮次一到任何人都能算出抽取结果，检查对象在检查前即被推知；请再声明一个现场随机源（如公证员掷骰），其揭示值随检查结果公示".into(),
            ));
        }
        Ok(())
    }

    /// Commit needs every source to lie in the future.
    pub fn check_future(&self, now: DateTime<Utc>) -> Result<(), WorkflowError> {
        if self.not_before <= now {
            return Err(WorkflowError::Invalid(format!(
                "随机源「{}」的时间已过，封存方案时只能声明未来的随机源",
                self.text
            )));
        }
        Ok(())
    }

    /// Reveal needs every source's time to have passed; a drand value must carry a
    /// valid signature of its round.
    pub fn check_reveal(&self, value: &str, now: DateTime<Utc>) -> Result<(), WorkflowError> {
        if now < self.not_before {
            return Err(WorkflowError::Invalid(format!(
                "随机源「{}」的时间（{}）未到，不能揭示",
                self.text,
                crate::calendar::format_china_time_seconds(self.not_before)
            )));
        }
        let value = value.trim();
        if value.is_empty() {
            return Err(WorkflowError::Invalid(format!(
                "请填写随机源「{}」的揭示值",
                self.text
            )));
        }
        if let Some(round) = drand::parse_source(&self.text) {
            drand::verify_quicknet(round, value).map_err(|e| {
                WorkflowError::Invalid(format!("drand 第 {round} 轮签名校验失败：{e}"))
            })?;
        }
        Ok(())
    }
}

/// The publication deadline: `days` working days after the inspection ended.
pub fn publication_deadline(cal: &WorkCalendar, inspection_end: NaiveDate, days: u32) -> NaiveDate {
    cal.add_working_days(inspection_end, days)
}

labelled_enum! {
    pub enum DeadlineFlag {
        OnTime = ("on-time", "正常"),
        Near = ("near", "临近公示期限"),
        Overdue = ("overdue", "已超期未公示"),
    }
}

/// Working days within which a deadline counts as near.
pub const DEADLINE_NEAR_DAYS: u32 = 3;

pub fn deadline_flag(cal: &WorkCalendar, today: NaiveDate, deadline: NaiveDate) -> DeadlineFlag {
    if today > deadline {
        DeadlineFlag::Overdue
    } else if cal.working_days_between(today, deadline) <= DEADLINE_NEAR_DAYS {
        DeadlineFlag::Near
    } else {
        DeadlineFlag::OnTime
    }
}

/// Substitution after the draw, by the documented rule: the replacement is the next
/// candidate in ticket order (the same tickets the draw used, from the same seed), so
/// that anyone holding the record can recompute it.
pub struct Substitution<'a> {
    pub plan: &'a Plan,
    pub seed: Seed,
}

impl Substitution<'_> {
    fn order(&self, purpose: Purpose, ids: impl Iterator<Item = String>) -> Vec<(Ticket, String)> {
        let t = Ticketer::new(&self.seed, purpose);
        let mut v: Vec<(Ticket, String)> = ids.map(|id| (t.ticket(&id), id)).collect();
        v.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
        });
        v
    }

    /// The inspector who replaces `out`: the first in inspector-ticket order of the
    /// same department who is in no team (`taken`) and has no conflict with any
    /// entity of the team (`team_entities`), nor lives in their township when the
    /// plan recuses same-township inspectors, and who holds every required
    /// specialty (`liancha-draw/2`) that `out` brought and the team's other
    /// members (`team_others`) lack, so a team never loses its 特种设备 inspector.
    pub fn inspector(
        &self,
        out: &str,
        taken: &[String],
        team_entities: &[String],
        team_others: &[String],
    ) -> Option<String> {
        let leaving = self.plan.inspectors.iter().find(|i| i.id == out)?;
        let department = &leaving.department;
        let holds = |id: &str, s: &String| {
            self.plan
                .inspectors
                .iter()
                .any(|i| i.id == id && i.specialties.contains(s))
        };
        let needed: Vec<&String> = self
            .plan
            .teams
            .iter()
            .flat_map(|t| &t.specialties)
            .filter(|s| leaving.specialties.contains(s))
            .filter(|s| !team_others.iter().any(|m| m != out && holds(m, s)))
            .collect();
        let avoid = self
            .plan
            .teams
            .as_ref()
            .is_some_and(|t| t.avoid_same_township);
        let townships: Vec<&str> = self
            .plan
            .entities
            .iter()
            .filter(|e| team_entities.contains(&e.id))
            .filter_map(|e| e.township.as_deref())
            .collect();
        let candidates = self.plan.inspectors.iter().filter(|i| {
            &i.department == department
                && needed.iter().all(|s| i.specialties.contains(s))
                && i.id != out
                && !taken.contains(&i.id)
                && !self
                    .plan
                    .conflicts
                    .iter()
                    .any(|c| c.inspector == i.id && team_entities.contains(&c.entity))
                && !(avoid
                    && i.township
                        .as_deref()
                        .is_some_and(|t| townships.contains(&t)))
        });
        self.order(Purpose::Inspector, candidates.map(|i| i.id.clone()))
            .into_iter()
            .next()
            .map(|(_, id)| id)
    }

    /// The entity that replaces `out`: the first in entity-ticket order of the same
    /// stratum that was not selected (`used`: every entity selected or substituted so
    /// far) and is not itself excluded now (`unavailable`).
    pub fn entity(&self, out: &str, used: &[String], unavailable: &[String]) -> Option<String> {
        let stratum = &self.plan.entities.iter().find(|e| e.id == out)?.stratum;
        let candidates = self.plan.entities.iter().filter(|e| {
            &e.stratum == stratum
                && e.id != out
                && !used.contains(&e.id)
                && !unavailable.contains(&e.id)
        });
        self.order(Purpose::Entity, candidates.map(|e| e.id.clone()))
            .into_iter()
            .next()
            .map(|(_, id)| id)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_plan_needs_a_source_that_is_not_public() {
        let t = chrono::Utc::now() + chrono::Duration::hours(1);
        let drand = SourceDecl::drand(SourceDecl::drand_round_after(t));
        let dice = SourceDecl::other("公证员掷骰", t).unwrap();
        assert!(drand.is_public() && !dice.is_public());
        assert!(SourceDecl::require_private(std::slice::from_ref(&drand)).is_err());
        assert!(SourceDecl::require_private(&[drand.clone(), drand.clone()]).is_err());
        assert!(SourceDecl::require_private(&[drand.clone(), dice.clone()]).is_ok());
        assert!(SourceDecl::require_private(&[dice]).is_ok());
        // A round typed as "other" is still the public beacon.
        let typed = SourceDecl::other(&drand.text, t).unwrap();
        assert!(SourceDecl::require_private(&[typed]).is_err());
    }
    use super::*;
    use liancha_draw::{Conflict, Object, PlanEntity, PlanInspector, Selection, TeamRules};

    #[test]
    fn categories_rules() {
        use ResultCategory::*;
        assert!(check_categories(&[]).is_err());
        assert!(check_categories(&[NoProblem]).is_ok());
        assert!(check_categories(&[NoProblem, Corrected]).is_err());
        assert!(check_categories(&[Unreachable, NotDisclosed]).is_ok());
        assert_eq!(Unreachable.credit_list(), Some(CreditList::Abnormal));
        assert_eq!(Obstructed.credit_list(), Some(CreditList::Blacklist));
        assert_eq!(NoActivity.credit_list(), None);
        assert!(!NoProblem.is_problem() && !Closed.is_problem());
        assert!(PendingAction.is_problem());
        assert_eq!(
            ResultCategory::parse("通过登记的住所（经营场所）无法联系"),
            Some(Unreachable)
        );
    }

    #[test]
    fn listings_raise_the_stratum() {
        use RiskClass::*;
        assert_eq!(effective_stratum(A, false, false), A);
        assert_eq!(effective_stratum(A, true, false), B);
        assert_eq!(effective_stratum(D, true, false), D);
        assert_eq!(effective_stratum(A, false, true), D);
    }

    #[test]
    fn sources_must_be_future_at_commit_and_past_at_reveal() {
        let now = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let r = SourceDecl::drand_round_after(now);
        let s = SourceDecl::drand(r);
        assert!(s.not_before >= now);
        assert!(s.not_before.timestamp() - now.timestamp() < 3);
        let later = SourceDecl::drand(r + 100);
        assert!(later.check_future(now).is_ok());
        assert!(later.check_reveal("ab", now).is_err());
        let dice =
            SourceDecl::other("公证员骰子（5 枚）", now + chrono::Duration::minutes(5)).unwrap();
        assert!(dice.check_future(now).is_ok());
        assert!(dice.check_reveal("3 1 4 1 5", now).is_err());
        // Refused to the second, and said to the second: 10:05 alone would look reached.
        let odd = SourceDecl::other("骰子", now + chrono::Duration::seconds(330)).unwrap();
        let e = odd
            .check_reveal("1", now + chrono::Duration::seconds(329))
            .unwrap_err()
            .to_string();
        let shown = crate::calendar::format_china_time_seconds(odd.not_before);
        assert!(e.contains(&shown) && shown.len() == 19, "{e}");
        assert!(
            dice.check_reveal("3 1 4 1 5", now + chrono::Duration::minutes(5))
                .is_ok()
        );
        assert!(
            dice.check_reveal("  ", now + chrono::Duration::minutes(6))
                .is_err()
        );
        // A drand source typed as "other" still takes its round's time.
        let typed = SourceDecl::other("drand quicknet round 5", now).unwrap();
        assert_eq!(typed, SourceDecl::drand(5));
        assert!(typed.check_future(now).is_err());
    }

    #[test]
    fn deadline_flags() {
        let cal = WorkCalendar::built_in();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // 20 working days after Friday 2026-09-18 crosses the National Day holiday.
        let deadline = publication_deadline(&cal, d(9, 18), 20);
        assert!(deadline > d(10, 16));
        assert_eq!(deadline_flag(&cal, deadline, deadline), DeadlineFlag::Near);
        assert_eq!(
            deadline_flag(&cal, deadline.succ_opt().unwrap(), deadline),
            DeadlineFlag::Overdue
        );
        assert_eq!(
            deadline_flag(&cal, d(9, 18), deadline),
            DeadlineFlag::OnTime
        );
    }

    fn plan() -> Plan {
        let e = |id: &str, s: &str, t: &str| PlanEntity {
            id: id.into(),
            stratum: s.into(),
            township: Some(t.into()),
        };
        let i = |id: &str, d: &str, t: &str| PlanInspector {
            id: id.into(),
            department: d.into(),
            township: Some(t.into()),
            specialties: vec![],
        };
        Plan {
            task: Object::new(),
            entities: vec![
                e("E1", "A", "甲"),
                e("E2", "A", "乙"),
                e("E3", "A", "甲"),
                e("E4", "B", "乙"),
            ],
            selection: Selection::Total(2),
            inspectors: vec![
                i("I1", "amr", "甲"),
                i("I2", "amr", "乙"),
                i("I3", "amr", "丙"),
                i("I4", "agri", "丙"),
            ],
            conflicts: vec![Conflict {
                inspector: "I3".into(),
                entity: "E9".into(),
            }],
            teams: Some(TeamRules {
                count: 1,
                size: 2,
                departments: vec![],
                avoid_same_township: true,
                specialties: vec![],
            }),
            sources: vec!["x".into()],
        }
    }

    #[test]
    fn an_items_ratio_only_raises_the_rule_books() {
        assert_eq!(
            raised_ratios([300, 500, 1000, 2000], Some(800)),
            [800, 800, 1000, 2000]
        );
        assert_eq!(
            raised_ratios([300, 500, 1000, 2000], None),
            [300, 500, 1000, 2000]
        );
    }

    #[test]
    fn specialists_needed_for_every_seed() {
        assert_eq!(specialists_needed(3, 0), 0);
        assert_eq!(specialists_needed(3, 1), 3);
        assert_eq!(specialists_needed(3, 2), 5);
        assert_eq!(specialists_needed(1, 4), 1);
    }

    #[test]
    fn a_specialist_is_replaced_by_a_specialist_unless_the_team_has_another() {
        let mut p = plan();
        let holds = |p: &mut Plan, id: &str| {
            let i = p.inspectors.iter_mut().find(|i| i.id == id).unwrap();
            i.specialties = vec!["特种设备".into()];
        };
        p.teams.as_mut().unwrap().specialties = vec!["特种设备".into()];
        p.teams.as_mut().unwrap().avoid_same_township = false;
        holds(&mut p, "I1");
        holds(&mut p, "I3");
        let sub = Substitution {
            plan: &p,
            seed: [7; 32],
        };
        // I1 is the team's only specialist: only I3 (same department, holds it) may
        // replace it, whatever the tickets of I2.
        assert_eq!(
            sub.inspector("I1", &["I1".into(), "I4".into()], &[], &["I4".into()]),
            Some("I3".into())
        );
        // No specialist left of the department: no replacement at all.
        assert_eq!(
            sub.inspector(
                "I1",
                &["I1".into(), "I3".into(), "I4".into()],
                &[],
                &["I4".into()]
            ),
            None
        );
        // When another member still holds it, anyone of the department will do.
        holds(&mut p, "I4");
        let sub = Substitution {
            plan: &p,
            seed: [7; 32],
        };
        assert_eq!(
            sub.inspector(
                "I1",
                &["I1".into(), "I3".into(), "I4".into()],
                &[],
                &["I4".into()]
            ),
            Some("I2".into())
        );
    }

    #[test]
    fn substitution_follows_ticket_order_within_department_and_stratum() {
        let p = plan();
        let sub = Substitution {
            plan: &p,
            seed: [7; 32],
        };
        // Replacing I1 on a team visiting E2 (township 乙): I2 lives there, I4 is of
        // another department, so only I3 qualifies.
        assert_eq!(
            sub.inspector("I1", &["I1".into()], &["E2".into()], &[]),
            Some("I3".into())
        );
        // With a conflict on the team's entity, I3 is out too.
        assert_eq!(
            sub.inspector("I1", &[], &["E2".into(), "E9".into()], &[]),
            None
        );
        // An entity is replaced from its own stratum only.
        let r = sub.entity("E1", &["E1".into()], &[]).unwrap();
        assert!(r == "E2" || r == "E3");
        assert_eq!(sub.entity("E4", &["E4".into()], &[]), None);
        // The next in ticket order, deterministically.
        let t = Ticketer::new(&[7; 32], Purpose::Entity);
        let expect = if t.ticket("E2") < t.ticket("E3") {
            "E2"
        } else {
            "E3"
        };
        assert_eq!(r, expect);
        assert_eq!(
            sub.entity("E1", &["E1".into(), expect.into()], &[])
                .unwrap(),
            if expect == "E2" { "E3" } else { "E2" }
        );
    }
}
