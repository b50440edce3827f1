//! Calling standard-library functions, with closures that evaluate compiled bodies.

use crate::diagnostics::{Code, Span};
use crate::functions::{CallArgs, FunctionError};

use super::Value;
use super::eval::{Program, State, eval};
use super::outcome::{Eval, Fault, RecordError};
use super::program::{Arg, BuiltinCall};

pub(crate) fn builtin(
    program: &Program,
    call: &BuiltinCall,
    span: Span,
    state: &mut State,
) -> Eval {
    let mut values = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        values.push(match arg {
            Arg::Value(node) => eval(program, node, state)?,
            Arg::Default(value) => value.clone(),
            Arg::ClosureSlot => Value::Null,
        });
    }
    let context = state.context;
    let result = match &call.closure {
        None => {
            let mut args = CallArgs {
                values,
                closure: None,
                context,
            };
            (call.call)(&mut args)
        }
        Some(closure) => {
            // The closure's own fault (with its code and span) wins over the function's
            // rendering of it.
            let mut caught: Option<Fault> = None;
            let result = {
                let mut invoke = |params: &[Value]| -> Result<Value, FunctionError> {
                    let start = state.base + closure.depth;
                    state.locals.truncate(start);
                    for i in 0..closure.params {
                        state
                            .locals
                            .push(params.get(i).cloned().unwrap_or(Value::Null));
                    }
                    let result = eval(program, &closure.body, state);
                    state.locals.truncate(start);
                    result.map_err(|fault| {
                        let error = fault.to_function_error();
                        caught = Some(fault);
                        error
                    })
                };
                let mut args = CallArgs {
                    values,
                    closure: Some(&mut invoke),
                    context,
                };
                (call.call)(&mut args)
            };
            match (result, caught) {
                (Err(_), Some(fault)) => return Err(fault),
                (result, _) => result,
            }
        }
    };
    result.map_err(|error| function_fault(error, span))
}

/// A function's error as a fault of the call expression.
pub(crate) fn function_fault(error: FunctionError, span: Span) -> Fault {
    match error {
        FunctionError::Failed(message) => Fault::failed(Code::FunctionFailed, span, message),
        FunctionError::Skip(reason) => Fault::Skip(reason),
        FunctionError::Fail(reason) => {
            Fault::Fail(RecordError::new(Code::RecordFailed, span, reason))
        }
    }
}
