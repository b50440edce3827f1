//! Expressions to compiled nodes: names resolved to slots (lets, lookups, parameters), calls to
//! direct function references with arguments in parameter order and defaults filled in.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::check::Type;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::functions::{Registry, default_value};
use crate::syntax::ast::{Argument, BinaryOp, Expr, ExprKind, Ident, TemplatePart, UnaryOp};

use super::Value;
use super::program::{Arg, BuiltinCall, Closure, Node, NodeKind, TemplatePiece};

/// What names mean where an expression is compiled.
pub(crate) struct Compiler<'a> {
    pub functions: &'a Registry,
    /// User functions, by name: index and parameter names.
    pub user: &'a IndexMap<String, Vec<String>>,
    /// Lookup tables visible here, by name.
    pub tables: &'a IndexMap<String, usize>,
    /// Pipeline lets (all of them; only the first `visible_lets` may be used).
    pub lets: &'a [String],
    pub visible_lets: usize,
    /// Function and closure parameters in scope, innermost last.
    pub locals: Vec<String>,
}

type Compiled = Result<Node, Diagnostic>;

impl<'a> Compiler<'a> {
    pub(crate) fn expr(&mut self, expr: &Expr) -> Compiled {
        let span = expr.span;
        let kind = match &expr.kind {
            ExprKind::Null => NodeKind::Const(Value::Null),
            ExprKind::Bool(b) => NodeKind::Const(Value::Bool(*b)),
            ExprKind::Int(i) => NodeKind::Const(Value::Int(*i)),
            ExprKind::Decimal(d) => NodeKind::Const(Value::Decimal(*d)),
            ExprKind::String(s) => NodeKind::Const(Value::string(s.as_str())),
            ExprKind::Duration(d) => NodeKind::Const(Value::Duration(
                jiff::SignedDuration::from_secs(d.seconds()),
            )),
            ExprKind::Omit => NodeKind::Const(Value::Omit),
            ExprKind::Record => NodeKind::Record,
            ExprKind::Template(parts) => {
                let mut pieces = Vec::with_capacity(parts.len());
                for part in parts {
                    pieces.push(match part {
                        TemplatePart::Literal(text) => TemplatePiece::Text(text.clone()),
                        TemplatePart::Expr(e) => TemplatePiece::Value(self.expr(e)?),
                    });
                }
                NodeKind::Template(pieces)
            }
            ExprKind::Field {
                base,
                name,
                optional,
            } => NodeKind::Field {
                base: Box::new(self.expr(base)?),
                name: Arc::from(name.name.as_str()),
                optional: *optional,
            },
            ExprKind::Index {
                base,
                index,
                optional,
            } => {
                if let ExprKind::Var(name) = &base.kind
                    && !self.shadows_table(&name.name)
                    && let Some(&table) = self.tables.get(&name.name)
                {
                    NodeKind::LookupRead {
                        table,
                        key: Box::new(self.expr(index)?),
                    }
                } else {
                    NodeKind::Index {
                        base: Box::new(self.expr(base)?),
                        index: Box::new(self.expr(index)?),
                        optional: *optional,
                    }
                }
            }
            ExprKind::Var(name) => self.var(name)?,
            ExprKind::List(items) => {
                let items = items
                    .iter()
                    .map(|e| self.expr(e))
                    .collect::<Result<Vec<_>, _>>()?;
                constant_list(&items).unwrap_or(NodeKind::List(items))
            }
            ExprKind::Object(entries) => {
                let mut fields = Vec::with_capacity(entries.len());
                for entry in entries {
                    fields.push((entry.key.value.clone(), self.expr(&entry.value)?));
                }
                NodeKind::Object(fields)
            }
            ExprKind::Unary { op, operand } => {
                let operand = Box::new(self.expr(operand)?);
                match op {
                    UnaryOp::Neg => match operand.kind {
                        NodeKind::Const(Value::Int(i)) if i != i64::MIN => {
                            NodeKind::Const(Value::Int(-i))
                        }
                        NodeKind::Const(Value::Decimal(d)) => NodeKind::Const(Value::Decimal(-d)),
                        _ => NodeKind::Neg(operand),
                    },
                    UnaryOp::Not => NodeKind::Not(operand),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let lhs = Box::new(self.expr(lhs)?);
                let rhs = Box::new(self.expr(rhs)?);
                match op {
                    BinaryOp::And => NodeKind::And(lhs, rhs),
                    BinaryOp::Or => NodeKind::Or(lhs, rhs),
                    BinaryOp::Coalesce => NodeKind::Coalesce(lhs, rhs),
                    op => NodeKind::Binary { op: *op, lhs, rhs },
                }
            }
            ExprKind::Assert(inner) => NodeKind::Assert(Box::new(self.expr(inner)?)),
            ExprKind::If {
                condition,
                then_branch,
                else_branch,
            } => NodeKind::If {
                condition: Box::new(self.expr(condition)?),
                then_branch: Box::new(self.expr(then_branch)?),
                else_branch: Box::new(self.expr(else_branch)?),
            },
            ExprKind::Match { subject, arms } => {
                let subject = Box::new(self.expr(subject)?);
                let mut compiled = Vec::new();
                let mut otherwise = None;
                for arm in arms {
                    let body = self.expr(&arm.body)?;
                    if arm.is_wildcard() {
                        // Arms after `_` can never be chosen.
                        otherwise.get_or_insert(Box::new(body));
                        continue;
                    }
                    let mut patterns = Vec::with_capacity(arm.patterns.len());
                    for pattern in &arm.patterns {
                        match self.expr(pattern)?.kind {
                            NodeKind::Const(value) => patterns.push(value),
                            _ => {
                                return Err(Diagnostic::new(
                                    Code::TypeMismatch,
                                    pattern.span,
                                    "a match pattern must be a literal",
                                )
                                .with_label("not a literal"));
                            }
                        }
                    }
                    if otherwise.is_none() {
                        compiled.push((patterns, body));
                    }
                }
                NodeKind::Match {
                    subject,
                    arms: compiled,
                    otherwise,
                }
            }
            ExprKind::Call { function, args } => self.call(span, function, args)?,
            ExprKind::Closure { .. } => {
                return Err(Diagnostic::new(
                    Code::NotCallable,
                    span,
                    "a closure can only be an argument of a function that takes one",
                )
                .with_label("closure here"));
            }
        };
        Ok(Node { kind, span })
    }

    /// A local or let of the same name hides a lookup table.
    fn shadows_table(&self, name: &str) -> bool {
        self.locals.iter().any(|l| l == name)
            || self.lets[..self.visible_lets].iter().any(|l| l == name)
    }

    fn var(&self, name: &Ident) -> Result<NodeKind, Diagnostic> {
        if let Some(position) = self.locals.iter().rposition(|l| *l == name.name) {
            return Ok(NodeKind::Local(position));
        }
        if let Some(position) = self.lets[..self.visible_lets]
            .iter()
            .position(|l| *l == name.name)
        {
            return Ok(NodeKind::Let(position));
        }
        if let Some(&table) = self.tables.get(&name.name) {
            return Ok(NodeKind::Table(table));
        }
        Err(Diagnostic::new(
            Code::UnknownName,
            name.span,
            format!("unknown name `{}`", name.name),
        )
        .with_label("not defined"))
    }

    fn call(
        &mut self,
        span: Span,
        function: &Ident,
        args: &[Argument],
    ) -> Result<NodeKind, Diagnostic> {
        let name = function.name.as_str();
        if let Some((index, _, params)) = self.user.get_full(name) {
            let params = params.clone();
            let slots = bind(span, name, &params, false, args)?;
            let mut values = Vec::with_capacity(slots.len());
            for slot in slots {
                match slot.first() {
                    Some(arg) => values.push(self.expr(&arg.value)?),
                    None => values.push(Node {
                        kind: NodeKind::Const(Value::Null),
                        span,
                    }),
                }
            }
            return Ok(NodeKind::User {
                function: index,
                args: values,
            });
        }
        let Some(spec) = self.functions.get(name) else {
            return Err(Diagnostic::new(
                Code::UnknownFunction,
                function.span,
                format!("unknown function `{name}`"),
            )
            .with_label("no such function"));
        };
        let signature = &spec.signature;
        let names: Vec<String> = signature
            .params
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        let slots = bind(span, name, &names, signature.variadic, args)?;
        let mut compiled = Vec::with_capacity(slots.len());
        let mut closure = None;
        for (index, (param, slot)) in signature.params.iter().zip(&slots).enumerate() {
            if param.ty == Type::Closure {
                let Some(arg) = slot.first() else {
                    return Err(missing(span, name, param.name));
                };
                closure = Some(self.closure(name, param.name, &arg.value)?);
                compiled.push(Arg::ClosureSlot);
                continue;
            }
            let last_variadic = signature.variadic && index + 1 == signature.params.len();
            if slot.is_empty() {
                if !last_variadic {
                    compiled.push(Arg::Default(default_value(param)));
                }
                continue;
            }
            for arg in slot {
                let node = match dotted_name(&arg.value) {
                    Some(dotted) if name == "xref" && index == 0 => Node {
                        kind: NodeKind::Const(Value::string(dotted)),
                        span: arg.value.span,
                    },
                    _ => self.expr(&arg.value)?,
                };
                compiled.push(Arg::Value(node));
            }
        }
        Ok(NodeKind::Builtin(Box::new(BuiltinCall {
            name: signature.name,
            call: spec.call,
            args: compiled,
            closure,
        })))
    }

    fn closure(&mut self, function: &str, param: &str, expr: &Expr) -> Result<Closure, Diagnostic> {
        let ExprKind::Closure { params, body } = &expr.kind else {
            return Err(Diagnostic::new(
                Code::NotCallable,
                expr.span,
                format!("`{param}` of `{function}` takes a closure such as `|x| x.id`"),
            )
            .with_label("not a closure"));
        };
        let depth = self.locals.len();
        self.locals.extend(params.iter().map(|p| p.name.clone()));
        let body = self.expr(body);
        self.locals.truncate(depth);
        Ok(Closure {
            depth,
            params: params.len(),
            body: Box::new(body?),
        })
    }
}

/// A list of constants is itself a constant.
fn constant_list(items: &[Node]) -> Option<NodeKind> {
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        match &item.kind {
            NodeKind::Const(v) => values.push(v.clone()),
            _ => return None,
        }
    }
    Some(NodeKind::Const(Value::list(values)))
}

