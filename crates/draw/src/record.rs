//! The published record (spec §3) and the byte-in/bytes-out entry points the
//! CLI uses: [`draw_input`] and [`verify_record`].

use crate::DrawError;
use crate::drand;
use crate::draw::{DrawResult, check_reveal, draw_validated};
use crate::hash::{Seed, digest_value};
use crate::hex;
use crate::json::{self, Object, Value};
use crate::plan::{FORMAT_V1, FORMAT_V2, Plan};
use crate::select::Selected;
use crate::teams::{Assignment, Team, Unassigned, UnassignedReason};
use crate::time::{format_rfc3339_utc, parse_rfc3339_utc};

/// The first format; plans without required specialties still use it.
pub const FORMAT: &str = FORMAT_V1;
/// Every format this crate reads and writes.
pub const FORMATS: [&str; 2] = [FORMAT_V1, FORMAT_V2];

/// A draw record: the plan as committed, the reveal, and what the draw produced.
///
/// The plan is kept twice on purpose: typed, for use, and as the JSON it was
/// committed as, because the digest binds those exact JSON values (key order
/// aside) and re-printing must not change them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    plan: Plan,
    plan_json: Value,
    reveal: Vec<String>,
    committed_at: Option<String>,
    result: DrawResult,
}

/// What [`verify_record`] established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifySummary {
    /// The recomputed (and matching) plan digest.
    pub plan_digest: [u8; 32],
    /// The recomputed (and matching) seed.
    pub seed: Seed,
    /// Number of selected entities.
    pub selected: usize,
    /// Number of teams.
    pub teams: usize,
    /// Number of assignments.
    pub assignments: usize,
    /// Number of unassigned entities.
    pub unassigned: usize,
    /// The record's `committed_at`, if any.
    pub committed_at: Option<String>,
    /// One entry per source this crate knows how to check (drand quicknet).
    pub beacons: Vec<BeaconCheck>,
}

impl VerifySummary {
    /// Whether every checkable beacon verified and was emitted after `committed_at`.
    pub fn beacons_ok(&self) -> bool {
        self.beacons.iter().all(BeaconCheck::passed)
    }
}

/// The check of one drand quicknet source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeaconCheck {
    /// Index into `plan.sources` / `reveal`.
    pub source_index: usize,
    /// The declared round.
    pub round: u64,
    /// The round's emission time, Unix seconds.
    pub emitted_at: i64,
    /// The round's randomness if the reveal is its valid signature, else why not.
    pub signature: Result<[u8; 32], DrawError>,
    /// With `committed_at`: whether the round was emitted strictly after it.
    pub after_commit: Option<bool>,
}

impl BeaconCheck {
    /// Valid signature and, where `committed_at` is known, emitted after it.
    pub fn passed(&self) -> bool {
        self.signature.is_ok() && self.after_commit != Some(false)
    }
}

/// How strict [`verify_record_with`] is about beacons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Turn a failed beacon check into an error (`beacon-invalid` /
    /// `beacon-too-early`) instead of only reporting it in
    /// [`VerifySummary::beacons`]. Off by default because the spec makes beacon
    /// checks a SHOULD and its test vectors carry placeholder drand reveals.
    pub enforce_beacons: bool,
}

fn bad_format(msg: impl Into<String>) -> DrawError {
    DrawError::InvalidFormat(msg.into())
}

/// The parts shared by a draw input and a record.
struct Envelope<'a> {
    obj: &'a Object,
    plan_json: Value,
    plan: Plan,
    reveal: Vec<String>,
    committed_at: Option<String>,
}

