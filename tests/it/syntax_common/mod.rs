//! Helpers shared by the syntax tests: compact S-expression rendering of expressions.

use ferry::diagnostics::{Code, Diagnostic, FileId, SourceMap};
use ferry::syntax::ast::{Expr, ExprKind, TemplatePart};

pub fn expr(text: &str) -> Expr {
    match ferry::syntax::parse_expression(FileId(0), text) {
        Ok(expr) => expr,
        Err(d) => panic!("`{text}` failed to parse: {d:?}"),
    }
}

/// `1 + 2 * 3` -> `(+ 1 (* 2 3))`.
pub fn sexpr(text: &str) -> String {
    show(&expr(text))
}

pub fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Decimal(d) => format!("{d}d"),
        ExprKind::String(s) => format!("{s:?}"),
        ExprKind::Template(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    TemplatePart::Literal(s) => format!("{s:?}"),
                    TemplatePart::Expr(e) => show(e),
                })
                .collect();
            format!("(template {})", parts.join(" "))
        }
        ExprKind::Duration(d) => format!("{}s", d.seconds()),
        ExprKind::Omit => "omit".into(),
        ExprKind::Record => ".".into(),
        ExprKind::Field {
            base,
            name,
            optional,
        } => {
            format!(
                "({} {} {})",
                if *optional { "?." } else { "." },
                show(base),
                name.name
            )
        }
        ExprKind::Index {
            base,
            index,
            optional,
        } => {
            format!(
                "({} {} {})",
                if *optional { "?[]" } else { "[]" },
                show(base),
                show(index)
            )
        }
        ExprKind::Var(v) => v.name.clone(),
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Object(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|e| format!("{}: {}", e.key.value, show(&e.value)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        ExprKind::Unary { op, operand } => format!("({op:?} {})", show(operand)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), show(lhs), show(rhs))
        }
        ExprKind::Assert(inner) => format!("(! {})", show(inner)),
        ExprKind::If {
            condition,
            then_branch,
            else_branch,
        } => format!(
            "(if {} {} {})",
            show(condition),
            show(then_branch),
            show(else_branch)
        ),
        ExprKind::Match { subject, arms } => {
            let arms: Vec<String> = arms
                .iter()
                .map(|arm| {
                    let pats: Vec<String> = arm.patterns.iter().map(show).collect();
                    let pats = if pats.is_empty() {
                        "_".to_string()
                    } else {
                        pats.join("|")
                    };
                    format!("{pats} => {}", show(&arm.body))
                })
                .collect();
            format!("(match {} {})", show(subject), arms.join(", "))
        }
        ExprKind::Call { function, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{}: {}", n.name, show(&a.value)),
                    None => show(&a.value),
                })
                .collect();
            format!("({} {})", function.name, args.join(" "))
        }
        ExprKind::Closure { params, body } => {
            let params: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            format!("(|{}| {})", params.join(","), show(body))
        }
    }
}

/// The error of a text that must fail to parse as a module.
pub fn module_error(text: &str) -> Diagnostic {
    match ferry::syntax::parse_module(FileId(0), text) {
        Ok(m) => panic!("expected an error for {text:?}, got {m:?}"),
        Err(d) => d,
    }
}

/// Code, 1-based line and column of the primary label, for the text as file 0.
pub fn located(text: &str, d: &Diagnostic) -> (Code, usize, usize) {
    let mut sources = SourceMap::default();
    let file = sources.add("test.ferry", text);
    let span = d.primary_span().expect("a located diagnostic");
    let (line, col) = sources.line_col(file, span.start);
    (d.code, line, col)
}
