//! The `dashboard:` section: who may open the web page that `ferry serve` serves at `/`.
//!
//! ```yaml
//! dashboard:
//!   token: ${FERRY_DASHBOARD_TOKEN}
//! # or
//! dashboard:
//!   username: ${FERRY_DASHBOARD_USER}
//!   password: ${FERRY_DASHBOARD_PASSWORD}
//! ```
//!
//! Every value is a secret. Without the section there is no dashboard.

use std::path::Path;

use super::parse::Parser;
use super::resolve::Resolver;
use super::{Project, Setting};
use crate::connectors::secret::Secret;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::formats::yaml::Node;

const DASHBOARD_KEYS: [&str; 3] = ["token", "username", "password"];

/// The `dashboard:` section as written: the credentials, kept as templates until resolved.
#[derive(Clone, Debug)]
pub struct DashboardSettings {
    pub span: Span,
    pub access: Access<Setting>,
}

/// How one logs in: a token, or a username and a password.
#[derive(Clone, Debug)]
pub enum Access<T> {
    Token(T),
    Login { username: T, password: T },
}

/// The dashboard's credentials, read.
#[derive(Clone, Debug)]
pub struct ResolvedDashboard {
    pub access: Access<Secret>,
}

impl ResolvedDashboard {
    /// Every credential, for redaction.
    pub fn secrets(&self) -> Vec<&Secret> {
        match &self.access {
            Access::Token(token) => vec![token],
            Access::Login { username, password } => vec![username, password],
        }
    }
}

impl Project {
    /// The dashboard's credentials (`${VAR}`, `file:` read); `None` without a `dashboard:`
    /// section.
    pub fn dashboard(&self) -> Result<Option<ResolvedDashboard>, Vec<Diagnostic>> {
        match &self.dashboard {
            Some(settings) => settings
                .resolve(&self.dir, &|var| std::env::var(var).ok())
                .map(Some),
            None => Ok(None),
        }
    }
}

impl DashboardSettings {
    /// Reads the credentials, `${VAR}` with `lookup` and `file:` relative to `dir`; an empty
    /// one is an error, since it would let anyone in.
    pub fn resolve(
        &self,
        dir: &Path,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ResolvedDashboard, Vec<Diagnostic>> {
        let mut resolver = Resolver::new(lookup, dir);
        let access = match &self.access {
            Access::Token(token) => resolver
                .expand(token)
                .map(|t| Access::Token(Secret::new(t))),
            Access::Login { username, password } => {
                match (resolver.expand(username), resolver.expand(password)) {
                    (Some(username), Some(password)) => Some(Access::Login {
                        username: Secret::new(username),
                        password: Secret::new(password),
                    }),
                    _ => None,
                }
            }
        };
        let mut diagnostics = resolver.into_diagnostics();
        let empty = |secret: &Secret| secret.expose().trim().is_empty();
        let access = access.filter(|access| {
            let blank = match access {
                Access::Token(token) => empty(token),
                Access::Login { username, password } => empty(username) || empty(password),
            };
            if blank {
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidSettingValue,
                        self.span,
                        "a dashboard credential is empty, so anyone could log in",
                    )
                    .with_help("set the variable or file that the `dashboard:` section names"),
                );
            }
            !blank
        });
        match access {
            Some(access) if diagnostics.is_empty() => Ok(ResolvedDashboard { access }),
            _ => Err(diagnostics),
        }
    }
}

impl Parser<'_> {
    pub(super) fn dashboard(&mut self, value: &Node) -> Option<DashboardSettings> {
        let span = self.doc.key(&["dashboard"]);
        let (mut token, mut username, mut password) = (None, None, None);
        for (key, value) in self.mapping(&["dashboard"], value) {
            let path = ["dashboard", key.as_str()];
            match key.as_str() {
                "token" => token = self.setting(&path, value, true),
                "username" => username = self.setting(&path, value, true),
                "password" => password = self.setting(&path, value, true),
                _ => self.unknown_key(&path, &DASHBOARD_KEYS, "in `dashboard`"),
            }
        }
        let access = match (token, username, password) {
            (Some(token), None, None) => Some(Access::Token(token)),
            (None, Some(username), Some(password)) => Some(Access::Login { username, password }),
            _ => None,
        };
        if access.is_none() {
            self.push(
                Diagnostic::new(
                    Code::MissingConnectionSetting,
                    span,
                    "`dashboard` needs a `token`, or a `username` and a `password`",
                )
                .with_help(
                    "write `token: ${FERRY_DASHBOARD_TOKEN}`, or `username:` and `password:` (not both ways)",
                ),
            );
        }
        Some(DashboardSettings {
            span,
            access: access?,
        })
    }
}
