//! Maps one record: lets, filters, then the fields of the output object.

use indexmap::IndexMap;

use super::compile::CompiledPipeline;
use super::eval::Machine;
use super::outcome::{Flow, Outcome, RecordError, RunEnv};
use crate::diagnostics::{Code, FileId};
use crate::functions::Registry;
use crate::syntax::ast::Expr;
use crate::value::{CallContext, FunctionError, Map, Value};

impl CompiledPipeline {
    /// Maps `record` through the first (or only) map.
    pub fn run(&self, record: &Value, env: &RunEnv) -> Outcome {
        self.run_step(0, record, env)
    }

    /// The number of maps: one, or one per `step`.
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// Maps `record` through map `step` (after the filters and asserts, which every step
    /// shares).
    pub fn run_step(&self, step: usize, record: &Value, env: &RunEnv) -> Outcome {
        let context = CallContext {
            timezone: self.timezone.as_ref(),
            now: env.now,
            cross_references: env.cross_references,
            base_dir: &self.base_dir,
            related: env.related,
        };
        let mut machine = Machine::new(self, record, context);
        for filter in &self.filters {
            match machine.eval(filter) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false) | Value::Null | Value::Missing) => return Outcome::Filtered,
                Ok(other) => {
                    return Outcome::Failed(RecordError::new(
                        Code::RuntimeType,
                        crate::diagnostics::Span::default(),
                        format!("a `where` condition gave {}, not a bool", other.kind()),
                    ));
                }
                Err(flow) => return stopped(flow),
            }
        }
        for (condition, message, span) in &self.asserts {
            match machine.eval(condition) {
                Ok(Value::Bool(true)) => {}
                Ok(_) => {
                    return Outcome::Failed(RecordError::new(
                        Code::AssertionFailed,
                        *span,
                        message.clone(),
                    ));
                }
                Err(flow) => return stopped(flow),
            }
        }
        let Some(compiled) = self.steps.get(step) else {
            return Outcome::Failed(RecordError::new(
                Code::RuntimeType,
                crate::diagnostics::Span::default(),
                format!("pipeline `{}` has no step {step}", self.name),
            ));
        };
        let Some(each) = &compiled.each else {
            return match fields(&compiled.fields, &mut machine) {
                Ok(value) => Outcome::Mapped(value),
                Err(outcome) => outcome,
            };
        };
        let items = match machine.eval(each) {
            Ok(Value::List(items)) => items,
            Ok(other) => {
                return Outcome::Failed(RecordError::new(
                    Code::RuntimeType,
                    crate::diagnostics::Span::default(),
                    format!("`for` needs a list, got {}", other.kind()),
                ));
            }
            Err(flow) => return stopped(flow),
        };
        let mut outputs = Vec::with_capacity(items.len());
        for item in items.iter() {
            machine.stack.clear();
            machine.stack.push(item.clone());
            match fields(&compiled.fields, &mut machine) {
                Ok(value) => outputs.push(value),
                Err(outcome) => return outcome,
            }
        }
        Outcome::Mapped(Value::list(outputs))
    }

    /// Whether the map writes one record per item of a list (`map to X for item in LIST`):
    /// then a mapped record is a list of them.
    pub fn maps_each(&self, step: usize) -> bool {
        self.steps.get(step).is_some_and(|s| s.each.is_some())
    }
}

/// Evaluates the fields of one output record.
fn fields(
    fields: &[(
        Vec<String>,
        crate::lang::node::Node,
        crate::diagnostics::Span,
    )],
    machine: &mut Machine,
) -> Result<Value, Outcome> {
    {
        let mut output = Output::default();
        for (path, node, span) in fields {
            match machine.eval(node) {
                Ok(Value::Omit) => {}
                Ok(Value::Missing) => {
                    return Err(Outcome::Failed(RecordError::new(
                        Code::MissingFieldAtRuntime,
                        *span,
                        format!(
                            "`{}` would be written from a field missing from the record",
                            path.join(".")
                        ),
                    )));
                }
                Ok(value) => output.insert(path, value),
                Err(flow) => return Err(stopped(flow)),
            }
        }
        Ok(output.finish())
    }
}

