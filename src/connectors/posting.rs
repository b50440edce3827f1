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
