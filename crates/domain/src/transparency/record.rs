//! A draw record checked against the log: its sealing logged before any source
//! was revealed, the record the one the draw committed to, cancellations named.

use super::*;

/// What the log says of one draw record (by its plan digest and its own digest):
/// where its plan was sealed, whether that was before every source could be
/// known, whether the log committed to this very record, and what else its
/// county cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInLog {
    /// The sealing entry's index and time, `None` if the log has none.
    pub sealed: Option<(u64, String)>,
    /// Each source: its text, the time before which it could not be known, and
    /// whether the sealing came before that time.
    pub sources: Vec<(String, String, bool)>,
    /// Sealings of the same task beyond the first.
    pub resealed: Vec<u64>,
    /// The digest the log's draw entry committed to, if there is one, and whether
    /// it is this record's.
    pub drawn: Option<(String, bool)>,
    /// The county's tasks cancelled before this plan was sealed.
    pub cancelled: Vec<Cancelled>,
}

/// Another task of the county, sealed and then cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    pub task: i64,
    /// When it was cancelled.
    pub at: String,
    pub reason: String,
    /// Whether it was cancelled after its draw, when its outcome was known: the case
    /// the public should look at first.
    pub after_draw: bool,
}

impl RecordInLog {
    /// Whether the log vouches for the record: sealed before every source, sealed
    /// once, and the draw the log committed to is this record. A record exists only
    /// from the draw, whose entry is written in the draw's own transaction, so a
    /// missing draw entry (a bundle that left it out, say) does not hold.
    pub fn holds(&self) -> bool {
        self.sealed.is_some()
            && self.sources.iter().all(|s| s.2)
            && self.resealed.is_empty()
            && self.drawn.as_ref().is_some_and(|d| d.1)
    }

    /// What the whole log (`entries`, from index 0 on) says of the record.
    pub fn find(entries: &[LogEntry], plan_digest: &str, record_digest: &str) -> RecordInLog {
        let indexed: Vec<(u64, &LogEntry)> = (0..).zip(entries).collect();
        RecordInLog::find_in(&indexed, plan_digest, record_digest)
    }

    /// What some entries of the log (each with its index, in index order: a proof
    /// bundle's) say of the record: only what is among them.
    pub fn find_in(
        entries: &[(u64, &LogEntry)],
        plan_digest: &str,
        record_digest: &str,
    ) -> RecordInLog {
        let mut out = RecordInLog {
            sealed: None,
            sources: Vec::new(),
            resealed: Vec::new(),
            drawn: None,
            cancelled: Vec::new(),
        };
        let Some(pos) = entries.iter().position(|(_, e)| {
            matches!(&e.event, LogEvent::Sealed { plan_digest: d, .. } if d == plan_digest)
        }) else {
            return out;
        };
        let (index, sealed) = entries[pos];
        out.sealed = Some((index, sealed.at.clone()));
        let LogEvent::Sealed { task, sources, .. } = &sealed.event else {
            return out;
        };
        // RFC 3339 UTC to the second, as entries write it: text order is time order.
        out.sources = sources
            .iter()
            .map(|s| {
                (
                    s.text.clone(),
                    s.not_before.clone(),
                    sealed.at < s.not_before,
                )
            })
            .collect();
        for &(i, e) in &entries[pos + 1..] {
            if e.county != sealed.county {
                continue;
            }
            match &e.event {
                LogEvent::Sealed { task: t, .. } if t == task => out.resealed.push(i),
                LogEvent::Drawn {
                    plan_digest: d,
                    record_digest: r,
                    ..
                } if d == plan_digest && out.drawn.is_none() => {
                    out.drawn = Some((r.clone(), r == record_digest));
                }
                _ => {}
            }
        }
        // Cancellations before this sealing: a plan redone, perhaps after its outcome
        // was seen.
        let mut drawn: Vec<i64> = Vec::new();
        for (_, e) in entries[..pos]
            .iter()
            .filter(|(_, e)| e.county == sealed.county)
        {
            match &e.event {
                LogEvent::Drawn { task: t, .. } => drawn.push(*t),
                LogEvent::Cancelled {
                    task: t, reason, ..
                } if t != task => out.cancelled.push(Cancelled {
                    task: *t,
                    at: e.at.clone(),
                    reason: reason.clone(),
                    after_draw: drawn.contains(t),
                }),
                _ => {}
            }
        }
        out
    }
}
