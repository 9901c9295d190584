//! Corrections made on a directory record's own page, between two imports: what of
//! an entity or an inspector may be changed there, each change with its reason.
//!
//! An entity's name, address and registration come from the registry (its file is
//! imported again), its credit flags from credit decisions; what changes between
//! two registry files is its status, its risk class, its licences and who to call.
//! An inspector's status, certificate and specialties change as people come and go.

use chrono::NaiveDate;

use crate::rows::{parse_date, split_list};
use crate::text::{self, TextRule, bounded_text};
use crate::{EntityStatus, InspectorStatus, RiskClass};

/// A refused field of an edit form: which field, and why in words a clerk acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EditError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> EditError {
    EditError {
        field,
        message: message.into(),
    }
}

/// Why a record was changed, as the history shows it: a sentence or two.
pub const REASON: TextRule = TextRule::multi(500);
/// Licences and tags, or specialties, a record may carry (the list's text is
/// bounded as an import's is).
pub const MAX_LABELS: usize = 100;

/// The reason every edit carries (注销公告, 换证, 调离通知 …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(s: &str) -> Result<Self, EditError> {
        let s = s.trim();
        if s.chars().count() < 2 {
            return Err(refuse(
                "reason",
                "修改原因：请写明依据，至少两个字（如注销公告、吊销决定书、换发执法证、调动通知）",
            ));
        }
        let s = bounded_text(s, REASON).map_err(|e| refuse("reason", format!("修改原因：{e}")))?;
        Ok(Reason(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn text_field(
    field: &'static str,
    label: &str,
    value: &str,
    rule: TextRule,
) -> Result<String, EditError> {
    let value = value.trim();
    bounded_text(value, rule)
        .map(str::to_string)
        .map_err(|e| refuse(field, format!("{label}：{e}")))
}

/// A list typed one label a line, or separated by 、 or commas (as imports read
/// it): duplicates dropped, at most [`MAX_LABELS`].
fn labels(field: &'static str, label: &str, value: &str) -> Result<Vec<String>, EditError> {
    bounded_text(value, text::LIST).map_err(|e| refuse(field, format!("{label}：{e}")))?;
    let mut out: Vec<String> = Vec::new();
    for l in split_list(value) {
        if l.chars().count() > 64 {
            return Err(refuse(
                field,
                format!("{label}：「{l}」过长，每项最多 64 个字"),
            ));
        }
        if !out.iter().any(|x| x == l) {
            out.push(l.to_string());
        }
    }
    if out.len() > MAX_LABELS {
        return Err(refuse(
            field,
            format!("{label}：最多 {MAX_LABELS} 项，这里有 {} 项", out.len()),
        ));
    }
    Ok(out)
}

/// A telephone number as people write it: digits, with `+`, `-`, spaces, brackets
/// or an extension (0878-5211234 转 8).
fn phone(field: &'static str, label: &str, value: &str) -> Result<String, EditError> {
    let value = text_field(field, label, value, text::CODE)?;
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let shaped = value.chars().all(|c| {
        c.is_ascii_digit()
            || matches!(
                c,
                '+' | '-' | ' ' | '(' | ')' | '（' | '）' | '转' | ',' | '，'
            )
    });
    if !value.is_empty() && (!shaped || !(7..=24).contains(&digits)) {
        return Err(refuse(
            field,
            format!("{label}：请填写电话号码（7 位以上数字，可含 -、空格和“转”分机号）"),
        ));
    }
    Ok(value)
}

/// A list as a page showed it (one label a line), read back as it was: the
/// record's state to compare with, not a change to check.
fn shown_list(value: &str) -> Vec<String> {
    value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn choice<T>(
    field: &'static str,
    label: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, EditError> {
    parse(value.trim()).ok_or_else(|| refuse(field, format!("{label}：请选择")))
}

/// What the keeper of the entity directory corrects on an entity's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityDetails {
    pub status: EntityStatus,
    pub risk_class: RiskClass,
    /// Licences and tags (食品经营许可证 …): what task scopes select by.
    pub tags: Vec<String>,
    /// 联络员: staff-only.
    pub contact_name: String,
    pub contact_phone: String,
}

impl EntityDetails {
    /// The form's fields as typed (status and risk class by their codes).
    pub fn parse(
        status: &str,
        risk_class: &str,
        tags: &str,
        contact_name: &str,
        contact_phone: &str,
    ) -> Result<Self, EditError> {
        Ok(EntityDetails {
            status: choice("status", "登记状态", status, EntityStatus::from_code)?,
            risk_class: choice(
                "risk_class",
                "信用风险分类",
                risk_class,
                RiskClass::from_code,
            )?,
            tags: labels("tags", "许可证及标签", tags)?,
            contact_name: text_field("contact_name", "联络员", contact_name, text::NAME)?,
            contact_phone: phone("contact_phone", "联络电话", contact_phone)?,
        })
    }

    /// The entity as a page showed it (its hidden fields), read as it was shown and
    /// not checked as a change is: what was stored by an import is compared as is.
    /// `None` when the page sent none (an old page).
    pub fn shown(
        status: &str,
        risk_class: &str,
        tags: &str,
        contact_name: &str,
        contact_phone: &str,
    ) -> Option<Self> {
        Some(EntityDetails {
            status: EntityStatus::from_code(status)?,
            risk_class: RiskClass::from_code(risk_class)?,
            tags: shown_list(tags),
            contact_name: contact_name.to_string(),
            contact_phone: contact_phone.to_string(),
        })
    }

    /// The details as the audit entry keeps them (codes, not labels).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "status": self.status.code(),
            "risk_class": self.risk_class.code(),
            "tags": self.tags,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
        })
    }
}

