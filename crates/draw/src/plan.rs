//! The typed plan (spec §3): strict parsing from JSON, validation, and the way
//! back to JSON so that Rust callers (the store) can build plans and digest them.

use std::collections::HashSet;

use crate::DrawError;
use crate::json::{self, MAX_SAFE_INT, Object, Sink, Value, write_canonical_object, write_string};

/// One entity of the eligible population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntity {
    /// Unified social credit code or other unique id; compared as UTF-8 bytes.
    pub id: String,
    /// Risk class; quotas are per stratum.
    pub stratum: String,
    /// `None` means unknown, which never conflicts on township.
    pub township: Option<String>,
}

/// One available inspector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInspector {
    /// Unique id.
    pub id: String,
    /// Department, matched against `teams.departments`.
    pub department: String,
    /// `None` means unknown, which never conflicts on township.
    pub township: Option<String>,
    /// Specialties (`liancha-draw/2` only): matched against `teams.specialties`.
    pub specialties: Vec<String>,
}

/// A declared conflict of interest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Inspector id (need not be in the plan).
    pub inspector: String,
    /// Entity id (need not be in the plan).
    pub entity: String,
}

/// How many of a stratum to select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaRule {
    /// `ceil(N_s × bp / 10000)`, 0 ≤ bp ≤ 10000.
    RatioBp(u64),
    /// A fixed count, capped at `N_s`.
    Count(u64),
}

/// A stratum's quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// The stratum it applies to.
    pub stratum: String,
    /// The rule.
    pub rule: QuotaRule,
}

/// The plan's `quotas` or `total`: exactly one of them, hence an enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Per-stratum quotas; a stratum with none gets 0.
    Quotas(Vec<Quota>),
    /// A total spread over strata by largest remainder.
    Total(u64),
}

/// `plan.teams`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRules {
    /// Number of teams, ≥ 1.
    pub count: u64,
    /// Minimum members per team, ≥ 2 (the law wants two inspectors on site).
    pub size: u64,
    /// Departments every team must include, in order; repeats ask for two.
    pub departments: Vec<String>,
    /// Whether a member living in the entity's township disqualifies the team.
    pub avoid_same_township: bool,
    /// Specialties every team must hold (`liancha-draw/2`): an item that needs a
    /// certified 特种设备 inspector makes every team carry one.
    pub specialties: Vec<String>,
}

/// The record format a plan belongs to: `liancha-draw/1`, or `liancha-draw/2`
/// exactly when its teams require specialties. One plan, one format, so the
/// same plan can never be published under two.
pub const FORMAT_V1: &str = "liancha-draw/1";
/// See [`FORMAT_V1`].
pub const FORMAT_V2: &str = "liancha-draw/2";

/// The frozen draw plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Free-form task description; part of the digest, not of the algorithm.
    pub task: Object,
    /// The eligible population.
    pub entities: Vec<PlanEntity>,
    /// Quotas or total.
    pub selection: Selection,
    /// Available inspectors.
    pub inspectors: Vec<PlanInspector>,
    /// Declared conflicts.
    pub conflicts: Vec<Conflict>,
    /// Team rules; `None` draws entities only.
    pub teams: Option<TeamRules>,
    /// Declared future randomness sources, in reveal order.
    pub sources: Vec<String>,
}

fn invalid(msg: impl Into<String>) -> DrawError {
    DrawError::InvalidPlan(msg.into())
}

/// Spec §2: names are non-empty and free of U+0000 (a NUL would make the
/// `purpose ‖ 0x00 ‖ s` framing ambiguous for tools that stop at NUL).
pub(crate) fn name_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        Some("must not be empty")
    } else if s.contains('\0') {
        Some("must not contain U+0000")
    } else {
        None
    }
}

fn check_name(s: &str, path: impl FnOnce() -> String) -> Result<(), DrawError> {
    match name_problem(s) {
        Some(p) => Err(invalid(format!("`{}` {p}", path()))),
        None => Ok(()),
    }
}

fn check_int(n: u64, path: impl FnOnce() -> String) -> Result<(), DrawError> {
    if n > MAX_SAFE_INT as u64 {
        Err(invalid(format!("`{}` exceeds 2^53 - 1", path())))
    } else {
        Ok(())
    }
}

