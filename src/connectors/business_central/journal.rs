//! The requests of posting: the general journal of the connection (its `journal_id`, or the
//! journal its `journal` setting names) and customer payment journals, posted with
//! `Microsoft.NAV.post`, read for what they hold, their lines deleted, and the general and
//! customer ledgers asked whether a document or payment was posted already. `posting.rs` puts
//! them together into the posting capability of the client contract.

use reqwest::Method;
use serde_json::Value;

use super::client::{BusinessCentralClient, CUSTOMER_LEDGER_ENTRIES, JOURNAL_LINES, entities};
use super::wire::api_error;
use crate::connectors::http::RequestSpec;
use crate::connectors::{Client, ConnectorError, MatchKey, TargetRecord};

/// Journal lines read at once when listing a journal.
const PAGE: usize = 1_000;

impl BusinessCentralClient {
    /// The id of the journal that `journalLines` writes to.
    pub(super) async fn journal_id(&self) -> Result<String, ConnectorError> {
        self.find_journal(JOURNAL_LINES).await?;
        self.journal_id
            .clone()
            .or_else(|| self.journal_by_code.get().cloned())
            .ok_or_else(|| {
                ConnectorError::Unsupported(
                    "business central: posting a journal needs the connection's journal_id or journal setting"
                        .into(),
                )
            })
    }

    /// Posts every line of the journal (`Microsoft.NAV.post`, 204 No Content). Sent once: a
    /// post whose answer was lost may have happened, which [`Self::ledger_entry`] tells.
    pub(super) async fn post_general_journal(&self, journal_id: &str) -> Result<(), ConnectorError> {
        let url = format!(
            "{}/journals({})/Microsoft.NAV.post",
            self.company_url,
            guid(journal_id)?
        );
        let spec = RequestSpec::post("business central: post the journal", url);
        self.http.send(spec).await.map_err(api_error)?;
        Ok(())
    }

    /// Every line the journal holds, in line-number order.
    pub(super) async fn journal_lines(&self, journal_id: &str) -> Result<Vec<Value>, ConnectorError> {
        let mut url = format!(
            "{}/journals({})/{JOURNAL_LINES}",
            self.company_url,
            guid(journal_id)?
        );
        let mut lines = Vec::new();
        loop {
            let spec = RequestSpec::get("business central: read the journal", url)
                .header("Prefer", format!("odata.maxpagesize={PAGE}"));
            let response = self.http.send(spec).await.map_err(api_error)?;
            let body: Value = response.json()?;
            lines.extend(entities(&body, JOURNAL_LINES)?.iter().cloned());
            match body.get("@odata.nextLink").and_then(Value::as_str) {
                Some(next) => url = next.to_string(),
                None => break,
            }
        }
        lines.sort_by_key(|line| line.get("lineNumber").and_then(Value::as_i64));
        Ok(lines)
    }

    /// Deletes a journal line, whatever its etag (`If-Match: *`); gone already is fine.
    pub(super) async fn delete_journal_line(
        &self,
        journal_id: &str,
        line_id: &str,
    ) -> Result<(), ConnectorError> {
        let url = format!(
            "{}/journals({})/{JOURNAL_LINES}({})",
            self.company_url,
            guid(journal_id)?,
            guid(line_id)?
        );
        self.delete_any(url, "business central: delete a journal line")
            .await
    }

    /// A general ledger entry of document `number` posted on `date` (`YYYY-MM-DD`), if the
    /// ledger holds one.
    pub(super) async fn ledger_entry(
        &self,
        number: &str,
        date: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let key = |path: &str, value: &str| MatchKey {
            path: path.into(),
            value: Value::String(value.into()),
        };
        let keys = [key("documentNumber", number), key("postingDate", date)];
        self.find("generalLedgerEntries", &keys).await
    }
}

impl BusinessCentralClient {
    /// Posts a customer payment journal (`customerPaymentJournals({id})/Microsoft.NAV.post`):
    /// its payments become ledger entries, applied to the invoices they name. Sent once, like
    /// [`Self::post_general_journal`]; [`Self::payment_entry`] tells whether a lost post
    /// happened.
    pub(super) async fn post_payment_journal(&self, journal_id: &str) -> Result<(), ConnectorError> {
        let url = format!(
            "{}/customerPaymentJournals({})/Microsoft.NAV.post",
            self.company_url,
            guid(journal_id)?
        );
        let spec = RequestSpec::post("business central: post the customer payment journal", url);
        self.http.send(spec).await.map_err(api_error)?;
        Ok(())
    }

    /// The journal a customer payment line is in, when the line is there.
    pub(super) async fn payment_journal(&self, line_id: &str) -> Result<Option<String>, ConnectorError> {
        let line = self.get(CUSTOMER_PAYMENTS, guid(line_id)?).await?;
        Ok(line.and_then(|line| {
            line.data
                .get("journalId")
                .and_then(Value::as_str)
                .map(str::to_string)
        }))
    }

    /// The ids of every payment line the customer payment journal holds.
    pub(super) async fn payment_lines(&self, journal_id: &str) -> Result<Vec<String>, ConnectorError> {
        let mut url = format!(
            "{}/customerPaymentJournals({})/{CUSTOMER_PAYMENTS}?$select=id",
            self.company_url,
            guid(journal_id)?
        );
        let mut ids = Vec::new();
        loop {
            let spec = RequestSpec::get("business central: read the payment journal", url)
                .header("Prefer", format!("odata.maxpagesize={PAGE}"));
            let response = self.http.send(spec).await.map_err(api_error)?;
            let body: Value = response.json()?;
            let lines = entities(&body, CUSTOMER_PAYMENTS)?;
            ids.extend(
                lines
                    .iter()
                    .filter_map(|line| line.get("id").and_then(Value::as_str))
                    .map(str::to_string),
            );
            match body.get("@odata.nextLink").and_then(Value::as_str) {
                Some(next) => url = next.to_string(),
                None => break,
            }
        }
        Ok(ids)
    }

    /// Deletes a customer payment line, whatever its etag; gone already is fine.
    pub(super) async fn delete_payment(&self, line_id: &str) -> Result<(), ConnectorError> {
        let url = format!(
            "{}/{CUSTOMER_PAYMENTS}({})",
            self.company_url,
            guid(line_id)?
        );
        self.delete_any(url, "business central: delete a customer payment")
            .await
    }

    /// DELETE `url` whatever the record's etag; a record already gone is fine.
    async fn delete_any(&self, url: String, what: &'static str) -> Result<(), ConnectorError> {
        let spec = RequestSpec::new(Method::DELETE, what, url).header("If-Match", "*");
        match self.http.send(spec).await {
            Ok(_) => Ok(()),
            Err(error) if error.status() == Some(404) => Ok(()),
            Err(error) => Err(api_error(error)),
        }
    }

    /// The posted payment whose customer ledger entry has all of `keys`, if the ledger holds one.
    pub(super) async fn payment_entry(
        &self,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let mut keys = keys.to_vec();
        keys.push(MatchKey {
            path: "documentType".into(),
            value: Value::String("Payment".into()),
        });
        self.find(CUSTOMER_LEDGER_ENTRIES, &keys).await
    }
}

/// Customer payment lines, which become customer ledger entries when posted.
pub(super) const CUSTOMER_PAYMENTS: &str = "customerPayments";

/// An id as it goes into a URL key: a GUID and nothing else.
fn guid(id: &str) -> Result<&str, ConnectorError> {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        Ok(id)
    } else {
        Err(ConnectorError::Unsupported(format!(
            "business central: `{id}` is not an id"
        )))
    }
}
