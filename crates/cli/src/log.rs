//! `liancha log verify`: what anyone outside the installation can check of its
//! transparency log, from its public URLs or from a copy in a directory: the
//! checkpoint's signature, that it is consistent with one seen before (the log only
//! grew, it was not rewritten or forked), and with `--entries` that every entry is in
//! the tree and that no task was sealed twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use liancha_domain::transparency::{
    Checkpoint, Frontier, LogEntry, Proof, TILE_WIDTH, Tiles, split_bundle, verify_checkpoint,
};

/// The largest proof bundle read: its entries (at most `MAX_ENTRIES` of at most
/// `MAX_ENTRY_BYTES`, as JSON strings) and their proofs.
pub const MAX_BUNDLE: u64 = 256 << 20;

/// The largest file the log serves: an entry bundle of 256 entries of at most 8 KiB.
const MAX_FETCH: usize = 256 * (2 + liancha_domain::transparency::MAX_ENTRY_BYTES);

/// The one HTTP client (http:// and https://, the system's trusted roots): a log
/// that stops answering fails the check after a minute instead of hanging it.
/// Redirects are not followed: a log is read at the address given (an `https://`
/// log redirected to `http://` would lose what TLS gave).
pub fn http() -> anyhow::Result<&'static reqwest::Client> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let c = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("无法建立 HTTPS 客户端（系统根证书）")?;
    Ok(CLIENT.get_or_init(|| c))
}

/// Where the log is read: its base URL (`http://host/log`) or a directory laid
/// out the same way (`checkpoint`, `tile/…`).
pub enum Source {
    Url(String),
    Dir(PathBuf),
}

impl Source {
    pub fn parse(s: &str) -> Source {
        if s.starts_with("http://") || s.starts_with("https://") {
            Source::Url(s.trim_end_matches('/').to_string())
        } else {
            Source::Dir(PathBuf::from(s))
        }
    }

    /// The file at `rel`, `None` if the log does not have it.
    pub async fn get(&self, rel: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Source::Dir(d) => {
                let p = d.join(rel);
                match std::fs::metadata(&p) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e).with_context(|| format!("读取 {}", p.display())),
                    Ok(m) if m.len() > MAX_FETCH as u64 => bail!("{} 过大", p.display()),
                    Ok(_) => Ok(Some(
                        std::fs::read(&p).with_context(|| format!("读取 {}", p.display()))?,
                    )),
                }
            }
            Source::Url(base) => {
                let url = format!("{base}/{rel}");
                let mut r = http()?
                    .get(&url)
                    .send()
                    .await
                    .with_context(|| format!("下载 {url}"))?;
                if r.status() == reqwest::StatusCode::NOT_FOUND {
                    return Ok(None);
                }
                if r.status().is_redirection() {
                    bail!(
                        "下载 {url}：{}（日志须在给定地址，不跟随重定向）",
                        r.status()
                    );
                }
                if !r.status().is_success() {
                    bail!("下载 {url}：{}", r.status());
                }
                let mut body = Vec::new();
                while let Some(chunk) = r.chunk().await.with_context(|| format!("下载 {url}"))? {
                    if body.len() + chunk.len() > MAX_FETCH {
                        bail!("{url} 过大");
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Some(body))
            }
        }
    }
}

/// Runs a proof, fetching the tiles it asks for until it has them all. The outer
/// error is a fetch that failed; the inner one, a proof that does not hold.
pub async fn prove(
    src: &Source,
    tiles: &Tiles,
    mut f: impl FnMut(&Tiles) -> Result<(), Proof>,
) -> anyhow::Result<Result<(), Proof>> {
    loop {
        match f(tiles) {
            Err(Proof::Need(paths)) => {
                for p in paths {
                    let data = src
                        .get(&p)
                        .await?
                        .with_context(|| format!("日志缺少分片 {p}"))?;
                    if let Err(e) = tiles.add(&p, data) {
                        return Ok(Err(e));
                    }
                }
            }
            r => return Ok(r),
        }
    }
}

