//! The Syspro emulator on the wire: it refuses what the real service refuses, in the same
//! shape (`ERROR` text for logons, sessions and unreadable documents; `<ErrorDescription>` in
//! XmlOut for business rules), and keeps nothing from a refused document.

use std::net::SocketAddr;

use ferry::sandbox::Sandbox;
use ferry::sandbox::syspro::SysproState;

pub(crate) struct Service {
    pub(crate) rest: String,
    pub(crate) syspro: SysproState,
    _handle: ferry::sandbox::SandboxHandle,
}

pub(crate) async fn service() -> Service {
    ferry::init_tls();
    let sandbox = Sandbox::builder().seed(Some(2)).build();
    let syspro = sandbox.syspro().unwrap().clone();
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    Service {
        rest: format!("{}/syspro/SYSPROWCFService/Rest", handle.base_url()),
        syspro,
        _handle: handle,
    }
}

pub(crate) async fn get(url: &str, query: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.query_pairs_mut().extend_pairs(query);
    let response = reqwest::Client::new().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

pub(crate) async fn logon(service: &Service) -> String {
    logon_as(service, "sandbox-password", "EDU1").await
}

/// A logon's answer: a session id or `ERROR` text.
async fn logon_as(service: &Service, password: &str, company: &str) -> String {
    get(
        &format!("{}/Logon", service.rest),
        &[
            ("Operator", "ADMIN"),
            ("OperatorPassword", password),
            ("CompanyId", company),
            ("CompanyPassword", ""),
        ],
    )
    .await
}

pub(crate) async fn post_order(service: &Service, session: &str, details: &str) -> String {
    let document = format!(
        "<SalesOrders><Orders><OrderHeader><CustomerPoNumber>PO-1</CustomerPoNumber>\
         <Customer>0000101</Customer><OrderDate>2026-01-31</OrderDate></OrderHeader>\
         <OrderDetails>{details}</OrderDetails></Orders></SalesOrders>"
    );
    let parameters = "<SalesOrders><Parameters/></SalesOrders>";
    transaction(service, session, "SORTOI", parameters, &document).await
}

#[tokio::test(flavor = "multi_thread")]
async fn logons_refuse_wrong_credentials_without_echoing_them() {
    let service = service().await;
    let wrong = logon_as(&service, "guess-123", "EDU1").await;
    assert_eq!(wrong, "ERROR: Invalid operator 'ADMIN' or password");
    let company = logon_as(&service, "sandbox-password", "XYZ").await;
    assert_eq!(company, "ERROR: Company 'XYZ' not found");
    let session = logon(&service).await;
    assert_eq!(session.len(), 36, "{session}");
    assert!(session.ends_with("  "), "{session:?}");

    let query = format!("{}/Query/Query", service.rest);
    let find =
        "<Query><TableName>ArCustomer</TableName><Columns><Column>Name</Column></Columns></Query>";
    let unknown = get(
        &query,
        &[
            ("UserId", "NOPE"),
            ("BusinessObject", "COMFND"),
            ("XmlIn", find),
        ],
    )
    .await;
    assert_eq!(unknown, "ERROR: Session ID is invalid or has expired");
    let rows = get(
        &query,
        &[
            ("UserId", &session),
            ("BusinessObject", "COMFND"),
            ("XmlIn", find),
        ],
    )
    .await;
    assert_eq!(rows.matches("<Row>").count(), 12, "{rows}");
    let broken = get(
        &query,
        &[
            ("UserId", &session),
            ("BusinessObject", "COMFND"),
            ("XmlIn", "<Query>"),
        ],
    )
    .await;
    assert!(
        broken.starts_with("ERROR: XmlIn could not be loaded"),
        "{broken}"
    );
    let column = get(
        &query,
        &[
            ("UserId", &session),
            ("BusinessObject", "COMFND"),
            ("XmlIn", "<Query><TableName>ArCustomer</TableName><Columns><Column>Nmae</Column></Columns></Query>"),
        ],
    )
    .await;
    assert_eq!(
        column,
        "ERROR: Column 'Nmae' not found in table 'ArCustomer'"
    );

    get(&format!("{}/Logoff", service.rest), &[("UserId", &session)]).await;
    assert!(service.syspro.data().sessions.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sortoi_refuses_bad_lines_whole_and_names_each_field() {
    let service = service().await;
    let session = logon(&service).await;
    let answer = post_order(
        &service,
        &session,
        "<StockLine><CustomerPoLine>1</CustomerPoLine><StockCode>NOPE</StockCode><OrderQty>2</OrderQty><Price>5</Price></StockLine>\
         <StockLine><CustomerPoLine>2</CustomerPoLine><StockCode>A100</StockCode><OrderQty>0</OrderQty><Price>-1</Price></StockLine>\
         <StockLine><CustomerPoLine>3</CustomerPoLine><OrderQty>1</OrderQty></StockLine>\
         <MiscChargeLine><CustomerPoLine>4</CustomerPoLine><MiscChargeValue>1.234</MiscChargeValue></MiscChargeLine>",
    )
    .await;
    for expected in [
        "<ErrorDescription>StockCode &apos;NOPE&apos; not on file</ErrorDescription>",
        "<ErrorDescription>OrderQty &apos;0&apos; must be greater than zero</ErrorDescription>",
        "<ErrorDescription>Price &apos;-1&apos; must be greater than zero</ErrorDescription>",
        "<ErrorDescription>StockCode is required on a stock line</ErrorDescription>",
        "<ErrorDescription>MiscChargeValue &apos;1.234&apos; has more than 2 decimals</ErrorDescription>",
        "<ItemsInvalid>1</ItemsInvalid>",
    ] {
        assert!(answer.contains(expected), "{expected} not in {answer}");
    }
    assert!(!answer.contains("<SalesOrder>"), "{answer}");
    assert!(service.syspro.data().orders.is_empty());

    let good = "<StockLine><StockCode>A100</StockCode><OrderQty>2</OrderQty><Price>450.00</Price></StockLine>";
    let answer = post_order(&service, &session, good).await;
    assert!(
        answer.contains("<SalesOrder>000101</SalesOrder>"),
        "{answer}"
    );
    assert!(
        answer.contains("<ItemsProcessed>1</ItemsProcessed>"),
        "{answer}"
    );
    // The same customer PO number again is refused, not imported twice.
    let again = post_order(&service, &session, good).await;
    assert!(
        again.contains("CustomerPoNumber &apos;PO-1&apos; already exists on sales order 000101"),
        "{again}"
    );
    assert_eq!(service.syspro.data().orders.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn arsscs_adds_and_updates_customers_by_the_rules() {
    let service = service().await;
    let session = logon(&service).await;
    let setup = |method: &'static str, item: &'static str| {
        let url = format!("{}/Setup/{method}", service.rest);
        let session = session.clone();
        async move {
            get(
                &url,
                &[
                    ("UserId", &session),
                    ("BusinessObject", "ARSSCS"),
                    (
                        "XmlParameters",
                        "<SetupArCustomer><Parameters/></SetupArCustomer>",
                    ),
                    (
                        "XmlIn",
                        &format!("<SetupArCustomer><Item>{item}</Item></SetupArCustomer>"),
                    ),
                ],
            )
            .await
        }
    };
    let existing = setup(
        "Add",
        "<Key><Customer>0000101</Customer></Key><Name>X</Name>",
    )
    .await;
    assert!(
        existing.contains("Customer &apos;0000101&apos; already exists"),
        "{existing}"
    );
    let bad = setup("Add", "<Key><Customer>NEW1</Customer></Key><Name>New</Name><Currency>XXX</Currency><Nmae>y</Nmae>").await;
    assert!(
        bad.contains("Currency &apos;XXX&apos; not on file"),
        "{bad}"
    );
    assert!(bad.contains("Nmae is not a customer element"), "{bad}");
    assert!(!service.syspro.data().customers.contains_key("NEW1"));
    let added = setup(
        "Add",
        "<Key><Customer>NEW1</Customer></Key><Name>New &amp; Co</Name>",
    )
    .await;
    assert!(
        added.contains("<ItemsProcessed>1</ItemsProcessed>"),
        "{added}"
    );
    let missing = setup(
        "Update",
        "<Key><Customer>NEW2</Customer></Key><Name>Z</Name>",
    )
    .await;
    assert!(
        missing.contains("Customer &apos;NEW2&apos; not on file"),
        "{missing}"
    );
    setup(
        "Update",
        "<Key><Customer>NEW1</Customer></Key><Email>new@example.com</Email>",
    )
    .await;
    {
        let data = service.syspro.data();
        let customer = &data.customers["NEW1"];
        assert_eq!(customer.get("Name"), "New & Co");
        assert_eq!(customer.get("Email"), "new@example.com");
        assert_eq!(customer.get("Currency"), "AUD");
    }

    // A customer with nothing booked may change currency; one with an order may not.
    let moved = setup(
        "Update",
        "<Key><Customer>NEW1</Customer></Key><Currency>NZD</Currency>",
    )
    .await;
    assert!(
        moved.contains("<ItemsProcessed>1</ItemsProcessed>"),
        "{moved}"
    );
    let good = "<StockLine><StockCode>A100</StockCode><OrderQty>1</OrderQty><Price>10.00</Price></StockLine>";
    let ordered = post_order(&service, &session, good).await;
    assert!(ordered.contains("<SalesOrder>"), "{ordered}");
    let refused = setup(
        "Update",
        "<Key><Customer>0000101</Customer></Key><Currency>NZD</Currency>",
    )
    .await;
    assert!(
        refused
            .contains("Currency cannot be changed: customer &apos;0000101&apos; has transactions"),
        "{refused}"
    );
    let data = service.syspro.data();
    assert_eq!(data.customers["NEW1"].get("Currency"), "NZD");
    assert_eq!(data.customers["0000101"].get("Currency"), "AUD");
}

/// A payment to customer 0000101's invoice 001001 (100.00; customer 0000102 has 001002),
/// posted with `auto_correct`; the XmlOut.
async fn pay(
    service: &Service,
    session: &str,
    auto_correct: &str,
    value: &str,
    invoices: &[(&str, &str)],
) -> String {
    let parameters = format!(
        "<PostArPayment><Parameters><AutoCorrectPaymentValue>{auto_correct}</AutoCorrectPaymentValue></Parameters></PostArPayment>"
    );
    let to_pay: String = invoices
        .iter()
        .map(|(invoice, gross)| format!("<InvoiceToPay><TransactionType>I</TransactionType><Invoice>{invoice}</Invoice><GrossPaymentValue>{gross}</GrossPaymentValue></InvoiceToPay>"))
        .collect();
    let document = format!(
        "<PostArPayment><Item><Payment><Customer>0000101</Customer><PaymentValue>{value}</PaymentValue>\
         <Reference>R1</Reference><JournalNotation>R1</JournalNotation>{to_pay}</Payment></Item></PostArPayment>"
    );
    transaction(service, session, "ARSTPY", &parameters, &document).await
}

pub(crate) async fn transaction(
    service: &Service,
    session: &str,
    business_object: &str,
    parameters: &str,
    document: &str,
) -> String {
    get(
        &format!("{}/Transaction/Post", service.rest),
        &[
            ("UserId", session),
            ("BusinessObject", business_object),
            ("XmlParameters", parameters),
            ("XmlIn", document),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn arstpy_applies_payments_by_syspros_rules_and_keeps_nothing_refused() {
    let service = service().await;
    let session = logon(&service).await;
    for (customer, po) in [("0000101", "PO-1"), ("0000102", "PO-2")] {
        let order = format!(
            "<SalesOrders><Orders><OrderHeader><CustomerPoNumber>{po}</CustomerPoNumber><Customer>{customer}</Customer></OrderHeader>\
             <OrderDetails><MiscChargeLine><MiscDescription>X</MiscDescription><MiscChargeValue>100.00</MiscChargeValue></MiscChargeLine></OrderDetails></Orders></SalesOrders>"
        );
        let answer = transaction(
            &service,
            &session,
            "SORTOI",
            "<SalesOrders><Parameters/></SalesOrders>",
            &order,
        )
        .await;
        assert!(
            answer.contains("<ItemsProcessed>1</ItemsProcessed>"),
            "{answer}"
        );
    }
    let balance = |invoice: &str| {
        service.syspro.data().invoices[invoice]
            .get("InvoiceBal1")
            .to_string()
    };
    assert_eq!(balance("001001"), "100.00", "invoiced as imported");
    let refusals = [
        (
            "N",
            "50.00",
            vec![("001002", "50.00")],
            "Invoice &apos;001002&apos; of type &apos;I&apos; not found for customer &apos;0000101&apos;",
        ),
        (
            "N",
            "50.00",
            vec![("009999", "50.00")],
            "Invoice &apos;009999&apos; of type &apos;I&apos; not found",
        ),
        (
            "N",
            "150.00",
            vec![("001001", "150.00")],
            "GrossPaymentValue &apos;150.00&apos; exceeds the balance &apos;100.00&apos; of invoice &apos;001001&apos;",
        ),
        (
            "N",
            "60.00",
            vec![("001001", "50.00")],
            "PaymentValue &apos;60.00&apos; is not fully distributed: &apos;50.00&apos; is applied to invoices",
        ),
        (
            "N",
            "0",
            vec![("001001", "0")],
            "PaymentValue &apos;0&apos; must not be zero",
        ),
        (
            "X",
            "50.00",
            vec![("001001", "50.00")],
            "AutoCorrectPaymentValue &apos;X&apos; is not N, Y or U",
        ),
    ];
    for (auto_correct, value, invoices, expected) in refusals {
        let answer = pay(&service, &session, auto_correct, value, &invoices).await;
        assert!(answer.contains(expected), "{expected} not in {answer}");
        assert!(
            answer.contains("<ItemsProcessed>000000</ItemsProcessed>"),
            "{answer}"
        );
        assert!(
            answer.starts_with("<?xml version=\"1.0\" encoding=\"Windows-1252\"?><postarpayment>"),
            "{answer}"
        );
        assert!(service.syspro.data().payments.is_empty());
        assert_eq!(balance("001001"), "100.00");
    }

    // Y: the payment becomes what was distributed.
    let answer = pay(&service, &session, "Y", "60.00", &[("001001", "40.00")]).await;
    assert!(
        answer.contains("<ItemsProcessed>000001</ItemsProcessed>"),
        "{answer}"
    );
    assert_eq!(balance("001001"), "60.00");
    // U: the remainder is kept as an unapplied payment on a generated _CRD document.
    let answer = pay(&service, &session, "U", "75.00", &[("001001", "60.00")]).await;
    assert!(
        answer.contains("<ItemsProcessed>000001</ItemsProcessed>"),
        "{answer}"
    );
    let data = service.syspro.data();
    assert_eq!(data.invoices["001001"].get("InvoiceBal1"), "0.00");
    assert_eq!(data.invoices["_CRD01"].get("InvoiceBal1"), "-15.00");
    assert_eq!(data.customers["0000101"].get("CurrentBalance"), "-15.00");
    assert_eq!(data.payments.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn arstin_credits_an_invoice_no_more_than_its_value() {
    let service = service().await;
    let session = logon(&service).await;
    let details = "<MiscChargeLine><MiscDescription>X</MiscDescription><MiscChargeValue>100.00</MiscChargeValue></MiscChargeLine>";
    let answer = post_order(&service, &session, details).await;
    assert!(
        answer.contains("<ItemsProcessed>1</ItemsProcessed>"),
        "{answer}"
    );
    let credit = |customer: &str, invoice: &str, value: &str, existing: &str| {
        format!(
            "<PostArInvoices><Item><TransactionType>C</TransactionType><Customer>{customer}</Customer>\
             <PostToExistingInvoice>{existing}</PostToExistingInvoice><Invoice>{invoice}</Invoice>\
             <InvoiceDate>2026-02-01</InvoiceDate><Reference>re_1</Reference><InvoiceValue>{value}</InvoiceValue></Item></PostArInvoices>"
        )
    };
    let parameters = "<PostArInvoices><Parameters/></PostArInvoices>";
    let refusals = [
        (
            credit("0000101", "001001", "-5.00", "Y"),
            "InvoiceValue &apos;-5.00&apos; must be positive: Syspro negates a credit note itself",
        ),
        (
            credit("0000102", "001001", "5.00", "Y"),
            "Invoice &apos;001001&apos; not found for customer &apos;0000102&apos;",
        ),
        (
            credit("0000101", "001001", "100.01", "Y"),
            "InvoiceValue &apos;100.01&apos; is more than the &apos;100.00&apos; of invoice &apos;001001&apos; not yet credited",
        ),
        (
            credit("0000101", "001001", "5.00", "N"),
            "Invoice &apos;001001&apos; must be a new document number",
        ),
    ];
    for (document, expected) in refusals {
        let answer = transaction(&service, &session, "ARSTIN", parameters, &document).await;
        assert!(answer.contains(expected), "{expected} not in {answer}");
        assert!(
            answer.contains("<ItemsInvalid>000001</ItemsInvalid>"),
            "{answer}"
        );
        assert!(service.syspro.data().credits.is_empty());
    }
    for value in ["60.00", "40.00"] {
        let document = credit("0000101", "001001", value, "Y");
        let answer = transaction(&service, &session, "ARSTIN", parameters, &document).await;
        assert!(
            answer.contains("<ItemsProcessed>000001</ItemsProcessed>"),
            "{answer}"
        );
    }
    let answer = transaction(
        &service,
        &session,
        "ARSTIN",
        parameters,
        &credit("0000101", "001001", "0.01", "Y"),
    )
    .await;
    assert!(
        answer.contains("the &apos;0.00&apos; of invoice &apos;001001&apos; not yet credited"),
        "{answer}"
    );
    let data = service.syspro.data();
    assert_eq!(data.invoices["001001"].get("InvoiceBal1"), "0.00");
    assert_eq!(data.credits.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn gentjl_posts_only_balanced_journals_to_known_ledger_codes() {
    let service = service().await;
    let session = logon(&service).await;
    let journal = |lines: &[(&str, &str)]| {
        let details: String = lines
            .iter()
            .enumerate()
            .map(|(n, (code, amount))| {
                format!(
                    "<JournalDetails><EntryNumber>{}</EntryNumber><LedgerCode>{code}</LedgerCode><EntryAmount>{amount}</EntryAmount><Reference>po_1</Reference></JournalDetails>",
                    n + 1
                )
            })
            .collect();
        format!(
            "<PostGlJournal><Item><JournalType>N</JournalType><PostJournal>Y</PostJournal><JournalDate>2025-11-25</JournalDate>{details}</Item></PostGlJournal>"
        )
    };
    let parameters =
        "<PostGlJournal><Parameters><ActionType>A</ActionType></Parameters></PostGlJournal>";
    let refusals = [
        (
            journal(&[("1100", "10.00"), ("1150", "-9.99")]),
            "Journal does not balance: debits 10.00, credits 9.99",
        ),
        (
            journal(&[("1100", "10.00"), ("9999", "-10.00")]),
            "Ledger code &apos;9999&apos; not on file",
        ),
        (
            journal(&[("1100", "0"), ("1150", "0")]),
            "EntryAmount &apos;0&apos; must not be zero",
        ),
        (
            journal(&[("1100", "10.001"), ("1150", "-10.001")]),
            "EntryAmount &apos;10.001&apos; has more than 2 decimals",
        ),
        (
            journal(&[("1100", "10.00")]),
            "a journal needs two JournalDetails lines or more",
        ),
    ];
    for (document, expected) in refusals {
        let answer = transaction(&service, &session, "GENTJL", parameters, &document).await;
        assert!(answer.contains(expected), "{expected} not in {answer}");
        assert!(
            answer.contains("<JournalsProcessed>000000</JournalsProcessed>"),
            "{answer}"
        );
        assert!(
            !answer.contains("<PostingsInvalid>000000</PostingsInvalid>"),
            "{answer}"
        );
        assert!(service.syspro.data().gl.is_empty());
    }
    let answer = transaction(
        &service,
        &session,
        "GENTJL",
        parameters,
        &journal(&[("1100", "96.80"), ("6210", "3.20"), ("1150", "-100.00")]),
    )
    .await;
    assert!(
        answer.starts_with("<?xml version=\"1.0\" encoding=\"Windows-1252\"?><postgljournal>"),
        "{answer}"
    );
    assert!(
        answer.contains("<GlJournal>1</GlJournal>")
            && answer.contains("<DebitAmount>100.00</DebitAmount>"),
        "{answer}"
    );
    assert!(
        answer.contains("<PostingsProcessed>000003</PostingsProcessed>"),
        "{answer}"
    );
    let data = service.syspro.data();
    assert_eq!(data.gl.len(), 3);
    assert!(
        data.gl
            .iter()
            .all(|row| row["GlYear"] == "2025" && row["GlPeriod"] == "11")
    );
}
