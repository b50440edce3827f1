//! The dead letters: the list, one letter with its record and history, and the replay and
//! discard buttons. A replay runs the letter through the served pipeline the way `ferry dlq
//! replay` does ([`crate::runtime::Runner::replay`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::session::Session;
use super::{App, Dashboard, Refused, changing, html, logged_in, redirect, when};
use crate::store::{DeadLetter, DeadLetterFilter, StoreError};

/// Letters on one page of the list.
const PAGE: u32 = 100;

pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refused> {
    let (dashboard, session) = logged_in(&app, &headers)?;
    let all = query.get("all").is_some_and(|v| v == "1");
    let pipeline = query.get("pipeline").filter(|p| !p.is_empty()).cloned();
    let page: u32 = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let filter = DeadLetterFilter {
        pipeline: pipeline.clone(),
        include_resolved: all,
        newest_first: true,
        offset: page.saturating_mul(PAGE),
        limit: Some(PAGE),
        ..DeadLetterFilter::default()
    };
    let (letters, count) = match letters_and_count(&app, &filter).await {
        Ok(found) => found,
        Err(error) => return Ok(dashboard.store_failed(&session, &error)),
    };
    let pipeline_query = pipeline
        .as_deref()
        .map(|p| format!("&pipeline={}", html::query_value(p)))
        .unwrap_or_default();
    let toggle = if all {
        format!("<a href=\"/dead-letters?all=0{pipeline_query}\">Show the open ones only</a>")
    } else {
        format!("<a href=\"/dead-letters?all=1{pipeline_query}\">Show the closed ones too</a>")
    };
    let shown = if count > u64::from(PAGE) {
        format!(
            " Newest first, {} to {}.",
            u64::from(filter.offset) + 1,
            u64::from(filter.offset) + letters.len() as u64
        )
    } else {
        String::new()
    };
    let mut body = format!(
        "<h1>Dead letters</h1><p>{count} {}.{shown} {toggle}</p><table><tr><th>id</th>\
         <th>pipeline</th><th>source id</th><th>reason</th><th>attempts</th><th>last seen</th>\
         <th>state</th></tr>",
        if all { "letters" } else { "open" },
    );
    for letter in &letters {
        body.push_str(&format!(
            "<tr><td><a href=\"/dead-letters/{id}\">{id}</a></td><td>{}</td><td>{}</td>\
             <td>{}: {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            dashboard.show(&letter.pipeline),
            dashboard.show(&letter.source_id),
            dashboard.show(&letter.error_code),
            dashboard.show(letter.error_message.lines().next().unwrap_or_default()),
            letter.attempts,
            when(letter.last_seen),
            state(dashboard, letter),
            id = letter.id,
        ));
    }
    body.push_str("</table><p>");
    let link = |page: u32| {
        html::escape(&format!(
            "/dead-letters?all={}{pipeline_query}&page={page}",
            u8::from(all)
        ))
    };
    if page > 0 {
        body.push_str(&format!("<a href=\"{}\">Newer</a> ", link(page - 1)));
    }
    if u64::from(filter.offset) + (letters.len() as u64) < count {
        body.push_str(&format!("<a href=\"{}\">Older</a>", link(page + 1)));
    }
    body.push_str("</p>");
    Ok(html::respond(
        StatusCode::OK,
        html::page("Dead letters", "/dead-letters", &session.csrf, &body),
    ))
}

/// A page of the letters `filter` lists, and how many it lists in all.
async fn letters_and_count(
    app: &App,
    filter: &DeadLetterFilter,
) -> Result<(Vec<DeadLetter>, u64), StoreError> {
    Ok((
        app.store.dead_letters(filter).await?,
        app.store.count_dead_letters(filter).await?,
    ))
}

/// Open, or how and when it was closed.
fn state(dashboard: &Dashboard, letter: &DeadLetter) -> String {
    match letter.resolved_at {
        None => "<span class=\"open\">open</span>".to_string(),
        Some(at) => format!(
            "<span class=\"closed\">{}</span> {}",
            letter.resolution.map_or("resolved", |r| r.as_str()),
            dashboard.show(&when(at))
        ),
    }
}

pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, Refused> {
    let (dashboard, session) = logged_in(&app, &headers)?;
    Ok(match letter_body(&app, dashboard, &session, id).await {
        Ok(Some(body)) => html::respond(
            StatusCode::OK,
            html::page(
                &format!("Dead letter {id}"),
                "/dead-letters",
                &session.csrf,
                &body,
            ),
        ),
        Ok(None) => message(&session, StatusCode::NOT_FOUND, &no_letter(id)),
        Err(error) => dashboard.store_failed(&session, &error),
    })
}

