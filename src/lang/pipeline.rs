//! A pipeline compiled for running records, and lone expressions for examples and tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use jiff::tz::TimeZone;

use crate::check::LookupData;
use crate::check::lookup_file;
use crate::diagnostics::{Code, Diagnostic};
use crate::functions::spec::{CrossReferences, NoCrossReferences};
use crate::functions::{CallContext, FunctionError, Registry};
use crate::syntax::ast::{
    Expr, FunctionDecl, Item, LookupDecl, LookupTable, Module, Pipeline, PipelineItem, SourceOption,
};

use super::compile::Compiler;
use super::eval::{Program, State, eval};
use super::json_value::from_json;
use super::ops::text_form;
use super::outcome::Outcome;
use super::program::{Node, UserFunction};
use super::record::{Assignment, build};
use super::{Map, Value};

pub struct CompileOptions<'a> {
    pub functions: &'a Registry,
    pub timezone: Option<TimeZone>,
    /// File-backed lookup tables, loaded by the checker (any not given are loaded from
    /// `base_dir`).
    pub lookups: IndexMap<String, LookupData>,
    /// Folder of the pipeline file.
    pub base_dir: PathBuf,
}

/// What one run needs from outside: the clock and the cross-reference store.
pub struct RunEnv<'a> {
    pub now: jiff::Timestamp,
    pub cross_references: &'a dyn CrossReferences,
}

#[derive(Debug)]
pub struct CompiledPipeline {
    pub name: String,
    pub timezone: Option<TimeZone>,
    pub base_dir: PathBuf,
    program: Program,
    wheres: Vec<Node>,
    assignments: Vec<Assignment>,
}

impl CompiledPipeline {
    /// Runs one record: lets (on first use), every `where`, then the assignments.
    pub fn run(&self, record: &Value, env: &RunEnv) -> Outcome {
        let context = CallContext {
            timezone: self.timezone.as_ref(),
            now: env.now,
            cross_references: env.cross_references,
            base_dir: &self.base_dir,
        };
        let mut state = State::new(record, &context, self.program.lets.len());
        for condition in &self.wheres {
            match eval(&self.program, condition, &mut state) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => return Outcome::Filtered,
                Ok(other) => {
                    let fault = super::ops::truth(&other, condition.span, "`where`").err();
                    if let Some(fault) = fault {
                        return fault.into_outcome();
                    }
                }
                Err(fault) => return fault.into_outcome(),
            }
        }
        match build(&self.program, &self.assignments, &mut state) {
            Ok(output) => Outcome::Mapped(output),
            Err(fault) => fault.into_outcome(),
        }
    }
}

/// Compiles `pipeline`, with the user functions and top-level lookups of every module.
pub fn compile(
    modules: &[Module],
    pipeline: &Pipeline,
    options: CompileOptions,
) -> Result<CompiledPipeline, Diagnostic> {
    let mut program = Program::default();
    let mut tables: IndexMap<String, usize> = IndexMap::new();
    let mut decls: Vec<&FunctionDecl> = Vec::new();
    let mut user: IndexMap<String, Vec<String>> = IndexMap::new();
    for module in modules {
        for item in &module.items {
            match item {
                Item::Function(decl) if !user.contains_key(&decl.name.name) => {
                    let params = decl.params.iter().map(|p| p.name.name.clone()).collect();
                    user.insert(decl.name.name.clone(), params);
                    decls.push(decl);
                }
                Item::Lookup(decl) if !tables.contains_key(&decl.name.name) => {
                    let table = load_table(decl, &options, &user, &tables)?;
                    tables.insert(decl.name.name.clone(), program.tables.len());
                    program.tables.push(Arc::new(table));
                }
                _ => {}
            }
        }
    }
    // User function bodies see their parameters and the top-level lookups.
    for decl in &decls {
        let mut compiler = Compiler {
            functions: options.functions,
            user: &user,
            tables: &tables,
            lets: &[],
            visible_lets: 0,
            locals: user[&decl.name.name].clone(),
        };
        let body = compiler.expr(&decl.body)?;
        program.functions.push(UserFunction {
            name: decl.name.name.clone(),
            params: decl.params.len(),
            body,
        });
    }
    for item in &pipeline.items {
        if let PipelineItem::Lookup(decl) = item {
            let table = load_table(decl, &options, &user, &tables)?;
            tables.insert(decl.name.name.clone(), program.tables.len());
            program.tables.push(Arc::new(table));
        }
    }
    let let_names: Vec<String> = pipeline
        .items
        .iter()
        .filter_map(|item| match item {
            PipelineItem::Let(decl) => Some(decl.name.name.clone()),
            _ => None,
        })
        .collect();
    let mut compiler = Compiler {
        functions: options.functions,
        user: &user,
        tables: &tables,
        lets: &let_names,
        visible_lets: 0,
        locals: Vec::new(),
    };
    for item in &pipeline.items {
        if let PipelineItem::Let(decl) = item {
            program.lets.push(compiler.expr(&decl.value)?);
            compiler.visible_lets += 1;
        }
    }
    // Wheres and assignments see every let, wherever it is written.
    let mut wheres = Vec::new();
    for item in &pipeline.items {
        match item {
            PipelineItem::Where(condition) => wheres.push(compiler.expr(condition)?),
            PipelineItem::Source(source) => {
                for option in &source.options {
                    if let SourceOption::Where(condition) = option {
                        wheres.push(compiler.expr(condition)?);
                    }
                }
            }
            _ => {}
        }
    }
    let mut assignments = Vec::new();
    for item in &pipeline.items {
        if let PipelineItem::Map(block) = item {
            for assignment in &block.assignments {
                assignments.push(Assignment {
                    path: assignment.target.iter().map(|p| p.name.clone()).collect(),
                    target: assignment.dotted_target(),
                    value: compiler.expr(&assignment.value)?,
                    span: assignment.span,
                });
            }
        }
    }
    Ok(CompiledPipeline {
        name: pipeline.name.name.clone(),
        timezone: options.timezone,
        base_dir: options.base_dir,
        program,
        wheres,
        assignments,
    })
}

