//! The Stripe schemas derived from the OpenAPI spec have the types pipelines rely on.

use ferry::check::{Field, ObjectType, Type};
use ferry::connectors::schemas;

fn object(ty: &Type) -> &ObjectType {
    match ty.non_null() {
        Type::Object(object) => object,
        other => panic!("expected an object, got {other}"),
    }
}

/// The field at a dotted path, through objects and optional objects.
fn field<'a>(ty: &'a Type, path: &str) -> &'a Field {
    let mut parts = path.split('.');
    let first = parts.next().unwrap();
    let mut current = object(ty)
        .fields
        .get(first)
        .unwrap_or_else(|| panic!("no field `{first}`"));
    for part in parts {
        current = object(&current.ty)
            .fields
            .get(part)
            .unwrap_or_else(|| panic!("no field `{part}` in `{path}`"));
    }
    current
}

fn source(name: &str) -> &'static Type {
    &schemas().sources.get(name).expect(name).record
}

fn target(name: &str) -> &'static Type {
    &schemas().targets.get(name).expect(name).record
}

#[test]
fn charge_fields() {
    let charge = source("stripe.charges");
    assert_eq!(field(charge, "amount").ty, Type::MinorUnits);
    assert_eq!(field(charge, "amount_refunded").ty, Type::MinorUnits);
    assert_eq!(field(charge, "currency").ty, Type::String);
    assert_eq!(field(charge, "customer").ty, Type::optional(Type::String));
    assert_eq!(field(charge, "created").ty, Type::Int);
    assert_eq!(field(charge, "paid").ty, Type::Bool);
    let status = field(charge, "status");
    assert_eq!(status.ty, Type::String);
    assert_eq!(
        status.allowed.as_deref(),
        Some(&["failed".to_string(), "pending".into(), "succeeded".into()][..])
    );
    assert_eq!(
        field(charge, "payment_method_details.type").ty,
        Type::String
    );
    assert_eq!(
        field(charge, "balance_transaction").ty,
        Type::optional(Type::String),
        "expandable fields are the id string"
    );
}

#[test]
fn customer_fields() {
    let customer = source("stripe.customers");
    assert_eq!(field(customer, "email").ty, Type::optional(Type::String));
    assert_eq!(
        field(customer, "balance").ty,
        Type::optional(Type::MinorUnits)
    );
    assert_eq!(
        field(customer, "address.postal_code").ty,
        Type::optional(Type::String)
    );
    let metadata = object(&field(customer, "metadata").ty);
    assert!(metadata.fields.is_empty());
    assert_eq!(metadata.other_keys.as_deref(), Some(&Type::String));
}

#[test]
fn balance_transaction_money_and_rate() {
    let bt = source("stripe.balance_transactions");
    for name in ["amount", "fee", "net"] {
        assert_eq!(field(bt, name).ty, Type::MinorUnits, "{name}");
    }
    assert_eq!(field(bt, "exchange_rate").ty, Type::optional(Type::Decimal));
    assert_eq!(field(bt, "available_on").ty, Type::Int);
    let Type::List(fee) = &field(bt, "fee_details").ty else {
        panic!("fee_details is a list");
    };
    assert_eq!(field(fee, "amount").ty, Type::MinorUnits);
}

#[test]
fn invoice_lines_and_totals() {
    let invoice = source("stripe.invoices");
    for name in ["amount_due", "amount_paid", "total", "subtotal"] {
        assert_eq!(
            field(invoice, name).ty.non_null(),
            &Type::MinorUnits,
            "{name}"
        );
    }
    let Type::List(line) = &field(invoice, "lines.data").ty else {
        panic!("lines.data is a list");
    };
    assert_eq!(field(line, "amount").ty, Type::MinorUnits);
    assert_eq!(field(line, "description").ty, Type::optional(Type::String));
}

#[test]
fn price_source_and_target() {
    let price = source("stripe.prices");
    assert_eq!(
        field(price, "unit_amount").ty,
        Type::optional(Type::MinorUnits)
    );
    assert_eq!(
        field(price, "unit_amount_decimal").ty,
        Type::optional(Type::Decimal)
    );
    let target = target("stripe.price");
    let unit_amount = field(target, "unit_amount");
    assert_eq!(unit_amount.ty, Type::MinorUnits);
    assert!(!unit_amount.required);
    let currency = field(target, "currency");
    assert_eq!(currency.ty, Type::String);
    assert!(currency.required);
    // The product a price belongs to is a key of the products collection.
    assert_eq!(
        field(target, "product").ty,
        Type::key("stripe.products", "id")
    );
    let interval = field(target, "recurring.interval");
    assert!(interval.required);
    assert!(
        interval
            .allowed
            .as_ref()
            .unwrap()
            .contains(&"month".to_string())
    );
}