fn read_checkpoint(key: &str, bytes: &[u8], what: &str) -> anyhow::Result<Checkpoint> {
    verify_checkpoint(key, bytes).with_context(|| format!("{what}未通过校验"))
}

pub struct Options {
    pub log: String,
    pub key: String,
    /// The log's SM2 verifier key (国密), where it signs with SM2 too.
    pub sm2_key: Option<String>,
    pub old: Option<PathBuf>,
    pub save: Option<PathBuf>,
    pub entries: bool,
}

/// Returns whether everything held.
pub async fn verify(o: &Options) -> anyhow::Result<bool> {
    let src = Source::parse(&o.log);
    let key = key_text(&o.key)?;
    let note = src
        .get("checkpoint")
        .await?
        .context("日志没有检查点（checkpoint）")?;
    let cp = read_checkpoint(&key, &note, "日志的最新检查点")?;
    println!(
        "检查点签名有效：{}，共 {} 条，根哈希 {}",
        cp.origin(),
        cp.size(),
        cp.hash()
    );
    let mut ok = true;
    if let Some(k) = &o.sm2_key {
        let verifier = liancha_domain::sm2_note::Sm2Verifier::parse(&key_text(k)?)?;
        match verifier.verify(&note) {
            Ok(()) => println!(
                "国密 SM2 签名有效（SM2/SM3，{}）{}。",
                verifier.name(),
                if liancha_domain::sm2_note::sm3_root_of(cp.extension()).is_some() {
                    "，检查点载有 SM3 根"
                } else {
                    ""
                }
            ),
            Err(e) => {
                println!("国密 SM2 签名不成立：{e}。");
                ok = false;
            }
        }
    }
    let tiles = Tiles::default();
    if let Some(old) = &o.old {
        let bytes = std::fs::read(old).with_context(|| format!("读取 {}", old.display()))?;
        let before = read_checkpoint(&key, &bytes, "旧检查点")?;
        match prove(&src, &tiles, |t| t.consistency(&before, &cp)).await? {
            Ok(()) => println!(
                "一致：当前日志（{} 条）包含旧检查点（{} 条）的全部条目，未被改写。",
                cp.size(),
                before.size()
            ),
            Err(e) => {
                println!("不一致：{e:#}。日志被改写或分叉；请保留两个检查点作为证据。");
                ok = false;
            }
        }
    }
    if o.entries {
        ok &= check_entries(&src, &cp).await?;
    }
    if let Some(save) = &o.save
        && ok
    {
        std::fs::write(save, &note).with_context(|| format!("写入 {}", save.display()))?;
        println!("已保存当前检查点到 {}，下次以 --old 核对。", save.display());
    }
    Ok(ok)
}

/// Every entry of the log of `cp`, from its bundles; `Err` unless the tree they
/// make has the checkpoint's root (then every entry is proven in the log).
pub async fn entries(
    src: &Source,
    cp: &Checkpoint,
) -> anyhow::Result<Result<Vec<LogEntry>, String>> {
    let size = cp.size();
    let mut tree = Frontier::default();
    // Where the checkpoint states an SM3 root (国密), it is recomputed as well.
    let sm3_stated = liancha_domain::sm2_note::sm3_root_of(cp.extension());
    let mut sm3 = liancha_domain::sm2_note::Sm3Frontier::default();
    let mut out = Vec::new();
    let mut n = 0;
    while n * TILE_WIDTH < size {
        let width = (size - n * TILE_WIDTH).min(TILE_WIDTH);
        let path = bundle_path(n, width);
        let bundle = src
            .get(&path)
            .await?
            .with_context(|| format!("日志缺少 {path}"))?;
        let bundle_entries = split_bundle(&bundle)?;
        if bundle_entries.len() as u64 != width {
            bail!("{path} 应有 {width} 条，实有 {} 条", bundle_entries.len());
        }
        for (i, data) in bundle_entries.into_iter().enumerate() {
            tree.append(data);
            if sm3_stated.is_some() {
                sm3.append(data);
            }
            out.push(
                LogEntry::parse(data)
                    .with_context(|| format!("第 {} 条", n * TILE_WIDTH + i as u64))?,
            );
        }
        n += 1;
    }
    if tree.root() != *cp.hash() {
        return Ok(Err(format!(
            "条目重新计算的根哈希 {} 与检查点不符",
            tree.root()
        )));
    }
    if sm3_stated.is_some_and(|r| r != sm3.root()) {
        return Ok(Err("条目重新计算的 SM3 根与检查点所载不符".into()));
    }
    Ok(Ok(out))
}

