//! pest errors to diagnostics, with every grammar rule described in words a pipeline author
//! knows.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::grammar::Rule;
use crate::diagnostics::{Code, Diagnostic, FileId, Span};

/// How a rule is named in "expected ..." messages; `None` for rules never worth naming.
pub fn rule_description(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::assign => "`=`",
        Rule::fat_arrow => "`=>`",
        Rule::arrow => "`->`",
        Rule::field_name => "a name",
        Rule::ident => "a name",
        Rule::qualified_name => "a dotted name such as `stripe.customers`",
        Rule::module | Rule::expression => return None,
        Rule::use_decl => "`use`",
        Rule::fn_decl => "`fn`",
        Rule::fn_params | Rule::param => "a parameter `name: type`",
        Rule::type_expr | Rule::type_name | Rule::list_open => "a type",
        Rule::type_suffix | Rule::optional_mark => "`?`",
        Rule::list_close => "`>`",
        Rule::pipeline => "`pipeline`",
        Rule::timezone_decl => "`timezone`",
        Rule::where_clause => "`where`",
        Rule::let_decl => "`let`",
        Rule::source_block => "`source`",
        Rule::poll_option => "`poll every`",
        Rule::on_option => "`on`",
        Rule::lookup_decl => "`lookup`",
        Rule::lookup_file => "`from \"file\"`",
        Rule::lookup_key => "`key`",
        Rule::lookup_value => "`value`",
        Rule::lookup_inline => "`{` with lookup entries",
        Rule::lookup_entry => "a lookup entry `key => value`",
        Rule::map_block => "`map to`",
        Rule::assignment => "a field assignment",
        Rule::assignment_target => "a field name",
        Rule::sink_block => "`sink`",
        Rule::match_on => "`match on`",
        Rule::cross_reference => "`cross_reference`",
        Rule::test_block => "`test`",
        Rule::test_entry => "a test entry such as `input = ...`",
        Rule::expr | Rule::operand => "an expression",
        Rule::infix_op
        | Rule::field_access
        | Rule::opt_field
        | Rule::opt_index
        | Rule::index_access
        | Rule::assert_op => "an operator",
        Rule::prefix_op => "an expression",
        Rule::keyword_literal
        | Rule::number
        | Rule::record_index
        | Rule::record_field
        | Rule::record_root
        | Rule::variable
        | Rule::paren
        | Rule::list
        | Rule::object
        | Rule::call
        | Rule::if_expr
        | Rule::match_expr => "an expression",
        Rule::object_entry => "an object entry `key: value`",
        Rule::call_args => "an argument",
        Rule::named_arg => "a named argument",
        Rule::closure => "a closure `|x| ...`",
        Rule::else_if | Rule::else_block => "`else`",
        Rule::block => "`{`",
        Rule::match_arm | Rule::match_patterns => "a match arm `pattern => value`",
        Rule::wildcard => "`_`",
        Rule::pattern | Rule::negative => "a literal pattern",
        Rule::string => "a string",
        Rule::string_text | Rule::escape | Rule::interpolation => "string text",
        // Silent rules never appear in errors: pest reports the named rule around them.
        Rule::WHITESPACE
        | Rule::COMMENT
        | Rule::ident_char
        | Rule::reserved
        | Rule::item
        | Rule::pipeline_item
        | Rule::source_option
        | Rule::sink_option
        | Rule::target_segment
        | Rule::postfix_op
        | Rule::primary
        | Rule::call_arg
        | Rule::object_key => return None,
        Rule::kw_use => "`use`",
        Rule::kw_fn => "`fn`",
        Rule::kw_pipeline => "`pipeline`",
        Rule::kw_timezone => "`timezone`",
        Rule::kw_source => "`source`",
        Rule::kw_where => "`where`",
        Rule::kw_let => "`let`",
        Rule::kw_lookup => "`lookup`",
        Rule::kw_from => "`from`",
        Rule::kw_key => "`key`",
        Rule::kw_value => "`value`",
        Rule::kw_map => "`map`",
        Rule::kw_to => "`to`",
        Rule::kw_sink => "`sink`",
        Rule::kw_test => "`test`",
        Rule::kw_poll => "`poll`",
        Rule::kw_every => "`every`",
        Rule::kw_on => "`on`",
        Rule::kw_match => "`match`",
        Rule::kw_xref => "`cross_reference`",
        Rule::kw_if => "`if`",
        Rule::kw_else => "`else`",
    })
}

