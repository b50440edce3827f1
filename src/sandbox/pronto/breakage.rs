//! One-shot malformed answers, for tests of how a client copes with what real servers and
//! their proxies sometimes send.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What the next answer that passes authentication and the rate limit is turned into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    /// A 200 with an HTML page instead of JSON (a proxy's or a login page); the request is
    /// not carried out.
    Html,
    /// A 500 with Rails' HTML error page; the request is not carried out.
    HtmlServerError,
    /// The real answer, status and all, with its body cut in the middle: the request is
    /// carried out.
    TruncatedJson,
    /// A 200 whose body is only `{"message": ...}`; the request is not carried out.
    ErrorInside200,
}

const RAILS_ERROR_PAGE: &str = "<!DOCTYPE html>\n<html>\n<head><title>We're sorry, but something went wrong (500)</title></head>\n<body><div class=\"dialog\"><h1>We're sorry, but something went wrong.</h1></div></body>\n</html>\n";

/// The answer of a breakage that stands in for the request, or `None` for one that carries
/// it out and mangles its answer ([`truncated`]).
pub fn instead(breakage: Breakage) -> Option<Response> {
    let html = |status: StatusCode| {
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], RAILS_ERROR_PAGE).into_response()
    };
    match breakage {
        Breakage::Html => Some(html(StatusCode::OK)),
        Breakage::HtmlServerError => Some(html(StatusCode::INTERNAL_SERVER_ERROR)),
        Breakage::ErrorInside200 => Some(
            (
                StatusCode::OK,
                axum::Json(json!({"message": "Something went wrong processing the request"})),
            )
                .into_response(),
        ),
        Breakage::TruncatedJson => None,
    }
}

/// `body` as JSON cut to half its length, still labelled JSON.
pub fn truncated(status: StatusCode, body: &serde_json::Value) -> Response {
    let text = body.to_string();
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        text[..cut].to_string(),
    )
        .into_response()
}