fn stopped(flow: Flow) -> Outcome {
    match flow {
        Flow::Fail(error) | Flow::Abort(error) => Outcome::Failed(error),
        Flow::Skip(reason) => Outcome::Skipped(reason),
        Flow::Fetch(request) => Outcome::NeedsFetch(request),
    }
}

/// The output object under construction; parents of nested paths appear only when a field
/// under them is written.
#[derive(Default)]
struct Output {
    fields: IndexMap<String, Slot>,
}

enum Slot {
    Value(Value),
    Nested(Output),
}

impl Output {
    fn insert(&mut self, path: &[String], value: Value) {
        let [first, rest @ ..] = path else {
            return;
        };
        if rest.is_empty() {
            self.fields.insert(first.clone(), Slot::Value(value));
            return;
        }
        let slot = self
            .fields
            .entry(first.clone())
            .or_insert_with(|| Slot::Nested(Output::default()));
        if let Slot::Value(_) = slot {
            *slot = Slot::Nested(Output::default());
        }
        if let Slot::Nested(nested) = slot {
            nested.insert(rest, value);
        }
    }

    fn finish(self) -> Value {
        let mut map = Map::with_capacity(self.fields.len());
        for (key, slot) in self.fields {
            map.insert(
                key,
                match slot {
                    Slot::Value(value) => value,
                    Slot::Nested(nested) => nested.finish(),
                },
            );
        }
        Value::object(map)
    }
}

/// Why a standalone expression did not give a value.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpressionError {
    Compile(String),
    Failed(FunctionError),
}

impl std::fmt::Display for ExpressionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpressionError::Compile(message) => f.write_str(message),
            ExpressionError::Failed(FunctionError::Failed(message)) => f.write_str(message),
            ExpressionError::Failed(FunctionError::Skip(reason)) => write!(f, "skipped: {reason}"),
            ExpressionError::Failed(FunctionError::Fail(reason)) => write!(f, "failed: {reason}"),
            ExpressionError::Failed(FunctionError::Fetch(request)) => {
                write!(f, "needs {request} from the API")
            }
        }
    }
}

/// Evaluates an expression with no record (`.` is an empty object): standard-library examples
/// and test inputs.
pub fn eval_expression(
    expr: &Expr,
    functions: &'static Registry,
    context: &CallContext,
) -> Result<Value, ExpressionError> {
    let pipeline = crate::syntax::ast::Pipeline {
        name: crate::syntax::ast::Ident {
            name: "expression".into(),
            span: expr.span,
        },
        items: vec![crate::syntax::ast::PipelineItem::Let(
            crate::syntax::ast::LetDecl {
                name: crate::syntax::ast::Ident {
                    name: "value".into(),
                    span: expr.span,
                },
                value: expr.clone(),
                span: expr.span,
            },
        )],
        span: expr.span,
    };
    let options = super::CompileOptions {
        functions,
        timezone: context.timezone.cloned(),
        lookups: IndexMap::new(),
        base_dir: context.base_dir.to_path_buf(),
        id_keys: Default::default(),
    };
    let program =
        super::compile(&[], &pipeline, options).map_err(|d| ExpressionError::Compile(d.message))?;
    let empty = Value::object(Map::new());
    let own_context = CallContext {
        timezone: context.timezone,
        now: context.now,
        cross_references: context.cross_references,
        base_dir: context.base_dir,
        related: context.related,
    };
    let mut machine = Machine::new(&program, &empty, own_context);
    machine.eval(&super::node::Node::Let(0)).map_err(|flow| {
        ExpressionError::Failed(match flow {
            Flow::Fail(error) => FunctionError::Failed(error.message),
            Flow::Skip(reason) => FunctionError::Skip(reason),
            Flow::Abort(error) => FunctionError::Fail(error.message),
            Flow::Fetch(request) => FunctionError::Fetch(request),
        })
    })
}

/// Parses and evaluates a standalone expression.
pub fn eval_text(
    text: &str,
    functions: &'static Registry,
    context: &CallContext,
) -> Result<Value, ExpressionError> {
    let expr = crate::syntax::parse_expression(FileId(0), text)
        .map_err(|d| ExpressionError::Compile(d.message))?;
    eval_expression(&expr, functions, context)
}
