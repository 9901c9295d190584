//! The organisation tree: province → prefecture (州/市) → county (县/市/区), named by
//! their administrative division codes (GB/T 2260), with townships (GB/T 10114) below.

use std::fmt;

/// A level of the tree, from its code's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Province,
    Prefecture,
    County,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::Prefecture => "prefecture",
            Level::County => "county",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "province" => Some(Level::Province),
            "prefecture" => Some(Level::Prefecture),
            "county" => Some(Level::County),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Province => "省级",
            Level::Prefecture => "州（市）级",
            Level::County => "县（市、区）级",
        }
    }
}

/// A 6-digit administrative division code of GB/T 2260: `PPRRCC`, where a province
/// ends in `0000` and a prefecture in `00`. Holding one is proof of that shape.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct DivisionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivisionCodeError {
    #[error("行政区划代码应为 2、4 或 6 位数字（如 53、5323、532323），实为「{0}」")]
    Shape(String),
    #[error("行政区划代码「{0}」的省级代码不存在（应为 11–82）")]
    Province(String),
}

impl DivisionCode {
    /// Parses a code as written: the full six digits (`532300`) or its significant
    /// part (`5323`), as the and clerks' usage has it.
    pub fn parse(raw: &str) -> Result<Self, DivisionCodeError> {
        let s = raw.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) || !matches!(s.len(), 2 | 4 | 6) {
            return Err(DivisionCodeError::Shape(s.chars().take(20).collect()));
        }
        let full = format!("{s:0<6}");
        let province: u32 = full[..2].parse().expect("digits");
        if !(11..=82).contains(&province) {
            return Err(DivisionCodeError::Province(full));
        }
        // A county (last pair not 00) below a prefecture that is 00 does not exist.
        if &full[2..4] == "00" && &full[4..] != "00" {
            return Err(DivisionCodeError::Shape(full));
        }
        Ok(DivisionCode(full))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        if self.0.ends_with("0000") {
            Level::Province
        } else if self.0.ends_with("00") {
            Level::Prefecture
        } else {
            Level::County
        }
    }

    /// The significant digits: `53`, `5323`, `532323` (used in URLs and file names).
    pub fn short(&self) -> &str {
        match self.level() {
            Level::Province => &self.0[..2],
            Level::Prefecture => &self.0[..4],
            Level::County => &self.0,
        }
    }

    /// The division directly above, by code (a county's prefecture, a prefecture's
    /// province); a province has none.
    pub fn parent(&self) -> Option<DivisionCode> {
        match self.level() {
            Level::Province => None,
            Level::Prefecture => Some(DivisionCode(format!("{}0000", &self.0[..2]))),
            Level::County => Some(DivisionCode(format!("{}00", &self.0[..4]))),
        }
    }

    /// Whether `other` is this division or lies below it.
    pub fn contains(&self, other: &DivisionCode) -> bool {
        other.0.starts_with(self.short())
    }

    /// Whether a township code (GB/T 10114: the county's six digits and three more)
    /// belongs to this county.
    pub fn holds_township(&self, township_code: &str) -> bool {
        self.level() == Level::County
            && township_code.len() == 9
            && township_code.starts_with(&self.0)
            && township_code.bytes().all(|b| b.is_ascii_digit())
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DivisionCode({})", self.0)
    }
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Division {
    pub code: DivisionCode,
    /// The official name: 云南省, 楚雄彝族自治州, 牟定县.
    pub name: String,
}

impl Division {
    pub fn level(&self) -> Level {
        self.code.level()
    }

    /// What the government of the division calls itself on its pages (牟定县人民政府).
    pub fn government(&self) -> String {
        format!("{}人民政府", self.name)
    }
}

