//! Resolving an environment: overrides merged over the connections, `${VAR}` and `file:`
//! references expanded, defaults filled in.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use url::Url;

use super::parse::did_you_mean;
use super::{
    Auth, Connection, ConnectionSettings, DEFAULT_STORE, Kind, Project, ResolvedConnection, Secret,
    Setting,
};
use crate::connectors::descriptor::AuthScheme;
use crate::diagnostics::{Code, Diagnostic, Span};

/// One environment with everything a run needs, secrets included.
#[derive(Clone, Debug)]
pub struct ResolvedEnvironment {
    /// The environment's name; `default` when the file defines no environments.
    pub name: String,
    pub timezone: Option<String>,
    pub store: StoreUrl,
    /// Where the systems reach `ferry serve` (`public_url:`), an http(s) URL.
    pub public_url: Option<String>,
    pub connections: IndexMap<String, ResolvedConnection>,
}

impl ResolvedEnvironment {
    pub fn connection(&self, name: &str) -> Option<&ResolvedConnection> {
        self.connections.get(name)
    }

    /// Every secret of the environment, for [`super::redact`].
    pub fn secrets(&self) -> Vec<&Secret> {
        let mut secrets: Vec<&Secret> = self
            .connections
            .values()
            .flat_map(|c| c.secrets.values())
            .collect();
        if let StoreUrl::Postgres(url) = &self.store {
            secrets.push(url);
        }
        secrets
    }
}

/// Where ferry keeps its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUrl {
    /// A SQLite file; relative paths are resolved against the project folder.
    Sqlite(PathBuf),
    SqliteMemory,
    /// A PostgreSQL URL, which may carry a password.
    Postgres(Secret),
}

type Lookup<'l> = &'l dyn Fn(&str) -> Option<String>;

impl Project {
    /// Resolves `name` (or the default environment) with the process environment.
    pub fn environment(&self, name: Option<&str>) -> Result<ResolvedEnvironment, Vec<Diagnostic>> {
        self.environment_with(name, &|var| std::env::var(var).ok())
    }

    /// Resolves `name` (or the default environment), reading `${VAR}` references with `lookup`.
    /// Without environments in the file, `None` resolves the connections as declared.
    pub fn environment_with(
        &self,
        name: Option<&str>,
        lookup: Lookup,
    ) -> Result<ResolvedEnvironment, Vec<Diagnostic>> {
        let chosen = name.or(self.default_environment.as_ref().map(|d| d.value.as_str()));
        let environment = match chosen {
            Some(name) => match self.environments.get(name) {
                Some(environment) => Some(environment),
                None => return Err(vec![self.unknown_environment(name)]),
            },
            None if self.environments.is_empty() => None,
            None => return Err(vec![self.no_environment_chosen()]),
        };
        let mut resolver = Resolver {
            lookup,
            dir: &self.dir,
            diagnostics: Vec::new(),
        };
        let store_setting = environment
            .and_then(|e| e.store.as_ref())
            .or(self.store.as_ref());
        let store = resolver.store(store_setting);
        let public_url = environment
            .and_then(|e| e.public_url.as_ref())
            .or(self.public_url.as_ref())
            .and_then(|setting| resolver.public_url(setting));
        let mut connections = IndexMap::new();
        for connection in self.connections.values() {
            let overrides = environment
                .and_then(|e| e.connections.get(&connection.name))
                .map(|o| &o.settings);
            if let Some(resolved) = resolver.connection(connection, overrides) {
                connections.insert(connection.name.clone(), resolved);
            }
        }
        match (store, resolver.diagnostics.is_empty()) {
            (Some(store), true) => Ok(ResolvedEnvironment {
                name: chosen.unwrap_or("default").to_string(),
                timezone: self.timezone.as_ref().map(|t| t.value.clone()),
                store,
                public_url,
                connections,
            }),
            _ => Err(resolver.diagnostics),
        }
    }

    fn unknown_environment(&self, name: &str) -> Diagnostic {
        let names: Vec<&str> = self.environments.keys().map(String::as_str).collect();
        let mut diagnostic = Diagnostic::unlocated(
            Code::UnknownEnvironment,
            format!(
                "environment `{name}` is not defined in {}",
                self.path.display()
            ),
        );
        diagnostic = match did_you_mean(name, names.iter().copied()) {
            Some(help) => diagnostic.with_help(help),
            None if names.is_empty() => {
                diagnostic.with_help("the project file defines no environments")
            }
            None => diagnostic.with_help(format!("defined environments: {}", names.join(", "))),
        };
        diagnostic
    }

    fn no_environment_chosen(&self) -> Diagnostic {
        let names: Vec<&str> = self.environments.keys().map(String::as_str).collect();
        Diagnostic::unlocated(
            Code::UnknownEnvironment,
            "no environment chosen and the project file has no `default_environment`",
        )
        .with_help(format!(
            "pass `--env` with one of {}, or set `default_environment:`",
            names.join(", ")
        ))
    }
}