// Path strings are built lazily (closures) because a plan may hold millions of
// entities and only a failing one needs its path spelled out.

fn as_object<'a>(v: &'a Value, path: &dyn Fn() -> String) -> Result<&'a Object, DrawError> {
    v.as_object()
        .ok_or_else(|| invalid(format!("`{}` must be an object, not {}", path(), v.kind())))
}

fn as_array<'a>(v: &'a Value, path: &dyn Fn() -> String) -> Result<&'a [Value], DrawError> {
    v.as_array()
        .ok_or_else(|| invalid(format!("`{}` must be an array, not {}", path(), v.kind())))
}

fn as_string(v: &Value, path: &dyn Fn() -> String) -> Result<String, DrawError> {
    let s = v
        .as_str()
        .ok_or_else(|| invalid(format!("`{}` must be a string, not {}", path(), v.kind())))?;
    check_name(s, path)?;
    Ok(s.to_owned())
}

fn as_uint(v: &Value, path: &dyn Fn() -> String) -> Result<u64, DrawError> {
    match v {
        Value::Int(n) if *n >= 0 => Ok(*n as u64),
        Value::Int(_) => Err(invalid(format!("`{}` must not be negative", path()))),
        _ => Err(invalid(format!(
            "`{}` must be an integer, not {}",
            path(),
            v.kind()
        ))),
    }
}

/// Checks that `o` has only `allowed` keys, all `required` ones, and no nulls.
fn check_keys(
    o: &Object,
    required: &[&str],
    allowed: &[&str],
    path: &dyn Fn() -> String,
) -> Result<(), DrawError> {
    for (k, v) in o.iter() {
        if !allowed.contains(&k) {
            return Err(invalid(format!("unknown key `{k}` in `{}`", path())));
        }
        if *v == Value::Null {
            return Err(invalid(format!(
                "`{}.{k}` is null; null is not allowed in a plan",
                path()
            )));
        }
    }
    for r in required {
        if !o.contains_key(r) {
            return Err(invalid(format!("`{}` lacks required key `{r}`", path())));
        }
    }
    Ok(())
}

fn opt_string(
    o: &Object,
    key: &str,
    path: &dyn Fn() -> String,
) -> Result<Option<String>, DrawError> {
    o.get(key)
        .map(|v| as_string(v, &|| format!("{}.{key}", path())))
        .transpose()
}

/// An optional array of names (absent = empty).
fn opt_names(o: &Object, key: &str, path: &dyn Fn() -> String) -> Result<Vec<String>, DrawError> {
    match o.get(key) {
        None => Ok(Vec::new()),
        Some(a) => as_array(a, &|| format!("{}.{key}", path()))?
            .iter()
            .enumerate()
            .map(|(i, d)| as_string(d, &|| format!("{}.{key}[{i}]", path())))
            .collect(),
    }
}

/// Checks a list of specialties: valid names, none twice (a specialty is held or
/// required, not counted).
fn check_specialties(list: &[String], path: impl Fn() -> String) -> Result<(), DrawError> {
    for (i, s) in list.iter().enumerate() {
        check_name(s, || format!("{}[{i}]", path()))?;
        if list[..i].contains(s) {
            return Err(invalid(format!(
                "specialty `{s}` appears twice in `{}`",
                path()
            )));
        }
    }
    Ok(())
}

