//! How long entity tickets and `select` take for a county-sized (or province-sized)
//! population, on one thread and on two, so that the cost of the keyed-hash design
//! is a measured number rather than a guess.
//!
//! `cargo run --release -p liancha-draw --example ticket_speed [N]` (N = 10^7 by default).

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

use liancha_draw::{
    Plan, PlanEntity, Purpose, Quota, QuotaRule, Selection, plan_digest, select, tickets_parallel,
};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("N must be a number"))
        .unwrap_or(10_000_000);
    let seed = [0x5a; 32];

    // 18-character ids like unified social credit codes, in one buffer.
    let t0 = Instant::now();
    let mut buf = String::with_capacity(n * 18);
    for i in 0..n {
        write!(buf, "91532323MA{:08}", i % 100_000_000).unwrap();
    }
    let ids: Vec<&str> = (0..n).map(|i| &buf[i * 18..(i + 1) * 18]).collect();
    println!("prepared {n} ids in {:.2} s", t0.elapsed().as_secs_f64());

    let mut reference = None;
    for threads in [1, 2] {
        let t0 = Instant::now();
        let tickets = black_box(tickets_parallel(&seed, Purpose::Entity, &ids, threads));
        let dt = t0.elapsed().as_secs_f64();
        println!(
            "tickets: {n} on {threads} thread(s): {dt:.3} s = {:.1} ns/ticket, {:.2} M tickets/s",
            dt * 1e9 / n as f64,
            n as f64 / dt / 1e6
        );
        match &reference {
            None => reference = Some(tickets),
            Some(r) => assert!(*r == tickets, "thread count changed the tickets"),
        }
    }
    drop(reference);

    let strata = ["A", "B", "C", "D"];
    let entities: Vec<PlanEntity> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| PlanEntity {
            id: (*id).to_owned(),
            stratum: strata[i % 4].to_owned(),
            township: None,
        })
        .collect();
    let selection = Selection::Quotas(vec![
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
            rule: QuotaRule::RatioBp(1000),
        },
        Quota {
            stratum: "D".into(),
            rule: QuotaRule::Count(7),
        },
    ]);
    let mut reference = None;
    for threads in [1, 2] {
        let t0 = Instant::now();
        let picked = black_box(select(&entities, &selection, &seed, threads).unwrap());
        let dt = t0.elapsed().as_secs_f64();
        println!(
            "select: {n} entities, {} selected, on {threads} thread(s): {dt:.3} s",
            picked.len()
        );
        match &reference {
            None => reference = Some(picked),
            Some(r) => assert!(*r == picked, "thread count changed the selection"),
        }
    }

    // What the store pays to commit such a plan: validation and the streamed digest.
    let plan = Plan {
        task: Default::default(),
        entities,
        selection,
        inspectors: vec![],
        conflicts: vec![],
        teams: None,
        sources: vec!["drand quicknet round 1".into()],
    };
    let t0 = Instant::now();
    plan.validate().unwrap();
    let validated = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let digest = black_box(plan_digest(&plan));
    println!(
        "plan of {n} entities: validate {validated:.3} s, plan_digest {:.3} s ({:02x}{:02x}…)",
        t0.elapsed().as_secs_f64(),
        digest[0],
        digest[1]
    );
}
