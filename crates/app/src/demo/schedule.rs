//! When each step of the year happens: working days, inspection days, and every
//! step in the order it happened.

use super::*;

/// One step of the year, at its moment.
#[derive(Debug, Clone, Copy)]
pub(super) enum Step {
    Plan,
    /// Ties between inspectors and entities declared before the first draw.
    Conflicts,
    Create(usize),
    /// Asked for its head's approval (检查审批), not yet decided.
    AskApproval(usize),
    Seal(usize),
    Draw(usize),
    /// The results of the task's visits inspected on its `k`-th working day.
    Enter(usize, usize),
    Approve(usize),
    Publish(usize),
    Settle(usize),
    Cancel(usize),
    Targeted(usize),
}

/// Inspection days per task over which its visits are spread.
pub(super) const DAYS: usize = 5;

/// A working day at or after `d`.
pub(super) fn workday(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d + Duration::days(2),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

/// A working day at or before `d`.
pub(super) fn workday_back(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d - Duration::days(1),
        Weekday::Sun => d - Duration::days(2),
        _ => d,
    }
}

/// `d` at `h:m` Beijing time.
pub(super) fn at(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    liancha_domain::calendar::china_midnight(d).expect("a Beijing midnight")
        + Duration::hours(h.into())
        + Duration::minutes(m.into())
}

pub(super) struct Dates {
    pub(super) start: NaiveDate,
    pub(super) end: NaiveDate,
}

pub(super) fn dates(spec: &Spec, today: NaiveDate) -> Dates {
    let start = workday(today - Duration::days(spec.starts_ago));
    Dates {
        start,
        end: start + Duration::days(30),
    }
}

pub(super) fn inspection_day(d: &Dates, k: usize) -> NaiveDate {
    workday(d.start + Duration::days(1 + 4 * k as i64))
}

/// Every step of the year with its moment, in the order they happen.
pub(super) fn schedule(today: NaiveDate) -> Vec<(DateTime<Utc>, Step)> {
    // The plan comes first: its entries are what the market tasks are set under.
    let mut steps = vec![
        (at(plan_day(today), 9, 30), Step::Plan),
        (at(plan_day(today), 10, 0), Step::Conflicts),
    ];
    // Work planned for later was prepared in the last days.
    let past = |d: NaiveDate| d.min(workday_back(today - Duration::days(1)));
    for (i, spec) in SPECS.iter().enumerate() {
        let d = dates(spec, today);
        let created = past(workday(d.start - Duration::days(12)));
        steps.push((at(created, 9, 30), Step::Create(i)));
        if spec.fate == Fate::Draft {
            steps.push((at(created, 16, 0), Step::AskApproval(i)));
            continue;
        }
        let sealed = past(workday(d.start - Duration::days(8)));
        steps.push((at(sealed, 10, 0), Step::Seal(i)));
        match spec.fate {
            Fate::Sealed => continue,
            Fate::Cancelled => {
                steps.push((at(sealed, 15, 0), Step::Cancel(i)));
                continue;
            }
            _ => {}
        }
        steps.push((at(sealed, 11, 0), Step::Draw(i)));
        for k in 0..DAYS {
            let day = inspection_day(&d, k);
            if day < today {
                steps.push((at(day, 17, 30), Step::Enter(i, k)));
            }
        }
        if spec.fate == Fate::Drawn {
            continue;
        }
        let reviewed = workday(d.end - Duration::days(5));
        // After the morning's seals and draws, which must keep their own hours.
        steps.push((at(reviewed, 14, 0), Step::Approve(i)));
        if spec.fate == Fate::InReview {
            continue;
        }
        let published = workday(reviewed + Duration::days(1));
        steps.push((at(published, 15, 0), Step::Publish(i)));
        let settled = workday(published + Duration::days(21));
        steps.push((
            at(settled.min(today - Duration::days(1)), 16, 0),
            Step::Settle(i),
        ));
    }
    for (k, t) in TARGETED.iter().enumerate() {
        let day = workday(today - Duration::days(t.days_ago));
        steps.push((at(day, 16, 30), Step::Targeted(k)));
    }
    // Stable: steps of one moment keep the order they were listed in.
    steps.sort_by_key(|s| s.0);
    steps
}
