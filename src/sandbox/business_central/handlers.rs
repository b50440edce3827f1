//! Request handling: authentication, the rate limit, then the OData operation on the path.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::BusinessCentralState;
use super::auth::{Unauthenticated, authenticate};
use super::error::{
    self, ENTITY_CHANGED, ENTITY_CHANGED_STATUS, MISSING_IF_MATCH_STATUS, ODataError,
};
use super::path::{self, Resource};
use super::posting::{self, JournalPostFault};
use super::query::{self, QueryOptions};
use super::rules;
use super::schema::{self, Api, CUSTOMER_PAYMENT_JOURNALS, CUSTOMER_PAYMENTS, EntitySet, JOURNALS};
use super::store::{Company, Entity, Ids, NULL_GUID, blank, format_time};
use super::write;
use super::{documents, payments};

type Outcome = Result<Response, ODataError>;

pub async fn not_found(OriginalUri(uri): OriginalUri) -> Response {
    ODataError::not_found(format!(
        "No HTTP resource was found that matches the request URI '{}'.",
        uri.path()
    ))
    .into_response()
}

pub async fn service_root(
    State(state): State<BusinessCentralState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    if let Err(refused) = admit(&state, &headers) {
        return refused.into_response();
    }
    let base = Base::new(&headers, &uri);
    Json(json!({
        "@odata.context": format!("{}/$metadata", base.root),
        "value": [{"name": "companies", "kind": "EntitySet", "url": "companies"}],
    }))
    .into_response()
}

/// Why a request was turned away before any work.
enum Refused {
    Unauthenticated(Unauthenticated),
    RateLimited { retry_after: u64 },
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Unauthenticated(e) => e.into_response(),
            Refused::RateLimited { retry_after } => {
                let mut response = ODataError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    error::TOO_MANY_REQUESTS,
                    "The request rate limit was exceeded; retry after the time in Retry-After.",
                )
                .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                response
            }
        }
    }
}

/// Authenticates and meters a request.
fn admit(state: &BusinessCentralState, headers: &HeaderMap) -> Result<(), Refused> {
    let token = authenticate(state, headers).map_err(Refused::Unauthenticated)?;
    let allowance = state.inner.windows.take(&token);
    if allowance.allowed {
        Ok(())
    } else {
        Err(Refused::RateLimited {
            retry_after: allowance.retry_after,
        })
    }
}

/// Absolute URLs for `@odata.context`, `@odata.nextLink` and `Location`.
struct Base {
    /// `http://host/business_central/v2.0/{tenant}/{env}/api/v2.0` (or the finance reports API's)
    root: String,
    host: String,
}

impl Base {
    fn new(headers: &HeaderMap, uri: &Uri) -> Self {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_string();
        let path = uri.path();
        // The API's root: everything before `/companies`, or the whole path of a service root.
        let root_path = path.find("/companies").map_or(path, |at| &path[..at]);
        Base {
            root: format!("http://{host}{root_path}"),
            host,
        }
    }
}

/// API v2.0's sets: `.../api/v2.0/companies(...)/...`.
pub async fn dispatch(
    state: State<BusinessCentralState>,
    path: Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
    uri: OriginalUri,
    body: Bytes,
) -> Response {
    serve(Api::V2, state, path, method, headers, uri, body).await
}

/// The finance reports API's sets (the customer ledger):
/// `.../api/microsoft/reportsFinance/beta/companies(...)/...`.
pub async fn dispatch_finance_reports(
    state: State<BusinessCentralState>,
    path: Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
    uri: OriginalUri,
    body: Bytes,
) -> Response {
    serve(Api::FinanceReports, state, path, method, headers, uri, body).await
}

