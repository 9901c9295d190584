//! Properties of the algorithm that the vectors can only sample.
//!
//! List order matters to a draw only through the plan digest (canonical JSON keeps
//! array order), so the order-independence properties hold the seed fixed and
//! permute the lists fed to the stages.

use std::collections::BTreeMap;

use liancha_draw::{
    Assignment, Conflict, Plan, PlanEntity, PlanInspector, Purpose, Quota, QuotaRule, Record,
    Selected, Selection, StratumCounter, StratumSelector, Team, TeamRules, Unassigned,
    UnassignedReason, assign, draw, form_teams, quotas, select, ticket, verify_record,
};
use proptest::prelude::*;

const STRATA: [&str; 5] = ["A", "B", "甲", "😀", "unused"];
const TOWNS: [&str; 3] = ["x", "y", "共和镇"];
const DEPTS: [&str; 3] = ["d1", "d2", "县生态环境局"];
const SPECIALTIES: [&str; 3] = ["特种设备", "s2", "s3"];

/// A subset of [`SPECIALTIES`] from a bit mask, in list order.
fn specialties(mask: u8) -> Vec<String> {
    (0..SPECIALTIES.len())
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| SPECIALTIES[i].to_string())
        .collect()
}

fn arb_rule() -> impl Strategy<Value = QuotaRule> {
    prop_oneof![
        prop_oneof![Just(0u64), 1..=300u64, 301..=10_000u64].prop_map(QuotaRule::RatioBp),
        (0..25u64).prop_map(QuotaRule::Count),
    ]
}

fn arb_plan() -> impl Strategy<Value = (Plan, String)> {
    let entities = prop::collection::vec((0..4usize, prop::option::of(0..3usize)), 0..60);
    let selection = prop_oneof![
        prop::collection::vec(prop::option::of(arb_rule()), 5).prop_map(|rules| {
            Selection::Quotas(
                rules
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, r)| {
                        r.map(|rule| Quota {
                            stratum: STRATA[i].into(),
                            rule,
                        })
                    })
                    .collect(),
            )
        }),
        (0..80u64).prop_map(Selection::Total),
    ];
    let inspectors = prop::collection::vec((0..3usize, prop::option::of(0..3usize), 0..8u8), 0..16);
    let conflicts = prop::collection::vec((0..20usize, 0..70usize), 0..30);
    let teams = prop::option::of((
        1..5u64,
        2..4u64,
        prop::collection::vec(0..3usize, 0..3),
        any::<bool>(),
        // Half the plans require no specialty (liancha-draw/1), half some (v2).
        prop_oneof![Just(0u8), 0..8u8],
    ));
    (
        entities,
        selection,
        inspectors,
        conflicts,
        teams,
        "[a-z0-9 ]{1,12}",
    )
        .prop_map(
            |(entities, selection, inspectors, conflicts, teams, reveal)| {
                let required = teams.as_ref().map_or(0, |t| t.4);
                let plan = Plan {
                    task: Default::default(),
                    entities: entities
                        .into_iter()
                        .enumerate()
                        .map(|(i, (s, t))| PlanEntity {
                            id: format!("E{i}"),
                            stratum: STRATA[s].into(),
                            township: t.map(|t| TOWNS[t].into()),
                        })
                        .collect(),
                    selection,
                    inspectors: inspectors
                        .into_iter()
                        .enumerate()
                        .map(|(i, (d, t, held))| PlanInspector {
                            id: format!("I{i}"),
                            department: DEPTS[d].into(),
                            township: t.map(|t| TOWNS[t].into()),
                            // Only v2 plans may name specialties at all.
                            specialties: if required == 0 {
                                vec![]
                            } else {
                                specialties(held)
                            },
                        })
                        .collect(),
                    conflicts: conflicts
                        .into_iter()
                        .map(|(i, e)| Conflict {
                            inspector: format!("I{i}"),
                            entity: format!("E{e}"),
                        })
                        .collect(),
                    teams: teams.map(|(count, size, d, avoid, required)| TeamRules {
                        count,
                        size,
                        departments: d.into_iter().map(|d| DEPTS[d].to_string()).collect(),
                        avoid_same_township: avoid,
                        specialties: specialties(required),
                    }),
                    sources: vec!["drand quicknet round 1000".into()],
                };
                (plan, reveal)
            },
        )
}

