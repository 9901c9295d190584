//! The county scope is bound in one place: every statement that reads or writes a
//! county-owned table runs through a [`liancha_store::County`] handle (which refuses
//! a statement without `$C`), except the few reads across counties listed here, each
//! with its reason. A new statement on a county-owned table written with
//! `sqlx::query…` directly fails this test, naming the file and the statement; and
//! outside the store, only the application layer makes county handles.

use std::path::Path;

/// Tables that belong to a county (migration 0009).
const COUNTY_TABLES: &[&str] = &[
    "townships",
    "departments",
    "entities",
    "inspectors",
    "items",
    "item_versions",
    "check_points",
    "item_drafts",
    "department_issuers",
    "number_counters",
    "joint_item_lists",
    "joint_item_list_items",
    "rule_books",
    "audit_log",
    "calendar_days",
    "conflict_declarations",
    "annual_plans",
    "annual_plan_departments",
    "annual_plan_entries",
    "tasks",
    "task_items",
    "task_sources",
    "task_exclusions",
    "task_approvals",
    "visit_check_ins",
    "visit_ratings",
    "visit_complaints",
    "task_witnesses",
    "team_members",
    "visits",
    "results",
    "reviews",
    "targeted_inspections",
    "attachments",
    "follow_ups",
    "credit_proposals",
    "credit_removals",
    "credit_repairs",
    "result_objections",
    "result_corrections",
    "upward_exports",
    "public_results",
    "county_settings",
    "visit_drafts",
    "audit_heads",
    "audit_chain",
];

/// Statements that read across counties on purpose: (file, a piece of the statement,
/// why). Public data only, or a repair at start-up.
const ACROSS_COUNTIES: &[(&str, &str, &str)] = &[
    (
        "audit_chain.rs",
        "SELECT DISTINCT county FROM audit_log WHERE county NOT IN",
        "the start-up chaining of trails from before the chain",
    ),
    (
        "search.rs",
        "FROM public_results WHERE entity_id = $1",
        "the province's search by USCC",
    ),
    (
        "search.rs",
        "FROM public_results_fts f CROSS JOIN public_results",
        "the province's search by name (SQLite)",
    ),
    (
        "search.rs",
        "FROM public_results WHERE id < $2",
        "the province's search by name (PostgreSQL)",
    ),
    (
        "search.rs",
        "FROM public_results WHERE id IN (SELECT x.id",
        "the province's search by name (PostgreSQL)",
    ),
    (
        "search.rs",
        "COALESCE(MAX(id), 0) FROM public_results",
        "the version of the public copy",
    ),
    (
        "search.rs",
        "SELECT COUNT(*) FROM public_results",
        "how many results are public",
    ),
    (
        "search.rs",
        "SELECT t.county, t.id FROM tasks t WHERE t.state = 'published'",
        "the start-up repair of the public copy",
    ),
    (
        "results/published.rs",
        "PUBLISHED_SELECT",
        "an entity's published results in every county it was in",
    ),
    (
        "results/repair.rs",
        "CORRECTION_SELECT",
        "the corrections of an entity's published results in every county it was in",
    ),
    (
        "tasks/lookup.rs",
        "SELECT DISTINCT county FROM visits WHERE check_code = $1",
        "the public check of a notice's code",
    ),
    (
        "tasks/lookup.rs",
        "SELECT county FROM tasks WHERE id = $1 AND state = 'published'",
        "a published task's public address",
    ),
    (
        "tasks/lookup.rs",
        "SELECT county FROM tasks WHERE id = $1 AND committed_at IS NOT NULL",
        "a sealed task's public announcement",
    ),
    (
        "directories.rs",
        "SELECT county FROM entities WHERE id = $1",
        "where an entity is on record now",
    ),
    (
        "sqlite.rs",
        "SELECT NOT EXISTS (SELECT 1 FROM entities)",
        "whether the whole directory is empty (first import)",
    ),
    (
        "sqlite.rs",
        "CREATE TEMP TABLE entities_load",
        "the import's scratch table, made empty",
    ),
    (
        "sqlite.rs",
        "CREATE UNIQUE INDEX entities_id",
        "the first import's keys",
    ),
    (
        "sqlite.rs",
        "CREATE UNIQUE INDEX entities_home",
        "the first import's keys",
    ),
    (
        "sqlite.rs",
        "CREATE INDEX entities_status",
        "the first import's indexes",
    ),
    (
        "postgres.rs",
        "SELECT NOT EXISTS (SELECT 1 FROM entities)",
        "whether the whole directory is empty (first import)",
    ),
    (
        "postgres.rs",
        "LOCK TABLE entities",
        "the first import's keys",
    ),
    (
        "postgres.rs",
        "ALTER TABLE entities",
        "the first import's keys",
    ),
    (
        "postgres.rs",
        "CREATE UNIQUE INDEX entities_home",
        "the first import's keys",
    ),
    (
        "postgres.rs",
        "CREATE INDEX entities_status",
        "the first import's indexes",
    ),
    (
        "draw/postgres.rs",
        "FROM entities",
        "the streaming draw's scans, with the handle's county as a literal",
    ),
];

/// The text of the statement a `sqlx::query…(` call at `at` is given, as far as the
/// call's parentheses reach (good enough to find table names and literals).
fn call_text(src: &str, at: usize) -> &str {
    let open = match src[at..].find('(') {
        Some(i) => at + i,
        None => return "",
    };
    let mut depth = 0;
    for (i, c) in src[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &src[open..open + i];
                }
            }
            _ => {}
        }
    }
    &src[open..]
}