async fn serve(
    api: Api,
    State(state): State<BusinessCentralState>,
    Path((tenant, environment, rest)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    let config = state.config();
    if tenant != config.tenant || environment != config.environment {
        return ODataError::not_found(format!(
            "The environment '{environment}' of tenant '{tenant}' does not exist."
        ))
        .into_response();
    }
    if let Err(refused) = admit(&state, &headers) {
        return refused.into_response();
    }
    let base = Base::new(&headers, &uri);
    let outcome = path::parse(&rest, api).and_then(|resource| {
        let mut data = state.data();
        let data = &mut *data;
        let page_size =
            query::preferred_page_size(headers.get("prefer").and_then(|v| v.to_str().ok()));
        match resource {
            Resource::Companies => Ok(companies(&data.companies, &base, None)),
            Resource::Company(id) => Ok(companies(&data.companies, &base, Some(&id))),
            Resource::Collection {
                company,
                set,
                parent,
            } => {
                let index = data.company_index(&company).ok_or_else(no_company)?;
                let company = &mut data.companies[index];
                if let Some((parent_set, parent_id)) = &parent {
                    company.find(parent_set, parent_id).ok_or_else(|| {
                        ODataError::not_found(format!("The {} does not exist.", parent_set.entity))
                    })?;
                }
                let parent_id = parent.map(|(_, id)| id);
                match method {
                    Method::GET => {
                        let options = query::parse(uri.query(), set)?;
                        let size = page_size.unwrap_or(config.page_size);
                        Ok(list(
                            company,
                            set,
                            parent_id.as_deref(),
                            options,
                            size,
                            page_size.is_some(),
                            &base,
                            &uri,
                        ))
                    }
                    Method::POST if schema::read_only(set) => Err(read_only(&method, set)),
                    Method::POST => create(
                        company,
                        &mut data.ids,
                        set,
                        parent_id.as_deref(),
                        &body,
                        &base,
                    ),
                    _ => Err(method_not_allowed(&method)),
                }
            }
            Resource::Entity {
                company,
                set,
                id,
                parent,
            } => {
                let index = data.company_index(&company).ok_or_else(no_company)?;
                let company = &mut data.companies[index];
                let entity = company.find(set, &id).ok_or_else(|| missing(set))?;
                if let (Some(key), Some((_, parent_id))) = (set.parent_key, &parent)
                    && !entity.text(key).eq_ignore_ascii_case(parent_id)
                {
                    return Err(missing(set));
                }
                match method {
                    Method::PATCH | Method::DELETE if schema::read_only(set) => {
                        Err(read_only(&method, set))
                    }
                    Method::GET => {
                        let options = query::parse(uri.query(), set)?;
                        let expand = options.expand.map(|lines| (lines, &*company));
                        let mut out = Map::new();
                        out.insert(
                            "@odata.context".into(),
                            json!(context(&base, company, set, true)),
                        );
                        out.extend(query::render(entity, options.select.as_deref(), expand));
                        Ok(Json(Value::Object(out)).into_response())
                    }
                    Method::PATCH => {
                        update(company, &mut data.ids, set, &id, &headers, &body, &base)
                    }
                    Method::DELETE => delete(company, &mut data.ids, set, &id, &headers),
                    _ => Err(method_not_allowed(&method)),
                }
            }
            Resource::Action {
                company,
                set,
                id,
                action,
            } => {
                if method != Method::POST {
                    return Err(method_not_allowed(&method));
                }
                let index = data.company_index(&company).ok_or_else(no_company)?;
                let company = &mut data.companies[index];
                company.find(set, &id).ok_or_else(|| missing(set))?;
                let now = format_time(Timestamp::now());
                if action == "post" && set.name == JOURNALS.name {
                    let fault = state.take_journal_post_fault();
                    if fault == Some(JournalPostFault::Refused) {
                        return Err(injected());
                    }
                    posting::post_journal(company, &mut data.ids, &id, &now)?;
                    touch(company, &mut data.ids, set, &id, &now);
                    if fault == Some(JournalPostFault::Lost) {
                        return Err(injected());
                    }
                    return Ok(StatusCode::NO_CONTENT.into_response());
                }
                if action == "post" && set.name == CUSTOMER_PAYMENT_JOURNALS.name {
                    payments::post_payment_journal(company, &mut data.ids, &id, &now)?;
                    touch(company, &mut data.ids, set, &id, &now);
                    return Ok(StatusCode::NO_CONTENT.into_response());
                }
                if action != "post" || !matches!(set.name, "salesInvoices" | "salesCreditMemos") {
                    return Err(ODataError::not_found(format!(
                        "The action 'Microsoft.NAV.{action}' is not bound to '{}'.",
                        set.name
                    )));
                }
                documents::post_document(company, &mut data.ids, set, &id, &now)?;
                Ok(StatusCode::NO_CONTENT.into_response())
            }
        }
    });
    outcome.unwrap_or_else(IntoResponse::into_response)
}

fn no_company() -> ODataError {
    ODataError::not_found("The company does not exist.")
}

fn missing(set: &EntitySet) -> ODataError {
    ODataError::not_found(format!(
        "The {} you are looking for does not exist.",
        set.entity
    ))
}

fn method_not_allowed(method: &Method) -> ODataError {
    ODataError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        error::METHOD_NOT_ALLOWED,
        format!("The method '{method}' is not allowed on this resource."),
    )
}

