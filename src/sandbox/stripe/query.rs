//! Stripe's search query language: `email:"a@b.com" AND metadata["erp_id"]:"C-1"`,
//! `name~"acme"`, `created>1700000000`, `-email:null`; up to 10 clauses joined by `AND` or `OR`
//! (not both).
//!
//! Unverified details, kept easy to change: `:` compares case-insensitively (as the docs say for
//! exact matches), `~` needs at least 3 characters, keywords are upper case only.

use serde_json::Value;
use thiserror::Error;

pub const MAX_CLAUSES: usize = 10;
const MIN_SUBSTRING: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Plain(String),
    Metadata(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Eq,
    Contains,
    Gt,
    Lt,
    Ge,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Number(f64),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub negated: bool,
    pub field: Field,
    pub op: Op,
    pub value: Literal,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Join {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub clauses: Vec<Clause>,
    pub join: Join,
}

#[derive(Debug, Error, PartialEq)]
pub enum QueryError {
    #[error("the query is empty")]
    Empty,
    #[error("unexpected {found} at position {at}; expected {expected}")]
    Unexpected {
        at: usize,
        found: String,
        expected: &'static str,
    },
    #[error("unterminated string starting at position {0}")]
    Unterminated(usize),
    #[error("a query can have at most {MAX_CLAUSES} clauses")]
    TooManyClauses,
    #[error("a query cannot mix AND and OR")]
    MixedJoins,
    #[error("`~` needs a value of at least {MIN_SUBSTRING} characters")]
    ShortSubstring,
    #[error("`{0}` compares numbers only")]
    NotNumeric(String),
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

/// Parses a query; never panics, whatever the input.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let mut p = Parser {
        chars: input.chars().collect(),
        pos: 0,
    };
    p.skip_ws();
    if p.at_end() {
        return Err(QueryError::Empty);
    }
    let mut clauses = vec![p.clause()?];
    let mut join = None;
    loop {
        let had_space = p.skip_ws();
        if p.at_end() {
            break;
        }
        let word_at = p.pos;
        let word = p.word();
        let this = match word.as_str() {
            "AND" if had_space => Join::And,
            "OR" if had_space => Join::Or,
            _ => return Err(p.unexpected_at(word_at, "AND or OR")),
        };
        if join.is_some_and(|j| j != this) {
            return Err(QueryError::MixedJoins);
        }
        join = Some(this);
        if !p.skip_ws() {
            return Err(p.unexpected("a space"));
        }
        clauses.push(p.clause()?);
        if clauses.len() > MAX_CLAUSES {
            return Err(QueryError::TooManyClauses);
        }
    }
    Ok(Query {
        clauses,
        join: join.unwrap_or(Join::And),
    })
}

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn word(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        {
            out.push(c);
            self.pos += 1;
        }
        out
    }

    fn unexpected(&self, expected: &'static str) -> QueryError {
        self.unexpected_at(self.pos, expected)
    }

    fn unexpected_at(&self, at: usize, expected: &'static str) -> QueryError {
        let found = match self.chars.get(at) {
            Some(c) => format!("`{c}`"),
            None => "end of query".to_string(),
        };
        QueryError::Unexpected {
            at,
            found,
            expected,
        }
    }

    fn clause(&mut self) -> Result<Clause, QueryError> {
        let negated = self.peek() == Some('-');
        if negated {
            self.pos += 1;
        }
        let field = self.field()?;
        let op = self.op()?;
        let value = self.literal()?;
        let name = match &field {
            Field::Plain(n) => n.clone(),
            Field::Metadata(k) => format!("metadata[\"{k}\"]"),
        };
        match (op, &value) {
            (Op::Contains, Literal::Text(t)) if t.chars().count() < MIN_SUBSTRING => {
                return Err(QueryError::ShortSubstring);
            }
            (Op::Contains, Literal::Text(_)) | (Op::Eq, _) => {}
            (Op::Contains, _) => return Err(self.unexpected("a quoted string")),
            (_, Literal::Number(_)) => {}
            _ => return Err(QueryError::NotNumeric(name)),
        }
        Ok(Clause {
            negated,
            field,
            op,
            value,
        })
    }

    fn field(&mut self) -> Result<Field, QueryError> {
        let start = self.pos;
        let name = self.word();
        if name.is_empty() {
            return Err(self.unexpected_at(start, "a field name"));
        }
        if name != "metadata" {
            return Ok(Field::Plain(name));
        }
        if self.peek() != Some('[') {
            return Err(self.unexpected("`[` after metadata"));
        }
        self.pos += 1;
        let Literal::Text(key) = self.quoted()? else {
            return Err(self.unexpected("a quoted key"));
        };
        if self.peek() != Some(']') {
            return Err(self.unexpected("`]`"));
        }
        self.pos += 1;
        Ok(Field::Metadata(key))
    }

    fn op(&mut self) -> Result<Op, QueryError> {
        let op = match self.peek() {
            Some(':') => Op::Eq,
            Some('~') => Op::Contains,
            Some('>') => Op::Gt,
            Some('<') => Op::Lt,
            _ => return Err(self.unexpected("one of : ~ > < >= <=")),
        };
        self.pos += 1;
        if matches!(op, Op::Gt | Op::Lt) && self.peek() == Some('=') {
            self.pos += 1;
            return Ok(if op == Op::Gt { Op::Ge } else { Op::Le });
        }
        Ok(op)
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        match self.peek() {
            Some('"') | Some('\'') => self.quoted(),
            Some(c) if c.is_ascii_digit() || c == '-' => self.number(),
            Some(_) => {
                let start = self.pos;
                if self.word() == "null" {
                    Ok(Literal::Null)
                } else {
                    Err(self.unexpected_at(start, "a quoted value, a number or null"))
                }
            }
            None => Err(self.unexpected("a value")),
        }
    }

    fn quoted(&mut self) -> Result<Literal, QueryError> {
        let start = self.pos;
        let Some(quote) = self.peek().filter(|c| *c == '"' || *c == '\'') else {
            return Err(self.unexpected("a quoted string"));
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(QueryError::Unterminated(start)),
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c) => out.push(c),
                        None => return Err(QueryError::Unterminated(start)),
                    }
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(Literal::Text(out));
                }
                Some(c) => out.push(c),
            }
            self.pos += 1;
        }
    }

    fn number(&mut self) -> Result<Literal, QueryError> {
        let start = self.pos;
        let mut text = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_digit() || *c == '.' || (*c == '-' && self.pos == start))
        {
            text.push(c);
            self.pos += 1;
        }
        text.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Literal::Number)
            .ok_or_else(|| self.unexpected_at(start, "a number"))
    }
}

