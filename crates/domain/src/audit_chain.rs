//! The audit trail made tamper-evident: each county's entries form a hash chain
//! (each link the SHA-256 of the one before and of the entry), and the chain's head
//! is written into every transparency-log entry of that county. A trigger keeps
//! the application from changing an entry; the chain catches a change made around
//! it (triggers dropped, rows edited in the database): the edited entry's link no
//! longer matches, and a rewritten chain no longer matches the head the log holds.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The link before the first.
pub const GENESIS: [u8; 32] = [0; 32];

/// An instant as the chain hashes it: to the microsecond, which both engines keep
/// exactly (PostgreSQL would round finer ones, SQLite keeps them).
pub fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// What of an entry the chain covers: every column but its row id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked<'a> {
    pub county: &'a str,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: &'a str,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub task_id: Option<i64>,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// The link of `entry` after `prev`: SHA-256(prev ‖ JSON array of the fields).
pub fn link(prev: &[u8], entry: &Linked<'_>) -> [u8; 32] {
    let fields = serde_json::json!([
        entry.county,
        micros(entry.at)
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string(),
        entry.user_id,
        entry.username,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.task_id,
        entry.before,
        entry.after,
    ]);
    let mut h = Sha256::new();
    h.update(prev);
    h.update(serde_json::to_vec(&fields).expect("JSON of plain values"));
    h.finalize().into()
}

/// A county's chain head as a transparency-log entry carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    /// The number of the newest link (the first is 0).
    pub seq: i64,
    /// Its hash, hex.
    pub hash: String,
}

/// What a check of a chain found wrong, each naming the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The entry's content does not give its link: it was changed.
    Changed { seq: i64, audit_id: i64 },
    /// A link's entry is gone.
    Deleted { seq: i64, audit_id: i64 },
    /// Links are missing or repeated before this number.
    Gap { seq: i64 },
    /// An entry no link covers: written around the application.
    Unlinked { audit_id: i64 },
    /// The head the transparency log holds (entry `index`) is not the chain's.
    Anchor { index: u64, seq: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Changed { seq, audit_id } => {
                write!(f, "审计记录 {audit_id}（链第 {seq} 环）的内容已被改动")
            }
            Break::Deleted { seq, audit_id } => {
                write!(f, "审计记录 {audit_id}（链第 {seq} 环）已被删除")
            }
            Break::Gap { seq } => write!(f, "审计链在第 {seq} 环处断开（缺少或重复链环）"),
            Break::Unlinked { audit_id } => {
                write!(f, "审计记录 {audit_id} 不在链中（绕过系统写入）")
            }
            Break::Anchor { index, seq } => write!(
                f,
                "透明日志第 {index} 条锚定的审计链第 {seq} 环与数据库中的不符：此前的审计记录被改写"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: DateTime<Utc>, after: Option<&str>) -> Linked<'_> {
        Linked {
            county: "532323",
            at,
            user_id: Some(1),
            username: "bianban",
            action: "task.commit",
            object_type: "task",
            object_id: "7",
            task_id: Some(7),
            before: None,
            after,
        }
    }

    #[test]
    fn every_field_and_the_previous_link_count() {
        let t = DateTime::from_timestamp(1_780_000_000, 123_456_789).unwrap();
        let a = link(&GENESIS, &entry(t, Some("{}")));
        // The nanoseconds an engine does not keep do not count; the rest does.
        assert_eq!(a, link(&GENESIS, &entry(micros(t), Some("{}"))));
        assert_ne!(a, link(&GENESIS, &entry(t, Some("{ }"))));
        assert_ne!(a, link(&GENESIS, &entry(t, None)));
        assert_ne!(a, link(&a, &entry(t, Some("{}"))));
        let mut other = entry(t, Some("{}"));
        other.username = "admin";
        assert_ne!(a, link(&GENESIS, &other));
        assert_eq!(micros(t).timestamp_subsec_nanos(), 123_456_000);
    }
}
