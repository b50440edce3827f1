//! OData `$filter` expressions: comparisons (`eq ne gt ge lt le`) of a property with a literal,
//! joined by `and`, `or`, `not` and parentheses. Literals: `'text'` (with `''` for a quote),
//! numbers, `true`/`false`, `null`, dates (`2026-01-31`), date-times
//! (`2026-01-01T00:00:00Z`) and GUIDs (bare, as OData v4 writes them). Functions such as
//! `contains(...)` and arithmetic are not supported: they are reported, never guessed.

use std::cmp::Ordering;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::schema::{EntitySet, Kind};

/// Deeper nesting than this is refused, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Number(Decimal),
    Boolean(bool),
    Null,
    Date(Date),
    DateTime(Timestamp),
    Guid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        property: String,
        op: CompareOp,
        value: Literal,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {position} of $filter)")]
pub struct FilterError {
    pub message: String,
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Comma,
    Word(String),
    Text(String),
}

fn tokenize(input: &str) -> Result<Vec<(Token, usize)>, FilterError> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push((Token::Open, at));
                i += 1;
            }
            ')' => {
                tokens.push((Token::Close, at));
                i += 1;
            }
            ',' => {
                tokens.push((Token::Comma, at));
                i += 1;
            }
            '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(FilterError {
                                message: "unterminated string literal".into(),
                                position: at,
                            });
                        }
                        Some((_, '\'')) if matches!(chars.get(i + 1), Some((_, '\''))) => {
                            text.push('\'');
                            i += 2;
                        }
                        Some((_, '\'')) => {
                            i += 1;
                            break;
                        }
                        Some((_, c)) => {
                            text.push(*c);
                            i += 1;
                        }
                    }
                }
                tokens.push((Token::Text(text), at));
            }
            _ => {
                let mut word = String::new();
                while let Some((_, c)) = chars.get(i) {
                    if c.is_whitespace() || matches!(c, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    word.push(*c);
                    i += 1;
                }
                tokens.push((Token::Word(word), at));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    next: usize,
    end: usize,
}

pub fn parse(input: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser {
        tokens: tokenize(input)?,
        next: 0,
        end: input.len(),
    };
    let filter = parser.or(0)?;
    match parser.tokens.get(parser.next) {
        None => Ok(filter),
        Some((_, at)) => Err(FilterError {
            message: "expected `and`, `or` or the end of the filter".into(),
            position: *at,
        }),
    }
}

impl Parser {
    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(_, at)| *at)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            message: message.into(),
            position: self.position(),
        })
    }

    fn keyword(&mut self, word: &str) -> bool {
        match self.tokens.get(self.next) {
            Some((Token::Word(w), _)) if w.eq_ignore_ascii_case(word) => {
                self.next += 1;
                true
            }
            _ => false,
        }
    }

    fn or(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.and(depth)?;
        while self.keyword("or") {
            let right = self.and(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.unary(depth)?;
        while self.keyword("and") {
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, FilterError> {
        if depth > MAX_DEPTH {
            return self.error("the filter is nested too deeply");
        }
        if self.keyword("not") {
            return Ok(Filter::Not(Box::new(self.unary(depth + 1)?)));
        }
        if let Some((Token::Open, _)) = self.tokens.get(self.next) {
            self.next += 1;
            let inner = self.or(depth + 1)?;
            return match self.tokens.get(self.next) {
                Some((Token::Close, _)) => {
                    self.next += 1;
                    Ok(inner)
                }
                _ => self.error("expected `)`"),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Filter, FilterError> {
        let property = match self.tokens.get(self.next) {
            Some((Token::Word(w), _)) if is_identifier(w) => w.clone(),
            Some((Token::Word(w), _)) => {
                return self.error(format!("expected a property name, found `{w}`"));
            }
            Some(_) => return self.error("expected a property name"),
            None => return self.error("expected a comparison"),
        };
        self.next += 1;
        if let Some((Token::Open, _)) = self.tokens.get(self.next) {
            self.next -= 1;
            return self.error(format!(
                "the function `{property}` is not supported; use eq, ne, gt, ge, lt or le"
            ));
        }
        if let Some((Token::Word(w), _)) = self.tokens.get(self.next)
            && w.contains('/')
        {
            return self.error("navigation paths are not supported in $filter");
        }
        let op = match self.tokens.get(self.next) {
            Some((Token::Word(w), _)) => match w.to_ascii_lowercase().as_str() {
                "eq" => CompareOp::Eq,
                "ne" => CompareOp::Ne,
                "gt" => CompareOp::Gt,
                "ge" => CompareOp::Ge,
                "lt" => CompareOp::Lt,
                "le" => CompareOp::Le,
                other => {
                    return self.error(format!(
                        "`{other}` is not a supported operator; use eq, ne, gt, ge, lt or le"
                    ));
                }
            },
            _ => return self.error(format!("expected an operator after `{property}`")),
        };
        self.next += 1;
        let value = match self.tokens.get(self.next) {
            Some((Token::Text(text), _)) => Literal::Text(text.clone()),
            Some((Token::Word(word), _)) => match literal(word) {
                Some(value) => value,
                None => return self.error(format!("`{word}` is not a literal value")),
            },
            _ => return self.error("expected a literal value"),
        };
        self.next += 1;
        Ok(Filter::Compare {
            property,
            op,
            value,
        })
    }
}

fn is_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            word.to_ascii_lowercase().as_str(),
            "and"
                | "or"
                | "not"
                | "eq"
                | "ne"
                | "gt"
                | "ge"
                | "lt"
                | "le"
                | "true"
                | "false"
                | "null"
        )
}

fn literal(word: &str) -> Option<Literal> {
    match word.to_ascii_lowercase().as_str() {
        "true" => return Some(Literal::Boolean(true)),
        "false" => return Some(Literal::Boolean(false)),
        "null" => return Some(Literal::Null),
        _ => {}
    }
    if is_guid(word) {
        return Some(Literal::Guid(word.to_ascii_lowercase()));
    }
    if word.contains('T') {
        return Timestamp::from_str(word).ok().map(Literal::DateTime);
    }
    if word.len() == 10 && word.as_bytes().get(4) == Some(&b'-') {
        return Date::from_str(word).ok().map(Literal::Date);
    }
    let looks_numeric = word
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
    if looks_numeric {
        return Decimal::from_str(word).ok().map(Literal::Number);
    }
    None
}

pub fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

impl Filter {
    /// Checks every property exists on `set` and each literal fits its property's type.
    pub fn check(&self, set: &EntitySet) -> Result<(), String> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.check(set)?;
                b.check(set)
            }
            Filter::Not(a) => a.check(set),
            Filter::Compare {
                property, value, ..
            } => {
                let Some(p) = set.property(property) else {
                    return Err(format!(
                        "Could not find a property named '{property}' on type 'Microsoft.NAV.{}'.",
                        set.entity
                    ));
                };
                let fits = matches!(
                    (p.kind, value),
                    (_, Literal::Null)
                        | (Kind::Text(_) | Kind::Choice(_), Literal::Text(_))
                        | (Kind::Decimal | Kind::Integer, Literal::Number(_))
                        | (Kind::Boolean, Literal::Boolean(_))
                        | (Kind::Date, Literal::Date(_))
                        | (Kind::DateTime, Literal::DateTime(_))
                        | (Kind::Guid, Literal::Guid(_))
                );
                if fits {
                    Ok(())
                } else {
                    Err(format!(
                        "A binary operator with incompatible types was detected: '{property}' is {} and the value is {}.",
                        p.kind.edm(),
                        describe(value)
                    ))
                }
            }
        }
    }

    /// Whether `entity` satisfies the filter (after [`Filter::check`]).
    pub fn matches(&self, entity: &Map<String, Value>) -> bool {
        match self {
            Filter::And(a, b) => a.matches(entity) && b.matches(entity),
            Filter::Or(a, b) => a.matches(entity) || b.matches(entity),
            Filter::Not(a) => !a.matches(entity),
            Filter::Compare {
                property,
                op,
                value,
            } => {
                let ordering = compare(entity.get(property).unwrap_or(&Value::Null), value);
                match (op, ordering) {
                    (CompareOp::Eq, o) => o == Some(Ordering::Equal),
                    (CompareOp::Ne, o) => o != Some(Ordering::Equal),
                    (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
                    (CompareOp::Ge, Some(o)) => o != Ordering::Less,
                    (CompareOp::Lt, Some(o)) => o == Ordering::Less,
                    (CompareOp::Le, Some(o)) => o != Ordering::Greater,
                    (_, None) => false,
                }
            }
        }
    }
}

fn describe(value: &Literal) -> &'static str {
    match value {
        Literal::Text(_) => "Edm.String",
        Literal::Number(_) => "a number",
        Literal::Boolean(_) => "Edm.Boolean",
        Literal::Null => "null",
        Literal::Date(_) => "Edm.Date",
        Literal::DateTime(_) => "Edm.DateTimeOffset",
        Literal::Guid(_) => "Edm.Guid",
    }
}

/// Orders a stored value against a literal; `None` when they cannot be ordered (nulls).
fn compare(stored: &Value, literal: &Literal) -> Option<Ordering> {
    match (stored, literal) {
        (Value::Null, Literal::Null) => Some(Ordering::Equal),
        (_, Literal::Null) | (Value::Null, _) => None,
        (Value::String(s), Literal::Text(t)) => Some(s.as_str().cmp(t.as_str())),
        (Value::String(s), Literal::Guid(g)) => Some(s.to_ascii_lowercase().cmp(g)),
        (Value::String(s), Literal::Date(d)) => Date::from_str(s).ok().map(|v| v.cmp(d)),
        (Value::String(s), Literal::DateTime(t)) => Timestamp::from_str(s).ok().map(|v| v.cmp(t)),
        (Value::Number(n), Literal::Number(d)) => {
            Decimal::from_str(&n.to_string()).ok().map(|v| v.cmp(d))
        }
        (Value::Bool(b), Literal::Boolean(l)) => Some(b.cmp(l)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::business_central::schema::{CUSTOMERS, SALES_INVOICES};
    use proptest::prelude::*;
    use serde_json::json;

    fn compare(property: &str, op: CompareOp, value: Literal) -> Filter {
        Filter::Compare {
            property: property.into(),
            op,
            value,
        }
    }

    #[test]
    fn parses_the_documented_examples() {
        assert_eq!(
            parse("lastModifiedDateTime gt 2026-01-01T00:00:00Z").unwrap(),
            compare(
                "lastModifiedDateTime",
                CompareOp::Gt,
                Literal::DateTime("2026-01-01T00:00:00Z".parse().unwrap())
            )
        );
        assert_eq!(
            parse("externalDocumentNumber eq 'ch_1'").unwrap(),
            compare(
                "externalDocumentNumber",
                CompareOp::Eq,
                Literal::Text("ch_1".into())
            )
        );
        assert_eq!(
            parse("number eq 'O''Brien'").unwrap(),
            compare("number", CompareOp::Eq, Literal::Text("O'Brien".into()))
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let f = parse("a eq 1 or b eq 2 and not (c eq 3)").unwrap();
        let Filter::Or(_, right) = f else {
            panic!("expected or at the top: {f:?}")
        };
        assert!(matches!(*right, Filter::And(_, _)));
    }

    #[test]
    fn literals_of_every_kind() {
        let cases = [
            ("x eq 12.50", Literal::Number(Decimal::new(1250, 2))),
            ("x eq -3", Literal::Number(Decimal::new(-3, 0))),
            ("x eq true", Literal::Boolean(true)),
            ("x eq null", Literal::Null),
            (
                "x eq 2026-01-31",
                Literal::Date(Date::new(2026, 1, 31).unwrap()),
            ),
            (
                "x eq 6A1B4A3C-0000-4C6A-9F2E-1234567890AB",
                Literal::Guid("6a1b4a3c-0000-4c6a-9f2e-1234567890ab".into()),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse(text).unwrap(),
                compare("x", CompareOp::Eq, expected),
                "{text}"
            );
        }
    }

    #[test]
    fn unsupported_syntax_is_reported_with_a_position() {
        for (text, needle) in [
            ("contains(displayName,'a')", "function `contains`"),
            ("displayName has 'a'", "`has` is not a supported operator"),
            ("displayName eq 'a", "unterminated"),
            ("displayName eq", "expected a literal"),
            ("(displayName eq 'a'", "expected `)`"),
            ("a eq 1 b eq 2", "expected `and`"),
            ("a eq 1 add 2", "expected `and`"),
            ("a eq 2026-13-01", "not a literal"),
            ("", "expected a comparison"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.message.contains(needle), "{text}: {e}");
        }
        assert!(parse(&"(".repeat(10_000)).is_err());
    }

    #[test]
    fn checks_properties_and_types_against_the_set() {
        parse("number eq 'C0001'")
            .unwrap()
            .check(&CUSTOMERS)
            .unwrap();
        let unknown = parse("colour eq 'red'")
            .unwrap()
            .check(&CUSTOMERS)
            .unwrap_err();
        assert!(unknown.contains("'colour'"), "{unknown}");
        let mismatch = parse("number eq 5").unwrap().check(&CUSTOMERS).unwrap_err();
        assert!(mismatch.contains("incompatible"), "{mismatch}");
        parse("totalAmountIncludingTax ge 10 and invoiceDate lt 2026-02-01")
            .unwrap()
            .check(&SALES_INVOICES)
            .unwrap();
    }

    #[test]
    fn evaluates_against_entities() {
        let entity = json!({
            "number": "C0002", "balanceDue": 12.5, "blocked": " ",
            "lastModifiedDateTime": "2026-01-02T03:04:05.678Z", "taxLiable": false,
            "id": "6a1b4a3c-0000-4c6a-9f2e-1234567890ab"
        });
        let entity = entity.as_object().unwrap();
        let yes = [
            "number eq 'C0002'",
            "number gt 'C0001' and number lt 'C0003'",
            "balanceDue ge 12.5 and balanceDue le 12.50",
            "lastModifiedDateTime gt 2026-01-01T00:00:00Z",
            "taxLiable eq false",
            "id eq 6A1B4A3C-0000-4C6A-9F2E-1234567890AB",
            "not (number eq 'X') or number eq 'Y'",
            "number ne null",
        ];
        for text in yes {
            assert!(parse(text).unwrap().matches(entity), "{text}");
        }
        let no = [
            "number eq 'c0002'",
            "balanceDue gt 12.5",
            "lastModifiedDateTime lt 2026-01-01T00:00:00Z",
            "number eq null",
            "missing gt 1",
        ];
        for text in no {
            assert!(!parse(text).unwrap().matches(entity), "{text}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_any_input(text in "\\PC{0,80}") {
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_filter_like_input(
            text in "[a-zA-Z() '0-9:TZ.-]{0,60}( (and|or|eq|gt|not) [a-z0-9'()-]{0,12}){0,6}"
        ) {
            if let Ok(filter) = parse(&text) {
                let _ = filter.check(&CUSTOMERS);
                let _ = filter.matches(&Map::new());
            }
        }

        #[test]
        fn quoted_text_round_trips(text in "\\PC{0,30}") {
            let escaped = text.replace('\'', "''");
            let filter = parse(&format!("number eq '{escaped}'")).unwrap();
            prop_assert_eq!(filter, compare("number", CompareOp::Eq, Literal::Text(text)));
        }
    }
}
