//! `liancha`: serve the platform, load demo data, import and export directories,
//! run and verify draws.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use liancha_store::Store;
use liancha_store::demo::{self, DemoSize};

#[derive(Parser)]
#[command(name = "liancha", version, about = "联查：跨部门“双随机、一公开”联合监管平台")]
struct Cli {
    /// Database URL: sqlite://PATH (default ./liancha.db) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "LIANCHA_DB", default_value = "sqlite://liancha.db")]
    db: String,
    #[command(subcommand)]
    command: Command,
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
    },
    /// Fill an empty database with the demo county (牟定县, about 24,000 entities).
    Demo,
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

async fn load_demo(store: &Store) -> anyhow::Result<()> {
    let size = DemoSize::COUNTY;
    let bar = progress_bar((size.legal_persons + size.individuals) as u64, "载入演示数据");
    demo::load(store, size, &|done, _| bar.set_position(done)).await?;
    bar.finish_and_clear();
    let c = store.counts().await?;
    println!(
        "演示县已载入：{} 个乡镇、{} 个部门、{} 户检查对象（法人 {} 户）、{} 名执法人员、{} 项抽查事项",
        c.townships, c.departments, c.entities, c.legal_person_entities, c.inspectors, c.items
    );
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { listen, demo } => {
            let store = Store::open(&cli.db).await?;
            if demo && store.counts().await?.entities == 0 {
                load_demo(&store).await?;
            }
            liancha_web::serve(store, listen, |addr| println!("联查已启动：http://{addr}/  （Ctrl+C 停止）"))
                .await
                .with_context(|| format!("无法在 {listen} 上提供服务"))?;
        }
        Command::Demo => {
            let store = Store::open(&cli.db).await?;
            load_demo(&store).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIANCHA_LOG").unwrap_or_else(|_| "warn,liancha=info".into()),
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
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}
