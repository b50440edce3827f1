//! The REST endpoints: logon and logoff, then business object calls in a session.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;

use super::data::{Session, SysproData};
use super::{SysproState, customers, find, orders};
use crate::connectors::syspro::xml::{self, Element};

type Params = Query<HashMap<String, String>>;

/// `ERROR ...` text, as the service answers a refused call.
pub fn error(message: impl AsRef<str>) -> Response {
    text(format!("ERROR: {}", message.as_ref()))
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn xml_out(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

pub async fn logon(State(state): State<SysproState>, Query(params): Params) -> Response {
    let config = state.config();
    let value = |key: &str| params.get(key).map(String::as_str).unwrap_or_default();
    let operator = value("Operator");
    let known = config
        .operators
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(operator));
    // The same message for an unknown operator and a wrong password, and never the password.
    let Some((name, _)) = known.filter(|(_, password)| password == value("OperatorPassword"))
    else {
        return error(format!("Invalid operator '{operator}' or password"));
    };
    if !config.company_id.eq_ignore_ascii_case(value("CompanyId")) {
        return error(format!("Company '{}' not found", value("CompanyId")));
    }
    if config.company_password.as_deref().unwrap_or_default() != value("CompanyPassword") {
        return error(format!(
            "Invalid company password for company '{}'",
            config.company_id
        ));
    }
    let id: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
            .collect::<String>()
            .to_ascii_uppercase()
    };
    let mut data = state.data();
    data.calls += 1;
    data.sessions.insert(
        id.clone(),
        Session {
            operator: name.clone(),
            last_used: Instant::now(),
        },
    );
    text(id)
}

pub async fn logoff(State(state): State<SysproState>, Query(params): Params) -> Response {
    let mut data = state.data();
    data.calls += 1;
    let id = params.get("UserId").cloned().unwrap_or_default();
    match data.sessions.remove(&id) {
        Some(_) => text("0".into()),
        None => error("Session ID is invalid or has expired"),
    }
}

/// What a business object call brings: its session checked, its XmlIn parsed (and its
/// XmlParameters checked to be XML: the emulator runs with the parameters ferry sends).
struct Request {
    business_object: String,
    document: Element,
}

/// Checks the session and reads the documents; the error message otherwise.
fn request(
    state: &SysproState,
    data: &mut SysproData,
    params: &HashMap<String, String>,
    needs_parameters: bool,
) -> Result<Request, String> {
    data.calls += 1;
    let id = params.get("UserId").map(String::as_str).unwrap_or_default();
    let idle = state.config().session_idle;
    let now = Instant::now();
    match data.sessions.get_mut(id) {
        Some(session) if now.duration_since(session.last_used) < idle => session.last_used = now,
        _ => {
            data.sessions.remove(id);
            return Err("Session ID is invalid or has expired".into());
        }
    }
    let business_object = params
        .get("BusinessObject")
        .map(|b| b.trim().to_ascii_uppercase())
        .unwrap_or_default();
    let parse = |key: &str| -> Result<Element, String> {
        let text = params.get(key).map(String::as_str).unwrap_or_default();
        if text.trim().is_empty() {
            return Err(format!(
                "{key} is required by business object '{business_object}'"
            ));
        }
        xml::parse(text).map_err(|reason| format!("{key} could not be loaded: {reason}"))
    };
    if needs_parameters {
        parse("XmlParameters")?;
    }
    let document = parse("XmlIn")?;
    Ok(Request {
        business_object,
        document,
    })
}

pub async fn query(State(state): State<SysproState>, Query(params): Params) -> Response {
    let mut data = state.data();
    let request = match request(&state, &mut data, &params, false) {
        Ok(request) => request,
        Err(message) => return error(message),
    };
    let answer = match request.business_object.as_str() {
        "COMFND" => find::find(&data, &request.document),
        "SORQRY" => orders::query(&data, &request.document),
        other => Err(format!(
            "Business object '{other}' is not a query business object"
        )),
    };
    answer.map_or_else(error, xml_out)
}

pub async fn post(State(state): State<SysproState>, Query(params): Params) -> Response {
    let mut data = state.data();
    let request = match request(&state, &mut data, &params, true) {
        Ok(request) => request,
        Err(message) => return error(message),
    };
    match request.business_object.as_str() {
        "SORTOI" => xml_out(orders::import(&mut data, &request.document)),
        other => error(format!(
            "Business object '{other}' is not a transaction business object"
        )),
    }
}

pub async fn setup_add(state: State<SysproState>, params: Params) -> Response {
    setup(state, params, customers::Action::Add)
}

pub async fn setup_update(state: State<SysproState>, params: Params) -> Response {
    setup(state, params, customers::Action::Update)
}

fn setup(
    State(state): State<SysproState>,
    Query(params): Params,
    action: customers::Action,
) -> Response {
    let mut data = state.data();
    let request = match request(&state, &mut data, &params, true) {
        Ok(request) => request,
        Err(message) => return error(message),
    };
    match request.business_object.as_str() {
        "ARSSCS" => xml_out(customers::set_up(&mut data, &request.document, action)),
        other => error(format!(
            "Business object '{other}' is not a setup business object"
        )),
    }
}

pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Endpoint not found.").into_response()
}
