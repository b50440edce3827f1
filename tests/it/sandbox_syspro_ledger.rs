//! The Syspro emulator's receivables in the general ledger: invoices, payments and credit notes
//! post balanced journals in the local currency at the currency table's rate (COMFND reads the
//! table); a negative ARSTPY payment pays a credit back, and no more than the credit open; a
//! payment names a bank on file; a currency without a rate is refused.

use rust_decimal::Decimal;

use crate::sandbox_syspro_api::{Service, get, logon, post_order, service, transaction};

/// An ARSTPY payment of `value` for customer 0000101 applied to `invoice` (`gross`), into `bank`.
async fn pay(
    service: &Service,
    session: &str,
    value: &str,
    invoice: &str,
    gross: &str,
    bank: &str,
) -> String {
    let parameters = "<PostArPayment><Parameters><AutoCorrectPaymentValue>N</AutoCorrectPaymentValue></Parameters></PostArPayment>";
    let document = format!(
        "<PostArPayment><Item><Payment><Customer>0000101</Customer><PaymentValue>{value}</PaymentValue>\
         <Reference>R{value}</Reference><JournalNotation>R</JournalNotation><PaymentDate>2026-02-01</PaymentDate>\
         <Bank>{bank}</Bank><InvoiceToPay><TransactionType>I</TransactionType><Invoice>{invoice}</Invoice>\
         <GrossPaymentValue>{gross}</GrossPaymentValue></InvoiceToPay></Payment></Item></PostArPayment>"
    );
    transaction(service, session, "ARSTPY", parameters, &document).await
}

async fn credit(service: &Service, session: &str, value: &str) -> String {
    let document = format!(
        "<PostArInvoices><Item><TransactionType>C</TransactionType><Customer>0000101</Customer>\
         <PostToExistingInvoice>Y</PostToExistingInvoice><Invoice>001001</Invoice>\
         <InvoiceDate>2026-02-01</InvoiceDate><Reference>re_1</Reference><InvoiceValue>{value}</InvoiceValue></Item></PostArInvoices>"
    );
    transaction(
        service,
        session,
        "ARSTIN",
        "<PostArInvoices><Parameters/></PostArInvoices>",
        &document,
    )
    .await
}

/// The net of ledger code `code`.
fn on(service: &Service, code: &str) -> Decimal {
    service
        .syspro
        .data()
        .gl
        .iter()
        .filter(|row| row["LedgerCode"] == code)
        .map(|row| row["EntryAmount"].parse::<Decimal>().unwrap())
        .sum()
}

