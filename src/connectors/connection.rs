//! A `ferry.yaml` connection as its client opens it, and the HTTP settings it runs with.

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use sha2::{Digest, Sha256};
use url::Url;

use super::http::{self, HttpConfig, SharedBudget, SharedPacing};
use super::rate_limit::RateLimit;
use super::{Kind, Secret};

/// A connection with its environment's overrides applied and its references expanded.
#[derive(Clone, Debug)]
pub struct ResolvedConnection {
    pub name: String,
    pub kind: Kind,
    /// The API root (none for `file` connections).
    pub base_url: Option<Url>,
    pub auth: Auth,
    /// `None` for local files.
    pub rate_limit: Option<RateLimit>,
    pub concurrency: Option<u32>,
    pub timeout: Option<Duration>,
    /// Settings that are not credentials (`tenant`, `company_id`, `path`, ...), expanded.
    pub settings: IndexMap<String, String>,
    /// Credentials by key (`api_key`, `client_secret`, ...).
    pub secrets: IndexMap<String, Secret>,
    /// The folder of the project file, where what was pulled of the account lives
    /// ([`super::project_schema`]); `None` for a connection built outside a project.
    pub project_dir: Option<std::path::PathBuf>,
    /// The fleet-wide budget its requests draw from (the store's, when processes share one);
    /// `None`: the process paces alone. Set by the runtime, which opens the store.
    pub shared_budget: Option<Arc<dyn SharedBudget>>,
}

impl ResolvedConnection {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).map(String::as_str)
    }

    pub fn secret(&self, key: &str) -> Option<&Secret> {
        self.secrets.get(key)
    }
}

/// How requests to a connection are authorised.
#[derive(Clone, Debug)]
pub enum Auth {
    /// Local files.
    None,
    /// `Authorization: Bearer <token>` (Stripe, Capsule).
    Bearer(Secret),
    /// HTTP Basic (Pronto).
    Basic { user: String, password: Secret },
    /// OAuth2 client credentials (Business Central).
    ClientCredentials {
        token_url: Url,
        client_id: String,
        client_secret: Secret,
        scope: String,
    },
    /// A session the client opens itself from the connection's settings and secrets; it masks
    /// the credentials it sends.
    Session,
}

/// The HTTP settings of `connection`: its credentials, its rate limit (the real API's unless
/// `ferry.yaml` overrides it), its concurrency and its timeout.
pub fn http_config(connection: &ResolvedConnection) -> HttpConfig {
    let defaults = HttpConfig::default();
    HttpConfig {
        timeout: connection.timeout.unwrap_or(defaults.timeout),
        max_concurrency: connection
            .concurrency
            .map(|n| n.max(1) as usize)
            .unwrap_or(defaults.max_concurrency),
        rate_limit: connection
            .rate_limit
            .map(|limit| http::RateLimit::new(limit.requests, limit.per)),
        shared_budget: connection
            .shared_budget
            .as_ref()
            .map(|budget| SharedPacing {
                budget: budget.clone(),
                key: budget_key(connection),
            }),
        auth: http_auth(&connection.auth),
        ..defaults
    }
}

/// Where a connection's slots are kept in a shared budget: its name and a digest of the account
/// it acts for (where it points, who it is and its credentials), so that two projects on one
/// store whose `stripe` connections hold different keys do not share a budget. The digest
/// keeps the credentials out of the store.
pub fn budget_key(connection: &ResolvedConnection) -> String {
    let mut account = Sha256::new();
    let base_url = connection.base_url.as_ref().map_or("", Url::as_str);
    account.update(base_url.as_bytes());
    if let Auth::Basic { user, .. }
    | Auth::ClientCredentials {
        client_id: user, ..
    } = &connection.auth
    {
        account.update([0]);
        account.update(user.as_bytes());
    }
    for (name, secret) in &connection.secrets {
        account.update([0]);
        account.update(name.as_bytes());
        account.update([0]);
        account.update(secret.expose().as_bytes());
    }
    let digest = account.finalize();
    let short: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{}:{short}", connection.name)
}

fn http_auth(auth: &Auth) -> http::Auth {
    match auth {
        Auth::None => http::Auth::None,
        Auth::Bearer(token) => http::Auth::Bearer(http::Secret::new(token.expose())),
        Auth::Basic { user, password } => http::Auth::Basic {
            username: user.clone(),
            password: Some(http::Secret::new(password.expose())),
        },
        Auth::ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
        } => http::Auth::OAuth2(http::ClientCredentials {
            token_url: token_url.to_string(),
            client_id: client_id.clone(),
            client_secret: http::Secret::new(client_secret.expose()),
            scope: Some(scope.clone()),
        }),
        Auth::Session => http::Auth::None,
    }
}

/// The API root of `connection` without a trailing slash, for joining paths onto.
pub fn base_url(connection: &ResolvedConnection) -> Option<String> {
    connection
        .base_url
        .as_ref()
        .map(|url| url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe(name: &str, api_key: &str) -> ResolvedConnection {
        ResolvedConnection {
            name: name.into(),
            kind: &crate::connectors::stripe::DESCRIPTOR,
            base_url: Url::parse("https://api.stripe.com").ok(),
            auth: Auth::Bearer(Secret::new(api_key)),
            rate_limit: None,
            concurrency: None,
            timeout: None,
            settings: IndexMap::new(),
            secrets: [("api_key".to_string(), Secret::new(api_key))]
                .into_iter()
                .collect(),
            project_dir: None,
            shared_budget: None,
        }
    }

    #[test]
    fn a_budget_is_kept_per_connection_and_account_without_the_secret() {
        let key = budget_key(&stripe("stripe", "sk_test_one"));
        assert!(key.starts_with("stripe:"), "{key}");
        assert!(!key.contains("sk_test_one"), "{key}");
        assert_eq!(key, budget_key(&stripe("stripe", "sk_test_one")));
        assert_ne!(key, budget_key(&stripe("stripe", "sk_test_two")));
        assert_ne!(key, budget_key(&stripe("billing", "sk_test_one")));
    }
}
