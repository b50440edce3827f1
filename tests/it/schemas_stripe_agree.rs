//! What a Stripe map target lets a pipeline write (the connector's `schemas.json`) and what the
//! emulator takes (its `params.json`) are both derived from Stripe's OpenAPI spec, by one script
//! but in two shapes. Field by field they must agree: a value that lints clean must not be
//! refused by the emulator, and the emulator must not accept what lint would never let through.

use ferry::check::{Field, ObjectType, Type};
use serde_json::Value;

use crate::schemas_support::{assert_agree, object, plain, target};

const PARAMS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/src/sandbox/stripe/params.json"
));

/// Each map target, the endpoint that creates its records and the one that updates them.
const TARGETS: &[(&str, &str, Option<&str>)] = &[
    (
        "stripe.customer",
        "POST /v1/customers",
        Some("POST /v1/customers/{customer}"),
    ),
    (
        "stripe.product",
        "POST /v1/products",
        Some("POST /v1/products/{id}"),
    ),
    // The connector replaces a price whose amount, currency, product or interval changes
    // (prices are immutable): only what an update may change goes to the update endpoint.
    (
        "stripe.price",
        "POST /v1/prices",
        Some("POST /v1/prices/{price}"),
    ),
    ("stripe.invoice", "POST /v1/invoices", None),
    (
        "stripe.invoiceitem",
        "POST /v1/invoiceitems",
        Some("POST /v1/invoiceitems/{invoiceitem}"),
    ),
];

/// Fields Stripe takes when a record is created and never after, each with its reason: an
/// update that names one is refused, by Stripe as by the emulator.
const CREATE_ONLY: &[(&str, &str, &str)] = &[
    (
        "stripe.customer",
        "payment_method",
        "attached once, at creation",
    ),
    (
        "stripe.customer",
        "tax_id_data",
        "tax ids have their own endpoint",
    ),
    (
        "stripe.customer",
        "test_clock",
        "a customer stays on its clock",
    ),
    ("stripe.product", "id", "a record's id never changes"),
    ("stripe.price", "billing_scheme", "prices are immutable"),
    ("stripe.price", "currency", "prices are immutable"),
    ("stripe.price", "product", "prices are immutable"),
    ("stripe.price", "product_data", "prices are immutable"),
    (
        "stripe.invoiceitem",
        "currency",
        "an item's currency is its invoice's",
    ),
    (
        "stripe.invoiceitem",
        "customer",
        "an item stays with its customer",
    ),
    (
        "stripe.invoiceitem",
        "invoice",
        "an item stays on its invoice",
    ),
    (
        "stripe.invoiceitem",
        "subscription",
        "an item stays with its subscription",
    ),
    ("stripe.price", "recurring", "prices are immutable"),
    ("stripe.price", "tiers", "prices are immutable"),
    ("stripe.price", "tiers_mode", "prices are immutable"),
    ("stripe.price", "transform_quantity", "prices are immutable"),
    ("stripe.price", "unit_amount", "prices are immutable"),
    (
        "stripe.price",
        "unit_amount_decimal",
        "prices are immutable",
    ),
];

/// The emulator's parameter types that take a value of lint's type `ty`.
fn takes(ty: &Type, param: &str) -> bool {
    match ty {
        Type::String => param == "string",
        Type::Int | Type::MinorUnits => param == "integer",
        Type::Bool => param == "boolean",
        Type::Decimal => ["decimal", "number"].contains(&param),
        Type::List(_) => param == "array",
        Type::Object(_) => param == "object",
        Type::Any => true,
        _ => false,
    }
}

/// What is wrong with lint's `field` (at `path`) against the emulator's `param`, appended to
/// `problems`. `required`: whether the emulator requires it in its object.
fn compare(path: &str, field: &Field, param: &Value, required: bool, problems: &mut Vec<String>) {
    if field.required != required {
        problems.push(format!(
            "{path}: required for lint {}, for the emulator {required}",
            field.required
        ));
    }
    let ty = plain(&field.ty);
    // A parameter of several shapes (`trial_end`: a timestamp or `now`) takes each of them.
    let kind = param["type"].as_str().unwrap_or_default();
    if kind != "one_of" && !takes(&ty, kind) {
        problems.push(format!("{path}: {ty} for lint, {kind} in the emulator"));
        return;
    }
    let mut lint: Vec<&str> = field.allowed.iter().flatten().map(String::as_str).collect();
    let mut served: Vec<&str> = param["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    lint.sort_unstable();
    served.sort_unstable();
    if lint != served {
        problems.push(format!(
            "{path}: lint allows {lint:?}, the emulator {served:?}"
        ));
    }
    let max = param["max_length"].as_u64().map(|n| n as usize);
    if field.max_length != max {
        problems.push(format!(
            "{path}: at most {:?} characters for lint, {max:?} in the emulator",
            field.max_length
        ));
    }
    let nested = match &ty {
        Type::List(item) => object(item).map(|item| (item, &param["item"])),
        Type::Object(_) => object(&ty).map(|fields| (fields, param)),
        _ => None,
    };
    if let Some((fields, param)) = nested {
        compare_object(path, fields, param, problems);
    }
}

fn compare_object(path: &str, object: &ObjectType, param: &Value, problems: &mut Vec<String>) {
    let required: Vec<&str> = param["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if object.other_keys.is_some() != param.get("other_keys").is_some() {
        problems.push(format!("{path}: free keys (metadata) for one side only"));
    }
    for (name, field) in &object.fields {
        let path = format!("{path}.{name}");
        match param["fields"].get(name) {
            Some(param) => compare(
                &path,
                field,
                param,
                required.contains(&name.as_str()),
                problems,
            ),
            None => problems.push(format!("{path}: the emulator takes no such parameter")),
        }
    }
}

fn params() -> Value {
    serde_json::from_str(PARAMS).unwrap()
}

#[test]
fn what_lint_lets_a_pipeline_create_the_emulator_takes_by_the_same_rules() {
    let params = params();
    let mut problems = Vec::new();
    let mut compared = 0;
    for (name, create, _) in TARGETS {
        let target = target(name);
        compared += target.fields.len();
        compare_object(name, target, &params[*create], &mut problems);
    }
    assert!(compared > 60, "only {compared} fields compared");
    assert_agree(&problems);
}

#[test]
fn an_update_takes_every_field_but_those_stripe_sets_once() {
    let params = params();
    let mut problems = Vec::new();
    for (name, _, update) in TARGETS {
        let Some(update) = update else { continue };
        let fields = &params[*update]["fields"];
        for field in target(name).fields.keys() {
            let create_only = CREATE_ONLY
                .iter()
                .any(|(target, f, _)| target == name && f == field);
            match (fields.get(field).is_some(), create_only) {
                (false, false) => problems.push(format!(
                    "{name}.{field}: the emulator refuses it on update ({update})"
                )),
                (true, true) => problems.push(format!(
                    "{name}.{field}: listed as create-only, yet {update} takes it"
                )),
                _ => {}
            }
        }
    }
    assert_agree(&problems);
}
