//! The client contract: what every connector's client does for the runner.
//!
//! A connector implements [`Client`]; its descriptor opens it as a `Box<dyn DynClient>`, which
//! [`super::Connector`] holds. `stream` and `collection` are the second half of a pipeline's
//! `source x.y` / `sink x.y` (`parties`, `events`, `customers`, `salesOrders`, ...).
//!
//! The five record calls are required. The rest are capabilities with a default that says the
//! connector does not have them.
//!
//! Posting a journal (`post` on a sink whose schema says `Posting::Journal` or
//! `Posting::Payments`) is one such capability, four calls that the runtime makes in this order
//! for one record at a time: [`Client::check_posting`] and [`Client::posted_entry`] before any
//! line is written, [`Client::post_journal`] once they are, and [`Client::discard_line`] for each
//! line of a record that failed. [`Client::posted_differences`] serves `ferry reconcile`: what the
//! ledger holds of lines found posted, compared in amount.
//!
//! [`Client::cursor_time`] tells the time a stored cursor stands at, for the stall alerts of
//! `ferry run --watch` (how far a pipeline stuck at it lags its source).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

use super::http::HttpStats;
use super::{
    ConnectorError, MatchKey, PollOptions, PostedDifference, PostedJournal, PostedLedger,
    PostingLine, SourcePage, TargetRecord, Write,
};

/// A future a [`DynClient`] returns.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, ConnectorError>> + Send + 'a>>;

/// One connection's client.
pub trait Client: Send + Sync + std::fmt::Debug {
    /// The records of `stream` after `cursor`, oldest first, and where to resume.
    fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> impl Future<Output = Result<SourcePage, ConnectorError>> + Send;

    /// The record `id` of `collection`, if it exists.
    fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<TargetRecord>, ConnectorError>> + Send;

    /// The record of `collection` that the `match on` keys select, if any.
    fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> impl Future<Output = Result<Option<TargetRecord>, ConnectorError>> + Send;

    fn create(
        &self,
        collection: &str,
        write: &Write,
    ) -> impl Future<Output = Result<TargetRecord, ConnectorError>> + Send;

    /// Sends the changed fields of `current`.
    fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> impl Future<Output = Result<TargetRecord, ConnectorError>> + Send;

