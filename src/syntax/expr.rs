//! pest pairs to expressions. Operators are applied with an explicit operand/operator stack
//! (shunting-yard), prefix and postfix runs with loops, so long chains such as `a ?? b ?? ...`
//! or `!!!!x` never recurse. Every built node's depth is tracked and capped, so later passes
//! (checker, evaluator, even `Drop`) can recurse over the tree safely.

use pest::iterators::Pair;

use super::ast::*;
use super::grammar::Rule;
use super::literal;
use super::parser::{Builder, Result, children};
use crate::diagnostics::{Code, Diagnostic, Span};

/// Deepest expression tree accepted.
pub const MAX_EXPR_DEPTH: usize = 512;

/// An expression with the height of its tree.
struct Built {
    expr: Expr,
    depth: usize,
}

fn binary_op(text: &str) -> Option<BinaryOp> {
    Some(match text {
        "??" => BinaryOp::Coalesce,
        "||" => BinaryOp::Or,
        "&&" => BinaryOp::And,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::Ne,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::Le,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::Ge,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "%" => BinaryOp::Rem,
        _ => return None,
    })
}

fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Coalesce => 1,
        BinaryOp::Or => 2,
        BinaryOp::And => 3,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            4
        }
        BinaryOp::Add | BinaryOp::Sub => 5,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 6,
    }
}

const COMPARISON: u8 = 4;

impl Builder {
    /// Builds an `expr` pair.
    pub fn expr(&mut self, pair: Pair<'_, Rule>) -> Result<Expr> {
        Ok(self.built_expr(pair)?.expr)
    }

    fn built_expr(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        self.depth += 1;
        let result = if self.depth > MAX_EXPR_DEPTH {
            Err(self.too_deep(self.span(&pair)))
        } else {
            self.binary_chain(pair)
        };
        self.depth -= 1;
        result
    }

    fn too_deep(&self, span: Span) -> Diagnostic {
        Diagnostic::new(
            Code::NestingTooDeep,
            span,
            format!("expression is nested more than {MAX_EXPR_DEPTH} levels deep"),
        )
        .with_label("too deep")
        .with_help("split the expression with `let` bindings or helper `fn`s")
    }

    /// Wraps `kind` as a node one level above its deepest child.
    fn node(&self, kind: ExprKind, span: Span, child_depth: usize) -> Result<Built> {
        let depth = child_depth + 1;
        if depth > MAX_EXPR_DEPTH {
            return Err(self.too_deep(span));
        }
        Ok(Built {
            expr: Expr { kind, span },
            depth,
        })
    }

    fn leaf(&self, kind: ExprKind, span: Span) -> Built {
        Built {
            expr: Expr { kind, span },
            depth: 1,
        }
    }

    /// `operand (op operand)*` with precedence applied by an operator stack.
    fn binary_chain(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let mut operands: Vec<Built> = Vec::new();
        let mut operators: Vec<(BinaryOp, Span)> = Vec::new();
        for child in pair.into_inner() {
            if child.as_rule() != Rule::infix_op {
                operands.push(self.operand(child)?);
                continue;
            }
            let span = self.span(&child);
            let op = binary_op(child.as_str()).ok_or_else(|| self.unexpected(&child))?;
            while let Some(&(top, top_span)) = operators.last() {
                let (top_prec, prec) = (precedence(top), precedence(op));
                if top_prec == COMPARISON && prec == COMPARISON {
                    return Err(Diagnostic::new(
                        Code::SyntaxError,
                        span,
                        format!(
                            "comparisons cannot be chained: `{}` follows `{}`",
                            op.symbol(),
                            top.symbol()
                        ),
                    )
                    .with_label("second comparison")
                    .with_secondary(top_span, "first comparison")
                    .with_help("combine comparisons with `&&`, or add parentheses"));
                }
                let right_assoc = op == BinaryOp::Coalesce;
                if top_prec > prec || (top_prec == prec && !right_assoc) {
                    self.reduce(&mut operands, &mut operators)?;
                } else {
                    break;
                }
            }
            operators.push((op, span));
        }
        while !operators.is_empty() {
            self.reduce(&mut operands, &mut operators)?;
        }
        match (operands.pop(), operands.is_empty()) {
            (Some(built), true) => Ok(built),
            _ => Err(Diagnostic::new(
                Code::SyntaxError,
                Span::new(self.file, 0, 0),
                "internal parser error: unbalanced expression",
            )),
        }
    }

