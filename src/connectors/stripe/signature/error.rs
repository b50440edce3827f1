//! Why a webhook was refused. Messages name the rule that failed, never the secret or the
//! signatures, so they can go to logs and HTTP bodies as they are.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    MissingHeader,
    #[error("malformed Stripe-Signature header: {0}")]
    Malformed(&'static str),
    #[error("the Stripe-Signature header has no v1 signature")]
    NoV1,
    #[error("no v1 signature matches the body and a configured webhook secret")]
    NoMatch,
    #[error(
        "the signed timestamp is {} s old, more than the tolerance of {} s",
        age.as_secs(),
        tolerance.as_secs()
    )]
    TooOld { age: Duration, tolerance: Duration },
    #[error(
        "the signed timestamp is {} s in the future, more than the tolerance of {} s",
        ahead.as_secs(),
        tolerance.as_secs()
    )]
    TooNew {
        ahead: Duration,
        tolerance: Duration,
    },
}

impl SignatureError {
    /// A stable short code for logs and HTTP bodies; never reused for another meaning.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::MissingHeader => "signature_missing",
            SignatureError::Malformed(_) => "signature_malformed",
            SignatureError::NoV1 => "signature_no_v1",
            SignatureError::NoMatch => "signature_mismatch",
            SignatureError::TooOld { .. } => "signature_too_old",
            SignatureError::TooNew { .. } => "signature_too_new",
        }
    }
}