/// What a department corrects on one of its inspectors' page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectorDetails {
    pub status: InspectorStatus,
    pub certificate_no: String,
    pub certificate_valid_until: NaiveDate,
    pub specialties: Vec<String>,
    /// Staff-only.
    pub phone: String,
}

impl InspectorDetails {
    pub fn parse(
        status: &str,
        certificate_no: &str,
        certificate_valid_until: &str,
        specialties: &str,
        phone_no: &str,
    ) -> Result<Self, EditError> {
        let certificate_no = text_field("certificate_no", "执法证号", certificate_no, text::CODE)?;
        if certificate_no.is_empty() {
            return Err(refuse("certificate_no", "执法证号：请填写"));
        }
        Ok(InspectorDetails {
            status: choice("status", "人员状态", status, InspectorStatus::from_code)?,
            certificate_no,
            certificate_valid_until: parse_date(certificate_valid_until).ok_or_else(|| {
                refuse(
                    "certificate_valid_until",
                    "执法证有效期至：请填写日期，如 2028-06-30",
                )
            })?,
            specialties: labels("specialties", "专业领域", specialties)?,
            phone: phone("phone", "联系电话", phone_no)?,
        })
    }

    /// The inspector as a page showed it (see [`EntityDetails::shown`]).
    pub fn shown(
        status: &str,
        certificate_no: &str,
        certificate_valid_until: &str,
        specialties: &str,
        phone: &str,
    ) -> Option<Self> {
        Some(InspectorDetails {
            status: InspectorStatus::from_code(status)?,
            certificate_no: certificate_no.to_string(),
            certificate_valid_until: NaiveDate::parse_from_str(certificate_valid_until, "%Y-%m-%d")
                .ok()?,
            specialties: shown_list(specialties),
            phone: phone.to_string(),
        })
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "status": self.status.code(),
            "certificate_no": self.certificate_no,
            "certificate_valid_until": self.certificate_valid_until.to_string(),
            "specialties": self.specialties,
            "phone": self.phone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entity_form_is_read_field_by_field() {
        let d = EntityDetails::parse(
            "deregistered",
            "C",
            "食品经营许可证、 危险化学品\n食品经营许可证",
            " 李四 ",
            "0878-5211234",
        )
        .unwrap();
        assert_eq!(d.status, EntityStatus::Deregistered);
        assert_eq!(d.risk_class, RiskClass::C);
        assert_eq!(d.tags, ["食品经营许可证", "危险化学品"]);
        assert_eq!(d.contact_name, "李四");
        let field = |r: Result<EntityDetails, EditError>| r.unwrap_err().field;
        assert_eq!(
            field(EntityDetails::parse("gone", "C", "", "", "")),
            "status"
        );
        assert_eq!(
            field(EntityDetails::parse("active", "E", "", "", "")),
            "risk_class"
        );
        assert_eq!(
            field(EntityDetails::parse("active", "A", "", "", "call me")),
            "contact_phone"
        );
        assert_eq!(
            field(EntityDetails::parse("active", "A", "", "", "123")),
            "contact_phone"
        );
        assert!(EntityDetails::parse("active", "A", "", "", "0878-5211234 转 8").is_ok());
        // As a page showed it: stored values come back as they were, unchecked.
        let shown = EntityDetails::shown("active", "A", "X\nX\n", "", "1380000 转 8").unwrap();
        assert_eq!(shown.tags, ["X", "X"]);
        assert!(EntityDetails::shown("gone", "A", "", "", "").is_none());
        assert_eq!(
            field(EntityDetails::parse("active", "A", "", "a\u{202e}b", "")),
            "contact_name"
        );
        let many = (0..101)
            .map(|i| format!("证{i}"))
            .collect::<Vec<_>>()
            .join("、");
        assert_eq!(
            field(EntityDetails::parse("active", "A", &many, "", "")),
            "tags"
        );
    }

    #[test]
    fn an_inspector_form_is_read_field_by_field() {
        let d = InspectorDetails::parse("on-leave", "云0123", "2028/6/30", "特种设备", "").unwrap();
        assert_eq!(d.status, InspectorStatus::OnLeave);
        assert_eq!(d.certificate_valid_until.to_string(), "2028-06-30");
        assert_eq!(d.specialties, ["特种设备"]);
        let field = |r: Result<InspectorDetails, EditError>| r.unwrap_err().field;
        assert_eq!(
            field(InspectorDetails::parse("on-duty", "", "2028-01-01", "", "")),
            "certificate_no"
        );
        assert_eq!(
            field(InspectorDetails::parse("on-duty", "x", "明年", "", "")),
            "certificate_valid_until"
        );
        assert_eq!(
            field(InspectorDetails::parse("away", "x", "2028-01-01", "", "")),
            "status"
        );
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(Reason::parse(" ").unwrap_err().field, "reason");
        assert_eq!(Reason::parse("x").unwrap_err().field, "reason");
        assert_eq!(Reason::parse(" 注销公告 ").unwrap().as_str(), "注销公告");
        assert!(Reason::parse(&"因".repeat(501)).is_err());
    }
}
