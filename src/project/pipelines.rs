//! The `pipelines:` section: which of the project's pipelines run. Every pipeline runs unless the
//! file turns it off, so that of two pipelines that would book one event twice (a charge as a
//! sales order and as an invoice) the project says which one runs.
//!
//! ```yaml
//! pipelines:
//!   stripe_charges_to_business_central: { enabled: false }
//!   stripe_eu_charges: { shares_events_with: [stripe_au_charges] }
//! ```

use indexmap::IndexMap;

use super::parse::{Parser, did_you_mean, list};
use super::{Project, Spanned};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::formats::yaml::Node;

const PIPELINE_KEYS: [&str; 2] = ["enabled", "shares_events_with"];

/// What the project file says about one pipeline.
#[derive(Clone, Debug)]
pub struct PipelineSettings {
    pub name: String,
    pub name_span: Span,
    /// `enabled: false` turns the pipeline off: `ferry serve` and `ferry run` over a folder skip
    /// it, and lint leaves it out of W0009.
    pub enabled: bool,
    /// Pipelines that read the same events and write the same system as this one, on purpose:
    /// their `where` filters split the events between them, which lint cannot prove (W0009).
    pub shares_events_with: Vec<Spanned<String>>,
}

impl Project {
    /// Whether the project file turns `pipeline` off.
    pub fn disables(&self, pipeline: &str) -> bool {
        self.pipelines.get(pipeline).is_some_and(|p| !p.enabled)
    }

    /// The pipelines the project file turns off, in file order.
    pub fn disabled_pipelines(&self) -> Vec<String> {
        self.pipelines
            .values()
            .filter(|p| !p.enabled)
            .map(|p| p.name.clone())
            .collect()
    }

    /// The pairs of pipelines said to split their events between them, each pair once.
    pub fn shared_event_pairs(&self) -> Vec<(String, String)> {
        self.pipelines
            .values()
            .flat_map(|p| {
                p.shares_events_with
                    .iter()
                    .map(|other| (p.name.clone(), other.value.clone()))
            })
            .collect()
    }

    /// E0620 for every pipeline name in the `pipelines:` section that is not one of `known`
    /// (the pipelines of the project's folders and of the files linted with it).
    pub fn unknown_pipelines(&self, known: &[String]) -> Vec<Diagnostic> {
        let named = self.pipelines.values().flat_map(|p| {
            std::iter::once((p.name.as_str(), p.name_span)).chain(
                p.shares_events_with
                    .iter()
                    .map(|other| (other.value.as_str(), other.span)),
            )
        });
        let scheduled = self.reconcile.iter().flat_map(|schedule| {
            schedule
                .pipelines
                .iter()
                .map(|name| (name.value.as_str(), name.span))
        });
        let named = named.chain(scheduled);
        let mut known_sorted: Vec<&str> = known.iter().map(String::as_str).collect();
        known_sorted.sort_unstable();
        known_sorted.dedup();
        named
            .filter(|(name, _)| !known_sorted.contains(name))
            .map(|(name, span)| {
                let listed = if known_sorted.is_empty() {
                    "the project has no pipelines".to_string()
                } else {
                    format!("the project's pipelines are {}", list(&known_sorted))
                };
                let help = match did_you_mean(name, known_sorted.iter().copied()) {
                    Some(suggestion) => format!("{suggestion} {listed}"),
                    None => listed,
                };
                Diagnostic::new(
                    Code::UnknownPipelineInProject,
                    span,
                    format!("the project has no pipeline `{name}`"),
                )
                .with_label("no such pipeline")
                .with_help(help)
            })
            .collect()
    }
}

impl Parser<'_> {
    pub(super) fn pipelines(&mut self, value: &Node) -> IndexMap<String, PipelineSettings> {
        let mut pipelines = IndexMap::new();
        for (name, body) in self.mapping(&["pipelines"], value) {
            let path = ["pipelines", name.as_str()];
            let mut settings = PipelineSettings {
                name: name.clone(),
                name_span: self.doc.key(&path),
                enabled: true,
                shares_events_with: Vec::new(),
            };
            for (key, value) in self.mapping(&path, body) {
                let key_path = ["pipelines", name.as_str(), key.as_str()];
                match (key.as_str(), value) {
                    ("enabled", Node::Bool(enabled)) => settings.enabled = *enabled,
                    ("enabled", other) => {
                        let span = self.doc.value(&key_path);
                        self.wrong_type(span, "`enabled`", "`true` or `false`", other);
                    }
                    ("shares_events_with", value) => {
                        settings.shares_events_with = self.pipeline_names(&key_path, value);
                    }
                    _ => self.unknown_key(&key_path, &PIPELINE_KEYS, "in a pipeline's settings"),
                }
            }
            pipelines.insert(name.clone(), settings);
        }
        pipelines
    }

    /// A list of pipeline names, each with where it is written.
    fn pipeline_names(&mut self, path: &[&str], value: &Node) -> Vec<Spanned<String>> {
        let items = match value {
            Node::Sequence(items) => items.as_slice(),
            Node::String(_) => std::slice::from_ref(value),
            other => {
                let span = self.doc.value(path);
                self.wrong_type(span, "`shares_events_with`", "a list of pipelines", other);
                return Vec::new();
            }
        };
        let key = self.doc.key(path);
        let mut searched_from = key.range().end;
        let mut names = Vec::new();
        for item in items {
            let Node::String(name) = item else {
                let span = self.doc.value(path);
                self.wrong_type(span, "a pipeline in the list", "a name", item);
                continue;
            };
            // Items of a list have no located positions: each name is the next occurrence of its
            // text after the key (the key itself when it is not found).
            let span = self.doc.text[searched_from.min(self.doc.text.len())..]
                .find(name.as_str())
                .map_or(key, |at| {
                    let start = searched_from + at;
                    searched_from = start + name.len();
                    Span::new(self.doc.file, start, start + name.len())
                });
            names.push(Spanned {
                value: name.clone(),
                span,
            });
        }
        names
    }
}