/// Every entry: read from the bundles, the tree they make has the checkpoint's
/// root, each parses, and no task has two sealings.
async fn check_entries(src: &Source, cp: &Checkpoint) -> anyhow::Result<bool> {
    let all = match entries(src, cp).await? {
        Ok(all) => all,
        Err(why) => {
            println!("不一致：{why}。");
            return Ok(false);
        }
    };
    let mut kinds: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut sealed: BTreeMap<(String, i64), Vec<u64>> = BTreeMap::new();
    for (index, e) in all.iter().enumerate() {
        *kinds.entry(e.kind()).or_default() += 1;
        if e.kind() == "task.sealed"
            && let Some(t) = e.task()
        {
            sealed
                .entry((e.county.clone(), t))
                .or_default()
                .push(index as u64);
        }
    }
    println!("全部 {} 条在树中，根哈希与检查点相同。", cp.size());
    for (k, c) in &kinds {
        println!(
            "  {}（{k}）：{c} 条",
            liancha_domain::transparency::kind_label(k)
        );
    }
    let twice: Vec<_> = sealed.iter().filter(|(_, v)| v.len() > 1).collect();
    for ((county, task), at) in &twice {
        println!(
            "警告：{county} 的任务 {task} 被封存了 {} 次（第 {at:?} 条）。",
            at.len()
        );
    }
    Ok(twice.is_empty())
}

/// `liancha verify RECORD --log …`: the record's plan was sealed in the log before
/// any of its sources could be known, its draw is the one the log committed to, and
/// what else the county cancelled is shown beside it. Returns whether it all held.
pub async fn check_record(log: &str, key: &str, record: &[u8]) -> anyhow::Result<bool> {
    let src = Source::parse(log);
    let key = key_text(key)?;
    let note = src
        .get("checkpoint")
        .await?
        .context("日志没有检查点（checkpoint）")?;
    let cp = read_checkpoint(&key, &note, "日志的检查点")?;
    let record = liancha_draw::Record::parse(record).context("抽取记录无法读取")?;
    let all = match entries(&src, &cp).await? {
        Ok(all) => all,
        Err(why) => {
            println!("透明日志不一致：{why}。");
            return Ok(false);
        }
    };
    println!(
        "透明日志：{}，共 {} 条，检查点签名有效、条目与根哈希一致。",
        cp.origin(),
        cp.size()
    );
    let indexed: Vec<(u64, &LogEntry)> = (0..).zip(&all).collect();
    Ok(report_record(&indexed, &record))
}

