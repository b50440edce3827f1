//! Cross references: the id a record got in the target system, known to the store.

use super::arguments::{Outcome, arg, describe, failed, text};
use super::conversion::text_form;
use super::params::{param, signature, string_result, union};
use super::spec::{Example, FunctionSpec};
use crate::check::{Fallibility, Type};
use crate::value::CallArgs;
use crate::value::Value;

pub fn specs() -> Vec<FunctionSpec> {
    vec![FunctionSpec {
        signature: signature(
            "xref",
            vec![
                param("collection", Type::String),
                param("id", union(&[Type::String, Type::Int])),
            ],
            string_result,
            Fallibility::Fallible("no cross reference is stored for the id (not synced yet)"),
        ),
        family: "crossref",
        doc: "The record a `cross_reference` sink wrote for an id: \
              `xref(business_central.customers, charge.customer)` gives the id (a GUID) of the \
              Business Central customer written for that Stripe customer, and \
              `xref(business_central.customers.number, charge.customer)` its number, one of the \
              keys the store keeps beside the id. The result is typed as that key, so it cannot \
              be put where another key belongs (E0516). The id may come from either side of the \
              link; an int id is used as its text. It fails when nothing is stored yet, so write \
              `?? fail(\"customer not synced yet\")` to retry the record later.",
        examples: &[
            Example {
                call: r#"xref(stripe.customers, "cus_unknown")"#,
                result: Err("no cross reference for cus_unknown in stripe.customers"),
            },
            Example {
                call: r#"xref(stripe.customers, "cus_unknown") ?? "none""#,
                result: Ok(r#""none""#),
            },
        ],
        call: xref,
    }]
}

fn xref(args: &mut CallArgs) -> Outcome {
    let collection = text(args, 0, "xref", "collection")?;
    let id = match arg(args, 1) {
        value @ (Value::String(_) | Value::Int(_)) => text_form(value).unwrap_or_default(),
        other => {
            return Err(failed(format!(
                "xref: `id` must be text or an int, got {}",
                describe(other)
            )));
        }
    };
    let links = args.context.cross_references;
    // `connection.collection` reads the id; `connection.collection.key` one of its keys.
    let found = match collection.match_indices('.').nth(1) {
        Some((dot, _)) => links.target_key(&collection[..dot], &collection[dot + 1..], &id),
        None => links.target_id(collection, &id),
    };
    found
        .map(Value::string)
        .ok_or_else(|| failed(format!("no cross reference for {id} in {collection}")))
}
