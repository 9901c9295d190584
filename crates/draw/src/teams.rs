//! Forming teams (spec §6) and matching entities to them (spec §7).

use std::collections::BTreeMap;

use crate::DrawError;
use crate::hash::{Purpose, Seed, Ticket, Ticketer};
use crate::plan::{Conflict, Plan, PlanInspector, TeamRules};
use crate::select::Selected;

/// A team, numbered from 1; members in the order they were taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Team number, 1-based.
    pub no: u64,
    /// Inspector ids.
    pub members: Vec<String>,
}

/// An entity assigned to a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Entity id.
    pub entity: String,
    /// Team number.
    pub team: u64,
}

/// Why a selected entity has no team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnassignedReason {
    /// Every team was full (at `cap`) or in conflict with the entity.
    NoEligibleTeam,
}

impl UnassignedReason {
    /// The reason as written in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            UnassignedReason::NoEligibleTeam => "no-eligible-team",
        }
    }

    /// Parses the record's reason string.
    pub fn parse(s: &str) -> Option<Self> {
        (s == "no-eligible-team").then_some(UnassignedReason::NoEligibleTeam)
    }
}

/// A selected entity left without a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unassigned {
    /// Entity id.
    pub entity: String,
    /// Why.
    pub reason: UnassignedReason,
}

/// Forms `rules.count` teams from `inspectors` in `ticket("inspector", id)` order.
/// `liancha-draw/2` first: every team in turn takes, for each required specialty
/// it does not hold yet, the first free inspector who holds it. Then team by team:
/// the listed departments (in list order; a specialist counts for one entry of its
/// own department), then anyone free until `size`.
///
/// Fails with `not-enough-inspectors` as soon as a step finds nobody, naming the
/// team and what it lacked, because a partial team set is no draw at all.
pub fn form_teams(
    inspectors: &[PlanInspector],
    rules: &TeamRules,
    seed: &Seed,
) -> Result<Vec<Team>, DrawError> {
    let ticketer = Ticketer::new(seed, Purpose::Inspector);
    let mut order: Vec<(Ticket, &PlanInspector)> = inspectors
        .iter()
        .map(|p| (ticketer.ticket(&p.id), p))
        .collect();
    order.sort_unstable_by(|a, b| (a.0, a.1.id.as_bytes()).cmp(&(b.0, b.1.id.as_bytes())));

    // Cursors only move forward because "taken" only grows, so "first free in
    // ticket order" costs amortised O(1) instead of a rescan per pick.
    let mut taken = vec![false; order.len()];
    let mut any_cursor = 0usize;
    let mut by_dept: BTreeMap<&str, (Vec<usize>, usize)> = BTreeMap::new();
    let mut by_specialty: BTreeMap<&str, (Vec<usize>, usize)> = BTreeMap::new();
    for (pos, (_, p)) in order.iter().enumerate() {
        by_dept
            .entry(p.department.as_str())
            .or_default()
            .0
            .push(pos);
        for s in &p.specialties {
            by_specialty.entry(s.as_str()).or_default().0.push(pos);
        }
    }
    let first_free =
        |lists: &mut BTreeMap<&str, (Vec<usize>, usize)>, key: &str, taken: &[bool]| {
            lists.get_mut(key).and_then(|(positions, cursor)| {
                while *cursor < positions.len() && taken[positions[*cursor]] {
                    *cursor += 1;
                }
                positions.get(*cursor).copied()
            })
        };

    // liancha-draw/2 first gives every team its specialists, before any department
    // pick or filler can use them up: then enough holders always suffice.
    let mut specialists: Vec<Vec<usize>> = Vec::new();
    for no in 1..=rules.count {
        let mut members: Vec<usize> = Vec::new();
        for s in &rules.specialties {
            if members.iter().any(|&m| order[m].1.specialties.contains(s)) {
                continue;
            }
            let Some(pos) = first_free(&mut by_specialty, s, &taken) else {
                return Err(DrawError::NotEnoughInspectors(format!(
                    "team {no} needs an inspector with specialty `{s}` and none is left ({} inspectors, {} teams asked)",
                    inspectors.len(),
                    rules.count
                )));
            };
            taken[pos] = true;
            members.push(pos);
        }
        specialists.push(members);
    }

    let mut teams = Vec::new();
    for (no, mut members) in (1..=rules.count).zip(specialists) {
        // A specialist stands for one listed entry of its own department.
        let mut counted = vec![false; members.len()];
        for d in &rules.departments {
            if let Some(k) =
                (0..counted.len()).find(|&k| !counted[k] && order[members[k]].1.department == *d)
            {
                counted[k] = true;
                continue;
            }
            let Some(pos) = first_free(&mut by_dept, d, &taken) else {
                return Err(DrawError::NotEnoughInspectors(format!(
                    "team {no} needs an inspector of department `{d}` and none is left ({} inspectors, {} teams asked)",
                    inspectors.len(),
                    rules.count
                )));
            };
            taken[pos] = true;
            members.push(pos);
        }
        while (members.len() as u64) < rules.size {
            while any_cursor < order.len() && taken[any_cursor] {
                any_cursor += 1;
            }
            if any_cursor == order.len() {
                return Err(DrawError::NotEnoughInspectors(format!(
                    "team {no} needs {} members and only {} could be found ({} inspectors, {} teams asked)",
                    rules.size,
                    members.len(),
                    inspectors.len(),
                    rules.count
                )));
            }
            taken[any_cursor] = true;
            members.push(any_cursor);
        }
        let members = members.iter().map(|&m| order[m].1.id.clone()).collect();
        teams.push(Team { no, members });
    }
    Ok(teams)
}