/// Business Central's answer to a write on a read-only entity set (message unverified).
fn read_only(method: &Method, set: &EntitySet) -> ODataError {
    ODataError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        error::METHOD_NOT_ALLOWED,
        format!(
            "'{method}' requests for '{}' are not allowed within Dynamics 365 Business Central OData web services.",
            set.name
        ),
    )
}

fn injected() -> ODataError {
    ODataError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal_ServerError",
        "An injected fault: the journal post failed.",
    )
}

fn context(base: &Base, company: &Company, set: &EntitySet, single: bool) -> String {
    format!(
        "{}/$metadata#companies({})/{}{}",
        base.root,
        company.id,
        set.name,
        if single { "/$entity" } else { "" }
    )
}

fn companies(companies: &[Company], base: &Base, only: Option<&str>) -> Response {
    let render = |c: &Company| {
        json!({"id": c.id, "systemVersion": "25.0.0.0", "timestamp": 0, "name": c.name,
               "displayName": c.display_name, "businessProfileId": ""})
    };
    match only {
        None => Json(json!({
            "@odata.context": format!("{}/$metadata#companies", base.root),
            "value": companies.iter().map(render).collect::<Vec<_>>(),
        }))
        .into_response(),
        Some(id) => match companies.iter().find(|c| c.id.eq_ignore_ascii_case(id)) {
            Some(c) => {
                let mut out = render(c);
                out["@odata.context"] = json!(format!("{}/$metadata#companies/$entity", base.root));
                Json(out).into_response()
            }
            None => no_company().into_response(),
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn list(
    company: &Company,
    set: &'static EntitySet,
    parent: Option<&str>,
    options: QueryOptions,
    page_size: usize,
    preferred: bool,
    base: &Base,
    uri: &Uri,
) -> Response {
    let matching = company
        .entities(set)
        .filter(|e| match (set.parent_key, parent) {
            (Some(key), Some(parent)) => e.text(key).eq_ignore_ascii_case(parent),
            _ => true,
        })
        .filter(|e| options.filter.as_ref().is_none_or(|f| f.matches(&e.fields)))
        .filter(|e| options.skiptoken.is_none_or(|after| e.seq > after));
    let skip = if options.skiptoken.is_some() {
        0
    } else {
        options.skip
    };
    let wanted = options.top.unwrap_or(usize::MAX);
    let take = wanted.min(page_size);
    let mut rest = matching.skip(skip);
    let page: Vec<&Entity> = rest.by_ref().take(take).collect();
    let more = wanted > page.len() && rest.next().is_some();
    let expand = options.expand.map(|lines| (lines, company));
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(context(base, company, set, false)),
    );
    out.insert(
        "value".into(),
        Value::Array(
            page.iter()
                .map(|e| Value::Object(query::render(e, options.select.as_deref(), expand)))
                .collect(),
        ),
    );
    if let (true, Some(last)) = (more, page.last()) {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &options.pairs {
            if !matches!(k.as_str(), "$skip" | "$skiptoken" | "$top") {
                next.append_pair(k, v);
            }
        }
        if let Some(top) = options.top {
            next.append_pair("$top", &(top - page.len()).to_string());
        }
        next.append_pair("$skiptoken", &last.seq.to_string());
        out.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "http://{}{}?{}",
                base.host,
                uri.path(),
                next.finish()
            )),
        );
    }
    let mut response = Json(Value::Object(out)).into_response();
    if preferred && let Ok(value) = HeaderValue::from_str(&format!("odata.maxpagesize={page_size}"))
    {
        response.headers_mut().insert("preference-applied", value);
    }
    response
}

