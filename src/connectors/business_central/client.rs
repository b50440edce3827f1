//! Business Central's API v2.0 entity sets over HTTP: change polling through
//! `lastModifiedDateTime` and `@odata.nextLink`, reads, `$filter` matches, and writes guarded
//! by `If-Match` etags.

use jiff::Timestamp;
use reqwest::Method;
use serde_json::Value;

use super::cursor::ChangeCursor;
use super::odata;
use super::posting;
use super::wire::{api_error, is_stale_etag, target_record};
use crate::connectors::connection::{base_url, http_config};
use crate::connectors::http::paging::{odata_next_link, odata_next_query, odata_resume_url};
use crate::connectors::http::{HttpClient, HttpConfig, RequestSpec};
use crate::connectors::{
    ConnectorError, MAX_RELATED, MatchKey, PollOptions, PostedDifference, PostedJournal, PostedLedger, PostingLine, SourcePage,
    SourceRecord, TargetRecord, Write,
};
use crate::connectors::http::HttpStats;
use crate::connectors::{Client, ResolvedConnection};

/// Page size asked for with `Prefer: odata.maxpagesize` when the pipeline sets none.
const DEFAULT_PAGE_SIZE: usize = 100;

/// Journal lines live under their journal: `journals({id})/journalLines`.
pub(super) const JOURNAL_LINES: &str = "journalLines";
/// Read from the finance reports API, not API v2.0 (which has no customer ledger).
pub(super) const CUSTOMER_LEDGER_ENTRIES: &str = "customerLedgerEntries";
const API_V2: &str = "/api/v2.0/";
const FINANCE_REPORTS_API: &str = "/api/microsoft/reportsFinance/beta/";

/// One Business Central company.
#[derive(Debug, Clone)]
pub struct BusinessCentralClient {
    pub(super) http: HttpClient,
    /// `{base}/v2.0/{tenant}/{environment}/api/v2.0/companies({id})`, no trailing slash.
    pub(super) company_url: String,
    /// The journal whose lines `journalLines` reads when a record does not name one.
    pub(super) journal_id: Option<String>,
    /// The `journal` setting: that journal's code, whose id is looked up once.
    journal_code: Option<String>,
    pub(super) journal_by_code: std::sync::Arc<tokio::sync::OnceCell<String>>,
}

impl BusinessCentralClient {
    /// The client of a `kind: business_central` connection (settings `tenant`, `environment`,
    /// `company_id`, optional `journal_id`).
    pub fn new(connection: &ResolvedConnection) -> Result<Self, ConnectorError> {
        let setting = |key: &str| {
            connection.setting(key).ok_or_else(|| {
                ConnectorError::Unsupported(format!("{}: no `{key}` setting", connection.name))
            })
        };
        let base = base_url(connection).ok_or_else(|| {
            ConnectorError::Unsupported(format!("{}: no base_url", connection.name))
        })?;
        let company_url = format!(
            "{base}/v2.0/{}/{}/api/v2.0/companies({})",
            setting("tenant")?,
            setting("environment")?,
            setting("company_id")?
        );
        let mut client = Self::with_config(&company_url, http_config(connection))?;
        client.journal_id = connection.setting("journal_id").map(str::to_string);
        client.journal_code = connection.setting("journal").map(str::to_string);
        Ok(client)
    }

    /// A client for the company at `company_url` (tests, the sandbox).
    pub fn with_config(company_url: &str, config: HttpConfig) -> Result<Self, ConnectorError> {
        let http = HttpClient::new(config)
            .map_err(|error| ConnectorError::Unsupported(format!("business central: {error}")))?;
        Ok(BusinessCentralClient {
            http,
            company_url: company_url.trim_end_matches('/').to_string(),
            journal_id: None,
            journal_code: None,
            journal_by_code: Default::default(),
        })
    }