/// `stripe.customers` written as a bare dotted name (the first argument of `xref`).
fn dotted_name(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Var(name) => Some(name.name.clone()),
        ExprKind::Field {
            base,
            name,
            optional: false,
        } => dotted_name(base).map(|b| format!("{b}.{}", name.name)),
        _ => None,
    }
}

fn missing(span: Span, function: &str, param: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MissingArgument,
        span,
        format!("`{function}` needs the argument `{param}`"),
    )
    .with_label(format!("`{param}` missing"))
}

/// Assigns arguments to parameters (named ones by name, the others in order; a variadic last
/// parameter takes every remaining positional argument).
fn bind<'e>(
    span: Span,
    function: &str,
    params: &[String],
    variadic: bool,
    args: &'e [Argument],
) -> Result<Vec<Vec<&'e Argument>>, Diagnostic> {
    let mut slots: Vec<Vec<&Argument>> = params.iter().map(|_| Vec::new()).collect();
    let mut next = 0;
    for arg in args {
        let index = match &arg.name {
            Some(name) => params.iter().position(|p| *p == name.name).ok_or_else(|| {
                Diagnostic::new(
                    Code::UnknownArgument,
                    name.span,
                    format!("`{function}` has no parameter `{}`", name.name),
                )
                .with_label("unknown argument name")
            })?,
            None => {
                while next < slots.len()
                    && !slots[next].is_empty()
                    && !(variadic && next + 1 == slots.len())
                {
                    next += 1;
                }
                if next >= slots.len() {
                    return Err(Diagnostic::new(
                        Code::TooManyArguments,
                        arg.span,
                        format!("`{function}` takes {} argument(s)", params.len()),
                    )
                    .with_label("extra argument"));
                }
                next
            }
        };
        let repeatable = variadic && index + 1 == slots.len();
        if !slots[index].is_empty() && !repeatable {
            return Err(Diagnostic::new(
                Code::TooManyArguments,
                arg.span,
                format!(
                    "argument `{}` of `{function}` is given twice",
                    params[index]
                ),
            )
            .with_label("second time"));
        }
        slots[index].push(arg);
    }
    let _ = span;
    Ok(slots)
}
