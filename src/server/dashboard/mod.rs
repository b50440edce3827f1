//! The dashboard `ferry serve` serves at `/` when ferry.yaml has a `dashboard:` section: the
//! pipelines, the dead letters (with replay and discard), the audit log and the alerts sent.
//! Server-rendered HTML with its style sheet embedded and no script; see docs/dashboard.md.
//!
//! Every page but the login page needs a session; every form that changes something carries
//! the session's CSRF token. Every value shown is redacted of the environment's secrets and
//! escaped.

mod audit;
mod chart;
mod dead_letters;
mod html;
mod login;
mod pipelines;
mod reconcile;
mod session;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::App;
use crate::project::{Access, ResolvedDashboard, Secret, redact};
use crate::store::StoreError;
pub use html::escape;
use session::{Session, Sessions};

/// The dashboard's credentials, its sessions and what it must never show.
pub struct Dashboard {
    access: Access<Secret>,
    sessions: Sessions,
    /// Recent failed logins, so that guessing is slowed to a crawl.
    failed_logins: login::FailedLogins,
    /// Whether the session cookie is `Secure` (see [`session::set_cookie`]).
    secure_cookie: bool,
    /// Redacted from every value rendered.
    secrets: Vec<Secret>,
}

impl Dashboard {
    /// A dashboard for a server bound to `bind`; `secrets` are the environment's (the
    /// dashboard's own credentials are added).
    pub fn new(settings: ResolvedDashboard, mut secrets: Vec<Secret>, bind: SocketAddr) -> Self {
        secrets.extend(settings.secrets().into_iter().cloned());
        Dashboard {
            access: settings.access,
            sessions: Sessions::default(),
            failed_logins: login::FailedLogins::default(),
            secure_cookie: !bind.ip().is_loopback(),
            secrets,
        }
    }

    /// `text` with every secret replaced, escaped for HTML.
    fn show(&self, text: &str) -> String {
        escape(&redact(text, &self.secrets))
    }

    fn secrets(&self) -> &[Secret] {
        &self.secrets
    }

    /// The session of a request.
    fn session(&self, headers: &HeaderMap) -> Result<Session, Refused> {
        self.sessions.of_request(headers).ok_or(Refused::LoggedOut)
    }

    /// The session of a state-changing request whose form carries its CSRF token; a request
    /// without either is refused with 403.
    fn session_for_change(
        &self,
        headers: &HeaderMap,
        form: &HashMap<String, String>,
    ) -> Result<Session, Refused> {
        self.sessions
            .of_request(headers)
            .filter(|session| session.allows(form.get("csrf").map(String::as_str)))
            .ok_or(Refused::Forged)
    }

    /// A page for a store that did not answer.
    fn store_failed(&self, session: &Session, error: &StoreError) -> Response {
        let body = format!(
            "<p class=\"error\">The store did not answer: {}</p>",
            self.show(&error.to_string())
        );
        html::respond(
            StatusCode::SERVICE_UNAVAILABLE,
            html::page("Store unavailable", "", &session.csrf, &body),
        )
    }
}

/// The dashboard's routes, when `app` has a dashboard; none otherwise, so `/` stays a 404.
pub fn routes(app: &App) -> Router<Arc<App>> {
    if app.dashboard.is_none() {
        return Router::new();
    }
    Router::new()
        .route("/", get(pipelines::pipelines))
        .route("/login", get(login::form).post(login::login))
        .route("/logout", post(login::logout))
        .route("/dead-letters", get(dead_letters::list))
        .route("/dead-letters/{id}", get(dead_letters::show))
        .route("/dead-letters/{id}/replay", post(dead_letters::replay))
        .route("/dead-letters/{id}/discard", post(dead_letters::discard))
        .route("/audit", get(audit::search))
        .route("/alerts", get(pipelines::alerts))
        .route("/reconcile", get(reconcile::list))
        .route("/reconcile/{id}", get(reconcile::show))
}

/// A 303 to `location`: where a browser goes after a form, or to log in.
fn redirect(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

/// Why a request gets no page.
enum Refused {
    /// The app has no dashboard (its routes exist only when it has one).
    NoDashboard,
    /// No live session: to the login page.
    LoggedOut,
    /// A form that changes something without its session's CSRF token.
    Forged,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::NoDashboard => StatusCode::NOT_FOUND.into_response(),
            Refused::LoggedOut => redirect("/login"),
            Refused::Forged => html::respond(
                StatusCode::FORBIDDEN,
                html::document(
                    "Refused",
                    "<main><p class=\"error\">This form is out of date or did not come from \
                     the dashboard. Reload the page and try again.</p></main>",
                ),
            ),
        }
    }
}

/// The app's dashboard.
fn dashboard(app: &App) -> Result<&Dashboard, Refused> {
    app.dashboard.as_ref().ok_or(Refused::NoDashboard)
}

/// The dashboard and the session of a request.
fn logged_in<'a>(app: &'a App, headers: &HeaderMap) -> Result<(&'a Dashboard, Session), Refused> {
    let dashboard = dashboard(app)?;
    Ok((dashboard, dashboard.session(headers)?))
}

/// As [`logged_in`], for a form that changes something: it must carry its CSRF token.
fn changing<'a>(
    app: &'a App,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(&'a Dashboard, Session), Refused> {
    let dashboard = dashboard(app)?;
    Ok((dashboard, dashboard.session_for_change(headers, form)?))
}

/// A time as the dashboard shows it: UTC to the second.
fn when(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}
