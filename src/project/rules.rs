//! Rules over the whole project file: the default environment exists, every connection has its
//! required settings in every environment, and credentials are not written in the file.

use super::parse::{Parser, did_you_mean, list};
use super::{ConnectionSettings, Project, Setting};
use crate::connectors::Descriptor;
use crate::diagnostics::{Code, Diagnostic};

impl Parser<'_> {
    pub(super) fn default_environment(&mut self, project: &Project) {
        let Some(name) = &project.default_environment else {
            return;
        };
        if project.environments.contains_key(&name.value) {
            return;
        }
        let mut diagnostic = Diagnostic::new(
            Code::UnknownDefaultEnvironment,
            name.span,
            format!("default environment `{}` is not defined", name.value),
        )
        .with_label("no such environment");
        let names = project.environments.keys().map(String::as_str);
        diagnostic = match did_you_mean(&name.value, names) {
            Some(help) => diagnostic.with_help(help),
            None if project.environments.is_empty() => diagnostic.with_help(format!(
                "define it under `environments:`, such as `environments: {{ {}: {{}} }}`",
                name.value
            )),
            None => diagnostic.with_help(format!(
                "defined environments: {}",
                list(
                    &project
                        .environments
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                )
            )),
        };
        self.push(diagnostic);
    }

    /// A required setting must be in the connection, or in every environment's override of it.
    pub(super) fn required_settings(&mut self, project: &Project) {
        for connection in project.connections.values() {
            let mut missing = Vec::new();
            let mut lacking_environments = Vec::new();
            for key in connection.kind.required() {
                let written = |s: &ConnectionSettings| {
                    s.values.contains_key(*key) || s.invalid.iter().any(|k| k == key)
                };
                if written(&connection.settings) {
                    continue;
                }
                let lacking: Vec<&str> = project
                    .environments
                    .values()
                    .filter(|e| {
                        e.connections
                            .get(&connection.name)
                            .is_none_or(|o| !written(&o.settings))
                    })
                    .map(|e| e.name.as_str())
                    .collect();
                if project.environments.is_empty() || !lacking.is_empty() {
                    missing.push(*key);
                    if lacking.len() < project.environments.len() {
                        lacking_environments.extend(lacking);
                    }
                }
            }
            let Some(first) = missing.first() else {
                continue;
            };
            let example = if connection.kind.secrets().contains(first) {
                format!("`{first}: ${{{}}}`", variable_for(&connection.name, first))
            } else {
                format!("`{first}: ...`")
            };
            let mut diagnostic = Diagnostic::new(
                Code::MissingConnectionSetting,
                connection.name_span,
                format!(
                    "{} connection `{}` lacks {}",
                    connection.kind.name(),
                    connection.name,
                    list(&missing)
                ),
            )
            .with_label(format!("needs {}", list(&missing)))
            .with_help(format!(
                "add them to the connection or to every environment, such as {example}"
            ));
            lacking_environments.sort_unstable();
            lacking_environments.dedup();
            if !lacking_environments.is_empty() {
                diagnostic = diagnostic.with_note(format!(
                    "some environments set them; these do not: {}",
                    list(&lacking_environments)
                ));
            }
            self.push(diagnostic);
        }
    }

    /// Credentials belong in the environment or a secret file. A live Stripe key in the file is
    /// an error; any other literal credential a warning, unless it only goes to a local emulator.
    pub(super) fn literal_secrets(&mut self, project: &Project) {
        for connection in project.connections.values() {
            let base_url = connection.settings.values.get("base_url");
            self.literal_secrets_in(&connection.name, &connection.settings, base_url);
            for environment in project.environments.values() {
                if let Some(o) = environment.connections.get(&connection.name) {
                    let url = o.settings.values.get("base_url").or(base_url);
                    self.literal_secrets_in(&connection.name, &o.settings, url);
                }
            }
        }
    }

    pub(super) fn literal_secrets_in(
        &mut self,
        connection: &str,
        settings: &ConnectionSettings,
        base_url: Option<&Setting>,
    ) {
        let local = base_url
            .and_then(|s| s.template.literal())
            .is_some_and(|url| super::resolve::is_loopback(&url));
        for setting in settings.values.values().filter(|s| s.secret) {
            let Some(value) = setting.template.literal() else {
                continue;
            };
            let variable = variable_for(connection, &setting.key);
            if let Some(system) = Descriptor::live_key_of(&value) {
                self.push(
                    Diagnostic::new(
                        Code::LiveSecretInProjectFile,
                        setting.value_span,
                        format!(
                            "a live {} key is written in the project file (`{}`)",
                            system.title, setting.key
                        ),
                    )
                    .with_label("live credential")
                    .with_help(format!(
                        "write `{}: ${{{variable}}}` and set the variable where ferry runs",
                        setting.key
                    ))
                    .with_note(format!(
                        "roll this key in the {} dashboard: anyone who has read the file has it",
                        system.title
                    )),
                );
            } else if !local {
                self.push(
                    Diagnostic::new(
                        Code::LiteralSecret,
                        setting.value_span,
                        format!("`{}` is written literally in the project file", setting.key),
                    )
                    .with_label("literal credential")
                    .with_help(format!(
                        "use an environment variable (`${{{variable}}}`) or a secret file (`file:/run/secrets/...`)"
                    )),
                );
            }
        }
    }
}

/// The environment variable name suggested for a connection's setting: `STRIPE_API_KEY`.
fn variable_for(connection: &str, key: &str) -> String {
    format!("{connection}_{key}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}
