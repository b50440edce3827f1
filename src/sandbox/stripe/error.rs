//! Stripe's error object, `{"error": {"type", "code", "message", "param", "doc_url"}}`.
//!
//! Messages follow what the real API sends where it is known; the ones marked "unverified" are
//! our best reading of the docs and easy to change here in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// One API error, ready to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub param: Option<String>,
    pub message: String,
}

impl ApiError {
    fn invalid(code: Option<&'static str>, param: Option<String>, message: String) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code,
            param,
            message,
        }
    }

    pub fn unknown_parameter(param: &str) -> Self {
        Self::invalid(
            Some("parameter_unknown"),
            Some(param.to_string()),
            format!("Received unknown parameter: {param}"),
        )
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid(
            Some("parameter_missing"),
            Some(param.to_string()),
            format!("Missing required param: {param}."),
        )
    }

    pub fn invalid_integer(param: &str, value: &str) -> Self {
        Self::invalid(
            Some("parameter_invalid_integer"),
            Some(param.to_string()),
            format!("Invalid integer: {value}"),
        )
    }

    pub fn empty(param: &str) -> Self {
        Self::invalid(
            Some("parameter_invalid_empty"),
            Some(param.to_string()),
            format!(
                "You passed an empty string for '{param}'. We assume empty values are an attempt \
                 to unset a parameter; however '{param}' cannot be unset. You should remove \
                 '{param}' from your request or supply a non-empty value."
            ),
        )
    }

    /// A value of the wrong shape or outside an enum; Stripe sends no code for these
    /// (unverified), only the message.
    pub fn invalid_value(param: &str, message: String) -> Self {
        Self::invalid(None, Some(param.to_string()), message)
    }

    /// Rules Stripe states in prose (metadata limits, limit range, exclusive cursors).
    pub fn rule(code: Option<&'static str>, param: &str, message: String) -> Self {
        Self::invalid(code, Some(param.to_string()), message)
    }

    /// Below the currency's minimum charge; Stripe names no param for it.
    pub fn amount_too_small(message: String) -> Self {
        Self::invalid(Some("amount_too_small"), None, message)
    }

    /// More than eight digits (message unverified).
    pub fn amount_too_large(message: String) -> Self {
        Self::invalid(Some("amount_too_large"), Some("amount".into()), message)
    }

    /// A refund of a charge with nothing left to refund.
    pub fn charge_already_refunded(charge: &str) -> Self {
        Self::invalid(
            Some("charge_already_refunded"),
            None,
            format!("Charge {charge} has already been refunded."),
        )
    }

    /// A refund of a charge whose dispute has taken its money (message unverified; the code is
    /// Stripe's).
    pub fn charge_disputed(charge: &str) -> Self {
        Self::invalid(
            Some("charge_disputed"),
            Some("charge".into()),
            format!("Charge {charge} has been charged back; cannot issue a refund."),
        )
    }

    /// An answer to a dispute that is won, lost or closed (message unverified).
    pub fn dispute_closed(dispute: &str) -> Self {
        Self::invalid(
            None,
            None,
            format!("Dispute {dispute} is already closed and can no longer be updated."),
        )
    }

    /// More evidence for a dispute whose evidence is already submitted (message unverified).
    pub fn dispute_under_review(dispute: &str) -> Self {
        Self::invalid(
            None,
            None,
            format!(
                "Dispute {dispute} is under review: its evidence has been submitted and can no \
                 longer be changed."
            ),
        )
    }

    /// A refund larger than what is left of the charge: Stripe sends this one without a code
    /// (as its error bodies quoted in client issues show), the amounts written as money.
    pub fn refund_too_large(requested: &str, unrefunded: &str) -> Self {
        Self::invalid(
            None,
            Some("amount".into()),
            format!(
                "Refund amount ({requested}) is greater than unrefunded amount on charge \
                 ({unrefunded})"
            ),
        )
    }

    /// A payment the test card declines: 402 `card_error` (Stripe adds `decline_code` and the
    /// failed charge's id, which this error object does not carry).
    pub fn card_declined() -> Self {
        ApiError {
            status: StatusCode::PAYMENT_REQUIRED,
            kind: "card_error",
            code: Some("card_declined"),
            param: None,
            message: "Your card was declined.".to_string(),
        }
    }

    /// A customer charged without a card: the emulator's customers hold none (message as
    /// Stripe's; its type and param unverified).
    pub fn no_active_card() -> Self {
        ApiError {
            status: StatusCode::PAYMENT_REQUIRED,
            kind: "card_error",
            code: Some("missing"),
            param: Some("card".into()),
            message: "Cannot charge a customer that has no active card".to_string(),
        }
    }

    /// An action the object's current state does not allow (confirming a PaymentIntent twice).
    pub fn unexpected_state(code: &'static str, message: String) -> Self {
        Self::invalid(Some(code), None, message)
    }

    pub fn no_such(resource: &str, id: &str, param: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            code: Some("resource_missing"),
            param: Some(param.to_string()),
            message: format!("No such {resource}: '{id}'"),
        }
    }

    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            code: None,
            param: None,
            message: format!(
                "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs \
                 or we can help at https://support.stripe.com/."
            ),
        }
    }

    pub fn no_api_key() -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            kind: "invalid_request_error",
            code: None,
            param: None,
            message: "You did not provide an API key. You need to provide your API key in the \
                      Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
                      YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for \
                      details, or we can help at https://support.stripe.com/."
                .to_string(),
        }
    }

    /// The key is shown masked, as Stripe does, so it never leaks whole.
    pub fn invalid_api_key(key: &str) -> Self {
        let tail: String = key
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let prefix: String = key.chars().take(8).collect();
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            kind: "invalid_request_error",
            code: None,
            param: None,
            message: format!("Invalid API Key provided: {prefix}********{tail}"),
        }
    }

    pub fn rate_limited() -> Self {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: "invalid_request_error",
            code: Some("rate_limit"),
            param: None,
            message: "Request rate limit exceeded. Learn more about rate limits here \
                      https://stripe.com/docs/rate-limits."
                .to_string(),
        }
    }

    pub fn idempotency_mismatch(key: &str) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "idempotency_error",
            code: None,
            param: None,
            message: format!(
                "Keys for idempotent requests can only be used with the same parameters they \
                 were first used with. Try using a key other than '{key}' if you meant to \
                 execute a different request."
            ),
        }
    }

    pub fn idempotency_other_endpoint(key: &str, first: &str, now: &str) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "idempotency_error",
            code: None,
            param: None,
            message: format!(
                "Keys for idempotent requests can only be used for the same endpoint they were \
                 first used for ('{now}' vs '{first}'). Try using a key other than '{key}' if \
                 you meant to execute a different request."
            ),
        }
    }

    /// 409 while the first request with the key is still running (message unverified).
    pub fn idempotency_in_use(key: &str) -> Self {
        ApiError {
            status: StatusCode::CONFLICT,
            kind: "invalid_request_error",
            code: Some("idempotency_key_in_use"),
            param: None,
            message: format!(
                "There is currently another in-progress request using this Idempotent Key \
                 (that probably means you submitted twice, and the other request is still going \
                 through): {key}. Please try again later."
            ),
        }
    }

    /// Stripe caps idempotency keys at 255 characters (message unverified).
    pub fn idempotency_key_too_long() -> Self {
        Self::invalid(
            None,
            None,
            "Idempotency keys can be at most 255 characters long.".to_string(),
        )
    }

    pub fn body(&self) -> Value {
        let mut error = Map::new();
        if let Some(code) = self.code {
            error.insert("code".into(), json!(code));
            error.insert(
                "doc_url".into(),
                json!(format!(
                    "https://stripe.com/docs/error-codes/{}",
                    code.replace('_', "-")
                )),
            );
        }
        error.insert("message".into(), json!(self.message));
        if let Some(param) = &self.param {
            error.insert("param".into(), json!(param));
        }
        error.insert("type".into(), json!(self.kind));
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl ApiError {
    /// Something inside the emulator went wrong (a malformed embedded table): a 500 `api_error`.
    pub fn internal(message: String) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "api_error",
            code: None,
            param: None,
            message,
        }
    }
}