/// Reads settings' references (`${VAR}`, `file:`), collecting a diagnostic for each that fails.
pub(super) struct Resolver<'r> {
    lookup: Lookup<'r>,
    dir: &'r Path,
    diagnostics: Vec<Diagnostic>,
}

impl<'r> Resolver<'r> {
    pub(super) fn new(lookup: Lookup<'r>, dir: &'r Path) -> Self {
        Resolver {
            lookup,
            dir,
            diagnostics: Vec::new(),
        }
    }

    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

impl Resolver<'_> {
    fn connection(
        &mut self,
        connection: &Connection,
        overrides: Option<&ConnectionSettings>,
    ) -> Option<ResolvedConnection> {
        let base = &connection.settings;
        let mut merged: IndexMap<&str, &Setting> =
            base.values.iter().map(|(k, v)| (k.as_str(), v)).collect();
        if let Some(overrides) = overrides {
            merged.extend(overrides.values.iter().map(|(k, v)| (k.as_str(), v)));
        }
        let (mut settings, mut secrets) = (IndexMap::new(), IndexMap::new());
        let before = self.diagnostics.len();
        for (key, setting) in &merged {
            let Some(value) = self.expand(setting) else {
                continue;
            };
            if setting.secret {
                secrets.insert(key.to_string(), Secret::new(value));
            } else {
                settings.insert(key.to_string(), value);
            }
        }
        let kind = connection.kind;
        let base_url = self.url(
            kind,
            "base_url",
            kind.default_base_url(),
            &merged,
            &settings,
        );
        let rate_limit = overrides
            .and_then(|o| o.rate_limit.as_ref())
            .or(base.rate_limit.as_ref())
            .map(|r| r.value)
            .or_else(|| {
                let key = secrets.get("api_key").map(Secret::expose);
                kind.default_rate_limit(key)
            });
        let auth = self.auth(connection, &merged, &settings, &secrets);
        if self.diagnostics.len() > before {
            return None;
        }
        Some(ResolvedConnection {
            name: connection.name.clone(),
            kind,
            base_url,
            auth: auth?,
            rate_limit,
            concurrency: overrides.and_then(|o| o.concurrency).or(base.concurrency),
            timeout: overrides.and_then(|o| o.timeout).or(base.timeout),
            settings,
            secrets,
            project_dir: Some(self.dir.to_path_buf()),
            shared_budget: None,
        })
    }

    fn auth(
        &mut self,
        connection: &Connection,
        merged: &IndexMap<&str, &Setting>,
        settings: &IndexMap<String, String>,
        secrets: &IndexMap<String, Secret>,
    ) -> Option<Auth> {
        let mut missing = |key: &str| -> Option<()> {
            if settings.contains_key(key) || secrets.contains_key(key) {
                return Some(());
            }
            // Validation requires these; an absent one here means its reference failed.
            if !merged.contains_key(key) {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::MissingConnectionSetting,
                        connection.name_span,
                        format!(
                            "connection `{}` has no `{key}` in this environment",
                            connection.name
                        ),
                    )
                    .with_help(format!(
                        "add `{key}:` to the connection or to this environment"
                    )),
                );
            }
            None
        };
        for key in connection.kind.required() {
            missing(key)?;
        }
        let text = |key: &str| settings.get(key).cloned().unwrap_or_default();
        let secret = |key: &str| secrets.get(key).cloned();
        Some(match connection.kind.auth {
            AuthScheme::None => Auth::None,
            AuthScheme::Bearer { secret: key } => Auth::Bearer(secret(key)?),
            AuthScheme::Basic { user, password } => Auth::Basic {
                user: text(user),
                password: secret(password)?,
            },
            AuthScheme::Session => Auth::Session,
            AuthScheme::ClientCredentials {
                login_url,
                token_path,
                scope,
            } => {
                let login = self.url(
                    connection.kind,
                    "login_url",
                    Some(login_url),
                    merged,
                    settings,
                )?;
                let token_url = login.join(&fill_settings(token_path, settings)).ok()?;
                Auth::ClientCredentials {
                    token_url,
                    client_id: text("client_id"),
                    client_secret: secret("client_secret")?,
                    scope: settings
                        .get("scope")
                        .cloned()
                        .unwrap_or_else(|| scope.to_string()),
                }
            }
        })
    }

    /// A URL setting, expanded and checked, with a trailing `/` so relative paths join under it.
    fn url(
        &mut self,
        kind: Kind,
        key: &str,
        default: Option<&str>,
        merged: &IndexMap<&str, &Setting>,
        settings: &IndexMap<String, String>,
    ) -> Option<Url> {
        let text = settings.get(key).map(String::as_str).or(default)?;
        match parse_http_url(text) {
            Ok(url) => Some(url),
            Err(reason) => {
                let span = merged.get(key).map_or(Span::default(), |s| s.value_span);
                // The expanded text may come from a variable: describe it without echoing it.
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidUrl,
                        span,
                        format!(
                            "`{key}` of this {} connection is not a valid URL: {reason}",
                            kind.name()
                        ),
                    )
                    .with_label("invalid once expanded"),
                );
                None
            }
        }
    }

    fn store(&mut self, setting: Option<&Setting>) -> Option<StoreUrl> {
        let Some(setting) = setting else {
            return parse_store(DEFAULT_STORE, self.dir);
        };
        let text = self.expand(setting)?;
        let store = parse_store(&text, self.dir);
        if store.is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::UnsupportedStoreUrl,
                    setting.value_span,
                    unsupported_store(&text),
                )
                .with_label("unsupported once expanded"),
            );
        }
        store
    }

    /// `public_url`, expanded: an absolute http(s) URL.
    fn public_url(&mut self, setting: &Setting) -> Option<String> {
        let text = self.expand(setting)?;
        let valid = url::Url::parse(&text)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
        if !valid {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidUrl,
                    setting.value_span,
                    "`public_url` must be an http(s) URL, such as `https://ferry.example.com`",
                )
                .with_label("not an http(s) URL once expanded"),
            );
            return None;
        }
        Some(text)
    }

    pub(super) fn expand(&mut self, setting: &Setting) -> Option<String> {
        match setting.template.expand(self.lookup, self.dir) {
            Ok(value) => Some(value),
            Err(error) => {
                let (code, help) = match &error {
                    super::ExpandError::Variables(names) => (
                        Code::EnvironmentVariableMissing,
                        format!(
                            "set {} where ferry runs (for `{}`)",
                            names
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(" and "),
                            setting.key
                        ),
                    ),
                    super::ExpandError::File { .. } => (
                        Code::SecretFileUnreadable,
                        format!(
                            "create the file with the value of `{}`, or fix the path",
                            setting.key
                        ),
                    ),
                };
                self.diagnostics.push(
                    Diagnostic::new(code, setting.value_span, error.to_string())
                        .with_label(format!("needed for `{}`", setting.key))
                        .with_help(help),
                );
                None
            }
        }
    }
}

