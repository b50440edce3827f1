//! Renderers: miette for terminals, JSON for `--format json`.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::{Diagnostic, Severity, SourceMap};

/// Adapts a [`Diagnostic`] to miette. miette shows one source per report, so labels in other
/// files than the primary one become notes.
struct MietteReport<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    notes: Vec<String>,
}

impl<'a> MietteReport<'a> {
    fn new(diagnostic: &'a Diagnostic, sources: &SourceMap) -> Self {
        let primary_file = diagnostic.primary_span().map(|s| s.file);
        let file = primary_file.and_then(|f| sources.get(f));
        let source = file.map(|f| {
            NamedSource::new(f.path.display().to_string(), f.text.to_string())
                .with_language("ferry")
        });
        let mut labels = Vec::new();
        let mut notes = diagnostic.notes.clone();
        for label in &diagnostic.labels {
            if Some(label.span.file) == primary_file {
                let text = (!label.message.is_empty()).then(|| label.message.clone());
                let span = SourceSpan::from(label.span.start as usize..label.span.end as usize);
                labels.push(if label.primary {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                });
            } else {
                let (line, column) = sources.line_col(label.span.file, label.span.start);
                let path = sources
                    .get(label.span.file)
                    .map(|f| f.path.display().to_string())
                    .unwrap_or_default();
                notes.push(format!("{path}:{line}:{column}: {}", label.message));
            }
        }
        MietteReport {
            diagnostic,
            source,
            labels,
            notes,
        }
    }
}

impl fmt::Debug for MietteReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for MietteReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for MietteReport<'_> {}

impl miette::Diagnostic for MietteReport<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let mut text = self.diagnostic.help.clone().unwrap_or_default();
        for note in &self.notes {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str("note: ");
            text.push_str(note);
        }
        (!text.is_empty()).then(|| Box::new(text) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<_>)
    }
}

/// Renders for a terminal. `color` picks ANSI colours and Unicode; plain output is for logs and
/// snapshot tests.
pub fn to_terminal(diagnostic: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let report = MietteReport::new(diagnostic, sources);
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
    }
    out
}

/// One JSON object per diagnostic, with one-based lines and columns.
pub fn to_json(diagnostic: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let labels: Vec<_> = diagnostic
        .labels
        .iter()
        .map(|label| {
            let (line, column) = sources.line_col(label.span.file, label.span.start);
            let (end_line, end_column) = sources.line_col(label.span.file, label.span.end);
            serde_json::json!({
                "file": sources.get(label.span.file).map(|f| f.path.display().to_string()),
                "start": label.span.start,
                "end": label.span.end,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "message": label.message,
                "primary": label.primary,
            })
        })
        .collect();
    serde_json::json!({
        "code": diagnostic.code.as_str(),
        "severity": diagnostic.severity(),
        "message": diagnostic.message,
        "labels": labels,
        "help": diagnostic.help,
        "notes": diagnostic.notes,
    })
}

/// The Markdown page of every code, published as docs/errors.md.
pub fn errors_markdown() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\nGenerated by `ferry explain --all`; do not edit by hand.\n\n",
    );
    for code in super::Code::ALL {
        out.push_str(&format!(
            "## {}: {}\n\n{}\n\n",
            code.as_str(),
            code.title(),
            code.explanation()
        ));
    }
    out
}
