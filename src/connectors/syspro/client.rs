//! Syspro through the e.net REST service: customers (a source and a sink) and sales orders (a
//! sink), on one cached session.

use serde_json::Value;

use super::session::{Logon, Session};
use super::journals::{self, Pending};
use super::{credit_notes, currencies, customers, items, orders, payments};
use crate::connectors::connection::{base_url, http_config};
use crate::connectors::http::{HttpClient, HttpConfig, Secret};
use crate::connectors::{
    ConnectorError, MatchKey, PollOptions, PostedDifference, PostedJournal, PostingLine,
    SourcePage, SourceRecord, TargetRecord, Write,
};
use crate::connectors::http::HttpStats;
use crate::connectors::{Client, ResolvedConnection};

/// Customers per COMFND page when the pipeline sets no page size.
const PAGE_SIZE: usize = 100;

const CUSTOMERS: &str = "customers";
const ITEMS: &str = "items";
const CURRENCIES: &str = "currencies";
const SALES_ORDERS: &str = "salesOrders";
const AR_PAYMENTS: &str = "arPayments";
const AR_CREDIT_NOTES: &str = "arCreditNotes";
const GL_JOURNAL_LINES: &str = "glJournalLines";

/// Who logs on, from the connection's settings (`kind: syspro` requires them all but the
/// company's password).
fn logon(connection: &ResolvedConnection) -> Option<Logon> {
    let secret = |key: &str| connection.secret(key).map(|s| Secret::new(s.expose()));
    Some(Logon {
        operator: connection.setting("operator")?.to_string(),
        operator_password: secret("operator_password")?,
        company_id: connection.setting("company_id")?.to_string(),
        company_password: secret("company_password"),
    })
}

/// One Syspro company.
#[derive(Debug)]
pub struct SysproClient {
    session: Session,
    /// Journal lines written and waiting for their journal's post.
    pending: Pending,
}

impl SysproClient {
    /// The client of a `kind: syspro` connection.
    pub fn new(connection: &ResolvedConnection) -> Result<Self, ConnectorError> {
        let base = base_url(connection).ok_or_else(|| {
            ConnectorError::Unsupported(format!("{}: no base_url", connection.name))
        })?;
        let logon = logon(connection).ok_or_else(|| {
            ConnectorError::Unsupported(format!(
                "{}: a syspro connection needs an operator and a company",
                connection.name
            ))
        })?;
        Self::with_config(&base, logon, http_config(connection))
    }

    /// A client for the service at `base_url` (tests).
    pub fn with_config(
        base_url: &str,
        logon: Logon,
        mut config: HttpConfig,
    ) -> Result<Self, ConnectorError> {
        config.masked.push(logon.operator_password.clone());
        config.masked.extend(logon.company_password.clone());
        let http = HttpClient::new(config)
            .map_err(|error| ConnectorError::Unsupported(format!("syspro: {error}")))?;
        Ok(SysproClient {
            session: Session::new(http, base_url, logon),
            pending: Pending::default(),
        })
    }

    pub fn http(&self) -> &HttpClient {
        self.session.http()
    }

    /// Ends the session (sessions also end on Syspro's idle timeout).
    pub async fn logoff(&self) -> Result<(), ConnectorError> {
        self.session.logoff().await
    }

}

fn source_record(record: serde_json::Map<String, Value>, id_field: &str) -> SourceRecord {
    let id = record
        .get(id_field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    SourceRecord {
        id,
        data: Value::Object(record),
        deleted: false,
    }
}

fn text_field(fields: &Value, name: &str, endpoint: &str) -> Result<String, ConnectorError> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            super::wire::refused(endpoint, Some(name.into()), format!("`{name}` is required"))
        })
}

/// Only general ledger journal lines are posted as a journal.
fn journal_sink(collection: &str) -> Result<(), ConnectorError> {
    if collection == GL_JOURNAL_LINES {
        Ok(())
    } else {
        Err(ConnectorError::Unsupported(format!(
            "syspro: `{collection}` has no journal to post"
        )))
    }
}

