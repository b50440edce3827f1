//! Hashes: sha256, and idempotency keys built from several parts.

use sha2::{Digest, Sha256};

use super::arguments::{Outcome, failed, text};
use super::conversion::text_form;
use super::params::{param, signature, string_result};
use super::spec::{Example, FunctionSpec};
use crate::check::{Fallibility, Type};
use crate::value::CallArgs;
use crate::value::Value;

pub fn specs() -> Vec<FunctionSpec> {
    let mut key = signature(
        "idempotency_key",
        vec![param("parts", Type::Any)],
        string_result,
        Fallibility::Infallible,
    );
    key.variadic = true;
    vec![
        FunctionSpec {
            signature: signature(
                "sha256",
                vec![param("text", Type::String)],
                string_result,
                Fallibility::Infallible,
            ),
            family: "hash",
            doc: "The SHA-256 digest of the text's UTF-8 bytes, as 64 lowercase hex digits.",
            examples: &[
                Example {
                    call: r#"sha256("")"#,
                    result: Ok(
                        r#""e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855""#,
                    ),
                },
                Example {
                    call: r#"sha256("abc")"#,
                    result: Ok(
                        r#""ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad""#,
                    ),
                },
            ],
            call: sha256,
        },
        FunctionSpec {
            signature: key,
            family: "hash",
            doc: "A stable key for an Idempotency-Key header or a dedupe field: the SHA-256 (lowercase \
                  hex) of the parts' text forms (as `string(x)`), each written as its length in \
                  characters, a colon and the text, so no two different lists of parts give the \
                  same input (`(\"ab\", \"c\")` is `2:ab1:c`, `(\"a\", \"bc\")` is `1:a2:bc`). A null \
                  or missing part is written `-`, distinct from empty text (`0:`).",
            examples: &[
                Example {
                    call: r#"idempotency_key("ab", "c") == sha256("2:ab1:c")"#,
                    result: Ok("true"),
                },
                Example {
                    call: r#"idempotency_key("ch_1", 42) == sha256("4:ch_12:42")"#,
                    result: Ok("true"),
                },
                Example {
                    call: r#"idempotency_key(null, "") == sha256("-0:")"#,
                    result: Ok("true"),
                },
            ],
            call: idempotency_key,
        },
    ]
}

pub fn sha256_hex(input: &str) -> String {
    let digest = Sha256::digest(input.as_bytes());
    hex::encode(digest)
}

fn sha256(args: &mut CallArgs) -> Outcome {
    Ok(Value::string(sha256_hex(text(args, 0, "sha256", "text")?)))
}

fn idempotency_key(args: &mut CallArgs) -> Outcome {
    let mut input = String::new();
    for (i, part) in args.values.iter().enumerate() {
        match part {
            Value::Null | Value::Missing => input.push('-'),
            Value::Omit => {
                return Err(failed(format!(
                    "idempotency_key: argument {} is omit, which has no text",
                    i + 1
                )));
            }
            other => {
                let text = text_form(other).unwrap_or_default();
                input.push_str(&format!("{}:{text}", text.chars().count()));
            }
        }
    }
    Ok(Value::string(sha256_hex(&input)))
}
