//! The `liancha` binary as users run it: exit codes, messages, files left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn liancha(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_liancha"))
        .args(args)
        .env_remove("LIANCHA_DB")
        .output()
        .expect("run liancha")
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../draw/tests/vectors")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn verify_accepts_every_genuine_vector() {
    for name in [
        "small",
        "total",
        "no-teams",
        "unassigned",
        "cap-binds",
        "total-tie",
        "chinese-reveal",
    ] {
        let o = liancha(&[
            "verify",
            vectors().join(format!("{name}.json")).to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{name}: {}", stdout(&o));
        assert!(stdout(&o).starts_with("一致"), "{name}");
    }
}

#[test]
fn verify_names_the_first_difference() {
    let o = liancha(&[
        "verify",
        vectors().join("tampered-order.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("result.selected[0].id"),
        "{}",
        stdout(&o)
    );
    let o = liancha(&[
        "verify",
        vectors().join("tampered-plan.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("plan_digest"), "{}", stdout(&o));
}

#[test]
fn verify_refuses_malformed_input_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("a.json", "{\"a\":"),
        ("b.json", "{\"format\":\"other/1\"}"),
        ("c.json", ""),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let o = liancha(&["verify", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        assert!(stdout(&o).contains("无法验证"), "{name}: {}", stdout(&o));
        assert!(!stderr(&o).contains("panicked"), "{name}");
    }
    let o = liancha(&["verify", "/nonexistent/record.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("无法读取"));
}

#[test]
fn strict_beacons_rejects_placeholder_signatures() {
    let o = liancha(&[
        "verify",
        "--strict-beacons",
        vectors().join("small.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

/// The input of a draw is a record without what the draw produces.
fn input_of(record: &Path, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(record).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let obj = v.as_object_mut().unwrap();
    for k in ["plan_digest", "seed", "result"] {
        obj.remove(k);
    }
    let p = dir.join("input.json");
    std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    p
}

#[test]
fn draw_reproduces_a_vector_and_verify_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let vector = vectors().join("chinese-reveal.json");
    let input = input_of(&vector, dir.path());
    let out = dir.path().join("record.json");
    let o = liancha(&[
        "draw",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let theirs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&vector).unwrap()).unwrap();
    assert_eq!(ours, theirs);
    // Without --out the record goes to standard output.
    let o = liancha(&["draw", input.to_str().unwrap()]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(),
        theirs
    );
    assert!(liancha(&["verify", out.to_str().unwrap()]).status.success());
}

#[test]
fn refused_draws_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (file, code) in [
        (
            "error-not-enough-inspectors.input.json",
            "not-enough-inspectors",
        ),
        ("error-duplicate-entity.input.json", "invalid-plan"),
        ("error-stratum-twice.input.json", "invalid-plan"),
        ("error-fraction.input.json", "invalid-json"),
        ("error-reveal-length.input.json", "reveal-mismatch"),
        ("error-team-size-1.input.json", "invalid-plan"),
        ("error-unknown-key.input.json", "invalid-plan"),
        ("error-null.input.json", "invalid-plan"),
    ] {
        let out = dir.path().join(format!("{file}.record"));
        let o = liancha(&[
            "draw",
            vectors().join(file).to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{file}");
        let err = stderr(&o);
        assert!(err.contains(code), "{file}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one-line reason: {err}");
        assert!(!out.exists(), "{file}: nothing written");
        assert!(o.stdout.is_empty(), "{file}");
    }
}

#[test]
fn import_error_names_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    assert!(liancha(&["--db", &db, "demo"]).status.success());
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "统一社会信用代码,名称,类型,乡镇\n91350100M000100Y44,某公司,企业,共和镇\n",
    )
    .unwrap();
    // The demo has two counties: an import names the one it is for.
    let o = liancha(&["--db", &db, "import", "entities", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--county 532323"), "{}", stderr(&o));
    let o = liancha(&[
        "--db",
        &db,
        "--county",
        "532399",
        "import",
        "entities",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("532399 不存在"), "{}", stderr(&o));
    let o = liancha(&[
        "--db",
        &db,
        "--county",
        "532323",
        "import",
        "entities",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad.csv 第 2 行 A 列（统一社会信用代码）"),
        "{}",
        stderr(&o)
    );
    let tpl = dir.path().join("t.xlsx");
    assert!(
        liancha(&[
            "--db",
            &db,
            "export",
            "template",
            "entities",
            tpl.to_str().unwrap()
        ])
        .status
        .success()
    );
    assert!(tpl.exists());
}

#[test]
fn backup_writes_a_database_that_opens_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    assert!(liancha(&["--db", &db, "demo"]).status.success());
    let copy = dir.path().join("copy.db");
    let o = liancha(&["--db", &db, "backup", copy.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("已备份到"), "{}", stdout(&o));
    // The copy is a whole database: the users of the demo are in it.
    let restored = format!("sqlite://{}", copy.display());
    let o = liancha(&["--db", &restored, "user", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("bianban"), "{}", stdout(&o));
    let again = liancha(&["--db", &db, "backup", copy.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("已存在"), "{}", stderr(&again));
}

/// A new demo database in a temporary directory, and its log's verifier key.
fn demo_with_log() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    assert!(liancha(&["--db", &db, "demo"]).status.success());
    let o = liancha(&["--db", &db, "log", "key"]);
    let key = stdout(&o).lines().last().unwrap().to_string();
    (dir, db, key)
}

/// Changes one byte of an entry in an exported log (its county code), after the fact.
fn change_an_entry(log: &Path) {
    let mut dir = log.join("tile/entries");
    let bundle = loop {
        let next = std::fs::read_dir(&dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        if next.is_file() {
            break next;
        }
        dir = next;
    };
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.windows(6).position(|w| w == b"532323").unwrap();
    bytes[at + 5] = b'4';
    std::fs::write(&bundle, &bytes).unwrap();
}

/// The demo's transparency log, mirrored to a directory, checks out from it with
/// only the key; a checkpoint saved then is consistent with the log; one changed
/// byte in an entry, or another key, fails the check (exit 1), without a panic.
#[test]
fn the_log_mirrors_to_a_directory_and_verifies() {
    let (dir, db, key) = demo_with_log();
    let log = dir.path().join("log");
    let log_s = log.to_str().unwrap();
    let o = liancha(&["--db", &db, "log", "export", log_s]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(log.join("key")).unwrap().trim(),
        key
    );
    let saved = dir.path().join("seen");
    let saved_s = saved.to_str().unwrap();
    let o = liancha(&[
        "log",
        "verify",
        "--log",
        log_s,
        "--key",
        &key,
        "--entries",
        "--save",
        saved_s,
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("根哈希与检查点相同"), "{}", stdout(&o));
    assert!(stdout(&o).contains("task.sealed"), "{}", stdout(&o));
    let o = liancha(&[
        "log", "verify", "--log", log_s, "--key", &key, "--old", saved_s,
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("一致"), "{}", stdout(&o));

    // Another key: the checkpoint is not this log's.
    let other = "liancha.local/log+a9ef5998+AVhmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZm";
    let o = liancha(&["log", "verify", "--log", log_s, "--key", other]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("未通过校验"), "{}", stderr(&o));
    // One entry changed after the fact.
    change_an_entry(&log);
    let o = liancha(&["log", "verify", "--log", log_s, "--key", &key, "--entries"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("不一致"), "{}", stdout(&o));
}

/// A witness follows the log as it grows (consistency proven from the tiles of
/// each newer copy), and refuses a log that shrank: the evidence is kept and it
/// stops with exit 1.
#[test]
fn a_witness_follows_the_log_and_refuses_a_rollback() {
    let (dir, db, key) = demo_with_log();
    let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    for (name, size) in [("early", Some("7")), ("later", Some("30")), ("now", None)] {
        let mut args = vec!["--db", &db, "log", "export"];
        let out = path(name);
        args.push(&out);
        if let Some(n) = size {
            args.extend(["--size", n]);
        }
        let o = liancha(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = liancha(&["witness", "key", "chuxiong-notary", "--out", &path("w.key")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = stdout(&o).lines().last().unwrap().to_string();
    assert!(public.starts_with("chuxiong-notary+"), "{public}");
    // The key file is never overwritten.
    let again = liancha(&["witness", "key", "chuxiong-notary", "--out", &path("w.key")]);
    assert_eq!(again.status.code(), Some(1));
    let o = liancha(&["--db", &db, "log", "add-witness", &public]);
    assert!(o.status.success(), "{}", stderr(&o));

    let run = |log: &str| {
        liancha(&[
            "witness",
            "run",
            "--log",
            &path(log),
            "--log-key",
            &key,
            "--key",
            &path("w.key"),
            "--state",
            &path("seen"),
        ])
    };
    for log in ["early", "later", "later", "now"] {
        let o = run(log);
        assert!(o.status.success(), "{log}: {}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains("已联署"), "{}", stdout(&o));
    }
    let o = run("early");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("拒绝联署"), "{}", stderr(&o));
    // Another log key: nothing is cosigned.
    let other = "liancha.local/log+a9ef5998+AVhmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZm";
    let o = liancha(&[
        "witness",
        "run",
        "--log",
        &path("now"),
        "--log-key",
        other,
        "--key",
        &path("w.key"),
        "--state",
        &path("seen-other"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(!dir.path().join("seen-other").exists());
    // A mirror whose hash tile was changed cannot prove it holds what was cosigned.
    let o = liancha(&[
        "witness",
        "run",
        "--log",
        &path("later"),
        "--log-key",
        &key,
        "--key",
        &path("w.key"),
        "--state",
        &path("seen-2"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The demo's log fits in one partial tile.
    let tile = std::fs::read_dir(dir.path().join("now/tile/0/000.p"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&tile, &bytes).unwrap();
    let o = liancha(&[
        "witness",
        "run",
        "--log",
        &path("now"),
        "--log-key",
        &key,
        "--key",
        &path("w.key"),
        "--state",
        &path("seen-2"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("拒绝联署"), "{}", stderr(&o));
    let evidence = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains("fork-"));
    assert!(evidence, "the two checkpoints are kept");
}

/// A published record checked against the log: its plan sealed before its source,
/// the record the one the log committed to, and the county's task cancelled before
/// it (the demo's plan that was redone) reported. Another key, or an entry changed
/// in the log, and verify fails.
#[test]
fn verify_checks_a_record_against_the_log() {
    let (dir, db, key) = demo_with_log();
    let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    assert!(
        liancha(&["--db", &db, "log", "export", &path("log")])
            .status
            .success()
    );
    // The demo's task 7 was set up again after task 6 was cancelled.
    let o = liancha(&[
        "--db",
        &db,
        "--county",
        "532323",
        "export",
        "record",
        "7",
        &path("r7.json"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Record 7 checked against `--log DIR` or `--bundle FILE` with a key.
    let check = |how: &str, source: &str, key: &str| {
        liancha(&[
            "verify",
            &path("r7.json"),
            how,
            &path(source),
            "--log-key",
            key,
        ])
    };
    // What a check that held says of record 7, from the whole log or a bundle.
    let held = |o: &Output| {
        assert!(o.status.success(), "{}{}", stdout(o), stderr(o));
        let out = stdout(o);
        assert!(out.contains("封存早于其最早揭示时间"), "{out}");
        assert!(
            out.contains("抽取记录与日志在抽取时记下的摘要一致"),
            "{out}"
        );
        assert!(out.contains("同县已取消的任务 6"), "{out}");
        out
    };
    let out = held(&check("--log", "log", &key));
    assert!(out.contains("方案封存记入日志第"), "{out}");

    let other = "liancha.local/log+a9ef5998+AVhmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZm";
    let o = check("--log", "log", other);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));

    // The same from a proof bundle, without the log; what a bundle cannot show is
    // said. A bundle whose entry was changed, or checked with another key, fails.
    let o = liancha(&["--db", &db, "log", "bundle", "7", &path("b7.json")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bundle_check = |key: &str| check("--bundle", "b7.json", key);
    let out = held(&bundle_check(&key));
    assert!(out.contains("均经包含证明"), "{out}");
    assert!(
        out.contains("不能证明日志中没有同一任务的其他封存"),
        "{out}"
    );
    assert_eq!(bundle_check(other).status.code(), Some(1));
    let text = std::fs::read_to_string(path("b7.json")).unwrap();
    // A bundle that leaves the draw entry out does not vouch for the record.
    let mut undrawn: serde_json::Value = serde_json::from_str(&text).unwrap();
    undrawn["entries"]
        .as_array_mut()
        .unwrap()
        .retain(|e| !e["entry"].as_str().unwrap().contains("task.drawn"));
    std::fs::write(path("b7.json"), undrawn.to_string()).unwrap();
    let o = bundle_check(&key);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("没有本方案的抽取条目"),
        "{}",
        stdout(&o)
    );
    std::fs::write(path("b7.json"), &text).unwrap();
    let mut b: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = b["entries"][0]["entry"]
        .as_str()
        .unwrap()
        .replace("532323", "532324");
    b["entries"][0]["entry"] = first.into();
    std::fs::write(path("b7.json"), b.to_string()).unwrap();
    let o = bundle_check(&key);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("证明包不成立"), "{}", stdout(&o));
    let o = liancha(&["verify", &path("r7.json"), "--log-key", &key]);
    assert_eq!(o.status.code(), Some(1), "a key without a log or bundle");

    change_an_entry(&dir.path().join("log"));
    let o = check("--log", "log", &key);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("不一致"), "{}", stdout(&o));
    // A task never drawn has no record.
    let o = liancha(&[
        "--db",
        &db,
        "--county",
        "532323",
        "export",
        "record",
        "999",
        &path("x.json"),
    ]);
    assert_eq!(o.status.code(), Some(1));
}

/// The log read over HTTPS with the system's trusted roots (here a test CA named
/// by `SSL_CERT_FILE`, served by `openssl s_server -WWW`): it verifies; the same
/// server with a certificate nobody trusts is refused, without a panic.
#[test]
fn the_log_verifies_over_https() {
    let (dir, db, key) = demo_with_log();
    let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    std::fs::create_dir(path("www")).unwrap();
    assert!(
        liancha(&["--db", &db, "log", "export", &path("www/log")])
            .status
            .success()
    );
    // A test CA, and the server's certificate for localhost signed by it.
    let openssl = |args: &[&str]| {
        let o = std::process::Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl is installed (Debian's openssl package)");
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
    ];
    let (ca, ca_key) = (path("ca.pem"), path("ca.key"));
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-subj",
                "/CN=liancha test CA",
                "-keyout",
                &ca_key,
                "-out",
                &ca,
            ],
            &["-addext", "basicConstraints=critical,CA:TRUE"],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &["-subj", "/CN=localhost", "-CA", &ca, "-CAkey", &ca_key],
            &["-addext", "subjectAltName=DNS:localhost"],
            &["-addext", "basicConstraints=critical,CA:FALSE"],
            &["-keyout", &path("key.pem"), "-out", &path("cert.pem")],
        ]
        .concat(),
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = std::process::Command::new("openssl")
        .args(["s_server", "-WWW", "-quiet", "-accept"])
        .arg(port.to_string())
        .args(["-cert", &path("cert.pem"), "-key", &path("key.pem")])
        .current_dir(path("www"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Kill(server);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "s_server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let url = format!("https://localhost:{port}/log");
    let verify = |trusted: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_liancha"));
        c.args(["log", "verify", "--log", &url, "--key", &key, "--entries"]);
        if trusted {
            c.env("SSL_CERT_FILE", &ca);
        } else {
            c.env("SSL_CERT_FILE", path("www/log/key"));
        }
        c.output().unwrap()
    };
    let o = verify(true);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("根哈希与检查点相同"), "{}", stdout(&o));
    let o = verify(false);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains(&url), "{}", stderr(&o));
}

/// An installation whose 密评 requires 国密: SM2 turned on before the demo's year,
/// every checkpoint then carries an SM2 signature and the SM3 root of the same
/// entries. `log verify --sm2-key` checks both; another SM2 key, or an entry
/// changed, fails; turning it on twice is refused.
#[test]
fn the_log_is_also_signed_with_sm2() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    let o = liancha(&["--db", &db, "log", "sm2-key"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sm2 = stdout(&o).lines().last().unwrap().to_string();
    assert!(sm2.starts_with("liancha.local/log+"), "{sm2}");
    assert_eq!(
        liancha(&["--db", &db, "log", "sm2-key"]).status.code(),
        Some(1)
    );
    assert!(liancha(&["--db", &db, "demo"]).status.success());
    let o = liancha(&["--db", &db, "log", "key"]);
    assert!(stdout(&o).contains(&sm2), "{}", stdout(&o));
    let key = stdout(&o).lines().last().unwrap().to_string();
    assert!(
        liancha(&["--db", &db, "log", "export", &path("log")])
            .status
            .success()
    );
    let verify = |sm2: &str| {
        liancha(&[
            "log",
            "verify",
            "--log",
            &path("log"),
            "--key",
            &key,
            "--sm2-key",
            sm2,
            "--entries",
        ])
    };
    let o = verify(&sm2);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("国密 SM2 签名有效"), "{}", stdout(&o));
    assert!(stdout(&o).contains("载有 SM3 根"), "{}", stdout(&o));
    let checkpoint = std::fs::read_to_string(path("log/checkpoint")).unwrap();
    assert!(
        checkpoint.lines().nth(3).unwrap().starts_with("sm3 "),
        "{checkpoint}"
    );

    let other = {
        let dir2 = tempfile::tempdir().unwrap();
        let db2 = format!("sqlite://{}", dir2.path().join("t.db").display());
        let o = liancha(&["--db", &db2, "log", "sm2-key"]);
        stdout(&o).lines().last().unwrap().to_string()
    };
    let o = verify(&other);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("国密 SM2 签名不成立"), "{}", stdout(&o));
    change_an_entry(&dir.path().join("log"));
    let o = verify(&sm2);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

#[test]
fn counties_are_added_from_the_top_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let o = liancha(&["--db", &db, "county", "add", "532324", "南华县"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("尚未建立"), "{}", stderr(&o));
    let o = liancha(&[
        "--db",
        &db,
        "county",
        "add",
        "53",
        "云南省",
        "5323",
        "楚雄彝族自治州",
        "532324",
        "南华县",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("已建立县（市、区）级 532324 南华县"),
        "{}",
        stdout(&o)
    );
    let o = liancha(&["--db", &db, "county", "add", "53232", "某县"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("2、4 或 6 位"), "{}", stderr(&o));
    let o = liancha(&["--db", &db, "county", "add", "532325"]);
    assert_ne!(o.status.code(), Some(0));
    let o = liancha(&["--db", &db, "county", "list"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        "530000 云南省\n  532300 楚雄彝族自治州\n    532324 南华县\n"
    );
}

/// A new county set up from the command line, as a province rolls out by script: the
/// tree, its townships, departments and rule books from files, its first account,
/// and every list exported back.
#[test]
fn a_county_is_set_up_by_script() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        let o = liancha(&all);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    run(&[
        "county",
        "add",
        "53",
        "云南省",
        "5323",
        "楚雄彝族自治州",
        "532325",
        "姚安县",
    ]);
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let towns = write(
        "乡镇.csv",
        "乡镇代码,乡镇名称\n532325100,栋川镇\n532325101,光禄镇\n532325102,前场镇\n",
    );
    let depts = write(
        "部门.csv",
        "部门代码,部门名称,领域\namr,姚安县市场监督管理局,市场监管\nagri,姚安县农业农村局,农业\n",
    );
    let books = write(
        "实施细则.csv",
        "领域,A类抽查比例,B类抽查比例,C类抽查比例,D类抽查比例,年度检查上限,公示期限,检查组最少人数,回避本人所在乡镇\n\
         市场监管,3,5,10,20,2,20,2,是\n农业,2.5,5,10,30,2,15,2,否\n",
    );
    let out = run(&["--county", "532325", "import", "townships", &towns]);
    assert!(out.contains("共 3 行，新增 3"), "{out}");
    run(&["--county", "532325", "import", "departments", &depts]);
    run(&["--county", "532325", "import", "rule-books", &books]);
    // Again: nothing new, nothing doubled.
    let out = run(&["--county", "532325", "import", "townships", &towns]);
    assert!(out.contains("新增 0"), "{out}");
    // A township of another county is refused, and nothing of its file is kept.
    let wrong = write(
        "错.csv",
        "乡镇代码,乡镇名称\n532325103,弥兴镇\n532323100,共和镇\n",
    );
    let o = liancha(&[
        "--db",
        &db,
        "--county",
        "532325",
        "import",
        "townships",
        &wrong,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("532323100"), "{}", stderr(&o));
    // A bad ratio names its row and column.
    let bad = write(
        "坏.csv",
        "领域,A类抽查比例,B类抽查比例,C类抽查比例,D类抽查比例,年度检查上限,公示期限,检查组最少人数\n市场监管,300,5,10,20,2,20,2\n",
    );
    let o = liancha(&[
        "--db",
        &db,
        "--county",
        "532325",
        "import",
        "rule-books",
        &bad,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("第 2 行 B 列"), "{}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_liancha"))
        .args([
            "--db",
            &db,
            "--county",
            "532325",
            "user",
            "add",
            "yaoan-admin",
            "--role",
            "admin",
        ])
        .env_remove("LIANCHA_DB")
        .env("LIANCHA_PASSWORD", "Yaoan#2026x")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let list = run(&["user", "list"]);
    assert!(list.contains("532325\tyaoan-admin"), "{list}");
    // Items, then joint item lists naming them (lead department by name or code).
    let items = write(
        "事项.csv",
        "事项编码,抽查事项,抽查依据,抽查主体,抽查方式,发布状态\n\
         SC-003,食品经营者经营条件及经营行为的检查,《中华人民共和国食品安全法》第一百一十条,姚安县市场监督管理局,实地检查,已发布\n\
         NY-001,农药经营的检查,《农药管理条例》第四十一条,姚安县农业农村局,实地检查、书面检查,已发布\n",
    );
    run(&["--county", "532325", "import", "items", &items]);
    let lists = write(
        "清单.csv",
        "清单编码,清单名称,领域,牵头部门,序号,事项编码\n\
         LC-SC,市场监管领域联合抽查事项清单,市场监管,姚安县市场监督管理局,2,NY-001\n\
         LC-SC,市场监管领域联合抽查事项清单,市场监管,姚安县市场监督管理局,1,SC-003\n\
         LC-NY,农业领域联合抽查事项清单,农业,agri,,NY-001\n",
    );
    let out = run(&["--county", "532325", "import", "joint-lists", &lists]);
    assert!(out.contains("新增 2"), "{out}");
    // An item the county does not have: refused, naming it; nothing of the file kept.
    let unknown = write(
        "未知事项.csv",
        "清单编码,清单名称,领域,牵头部门,事项编码\n\
         LC-WS,卫生清单,市场监管,amr,SC-003\n\
         LC-WS,卫生清单,市场监管,amr,WS-001\n",
    );
    let o = liancha(&[
        "--db",
        &db,
        "--county",
        "532325",
        "import",
        "joint-lists",
        &unknown,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("WS-001"), "{}", stderr(&o));
    // Exported, it comes back as it went out: the same lists, nothing new.
    let exported = dir.path().join("joint-lists.csv");
    run(&[
        "--county",
        "532325",
        "export",
        "joint-lists",
        exported.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(!text.contains("LC-WS"), "{text}");
    assert!(
        text.contains("LC-SC,市场监管领域联合抽查事项清单,市场监管,姚安县市场监督管理局,1,SC-003")
            && text.contains("姚安县市场监督管理局,2,NY-001"),
        "by 序号: {text}"
    );
    let out = run(&[
        "--county",
        "532325",
        "import",
        "joint-lists",
        exported.to_str().unwrap(),
    ]);
    assert!(out.contains("新增 0"), "{out}");
    for (kind, expect) in [
        ("townships", "光禄镇"),
        ("departments", "姚安县农业农村局"),
        ("rule-books", "2.5"),
    ] {
        let file = dir.path().join(format!("{kind}.csv"));
        run(&["--county", "532325", "export", kind, file.to_str().unwrap()]);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(expect), "{kind}: {text}");
    }
}