    /// Every object of `stream` the filters select (`fetch_all(...)`).
    fn list_all(
        &self,
        stream: &str,
        _filters: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<Value>, ConnectorError>> + Send {
        let refusal = ConnectorError::Unsupported(format!(
            "`{stream}` of this connection cannot be listed with filters"
        ));
        async { Err(refusal) }
    }

    /// Every record of `collection`, in whatever order its list pages give them: what a
    /// reconcile plans against instead of asking for each record. The default reads the
    /// collection through `poll` from its start; a system whose poll costs more than one pass
    /// over its list pages lists it in one.
    fn list_records(
        &self,
        collection: &str,
    ) -> impl Future<Output = Result<Vec<TargetRecord>, ConnectorError>> + Send
    where
        Self: Sized,
    {
        list_by_polling(self, collection)
    }

    /// Posts the written document `id` of `collection` (a sink whose schema says it posts);
    /// the document as posted.
    fn post_document(
        &self,
        collection: &str,
        _id: &str,
    ) -> impl Future<Output = Result<Option<TargetRecord>, ConnectorError>> + Send {
        let refusal = ConnectorError::Unsupported(format!(
            "`{collection}` documents of this connection cannot be posted"
        ));
        async { Err(refusal) }
    }

    /// Whether the ledger can tell that a record's `lines` for `collection` were posted: a line
    /// without what the ledger is asked by (a document number, a key its entry keeps) is the
    /// record's fault, a 400 that sends it to the dead letters.
    fn check_posting(
        &self,
        collection: &str,
        _lines: &[PostingLine],
    ) -> Result<(), ConnectorError> {
        Err(cannot_post_journals(collection))
    }

    /// The ledger entry of `lines` when they were posted already (by an earlier run whose
    /// answer was lost): then nothing is written or posted again.
    fn posted_entry(
        &self,
        collection: &str,
        _lines: &[PostingLine],
    ) -> impl Future<Output = Result<Option<TargetRecord>, ConnectorError>> + Send {
        let refusal = cannot_post_journals(collection);
        async { Err(refusal) }
    }

    /// For `ferry reconcile`: how the ledger's entries of a record's posted `lines` differ from
    /// them in amount (none when they agree). Asked only of lines [`Client::posted_entry`]
    /// found posted.
    fn posted_differences(
        &self,
        collection: &str,
        _lines: &[PostingLine],
    ) -> impl Future<Output = Result<Vec<PostedDifference>, ConnectorError>> + Send {
        let refusal = cannot_post_journals(collection);
        async { Err(refusal) }
    }

    /// For `ferry reconcile`: the ledger `collection`'s lines are posted to, read whole, so that
    /// every record is answered from one listing. `None` when the connector asks per record.
    fn read_ledger(
        &self,
        _collection: &str,
    ) -> impl Future<Output = Result<Option<Arc<dyn PostedLedger>>, ConnectorError>> + Send {
        async { Ok(None) }
    }

    /// Posts the journal that holds `lines`, written as the records `written`, and only while it
    /// holds them alone (posting posts every line of a journal). Sent once: a post whose answer
    /// was lost is looked up in the ledger. `None` when the lines left the journal posted before
    /// this post (nothing was posted now).
    fn post_journal(
        &self,
        collection: &str,
        _lines: &[PostingLine],
        _written: &[String],
    ) -> impl Future<Output = Result<Option<PostedJournal>, ConnectorError>> + Send {
        let refusal = cannot_post_journals(collection);
        async { Err(refusal) }
    }

    /// Takes the written line `id` (one of a failed record's `lines`) out of its journal again;
    /// a line gone already is fine.
    fn discard_line(
        &self,
        collection: &str,
        _lines: &[PostingLine],
        _id: &str,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send {
        let refusal = cannot_post_journals(collection);
        async { Err(refusal) }
    }

    /// Gets ready to be written to as `stream` (a file opens its output).
    fn prepare_sink(&mut self, _stream: &str) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// The time of the source's changes that `cursor` (one this client's `poll` of `stream`
    /// returned) has read up to, when the cursor holds one: how far a pipeline stuck at it lags
    /// its source. `None` when the cursor is a position without a time.
    fn cursor_time(&self, _stream: &str, _cursor: &str) -> Option<Timestamp> {
        None
    }

    /// How far through its pass `cursor` (one this client's `poll` of `stream` returned)
    /// stands, when the source says how many records the pass holds (Pronto's `count`):
    /// records read and records in all, for a progress bar with an ETA.
    fn cursor_progress(&self, _stream: &str, _cursor: &str) -> Option<PassProgress> {
        None
    }

    /// Request counters of the connection's HTTP client (none without HTTP).
    fn http_stats(&self) -> Option<HttpStats> {
        None
    }

    /// Whether a deletion in `stream` changes what its record belonged to (a Capsule
    /// opportunity, of its party's activity) though the system lists it by id only: the
    /// runner then maps the deletion from the record's version last read, so a pipeline that
    /// sums up the owner reads the owner's current set again. Otherwise a deletion is reported
    /// and its target left as it is.
    fn remaps_deletions(&self, _stream: &str) -> bool {
        false
    }

    /// Whether a record of `stream` delivered on its own (a webhook's, a replayed dead letter)
    /// is read again before it is mapped, because the delivery carries less than a poll reads
    /// (Capsule's REST hooks carry no custom fields). The runner then maps the current record
    /// from [`Client::get`]; one the system no longer has is mapped as delivered.
    fn rereads_delivered(&self, _stream: &str) -> bool {
        false
    }

    /// Ends what the client holds open on the far side (a logged-on session) once a run is
    /// over; a later call opens it again.
    fn close(&self) -> impl Future<Output = Result<(), ConnectorError>> + Send {
        async { Ok(()) }
    }
}

/// How far a poll has read through a pass whose size the source tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassProgress {
    pub read: u64,
    pub total: u64,
}

fn cannot_post_journals(collection: &str) -> ConnectorError {
    ConnectorError::Unsupported(format!(
        "`{collection}` of this connection has no journal to post"
    ))
}

/// [`Client`] with boxed futures, so that the runner can hold any connector's client.
/// Every [`Client`] is one.
pub trait DynClient: Send + Sync + std::fmt::Debug {
    fn poll<'a>(
        &'a self,
        stream: &'a str,
        cursor: Option<&'a str>,
        options: &'a PollOptions,
    ) -> Call<'a, SourcePage>;
    fn get<'a>(&'a self, collection: &'a str, id: &'a str) -> Call<'a, Option<TargetRecord>>;
    fn find<'a>(
        &'a self,
        collection: &'a str,
        keys: &'a [MatchKey],
    ) -> Call<'a, Option<TargetRecord>>;
    fn create<'a>(&'a self, collection: &'a str, write: &'a Write) -> Call<'a, TargetRecord>;
    fn update<'a>(
        &'a self,
        collection: &'a str,
        current: &'a TargetRecord,
        write: &'a Write,
    ) -> Call<'a, TargetRecord>;
    fn list_all<'a>(
        &'a self,
        stream: &'a str,
        filters: &'a [(String, String)],
    ) -> Call<'a, Vec<Value>>;
    fn list_records<'a>(&'a self, collection: &'a str) -> Call<'a, Vec<TargetRecord>>;
    fn post_document<'a>(
        &'a self,
        collection: &'a str,
        id: &'a str,
    ) -> Call<'a, Option<TargetRecord>>;
    fn check_posting(&self, collection: &str, lines: &[PostingLine]) -> Result<(), ConnectorError>;
    fn posted_entry<'a>(
        &'a self,
        collection: &'a str,
        lines: &'a [PostingLine],
    ) -> Call<'a, Option<TargetRecord>>;
    fn posted_differences<'a>(
        &'a self,
        collection: &'a str,
        lines: &'a [PostingLine],
    ) -> Call<'a, Vec<PostedDifference>>;
    fn read_ledger<'a>(&'a self, collection: &'a str) -> Call<'a, Option<Arc<dyn PostedLedger>>>;
    fn post_journal<'a>(
        &'a self,
        collection: &'a str,
        lines: &'a [PostingLine],
        written: &'a [String],
    ) -> Call<'a, Option<PostedJournal>>;
    fn discard_line<'a>(
        &'a self,
        collection: &'a str,
        lines: &'a [PostingLine],
        id: &'a str,
    ) -> Call<'a, ()>;
    fn prepare_sink(&mut self, stream: &str) -> Result<(), ConnectorError>;
    fn cursor_time(&self, stream: &str, cursor: &str) -> Option<Timestamp>;
    fn cursor_progress(&self, stream: &str, cursor: &str) -> Option<PassProgress>;
    fn http_stats(&self) -> Option<HttpStats>;
    fn remaps_deletions(&self, stream: &str) -> bool;
    fn rereads_delivered(&self, stream: &str) -> bool;
    fn close<'a>(&'a self) -> Call<'a, ()>;
}

