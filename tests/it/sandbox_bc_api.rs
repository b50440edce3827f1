//! The Business Central emulator against its wire rules: client credentials, etags and
//! If-Match, OData filters, server-driven paging, the post action on documents and journals,
//! and the read-only ledger and chart of accounts.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use ferry::sandbox::business_central::error::{ENTITY_CHANGED, ENTITY_CHANGED_STATUS};
use ferry::sandbox::business_central::{BusinessCentralConfig, SCOPE};
use ferry::sandbox::{Sandbox, SandboxHandle};
use serde_json::{Value, json};

struct Bc {
    handle: SandboxHandle,
    client: reqwest::Client,
    config: BusinessCentralConfig,
    company: String,
}

impl Bc {
    async fn start(seed: Option<u64>, config: BusinessCentralConfig) -> Bc {
        ferry::init_tls();
        let sandbox = Sandbox::builder()
            .seed(seed)
            .business_central(config.clone())
            .build();
        let company = sandbox.business_central().unwrap().company_id();
        let handle = sandbox
            .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        Bc {
            handle,
            client: reqwest::Client::new(),
            config,
            company,
        }
    }

    fn token_url(&self) -> String {
        format!(
            "{}/oauth/{}/oauth2/v2.0/token",
            self.handle.base_url(),
            self.config.tenant
        )
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/business_central/v2.0/{}/{}/api/v2.0/companies({})/{path}",
            self.handle.base_url(),
            self.config.tenant,
            self.config.environment,
            self.company
        )
    }

    async fn token(&self) -> String {
        let response = self
            .client
            .post(self.token_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.config.client_id.as_str()),
                ("client_secret", self.config.client_secret.as_str()),
                ("scope", SCOPE),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(
            body["expires_in"].as_u64(),
            Some(self.config.token_lifetime.as_secs())
        );
        body["access_token"].as_str().unwrap().to_string()
    }

    async fn get(&self, token: &str, url: &str) -> (u16, Value) {
        let response = self
            .client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn patch(
        &self,
        token: &str,
        path: &str,
        etag: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(&body);
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// Follows `@odata.nextLink` to the end; returns the records and the number of pages.
    async fn all(&self, token: &str, first: String, page_size: usize) -> (Vec<Value>, usize) {
        let (mut records, mut pages, mut url) = (Vec::new(), 0, Some(first));
        while let Some(current) = url {
            let response = self
                .client
                .get(&current)
                .bearer_auth(token)
                .header("Prefer", format!("odata.maxpagesize={page_size}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{current}");
            let body: Value = response.json().await.unwrap();
            records.extend(body["value"].as_array().unwrap().iter().cloned());
            url = body["@odata.nextLink"].as_str().map(str::to_string);
            pages += 1;
        }
        (records, pages)
    }
}

#[tokio::test]
async fn client_credentials_issue_a_token_and_bad_credentials_do_not() {
    let bc = Bc::start(None, BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let (status, _) = bc.get(&token, &bc.url("customers")).await;
    assert_eq!(status, 200);

    let wrong_secret = bc
        .client
        .post(bc.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", bc.config.client_id.as_str()),
            ("client_secret", "guess"),
            ("scope", SCOPE),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), 401);
    assert_eq!(
        wrong_secret.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let wrong_scope = bc
        .client
        .post(bc.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", bc.config.client_id.as_str()),
            ("client_secret", bc.config.client_secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_scope.status(), 400);
    assert_eq!(
        wrong_scope.json::<Value>().await.unwrap()["error"],
        "invalid_scope"
    );

    let (status, body) = bc.get("made-up", &bc.url("customers")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "Authentication_InvalidCredentials");
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_expired_token_is_refused_with_an_odata_401() {
    let config = BusinessCentralConfig {
        token_lifetime: Duration::from_secs(1),
        ..BusinessCentralConfig::default()
    };
    let bc = Bc::start(None, config).await;
    let token = bc.token().await;
    assert_eq!(bc.get(&token, &bc.url("items")).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let (status, body) = bc.get(&token, &bc.url("items")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "Authentication_InvalidCredentials");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn create_read_and_patch_with_etags() {
    let bc = Bc::start(None, BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let (status, created) = bc
        .post(
            &token,
            "customers",
            json!({"displayName": "Coho Winery", "email": "ap@coho.example"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["number"], "C0001");
    assert!(
        created["@odata.etag"]
            .as_str()
            .unwrap()
            .starts_with("W/\"Jz") // base64 of a quote and a digit
    );
    assert!(
        created["lastModifiedDateTime"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let (_, second) = bc
        .post(&token, "customers", json!({"displayName": "Fabrikam"}))
        .await;
    assert_eq!(second["number"], "C0002");

    let (status, fetched) = bc.get(&token, &bc.url(&format!("customers({id})"))).await;
    assert_eq!(status, 200);
    assert_eq!(fetched["@odata.etag"], created["@odata.etag"]);
    let etag = fetched["@odata.etag"].as_str().unwrap().to_string();

    let (status, body) = bc
        .patch(
            &token,
            &format!("customers({id})"),
            None,
            json!({"city": "Napa"}),
        )
        .await;
    assert_eq!(status, 400, "If-Match is required: {body}");

    let (status, patched) = bc
        .patch(
            &token,
            &format!("customers({id})"),
            Some(&etag),
            json!({"city": "Napa"}),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["city"], "Napa");
    assert_ne!(patched["@odata.etag"].as_str().unwrap(), etag);

    let (status, stale) = bc
        .patch(
            &token,
            &format!("customers({id})"),
            Some(&etag),
            json!({"city": "Sonoma"}),
        )
        .await;
    assert_eq!(status, ENTITY_CHANGED_STATUS.as_u16());
    assert_eq!(stale["error"]["code"], ENTITY_CHANGED);

    let (status, unknown) = bc
        .patch(
            &token,
            &format!("customers({id})"),
            Some("*"),
            json!({"colour": "red"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'colour'")
    );
    let (status, too_long) = bc
        .patch(
            &token,
            &format!("customers({id})"),
            Some("*"),
            json!({"city": "x".repeat(31)}),
        )
        .await;
    assert_eq!(status, 400, "{too_long}");

    let (status, duplicate) = bc
        .post(
            &token,
            "customers",
            json!({"number": "C0001", "displayName": "Dup"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        duplicate["error"]["code"],
        "Internal_EntityWithSameKeyExists"
    );

    let missing = "00000000-0000-4000-8000-000000000000";
    let (status, body) = bc
        .get(&token, &bc.url(&format!("customers({missing})")))
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "BadRequest_NotFound");

    let delete = bc
        .client
        .delete(bc.url(&format!("customers({id})")))
        .bearer_auth(&token)
        .header("If-Match", patched["@odata.etag"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 204);
    assert_eq!(
        bc.get(&token, &bc.url(&format!("customers({id})"))).await.0,
        404
    );
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn filters_on_external_document_number_and_last_modified() {
    let bc = Bc::start(Some(5), BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    for (n, external) in ["ch_1", "ch_2", "ch_3"].iter().enumerate() {
        let (status, body) = bc
            .post(
                &token,
                "salesInvoices",
                json!({
                    "customerNumber": format!("C{:04}", n + 1), "externalDocumentNumber": external,
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "Draft");
    }
    let (status, found) = bc
        .get(
            &token,
            &bc.url("salesInvoices?$filter=externalDocumentNumber eq 'ch_2'"),
        )
        .await;
    assert_eq!(status, 200);
    let found = found["value"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["externalDocumentNumber"], "ch_2");
    assert_eq!(found[0]["customerNumber"], "C0002");

    // The 300 seeded customers were last modified in 2025; one written now is the only later one.
    let (_, created) = bc
        .post(&token, "customers", json!({"displayName": "New Co"}))
        .await;
    let (_, recent) = bc
        .get(
            &token,
            &bc.url("customers?$filter=lastModifiedDateTime gt 2026-01-01T00:00:00Z"),
        )
        .await;
    let recent = recent["value"].as_array().unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0]["id"], created["id"]);
    assert_eq!(created["number"], "C0301");

    let (_, one) = bc
        .get(
            &token,
            &bc.url("customers?$filter=number eq 'C0001'&$select=number,displayName"),
        )
        .await;
    let one = one["value"].as_array().unwrap();
    assert_eq!(one.len(), 1);
    let keys: HashSet<&str> = one[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from(["@odata.etag", "number", "displayName"])
    );

    for bad in [
        "customers?$filter=contains(displayName,'a')",
        "customers?$filter=colour eq 'red'",
        "customers?$filter=number eq 5",
        "customers?$orderby=number",
    ] {
        let (status, body) = bc.get(&token, &bc.url(bad)).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"]["code"], "BadRequest", "{bad}");
    }
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn next_link_paging_covers_every_record_once() {
    let bc = Bc::start(Some(9), BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let (customers, pages) = bc.all(&token, bc.url("customers"), 40).await;
    assert_eq!(customers.len(), 300);
    assert_eq!(pages, 8);
    let ids: HashSet<&str> = customers
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 300);

    let (first_fifty, pages) = bc
        .all(&token, bc.url("customers?$top=50&$skip=10"), 20)
        .await;
    assert_eq!(first_fifty.len(), 50);
    assert_eq!(pages, 3);
    assert_eq!(first_fifty[0]["id"], customers[10]["id"]);

    let (_, items) = bc.get(&token, &bc.url("items")).await;
    assert_eq!(items["value"].as_array().unwrap().len(), 100);
    assert!(
        items.get("@odata.nextLink").is_none(),
        "100 items fit the default page of 100"
    );
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn posting_an_invoice_opens_it() {
    let bc = Bc::start(Some(1), BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let (_, items) = bc
        .get(&token, &bc.url("items?$filter=number eq 'I0001'"))
        .await;
    let item = &items["value"][0];
    let price: f64 = item["unitPrice"].as_f64().unwrap();
    let (status, invoice) = bc
        .post(
            &token,
            "salesInvoices",
            json!({
                "customerNumber": "C0001", "externalDocumentNumber": "ch_42",
                "salesInvoiceLines": [{"lineObjectNumber": "I0001", "quantity": 2}],
            }),
        )
        .await;
    assert_eq!(status, 201, "{invoice}");
    let id = invoice["id"].as_str().unwrap().to_string();
    assert!(invoice["number"].as_str().unwrap().starts_with("S-INV"));
    let total = invoice["totalAmountIncludingTax"].as_f64().unwrap();
    assert!((total - 2.0 * price).abs() < 0.005, "{total} vs {price}");
    let (_, lines) = bc
        .get(
            &token,
            &bc.url(&format!("salesInvoices({id})/salesInvoiceLines")),
        )
        .await;
    assert_eq!(lines["value"].as_array().unwrap().len(), 1);
    assert_eq!(lines["value"][0]["itemId"], item["id"]);

    let post = bc
        .client
        .post(bc.url(&format!("salesInvoices({id})/Microsoft.NAV.post")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 204);
    let (_, posted) = bc
        .get(&token, &bc.url(&format!("salesInvoices({id})")))
        .await;
    assert_eq!(posted["status"], "Open");
    assert_eq!(posted["remainingAmount"], posted["totalAmountIncludingTax"]);
    let again = bc
        .client
        .post(bc.url(&format!("salesInvoices({id})/Microsoft.NAV.post")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);

    let (status, empty) = bc
        .post(&token, "salesInvoices", json!({"customerNumber": "C0002"}))
        .await;
    assert_eq!(status, 201);
    let empty_id = empty["id"].as_str().unwrap();
    let nothing = bc
        .client
        .post(bc.url(&format!("salesInvoices({empty_id})/Microsoft.NAV.post")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(nothing.status(), 400);

    let (status, missing) = bc
        .post(&token, "salesInvoices", json!({"customerNumber": "NOPE"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(missing["error"]["code"], "Internal_RecordNotFound");

    let (status, payment) = bc.post(&token, "customerPayments", json!({
        "customerNumber": "C0001", "amount": total, "appliesToInvoiceId": id, "externalDocumentNumber": "ch_42",
    })).await;
    assert_eq!(status, 201, "{payment}");
    assert_eq!(payment["journalDisplayName"], "CASHRCPT");
    assert_eq!(payment["appliesToInvoiceNumber"], posted["number"]);
    assert_eq!(payment["lineNumber"], 10000);
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn journal_lines_live_under_their_journal() {
    let bc = Bc::start(None, BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let (_, journals) = bc
        .get(&token, &bc.url("journals?$filter=code eq 'GENERAL'"))
        .await;
    let journal = journals["value"][0]["id"].as_str().unwrap().to_string();
    for amount in [10.5, -10.5] {
        let (status, line) = bc.post(&token, &format!("journals({journal})/journalLines"), json!({
            "accountType": "G/L Account", "accountNumber": "10100", "amount": amount, "description": "Stripe payout",
        })).await;
        assert_eq!(status, 201, "{line}");
        assert_eq!(line["journalId"], journal.as_str());
    }
    let (_, lines) = bc
        .get(
            &token,
            &bc.url(&format!("journals({journal})/journalLines")),
        )
        .await;
    let numbers: Vec<i64> = lines["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lineNumber"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![10000, 20000]);
    assert_eq!(bc.get(&token, &bc.url("journalLines")).await.0, 404);
    bc.handle.shutdown().await.unwrap();
}

/// The general journal's id, and a writer of its lines: (account, amount, document number).
async fn general_journal(bc: &Bc, token: &str) -> String {
    let (_, journals) = bc
        .get(token, &bc.url("journals?$filter=code eq 'GENERAL'"))
        .await;
    journals["value"][0]["id"].as_str().unwrap().to_string()
}

async fn add_lines(bc: &Bc, token: &str, journal: &str, lines: &[(&str, f64, &str)]) {
    for (account, amount, document) in lines {
        let (status, line) = bc
            .post(
                token,
                &format!("journals({journal})/journalLines"),
                json!({
                    "accountNumber": account, "amount": amount, "documentNumber": document,
                    "postingDate": "2025-11-25", "description": format!("{document} {account}"),
                }),
            )
            .await;
        assert_eq!(status, 201, "{line}");
    }
}

#[tokio::test]
async fn posting_a_balanced_journal_moves_its_lines_to_the_read_only_ledger() {
    let bc = Bc::start(None, BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let journal = general_journal(&bc, &token).await;
    let post = format!("journals({journal})/Microsoft.NAV.post");
    let lines_path = format!("journals({journal})/journalLines");

    let (status, empty) = bc.post(&token, &post, json!({})).await;
    assert_eq!(status, 400, "{empty}");
    assert_eq!(empty["error"]["code"], "Application_DialogException");
    assert_eq!(empty["error"]["message"], "There is nothing to post.");

    let payout = [
        ("10100", 95.5, "PO-1"),
        ("10950", -100.0, "PO-1"),
        ("62100", 4.5, "PO-1"),
    ];
    add_lines(&bc, &token, &journal, &payout).await;
    let (status, body) = bc.post(&token, &post, json!({})).await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, left) = bc.get(&token, &bc.url(&lines_path)).await;
    assert_eq!(left["value"].as_array().unwrap().len(), 0, "{left}");

    let filter =
        "generalLedgerEntries?$filter=documentNumber eq 'PO-1' and postingDate eq 2025-11-25";
    let (status, entries) = bc.get(&token, &bc.url(filter)).await;
    assert_eq!(status, 200);
    let entries = entries["value"].as_array().unwrap().clone();
    let numbers: Vec<i64> = entries
        .iter()
        .map(|e| e["entryNumber"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    let bank = &entries[0];
    assert_eq!(
        (
            &bank["accountNumber"],
            &bank["debitAmount"],
            &bank["creditAmount"]
        ),
        (&json!("10100"), &json!(95.5), &json!(0))
    );
    assert_eq!(entries[1]["creditAmount"], json!(100));
    assert_eq!(bank["documentType"], " ");
    assert_eq!(bank["description"], "PO-1 10100");
    let (_, accounts) = bc
        .get(&token, &bc.url("accounts?$filter=number eq '10100'"))
        .await;
    let account = &accounts["value"][0];
    assert_eq!(bank["accountId"], account["id"]);
    assert_eq!(account["netChange"], json!(95.5));

    // The ledger and the chart of accounts are read through the API only.
    let entry = format!("generalLedgerEntries({})", bank["id"].as_str().unwrap());
    let (status, refused) = bc.post(&token, "generalLedgerEntries", json!({})).await;
    assert_eq!(status, 405, "{refused}");
    assert_eq!(refused["error"]["code"], "BadRequest_MethodNotAllowed");
    let (status, _) = bc
        .patch(&token, &entry, Some("*"), json!({"description": "x"}))
        .await;
    assert_eq!(status, 405);
    let deleted = bc
        .client
        .delete(bc.url(&entry))
        .bearer_auth(&token)
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 405);
    let (status, _) = bc
        .post(&token, "accounts", json!({"number": "99999"}))
        .await;
    assert_eq!(status, 405);

    // Posted once: the journal is empty now.
    let (status, again) = bc.post(&token, &post, json!({})).await;
    assert_eq!(status, 400, "{again}");
    let (_, all) = bc.get(&token, &bc.url("generalLedgerEntries")).await;
    assert_eq!(all["value"].as_array().unwrap().len(), 3);
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_journal_that_does_not_balance_or_names_no_account_is_refused_whole() {
    let bc = Bc::start(None, BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let journal = general_journal(&bc, &token).await;
    let post = format!("journals({journal})/Microsoft.NAV.post");
    let count = async |path: &str| -> usize {
        let (_, list) = bc.get(&token, &bc.url(path)).await;
        list["value"].as_array().unwrap().len()
    };

    // PO-1 balances; PO-2 is out by 0.01.
    add_lines(
        &bc,
        &token,
        &journal,
        &[("10100", 10.0, "PO-1"), ("10950", -10.0, "PO-1")],
    )
    .await;
    add_lines(
        &bc,
        &token,
        &journal,
        &[("10100", 20.01, "PO-2"), ("10950", -20.0, "PO-2")],
    )
    .await;
    let (status, refused) = bc.post(&token, &post, json!({})).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "Application_DialogException");
    assert_eq!(
        refused["error"]["message"],
        "Document PO-2 is out of balance by 0.01."
    );
    assert_eq!(count(&format!("journals({journal})/journalLines")).await, 4);
    assert_eq!(count("generalLedgerEntries").await, 0);

    let (_, lines) = bc
        .get(
            &token,
            &bc.url(&format!(
                "journals({journal})/journalLines?$filter=documentNumber eq 'PO-2'"
            )),
        )
        .await;
    for line in lines["value"].as_array().unwrap() {
        let path = format!(
            "journals({journal})/journalLines({})",
            line["id"].as_str().unwrap()
        );
        let (status, _) = bc
            .patch(
                &token,
                &path,
                Some("*"),
                json!({"accountNumber": "99999", "amount": 5}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (status, refused) = bc.post(&token, &post, json!({})).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "Internal_RecordNotFound");
    assert_eq!(
        refused["error"]["message"],
        "The G/L Account does not exist. Identification fields and values: No.='99999'"
    );
    assert_eq!(count("generalLedgerEntries").await, 0);
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn requests_past_the_rate_limit_get_429_with_retry_after() {
    let config = BusinessCentralConfig {
        rate_limit: 2,
        ..BusinessCentralConfig::default()
    };
    let bc = Bc::start(None, config).await;
    let token = bc.token().await;
    assert_eq!(bc.get(&token, &bc.url("items")).await.0, 200);
    assert_eq!(bc.get(&token, &bc.url("items")).await.0, 200);
    let refused = bc
        .client
        .get(bc.url("items"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry));
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"]["code"].is_string());
    bc.handle.shutdown().await.unwrap();
}

/// A form-encoded body (reqwest's `form` feature is not enabled).
fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

fn amount(value: &Value) -> rust_decimal::Decimal {
    value.to_string().parse().unwrap()
}

/// A customer in `currency` with a posted invoice of one `Account` line of `price`; the
/// customer's number and the invoice.
async fn posted_invoice(bc: &Bc, token: &str, currency: &str, price: f64) -> (String, Value) {
    let (status, customer) = bc
        .post(
            token,
            "customers",
            json!({"displayName": "Books", "currencyCode": currency}),
        )
        .await;
    assert_eq!(status, 201, "{customer}");
    let number = customer["number"].as_str().unwrap().to_string();
    let (status, invoice) = bc
        .post(
            token,
            "salesInvoices",
            json!({
                "customerNumber": number, "externalDocumentNumber": format!("ch_{currency}"),
                "salesInvoiceLines": [{"lineType": "Account", "lineObjectNumber": "40100", "quantity": 1, "unitPrice": price}],
            }),
        )
        .await;
    assert_eq!(status, 201, "{invoice}");
    let id = invoice["id"].as_str().unwrap();
    let (status, body) = bc
        .post(
            token,
            &format!("salesInvoices({id})/Microsoft.NAV.post"),
            json!({}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, invoice) = bc
        .get(token, &bc.url(&format!("salesInvoices({id})")))
        .await;
    (number, invoice)
}

#[tokio::test]
async fn an_unknown_currency_is_refused_as_business_central_refuses_it() {
    let bc = Bc::start(None, BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let (_, currencies) = bc.get(&token, &bc.url("currencies")).await;
    let codes: Vec<&str> = currencies["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for code in ["NZD", "USD", "GBP", "EUR", "JPY", "KWD"] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    assert!(
        !codes.contains(&"AUD"),
        "the local currency has no currency record"
    );

    let (status, refused) = bc
        .post(
            &token,
            "customers",
            json!({"displayName": "X", "currencyCode": "XYZ"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused["error"],
        json!({
            "code": "Internal_InvalidTableRelation",
            "message": "The field Currency Code of table Customer contains a value (XYZ) that cannot be found in the related table (Currency)."
        })
    );
    // The local currency is blank in Business Central, and the API shows it as its code.
    let (status, local) = bc
        .post(
            &token,
            "customers",
            json!({"displayName": "Y", "currencyCode": ""}),
        )
        .await;
    assert_eq!(status, 201, "{local}");
    assert_eq!(local["currencyCode"], "AUD");
    let (status, refused) = bc
        .post(
            &token,
            "salesInvoices",
            json!({"customerNumber": local["number"], "currencyCode": "ABC"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused["error"]["message"],
        "The field Currency Code of table Sales Header contains a value (ABC) that cannot be found in the related table (Currency)."
    );
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_posted_invoice_is_booked_in_local_currency_and_a_posted_payment_closes_it() {
    let bc = Bc::start(None, BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let (customer, invoice) = posted_invoice(&bc, &token, "JPY", 12000.0).await;
    assert_eq!(invoice["status"], "Open");
    assert_eq!(amount(&invoice["remainingAmount"]), amount(&json!(12000)));
    let number = invoice["number"].as_str().unwrap().to_string();

    // Receivables against sales, in Australian dollars at the yen's rate (0.01015).
    let (_, ledger) = bc
        .get(
            &token,
            &bc.url(&format!(
                "generalLedgerEntries?$filter=documentNumber eq '{number}'"
            )),
        )
        .await;
    let ledger = ledger["value"].as_array().unwrap().clone();
    let sides: Vec<(&str, f64, f64)> = ledger
        .iter()
        .map(|e| {
            (
                e["accountNumber"].as_str().unwrap(),
                e["debitAmount"].as_f64().unwrap(),
                e["creditAmount"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(sides, [("13100", 121.8, 0.0), ("40100", 0.0, 121.8)]);
    assert!(ledger.iter().all(|e| e["documentType"] == "Invoice"));
    // The customer ledger is the finance reports API's: API v2.0 does not serve it.
    let ledger_query = format!("customerLedgerEntries?$filter=documentNumber eq '{number}'");
    let (status, _) = bc.get(&token, &bc.url(&ledger_query)).await;
    assert_eq!(status, 404);
    let (status, entries) = bc
        .get(
            &token,
            &bc.url(&ledger_query)
                .replacen("/api/v2.0/", "/api/microsoft/reportsFinance/beta/", 1),
        )
        .await;
    assert_eq!(status, 200, "{entries}");
    let entry = &entries["value"][0];
    assert_eq!(
        (
            &entry["currencyCode"],
            &entry["amount"],
            &entry["amountLocalCurrency"],
            &entry["open"]
        ),
        (&json!("JPY"), &json!(12000), &json!(121.8), &json!(true))
    );
    let (_, owner) = bc
        .get(
            &token,
            &bc.url(&format!("customers?$filter=number eq '{customer}'")),
        )
        .await;
    assert_eq!(
        owner["value"][0]["balanceDue"],
        json!(121.8),
        "in local currency"
    );

    // Part of it, then the rest, through the cash receipts journal.
    let (_, journals) = bc.get(&token, &bc.url("customerPaymentJournals")).await;
    let journal = journals["value"][0].clone();
    assert_eq!(
        (&journal["code"], &journal["balancingAccountNumber"]),
        (&json!("CASHRCPT"), &json!("10950"))
    );
    let journal = journal["id"].as_str().unwrap().to_string();
    let post = format!("customerPaymentJournals({journal})/Microsoft.NAV.post");
    let (status, nothing) = bc.post(&token, &post, json!({})).await;
    assert_eq!(
        (status, &nothing["error"]["message"]),
        (400, &json!("There is nothing to post."))
    );
    for (paid, left, status) in [(2000, 10000, "Open"), (10000, 0, "Paid")] {
        let (created, payment) = bc
            .post(
                &token,
                &format!("customerPaymentJournals({journal})/customerPayments"),
                json!({"customerNumber": customer, "amount": paid, "appliesToInvoiceId": invoice["id"], "externalDocumentNumber": format!("py_{paid}")}),
            )
            .await;
        assert_eq!(created, 201, "{payment}");
        assert!(
            payment["documentNumber"]
                .as_str()
                .unwrap()
                .starts_with("G-RCPT")
        );
        let (posted, body) = bc.post(&token, &post, json!({})).await;
        assert_eq!(posted, 204, "{body}");
        let id = invoice["id"].as_str().unwrap();
        let (_, now) = bc
            .get(&token, &bc.url(&format!("salesInvoices({id})")))
            .await;
        assert_eq!(amount(&now["remainingAmount"]), amount(&json!(left)));
        assert_eq!(now["status"], status);
    }
    let (_, left) = bc
        .get(
            &token,
            &bc.url(&format!(
                "customerPaymentJournals({journal})/customerPayments"
            )),
        )
        .await;
    assert_eq!(left["value"].as_array().unwrap().len(), 0);
    let (_, owner) = bc
        .get(
            &token,
            &bc.url(&format!("customers?$filter=number eq '{customer}'")),
        )
        .await;
    assert_eq!(amount(&owner["value"][0]["balanceDue"]), amount(&json!(0)));
    let (_, all) = bc.get(&token, &bc.url("generalLedgerEntries")).await;
    let all = all["value"].as_array().unwrap();
    let total = |key: &str| -> rust_decimal::Decimal { all.iter().map(|e| amount(&e[key])).sum() };
    assert_eq!(
        total("debitAmount"),
        total("creditAmount"),
        "the trial balance is zero"
    );
    let (_, clearing) = bc
        .get(
            &token,
            &bc.url("generalLedgerEntries?$filter=accountNumber eq '10950'"),
        )
        .await;
    let received: rust_decimal::Decimal = clearing["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| amount(&e["debitAmount"]))
        .sum();
    assert_eq!(received, amount(&json!(121.8)));
    bc.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_posted_credit_memo_is_applied_to_the_invoice_it_names() {
    let bc = Bc::start(None, BusinessCentralConfig::default()).await;
    let token = bc.token().await;
    let (customer, invoice) = posted_invoice(&bc, &token, "KWD", 12.5).await;
    let (status, memo) = bc
        .post(
            &token,
            "salesCreditMemos",
            json!({
                "customerNumber": customer, "invoiceId": invoice["id"], "currencyCode": "KWD",
                "salesCreditMemoLines": [{"lineType": "Account", "lineObjectNumber": "40900", "quantity": 1, "unitPrice": 2.5}],
            }),
        )
        .await;
    assert_eq!(status, 201, "{memo}");
    let memo_id = memo["id"].as_str().unwrap();
    let (status, body) = bc
        .post(
            &token,
            &format!("salesCreditMemos({memo_id})/Microsoft.NAV.post"),
            json!({}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let id = invoice["id"].as_str().unwrap();
    let (_, now) = bc
        .get(&token, &bc.url(&format!("salesInvoices({id})")))
        .await;
    assert_eq!(amount(&now["remainingAmount"]), amount(&json!(10)));
    assert_eq!(now["status"], "Open");
    let (_, owner) = bc
        .get(
            &token,
            &bc.url(&format!("customers?$filter=number eq '{customer}'")),
        )
        .await;
    // 10 dinars at 4.956.
    assert_eq!(
        amount(&owner["value"][0]["balanceDue"]),
        amount(&json!(49.56))
    );
    bc.handle.shutdown().await.unwrap();
}
