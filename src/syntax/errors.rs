//! pest errors as diagnostics, with rule names rendered as words a consultant reads.

use pest::error::{ErrorVariant, InputLocation};

use super::parser::Rule;
use crate::diagnostics::{Code, Diagnostic, FileId, Span};

pub fn from_pest(file: FileId, text: &str, error: pest::error::Error<Rule>) -> Diagnostic {
    let start = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = found_at(text, start);
    let end = (start + found.len().max(1)).min(text.len().max(start));
    let span = Span::new(file, start, end.max(start));
    let message = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<String> = positives
                .iter()
                .filter_map(|r| readable(*r))
                .map(String::from)
                .collect();
            if expected.iter().any(|e| e == EXPRESSION) {
                expected.retain(|e| !STARTS_AN_EXPRESSION.contains(&e.as_str()));
            }
            // Entries of a block repeat until its closing brace.
            let in_block = positives.iter().any(|r| {
                matches!(
                    r,
                    Rule::assignment
                        | Rule::assignment_target
                        | Rule::test_entry
                        | Rule::source_decl
                        | Rule::map_block
                        | Rule::poll_option
                        | Rule::match_on
                        | Rule::timezone_decl
                        | Rule::where_clause
                        | Rule::let_decl
                        | Rule::assert_decl
                        | Rule::sink_block
                        | Rule::test_block
                        | Rule::match_arm
                        | Rule::lookup_entry
                        | Rule::kw_timezone
                        | Rule::kw_source
                        | Rule::kw_where
                        | Rule::kw_let
                        | Rule::kw_assert
                        | Rule::kw_map
                        | Rule::kw_sink
                        | Rule::kw_test
                )
            });
            if in_block {
                expected.push("`}`".into());
            }
            if let Some(attempts) = error.parse_attempts() {
                for token in attempts.expected_tokens() {
                    let token = token.to_string();
                    if CLOSERS.contains(&token.as_str()) {
                        expected.push(format!("`{token}`"));
                    }
                }
            }
            expected.sort_unstable();
            expected.dedup();
            let refs: Vec<&str> = expected.iter().map(String::as_str).collect();
            format!("expected {}, found {}", one_of(&refs), describe(&found))
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let diagnostic = Diagnostic::new(Code::SyntaxError, span, message)
        .with_label(format!("unexpected {}", describe(&found)));
    match found.as_str() {
        "," => diagnostic.with_help(
            "fields, options and test entries are separated by new lines; commas separate only list, object, argument and lookup entries",
        ),
        "" => diagnostic.with_help("a block is not closed: check that every `{` has its `}`"),
        _ => diagnostic,
    }
}

const EXPRESSION: &str = "an expression";
/// Rules that only say "an expression could start here"; "an expression" covers them.
const STARTS_AN_EXPRESSION: &[&str] = &[
    "`if`",
    "`match`",
    "a duration such as `5m`",
    "a name",
    "a string",
];
/// Literal tokens worth naming when pest expected them.
const CLOSERS: &[&str] = &["}", ")", "]", "=", "=>", ":"];

pub fn internal(file: FileId, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SyntaxError,
        Span::new(file, 0, 0),
        format!("could not parse: {what}"),
    )
}

/// The token at `offset`, for "found ..." (a word, a symbol, or the end of the file).
fn found_at(text: &str, offset: usize) -> String {
    let rest = text.get(offset..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return String::new();
    };
    if first.is_alphanumeric() || first == '_' {
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    } else if first == '"' {
        "\"".into()
    } else {
        let two: String = rest.chars().take(2).collect();
        if [
            "??", "?.", "==", "!=", "<=", ">=", "=>", "&&", "||", "->", "${",
        ]
        .contains(&two.as_str())
        {
            two
        } else {
            first.to_string()
        }
    }
}

fn describe(found: &str) -> String {
    match found {
        "" => "the end of the file".into(),
        "\n" | "\r" => "the end of the line".into(),
        "\"" => "a string".into(),
        f if f.chars().all(|c| c.is_ascii_digit()) => format!("the number `{f}`"),
        f => format!("`{f}`"),
    }
}

fn one_of(expected: &[&str]) -> String {
    match expected {
        [] => "something else".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Readable words for each rule pest may say it expected; `None` hides plumbing.
fn readable(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        EOI => "the end of the file",
        item | use_decl | fn_decl | lookup_decl | pipeline | kw_use | kw_fn | kw_lookup
        | kw_pipeline => "`pipeline`, `fn`, `lookup` or `use`",
        pipeline_item | timezone_decl | source_decl | where_clause | let_decl | assert_decl
        | map_block | sink_block | step_block | test_block | kw_timezone | kw_source | kw_where
        | kw_let | kw_assert | kw_map | kw_sink | kw_step | kw_test => {
            "a pipeline section (`source`, `where`, `let`, `lookup`, `assert`, `map to`, `sink`, `step`, `test`, `timezone`)"
        }
        source_option | poll_option | on_option | kw_poll | kw_on => {
            "`poll every`, `on` or `where`"
        }
        kw_every => "`every`",
        kw_to => "`to`",
        map_each | kw_for => "`for` or `{`",
        kw_in => "`in`",
        kw_from => "`from` or `{`",
        lookup_inline => "`{`",
        lookup_entry => "a lookup entry (`key => value`)",
        lookup_file => "`from`",
        lookup_key | kw_key => "`key`",
        lookup_value | kw_value => "`value`",
        sink_option | match_on | cross_reference | kw_cross_reference | post_option | kw_post => {
            "`match on`, `cross_reference` or `post`"
        }
        kw_match => "`match`",
        assignment | assignment_target => "a field assignment (`field = value`)",
        test_entry => "a test entry (`input = ...`, `expect = ...`)",
        qualified_name => "a name such as `stripe.customers`",
        param => "a parameter (`name: type`)",
        return_type => "`->`",
        type_expr | list_type | named_type => "a type",
        optional_mark => "`?`",
        expr | primary | literal | if_expr | match_expr | closure | call | object | list
        | paren | record_field | record_index | record | variable | prefix | neg | not | null
        | boolean | omit | decimal | integer | expression_only => "an expression",
        duration => "a duration such as `5m`",
        string | string_literal | unterminated_string => "a string",
        infix | coalesce | or | and | eq | ne | le | ge | lt | gt | add | sub | mul | div | rem => {
            "an operator"
        }
        postfix | field_access | optional_field | optional_index | index | assert => {
            "`.`, `?.`, `[` or `!`"
        }
        block => "`{`",
        kw_if => "`if`",
        kw_else => "`else`",
        match_arm | match_patterns | pattern | wildcard => {
            "a match arm (`\"value\" => result` or `_ => result`)"
        }
        argument | argument_name => "an argument",
        object_entry => "an object entry (`key: value`)",
        ident | name => "a name",
        _ => return None,
    })
}