/// An `http` or `https` URL with a host, ending in `/` so that paths join under it.
pub(super) fn parse_http_url(text: &str) -> Result<Url, String> {
    let with_slash = if text.ends_with('/') {
        text.to_string()
    } else {
        format!("{text}/")
    };
    let url = Url::parse(&with_slash).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme must be `http` or `https`, not `{}`",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Err("the URL has no host".into());
    }
    Ok(url)
}

/// Whether a URL points at this machine (a local emulator).
pub(super) fn is_loopback(text: &str) -> bool {
    match Url::parse(text)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Why `text` is no store URL, for E0610: it names the URL, its password hidden (the value may
/// come from a variable, so the file's own masking does not cover it).
pub(super) fn unsupported_store(text: &str) -> String {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let shown = crate::formats::url_password::hide_passwords(text);
        return match Url::parse(text) {
            Err(error) => format!("the store `{shown}` is not a PostgreSQL URL: {error}"),
            Ok(_) => format!("the store `{shown}` names no host"),
        };
    }
    "the store must be a `sqlite://` or `postgres://` URL".to_string()
}

/// `sqlite://PATH`, `sqlite::memory:`, or `postgres://...`; `None` for anything else.
pub(super) fn parse_store(text: &str, dir: &Path) -> Option<StoreUrl> {
    if text == "sqlite::memory:" {
        return Some(StoreUrl::SqliteMemory);
    }
    if let Some(path) = text.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or_default();
        return (!path.is_empty()).then(|| StoreUrl::Sqlite(dir.join(path)));
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let url = Url::parse(text).ok()?;
        return url
            .host()
            .is_some()
            .then(|| StoreUrl::Postgres(Secret::new(text)));
    }
    None
}

/// `template` with each `{name}` replaced by the connection's setting `name` (empty when unset).
fn fill_settings(template: &str, settings: &IndexMap<String, String>) -> String {
    let mut filled = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        filled.push_str(&rest[..open]);
        let name = &rest[open + 1..open + close];
        filled.push_str(settings.get(name).map_or("", String::as_str));
        rest = &rest[open + close + 1..];
    }
    filled.push_str(rest);
    filled
}

#[cfg(test)]
mod fill_settings_tests {
    use super::*;

    #[test]
    fn fills_each_named_setting() {
        let settings: IndexMap<String, String> = [("tenant".to_string(), "contoso".to_string())]
            .into_iter()
            .collect();
        assert_eq!(
            fill_settings("{tenant}/oauth2/v2.0/token", &settings),
            "contoso/oauth2/v2.0/token"
        );
        assert_eq!(fill_settings("{missing}/x", &settings), "/x");
        assert_eq!(fill_settings("no/braces", &settings), "no/braces");
        assert_eq!(fill_settings("open{only", &settings), "open{only");
    }
}
