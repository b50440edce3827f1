//! The login page, logging in and logging out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::session::{clear_cookie, credentials_match, set_cookie};
use super::{App, Refused, changing, dashboard, html, redirect};
use crate::project::Access;

/// The same page for every failed login, so it tells nothing of which part was wrong.
const WRONG: &str = "Those credentials are not valid.";

/// At most this many failed logins within [`WINDOW`]; past it every login, right or wrong, waits
/// for the oldest failure to leave the window. The count is the server's, not a client's: behind
/// a proxy every client has the proxy's address, and a guesser can change theirs.
const MAX_FAILURES: usize = 10;
const WINDOW: Duration = Duration::from_secs(5 * 60);

/// The failed logins of the last [`WINDOW`].
#[derive(Default)]
pub struct FailedLogins {
    at: Mutex<Vec<Instant>>,
}

impl FailedLogins {
    /// How long logins must wait, if they must.
    fn wait(&self, now: Instant) -> Option<Duration> {
        let mut at = self.at.lock().unwrap_or_else(|e| e.into_inner());
        at.retain(|failed| now.duration_since(*failed) < WINDOW);
        (at.len() >= MAX_FAILURES).then(|| {
            let oldest = at.iter().min().copied().unwrap_or(now);
            WINDOW.saturating_sub(now.duration_since(oldest))
        })
    }

    fn failed(&self, now: Instant) {
        self.at.lock().unwrap_or_else(|e| e.into_inner()).push(now);
    }
}

pub async fn form(State(app): State<Arc<App>>) -> Response {
    match dashboard(&app) {
        Ok(dashboard) => login_page(&dashboard.access, StatusCode::OK, None),
        Err(refused) => refused.into_response(),
    }
}

pub async fn login(
    State(app): State<Arc<App>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let dashboard = match dashboard(&app) {
        Ok(dashboard) => dashboard,
        Err(refused) => return refused.into_response(),
    };
    let now = Instant::now();
    if let Some(wait) = dashboard.failed_logins.wait(now) {
        tracing::warn!(
            "a dashboard login was refused: {MAX_FAILURES} logins failed within five minutes"
        );
        let seconds = wait.as_secs().max(1);
        let mut response = login_page(
            &dashboard.access,
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many failed logins. Try again in {seconds} seconds."
            )),
        );
        if let Ok(value) = seconds.to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    if !credentials_match(&dashboard.access, &form) {
        dashboard.failed_logins.failed(now);
        tracing::warn!("a dashboard login failed");
        return login_page(&dashboard.access, StatusCode::UNAUTHORIZED, Some(WRONG));
    }
    let Some(session) = dashboard.sessions.open() else {
        tracing::error!("the system gave no random bytes for a dashboard session");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let mut response = redirect("/");
    if let Ok(cookie) = set_cookie(&session, dashboard.secure_cookie).parse() {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

pub async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, Refused> {
    let (dashboard, session) = changing(&app, &headers, &form)?;
    dashboard.sessions.close(&session.id);
    let mut response = redirect("/login");
    if let Ok(cookie) = clear_cookie(dashboard.secure_cookie).parse() {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

fn login_page(
    access: &Access<crate::project::Secret>,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let fields = match access {
        Access::Token(_) => {
            "<label>Token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" required></label>"
        }
        Access::Login { .. } => {
            "<label>User name <input name=\"username\" autocomplete=\"username\" required></label> \
             <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>"
        }
    };
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", html::escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<main><h1>ferry</h1>{error}<form method=\"post\" action=\"/login\">{fields} \
         <button>Log in</button></form></main>"
    );
    html::respond(status, html::document("Log in", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_wait_once_too_many_failed_and_until_the_oldest_leaves_the_window() {
        let failed = FailedLogins::default();
        let start = Instant::now();
        for n in 0..MAX_FAILURES {
            assert_eq!(failed.wait(start), None, "after {n} failures");
            failed.failed(start);
        }
        let later = start + Duration::from_secs(60);
        assert_eq!(failed.wait(later), Some(WINDOW - Duration::from_secs(60)));
        assert_eq!(failed.wait(start + WINDOW), None, "the window has passed");
    }
}
