//! The page around every view: escaping, the navigation, the embedded style sheet, and the
//! headers that keep the pages out of caches and frames.

use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
use axum::response::{Html, IntoResponse, Response};

pub use crate::formats::html::escape;

/// A query-string value: everything but unreserved characters percent-encoded.
pub fn query_value(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
nav{background:#1d2330;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center}
nav a{color:#cfd6e4;text-decoration:none}nav a.here{color:#fff;font-weight:600}
nav form{margin-left:auto}main{padding:1.2em}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border-bottom:1px solid #e3e6ea;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#eef0f3}td{overflow-wrap:anywhere}
pre{background:#fff;border:1px solid #e3e6ea;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere}
.open{color:#a3261b;font-weight:600}.closed{color:#37703a}.note{color:#5b6475}
.error{background:#fde8e6;border:1px solid #f0b3ad;padding:.6em}
form.inline{display:inline}input,button{font:inherit}
.chart{background:#fff;border:1px solid #e3e6ea;margin:.4em 0 1em}.chart text{font-size:11px;fill:#5b6475}
.bars text{font-size:12px;fill:#1d2330}.bars rect{fill:#c0392b}
.clean{color:#37703a;font-weight:600}.mismatch{color:#a3261b;font-weight:600}
.failed{background:#fde8e6;border:1px solid #f0b3ad;padding:.6em}
.chart .read{fill:#8a9bb0}.chart .written{fill:#3a6ea5}.chart .dead{fill:#c0392b}
.key-read{color:#6b7d93}.key-written{color:#3a6ea5}.key-dead{color:#c0392b}
";

/// The sections in the navigation: path and label.
const SECTIONS: [(&str, &str); 5] = [
    ("/", "Pipelines"),
    ("/dead-letters", "Dead letters"),
    ("/audit", "Audit log"),
    ("/reconcile", "Reconcile"),
    ("/alerts", "Alerts"),
];

/// A full page for a logged-in user: navigation (with `current` marked), a logout form
/// carrying `csrf`, and `body`.
pub fn page(title: &str, current: &str, csrf: &str, body: &str) -> String {
    let mut nav = String::new();
    for (path, label) in SECTIONS {
        let class = if path == current {
            " class=\"here\""
        } else {
            ""
        };
        nav.push_str(&format!("<a href=\"{path}\"{class}>{label}</a>"));
    }
    nav.push_str(&format!(
        "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Log out</button></form>",
        escape(csrf)
    ));
    document(title, &format!("<nav>{nav}</nav><main>{body}</main>"))
}

/// A page with no navigation (the login page).
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} · ferry</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

/// `html` with `status`, never cached or framed, running no script.
pub fn respond(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (CACHE_CONTROL, "no-store"),
            (X_FRAME_OPTIONS, "DENY"),
            (
                CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ),
        ],
        Html(html),
    )
        .into_response()
}
