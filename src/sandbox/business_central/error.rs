//! Business Central's OData error bodies: `{"error": {"code", "message"}}`.
//!
//! Unverified choices, kept here so they are easy to change: a stale `If-Match` is answered
//! [`ENTITY_CHANGED_STATUS`] (409; apis.md leaves 409 or 412 open), a missing `If-Match` is
//! [`MISSING_IF_MATCH_STATUS`] (400 with code `BadRequest`), the rate limit's code is
//! [`TOO_MANY_REQUESTS`], an entity named in the URL that does not exist is 404
//! `BadRequest_NotFound`, and a record referenced from a body that does not exist is 400
//! `Internal_RecordNotFound`.
//!
//! Posting a journal answers AL's `Error(...)` dialogs (out of balance, nothing to post) with
//! [`DIALOG`] and `TestField` failures with [`FIELD_VALIDATION`], as Microsoft's error-code
//! table lists them; that both come with status 400 is unverified.
//!
//! A currency code that is not set up is refused with [`INVALID_TABLE_RELATION`] and the
//! platform's table-relation text (seen in reports of real answers). Unverified, and worded by
//! the sandbox: `customerPaymentJournals({id})/Microsoft.NAV.post` (listed by third-party
//! summaries of API v2.0's bound actions, not by Microsoft's v2.0 reference); a payment applied
//! to an invoice with no open entry; a payment applied to another customer's invoice; a credit
//! memo in another currency than the invoice it names; the `G-RCPT` document numbers given to
//! payments; and a payment's `amount` being what the customer paid (positive).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub const ENTITY_CHANGED: &str = "Request_EntityChanged";
pub const ENTITY_CHANGED_STATUS: StatusCode = StatusCode::CONFLICT;
pub const MISSING_IF_MATCH_STATUS: StatusCode = StatusCode::BAD_REQUEST;
pub const TOO_MANY_REQUESTS: &str = "Application_TooManyRequests";
pub const NOT_FOUND: &str = "BadRequest_NotFound";
pub const RECORD_NOT_FOUND: &str = "Internal_RecordNotFound";
pub const INVALID_TABLE_RELATION: &str = "Internal_InvalidTableRelation";
pub const SAME_KEY_EXISTS: &str = "Internal_EntityWithSameKeyExists";
pub const BAD_REQUEST: &str = "BadRequest";
pub const UNAUTHORIZED: &str = "Authentication_InvalidCredentials";
pub const METHOD_NOT_ALLOWED: &str = "BadRequest_MethodNotAllowed";
pub const DIALOG: &str = "Application_DialogException";
pub const FIELD_VALIDATION: &str = "Application_FieldValidationException";

/// An OData error about to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ODataError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ODataError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ODataError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, NOT_FOUND, message)
    }

    pub fn record_not_found(table: &str, field: &str, value: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            RECORD_NOT_FOUND,
            format!(
                "The {table} does not exist. Identification fields and values: {field}='{value}'"
            ),
        )
    }
}

impl IntoResponse for ODataError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}