    /// The HTTP client, for its counters.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    async fn patch(
        &self,
        collection: &str,
        url: &str,
        etag: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        let spec = RequestSpec::new(
            Method::PATCH,
            format!("business central: update {collection}"),
            url,
        )
        .header("If-Match", etag)
        // Left retry-unsafe: the HTTP layer repeats retry-safe requests on 409, which is how
        // the sandbox (and maybe Business Central) answers a stale etag.
        .json(&write.fields);
        let response = self.http.send(spec).await.map_err(api_error)?;
        target_record(response.json()?, collection)
    }

    async fn get_url(
        &self,
        collection: &str,
        url: String,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let spec = RequestSpec::get(format!("business central: get {collection}"), url);
        match self.http.send(spec).await {
            Ok(response) => target_record(response.json()?, collection).map(Some),
            Err(error) if error.status() == Some(404) => Ok(None),
            Err(error) => Err(api_error(error)),
        }
    }

    /// With the `journal` setting (a code such as `GENERAL`) and no `journal_id`, looks the
    /// journal's id up once, before the first request about journal lines.
    pub(super) async fn find_journal(&self, collection: &str) -> Result<(), ConnectorError> {
        let Some(code) = &self.journal_code else {
            return Ok(());
        };
        if collection != JOURNAL_LINES || self.journal_id.is_some() {
            return Ok(());
        }
        self.journal_by_code
            .get_or_try_init(|| async {
                let filter = format!("code eq '{}'", code.replace('\'', "''"));
                let url = format!(
                    "{}/journals?$filter={}&$top=1",
                    self.company_url,
                    encode(&filter)
                );
                let spec = RequestSpec::get("business central: find the journal", url);
                let response = self.http.send(spec).await.map_err(api_error)?;
                let body: Value = response.json()?;
                entities(&body, "journals")?
                    .first()
                    .and_then(|journal| journal.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        ConnectorError::Unsupported(format!(
                            "business central has no journal with the code `{code}` (the connection's `journal` setting)"
                        ))
                    })
            })
            .await?;
        Ok(())
    }

    /// The URL of an entity set; journal lines need their journal, from the record or the
    /// connection.
    fn collection_url(
        &self,
        collection: &str,
        journal: Option<&Value>,
    ) -> Result<String, ConnectorError> {
        if collection.is_empty() || !collection.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ConnectorError::Unsupported(format!(
                "business central has no `{collection}` collection"
            )));
        }
        if collection == CUSTOMER_LEDGER_ENTRIES {
            // API v2.0 has no customer ledger; the finance reports API beside it does.
            return Ok(format!(
                "{}/{collection}",
                self.company_url.replacen(API_V2, FINANCE_REPORTS_API, 1)
            ));
        }
        if collection != JOURNAL_LINES {
            return Ok(format!("{}/{collection}", self.company_url));
        }
        let journal = journal
            .and_then(Value::as_str)
            .or(self.journal_id.as_deref())
            .or(self.journal_by_code.get().map(String::as_str))
            .filter(|id| id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
            .ok_or_else(|| {
                ConnectorError::Unsupported(
                    "business central: journalLines needs a journalId (in the record or the connection's journal_id)"
                        .into(),
                )
            })?;
        Ok(format!(
            "{}/journals({journal})/{JOURNAL_LINES}",
            self.company_url
        ))
    }
}

/// A list body's `value` array.
pub(super) fn entities<'a>(
    body: &'a Value,
    collection: &str,
) -> Result<&'a Vec<Value>, ConnectorError> {
    body.get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| ConnectorError::BadResponse {
            endpoint: format!("business central {collection}"),
            reason: "the list has no `value` array".into(),
        })
}

/// Percent-encodes a query value; spaces become `%20`, which every OData server reads.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'\'' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The lines of a sales document, created with it (deep insert) and read with `$expand`.
fn lines_property(collection: &str) -> Option<&'static str> {
    match collection {
        "salesOrders" => Some("salesOrderLines"),
        "salesInvoices" => Some("salesInvoiceLines"),
        "salesCreditMemos" => Some("salesCreditMemoLines"),
        "salesQuotes" => Some("salesQuoteLines"),
        _ => None,
    }
}

/// `?$expand=salesOrderLines` (or with `&`) for documents with lines, so a diff sees them.
fn expand_lines(collection: &str, separator: char) -> String {
    lines_property(collection)
        .map(|lines| format!("{separator}$expand={lines}"))
        .unwrap_or_default()
}

