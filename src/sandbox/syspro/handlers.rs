//! The REST endpoints: logon and logoff, then business object calls in a session.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;

use super::data::{Session, SysproData};
use super::{SysproState, credit_notes, customers, find, items, journals, orders, payments};
use crate::connectors::syspro::encoding::to_windows_1252;
use crate::connectors::syspro::xml::{self, Element};

type Params = Query<HashMap<String, String>>;

/// `ERROR ...` text, as the service answers a refused call.
pub fn error(message: impl AsRef<str>) -> Response {
    text(format!("ERROR: {}", message.as_ref()))
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// An XmlOut document. As Syspro answers (unless configured otherwise): declared Windows-1252,
/// in those bytes, and its root element lower-cased (`<salesorders>` for `SalesOrders`).
fn xml_out(state: &SysproState, body: String) -> Response {
    if !state.config().windows_1252_answers {
        return ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response();
    }
    let mut bytes = br#"<?xml version="1.0" encoding="Windows-1252"?>"#.to_vec();
    bytes.extend(to_windows_1252(&lower_case_root(&body)));
    ([(header::CONTENT_TYPE, "text/xml")], bytes).into_response()
}

/// `body` with its root element's name in lower case, in its start and end tags.
fn lower_case_root(body: &str) -> String {
    let Some(rest) = body.strip_prefix('<') else {
        return body.to_string();
    };
    let end = rest
        .find(|c: char| c == '>' || c == '/' || c.is_whitespace())
        .unwrap_or(rest.len());
    let name = &rest[..end];
    let lower = name.to_ascii_lowercase();
    let closing = format!("</{name}>");
    match body.strip_suffix(&closing) {
        Some(inner) => format!("<{lower}{}</{lower}>", &inner[1 + name.len()..]),
        None => format!("<{lower}{}", &rest[end..]),
    }
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
        (0..34)
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
    // As the recorded traffic shows it: 34 hex digits and two spaces, as an octet stream.
    (
        [(header::CONTENT_TYPE, "application/octet-stream")],
        format!("{id}  "),
    )
        .into_response()
}

pub async fn logoff(State(state): State<SysproState>, Query(params): Params) -> Response {
    let mut data = state.data();
    data.calls += 1;
    let id = params.get("UserId").map(|id| id.trim_end()).unwrap_or_default();
    match data.sessions.remove(id) {
        Some(_) => text("0".into()),
        None => error("Session ID is invalid or has expired"),
    }
}

/// What a business object call brings: its session checked, its XmlIn parsed (and its
/// XmlParameters checked to be XML: the emulator runs with the parameters ferry sends).
struct Request {
    business_object: String,
    parameters: Option<Element>,
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
    // The id as Logon gave it (two trailing spaces) or trimmed.
    let id = params.get("UserId").map(|id| id.trim_end()).unwrap_or_default();
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
    let parameters = if needs_parameters {
        Some(parse("XmlParameters")?)
    } else {
        None
    };
    let document = parse("XmlIn")?;
    Ok(Request {
        business_object,
        parameters,
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
        "INVQRY" => Ok(items::query(&data, &request.document)),
        other => Err(format!(
            "Business object '{other}' is not a query business object"
        )),
    };
    answer.map_or_else(error, |body| xml_out(&state, body))
}

pub async fn post(State(state): State<SysproState>, Query(params): Params) -> Response {
    let mut data = state.data();
    let request = match request(&state, &mut data, &params, true) {
        Ok(request) => request,
        Err(message) => return error(message),
    };
    match request.business_object.as_str() {
        "SORTOI" => xml_out(&state, orders::import(&mut data, &request.document)),
        "ARSTIN" => xml_out(&state, credit_notes::post(&mut data, &request.document)),
        "GENTJL" => xml_out(
            &state,
            journals::post(&mut data, request.parameters.as_ref(), &request.document),
        ),
        "ARSTPY" => xml_out(
            &state,
            payments::post(&mut data, request.parameters.as_ref(), &request.document),
        ),
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
        "ARSSCS" => xml_out(
            &state,
            customers::set_up(&mut data, &request.document, action),
        ),
        other => error(format!(
            "Business object '{other}' is not a setup business object"
        )),
    }
}

pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Endpoint not found.").into_response()
}

#[cfg(test)]
mod tests {
    use super::lower_case_root;

    #[test]
    fn the_root_is_lower_cased_and_nothing_else() {
        assert_eq!(
            lower_case_root("<SalesOrders><Order/></SalesOrders>"),
            "<salesorders><Order/></salesorders>"
        );
        assert_eq!(lower_case_root("<InvQuery/>"), "<invquery/>");
    }
}
