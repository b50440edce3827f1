//! The login page, logging in and logging out.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::session::{clear_cookie, credentials_match, set_cookie};
use super::{App, Refused, changing, dashboard, html, redirect};
use crate::project::Access;

/// The same page for every failed login, so it tells nothing of which part was wrong.
const WRONG: &str = "Those credentials are not valid.";

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
    if !credentials_match(&dashboard.access, &form) {
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