fn body_object(body: &Bytes) -> Result<Map<String, Value>, ODataError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ODataError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ODataError::bad_request(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// Builds and stores a new record; documents may carry their lines inline.
fn create_record(
    company: &mut Company,
    ids: &mut Ids,
    set: &'static EntitySet,
    parent: Option<&str>,
    body: &Map<String, Value>,
) -> Result<String, ODataError> {
    let mut fields = blank(set);
    let id = ids.guid();
    fields.insert("id".into(), json!(id));
    let mut changes = write::apply_body(set, body, &mut fields, parent.is_none())?;
    if let (Some(key), Some(parent)) = (set.parent_key, parent) {
        fields.insert(key.into(), json!(parent));
    }
    if let Some(key) = set.parent_key {
        let parent_set = rules::parent_of(set).ok_or_else(|| missing(set))?;
        let parent_id = fields
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        // A top-level customer payment without a journal goes to the default one (rules).
        let defaulted = parent.is_none() && parent_id == NULL_GUID;
        if !defaulted && company.find(parent_set, &parent_id).is_none() {
            return Err(ODataError::record_not_found(
                parent_set.entity,
                "Id",
                &parent_id,
            ));
        }
    }
    if set.numbers.is_some() && !changes.keys.contains(&"number") {
        let number = company.next_number(set).unwrap_or_default();
        fields.insert("number".into(), json!(number));
        changes.keys.push("number");
    }
    rules::resolve(company, set, &mut fields, &changes.keys, true)?;
    if set.name == CUSTOMER_PAYMENTS.name {
        rules::number_payment(company, &mut fields, &changes.keys);
    }
    let now = format_time(Timestamp::now());
    if fields.contains_key("lastModifiedDateTime") {
        fields.insert("lastModifiedDateTime".into(), json!(now));
    }
    let entity = Entity {
        seq: ids.next_seq(),
        version: ids.next_version(),
        fields,
    };
    company.insert(set, entity);
    if let (Some(lines), Some(line_set)) = (changes.lines, rules::lines_of(set)) {
        for (n, line) in lines.iter().enumerate() {
            let mut line = line.clone();
            line.entry("sequence")
                .or_insert(json!((n as i64 + 1) * 10_000));
            if let Err(e) = create_record(company, ids, line_set, Some(&id), &line) {
                // A document is created whole or not at all.
                remove_with_lines(company, set, &id);
                return Err(e);
            }
        }
    }
    if let Some(parent_set) = rules::parent_of(set)
        && let Some(parent_id) = set
            .parent_key
            .and_then(|k| company.find(set, &id).map(|e| e.text(k).to_string()))
        && rules::document_totals(company, parent_set, &parent_id)
    {
        touch(company, ids, parent_set, &parent_id, &now);
    }
    rules::document_totals(company, set, &id);
    Ok(id)
}

fn create(
    company: &mut Company,
    ids: &mut Ids,
    set: &'static EntitySet,
    parent: Option<&str>,
    body: &Bytes,
    base: &Base,
) -> Outcome {
    let body = body_object(body)?;
    let id = create_record(company, ids, set, parent, &body)?;
    let entity = company.find(set, &id).ok_or_else(|| missing(set))?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(context(base, company, set, true)),
    );
    out.extend(query::render(entity, None, None));
    let mut response = (StatusCode::CREATED, Json(Value::Object(out))).into_response();
    let location = format!("{}/companies({})/{}({id})", base.root, company.id, set.name);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&entity.etag()) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// `If-Match` must be `*` or the current etag.
