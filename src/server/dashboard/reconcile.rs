//! The reconcile reports kept in the store: the newest listed, each shown whole.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{App, Refused, html, logged_in, when};
use crate::project::redact;
use crate::runtime::ReconcileReport;

/// Reports listed, newest first.
const LISTED: u32 = 100;

pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, Refused> {
    let (dashboard, session) = logged_in(&app, &headers)?;
    let kept = match app.store.reconcile_reports(LISTED).await {
        Ok(kept) => kept,
        Err(error) => return Ok(dashboard.store_failed(&session, &error)),
    };
    let mut body = format!(
        "<h1>Reconcile reports</h1><p class=\"note\">The newest {LISTED}, newest first: those \
         of `ferry reconcile` (origin <code>command</code>) and of this server's `reconcile:` \
         schedules.</p><table><tr><th>report</th><th>started</th><th>finished</th>\
         <th>origin</th><th>mismatches</th><th>errors</th><th>pipelines</th></tr>"
    );
    for report in &kept {
        let flag = if report.errors > 0 || report.mismatches > 0 {
            " class=\"open\""
        } else {
            ""
        };
        body.push_str(&format!(
            "<tr><td><a href=\"/reconcile/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td>\
             <td{flag}>{}</td><td{flag}>{}</td><td>{}</td></tr>",
            when(report.started_at),
            when(report.finished_at),
            dashboard.show(&report.origin),
            report.mismatches,
            report.errors,
            dashboard.show(&report.pipelines.join(", ")),
            id = report.id,
        ));
    }
    body.push_str("</table>");
    if kept.is_empty() {
        body.push_str("<p class=\"note\">No reconcile has run yet.</p>");
    }
    Ok(html::respond(
        StatusCode::OK,
        html::page("Reconcile reports", "/reconcile", &session.csrf, &body),
    ))
}

pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, Refused> {
    let (dashboard, session) = logged_in(&app, &headers)?;
    let page = |status, body: String| {
        html::respond(
            status,
            html::page(
                &format!("Reconcile report {id}"),
                "/reconcile",
                &session.csrf,
                &body,
            ),
        )
    };
    let kept = match app.store.reconcile_report(id).await {
        Ok(Some(kept)) => kept,
        Ok(None) => {
            return Ok(page(
                StatusCode::NOT_FOUND,
                format!("<p class=\"error\">There is no reconcile report {id}.</p>"),
            ));
        }
        Err(error) => return Ok(dashboard.store_failed(&session, &error)),
    };
    // Values are the systems' own; a secret among them is masked before anything is drawn.
    let json = redact(&kept.report, dashboard.secrets());
    Ok(match serde_json::from_str::<ReconcileReport>(&json) {
        Ok(report) => page(
            StatusCode::OK,
            format!(
                "<p class=\"note\">Report {id}, origin {}.</p>{}",
                dashboard.show(&kept.origin),
                report.html_body()
            ),
        ),
        Err(error) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "<p class=\"error\">Report {id} in the store cannot be read: {}</p>",
                dashboard.show(&error.to_string())
            ),
        ),
    })
}
