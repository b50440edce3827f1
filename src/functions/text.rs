//! Text: joining, splitting, case, trimming, slicing by characters, padding.

use super::arguments::{Outcome, describe, failed, int, list, optional_int, text};
use super::params::{
    bool_result, param, signature, string_list_result, string_result, with_default,
};
use super::spec::{Example, FunctionSpec};
use crate::check::{Fallibility, Type};
use crate::value::CallArgs;
use crate::value::Value;

fn text_fn(
    name: &'static str,
    params: Vec<crate::check::ParamSig>,
    doc: &'static str,
    examples: &'static [Example],
    call: fn(&mut CallArgs) -> Outcome,
) -> FunctionSpec {
    let returns = match name {
        "split" => string_list_result,
        "contains" | "starts_with" | "ends_with" => bool_result,
        _ => string_result,
    };
    FunctionSpec {
        signature: signature(name, params, returns, Fallibility::Infallible),
        family: "text",
        doc,
        examples,
        call,
    }
}

fn s(name: &'static str) -> crate::check::ParamSig {
    param(name, Type::String)
}

pub fn specs() -> Vec<FunctionSpec> {
    let mut concat_spec = text_fn(
        "concat",
        vec![param("parts", Type::optional(Type::String))],
        "Joins its arguments into one text, with nothing between them. Null and missing parts \
         are skipped (as in `join`), so an absent middle name leaves no trace; any other \
         non-text part is a run-time error (convert it with `string(x)`).",
        &[
            Example {
                call: r#"concat("INV-", "0042")"#,
                result: Ok(r#""INV-0042""#),
            },
            Example {
                call: r#"concat("a", null, "b")"#,
                result: Ok(r#""ab""#),
            },
            Example {
                call: r#"concat("")"#,
                result: Ok(r#""""#),
            },
        ],
        concat,
    );
    concat_spec.signature.variadic = true;
    vec![
        concat_spec,
        text_fn(
            "join",
            vec![
                param("parts", Type::list(Type::optional(Type::String))),
                with_default("separator", Type::String, "\"\""),
            ],
            "Joins a list of texts with a separator. Null and missing items, and empty texts, \
             are skipped, so `join([first, last], \" \")` is just the first name when the last \
             is missing, with no stray space.",
            &[
                Example {
                    call: r#"join(["Ada", "Lovelace"], " ")"#,
                    result: Ok(r#""Ada Lovelace""#),
                },
                Example {
                    call: r#"join(["Ada", null], " ")"#,
                    result: Ok(r#""Ada""#),
                },
                Example {
                    call: r#"join(["a", "", "b"], ", ")"#,
                    result: Ok(r#""a, b""#),
                },
                Example {
                    call: "join([])",
                    result: Ok(r#""""#),
                },
            ],
            join,
        ),
        text_fn(
            "split",
            vec![s("text"), s("separator")],
            "Splits text at every occurrence of the separator, keeping empty pieces (so \
             `\"a,,b\"` gives three). An empty separator splits into characters; empty text \
             gives one empty piece.",
            &[
                Example {
                    call: r#"split("a,b,,c", ",")"#,
                    result: Ok(r#"["a", "b", "", "c"]"#),
                },
                Example {
                    call: r#"split("né", "")"#,
                    result: Ok(r#"["n", "é"]"#),
                },
                Example {
                    call: r#"split("", ",")"#,
                    result: Ok(r#"[""]"#),
                },
            ],
            split,
        ),
        text_fn(
            "upper",
            vec![s("text")],
            "Upper-cases text, Unicode-aware (`\"straße\"` becomes `\"STRASSE\"`).",
            &[
                Example {
                    call: r#"upper("aud")"#,
                    result: Ok(r#""AUD""#),
                },
                Example {
                    call: r#"upper("straße")"#,
                    result: Ok(r#""STRASSE""#),
                },
            ],
            upper,
        ),
        text_fn(
            "lower",
            vec![s("text")],
            "Lower-cases text, Unicode-aware.",
            &[
                Example {
                    call: r#"lower("AUD")"#,
                    result: Ok(r#""aud""#),
                },
                Example {
                    call: r#"lower("ÉCOLE")"#,
                    result: Ok(r#""école""#),
                },
            ],
            lower,
        ),
        text_fn(
            "trim",
            vec![s("text")],
            "Removes white space (spaces, tabs, newlines, Unicode spaces) from both ends.",
            &[
                Example {
                    call: r#"trim("  Ada \n")"#,
                    result: Ok(r#""Ada""#),
                },
                Example {
                    call: r#"trim("   ")"#,
                    result: Ok(r#""""#),
                },
            ],
            trim,
        ),
        text_fn(
            "replace",
            vec![s("text"), s("from"), s("to")],
            "Replaces every occurrence of `from` with `to`. An empty `from` matches nothing, so \
             the text comes back unchanged.",
            &[
                Example {
                    call: r#"replace("0400 123 456", " ", "")"#,
                    result: Ok(r#""0400123456""#),
                },
                Example {
                    call: r#"replace("abc", "", "x")"#,
                    result: Ok(r#""abc""#),
                },
            ],
            replace,
        ),
        text_fn(
            "substring",
            vec![
                s("text"),
                param("start", Type::Int),
                with_default("length", Type::optional(Type::Int), "null"),
            ],
            "The part of the text from character `start` (0-based; characters, not bytes) of \
             at most `length` characters, or to the end when `length` is null. Out-of-range \
             values clamp: a negative start counts as 0, a start past the end or a negative \
             length gives empty text.",
            &[
                Example {
                    call: r#"substring("Lovelace", 0, 4)"#,
                    result: Ok(r#""Love""#),
                },
                Example {
                    call: r#"substring("héllo", 1)"#,
                    result: Ok(r#""éllo""#),
                },
                Example {
                    call: r#"substring("abc", 2, 10)"#,
                    result: Ok(r#""c""#),
                },
                Example {
                    call: r#"substring("abc", 5)"#,
                    result: Ok(r#""""#),
                },
            ],
            substring,
        ),
        text_fn(
            "pad_left",
            vec![
                s("text"),
                param("width", Type::Int),
                with_default("fill", Type::String, "\" \""),
            ],
            "Pads text on the left with the fill character to `width` characters (text already \
             that long is unchanged). The fill must be exactly one character; anything else is \
             a run-time error.",
            &[
                Example {
                    call: r#"pad_left("42", 6, "0")"#,
                    result: Ok(r#""000042""#),
                },
                Example {
                    call: r#"pad_left("abc", 2)"#,
                    result: Ok(r#""abc""#),
                },
                Example {
                    call: r#"pad_left("1", 3, "ab")"#,
                    result: Err("pad_left: `fill` must be one character"),
                },
            ],
            pad_left,
        ),
        text_fn(
            "pad_right",
            vec![
                s("text"),
                param("width", Type::Int),
                with_default("fill", Type::String, "\" \""),
            ],
            "Pads text on the right with the fill character to `width` characters (text already \
             that long is unchanged). The fill must be exactly one character.",
            &[
                Example {
                    call: r#"pad_right("ab", 4, ".")"#,
                    result: Ok(r#""ab..""#),
                },
                Example {
                    call: r#"pad_right("é", 2)"#,
                    result: Ok(r#""é ""#),
                },
            ],
            pad_right,
        ),
        text_fn(
            "truncate",
            vec![s("text"), param("max", Type::Int)],
            "Cuts text to at most `max` characters (not bytes, so a multi-byte character is \
             never split), with no ellipsis. A negative max gives empty text. Useful for \
             target fields with a length limit.",
            &[
                Example {
                    call: r#"truncate("Lovelace", 4)"#,
                    result: Ok(r#""Love""#),
                },
                Example {
                    call: r#"truncate("ab", 5)"#,
                    result: Ok(r#""ab""#),
                },
                Example {
                    call: r#"truncate("日本語", 2)"#,
                    result: Ok(r#""日本""#),
                },
            ],
            truncate,
        ),
        text_fn(
            "contains",
            vec![s("text"), s("part")],
            "Whether `part` occurs in the text (case-sensitive; every text contains \"\").",
            &[
                Example {
                    call: r#"contains("ada@example.com", "@")"#,
                    result: Ok("true"),
                },
                Example {
                    call: r#"contains("Ada", "ada")"#,
                    result: Ok("false"),
                },
            ],
            contains,
        ),
        text_fn(
            "starts_with",
            vec![s("text"), s("prefix")],
            "Whether the text begins with the prefix (case-sensitive).",
            &[
                Example {
                    call: r#"starts_with("cus_123", "cus_")"#,
                    result: Ok("true"),
                },
                Example {
                    call: r#"starts_with("ch_1", "cus_")"#,
                    result: Ok("false"),
                },
            ],
            starts_with,
        ),
        text_fn(
            "ends_with",
            vec![s("text"), s("suffix")],
            "Whether the text ends with the suffix (case-sensitive).",
            &[
                Example {
                    call: r#"ends_with("ada@example.com", ".com")"#,
                    result: Ok("true"),
                },
                Example {
                    call: r#"ends_with("", "x")"#,
                    result: Ok("false"),
                },
            ],
            ends_with,
        ),
    ]
}

fn concat(args: &mut CallArgs) -> Outcome {
    let mut joined = String::new();
    for (i, part) in args.values.iter().enumerate() {
        match part {
            Value::Null | Value::Missing => {}
            Value::String(s) => joined.push_str(s),
            other => {
                return Err(failed(format!(
                    "concat: argument {} must be text, got {}; convert it with string(x)",
                    i + 1,
                    describe(other)
                )));
            }
        }
    }
    Ok(Value::string(joined))
}

fn join(args: &mut CallArgs) -> Outcome {
    let separator = text(args, 1, "join", "separator")?;
    let mut pieces = Vec::new();
    for (i, item) in list(args, 0, "join", "parts")?.iter().enumerate() {
        match item {
            Value::Null | Value::Missing => {}
            Value::String(s) if s.is_empty() => {}
            Value::String(s) => pieces.push(&**s),
            other => {
                return Err(failed(format!(
                    "join: item {i} must be text, got {}; convert it with string(x)",
                    describe(other)
                )));
            }
        }
    }
    Ok(Value::string(pieces.join(separator)))
}

fn split(args: &mut CallArgs) -> Outcome {
    let whole = text(args, 0, "split", "text")?;
    let separator = text(args, 1, "split", "separator")?;
    let pieces: Vec<Value> = if separator.is_empty() {
        whole
            .chars()
            .map(|c| Value::string(c.to_string()))
            .collect()
    } else {
        whole.split(separator).map(Value::string).collect()
    };
    Ok(Value::list(pieces))
}

fn upper(args: &mut CallArgs) -> Outcome {
    Ok(Value::string(
        text(args, 0, "upper", "text")?.to_uppercase(),
    ))
}

fn lower(args: &mut CallArgs) -> Outcome {
    Ok(Value::string(
        text(args, 0, "lower", "text")?.to_lowercase(),
    ))
}

fn trim(args: &mut CallArgs) -> Outcome {
    Ok(Value::string(text(args, 0, "trim", "text")?.trim()))
}

fn replace(args: &mut CallArgs) -> Outcome {
    let whole = text(args, 0, "replace", "text")?;
    let from = text(args, 1, "replace", "from")?;
    let to = text(args, 2, "replace", "to")?;
    if from.is_empty() {
        return Ok(Value::string(whole));
    }
    Ok(Value::string(whole.replace(from, to)))
}

/// A count of characters from an int, clamped at zero.
fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

fn substring(args: &mut CallArgs) -> Outcome {
    let whole = text(args, 0, "substring", "text")?;
    let start = count(int(args, 1, "substring", "start")?);
    let length = optional_int(args, 2, "substring", "length")?.map(count);
    let rest = whole.chars().skip(start);
    let part: String = match length {
        Some(length) => rest.take(length).collect(),
        None => rest.collect(),
    };
    Ok(Value::string(part))
}

/// The fill characters that bring the text up to the width.
fn padding(args: &CallArgs, function: &str) -> Result<String, crate::value::FunctionError> {
    let whole = text(args, 0, function, "text")?;
    let width = count(int(args, 1, function, "width")?);
    let fill = text(args, 2, function, "fill")?;
    let mut chars = fill.chars();
    let (Some(fill), None) = (chars.next(), chars.next()) else {
        return Err(failed(format!(
            "{function}: `fill` must be one character, got {fill:?}"
        )));
    };
    let missing = width.saturating_sub(whole.chars().count());
    Ok(std::iter::repeat_n(fill, missing).collect())
}

fn pad_left(args: &mut CallArgs) -> Outcome {
    let pad = padding(args, "pad_left")?;
    Ok(Value::string(pad + text(args, 0, "pad_left", "text")?))
}

fn pad_right(args: &mut CallArgs) -> Outcome {
    let pad = padding(args, "pad_right")?;
    Ok(Value::string(format!(
        "{}{pad}",
        text(args, 0, "pad_right", "text")?
    )))
}

fn truncate(args: &mut CallArgs) -> Outcome {
    let whole = text(args, 0, "truncate", "text")?;
    let max = count(int(args, 1, "truncate", "max")?);
    Ok(Value::string(whole.chars().take(max).collect::<String>()))
}

fn two_texts<'v>(
    args: &'v CallArgs,
    function: &str,
    second: &str,
) -> Result<(&'v str, &'v str), crate::value::FunctionError> {
    Ok((
        text(args, 0, function, "text")?,
        text(args, 1, function, second)?,
    ))
}

fn contains(args: &mut CallArgs) -> Outcome {
    let (whole, part) = two_texts(args, "contains", "part")?;
    Ok(Value::Bool(whole.contains(part)))
}

fn starts_with(args: &mut CallArgs) -> Outcome {
    let (whole, prefix) = two_texts(args, "starts_with", "prefix")?;
    Ok(Value::Bool(whole.starts_with(prefix)))
}

fn ends_with(args: &mut CallArgs) -> Outcome {
    let (whole, suffix) = two_texts(args, "ends_with", "suffix")?;
    Ok(Value::Bool(whole.ends_with(suffix)))
}
