//! AST to [`Node`]s: names resolved to slots, calls to specs, lookups made tables.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;

use super::node::{ClosureNode, Node};
use crate::check::LookupData;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::functions::Registry;
use crate::syntax::ast::*;
use crate::value::Value;
use crate::value::json::from_json;

pub struct CompileOptions {
    pub functions: &'static Registry,
    pub timezone: Option<jiff::tz::TimeZone>,
    /// File-backed lookup tables, loaded by the checker.
    pub lookups: IndexMap<String, LookupData>,
    /// Folder of the pipeline file.
    pub base_dir: PathBuf,
    /// Collection -> the name of its id key (`syspro.customers` -> `Customer`), so that
    /// `xref(syspro.customers.Customer, id)` reads the link's id like `xref(syspro.customers, id)`.
    pub id_keys: HashMap<String, String>,
}

/// A pipeline ready to map records.
pub struct CompiledPipeline {
    pub name: String,
    pub(crate) lets: Vec<Node>,
    pub(crate) filters: Vec<Node>,
    /// The maps, in order: the one `map to`, or one per `step`.
    pub(crate) steps: Vec<CompiledStep>,
    pub(crate) tables: Vec<HashMap<String, Value>>,
    pub(crate) functions: Vec<UserFunction>,
    pub(crate) timezone: Option<jiff::tz::TimeZone>,
    pub(crate) base_dir: PathBuf,
    /// `assert`s: condition, message, span; checked after the filters, before the fields.
    pub(crate) asserts: Vec<(Node, String, Span)>,
    /// Collections named by `xref(...)` calls: the runner snapshots their links.
    pub xref_collections: Vec<String>,
}

/// One map: its fields, and for `map to X for item in LIST` the list, whose item the fields see
/// as local slot 0.
pub(crate) struct CompiledStep {
    /// The `step`'s name; `None` for a pipeline's one `map to`.
    pub name: Option<String>,
    pub fields: Vec<(Vec<String>, Node, Span)>,
    pub each: Option<Node>,
}

pub(crate) struct UserFunction {
    pub params: usize,
    pub body: Node,
}