/// Deterministic Fisher–Yates driven by splitmix64, so a failing case replays.
fn shuffle<T>(v: &mut [T], mut state: u64) {
    for i in (1..v.len()).rev() {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        v.swap(i, (z % (i as u64 + 1)) as usize);
    }
}

/// Spec §6 (and draw-v2 §3) read literally, with rescans instead of cursors: the oracle.
fn naive_teams(plan: &Plan, rules: &TeamRules, seed: &[u8; 32]) -> Option<Vec<Team>> {
    let mut order: Vec<&PlanInspector> = plan.inspectors.iter().collect();
    order.sort_by_key(|p| (ticket(seed, Purpose::Inspector, &p.id), p.id.clone()));
    let mut free = vec![true; order.len()];
    let mut specialists: Vec<Vec<usize>> = Vec::new();
    for _ in 1..=rules.count {
        let mut members: Vec<usize> = Vec::new();
        for s in &rules.specialties {
            if members.iter().any(|&m| order[m].specialties.contains(s)) {
                continue;
            }
            let i = (0..order.len()).find(|&i| free[i] && order[i].specialties.contains(s))?;
            free[i] = false;
            members.push(i);
        }
        specialists.push(members);
    }
    let mut teams = Vec::new();
    for (no, mut members) in (1..=rules.count).zip(specialists) {
        let mut counted = vec![false; members.len()];
        for d in &rules.departments {
            if let Some(k) =
                (0..counted.len()).find(|&k| !counted[k] && &order[members[k]].department == d)
            {
                counted[k] = true;
                continue;
            }
            let i = (0..order.len()).find(|&i| free[i] && &order[i].department == d)?;
            free[i] = false;
            members.push(i);
        }
        while (members.len() as u64) < rules.size {
            let i = (0..order.len()).find(|&i| free[i])?;
            free[i] = false;
            members.push(i);
        }
        let members = members.iter().map(|&i| order[i].id.clone()).collect();
        teams.push(Team { no, members });
    }
    Some(teams)
}

/// Spec §7 read literally: the oracle.
fn naive_matching(
    plan: &Plan,
    rules: &TeamRules,
    selected: &[Selected],
    teams: &[Team],
    seed: &[u8; 32],
) -> (Vec<Assignment>, Vec<Unassigned>) {
    let cap = (selected.len() as u64).div_ceil(rules.count);
    let mut load = vec![0u64; teams.len()];
    let (mut a, mut u) = (Vec::new(), Vec::new());
    for s in selected {
        let e = plan.entities.iter().find(|e| e.id == s.id).unwrap();
        let conflicts = |t: &Team| {
            t.members.iter().any(|m| {
                let insp = plan.inspectors.iter().find(|p| &p.id == m).unwrap();
                plan.conflicts
                    .iter()
                    .any(|c| &c.inspector == m && c.entity == e.id)
                    || (rules.avoid_same_township
                        && e.township.is_some()
                        && insp.township == e.township)
            })
        };
        let best = (0..teams.len())
            .filter(|&i| load[i] < cap && !conflicts(&teams[i]))
            .min_by_key(|&i| {
                (
                    load[i],
                    ticket(seed, Purpose::Team, &teams[i].no.to_string()),
                )
            });
        match best {
            Some(i) => {
                load[i] += 1;
                a.push(Assignment {
                    entity: e.id.clone(),
                    team: teams[i].no,
                });
            }
            None => u.push(Unassigned {
                entity: e.id.clone(),
                reason: UnassignedReason::NoEligibleTeam,
            }),
        }
    }
    (a, u)
}

fn populations(entities: &[PlanEntity]) -> BTreeMap<String, u64> {
    let mut c = StratumCounter::new();
    entities.iter().for_each(|e| c.add(&e.stratum));
    c.into_counts()
}

fn per_stratum(selected: &[Selected]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for s in selected {
        *m.entry(s.stratum.clone()).or_insert(0) += 1;
    }
    m
}

