//! `liancha`: serve the platform, load demo data, import and export directories,
//! run and verify draws.

/// Many small allocations freed on another thread than the one that made them (import
/// batches) are where glibc's allocator is slowest.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod log;
mod witness;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use liancha_store::Store;
use liancha_store::demo::{self, DemoSize};
use liancha_store::import::Kind;

#[derive(Parser)]
#[command(
    name = "liancha",
    version,
    about = "联查：跨部门“双随机、一公开”联合监管平台"
)]
struct Cli {
    /// Database URL: sqlite://PATH (default ./liancha.db) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "LIANCHA_DB",
        default_value = "sqlite://liancha.db"
    )]
    db: String,
    /// The county (or for accounts, the prefecture or province office) a command works
    /// in, by its division code (532323); may be left out while the installation has
    /// one county.
    #[arg(long, global = true, env = "LIANCHA_COUNTY")]
    county: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// The division named by `--county`, which must exist; without it, the installation's
/// one county.
async fn county_of(
    store: &Store,
    arg: Option<&str>,
) -> anyhow::Result<liancha_domain::org::DivisionCode> {
    let tree = store.divisions().await?;
    if let Some(raw) = arg {
        let code = liancha_domain::org::DivisionCode::parse(raw)?;
        if !tree.iter().any(|d| d.code == code) {
            anyhow::bail!("行政区划 {code} 不存在：请先用 liancha county add 建立");
        }
        return Ok(code);
    }
    let counties: Vec<_> = tree
        .iter()
        .filter(|d| d.level() == liancha_domain::org::Level::County)
        .collect();
    match counties.as_slice() {
        [one] => Ok(one.code.clone()),
        [] => anyhow::bail!("本系统还没有县（市、区）：请先用 liancha county add 建立"),
        many => anyhow::bail!(
            "本系统有 {} 个县（市、区），请用 --county 指定，如 --county {}",
            many.len(),
            many[0].code
        ),
    }
}