pub fn compile(
    modules: &[Module],
    pipeline: &Pipeline,
    options: CompileOptions,
) -> Result<CompiledPipeline, Diagnostic> {
    let mut compiler = Compiler {
        registry: options.functions,
        lets: HashMap::new(),
        tables: HashMap::new(),
        functions: HashMap::new(),
        function_params: Vec::new(),
        locals: Vec::new(),
        in_function: false,
        xref_collections: Vec::new(),
        id_keys: options.id_keys,
    };
    let mut program = CompiledPipeline {
        name: pipeline.name.name.clone(),
        lets: Vec::new(),
        filters: Vec::new(),
        steps: Vec::new(),
        tables: Vec::new(),
        functions: Vec::new(),
        timezone: options.timezone,
        base_dir: options.base_dir,
        xref_collections: Vec::new(),
        asserts: Vec::new(),
    };
    let declarations: Vec<&FunctionDecl> = modules
        .iter()
        .flat_map(|m| &m.items)
        .filter_map(|i| match i {
            Item::Function(f) => Some(f),
            _ => None,
        })
        .collect();
    compiler.function_params = declarations
        .iter()
        .map(|f| f.params.iter().map(|p| p.name.name.clone()).collect())
        .collect();
    for (index, f) in declarations.iter().enumerate() {
        compiler
            .functions
            .entry(f.name.name.clone())
            .or_insert(index);
    }
    let top_lookups = modules
        .iter()
        .flat_map(|m| &m.items)
        .filter_map(|i| match i {
            Item::Lookup(l) => Some(l),
            _ => None,
        });
    let pipeline_lookups = pipeline.items.iter().filter_map(|i| match i {
        PipelineItem::Lookup(l) => Some(l),
        _ => None,
    });
    for lookup in top_lookups.chain(pipeline_lookups) {
        let table = compiler.table(lookup, &options.lookups, &program)?;
        compiler
            .tables
            .insert(lookup.name.name.clone(), program.tables.len());
        program.tables.push(table);
    }
    for f in &declarations {
        compiler.in_function = true;
        compiler.locals = f.params.iter().map(|p| p.name.name.clone()).collect();
        let body = compiler.expr(&f.body)?;
        program.functions.push(UserFunction {
            params: f.params.len(),
            body,
        });
    }
    compiler.in_function = false;
    compiler.locals.clear();
    for item in &pipeline.items {
        match item {
            PipelineItem::Let(binding) => {
                let node = compiler.expr(&binding.value)?;
                compiler
                    .lets
                    .insert(binding.name.name.clone(), program.lets.len());
                program.lets.push(node);
            }
            PipelineItem::Where(condition) => program.filters.push(compiler.expr(condition)?),
            PipelineItem::Assert(assert) => {
                let message = match &assert.message {
                    Some(text) => text.value.clone(),
                    None => "assertion failed".to_string(),
                };
                let node = compiler.expr(&assert.condition)?;
                program.asserts.push((node, message, assert.span));
            }
            PipelineItem::Source(source) => {
                for option in &source.options {
                    match option {
                        SourceOption::Where(condition) => {
                            program.filters.push(compiler.expr(condition)?)
                        }
                        SourceOption::On { events, span } => {
                            program.filters.push(event_filter(events, *span))
                        }
                        SourceOption::Poll { .. } => {}
                    }
                }
            }
            _ => {}
        }
    }
    for item in &pipeline.items {
        let (name, map) = match item {
            PipelineItem::Map(map) => (None, map),
            PipelineItem::Step(step) => (Some(step.name.name.clone()), &step.map),
            _ => continue,
        };
        let mut step = CompiledStep {
            name,
            fields: Vec::new(),
            each: None,
        };
        if let Some(each) = &map.each {
            step.each = Some(compiler.expr(&each.list)?);
            compiler.locals = vec![each.name.name.clone()];
        }
        for assignment in &map.assignments {
            let path = assignment.target.iter().map(|s| s.name.clone()).collect();
            step.fields.push((
                path,
                compiler.expr(&assignment.value)?,
                assignment.value.span,
            ));
        }
        compiler.locals.clear();
        program.steps.push(step);
    }
    program.xref_collections = std::mem::take(&mut compiler.xref_collections);
    Ok(program)
}

struct Compiler {
    registry: &'static Registry,
    lets: HashMap<String, usize>,
    tables: HashMap<String, usize>,
    functions: HashMap<String, usize>,
    /// Parameter names of each user function, by function index (for named arguments).
    function_params: Vec<Vec<String>>,
    /// Parameters in scope in the current frame, by slot.
    locals: Vec<String>,
    in_function: bool,
    xref_collections: Vec<String>,
    id_keys: HashMap<String, String>,
}

fn unknown(span: Span, what: &str, name: &str) -> Diagnostic {
    Diagnostic::new(Code::UnknownName, span, format!("unknown {what} `{name}`"))
        .with_label("not defined")
}

