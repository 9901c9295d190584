//! 抽查任务公告 over real HTTP on both engines: every task whose plan was sealed is
//! public from the commit on (page and API), with its digest and its sources' times,
//! cancelled ones marked with their reason; a draft is not; what was drawn (entities,
//! revealed values) stays out until the results are published.

use liancha_domain::workflow::TaskState;
use liancha_store::Engine;

mod common;

async fn every_sealed_task_is_announced(engine: Engine) {
    let srv = common::start_with_year(engine).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let tasks = mouding.tasks(&Default::default()).await.unwrap();
    let public = |path: String| {
        let http = srv.http.clone();
        let url = format!("{}{path}", srv.base);
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let mut seen = [false; 5];
    for t in &tasks {
        let (status, page) = public(format!("/public/tasks/{}", t.id)).await;
        let (api_status, api) = public(format!("/api/v1/announcements/{}", t.id)).await;
        if t.committed_at.is_none() {
            seen[t.state as usize] = true;
            assert_eq!(
                (status, api_status),
                (404, 404),
                "{}: a draft is not public",
                t.id
            );
            continue;
        }
        assert_eq!((status, api_status), (200, 200), "{}: {page}", t.id);
        let digest = t.plan_digest.clone().expect("a sealed plan has its digest");
        assert!(page.contains(&digest), "{page}");
        let json: serde_json::Value = serde_json::from_str(&api).unwrap();
        assert_eq!(json["plan_digest"], digest);
        assert_eq!(json["state"]["code"], t.state.code());
        assert_eq!(json["sources"].as_array().unwrap().len(), t.sources.len());
        for s in &t.sources {
            let when = liancha_domain::calendar::format_china_time_seconds(s.not_before);
            assert!(page.contains(&when), "{when} in {page}");
            // The revealed value comes with the record, at publication.
            if t.state != TaskState::Published
                && let Some(v) = &s.revealed
            {
                assert!(!page.contains(v.as_str()), "{v} before publication");
                assert!(!api.contains(v.as_str()), "{v} before publication");
            }
        }
        match t.state {
            TaskState::Drawn => {
                // Who was drawn stays out of the announcement.
                for v in mouding.visits(t.id).await.unwrap() {
                    assert!(!page.contains(&v.entity_id), "{}", v.entity_id);
                    assert!(!api.contains(&v.entity_id), "{}", v.entity_id);
                }
                assert!(page.contains("已抽取，检查中"));
            }
            TaskState::Cancelled => {
                let reason = t.cancel_reason.clone().unwrap();
                assert!(page.contains("已取消") && page.contains(&reason), "{page}");
                assert_eq!(json["cancel_reason"], reason);
            }
            TaskState::Committed => assert!(page.contains("方案已封存")),
            TaskState::Published => {
                assert!(page.contains("检查结果"), "the results page");
                assert_eq!(json["task_url"], format!("/api/v1/tasks/{}", t.id));
            }
            TaskState::Draft => unreachable!(),
        }
        seen[t.state as usize] = true;
    }
    assert_eq!(seen, [true; 5], "the year has a task in every state");

    // The county's list: every sealed task, drafts never.
    let sealed: Vec<i64> = tasks
        .iter()
        .filter(|t| t.committed_at.is_some())
        .map(|t| t.id)
        .collect();
    let (status, list) = public("/c/532323/announcements".into()).await;
    assert_eq!(status, 200);
    for t in &tasks {
        let link = format!("href=\"/public/tasks/{}\"", t.id);
        assert_eq!(list.contains(&link), sealed.contains(&t.id), "{}", t.id);
    }
    let (status, api) = public("/api/v1/announcements?county=532323&per_page=1000".into()).await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&api).unwrap();
    let ids: Vec<i64> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, sealed, "newest first, as the store lists them");
    assert_eq!(json["total"], sealed.len());
    for path in ["/api/v1/announcements/x", "/api/v1/announcements/99999999"] {
        assert_eq!(public(path.into()).await.0, 404, "{path}");
    }
}

#[tokio::test]
async fn every_sealed_task_is_announced_sqlite() {
    every_sealed_task_is_announced(Engine::Sqlite).await;
}

#[tokio::test]
async fn every_sealed_task_is_announced_postgres() {
    every_sealed_task_is_announced(Engine::Postgres).await;
}

