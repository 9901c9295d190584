//! The transparency log under load (issue 17): appends N events (default 100,000),
//! each in its own transaction as the application does, from W concurrent writers
//! (default 4), and reports events/s and the log's storage per event; then proves
//! the inclusion of random entries from the tiles the store serves, and writes the
//! tile requests those proofs made into OUT_DIR/tiles.txt for the load generator
//! (`scripts/bench-log`).
//!
//! cargo run --release -p liancha-store --example log_bench -- DB_URL OUT_DIR [N] [W]
//!
//! The database should be new: the figures are for a log of exactly N entries.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use liancha_domain::transparency::{LogEvent, Proof, Tiles, verify_checkpoint};
use liancha_store::{Store, with_pool};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "log_bench DB_URL OUT_DIR [N] [WRITERS]";
    let url = args.next().ok_or(usage)?;
    let out = std::path::PathBuf::from(args.next().ok_or(usage)?);
    let n: u64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let writers: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(4);
    std::fs::create_dir_all(&out)?;
    let store = Arc::new(Store::open(&url).await?);
    let county = liancha_store::testing::mouding(&store).await;
    let before = store.log_size().await?;
    if before != 0 {
        return Err(format!("the log already has {before} entries: use a new database").into());
    }
    let bytes_before = log_bytes(&store).await?;

    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        let county = county.clone();
        handles.push(tokio::spawn(async move {
            let c = store.county(&county);
            let mut i = w;
            while i < n {
                // A credit listing: the smallest real event, no task rows needed.
                let event = LogEvent::CreditListed {
                    entity: format!("92532323MA{:08}", i),
                    list: "abnormal".into(),
                };
                c.append_log_entry(event, Utc::now()).await.expect("append");
                i += writers;
            }
        }));
    }
    for h in handles {
        h.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let size = store.log_size().await?;
    assert_eq!(size, n);
    let bytes = log_bytes(&store).await? - bytes_before;
    println!(
        "append: {n} events, {writers} writers, {secs:.1} s, {:.0} events/s, {:.0} bytes/event ({:?})",
        n as f64 / secs,
        bytes as f64 / n as f64,
        store.engine()
    );

    // Proofs of random entries from the tiles, as a client makes them; every tile
    // request is kept for the load generator.
    let key = store.log_key().await?;
    let note = store.log_checkpoint().await?.ok_or("no checkpoint")?;
    let cp = verify_checkpoint(&key.verifier, note.as_bytes())?;
    let mut requests = Vec::new();
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let proofs = 2_000;
    let started = Instant::now();
    for _ in 0..proofs {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let index = rng % n;
        let data = store
            .log_entry_bundle(index / 256, 256.min((n - index / 256 * 256) as u32))
            .await?
            .ok_or("no bundle")?;
        let entries = liancha_domain::transparency::split_bundle(&data)?;
        let entry = entries[(index % 256) as usize].to_vec();
        // A fresh client for every proof: it fetches what the proof needs.
        let tiles = Tiles::default();
        loop {
            match tiles.inclusion(&cp, index, &entry) {
                Ok(()) => break,
                Err(Proof::Need(paths)) => {
                    for p in paths {
                        let t = Tiles::parse_path(&p).ok_or("bad path")?;
                        let d = store
                            .log_hash_tile(t.level(), t.level_index(), t.width())
                            .await?
                            .ok_or("no tile")?;
                        tiles.add(&p, d)?;
                        requests.push(format!("/log/{p}"));
                    }
                }
                Err(e) => return Err(e.to_string().into()),
            }
        }
    }
    println!(
        "proofs: {proofs} inclusion proofs from tiles in-process, {:.0}/s, {:.1} tile requests each",
        proofs as f64 / started.elapsed().as_secs_f64(),
        requests.len() as f64 / proofs as f64
    );
    std::fs::write(out.join("tiles.txt"), requests.join("\n") + "\n")?;
    std::fs::write(out.join("checkpoint.txt"), "/log/checkpoint\n")?;
    std::fs::write(out.join("static.txt"), "/static/app.css\n")?;
    store.close().await;
    Ok(())
}

/// The log's tables on disk, in bytes.
async fn log_bytes(store: &Store) -> Result<i64, Box<dyn std::error::Error>> {
    const TABLES: [&str; 4] = ["log_entries", "log_nodes", "log_checkpoints", "log_head"];
    Ok(with_pool!(store, p => {
        match store.engine() {
            liancha_store::Engine::Sqlite => {
                // The whole file's pages in use: nothing but the log grows here.
                let pages: i64 = sqlx::query_scalar("SELECT page_count - freelist_count FROM pragma_page_count(), pragma_freelist_count()").fetch_one(p).await?;
                let size: i64 = sqlx::query_scalar("SELECT page_size FROM pragma_page_size()").fetch_one(p).await?;
                pages * size
            }
            liancha_store::Engine::Postgres => {
                let mut total = 0i64;
                for t in TABLES {
                    let sql = format!("SELECT pg_total_relation_size('{t}')");
                    let b: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(p).await?;
                    total += b;
                }
                total
            }
        }
    }))
}