impl BusinessCentralClient {
    /// Every record of `collection` whose properties equal the filters, all pages of it, in
    /// the order Business Central lists them; more than `cap` is a bad answer (a `fetch_all`
    /// is for related objects, not a whole ledger).
    pub(super) async fn list_matching(
        &self,
        collection: &str,
        filters: &[(String, String)],
        cap: Option<usize>,
    ) -> Result<Vec<Value>, ConnectorError> {
        let set_url = self.collection_url(collection, None)?;
        let keys: Vec<MatchKey> = filters
            .iter()
            .map(|(name, value)| MatchKey {
                path: name.clone(),
                value: Value::String(value.clone()),
            })
            .collect();
        let mut url = if keys.is_empty() {
            set_url.clone()
        } else {
            format!("{set_url}?$filter={}", encode(&odata::match_filter(&keys)?))
        };
        let mut all = Vec::new();
        loop {
            let spec = RequestSpec::get(format!("business central: list {collection}"), url)
                .header("Prefer", format!("odata.maxpagesize={DEFAULT_PAGE_SIZE}"));
            let body: Value = self.http.send(spec).await.map_err(api_error)?.json()?;
            for entity in entities(&body, collection)? {
                all.push(target_record(entity.clone(), collection)?.data);
            }
            if let Some(cap) = cap
                && all.len() > cap
            {
                return Err(ConnectorError::BadResponse {
                    endpoint: format!("business central: list {collection}"),
                    reason: format!("more than {cap} related objects"),
                });
            }
            match odata_next_link(&body) {
                Some(link) => url = odata_resume_url(&set_url, &odata_next_query(&link)),
                None => return Ok(all),
            }
        }
    }
}

