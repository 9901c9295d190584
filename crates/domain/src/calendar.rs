//! Dates as the county lives them: China Standard Time (UTC+8, no daylight saving).

use chrono::{FixedOffset, NaiveDate, Utc};

pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Today's date in China, which a certificate's validity and deadlines are counted in.
pub fn today_in_china() -> NaiveDate {
    Utc::now().with_timezone(&china()).date_naive()
}

/// A moment as people in the county read it: `2026-03-02 09:30` (Beijing time).
pub fn format_china_time(t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A moment in Beijing time to the second, for times the system enforces to the
/// second (a random source's earliest reveal): shown to the minute, 10:05 would look
/// reached while 10:05:30 is not.
pub fn format_china_time_seconds(t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A date as official documents write it: `2026年12月9日` (no leading zeros).
pub fn chinese_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The date in China at a moment.
pub fn china_date(t: chrono::DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// A month in China as moments: from its first midnight in Beijing to the next
/// month's, the end excluded. `None` for a month that does not exist.
pub fn china_month(
    year: i32,
    month: u32,
) -> Option<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((china_midnight(first)?, china_midnight(next)?))
}

/// The moment a day begins in Beijing.
pub fn china_midnight(day: NaiveDate) -> Option<chrono::DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0)?
        .and_local_timezone(china())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

use std::collections::BTreeMap;

use chrono::{Datelike, Weekday};

/// Whether a listed day is a holiday or a weekend day worked in exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Off,
    Work,
}

/// China's working-day calendar: Monday to Friday, except statutory holidays, plus the
/// weekend days worked in exchange. Publication deadlines are counted on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    exceptions: BTreeMap<NaiveDate, (DayKind, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("节假日数据第 {line} 行：{reason}")]
    Line { line: usize, reason: String },
}

/// The calendar shipped with liancha; administrators may load a newer one.
pub const BUILT_IN: &str = include_str!("../data/cn-holidays.txt");

impl WorkCalendar {
    /// Parses lines of `DATE off|work name`; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let mut exceptions = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |reason: &str| CalendarError::Line {
                line: i + 1,
                reason: reason.to_string(),
            };
            let mut parts = line.split_whitespace();
            let date = parts
                .next()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .ok_or_else(|| err("日期应写作 2026-10-01"))?;
            let kind = match parts.next() {
                Some("off") => DayKind::Off,
                Some("work") => DayKind::Work,
                _ => return Err(err("第二列应为 off（放假）或 work（调休上班）")),
            };
            let name = parts.collect::<Vec<_>>().join(" ");
            if exceptions.insert(date, (kind, name)).is_some() {
                return Err(err("该日期重复"));
            }
        }
        Ok(WorkCalendar { exceptions })
    }

    pub fn built_in() -> Self {
        Self::parse(BUILT_IN).expect("the built-in calendar is valid")
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some((DayKind::Off, _)) => false,
            Some((DayKind::Work, _)) => true,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The day that is `n` working days after `start` (`start` itself not counted):
    /// a deadline of 20 working days after an inspection ending on `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().expect("date in range");
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not later).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut day = from;
        while day < to {
            day = day.succ_opt().expect("date in range");
            if self.is_working_day(day) {
                n += 1;
            }
        }
        n
    }

    /// Takes `other`'s data for every year it has data for, replacing this
    /// calendar's days of those years (an admin's upload of a year's notice).
    pub fn merge(&mut self, other: &WorkCalendar) {
        let years = other.years();
        self.exceptions.retain(|d, _| !years.contains(&d.year()));
        self.exceptions
            .extend(other.exceptions.iter().map(|(d, v)| (*d, v.clone())));
    }

    /// The listed days, for pages and export: date, kind, name.
    pub fn days(&self) -> impl Iterator<Item = (NaiveDate, DayKind, &str)> {
        self.exceptions
            .iter()
            .map(|(d, (k, n))| (*d, *k, n.as_str()))
    }

    /// The years the calendar has data for: outside them only weekends are known.
    pub fn years(&self) -> Vec<i32> {
        let mut years: Vec<i32> = self.exceptions.keys().map(|d| d.year()).collect();
        years.dedup();
        years
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_write_dates_the_chinese_way() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(chinese_date(d(2026, 12, 9)), "2026年12月9日");
        assert_eq!(chinese_date(d(2027, 1, 1)), "2027年1月1日");
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_month_in_china_starts_at_beijing_midnight() {
        use chrono::TimeZone;
        let (from, to) = china_month(2026, 12).unwrap();
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap());
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap());
        // The last moment of November in UTC is already December in Beijing.
        assert_eq!(china_date(from).month(), 12);
        assert_eq!(china_date(to - chrono::Duration::seconds(1)).month(), 12);
        assert!(china_month(2026, 13).is_none());
    }

    #[test]
    fn holidays_and_exchanged_weekends() {
        let c = WorkCalendar::built_in();
        assert!(!c.is_working_day(d(2026, 10, 1)), "National Day");
        assert!(
            c.is_working_day(d(2026, 10, 10)),
            "Saturday worked in exchange"
        );
        assert!(!c.is_working_day(d(2026, 11, 28)), "an ordinary Saturday");
        assert!(c.is_working_day(d(2026, 11, 26)), "an ordinary Thursday");
        assert_eq!(c.years(), vec![2025, 2026]);
    }

    #[test]
    fn deadline_skips_the_national_day_week() {
        let c = WorkCalendar::built_in();
        // Inspection ends Wednesday 30 September 2026; 1–7 October are off,
        // Saturday 10 October is worked: 8, 9, 10 Oct, then 17 weekdays to 3 November.
        assert_eq!(c.add_working_days(d(2026, 9, 30), 1), d(2026, 10, 8));
        assert_eq!(c.add_working_days(d(2026, 9, 30), 3), d(2026, 10, 10));
        assert_eq!(c.add_working_days(d(2026, 9, 30), 20), d(2026, 11, 3));
        assert_eq!(c.working_days_between(d(2026, 9, 30), d(2026, 11, 3)), 20);
        assert_eq!(c.add_working_days(d(2026, 9, 30), 0), d(2026, 9, 30));
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            WorkCalendar::parse("2026-10-01 off 国庆\n2026-13-01 off x").unwrap_err(),
            CalendarError::Line {
                line: 2,
                reason: "日期应写作 2026-10-01".into()
            }
        );
        assert!(WorkCalendar::parse("2026-10-01 rest").is_err());
        assert!(WorkCalendar::parse("2026-10-01 off\n2026-10-01 work").is_err());
    }
}
