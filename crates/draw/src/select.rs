//! Selecting entities (spec §5): in each stratum, the `k_s` smallest tickets.
//!
//! "k smallest by a keyed hash" is order-free: each row's fate depends only on its
//! own ticket against the others', so rows may arrive in any order, in chunks, on
//! any number of threads, and the outcome is the same. That is what lets a large
//! population be drawn in one streaming pass with memory bounded by the number
//! selected (at most `2 k_s + 64` candidates per stratum), instead of sorting everything.
//!
//! # Two passes for a streaming caller
//!
//! Ratio and total quotas need every `N_s` before anything can be selected:
//!
//! 1. **Counting pass**: feed every row's stratum to a [`StratumCounter`] (or take
//!    `SELECT stratum, count(*) … GROUP BY stratum`), then call [`crate::quotas`]
//!    with those counts to get `k_s`.
//! 2. **Selecting pass**: feed every `(id, stratum)` row to a [`StratumSelector`]
//!    built from `k_s`; split the rows between threads with one selector each and
//!    [`StratumSelector::merge`] them; [`StratumSelector::finish`] gives the draw
//!    order.
//!
//! Ids must be unique, as in a plan; the selector keeps no record of unselected
//! ids, so it cannot notice a repeated one.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::DrawError;
use crate::hash::{Purpose, Seed, Ticket, Ticketer};
use crate::plan::{PlanEntity, Selection};
use crate::quota::quotas;

/// A selected entity, as listed in `result.selected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Entity id.
    pub id: String,
    /// Its stratum.
    pub stratum: String,
    /// `ticket("entity", id)`.
    pub ticket: Ticket,
}

/// Something with a (ticket, id) sort key; the id breaks ticket ties by bytes.
trait Keyed: Ord {
    fn key(&self) -> (&Ticket, &str);
}

/// Draw order: ticket as a 256-bit big-endian integer, then id bytes.
///
/// Written as four `u64` comparisons because the derived array comparison is a
/// `memcmp` call, which profiling showed to be a third of a 10^7-row selection.
#[inline]
fn key_cmp(ta: &Ticket, ida: &str, tb: &Ticket, idb: &str) -> Ordering {
    for i in 0..4 {
        let a = u64::from_be_bytes(ta[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        let b = u64::from_be_bytes(tb[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        match a.cmp(&b) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    ida.as_bytes().cmp(idb.as_bytes())
}

macro_rules! keyed_ord {
    ($t:ty) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == Ordering::Equal
            }
        }
        impl Eq for $t {}
        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Ord for $t {
            #[inline]
            fn cmp(&self, other: &Self) -> Ordering {
                let (ta, ia) = self.key();
                let (tb, ib) = other.key();
                key_cmp(ta, ia, tb, ib)
            }
        }
    };
}

/// Keeps the `k` smallest items seen, in at most `2k` (+64) slots.
///
/// Not a binary heap: with k in the hundreds of thousands (10 % of a large
/// stratum) a heap's sift-downs miss the cache at every level, and profiling put
/// them at a third of the run time. Instead admitted items are appended to a
/// buffer; when it holds twice what is needed, a linear-time selection keeps the
/// `k` smallest and its largest becomes the admission threshold. Amortised O(1)
/// per admitted row, sequential memory, same result as a heap (the k smallest
/// under a total order are unique).
struct Bounded<T: Keyed> {
    k: usize,
    buf: Vec<T>,
    /// Once set, `buf[k - 1]` is the largest of the k kept so far, and only smaller
    /// items can still enter.
    compacted: bool,
}

impl<T: Keyed> Bounded<T> {
    fn new(k: u64) -> Self {
        Bounded {
            // k is bounded by the rows that will be seen, so saturating is harmless.
            k: usize::try_from(k).unwrap_or(usize::MAX),
            buf: Vec::new(),
            compacted: false,
        }
    }

    /// Whether `(ticket, id)` could be among the k smallest; checked before building
    /// the item so that the common case (rejected) allocates nothing.
    #[inline]
    fn admits(&self, ticket: &Ticket, id: &str) -> bool {
        if self.k == 0 {
            return false;
        }
        if !self.compacted {
            return true;
        }
        let (tt, tid) = self.buf[self.k - 1].key();
        key_cmp(ticket, id, tt, tid) == Ordering::Less
    }

    /// Adds an item that [`admits`](Self::admits) accepted (others are filtered out
    /// at the next compaction anyway).
    #[inline]
    fn offer(&mut self, item: T) {
        if self.k == 0 {
            return;
        }
        self.buf.push(item);
        if self.buf.len() >= self.k.saturating_mul(2).saturating_add(64) {
            self.compact();
        }
    }

    /// Keeps the k smallest, with the largest of them at `buf[k - 1]`.
    fn compact(&mut self) {
        if self.buf.len() > self.k {
            self.buf.select_nth_unstable(self.k - 1);
            self.buf.truncate(self.k);
            self.compacted = true;
        }
    }

    /// The k smallest (or all, if fewer), unordered.
    fn into_items(mut self) -> Vec<T> {
        if self.buf.len() > self.k {
            self.compact();
        }
        self.buf
    }

    fn len(&self) -> usize {
        self.buf.len().min(self.k)
    }
}

struct OwnedCand {
    ticket: Ticket,
    id: String,
}
keyed_ord!(OwnedCand);

impl Keyed for OwnedCand {
    fn key(&self) -> (&Ticket, &str) {
        (&self.ticket, &self.id)
    }
}

struct BorrowedCand<'a> {
    ticket: Ticket,
    id: &'a str,
    index: usize,
}
keyed_ord!(BorrowedCand<'_>);

impl Keyed for BorrowedCand<'_> {
    fn key(&self) -> (&Ticket, &str) {
        (&self.ticket, self.id)
    }
}

/// Counting pass: stratum sizes `N_s`, mergeable across threads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StratumCounter {
    counts: BTreeMap<String, u64>,
}

