//! Capsule's party endpoints.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::CapsuleState;
use super::input::{self, FieldError, WriteContext};
use super::party::{Embed, Party, format_time};

pub(super) const DEFAULT_PER_PAGE: usize = 50;
pub(super) const MAX_PER_PAGE: usize = 100;

pub(super) type Params = Query<HashMap<String, String>>;

pub(super) fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({"message": text}))).into_response()
}

/// A request refused before any work, answered with Capsule's `{"message"}` body.
pub(super) struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    pub(super) fn bad_request(message: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        message(self.status, &self.message)
    }
}

pub(super) fn invalid(errors: Vec<FieldError>) -> Response {
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({"resource": e.resource, "field": e.field, "message": e.message}))
        .collect();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"message": "validation failed", "errors": errors})),
    )
        .into_response()
}

pub async fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Could not find resource")
}

fn parse_embed(params: &HashMap<String, String>) -> Result<Embed, Refusal> {
    let mut embed = Embed::default();
    for part in params
        .get("embed")
        .map(String::as_str)
        .unwrap_or("")
        .split(',')
    {
        match part.trim() {
            "" => {}
            "tags" => embed.tags = true,
            "fields" => embed.fields = true,
            "organisation" => embed.organisation = true,
            // Capsule has more embeds (missingImportantFields); the sandbox knows these three.
            other => {
                return Err(Refusal::bad_request(format!(
                    "embed `{other}` is not supported"
                )));
            }
        }
    }
    Ok(embed)
}

pub(super) fn parse_since(params: &HashMap<String, String>) -> Result<Option<Timestamp>, Refusal> {
    let Some(text) = params.get("since") else {
        return Ok(None);
    };
    // An unencoded `+01:00` offset arrives as a space.
    let text = text.trim().replace(' ', "+");
    text.parse::<Timestamp>().map(Some).map_err(|_| {
        Refusal::bad_request(
            "since must be an ISO 8601 date and time, such as 2026-01-01T00:00:00Z",
        )
    })
}

pub(super) fn parse_number(
    params: &HashMap<String, String>,
    key: &str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, Refusal> {
    match params.get(key) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                Refusal::bad_request(format!(
                    "{key} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ))
            }),
    }
}

/// `GET /parties`: ordered by `updatedAt` then `id`, so a `since` cursor never skips a party.
pub async fn list_parties(
    State(state): State<CapsuleState>,
    Query(params): Params,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let (embed, since, page, per_page) = match listing_params(parse_embed(&params), &params) {
        Ok(parsed) => parsed,
        Err(r) => return r.into_response(),
    };
    let data = state.data();
    let mut matching: Vec<&Party> = data
        .parties
        .values()
        .filter(|p| since.is_none_or(|s| p.updated_at >= s))
        .collect();
    matching.sort_unstable_by_key(|p| (p.updated_at.as_second(), p.id));
    let directory = data.directory();
    let page_of = Page {
        page,
        per_page,
        headers: &headers,
        path: uri.path(),
        params: &params,
    };
    page_of.respond("parties", &matching, |p| directory.render(p, embed))
}

/// A listing's `embed`, `since`, `page` and `perPage`, or the first refusal.
pub(super) fn listing_params(
    embed: Result<Embed, Refusal>,
    params: &HashMap<String, String>,
) -> Result<(Embed, Option<Timestamp>, usize, usize), Refusal> {
    Ok((
        embed?,
        parse_since(params)?,
        parse_number(params, "page", 1, 1..=usize::MAX)?,
        parse_number(params, "perPage", DEFAULT_PER_PAGE, 1..=MAX_PER_PAGE)?,
    ))
}

/// One page of a listing, with the `Link` to the next when there is one.
pub(super) struct Page<'a> {
    pub page: usize,
    pub per_page: usize,
    pub headers: &'a HeaderMap,
    pub path: &'a str,
    pub params: &'a HashMap<String, String>,
}

impl Page<'_> {
    pub(super) fn respond<T>(&self, key: &str, matching: &[T], render: impl Fn(&T) -> Value) -> Response {
        let start = (self.page - 1).saturating_mul(self.per_page);
        let items: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(self.per_page)
            .map(render)
            .collect();
        let has_next = matching.len() > start.saturating_add(self.per_page);
        let mut response = Json(envelope(key, Value::Array(items))).into_response();
        if has_next {
            let link = format!(
                "<{}>; rel=\"next\"",
                page_url(self.headers, self.path, self.params, self.page + 1)
            );
            if let Ok(value) = HeaderValue::from_str(&link) {
                response.headers_mut().insert(header::LINK, value);
            }
        }
        response
    }
}

/// `{"name": value}`, with `value` moved in (`json!` would copy it through serde).
pub(super) fn envelope(name: &str, value: Value) -> Value {
    Value::Object(Map::from_iter([(name.to_string(), value)]))
}

/// The absolute URL of another page of the same listing.
fn page_url(
    headers: &HeaderMap,
    path: &str,
    params: &HashMap<String, String>,
    page: usize,
) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut keys: Vec<&String> = params.keys().filter(|k| *k != "page").collect();
    keys.sort();
    for key in keys {
        query.append_pair(key, &params[key]);
    }
    query.append_pair("page", &page.to_string());
    format!("http://{host}{path}?{}", query.finish())
}

