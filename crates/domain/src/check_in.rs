//! 扫码入企: every visit to an enterprise starts with a check-in on the spot — the
//! inspector scans or types the code the entity holds (the 核验码 of its notice), and
//! the time, the inspectors present and, when the phone gives it, the place are
//! kept. Results are entered only for a visit checked in; a department entering a
//! paper record of a visit never checked in says why (纸质补录). Through the same
//! code the entity rates the visit and may complain to the oversight office.

use crate::labelled_enum;
use crate::text::{FREE_TEXT, TextRule, bounded_text};

labelled_enum! {
    /// How a visit was checked in: on the spot with the entity's code (scanned or
    /// typed), or not at all, the department entering the paper record saying why;
    /// results entered before check-ins existed count as checked in (legacy).
    pub enum CheckInMode {
        Code = ("code", "扫码签到"),
        Paper = ("paper", "纸质补录"),
        Legacy = ("legacy", "上线前录入"),
    }
}

/// Where the phone said it was: micro-degrees (no floats are kept), and the radius
/// it is sure within, in metres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub latitude_e6: i64,
    pub longitude_e6: i64,
    pub accuracy_m: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckInError {
    #[error("位置信息无效：{0}")]
    Location(&'static str),
    #[error("请填写未能扫码签到的原因（纸质补录）")]
    ReasonRequired,
    #[error("未能签到的原因：{0}")]
    Reason(String),
    #[error("评价须为 1 至 5 星")]
    Stars,
    #[error("{0}")]
    Text(String),
}

/// A decimal number of degrees as a browser writes it (`25.311204`, `-0.5`,
/// `1e-7` is refused), as micro-degrees: the digits past the sixth are cut.
fn micro_degrees(s: &str, max: i64) -> Result<i64, CheckInError> {
    let s = s.trim();
    if s.is_empty() || s.len() > 32 {
        return Err(CheckInError::Location("坐标格式不对"));
    }
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || whole.len() > 3
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(CheckInError::Location("坐标格式不对"));
    }
    let whole: i64 = whole
        .parse()
        .map_err(|_| CheckInError::Location("坐标格式不对"))?;
    let mut micro = 0i64;
    for b in fraction.bytes().chain(std::iter::repeat(b'0')).take(6) {
        micro = micro * 10 + i64::from(b - b'0');
    }
    let value = whole * 1_000_000 + micro;
    if value > max * 1_000_000 {
        return Err(CheckInError::Location("坐标超出范围"));
    }
    Ok(if negative { -value } else { value })
}

impl Location {
    /// The form's `latitude`, `longitude` and `accuracy` fields, as the page's script
    /// fills them from the browser: all empty when the phone gave no place (refused,
    /// no signal, no script), which is no error.
    pub fn parse(
        latitude: &str,
        longitude: &str,
        accuracy: &str,
    ) -> Result<Option<Location>, CheckInError> {
        if latitude.trim().is_empty() && longitude.trim().is_empty() {
            return Ok(None);
        }
        let latitude_e6 = micro_degrees(latitude, 90)?;
        let longitude_e6 = micro_degrees(longitude, 180)?;
        // Accuracy in metres, its fraction dropped; one that says nothing (beyond
        // 100 km, or unreadable) is left out rather than refusing the place.
        let accuracy_m = {
            let a = accuracy.trim();
            let whole = a.split_once('.').map_or(a, |(w, _)| w);
            whole
                .parse::<i64>()
                .ok()
                .filter(|m| (0..=100_000).contains(m))
        };
        Ok(Some(Location {
            latitude_e6,
            longitude_e6,
            accuracy_m,
        }))
    }

    fn degrees(e6: i64) -> String {
        let sign = if e6 < 0 { "-" } else { "" };
        let a = e6.unsigned_abs();
        format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
    }

    /// As people read it: `北纬 25.311204，东经 101.543210（±30 米）`.
    pub fn label(&self) -> String {
        let lat = if self.latitude_e6 < 0 {
            "南纬"
        } else {
            "北纬"
        };
        let lon = if self.longitude_e6 < 0 {
            "西经"
        } else {
            "东经"
        };
        let mut s = format!(
            "{lat} {}，{lon} {}",
            Self::degrees(self.latitude_e6.abs()),
            Self::degrees(self.longitude_e6.abs())
        );
        if let Some(m) = self.accuracy_m {
            s.push_str(&format!("（±{m} 米）"));
        }
        s
    }

    /// The place on a map a phone opens (OpenStreetMap: no key, no tracking script).
    pub fn map_url(&self) -> String {
        let (lat, lon) = (
            Self::degrees(self.latitude_e6),
            Self::degrees(self.longitude_e6),
        );
        format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}")
    }
}

/// Whether an account of `role` is shown the visits' check codes. Not the team's
/// inspectors: the code is what the entity holds (its notice, delivered by the
/// department), and checking in with it is to show the team was there; an
/// inspector who could read it on the workbench could check in from anywhere.
pub fn sees_check_codes(role: crate::auth::Role) -> bool {
    role != crate::auth::Role::Inspector
}

/// Why a visit's record is entered without a check-in on the spot: said in words.
pub const REASON: TextRule = TextRule::multi(500);