impl StratumCounter {
    /// An empty counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one row of `stratum`; allocates only for a stratum not seen before.
    pub fn add(&mut self, stratum: &str) {
        self.add_n(stratum, 1);
    }

    /// Counts `n` rows of `stratum` (e.g. from a `GROUP BY`).
    pub fn add_n(&mut self, stratum: &str, n: u64) {
        match self.counts.get_mut(stratum) {
            Some(c) => *c += n,
            None => {
                self.counts.insert(stratum.to_owned(), n);
            }
        }
    }

    /// Adds another counter's counts.
    pub fn merge(&mut self, other: StratumCounter) {
        for (s, n) in other.counts {
            *self.counts.entry(s).or_insert(0) += n;
        }
    }

    /// Stratum → `N_s`, ready for [`crate::quotas`].
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    /// Consumes the counter, giving stratum → `N_s`.
    pub fn into_counts(self) -> BTreeMap<String, u64> {
        self.counts
    }
}

/// Selecting pass: per stratum, the `k_s` rows with the smallest entity tickets.
///
/// Memory is bounded by `Σ (2 k_s + 64)` ids. Feed rows with [`push`](Self::push) in any
/// order; give each thread its own selector (same seed and quotas) and
/// [`merge`](Self::merge) them; [`finish`](Self::finish) lists the selection in
/// draw order. The result never depends on row order or on how rows were split.
pub struct StratumSelector {
    seed: Seed,
    quotas: BTreeMap<String, u64>,
    ticketer: Ticketer,
    slots: BTreeMap<String, Bounded<OwnedCand>>,
}

impl StratumSelector {
    /// A selector for `quotas` (stratum → `k_s`, e.g. from [`crate::quotas`]).
    /// Rows of strata absent from `quotas` or with `k_s = 0` are skipped unhashed.
    pub fn new(seed: &Seed, quotas: &BTreeMap<String, u64>) -> Self {
        StratumSelector {
            seed: *seed,
            quotas: quotas.clone(),
            ticketer: Ticketer::new(seed, Purpose::Entity),
            slots: quotas
                .iter()
                .filter(|(_, k)| **k > 0)
                .map(|(s, k)| (s.clone(), Bounded::new(*k)))
                .collect(),
        }
    }

    /// Offers one row; computes its ticket only if its stratum selects anything.
    pub fn push(&mut self, id: &str, stratum: &str) {
        if let Some(slot) = self.slots.get_mut(stratum) {
            let t = self.ticketer.ticket(id);
            if slot.admits(&t, id) {
                slot.offer(OwnedCand {
                    ticket: t,
                    id: id.to_owned(),
                });
            }
        }
    }

