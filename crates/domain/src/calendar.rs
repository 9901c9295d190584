//! Dates as the county lives them: China Standard Time (UTC+8, no daylight saving).

use chrono::{FixedOffset, NaiveDate, Utc};

pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Today's date in China, which a certificate's validity and deadlines are counted in.
pub fn today_in_china() -> NaiveDate {
    Utc::now().with_timezone(&china()).date_naive()
}
