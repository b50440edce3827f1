//! Connection kinds and the settings each one takes.

/// The system a connection talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Stripe,
    Capsule,
    BusinessCentral,
    Syspro,
    Pronto,
    File,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Stripe,
        Kind::Capsule,
        Kind::BusinessCentral,
        Kind::Syspro,
        Kind::Pronto,
        Kind::File,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Stripe => "stripe",
            Kind::Capsule => "capsule",
            Kind::BusinessCentral => "business_central",
            Kind::Syspro => "syspro",
            Kind::Pronto => "pronto",
            Kind::File => "file",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == text)
    }

    /// Settings a connection of this kind must have, in the base connection or in every
    /// environment.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Stripe => &["api_key"],
            Kind::Capsule => &["token"],
            Kind::BusinessCentral => &[
                "tenant",
                "environment",
                "company_id",
                "client_id",
                "client_secret",
            ],
            Kind::Syspro => &["base_url", "operator", "operator_password", "company_id"],
            Kind::Pronto => &["base_url", "token"],
            Kind::File => &["path"],
        }
    }

    /// Settings this kind may have beyond the required ones.
    pub fn optional(self) -> &'static [&'static str] {
        match self {
            Kind::Stripe => &[
                "base_url",
                "api_version",
                "account",
                "webhook_secret",
                "webhook_secret_previous",
            ],
            Kind::Capsule => &["base_url", "webhook_token"],
            Kind::BusinessCentral => &["base_url", "login_url", "scope", "journal_id", "journal"],
            Kind::Syspro => &["company_password"],
            Kind::Pronto => &[],
            Kind::File => &["format"],
        }
    }

    /// Settings holding credentials: they must come from `${VAR}` or `file:` and are resolved
    /// into [`super::Secret`]s.
    pub fn secrets(self) -> &'static [&'static str] {
        match self {
            Kind::Stripe => &["api_key", "webhook_secret", "webhook_secret_previous"],
            Kind::Capsule => &["token", "webhook_token"],
            Kind::Pronto => &["token"],
            Kind::BusinessCentral => &["client_secret"],
            Kind::Syspro => &["operator_password", "company_password"],
            Kind::File => &[],
        }
    }

    /// Whether the kind talks HTTP (and so takes `rate_limit`, `concurrency` and `timeout`).
    pub fn is_http(self) -> bool {
        self != Kind::File
    }

    /// Every setting key this kind accepts, in the order the docs list them.
    pub fn keys(self) -> Vec<&'static str> {
        let mut keys = vec!["kind"];
        keys.extend(self.required());
        keys.extend(self.optional());
        if self.is_http() {
            keys.extend(["rate_limit", "concurrency", "timeout"]);
        }
        keys
    }

    /// The production base URL when the project file gives none.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Kind::Stripe => Some("https://api.stripe.com"),
            Kind::Capsule => Some("https://api.capsulecrm.com/api/v2"),
            Kind::BusinessCentral => Some("https://api.businesscentral.dynamics.com"),
            Kind::Syspro | Kind::Pronto | Kind::File => None,
        }
    }
}

/// Settings whose value must be a URL.
pub const URL_KEYS: [&str; 2] = ["base_url", "login_url"];

/// Microsoft's identity platform, where Business Central's OAuth2 tokens come from.
pub const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";

/// The OAuth2 scope for Business Central's API.
pub const BUSINESS_CENTRAL_SCOPE: &str = "https://api.businesscentral.dynamics.com/.default";