    /// Offers a row whose ticket was computed elsewhere (e.g. by
    /// [`crate::tickets_parallel`] or in SQL). The ticket must be
    /// `ticket("entity", id)` under this selector's seed.
    pub fn push_ticket(&mut self, id: &str, stratum: &str, ticket: Ticket) {
        if let Some(slot) = self.slots.get_mut(stratum)
            && slot.admits(&ticket, id)
        {
            slot.offer(OwnedCand {
                ticket,
                id: id.to_owned(),
            });
        }
    }

    /// Absorbs a selector that saw other rows of the same population.
    ///
    /// # Panics
    /// If `other` was built with a different seed or different quotas; merging
    /// those would silently produce a selection no verifier can reproduce.
    pub fn merge(&mut self, other: StratumSelector) {
        assert!(
            self.seed == other.seed && self.quotas == other.quotas,
            "StratumSelector::merge: selectors differ in seed or quotas"
        );
        for (s, slot) in other.slots {
            let mine = self.slots.get_mut(&s).expect("same quotas, same strata");
            for c in slot.into_items() {
                if mine.admits(&c.ticket, &c.id) {
                    mine.offer(c);
                }
            }
        }
    }

    /// Number of candidates that would be kept if the input ended now (at most `Σ k_s`).
    pub fn len(&self) -> usize {
        self.slots.values().map(Bounded::len).sum()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The selection in draw order (ascending ticket, ties by id bytes).
    pub fn finish(self) -> Vec<Selected> {
        let mut out: Vec<Selected> = self
            .slots
            .into_iter()
            .flat_map(|(s, slot)| {
                slot.into_items().into_iter().map(move |c| Selected {
                    id: c.id,
                    stratum: s.clone(),
                    ticket: c.ticket,
                })
            })
            .collect();
        out.sort_unstable_by(|a, b| key_cmp(&a.ticket, &a.id, &b.ticket, &b.id));
        out
    }
}

/// Selects from a plan's entities: counting pass, [`quotas`], then the selecting
/// pass split across up to `threads` threads. Same result for every `threads`.
pub fn select(
    entities: &[PlanEntity],
    selection: &Selection,
    seed: &Seed,
    threads: usize,
) -> Result<Vec<Selected>, DrawError> {
    Ok(select_indices(entities, selection, seed, threads)?
        .into_iter()
        .map(|(ticket, i)| Selected {
            id: entities[i].id.clone(),
            stratum: entities[i].stratum.clone(),
            ticket,
        })
        .collect())
}

/// Like [`select`] but returns `(ticket, index into entities)` in draw order, so
/// that the draw can reach each selected entity's township without a lookup.
pub(crate) fn select_indices<'a>(
    entities: &'a [PlanEntity],
    selection: &Selection,
    seed: &Seed,
    threads: usize,
) -> Result<Vec<(Ticket, usize)>, DrawError> {
    // Spawning costs microseconds; below a few thousand rows it is not worth it.
    let threads = threads.clamp(1, entities.len().div_ceil(4096).max(1));

    // Pass 1: N_s. Reading a million rows' strata is memory-bound, so it is split
    // across the same threads as the selecting pass.
    let counted = on_chunks(entities, threads, |_, rows| {
        let mut counts: BTreeMap<&'a str, u64> = BTreeMap::new();
        for e in rows {
            *counts.entry(e.stratum.as_str()).or_insert(0) += 1;
        }
        counts
    });
    let mut populations: BTreeMap<String, u64> = BTreeMap::new();
    for part in counted {
        for (s, n) in part {
            *populations.entry(s.to_owned()).or_insert(0) += n;
        }
    }
    let k = quotas(selection, &populations, seed)?;

    // Pass 2: per stratum, the k_s smallest tickets. Strata in a fixed order; a
    // row finds its slot by binary search on names.
    let strata: Vec<(&str, u64)> = k.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    let ticketer = Ticketer::new(seed, Purpose::Entity);
    let parts = on_chunks(entities, threads, |base, rows| {
        let mut slots: Vec<Bounded<BorrowedCand<'a>>> =
            strata.iter().map(|(_, n)| Bounded::new(*n)).collect();
        for (j, e) in rows.iter().enumerate() {
            let Some(si) = find_stratum(&strata, &e.stratum) else {
                continue;
            };
            let slot = &mut slots[si];
            if slot.k == 0 {
                continue;
            }
            let t = ticketer.ticket(&e.id);
            if slot.admits(&t, &e.id) {
                slot.offer(BorrowedCand {
                    ticket: t,
                    id: &e.id,
                    index: base + j,
                });
            }
        }
        slots
    });
    let mut parts = parts.into_iter();
    let mut slots = parts.next().expect("at least one chunk");
    for part in parts {
        for (mine, theirs) in slots.iter_mut().zip(part) {
            for c in theirs.into_items() {
                if mine.admits(&c.ticket, c.id) {
                    mine.offer(c);
                }
            }
        }
    }

    let mut out: Vec<(Ticket, &str, usize)> = slots
        .into_iter()
        .flat_map(Bounded::into_items)
        .map(|c| (c.ticket, c.id, c.index))
        .collect();
    out.sort_unstable_by(|a, b| key_cmp(&a.0, a.1, &b.0, b.1));
    Ok(out.into_iter().map(|(t, _, i)| (t, i)).collect())
}

