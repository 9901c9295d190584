//! The selecting pass shared by both engines: batches of rows handed to workers,
//! each keeping the smallest tickets per stratum.

use super::*;

/// Rows per batch handed to a worker: large enough that channel traffic is
/// negligible, small enough that a batch is a few hundred KiB.
pub(super) const BATCH_ROWS: usize = 4096;

/// Rows packed into one string, with their strata as indices into [`Strata::names`].
#[derive(Default)]
pub(super) struct Batch {
    pub(super) text: String,
    pub(super) ends: Vec<u32>,
    pub(super) strata: Vec<u8>,
}

impl Batch {
    pub(super) fn new() -> Self {
        Batch {
            text: String::with_capacity(BATCH_ROWS * 24),
            ends: Vec::with_capacity(BATCH_ROWS),
            strata: Vec::with_capacity(BATCH_ROWS),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn push(&mut self, id: &str, stratum: u8) {
        self.text.push_str(id);
        self.ends.push(self.text.len() as u32);
        self.strata.push(stratum);
    }

    pub(super) fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.strata.clear();
    }

    pub(super) fn feed(&self, selector: &mut StratumSelector, names: &[String]) {
        let mut start = 0;
        for (&end, &s) in self.ends.iter().zip(&self.strata) {
            let end = end as usize;
            selector.push(&self.text[start..end], &names[s as usize]);
            start = end;
        }
    }
}

/// The selecting pass: the reading thread [`push`](Self::push)es rows; full batches
/// go to the first idle worker, or are selected on the reading thread when every
/// worker is busy. Memory: the selectors (bounded by `Σ k_s` each) plus at most
/// three batches per worker.
pub(super) struct Pipeline {
    pub(super) names: Arc<[String]>,
    pub(super) expected: Vec<u64>,
    pub(super) seen: Vec<u64>,
    /// The reading thread's own selector, made the first time every worker is busy
    /// (with one worker that is never, and no selector means no merge).
    pub(super) local: Option<StratumSelector>,
    pub(super) seed: Seed,
    pub(super) quotas: BTreeMap<String, u64>,
    pub(super) batch: Batch,
    pub(super) queues: Vec<SyncSender<Batch>>,
    pub(super) next: usize,
    pub(super) spare: Receiver<Batch>,
    pub(super) workers: Vec<JoinHandle<StratumSelector>>,
}

impl Pipeline {
    /// `threads` counts the reading thread: 1 selects everything on it.
    pub(super) fn new(strata: &Strata, seed: &Seed, threads: usize) -> Self {
        let (spare_tx, spare) = mpsc::channel::<Batch>();
        let mut queues = Vec::new();
        let mut workers = Vec::new();
        for _ in 1..threads.max(1) {
            let (tx, rx) = mpsc::sync_channel::<Batch>(2);
            let names = strata.names.clone();
            let seed = *seed;
            let quotas = strata.quotas.clone();
            let spare_tx = spare_tx.clone();
            workers.push(std::thread::spawn(move || {
                let mut selector = StratumSelector::new(&seed, &quotas);
                while let Ok(mut b) = rx.recv() {
                    b.feed(&mut selector, &names);
                    b.clear();
                    let _ = spare_tx.send(b);
                }
                selector
            }));
            queues.push(tx);
        }
        Pipeline {
            names: strata.names.clone(),
            expected: strata.populations.clone(),
            seen: vec![0; strata.names.len()],
            local: None,
            seed: *seed,
            quotas: strata.quotas.clone(),
            batch: Batch::new(),
            queues,
            next: 0,
            spare,
            workers,
        }
    }

    #[inline]
    pub(super) fn push(&mut self, id: &str, stratum: &[u8]) -> Result<()> {
        // Rows of strata that select nothing were filtered out in SQL; any other
        // stratum means the rows are not what was counted.
        let s = match self.names.iter().position(|n| n.as_bytes() == stratum) {
            Some(s) => s,
            None => return Err(changed()),
        };
        self.seen[s] += 1;
        self.batch.push(id, s as u8);
        if self.batch.len() == BATCH_ROWS {
            self.dispatch();
        }
        Ok(())
    }

    pub(super) fn dispatch(&mut self) {
        if !self.queues.is_empty() {
            let mut item = std::mem::take(&mut self.batch);
            for i in 0..self.queues.len() {
                let q = (self.next + i) % self.queues.len();
                match self.queues[q].try_send(item) {
                    Ok(()) => {
                        self.next = q + 1;
                        self.batch = self.spare.try_recv().unwrap_or_else(|_| Batch::new());
                        return;
                    }
                    Err(TrySendError::Full(b) | TrySendError::Disconnected(b)) => item = b,
                }
            }
            self.batch = item;
        }
        let local = self
            .local
            .get_or_insert_with(|| StratumSelector::new(&self.seed, &self.quotas));
        self.batch.feed(local, &self.names);
        self.batch.clear();
    }

    pub(super) fn finish(mut self) -> Result<Vec<Selected>> {
        if self.batch.len() > 0 || (self.local.is_none() && self.workers.is_empty()) {
            let local = self
                .local
                .get_or_insert_with(|| StratumSelector::new(&self.seed, &self.quotas));
            self.batch.feed(local, &self.names);
        }
        self.queues.clear();
        let mut selectors: Vec<StratumSelector> = self.local.take().into_iter().collect();
        for w in self.workers.drain(..) {
            selectors.push(w.join().expect("selection worker panicked"));
        }
        if self.seen != self.expected {
            return Err(changed());
        }
        // The fullest absorbs the others: fewest candidates moved.
        selectors.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut selectors = selectors.into_iter();
        let mut all = selectors.next().expect("at least one selector");
        for s in selectors {
            all.merge(s);
        }
        Ok(all.finish())
    }
}