impl Client for BusinessCentralClient {
    /// Records changed since the cursor, oldest first within each page.
    async fn poll(
        &self,
        collection: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        self.find_journal(collection).await?;
        let set_url = self.collection_url(collection, None)?;
        let mut cursor = ChangeCursor::resume(cursor, options.since)?;
        // A document comes with its lines, as `get` and `find` read it; a next link keeps the
        // `$expand` it was asked with.
        let url = match (&cursor.next, &cursor.since) {
            (Some(next), _) => odata_resume_url(&set_url, next),
            (None, Some(since)) => format!(
                "{set_url}?$filter={}{}",
                encode(&format!("lastModifiedDateTime ge {since}")),
                expand_lines(collection, '&')
            ),
            (None, None) => format!("{set_url}{}", expand_lines(collection, '?')),
        };
        let page_size = match options.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n,
        };
        let spec = RequestSpec::get(format!("business central: list {collection}"), url)
            .header("Prefer", format!("odata.maxpagesize={page_size}"));
        let response = self.http.send(spec).await.map_err(api_error)?;
        let server_time = response.server_time().unwrap_or_else(Timestamp::now);
        let body: Value = response.json()?;
        let mut records = Vec::new();
        for entity in entities(&body, collection)? {
            let changed = entity
                .get("lastModifiedDateTime")
                .and_then(Value::as_str)
                .and_then(|text| text.parse::<Timestamp>().ok());
            let record = target_record(entity.clone(), collection)?;
            records.push((changed, record));
        }
        records.sort_by_key(|(changed, _)| *changed);
        let first_page = cursor.next.is_none();
        cursor.saw_page(records.iter().filter_map(|(at, _)| *at).max(), server_time);
        let next = odata_next_link(&body).map(|link| odata_next_query(&link));
        let more = next.is_some();
        match next {
            Some(query) => cursor.next = Some(query),
            None => cursor.finish_pass(first_page),
        }
        Ok(SourcePage {
            records: records
                .into_iter()
                .map(|(_, record)| SourceRecord {
                    id: record.id,
                    data: record.data,
                    deleted: false,
                })
                .collect(),
            cursor: Some(cursor.encode()),
            more,
            rejected: Vec::new(),
        })
    }

    /// The record with this id, or `None` when there is none.
    async fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        self.find_journal(collection).await?;
        let url = format!(
            "{}({id}){}",
            self.collection_url(collection, None)?,
            expand_lines(collection, '?')
        );
        self.get_url(collection, url).await
    }

    /// Every record of `collection` whose properties equal the filters (`fetch_all`), all
    /// pages of it, in the order Business Central lists them.
    async fn list_all(
        &self,
        collection: &str,
        filters: &[(String, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        self.list_matching(collection, filters, Some(MAX_RELATED))
            .await
    }

    /// Posts the draft document `id` (`Microsoft.NAV.post`), then reads it back as posted.
    async fn post_document(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let url = format!(
            "{}({id})/Microsoft.NAV.post",
            self.collection_url(collection, None)?
        );
        let spec = RequestSpec::post(format!("business central: post {collection}"), url);
        self.http.send(spec).await.map_err(api_error)?;
        self.get(collection, id).await
    }

    /// The first record whose match keys all equal the mapped values.
    async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        self.find_journal(collection).await?;
        let journal = keys
            .iter()
            .find(|key| key.path == "journalId")
            .map(|key| &key.value);
        let set_url = self.collection_url(collection, journal)?;
        let filter = odata::match_filter(keys)?;
        let url = format!(
            "{set_url}?$filter={}&$top=1{}",
            encode(&filter),
            expand_lines(collection, '&')
        );
        let spec = RequestSpec::get(format!("business central: find {collection}"), url);
        let response = self.http.send(spec).await.map_err(api_error)?;
        let body: Value = response.json()?;
        match entities(&body, collection)?.first() {
            Some(entity) => target_record(entity.clone(), collection).map(Some),
            None => Ok(None),
        }
    }

    /// `POST` the fields to the collection.
    async fn create(
        &self,
        collection: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        self.find_journal(collection).await?;
        let url = self.collection_url(collection, write.fields.get("journalId"))?;
        let spec = RequestSpec::post(format!("business central: create {collection}"), url)
            .json(&write.fields);
        let response = self.http.send(spec).await.map_err(api_error)?;
        target_record(response.json()?, collection)
    }

    /// `PATCH` the changed fields with `If-Match: <etag>`. When the record changed since it
    /// was read, it is read again and the same fields are sent once more with its new etag.
    async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        self.find_journal(collection).await?;
        let url = format!(
            "{}({})",
            self.collection_url(collection, current.data.get("journalId"))?,
            current.id
        );
        if let Some(lines) = lines_property(collection)
            && write.fields.get(lines).is_some()
        {
            return Err(ConnectorError::Api {
                endpoint: format!("business central: update {collection} {}", current.id),
                status: 400,
                kind: Some("ferry".into()),
                code: Some("document_lines_changed".into()),
                param: Some(lines.into()),
                message: format!(
                    "the document exists with other {lines}; Business Central does not change lines through the document, so fix it by hand or replay after deleting it"
                ),
            });
        }
        let etag = current.etag.as_deref().unwrap_or("*");
        match self.patch(collection, &url, etag, write).await {
            Err(error) if is_stale_etag(&error) => {
                let Some(fresh) = self.get_url(collection, url.clone()).await? else {
                    return Err(error);
                };
                let etag = fresh.etag.as_deref().unwrap_or("*");
                self.patch(collection, &url, etag, write).await
            }
            outcome => outcome,
        }
    }

    /// `journalLines` and `customerPayments` post their journal (`posting.rs`).
    fn check_posting(&self, collection: &str, lines: &[PostingLine]) -> Result<(), ConnectorError> {
        posting::check_posting(collection, lines)
    }

    async fn posted_entry(
        &self,
        collection: &str,
        lines: &[PostingLine],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        posting::posted_entry(self, collection, lines).await
    }

    async fn posted_differences(
        &self,
        collection: &str,
        lines: &[PostingLine],
    ) -> Result<Vec<PostedDifference>, ConnectorError> {
        posting::posted_differences(self, collection, lines).await
    }

    async fn read_ledger(
        &self,
        collection: &str,
    ) -> Result<Option<std::sync::Arc<dyn PostedLedger>>, ConnectorError> {
        posting::read_ledger(self, collection).await
    }

    async fn post_journal(
        &self,
        collection: &str,
        lines: &[PostingLine],
        written: &[String],
    ) -> Result<Option<PostedJournal>, ConnectorError> {
        posting::post_journal(self, collection, lines, written).await
    }

    async fn discard_line(
        &self,
        collection: &str,
        lines: &[PostingLine],
        id: &str,
    ) -> Result<(), ConnectorError> {
        posting::discard_line(self, collection, lines, id).await
    }

    /// The lower bound of the pass: changes before it were all handed out.
    fn cursor_time(&self, _collection: &str, cursor: &str) -> Option<Timestamp> {
        ChangeCursor::time_of(cursor)
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Some(self.http().stats())
    }
}