impl<C: Client> DynClient for C {
    fn poll<'a>(
        &'a self,
        stream: &'a str,
        cursor: Option<&'a str>,
        options: &'a PollOptions,
    ) -> Call<'a, SourcePage> {
        Box::pin(Client::poll(self, stream, cursor, options))
    }

    fn get<'a>(&'a self, collection: &'a str, id: &'a str) -> Call<'a, Option<TargetRecord>> {
        Box::pin(Client::get(self, collection, id))
    }

    fn find<'a>(
        &'a self,
        collection: &'a str,
        keys: &'a [MatchKey],
    ) -> Call<'a, Option<TargetRecord>> {
        Box::pin(Client::find(self, collection, keys))
    }

    fn create<'a>(&'a self, collection: &'a str, write: &'a Write) -> Call<'a, TargetRecord> {
        Box::pin(Client::create(self, collection, write))
    }

    fn update<'a>(
        &'a self,
        collection: &'a str,
        current: &'a TargetRecord,
        write: &'a Write,
    ) -> Call<'a, TargetRecord> {
        Box::pin(Client::update(self, collection, current, write))
    }

    fn list_all<'a>(
        &'a self,
        stream: &'a str,
        filters: &'a [(String, String)],
    ) -> Call<'a, Vec<Value>> {
        Box::pin(Client::list_all(self, stream, filters))
    }

    fn list_records<'a>(&'a self, collection: &'a str) -> Call<'a, Vec<TargetRecord>> {
        Box::pin(Client::list_records(self, collection))
    }

    fn post_document<'a>(
        &'a self,
        collection: &'a str,
        id: &'a str,
    ) -> Call<'a, Option<TargetRecord>> {
        Box::pin(Client::post_document(self, collection, id))
    }

    fn check_posting(&self, collection: &str, lines: &[PostingLine]) -> Result<(), ConnectorError> {
        Client::check_posting(self, collection, lines)
    }

    fn posted_entry<'a>(
        &'a self,
        collection: &'a str,
        lines: &'a [PostingLine],
    ) -> Call<'a, Option<TargetRecord>> {
        Box::pin(Client::posted_entry(self, collection, lines))
    }

    fn posted_differences<'a>(
        &'a self,
        collection: &'a str,
        lines: &'a [PostingLine],
    ) -> Call<'a, Vec<PostedDifference>> {
        Box::pin(Client::posted_differences(self, collection, lines))
    }

    fn read_ledger<'a>(&'a self, collection: &'a str) -> Call<'a, Option<Arc<dyn PostedLedger>>> {
        Box::pin(Client::read_ledger(self, collection))
    }

    fn post_journal<'a>(
        &'a self,
        collection: &'a str,
        lines: &'a [PostingLine],
        written: &'a [String],
    ) -> Call<'a, Option<PostedJournal>> {
        Box::pin(Client::post_journal(self, collection, lines, written))
    }

    fn discard_line<'a>(
        &'a self,
        collection: &'a str,
        lines: &'a [PostingLine],
        id: &'a str,
    ) -> Call<'a, ()> {
        Box::pin(Client::discard_line(self, collection, lines, id))
    }

    fn prepare_sink(&mut self, stream: &str) -> Result<(), ConnectorError> {
        Client::prepare_sink(self, stream)
    }

    fn cursor_time(&self, stream: &str, cursor: &str) -> Option<Timestamp> {
        Client::cursor_time(self, stream, cursor)
    }

    fn cursor_progress(&self, stream: &str, cursor: &str) -> Option<PassProgress> {
        Client::cursor_progress(self, stream, cursor)
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Client::http_stats(self)
    }

    fn remaps_deletions(&self, stream: &str) -> bool {
        Client::remaps_deletions(self, stream)
    }

    fn rereads_delivered(&self, stream: &str) -> bool {
        Client::rereads_delivered(self, stream)
    }

    fn close<'a>(&'a self) -> Call<'a, ()> {
        Box::pin(Client::close(self))
    }
}

/// Every record of `collection` through `poll` from its start: [`Client::list_records`]'s
/// default. A record the source could not read fails the listing: a reconcile must not count it
/// as absent.
pub async fn list_by_polling<C: Client>(
    client: &C,
    collection: &str,
) -> Result<Vec<TargetRecord>, ConnectorError> {
    let options = PollOptions {
        event_types: Vec::new(),
        backfill: true,
        since: None,
        page_size: 100,
        history: false,
    };
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client.poll(collection, cursor.as_deref(), &options).await?;
        if !page.rejected.is_empty() {
            return Err(ConnectorError::BadResponse {
                endpoint: format!("list {collection}"),
                reason: format!("{} records could not be read", page.rejected.len()),
            });
        }
        records.extend(
            page.records
                .into_iter()
                .filter(|record| !record.deleted)
                .map(|record| TargetRecord {
                    id: record.id,
                    data: record.data,
                    etag: None,
                }),
        );
        if page.cursor.is_some() {
            cursor = page.cursor;
        }
        if !page.more {
            return Ok(records);
        }
    }
}