#[test]
fn customer_target() {
    let registry = schemas();
    let customer = registry.targets.get("stripe.customer").unwrap();
    let limits = customer.metadata_limits.unwrap();
    assert_eq!(
        (
            limits.max_keys,
            limits.max_key_chars,
            limits.max_value_chars
        ),
        (50, 40, 500)
    );
    assert_eq!(
        object(&customer.record).name.as_deref(),
        Some("stripe.customer")
    );
    let email = field(&customer.record, "email");
    assert_eq!(email.ty, Type::String);
    assert_eq!(email.max_length, Some(512));
    assert!(!email.required);
    assert!(object(&customer.record).fields.get("expand").is_none());
    let metadata = object(&field(&customer.record, "metadata").ty);
    assert_eq!(
        metadata.other_keys.as_deref(),
        Some(&Type::optional(Type::String)),
        "a key mapped to null is unset"
    );
    assert_eq!(
        field(&customer.record, "address.line1").ty,
        Type::String,
        "the `\"\"` (unset) alternative is dropped"
    );
    let tax_exempt = field(&customer.record, "tax_exempt");
    assert_eq!(
        tax_exempt.allowed.as_deref(),
        Some(&["exempt".to_string(), "none".into(), "reverse".into()][..])
    );
    assert!(field(target("stripe.product"), "name").required);
}

#[test]
fn updates_send_stripes_fixed_hashes_whole_and_merge_metadata() {
    let customer = target("stripe.customer");
    for hash in [
        "address",
        "shipping",
        "shipping.address",
        "invoice_settings",
    ] {
        assert!(field(customer, hash).whole_on_update, "{hash}");
    }
    for merged in ["metadata", "email", "address.city", "preferred_locales"] {
        assert!(!field(customer, merged).whole_on_update, "{merged}");
    }
    assert!(field(target("stripe.product"), "package_dimensions").whole_on_update);
    // Not a parameter of the price update: a changed interval makes a new price instead.
    assert!(!field(target("stripe.price"), "recurring").whole_on_update);
    let charge = source("stripe.charges");
    assert!(!field(charge, "billing_details").whole_on_update);
}

#[test]
fn events_are_typed_by_event_type() {
    let events = schemas().sources.get("stripe.events").unwrap();
    assert_eq!(events.id_field, "id");
    assert_eq!(field(&events.record, "data.object").ty, Type::Any);
    assert_eq!(field(&events.record, "type").ty, Type::String);
    let object_name = |event: &str| {
        let ty = events
            .events
            .get(event)
            .unwrap_or_else(|| panic!("{event}"));
        match &field(ty, "data.object").ty {
            Type::Object(object) => object.name.clone(),
            Type::Any => None,
            other => panic!("{event}: {other}"),
        }
    };
    assert_eq!(
        object_name("charge.succeeded").as_deref(),
        Some("stripe.charge")
    );
    assert_eq!(
        object_name("charge.refund.updated").as_deref(),
        Some("stripe.refund")
    );
    assert_eq!(object_name("payout.paid").as_deref(), Some("stripe.payout"));
    assert_eq!(
        object_name("customer.subscription.created").as_deref(),
        Some("stripe.subscription")
    );
    assert_eq!(
        object_name("customer.created").as_deref(),
        Some("stripe.customer")
    );
    assert_eq!(
        object_name("invoice.paid").as_deref(),
        Some("stripe.invoice")
    );
    assert_eq!(object_name("customer.source.created"), None);
    assert_eq!(
        object_name("charge.dispute.funds_withdrawn").as_deref(),
        Some("stripe.dispute")
    );
    assert!(
        events.events.len() > 150,
        "every webhook event type is listed"
    );
    let succeeded = events.events.get("charge.succeeded").unwrap();
    assert_eq!(field(succeeded, "data.object.amount").ty, Type::MinorUnits);
    assert_eq!(
        field(succeeded, "data.object.payment_method_details.type").ty,
        Type::String
    );
}

#[test]
fn nesting_is_cut_to_any() {
    // As a root, a refund's next_action.display_details is an object ...
    let refund = source("stripe.refunds");
    let details = field(refund, "next_action.display_details");
    assert!(matches!(details.ty.non_null(), Type::Object(_)));
    // ... but under charge.refunds.data it would be a fourth nested level, so it is `any`.
    let charge = source("stripe.charges");
    let Type::List(nested_refund) = &field(charge, "refunds.data").ty else {
        panic!("refunds.data is a list");
    };
    assert_eq!(
        field(nested_refund, "next_action.display_details").ty,
        Type::Any
    );
}

#[test]
fn the_embedded_table_loads() {
    assert!(ferry::connectors::stripe::schema::registry().is_ok());
}