impl Compiler {
    fn table(
        &mut self,
        lookup: &LookupDecl,
        files: &IndexMap<String, LookupData>,
        program: &CompiledPipeline,
    ) -> Result<HashMap<String, Value>, Diagnostic> {
        match &lookup.table {
            LookupTable::File { path, .. } => {
                // The checker reads file tables; the compiler only turns their JSON into values.
                let data = files.get(&lookup.name.name).ok_or_else(|| {
                    Diagnostic::new(
                        Code::LookupFileMissing,
                        path.span,
                        format!("lookup `{}` was not loaded", lookup.name.name),
                    )
                    .with_label("this file")
                    .with_help("check the pipeline first: the checker loads file-backed lookups")
                })?;
                Ok(data
                    .iter()
                    .map(|(k, v)| (k.clone(), from_json(v)))
                    .collect())
            }
            LookupTable::Inline(entries) => {
                let mut table = HashMap::new();
                for entry in entries {
                    let key = self.expr(&entry.key)?;
                    let value = self.expr(&entry.value)?;
                    let key = super::eval::constant(program, &key)
                        .and_then(|k| super::eval::key_text(&k))
                        .ok_or_else(|| {
                            Diagnostic::new(
                                Code::TypeMismatch,
                                entry.key.span,
                                "lookup keys must be constant strings or numbers",
                            )
                        })?;
                    let value = super::eval::constant(program, &value).ok_or_else(|| {
                        Diagnostic::new(
                            Code::TypeMismatch,
                            entry.value.span,
                            "lookup values must be constants",
                        )
                    })?;
                    table.insert(key, value);
                }
                Ok(table)
            }
        }
    }

    fn boxed(&mut self, expr: &Expr) -> Result<Box<Node>, Diagnostic> {
        Ok(Box::new(self.expr(expr)?))
    }

    pub fn expr(&mut self, expr: &Expr) -> Result<Node, Diagnostic> {
        let span = expr.span;
        Ok(match &expr.kind {
            ExprKind::Null => Node::Const(Value::Null),
            ExprKind::Bool(b) => Node::Const(Value::Bool(*b)),
            ExprKind::Int(i) => Node::Const(Value::Int(*i)),
            ExprKind::Decimal(d) => Node::Const(Value::Decimal(*d)),
            ExprKind::String(s) => Node::Const(Value::string(s.as_str())),
            ExprKind::Omit => Node::Const(Value::Omit),
            ExprKind::Duration(d) => Node::Const(Value::Duration(jiff::SignedDuration::from_secs(
                d.seconds(),
            ))),
            ExprKind::Template(parts) => {
                let mut nodes = Vec::new();
                for part in parts {
                    nodes.push(match part {
                        TemplatePart::Literal(text) => Node::Const(Value::string(text.as_str())),
                        TemplatePart::Expr(e) => self.expr(e)?,
                    });
                }
                Node::Template(nodes, span)
            }
            ExprKind::Record => Node::Record,
            ExprKind::Field {
                base,
                name,
                optional,
            } => Node::Field {
                base: self.boxed(base)?,
                name: Arc::from(name.name.as_str()),
                optional: *optional,
                span,
            },
            ExprKind::Index {
                base,
                index,
                optional,
            } => {
                if let ExprKind::Var(name) = &base.kind
                    && !self.locals.contains(&name.name)
                    && let Some(&table) = self.tables.get(&name.name)
                {
                    return Ok(Node::LookupRead {
                        table,
                        key: self.boxed(index)?,
                        span,
                    });
                }
                Node::Index {
                    base: self.boxed(base)?,
                    index: self.boxed(index)?,
                    optional: *optional,
                    span,
                }
            }
            ExprKind::Var(name) => self.variable(name)?,
            ExprKind::List(items) => Node::List(
                items
                    .iter()
                    .map(|e| self.expr(e))
                    .collect::<Result<_, _>>()?,
            ),
            ExprKind::Object(entries) => Node::Object(
                entries
                    .iter()
                    .map(|e| Ok((e.key.value.clone(), self.expr(&e.value)?)))
                    .collect::<Result<_, Diagnostic>>()?,
            ),
            ExprKind::Unary { op, operand } => Node::Unary {
                op: *op,
                operand: self.boxed(operand)?,
                span,
            },
            ExprKind::Binary {
                op: BinaryOp::Coalesce,
                lhs,
                rhs,
            } => Node::Coalesce {
                lhs: self.boxed(lhs)?,
                rhs: self.boxed(rhs)?,
            },
            ExprKind::Binary { op, lhs, rhs } => Node::Binary {
                op: *op,
                lhs: self.boxed(lhs)?,
                rhs: self.boxed(rhs)?,
                span,
            },
            ExprKind::Assert(inner) => Node::Assert {
                inner: self.boxed(inner)?,
                span,
            },
            ExprKind::If {
                condition,
                then_branch,
                else_branch,
            } => Node::If {
                condition: self.boxed(condition)?,
                then_branch: self.boxed(then_branch)?,
                else_branch: self.boxed(else_branch)?,
                span,
            },
            ExprKind::Match { subject, arms } => {
                let subject = self.boxed(subject)?;
                let mut compiled = Vec::new();
                let mut default = None;
                for arm in arms {
                    let body = self.expr(&arm.body)?;
                    if arm.is_wildcard() {
                        default.get_or_insert(Box::new(body));
                        continue;
                    }
                    let mut patterns = Vec::new();
                    for pattern in &arm.patterns {
                        let node = self.expr(pattern)?;
                        patterns.push(super::eval::constant_value(&node).ok_or_else(|| {
                            Diagnostic::new(
                                Code::TypeMismatch,
                                pattern.span,
                                "match patterns must be literals",
                            )
                        })?);
                    }
                    compiled.push((patterns, body));
                }
                Node::Match {
                    subject,
                    arms: compiled,
                    default,
                    span,
                }
            }
            ExprKind::Call { function, args } => self.call(function, args, span)?,
            ExprKind::Closure { .. } => {
                return Err(Diagnostic::new(
                    Code::NotCallable,
                    span,
                    "a closure can only be a function argument",
                ));
            }
        })
    }