/// Checks that `divisions` can be added to a tree that already holds `existing`: each
/// new division's parent exists (or comes earlier in `divisions`), no code is taken
/// and no name repeats under one parent. Returns the first problem.
pub fn check_new_divisions(existing: &[Division], divisions: &[Division]) -> Result<(), String> {
    let mut all: Vec<&Division> = existing.iter().collect();
    for d in divisions {
        if let Err(e) = crate::text::bounded_text(&d.name, crate::text::NAME) {
            return Err(format!("名称：{e}"));
        }
        if d.name.trim().is_empty() {
            return Err(format!("行政区划 {} 的名称不能为空", d.code));
        }
        if all.iter().any(|x| x.code == d.code) {
            return Err(format!("行政区划代码 {} 已存在", d.code));
        }
        let parent = d.code.parent();
        if let Some(parent) = &parent
            && !all.iter().any(|x| &x.code == parent)
        {
            return Err(format!(
                "{}（{}）的上级 {} 尚未建立：请先建立上级",
                d.name, d.code, parent
            ));
        }
        // Siblings (provinces among themselves too) have different names.
        if all
            .iter()
            .any(|x| x.code.parent() == parent && x.name == d.name)
        {
            return Err(match &parent {
                Some(p) => format!("{} 下已有名为「{}」的行政区划", p, d.name),
                None => format!("已有名为「{}」的省级行政区划", d.name),
            });
        }
        all.push(d);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }

    fn div(c: &str, name: &str) -> Division {
        Division {
            code: code(c),
            name: name.into(),
        }
    }

    #[test]
    fn codes_parse_in_either_form_and_know_their_level() {
        assert_eq!(code("53"), code("530000"));
        assert_eq!(code("5323"), code("532300"));
        assert_eq!(code(" 532323 ").as_str(), "532323");
        assert_eq!(code("53").level(), Level::Province);
        assert_eq!(code("5323").level(), Level::Prefecture);
        assert_eq!(code("532323").level(), Level::County);
        assert_eq!(code("532323").short(), "532323");
        assert_eq!(code("532300").short(), "5323");
        assert_eq!(code("530000").short(), "53");
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "", "5", "533", "53232", "5323231", "53a323", "００", "990000", "100000", "530023",
        ] {
            assert!(DivisionCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parents_and_containment() {
        assert_eq!(code("532323").parent(), Some(code("5323")));
        assert_eq!(code("5323").parent(), Some(code("53")));
        assert_eq!(code("53").parent(), None);
        assert!(code("53").contains(&code("532323")));
        assert!(code("5323").contains(&code("532323")));
        assert!(code("532323").contains(&code("532323")));
        assert!(!code("5323").contains(&code("532423")));
        assert!(!code("532323").contains(&code("5323")));
        assert!(code("532323").holds_township("532323100"));
        assert!(!code("532323").holds_township("532324100"));
        assert!(!code("5323").holds_township("532300100"));
    }

    #[test]
    fn a_tree_is_built_from_the_top() {
        let province = div("53", "云南省");
        let prefecture = div("5323", "楚雄彝族自治州");
        let county = div("532323", "牟定县");
        assert!(
            check_new_divisions(&[], &[province.clone(), prefecture.clone(), county.clone()])
                .is_ok()
        );
        let e = check_new_divisions(&[], std::slice::from_ref(&county)).unwrap_err();
        assert!(e.contains("尚未建立"), "{e}");
        let existing = [province, prefecture];
        assert!(check_new_divisions(&existing, std::slice::from_ref(&county)).is_ok());
        let e = check_new_divisions(&existing, &[county.clone(), county.clone()]).unwrap_err();
        assert!(e.contains("已存在"), "{e}");
        let e = check_new_divisions(&existing, &[county, div("532324", "牟定县")]).unwrap_err();
        assert!(e.contains("已有名为"), "{e}");
        let e = check_new_divisions(&existing, &[div("532325", "县\0名")]).unwrap_err();
        assert!(e.contains("名称"), "{e}");
        let e = check_new_divisions(&existing, &[div("54", "云南省")]).unwrap_err();
        assert!(e.contains("省级"), "{e}");
    }
}
