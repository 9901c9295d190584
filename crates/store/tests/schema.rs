//! Both engines' migrations make the same schema: the same tables, the same columns,
//! of the same kind and nullability. A migration written for one engine only, or a
//! column that differs between them, fails here.

use std::collections::BTreeMap;

use liancha_store::testing::TestDb;
use liancha_store::{Engine, Pool};

/// table → column → (type class, not null)
type Schema = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// One name per kind of value, whatever each engine calls it.
fn class(engine_type: &str) -> String {
    let t = engine_type.to_ascii_lowercase();
    let c = match t.as_str() {
        "text" | "character varying" | "varchar" | "character" => "text",
        "integer" | "int" | "int4" | "bigint" | "int8" | "smallint" | "int2" => "integer",
        "boolean" | "bool" => "boolean",
        "date" => "date",
        // An instant: SQLite has no type for it and keeps UTC text under this name;
        // PostgreSQL's is timestamptz. A PostgreSQL timestamp without time zone would
        // be a wall-clock time, which neither engine's schema uses.
        "timestamp" | "datetime" | "timestamptz" | "timestamp with time zone" => "instant",
        "timestamp without time zone" => "wall-clock",
        "blob" | "bytea" => "bytes",
        "real" | "double precision" | "float8" => "real",
        other => other,
    };
    c.into()
}

async fn schema(engine: Engine) -> Schema {
    let db = TestDb::new(engine).await;
    let mut out = Schema::new();
    match db.store.pool() {
        Pool::Sqlite(p) => {
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
            )
            .fetch_all(p)
            .await
            .unwrap();
            for (t,) in tables {
                let cols: Vec<(String, String, i64, i64)> =
                    sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
                        .bind(&t)
                        .fetch_all(p)
                        .await
                        .unwrap();
                let entry = out.entry(t).or_default();
                for (name, ty, notnull, pk) in cols {
                    // SQLite lets a non-integer primary key hold NULL unless told;
                    // PostgreSQL's primary keys are never null. Both refuse it here
                    // through NOT NULL or the key, so count a key column as not null.
                    entry.insert(name, (class(&ty), notnull == 1 || pk > 0));
                }
            }
        }
        Pool::Postgres(p) => {
            let cols: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
                 FROM information_schema.columns c \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%' \
                 AND EXISTS (SELECT 1 FROM information_schema.tables t \
                             WHERE t.table_schema = 'public' AND t.table_name = c.table_name \
                             AND t.table_type = 'BASE TABLE') \
                 ORDER BY table_name, column_name",
            )
            .fetch_all(p)
            .await
            .unwrap();
            for (t, name, ty, nullable) in cols {
                out.entry(t)
                    .or_default()
                    .insert(name, (class(&ty), nullable == "NO"));
            }
        }
    }
    db.finish().await;
    out
}

/// The public name search is indexed the way each engine does it best (FTS5 trigram
/// tables on SQLite, a table of distinct names with trigram indexes on PostgreSQL):
/// the only place the schemas may differ, and only by these.
const SQLITE_ONLY: [&str; 5] = [
    "public_results_fts",
    "public_results_fts_config",
    "public_results_fts_data",
    "public_results_fts_docsize",
    "public_results_fts_idx",
];
const POSTGRES_ONLY: [&str; 2] = ["public_names", "public_results.name_id"];

#[tokio::test]
async fn both_engines_migrate_to_the_same_tables_and_columns() {
    let mut sqlite = schema(Engine::Sqlite).await;
    let mut postgres = schema(Engine::Postgres).await;
    for t in SQLITE_ONLY {
        assert!(
            sqlite.remove(t).is_some(),
            "{t} is gone: take it off the list"
        );
    }
    for t in POSTGRES_ONLY {
        let gone = match t.split_once('.') {
            Some((table, column)) => postgres
                .get_mut(table)
                .and_then(|c| c.remove(column))
                .is_none(),
            None => postgres.remove(t).is_none(),
        };
        assert!(!gone, "{t} is gone: take it off the list");
    }
    let mut differences = vec![];
    for table in sqlite.keys().chain(postgres.keys()) {
        match (sqlite.get(table), postgres.get(table)) {
            (Some(_), None) => differences.push(format!("{table}: only on SQLite")),
            (None, Some(_)) => differences.push(format!("{table}: only on PostgreSQL")),
            (Some(s), Some(p)) => {
                for column in s.keys().chain(p.keys()) {
                    match (s.get(column), p.get(column)) {
                        (Some(a), Some(b)) if a == b => {}
                        (a, b) => differences
                            .push(format!("{table}.{column}: SQLite {a:?}, PostgreSQL {b:?}")),
                    }
                }
            }
            (None, None) => unreachable!(),
        }
    }
    differences.sort();
    differences.dedup();
    assert!(
        differences.is_empty(),
        "the engines' schemas differ:\n{}",
        differences.join("\n")
    );
    assert!(sqlite.contains_key("divisions") && sqlite.contains_key("tasks"));
}

/// The province-wide name search walks the newest published rows first, across every
/// county: both engines must read that order from an index, not sort the whole table
/// for each query (PostgreSQL's primary key leads with the county since 0009).
#[tokio::test]
async fn the_newest_published_rows_are_read_from_an_index() {
    const WALK: &str = "SELECT id FROM public_results WHERE id < $1 ORDER BY id DESC LIMIT 21";
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let db = TestDb::new(engine).await;
        let plan: Vec<String> = match db.store.pool() {
            Pool::Sqlite(p) => sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(
                format!("EXPLAIN QUERY PLAN {WALK}"),
            ))
            .bind(i64::MAX)
            .fetch_all(p)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.3)
            .collect(),
            Pool::Postgres(p) => {
                let mut c = p.acquire().await.unwrap();
                // On an empty table a scan and a sort cost nothing: take the scan
                // away, so that only a missing index leaves a sort in the plan.
                sqlx::query("SET enable_seqscan = off")
                    .execute(&mut *c)
                    .await
                    .unwrap();
                let plan = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!(
                    "EXPLAIN {}",
                    WALK.replace("$1", "9223372036854775807")
                )))
                .fetch_all(&mut *c)
                .await
                .unwrap();
                sqlx::query("RESET enable_seqscan")
                    .execute(&mut *c)
                    .await
                    .unwrap();
                plan
            }
        };
        let plan = plan.join("\n");
        assert!(
            !plan.contains("Sort") && !plan.contains("TEMP B-TREE"),
            "{engine:?} sorts the published rows for every search:\n{plan}"
        );
        db.finish().await;
    }
}