    fn variable(&mut self, name: &Ident) -> Result<Node, Diagnostic> {
        if let Some(slot) = self.locals.iter().rposition(|l| *l == name.name) {
            return Ok(Node::Local(slot));
        }
        if !self.in_function
            && let Some(&index) = self.lets.get(&name.name)
        {
            return Ok(Node::Let(index));
        }
        Err(unknown(name.span, "name", &name.name))
    }

    /// A user function's arguments in parameter order: named ones by name, the others in
    /// order; a parameter left out is null (the checker reports it).
    fn user_args(
        &mut self,
        index: usize,
        function: &Ident,
        args: &[Argument],
    ) -> Result<Vec<Node>, Diagnostic> {
        let params = self.function_params.get(index).cloned().unwrap_or_default();
        let mut slots: Vec<Option<&Argument>> = vec![None; params.len().max(args.len())];
        let mut next = 0;
        for arg in args {
            let position = match &arg.name {
                Some(name) => params.iter().position(|p| *p == name.name).ok_or_else(|| {
                    Diagnostic::new(
                        Code::UnknownArgument,
                        name.span,
                        format!("`{}` has no parameter `{}`", function.name, name.name),
                    )
                })?,
                None => {
                    while slots.get(next).is_some_and(Option::is_some) {
                        next += 1;
                    }
                    next
                }
            };
            match slots.get_mut(position) {
                Some(slot @ None) => *slot = Some(arg),
                _ => {
                    return Err(Diagnostic::new(
                        Code::TooManyArguments,
                        arg.span,
                        format!("too many arguments for `{}`", function.name),
                    ));
                }
            }
        }
        slots
            .into_iter()
            .map(|slot| match slot {
                Some(arg) => self.expr(&arg.value),
                None => Ok(Node::Const(Value::Null)),
            })
            .collect()
    }

