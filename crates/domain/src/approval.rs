//! 检查审批 and 备案: a task's inspection is approved by the head of its lead
//! department before its plan is sealed, and an annual plan is filed with the
//! office above (国办发〔2024〕54号: 涉企行政检查 planned, approved and filed in
//! advance). The approval is of one version of the task: a change after it asks for
//! a new one.

use chrono::{DateTime, NaiveDate, Utc};

use crate::labelled_enum;
use crate::text::{NAME, bounded_text};

labelled_enum! {
    /// One step of a task's approval, in the order they happen.
    pub enum ApprovalStep {
        Requested = ("requested", "报请审批"),
        Approved = ("approved", "同意"),
        Refused = ("refused", "不同意"),
    }
}

/// One step as recorded: which version of the task it was about, who, when, and the
/// head's opinion (审批意见).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalEvent {
    pub step: ApprovalStep,
    pub task_version: i32,
    pub opinion: String,
    pub user_id: Option<i64>,
    /// Who, as the page shows it (the account's name).
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Where a task's approval stands for the version it is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Never asked for.
    NotRequested,
    /// Asked for this version; the head has not decided.
    Pending,
    /// The head approved this version: it may be sealed.
    Approved,
    /// The head refused this version, with an opinion.
    Refused,
    /// Asked for or decided on an earlier version: the task changed since.
    Lapsed,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::NotRequested => "未报请审批",
            Standing::Pending => "待负责人审批",
            Standing::Approved => "负责人已同意",
            Standing::Refused => "负责人不同意",
            Standing::Lapsed => "任务已修改，原报请或审批失效，须重新报请审批",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Standing::NotRequested => "not-requested",
            Standing::Pending => "pending",
            Standing::Approved => "approved",
            Standing::Refused => "refused",
            Standing::Lapsed => "lapsed",
        }
    }
}

/// Where the approval stands, from the steps in the order recorded, for a task now at
/// `version`.
pub fn standing(events: &[ApprovalEvent], version: i32) -> Standing {
    match events.last() {
        None => Standing::NotRequested,
        Some(e) if e.task_version != version => Standing::Lapsed,
        Some(e) => match e.step {
            ApprovalStep::Requested => Standing::Pending,
            ApprovalStep::Approved => Standing::Approved,
            ApprovalStep::Refused => Standing::Refused,
        },
    }
}

/// The steps a 检查审批表 shows: the last request and the head's decision on it, if
/// made. None for a task never asked for, or a draft changed since its last request
/// (the sheet would show a plan that is no longer the task's). A sealed task's
/// version moves on with each step of its work; its last request is the one sealed.
pub fn last_round(events: &[ApprovalEvent], version: i32, draft: bool) -> Option<&[ApprovalEvent]> {
    let last = events.last()?;
    if draft && last.task_version != version {
        return None;
    }
    let start = events
        .iter()
        .rposition(|e| e.step == ApprovalStep::Requested)?;
    Some(&events[start..])
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("已报请审批，等待负责人审批")]
    AlreadyPending,
    #[error("负责人已同意本方案，无须再次报请")]
    AlreadyApproved,
    #[error("本任务没有待审批的报请（可能已被审批，或任务已修改）")]
    NothingPending,
    #[error("报请人不能审批自己报请的任务")]
    OwnRequest,
    #[error("不同意时请写明审批意见，说明需要如何修改")]
    OpinionRequired,
    #[error("审批意见不超过 500 字")]
    OpinionTooLong,
    #[error("封存前须经部门负责人审批同意（检查审批）；现在：{}", .0.label())]
    NotApproved(Standing),
}

/// The longest opinion kept.
pub const OPINION_MAX_CHARS: usize = 500;

/// Whether the task may be asked for approval now.
pub fn may_request(events: &[ApprovalEvent], version: i32) -> Result<(), ApprovalError> {
    match standing(events, version) {
        Standing::Pending => Err(ApprovalError::AlreadyPending),
        Standing::Approved => Err(ApprovalError::AlreadyApproved),
        Standing::NotRequested | Standing::Refused | Standing::Lapsed => Ok(()),
    }
}

