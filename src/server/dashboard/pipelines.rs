//! The front page, the served pipelines and the inbox, and the alerts' history.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{App, Dashboard, Refused, chart, html, logged_in, when};
use crate::runtime::Job;
use crate::store::{AuditFilter, DeadLetterFilter, StoreError};

/// One served pipeline as the front page shows it.
struct PipelineRow {
    cursor: Option<String>,
    /// The time of the newest change read, where the source's cursor tells it.
    read_up_to: Option<jiff::Timestamp>,
    open_letters: u64,
    last_write: Option<jiff::Timestamp>,
}

async fn pipeline_row(app: &App, job: &Job) -> Result<PipelineRow, StoreError> {
    let cursor = app
        .store
        .cursor(&job.name, &job.source.collection())
        .await?;
    let open_letters = app
        .store
        .count_dead_letters(&DeadLetterFilter {
            pipeline: Some(job.name.clone()),
            ..DeadLetterFilter::default()
        })
        .await?;
    let last_write = app
        .store
        .audit_entries(&AuditFilter {
            pipeline: Some(job.name.clone()),
            newest_first: true,
            limit: Some(1),
            ..AuditFilter::default()
        })
        .await?
        .first()
        .map(|entry| entry.at);
    let read_up_to = app.runner.cursor_time(job).await?;
    Ok(PipelineRow {
        cursor,
        read_up_to,
        open_letters,
        last_write,
    })
}

pub async fn pipelines(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, Refused> {
    let (dashboard, session) = logged_in(&app, &headers)?;
    Ok(match pipelines_body(&app, dashboard).await {
        Ok(body) => html::respond(
            StatusCode::OK,
            html::page("Pipelines", "/", &session.csrf, &body),
        ),
        Err(error) => dashboard.store_failed(&session, &error),
    })
}

async fn pipelines_body(app: &App, dashboard: &Dashboard) -> Result<String, StoreError> {
    let inbox = app.store.inbox_stats().await?;
    let oldest = inbox
        .oldest_pending_received_at
        .map(|at| format!(", the oldest received {}", when(at)))
        .unwrap_or_default();
    let now = jiff::Timestamp::now();
    let activity = app.store.activity_per_hour(chart::since(now)).await?;
    let read = app.store.records_read(chart::since(now)).await?;
    let mut body = format!(
        "<h1>Pipelines</h1><p>Inbox: {} pending, {} processing, {} failed{oldest}.</p>\
         <h2>Last 24 hours</h2><p class=\"note\">Per hour: <span class=\"key-read\">records \
         read</span>, <span class=\"key-written\">audit entries written</span> and \
         <span class=\"key-dead\">records dead-lettered</span>.</p>\
         {}<h2>Served</h2>\
         <table><tr><th>pipeline</th><th>source</th><th>cursor</th><th>read up to</th>\
         <th>read, 24 h</th><th>open dead letters</th><th>last write</th></tr>",
        inbox.pending,
        inbox.processing,
        inbox.failed,
        chart::svg(&activity, now)
    );
    for job in &app.jobs {
        let row = pipeline_row(app, job).await?;
        let letters = if row.open_letters == 0 {
            "0".to_string()
        } else {
            format!(
                "<a class=\"open\" href=\"/dead-letters?pipeline={}\">{}</a>",
                html::query_value(&job.name),
                row.open_letters
            )
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{letters}</td>\
             <td>{}</td></tr>",
            dashboard.show(&job.name),
            dashboard.show(&job.source.collection()),
            row.cursor.as_deref().map_or_else(
                || "<span class=\"note\">none</span>".to_string(),
                |c| dashboard.show(c)
            ),
            row.read_up_to.map_or_else(
                || "<span class=\"note\">not told</span>".to_string(),
                |at| format!("{} ({} behind)", when(at), behind(now, at))
            ),
            read.get(&job.name).copied().unwrap_or(0),
            row.last_write
                .map_or_else(|| "<span class=\"note\">never</span>".to_string(), when),
        ));
    }
    body.push_str("</table>");
    if app.jobs.is_empty() {
        body.push_str("<p class=\"note\">This server serves no pipelines.</p>");
    }
    Ok(body)
}

/// How long ago `at` was, in the largest whole unit: `3 h`, `12 min`, `40 s`.
fn behind(now: jiff::Timestamp, at: jiff::Timestamp) -> String {
    let seconds = now.duration_since(at).as_secs().max(0);
    match seconds {
        s if s >= 86_400 => format!("{} d", s / 86_400),
        s if s >= 3_600 => format!("{} h", s / 3_600),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

pub async fn alerts(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, Refused> {
    let (dashboard, session) = logged_in(&app, &headers)?;
    let alerts = match app.store.recent_alerts(100).await {
        Ok(alerts) => alerts,
        Err(error) => return Ok(dashboard.store_failed(&session, &error)),
    };
    let mut body = String::from(
        "<h1>Alerts</h1><p class=\"note\">The newest 100, newest first.</p>\
         <table><tr><th>at</th><th>trigger</th><th>subject</th><th>delivered to</th>\
         <th>failed</th></tr>",
    );
    for alert in &alerts {
        let failed: Vec<String> = alert
            .failed
            .iter()
            .map(|(channel, why)| format!("{channel}: {why}"))
            .collect();
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}<pre>{}</pre></td><td>{}</td><td>{}</td></tr>",
            when(alert.at),
            dashboard.show(&alert.trigger),
            dashboard.show(&alert.subject),
            dashboard.show(&alert.body),
            dashboard.show(&alert.delivered.join(", ")),
            dashboard.show(&failed.join("; ")),
        ));
    }
    body.push_str("</table>");
    if alerts.is_empty() {
        body.push_str("<p class=\"note\">No alert has been sent.</p>");
    }
    Ok(html::respond(
        StatusCode::OK,
        html::page("Alerts", "/alerts", &session.csrf, &body),
    ))
}

#[cfg(test)]
mod tests {
    use super::behind;

    #[test]
    fn lag_is_told_in_its_largest_whole_unit() {
        let now: jiff::Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        let ago = |text: &str| behind(now, text.parse().unwrap());
        assert_eq!(ago("2026-12-07T09:59:20Z"), "40 s");
        assert_eq!(ago("2026-12-07T09:48:00Z"), "12 min");
        assert_eq!(ago("2026-12-07T07:00:00Z"), "3 h");
        assert_eq!(ago("2026-12-04T10:00:00Z"), "3 d");
        // A cursor ahead of this clock (another machine's) is not negative.
        assert_eq!(ago("2026-12-07T10:00:05Z"), "0 s");
    }
}
