//! `liancha`: serve the platform, load demo data, import and export directories,
//! run and verify draws.

/// Many small allocations freed on another thread than the one that made them (import
/// batches) are where glibc's allocator is slowest.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

mod args;
mod demo_cmd;
mod log;
mod offline;
mod progress;
mod witness;

use anyhow::Context;
use clap::Parser;
use liancha_store::Store;
use liancha_store::demo;
use liancha_store::import::Kind;

use args::*;
use demo_cmd::*;
use offline::*;
use progress::*;

/// The division named by `--county`, which must exist; without it, the installation's
/// one county.
pub(crate) async fn county_of(
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
            // The web's use case: a file is refused here for what the web refuses.
            let result = liancha_app::App::new(store.clone())
                .import_as_operator(&county, kind, &file, &|n| bar.set_position(n))
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
                    liancha_store::export::write_template(
                        kind.into(),
                        &file,
                        &liancha_store::export::Examples::default(),
                    )?;
                    println!("已生成导入模板 {}", file.display());
                    return Ok(ExitCode::SUCCESS);
                }
                ExportWhat::JointLists { file } => (Kind::JointLists, file),
                ExportWhat::CheckPoints { file } => (Kind::CheckPoints, file),
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