/// Reads `format`, `plan`, `reveal`, `committed_at` and refuses unknown keys, in the
/// order that makes error codes predictable: format, plan, reveal, committed_at.
fn read_envelope<'a>(
    root: &'a Value,
    what: &str,
    extra: &[&str],
) -> Result<Envelope<'a>, DrawError> {
    let obj = root.as_object().ok_or_else(|| {
        bad_format(format!(
            "a {what} must be a JSON object, not {}",
            root.kind()
        ))
    })?;
    let format = match obj.get("format") {
        None => return Err(bad_format(format!("the {what} has no `format`"))),
        Some(Value::Str(f)) if FORMATS.contains(&f.as_str()) => f.as_str(),
        Some(other) => {
            return Err(bad_format(format!(
                "`format` is {}, expected \"{FORMAT_V1}\" or \"{FORMAT_V2}\"",
                abbreviate(other)
            )));
        }
    };
    for k in obj.keys() {
        if !["format", "plan", "reveal", "committed_at"].contains(&k) && !extra.contains(&k) {
            return Err(bad_format(format!("unknown key `{k}` in the {what}")));
        }
    }
    for k in ["plan", "reveal"].iter().chain(extra) {
        if !obj.contains_key(k) {
            return Err(bad_format(format!("the {what} has no `{k}`")));
        }
    }
    let plan_json = obj.get("plan").expect("checked").clone();
    let plan = Plan::from_value(&plan_json)?;
    if plan.format() != format {
        return Err(bad_format(if plan.format() == FORMAT_V2 {
            format!(
                "`format` is \"{format}\" but `plan.teams.specialties` requires specialties, which only \"{FORMAT_V2}\" has"
            )
        } else {
            format!(
                "`format` is \"{format}\" but the plan requires no specialty; such a plan is \"{FORMAT_V1}\""
            )
        }));
    }
    let reveal = obj
        .get("reveal")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_format("`reveal` must be an array of strings"))?
        .iter()
        .map(|r| r.as_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| bad_format("`reveal` must be an array of strings"))?;
    check_reveal(&plan, &reveal)?;
    let committed_at = match obj.get("committed_at") {
        None => None,
        Some(v) => Some(check_committed_at(v.as_str().ok_or_else(|| {
            bad_format(format!("`committed_at` must be a string, not {}", v.kind()))
        })?)?),
    };
    Ok(Envelope {
        obj,
        plan_json,
        plan,
        reveal,
        committed_at,
    })
}

fn check_committed_at(s: &str) -> Result<String, DrawError> {
    parse_rfc3339_utc(s)
        .map(|_| s.to_owned())
        .ok_or_else(|| bad_format(format!("`committed_at` {s:?} is not an RFC 3339 UTC time")))
}

/// Draws from an INPUT document (`format`, `plan`, `reveal`, optional
/// `committed_at`; nothing else) and returns the record to publish.
///
/// The digest is taken over the plan JSON as given, and the record keeps that JSON,
/// so the published plan is byte-for-byte (after canonicalisation) what was committed.
pub fn draw_input(input: &[u8]) -> Result<Record, DrawError> {
    let root = json::parse(input)?;
    let env = read_envelope(&root, "draw input", &[])?;
    let digest = digest_value(&env.plan_json);
    let result = draw_validated(&env.plan, &digest, &env.reveal)?;
    Ok(Record {
        plan: env.plan,
        plan_json: env.plan_json,
        reveal: env.reveal,
        committed_at: env.committed_at,
        result,
    })
}

/// Verifies a record with default options (beacon problems are reported in the
/// summary, not raised); see [`verify_record_with`].
pub fn verify_record(record: &[u8]) -> Result<VerifySummary, DrawError> {
    verify_record_with(record, &VerifyOptions::default())
}