impl Query {
    /// Field names the query uses (without metadata), to check against a resource's.
    pub fn plain_fields(&self) -> impl Iterator<Item = &str> {
        self.clauses.iter().filter_map(|c| match &c.field {
            Field::Plain(n) => Some(n.as_str()),
            Field::Metadata(_) => None,
        })
    }

    pub fn matches(&self, object: &Value) -> bool {
        let mut results = self.clauses.iter().map(|c| c.matches(object));
        match self.join {
            Join::And => results.all(|r| r),
            Join::Or => results.any(|r| r),
        }
    }
}

impl Clause {
    fn matches(&self, object: &Value) -> bool {
        let found = match &self.field {
            Field::Plain(name) => object.get(name),
            Field::Metadata(key) => object.get("metadata").and_then(|m| m.get(key)),
        };
        let found = found.filter(|v| !v.is_null());
        let hit = match (&self.value, found) {
            (Literal::Null, found) => found.is_none(),
            (_, None) => false,
            (Literal::Text(want), Some(have)) => {
                let have = text_of(have).to_lowercase();
                let want = want.to_lowercase();
                match self.op {
                    Op::Contains => have.contains(&want),
                    _ => have == want,
                }
            }
            (Literal::Number(want), Some(have)) => {
                let Some(have) = have.as_f64().or_else(|| text_of(have).parse().ok()) else {
                    return self.negated;
                };
                match self.op {
                    Op::Eq | Op::Contains => have == *want,
                    Op::Gt => have > *want,
                    Op::Lt => have < *want,
                    Op::Ge => have >= *want,
                    Op::Le => have <= *want,
                }
            }
        };
        hit != self.negated
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn parses_the_documented_forms() {
        let q = parse(r#"email:"a@b.com" AND metadata["erp_id"]:'C-1' AND -name~"acme" AND created>=1700000000"#)
            .unwrap();
        assert_eq!(q.clauses.len(), 4);
        assert_eq!(q.clauses[1].field, Field::Metadata("erp_id".into()));
        assert!(q.clauses[2].negated);
        assert_eq!(q.clauses[3].op, Op::Ge);
        assert_eq!(q.clauses[3].value, Literal::Number(1_700_000_000.0));
    }

    #[test]
    fn rejects_bad_queries() {
        assert_eq!(
            parse("a:\"1\" AND b:\"2\" OR c:\"3\""),
            Err(QueryError::MixedJoins)
        );
        let eleven = ["a:\"1\""; 11].join(" OR ");
        assert_eq!(parse(&eleven), Err(QueryError::TooManyClauses));
        assert!(parse(&["a:\"1\""; 10].join(" OR ")).is_ok());
        assert_eq!(parse("name~\"ab\""), Err(QueryError::ShortSubstring));
        assert!(matches!(
            parse("email:\"x"),
            Err(QueryError::Unterminated(6))
        ));
        assert!(parse("email:\"x\" and name:\"y\"").is_err());
        assert!(parse("email \"x\"").is_err());
        assert_eq!(parse("   "), Err(QueryError::Empty));
        assert_eq!(
            parse("name>\"b\""),
            Err(QueryError::NotNumeric("name".into()))
        );
    }

    #[test]
    fn matches_objects() {
        let c = json!({"email": "Ann@Example.com", "name": "Acme Ltd", "created": 100,
                       "phone": null, "metadata": {"erp_id": "C-1"}});
        let hit = |q: &str| parse(q).unwrap().matches(&c);
        assert!(hit(r#"email:"ann@example.com""#));
        assert!(hit(r#"name~"acme""#));
        assert!(hit(r#"metadata["erp_id"]:"C-1""#));
        assert!(!hit(r#"metadata["erp_id"]:"C-2""#));
        assert!(hit("created>99 AND created<=100"));
        assert!(!hit("created>100"));
        assert!(hit("phone:null"));
        assert!(hit("-email:null"));
        assert!(hit(r#"name:"nobody" OR -name:"nobody""#));
    }

    proptest! {
        #[test]
        fn never_panics(input in "\\PC{0,60}") {
            let _ = parse(&input);
        }

        #[test]
        fn never_panics_on_query_like_input(input in "[-a-z\"'\\[\\]:~<>= ANDOR0-9.\\\\]{0,60}") {
            if let Ok(q) = parse(&input) {
                let _ = q.matches(&json!({"a": "x", "created": 5}));
            }
        }
    }
}