fn party_id(text: &str) -> Option<u64> {
    text.parse().ok()
}

pub async fn get_party(
    State(state): State<CapsuleState>,
    Path(id): Path<String>,
    Query(params): Params,
) -> Response {
    let embed = match parse_embed(&params) {
        Ok(e) => e,
        Err(r) => return r.into_response(),
    };
    let data = state.data();
    match party_id(&id).and_then(|id| data.parties.get(&id)) {
        Some(party) => {
            Json(envelope("party", data.directory().render(party, embed))).into_response()
        }
        None => message(StatusCode::NOT_FOUND, "Could not find resource"),
    }
}

fn party_body(body: &Bytes) -> Result<Map<String, Value>, Refusal> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| Refusal::bad_request("the request body is not valid JSON"))?;
    match value.get("party") {
        Some(Value::Object(party)) => Ok(party.clone()),
        _ => Err(Refusal::bad_request(
            "the request body must be an object with a `party` object",
        )),
    }
}

pub(super) fn now() -> Timestamp {
    // Capsule keeps whole seconds.
    Timestamp::from_second(Timestamp::now().as_second()).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub async fn create_party(
    State(state): State<CapsuleState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    let body = match party_body(&body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let kind = match input::kind_of(&body) {
        Ok(k) => k,
        Err(e) => return invalid(vec![e]),
    };
    let mut guard = state.data();
    let data = &mut *guard;
    let mut next_id = data.next_id + 1;
    let id = next_id;
    let mut party = Party::new(id, kind, now());
    let mut ctx = WriteContext {
        parties: &data.parties,
        users: &data.users,
        teams: &data.teams,
        tags: &mut data.tags,
        definitions: &data.definitions,
        next_id: &mut next_id,
    };
    if let Err(errors) = input::apply(&mut party, &body, &mut ctx) {
        return invalid(errors);
    }
    data.next_id = next_id;
    data.parties.insert(id, party);
    let rendered = data
        .directory()
        .render(&data.parties[&id], Embed::default());
    drop(guard);
    state.announce(&["party/created".to_string()], &rendered);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let location = format!("http://{host}{}/{id}", uri.path().trim_end_matches('/'));
    let mut response = (StatusCode::CREATED, Json(envelope("party", rendered))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

pub async fn update_party(
    State(state): State<CapsuleState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = match party_body(&body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let mut guard = state.data();
    let data = &mut *guard;
    let Some(mut party) = party_id(&id).and_then(|id| data.parties.get(&id)).cloned() else {
        return message(StatusCode::NOT_FOUND, "Could not find resource");
    };
    let mut next_id = data.next_id;
    let mut ctx = WriteContext {
        parties: &data.parties,
        users: &data.users,
        teams: &data.teams,
        tags: &mut data.tags,
        definitions: &data.definitions,
        next_id: &mut next_id,
    };
    if let Err(errors) = input::apply(&mut party, &body, &mut ctx) {
        return invalid(errors);
    }
    if party.organisation_id == Some(party.id) {
        return invalid(vec![FieldError {
            resource: "party",
            field: "organisation".into(),
            message: "a party cannot be its own organisation".into(),
        }]);
    }
    data.next_id = next_id;
    party.updated_at = now().max(party.updated_at);
    let id = party.id;
    data.parties.insert(id, party);
    let rendered = data
        .directory()
        .render(&data.parties[&id], Embed::default());
    drop(guard);
    state.announce(&["party/updated".to_string()], &rendered);
    Json(envelope("party", rendered)).into_response()
}

pub async fn delete_party(State(state): State<CapsuleState>, Path(id): Path<String>) -> Response {
    let mut data = state.data();
    let Some(removed) = party_id(&id).and_then(|id| data.parties.remove(&id)) else {
        return message(StatusCode::NOT_FOUND, "Could not find resource");
    };
    // People keep existing when their organisation goes; they just lose the link.
    for party in data.parties.values_mut() {
        if party.organisation_id == Some(removed.id) {
            party.organisation_id = None;
        }
    }
    data.deleted.push((removed.id, now()));
    let rendered = data.directory().render(&removed, Embed::default());
    drop(data);
    state.announce(&["party/deleted".to_string()], &rendered);
    StatusCode::NO_CONTENT.into_response()
}

pub async fn deleted_parties(State(state): State<CapsuleState>, Query(params): Params) -> Response {
    let since = match parse_since(&params) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let data = state.data();
    let parties: Vec<Value> = data
        .deleted
        .iter()
        .filter(|(_, at)| since.is_none_or(|s| *at >= s))
        .map(|(id, at)| json!({"id": id, "deletedAt": format_time(*at)}))
        .collect();
    Json(envelope("parties", Value::Array(parties))).into_response()
}

pub async fn list_users(State(state): State<CapsuleState>) -> Response {
    let data = state.data();
    let users: Vec<Value> = data
        .users
        .iter()
        .map(|u| {
            json!({"id": u.id, "username": u.username, "name": u.name, "pictureURL": null,
                   "emailAddress": u.email})
        })
        .collect();
    Json(json!({"users": users})).into_response()
}