/// Recomputes `plan_digest`, `seed` and `result` from the record's plan and reveal
/// and compares them with the record (spec §8), reporting the first differing
/// value's path in the order `plan_digest`, `seed`, `result.selected`, `.teams`,
/// `.assignments`, `.unassigned`. Then checks drand quicknet sources.
pub fn verify_record_with(
    record: &[u8],
    options: &VerifyOptions,
) -> Result<VerifySummary, DrawError> {
    let root = json::parse(record)?;
    let env = read_envelope(&root, "record", &["plan_digest", "seed", "result"])?;
    let digest = digest_value(&env.plan_json);
    let redrawn = draw_validated(&env.plan, &digest, &env.reveal)?;

    let found = |k: &str| env.obj.get(k).expect("required key checked");
    compare(
        &Value::Str(hex::encode(&digest)),
        found("plan_digest"),
        "plan_digest",
    )?;
    compare(
        &Value::Str(hex::encode(&redrawn.seed)),
        found("seed"),
        "seed",
    )?;
    let expected = redrawn.result_value();
    let expected = expected.as_object().expect("result is an object");
    let Some(got) = found("result").as_object() else {
        return Err(DrawError::Mismatch {
            path: "result".into(),
            detail: format!("expected an object, found {}", abbreviate(found("result"))),
        });
    };
    for (k, exp) in expected.iter() {
        match got.get(k) {
            Some(g) => compare(exp, g, &format!("result.{k}"))?,
            None => {
                return Err(DrawError::Mismatch {
                    path: format!("result.{k}"),
                    detail: "missing".into(),
                });
            }
        }
    }
    if let Some(k) = got.keys().find(|k| !expected.contains_key(k)) {
        return Err(DrawError::Mismatch {
            path: format!("result.{k}"),
            detail: "unexpected key".into(),
        });
    }

    let beacons = check_beacons(&env.plan, &env.reveal, env.committed_at.as_deref());
    if options.enforce_beacons {
        for b in &beacons {
            if let Err(e) = &b.signature {
                return Err(e.clone());
            }
            if b.after_commit == Some(false) {
                return Err(DrawError::BeaconTooEarly {
                    round: b.round,
                    emitted_at: format_rfc3339_utc(b.emitted_at),
                    committed_at: env.committed_at.clone().unwrap_or_default(),
                });
            }
        }
    }
    Ok(VerifySummary {
        plan_digest: digest,
        seed: redrawn.seed,
        selected: redrawn.selected.len(),
        teams: redrawn.teams.len(),
        assignments: redrawn.assignments.len(),
        unassigned: redrawn.unassigned.len(),
        committed_at: env.committed_at,
        beacons,
    })
}

/// Checks every `drand quicknet round R` source: signature, and emission strictly
/// after `committed_at` when that is given.
pub fn check_beacons(
    plan: &Plan,
    reveal: &[String],
    committed_at: Option<&str>,
) -> Vec<BeaconCheck> {
    let committed = committed_at.and_then(parse_rfc3339_utc);
    plan.sources
        .iter()
        .zip(reveal)
        .enumerate()
        .filter_map(|(i, (src, rev))| {
            let round = drand::parse_source(src)?;
            let emitted_at = drand::round_time(round);
            Some(BeaconCheck {
                source_index: i,
                round,
                emitted_at,
                signature: drand::verify_quicknet(round, rev),
                after_commit: committed.map(|c| emitted_at > c),
            })
        })
        .collect()
}

fn compare(expected: &Value, found: &Value, path: &str) -> Result<(), DrawError> {
    match first_difference(expected, found, path) {
        None => Ok(()),
        Some((path, detail)) => Err(DrawError::Mismatch { path, detail }),
    }
}

/// Path and description of the first value where `found` differs from `expected`,
/// depth-first in `expected`'s order. Whole subtrees are compared for equality
/// first so that paths are only spelled out along the differing branch.
fn first_difference(expected: &Value, found: &Value, path: &str) -> Option<(String, String)> {
    if expected == found {
        return None;
    }
    match (expected, found) {
        (Value::Array(a), Value::Array(b)) => {
            // Elements that differ only in key order are equal JSON: keep scanning past
            // them, or a reordered element would hide a real change further on.
            (0..a.len().max(b.len())).find_map(|i| {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => first_difference(x, y, &p),
                    (Some(x), None) => {
                        Some((p, format!("expected {}, found nothing", abbreviate(x))))
                    }
                    (None, Some(y)) => {
                        Some((p, format!("unexpected extra value {}", abbreviate(y))))
                    }
                    (None, None) => None,
                }
            })
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, x) in a.iter() {
                let p = format!("{path}.{k}");
                match b.get(k) {
                    Some(y) => {
                        if let Some(d) = first_difference(x, y, &p) {
                            return Some(d);
                        }
                    }
                    None => return Some((p, format!("expected {}, found nothing", abbreviate(x)))),
                }
            }
            // Same keys in a different order are the same JSON.
            b.keys()
                .find(|k| !a.contains_key(k))
                .map(|k| (format!("{path}.{k}"), "unexpected key".into()))
        }
        _ => Some((
            path.to_owned(),
            format!(
                "expected {}, found {}",
                abbreviate(expected),
                abbreviate(found)
            ),
        )),
    }
}

