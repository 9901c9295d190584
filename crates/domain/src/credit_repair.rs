//! 信用修复 and 异议: an entity on a credit list applies to leave it on the grounds
//! the rules name (or its department registers an application made on paper), and
//! the department that listed it decides with reasons (「谁列入、谁修复」); an entity
//! may object to a published result, and the department answers or corrects it.
//!
//! The grounds are those of 《企业经营异常名录管理暂行办法》 (移出经营异常名录) and
//! 《市场监督管理严重违法失信名单管理办法》 (提前移出: listed a year at least, and all
//! three conditions met), as 《市场监督管理信用修复管理办法》 applies them.

use chrono::{Months, NaiveDate};

use crate::calendar::WorkCalendar;
use crate::labelled_enum;
use crate::text::{FREE_TEXT, NAME, bounded_text};
use crate::workflow::CreditList;

/// A refused application, decision or objection: the form's field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RepairError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> RepairError {
    RepairError {
        field,
        message: message.into(),
    }
}

labelled_enum! {
    /// The statutory grounds of a credit repair.
    pub enum RepairGround {
        AnnualReport = ("annual-report", "已补报未报年份的年度报告并公示"),
        Disclosed = ("disclosed", "已履行信息公示义务，或已更正其隐瞒真实情况、弄虚作假的公示信息"),
        Reachable = ("reachable", "已办理住所（经营场所）变更登记，或可以通过登记的住所（经营场所）重新取得联系"),
        PenaltyFulfilled = ("penalty-fulfilled", "已经自觉履行行政处罚决定中规定的义务"),
        HarmRemoved = ("harm-removed", "已经主动消除危害后果和不良影响"),
        NoFurtherPenalty = ("no-further-penalty", "未再受到市场监督管理部门较重行政处罚"),
    }
}

impl RepairGround {
    /// The list a ground takes an entity off.
    pub fn list(self) -> CreditList {
        match self {
            RepairGround::AnnualReport | RepairGround::Disclosed | RepairGround::Reachable => {
                CreditList::Abnormal
            }
            _ => CreditList::Blacklist,
        }
    }

    /// The grounds of `list`, in the rules' order.
    pub fn of(list: CreditList) -> Vec<RepairGround> {
        RepairGround::ALL
            .iter()
            .copied()
            .filter(|g| g.list() == list)
            .collect()
    }
}

/// How long after its listing an entity may apply to leave the blacklist early
/// (列入严重违法失信名单满一年).
pub const BLACKLIST_MONTHS_BEFORE_REPAIR: u32 = 12;
/// Working days the department has to decide an application (自受理之日起十五个工作日内).
pub const DECISION_WORKING_DAYS: u32 = 15;

/// The first day an entity listed on `listed_on` may apply to leave `list`: at once
/// for the abnormal list (once it has corrected what put it there), a year later for
/// the blacklist.
pub fn first_repair_day(list: CreditList, listed_on: NaiveDate) -> NaiveDate {
    match list {
        CreditList::Abnormal => listed_on,
        CreditList::Blacklist => listed_on
            .checked_add_months(Months::new(BLACKLIST_MONTHS_BEFORE_REPAIR))
            .unwrap_or(NaiveDate::MAX),
    }
}

/// The day a decision on an application made on `applied_on` is due.
pub fn decision_due(calendar: &WorkCalendar, applied_on: NaiveDate) -> NaiveDate {
    calendar.add_working_days(applied_on, DECISION_WORKING_DAYS)
}

/// Whether a listing of `listed_on` may be repaired `today`; else the message
/// saying from when.
pub fn may_apply(
    list: CreditList,
    listed_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), RepairError> {
    let first = first_repair_day(list, listed_on);
    if today < first {
        return Err(refuse(
            "grounds",
            format!(
                "列入严重违法失信名单满一年后方可申请提前移出：列入日期 {listed_on}，可于 {first} 起申请"
            ),
        ));
    }
    Ok(())
}

/// An application to leave a list, as the form gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairApplication {
    pub list: CreditList,
    pub grounds: Vec<RepairGround>,
    /// What the entity did (补报了哪年的年报、缴纳罚款的日期和票据号 …).
    pub statement: String,
    /// Who the department calls back, and how.
    pub contact: String,
}

