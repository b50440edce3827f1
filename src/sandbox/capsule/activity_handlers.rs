//! Capsule's opportunity, kase and task endpoints: listings with the same paging, `since`,
//! `embed` and errors as parties, a party's own listings, reads, writes, deletions and the
//! deleted listings.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::activity::TaskStatus;
use super::input::FieldError;
use super::handlers::{
    Page, Params, Refusal, envelope, invalid, listing_params, message, now,
    parse_since,
};
use super::party::{Embed, format_time};
use super::{CapsuleData, CapsuleState, activity_input};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Opportunities,
    Kases,
    Tasks,
}

impl Kind {
    fn plural(self) -> &'static str {
        match self {
            Kind::Opportunities => "opportunities",
            Kind::Kases => "kases",
            Kind::Tasks => "tasks",
        }
    }

    fn singular(self) -> &'static str {
        match self {
            Kind::Opportunities => "opportunity",
            Kind::Kases => "kase",
            Kind::Tasks => "task",
        }
    }

    /// The `embed` values Capsule documents for the listing.
    fn embeds(self) -> &'static [&'static str] {
        match self {
            Kind::Opportunities => &["tags", "fields", "party", "milestone", "missingImportantFields"],
            Kind::Kases => &["tags", "fields", "party", "opportunity", "missingImportantFields"],
            Kind::Tasks => &["party", "opportunity", "kase", "owner", "nextTask"],
        }
    }
}

const NOT_FOUND: &str = "Could not find resource";

pub fn routes() -> Router<CapsuleState> {
    let mut router = Router::new();
    for kind in [Kind::Opportunities, Kind::Kases, Kind::Tasks] {
        let plural = kind.plural();
        router = router
            .route(
                &format!("/{plural}"),
                get(move |s: State<CapsuleState>, q: Params, h: HeaderMap, u: OriginalUri| {
                    list(kind, s, q, h, u, None)
                })
                .post(move |s: State<CapsuleState>, b: Bytes| create(kind, s, b)),
            )
            .route(
                &format!("/{plural}/{{id}}"),
                get(move |s: State<CapsuleState>, p: Path<String>, q: Params| read(kind, s, p, q))
                    .put(move |s: State<CapsuleState>, p: Path<String>, b: Bytes| {
                        update(kind, s, p, b)
                    })
                    .delete(move |s: State<CapsuleState>, p: Path<String>| remove(kind, s, p)),
            );
        if kind != Kind::Tasks {
            router = router
                .route(
                    &format!("/{plural}/deleted"),
                    get(move |s: State<CapsuleState>, q: Params| deleted(kind, s, q)),
                )
                .route(
                    &format!("/{plural}/fields/definitions"),
                    get(move |s, q, h, u| super::field_definitions::list(plural, s, q, h, u)),
                )
                .route(
                    &format!("/parties/{{id}}/{plural}"),
                    get(
                        move |s: State<CapsuleState>,
                              p: Path<String>,
                              q: Params,
                              h: HeaderMap,
                              u: OriginalUri| {
                            let party = p.0.parse::<u64>().ok();
                            list(kind, s, q, h, u, Some(party))
                        },
                    ),
                );
        }
    }
    router
}

fn parse_embed(kind: Kind, params: &HashMap<String, String>) -> Result<Embed, Refusal> {
    let mut embed = Embed::default();
    for part in params.get("embed").map_or("", String::as_str).split(',') {
        match part.trim() {
            "" => {}
            "tags" => embed.tags = true,
            "fields" => embed.fields = true,
            other if kind.embeds().contains(&other) => {}
            other => {
                return Err(Refusal::bad_request(format!(
                    "embed `{other}` is not supported"
                )));
            }
        }
    }
    Ok(embed)
}

/// `status=open,completed` of `/tasks`: only open tasks unless told.
fn parse_statuses(params: &HashMap<String, String>) -> Result<Vec<TaskStatus>, Refusal> {
    let Some(text) = params.get("status") else {
        return Ok(vec![TaskStatus::Open]);
    };
    text.split(',')
        .map(|part| {
            TaskStatus::parse(part.trim()).ok_or_else(|| {
                Refusal::bad_request("status must be a list of open, completed and pending")
            })
        })
        .collect()
}