/// A county that publishes its selections before the visits says so in its
/// settings (the county's administrator, audited): its announcements then list
/// each drawn task's entities, and a plan may rest on drand alone. Switched off,
/// the list goes, and drand alone is refused again.
async fn a_county_may_announce_its_selections(engine: Engine) {
    use liancha_store::demo::DEMO_PASSWORD;
    let srv = common::start_with_year(engine).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let tasks = mouding.tasks(&Default::default()).await.unwrap();
    let drawn = tasks
        .iter()
        .find(|t| t.state == TaskState::Drawn)
        .expect("a task under way");
    let draft = tasks
        .iter()
        .find(|t| t.state == TaskState::Draft)
        .expect("a draft");
    let mut selected: Vec<_> = mouding
        .visits(drawn.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.state.code() != "replaced")
        .collect();
    selected.sort_by_key(|v| v.draw_order);
    let public = |path: String| {
        let http = srv.http.clone();
        let url = format!("{}{path}", srv.base);
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let page_of = format!("/public/tasks/{}", drawn.id);
    let api_of = format!("/api/v1/announcements/{}", drawn.id);
    let (_, page) = public(page_of.clone()).await;
    assert!(
        !page.contains(&selected[0].entity_id),
        "kept for the results"
    );

    // drand alone, with the selection kept for the results: refused beside the
    // on-site source, nothing sealed.
    let bianban = srv.login("bianban", DEMO_PASSWORD).await.unwrap();
    let round = liancha_domain::workflow::SourceDecl::drand_round_after(
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .to_string();
    // The demo's draft waits for its head's approval (检查审批): given, so that the
    // refusal below is the announcement's.
    mouding
        .decide_approval(
            draft.id,
            draft.version,
            &draft.lead_department,
            true,
            "",
            &liancha_store::accounts::Actor::system("负责人"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let commit = format!("/staff/tasks/{}/commit", draft.id);
    let version = draft.version.to_string();
    let form = [
        ("version", version.as_str()),
        ("confirm", "yes"),
        ("drand_round", round.as_str()),
    ];
    let (status, body) = srv.post(&bianban, &commit, &form).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("只声明 drand 公共随机数"), "{body}");
    assert_eq!(
        mouding.task_or_404(draft.id).await.unwrap().state,
        TaskState::Draft
    );

    // Only the county's administrator sets it.
    let (status, _) = srv
        .post(
            &bianban,
            "/staff/settings/announcements",
            &[("announce_selection", "yes")],
        )
        .await;
    assert_eq!(status, 403);
    let admin = srv.login("admin", DEMO_PASSWORD).await.unwrap();
    let (status, _) = srv
        .post(
            &admin,
            "/staff/settings/announcements",
            &[("announce_selection", "yes")],
        )
        .await;
    assert_eq!(status, 303);
    assert!(mouding.announces_selection().await.unwrap());
    let (_, settings) = srv.get(&admin.cookie, "/staff/settings").await;
    assert!(
        settings.contains("name=\"announce_selection\" value=\"yes\" checked"),
        "{settings}"
    );
    let (_, log) = srv
        .get(&admin.cookie, "/staff/audit?what=settings.update")
        .await;
    assert!(log.contains("修改公示设置"), "{log}");

    let (_, page) = public(page_of.clone()).await;
    for v in &selected {
        assert!(
            page.contains(&v.entity_id),
            "{} on the announcement",
            v.entity_id
        );
    }
    let (_, api) = public(api_of.clone()).await;
    let json: serde_json::Value = serde_json::from_str(&api).unwrap();
    let listed: Vec<&str> = json["selection"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entity_id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = selected.iter().map(|v| v.entity_id.as_str()).collect();
    assert_eq!(listed, expected, "in draw order");
    // Still never the revealed values or the teams.
    for s in &drawn.sources {
        if let Some(v) = &s.revealed {
            assert!(!page.contains(v.as_str()) && !api.contains(v.as_str()));
        }
    }

    // Now drand alone seals.
    let (status, body) = srv.post(&bianban, &commit, &form).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        mouding.task_or_404(draft.id).await.unwrap().state,
        TaskState::Committed
    );
    // The reveal form explains a drand round's value only where a source is one.
    let hint = "drand 轮次的揭示值是该轮的签名";
    let (_, page) = srv
        .get(&bianban.cookie, &format!("/staff/tasks/{}", draft.id))
        .await;
    assert!(page.contains("揭示并抽取") && page.contains(hint), "{page}");
    let on_site = mouding
        .tasks(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|t| {
            t.state == TaskState::Committed
                && t.sources
                    .iter()
                    .all(|s| liancha_draw::drand::parse_source(&s.text).is_none())
        })
        .expect("the demo year's task sealed on a notary's dice");
    let (_, page) = srv
        .get(&bianban.cookie, &format!("/staff/tasks/{}", on_site.id))
        .await;
    assert!(
        page.contains("揭示并抽取") && !page.contains(hint),
        "{page}"
    );

    // Switched off: the list goes.
    let (status, _) = srv.post(&admin, "/staff/settings/announcements", &[]).await;
    assert_eq!(status, 303);
    let (_, page) = public(page_of).await;
    assert!(!page.contains(&selected[0].entity_id));
    let (_, api) = public(api_of).await;
    let json: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert!(json["selection"].is_null());
}

#[tokio::test]
async fn a_county_may_announce_its_selections_sqlite() {
    a_county_may_announce_its_selections(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_county_may_announce_its_selections_postgres() {
    a_county_may_announce_its_selections(Engine::Postgres).await;
}

/// The transparency log over HTTP: the checkpoint verifies with the published key,
/// the entry bundles hold every sealing the announcements show, and the hash tiles
/// prove each entry included (as a witness or `liancha log verify` would fetch
/// them); tiles cache for good, the checkpoint never; a bad path is a 404. The log
/// page and each announcement list the entries.
async fn the_log_proves_every_announcement(engine: Engine) {
    use liancha_domain::transparency::{LogEntry, Proof, Tiles, split_bundle, verify_checkpoint};
    let srv = common::start_with_year(engine).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let get = |path: String| {
        let http = srv.http.clone();
        let url = format!("{}{path}", srv.base);
        async move {
            let r = http.get(url).send().await.unwrap();
            let cache = r
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (
                r.status().as_u16(),
                cache,
                r.bytes().await.unwrap().to_vec(),
            )
        }
    };
    let (status, _, key) = get("/log/key".into()).await;
    assert_eq!(status, 200);
    let key = String::from_utf8(key).unwrap();
    let (status, cache, note) = get("/log/checkpoint".into()).await;
    assert_eq!((status, cache.as_str()), (200, "no-cache"));
    let cp = verify_checkpoint(key.trim(), &note).unwrap();
    let size = cp.size();
    assert!(size > 0);

    // Every entry, from bundles of up to 256.
    let mut entries = Vec::new();
    for n in 0..size.div_ceil(256) {
        let width = (size - n * 256).min(256);
        let path = if width == 256 {
            format!("/log/tile/entries/{n:03}")
        } else {
            format!("/log/tile/entries/{n:03}.p/{width}")
        };
        let (status, cache, bundle) = get(path).await;
        assert_eq!(status, 200);
        assert!(cache.contains("immutable"), "{cache}");
        entries.extend(
            split_bundle(&bundle)
                .unwrap()
                .into_iter()
                .map(<[u8]>::to_vec),
        );
    }
    assert_eq!(entries.len() as u64, size);
    let tiles = Tiles::default();
    for (i, data) in entries.iter().enumerate() {
        loop {
            match tiles.inclusion(&cp, i as u64, data) {
                Ok(()) => break,
                Err(Proof::Need(paths)) => {
                    for p in paths {
                        let (status, _, d) = get(format!("/log/{p}")).await;
                        assert_eq!(status, 200, "{p}");
                        tiles.add(&p, d).unwrap();
                    }
                }
                Err(e) => panic!("entry {i}: {e}"),
            }
        }
    }
    let sealed: Vec<i64> = entries
        .iter()
        .map(|d| LogEntry::parse(d).unwrap())
        .filter(|e| e.kind() == "task.sealed")
        .filter_map(|e| e.task())
        .collect();
    for t in mouding.tasks(&Default::default()).await.unwrap() {
        assert_eq!(
            sealed.iter().filter(|s| **s == t.id).count(),
            usize::from(t.committed_at.is_some()),
            "task {}",
            t.id
        );
        if t.state == TaskState::Published {
            // The published record is the one the log committed to, sealed before
            // its sources could be known.
            let (_, _, record) = get(format!("/public/tasks/{}/record.json", t.id)).await;
            let record = liancha_draw::Record::parse(&record).unwrap();
            let parsed: Vec<LogEntry> = entries
                .iter()
                .map(|d| LogEntry::parse(d).unwrap())
                .collect();
            let found = liancha_domain::transparency::RecordInLog::find(
                &parsed,
                &record.plan_digest_hex(),
                &liancha_draw::hex::encode(&liancha_draw::digest_value(&record.to_value())),
            );
            assert!(
                found.holds() && found.drawn.is_some(),
                "task {}: {found:?}",
                t.id
            );
        }
        // Every sealed task has a proof bundle that proves its sealing from the
        // signed checkpoint alone; a task never sealed has none (404).
        let (status, _, bundle) = get(format!("/public/tasks/{}/log-proof.json", t.id)).await;
        if t.committed_at.is_some() {
            assert_eq!(status, 200, "task {}", t.id);
            let bundle = liancha_domain::log_proof::ProofBundle::parse(&bundle).unwrap();
            let (_, proven) = bundle.check(key.trim()).unwrap();
            assert!(
                proven.iter().any(|(i, e)| e.kind() == "task.sealed"
                    && e.task() == Some(t.id)
                    && sealed_at(&entries, *i) == Some(t.id)),
                "task {}",
                t.id
            );
        } else {
            assert_eq!(status, 404, "task {}", t.id);
        }
        if t.committed_at.is_some() && t.state != TaskState::Published {
            let (_, _, page) = get(format!("/public/tasks/{}", t.id)).await;
            let page = String::from_utf8(page).unwrap();
            assert!(
                page.contains("透明日志记录") && page.contains("封存抽取方案"),
                "{page}"
            );
        }
    }

    // Beyond the tree, or not a tile: 404, not an error.
    for bad in [
        format!("/log/tile/entries/000.p/{}", size + 1),
        "/log/tile/0/999".into(),
        "/log/tile/0/x".into(),
        "/log/tile/entries/000.p/0".into(),
        "/log/tile/99/000".into(),
    ] {
        let (status, _, _) = get(bad.clone()).await;
        assert_eq!(status, 404, "{bad}");
    }
    let (status, _, page) = get("/public/log".into()).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains(key.trim()) && page.contains("封存抽取方案"),
        "{page}"
    );
    let (status, _, _) = get("/public/log?before=x".into()).await;
    assert_eq!(status, 400);
    witnesses_cosign(&srv, &key, &note).await;
}

/// A registered witness's cosignature of a checkpoint this log signed is kept and
/// served with it, and the portal shows it; an unregistered witness, a checkpoint
/// the log never signed, garbage or an oversized body are refused, changing nothing.
async fn witnesses_cosign(srv: &common::Server, key: &str, note: &[u8]) {
    use liancha_domain::cosignature::WitnessSigner;
    let store = srv.store();
    let mut rng = rand_core::OsRng;
    let notary = WitnessSigner::generate(&mut rng, "chuxiong-notary").unwrap();
    let stranger = WitnessSigner::generate(&mut rng, "stranger").unwrap();
    let now = chrono::Utc::now();
    let office = liancha_domain::org::DivisionCode::parse("53").unwrap();
    let actor = liancha_store::accounts::Actor::system("test");
    // The province administrator registers the witness on the web (a county's
    // administrator cannot even see the page); a key that is not one is refused
    // beside the field, nothing registered; the registration is audited.
    for who in ["admin", "zhou-duchashi", "bianban"] {
        let other = srv
            .login(who, liancha_store::demo::DEMO_PASSWORD)
            .await
            .unwrap();
        let (status, _) = srv.get(&other.cookie, "/staff/log").await;
        assert_eq!(status, 403, "{who}");
        let witness = notary.public().encode();
        let (status, _) = srv
            .post(&other, "/staff/log/witnesses", &[("key", &witness)])
            .await;
        assert_eq!(status, 403, "{who}");
    }
    let province = srv
        .login("province-admin", liancha_store::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let (status, page) = srv.get(&province.cookie, "/staff/log").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(key.trim()) && page.contains("尚未登记证人"),
        "{page}"
    );
    let (status, page) = srv
        .post(&province, "/staff/log/witnesses", &[("key", key.trim())])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("aria-invalid=\"true\""), "{page}");
    assert!(store.log_witnesses().await.unwrap().is_empty());
    let (status, _) = srv
        .post(
            &province,
            "/staff/log/witnesses",
            &[("key", &notary.public().encode())],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = srv.get(&province.cookie, "/staff/log").await;
    assert!(
        page.contains("chuxiong-notary") && page.contains("尚未联署"),
        "{page}"
    );
    let audited = store
        .county(&office)
        .audit_recent(10)
        .await
        .unwrap()
        .into_iter()
        .any(|a| a.action == "log.add-witness" && a.object_id == "chuxiong-notary");
    assert!(audited);
    // The same key again is fine; another key under the name is not.
    store
        .add_log_witness(&notary.public().encode(), &office, &actor, now)
        .await
        .unwrap();
    let impostor = WitnessSigner::generate(&mut rng, "chuxiong-notary").unwrap();
    assert!(
        store
            .add_log_witness(&impostor.public().encode(), &office, &actor, now)
            .await
            .is_err()
    );
    assert!(
        store
            .add_log_witness(key, &office, &actor, now)
            .await
            .is_err(),
        "the log's key is no witness key"
    );

    let note = std::str::from_utf8(note).unwrap();
    let body = note.split("\n\n").next().unwrap().to_string() + "\n";
    let post = |body: String| {
        let http = srv.http.clone();
        let url = format!("{}/log/cosignature", srv.base);
        async move {
            let r = http.post(url).body(body).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let when = 1_780_000_000;
    for (bad, why) in [
        (
            format!("{note}{}", stranger.cosign(body.as_bytes(), when)),
            "unregistered",
        ),
        (
            format!(
                "{note}{}",
                notary.cosign(b"liancha.local/log\n1\nAAAA\n", when)
            ),
            "another body",
        ),
        ("garbage".to_string(), "garbage"),
        (note.to_string(), "no cosignature"),
    ] {
        let (status, text) = post(bad).await;
        assert!((400..500).contains(&status), "{why}: {status} {text}");
    }
    let (status, _) = post("x".repeat(64 * 1024)).await;
    assert_eq!(status, 413);
    let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    assert!(store.log_cosignature_lines(size).await.unwrap().is_empty());

    let line = notary.cosign(body.as_bytes(), when);
    let (status, text) = post(format!("{note}{line}")).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("chuxiong-notary"));
    let served = srv
        .http
        .get(format!("{}/log/checkpoint", srv.base))
        .send()
        .await
        .unwrap();
    let served = served.text().await.unwrap();
    assert!(served.ends_with(&line), "{served}");
    let (_, found) =
        liancha_domain::cosignature::cosignatures(key, served.as_bytes(), &[notary.public()])
            .unwrap();
    assert_eq!(found, vec![("chuxiong-notary".to_string(), when)]);
    let page = srv
        .http
        .get(format!("{}/public/log", srv.base))
        .send()
        .await
        .unwrap();
    let page = page.text().await.unwrap();
    assert!(
        page.contains("chuxiong-notary") && page.contains(&format!("第 {size} 条时的检查点")),
        "{page}"
    );
    // A proof bundle now proves against the cosigned checkpoint, which carries the
    // cosignature a reader can check.
    let sealed = liancha_store::testing::mouding_county(&store)
        .await
        .tasks(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.committed_at.is_some())
        .unwrap();
    let bundle = srv
        .http
        .get(format!(
            "{}/public/tasks/{}/log-proof.json",
            srv.base, sealed.id
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let bundle = liancha_domain::log_proof::ProofBundle::parse(&bundle).unwrap();
    let (cp, found) = liancha_domain::cosignature::cosignatures(
        key,
        bundle.checkpoint.as_bytes(),
        &[notary.public()],
    )
    .unwrap();
    assert_eq!(cp.size(), size);
    assert_eq!(found, vec![("chuxiong-notary".to_string(), when)]);
    bundle.check(key.trim()).unwrap();
}

#[tokio::test]
async fn the_log_proves_every_announcement_sqlite() {
    the_log_proves_every_announcement(Engine::Sqlite).await;
}

#[tokio::test]
async fn the_log_proves_every_announcement_postgres() {
    the_log_proves_every_announcement(Engine::Postgres).await;
}

/// The task entry `index` of the log seals, if it is a sealing.
fn sealed_at(entries: &[Vec<u8>], index: u64) -> Option<i64> {
    let e = liancha_domain::transparency::LogEntry::parse(&entries[index as usize]).unwrap();
    (e.kind() == "task.sealed").then(|| e.task()).flatten()
}
