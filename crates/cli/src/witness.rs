//! `liancha witness`: run by another body (the prefecture, a 公证处, a university)
//! to watch an installation's transparency log. Each round it fetches the newest
//! checkpoint, checks the log's signature and that the log only grew since the last
//! checkpoint it cosigned (from the log's tiles), cosigns it (C2SP tlog-cosignature)
//! and sends the cosignature back to the log, which shows it on its portal. A log
//! that shows a different tree of the same size, a smaller one, or one that does not
//! contain the last is refused: the two checkpoints, both signed by the log, are
//! kept as evidence and the witness stops with an error.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use liancha_domain::cosignature::WitnessSigner;
use liancha_domain::transparency::{Checkpoint, Tiles, verify_checkpoint};

use crate::log::{Source, prove};

pub struct Options {
    pub log: String,
    pub log_key: String,
    pub key: PathBuf,
    pub state: PathBuf,
    pub submit: bool,
    pub every: Option<u64>,
}

/// Makes a witness key: the private key into `out` (readable by its owner only),
/// the public key printed for the log's administrator to register.
pub fn new_key(name: &str, out: &Path) -> anyhow::Result<String> {
    let signer = WitnessSigner::generate(&mut rand_core::OsRng, name)?;
    write_private(out, &signer.encode())?;
    Ok(signer.public().encode())
}

fn write_private(out: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(out)
        .with_context(|| format!("创建 {}（已有的文件不会被覆盖）", out.display()))?;
    writeln!(f, "{text}").with_context(|| format!("写入 {}", out.display()))
}

/// Runs rounds until one fails (once without `every`); returns whether all held.
pub async fn run(o: &Options) -> anyhow::Result<bool> {
    loop {
        if !round(o).await? {
            return Ok(false);
        }
        match o.every {
            None => return Ok(true),
            Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s.max(1))).await,
        }
    }
}

/// The note with the log's own signature only (a served checkpoint may carry
/// other witnesses' cosignatures).
fn log_signed(note: &str, origin: &str) -> String {
    let (body, sigs) = note.split_once("\n\n").unwrap_or((note, ""));
    let own: String = sigs
        .lines()
        .filter(|l| l.starts_with(&format!("— {origin} ")))
        .map(|l| format!("{l}\n"))
        .collect();
    format!("{body}\n\n{own}")
}

async fn round(o: &Options) -> anyhow::Result<bool> {
    let src = Source::parse(&o.log);
    let log_key = crate::log::key_text(&o.log_key)?;
    let signer = WitnessSigner::parse(
        &std::fs::read_to_string(&o.key)
            .with_context(|| format!("读取证人私钥 {}", o.key.display()))?,
    )?;
    let fetched = src
        .get("checkpoint")
        .await?
        .context("日志没有检查点（checkpoint）")?;
    let cp = verify_checkpoint(&log_key, &fetched).context("日志检查点的签名无效")?;
    let note = log_signed(
        std::str::from_utf8(&fetched).context("检查点不是 UTF-8 文本")?,
        cp.origin(),
    );
    if let Some(last) = read_state(&o.state)? {
        let old = verify_checkpoint(&log_key, last.as_bytes()).context("上次联署的检查点无效")?;
        if let Err(why) = grew(&src, &old, &cp).await? {
            let evidence = o
                .state
                .with_extension(format!("fork-{}.txt", chrono::Utc::now().timestamp()));
            std::fs::write(&evidence, format!("{last}\n{note}"))
                .with_context(|| format!("写入 {}", evidence.display()))?;
            eprintln!(
                "拒绝联署：{why}。两个检查点都有日志的签名，已保存为证据 {}；请报告监督部门。",
                evidence.display()
            );
            return Ok(false);
        }
    }
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let body = note.split("\n\n").next().unwrap_or_default().to_string() + "\n";
    let line = signer.cosign(body.as_bytes(), now);
    let cosigned = format!("{note}{line}");
    std::fs::write(&o.state, &cosigned).with_context(|| format!("写入 {}", o.state.display()))?;
    println!(
        "已联署：{} 第 {} 条时的检查点（根哈希 {}）",
        cp.origin(),
        cp.size(),
        cp.hash()
    );
    if o.submit {
        let Source::Url(base) = &src else {
            bail!("--submit 需要日志的网址");
        };
        let url = format!("{base}/cosignature");
        let r = crate::log::http()?
            .post(&url)
            .body(cosigned)
            .send()
            .await
            .with_context(|| format!("提交联署到 {url}"))?;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("日志拒绝了联署（{status}）：{}", text.trim());
        }
        println!("日志已接受联署：{}", text.trim());
    }
    Ok(true)
}

fn read_state(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("读取 {}", path.display())),
    }
}

/// Whether the log of `new` contains the log of `old`: `Err` says how it does not.
async fn grew(
    src: &Source,
    old: &Checkpoint,
    new: &Checkpoint,
) -> anyhow::Result<Result<(), String>> {
    if new.size() < old.size() {
        return Ok(Err(format!(
            "日志从 {} 条变为 {} 条",
            old.size(),
            new.size()
        )));
    }
    let tiles = Tiles::default();
    Ok(
        match prove(src, &tiles, |t| t.consistency(old, new)).await? {
            Ok(()) => Ok(()),
            Err(e) => Err(format!("新检查点与上次联署的不一致（{e:#}）")),
        },
    )
}
