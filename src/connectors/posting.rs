//! What a journal sink's client is given and answers when `post` posts a record's lines: the
//! sinks whose schema says `Posting::Journal` or `Posting::Payments`. The calls are the posting
//! capability of [`super::Client`] (`check_posting`, `posted_entry`, `post_journal`,
//! `discard_line`).

use serde_json::Value;

use super::MatchKey;

/// One mapped line of a record that a journal sink posts.
#[derive(Debug, Clone, PartialEq)]
pub struct PostingLine {
    /// The fields the map gave the line.
    pub fields: Value,
    /// Its `match on` keys with their values (none when one of them has no value).
    pub keys: Vec<MatchKey>,
}

/// A journal that a post posted: what the audit log records as updated.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedJournal {
    /// The journals' collection in the target (audited as `connection.collection`).
    pub collection: String,
    /// The posted journal's id.
    pub id: String,
}

/// An amount the ledger holds of a record's posted lines that is not what the lines say: what
/// `ferry reconcile` reports as an amount mismatch. The ledger is not mended by writing again
/// (posted entries are corrected with a reversal in the target), so it is reported only.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedDifference {
    /// What differs, in the target's words (`amount of G/L account 10950`).
    pub field: String,
    /// What the ledger holds; `null` when it holds nothing there.
    pub posted: Value,
    /// What the lines say.
    pub expected: Value,
    /// The currency of both amounts, when the ledger says.
    pub currency: Option<String>,
}

/// A ledger read whole for a reconcile, which answers for every record what
/// [`super::Client::posted_entry`] and [`super::Client::posted_differences`] answer with requests
/// of their own: one listing instead of requests per record. Only for a dry run, which writes
/// nothing: the ledger moves on as soon as anything posts.
pub trait PostedLedger: Send + Sync + std::fmt::Debug {
    /// An entry of `lines` when they were posted.
    fn posted_entry(
        &self,
        lines: &[PostingLine],
    ) -> Result<Option<super::TargetRecord>, super::ConnectorError>;
    /// How the entries of posted `lines` differ from them in amount.
    fn posted_differences(
        &self,
        lines: &[PostingLine],
    ) -> Result<Vec<PostedDifference>, super::ConnectorError>;
}
