//! Unused definitions: lets (W0001), lookups (W0002), functions (W0003). Names starting with
//! `_` are exempt.

use super::scope::{Checker, Frame};
use crate::diagnostics::{Code, Diagnostic, Span};

impl<'a> Checker<'a> {
    pub(crate) fn unused_in_pipeline(&mut self, frame: &Frame) {
        for binding in &frame.lets {
            if !binding.used && !binding.name.starts_with('_') {
                self.unused(Code::UnusedLet, binding.span, "let", &binding.name);
            }
        }
        for (name, lookup) in &frame.lookups {
            if !lookup.used && !name.starts_with('_') {
                self.unused(Code::UnusedLookup, lookup.span, "lookup", name);
            }
        }
    }

    pub(crate) fn unused_globals(&mut self) {
        let lookups: Vec<(String, Span)> = self
            .global_lookups
            .iter()
            .filter(|(name, l)| !l.used && !name.starts_with('_'))
            .map(|(name, l)| (name.clone(), l.span))
            .collect();
        for (name, span) in lookups {
            self.unused(Code::UnusedLookup, span, "lookup", &name);
        }
        let functions: Vec<(String, Span)> = self
            .functions
            .iter()
            .filter(|(name, f)| !f.used && !name.starts_with('_'))
            .map(|(name, f)| (name.clone(), f.decl.name.span))
            .collect();
        for (name, span) in functions {
            self.unused(Code::UnusedFunction, span, "function", &name);
        }
    }

    fn unused(&mut self, code: Code, span: Span, what: &str, name: &str) {
        self.emit(
            Diagnostic::new(code, span, format!("{what} `{name}` is never used"))
                .with_label("unused")
                .with_help(format!("remove it, or rename it `_{name}`")),
        );
    }
}
