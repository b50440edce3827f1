//! The whole registry: every name the language spec promises exists, sinks name real targets,
//! and the hand-written systems have the types pipelines rely on.

use ferry::check::{Field, ObjectType, Type};
use ferry::connectors::schemas;

fn object(ty: &Type) -> &ObjectType {
    match ty.non_null() {
        Type::Object(object) => object,
        other => panic!("expected an object, got {other}"),
    }
}

fn field<'a>(ty: &'a Type, name: &str) -> &'a Field {
    object(ty)
        .fields
        .get(name)
        .unwrap_or_else(|| panic!("no field `{name}`"))
}

#[test]
fn every_sink_accepts_an_existing_target() {
    let registry = schemas();
    assert!(!registry.sinks.is_empty());
    for sink in registry.sinks.values() {
        assert!(
            registry.targets.contains_key(&sink.accepts),
            "sink {} accepts unknown target {}",
            sink.name,
            sink.accepts
        );
    }
}

#[test]
fn every_target_has_a_sink() {
    let registry = schemas();
    for target in registry.targets.keys() {
        assert!(
            registry.sinks.values().any(|s| &s.accepts == target),
            "no sink writes {target}"
        );
    }
}

#[test]
fn names_from_the_language_spec_exist() {
    let registry = schemas();
    let sources = [
        "stripe.events",
        "stripe.customers",
        "stripe.charges",
        "stripe.refunds",
        "stripe.payouts",
        "stripe.balance_transactions",
        "stripe.invoices",
        "stripe.products",
        "stripe.prices",
        "capsule.parties",
        "business_central.customers",
        "business_central.items",
        "business_central.salesOrders",
        "business_central.salesInvoices",
        "business_central.salesCreditMemos",
        "business_central.customerPayments",
        "business_central.journalLines",
        "syspro.customers",
        "syspro.items",
        "pronto.debtors",
        "pronto.products",
        "pronto.orders",
        "pronto.categories",
        "file.csv",
        "file.jsonl",
    ];
    for name in sources {
        assert!(registry.sources.contains_key(name), "source {name}");
    }
    let targets = [
        "stripe.customer",
        "stripe.product",
        "stripe.price",
        "stripe.invoice",
        "stripe.invoiceitem",
        "capsule.party",
        "business_central.customer",
        "business_central.salesOrder",
        "business_central.salesInvoice",
        "business_central.salesCreditMemo",
        "business_central.customerPayment",
        "business_central.journalLine",
        "business_central.item",
        "syspro.salesOrder",
        "syspro.customer",
        "syspro.arCreditNote",
        "syspro.glJournalLine",
        "syspro.arPayment",
        "file.record",
    ];
    for name in targets {
        assert!(registry.targets.contains_key(name), "target {name}");
    }
    assert_eq!(
        registry.sinks["stripe.customers"].accepts,
        "stripe.customer"
    );
    assert_eq!(
        registry.sinks["business_central.salesOrders"].accepts,
        "business_central.salesOrder"
    );
}

#[test]
fn capsule_party() {
    let registry = schemas();
    let party = &registry.sources["capsule.parties"].record;
    assert_eq!(field(party, "id").ty, Type::Int);
    let kind = field(party, "type");
    assert_eq!(
        kind.allowed.as_deref(),
        Some(&["person".to_string(), "organisation".into()][..])
    );
    assert_eq!(field(party, "firstName").ty, Type::optional(Type::String));
    assert_eq!(field(party, "createdAt").ty, Type::String);
    assert_eq!(
        field(&field(party, "owner").ty, "username").ty,
        Type::optional(Type::String)
    );
    let Type::List(email) = &field(party, "emailAddresses").ty else {
        panic!("emailAddresses is a list");
    };
    assert_eq!(field(email, "address").ty, Type::String);
    let target = &registry.targets["capsule.party"].record;
    assert!(field(target, "type").required);
    assert!(object(target).fields.get("id").is_none());
    assert!(registry.targets["capsule.party"].metadata_limits.is_none());
}