fn processed(answer: &str) {
    assert!(
        answer.contains("<ItemsProcessed>000001</ItemsProcessed>"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credit_is_paid_back_by_a_negative_payment_no_larger_than_the_credit() {
    let service = service().await;
    let session = logon(&service).await;
    let details = "<MiscChargeLine><MiscDescription>X</MiscDescription><MiscChargeValue>100.00</MiscChargeValue></MiscChargeLine>";
    post_order(&service, &session, details).await;
    processed(&pay(&service, &session, "100.00", "001001", "100.00", "STRIPE").await);
    // Nothing is owed back yet: a refund of a paid invoice with no credit is refused.
    let answer = pay(&service, &session, "-10.00", "001001", "-10.00", "STRIPE").await;
    assert!(answer.contains("GrossPaymentValue &apos;-10.00&apos; exceeds the credit &apos;0.00&apos; open on invoice &apos;001001&apos;"), "{answer}");
    processed(&credit(&service, &session, "30.00").await);
    let balance = || service.syspro.data().invoices["001001"].balance();
    assert_eq!(balance(), Decimal::new(-3000, 2));
    let refusals = [
        (
            "-30.01",
            "-30.01",
            "STRIPE",
            "GrossPaymentValue &apos;-30.01&apos; exceeds the credit &apos;30.00&apos; open on invoice &apos;001001&apos;",
        ),
        (
            "-30.00",
            "30.00",
            "STRIPE",
            "GrossPaymentValue &apos;30.00&apos; and PaymentValue &apos;-30.00&apos; must have the same sign",
        ),
        (
            "-30.00",
            "-30.00",
            "NOPE",
            "Bank &apos;NOPE&apos; not on file",
        ),
    ];
    for (value, gross, bank, expected) in refusals {
        let answer = pay(&service, &session, value, "001001", gross, bank).await;
        assert!(answer.contains(expected), "{expected} not in {answer}");
        assert!(
            answer.contains("<ItemsProcessed>000000</ItemsProcessed>"),
            "{answer}"
        );
        assert_eq!(balance(), Decimal::new(-3000, 2));
    }
    processed(&pay(&service, &session, "-30.00", "001001", "-30.00", "STRIPE").await);
    assert_eq!(balance(), Decimal::ZERO);
    let data = service.syspro.data();
    assert_eq!(data.customers["0000101"].get("CurrentBalance"), "0.00");
    drop(data);
    // Invoice: receivables 100 against sales; payment 100 into Stripe clearing; credit note 30
    // against sales; the refund 30 out of clearing. Every journal balances.
    assert_eq!(on(&service, "1200"), Decimal::ZERO);
    assert_eq!(on(&service, "4000"), Decimal::new(-7000, 2));
    assert_eq!(on(&service, "1150"), Decimal::new(7000, 2));
    let total: Decimal = service
        .syspro
        .data()
        .gl
        .iter()
        .map(|r| r["EntryAmount"].parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(total, Decimal::ZERO);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_customer_posts_at_the_currency_tables_rate() {
    let service = service().await;
    let session = logon(&service).await;
    service
        .syspro
        .data()
        .customers
        .get_mut("0000101")
        .unwrap()
        .fields
        .insert("Currency".into(), "EUR".into());
    // The currency table through COMFND: EUR's rate is divided by.
    let table = get(
        &format!("{}/Query/Query", service.rest),
        &[
            ("UserId", session.as_str()),
            ("BusinessObject", "COMFND"),
            ("XmlIn", "<Query><TableName>TblCurrency</TableName><ReturnRows>5</ReturnRows><Columns><Column>Currency</Column><Column>BuyExchangeRate</Column><Column>MulDiv</Column></Columns><Where><Expression><OpenBracket>(</OpenBracket><Column>Currency</Column><Condition>EQ</Condition><Value>EUR</Value><CloseBracket>)</CloseBracket></Expression></Where></Query>"),
        ],
    )
    .await;
    assert!(
        table.contains(
            "<Currency>EUR</Currency><BuyExchangeRate>0.6063</BuyExchangeRate><MulDiv>D</MulDiv>"
        ),
        "{table}"
    );
    let details = "<MiscChargeLine><MiscDescription>X</MiscDescription><MiscChargeValue>100.01</MiscChargeValue></MiscChargeLine>";
    let answer = transaction(
        &service,
        &session,
        "SORTOI",
        "<SalesOrders><Parameters/></SalesOrders>",
        &format!("<SalesOrders><Orders><OrderHeader><CustomerPoNumber>PO-1</CustomerPoNumber><Customer>0000101</Customer><Currency>EUR</Currency></OrderHeader><OrderDetails>{details}</OrderDetails></Orders></SalesOrders>"),
    )
    .await;
    assert!(
        answer.contains("<ItemsProcessed>1</ItemsProcessed>"),
        "{answer}"
    );
    // 100.01 / 0.6063 = 164.9513..., to the cent: 164.95, the same on both sides.
    assert_eq!(on(&service, "1200"), Decimal::new(16495, 2));
    assert_eq!(on(&service, "4000"), Decimal::new(-16495, 2));
    // A currency the table has no rate for refuses the payment whole.
    let rate = service.syspro.data().currency_table.remove("EUR").unwrap();
    let answer = pay(&service, &session, "100.01", "001001", "100.01", "STRIPE").await;
    assert!(
        answer.contains("Currency &apos;EUR&apos; has no exchange rate"),
        "{answer}"
    );
    assert!(service.syspro.data().payments.is_empty());
    service
        .syspro
        .data()
        .currency_table
        .insert("EUR".into(), rate);
    processed(&pay(&service, &session, "100.01", "001001", "100.01", "STRIPE").await);
    assert_eq!(on(&service, "1200"), Decimal::ZERO);
    assert_eq!(on(&service, "1150"), Decimal::new(16495, 2));
}
