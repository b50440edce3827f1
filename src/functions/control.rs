//! Control: `skip` and `fail` end the record's mapping.

use super::spec::{Example, FunctionSpec};
use crate::check::{Fallibility, ParamSig, Signature, Type};
use crate::value::Value;
use crate::value::{CallArgs, FunctionError};

pub fn specs() -> Vec<FunctionSpec> {
    vec![
        FunctionSpec {
            signature: Signature {
                name: "skip",
                params: vec![ParamSig {
                    name: "reason",
                    ty: Type::String,
                    default: None,
                }],
                returns: |_| Type::Never,
                closure_param: None,
                fallibility: Fallibility::Infallible,
                variadic: false,
                needs_timezone: false,
            },
            family: "control",
            doc: "Drops the record on purpose: nothing is written and nothing is dead-lettered. \
                  The reason is counted and logged.",
            examples: &[
                Example {
                    call: r#"skip("contact has no email")"#,
                    result: Err("skipped: contact has no email"),
                },
                Example {
                    call: r#"skip("no email") ?? "caught""#,
                    result: Err("skipped: no email"),
                },
            ],
            call: skip,
        },
        FunctionSpec {
            signature: Signature {
                name: "fail",
                params: vec![ParamSig {
                    name: "reason",
                    ty: Type::String,
                    default: None,
                }],
                returns: |_| Type::Never,
                closure_param: None,
                fallibility: Fallibility::Infallible,
                variadic: false,
                needs_timezone: false,
            },
            family: "control",
            doc: "Fails the record: it goes to the dead-letter queue with the reason, and can be \
                  replayed once the cause is fixed.",
            examples: &[
                Example {
                    call: r#"fail("customer not synced yet")"#,
                    result: Err("failed: customer not synced yet"),
                },
                Example {
                    call: r#"fail("no customer") ?? "caught""#,
                    result: Err("failed: no customer"),
                },
            ],
            call: fail,
        },
    ]
}

fn reason(args: &CallArgs) -> String {
    args.values
        .first()
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn skip(args: &mut CallArgs) -> Result<Value, FunctionError> {
    Err(FunctionError::Skip(reason(args)))
}

fn fail(args: &mut CallArgs) -> Result<Value, FunctionError> {
    Err(FunctionError::Fail(reason(args)))
}
