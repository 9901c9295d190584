//! The crate's single error type.
//!
//! One enum serves drawing and verifying alike because a verifier must refuse a
//! record for exactly the reasons a drawer refuses an input (spec §8), plus the
//! verifier's own reasons (a recomputed value differs, a beacon does not check out).

/// Why a draw was refused or a record did not verify.
///
/// [`DrawError::code`] gives the stable code of spec §8, so that implementations in
/// other languages (and the CLI's exit reports) agree on the *why*; the `Display`
/// text is a one-line explanation for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// Not JSON, a repeated key, or a number that is not an allowed integer.
    #[error("invalid JSON at byte {offset}: {reason}")]
    InvalidJson {
        /// Byte offset into the input where the problem was found.
        offset: usize,
        /// What is wrong there.
        reason: String,
    },
    /// `format` is missing, not `liancha-draw/1` or `/2`, or not the plan's own (v2
    /// exactly when its teams require a specialty), or the envelope around the plan
    /// (keys, `reveal` type, `committed_at`, hex fields) is malformed.
    #[error("invalid format: {0}")]
    InvalidFormat(String),
    /// Some rule of spec §3 or §5 is broken; the message names the rule and the place.
    #[error("invalid plan: {0}")]
    InvalidPlan(String),
    /// `reveal` does not pair up with `plan.sources`, or a reveal is empty.
    #[error("reveal mismatch: {0}")]
    RevealMismatch(String),
    /// Team formation (spec §6) ran out of inspectors.
    #[error("not enough inspectors: {0}")]
    NotEnoughInspectors(String),
    /// A record's stored value differs from what the plan and reveal produce.
    #[error("record differs from its recomputation at `{path}`: {detail}")]
    Mismatch {
        /// JSON path of the first differing value, e.g. `result.selected[0].id`.
        path: String,
        /// Expected versus found, abbreviated.
        detail: String,
    },
    /// A beacon's revealed value is not a valid signature for the declared round.
    #[error("beacon check failed for round {round}: {reason}")]
    BeaconInvalid {
        /// The drand round named by the source.
        round: u64,
        /// Why the signature was refused.
        reason: String,
    },
    /// The beacon round was emitted before the plan was committed, so whoever
    /// committed the plan could already have known the randomness.
    #[error(
        "drand round {round} was emitted at {emitted_at}, not after committed_at {committed_at}"
    )]
    BeaconTooEarly {
        /// The drand round named by the source.
        round: u64,
        /// Emission time of the round, RFC 3339 UTC.
        emitted_at: String,
        /// The record's `committed_at`.
        committed_at: String,
    },
}

/// The error type of [`crate::verify_record`]; the same enum, because verification
/// refuses for the same reasons a draw does.
pub type VerifyError = DrawError;

impl DrawError {
    /// The stable code: spec §8's codes, plus `mismatch`, `beacon-invalid` and
    /// `beacon-too-early` for the verifier's own findings.
    pub fn code(&self) -> &'static str {
        match self {
            DrawError::InvalidJson { .. } => "invalid-json",
            DrawError::InvalidFormat(_) => "invalid-format",
            DrawError::InvalidPlan(_) => "invalid-plan",
            DrawError::RevealMismatch(_) => "reveal-mismatch",
            DrawError::NotEnoughInspectors(_) => "not-enough-inspectors",
            DrawError::Mismatch { .. } => "mismatch",
            DrawError::BeaconInvalid { .. } => "beacon-invalid",
            DrawError::BeaconTooEarly { .. } => "beacon-too-early",
        }
    }

    /// The JSON path of a [`DrawError::Mismatch`], if this is one.
    pub fn mismatch_path(&self) -> Option<&str> {
        match self {
            DrawError::Mismatch { path, .. } => Some(path),
            _ => None,
        }
    }
}