/// Converts a pest failure into E0100 (or E0107 when pest's own stack guard tripped).
pub fn from_pest(file: FileId, text: &str, error: Error<Rule>) -> Diagnostic {
    let at = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    }
    .min(text.len());
    let found = found_at(text, at);
    let span = Span::new(file, at, at + found.len());
    let found_words = describe_found(found);
    match error.variant {
        ErrorVariant::ParsingError {
            positives,
            negatives,
        } => {
            let expected = join_alternatives(positives.iter().copied());
            let message = if !expected.is_empty() {
                format!("expected {expected}, found {found_words}")
            } else if !negatives.is_empty() {
                format!("unexpected {found_words}")
            } else {
                format!("unexpected {found_words}")
            };
            let label = if found.is_empty() {
                "the file ends here".to_string()
            } else {
                format!("found {found_words}")
            };
            let mut diagnostic =
                Diagnostic::new(Code::SyntaxError, span, message).with_label(label);
            if let Some(help) = hint(text, at, found) {
                diagnostic = diagnostic.with_help(help);
            }
            diagnostic
        }
        ErrorVariant::CustomError { message } if message.contains("limit") => Diagnostic::new(
            Code::NestingTooDeep,
            span,
            "this file is nested too deeply to parse",
        )
        .with_label("nesting gets too deep here")
        .with_help("split deep expressions with `let` bindings or helper `fn`s"),
        ErrorVariant::CustomError { message } => {
            Diagnostic::new(Code::SyntaxError, span, message).with_label("here")
        }
    }
}

/// A bug in the builder rather than in the user's text; still a diagnostic, never a panic.
pub fn internal(file: FileId, text: &str, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SyntaxError,
        Span::new(file, 0, text.len().min(1)),
        format!("internal parser error: {what}"),
    )
    .with_help("please report this file to the ferry maintainers")
}

/// "`a`, `b` or `c`", deduplicated, in the order pest tried them.
fn join_alternatives(rules: impl Iterator<Item = Rule>) -> String {
    let mut words: Vec<&str> = Vec::new();
    for rule in rules {
        if let Some(word) = rule_description(rule)
            && !words.contains(&word)
        {
            words.push(word);
        }
    }
    match words.len() {
        0 => String::new(),
        1 => words[0].to_string(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

/// The token starting at `at`: a word, a string, an operator pair or one character.
fn found_at(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let Some(first) = rest.chars().next() else {
        return "";
    };
    if first.is_ascii_alphanumeric() || first == '_' {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        return &rest[..end];
    }
    for pair in [
        "??", "||", "&&", "==", "!=", "<=", ">=", "=>", "->", "?.", "${",
    ] {
        if rest.starts_with(pair) {
            return &rest[..2];
        }
    }
    &rest[..first.len_utf8()]
}

fn describe_found(found: &str) -> String {
    match found {
        "" => "end of file".to_string(),
        "\n" | "\r" => "end of line".to_string(),
        _ if found.chars().all(char::is_control) => format!("control character {:?}", found),
        _ => format!("`{found}`"),
    }
}

/// A targeted hint for mistakes common enough to deserve one.
fn hint(text: &str, at: usize, found: &str) -> Option<&'static str> {
    let before = text[..at].trim_end();
    match found {
        "," if before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == ')' || c == '"') => {
            Some(
                "entries in `map`, `sink`, `source` and `test` blocks are separated by new lines, not commas",
            )
        }
        "=" => Some("compare with `==`; assign only at the start of a `map` or `test` entry"),
        "'" => Some("strings use double quotes: \"text\""),
        _ => None,
    }
}