/// Matches selected entities (in draw order) to teams: each goes to the least
/// loaded team that is below `cap = ceil(n / count)` and has no conflict with it,
/// ties by smaller `ticket("team", t)`; otherwise it is unassigned.
pub fn assign(
    plan: &Plan,
    selected: &[Selected],
    teams: &[Team],
    seed: &Seed,
) -> (Vec<Assignment>, Vec<Unassigned>) {
    let Some(rules) = &plan.teams else {
        return (Vec::new(), Vec::new());
    };
    let wanted: BTreeMap<&str, Option<&str>> =
        selected.iter().map(|s| (s.id.as_str(), None)).collect();
    let mut wanted = wanted;
    for e in &plan.entities {
        if let Some(t) = wanted.get_mut(e.id.as_str()) {
            *t = e.township.as_deref();
        }
    }
    let rows: Vec<(&str, Option<&str>)> = selected
        .iter()
        .map(|s| (s.id.as_str(), wanted[s.id.as_str()]))
        .collect();
    assign_rows(&rows, teams, &plan.inspectors, &plan.conflicts, rules, seed)
}

/// [`assign`] over `(entity id, township)` rows already in draw order.
pub(crate) fn assign_rows(
    rows: &[(&str, Option<&str>)],
    teams: &[Team],
    inspectors: &[PlanInspector],
    conflicts: &[Conflict],
    rules: &TeamRules,
    seed: &Seed,
) -> (Vec<Assignment>, Vec<Unassigned>) {
    let mut assignments = Vec::new();
    let mut unassigned = Vec::new();
    if teams.is_empty() {
        // Only reachable with an invalid count of 0; nothing can be assigned.
        unassigned.extend(rows.iter().map(|(id, _)| Unassigned {
            entity: (*id).to_owned(),
            reason: UnassignedReason::NoEligibleTeam,
        }));
        return (assignments, unassigned);
    }
    let cap = (rows.len() as u64).div_ceil(teams.len() as u64);

    let township_of: BTreeMap<&str, Option<&str>> = inspectors
        .iter()
        .map(|p| (p.id.as_str(), p.township.as_deref()))
        .collect();
    let mut team_of: BTreeMap<&str, usize> = BTreeMap::new();
    let mut team_towns: Vec<Vec<&str>> = Vec::with_capacity(teams.len());
    for (ti, t) in teams.iter().enumerate() {
        let mut towns = Vec::new();
        for m in &t.members {
            team_of.insert(m.as_str(), ti);
            if let Some(Some(tw)) = township_of.get(m.as_str()) {
                towns.push(*tw);
            }
        }
        team_towns.push(towns);
    }
    let mut conflicts_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in conflicts {
        conflicts_of
            .entry(c.entity.as_str())
            .or_default()
            .push(c.inspector.as_str());
    }
    let team_ticketer = Ticketer::new(seed, Purpose::Team);
    let team_tickets: Vec<Ticket> = teams
        .iter()
        .map(|t| team_ticketer.ticket(&t.no.to_string()))
        .collect();

    let mut load = vec![0u64; teams.len()];
    let mut blocked = vec![false; teams.len()];
    for &(entity, township) in rows {
        blocked.iter_mut().for_each(|b| *b = false);
        if let Some(list) = conflicts_of.get(entity) {
            for insp in list {
                if let Some(&ti) = team_of.get(insp) {
                    blocked[ti] = true;
                }
            }
        }
        if rules.avoid_same_township
            && let Some(tw) = township
        {
            for (ti, towns) in team_towns.iter().enumerate() {
                if towns.contains(&tw) {
                    blocked[ti] = true;
                }
            }
        }
        let best = (0..teams.len())
            .filter(|&ti| !blocked[ti] && load[ti] < cap)
            .min_by(|&a, &b| (load[a], &team_tickets[a], a).cmp(&(load[b], &team_tickets[b], b)));
        match best {
            Some(ti) => {
                load[ti] += 1;
                assignments.push(Assignment {
                    entity: entity.to_owned(),
                    team: teams[ti].no,
                });
            }
            None => unassigned.push(Unassigned {
                entity: entity.to_owned(),
                reason: UnassignedReason::NoEligibleTeam,
            }),
        }
    }
    (assignments, unassigned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspector(id: &str, department: &str, specialties: &[&str]) -> PlanInspector {
        PlanInspector {
            id: id.into(),
            department: department.into(),
            township: None,
            specialties: specialties.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    fn rules(count: u64, departments: &[&str], specialties: &[&str]) -> TeamRules {
        TeamRules {
            count,
            size: 2,
            departments: departments.iter().map(|s| (*s).to_string()).collect(),
            avoid_same_township: false,
            specialties: specialties.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    fn holds(list: &[PlanInspector], team: &Team, s: &str) -> bool {
        team.members.iter().any(|m| {
            list.iter()
                .any(|p| &p.id == m && p.specialties.iter().any(|x| x == s))
        })
    }

    #[test]
    fn every_team_holds_each_required_specialty() {
        let list = vec![
            inspector("a1", "amr", &[]),
            inspector("a2", "amr", &[]),
            inspector("a3", "amr", &["特种设备"]),
            inspector("a4", "amr", &["特种设备"]),
            inspector("g1", "agri", &[]),
            inspector("g2", "agri", &[]),
        ];
        for n in 0..40u8 {
            let seed = [n; 32];
            let teams =
                form_teams(&list, &rules(2, &["amr", "agri"], &["特种设备"]), &seed).unwrap();
            for t in &teams {
                assert!(holds(&list, t, "特种设备"), "{t:?}");
                // The specialist comes first and stands for the amr entry: two members.
                assert!(["a3", "a4"].contains(&t.members[0].as_str()), "{t:?}");
                assert_eq!(t.members.len(), 2, "{t:?}");
            }
            // Without the requirement the same seed forms teams of exactly two.
            let plain = form_teams(&list, &rules(2, &["amr", "agri"], &[]), &seed).unwrap();
            assert!(plain.iter().all(|t| t.members.len() == 2));
        }
    }

    #[test]
    fn holders_are_reserved_before_departments_and_fillers_take_them() {
        // As many holders as teams always suffices, whatever the seed: department
        // picks and fillers of team 1 can no longer use up team 2's specialist.
        let list = vec![
            inspector("a1", "amr", &[]),
            inspector("a2", "amr", &[]),
            inspector("h1", "amr", &["特种设备"]),
            inspector("h2", "amr", &["特种设备"]),
            inspector("x1", "ecology", &[]),
            inspector("x2", "ecology", &[]),
        ];
        let mut r = rules(2, &["amr"], &["特种设备"]);
        r.size = 3;
        for n in 0..64u8 {
            let teams = form_teams(&list, &r, &[n; 32]).unwrap();
            assert!(
                teams.iter().all(|t| holds(&list, t, "特种设备")),
                "{teams:?}"
            );
            assert!(teams.iter().all(|t| t.members.len() == 3), "{teams:?}");
        }
        // A specialist of another department does not stand for a listed one.
        let list = vec![
            inspector("a1", "amr", &[]),
            inspector("a2", "amr", &[]),
            inspector("e1", "emergency", &["特种设备"]),
            inspector("e2", "emergency", &["特种设备"]),
        ];
        let teams = form_teams(&list, &rules(2, &["amr"], &["特种设备"]), &[3; 32]).unwrap();
        for t in &teams {
            assert!(
                t.members[0].starts_with('e') && t.members[1].starts_with('a'),
                "{t:?}"
            );
        }
    }

    #[test]
    fn a_missing_specialist_is_named() {
        let list = vec![
            inspector("a1", "amr", &["特种设备"]),
            inspector("a2", "amr", &[]),
            inspector("a3", "amr", &[]),
            inspector("a4", "amr", &[]),
        ];
        let err = form_teams(&list, &rules(2, &[], &["特种设备"]), &[7; 32]).unwrap_err();
        assert_eq!(err.code(), "not-enough-inspectors");
        assert!(err.to_string().contains("specialty `特种设备`"), "{err}");
    }
}