fn unsupported(what: &str, collection: &str) -> ConnectorError {
    ConnectorError::Unsupported(format!(
        "ferry cannot yet {what} syspro `{collection}` (it reads customers and items and writes customers, salesOrders, arPayments, arCreditNotes and glJournalLines)"
    ))
}

impl Client for SysproClient {
    /// Customers (or stock items) in code order, a page at a time. Syspro keeps no change time
    /// on either, so the cursor is the last code handed out; after the last page it starts over,
    /// and unchanged records then write nothing.
    async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        let rows = match options.page_size {
            0 => PAGE_SIZE,
            n => n.min(PAGE_SIZE),
        };
        // A backfill starts with no cursor (the runner's doing); within it, each page follows
        // the last, or a backfill of more than one page would read the first page forever.
        let after = cursor.unwrap_or_default();
        let (records, more) = match stream {
            CUSTOMERS => {
                let page = customers::page(&self.session, after, rows).await?;
                let more = page.len() == rows;
                let records = page
                    .into_iter()
                    .map(|customer| source_record(customer, "Customer"))
                    .collect();
                (records, more)
            }
            ITEMS => {
                let codes = items::codes(&self.session, after, rows).await?;
                let more = codes.len() == rows;
                let mut records = Vec::with_capacity(codes.len());
                // Each item whole from INVQRY; one gone since the list is not read.
                for code in codes {
                    if let Some(item) = items::get(&self.session, &code).await? {
                        records.push(SourceRecord {
                            id: code,
                            data: item.data,
                            deleted: false,
                        });
                    }
                }
                (records, more)
            }
            other => return Err(unsupported("read", other)),
        };
        let cursor = match records.last() {
            Some(last) if more => last.id.clone(),
            _ => String::new(),
        };
        Ok(SourcePage {
            records,
            cursor: Some(cursor),
            more,
            rejected: Vec::new(),
        })
    }

    async fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        match collection {
            CUSTOMERS => customers::find_by(&self.session, "Customer", id).await,
            SALES_ORDERS => orders::get(&self.session, id).await,
            AR_PAYMENTS => payments::PAYMENTS.find_by(&self.session, "Journal", id).await,
            AR_CREDIT_NOTES => {
                credit_notes::CREDIT_NOTES
                    .find_by(&self.session, "Journal", id)
                    .await
            }
            GL_JOURNAL_LINES => Ok(self.pending.get(id)),
            ITEMS => items::get(&self.session, id).await,
            CURRENCIES => currencies::get(&self.session, id).await,
            other => Err(unsupported("read", other)),
        }
    }

    /// Customers are matched on `Customer` or `Email`, sales orders on `CustomerPoNumber`,
    /// payments and credit notes on `Reference`.
    async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        if collection == GL_JOURNAL_LINES {
            return self.pending.find(keys);
        }
        let [key] = keys else {
            return Err(ConnectorError::Unsupported(format!(
                "syspro: `{collection}` is matched on one field"
            )));
        };
        let Some(value) = key.value.as_str() else {
            return Ok(None);
        };
        match (collection, key.path.as_str()) {
            (CUSTOMERS, "Customer" | "Email") => {
                customers::find_by(&self.session, &key.path, value).await
            }
            (SALES_ORDERS, "CustomerPoNumber") => orders::find_by_po(&self.session, value).await,
            (AR_PAYMENTS, "Reference") => {
                payments::PAYMENTS.find_by(&self.session, "Reference", value).await
            }
            (AR_CREDIT_NOTES, "Reference") => {
                credit_notes::CREDIT_NOTES
                    .find_by(&self.session, "Reference", value)
                    .await
            }
            (CUSTOMERS | SALES_ORDERS | AR_PAYMENTS | AR_CREDIT_NOTES, path) => Err(ConnectorError::Unsupported(format!(
                "syspro: `{collection}` cannot be matched on `{path}`"
            ))),
            (other, _) => Err(unsupported("write", other)),
        }
    }

    async fn create(
        &self,
        collection: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        match collection {
            CUSTOMERS => {
                let code = text_field(&write.fields, "Customer", "ARSSCS (Setup/Add)")?;
                customers::set_up(&self.session, "Setup/Add", &code, &write.fields).await
            }
            SALES_ORDERS => {
                let root = orders::post(&self.session, &write.fields, "A").await?;
                let number = orders::posted_number(&root)?;
                let mut data = write.fields.clone();
                if let Value::Object(fields) = &mut data {
                    fields.insert("SalesOrder".into(), Value::String(number.clone()));
                }
                Ok(TargetRecord {
                    id: number,
                    data,
                    etag: None,
                })
            }
            AR_PAYMENTS => payments::post(&self.session, &write.fields).await,
            AR_CREDIT_NOTES => credit_notes::post(&self.session, &write.fields).await,
            GL_JOURNAL_LINES => self.pending.write(&write.fields),
            other => Err(unsupported("write", other)),
        }
    }

    /// Customers take any changed field; a sales order only header changes (SORTOI `C`).
    async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        match collection {
            CUSTOMERS => {
                customers::set_up(&self.session, "Setup/Update", &current.id, &write.fields).await
            }
            SALES_ORDERS => {
                if write.fields.get("lines").is_some() {
                    return Err(super::wire::refused(
                        "SORTOI (Transaction/Post)",
                        Some("lines".into()),
                        format!(
                            "sales order {} exists with other lines; ferry changes only the header of an imported order",
                            current.id
                        ),
                    ));
                }
                let mut change = write.fields.clone();
                if let Value::Object(fields) = &mut change {
                    fields.insert("SalesOrder".into(), Value::String(current.id.clone()));
                }
                orders::post(&self.session, &change, "C").await?;
                orders::get(&self.session, &current.id)
                    .await?
                    .ok_or_else(|| {
                        super::wire::bad_response(
                            "SORQRY (Query/Query)",
                            format!("sales order {} is gone after the change", current.id),
                        )
                    })
            }
            GL_JOURNAL_LINES => self.pending.write(&write.fields),
            AR_PAYMENTS | AR_CREDIT_NOTES => Err(super::wire::refused(
                "ARSTPY / ARSTIN (Transaction/Post)",
                write.fields.as_object().and_then(|f| f.keys().next().cloned()),
                format!(
                    "{collection} {} is posted and cannot be changed; reverse it in Syspro and replay the record",
                    current.id
                ),
            )),
            other => Err(unsupported("write", other)),
        }
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Some(self.http().stats())
    }

    fn check_posting(&self, collection: &str, lines: &[PostingLine]) -> Result<(), ConnectorError> {
        journal_sink(collection)?;
        journals::check_posting(lines).map(drop)
    }

    async fn posted_entry(
        &self,
        collection: &str,
        lines: &[PostingLine],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        journal_sink(collection)?;
        journals::posted_entry(&self.session, lines).await
    }

    async fn posted_differences(
        &self,
        collection: &str,
        lines: &[PostingLine],
    ) -> Result<Vec<PostedDifference>, ConnectorError> {
        journal_sink(collection)?;
        journals::posted_differences(&self.session, lines).await
    }

    async fn post_journal(
        &self,
        collection: &str,
        lines: &[PostingLine],
        written: &[String],
    ) -> Result<Option<PostedJournal>, ConnectorError> {
        journal_sink(collection)?;
        journals::post(&self.session, &self.pending, lines, written).await
    }

    async fn discard_line(
        &self,
        collection: &str,
        _lines: &[PostingLine],
        id: &str,
    ) -> Result<(), ConnectorError> {
        journal_sink(collection)?;
        self.pending.discard(id);
        Ok(())
    }

    /// Logs the session off, so it does not hold an e.net licence until Syspro's idle timeout.
    async fn close(&self) -> Result<(), ConnectorError> {
        self.session.logoff().await
    }
}