/// `liancha verify RECORD --bundle FILE`: the same, from a proof bundle (the
/// entries it holds, each proven in the tree of its signed checkpoint), without
/// fetching the log. A bundle cannot prove what is not in it: that is said.
pub fn check_record_bundle(
    bundle: &[u8],
    key: &str,
    witnesses: &[String],
    record: &[u8],
) -> anyhow::Result<bool> {
    let key = key_text(key)?;
    let witnesses = witnesses
        .iter()
        .map(|w| {
            Ok(liancha_domain::cosignature::WitnessKey::parse(&key_text(
                w,
            )?)?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let record = liancha_draw::Record::parse(record).context("抽取记录无法读取")?;
    let bundle = match liancha_domain::log_proof::ProofBundle::parse(bundle) {
        Ok(b) => b,
        Err(e) => bail!("证明包无法读取：{e}"),
    };
    let (cp, entries) = match bundle.check(&key) {
        Ok(checked) => checked,
        Err(e) => {
            println!("证明包不成立：{e}。");
            return Ok(false);
        }
    };
    println!(
        "证明包：透明日志 {}，检查点 {} 条、签名有效；所含 {} 条均经包含证明在该检查点的树中。",
        cp.origin(),
        cp.size(),
        entries.len()
    );
    // Whom the checkpoint was shown to: a reader who trusts a witness knows the log
    // showed everyone this tree, not one made for this bundle.
    let mut held = true;
    if !witnesses.is_empty() {
        let (_, found) = liancha_domain::cosignature::cosignatures(
            &key,
            bundle.checkpoint.as_bytes(),
            &witnesses,
        )?;
        for w in &witnesses {
            match found.iter().find(|(name, _)| *name == w.name()) {
                Some((name, time)) => println!(
                    "证人 {name} 联署了该检查点（{}）。",
                    liancha_draw::time::format_rfc3339_utc(*time as i64)
                ),
                None => {
                    println!("不一致：证人 {} 没有联署该检查点。", w.name());
                    held = false;
                }
            }
        }
    } else {
        println!("（未指定 --witness：检查点的证人联署未核对。）");
    }
    let indexed: Vec<(u64, &LogEntry)> = entries.iter().map(|(i, e)| (*i, e)).collect();
    let held = report_record(&indexed, &record) && held;
    println!(
        "说明：证明包只含平台选出的条目，能证明它们在日志中，不能证明日志中没有同一任务的其他封存；要检查这一点，请用 --log 读取全部条目。"
    );
    Ok(held)
}

/// Says what the entries show of `record`; whether it all held.
fn report_record(entries: &[(u64, &LogEntry)], record: &liancha_draw::Record) -> bool {
    let digest = record.plan_digest_hex();
    let record_digest = liancha_draw::hex::encode(&liancha_draw::digest_value(&record.to_value()));
    let found =
        liancha_domain::transparency::RecordInLog::find_in(entries, &digest, &record_digest);
    let Some((index, at)) = &found.sealed else {
        println!("不一致：日志中没有方案摘要为 {digest} 的封存条目。");
        return false;
    };
    println!("方案封存记入日志第 {index} 条，时间 {at}。");
    for (i, (text, not_before, before)) in found.sources.iter().enumerate() {
        if *before {
            println!(
                "  随机源 {}「{text}」：封存早于其最早揭示时间 {not_before}。",
                i + 1
            );
        } else {
            println!(
                "  不一致：随机源 {}「{text}」的最早揭示时间 {not_before} 不晚于封存时间。",
                i + 1
            );
        }
    }
    if !found.resealed.is_empty() {
        println!(
            "  不一致：同一任务在日志中又被封存（第 {:?} 条）。",
            found.resealed
        );
    }
    match &found.drawn {
        Some((_, true)) => println!("  抽取记录与日志在抽取时记下的摘要一致。"),
        Some((d, false)) => {
            println!("  不一致：抽取记录的摘要 {record_digest} 与日志记下的 {d} 不同。")
        }
        None => println!(
            "  不一致：日志中没有本方案的抽取条目（抽取记录只在抽取时产生，抽取与其日志条目同时写入）。"
        ),
    }
    for c in &found.cancelled {
        let when = if c.after_draw {
            "抽取后取消"
        } else {
            "抽取前取消"
        };
        println!(
            "  同县已取消的任务 {}（{}，{when}）：{}",
            c.task, c.at, c.reason
        );
    }
    found.holds()
}

/// Writes every file of the log under `dir`; returns its size.
pub async fn export(
    store: &liancha_store::Store,
    dir: &Path,
    size: Option<u64>,
) -> anyhow::Result<u64> {
    let write = |rel: &str, data: &[u8]| -> anyhow::Result<()> {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("创建 {}", parent.display()))?;
        }
        std::fs::write(&p, data).with_context(|| format!("写入 {}", p.display()))
    };
    let key = store.log_key().await?;
    write("key", format!("{}\n", key.verifier).as_bytes())?;
    let note = match size {
        Some(n) => store
            .log_checkpoint_at(n)
            .await?
            .with_context(|| format!("日志没有大小为 {n} 的检查点"))?,
        None => match store.log_checkpoint().await? {
            Some(note) => note,
            None => return Ok(0),
        },
    };
    let body = format!("{}\n", note.split("\n\n").next().unwrap_or_default());
    let cp =
        Checkpoint::from_bytes(body.as_bytes()).map_err(|_| anyhow::anyhow!("检查点格式不正确"))?;
    let size = cp.size();
    // The tiles of exactly this checkpoint's tree (read before it could move on).
    for t in liancha_domain::transparency::Tile::new_tiles(
        liancha_domain::transparency::TILE_HEIGHT,
        0,
        size,
    ) {
        let data = store
            .log_hash_tile(t.level(), t.level_index(), t.width())
            .await?
            .with_context(|| format!("缺少分片 {}", Tiles::path(&t)))?;
        write(&Tiles::path(&t), &data)?;
        if t.level() == 0 {
            let bundle = store
                .log_entry_bundle(t.level_index(), t.width())
                .await?
                .context("缺少条目")?;
            write(&bundle_path(t.level_index(), u64::from(t.width())), &bundle)?;
        }
    }
    write("checkpoint", note.as_bytes())?;
    Ok(size)
}

fn bundle_path(n: u64, width: u64) -> String {
    let t = liancha_domain::transparency::Tile::new(
        liancha_domain::transparency::TILE_HEIGHT,
        0,
        n,
        width as u32,
        false,
    );
    // A hash tile's path at level 0 with `entries` in place of the level.
    Tiles::path(&t).replacen("tile/0/", "tile/entries/", 1)
}

/// A key given inline (`origin+id+…`) or as a file holding it.
pub fn key_text(key: &str) -> anyhow::Result<String> {
    if key.contains('+') {
        return Ok(key.trim().to_string());
    }
    let text =
        std::fs::read_to_string(Path::new(key)).with_context(|| format!("读取公钥文件 {key}"))?;
    Ok(text.trim().to_string())
}

#[cfg(test)]
mod tests {
    /// A checkpoint whose SM3 line is not the SM3 root of its entries (signed by
    /// the log, so only recomputing finds it) fails the entries check; the right
    /// line passes.
    #[tokio::test]
    async fn a_wrong_sm3_root_is_found_by_recomputing() {
        use liancha_domain::sm2_note::{Sm3Frontier, sm3_root_line};
        use liancha_domain::transparency::{
            Frontier, generate_key, push_bundle, sign_checkpoint_with, verify_checkpoint,
        };
        let (signer, verifier) = generate_key(&mut rand_core::OsRng, "t.example/log").unwrap();
        let entries: Vec<Vec<u8>> = (0..3)
            .map(|task| {
                super::LogEntry {
                    county: "532323".into(),
                    at: "2026-12-06T00:00:00Z".into(),
                    audit: None,
                    event: liancha_domain::transparency::LogEvent::Published {
                        task,
                        plan_digest: "p".into(),
                    },
                }
                .to_bytes()
                .unwrap()
            })
            .collect();
        let (mut tree, mut sm3, mut bundle) = (Frontier::default(), Sm3Frontier::default(), vec![]);
        for e in &entries {
            tree.append(e);
            sm3.append(e);
            push_bundle(&mut bundle, e);
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(super::bundle_path(0, 3));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &bundle).unwrap();
        let src = super::Source::Dir(dir.path().to_path_buf());
        for (root, holds) in [(sm3.root(), true), ([9u8; 32], false)] {
            let note = sign_checkpoint_with(
                &signer,
                "t.example/log",
                3,
                tree.root(),
                &sm3_root_line(&root),
            )
            .unwrap();
            let cp = verify_checkpoint(&verifier, note.as_bytes()).unwrap();
            let r = super::entries(&src, &cp).await.unwrap();
            assert_eq!(r.is_ok(), holds, "{:?}", r.err());
        }
    }

    #[test]
    fn bundle_paths_are_c2sp() {
        assert_eq!(super::bundle_path(0, 256), "tile/entries/000");
        assert_eq!(super::bundle_path(1234, 5), "tile/entries/x001/234.p/5");
    }
}