/// `GET /opportunities`, `/kases`, `/tasks`, and a party's `/parties/{id}/opportunities`:
/// ordered by `updatedAt` then `id` (tasks by id: their listing has no `since`).
async fn list(
    kind: Kind,
    State(state): State<CapsuleState>,
    Query(params): Params,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    party: Option<Option<u64>>,
) -> Response {
    let (embed, since, page, per_page) =
        match listing_params(parse_embed(kind, &params), &params) {
            Ok(parsed) => parsed,
            Err(r) => return r.into_response(),
        };
    let data = state.data();
    let party = match party {
        None => None,
        Some(Some(id)) if data.parties.contains_key(&id) => Some(id),
        Some(_) => return message(StatusCode::NOT_FOUND, NOT_FOUND),
    };
    let page_of = Page {
        page,
        per_page,
        headers: &headers,
        path: uri.path(),
        params: &params,
    };
    let fresh = |at: jiff::Timestamp| since.is_none_or(|s| at >= s);
    let mine = |id: u64| party.is_none_or(|p| p == id);
    match kind {
        Kind::Opportunities => {
            let mut matching: Vec<_> = data
                .opportunities
                .values()
                .filter(|o| fresh(o.updated_at) && mine(o.party_id))
                .collect();
            matching.sort_unstable_by_key(|o| (o.updated_at.as_second(), o.id));
            page_of.respond(kind.plural(), &matching, |o| data.render_opportunity(o, embed))
        }
        Kind::Kases => {
            let mut matching: Vec<_> = data
                .kases
                .values()
                .filter(|k| fresh(k.updated_at) && mine(k.party_id))
                .collect();
            matching.sort_unstable_by_key(|k| (k.updated_at.as_second(), k.id));
            page_of.respond(kind.plural(), &matching, |k| data.render_kase(k, embed))
        }
        Kind::Tasks => {
            let statuses = match parse_statuses(&params) {
                Ok(s) => s,
                Err(r) => return r.into_response(),
            };
            // Capsule documents no `since` on `/tasks`: it is not applied.
            let matching: Vec<_> = data
                .tasks
                .values()
                .filter(|t| statuses.contains(&t.status))
                .collect();
            page_of.respond(kind.plural(), &matching, |t| data.render_task(t))
        }
    }
}

fn render(data: &CapsuleData, kind: Kind, id: u64, embed: Embed) -> Option<Value> {
    match kind {
        Kind::Opportunities => data
            .opportunities
            .get(&id)
            .map(|o| data.render_opportunity(o, embed)),
        Kind::Kases => data.kases.get(&id).map(|k| data.render_kase(k, embed)),
        Kind::Tasks => data.tasks.get(&id).map(|t| data.render_task(t)),
    }
}