fn check_if_match(entity: &Entity, headers: &HeaderMap) -> Result<(), ODataError> {
    let Some(given) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Err(ODataError::new(
            MISSING_IF_MATCH_STATUS,
            error::BAD_REQUEST,
            "Could not find the If-Match header. PATCH and DELETE need If-Match with the @odata.etag of the entity, or *.",
        ));
    };
    let given = given.trim();
    if given == "*" || given == entity.etag() {
        Ok(())
    } else {
        Err(ODataError::new(
            ENTITY_CHANGED_STATUS,
            ENTITY_CHANGED,
            "Another user has already changed the record.",
        ))
    }
}

fn update(
    company: &mut Company,
    ids: &mut Ids,
    set: &'static EntitySet,
    id: &str,
    headers: &HeaderMap,
    body: &Bytes,
    base: &Base,
) -> Outcome {
    let entity = company.find(set, id).ok_or_else(|| missing(set))?;
    check_if_match(entity, headers)?;
    let body = body_object(body)?;
    let mut fields = entity.fields.clone();
    let changes = write::apply_body(set, &body, &mut fields, false)?;
    if let Some(key) = set.parent_key
        && changes.keys.contains(&key)
        && fields.get(key) != entity.fields.get(key)
    {
        return Err(ODataError::bad_request(format!(
            "'{key}' cannot be changed."
        )));
    }
    rules::resolve(company, set, &mut fields, &changes.keys, false)?;
    let now = format_time(Timestamp::now());
    if let Some(entity) = company.find_mut(set, id) {
        entity.fields = fields;
    }
    touch(company, ids, set, id, &now);
    rules::document_totals(company, set, id);
    if let Some(parent_set) = rules::parent_of(set)
        && let Some(parent_id) = set
            .parent_key
            .and_then(|k| company.find(set, id).map(|e| e.text(k).to_string()))
        && rules::document_totals(company, parent_set, &parent_id)
    {
        touch(company, ids, parent_set, &parent_id, &now);
    }
    let entity = company.find(set, id).ok_or_else(|| missing(set))?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(context(base, company, set, true)),
    );
    out.extend(query::render(entity, None, None));
    Ok(Json(Value::Object(out)).into_response())
}

fn delete(
    company: &mut Company,
    ids: &mut Ids,
    set: &'static EntitySet,
    id: &str,
    headers: &HeaderMap,
) -> Outcome {
    let entity = company.find(set, id).ok_or_else(|| missing(set))?;
    check_if_match(entity, headers)?;
    let parent = set.parent_key.map(|k| entity.text(k).to_string());
    remove_with_lines(company, set, id);
    if let (Some(parent_set), Some(parent_id)) = (rules::parent_of(set), parent)
        && rules::document_totals(company, parent_set, &parent_id)
    {
        touch(
            company,
            ids,
            parent_set,
            &parent_id,
            &format_time(Timestamp::now()),
        );
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) fn remove_with_lines(company: &mut Company, set: &EntitySet, id: &str) {
    company.remove(set, id);
    if let Some(line_set) = rules::lines_of(set) {
        let key = line_set.parent_key.unwrap_or("documentId");
        let line_ids: Vec<String> = company
            .entities(line_set)
            .filter(|l| l.text(key).eq_ignore_ascii_case(id))
            .map(|l| l.id().to_string())
            .collect();
        for line in line_ids {
            company.remove(line_set, &line);
        }
    }
}

/// Marks a record changed: a new version (so a new etag) and `lastModifiedDateTime`.
fn touch(company: &mut Company, ids: &mut Ids, set: &EntitySet, id: &str, now: &str) {
    if let Some(entity) = company.find_mut(set, id) {
        entity.version = ids.next_version();
        if entity.fields.contains_key("lastModifiedDateTime") {
            entity
                .fields
                .insert("lastModifiedDateTime".into(), json!(now));
        }
    }
}
