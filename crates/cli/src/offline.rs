//! What runs without a database: a draw from an input file, the verification of a
//! record, and the file handling they share.

use std::process::ExitCode;

use anyhow::Context;

/// Writes `bytes` to `path` whole or not at all: a refused or interrupted draw must
/// never leave a half-written record behind.
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
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
pub(crate) fn held(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A file of at most `limit` bytes, refused before it is read if larger.
pub(crate) fn read_bounded(path: &std::path::Path, limit: u64) -> anyhow::Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("无法读取 {}", path.display()))?
        .len();
    if len > limit {
        anyhow::bail!("{} 过大（{len} 字节，上限 {limit}）", path.display());
    }
    read_file(path)
}

pub(crate) fn read_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("无法读取 {}", path.display()))
}

pub(crate) fn draw(
    input: &std::path::Path,
    out: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
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

pub(crate) fn verify(path: &std::path::Path, strict_beacons: bool) -> anyhow::Result<ExitCode> {
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
