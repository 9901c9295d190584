//! The command line as clap reads it: every command, its arguments and their help.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use liancha_store::import::Kind;

#[derive(Parser)]
#[command(
    name = "liancha",
    version,
    about = "联查：跨部门“双随机、一公开”联合监管平台"
)]
pub(crate) struct Cli {
    /// Database URL: sqlite://PATH (default ./liancha.db) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "LIANCHA_DB",
        default_value = "sqlite://liancha.db"
    )]
    pub(crate) db: String,
    /// The county (or for accounts, the prefecture or province office) a command works
    /// in, by its division code (532323); may be left out while the installation has
    /// one county.
    #[arg(long, global = true, env = "LIANCHA_COUNTY")]
    pub(crate) county: Option<String>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Serve the web pages.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo county first if the database is empty.
        #[arg(long)]
        demo: bool,
        /// Public result searches per minute per client address (0: no limit).
        #[arg(long, env = "LIANCHA_SEARCH_LIMIT", default_value_t = 60)]
        search_limit: u32,
        /// Public downloads (CSV, XLSX, draw records) per minute per client address (0: no limit).
        #[arg(long, env = "LIANCHA_DOWNLOAD_LIMIT", default_value_t = 30)]
        download_limit: u32,
        /// Take the client address for the rate limits from the last X-Forwarded-For
        /// entry: only behind a reverse proxy that sets it.
        #[arg(long, env = "LIANCHA_TRUST_FORWARDED_FOR")]
        trust_forwarded_for: bool,
        /// A PostgreSQL streaming replica of --db: the public pages, the open-data API
        /// and the province-wide search read from it; staff pages and writes use --db.
        #[arg(long, env = "LIANCHA_READ_DB")]
        read_db: Option<String>,
    },
    /// Fill an empty database with the demo county (牟定县, about 24,000 entities).
    Demo,
    /// Import a CSV or XLSX file; all rows or none.
    Import {
        #[arg(value_enum)]
        kind: KindArg,
        file: PathBuf,
    },
    /// Run a draw (draw-v1) from INPUT.json (format, plan, reveal); needs no database.
    Draw {
        input: PathBuf,
        /// Write the record here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Recompute a published draw record and say whether it is consistent.
    Verify {
        record: PathBuf,
        /// Fail (not only warn) when a drand signature is wrong or its round was emitted
        /// before the plan was committed.
        #[arg(long)]
        strict_beacons: bool,
        /// Also check the record against the transparency log (its URL or a
        /// directory): sealed there before its sources, drawn as committed.
        #[arg(long, requires = "log_key")]
        log: Option<String>,
        /// Or against a proof bundle (`/public/tasks/ID/log-proof.json`): the task's
        /// entries with their inclusion proofs, checked without the log.
        #[arg(long, requires = "log_key", conflicts_with = "log")]
        bundle: Option<PathBuf>,
        /// With --bundle: a witness's public key (or a file holding it) whose
        /// cosignature the bundle's checkpoint must carry; may be repeated.
        #[arg(long, requires = "bundle")]
        witness: Vec<String>,
        /// The log's verifier key, or a file holding it (with --log or --bundle).
        #[arg(long)]
        log_key: Option<String>,
    },
    /// Export to XLSX or CSV (by extension), or write an empty import template.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Write a consistent copy of the database to FILE while the server keeps
    /// running (SQLite: VACUUM INTO; PostgreSQL: pg_dump --format=custom).
    Backup { file: PathBuf },
    /// The organisation tree: provinces, prefectures and counties of the installation.
    County {
        #[command(subcommand)]
        what: CountyWhat,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        what: UserWhat,
    },
    /// Witness another installation's transparency log: check it only grows, cosign.
    Witness {
        #[command(subcommand)]
        what: WitnessWhat,
    },
    /// The audit trail: check that no entry was changed, deleted or slipped in.
    Audit {
        #[command(subcommand)]
        what: AuditWhat,
    },
    /// The transparency log: its key, and checks anyone can run against it.
    Log {
        #[command(subcommand)]
        what: LogWhat,
    },
}

#[derive(Subcommand)]
pub(crate) enum AuditWhat {
    /// Check every county's audit chain, link by link, and against the heads the
    /// transparency log holds; names each entry changed, deleted or unlinked.
    Verify,
}

