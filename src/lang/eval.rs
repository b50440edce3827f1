//! Evaluating compiled nodes against one record.

use std::sync::Arc;

use crate::diagnostics::{Code, Span};
use crate::functions::CallContext;

use super::ops;
use super::outcome::{Eval, Fault, RecordError};
use super::program::{Node, NodeKind, TemplatePiece, UserFunction};
use super::{Map, Value};

/// Deeper user-function calls than this fail the record rather than the stack.
const MAX_CALL_DEPTH: usize = 200;

/// Everything compiled that expressions refer to by index.
#[derive(Debug, Default)]
pub(crate) struct Program {
    pub lets: Vec<Node>,
    pub tables: Vec<Arc<Map>>,
    pub functions: Vec<UserFunction>,
}

/// The evaluation state of one record.
pub(crate) struct State<'r, 'c> {
    pub record: &'r Value,
    pub context: &'c CallContext<'c>,
    /// Each let's result, once used.
    lets: Vec<Option<Eval>>,
    /// Parameters of the user functions and closures being evaluated.
    pub locals: Vec<Value>,
    /// Where the current user function's parameters start in `locals`.
    pub base: usize,
    depth: usize,
}

impl<'r, 'c> State<'r, 'c> {
    pub(crate) fn new(record: &'r Value, context: &'c CallContext<'c>, lets: usize) -> Self {
        State {
            record,
            context,
            lets: (0..lets).map(|_| None).collect(),
            locals: Vec::new(),
            base: 0,
            depth: 0,
        }
    }
}

pub(crate) fn eval(program: &Program, node: &Node, state: &mut State) -> Eval {
    let span = node.span;
    match &node.kind {
        NodeKind::Const(v) => Ok(v.clone()),
        NodeKind::Record => Ok(state.record.clone()),
        NodeKind::Let(index) => let_value(program, *index, state),
        NodeKind::Local(index) => Ok(state
            .locals
            .get(state.base + index)
            .cloned()
            .unwrap_or(Value::Null)),
        NodeKind::Table(index) => Ok(program
            .tables
            .get(*index)
            .map_or(Value::Null, |t| Value::Object(t.clone()))),
        NodeKind::LookupRead { table, key } => {
            let key = eval(program, key, state)?;
            lookup(program, *table, &key, span)
        }
        NodeKind::Field {
            base,
            name,
            optional,
        } => {
            let base = eval(program, base, state)?;
            ops::field(&base, name, *optional, span)
        }
        NodeKind::Index {
            base,
            index,
            optional,
        } => {
            let base = eval(program, base, state)?;
            let index = eval(program, index, state)?;
            ops::index(&base, &index, *optional, span)
        }
        NodeKind::Template(pieces) => {
            let mut text = String::new();
            for piece in pieces {
                match piece {
                    TemplatePiece::Text(t) => text.push_str(t),
                    TemplatePiece::Value(n) => {
                        let value = eval(program, n, state)?;
                        ops::render(&value, &mut text, n.span)?;
                    }
                }
            }
            Ok(Value::string(text))
        }
        NodeKind::List(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(eval(program, item, state)?);
            }
            Ok(Value::list(values))
        }
        NodeKind::Object(fields) => {
            let mut map = Map::with_capacity(fields.len());
            for (key, value) in fields {
                map.insert(key.clone(), eval(program, value, state)?);
            }
            Ok(Value::object(map))
        }
        NodeKind::Neg(operand) => ops::negate(&eval(program, operand, state)?, span),
        NodeKind::Not(operand) => {
            let value = eval(program, operand, state)?;
            Ok(Value::Bool(!ops::truth(&value, operand.span, "`!`")?))
        }
        NodeKind::And(lhs, rhs) => {
            if !ops::truth(&eval(program, lhs, state)?, lhs.span, "`&&`")? {
                return Ok(Value::Bool(false));
            }
            let right = eval(program, rhs, state)?;
            Ok(Value::Bool(ops::truth(&right, rhs.span, "`&&`")?))
        }
        NodeKind::Or(lhs, rhs) => {
            if ops::truth(&eval(program, lhs, state)?, lhs.span, "`||`")? {
                return Ok(Value::Bool(true));
            }
            let right = eval(program, rhs, state)?;
            Ok(Value::Bool(ops::truth(&right, rhs.span, "`||`")?))
        }
        NodeKind::Coalesce(lhs, rhs) => match eval(program, lhs, state) {
            Ok(value) if !value.is_nothing() => Ok(value),
            Ok(_) | Err(Fault::Failed(_)) => eval(program, rhs, state),
            Err(stop) => Err(stop),
        },
        NodeKind::Binary { op, lhs, rhs } => {
            let left = eval(program, lhs, state)?;
            let right = eval(program, rhs, state)?;
            ops::binary(*op, &left, &right, span)
        }
        NodeKind::Assert(inner) => match eval(program, inner, state) {
            Ok(value) if !value.is_nothing() => Ok(value),
            Ok(value) => Err(Fault::Fail(RecordError::new(
                Code::RecordFailed,
                span,
                format!("asserted a value with `!`, but it is {}", value.kind()),
            ))),
            Err(Fault::Failed(e)) => {
                let code = if e.code == Code::LookupMissed {
                    Code::LookupMissed
                } else {
                    Code::RecordFailed
                };
                Err(Fault::Fail(RecordError::new(code, e.span, e.message)))
            }
            Err(stop) => Err(stop),
        },
        NodeKind::If {
            condition,
            then_branch,
            else_branch,
        } => {
            let value = eval(program, condition, state)?;
            if ops::truth(&value, condition.span, "`if`")? {
                eval(program, then_branch, state)
            } else {
                eval(program, else_branch, state)
            }
        }
        NodeKind::Match {
            subject,
            arms,
            otherwise,
        } => {
            let value = eval(program, subject, state)?;
            for (patterns, body) in arms {
                if patterns.iter().any(|p| ops::equal(p, &value)) {
                    return eval(program, body, state);
                }
            }
            match otherwise {
                Some(body) => eval(program, body, state),
                None => Ok(Value::Null),
            }
        }
        NodeKind::Builtin(call) => super::calls::builtin(program, call, span, state),
        NodeKind::User { function, args } => {
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                values.push(eval(program, arg, state)?);
            }
            user_call(program, *function, values, span, state)
        }
    }
}