async fn read(
    kind: Kind,
    State(state): State<CapsuleState>,
    Path(id): Path<String>,
    Query(params): Params,
) -> Response {
    let embed = match parse_embed(kind, &params) {
        Ok(e) => e,
        Err(r) => return r.into_response(),
    };
    let data = state.data();
    match id.parse().ok().and_then(|id| render(&data, kind, id, embed)) {
        Some(record) => Json(envelope(kind.singular(), record)).into_response(),
        None => message(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

fn body_of(kind: Kind, body: &Bytes) -> Result<Map<String, Value>, Refusal> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| Refusal::bad_request("the request body is not valid JSON"))?;
    match value.get(kind.singular()) {
        Some(Value::Object(record)) => Ok(record.clone()),
        _ => Err(Refusal::bad_request(format!(
            "the request body must be an object with a `{}` object",
            kind.singular()
        ))),
    }
}

/// Applies `body` to the record `id` (new when `creating`) and stores it.
fn store(
    kind: Kind,
    data: &mut CapsuleData,
    id: u64,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<(), Vec<FieldError>> {
    let at = now();
    match kind {
        Kind::Opportunities => {
            let current = data.opportunities.get(&id).filter(|_| !creating);
            activity_input::opportunity(data, body, current, id, at)
                .map(|o| _ = data.opportunities.insert(id, o))
        }
        Kind::Kases => {
            let current = data.kases.get(&id).filter(|_| !creating);
            activity_input::kase(data, body, current, id, at)
                .map(|k| _ = data.kases.insert(id, k))
        }
        Kind::Tasks => {
            let current = data.tasks.get(&id).filter(|_| !creating);
            activity_input::task(data, body, current, id, at)
                .map(|t| _ = data.tasks.insert(id, t))
        }
    }
}

async fn create(kind: Kind, State(state): State<CapsuleState>, body: Bytes) -> Response {
    let body = match body_of(kind, &body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let mut data = state.data();
    let id = data.next_id + 1;
    if let Err(errors) = store(kind, &mut data, id, &body, true) {
        return invalid(errors);
    }
    data.next_id = id;
    let record = render(&data, kind, id, Embed::default()).unwrap_or(Value::Null);
    drop(data);
    state.announce(&[format!("{}/created", kind.singular())], &record);
    (StatusCode::CREATED, Json(envelope(kind.singular(), record))).into_response()
}

async fn update(
    kind: Kind,
    State(state): State<CapsuleState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = match body_of(kind, &body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let mut data = state.data();
    let Some((id, before)) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| Some((id, render(&data, kind, id, Embed::default())?)))
    else {
        return message(StatusCode::NOT_FOUND, NOT_FOUND);
    };
    if let Err(errors) = store(kind, &mut data, id, &body, false) {
        return invalid(errors);
    }
    let record = render(&data, kind, id, Embed::default()).unwrap_or(Value::Null);
    drop(data);
    state.announce(&update_events(kind, &before, &record), &record);
    Json(envelope(kind.singular(), record)).into_response()
}

/// `x/updated`, and what the update did besides: closed, moved to another milestone, completed.
fn update_events(kind: Kind, before: &Value, after: &Value) -> Vec<String> {
    let changed = |key: &str| before.get(key) != after.get(key);
    let mut events = vec!["updated"];
    if before["closedOn"].is_null() && !after["closedOn"].is_null() {
        events.push("closed");
    }
    if changed("milestone") {
        events.push("moved");
    }
    if changed("status") && after["status"] == "COMPLETED" {
        events.push("completed");
    }
    events
        .into_iter()
        .map(|event| format!("{}/{event}", kind.singular()))
        .collect()
}

async fn remove(kind: Kind, State(state): State<CapsuleState>, Path(id): Path<String>) -> Response {
    let mut data = state.data();
    let Ok(id) = id.parse::<u64>() else {
        return message(StatusCode::NOT_FOUND, NOT_FOUND);
    };
    let Some(record) = render(&data, kind, id, Embed::default()) else {
        return message(StatusCode::NOT_FOUND, NOT_FOUND);
    };
    let at = now();
    match kind {
        Kind::Opportunities => {
            data.opportunities.remove(&id);
            data.deleted_opportunities.push((id, at));
        }
        Kind::Kases => {
            data.kases.remove(&id);
            data.deleted_kases.push((id, at));
        }
        Kind::Tasks => _ = data.tasks.remove(&id),
    }
    drop(data);
    state.announce(&[format!("{}/deleted", kind.singular())], &record);
    StatusCode::NO_CONTENT.into_response()
}

async fn deleted(kind: Kind, State(state): State<CapsuleState>, Query(params): Params) -> Response {
    let since = match parse_since(&params) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let data = state.data();
    let list = match kind {
        Kind::Opportunities => &data.deleted_opportunities,
        _ => &data.deleted_kases,
    };
    let records: Vec<Value> = list
        .iter()
        .filter(|(_, at)| since.is_none_or(|s| *at >= s))
        .map(|(id, at)| json!({"id": id, "deletedAt": format_time(*at)}))
        .collect();
    Json(envelope(kind.plural(), Value::Array(records))).into_response()
}