#[derive(Subcommand)]
enum Command {
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
enum AuditWhat {
    /// Check every county's audit chain, link by link, and against the heads the
    /// transparency log holds; names each entry changed, deleted or unlinked.
    Verify,
}

#[derive(Subcommand)]
enum WitnessWhat {
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
enum LogWhat {
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
enum CountyWhat {
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
enum UserWhat {
    /// Create an account. The password is read from LIANCHA_PASSWORD or asked for;
    /// the user must change it at first sign-in.
    Add {
        username: String,
        /// admin, coordinator, department-admin, inspector, oversight, township
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
enum KindArg {
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
        }
    }
}

#[derive(Subcommand)]
enum ExportWhat {
    /// The entity directory.
    Entities { file: PathBuf },
    /// The inspector directory.
    Inspectors { file: PathBuf },
    /// The item list (all items, drafts included).
    Items { file: PathBuf },
    /// The joint item lists, one row per member item.
    JointLists { file: PathBuf },
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

fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, 剩余 {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A spinner with a row count, for files whose length is not known in advance.
fn row_counter(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}：已处理 {pos} 行 ({per_sec})")
            .expect("valid template"),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

async fn load_demo(store: &Store) -> anyhow::Result<()> {
    let size = DemoSize::COUNTY;
    let bar = progress_bar(
        (size.legal_persons + size.individuals) as u64,
        "载入演示数据",
    );
    let today = liancha_domain::calendar::today_in_china();
    let opened = liancha_app::demo::opened(today);
    demo::load_at(store, size, opened, &|done, _| bar.set_position(done)).await?;
    bar.finish_and_clear();
    let mouding = demo::counties()
        .into_iter()
        .next()
        .context("the demo has a county")?;
    let mut accounts = demo::accounts_with(store, opened, std::slice::from_ref(&mouding)).await?;
    // The county's year: published tasks, follow-ups, listings, tasks in every state,
    // played by its accounts up to yesterday, so every page shows what it is for.
    let year = liancha_app::demo::year(&liancha_app::App::new(store.clone()), &mouding, today)
        .await
        .map_err(|e| anyhow::anyhow!("演示县的年度工作未能载入：{e}"))?;
    for county in demo::counties() {
        let c = store.county(&county).counts().await?;
        let name = store
            .division(&county)
            .await?
            .map(|d| d.name)
            .unwrap_or_default();
        println!(
            "演示县 {name} 已载入：{} 个乡镇、{} 个部门、{} 户检查对象（法人 {} 户）、{} 名执法人员、{} 项抽查事项",
            c.townships, c.departments, c.entities, c.legal_person_entities, c.inspectors, c.items
        );
    }
    println!(
        "演示县一年的工作：{} 个联合抽查任务（{} 个已公示），{} 户次检查结果，{} 件后续处置，{} 次列入信用名单，{} 次定向检查",
        year.tasks, year.published, year.visits, year.follow_ups, year.listings, year.targeted
    );
    if let Some(inspector) = year.inspector.clone() {
        // Beside the county's other department accounts, as `accounts` lists them.
        let at = accounts
            .iter()
            .position(|a| a.username == "agri-admin")
            .map_or(accounts.len(), |i| i + 1);
        accounts.insert(at, inspector);
    }
    print_demo_accounts(&accounts);
    if !year.department_admins.is_empty() {
        println!(
            "  其他部门管理员（{}）：{}",
            demo::DEMO_PASSWORD,
            year.department_admins.join("、")
        );
    }
    Ok(())
}

/// Whether the demo's counties are still empty.
async fn demo_empty(store: &Store) -> anyhow::Result<bool> {
    for county in demo::counties() {
        if store.county(&county).counts().await?.entities > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

fn print_demo_accounts(accounts: &[demo::DemoAccount]) {
    if accounts.is_empty() {
        return;
    }
    println!("演示账号（密码均为 {}）：", demo::DEMO_PASSWORD);
    for a in accounts {
        println!(
            "  {:<16} {} {}（{}）",
            a.username, a.division, a.role_label, a.who
        );
    }
}

/// Writes `bytes` to `path` whole or not at all: a refused or interrupted draw must
/// never leave a half-written record behind.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("record")
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("无法写入 {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("无法写入 {}", path.display()))?;
    Ok(())
}

/// The exit code of a check: 0 when everything held, 1 otherwise.
fn held(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A file of at most `limit` bytes, refused before it is read if larger.
fn read_bounded(path: &std::path::Path, limit: u64) -> anyhow::Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("无法读取 {}", path.display()))?
        .len();
    if len > limit {
        anyhow::bail!("{} 过大（{len} 字节，上限 {limit}）", path.display());
    }
    read_file(path)
}

fn read_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("无法读取 {}", path.display()))
}

fn draw(input: &std::path::Path, out: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let bytes = read_file(input)?;
    let record = match liancha_draw::draw_input(&bytes) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("抽取被拒绝（{}）：{e}", e.code());
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut json = record.to_pretty_json();
    json.push('\n');
    match out {
        Some(path) => {
            write_atomically(path, json.as_bytes())?;
            eprintln!("抽取记录已写入 {}", path.display());
        }
        None => print!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(path: &std::path::Path, strict_beacons: bool) -> anyhow::Result<ExitCode> {
    let bytes = read_file(path)?;
    let options = liancha_draw::VerifyOptions {
        enforce_beacons: strict_beacons,
    };
    match liancha_draw::verify_record_with(&bytes, &options) {
        Ok(s) => {
            println!(
                "一致：{} 的抽取结果可由其方案与随机源完全重现。",
                path.display()
            );
            println!(
                "  方案摘要 plan_digest  {}",
                liancha_draw::hex::encode(&s.plan_digest)
            );
            println!(
                "  随机种子 seed         {}",
                liancha_draw::hex::encode(&s.seed)
            );
            println!(
                "  抽中对象 {} 户，检查组 {} 个，已匹配 {} 户，未匹配 {} 户",
                s.selected, s.teams, s.assignments, s.unassigned
            );
            for b in &s.beacons {
                let status = match (&b.signature, b.after_commit) {
                    (Err(e), _) => format!("签名无效：{e}"),
                    (Ok(_), Some(false)) => "签名有效，但该轮次早于方案登记时间".to_string(),
                    (Ok(_), _) => "签名有效".to_string(),
                };
                println!(
                    "  随机源 {}：drand quicknet 第 {} 轮（{} 发布）{status}",
                    b.source_index + 1,
                    b.round,
                    liancha_draw::time::format_rfc3339_utc(b.emitted_at)
                );
            }
            if !s.beacons_ok() {
                println!("  警告：公开随机源未通过校验；使用 --strict-beacons 时视为不一致。");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            match e.mismatch_path() {
                Some(p) => println!("不一致：第一个不同之处在 {p}（{e}）"),
                None => println!("无法验证（{}）：{e}", e.code()),
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Draw { input, out } => return draw(&input, out.as_deref()),
        Command::Verify {
            record,
            strict_beacons,
            log,
            bundle,
            witness,
            log_key,
        } => {
            if log_key.is_some() && log.is_none() && bundle.is_none() {
                anyhow::bail!("--log-key 须与 --log 或 --bundle 一起使用");
            }
            let drawn = verify(&record, strict_beacons)?;
            let held = match (log, bundle, log_key) {
                (Some(log), _, Some(key)) => {
                    log::check_record(&log, &key, &read_file(&record)?).await?
                }
                (_, Some(bundle), Some(key)) => {
                    let bundle = read_bounded(&bundle, log::MAX_BUNDLE)?;
                    log::check_record_bundle(&bundle, &key, &witness, &read_file(&record)?)?
                }
                _ => true,
            };
            if !held {
                return Ok(ExitCode::FAILURE);
            }
            return Ok(drawn);
        }
        Command::Serve {
            listen,
            demo,
            search_limit,
            download_limit,
            trust_forwarded_for,
            read_db,
        } => {
            let store = Store::open(&cli.db).await?;
            let replica = match &read_db {
                Some(url) => Some(Store::open_replica(url).await?),
                None => None,
            };
            if demo && demo_empty(&store).await? {
                load_demo(&store).await?;
            } else if demo {
                print_demo_accounts(&demo::accounts(&store, chrono::Utc::now()).await?);
            }
            let limits = liancha_web::limits::Limits {
                search_per_minute: search_limit,
                download_per_minute: download_limit,
                trust_forwarded_for,
            };
            liancha_web::serve(store, replica, listen, limits, |addr| {
                println!("联查已启动：http://{addr}/  （Ctrl+C 停止）")
            })
            .await
            .with_context(|| format!("无法在 {listen} 上提供服务"))?;
        }
        Command::Demo => {
            let store = Store::open(&cli.db).await?;
            load_demo(&store).await?;
        }
        Command::User { what } => {
            let store = Store::open(&cli.db).await?;
            match what {
                UserWhat::List => {
                    let top = match cli.county.as_deref() {
                        Some(c) => county_of(&store, Some(c)).await?,
                        // Everyone: accounts hang below the installation's provinces.
                        None => match store.divisions().await?.first() {
                            Some(d) => d.code.clone(),
                            None => return Ok(ExitCode::SUCCESS),
                        },
                    };
                    for u in store.users(&top).await? {
                        println!(
                            "{}\t{}\t{}\t{}\t{}{}",
                            u.division,
                            u.username,
                            u.display_name,
                            u.role.label_at(u.division.level()),
                            u.department
                                .as_deref()
                                .or(u.township.as_deref())
                                .unwrap_or(""),
                            if u.disabled { "\t已停用" } else { "" }
                        );
                    }
                }
                UserWhat::Add {
                    username,
                    role,
                    name,
                    department,
                    township,
                    inspector,
                } => {
                    let role = liancha_domain::auth::Role::parse(&role).with_context(|| {
                        format!(
                            "未知的角色「{role}」，可选：{}",
                            liancha_domain::auth::Role::ALL
                                .iter()
                                .map(|r| r.code())
                                .collect::<Vec<_>>()
                                .join("、")
                        )
                    })?;
                    let password = match std::env::var("LIANCHA_PASSWORD") {
                        Ok(p) => p,
                        Err(_) => {
                            eprint!("初始密码（输入后回车）：");
                            let mut line = String::new();
                            std::io::stdin().read_line(&mut line)?;
                            line.trim_end_matches(['\r', '\n']).to_string()
                        }
                    };
                    let division = county_of(&store, cli.county.as_deref()).await?;
                    store
                        .create_user(
                            &liancha_store::accounts::NewUser {
                                division,
                                display_name: name.unwrap_or_else(|| username.clone()),
                                username: username.clone(),
                                role,
                                department,
                                township,
                                inspector_id: inspector,
                                password,
                                must_change_password: true,
                            },
                            &liancha_store::accounts::Actor::system("cli"),
                            chrono::Utc::now(),
                        )
                        .await?;
                    println!(
                        "已创建账号 {username}（{}），首次登录须修改密码",
                        role.label()
                    );
                }
            }
        }
        Command::County { what } => {
            let store = Store::open(&cli.db).await?;
            match what {
                CountyWhat::Add { pairs } => {
                    if pairs.len() % 2 != 0 {
                        anyhow::bail!("请成对给出行政区划代码和名称（CODE NAME …）");
                    }
                    let mut divisions = vec![];
                    for pair in pairs.chunks(2) {
                        divisions.push(liancha_domain::org::Division {
                            code: liancha_domain::org::DivisionCode::parse(&pair[0])?,
                            name: pair[1].clone(),
                        });
                    }
                    let who = std::env::var("USER").unwrap_or_else(|_| "cli".into());
                    store
                        .add_divisions(
                            &divisions,
                            &liancha_store::accounts::Actor::system(&format!("cli:{who}")),
                            chrono::Utc::now(),
                        )
                        .await?;
                    for d in &divisions {
                        println!("已建立{} {} {}", d.level().label(), d.code.short(), d.name);
                    }
                }
                CountyWhat::List => {
                    for d in store.divisions().await? {
                        let indent = match d.level() {
                            liancha_domain::org::Level::Province => "",
                            liancha_domain::org::Level::Prefecture => "  ",
                            liancha_domain::org::Level::County => "    ",
                        };
                        println!("{indent}{} {}", d.code, d.name);
                    }
                }
            }
        }
        Command::Log {
            what:
                LogWhat::Verify {
                    log,
                    key,
                    old,
                    save,
                    entries,
                    sm2_key,
                },
        } => {
            let ok = log::verify(&log::Options {
                log,
                key,
                sm2_key,
                old,
                save,
                entries,
            })
            .await?;
            return Ok(held(ok));
        }
        Command::Log {
            what: LogWhat::Export { dir, size },
        } => {
            let store = Store::open(&cli.db).await?;
            let n = log::export(&store, &dir, size).await?;
            println!("已将透明日志（{n} 条）写到 {}", dir.display());
        }
        Command::Log {
            what: LogWhat::Bundle { task, out },
        } => {
            let store = Store::open(&cli.db).await?;
            let county = store
                .announced_task_county(task)
                .await?
                .with_context(|| format!("任务 {task} 未封存，日志中没有它的条目"))?;
            let bundle = store
                .log_proof_bundle(county.as_str(), task)
                .await?
                .with_context(|| format!("日志中没有任务 {task} 的条目"))?;
            let json = serde_json::to_vec_pretty(&bundle)?;
            std::fs::write(&out, json).with_context(|| format!("写入 {}", out.display()))?;
            println!(
                "已将任务 {task} 的证明包（{} 条）写到 {}",
                bundle.entries.len(),
                out.display()
            );
        }
        Command::Log {
            what: LogWhat::AddWitness { key },
        } => {
            let store = Store::open(&cli.db).await?;
            // Recorded in the audit trail of the installation's top office.
            let office = store
                .divisions()
                .await?
                .into_iter()
                .map(|d| d.code)
                .find(|c| c.parent().is_none())
                .context("本系统还没有行政区划：请先用 liancha county add 建立")?;
            let actor = liancha_store::accounts::Actor::system("cli");
            let name = store
                .add_log_witness(&key, &office, &actor, chrono::Utc::now())
                .await?;
            println!("已登记证人 {name}：其联署将显示在透明日志页面上");
        }
        Command::Witness {
            what: WitnessWhat::Key { name, out },
        } => {
            let public = witness::new_key(&name, &out)?;
            println!(
                "证人私钥已写入 {}（请妥善保管）。公钥（交日志管理员登记）：",
                out.display()
            );
            println!("{public}");
        }
        Command::Witness {
            what:
                WitnessWhat::Run {
                    log,
                    log_key,
                    key,
                    state,
                    submit,
                    every,
                },
        } => {
            let ok = witness::run(&witness::Options {
                log,
                log_key,
                key,
                state,
                submit,
                every,
            })
            .await?;
            return Ok(held(ok));
        }
        Command::Audit {
            what: AuditWhat::Verify,
        } => {
            let store = Store::open(&cli.db).await?;
            let mut ok = true;
            for d in store.divisions().await? {
                let report = store.county(&d.code).verify_audit_chain().await?;
                if report.links == 0 && report.breaks.is_empty() {
                    continue;
                }
                if report.breaks.is_empty() {
                    println!(
                        "{}（{}）：审计链 {} 环完好，与透明日志中的 {} 个链头一致",
                        d.name, d.code, report.links, report.anchors
                    );
                } else {
                    ok = false;
                    println!("{}（{}）：审计记录被改动过", d.name, d.code);
                    for b in &report.breaks {
                        println!("  {b}");
                    }
                }
            }
            return Ok(held(ok));
        }
        Command::Log {
            what: LogWhat::Sm2Key,
        } => {
            let store = Store::open(&cli.db).await?;
            let key = store.enable_log_sm2(chrono::Utc::now()).await?;
            println!("透明日志此后每个检查点另加国密 SM2 签名和 SM3 根。SM2 公钥：");
            println!("{key}");
        }
        Command::Log { what: LogWhat::Key } => {
            let store = Store::open(&cli.db).await?;
            if let Some((sm2, since)) = store.log_sm2_key().await? {
                println!("国密 SM2 公钥（日志超过 {since} 条后的检查点）：{sm2}");
            }
            let key = store.log_key().await?;
            println!("日志名称 {}", key.origin);
            println!("{}", key.verifier);
        }
        Command::Backup { file } => {
            let store = Store::open(&cli.db).await?;
            let started = std::time::Instant::now();
            let out = store.backup(&file).await?;
            println!(
                "已备份到 {}（{}，{:.1} MB，用时 {:.1} 秒）",
                file.display(),
                out.method,
                out.bytes as f64 / 1e6,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Import { kind, file } => {
            let store = Store::open(&cli.db).await?;
            let kind = Kind::from(kind);
            let bar = row_counter(&format!("导入{}", kind.label()));
            let county = county_of(&store, cli.county.as_deref()).await?;
            let result = store
                .county(&county)
                .import_file(kind, &file, &|n| bar.set_position(n))
                .await;
            bar.finish_and_clear();
            let out = result?;
            println!(
                "已导入 {}：共 {} 行，新增 {}，更新 {}",
                out.file, out.rows, out.inserted, out.updated
            );
        }
        Command::Export { what } => {
            let store = Store::open(&cli.db).await?;
            let county = match &what {
                ExportWhat::Template { .. } => None,
                _ => Some(county_of(&store, cli.county.as_deref()).await?),
            };
            let rows = |c: &Option<liancha_domain::org::DivisionCode>| {
                store.county(
                    c.as_ref()
                        .expect("a county for every export but the template"),
                )
            };
            let (kind, file) = match what {
                ExportWhat::Record { task, file } => {
                    let json = rows(&county)
                        .draw_record(task)
                        .await?
                        .with_context(|| format!("任务 {task} 尚未抽取（或不在本县）"))?;
                    std::fs::write(&file, json)
                        .with_context(|| format!("写入 {}", file.display()))?;
                    println!("已导出任务 {task} 的抽取记录到 {}", file.display());
                    return Ok(ExitCode::SUCCESS);
                }
                ExportWhat::Template { kind, file } => {
                    liancha_store::export::write_template(kind.into(), &file)?;
                    println!("已生成导入模板 {}", file.display());
                    return Ok(ExitCode::SUCCESS);
                }
                ExportWhat::JointLists { file } => (Kind::JointLists, file),
                ExportWhat::Entities { file } => (Kind::Entities, file),
                ExportWhat::Inspectors { file } => (Kind::Inspectors, file),
                ExportWhat::Items { file } => (Kind::Items, file),
                ExportWhat::Townships { file } => (Kind::Townships, file),
                ExportWhat::Departments { file } => (Kind::Departments, file),
                ExportWhat::RuleBooks { file } => (Kind::RuleBooks, file),
            };
            let bar = row_counter(&format!("导出{}", kind.label()));
            let result = rows(&county)
                .export_file(kind, &file, &|n| bar.set_position(n))
                .await;
            bar.finish_and_clear();
            println!("已导出 {} 行到 {}", result?, file.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The error and its causes, leaving out a cause whose text the message already quotes
/// (our errors often carry their source's words for the clerk's sake).
fn describe(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push('：');
            }
            out.push_str(&text);
        }
    }
    out
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIANCHA_LOG")
                .unwrap_or_else(|_| "warn,liancha=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{}", describe(&e));
            ExitCode::FAILURE
        }
    }
}