impl Plan {
    /// The record format this plan is drawn and published under (see [`FORMAT_V1`]).
    pub fn format(&self) -> &'static str {
        match &self.teams {
            Some(t) if !t.specialties.is_empty() => FORMAT_V2,
            _ => FORMAT_V1,
        }
    }

    /// Parses a plan from JSON bytes (the plan object alone, not a record).
    pub fn parse(bytes: &[u8]) -> Result<Plan, DrawError> {
        Plan::from_value(&json::parse(bytes)?)
    }

    /// Reads a plan strictly: unknown keys, nulls outside `task`, wrong types and
    /// every rule of §3/§5 give [`DrawError::InvalidPlan`] with the offending path.
    pub fn from_value(v: &Value) -> Result<Plan, DrawError> {
        let root = || "plan".to_owned();
        let o = as_object(v, &root)?;
        check_keys(
            o,
            &["task", "entities", "sources"],
            &[
                "task",
                "entities",
                "sources",
                "quotas",
                "total",
                "inspectors",
                "conflicts",
                "teams",
            ],
            &root,
        )?;

        let task = as_object(&o["task"], &|| "plan.task".into())?.clone();

        let entities = as_array(&o["entities"], &|| "plan.entities".into())?
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let p = || format!("plan.entities[{i}]");
                let eo = as_object(e, &p)?;
                check_keys(eo, &["id", "stratum"], &["id", "stratum", "township"], &p)?;
                Ok(PlanEntity {
                    id: as_string(&eo["id"], &|| format!("{}.id", p()))?,
                    stratum: as_string(&eo["stratum"], &|| format!("{}.stratum", p()))?,
                    township: opt_string(eo, "township", &p)?,
                })
            })
            .collect::<Result<Vec<_>, DrawError>>()?;

        let selection = match (o.get("quotas"), o.get("total")) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "plan has both `quotas` and `total`; exactly one is allowed",
                ));
            }
            (None, None) => return Err(invalid("plan needs exactly one of `quotas` or `total`")),
            (None, Some(t)) => Selection::Total(as_uint(t, &|| "plan.total".into())?),
            (Some(q), None) => Selection::Quotas(
                as_array(q, &|| "plan.quotas".into())?
                    .iter()
                    .enumerate()
                    .map(|(i, q)| {
                        let p = || format!("plan.quotas[{i}]");
                        let qo = as_object(q, &p)?;
                        check_keys(qo, &["stratum"], &["stratum", "ratio_bp", "count"], &p)?;
                        let rule = match (qo.get("ratio_bp"), qo.get("count")) {
                            (Some(r), None) => {
                                QuotaRule::RatioBp(as_uint(r, &|| format!("{}.ratio_bp", p()))?)
                            }
                            (None, Some(c)) => {
                                QuotaRule::Count(as_uint(c, &|| format!("{}.count", p()))?)
                            }
                            _ => {
                                return Err(invalid(format!(
                                    "`{}` needs exactly one of `ratio_bp` or `count`",
                                    p()
                                )));
                            }
                        };
                        Ok(Quota {
                            stratum: as_string(&qo["stratum"], &|| format!("{}.stratum", p()))?,
                            rule,
                        })
                    })
                    .collect::<Result<Vec<_>, DrawError>>()?,
            ),
        };

        // Whether any inspector spells out `specialties`, even empty: a v1 plan
        // must not carry the key at all (v1 verifiers refuse unknown keys).
        let mut specialty_key = false;
        let inspectors = match o.get("inspectors") {
            None => Vec::new(),
            Some(a) => as_array(a, &|| "plan.inspectors".into())?
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let p = || format!("plan.inspectors[{i}]");
                    let io = as_object(e, &p)?;
                    check_keys(
                        io,
                        &["id", "department"],
                        &["id", "department", "township", "specialties"],
                        &p,
                    )?;
                    specialty_key |= io.contains_key("specialties");
                    Ok(PlanInspector {
                        id: as_string(&io["id"], &|| format!("{}.id", p()))?,
                        department: as_string(&io["department"], &|| {
                            format!("{}.department", p())
                        })?,
                        township: opt_string(io, "township", &p)?,
                        specialties: opt_names(io, "specialties", &p)?,
                    })
                })
                .collect::<Result<Vec<_>, DrawError>>()?,
        };

        let conflicts = match o.get("conflicts") {
            None => Vec::new(),
            Some(a) => as_array(a, &|| "plan.conflicts".into())?
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let p = || format!("plan.conflicts[{i}]");
                    let co = as_object(e, &p)?;
                    check_keys(co, &["inspector", "entity"], &["inspector", "entity"], &p)?;
                    Ok(Conflict {
                        inspector: as_string(&co["inspector"], &|| format!("{}.inspector", p()))?,
                        entity: as_string(&co["entity"], &|| format!("{}.entity", p()))?,
                    })
                })
                .collect::<Result<Vec<_>, DrawError>>()?,
        };

        let teams = match o.get("teams") {
            None => None,
            Some(t) => {
                let p = || "plan.teams".to_owned();
                let to = as_object(t, &p)?;
                check_keys(
                    to,
                    &["count", "size"],
                    &[
                        "count",
                        "size",
                        "departments",
                        "avoid_same_township",
                        "specialties",
                    ],
                    &p,
                )?;
                let departments = opt_names(to, "departments", &p)?;
                let avoid_same_township = match to.get("avoid_same_township") {
                    None => false,
                    Some(b) => b.as_bool().ok_or_else(|| {
                        invalid(format!(
                            "`plan.teams.avoid_same_township` must be a boolean, not {}",
                            b.kind()
                        ))
                    })?,
                };
                Some(TeamRules {
                    count: as_uint(&to["count"], &|| "plan.teams.count".into())?,
                    size: as_uint(&to["size"], &|| "plan.teams.size".into())?,
                    departments,
                    avoid_same_township,
                    specialties: match opt_names(to, "specialties", &p)? {
                        v if v.is_empty() && to.contains_key("specialties") => {
                            return Err(invalid(
                                "`plan.teams.specialties` is empty; list at least one specialty or leave the key out",
                            ));
                        }
                        v => v,
                    },
                })
            }
        };

        let sources = as_array(&o["sources"], &|| "plan.sources".into())?
            .iter()
            .enumerate()
            .map(|(i, s)| as_string(s, &|| format!("plan.sources[{i}]")))
            .collect::<Result<Vec<_>, DrawError>>()?;

        let plan = Plan {
            task,
            entities,
            selection,
            inspectors,
            conflicts,
            teams,
            sources,
        };
        plan.validate()?;
        if specialty_key && plan.format() == FORMAT_V1 {
            return Err(invalid(format!(
                "inspectors list `specialties` but `plan.teams.specialties` requires none; \
                 specialties belong to {FORMAT_V2} plans only"
            )));
        }
        Ok(plan)
    }

    /// Checks the rules that a value built in Rust could break: non-empty names
    /// without U+0000, unique ids, one quota per stratum, ranges, at least one source.
    /// [`crate::draw`] calls it, so an invalid plan never produces a result.
    pub fn validate(&self) -> Result<(), DrawError> {
        for (i, e) in self.entities.iter().enumerate() {
            check_name(&e.id, || format!("plan.entities[{i}].id"))?;
            check_name(&e.stratum, || format!("plan.entities[{i}].stratum"))?;
            if let Some(t) = &e.township {
                check_name(t, || format!("plan.entities[{i}].township"))?;
            }
        }
        if let Some(i) = first_repeat(self.entities.len(), |i| &self.entities[i].id) {
            return Err(invalid(format!(
                "entity id `{}` appears twice (plan.entities[{i}])",
                self.entities[i].id
            )));
        }

        // Small lists below: a hash set, used for lookups only (its order never leaks).
        match &self.selection {
            Selection::Total(t) => check_int(*t, || "plan.total".into())?,
            Selection::Quotas(qs) => {
                let mut strata: HashSet<&str> = HashSet::with_capacity(qs.len());
                for (i, q) in qs.iter().enumerate() {
                    check_name(&q.stratum, || format!("plan.quotas[{i}].stratum"))?;
                    match q.rule {
                        QuotaRule::RatioBp(bp) if bp > 10_000 => {
                            return Err(invalid(format!(
                                "`plan.quotas[{i}].ratio_bp` is {bp}; it must be 0 … 10000"
                            )));
                        }
                        QuotaRule::RatioBp(_) => {}
                        QuotaRule::Count(c) => check_int(c, || format!("plan.quotas[{i}].count"))?,
                    }
                    if !strata.insert(&q.stratum) {
                        return Err(invalid(format!(
                            "stratum `{}` has more than one quota (plan.quotas[{i}])",
                            q.stratum
                        )));
                    }
                }
            }
        }

        let mut ids: HashSet<&str> = HashSet::with_capacity(self.inspectors.len());
        for (i, p) in self.inspectors.iter().enumerate() {
            check_name(&p.id, || format!("plan.inspectors[{i}].id"))?;
            check_name(&p.department, || format!("plan.inspectors[{i}].department"))?;
            if let Some(t) = &p.township {
                check_name(t, || format!("plan.inspectors[{i}].township"))?;
            }
            check_specialties(&p.specialties, || {
                format!("plan.inspectors[{i}].specialties")
            })?;
            if !p.specialties.is_empty() && self.format() == FORMAT_V1 {
                return Err(invalid(format!(
                    "`plan.inspectors[{i}].specialties` is given but `plan.teams.specialties` requires none; \
                     specialties belong to {FORMAT_V2} plans only"
                )));
            }
            if !ids.insert(&p.id) {
                return Err(invalid(format!(
                    "inspector id `{}` appears twice (plan.inspectors[{i}])",
                    p.id
                )));
            }
        }

        for (i, c) in self.conflicts.iter().enumerate() {
            check_name(&c.inspector, || format!("plan.conflicts[{i}].inspector"))?;
            check_name(&c.entity, || format!("plan.conflicts[{i}].entity"))?;
        }

        if let Some(t) = &self.teams {
            if t.count < 1 {
                return Err(invalid("`plan.teams.count` must be at least 1"));
            }
            if t.size < 2 {
                return Err(invalid(format!(
                    "`plan.teams.size` is {}; a team needs at least 2 inspectors",
                    t.size
                )));
            }
            check_int(t.count, || "plan.teams.count".into())?;
            check_int(t.size, || "plan.teams.size".into())?;
            for (i, d) in t.departments.iter().enumerate() {
                check_name(d, || format!("plan.teams.departments[{i}]"))?;
            }
            check_specialties(&t.specialties, || "plan.teams.specialties".into())?;
        }

        if self.sources.is_empty() {
            return Err(invalid(
                "`plan.sources` must name at least one randomness source",
            ));
        }
        for (i, s) in self.sources.iter().enumerate() {
            check_name(s, || format!("plan.sources[{i}]"))?;
        }
        Ok(())
    }

    /// The plan as JSON, in the key order the spec's vectors use. `inspectors` and
    /// `conflicts` are always written (possibly empty) and `teams` writes its
    /// defaults, so one `Plan` has exactly one JSON form and one digest.
    pub fn to_value(&self) -> Value {
        let mut o = Object::new();
        o.insert("task", Value::Object(self.task.clone()));
        o.insert(
            "entities",
            Value::Array(
                self.entities
                    .iter()
                    .map(|e| {
                        let mut eo = Object::new()
                            .with("id", e.id.as_str())
                            .with("stratum", e.stratum.as_str());
                        if let Some(t) = &e.township {
                            eo.insert("township", t.as_str().into());
                        }
                        Value::Object(eo)
                    })
                    .collect(),
            ),
        );
        o.insert(
            "inspectors",
            Value::Array(
                self.inspectors
                    .iter()
                    .map(|p| {
                        let mut po = Object::new()
                            .with("id", p.id.as_str())
                            .with("department", p.department.as_str());
                        if let Some(t) = &p.township {
                            po.insert("township", t.as_str().into());
                        }
                        if !p.specialties.is_empty() {
                            po.insert("specialties", names(&p.specialties));
                        }
                        Value::Object(po)
                    })
                    .collect(),
            ),
        );
        o.insert(
            "conflicts",
            Value::Array(
                self.conflicts
                    .iter()
                    .map(|c| {
                        Value::Object(
                            Object::new()
                                .with("entity", c.entity.as_str())
                                .with("inspector", c.inspector.as_str()),
                        )
                    })
                    .collect(),
            ),
        );
        if let Some(t) = &self.teams {
            let mut to = Object::new()
                .with("count", t.count as i64)
                .with("size", t.size as i64)
                .with("departments", names(&t.departments))
                .with("avoid_same_township", t.avoid_same_township);
            if !t.specialties.is_empty() {
                to.insert("specialties", names(&t.specialties));
            }
            o.insert("teams", Value::Object(to));
        }
        o.insert(
            "sources",
            Value::Array(self.sources.iter().map(|s| s.as_str().into()).collect()),
        );
        match &self.selection {
            Selection::Total(t) => {
                o.insert("total", Value::Int(*t as i64));
            }
            Selection::Quotas(qs) => {
                o.insert(
                    "quotas",
                    Value::Array(
                        qs.iter()
                            .map(|q| {
                                let qo = Object::new().with("stratum", q.stratum.as_str());
                                Value::Object(match q.rule {
                                    QuotaRule::RatioBp(bp) => qo.with("ratio_bp", bp as i64),
                                    QuotaRule::Count(c) => qo.with("count", c as i64),
                                })
                            })
                            .collect(),
                    ),
                );
            }
        }
        Value::Object(o)
    }
}

