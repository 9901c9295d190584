//! What the oversight office (督查室) watches: tasks by state, coverage, problems
//! found, overdue publications and over-inspected entities, per department and
//! domain, for a year or one month.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use liancha_domain::calendar::china_date;
use liancha_domain::workflow::{DeadlineFlag, ResultCategory, TaskState, deadline_flag};
use liancha_domain::{Department, Domain};

use crate::tasks::{Task, TaskFilter};
use crate::{County, Result, with_pool};

/// Figures of one department (or one domain).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Tasks by [`TaskState`] index: for a department those it leads or has items in,
    /// for a domain those of that domain.
    pub tasks_by_state: [i64; 5],
    /// For a department: the tasks it leads, cancelled ones left out.
    pub led: i64,
    /// Entities visited for the department's items (results submitted).
    pub inspected: i64,
    /// Of those, entities where a problem was found in its items.
    pub with_problems: i64,
    pub targeted: i64,
    pub follow_ups_open: i64,
    pub follow_ups_closed: i64,
    pub overdue_tasks: i64,
}

impl Figures {
    /// Coverage in basis points of `population`.
    pub fn coverage_bp(&self, population: i64) -> i64 {
        if population == 0 {
            0
        } else {
            self.inspected * 10_000 / population
        }
    }
    /// Share of inspected entities with problems, in basis points.
    pub fn problem_bp(&self) -> i64 {
        if self.inspected == 0 {
            0
        } else {
            self.with_problems * 10_000 / self.inspected
        }
    }
    /// Joint tasks, cancelled ones left out: a cancelled task inspected nothing.
    pub fn tasks(&self) -> i64 {
        TaskState::ALL
            .iter()
            .zip(self.tasks_by_state)
            .filter(|(s, _)| **s != TaskState::Cancelled)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn cancelled(&self) -> i64 {
        self.tasks_by_state[state_index(TaskState::Cancelled)]
    }

    /// Adds another county's figures: counties share no task and no entity, so
    /// every count adds up.
    pub fn add(&mut self, other: &Figures) {
        for (a, b) in self.tasks_by_state.iter_mut().zip(other.tasks_by_state) {
            *a += b;
        }
        self.led += other.led;
        self.inspected += other.inspected;
        self.with_problems += other.with_problems;
        self.targeted += other.targeted;
        self.follow_ups_open += other.follow_ups_open;
        self.follow_ups_closed += other.follow_ups_closed;
        self.overdue_tasks += other.overdue_tasks;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueTask {
    pub task: Task,
    pub deadline: NaiveDate,
    pub flag: DeadlineFlag,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverInspected {
    pub entity_id: String,
    pub name: String,
    pub count: i64,
    pub cap: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversight {
    pub year: i32,
    /// `Some((year, month))` when the figures cover one month only.
    pub month: Option<u32>,
    /// Active entities in the directory: the denominator of coverage.
    pub population: i64,
    pub departments: Vec<(Department, Figures)>,
    pub domains: Vec<(Domain, Figures)>,
    pub total: Figures,
    /// Drawn tasks near or past their publication deadline.
    pub deadlines: Vec<OverdueTask>,
    pub over_inspected: Vec<OverInspected>,
}

/// The departments a task is counted for: its lead and every department of its items.
pub fn task_departments(t: &Task) -> Vec<String> {
    let mut out = t.departments();
    if !out.contains(&t.lead_department) {
        out.insert(0, t.lead_department.clone());
    }
    out
}

fn state_index(s: TaskState) -> usize {
    TaskState::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

impl County<'_> {
    /// The oversight figures of `year`, or of one month of it; `now` decides which
    /// deadlines are near or past.
    pub async fn oversight(
        &self,
        year: i32,
        month: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<Oversight> {
        let in_period = |t: Option<DateTime<Utc>>| -> bool {
            match (month, t) {
                (None, _) => true,
                (Some(m), Some(t)) => {
                    let d = china_date(t);
                    d.year() == year && d.month() == m
                }
                (Some(_), None) => false,
            }
        };
        let departments = self.departments().await?;
        let population: i64 = with_pool!(self, p => self.query_scalar(
            "SELECT COUNT(*) FROM entities WHERE county = $C AND status = 'active'").fetch_one(p).await)?;
        let tasks = self
            .tasks(&TaskFilter {
                year: Some(year),
                ..TaskFilter::default()
            })
            .await?;
        let cal = self.calendar().await?;
        let today = china_date(now);

        let mut by_dept: BTreeMap<String, Figures> = departments
            .iter()
            .map(|d| (d.code.clone(), Figures::default()))
            .collect();
        let mut deadlines = Vec::new();
        let mut overdue_depts: Vec<String> = Vec::new();
        for t in &tasks {
            // A month's report counts tasks created in that month.
            if !in_period(Some(t.created_at)) {
                continue;
            }
            let state = state_index(t.state);
            for d in task_departments(t) {
                by_dept.entry(d).or_default().tasks_by_state[state] += 1;
            }
            if t.state != TaskState::Cancelled {
                by_dept.entry(t.lead_department.clone()).or_default().led += 1;
            }
        }
        for t in tasks.iter().filter(|t| t.state == TaskState::Drawn) {
            let deadline = self.deadline_on(&cal, t).await?;
            let flag = deadline_flag(&cal, today, deadline);
            if flag != DeadlineFlag::OnTime {
                if flag == DeadlineFlag::Overdue {
                    overdue_depts.extend(task_departments(t));
                }
                deadlines.push(OverdueTask {
                    task: t.clone(),
                    deadline,
                    flag,
                });
            }
        }
        for d in overdue_depts {
            by_dept.entry(d).or_default().overdue_tasks += 1;
        }

        // Results of submitted or published visits, per department of the item.
        type ResultRow = (String, String, String, Option<DateTime<Utc>>, String);
        let rows: Vec<ResultRow> = with_pool!(self, p => self.query_as(
            "SELECT i.department, r.entity_id, r.categories, v.submitted_at, t.domain FROM results r \
             JOIN items i ON i.county = r.county AND i.code = r.item_code \
             JOIN visits v ON v.county = r.county AND v.task_id = r.task_id AND v.entity_id = r.entity_id \
             JOIN tasks t ON t.county = r.county AND t.id = r.task_id \
             WHERE r.county = $C AND t.year = $1 AND v.state IN ('submitted', 'published')").bind(year).fetch_all(p).await)?;
        let mut inspected: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut problems: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        // By the task's domain: a market task's agriculture item is still market work.
        let mut domain_inspected: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut domain_problems: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (dept, entity, categories, at, domain) in &rows {
            if !in_period(*at) {
                continue;
            }
            inspected.entry(dept).or_default().insert(entity);
            domain_inspected.entry(domain).or_default().insert(entity);
            let problem = categories
                .split(',')
                .filter_map(ResultCategory::from_code)
                .any(ResultCategory::is_problem);
            if problem {
                problems.entry(dept).or_default().insert(entity);
                domain_problems.entry(domain).or_default().insert(entity);
            }
        }
        let targeted: Vec<(String, String, NaiveDate)> = with_pool!(self, p => self.query_as(
            "SELECT department, entity_id, inspected_on FROM targeted_inspections WHERE county = $C AND year = $1").bind(year).fetch_all(p).await)?;
        type FollowRow = (String, String, DateTime<Utc>, Option<DateTime<Utc>>);
        let follow: Vec<FollowRow> = with_pool!(self, p => self.query_as(
            "SELECT department, state, created_at, closed_at FROM follow_ups WHERE county = $C").fetch_all(p).await)?;

        for (code, f) in by_dept.iter_mut() {
            f.inspected = inspected.get(code.as_str()).map_or(0, |s| s.len() as i64);
            f.with_problems = problems.get(code.as_str()).map_or(0, |s| s.len() as i64);
            f.targeted = targeted
                .iter()
                .filter(|(d, _, on)| d == code && month.is_none_or(|m| on.month() == m))
                .count() as i64;
            for (d, state, created, closed) in &follow {
                if d != code {
                    continue;
                }
                if state == "open" && (month.is_none() || in_period(Some(*created))) {
                    f.follow_ups_open += 1;
                } else if state == "closed" && in_period(*closed) {
                    f.follow_ups_closed += 1;
                }
            }
        }

        // Domains: the tasks of the domain and the entities they inspected; targeted
        // inspections and follow-ups are the domain's departments'.
        let mut domains = Vec::new();
        let mut total = Figures::default();
        let all_inspected: BTreeSet<&str> = inspected.values().flatten().copied().collect();
        let all_problems: BTreeSet<&str> = problems.values().flatten().copied().collect();
        for domain in Domain::ALL {
            let codes: Vec<&str> = departments
                .iter()
                .filter(|d| d.domain == *domain)
                .map(|d| d.code.as_str())
                .collect();
            let mut f = Figures::default();
            for c in &codes {
                let d = &by_dept[*c];
                f.targeted += d.targeted;
                f.follow_ups_open += d.follow_ups_open;
                f.follow_ups_closed += d.follow_ups_closed;
            }
            for t in tasks
                .iter()
                .filter(|t| t.domain == *domain && in_period(Some(t.created_at)))
            {
                f.tasks_by_state[state_index(t.state)] += 1;
            }
            f.overdue_tasks = deadlines
                .iter()
                .filter(|o| o.flag == DeadlineFlag::Overdue && o.task.domain == *domain)
                .count() as i64;
            f.inspected = domain_inspected
                .get(domain.code())
                .map_or(0, |s| s.len() as i64);
            f.with_problems = domain_problems
                .get(domain.code())
                .map_or(0, |s| s.len() as i64);
            total.targeted += f.targeted;
            total.follow_ups_open += f.follow_ups_open;
            total.follow_ups_closed += f.follow_ups_closed;
            domains.push((*domain, f));
        }
        for t in tasks.iter().filter(|t| in_period(Some(t.created_at))) {
            total.tasks_by_state[state_index(t.state)] += 1;
        }
        total.inspected = all_inspected.len() as i64;
        total.with_problems = all_problems.len() as i64;
        total.overdue_tasks = deadlines
            .iter()
            .filter(|o| o.flag == DeadlineFlag::Overdue)
            .count() as i64;

        // Over-inspected: more inspections in the year than the strictest cap.
        let mut cap = i64::MAX;
        for d in Domain::ALL {
            cap = cap.min(i64::from(self.rule_book(*d).await?.annual_cap));
        }
        let counts = self.inspections_in_year(year).await?;
        let mut over_inspected = Vec::new();
        for (entity_id, count) in counts.into_iter().filter(|(_, n)| *n > cap) {
            let name = self
                .entity(&entity_id)
                .await?
                .map(|e| e.name)
                .unwrap_or_default();
            over_inspected.push(OverInspected {
                entity_id,
                name,
                count,
                cap,
            });
        }
        over_inspected.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.entity_id.cmp(&b.entity_id))
        });

        Ok(Oversight {
            year,
            month,
            population,
            departments: departments
                .into_iter()
                .map(|d| {
                    let f = by_dept.remove(&d.code).unwrap_or_default();
                    (d, f)
                })
                .collect(),
            domains,
            total,
            deadlines,
            over_inspected,
        })
    }
}
