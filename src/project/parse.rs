//! Reads the YAML tree of a project file into a [`Project`], reporting every problem with a
//! span into the file.

use std::path::Path;

use indexmap::IndexMap;

use super::document::Document;
use super::{Connection, Environment, Override, Project, Setting, Spanned, Template};
use crate::connectors::Descriptor;
use crate::diagnostics::{Code, Diagnostic, FileId, Severity, Span};
use crate::formats::yaml::{self, Node};

const TOP_LEVEL_KEYS: [&str; 11] = [
    "version",
    "timezone",
    "store",
    "public_url",
    "default_environment",
    "connections",
    "environments",
    "pipelines",
    "alerts",
    "dashboard",
    "reconcile",
];
const ENVIRONMENT_KEYS: [&str; 4] = ["connections", "store", "public_url", "alerts"];

pub(super) type Entries = [(String, Node)];

pub(super) fn parse(path: &Path, text: &str, file: FileId) -> (Option<Project>, Vec<Diagnostic>) {
    let mut parser = Parser {
        doc: Document { text, file },
        diagnostics: Vec::new(),
        declared: Vec::new(),
    };
    let project = parser.project(path);
    let mut diagnostics = parser.diagnostics;
    diagnostics.sort_by_key(|d| d.primary_span().map(|s| (s.start, s.end)));
    let project = project.map(|mut project| {
        project.warnings = diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Warning)
            .cloned()
            .collect();
        project
    });
    (project, diagnostics)
}

pub(super) struct Parser<'t> {
    pub(super) doc: Document<'t>,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Every connection name written, valid or not, so overrides of a connection that already
    /// has an error do not report it again.
    declared: Vec<String>,
}