fn names(list: &[String]) -> Value {
    Value::Array(list.iter().map(|d| d.as_str().into()).collect())
}

/// Index of the first item (in list order) whose id already occurred earlier.
///
/// Sorting `(keyed hash, index)` pairs instead of inserting into a hash set: for
/// ten million ids the set's random probes miss the cache on every insert, while
/// sorting 16-byte pairs streams; the hash key is random per process, so hostile
/// input cannot force collisions, and equal hashes are confirmed by comparing ids.
fn first_repeat<'a>(n: usize, id: impl Fn(usize) -> &'a str) -> Option<usize> {
    use std::hash::BuildHasher;
    let keys = std::hash::RandomState::new();
    let mut pairs: Vec<(u64, usize)> = (0..n).map(|i| (keys.hash_one(id(i)), i)).collect();
    pairs.sort_unstable();
    let mut first: Option<usize> = None;
    for run in pairs.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        // Within a run indices ascend, so the first hit is the run's earliest repeat.
        if let Some(&(_, i)) = run
            .iter()
            .enumerate()
            .find(|(pos, (_, i))| run[..*pos].iter().any(|(_, j)| id(*j) == id(*i)))
            .map(|(_, p)| p)
        {
            first = Some(first.map_or(i, |f| f.min(i)));
        }
    }
    first
}