    fn reduce(
        &self,
        operands: &mut Vec<Built>,
        operators: &mut Vec<(BinaryOp, Span)>,
    ) -> Result<()> {
        let (Some((op, op_span)), Some(rhs), Some(lhs)) =
            (operators.pop(), operands.pop(), operands.pop())
        else {
            return Err(Diagnostic::new(
                Code::SyntaxError,
                Span::new(self.file, 0, 0),
                "internal parser error: missing operand",
            ));
        };
        let span = lhs.expr.span.to(rhs.expr.span);
        let depth = lhs.depth.max(rhs.depth);
        let kind = ExprKind::Binary {
            op,
            lhs: Box::new(lhs.expr),
            rhs: Box::new(rhs.expr),
        };
        let _ = op_span;
        operands.push(self.node(kind, span, depth)?);
        Ok(())
    }

    /// `prefix* primary postfix*`: postfix binds tighter, so `-x.y!` is `-((x.y)!)`.
    fn operand(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let mut prefixes: Vec<Pair<'_, Rule>> = Vec::new();
        let mut current: Option<Built> = None;
        let mut has_postfix = false;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::prefix_op => prefixes.push(child),
                Rule::field_access
                | Rule::opt_field
                | Rule::index_access
                | Rule::opt_index
                | Rule::assert_op => {
                    has_postfix = true;
                    let base = current.take().ok_or_else(|| self.unexpected(&child))?;
                    current = Some(self.postfix(base, child)?);
                }
                _ => {
                    // `-5` is the literal -5, so `-9223372036854775808` fits in an int.
                    let negate = child.as_rule() == Rule::number
                        && prefixes.last().is_some_and(|p| p.as_str() == "-");
                    current = Some(if negate {
                        let minus = prefixes.pop().map(|p| self.span(&p));
                        let span = minus.map_or(self.span(&child), |m| m.to(self.span(&child)));
                        let kind = literal::number(child.as_str(), span, true)?;
                        if matches!(kind, ExprKind::Duration(_)) {
                            // Keep `-5m` as negation: a duration literal is never negative.
                            let inner = self.primary(child)?;
                            self.node(
                                ExprKind::Unary {
                                    op: UnaryOp::Neg,
                                    operand: Box::new(inner.expr),
                                },
                                span,
                                1,
                            )?
                        } else {
                            self.leaf(kind, span)
                        }
                    } else {
                        self.primary(child)?
                    });
                }
            }
        }
        let _ = has_postfix;
        let mut built = current.ok_or_else(|| {
            Diagnostic::new(
                Code::SyntaxError,
                Span::new(self.file, 0, 0),
                "internal parser error: operand without a value",
            )
        })?;
        while let Some(prefix) = prefixes.pop() {
            let span = self.span(&prefix).to(built.expr.span);
            let op = if prefix.as_str() == "-" {
                UnaryOp::Neg
            } else {
                UnaryOp::Not
            };
            let kind = ExprKind::Unary {
                op,
                operand: Box::new(built.expr),
            };
            built = self.node(kind, span, built.depth)?;
        }
        Ok(built)
    }

    fn postfix(&mut self, base: Built, pair: Pair<'_, Rule>) -> Result<Built> {
        let span = base.expr.span.to(self.span(&pair));
        let rule = pair.as_rule();
        let mut depth = base.depth;
        let base = Box::new(base.expr);
        let kind = match rule {
            Rule::assert_op => ExprKind::Assert(base),
            Rule::field_access | Rule::opt_field => {
                let name = children(pair)
                    .next()
                    .map(|p| self.ident(&p))
                    .ok_or_else(|| Diagnostic::new(Code::SyntaxError, span, "expected a name"))?;
                ExprKind::Field {
                    base,
                    name,
                    optional: rule == Rule::opt_field,
                }
            }
            _ => {
                let index_pair = children(pair)
                    .next()
                    .ok_or_else(|| Diagnostic::new(Code::SyntaxError, span, "expected an index"))?;
                let index = self.built_expr(index_pair)?;
                depth = depth.max(index.depth);
                ExprKind::Index {
                    base,
                    index: Box::new(index.expr),
                    optional: rule == Rule::opt_index,
                }
            }
        };
        self.node(kind, span, depth)
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::keyword_literal => {
                let kind = match pair.as_str() {
                    "null" => ExprKind::Null,
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "omit" => ExprKind::Omit,
                    _ => return Err(self.unexpected(&pair)),
                };
                Ok(self.leaf(kind, span))
            }
            Rule::number => Ok(self.leaf(literal::number(pair.as_str(), span, false)?, span)),
            Rule::string => self.string(pair),
            Rule::record_root => Ok(self.leaf(ExprKind::Record, span)),
            Rule::record_field => {
                let record = self.record_at(span);
                let name = children(pair)
                    .next()
                    .map(|p| self.ident(&p))
                    .ok_or_else(|| self.unexpected_span(span))?;
                let kind = ExprKind::Field {
                    base: Box::new(record),
                    name,
                    optional: false,
                };
                self.node(kind, span, 1)
            }
            Rule::record_index => {
                let record = self.record_at(span);
                let index_pair = children(pair)
                    .next()
                    .ok_or_else(|| self.unexpected_span(span))?;
                let index = self.built_expr(index_pair)?;
                let kind = ExprKind::Index {
                    base: Box::new(record),
                    index: Box::new(index.expr),
                    optional: false,
                };
                self.node(kind, span, index.depth)
            }
            Rule::variable => {
                let ident = children(pair)
                    .next()
                    .ok_or_else(|| self.unexpected_span(span))?;
                Ok(self.leaf(ExprKind::Var(self.ident(&ident)), span))
            }
            Rule::paren => {
                let inner = children(pair)
                    .next()
                    .ok_or_else(|| self.unexpected_span(span))?;
                let mut built = self.built_expr(inner)?;
                built.expr.span = span;
                Ok(built)
            }
            Rule::list => {
                let mut items = Vec::new();
                let mut depth = 0;
                for item in children(pair) {
                    let built = self.built_expr(item)?;
                    depth = depth.max(built.depth);
                    items.push(built.expr);
                }
                self.node(ExprKind::List(items), span, depth)
            }
            Rule::object => self.object(pair),
            Rule::call => self.call(pair),
            Rule::if_expr => self.if_expr(pair),
            Rule::match_expr => self.match_expr(pair),
            _ => Err(self.unexpected(&pair)),
        }
    }

    /// The implicit record of `.name` and `.[key]`: the span of the leading `.`.
    fn record_at(&self, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Record,
            span: Span {
                end: span.start + 1,
                ..span
            },
        }
    }

    fn unexpected_span(&self, span: Span) -> Diagnostic {
        Diagnostic::new(Code::SyntaxError, span, "incomplete expression")
    }

    fn object(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        let mut depth = 0;
        for entry in children(pair) {
            let entry_span = self.span(&entry);
            let mut parts = children(entry);
            let key_pair = self.next(entry_span, &mut parts)?;
            let key = if key_pair.as_rule() == Rule::string {
                self.plain_string(key_pair)?
            } else {
                StringLit {
                    value: key_pair.as_str().to_string(),
                    span: self.span(&key_pair),
                }
            };
            let value = self.built_expr(self.next(entry_span, &mut parts)?)?;
            depth = depth.max(value.depth);
            entries.push(ObjectEntry {
                key,
                value: value.expr,
                span: entry_span,
            });
        }
        self.node(ExprKind::Object(entries), span, depth)
    }

    fn call(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let function = self.ident(&self.next(span, &mut inner)?);
        let mut args = Vec::new();
        let mut depth = 0;
        if let Some(arg_list) = inner.next() {
            for arg in children(arg_list) {
                let arg_span = self.span(&arg);
                let (name, value) = match arg.as_rule() {
                    Rule::named_arg => {
                        let mut parts = children(arg);
                        let name = self.ident(&self.next(arg_span, &mut parts)?);
                        (
                            Some(name),
                            self.built_expr(self.next(arg_span, &mut parts)?)?,
                        )
                    }
                    Rule::closure => (None, self.closure(arg)?),
                    _ => (None, self.built_expr(arg)?),
                };
                depth = depth.max(value.depth);
                args.push(Argument {
                    name,
                    value: value.expr,
                    span: arg_span,
                });
            }
        }
        self.node(ExprKind::Call { function, args }, span, depth)
    }

    fn closure(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let span = self.span(&pair);
        let mut params = Vec::new();
        let mut body = None;
        for child in children(pair) {
            match child.as_rule() {
                Rule::ident => params.push(self.ident(&child)),
                _ => body = Some(self.built_expr(child)?),
            }
        }
        let body = body.ok_or_else(|| self.unexpected_span(span))?;
        let depth = body.depth;
        let kind = ExprKind::Closure {
            params,
            body: Box::new(body.expr),
        };
        self.node(kind, span, depth)
    }

    /// `if c { a } else if d { b } else { e }`, folded from the last branch backwards.
    fn if_expr(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let span = self.span(&pair);
        let mut branches: Vec<(Built, Built, Span)> = Vec::new();
        let mut otherwise: Option<Built> = None;
        let mut inner = children(pair);
        let condition = self.built_expr(self.next(span, &mut inner)?)?;
        let block = self.block(self.next(span, &mut inner)?)?;
        branches.push((condition, block, span));
        for child in inner {
            let child_span = self.span(&child);
            match child.as_rule() {
                Rule::else_if => {
                    let mut parts = children(child);
                    let condition = self.built_expr(self.next(child_span, &mut parts)?)?;
                    let block = self.block(self.next(child_span, &mut parts)?)?;
                    branches.push((
                        condition,
                        block,
                        Span {
                            end: span.end,
                            ..child_span
                        },
                    ));
                }
                Rule::else_block => {
                    let mut parts = children(child);
                    otherwise = Some(self.block(self.next(child_span, &mut parts)?)?);
                }
                _ => return Err(self.unexpected(&child)),
            }
        }
        // Without `else`, the value is null; its span is the empty point after the `if`.
        let mut result = match otherwise {
            Some(built) => built,
            None => self.leaf(
                ExprKind::Null,
                Span {
                    start: span.end,
                    ..span
                },
            ),
        };
        while let Some((condition, then_branch, branch_span)) = branches.pop() {
            let depth = condition.depth.max(then_branch.depth).max(result.depth);
            let kind = ExprKind::If {
                condition: Box::new(condition.expr),
                then_branch: Box::new(then_branch.expr),
                else_branch: Box::new(result.expr),
            };
            result = self.node(kind, branch_span, depth)?;
        }
        Ok(result)
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let span = self.span(&pair);
        let inner = children(pair)
            .next()
            .ok_or_else(|| self.unexpected_span(span))?;
        self.built_expr(inner)
    }

    fn match_expr(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let subject = self.built_expr(self.next(span, &mut inner)?)?;
        let mut depth = subject.depth;
        let mut arms = Vec::new();
        for arm in inner {
            let arm_span = self.span(&arm);
            let mut parts = children(arm);
            let patterns_pair = self.next(arm_span, &mut parts)?;
            let mut patterns = Vec::new();
            for pattern in children(patterns_pair) {
                if pattern.as_rule() == Rule::pattern {
                    patterns.push(self.pattern(pattern)?);
                }
            }
            let body = self.built_expr(self.next(arm_span, &mut parts)?)?;
            depth = depth.max(body.depth);
            arms.push(MatchArm {
                patterns,
                body: body.expr,
                span: arm_span,
            });
        }
        let kind = ExprKind::Match {
            subject: Box::new(subject.expr),
            arms,
        };
        self.node(kind, span, depth)
    }

    /// A literal pattern, optionally negative: `"a"`, `2`, `-1`, `12.50`, `null`, `true`.
    fn pattern(&mut self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let mut negative = false;
        for child in children(pair) {
            match child.as_rule() {
                Rule::negative => negative = true,
                Rule::number => {
                    return Ok(Expr {
                        kind: literal::number(child.as_str(), span, negative)?,
                        span,
                    });
                }
                Rule::string => {
                    let text = self.plain_string(child)?;
                    return Ok(Expr {
                        kind: ExprKind::String(text.value),
                        span,
                    });
                }
                _ if negative => {
                    return Err(Diagnostic::new(
                        Code::SyntaxError,
                        span,
                        "only numbers can be negative in a match pattern",
                    )
                    .with_label("not a number"));
                }
                _ => return Ok(self.primary(child)?.expr),
            }
        }
        Err(self.unexpected_span(span))
    }

    /// A string with or without `${...}`: `String` or `Template`.
    fn string(&mut self, pair: Pair<'_, Rule>) -> Result<Built> {
        let span = self.span(&pair);
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut text = String::new();
        let mut depth = 0;
        let mut interpolated = false;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::string_text => text.push_str(child.as_str()),
                Rule::escape => text.push(literal::escape(child.as_str(), self.span(&child))?),
                Rule::interpolation => {
                    interpolated = true;
                    if !text.is_empty() {
                        parts.push(TemplatePart::Literal(std::mem::take(&mut text)));
                    }
                    let inner_span = self.span(&child);
                    let inner = children(child)
                        .next()
                        .ok_or_else(|| self.unexpected_span(inner_span))?;
                    let built = self.built_expr(inner)?;
                    depth = depth.max(built.depth);
                    parts.push(TemplatePart::Expr(built.expr));
                }
                _ => return Err(self.unexpected(&child)),
            }
        }
        if !interpolated {
            return Ok(self.leaf(ExprKind::String(text), span));
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Literal(text));
        }
        self.node(ExprKind::Template(parts), span, depth)
    }

    /// A string where `${...}` makes no sense: paths, names, keys.
    pub(super) fn plain_string(&mut self, pair: Pair<'_, Rule>) -> Result<StringLit> {
        let span = self.span(&pair);
        let built = self.string(pair)?;
        match built.expr.kind {
            ExprKind::String(value) => Ok(StringLit { value, span }),
            _ => Err(Diagnostic::new(
                Code::SyntaxError,
                span,
                "expected a plain string here, without `${...}`",
            )
            .with_label("interpolation is not allowed here")
            .with_help("write the text literally; use `\\$` for a dollar sign")),
        }
    }
}