impl RepairApplication {
    /// The abnormal list is left on any one of its grounds, the blacklist only when
    /// all three of its conditions hold together.
    pub fn parse(
        list: CreditList,
        grounds: &[String],
        statement: &str,
        contact: &str,
    ) -> Result<Self, RepairError> {
        let mut chosen = Vec::new();
        for g in grounds {
            let g = RepairGround::from_code(g.trim())
                .filter(|g| g.list() == list)
                .ok_or_else(|| refuse("grounds", "申请理由不在该名单的法定情形之中"))?;
            if !chosen.contains(&g) {
                chosen.push(g);
            }
        }
        chosen.sort();
        match list {
            CreditList::Abnormal if chosen.is_empty() => {
                return Err(refuse("grounds", "请选择申请移出经营异常名录的情形"));
            }
            CreditList::Blacklist if chosen.len() != RepairGround::of(list).len() => {
                return Err(refuse(
                    "grounds",
                    "提前移出严重违法失信名单须同时符合三项条件，请逐项确认",
                ));
            }
            _ => {}
        }
        let statement = match bounded_text(statement.trim(), FREE_TEXT) {
            Ok(s) if s.chars().count() >= 4 => s,
            Ok(_) => {
                return Err(refuse(
                    "statement",
                    "请写明已经做了什么（如补报了哪一年度的年报、罚款缴纳日期和票据号），以便部门核实",
                ));
            }
            Err(e) => return Err(refuse("statement", format!("情况说明：{e}"))),
        };
        let contact = match bounded_text(contact.trim(), NAME) {
            Ok("") => return Err(refuse("contact", "请留下联系人和电话，部门核实时联系")),
            Ok(c) => c,
            Err(e) => return Err(refuse("contact", format!("联系人和电话：{e}"))),
        };
        Ok(RepairApplication {
            list,
            grounds: chosen,
            statement: statement.to_string(),
            contact: contact.to_string(),
        })
    }

    /// The grounds as kept: codes joined by commas.
    pub fn grounds_code(&self) -> String {
        codes(&self.grounds)
    }
}

/// Grounds as kept (`annual-report,reachable`).
pub fn codes(grounds: &[RepairGround]) -> String {
    grounds
        .iter()
        .map(|g| g.code())
        .collect::<Vec<_>>()
        .join(",")
}

/// Grounds as kept, read back; unknown codes are left out.
pub fn grounds_of(codes: &str) -> Vec<RepairGround> {
    codes
        .split(',')
        .filter_map(|c| RepairGround::from_code(c.trim()))
        .collect()
}

labelled_enum! {
    /// Where an application stands.
    pub enum RepairState {
        Applied = ("applied", "待决定"),
        Granted = ("granted", "准予修复，已移出名单"),
        Refused = ("refused", "不予修复"),
    }
}

labelled_enum! {
    /// Who made an application: the entity through its code, or the department
    /// registering one handed in on paper (or starting it itself).
    pub enum RepairSource {
        Entity = ("entity", "企业在线申请"),
        Department = ("department", "部门登记"),
    }
}

/// A decision's reasons: both ways they are written down (the entity is told, and
/// a refusal can be challenged).
pub fn decision_reason(grant: bool, reason: &str) -> Result<String, RepairError> {
    match bounded_text(reason.trim(), FREE_TEXT) {
        Ok(r) if r.chars().count() >= 2 => Ok(r.to_string()),
        Ok(_) if grant => Err(refuse(
            "reason",
            "请写明准予修复的理由（核实了什么，信用修复决定书文号）",
        )),
        Ok(_) => Err(refuse("reason", "请写明不予修复的理由，申请人将看到")),
        Err(e) => Err(refuse("reason", format!("理由：{e}"))),
    }
}

/// Reasons a department writes down (a reply to an objection, a correction's
/// reason): `missing` says what to write when there are none.
pub fn written_reason(text: &str, missing: &str) -> Result<String, RepairError> {
    match bounded_text(text.trim(), FREE_TEXT) {
        Ok(r) if r.chars().count() >= 2 => Ok(r.to_string()),
        Ok(_) => Err(refuse("reason", missing)),
        Err(e) => Err(refuse("reason", format!("理由：{e}"))),
    }
}

/// An entity's objection to a published result (对抽查检查结果有异议).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objection {
    /// The department whose items' results are objected to (it answers).
    pub department: String,
    pub text: String,
    pub contact: String,
}

impl Objection {
    pub fn parse(department: &str, text: &str, contact: &str) -> Result<Self, RepairError> {
        let department = department.trim();
        if department.is_empty() || department.len() > 64 {
            return Err(refuse("department", "请选择对哪个部门的检查结果有异议"));
        }
        let text = match bounded_text(text.trim(), FREE_TEXT) {
            Ok(t) if t.chars().count() >= 4 => t,
            Ok(_) => {
                return Err(refuse("text", "请写明对哪一项结果有异议、事实和理由"));
            }
            Err(e) => return Err(refuse("text", format!("异议内容：{e}"))),
        };
        let contact = match bounded_text(contact.trim(), NAME) {
            Ok("") => return Err(refuse("contact", "请留下联系人和电话，部门核实后答复")),
            Ok(c) => c,
            Err(e) => return Err(refuse("contact", format!("联系人和电话：{e}"))),
        };
        Ok(Objection {
            department: department.to_string(),
            text: text.to_string(),
            contact: contact.to_string(),
        })
    }
}

labelled_enum! {
    /// Where an objection stands.
    pub enum ObjectionState {
        Open = ("open", "待处理"),
        Upheld = ("upheld", "维持原结果"),
        Corrected = ("corrected", "已更正"),
    }
}