impl Plan {
    /// Writes exactly `canonical(self.to_value())` without building the value, so
    /// that digesting a plan of millions of entities needs no second copy of it.
    /// Keys appear in RFC 8785 order (all ASCII here, so byte order).
    pub(crate) fn write_canonical<S: Sink>(&self, out: &mut S) {
        fn list<T, S: Sink>(items: &[T], out: &mut S, mut each: impl FnMut(&T, &mut S)) {
            out.put(b"[");
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.put(b",");
                }
                each(x, out);
            }
            out.put(b"]");
        }
        fn int<S: Sink>(n: u64, out: &mut S) {
            out.put(n.to_string().as_bytes());
        }
        out.put(b"{\"conflicts\":");
        list(&self.conflicts, out, |c, out| {
            out.put(b"{\"entity\":");
            write_string(&c.entity, out);
            out.put(b",\"inspector\":");
            write_string(&c.inspector, out);
            out.put(b"}");
        });
        out.put(b",\"entities\":");
        list(&self.entities, out, |e, out| {
            out.put(b"{\"id\":");
            write_string(&e.id, out);
            out.put(b",\"stratum\":");
            write_string(&e.stratum, out);
            if let Some(t) = &e.township {
                out.put(b",\"township\":");
                write_string(t, out);
            }
            out.put(b"}");
        });
        out.put(b",\"inspectors\":");
        list(&self.inspectors, out, |p, out| {
            out.put(b"{\"department\":");
            write_string(&p.department, out);
            out.put(b",\"id\":");
            write_string(&p.id, out);
            if !p.specialties.is_empty() {
                out.put(b",\"specialties\":");
                list(&p.specialties, out, |s, out| write_string(s, out));
            }
            if let Some(t) = &p.township {
                out.put(b",\"township\":");
                write_string(t, out);
            }
            out.put(b"}");
        });
        if let Selection::Quotas(qs) = &self.selection {
            out.put(b",\"quotas\":");
            list(qs, out, |q, out| {
                let n = match q.rule {
                    QuotaRule::Count(n) => {
                        out.put(b"{\"count\":");
                        n
                    }
                    QuotaRule::RatioBp(n) => {
                        out.put(b"{\"ratio_bp\":");
                        n
                    }
                };
                int(n, out);
                out.put(b",\"stratum\":");
                write_string(&q.stratum, out);
                out.put(b"}");
            });
        }
        out.put(b",\"sources\":");
        list(&self.sources, out, |s, out| write_string(s, out));
        out.put(b",\"task\":");
        write_canonical_object(&self.task, out);
        if let Some(t) = &self.teams {
            out.put(if t.avoid_same_township {
                b",\"teams\":{\"avoid_same_township\":true,\"count\":".as_slice()
            } else {
                b",\"teams\":{\"avoid_same_township\":false,\"count\":".as_slice()
            });
            int(t.count, out);
            out.put(b",\"departments\":");
            list(&t.departments, out, |d, out| write_string(d, out));
            out.put(b",\"size\":");
            int(t.size, out);
            if !t.specialties.is_empty() {
                out.put(b",\"specialties\":");
                list(&t.specialties, out, |s, out| write_string(s, out));
            }
            out.put(b"}");
        }
        if let Selection::Total(t) = &self.selection {
            out.put(b",\"total\":");
            int(*t, out);
        }
        out.put(b"}");
    }
}