pub fn paper_reason(s: &str) -> Result<&str, CheckInError> {
    match bounded_text(s.trim(), REASON) {
        Ok("") => Err(CheckInError::ReasonRequired),
        Ok(r) => Ok(r),
        Err(e) => Err(CheckInError::Reason(e.to_string())),
    }
}

/// The entity's rating of a visit: one to five stars, and a word if it wishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub stars: u8,
    pub comment: String,
}

impl Rating {
    pub fn parse(stars: &str, comment: &str) -> Result<Rating, CheckInError> {
        let stars = match stars.trim().parse::<u8>() {
            Ok(n @ 1..=5) => n,
            _ => return Err(CheckInError::Stars),
        };
        let comment = bounded_text(comment.trim(), REASON)
            .map_err(|e| CheckInError::Text(format!("评价意见：{e}")))?;
        Ok(Rating {
            stars,
            comment: comment.to_string(),
        })
    }

    pub fn stars_label(&self) -> String {
        stars_label(self.stars)
    }
}

pub fn stars_label(n: u8) -> String {
    let n = usize::from(n.min(5));
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

/// A complaint to the oversight office about a visit: what happened, and who to
/// answer unless the entity complains anonymously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    pub text: String,
    /// Name and phone to answer; `None` when anonymous.
    pub contact: Option<String>,
}

impl Complaint {
    pub fn parse(text: &str, anonymous: bool, contact: &str) -> Result<Complaint, CheckInError> {
        let text = match bounded_text(text.trim(), FREE_TEXT) {
            Ok("") => return Err(CheckInError::Text("请写明投诉的事情".into())),
            Ok(t) => t,
            Err(e) => return Err(CheckInError::Text(format!("投诉内容：{e}"))),
        };
        let contact = if anonymous {
            None
        } else {
            match bounded_text(contact.trim(), crate::text::NAME) {
                Ok("") => {
                    return Err(CheckInError::Text(
                        "请留下联系人和电话，或选择匿名投诉".into(),
                    ));
                }
                Ok(c) => Some(c.to_string()),
                Err(e) => return Err(CheckInError::Text(format!("联系方式：{e}"))),
            }
        };
        Ok(Complaint {
            text: text.to_string(),
            contact,
        })
    }
}

/// Complaints and ratings one visit code may file: enough for anything real, not a
/// flood (the public check pages are rate-limited per address as well).
pub const MAX_COMPLAINTS_PER_VISIT: i64 = 20;
pub const MAX_RATINGS_PER_VISIT: i64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_in_micro_degrees() {
        let l = Location::parse("25.3112049", "101.54321", "30.7")
            .unwrap()
            .unwrap();
        assert_eq!(l.latitude_e6, 25_311_204);
        assert_eq!(l.longitude_e6, 101_543_210);
        assert_eq!(l.accuracy_m, Some(30));
        assert_eq!(l.label(), "北纬 25.311204，东经 101.543210（±30 米）");
        let l = Location::parse("-0.5", "-73", "").unwrap().unwrap();
        assert_eq!((l.latitude_e6, l.longitude_e6), (-500_000, -73_000_000));
        assert_eq!(l.label(), "南纬 0.500000，西经 73.000000");
        assert!(l.map_url().contains("mlat=-0.500000&mlon=-73.000000"));
    }

    #[test]
    fn no_place_is_no_error() {
        assert_eq!(Location::parse("", " ", ""), Ok(None));
    }

    #[test]
    fn a_bad_place_is_refused() {
        for (lat, lon) in [
            ("91", "0"),
            ("0", "180.000001"),
            ("1e5", "0"),
            ("NaN", "0"),
            ("25.3", ""),
            ("--1", "0"),
            ("1.2.3", "0"),
            ("+1", "0"),
            ("1234", "0"),
            (".5", "0"),
        ] {
            assert!(Location::parse(lat, lon, "").is_err(), "{lat},{lon}");
        }
        for vague in ["-3", "100001", "x", "1e9"] {
            assert_eq!(
                Location::parse("1", "1", vague)
                    .unwrap()
                    .unwrap()
                    .accuracy_m,
                None,
                "{vague}"
            );
        }
        assert!(Location::parse("90", "-180", "0").is_ok());
    }

    #[test]
    fn a_paper_entry_says_why() {
        assert_eq!(paper_reason("  "), Err(CheckInError::ReasonRequired));
        assert_eq!(paper_reason(" 手机无信号 "), Ok("手机无信号"));
        assert!(paper_reason(&"很".repeat(501)).is_err());
    }

    #[test]
    fn ratings_and_complaints() {
        assert_eq!(Rating::parse("5", "").unwrap().stars_label(), "★★★★★");
        assert_eq!(Rating::parse("2", "").unwrap().stars_label(), "★★☆☆☆");
        for bad in ["0", "6", "", "x", "-1"] {
            assert_eq!(Rating::parse(bad, ""), Err(CheckInError::Stars));
        }
        assert_eq!(
            Complaint::parse("检查人员索要财物", true, "张三")
                .unwrap()
                .contact,
            None
        );
        assert_eq!(
            Complaint::parse("检查人员态度恶劣", false, "张三 13800000000")
                .unwrap()
                .contact
                .as_deref(),
            Some("张三 13800000000")
        );
        assert!(Complaint::parse("", true, "").is_err());
        assert!(Complaint::parse("事", false, " ").is_err());
    }
}