fn let_value(program: &Program, index: usize, state: &mut State) -> Eval {
    if let Some(Some(done)) = state.lets.get(index) {
        return done.clone();
    }
    let Some(node) = program.lets.get(index) else {
        return Ok(Value::Null);
    };
    let result = eval(program, node, state);
    if let Some(slot) = state.lets.get_mut(index) {
        *slot = Some(result.clone());
    }
    result
}

fn lookup(program: &Program, table: usize, key: &Value, span: Span) -> Eval {
    let Some(entries) = program.tables.get(table) else {
        return Err(Fault::failed(Code::LookupMissed, span, "unknown lookup"));
    };
    let text = match key {
        Value::String(s) => Some(s.clone()),
        other => ops::text_form(other).map(Arc::from),
    };
    let Some(text) = text else {
        return Err(Fault::failed(
            Code::LookupMissed,
            span,
            format!("lookup key is {}", key.kind()),
        ));
    };
    entries.get(&*text).cloned().ok_or_else(|| {
        Fault::failed(
            Code::LookupMissed,
            span,
            format!("no lookup entry for key \"{text}\""),
        )
    })
}

fn user_call(
    program: &Program,
    function: usize,
    args: Vec<Value>,
    span: Span,
    state: &mut State,
) -> Eval {
    let Some(decl) = program.functions.get(function) else {
        return Err(Fault::failed(Code::RuntimeType, span, "unknown function"));
    };
    if state.depth >= MAX_CALL_DEPTH {
        return Err(Fault::Fail(RecordError::new(
            Code::CallTooDeep,
            span,
            format!(
                "`{}` called itself more than {MAX_CALL_DEPTH} levels deep",
                decl.name
            ),
        )));
    }
    let saved_base = state.base;
    state.base = state.locals.len();
    let params = decl.params;
    state.locals.extend(args.into_iter().take(params));
    while state.locals.len() < state.base + params {
        state.locals.push(Value::Null);
    }
    state.depth += 1;
    let result = eval(program, &decl.body, state);
    state.depth -= 1;
    state.locals.truncate(state.base);
    state.base = saved_base;
    result
}