/// Canonical JSON cut to a readable length, for one-line messages.
fn abbreviate(v: &Value) -> String {
    let s = String::from_utf8(json::canonical(v)).expect("canonical JSON is UTF-8");
    match s.char_indices().nth(72) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s,
    }
}

// ------------------------------------------------------------- typed record

fn field<'a>(o: &'a Object, key: &str, path: &str) -> Result<&'a Value, DrawError> {
    o.get(key)
        .ok_or_else(|| bad_format(format!("`{path}` lacks `{key}`")))
}

fn exact_keys(o: &Object, keys: &[&str], path: &str) -> Result<(), DrawError> {
    match o.keys().find(|k| !keys.contains(k)) {
        Some(k) => Err(bad_format(format!("unknown key `{k}` in `{path}`"))),
        None => Ok(()),
    }
}

fn str_field(o: &Object, key: &str, path: &str) -> Result<String, DrawError> {
    field(o, key, path)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| bad_format(format!("`{path}.{key}` must be a string")))
}

fn hex32_field(o: &Object, key: &str, path: &str) -> Result<[u8; 32], DrawError> {
    hex::decode32(&str_field(o, key, path)?)
        .ok_or_else(|| bad_format(format!("`{path}.{key}` must be 64 lower-case hex digits")))
}

fn team_no(v: &Value, path: &str) -> Result<u64, DrawError> {
    match v.as_int() {
        Some(n) if n >= 1 => Ok(n as u64),
        _ => Err(bad_format(format!("`{path}` must be a team number ≥ 1"))),
    }
}

fn objects<'a>(o: &'a Object, key: &str) -> Result<Vec<(&'a Object, String)>, DrawError> {
    field(o, key, "result")?
        .as_array()
        .ok_or_else(|| bad_format(format!("`result.{key}` must be an array")))?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let p = format!("result.{key}[{i}]");
            v.as_object()
                .map(|o| (o, p.clone()))
                .ok_or_else(|| bad_format(format!("`{p}` must be an object")))
        })
        .collect()
}

impl Record {
    /// Draws a plan built in Rust and wraps it as a record; the plan is published
    /// as [`Plan::to_value`].
    pub fn draw(
        plan: Plan,
        reveal: Vec<String>,
        committed_at: Option<String>,
    ) -> Result<Record, DrawError> {
        plan.validate()?;
        let plan_json = plan.to_value();
        let digest = digest_value(&plan_json);
        let committed_at = committed_at
            .as_deref()
            .map(check_committed_at)
            .transpose()?;
        let result = draw_validated(&plan, &digest, &reveal)?;
        Ok(Record {
            plan,
            plan_json,
            reveal,
            committed_at,
            result,
        })
    }

