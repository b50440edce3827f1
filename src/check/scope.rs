//! The checker's state: what is in scope, and what has been used.

use std::path::PathBuf;

use indexmap::IndexMap;

use super::Environment;
use super::lookup_file::LookupData;
use super::types::Type;
use crate::diagnostics::{Code, Diagnostic, Severity, SourceMap, Span};
use crate::syntax::ast::FunctionDecl;

/// Why an expression can fail at run time, and where.
#[derive(Clone, Debug)]
pub(crate) struct Reason {
    pub span: Span,
    /// Short, for the label: "this lookup can miss".
    pub label: String,
    /// Which inputs make it fail.
    pub detail: String,
}

/// An expression's type and whether it can fail.
#[derive(Clone, Debug)]
pub(crate) struct Typed {
    pub ty: Type,
    pub fallible: Option<Reason>,
}

impl Typed {
    pub fn ok(ty: Type) -> Typed {
        Typed { ty, fallible: None }
    }

    /// Keeps the first failure reason of the two.
    pub fn or_fallible(mut self, other: &Option<Reason>) -> Typed {
        if self.fallible.is_none() {
            self.fallible = other.clone();
        }
        self
    }
}

pub(crate) struct LetInfo {
    pub name: String,
    pub span: Span,
    pub ty: Type,
    pub fallible: Option<Reason>,
    pub used: bool,
    pub reported: bool,
}

pub(crate) struct LookupInfo {
    pub span: Span,
    pub value: Type,
    pub data: Option<LookupData>,
    pub used: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FnState {
    Unchecked,
    InProgress,
    Done,
}

pub(crate) struct FnInfo<'a> {
    pub decl: &'a FunctionDecl,
    pub base_dir: PathBuf,
    pub params: Vec<(String, Type)>,
    pub returns: Type,
    pub fallible: Option<Reason>,
    pub state: FnState,
    pub used: bool,
}

/// What expressions see: the record, the names in scope, where relative paths start.
#[derive(Default)]
pub(crate) struct Frame {
    pub record: Type,
    pub timezone: bool,
    /// Function and closure parameters, innermost last.
    pub locals: Vec<(String, Type)>,
    pub lets: Vec<LetInfo>,
    /// How many `lets` the current expression may use (a let sees only earlier lets).
    pub visible_lets: usize,
    pub lookups: IndexMap<String, LookupInfo>,
    pub in_test: bool,
    pub base_dir: PathBuf,
}

pub(crate) struct Checker<'a> {
    pub env: &'a Environment<'a>,
    pub sources: &'a SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// While positive, diagnostics are dropped (re-inferring a sub-expression for a help line).
    pub quiet: u32,
    pub frame: Frame,
    pub functions: IndexMap<String, FnInfo<'a>>,
    pub global_lookups: IndexMap<String, LookupInfo>,
    /// The `xref` names the pipeline being checked reads (`acme.customers.number`),
    /// so its tests' `xrefs` can be held to them.
    pub xref_reads: Vec<String>,
}

impl<'a> Checker<'a> {
    pub fn new(env: &'a Environment<'a>, sources: &'a SourceMap) -> Self {
        Checker {
            env,
            sources,
            diagnostics: Vec::new(),
            quiet: 0,
            frame: Frame::default(),
            functions: IndexMap::new(),
            global_lookups: IndexMap::new(),
            xref_reads: Vec::new(),
        }
    }

    pub fn emit(&mut self, diagnostic: Diagnostic) {
        if self.quiet == 0 {
            self.diagnostics.push(diagnostic);
        }
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .count()
    }

    /// The source text of a span, for help lines that quote the program.
    pub fn text(&self, span: Span) -> String {
        self.sources.text(span).to_string()
    }

    /// E0400 when a fallible value reaches `place` unhandled.
    pub fn require_handled(&mut self, typed: &Typed, place: &str, at: Span) {
        let Some(reason) = &typed.fallible else {
            return;
        };
        let mut diagnostic = Diagnostic::new(
            Code::UnhandledFallible,
            reason.span,
            format!("{}, and {place} does not handle it", reason.label),
        )
        .with_label(reason.label.clone())
        .with_note(reason.detail.clone())
        .with_help(
            "handle it: a default with `?? <default>`, skip the record with `?? skip(\"...\")`, \
             or dead-letter it with a postfix `!`",
        );
        if at != reason.span {
            diagnostic = diagnostic.with_secondary(at, format!("reaches {place} here"));
        }
        self.emit(diagnostic);
    }

    /// Swaps in a new frame for `run`, then restores the old one.
    pub fn with_frame<T>(&mut self, frame: Frame, run: impl FnOnce(&mut Self) -> T) -> (T, Frame) {
        let saved = std::mem::replace(&mut self.frame, frame);
        let result = run(self);
        let used = std::mem::replace(&mut self.frame, saved);
        (result, used)
    }
}
