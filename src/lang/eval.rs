//! Evaluates compiled nodes against one record.

use std::sync::Arc;

use super::compile::CompiledPipeline;
use super::node::{ClosureNode, Node};
use super::ops;
use super::outcome::{Eval, Flow, RecordError, fail};
use crate::diagnostics::{Code, Span};
use crate::syntax::ast::UnaryOp;
use crate::value::{
    CallArgs, CallContext, FunctionError, Map, NoCrossReferences, NoRelated, Value,
};

/// User functions calling each other deeper than this fail the record instead of the stack.
const MAX_CALL_DEPTH: usize = 64;

pub(crate) struct Machine<'a> {
    pub program: &'a CompiledPipeline,
    pub record: &'a Value,
    pub lets: Vec<Option<Eval>>,
    pub stack: Vec<Value>,
    pub frame: usize,
    pub depth: usize,
    pub context: CallContext<'a>,
}

impl<'a> Machine<'a> {
    pub fn new(program: &'a CompiledPipeline, record: &'a Value, context: CallContext<'a>) -> Self {
        Machine {
            program,
            record,
            lets: vec![None; program.lets.len()],
            stack: Vec::new(),
            frame: 0,
            depth: 0,
            context,
        }
    }

    pub fn eval(&mut self, node: &Node) -> Eval {
        match node {
            Node::Const(value) => Ok(value.clone()),
            Node::Record => Ok(self.record.clone()),
            Node::Let(index) => {
                if let Some(Some(result)) = self.lets.get(*index) {
                    return result.clone();
                }
                // A `let` is computed the first time it is read, which may be inside a closure:
                // it gets a frame of its own above the closure's, so its own closures never
                // overwrite the closure parameters still in use.
                let (saved_frame, saved_len) = (self.frame, self.stack.len());
                self.frame = saved_len;
                let result = self.eval(&self.program.lets[*index]);
                self.stack.truncate(saved_len);
                self.frame = saved_frame;
                self.lets[*index] = Some(result.clone());
                result
            }
            Node::Local(slot) => Ok(self
                .stack
                .get(self.frame + slot)
                .cloned()
                .unwrap_or(Value::Null)),
            Node::Field {
                base,
                name,
                optional,
                span,
            } => {
                let base = self.eval(base)?;
                field(&base, name, *optional, *span)
            }
            Node::Index {
                base,
                index,
                optional,
                span,
            } => {
                let base = self.eval(base)?;
                let index = self.eval(index)?;
                ops::index(&base, &index, *optional, *span)
            }
            Node::LookupRead { table, key, span } => {
                let key = self.eval(key)?;
                let Some(text) = key_text(&key) else {
                    return Err(fail(
                        Code::LookupMissed,
                        *span,
                        format!("lookup key is {}", key.kind()),
                    ));
                };
                self.program.tables[*table]
                    .get(&text)
                    .cloned()
                    .ok_or_else(|| {
                        fail(
                            Code::LookupMissed,
                            *span,
                            format!("no lookup entry for `{text}`"),
                        )
                    })
            }
            Node::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.eval(item)?);
                }
                Ok(Value::list(values))
            }
            Node::Object(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, node) in entries {
                    map.insert(key.clone(), self.eval(node)?);
                }
                Ok(Value::object(map))
            }
            Node::Template(parts, span) => {
                let mut text = String::new();
                for part in parts {
                    let value = self.eval(part)?;
                    match crate::functions::text_form(&value) {
                        Some(piece) => text.push_str(&piece),
                        None if matches!(value, Value::Null) => {}
                        None => {
                            return Err(fail(
                                Code::MissingFieldAtRuntime,
                                *span,
                                "a value in this template is missing",
                            ));
                        }
                    }
                }
                Ok(Value::string(text))
            }
            Node::Unary { op, operand, span } => {
                let value = self.eval(operand)?;
                match op {
                    UnaryOp::Not => match value {
                        Value::Bool(b) => Ok(Value::Bool(!b)),
                        other => Err(fail(
                            Code::RuntimeType,
                            *span,
                            format!("`!` needs a bool, got {}", other.kind()),
                        )),
                    },
                    UnaryOp::Neg => ops::negate(&value, *span),
                }
            }
            Node::Binary { op, lhs, rhs, span } => {
                use crate::syntax::ast::BinaryOp::{And, Or};
                let left = self.eval(lhs)?;
                if matches!(op, And | Or) {
                    let Value::Bool(l) = left else {
                        return Err(fail(
                            Code::RuntimeType,
                            *span,
                            format!("`{}` needs bools, got {}", op.symbol(), left.kind()),
                        ));
                    };
                    if (*op == And && !l) || (*op == Or && l) {
                        return Ok(Value::Bool(l));
                    }
                    return match self.eval(rhs)? {
                        Value::Bool(r) => Ok(Value::Bool(r)),
                        other => Err(fail(
                            Code::RuntimeType,
                            *span,
                            format!("`{}` needs bools, got {}", op.symbol(), other.kind()),
                        )),
                    };
                }
                let right = self.eval(rhs)?;
                ops::binary(*op, &left, &right, *span)
            }
            Node::Coalesce { lhs, rhs } => match self.eval(lhs) {
                Ok(value) if !value.is_nothing() => Ok(value),
                Ok(_) | Err(Flow::Fail(_)) => self.eval(rhs),
                Err(other) => Err(other),
            },
            Node::Assert { inner, span } => match self.eval(inner) {
                Ok(value) if !value.is_nothing() => Ok(value),
                Ok(value) => Err(Flow::Abort(RecordError::new(
                    Code::RecordFailed,
                    *span,
                    format!("asserted a value with `!`, but it is {}", value.kind()),
                ))),
                Err(Flow::Fail(error)) => Err(Flow::Abort(error)),
                Err(other) => Err(other),
            },
            Node::If {
                condition,
                then_branch,
                else_branch,
                span,
            } => match self.eval(condition)? {
                Value::Bool(true) => self.eval(then_branch),
                Value::Bool(false) | Value::Null | Value::Missing => self.eval(else_branch),
                other => Err(fail(
                    Code::RuntimeType,
                    *span,
                    format!("`if` needs a bool, got {}", other.kind()),
                )),
            },
            Node::Match {
                subject,
                arms,
                default,
                span,
            } => {
                let value = self.eval(subject)?;
                for (patterns, body) in arms {
                    if patterns.iter().any(|p| ops::equal(p, &value)) {
                        return self.eval(body);
                    }
                }
                match default {
                    Some(body) => self.eval(body),
                    None => Err(fail(
                        Code::RuntimeType,
                        *span,
                        format!("no match arm for {}", describe(&value)),
                    )),
                }
            }
            Node::Call {
                spec,
                args,
                closure,
                span,
            } => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(self.eval(arg)?);
                }
                let result = match closure {
                    None => {
                        let mut call = CallArgs {
                            values,
                            closure: None,
                            context: &self.context,
                        };
                        (spec.call)(&mut call)
                    }
                    Some(closure) => self.call_with_closure(spec.call, values, closure),
                };
                result.map_err(|e| match e {
                    FunctionError::Failed(message) => fail(Code::FunctionFailed, *span, message),
                    FunctionError::Skip(reason) => Flow::Skip(reason),
                    FunctionError::Fail(reason) => {
                        Flow::Abort(RecordError::new(Code::RecordFailed, *span, reason))
                    }
                    FunctionError::Fetch(request) => Flow::Fetch(request),
                })
            }
            Node::UserCall {
                function,
                args,
                span,
            } => {
                if self.depth >= MAX_CALL_DEPTH {
                    return Err(Flow::Abort(RecordError::new(
                        Code::CallTooDeep,
                        *span,
                        format!(
                            "functions call each other more than {MAX_CALL_DEPTH} levels deep (recursion?)"
                        ),
                    )));
                }
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(self.eval(arg)?);
                }
                let function = &self.program.functions[*function];
                let (saved_frame, saved_len) = (self.frame, self.stack.len());
                self.frame = saved_len;
                self.stack.extend(values.into_iter().take(function.params));
                self.depth += 1;
                let result = self.eval(&function.body);
                self.depth -= 1;
                self.stack.truncate(saved_len);
                self.frame = saved_frame;
                result
            }
        }
    }

    fn call_with_closure(
        &mut self,
        implementation: crate::value::Implementation,
        values: Vec<Value>,
        closure: &ClosureNode,
    ) -> Result<Value, FunctionError> {
        let context = CallContext {
            ..self.context_copy()
        };
        let mut invoke = |params: &[Value]| -> Result<Value, FunctionError> {
            let base = self.frame + closure.first_slot;
            self.stack.truncate(base.max(self.frame));
            self.stack.resize(base, Value::Null);
            self.stack
                .extend(params.iter().take(closure.params).cloned());
            self.stack.resize(base + closure.params, Value::Null);
            let result = self.eval(&closure.body);
            self.stack.truncate(base);
            result.map_err(|flow| match flow {
                Flow::Fail(error) => FunctionError::Failed(error.message),
                Flow::Skip(reason) => FunctionError::Skip(reason),
                Flow::Abort(error) => FunctionError::Fail(error.message),
                Flow::Fetch(request) => FunctionError::Fetch(request),
            })
        };
        let mut call = CallArgs {
            values,
            closure: Some(&mut invoke),
            context: &context,
        };
        implementation(&mut call)
    }

    fn context_copy(&self) -> CallContext<'a> {
        CallContext {
            timezone: self.context.timezone,
            now: self.context.now,
            cross_references: self.context.cross_references,
            base_dir: self.context.base_dir,
            related: self.context.related,
        }
    }
}