impl std::ops::Index<&str> for Object {
    type Output = Value;
    /// Panics when absent; used only after `check_keys` proved presence.
    fn index(&self, key: &str) -> &Value {
        self.get(key).expect("key checked present")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> String {
        r#"{"task":{},"entities":[{"id":"e1","stratum":"A"}],"sources":["s"],"total":1}"#.into()
    }

    fn err(s: &str) -> String {
        match Plan::parse(s.as_bytes()) {
            Err(DrawError::InvalidPlan(m)) => m,
            other => panic!("expected invalid-plan for {s}, got {other:?}"),
        }
    }

    #[test]
    fn minimal_plan_round_trips_through_typed_form() {
        let p = Plan::parse(minimal().as_bytes()).unwrap();
        assert_eq!(p.inspectors, vec![]);
        assert_eq!(Plan::from_value(&p.to_value()).unwrap(), p);
    }

    #[test]
    fn direct_canonical_writer_equals_canonical_of_value() {
        let full = r#"{"task":{"z":[1,{"b":"\n","a":null}],"a":"中"},
            "entities":[{"id":"e1","stratum":"A","township":"t\"1"},{"id":"e2","stratum":"B"}],
            "inspectors":[{"id":"i1","department":"d","township":"t"},{"id":"i2","department":"d2"}],
            "conflicts":[{"inspector":"i1","entity":"e2"}],
            "teams":{"count":2,"size":3,"departments":["d","d"],"avoid_same_township":true},
            "sources":["s1","s2"],
            "quotas":[{"stratum":"A","ratio_bp":100},{"stratum":"B","count":9}]}"#;
        let v2 = full
            .replace(
                r#""department":"d2"}"#,
                r#""department":"d2","specialties":["特种设备","x"]}"#,
            )
            .replace(
                r#""avoid_same_township":true}"#,
                r#""avoid_same_township":true,"specialties":["特种设备"]}"#,
            );
        assert_ne!(v2, full);
        for text in [
            full.to_owned(),
            minimal(),
            full.replace("true", "false"),
            v2,
        ] {
            let plan = Plan::parse(text.as_bytes()).unwrap();
            let mut direct = Vec::new();
            plan.write_canonical(&mut direct);
            assert_eq!(
                String::from_utf8(direct).unwrap(),
                String::from_utf8(json::canonical(&plan.to_value())).unwrap()
            );
        }
    }