#[derive(Subcommand)]
pub(crate) enum WitnessWhat {
    /// Make a witness key named NAME: the private key into --out (never
    /// overwritten), the public key printed for the log's administrator.
    Key {
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Fetch the log's newest checkpoint, check that the log only grew since the
    /// last one cosigned (kept in --state), cosign it and, with --submit, send the
    /// cosignature to the log. A fork is refused and kept as evidence (exit 1).
    Run {
        /// The log's base URL (http://HOST/log) or directory.
        #[arg(long)]
        log: String,
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        log_key: String,
        /// This witness's private key file (from `witness key`).
        #[arg(long)]
        key: PathBuf,
        /// The last checkpoint cosigned; made on the first run.
        #[arg(long)]
        state: PathBuf,
        #[arg(long)]
        submit: bool,
        /// Go on, one round every SECONDS (the server mode).
        #[arg(long, value_name = "SECONDS")]
        every: Option<u64>,
    },
}

#[derive(Subcommand)]
pub(crate) enum LogWhat {
    /// Print this installation's log name and verifier key (the portal shows it too).
    Key,
    /// Accept cosignatures from a witness, by its public key (from `witness key`).
    AddWitness { key: String },
    /// Write the proof bundle of task TASK (its entries, its county's cancellations,
    /// each with its inclusion proof, and the signed checkpoint) to FILE, for
    /// `verify RECORD --bundle FILE`; the portal serves the same at
    /// /public/tasks/TASK/log-proof.json.
    Bundle { task: i64, out: PathBuf },
    /// Write the whole log to DIR as static files laid out as its URLs are
    /// (checkpoint, key, tile/…): a mirror for any web server, or an archive.
    Export {
        dir: PathBuf,
        /// The log as it was when it had this many entries (its checkpoint then).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Check a log from its URL (http://HOST/log) or a directory copy: the
    /// checkpoint's signature; with --old, that it is consistent with a checkpoint
    /// seen before (the log only grew); with --entries, every entry. Needs no database.
    Verify {
        /// The log's base URL or directory.
        #[arg(long)]
        log: String,
        /// The verifier key (origin+id+base64) or a file holding it.
        #[arg(long)]
        key: String,
        /// A checkpoint saved earlier (by --save).
        #[arg(long)]
        old: Option<PathBuf>,
        /// Save the checked checkpoint here (only when every check held).
        #[arg(long)]
        save: Option<PathBuf>,
        /// Download every entry: recompute the tree, list the events, flag a task
        /// sealed twice.
        #[arg(long)]
        entries: bool,
        /// Also check the checkpoint's SM2 signature (国密) with this key, or a
        /// file holding it (from `log key`).
        #[arg(long)]
        sm2_key: Option<String>,
    },
    /// Sign the log with SM2 too (国密, GB/T 32918/32905), for installations whose
    /// 密评 requires it: makes the SM2 key; from the next entry on, each checkpoint
    /// carries an SM2 signature and the SM3 root of the same entries. Once only.
    Sm2Key,
}

#[derive(Subcommand)]
pub(crate) enum CountyWhat {
    /// Add a province, prefecture or county by its GB/T 2260 code (53, 5323, 532323);
    /// the levels above it must exist or be added in the same command, e.g.
    /// `county add 53 云南省 5323 楚雄彝族自治州 532324 南华县`.
    Add {
        /// Pairs of CODE NAME, from the top down.
        #[arg(num_args = 2.., required = true, value_names = ["CODE", "NAME"])]
        pairs: Vec<String>,
    },
    /// List the tree.
    List,
}

#[derive(Subcommand)]
pub(crate) enum UserWhat {
    /// Create an account. The password is read from LIANCHA_PASSWORD or asked for;
    /// the user must change it at first sign-in.
    Add {
        username: String,
        /// admin, coordinator, department-admin, department-head, inspector, oversight,
        /// township
        /// (or the Chinese name of the role).
        #[arg(long)]
        role: String,
        /// Display name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        /// Department code, for department admins and inspectors.
        #[arg(long)]
        department: Option<String>,
        /// Township name, for township officers.
        #[arg(long)]
        township: Option<String>,
        /// Id in the inspector directory, for inspectors.
        #[arg(long)]
        inspector: Option<String>,
    },
    /// List accounts.
    List,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum KindArg {
    Entities,
    Inspectors,
    Items,
    /// A county's townships (GB/T 10114 codes).
    Townships,
    /// A county's departments and their domains.
    Departments,
    /// A county's rule books, one row a domain.
    RuleBooks,
    /// A county's joint item lists, one row per member item (as exported).
    JointLists,
    /// Items' check points (检查要点), one row per point; an item in the file has
    /// its points replaced by the file's.
    CheckPoints,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Entities => Kind::Entities,
            KindArg::Inspectors => Kind::Inspectors,
            KindArg::Items => Kind::Items,
            KindArg::Townships => Kind::Townships,
            KindArg::Departments => Kind::Departments,
            KindArg::RuleBooks => Kind::RuleBooks,
            KindArg::JointLists => Kind::JointLists,
            KindArg::CheckPoints => Kind::CheckPoints,
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum ExportWhat {
    /// The entity directory.
    Entities { file: PathBuf },
    /// The inspector directory.
    Inspectors { file: PathBuf },
    /// The item list (all items, drafts included).
    Items { file: PathBuf },
    /// The joint item lists, one row per member item.
    JointLists { file: PathBuf },
    /// The items' check points, one row per point.
    CheckPoints { file: PathBuf },
    /// The county's townships.
    Townships { file: PathBuf },
    /// The county's departments.
    Departments { file: PathBuf },
    /// The county's rule books.
    RuleBooks { file: PathBuf },
    /// A drawn task's draw record (JSON, as the portal publishes it with the
    /// results), for `liancha verify`.
    Record { task: i64, file: PathBuf },
    /// An empty import template (.xlsx) with a sheet explaining each column.
    Template {
        #[arg(value_enum)]
        kind: KindArg,
        file: PathBuf,
    },
}
