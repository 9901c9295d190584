//! The whole draw: plan + reveal → digest, seed, result.

use crate::DrawError;
use crate::hash::{Seed, plan_digest, seed};
use crate::hex;
use crate::json::{Object, Value};
use crate::plan::{Plan, name_problem};
use crate::select::{Selected, select_indices};
use crate::teams::{Assignment, Team, Unassigned, assign_rows, form_teams};

/// Everything a draw produces: the record's `plan_digest`, `seed` and `result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawResult {
    /// `H(canonical(plan))`.
    pub plan_digest: [u8; 32],
    /// The seed derived from digest and reveal.
    pub seed: Seed,
    /// Selected entities in draw order.
    pub selected: Vec<Selected>,
    /// Teams (empty without `plan.teams`).
    pub teams: Vec<Team>,
    /// Assigned entities in draw order.
    pub assignments: Vec<Assignment>,
    /// Unassigned entities in draw order.
    pub unassigned: Vec<Unassigned>,
}

impl DrawResult {
    /// The record's `result` object (selected, teams, assignments, unassigned).
    pub fn result_value(&self) -> Value {
        let selected = self
            .selected
            .iter()
            .map(|s| {
                Value::Object(
                    Object::new()
                        .with("id", s.id.as_str())
                        .with("stratum", s.stratum.as_str())
                        .with("ticket", hex::encode(&s.ticket)),
                )
            })
            .collect::<Vec<_>>();
        let teams = self
            .teams
            .iter()
            .map(|t| {
                Value::Object(Object::new().with("no", t.no as i64).with(
                    "members",
                    Value::Array(t.members.iter().map(|m| m.as_str().into()).collect()),
                ))
            })
            .collect::<Vec<_>>();
        let assignments = self
            .assignments
            .iter()
            .map(|a| {
                Value::Object(
                    Object::new()
                        .with("entity", a.entity.as_str())
                        .with("team", a.team as i64),
                )
            })
            .collect::<Vec<_>>();
        let unassigned = self
            .unassigned
            .iter()
            .map(|u| {
                Value::Object(
                    Object::new()
                        .with("entity", u.entity.as_str())
                        .with("reason", u.reason.as_str()),
                )
            })
            .collect::<Vec<_>>();
        Value::Object(
            Object::new()
                .with("selected", selected)
                .with("teams", teams)
                .with("assignments", assignments)
                .with("unassigned", unassigned),
        )
    }
}

/// Checks `reveal` against `plan.sources` (§3): same length, each non-empty,
/// without U+0000 and (so that its length fits `u32be`) under 4 GiB.
pub fn check_reveal<S: AsRef<str>>(plan: &Plan, reveal: &[S]) -> Result<(), DrawError> {
    if reveal.len() != plan.sources.len() {
        return Err(DrawError::RevealMismatch(format!(
            "{} reveal value(s) for {} declared source(s)",
            reveal.len(),
            plan.sources.len()
        )));
    }
    for (i, r) in reveal.iter().enumerate() {
        let r = r.as_ref();
        if let Some(p) = name_problem(r) {
            return Err(DrawError::RevealMismatch(format!("reveal[{i}] {p}")));
        }
        if u32::try_from(r.len()).is_err() {
            return Err(DrawError::RevealMismatch(format!(
                "reveal[{i}] is 4 GiB or longer"
            )));
        }
    }
    Ok(())
}

/// Draws from a plan built in Rust: its digest is [`plan_digest`] of
/// [`Plan::to_value`]. Validates the plan and the reveal first.
pub fn draw<S: AsRef<str>>(plan: &Plan, reveal: &[S]) -> Result<DrawResult, DrawError> {
    plan.validate()?;
    draw_validated(plan, &plan_digest(plan), reveal)
}

/// Draws with a given plan digest: for a plan read from published JSON, whose
/// digest ([`crate::digest_value`] of the JSON as given) binds the draw even where
/// the JSON spelled defaults differently from [`Plan::to_value`].
///
/// Validates the plan and the reveal first, like [`draw`].
pub fn draw_with_digest<S: AsRef<str>>(
    plan: &Plan,
    plan_digest: &[u8; 32],
    reveal: &[S],
) -> Result<DrawResult, DrawError> {
    plan.validate()?;
    draw_validated(plan, plan_digest, reveal)
}

/// The draw proper, for a plan already validated (e.g. by [`Plan::from_value`]);
/// validating twice would repeat a duplicate-id pass over a possibly huge population.
pub(crate) fn draw_validated<S: AsRef<str>>(
    plan: &Plan,
    plan_digest: &[u8; 32],
    reveal: &[S],
) -> Result<DrawResult, DrawError> {
    check_reveal(plan, reveal)?;
    let seed = seed(plan_digest, reveal);
    let picked = select_indices(
        &plan.entities,
        &plan.selection,
        &seed,
        auto_threads(plan.entities.len()),
    )?;
    let selected: Vec<Selected> = picked
        .iter()
        .map(|&(ticket, i)| Selected {
            id: plan.entities[i].id.clone(),
            stratum: plan.entities[i].stratum.clone(),
            ticket,
        })
        .collect();
    let (teams, assignments, unassigned) = match &plan.teams {
        None => (Vec::new(), Vec::new(), Vec::new()),
        Some(rules) => {
            let teams = form_teams(&plan.inspectors, rules, &seed)?;
            let rows: Vec<(&str, Option<&str>)> = picked
                .iter()
                .map(|&(_, i)| {
                    (
                        plan.entities[i].id.as_str(),
                        plan.entities[i].township.as_deref(),
                    )
                })
                .collect();
            let (a, u) = assign_rows(
                &rows,
                &teams,
                &plan.inspectors,
                &plan.conflicts,
                rules,
                &seed,
            );
            (teams, a, u)
        }
    };
    Ok(DrawResult {
        plan_digest: *plan_digest,
        seed,
        selected,
        teams,
        assignments,
        unassigned,
    })
}

/// Threads for the selecting pass. Only large populations use more than one; the
/// result is the same either way (see [`crate::select`]).
fn auto_threads(rows: usize) -> usize {
    if rows < 100_000 {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    }
}