/// Open objections one visit may have at once, and objections in all: enough for
/// anything real, not a flood.
pub const MAX_OBJECTIONS_PER_VISIT: i64 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_abnormal_list_is_left_on_any_of_its_grounds() {
        let a = RepairApplication::parse(
            CreditList::Abnormal,
            &s(&["reachable", "annual-report", "reachable"]),
            "已于 2026-11-02 补报 2025 年度报告",
            "李四 13800000000",
        )
        .unwrap();
        assert_eq!(a.grounds_code(), "annual-report,reachable");
        assert_eq!(grounds_of(&a.grounds_code()), a.grounds);
        let e =
            RepairApplication::parse(CreditList::Abnormal, &[], "已补报年报", "李四").unwrap_err();
        assert_eq!(e.field, "grounds");
        // A blacklist ground does not take an entity off the abnormal list.
        let e = RepairApplication::parse(
            CreditList::Abnormal,
            &s(&["harm-removed"]),
            "已补报年报",
            "李四",
        )
        .unwrap_err();
        assert_eq!(e.field, "grounds");
    }

    #[test]
    fn the_blacklist_needs_all_three_conditions() {
        let two = s(&["penalty-fulfilled", "harm-removed"]);
        let e = RepairApplication::parse(CreditList::Blacklist, &two, "罚款已缴清", "李四")
            .unwrap_err();
        assert!(e.message.contains("三项"), "{e}");
        let all = s(&["no-further-penalty", "penalty-fulfilled", "harm-removed"]);
        assert!(
            RepairApplication::parse(CreditList::Blacklist, &all, "罚款已缴清", "李四").is_ok()
        );
        assert_eq!(RepairGround::of(CreditList::Blacklist).len(), 3);
    }

    #[test]
    fn what_was_done_and_who_to_call_are_required() {
        let g = s(&["annual-report"]);
        assert_eq!(
            RepairApplication::parse(CreditList::Abnormal, &g, "已补", "李四")
                .unwrap_err()
                .field,
            "statement"
        );
        assert_eq!(
            RepairApplication::parse(CreditList::Abnormal, &g, "已补报年度报告", " ")
                .unwrap_err()
                .field,
            "contact"
        );
        let long = "字".repeat(2001);
        assert_eq!(
            RepairApplication::parse(CreditList::Abnormal, &g, &long, "李四")
                .unwrap_err()
                .field,
            "statement"
        );
        assert_eq!(
            RepairApplication::parse(
                CreditList::Abnormal,
                &s(&["nonsense"]),
                "已补报年度报告",
                "李四"
            )
            .unwrap_err()
            .field,
            "grounds"
        );
    }

    #[test]
    fn the_blacklist_waits_a_year() {
        let listed = NaiveDate::from_ymd_opt(2025, 12, 8).unwrap();
        assert_eq!(
            first_repair_day(CreditList::Blacklist, listed),
            NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
        );
        let e = may_apply(
            CreditList::Blacklist,
            listed,
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        )
        .unwrap_err();
        assert!(e.message.contains("2026-12-08"), "{e}");
        assert!(
            may_apply(
                CreditList::Blacklist,
                listed,
                NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
            )
            .is_ok()
        );
        assert!(may_apply(CreditList::Abnormal, listed, listed).is_ok());
        // Listed on 29 February: a year later is 28 February.
        let leap = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(
            first_repair_day(CreditList::Blacklist, leap),
            NaiveDate::from_ymd_opt(2025, 2, 28).unwrap()
        );
    }

    #[test]
    fn a_decision_is_due_in_fifteen_working_days() {
        let cal = WorkCalendar::default();
        // Monday 2026-12-07 + 15 working days: three weeks on, Monday 2026-12-28.
        assert_eq!(
            decision_due(&cal, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()),
            NaiveDate::from_ymd_opt(2026, 12, 28).unwrap()
        );
    }

    #[test]
    fn decisions_give_reasons() {
        assert_eq!(decision_reason(true, " ").unwrap_err().field, "reason");
        assert!(
            decision_reason(false, "")
                .unwrap_err()
                .message
                .contains("不予")
        );
        assert_eq!(
            decision_reason(true, "已核实年报 牟市监信修〔2026〕1号").unwrap(),
            "已核实年报 牟市监信修〔2026〕1号"
        );
    }

    #[test]
    fn an_objection_says_what_and_who() {
        assert!(Objection::parse("amr", "第二项结果与事实不符，已提供台账", "王五 139").is_ok());
        assert_eq!(
            Objection::parse("amr", "不服", "王五").unwrap_err().field,
            "text"
        );
        assert_eq!(
            Objection::parse("amr", "第二项结果与事实不符", "")
                .unwrap_err()
                .field,
            "contact"
        );
        assert_eq!(
            Objection::parse(" ", "第二项结果与事实不符", "王五")
                .unwrap_err()
                .field,
            "department"
        );
    }
}