    /// Reads a record strictly, without recomputing it (use [`verify_record`] to
    /// check it). Malformed envelope or result fields are `invalid-format`.
    pub fn parse(bytes: &[u8]) -> Result<Record, DrawError> {
        let root = json::parse(bytes)?;
        let env = read_envelope(&root, "record", &["plan_digest", "seed", "result"])?;
        let plan_digest = hex::decode32(
            env.obj
                .get("plan_digest")
                .and_then(Value::as_str)
                .unwrap_or(""),
        )
        .ok_or_else(|| bad_format("`plan_digest` must be 64 lower-case hex digits"))?;
        let seed = hex::decode32(env.obj.get("seed").and_then(Value::as_str).unwrap_or(""))
            .ok_or_else(|| bad_format("`seed` must be 64 lower-case hex digits"))?;
        let r = env
            .obj
            .get("result")
            .and_then(Value::as_object)
            .ok_or_else(|| bad_format("`result` must be an object"))?;
        exact_keys(
            r,
            &["selected", "teams", "assignments", "unassigned"],
            "result",
        )?;

        let selected = objects(r, "selected")?
            .into_iter()
            .map(|(o, p)| {
                exact_keys(o, &["id", "stratum", "ticket"], &p)?;
                Ok(Selected {
                    id: str_field(o, "id", &p)?,
                    stratum: str_field(o, "stratum", &p)?,
                    ticket: hex32_field(o, "ticket", &p)?,
                })
            })
            .collect::<Result<Vec<_>, DrawError>>()?;
        let teams = objects(r, "teams")?
            .into_iter()
            .map(|(o, p)| {
                exact_keys(o, &["no", "members"], &p)?;
                let members = field(o, "members", &p)?
                    .as_array()
                    .and_then(|a| {
                        a.iter()
                            .map(|m| m.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| {
                        bad_format(format!("`{p}.members` must be an array of strings"))
                    })?;
                Ok(Team {
                    no: team_no(field(o, "no", &p)?, &format!("{p}.no"))?,
                    members,
                })
            })
            .collect::<Result<Vec<_>, DrawError>>()?;
        let assignments = objects(r, "assignments")?
            .into_iter()
            .map(|(o, p)| {
                exact_keys(o, &["entity", "team"], &p)?;
                Ok(Assignment {
                    entity: str_field(o, "entity", &p)?,
                    team: team_no(field(o, "team", &p)?, &format!("{p}.team"))?,
                })
            })
            .collect::<Result<Vec<_>, DrawError>>()?;
        let unassigned = objects(r, "unassigned")?
            .into_iter()
            .map(|(o, p)| {
                exact_keys(o, &["entity", "reason"], &p)?;
                let reason = str_field(o, "reason", &p)?;
                Ok(Unassigned {
                    entity: str_field(o, "entity", &p)?,
                    reason: UnassignedReason::parse(&reason).ok_or_else(|| {
                        bad_format(format!("`{p}.reason` {reason:?} is not a known reason"))
                    })?,
                })
            })
            .collect::<Result<Vec<_>, DrawError>>()?;
        Ok(Record {
            plan: env.plan,
            plan_json: env.plan_json,
            reveal: env.reveal,
            committed_at: env.committed_at,
            result: DrawResult {
                plan_digest,
                seed,
                selected,
                teams,
                assignments,
                unassigned,
            },
        })
    }

    /// The typed plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan JSON exactly as committed (and as it will be printed).
    pub fn plan_json(&self) -> &Value {
        &self.plan_json
    }

    /// The revealed source values.
    pub fn reveal(&self) -> &[String] {
        &self.reveal
    }

    /// When the plan digest was logged, if known.
    pub fn committed_at(&self) -> Option<&str> {
        self.committed_at.as_deref()
    }

    /// Digest, seed and result.
    pub fn result(&self) -> &DrawResult {
        &self.result
    }

    /// `plan_digest` as the record writes it.
    pub fn plan_digest_hex(&self) -> String {
        hex::encode(&self.result.plan_digest)
    }

    /// `seed` as the record writes it.
    pub fn seed_hex(&self) -> String {
        hex::encode(&self.result.seed)
    }

    /// The record as JSON, keys in the order of the spec's vectors (`committed_at`
    /// last, as there).
    pub fn to_value(&self) -> Value {
        let mut o = Object::new()
            .with("format", self.plan.format())
            .with("plan", self.plan_json.clone())
            .with(
                "reveal",
                Value::Array(self.reveal.iter().map(|r| r.as_str().into()).collect()),
            )
            .with("plan_digest", self.plan_digest_hex())
            .with("seed", self.seed_hex())
            .with("result", self.result.result_value());
        if let Some(c) = &self.committed_at {
            o.insert("committed_at", c.as_str().into());
        }
        Value::Object(o)
    }

    /// Pretty JSON for publishing (one-space indent, no trailing newline).
    pub fn to_pretty_json(&self) -> String {
        json::pretty(&self.to_value())
    }

    /// RFC 8785 canonical bytes, for hashing or byte comparison.
    pub fn to_canonical(&self) -> Vec<u8> {
        json::canonical(&self.to_value())
    }
}