    #[test]
    fn first_repeat_finds_the_earliest_repeat() {
        let f = |v: &[&str]| first_repeat(v.len(), |i| v[i]);
        assert_eq!(f(&[]), None);
        assert_eq!(f(&["a", "b", "c"]), None);
        assert_eq!(f(&["a", "b", "a", "b"]), Some(2));
        assert_eq!(f(&["a", "b", "b", "a"]), Some(2));
        assert_eq!(f(&["x", "a", "b", "c", "a", "a", "c"]), Some(4));
        let many: Vec<String> = (0..5000).map(|i| format!("{}", i % 4999)).collect();
        assert_eq!(first_repeat(many.len(), |i| &many[i]), Some(4999));
    }

    #[test]
    fn specialties_make_a_v2_plan_and_only_then_may_appear() {
        let teams = |extra: &str| {
            minimal().replacen(
                "\"total\":1",
                &format!(
                    "\"total\":1,\"inspectors\":[{{\"id\":\"i\",\"department\":\"d\",\"specialties\":[\"s\"]}}],\
                     \"teams\":{{\"count\":1,\"size\":2{extra}}}"
                ),
                1,
            )
        };
        let p = Plan::parse(teams(",\"specialties\":[\"s\"]").as_bytes()).unwrap();
        assert_eq!(p.format(), FORMAT_V2);
        assert_eq!(p.inspectors[0].specialties, ["s"]);
        assert_eq!(Plan::from_value(&p.to_value()).unwrap(), p);
        assert_eq!(
            Plan::parse(minimal().as_bytes()).unwrap().format(),
            FORMAT_V1
        );
        // An inspector's specialties without a requirement would be a v1 plan
        // carrying a key v1 does not know.
        assert!(err(&teams("")).contains("specialties belong to liancha-draw/2"));
        assert!(
            err(&teams("").replace("\"specialties\":[\"s\"]", "\"specialties\":[]"))
                .contains("specialties belong to liancha-draw/2")
        );
        assert!(err(&teams(",\"specialties\":[]")).contains("at least one specialty"));
        assert!(err(&teams(",\"specialties\":[\"s\",\"s\"]")).contains("twice"));
        assert!(err(&teams(",\"specialties\":[\"\"]")).contains("empty"));
        assert!(err(&teams(",\"specialties\":\"s\"")).contains("array"));
    }

