//! Per-stratum quotas `k_s` (spec §5), as a pure function of the stratum sizes.
//!
//! Kept apart from selection so that a streaming caller can count strata first
//! (one pass, or `GROUP BY` in SQL), compute `k_s` here, and only then select.

use std::collections::{BTreeMap, HashSet};

use crate::DrawError;
use crate::hash::{Purpose, Seed, Ticketer};
use crate::plan::{QuotaRule, Selection};

/// `k_s` for every stratum in `populations` (stratum → `N_s`).
///
/// * quotas: `min(N_s, count)` or `min(N_s, ceil(N_s × bp / 10000))`; a stratum
///   without a quota gets 0; quotas for absent strata are ignored.
/// * total `T`: `T' = min(T, N)`, each stratum `floor(T' × N_s / N)`, the seats left
///   go to the largest remainders `(T' × N_s) mod N`, ties by smaller
///   `ticket("stratum", s)` (then by name, for the never-seen equal ticket).
///
/// All arithmetic is exact integers (u128 products), so results agree with any
/// other correct implementation. Fails with `invalid-plan` on a stratum quoted
/// twice or a ratio above 10000, which [`crate::Plan::validate`] also refuses.
pub fn quotas(
    selection: &Selection,
    populations: &BTreeMap<String, u64>,
    seed: &Seed,
) -> Result<BTreeMap<String, u64>, DrawError> {
    match selection {
        Selection::Quotas(qs) => {
            let mut seen = HashSet::new();
            let mut k: BTreeMap<String, u64> = populations.keys().map(|s| (s.clone(), 0)).collect();
            for q in qs {
                if !seen.insert(q.stratum.as_str()) {
                    return Err(DrawError::InvalidPlan(format!(
                        "stratum `{}` has more than one quota",
                        q.stratum
                    )));
                }
                let Some(&n) = populations.get(&q.stratum) else {
                    continue;
                };
                let want = match q.rule {
                    QuotaRule::Count(c) => c,
                    QuotaRule::RatioBp(bp) if bp > 10_000 => {
                        return Err(DrawError::InvalidPlan(format!(
                            "ratio_bp {bp} for stratum `{}` is above 10000",
                            q.stratum
                        )));
                    }
                    // ceil(n × bp / 10000) ≤ n since bp ≤ 10000, so it fits u64.
                    QuotaRule::RatioBp(bp) => {
                        (u128::from(n) * u128::from(bp)).div_ceil(10_000) as u64
                    }
                };
                k.insert(q.stratum.clone(), want.min(n));
            }
            Ok(k)
        }
        Selection::Total(t) => {
            let n: u128 = populations.values().map(|&v| u128::from(v)).sum();
            let mut k: BTreeMap<String, u64> = populations.keys().map(|s| (s.clone(), 0)).collect();
            if n == 0 {
                return Ok(k);
            }
            let t = u128::from(*t).min(n);
            let mut given: u128 = 0;
            let ticketer = Ticketer::new(seed, Purpose::Stratum);
            let mut rest: Vec<(u128, [u8; 32], &str)> = Vec::with_capacity(populations.len());
            for (s, &ns) in populations {
                let p = t * u128::from(ns);
                let base = p / n;
                given += base;
                // base ≤ N_s, so it fits u64.
                k.insert(s.clone(), base as u64);
                rest.push((p % n, ticketer.ticket(s), s));
            }
            // Largest remainder first; then smaller ticket; then smaller name.
            rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
            let left = (t - given) as usize; // < number of strata
            for (_, _, s) in rest.into_iter().take(left) {
                *k.get_mut(s).expect("stratum present") += 1;
            }
            Ok(k)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Quota;

    fn pops(v: &[(&str, u64)]) -> BTreeMap<String, u64> {
        v.iter().map(|(s, n)| (s.to_string(), *n)).collect()
    }

    #[test]
    fn ratio_rounds_up_and_count_caps() {
        let sel = Selection::Quotas(vec![
            Quota {
                stratum: "A".into(),
                rule: QuotaRule::RatioBp(100),
            },
            Quota {
                stratum: "B".into(),
                rule: QuotaRule::RatioBp(300),
            },
            Quota {
                stratum: "C".into(),
                rule: QuotaRule::Count(7),
            },
            Quota {
                stratum: "Z".into(),
                rule: QuotaRule::Count(7),
            },
            Quota {
                stratum: "E".into(),
                rule: QuotaRule::RatioBp(0),
            },
        ]);
        let k = quotas(
            &sel,
            &pops(&[("A", 8), ("B", 101), ("C", 3), ("D", 9), ("E", 5)]),
            &[0; 32],
        )
        .unwrap();
        assert_eq!(k, pops(&[("A", 1), ("B", 4), ("C", 3), ("D", 0), ("E", 0)]));
    }

    #[test]
    fn total_is_exact_and_capped() {
        let p = pops(&[("A", 5), ("B", 3), ("C", 2)]);
        for t in 0..15u64 {
            let k = quotas(&Selection::Total(t), &p, &[9; 32]).unwrap();
            assert_eq!(k.values().sum::<u64>(), t.min(10));
            for (s, v) in &k {
                assert!(*v <= p[s]);
            }
        }
        assert_eq!(
            quotas(&Selection::Total(5), &pops(&[]), &[0; 32]).unwrap(),
            pops(&[])
        );
        // 2/3 of each: remainders all equal, one seat goes by stratum ticket.
        let k = quotas(
            &Selection::Total(2),
            &pops(&[("x", 1), ("y", 1), ("z", 1)]),
            &[1; 32],
        )
        .unwrap();
        assert_eq!(k.values().sum::<u64>(), 2);
    }
}
