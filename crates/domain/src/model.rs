//! The one list, two directories and one rule book (一单两库一细则).

use chrono::NaiveDate;

use crate::industry::Industry;
use crate::labels::{
    Domain, EntityStatus, EntityType, InspectionMethod, InspectorStatus, ItemCategory, RiskClass,
};
use crate::uscc::Uscc;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Township {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Department {
    /// Stable ASCII code; the name may be reworded by an institutional reform.
    pub code: String,
    pub name: String,
    pub domain: Domain,
}

/// 检查对象.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entity {
    /// The USCC, or for entities without one a stable id from [`crate::rows::stable_entity_id`].
    pub id: String,
    pub uscc: Option<Uscc>,
    /// Old registration number (注册号) of an entity without a USCC; keeps its id stable.
    pub reg_no: String,
    pub name: String,
    pub entity_type: EntityType,
    pub industry: Option<Industry>,
    pub township: String,
    pub address: String,
    pub legal_rep: String,
    pub registered_on: Option<NaiveDate>,
    pub status: EntityStatus,
    pub risk_class: RiskClass,
    pub abnormal: bool,
    pub blacklisted: bool,
    /// Licences and tags (食品经营许可证, 危险化学品 …): scope filters for tasks.
    pub tags: Vec<String>,
}

impl Entity {
    /// Only entities that still exist can be drawn.
    pub fn is_operating(&self) -> bool {
        self.status == EntityStatus::Active
    }
}

/// 执法人员.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Inspector {
    pub id: String,
    pub name: String,
    /// Department code.
    pub department: String,
    pub certificate_no: String,
    pub certificate_valid_until: NaiveDate,
    pub specialties: Vec<String>,
    pub township: Option<String>,
    pub status: InspectorStatus,
    /// Staff-only: never shown to the public.
    pub phone: Option<String>,
}

impl Inspector {
    /// Certified means the certificate is still valid on the day of use.
    pub fn is_certified_on(&self, day: NaiveDate) -> bool {
        self.certificate_valid_until >= day
    }

    /// Can be drawn on `day`: on duty and certified.
    pub fn is_available_on(&self, day: NaiveDate) -> bool {
        self.status == InspectorStatus::OnDuty && self.is_certified_on(day)
    }
}

/// 抽查事项.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub legal_basis: String,
    /// Department code of the responsible department (抽查主体).
    pub department: String,
    pub content: String,
    pub methods: Vec<InspectionMethod>,
    /// 执法权限.
    pub authority: String,
    /// Empty means every type.
    pub entity_types: Vec<EntityType>,
    pub published: bool,
    /// 所需专业领域: a task with this item draws teams that each include an
    /// inspector holding it (liancha-draw/2).
    pub specialty: Option<String>,
    /// 抽查类别 (重点/一般).
    pub category: ItemCategory,
    /// 抽查比例: the least share of each risk class a task with this item draws, in
    /// basis points; it only ever raises the rule book's ratios.
    pub ratio_bp: Option<u32>,
    /// 抽查频次: the times a year the item is to be inspected, at most the rule
    /// book's annual cap.
    pub frequency: Option<u32>,
    /// 配合部门: departments (codes) that take part beside the responsible one.
    pub cooperating: Vec<String>,
    /// The item's code in the national 检查实施清单, where the county has one.
    pub national_code: Option<String>,
}

/// 跨部门随机联查事项清单 of one domain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JointItemList {
    pub code: String,
    pub name: String,
    pub domain: Domain,
    pub lead_department: String,
    pub items: Vec<String>,
    pub published: bool,
}

/// 实施细则: a domain's ratios and frequencies.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleBook {
    pub domain: Domain,
    /// Ratio per risk class A, B, C, D in basis points (1 bp = 0.01 %).
    pub ratio_bp: [u32; 4],
    /// Inspections (random and targeted together) one entity may receive in a year.
    pub annual_cap: u32,
    /// Working days from the end of inspection to publication.
    pub publication_deadline_days: u32,
    pub min_team_size: u32,
    pub recuse_same_township: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleBookError {
    #[error("抽查比例须在 0 至 10000 个基点（0–100%）之间")]
    Ratio,
    #[error("检查组至少须有 2 名执法人员")]
    TeamSize,
    #[error("公示期限须为 1 至 60 个工作日")]
    Deadline,
    #[error("年度抽查上限须至少为 1 次")]
    Cap,
}

impl RuleBook {
    /// Why a new version may not take effect on `day` (seen on `today`, Beijing): a
    /// version already in force is never rewritten, and rules are set at most two
    /// years ahead.
    pub fn effective_from_problem(day: NaiveDate, today: NaiveDate) -> Option<String> {
        if day < today {
            Some(format!("施行日期不能早于今天（{today}）"))
        } else if day > today + chrono::Days::new(731) {
            Some("施行日期最多可定在两年以内".into())
        } else {
            None
        }
    }

    /// The defaults the notice implies: 20 working days to publish, two inspectors.
    pub fn default_for(domain: Domain) -> Self {
        RuleBook {
            domain,
            ratio_bp: [300, 500, 1000, 2000],
            annual_cap: 2,
            publication_deadline_days: 20,
            min_team_size: 2,
            recuse_same_township: true,
        }
    }

    pub fn validate(&self) -> Result<(), RuleBookError> {
        if self.ratio_bp.iter().any(|&r| r > 10_000) {
            return Err(RuleBookError::Ratio);
        }
        if self.min_team_size < 2 {
            return Err(RuleBookError::TeamSize);
        }
        if !(1..=60).contains(&self.publication_deadline_days) {
            return Err(RuleBookError::Deadline);
        }
        if self.annual_cap < 1 {
            return Err(RuleBookError::Cap);
        }
        Ok(())
    }

    pub fn ratio_for(&self, class: RiskClass) -> u32 {
        self.ratio_bp[class as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_book_defaults_are_valid() {
        for d in Domain::ALL {
            RuleBook::default_for(*d).validate().unwrap();
        }
        let mut r = RuleBook::default_for(Domain::Market);
        r.min_team_size = 1;
        assert_eq!(r.validate(), Err(RuleBookError::TeamSize));
        assert_eq!(
            RuleBook::default_for(Domain::Market).ratio_for(RiskClass::D),
            2000
        );
    }

    #[test]
    fn certificate_valid_on_its_last_day() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let i = Inspector {
            id: "1".into(),
            name: "张三".into(),
            department: "amr".into(),
            certificate_no: "x".into(),
            certificate_valid_until: day,
            specialties: vec![],
            township: None,
            status: InspectorStatus::OnDuty,
            phone: None,
        };
        assert!(i.is_available_on(day));
        assert!(!i.is_certified_on(day.succ_opt().unwrap()));
    }
}