    #[test]
    fn rules_are_enforced() {
        let with = |k: &str, v: &str| minimal().replacen("\"total\":1", &format!("{k}:{v}"), 1);
        assert!(err(&with("\"total\":1,\"quotas\"", "[]")).contains("both"));
        assert!(err(&with("\"x\"", "1")).contains("unknown key `x`"));
        assert!(err(&with("\"total\"", "-1")).contains("negative"));
        assert!(
            err(&with(
                "\"quotas\"",
                r#"[{"stratum":"A","count":1,"ratio_bp":1}]"#
            ))
            .contains("exactly one")
        );
        assert!(
            err(&with("\"quotas\"", r#"[{"stratum":"A","ratio_bp":10001}]"#)).contains("10000")
        );
        assert!(
            err(&with(
                "\"quotas\"",
                r#"[{"stratum":"A","count":1},{"stratum":"A","count":2}]"#
            ))
            .contains("more than one quota")
        );
        assert!(
            err(&with("\"total\":1,\"teams\"", r#"{"count":1,"size":1}"#)).contains("at least 2")
        );
        assert!(
            err(&with("\"total\":1,\"teams\"", r#"{"count":0,"size":2}"#)).contains("at least 1")
        );
        assert!(
            err(&with(
                "\"total\":1,\"teams\"",
                r#"{"count":1,"size":2,"departments":[""]}"#
            ))
            .contains("empty")
        );
        assert!(
            err(&with(
                "\"total\":1,\"inspectors\"",
                r#"[{"id":"i","department":"d"},{"id":"i","department":"d"}]"#
            ))
            .contains("twice")
        );
        assert!(
            err(&minimal().replace("\"sources\":[\"s\"]", "\"sources\":[]"))
                .contains("at least one")
        );
        assert!(err(&minimal().replace("\"e1\"", "\"e\\u0000\"")).contains("U+0000"));
        assert!(
            err(&minimal().replace(",\"stratum\":\"A\"", ",\"stratum\":\"A\",\"township\":null"))
                .contains("null")
        );
        assert!(err(&minimal().replace("\"task\":{}", "\"task\":[]")).contains("object"));
        // Nulls inside task are the task's business.
        assert!(
            Plan::parse(
                minimal()
                    .replace("\"task\":{}", "\"task\":{\"x\":null}")
                    .as_bytes()
            )
            .is_ok()
        );
    }
}
