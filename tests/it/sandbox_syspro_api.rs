//! The Syspro emulator on the wire: it refuses what the real service refuses, in the same
//! shape (`ERROR` text for logons, sessions and unreadable documents; `<ErrorDescription>` in
//! XmlOut for business rules), and keeps nothing from a refused document.

use std::net::SocketAddr;

use ferry::sandbox::Sandbox;
use ferry::sandbox::syspro::SysproState;

struct Service {
    rest: String,
    syspro: SysproState,
    _handle: ferry::sandbox::SandboxHandle,
}

async fn service() -> Service {
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

async fn get(url: &str, query: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.query_pairs_mut().extend_pairs(query);
    let response = reqwest::Client::new().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

async fn logon(service: &Service) -> String {
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

async fn post_order(service: &Service, session: &str, details: &str) -> String {
    let document = format!(
        "<SalesOrders><Orders><OrderHeader><CustomerPoNumber>PO-1</CustomerPoNumber>\
         <Customer>0000101</Customer><OrderDate>2026-01-31</OrderDate></OrderHeader>\
         <OrderDetails>{details}</OrderDetails></Orders></SalesOrders>"
    );
    get(
        &format!("{}/Transaction/Post", service.rest),
        &[
            ("UserId", session),
            ("BusinessObject", "SORTOI"),
            ("XmlParameters", "<SalesOrders><Parameters/></SalesOrders>"),
            ("XmlIn", &document),
        ],
    )
    .await
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