/// Index of `name` in `strata` (sorted by name). A handful of strata is the
/// norm, and there a length-and-first-byte prefilter finds the match with a single
/// full comparison, cheaper per row than a binary search's several.
#[inline]
fn find_stratum(strata: &[(&str, u64)], name: &str) -> Option<usize> {
    if strata.len() > 16 {
        return strata.binary_search_by(|(s, _)| (*s).cmp(name)).ok();
    }
    let first = name.as_bytes().first();
    strata
        .iter()
        .position(|(s, _)| s.len() == name.len() && s.as_bytes().first() == first && *s == name)
}

/// Runs `f(offset, chunk)` on `threads` contiguous chunks of `rows` (scoped
/// threads; inline when 1) and returns the results in chunk order.
fn on_chunks<'a, T: Send>(
    rows: &'a [PlanEntity],
    threads: usize,
    f: impl Fn(usize, &'a [PlanEntity]) -> T + Sync,
) -> Vec<T> {
    if threads <= 1 || rows.is_empty() {
        return vec![f(0, rows)];
    }
    let chunk = rows.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = rows
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| scope.spawn(move || f(c * chunk, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("selection thread panicked"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Quota, QuotaRule};

    fn pop(n: usize) -> Vec<PlanEntity> {
        (0..n)
            .map(|i| PlanEntity {
                id: format!("E{i:05}"),
                stratum: ["A", "B", "C"][i % 3].into(),
                township: None,
            })
            .collect()
    }

    #[test]
    fn threads_do_not_change_selection() {
        let ents = pop(20_000);
        let sel = Selection::Quotas(vec![
            Quota {
                stratum: "A".into(),
                rule: QuotaRule::RatioBp(150),
            },
            Quota {
                stratum: "C".into(),
                rule: QuotaRule::Count(17),
            },
        ]);
        let seed = [5u8; 32];
        let one = select(&ents, &sel, &seed, 1).unwrap();
        assert_eq!(one.len(), 101 + 17); // ceil(6667 × 1.5 %) + 17
        assert!(one.windows(2).all(|w| w[0].ticket <= w[1].ticket));
        for t in [2, 3, 8] {
            assert_eq!(select(&ents, &sel, &seed, t).unwrap(), one);
        }

        // Streaming, rows reversed, in two merged halves.
        let mut counter = StratumCounter::new();
        ents.iter().for_each(|e| counter.add(&e.stratum));
        let k = quotas(&sel, counter.counts(), &seed).unwrap();
        let mut a = StratumSelector::new(&seed, &k);
        let mut b = StratumSelector::new(&seed, &k);
        for (i, e) in ents.iter().rev().enumerate() {
            if i % 2 == 0 {
                a.push(&e.id, &e.stratum)
            } else {
                b.push(&e.id, &e.stratum)
            }
        }
        a.merge(b);
        assert_eq!(a.len(), 118);
        assert_eq!(a.finish(), one);
    }
}
