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
        liancha_domain::figures::basis_points(self.inspected, population)
    }
    /// Share of inspected entities with problems, in basis points.
    pub fn problem_bp(&self) -> i64 {
        liancha_domain::figures::basis_points(self.with_problems, self.inspected)
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

/// Entities inspected and entities with a problem: by department, by domain, in all.
struct Inspected {
    by_department: BTreeMap<String, (i64, i64)>,
    by_domain: BTreeMap<&'static str, (i64, i64)>,
    all: (i64, i64),
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
        self.figures_of(year, month, now, true).await
    }

    /// The year's totals alone, as an office reads its counties side by side: the
    /// active entities and the county's figures, without the list of over-inspected
    /// entities.
    pub async fn oversight_totals(&self, year: i32, now: DateTime<Utc>) -> Result<(i64, Figures)> {
        let o = self.figures_of(year, None, now, false).await?;
        Ok((o.population, o.total))
    }

    async fn figures_of(
        &self,
        year: i32,
        month: Option<u32>,
        now: DateTime<Utc>,
        over_inspected: bool,
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

        // Entities inspected and with problems, by department of the item, by the
        // task's domain (a market task's agriculture item is still market work) and in
        // all: counted where the rows are, three small answers instead of every result.
        let Inspected {
            by_department: inspected,
            by_domain: domain_inspected,
            all: all_inspected,
        } = self.inspected(&tasks, year, month).await?;
        let targeted: Vec<(String, String, NaiveDate)> = with_pool!(self, p => self.query_as(
            "SELECT department, entity_id, inspected_on FROM targeted_inspections WHERE county = $C AND year = $1").bind(year).fetch_all(p).await)?;
        type FollowRow = (String, String, DateTime<Utc>, Option<DateTime<Utc>>);
        let follow: Vec<FollowRow> = with_pool!(self, p => self.query_as(
            "SELECT department, state, created_at, closed_at FROM follow_ups WHERE county = $C").fetch_all(p).await)?;

        for (code, f) in by_dept.iter_mut() {
            (f.inspected, f.with_problems) =
                inspected.get(code.as_str()).copied().unwrap_or_default();
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
            (f.inspected, f.with_problems) = domain_inspected
                .get(domain.code())
                .copied()
                .unwrap_or_default();
            total.targeted += f.targeted;
            total.follow_ups_open += f.follow_ups_open;
            total.follow_ups_closed += f.follow_ups_closed;
            domains.push((*domain, f));
        }
        for t in tasks.iter().filter(|t| in_period(Some(t.created_at))) {
            total.tasks_by_state[state_index(t.state)] += 1;
        }
        (total.inspected, total.with_problems) = all_inspected;
        total.overdue_tasks = deadlines
            .iter()
            .filter(|o| o.flag == DeadlineFlag::Overdue)
            .count() as i64;

        // Over-inspected: more inspections in the year than the strictest cap.
        let over_inspected = if over_inspected {
            self.over_inspected(year).await?
        } else {
            Vec::new()
        };

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

    /// The entities with results of submitted or published visits of `year`'s tasks
    /// (a month's: of the visits submitted in it), and those with a problem among
    /// them, counted by the item's department, by the task's domain and in all. The
    /// problem is decided in SQL, the department and domain are known from `tasks`.
    async fn inspected(&self, tasks: &[Task], year: i32, month: Option<u32>) -> Result<Inspected> {
        let problem = ResultCategory::problem_codes()
            .map(|code| format!("(',' || r.categories || ',') LIKE '%,{code},%'"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let period = month.and_then(|m| liancha_domain::calendar::china_month(year, m));
        // One row per task, item and problem-or-not, its entities joined into one
        // text (entity ids have no comma): a few dozen rows for the driver to hand
        // over instead of one per result.
        let entities = match self.engine() {
            crate::Engine::Sqlite => "group_concat(r.entity_id, ',')",
            crate::Engine::Postgres => "string_agg(r.entity_id, ',')",
        };
        let sql = format!(
            "SELECT r.task_id, r.item_code, \
                    CASE WHEN r.categories = 'none' THEN 0 WHEN {problem} THEN 1 ELSE 0 END, {entities} \
             FROM results r \
             JOIN visits v ON v.county = r.county AND v.task_id = r.task_id AND v.entity_id = r.entity_id \
             JOIN tasks t ON t.county = r.county AND t.id = r.task_id \
             WHERE r.county = $C AND t.year = $1 AND v.state IN ('submitted', 'published'){} \
             GROUP BY 1, 2, 3",
            if month.is_some() {
                " AND v.submitted_at >= $2 AND v.submitted_at < $3"
            } else {
                ""
            }
        );
        let rows: Vec<(i64, String, i32, String)> = with_pool!(self, p => {
            let q = self.query_as(&sql).bind(year);
            match (month, period) {
                (None, _) => q.fetch_all(p).await,
                (Some(_), Some((from, to))) => q.bind(from).bind(to).fetch_all(p).await,
                // A month that does not exist has no visits.
                (Some(_), None) => Ok(Vec::new()),
            }
        })?;
        let by_id: BTreeMap<i64, &Task> = tasks.iter().map(|t| (t.id, t)).collect();
        type Seen<'a> = (BTreeSet<&'a str>, BTreeSet<&'a str>);
        let mut departments: BTreeMap<&str, Seen<'_>> = BTreeMap::new();
        let mut domains: BTreeMap<&'static str, Seen<'_>> = BTreeMap::new();
        let mut all: Seen<'_> = Default::default();
        for (task, item, problem, entities) in &rows {
            let Some(t) = by_id.get(task) else { continue };
            let department = t
                .items
                .iter()
                .find(|i| i.code == *item)
                .map_or("", |i| i.department.as_str());
            for seen in [
                departments.entry(department).or_default(),
                domains.entry(t.domain.code()).or_default(),
                &mut all,
            ] {
                for entity in entities.split(',') {
                    seen.0.insert(entity);
                    if *problem != 0 {
                        seen.1.insert(entity);
                    }
                }
            }
        }
        let counts = |s: &Seen<'_>| (s.0.len() as i64, s.1.len() as i64);
        Ok(Inspected {
            by_department: departments
                .iter()
                .map(|(d, s)| (d.to_string(), counts(s)))
                .collect(),
            by_domain: domains.iter().map(|(d, s)| (*d, counts(s))).collect(),
            all: counts(&all),
        })
    }

    /// The entities inspected more often in `year` than the strictest annual cap, most
    /// inspected first.
    async fn over_inspected(&self, year: i32) -> Result<Vec<OverInspected>> {
        let mut cap = i64::MAX;
        for d in Domain::ALL {
            cap = cap.min(i64::from(self.rule_book(*d).await?.annual_cap));
        }
        let sql = format!(
            "SELECT o.entity_id, e.name, o.n FROM \
               (SELECT entity_id, COUNT(*) AS n FROM {} x GROUP BY entity_id HAVING COUNT(*) > $2) o \
             LEFT JOIN entities e ON e.county = $C AND e.id = o.entity_id",
            crate::tasks::INSPECTIONS_IN_YEAR
        );
        let over: Vec<(String, Option<String>, i64)> =
            with_pool!(self, p => self.query_as(&sql).bind(year).bind(cap).fetch_all(p).await)?;
        let mut over_inspected: Vec<OverInspected> = over
            .into_iter()
            .map(|(entity_id, name, count)| OverInspected {
                entity_id,
                name: name.unwrap_or_default(),
                count,
                cap,
            })
            .collect();
        over_inspected.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.entity_id.cmp(&b.entity_id))
        });
        Ok(over_inspected)
    }
}