/// Checks a head's decision on the pending request and returns the opinion to keep
/// (同意 when an approval says nothing).
pub fn decide(
    events: &[ApprovalEvent],
    version: i32,
    deciding_user: Option<i64>,
    approve: bool,
    opinion: &str,
) -> Result<String, ApprovalError> {
    if standing(events, version) != Standing::Pending {
        return Err(ApprovalError::NothingPending);
    }
    let requester = events.last().and_then(|e| e.user_id);
    if deciding_user.is_some() && requester == deciding_user {
        return Err(ApprovalError::OwnRequest);
    }
    let opinion = opinion.trim();
    if opinion.chars().count() > OPINION_MAX_CHARS {
        return Err(ApprovalError::OpinionTooLong);
    }
    match (approve, opinion.is_empty()) {
        (false, true) => Err(ApprovalError::OpinionRequired),
        (true, true) => Ok("同意".into()),
        (_, false) => Ok(opinion.to_string()),
    }
}

/// Sealing needs the head's approval of the version sealed.
pub fn require_approved(events: &[ApprovalEvent], version: i32) -> Result<(), ApprovalError> {
    match standing(events, version) {
        Standing::Approved => Ok(()),
        other => Err(ApprovalError::NotApproved(other)),
    }
}

/// An annual plan's filing (备案): with whom, on which day, under which reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFiling {
    /// The office filed with (备案机关), e.g. 县司法局 or the department above.
    pub filed_with: String,
    pub filed_on: NaiveDate,
    /// The filing's reference (备案号 or the 报备 document's number).
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilingError {
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

impl FilingError {
    fn at(field: &'static str, message: impl Into<String>) -> Self {
        FilingError::Field {
            field,
            message: message.into(),
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            FilingError::Field { field, .. } => field,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            FilingError::Field { message, .. } => message,
        }
    }
}

impl PlanFiling {
    /// Reads a filing as a form gives it; the day must not be after `today` (a
    /// filing is recorded once it has happened) nor before `earliest` (the year
    /// before the plan's: a plan is often filed before it is published).
    pub fn parse(
        filed_with: &str,
        filed_on: &str,
        reference: &str,
        earliest: NaiveDate,
        today: NaiveDate,
    ) -> Result<PlanFiling, FilingError> {
        let filed_with = filed_with.trim();
        if filed_with.is_empty() {
            return Err(FilingError::at(
                "filed_with",
                "请填写备案机关（如县司法局或上级主管部门）",
            ));
        }
        bounded_text(filed_with, NAME).map_err(|e| FilingError::at("filed_with", e.to_string()))?;
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(FilingError::at("reference", "请填写备案号或报备文件的文号"));
        }
        bounded_text(reference, crate::text::TextRule::single(100))
            .map_err(|e| FilingError::at("reference", e.to_string()))?;
        let filed_on = NaiveDate::parse_from_str(filed_on.trim(), "%Y-%m-%d")
            .map_err(|_| FilingError::at("filed_on", "请填写备案日期（年-月-日）"))?;
        if filed_on > today {
            return Err(FilingError::at("filed_on", "备案日期不能晚于今天"));
        }
        if filed_on < earliest {
            return Err(FilingError::at(
                "filed_on",
                format!("备案日期不能早于 {earliest}：请核对年份"),
            ));
        }
        Ok(PlanFiling {
            filed_with: filed_with.to_string(),
            filed_on,
            reference: reference.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(step: ApprovalStep, version: i32, user: i64) -> ApprovalEvent {
        ApprovalEvent {
            step,
            task_version: version,
            opinion: String::new(),
            user_id: Some(user),
            by: format!("u{user}"),
            at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn a_task_is_sealed_only_at_the_version_approved() {
        use ApprovalStep::*;
        assert_eq!(standing(&[], 1), Standing::NotRequested);
        let mut e = vec![at(Requested, 3, 1)];
        assert_eq!(standing(&e, 3), Standing::Pending);
        assert_eq!(
            require_approved(&e, 3),
            Err(ApprovalError::NotApproved(Standing::Pending))
        );
        e.push(at(Approved, 3, 2));
        assert_eq!(require_approved(&e, 3), Ok(()));
        // Edited after the approval: version 4 was never approved.
        assert_eq!(standing(&e, 4), Standing::Lapsed);
        assert!(require_approved(&e, 4).is_err());
        assert_eq!(may_request(&e, 4), Ok(()));
        assert_eq!(may_request(&e, 3), Err(ApprovalError::AlreadyApproved));
        e.push(at(Requested, 4, 1));
        assert_eq!(may_request(&e, 4), Err(ApprovalError::AlreadyPending));
        e.push(at(Refused, 4, 2));
        assert_eq!(standing(&e, 4), Standing::Refused);
        assert_eq!(may_request(&e, 4), Ok(()));
    }

    #[test]
    fn the_sheet_shows_the_last_request_and_its_decision() {
        use ApprovalStep::*;
        assert_eq!(last_round(&[], 1, true), None);
        let mut e = vec![at(Requested, 2, 1), at(Refused, 2, 2)];
        assert_eq!(last_round(&e, 2, true), Some(&e[..]));
        e.push(at(Requested, 3, 1));
        assert_eq!(last_round(&e, 3, true), Some(&e[2..]));
        e.push(at(Approved, 3, 2));
        assert_eq!(last_round(&e, 3, true).map(<[_]>::len), Some(2));
        assert_eq!(last_round(&e, 3, true).unwrap()[1].step, Approved);
        // A draft edited after its approval has no sheet until asked for again...
        assert_eq!(last_round(&e, 4, true), None);
        // ...but a sealed task's version moves on with each step of its work.
        assert_eq!(last_round(&e, 9, false), Some(&e[2..]));
    }

    #[test]
    fn the_head_decides_on_a_pending_request_not_their_own() {
        use ApprovalStep::*;
        let e = vec![at(Requested, 2, 7)];
        assert_eq!(
            decide(&e, 2, Some(7), true, ""),
            Err(ApprovalError::OwnRequest)
        );
        assert_eq!(decide(&e, 2, Some(8), true, "  ").as_deref(), Ok("同意"));
        assert_eq!(
            decide(&e, 2, Some(8), false, " "),
            Err(ApprovalError::OpinionRequired)
        );
        assert_eq!(
            decide(&e, 2, Some(8), false, "范围过大，请缩小").as_deref(),
            Ok("范围过大，请缩小")
        );
        assert_eq!(
            decide(&e, 2, Some(8), false, &"长".repeat(501)),
            Err(ApprovalError::OpinionTooLong)
        );
        // Changed since the request, or already decided: nothing to decide.
        assert_eq!(
            decide(&e, 3, Some(8), true, ""),
            Err(ApprovalError::NothingPending)
        );
        assert_eq!(
            decide(&[], 1, Some(8), true, ""),
            Err(ApprovalError::NothingPending)
        );
    }

    #[test]
    fn a_filing_names_the_office_a_day_and_a_reference() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let (published, today) = (d("2025-01-01"), d("2026-12-07"));
        let ok = PlanFiling::parse(
            " 牟定县司法局 ",
            "2026-02-20",
            "牟司备〔2026〕4号",
            published,
            today,
        )
        .unwrap();
        assert_eq!(ok.filed_with, "牟定县司法局");
        assert_eq!(ok.filed_on, d("2026-02-20"));
        let field = |r: Result<PlanFiling, FilingError>| r.unwrap_err().field();
        assert_eq!(
            field(PlanFiling::parse("", "2026-02-20", "x", published, today)),
            "filed_with"
        );
        assert_eq!(
            field(PlanFiling::parse(
                "司法局",
                "2026-02-20",
                " ",
                published,
                today
            )),
            "reference"
        );
        assert_eq!(
            field(PlanFiling::parse(
                "司法局",
                "2026/02/20",
                "x",
                published,
                today
            )),
            "filed_on"
        );
        assert_eq!(
            field(PlanFiling::parse(
                "司法局",
                "2026-12-08",
                "x",
                published,
                today
            )),
            "filed_on"
        );
        assert_eq!(
            field(PlanFiling::parse(
                "司法局",
                "2024-12-31",
                "x",
                published,
                today
            )),
            "filed_on"
        );
        assert!(PlanFiling::parse("司法局", "2025-01-01", "x", published, today).is_ok());
        assert_eq!(
            field(PlanFiling::parse(
                "司法局",
                "2026-02-10",
                "一\n二",
                published,
                today
            )),
            "reference"
        );
        assert_eq!(
            field(PlanFiling::parse(
                "司法局",
                "2026-02-10",
                &"号".repeat(101),
                published,
                today
            )),
            "reference"
        );
    }
}