fn names_county_table(sql: &str) -> Option<&'static str> {
    let words: Vec<&str> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        if matches!(
            pair[0].to_ascii_uppercase().as_str(),
            "FROM" | "JOIN" | "INTO" | "UPDATE" | "TABLE" | "ON"
        ) && let Some(t) = COUNTY_TABLES.iter().find(|t| **t == pair[1])
        {
            return Some(t);
        }
    }
    None
}

#[test]
fn county_tables_are_reached_through_the_handle() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut used = vec![false; ACROSS_COUNTIES.len()];
    let sources: Vec<(String, String)> = rust_files(&dir)
        .into_iter()
        .map(|path| {
            // Named by the path under `src/`, `/`-separated: `tasks/lookup.rs`.
            let file = path
                .strip_prefix(&dir)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_str().unwrap())
                .collect::<Vec<_>>()
                .join("/");
            (file, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    // A statement may use a const of another file of its module: every const of
    // the crate is followed.
    let all_consts: Vec<(&str, &str)> = sources.iter().flat_map(|(_, src)| consts(src)).collect();
    for (file, src) in &sources {
        // The handle itself, and the test helpers.
        if file == "scope.rs" || file == "testing.rs" {
            continue;
        }
        // Statements built in consts are checked where they are used: follow a const
        // name to its text.
        let mut at = 0;
        while let Some(i) = src[at..].find("sqlx::query") {
            let start = at + i;
            at = start + 1;
            let text = call_text(src, start);
            let mut sql = text.to_string();
            // A statement built at run time: follow the variable to where it is made.
            if let Some(var) = dynamic_var(text) {
                sql.push(' ');
                sql.push_str(binding_text(&src[..start], var));
            }
            for (name, body) in &all_consts {
                if sql.contains(name) {
                    sql.push(' ');
                    sql.push_str(body);
                }
            }
            let Some(table) = names_county_table(&sql) else {
                continue;
            };
            let allowed = ACROSS_COUNTIES.iter().position(|(f, piece, _)| {
                *f == file && (text.contains(piece) || sql.contains(piece))
            });
            match allowed {
                Some(k) => used[k] = true,
                None => found.push(format!("{file}: {table}: {}", text.trim())),
            }
        }
    }
    assert!(
        found.is_empty(),
        "county-owned tables reached without the County handle:\n{}",
        found.join("\n")
    );
    let stale: Vec<_> = ACROSS_COUNTIES
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(a, _)| a)
        .collect();
    assert!(stale.is_empty(), "listed but not found any more: {stale:?}");
}

/// The variable a run-time statement is passed in: `crate::dynamic(&sql)`,
/// `AssertSqlSafe(sql)`.
fn dynamic_var(call: &str) -> Option<&str> {
    for marker in ["dynamic(&", "dynamic(", "AssertSqlSafe(&", "AssertSqlSafe("] {
        if let Some(i) = call.find(marker) {
            let rest = &call[i + marker.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end > 0 {
                return Some(&rest[..end]);
            }
        }
    }
    // A statement passed by name: `sqlx::query_scalar(empty)`.
    let arg = call.trim_start_matches('(').trim();
    let end = arg
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(arg.len());
    (end > 0
        && arg[..end]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_')
        && arg[end..].trim_start().starts_with(')')
        || end == arg.len() && end > 0)
        .then(|| &arg[..end])
}

/// The text that makes `var` last before `before`: `let [mut] var … ;`, and what is
/// pushed onto it after.
fn binding_text<'a>(before: &'a str, var: &str) -> &'a str {
    let at = [
        format!("let mut {var} "),
        format!("let {var} "),
        format!("let {var}:"),
    ]
    .iter()
    .filter_map(|p| before.rfind(p.as_str()))
    .max();
    match at {
        Some(i) => &before[i..],
        None => "",
    }
}

/// `const NAME: &str = "…";` of a file, as (name, text).
fn consts(src: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = src[at..].find("const ") {
        let start = at + i + 6;
        at = start;
        let Some(colon) = src[start..].find(':') else {
            break;
        };
        let name = src[start..start + colon].trim();
        if !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') || name.is_empty() {
            continue;
        }
        let Some(eq) = src[start..].find('=') else {
            break;
        };
        let Some(end) = src[start + eq..].find("\";") else {
            break;
        };
        out.push((name, &src[start + eq..start + eq + end]));
    }
    out
}

/// Every `.rs` file under `dir`, in its subdirectories too.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Outside the store, county handles come from the application layer only: the web
/// crate never asks the store for one.
#[test]
fn only_the_application_layer_makes_county_handles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for dir in ["web/src", "app/src"] {
        for path in rust_files(&root.join(dir)) {
            let src = std::fs::read_to_string(&path).unwrap();
            for (n, line) in src.lines().enumerate() {
                let direct = line.contains("store().county(")
                    || line.contains("store.county(")
                    || line.contains("Store::county(");
                // crates/app/src/lib.rs is where handles are made from a context.
                let the_one_place = dir == "app/src" && path.ends_with("lib.rs");
                if direct && !the_one_place {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "county handles made outside the application layer:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_an_unscoped_statement() {
    let src = r#"
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tasks WHERE state = $1").bind(s);
    "#;
    let at = src.find("sqlx::query").unwrap();
    assert_eq!(names_county_table(call_text(src, at)), Some("tasks"));
    let src = r#"sqlx::query("SELECT code FROM divisions WHERE level = $1")"#;
    assert_eq!(names_county_table(call_text(src, 0)), None);
}