impl Parser<'_> {
    fn project(&mut self, path: &Path) -> Option<Project> {
        let root = match yaml::parse(self.doc.text) {
            Ok(root) => root,
            Err(error) => {
                let span = self.doc.at_offset(error.offset.unwrap_or(0));
                self.push(
                    Diagnostic::new(
                        Code::ProjectYamlMalformed,
                        span,
                        format!("the project file is not valid YAML: {}", error.message),
                    )
                    .with_label("here"),
                );
                return None;
            }
        };
        let entries: &Entries = match &root {
            Node::Mapping(entries) => entries,
            Node::Null => {
                self.push(
                    Diagnostic::new(
                        Code::ProjectYamlMalformed,
                        Span::new(self.doc.file, 0, 0),
                        "the project file is empty",
                    )
                    .with_help("start with `version: 1` and a `connections:` section"),
                );
                return None;
            }
            other => {
                let span = self.doc.at_offset(0);
                self.wrong_type(span, "the project file", "a mapping of settings", other);
                return None;
            }
        };
        let mut project = Project {
            path: path.to_path_buf(),
            dir: path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| ".".into(), Path::to_path_buf),
            timezone: None,
            store: None,
            public_url: None,
            default_environment: None,
            connections: IndexMap::new(),
            environments: IndexMap::new(),
            pipelines: IndexMap::new(),
            alerts: None,
            dashboard: None,
            reconcile: Vec::new(),
            warnings: Vec::new(),
        };
        for (key, value) in entries {
            match key.as_str() {
                "version" => self.version(value),
                "timezone" => project.timezone = self.timezone(value),
                "store" => project.store = self.store(&["store"], value),
                "public_url" => project.public_url = self.setting(&["public_url"], value, false),
                "default_environment" => {
                    project.default_environment = self.text(&["default_environment"], value)
                }
                "connections" => project.connections = self.connections(value),
                "environments" => {} // after connections, wherever it is written
                "pipelines" => project.pipelines = self.pipelines(value),
                "alerts" => project.alerts = self.alerts(value),
                "dashboard" => project.dashboard = self.dashboard(value),
                "reconcile" => project.reconcile = self.reconcile(value),
                _ => self.unknown_key(&[key], &TOP_LEVEL_KEYS, "at the top level"),
            }
        }
        if let Some((_, value)) = entries.iter().find(|(k, _)| k == "environments") {
            project.environments = self.environments(value, &project.connections);
        }
        self.default_environment(&project);
        self.required_settings(&project);
        self.literal_secrets(&project);
        Some(project)
    }

    fn version(&mut self, value: &Node) {
        if !matches!(value, Node::Number(n) if n == "1") {
            let span = self.doc.value(&["version"]);
            self.push(
                Diagnostic::new(
                    Code::UnsupportedProjectVersion,
                    span,
                    "this version of ferry reads project files of version 1",
                )
                .with_label("unsupported version")
                .with_help("write `version: 1`"),
            );
        }
    }

    fn timezone(&mut self, value: &Node) -> Option<Spanned<String>> {
        let name = self.text(&["timezone"], value)?;
        if jiff::tz::TimeZone::get(&name.value).is_ok() {
            return Some(name);
        }
        let names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
        let mut diagnostic = Diagnostic::new(
            Code::ProjectInvalidTimezone,
            name.span,
            format!("unknown time zone `{}`", name.value),
        )
        .with_label("not an IANA time zone");
        diagnostic = match did_you_mean(&name.value, names.iter().map(String::as_str)) {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic.with_help("use an IANA name such as `Australia/Sydney` or `UTC`"),
        };
        self.push(diagnostic);
        None
    }

    fn store(&mut self, path: &[&str], value: &Node) -> Option<Setting> {
        let setting = self.setting(path, value, true)?;
        let Some(literal) = setting.template.literal() else {
            return Some(setting);
        };
        if super::resolve::parse_store(&literal, Path::new(".")).is_none() {
            self.push(
                Diagnostic::new(
                    Code::UnsupportedStoreUrl,
                    setting.value_span,
                    super::resolve::unsupported_store(&literal),
                )
                .with_label("unsupported store")
                .with_help("for example `store: sqlite://.ferry/state.db`"),
            );
            return None;
        }
        Some(setting)
    }

    fn connections(&mut self, value: &Node) -> IndexMap<String, Connection> {
        let mut connections = IndexMap::new();
        for (name, body) in self.mapping(&["connections"], value) {
            self.declared.push(name.clone());
            if let Some(connection) = self.connection(name, body) {
                connections.insert(name.clone(), connection);
            }
        }
        connections
    }

    fn connection(&mut self, name: &str, body: &Node) -> Option<Connection> {
        let path = ["connections", name];
        let name_span = self.doc.key(&path);
        let entries = self.mapping(&path, body);
        let Some((_, kind_node)) = entries.iter().find(|(k, _)| k == "kind") else {
            let kinds = Descriptor::names().join(", ");
            self.push(
                Diagnostic::new(
                    Code::MissingConnectionSetting,
                    name_span,
                    format!("connection `{name}` has no `kind`"),
                )
                .with_label("which system is this?")
                .with_help(format!("add `kind:` with one of {kinds}")),
            );
            return None;
        };
        let kind_path = ["connections", name, "kind"];
        let kind_name = self.text(&kind_path, kind_node)?;
        let Some(kind) = Descriptor::named(&kind_name.value) else {
            let kinds = Descriptor::names();
            let help = did_you_mean(&kind_name.value, kinds.iter().copied())
                .unwrap_or_else(|| format!("use one of {}", kinds.join(", ")));
            self.push(
                Diagnostic::new(
                    Code::UnknownConnectionKind,
                    kind_name.span,
                    format!("unknown connection kind `{}`", kind_name.value),
                )
                .with_label("not a kind ferry connects to")
                .with_help(help),
            );
            return None;
        };
        let settings = self.settings(kind, &path, entries, false);
        Some(Connection {
            name: name.to_string(),
            name_span,
            kind,
            settings,
        })
    }

    fn environments(
        &mut self,
        value: &Node,
        connections: &IndexMap<String, Connection>,
    ) -> IndexMap<String, Environment> {
        let mut environments = IndexMap::new();
        for (name, body) in self.mapping(&["environments"], value) {
            let path = ["environments", name.as_str()];
            let mut environment = Environment {
                name: name.clone(),
                name_span: self.doc.key(&path),
                store: None,
                public_url: None,
                connections: IndexMap::new(),
                alerts: true,
            };
            for (key, value) in self.mapping(&path, body) {
                match key.as_str() {
                    "store" => {
                        environment.store = self.store(&["environments", name, "store"], value)
                    }
                    "public_url" => {
                        environment.public_url =
                            self.setting(&["environments", name, "public_url"], value, false)
                    }
                    "connections" => {
                        environment.connections = self.overrides(name, value, connections)
                    }
                    "alerts" => match value {
                        Node::Bool(on) => environment.alerts = *on,
                        other => {
                            let span = self.doc.value(&["environments", name, "alerts"]);
                            self.wrong_type(
                                span,
                                "an environment's `alerts`",
                                "`true` or `false`",
                                other,
                            );
                        }
                    },
                    _ => self.unknown_key(
                        &["environments", name, key],
                        &ENVIRONMENT_KEYS,
                        "in an environment",
                    ),
                }
            }
            environments.insert(name.clone(), environment);
        }
        environments
    }

    fn overrides(
        &mut self,
        environment: &str,
        value: &Node,
        connections: &IndexMap<String, Connection>,
    ) -> IndexMap<String, Override> {
        let mut overrides = IndexMap::new();
        let base = ["environments", environment, "connections"];
        for (name, body) in self.mapping(&base, value) {
            let path = ["environments", environment, "connections", name.as_str()];
            let name_span = self.doc.key(&path);
            let Some(connection) = connections.get(name) else {
                if self.declared.contains(name) {
                    continue;
                }
                let mut diagnostic = Diagnostic::new(
                    Code::OverrideOfUnknownConnection,
                    name_span,
                    format!("environment `{environment}` overrides connection `{name}`, which is not declared"),
                )
                .with_label("no such connection");
                diagnostic = match did_you_mean(name, connections.keys().map(String::as_str)) {
                    Some(help) => diagnostic.with_help(help),
                    None => diagnostic.with_help(
                        "declare it under the top-level `connections:` with its `kind`, or remove the override",
                    ),
                };
                self.push(diagnostic);
                continue;
            };
            let entries = self.mapping(&path, body);
            let settings = self.settings(connection.kind, &path, entries, true);
            overrides.insert(
                name.clone(),
                Override {
                    name_span,
                    settings,
                },
            );
        }
        overrides
    }

    /// A text setting; `${VAR}` and `file:` references are checked for form.
    pub(super) fn setting(&mut self, path: &[&str], value: &Node, secret: bool) -> Option<Setting> {
        let text = self.text(path, value)?;
        let key = path.last().copied().unwrap_or_default();
        match Template::parse(&text.value) {
            Ok(template) => Some(Setting {
                key: key.to_string(),
                template,
                secret,
                key_span: self.doc.key(path),
                value_span: text.span,
            }),
            Err(reason) => {
                self.push(
                    Diagnostic::new(
                        Code::MalformedReference,
                        text.span,
                        format!("malformed reference in `{key}`: {reason}"),
                    )
                    .with_help("write `${VARIABLE_NAME}` or `file:/path/to/secret`"),
                );
                None
            }
        }
    }

    pub(super) fn text(&mut self, path: &[&str], value: &Node) -> Option<Spanned<String>> {
        let span = self.doc.value(path);
        match value {
            Node::String(s) => Some(Spanned {
                value: s.clone(),
                span,
            }),
            Node::Number(n) => Some(Spanned {
                value: n.clone(),
                span,
            }),
            other => {
                let key = path.last().copied().unwrap_or_default();
                self.wrong_type(span, &format!("`{key}`"), "text", other);
                None
            }
        }
    }

    /// The entries of a mapping; nothing (`key:` with no value) counts as an empty mapping.
    pub(super) fn mapping<'n>(&mut self, path: &[&str], value: &'n Node) -> &'n Entries {
        match value {
            Node::Mapping(entries) => entries,
            Node::Null => &[],
            other => {
                let span = self.doc.value(path);
                let key = path.last().copied().unwrap_or_default();
                self.wrong_type(span, &format!("`{key}`"), "a mapping", other);
                &[]
            }
        }
    }

    pub(super) fn wrong_type(&mut self, span: Span, what: &str, expected: &str, found: &Node) {
        self.push(
            Diagnostic::new(
                Code::ProjectValueType,
                span,
                format!("{what} must be {expected}, found {}", found.describe()),
            )
            .with_label(format!("expected {expected}")),
        );
    }

    pub(super) fn unknown_key(&mut self, path: &[&str], allowed: &[&str], place: &str) {
        let key = path.last().copied().unwrap_or_default();
        let span = self.doc.key(path);
        let help = did_you_mean(key, allowed.iter().copied())
            .unwrap_or_else(|| format!("the keys allowed {place} are {}", list(allowed)));
        self.push(
            Diagnostic::new(
                Code::ProjectUnknownKey,
                span,
                format!("unknown key `{key}` {place}"),
            )
            .with_label("unknown key")
            .with_help(help),
        );
    }

    /// A list of items, or one item on its own, each read with `item` at its own path.
    pub(super) fn one_or_many<T>(
        &mut self,
        path: &[&str],
        value: &Node,
        item: fn(&mut Self, &[&str], &Node) -> Option<T>,
    ) -> Vec<T> {
        match value {
            Node::Sequence(items) => items
                .iter()
                .enumerate()
                .filter_map(|(n, value)| {
                    let index = n.to_string();
                    let item_path = [path, &[index.as_str()]].concat();
                    item(self, &item_path, value)
                })
                .collect(),
            single => item(self, path, single).into_iter().collect(),
        }
    }

    pub(super) fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

pub(super) fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `did you mean `x`?` when a candidate is close enough to be a typo.
pub(super) fn did_you_mean<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    let wanted = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            let lower = c.to_lowercase();
            let score = strsim::jaro_winkler(&wanted, &lower);
            let edits = strsim::levenshtein(&wanted, &lower);
            (
                c,
                score,
                lower == wanted || score >= 0.88 || (edits <= 2 && wanted.len() > 3),
            )
        })
        .filter(|(_, _, close)| *close)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _, _)| format!("did you mean `{c}`?"))
}