fn load_table(
    decl: &LookupDecl,
    options: &CompileOptions,
    user: &IndexMap<String, Vec<String>>,
    tables: &IndexMap<String, usize>,
) -> Result<Map, Diagnostic> {
    match &decl.table {
        LookupTable::File { .. } => {
            let loaded;
            let data = match options.lookups.get(&decl.name.name) {
                Some(data) => data,
                None => {
                    loaded = lookup_file::load(decl, &options.base_dir)?.unwrap_or_default();
                    &loaded
                }
            };
            Ok(data
                .iter()
                .map(|(k, v)| (k.clone(), from_json(v.clone())))
                .collect())
        }
        LookupTable::Inline(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for entry in entries {
                let key = constant(&entry.key, options, user, tables)?;
                let Some(key) = text_form(&key) else {
                    return Err(Diagnostic::new(
                        Code::TypeMismatch,
                        entry.key.span,
                        format!("a lookup key cannot be {}", key.kind()),
                    )
                    .with_label("not a key"));
                };
                let value = constant(&entry.value, options, user, tables)?;
                map.insert(key, value);
            }
            Ok(map)
        }
    }
}

/// Evaluates an inline lookup's key or value once, at compile time.
fn constant(
    expr: &Expr,
    options: &CompileOptions,
    user: &IndexMap<String, Vec<String>>,
    tables: &IndexMap<String, usize>,
) -> Result<Value, Diagnostic> {
    let mut compiler = Compiler {
        functions: options.functions,
        user,
        tables,
        lets: &[],
        visible_lets: 0,
        locals: Vec::new(),
    };
    let node = compiler.expr(expr)?;
    let context = CallContext {
        timezone: options.timezone.as_ref(),
        now: jiff::Timestamp::UNIX_EPOCH,
        cross_references: &NoCrossReferences,
        base_dir: &options.base_dir,
    };
    let record = Value::object(Map::new());
    let mut state = State::new(&record, &context, 0);
    // Inline entries are literals in practice; anything needing tables or functions of the
    // program is out of reach here.
    eval(&Program::default(), &node, &mut state).map_err(|fault| {
        let error = fault.to_function_error();
        Diagnostic::new(
            Code::TypeMismatch,
            expr.span,
            format!(
                "this lookup entry cannot be computed: {}",
                render_error(&error)
            ),
        )
    })
}

/// `skipped: r`, `failed: r`, or the failure message.
pub fn render_error(error: &FunctionError) -> String {
    match error {
        FunctionError::Failed(message) => message.clone(),
        FunctionError::Skip(reason) => format!("skipped: {reason}"),
        FunctionError::Fail(reason) => format!("failed: {reason}"),
    }
}

/// Evaluates a lone expression (a standard-library example, a test's input): there is no
/// record (`.` is an empty object), no lets and no lookups.
pub fn eval_expression(
    expr: &Expr,
    functions: &Registry,
    context: &CallContext,
) -> Result<Value, FunctionError> {
    let user = IndexMap::new();
    let tables = IndexMap::new();
    let mut compiler = Compiler {
        functions,
        user: &user,
        tables: &tables,
        lets: &[],
        visible_lets: 0,
        locals: Vec::new(),
    };
    let node = compiler
        .expr(expr)
        .map_err(|d| FunctionError::Failed(d.message))?;
    let record = Value::object(Map::new());
    let mut state = State::new(&record, context, 0);
    eval(&Program::default(), &node, &mut state).map_err(|fault| fault.to_function_error())
}

/// The folder a pipeline file's relative paths start from.
pub fn base_dir_of(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}