async fn letter_body(
    app: &App,
    dashboard: &Dashboard,
    session: &Session,
    id: i64,
) -> Result<Option<String>, StoreError> {
    let Some(letter) = app.store.dead_letter_by_id(id).await? else {
        return Ok(None);
    };
    let history = app.store.dead_letter_history(id).await?;
    let mut body = format!(
        "<h1>Dead letter {id}</h1><table>\
         <tr><th>pipeline</th><td>{}</td></tr><tr><th>source id</th><td>{}</td></tr>\
         <tr><th>state</th><td>{}</td></tr><tr><th>reason</th><td>{}<pre>{}</pre></td></tr>\
         <tr><th>attempts</th><td>{}</td></tr><tr><th>first seen</th><td>{}</td></tr>\
         <tr><th>last seen</th><td>{}</td></tr></table>",
        dashboard.show(&letter.pipeline),
        dashboard.show(&letter.source_id),
        state(dashboard, &letter),
        dashboard.show(&letter.error_code),
        dashboard.show(&letter.error_message),
        letter.attempts,
        when(letter.first_seen),
        when(letter.last_seen),
    );
    if letter.resolved_at.is_none() {
        let csrf = html::escape(&session.csrf);
        let served = app.jobs.iter().any(|job| job.name == letter.pipeline);
        body.push_str("<h2>Act</h2>");
        if served {
            body.push_str(&format!(
                "<form method=\"post\" action=\"/dead-letters/{id}/replay\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button>Replay</button> <span class=\"note\">through the pipeline as this \
                 server runs it, once the cause is fixed</span></form>"
            ));
        } else {
            body.push_str(
                "<p class=\"note\">This server does not serve the pipeline: replay the letter \
                 with <code>ferry dlq replay</code>.</p>",
            );
        }
        body.push_str(&format!(
            "<form method=\"post\" action=\"/dead-letters/{id}/discard\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label>Reason <input name=\"reason\" required size=\"50\"></label> \
             <button>Discard</button> <span class=\"note\">the record needs no delivery</span>\
             </form>"
        ));
    }
    body.push_str("<h2>History</h2><table><tr><th>at</th><th>what</th></tr>");
    for step in &history {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            when(step.at()),
            dashboard.show(&step.summary())
        ));
    }
    body.push_str(&format!(
        "</table><h2>Record</h2><pre>{}</pre>",
        dashboard.show(&letter.record_pretty())
    ));
    Ok(Some(body))
}

pub async fn replay(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, Refused> {
    let (dashboard, session) = changing(&app, &headers, &form)?;
    let letter = match app.store.dead_letter_by_id(id).await {
        Ok(Some(letter)) => letter,
        Ok(None) => {
            return Ok(message(&session, StatusCode::NOT_FOUND, &no_letter(id)));
        }
        Err(error) => return Ok(dashboard.store_failed(&session, &error)),
    };
    if letter.resolved_at.is_some() {
        return Ok(message(&session, StatusCode::CONFLICT, &closed_letter(id)));
    }
    let Some(job) = app.jobs.iter().find(|job| job.name == letter.pipeline) else {
        return Ok(message(
            &session,
            StatusCode::CONFLICT,
            "This server does not serve the letter's pipeline: use `ferry dlq replay`.",
        ));
    };
    Ok(match app.runner.replay(job, &letter).await {
        Ok(outcome) => {
            tracing::info!(id, pipeline = %letter.pipeline, ?outcome, "dead letter replayed from the dashboard");
            redirect(&format!("/dead-letters/{id}"))
        }
        Err(error) => message(
            &session,
            StatusCode::BAD_GATEWAY,
            &format!("The replay stopped: {}", dashboard.show(&error.to_string())),
        ),
    })
}

pub async fn discard(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, Refused> {
    let (dashboard, session) = changing(&app, &headers, &form)?;
    let reason = form.get("reason").map(|r| r.trim()).unwrap_or_default();
    if reason.is_empty() {
        return Ok(message(
            &session,
            StatusCode::BAD_REQUEST,
            "Say why the record needs no delivery: the reason is kept in the letter's history.",
        ));
    }
    Ok(match app.store.discard_dead_letter(id, reason).await {
        Ok(()) => {
            tracing::info!(id, "dead letter discarded from the dashboard");
            redirect(&format!("/dead-letters/{id}"))
        }
        Err(StoreError::DeadLetterNotFound(_)) => {
            message(&session, StatusCode::NOT_FOUND, &no_letter(id))
        }
        Err(StoreError::DeadLetterClosed { .. }) => {
            message(&session, StatusCode::CONFLICT, &closed_letter(id))
        }
        Err(error) => dashboard.store_failed(&session, &error),
    })
}

/// A page saying only `text` (already safe HTML or plain words), with a way back.
fn message(session: &Session, status: StatusCode, text: &str) -> Response {
    let body = format!(
        "<p class=\"error\">{text}</p><p><a href=\"/dead-letters\">Back to the dead letters</a></p>"
    );
    html::respond(
        status,
        html::page("Dead letters", "/dead-letters", &session.csrf, &body),
    )
}

fn no_letter(id: i64) -> String {
    format!("There is no dead letter {id}.")
}

fn closed_letter(id: i64) -> String {
    format!("Dead letter {id} is already closed.")
}
