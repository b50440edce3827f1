//! Expressions: precedence by pest's Pratt parser, literals, strings and templates.

use std::sync::LazyLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::ast::*;
use super::build::{Builder, Result};
use super::guard;
use super::literal;
use super::parser::Rule;
use crate::diagnostics::{Code, Diagnostic};

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::coalesce, Assoc::Right))
        .op(Op::infix(Rule::or, Assoc::Left))
        .op(Op::infix(Rule::and, Assoc::Left))
        .op(Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::ne, Assoc::Left)
            | Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left)
            | Op::infix(Rule::div, Assoc::Left)
            | Op::infix(Rule::rem, Assoc::Left))
        .op(Op::prefix(Rule::neg) | Op::prefix(Rule::not))
        .op(Op::postfix(Rule::field_access)
            | Op::postfix(Rule::optional_field)
            | Op::postfix(Rule::optional_index)
            | Op::postfix(Rule::index)
            | Op::postfix(Rule::assert))
});

impl Builder {
    pub fn expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let pairs = pair.into_inner();
        if pairs.len() > guard::MAX_OPERATORS {
            return Err(guard::too_deep(self.file, span.start as usize, "operators"));
        }
        self.refuse_chained_comparison(&pairs)?;
        self.climb(pairs)
    }

    /// Comparisons are non-associative: `a == b == c` is an error, not `(a == b) == c`. Two
    /// comparisons at the same level conflict unless `&&`, `||` or `??` separates them.
    fn refuse_chained_comparison(&self, pairs: &Pairs<Rule>) -> Result<()> {
        let mut previous: Option<Pair<Rule>> = None;
        for pair in pairs.clone() {
            match pair.as_rule() {
                Rule::eq | Rule::ne | Rule::lt | Rule::le | Rule::gt | Rule::ge => {
                    if let Some(first) = &previous {
                        return Err(Diagnostic::new(
                            Code::SyntaxError,
                            self.span(&pair),
                            format!(
                                "comparisons cannot be chained: `{}` follows `{}`",
                                pair.as_str(),
                                first.as_str()
                            ),
                        )
                        .with_label("second comparison")
                        .with_secondary(self.span(first), "first comparison")
                        .with_help("join comparisons with `&&`, or add parentheses"));
                    }
                    previous = Some(pair);
                }
                Rule::and | Rule::or | Rule::coalesce => previous = None,
                _ => {}
            }
        }
        Ok(())
    }

    fn climb(&self, pairs: Pairs<Rule>) -> Result<Expr> {
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let op_span = self.span(&op);
                let op = if op.as_rule() == Rule::neg {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Not
                };
                Ok(Expr {
                    span: op_span.to(rhs.span),
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(rhs),
                    },
                })
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                let span = lhs.span.to(self.span(&op));
                let kind = match op.as_rule() {
                    Rule::field_access | Rule::optional_field => {
                        let optional = op.as_rule() == Rule::optional_field;
                        let name = op.into_inner().next().map(|n| self.ident(n));
                        let name = name.ok_or_else(|| {
                            super::errors::internal(self.file, "field without a name")
                        })?;
                        ExprKind::Field {
                            base: Box::new(lhs),
                            name,
                            optional,
                        }
                    }
                    Rule::index | Rule::optional_index => {
                        let optional = op.as_rule() == Rule::optional_index;
                        let index = self.first_expr(op)?;
                        ExprKind::Index {
                            base: Box::new(lhs),
                            index: Box::new(index),
                            optional,
                        }
                    }
                    _ => ExprKind::Assert(Box::new(lhs)),
                };
                Ok(Expr { kind, span })
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let op = match op.as_rule() {
                    Rule::coalesce => BinaryOp::Coalesce,
                    Rule::or => BinaryOp::Or,
                    Rule::and => BinaryOp::And,
                    Rule::eq => BinaryOp::Eq,
                    Rule::ne => BinaryOp::Ne,
                    Rule::lt => BinaryOp::Lt,
                    Rule::le => BinaryOp::Le,
                    Rule::gt => BinaryOp::Gt,
                    Rule::ge => BinaryOp::Ge,
                    Rule::add => BinaryOp::Add,
                    Rule::sub => BinaryOp::Sub,
                    Rule::mul => BinaryOp::Mul,
                    Rule::div => BinaryOp::Div,
                    _ => BinaryOp::Rem,
                };
                Ok(Expr {
                    span: lhs.span.to(rhs.span),
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                })
            })
            .parse(pairs)
    }

    fn first_expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let inner = pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::expr)
            .ok_or_else(|| super::errors::internal(self.file, "missing expression"))?;
        self.expr(inner)
    }

    fn primary(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::null => ExprKind::Null,
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::omit => ExprKind::Omit,
            Rule::duration => {
                ExprKind::Duration(literal::duration(self.file, pair.as_str(), span)?)
            }
            Rule::decimal => ExprKind::Decimal(literal::decimal(pair.as_str(), span)?),
            Rule::integer => ExprKind::Int(literal::integer(pair.as_str(), span)?),
            Rule::string | Rule::unterminated_string => return self.string_expr(pair),
            Rule::if_expr => return self.if_expr(pair),
            Rule::match_expr => return self.match_expr(pair),
            Rule::closure => {
                let mut params = Vec::new();
                let mut body = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::ident => params.push(self.ident(p)),
                        Rule::expr => body = Some(self.expr(p)?),
                        _ => {}
                    }
                }
                let body = body
                    .ok_or_else(|| super::errors::internal(self.file, "closure without a body"))?;
                ExprKind::Closure {
                    params,
                    body: Box::new(body),
                }
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let function = inner.next().map(|p| self.ident(p));
                let function = function
                    .ok_or_else(|| super::errors::internal(self.file, "call without a name"))?;
                let mut args = Vec::new();
                for arg in inner {
                    let span = self.span(&arg);
                    let mut name = None;
                    let mut value = None;
                    for part in arg.into_inner() {
                        match part.as_rule() {
                            Rule::argument_name => {
                                name = part.into_inner().next().map(|n| self.ident(n))
                            }
                            Rule::expr => value = Some(self.expr(part)?),
                            _ => {}
                        }
                    }
                    if let Some(value) = value {
                        args.push(Argument { name, value, span });
                    }
                }
                ExprKind::Call { function, args }
            }
            Rule::object => {
                let mut entries = Vec::new();
                for entry in pair.into_inner() {
                    let span = self.span(&entry);
                    let mut inner = entry.into_inner();
                    let (Some(k), Some(v)) = (inner.next(), inner.next()) else {
                        continue;
                    };
                    let key = match k.as_rule() {
                        Rule::name => StringLit {
                            value: k.as_str().to_string(),
                            span: self.span(&k),
                        },
                        _ => self.string_lit(k)?,
                    };
                    entries.push(ObjectEntry {
                        key,
                        value: self.expr(v)?,
                        span,
                    });
                }
                ExprKind::Object(entries)
            }
            Rule::list => {
                let items: Result<Vec<Expr>> = pair.into_inner().map(|p| self.expr(p)).collect();
                ExprKind::List(items?)
            }
            Rule::paren => {
                let inner = self.first_expr(pair)?;
                return Ok(Expr {
                    kind: inner.kind,
                    span,
                });
            }
            Rule::record_field => {
                let name = pair.into_inner().next().map(|n| self.ident(n));
                let name =
                    name.ok_or_else(|| super::errors::internal(self.file, "field without a name"))?;
                let dot = crate::diagnostics::Span {
                    end: span.start + 1,
                    ..span
                };
                ExprKind::Field {
                    base: Box::new(Expr {
                        kind: ExprKind::Record,
                        span: dot,
                    }),
                    name,
                    optional: false,
                }
            }
            Rule::record_index => {
                let dot = crate::diagnostics::Span {
                    end: span.start + 1,
                    ..span
                };
                let index = self.first_expr(pair)?;
                ExprKind::Index {
                    base: Box::new(Expr {
                        kind: ExprKind::Record,
                        span: dot,
                    }),
                    index: Box::new(index),
                    optional: false,
                }
            }
            Rule::record => ExprKind::Record,
            Rule::variable => {
                let ident = pair.into_inner().next().map(|n| self.ident(n));
                ExprKind::Var(
                    ident.ok_or_else(|| super::errors::internal(self.file, "empty name"))?,
                )
            }
            other => {
                return Err(super::errors::internal(
                    self.file,
                    &format!("unexpected {other:?}"),
                ));
            }
        };
        Ok(Expr { kind, span })
    }

    fn if_expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let mut condition = None;
        let mut then_branch = None;
        let mut else_branch = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::expr => condition = Some(self.expr(p)?),
                Rule::block if then_branch.is_none() => then_branch = Some(self.first_expr(p)?),
                Rule::block => else_branch = Some(self.first_expr(p)?),
                Rule::if_expr => else_branch = Some(self.if_expr(p)?),
                _ => {}
            }
        }
        let (Some(condition), Some(then_branch)) = (condition, then_branch) else {
            return Err(super::errors::internal(self.file, "incomplete `if`"));
        };
        let else_branch = else_branch.unwrap_or(Expr {
            kind: ExprKind::Null,
            span,
        });
        Ok(Expr {
            kind: ExprKind::If {
                condition: Box::new(condition),
                then_branch: Box::new(then_branch),
                else_branch: Box::new(else_branch),
            },
            span,
        })
    }

    fn match_expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let mut subject = None;
        let mut arms = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::expr => subject = Some(self.expr(p)?),
                Rule::match_arm => {
                    let arm_span = self.span(&p);
                    let mut patterns = Vec::new();
                    let mut body = None;
                    for part in p.into_inner() {
                        match part.as_rule() {
                            Rule::match_patterns => {
                                for pattern in part.into_inner() {
                                    if pattern.as_rule() == Rule::pattern {
                                        patterns.push(self.pattern(pattern)?);
                                    }
                                }
                            }
                            Rule::expr => body = Some(self.expr(part)?),
                            _ => {}
                        }
                    }
                    if let Some(body) = body {
                        arms.push(MatchArm {
                            patterns,
                            body,
                            span: arm_span,
                        });
                    }
                }
                _ => {}
            }
        }
        let subject = subject
            .ok_or_else(|| super::errors::internal(self.file, "`match` without a subject"))?;
        Ok(Expr {
            kind: ExprKind::Match {
                subject: Box::new(subject),
                arms,
            },
            span,
        })
    }

    fn pattern(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let mut negative = false;
        let mut value = None;
        for p in pair.into_inner() {
            if p.as_rule() == Rule::neg {
                negative = true;
            } else {
                value = Some(self.primary(p)?);
            }
        }
        let value = value.ok_or_else(|| super::errors::internal(self.file, "empty pattern"))?;
        Ok(if negative {
            Expr {
                kind: ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand: Box::new(value),
                },
                span,
            }
        } else {
            value
        })
    }

    /// A string literal: plain text, or a template when it has `${...}`.
    pub fn string_expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        if pair.as_rule() == Rule::unterminated_string {
            return Err(Diagnostic::new(
                Code::UnterminatedString,
                span,
                "this string is never closed",
            )
            .with_label("the string starts here and runs to the end of the line")
            .with_help("add the closing `\"`; a string cannot span lines (use `\\n`)"));
        }
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut text = String::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::text => text.push_str(part.as_str()),
                Rule::escape => text.push(literal::escape(part.as_str(), self.span(&part))?),
                Rule::interpolation => {
                    if !text.is_empty() {
                        parts.push(TemplatePart::Literal(std::mem::take(&mut text)));
                    }
                    parts.push(TemplatePart::Expr(self.first_expr(part)?));
                }
                _ => {}
            }
        }
        if parts.is_empty() {
            return Ok(Expr {
                kind: ExprKind::String(text),
                span,
            });
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Literal(text));
        }
        Ok(Expr {
            kind: ExprKind::Template(parts),
            span,
        })
    }
}