fn field(base: &Value, name: &Arc<str>, optional: bool, span: Span) -> Eval {
    match base {
        Value::Object(map) => Ok(map.get(&**name).cloned().unwrap_or(Value::Missing)),
        Value::Null | Value::Missing if optional => Ok(Value::Null),
        Value::Null | Value::Missing => Err(fail(
            Code::MissingFieldAtRuntime,
            span,
            format!("cannot read `.{name}` of a {} value", base.kind()),
        )),
        other => Err(fail(
            Code::RuntimeType,
            span,
            format!("cannot read `.{name}` of a {}", other.kind()),
        )),
    }
}

/// The string a lookup or group key is matched by.
pub(crate) fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_string()),
        Value::Int(_) | Value::Decimal(_) | Value::Bool(_) => crate::functions::text_form(value),
        _ => None,
    }
}

fn describe(value: &Value) -> String {
    match crate::functions::text_form(value) {
        Some(text) if text.len() <= 60 => format!("`{text}`"),
        _ => value.kind().to_string(),
    }
}

/// The value of a node that needs no record (literal lookup entries and patterns).
pub(crate) fn constant_value(node: &Node) -> Option<Value> {
    match node {
        Node::Const(value) => Some(value.clone()),
        Node::Unary {
            op: UnaryOp::Neg,
            operand,
            span,
        } => ops::negate(&constant_value(operand)?, *span).ok(),
        _ => None,
    }
}

/// Evaluates a node with no record, lets or store (lookup entries at compile time).
pub(crate) fn constant(program: &CompiledPipeline, node: &Node) -> Option<Value> {
    let empty = Value::object(Map::new());
    let context = CallContext {
        timezone: program.timezone.as_ref(),
        now: jiff::Timestamp::UNIX_EPOCH,
        cross_references: &NoCrossReferences,
        base_dir: &program.base_dir,
        related: &NoRelated,
    };
    let mut machine = Machine::new(program, &empty, context);
    machine.eval(node).ok()
}
