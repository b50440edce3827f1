//! The audit log search: by source id, target id, pipeline and time, newest first, a page at a
//! time.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use jiff::Timestamp;

use super::{App, Refused, html, logged_in, when};
use crate::store::AuditFilter;

/// Entries on one page.
const PAGE: u32 = 50;

/// The search form's fields, in order: name and label.
const FIELDS: [(&str, &str); 5] = [
    ("source_id", "Source id"),
    ("target_id", "Target id"),
    ("pipeline", "Pipeline"),
    ("since", "Since"),
    ("until", "Until"),
];

pub async fn search(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refused> {
    let (dashboard, session) = logged_in(&app, &headers)?;
    let field = |name: &str| {
        query
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let page: u32 = field("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let mut form = String::from("<form method=\"get\" action=\"/audit\">");
    for (name, label) in FIELDS {
        form.push_str(&format!(
            "<label>{label} <input name=\"{name}\" value=\"{}\"></label> ",
            dashboard.show(&field(name).unwrap_or_default())
        ));
    }
    form.push_str(
        "<button>Search</button></form><p class=\"note\">Times in RFC 3339 \
         (<code>2026-12-07T06:00:00Z</code>) or a date (<code>2026-12-07</code>, UTC).</p>",
    );
    let (since, until) = match (moment(field("since")), moment(field("until"))) {
        (Ok(since), Ok(until)) => (since, until),
        (Err(text), _) | (_, Err(text)) => {
            let body = format!(
                "<h1>Audit log</h1>{form}<p class=\"error\">`{}` is not a time.</p>",
                dashboard.show(&text)
            );
            return Ok(html::respond(
                StatusCode::BAD_REQUEST,
                html::page("Audit log", "/audit", &session.csrf, &body),
            ));
        }
    };
    let filter = AuditFilter {
        pipeline: field("pipeline"),
        source_id: field("source_id"),
        target_id: field("target_id"),
        since,
        until,
        newest_first: true,
        offset: page.saturating_mul(PAGE),
        limit: Some(PAGE + 1),
    };
    let mut entries = match app.store.audit_entries(&filter).await {
        Ok(entries) => entries,
        Err(error) => return Ok(dashboard.store_failed(&session, &error)),
    };
    let more = entries.len() > PAGE as usize;
    entries.truncate(PAGE as usize);
    let mut body = format!(
        "<h1>Audit log</h1>{form}<table><tr><th>at</th><th>pipeline</th><th>source id</th>\
         <th>target</th><th>target id</th><th>operation</th><th>fields changed</th></tr>"
    );
    for entry in &entries {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            when(entry.at),
            dashboard.show(&entry.pipeline),
            dashboard.show(&entry.source_id),
            dashboard.show(&entry.target),
            dashboard.show(entry.target_id.as_deref().unwrap_or_default()),
            entry.operation.as_str(),
            dashboard.show(&entry.fields_changed.join(", ")),
        ));
    }
    body.push_str("</table>");
    if entries.is_empty() {
        body.push_str("<p class=\"note\">No entry matches.</p>");
    }
    let link = |page: u32| {
        let mut link = format!("/audit?page={page}");
        for (name, _) in FIELDS {
            if let Some(value) = field(name) {
                link.push_str(&format!("&{name}={}", html::query_value(&value)));
            }
        }
        html::escape(&link)
    };
    body.push_str("<p>");
    if page > 0 {
        body.push_str(&format!("<a href=\"{}\">Newer</a> ", link(page - 1)));
    }
    if more {
        body.push_str(&format!("<a href=\"{}\">Older</a>", link(page + 1)));
    }
    body.push_str("</p>");
    Ok(html::respond(
        StatusCode::OK,
        html::page("Audit log", "/audit", &session.csrf, &body),
    ))
}

/// A search's time: RFC 3339, or a date meaning its start in UTC; the text when it is neither.
fn moment(text: Option<String>) -> Result<Option<Timestamp>, String> {
    let Some(text) = text else {
        return Ok(None);
    };
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(Some(at));
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|date| date.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|zoned| Some(zoned.timestamp()))
        .ok_or(text)
}
