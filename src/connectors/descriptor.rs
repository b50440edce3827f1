//! What a connector tells the rest of ferry about its system: the `ferry.yaml` settings a
//! connection of its kind takes, which of them are secrets, its default URL, how requests are
//! authorised, its API's rate limit, its schemas, how to open its client (or that ferry
//! cannot run against it yet), and how it delivers webhooks.
//!
//! Each folder under `connectors/` fills in one [`Descriptor`] as `DESCRIPTOR`, and
//! [`super::CONNECTORS`] lists them. Every field must be given, so a new connector that leaves
//! one out does not compile.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use super::client::DynClient;
use super::connection::ResolvedConnection;
use super::project_schema::ProjectSchemas;
use super::rate_limit::RateLimit;
use super::webhook::Webhooks;
use super::{CONNECTORS, ConnectorError};
use crate::check::SchemaRegistry;

/// The system a connection talks to: `kind:` in `ferry.yaml`.
pub type Kind = &'static Descriptor;

/// One system ferry connects to.
pub struct Descriptor {
    /// `kind:` in `ferry.yaml` (`stripe`, `business_central`, `file`, ...).
    pub name: &'static str,
    /// The system's name in messages (`Stripe`, `Business Central`).
    pub title: &'static str,
    /// Settings a connection must have, in the base connection or in every environment.
    pub required: &'static [&'static str],
    /// Settings it may have beyond the required ones.
    pub optional: &'static [&'static str],
    /// Settings holding credentials: they must come from `${VAR}` or `file:` and are resolved
    /// into [`super::Secret`]s.
    pub secrets: &'static [&'static str],
    /// Prefixes that mark the system's credentials wherever they are written (`sk_test_`): the
    /// lines of `ferry.yaml` that diagnostics show have them masked.
    pub key_prefixes: &'static [&'static str],
    /// Prefixes of credentials that act for real (`sk_live_`): one written in `ferry.yaml` is an
    /// error, not a warning.
    pub live_key_prefixes: &'static [&'static str],
    /// The production API root when the project file gives no `base_url`; `None` when there is
    /// no single one (an on-premises ERP) or no API at all (files).
    pub default_base_url: Option<&'static str>,
    /// How requests are authorised, from the connection's settings.
    pub auth: AuthScheme,
    /// The API's rate limit. `None`: no HTTP (and no `rate_limit`, `concurrency`, `timeout`).
    pub rate_limit: Option<RateLimits>,
    /// The sources, map targets and sinks it gives the checker. A sink's capabilities (such as
    /// posting) are part of its schema.
    pub schemas: fn() -> SchemaRegistry,
    /// Whether ferry can run pipelines against it, and how it opens a connection's client.
    pub runs: Runs,
    /// It reads and writes local files rather than an API: a run opens one client for the
    /// source and another for the sink (a file is read or appended to, not both), `ferry run
    /// --input` stands in for its source, and a sink takes one record at a time so that its
    /// lines keep the source's order.
    pub local_files: bool,
    /// How the system delivers its events to `ferry serve`; `None`: it sends none ferry reads.
    pub webhooks: Option<&'static Webhooks>,
    /// What a project pulls of a connection's account to type its pipelines (Capsule's custom
    /// fields, `ferry schema pull`); `None`: its schemas are the same for every account.
    pub project_schemas: Option<&'static ProjectSchemas>,
}

/// How a connection's requests are authorised; the names are settings of the connection.
#[derive(Clone, Copy, Debug)]
pub enum AuthScheme {
    /// No credentials (local files).
    None,
    /// `Authorization: Bearer <secret>`.
    Bearer { secret: &'static str },
    /// HTTP Basic: `Authorization: Basic base64(<user>:<password>)`, from those two settings
    /// (the password a secret).
    Basic {
        user: &'static str,
        password: &'static str,
    },
    /// OAuth2 client credentials, from the token endpoint at `token_path` under the connection's
    /// `login_url` (this `login_url` unless the connection sets one). `{setting}` in the path is
    /// that setting of the connection (`{tenant}/oauth2/v2.0/token` for Microsoft's identity
    /// platform).
    ClientCredentials {
        login_url: &'static str,
        token_path: &'static str,
        scope: &'static str,
    },
    /// The client logs on itself with the connection's settings and secrets and sends the
    /// session it gets back (an ERP's logon that returns a session id); requests carry no
    /// `Authorization` header.
    Session,
}

/// An API's documented rate limits.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    /// The limit a connection gets when `ferry.yaml` sets none; the argument is the connection's
    /// `api_key` when it has one (Stripe's limit depends on live or test mode).
    pub default: fn(Option<&str>) -> RateLimit,
    /// The highest documented limit whatever the credential: overrides above it draw a warning.
    pub ceiling: RateLimit,
}

/// Opens a connection's client; the path replaces a file connection's `path`
/// (`ferry run --input`).
pub type Open =
    fn(&ResolvedConnection, Option<PathBuf>) -> Result<Box<dyn DynClient>, ConnectorError>;

/// Whether ferry can run pipelines against a system.
#[derive(Clone, Copy)]
pub enum Runs {
    /// Yes: this opens its client for each connection.
    Yes(Open),
    /// Pipelines against it lint and test, but ferry has no client for it yet.
    NotYet,
}

impl Descriptor {
    /// The descriptor whose `kind:` is `name`.
    pub fn named(name: &str) -> Option<Kind> {
        CONNECTORS.iter().copied().find(|d| d.name == name)
    }

    /// Every system's `kind:` name, in registry order.
    pub fn names() -> Vec<&'static str> {
        CONNECTORS.iter().map(|d| d.name).collect()
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the connection `name` (a pipeline names a connection by its kind) is on local
    /// files.
    pub fn is_local_files(name: &str) -> bool {
        Descriptor::named(name).is_some_and(|d| d.local_files)
    }

    pub fn required(&self) -> &'static [&'static str] {
        self.required
    }

    pub fn optional(&self) -> &'static [&'static str] {
        self.optional
    }

    pub fn secrets(&self) -> &'static [&'static str] {
        self.secrets
    }

    /// The system whose live credential `value` is, if any.
    pub fn live_key_of(value: &str) -> Option<Kind> {
        CONNECTORS.iter().copied().find(|d| d.is_live_key(value))
    }

    pub fn is_live_key(&self, value: &str) -> bool {
        self.live_key_prefixes.iter().any(|p| value.starts_with(p))
    }

    pub fn default_base_url(&self) -> Option<&'static str> {
        self.default_base_url
    }

    /// Whether the kind talks HTTP (and so takes `rate_limit`, `concurrency` and `timeout`).
    pub fn is_http(&self) -> bool {
        self.rate_limit.is_some()
    }

    /// Every setting key this kind accepts, in the order the docs list them.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut keys = vec!["kind"];
        keys.extend(self.required);
        keys.extend(self.optional);
        if self.is_http() {
            keys.extend(["rate_limit", "concurrency", "timeout"]);
        }
        keys
    }

    /// The API's limit when `ferry.yaml` sets none; `credential` is the API key when known.
    pub fn default_rate_limit(&self, credential: Option<&str>) -> Option<RateLimit> {
        self.rate_limit.map(|limits| (limits.default)(credential))
    }

    /// The highest documented limit, whatever the credential.
    pub fn documented_ceiling(&self) -> Option<RateLimit> {
        self.rate_limit.map(|limits| limits.ceiling)
    }
}

/// Settings whose value must be a URL.
pub const URL_KEYS: [&str; 2] = ["base_url", "login_url"];

impl PartialEq for Descriptor {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Descriptor {}

impl Hash for Descriptor {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl fmt::Debug for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