proptest! {
    // Modest case counts keep the suite to seconds; failures print the minimal case.
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn shuffling_inputs_never_changes_the_outcome((plan, _) in arb_plan(), seed in any::<[u8; 32]>(), perm in any::<u64>()) {
        let selected = select(&plan.entities, &plan.selection, &seed, 1).unwrap();
        let mut shuffled = plan.clone();
        shuffle(&mut shuffled.entities, perm);
        shuffle(&mut shuffled.inspectors, perm ^ 1);
        shuffle(&mut shuffled.conflicts, perm ^ 2);
        if let Selection::Quotas(q) = &mut shuffled.selection {
            shuffle(q, perm ^ 3);
        }
        prop_assert_eq!(&select(&shuffled.entities, &shuffled.selection, &seed, 1).unwrap(), &selected);
        if let Some(rules) = &plan.teams {
            let teams = form_teams(&plan.inspectors, rules, &seed);
            prop_assert_eq!(&form_teams(&shuffled.inspectors, rules, &seed), &teams);
            if let Ok(teams) = teams {
                prop_assert_eq!(
                    assign(&shuffled, &selected, &teams, &seed),
                    assign(&plan, &selected, &teams, &seed)
                );
            }
        }
    }

    #[test]
    fn a_stratum_is_drawn_independently_of_the_others((plan, _) in arb_plan(), seed in any::<[u8; 32]>()) {
        prop_assume!(matches!(plan.selection, Selection::Quotas(_)));
        let all = select(&plan.entities, &plan.selection, &seed, 1).unwrap();
        for s in STRATA {
            let alone: Vec<PlanEntity> = plan.entities.iter().filter(|e| e.stratum == s).cloned().collect();
            let mine: Vec<Selected> = all.iter().filter(|x| x.stratum == s).cloned().collect();
            prop_assert_eq!(select(&alone, &plan.selection, &seed, 1).unwrap(), mine);
        }
    }

    #[test]
    fn quotas_are_exact((plan, _) in arb_plan(), seed in any::<[u8; 32]>()) {
        let pops = populations(&plan.entities);
        let k = quotas(&plan.selection, &pops, &seed).unwrap();
        let selected = select(&plan.entities, &plan.selection, &seed, 1).unwrap();
        let got = per_stratum(&selected);
        for (s, &n) in &pops {
            prop_assert_eq!(got.get(s).copied().unwrap_or(0), k[s]);
            let want = match &plan.selection {
                Selection::Quotas(qs) => match qs.iter().find(|q| &q.stratum == s).map(|q| q.rule) {
                    None => 0,
                    Some(QuotaRule::Count(c)) => c.min(n),
                    Some(QuotaRule::RatioBp(bp)) => (n * bp).div_ceil(10_000).min(n),
                },
                Selection::Total(t) => {
                    let total: u64 = pops.values().sum();
                    let floor = t.min(&total) * n / total;
                    prop_assert!(k[s] == floor || k[s] == floor + 1);
                    k[s]
                }
            };
            prop_assert_eq!(k[s], want);
        }
        if let Selection::Total(t) = plan.selection {
            prop_assert_eq!(selected.len() as u64, t.min(plan.entities.len() as u64));
        }
        // Draw order is ascending ticket.
        prop_assert!(selected.windows(2).all(|w| w[0].ticket < w[1].ticket));
    }

    #[test]
    fn teams_and_assignments_keep_the_rules((plan, reveal) in arb_plan()) {
        let Some(rules) = plan.teams.clone() else { return Ok(()); };
        let seed = liancha_draw::seed(&liancha_draw::plan_digest(&plan), std::slice::from_ref(&reveal));
        let naive = naive_teams(&plan, &rules, &seed);
        let r = match draw(&plan, &[reveal]) {
            Ok(r) => r,
            Err(e) => {
                prop_assert_eq!(e.code(), "not-enough-inspectors");
                // Refused exactly when the spec's greedy procedure runs dry (which
                // can happen with enough people overall: filling seats "of any
                // department" may use up a department a later team needs).
                prop_assert!(naive.is_none());
                return Ok(());
            }
        };
        prop_assert_eq!(Some(&r.teams), naive.as_ref());
        let (naive_a, naive_u) = naive_matching(&plan, &rules, &r.selected, &r.teams, &seed);
        prop_assert_eq!(&r.assignments, &naive_a);
        prop_assert_eq!(&r.unassigned, &naive_u);
        prop_assert_eq!(r.teams.len() as u64, rules.count);
        let dept_of: BTreeMap<&str, &str> = plan.inspectors.iter().map(|p| (p.id.as_str(), p.department.as_str())).collect();
        let town_of: BTreeMap<&str, Option<&str>> = plan.inspectors.iter().map(|p| (p.id.as_str(), p.township.as_deref())).collect();
        let mut seen = std::collections::BTreeSet::new();
        for (i, t) in r.teams.iter().enumerate() {
            prop_assert_eq!(t.no, i as u64 + 1);
            prop_assert!(t.members.len() as u64 >= rules.size);
            // A team grows past `size` only by specialists no listed department
            // entry could count.
            let base = rules.size.max(rules.departments.len() as u64);
            prop_assert!(t.members.len() as u64 <= base.max(rules.departments.len() as u64 + rules.specialties.len() as u64));
            if rules.specialties.is_empty() {
                prop_assert_eq!(t.members.len() as u64, base);
            }
            for s in &rules.specialties {
                prop_assert!(
                    t.members.iter().any(|m| plan.inspectors.iter().any(|p| &p.id == m && p.specialties.contains(s))),
                    "team {} lacks specialty {}", t.no, s
                );
            }
            for d in &rules.departments {
                let want = rules.departments.iter().filter(|x| *x == d).count();
                prop_assert!(t.members.iter().filter(|m| dept_of[m.as_str()] == d).count() >= want);
            }
            for m in &t.members {
                prop_assert!(seen.insert(m.clone()), "inspector {} in two teams", m);
            }
        }

        let n = r.selected.len() as u64;
        let cap = n.div_ceil(rules.count);
        let mut load = vec![0u64; r.teams.len()];
        let township: BTreeMap<&str, Option<&str>> = plan.entities.iter().map(|e| (e.id.as_str(), e.township.as_deref())).collect();
        for a in &r.assignments {
            let team = &r.teams[a.team as usize - 1];
            load[a.team as usize - 1] += 1;
            for m in &team.members {
                prop_assert!(!plan.conflicts.iter().any(|c| &c.inspector == m && c.entity == a.entity));
                if rules.avoid_same_township
                    && let (Some(et), Some(mt)) = (township[a.entity.as_str()], town_of[m.as_str()])
                {
                    prop_assert_ne!(et, mt);
                }
            }
        }
        prop_assert!(load.iter().all(|&l| l <= cap));
        // Every selected entity is assigned or unassigned, once, in draw order.
        let mut merged: Vec<&str> = r.assignments.iter().map(|a| a.entity.as_str())
            .chain(r.unassigned.iter().map(|u| u.entity.as_str())).collect();
        let order: BTreeMap<&str, usize> = r.selected.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
        prop_assert!(r.assignments.windows(2).all(|w| order[w[0].entity.as_str()] < order[w[1].entity.as_str()]));
        prop_assert!(r.unassigned.windows(2).all(|w| order[w[0].entity.as_str()] < order[w[1].entity.as_str()]));
        merged.sort_by_key(|e| order[e]);
        let ids: Vec<&str> = r.selected.iter().map(|s| s.id.as_str()).collect();
        prop_assert_eq!(merged, ids);
    }

    #[test]
    fn streaming_selector_equals_draw(
        (plan, reveal) in arb_plan(),
        cuts in prop::collection::vec(0..60usize, 0..5),
        threads in 1..5usize,
        perm in any::<u64>(),
    ) {
        prop_assume!(plan.teams.is_none());
        let r = draw(&plan, std::slice::from_ref(&reveal)).unwrap();

        // Counting pass in arbitrary chunks, merged.
        let mut rows = plan.entities.clone();
        shuffle(&mut rows, perm);
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(rows.len())).collect();
        bounds.push(0);
        bounds.push(rows.len());
        bounds.sort_unstable();
        let chunks: Vec<&[PlanEntity]> = bounds.windows(2).map(|w| &rows[w[0]..w[1]]).collect();
        let mut counter = StratumCounter::new();
        for c in &chunks {
            let mut part = StratumCounter::new();
            c.iter().for_each(|e| part.add(&e.stratum));
            counter.merge(part);
        }
        let k = quotas(&plan.selection, counter.counts(), &r.seed).unwrap();

        // Selecting pass: one selector per chunk, on threads, merged in any order.
        let mut parts: Vec<StratumSelector> = std::thread::scope(|s| {
            let hs: Vec<_> = chunks.iter().map(|c| {
                let k = &k;
                let seed = r.seed;
                s.spawn(move || {
                    let mut sel = StratumSelector::new(&seed, k);
                    c.iter().for_each(|e| sel.push(&e.id, &e.stratum));
                    sel
                })
            }).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        parts.reverse();
        let mut all = parts.pop().unwrap();
        for p in parts { all.merge(p); }
        prop_assert_eq!(&all.finish(), &r.selected);
        prop_assert_eq!(&select(&plan.entities, &plan.selection, &r.seed, threads).unwrap(), &r.selected);
    }

    #[test]
    fn records_round_trip_and_verify((plan, reveal) in arb_plan()) {
        let Ok(record) = Record::draw(plan, vec![reveal], Some("2023-08-23T15:09:00Z".into())) else {
            return Ok(());
        };
        // The streamed digest of a typed plan is the digest of its JSON form.
        prop_assert_eq!(liancha_draw::plan_digest(record.plan()), liancha_draw::digest_value(&record.plan().to_value()));
        let text = record.to_pretty_json();
        let summary = verify_record(text.as_bytes()).unwrap();
        prop_assert_eq!(summary.selected, record.result().selected.len());
        prop_assert_eq!(summary.beacons[0].after_commit, Some(true));
        prop_assert_eq!(&Record::parse(text.as_bytes()).unwrap(), &record);
        let reparsed = liancha_draw::json::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(record.to_canonical(), liancha_draw::json::canonical(&reparsed));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Against the obvious oracle (ticket everything, sort, take k per stratum),
    /// with populations big enough that the selector's buffers compact many times.
    #[test]
    fn selection_equals_sort_everything(
        n in 0..3000usize,
        k_a in 0..40u64,
        bp_b in 0..=10_000u64,
        seed in any::<[u8; 32]>(),
        cuts in prop::collection::vec(0..3000usize, 0..6),
        perm in any::<u64>(),
    ) {
        let entities: Vec<PlanEntity> = (0..n)
            .map(|i| PlanEntity { id: format!("{i:x}"), stratum: ["A", "B"][i % 2].into(), township: None })
            .collect();
        let selection = Selection::Quotas(vec![
            Quota { stratum: "A".into(), rule: QuotaRule::Count(k_a) },
            Quota { stratum: "B".into(), rule: QuotaRule::RatioBp(bp_b) },
        ]);
        let n_b = (n / 2) as u64;
        let k_b = (n_b * bp_b).div_ceil(10_000);
        let mut oracle: Vec<Selected> = Vec::new();
        for (s, k) in [("A", k_a), ("B", k_b)] {
            let mut all: Vec<Selected> = entities.iter().filter(|e| e.stratum == s).map(|e| Selected {
                id: e.id.clone(),
                stratum: s.into(),
                ticket: ticket(&seed, Purpose::Entity, &e.id),
            }).collect();
            all.sort_by(|a, b| (a.ticket, a.id.as_bytes()).cmp(&(b.ticket, b.id.as_bytes())));
            oracle.extend(all.into_iter().take(k as usize));
        }
        oracle.sort_by(|a, b| (a.ticket, a.id.as_bytes()).cmp(&(b.ticket, b.id.as_bytes())));

        prop_assert_eq!(&select(&entities, &selection, &seed, 1).unwrap(), &oracle);
        prop_assert_eq!(&select(&entities, &selection, &seed, 3).unwrap(), &oracle);

        let k = quotas(&selection, &populations(&entities), &seed).unwrap();
        let mut rows = entities.clone();
        shuffle(&mut rows, perm);
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(rows.len())).collect();
        bounds.extend([0, rows.len()]);
        bounds.sort_unstable();
        let mut merged = StratumSelector::new(&seed, &k);
        for w in bounds.windows(2) {
            let mut part = StratumSelector::new(&seed, &k);
            for e in &rows[w[0]..w[1]] {
                if w[0] % 2 == 0 {
                    part.push(&e.id, &e.stratum);
                } else {
                    part.push_ticket(&e.id, &e.stratum, ticket(&seed, Purpose::Entity, &e.id));
                }
            }
            merged.merge(part);
        }
        prop_assert_eq!(merged.len(), oracle.len());
        prop_assert_eq!(&merged.finish(), &oracle);
    }
}