    fn call(
        &mut self,
        function: &Ident,
        args: &[Argument],
        span: Span,
    ) -> Result<Node, Diagnostic> {
        if let Some(&index) = self.functions.get(&function.name) {
            let values = self.user_args(index, function, args)?;
            return Ok(Node::UserCall {
                function: index,
                args: values,
                span,
            });
        }
        let spec = self.registry.get(&function.name).ok_or_else(|| {
            Diagnostic::new(
                Code::UnknownFunction,
                function.span,
                format!("unknown function `{}`", function.name),
            )
        })?;
        let params = &spec.signature.params;
        let mut slots: Vec<Vec<&Argument>> = vec![Vec::new(); params.len()];
        let mut next = 0;
        for arg in args {
            let position = match &arg.name {
                Some(name) => params
                    .iter()
                    .position(|p| p.name == name.name)
                    .ok_or_else(|| {
                        Diagnostic::new(
                            Code::UnknownArgument,
                            name.span,
                            format!("`{}` has no parameter `{}`", function.name, name.name),
                        )
                    })?,
                None => {
                    let position = next.min(params.len().saturating_sub(1));
                    // Extra arguments of a variadic function all go to its last parameter.
                    if !spec.signature.variadic || next + 1 < params.len() {
                        next += 1;
                    }
                    position
                }
            };
            if let Some(slot) = slots.get_mut(position) {
                slot.push(arg);
            }
        }
        let mut values = Vec::new();
        let mut closure = None;
        for (index, (param, slot)) in params.iter().zip(&slots).enumerate() {
            if param.ty == crate::check::Type::Closure {
                let Some(arg) = slot.first() else {
                    return Err(Diagnostic::new(
                        Code::MissingArgument,
                        span,
                        format!("`{}` needs a closure", function.name),
                    ));
                };
                let ExprKind::Closure {
                    params: names,
                    body,
                } = &arg.value.kind
                else {
                    return Err(Diagnostic::new(
                        Code::NotCallable,
                        arg.value.span,
                        "expected a closure such as `|x| x.amount`",
                    ));
                };
                let first_slot = self.locals.len();
                self.locals.extend(names.iter().map(|n| n.name.clone()));
                let body = self.expr(body);
                self.locals.truncate(first_slot);
                closure = Some(Box::new(ClosureNode {
                    first_slot,
                    params: names.len(),
                    body: body?,
                }));
                continue;
            }
            if slot.is_empty() {
                if !(spec.signature.variadic && index + 1 == params.len()) {
                    values.push(Node::Const(crate::functions::default_value(param)));
                }
                continue;
            }
            for arg in slot {
                if names_collection(&function.name)
                    && index == 0
                    && let Some(name) = arg.value.dotted_name()
                {
                    let name = if function.name == "xref" {
                        let (collection, name) = self.xref_name(name);
                        if !self.xref_collections.contains(&collection) {
                            self.xref_collections.push(collection);
                        }
                        name
                    } else {
                        name
                    };
                    values.push(Node::Const(Value::string(name)));
                } else {
                    values.push(self.expr(&arg.value)?);
                }
            }
        }
        Ok(Node::Call {
            spec,
            args: values,
            closure,
            span,
        })
    }
}

impl Compiler {
    /// The collection an `xref` name reads, and the name the call is given: a collection
    /// (its id) or `collection.key`. A name that spells out the id key is the collection.
    fn xref_name(&self, name: String) -> (String, String) {
        if let Some((collection, key)) = name.rsplit_once('.')
            && collection.contains('.')
        {
            return if self.id_keys.get(collection).is_some_and(|id| id == key) {
                (collection.to_string(), collection.to_string())
            } else {
                (collection.to_string(), name.clone())
            };
        }
        (name.clone(), name)
    }
}

/// Functions whose first argument is a bare dotted collection name.
pub(crate) fn names_collection(function: &str) -> bool {
    matches!(function, "xref" | "fetch" | "fetch_all")
}

/// `on "a", "b"`: the record's `type` must be one of the event types.
fn event_filter(events: &[StringLit], span: Span) -> Node {
    let patterns = events
        .iter()
        .map(|e| Value::string(e.value.as_str()))
        .collect();
    let event_type = Node::Field {
        base: Box::new(Node::Record),
        name: Arc::from("type"),
        optional: true,
        span,
    };
    Node::Match {
        subject: Box::new(event_type),
        arms: vec![(patterns, Node::Const(Value::Bool(true)))],
        default: Some(Box::new(Node::Const(Value::Bool(false)))),
        span,
    }
}
