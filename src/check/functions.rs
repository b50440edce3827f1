//! User functions (`fn name(x: T) -> R = body`): parameters, return type, fallibility.

use std::path::PathBuf;

use super::scope::{Checker, FnInfo, FnState, Frame};
use super::suggest;
use super::types::Type;
use super::typing::{TYPE_NAMES, accepts, from_type_expr};
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{FunctionDecl, TypeExpr};

impl<'a> Checker<'a> {
    /// Registers a function (its body is checked later, on first use or at the end).
    pub(crate) fn declare_function(&mut self, decl: &'a FunctionDecl, base_dir: PathBuf) {
        if let Some(first) = self.functions.get(&decl.name.name) {
            let first = first.decl.name.span;
            self.emit(
                Diagnostic::new(
                    Code::DuplicateDefinition,
                    decl.name.span,
                    format!("function `{}` is defined twice", decl.name.name),
                )
                .with_label("second definition")
                .with_secondary(first, "first definition")
                .with_help("rename or remove one of them"),
            );
            return;
        }
        if self.env.functions.signature(&decl.name.name).is_some() {
            self.emit(
                Diagnostic::new(
                    Code::DuplicateDefinition,
                    decl.name.span,
                    format!("`{}` is a built-in function", decl.name.name),
                )
                .with_label("clashes with the standard library")
                .with_help("give your function another name"),
            );
            return;
        }
        let mut params: Vec<(String, Type)> = Vec::new();
        for param in &decl.params {
            if let Some((_, _)) = params.iter().find(|(n, _)| *n == param.name.name) {
                self.emit(
                    Diagnostic::new(
                        Code::DuplicateDefinition,
                        param.name.span,
                        format!("parameter `{}` appears twice", param.name.name),
                    )
                    .with_label("second time")
                    .with_help("rename one of them"),
                );
            }
            let ty = self.written_type(&param.ty);
            params.push((param.name.name.clone(), ty));
        }
        let returns = decl
            .return_type
            .as_ref()
            .map_or(Type::Any, |t| self.written_type(t));
        self.functions.insert(
            decl.name.name.clone(),
            FnInfo {
                decl,
                base_dir,
                params,
                returns,
                fallible: None,
                state: FnState::Unchecked,
                used: false,
            },
        );
    }

    fn written_type(&mut self, written: &TypeExpr) -> Type {
        match from_type_expr(written) {
            Ok(ty) => ty,
            Err(bad) => {
                let name = match &bad.kind {
                    crate::syntax::ast::TypeExprKind::Named(name) => name.clone(),
                    _ => String::new(),
                };
                let mut diagnostic = Diagnostic::new(
                    Code::UnknownName,
                    bad.span,
                    format!("unknown type `{name}`"),
                )
                .with_label("not a type");
                let help = suggest::did_you_mean(&name, TYPE_NAMES.iter().copied(), str::to_string)
                    .unwrap_or_else(|| {
                        format!(
                            "the types are {}, `list<T>` and `T?`",
                            suggest::listing(TYPE_NAMES.iter().copied(), 20)
                        )
                    });
                diagnostic = diagnostic.with_help(help);
                self.emit(diagnostic);
                Type::Any
            }
        }
    }

    /// Checks a function's body once; a recursive call sees the declared return type.
    pub(crate) fn check_function(&mut self, name: &str) {
        let Some(info) = self.functions.get_mut(name) else {
            return;
        };
        if info.state != FnState::Unchecked {
            return;
        }
        info.state = FnState::InProgress;
        let decl = info.decl;
        let frame = Frame {
            record: Type::Any,
            timezone: true,
            locals: info.params.clone(),
            base_dir: info.base_dir.clone(),
            ..Frame::default()
        };
        let declared = decl.return_type.as_ref().map(|_| info.returns.clone());
        let (body, _) = self.with_frame(frame, |checker| checker.infer(&decl.body, false));
        if let Some(declared) = &declared
            && accepts(declared, &body.ty).is_err()
        {
            self.emit(
                Diagnostic::new(
                    Code::TypeMismatch,
                    decl.body.span,
                    format!(
                        "`{}` is declared to return {declared}, but its body is {}",
                        decl.name.name, body.ty
                    ),
                )
                .with_label(format!("this is {}", body.ty))
                .with_help(format!(
                    "change the return type to `{}`, or convert the body",
                    body.ty
                )),
            );
        }
        if let Some(info) = self.functions.get_mut(name) {
            if declared.is_none() {
                info.returns = body.ty;
            }
            info.fallible = body.fallible;
            info.state = FnState::Done;
        }
    }
}
