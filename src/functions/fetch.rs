//! Related objects from the APIs: `fetch(stripe.customers, id)` and
//! `fetch_all(stripe.balance_transactions, { payout: id })`.
//!
//! Mapping stays synchronous: a call whose object has not been fetched yet stops the record
//! with [`FunctionError::Fetch`]; the runner fetches it into its cache and maps again.

use super::arguments::{Outcome, arg, describe, failed, text};
use super::conversion::text_form;
use super::params::{param, signature, union};
use super::spec::{Example, FunctionSpec};
use crate::check::{ArgInfo, Fallibility, Type};
use crate::value::Value;
use crate::value::{CallArgs, FetchRequest, FunctionError};

pub fn specs() -> Vec<FunctionSpec> {
    vec![
        FunctionSpec {
            signature: signature(
                "fetch",
                vec![
                    param("collection", Type::String),
                    param("id", union(&[Type::String, Type::Int])),
                ],
                any_result,
                Fallibility::Fallible("when the API has no object with that id"),
            ),
            family: "fetch",
            doc: "The live object `id` of a source collection, read from its API while the \
                  record is mapped: `fetch(stripe.customers, charge.customer)` gives the \
                  charge's customer with the fields of a Stripe customer. The collection is a \
                  bare dotted name. Answers are cached, so records that share a customer fetch \
                  it once. It fails when the object does not exist; network failures are not \
                  the record's fault and stop the run to be tried again.",
            examples: &[
                Example {
                    call: r#"fetch(stripe.customers, "cus_1")"#,
                    result: Err("needs stripe.customers/cus_1"),
                },
                Example {
                    call: "fetch(capsule.parties, 11587)",
                    result: Err("needs capsule.parties/11587"),
                },
            ],
            call: fetch,
        },
        FunctionSpec {
            signature: signature(
                "fetch_all",
                vec![
                    param("collection", Type::String),
                    param("filters", Type::Any),
                ],
                list_result,
                Fallibility::Infallible,
            ),
            family: "fetch",
            doc: "Every object of a source collection that matches the list filters, read from \
                  its API while the record is mapped, all pages: `fetch_all(\
                  stripe.balance_transactions, { payout: payout.id })` gives the balance \
                  transactions a payout settled. The filters are an object of the API's list \
                  parameters (the checker knows which each collection takes). Answers are \
                  cached; an empty list is a valid answer.",
            examples: &[
                Example {
                    call: r#"fetch_all(stripe.balance_transactions, { payout: "po_1" })"#,
                    result: Err("needs stripe.balance_transactions?payout=po_1"),
                },
                Example {
                    call: r#"fetch_all(stripe.charges, { payment_intent: "pi_1", customer: "cus_1" })"#,
                    result: Err("needs stripe.charges?customer=cus_1&payment_intent=pi_1"),
                },
            ],
            call: fetch_all,
        },
    ]
}

/// The checker replaces these with the collection's record type.
fn any_result(_args: &[Option<ArgInfo>]) -> Type {
    Type::Any
}

fn list_result(_args: &[Option<ArgInfo>]) -> Type {
    Type::list(Type::Any)
}

fn fetch(args: &mut CallArgs) -> Outcome {
    let collection = text(args, 0, "fetch", "collection")?;
    let id = match arg(args, 1) {
        value @ (Value::String(_) | Value::Int(_)) => text_form(value).unwrap_or_default(),
        other => {
            return Err(failed(format!(
                "fetch: `id` must be text or an int, got {}",
                describe(other)
            )));
        }
    };
    if id.is_empty() {
        return Err(failed(format!("fetch: an empty id for {collection}")));
    }
    let request = FetchRequest::one(collection, &id);
    match args.context.related.fetched(&request) {
        None => Err(FunctionError::Fetch(request)),
        Some(None) => Err(failed(format!("{collection} has no object {id}"))),
        Some(Some(value)) => Ok(value),
    }
}

fn fetch_all(args: &mut CallArgs) -> Outcome {
    let collection = text(args, 0, "fetch_all", "collection")?;
    let Value::Object(filters) = arg(args, 1) else {
        return Err(failed(format!(
            "fetch_all: `filters` must be an object, got {}",
            describe(arg(args, 1))
        )));
    };
    let mut pairs = Vec::with_capacity(filters.len());
    for (name, value) in filters.iter() {
        match value {
            Value::String(_) | Value::Int(_) | Value::Bool(_) => {
                pairs.push((name.clone(), text_form(value).unwrap_or_default()));
            }
            other => {
                return Err(failed(format!(
                    "fetch_all: filter `{name}` must be text, an int or a bool, got {}",
                    describe(other)
                )));
            }
        }
    }
    let request = FetchRequest::all(collection, pairs);
    match args.context.related.fetched(&request) {
        None => Err(FunctionError::Fetch(request)),
        Some(None) => Ok(Value::list(Vec::new())),
        Some(Some(value)) => Ok(value),
    }
}