#[test]
fn business_central_sales_order() {
    let registry = schemas();
    let source = &registry.sources["business_central.salesOrders"].record;
    assert_eq!(field(source, "totalAmountIncludingTax").ty, Type::Decimal);
    assert_eq!(field(source, "orderDate").ty, Type::Date);
    assert_eq!(field(source, "lastModifiedDateTime").ty, Type::String);
    // Ids and numbers are keys of their collection, not interchangeable strings.
    assert_eq!(
        field(source, "id").ty,
        Type::key("business_central.salesOrders", "id")
    );
    let target = &registry.targets["business_central.salesOrder"].record;
    assert!(field(target, "customerNumber").required);
    assert_eq!(
        field(target, "customerNumber").ty,
        Type::key("business_central.customers", "number")
    );
    assert_eq!(
        field(target, "customerId").ty,
        Type::key("business_central.customers", "id")
    );
    let keys: Vec<&str> = registry
        .keys("business_central.customers")
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(keys, ["id", "number"]);
    assert_eq!(field(target, "orderDate").ty, Type::Date);
    assert_eq!(field(target, "externalDocumentNumber").ty, Type::String);
    for read_only in [
        "id",
        "number",
        "status",
        "totalAmountIncludingTax",
        "lastModifiedDateTime",
    ] {
        assert!(
            object(target).fields.get(read_only).is_none(),
            "{read_only}"
        );
    }
    let Type::List(line) = &field(target, "salesOrderLines").ty else {
        panic!("salesOrderLines is a list");
    };
    assert_eq!(field(line, "quantity").ty, Type::Decimal);
    assert_eq!(field(line, "unitPrice").ty, Type::Decimal);
    assert!(
        field(line, "lineType")
            .allowed
            .as_ref()
            .unwrap()
            .contains(&"Item".to_string())
    );
    assert!(object(line).fields.get("netAmount").is_none());
    assert!(field(source, "salesOrderLines").ty.is_optional());
}

#[test]
fn business_central_payments_and_journals() {
    let registry = schemas();
    let payment = &registry.targets["business_central.customerPayment"].record;
    assert!(field(payment, "customerNumber").required);
    assert!(field(payment, "amount").required);
    assert_eq!(field(payment, "amount").ty, Type::Decimal);
    assert_eq!(field(payment, "postingDate").ty, Type::Date);
    let journal = &registry.targets["business_central.journalLine"].record;
    for name in ["accountNumber", "postingDate", "amount"] {
        assert!(field(journal, name).required, "{name}");
    }
    let account_type = field(journal, "accountType");
    assert!(
        account_type
            .allowed
            .as_ref()
            .unwrap()
            .contains(&"G/L Account".to_string())
    );
    assert!(
        field(
            &registry.targets["business_central.customer"].record,
            "displayName"
        )
        .required
    );
    assert!(
        field(
            &registry.targets["business_central.item"].record,
            "displayName"
        )
        .required
    );
    let memo = &registry.targets["business_central.salesCreditMemo"].record;
    assert_eq!(field(memo, "creditMemoDate").ty, Type::Date);
    let invoice = &registry.sources["business_central.salesInvoices"].record;
    assert_eq!(field(invoice, "dueDate").ty, Type::Date);
    assert_eq!(field(invoice, "remainingAmount").ty, Type::Decimal);
}

#[test]
fn syspro_pronto_and_files() {
    let registry = schemas();
    let order = &registry.targets["syspro.salesOrder"].record;
    assert!(field(order, "Customer").required);
    assert!(field(order, "CustomerPoNumber").required);
    assert_eq!(field(order, "OrderDate").ty, Type::Date);
    let Type::List(line) = &field(order, "lines").ty else {
        panic!("lines is a list");
    };
    assert_eq!(field(line, "OrderQty").ty, Type::Decimal);
    assert_eq!(field(line, "Price").ty, Type::Decimal);
    let product = &registry.sources["pronto.products"].record;
    let Type::List(prices) = field(product, "prices").ty.non_null() else {
        panic!("prices is a list");
    };
    let base = field(prices, "base_price");
    assert_eq!(
        field(base.ty.non_null(), "inc_tax").ty,
        Type::optional(Type::Decimal)
    );
    let pronto_order = &registry.targets["pronto.order"].record;
    assert!(field(pronto_order, "customer_reference").required);
    assert_eq!(registry.sinks["pronto.orders"].accepts, "pronto.order");
    assert_eq!(registry.sources["file.csv"].record, Type::Any);
    let record = object(&registry.targets["file.record"].record);
    assert_eq!(record.other_keys.as_deref(), Some(&Type::Any));
    assert_eq!(registry.sinks["file.jsonl"].accepts, "file.record");
}
