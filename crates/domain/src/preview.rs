//! What a draw will take, read from its plan before the sources are revealed: the
//! population of each risk class and the quota the plan's rule gives it. Quotas by
//! count or ratio depend on the population alone (draw-v1 §5), so the numbers shown
//! before sealing are the numbers the draw uses, whatever the seed.

use std::collections::BTreeMap;

use liancha_draw::{DrawError, Plan, QuotaRule, Selection};

use crate::labels::RiskClass;

/// One risk class of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StratumLine {
    pub class: RiskClass,
    /// Entities of the class in the population (after exclusions).
    pub population: u64,
    /// What the plan asks of the class: 「3%」, 「2 户」.
    pub rule: String,
    /// Entities the draw selects from the class.
    pub quota: u64,
}

/// The plan's risk classes, A to D, with their populations and quotas. A plan
/// spreading a total over the classes ([`Selection::Total`]) breaks ties by the seed,
/// so only plans of per-class quotas, the ones liancha makes, are previewed.
pub fn strata(plan: &Plan) -> Result<Vec<StratumLine>, DrawError> {
    let Selection::Quotas(rules) = &plan.selection else {
        return Err(DrawError::InvalidPlan(
            "only per-class quotas are previewed".into(),
        ));
    };
    let mut populations: BTreeMap<String, u64> = RiskClass::ALL
        .iter()
        .map(|c| (c.code().to_string(), 0))
        .collect();
    for e in &plan.entities {
        *populations.entry(e.stratum.clone()).or_default() += 1;
    }
    // The seed only breaks ties of a total; per-class quotas never read it.
    let seed = liancha_draw::seed(&[0; 32], &[] as &[&str]);
    let quotas = liancha_draw::quotas(&plan.selection, &populations, &seed)?;
    Ok(RiskClass::ALL
        .iter()
        .map(|c| {
            let rule = rules
                .iter()
                .find(|q| q.stratum == c.code())
                .map_or_else(|| "不抽取".to_string(), |q| show_rule(&q.rule));
            StratumLine {
                class: *c,
                population: populations.get(c.code()).copied().unwrap_or(0),
                rule,
                quota: quotas.get(c.code()).copied().unwrap_or(0),
            }
        })
        .collect())
}

fn show_rule(rule: &QuotaRule) -> String {
    match rule {
        QuotaRule::Count(n) => format!("{n} 户"),
        QuotaRule::RatioBp(bp) => {
            let (whole, frac) = (bp / 100, bp % 100);
            match frac {
                0 => format!("{whole}%"),
                f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
                f => format!("{whole}.{f:02}%"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liancha_draw::{PlanEntity, Quota};

    fn plan(strata: &[(&str, usize)], rules: Vec<Quota>) -> Plan {
        let mut entities = Vec::new();
        for (s, n) in strata {
            for i in 0..*n {
                entities.push(PlanEntity {
                    id: format!("{s}{i:05}"),
                    stratum: (*s).into(),
                    township: None,
                });
            }
        }
        Plan {
            task: liancha_draw::Object::new(),
            entities,
            selection: Selection::Quotas(rules),
            inspectors: vec![],
            conflicts: vec![],
            teams: None,
            sources: vec!["s".into()],
        }
    }

    fn ratio(s: &str, bp: u64) -> Quota {
        Quota {
            stratum: s.into(),
            rule: QuotaRule::RatioBp(bp),
        }
    }

    #[test]
    fn ratios_round_up_per_class_and_counts_are_capped() {
        let p = plan(
            &[("A", 1000), ("B", 101), ("D", 3)],
            vec![
                ratio("A", 300),
                ratio("B", 250),
                ratio("C", 1000),
                Quota {
                    stratum: "D".into(),
                    rule: QuotaRule::Count(5),
                },
            ],
        );
        let s = strata(&p).unwrap();
        let row = |c: RiskClass| s.iter().find(|l| l.class == c).unwrap().clone();
        assert_eq!(row(RiskClass::A).population, 1000);
        assert_eq!(row(RiskClass::A).quota, 30);
        assert_eq!(row(RiskClass::A).rule, "3%");
        // ceil(101 × 2.5%) = 3.
        assert_eq!(row(RiskClass::B).quota, 3);
        assert_eq!(row(RiskClass::B).rule, "2.5%");
        assert_eq!(
            (row(RiskClass::C).population, row(RiskClass::C).quota),
            (0, 0)
        );
        assert_eq!(row(RiskClass::D).quota, 3, "a count is capped at the class");
        assert_eq!(row(RiskClass::D).rule, "5 户");
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn the_preview_is_what_the_draw_takes() {
        let p = plan(
            &[("A", 400), ("B", 57), ("C", 9)],
            vec![ratio("A", 5), ratio("B", 1234), ratio("C", 10_000)],
        );
        let s = strata(&p).unwrap();
        let result = liancha_draw::draw(&p, &["reveal"]).unwrap();
        let mut drawn: BTreeMap<&str, u64> = BTreeMap::new();
        for sel in &result.selected {
            *drawn.entry(sel.stratum.as_str()).or_default() += 1;
        }
        for l in &s {
            assert_eq!(
                drawn.get(l.class.code()).copied().unwrap_or(0),
                l.quota,
                "{l:?}"
            );
        }
        assert_eq!(s[0].rule, "0.05%");
        assert_eq!(s[1].rule, "12.34%");
    }

    #[test]
    fn a_total_is_not_previewed() {
        let mut p = plan(&[("A", 4)], vec![]);
        p.selection = Selection::Total(2);
        assert!(strata(&p).is_err());
    }
}
