//! An e.net session: `Logon` once, the session id (`UserId`) on every call, a new logon when
//! Syspro says the session is unknown or has expired (the call is then sent once more), and
//! `Logoff` when the run ends ([`Session::logoff`], through `Client::close`) or, failing that,
//! when the session is dropped. Syspro may allow one session per operator (a second logon
//! evicting the first), so one client logs on once, under a lock, and its calls share it.

use tokio::sync::Mutex;
use url::Url;

use super::encoding::decode;
use super::wire::{Reply, bad_response, error_text, read_reply, refused};
use super::xml;
use crate::connectors::ConnectorError;
use crate::connectors::http::{HttpClient, RequestSpec, Response, Secret};
use reqwest::header::CONTENT_TYPE;

/// The longest URL a call is sent with: every call is a GET with its XML in the query string, and
/// the HTTP client takes a request target of at most 65,534 bytes. (A site's IIS may take less:
/// its defaults are lower, and sites that serve e.net raise them.)
pub const MAX_URL_LENGTH: usize = 65_000;

/// Where the REST endpoints live under the connection's `base_url`.
const REST_PATH: &str = "SYSPROWCFService/Rest";

/// Who logs on.
#[derive(Debug, Clone)]
pub struct Logon {
    pub operator: String,
    pub operator_password: Secret,
    pub company_id: String,
    pub company_password: Option<Secret>,
}

/// One business object call: the REST method (`Query/Query`, `Transaction/Post`, ...), the
/// business object and its XML strings.
pub struct Call<'c> {
    pub method: &'c str,
    pub business_object: &'c str,
    pub parameters: Option<&'c str>,
    pub document: &'c str,
}

impl Call<'_> {
    /// `SORTOI (Transaction/Post)`, for errors.
    pub fn endpoint(&self) -> String {
        format!("{} ({})", self.business_object, self.method)
    }
}

#[derive(Debug)]
pub struct Session {
    http: HttpClient,
    /// `{base_url}/SYSPROWCFService/Rest`, no trailing slash.
    rest_url: String,
    logon: Logon,
    current: Mutex<Option<String>>,
}

impl Session {
    pub fn new(http: HttpClient, base_url: &str, logon: Logon) -> Self {
        Session {
            http,
            rest_url: format!("{}/{REST_PATH}", base_url.trim_end_matches('/')),
            logon,
            current: Mutex::new(None),
        }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Runs `call` in the current session (logging on first if there is none); once more in a
    /// new session when Syspro says the session expired. The XmlOut document.
    pub async fn run(&self, call: &Call<'_>) -> Result<xml::Element, ConnectorError> {
        let mut renewed = false;
        loop {
            let session = self.session_id().await?;
            let body = self.send(call, &session).await?;
            match read_reply(&body).map_err(|reason| bad_response(&call.endpoint(), reason))? {
                Reply::Document(root) => return Ok(root),
                Reply::SessionInvalid if !renewed => {
                    tracing::debug!(
                        business_object = call.business_object,
                        "syspro session expired; logging on again"
                    );
                    self.forget(&session).await;
                    renewed = true;
                }
                Reply::SessionInvalid => {
                    // Every call would fail the same way: stop the run (401), not the record.
                    return Err(ConnectorError::Api {
                        endpoint: format!("syspro {}", call.endpoint()),
                        status: 401,
                        kind: Some("syspro_session".into()),
                        code: None,
                        param: None,
                        message: "the session was refused right after a new logon".into(),
                    });
                }
                Reply::Refused(message) => return Err(refused(&call.endpoint(), None, message)),
            }
        }
    }

    /// Ends the current session, if any (`Logoff`).
    pub async fn logoff(&self) -> Result<(), ConnectorError> {
        let Some(session) = self.current.lock().await.take() else {
            return Ok(());
        };
        let url = self.url("Logoff", &[("UserId", &session)])?;
        logoff(&self.http, url).await
    }

    async fn send(&self, call: &Call<'_>, session: &str) -> Result<String, ConnectorError> {
        let mut query = vec![
            ("UserId", session),
            ("BusinessObject", call.business_object),
        ];
        if let Some(parameters) = call.parameters {
            query.push(("XmlParameters", parameters));
        }
        query.push(("XmlIn", call.document));
        let url = self.url(call.method, &query)?;
        if url.as_str().len() > MAX_URL_LENGTH {
            // Sending it would fail the same way every time (the HTTP client cannot build the
            // request): the record is refused, not retried.
            return Err(refused(
                &call.endpoint(),
                None,
                format!(
                    "the request's URL would be {} characters, more than the {MAX_URL_LENGTH} one \
                     GET can carry; the XML document is too large to send",
                    url.as_str().len()
                ),
            ));
        }
        let label = format!("syspro: {}", call.endpoint());
        // Queries change nothing; a post repeated after a lost answer could post twice, so the
        // HTTP layer only retries it when the request never reached Syspro.
        let idempotent = call.method.starts_with("Query");
        let spec = RequestSpec::get(label, url).idempotent(idempotent);
        let response = self.http.send(spec).await?;
        Ok(body_text(&response))
    }

    /// The cached session id, or a new one from `Logon`.
    async fn session_id(&self) -> Result<String, ConnectorError> {
        let mut current = self.current.lock().await;
        if let Some(session) = current.as_ref() {
            return Ok(session.clone());
        }
        let session = self.log_on().await?;
        *current = Some(session.clone());
        Ok(session)
    }

    async fn forget(&self, session: &str) {
        let mut current = self.current.lock().await;
        if current.as_deref() == Some(session) {
            *current = None;
        }
    }

    async fn log_on(&self) -> Result<String, ConnectorError> {
        let logon = &self.logon;
        let company_password = logon
            .company_password
            .as_ref()
            .map(Secret::expose)
            .unwrap_or_default();
        let url = self.url(
            "Logon",
            &[
                ("Operator", &logon.operator),
                ("OperatorPassword", logon.operator_password.expose()),
                ("CompanyId", &logon.company_id),
                ("CompanyPassword", company_password),
            ],
        )?;
        let response = self
            .http
            .send(RequestSpec::get("syspro: logon", url))
            .await?;
        // Some SYSPRO 8 builds send the id JSON-quoted; the cassette's id ends in two spaces.
        let mut text = body_text(&response).trim().trim_matches('"').to_string();
        if text.starts_with('<') {
            // A session id wrapped by the WCF serializer.
            text = xml::parse(&text)
                .map_err(|reason| bad_response("Logon", reason))?
                .text;
        }
        if let Some(message) = error_text(&text) {
            return Err(ConnectorError::Api {
                endpoint: "syspro Logon".into(),
                status: 401,
                kind: Some("syspro_logon".into()),
                code: None,
                param: None,
                message: format!(
                    "operator `{}` could not log on to company `{}`: {message}",
                    logon.operator, logon.company_id
                ),
            });
        }
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(bad_response("Logon", "the answer is not a session id"));
        }
        Ok(text)
    }

    fn url(&self, method: &str, query: &[(&str, &str)]) -> Result<String, ConnectorError> {
        let mut url = Url::parse(&format!("{}/{method}", self.rest_url)).map_err(|error| {
            ConnectorError::Unsupported(format!("syspro: bad base_url {}: {error}", self.rest_url))
        })?;
        url.query_pairs_mut().extend_pairs(query);
        Ok(url.to_string())
    }
}

impl Drop for Session {
    /// A session still open when its client goes away (a run that ended without `close`, a
    /// reloaded `ferry serve`) is logged off in the background, so it does not hold the
    /// operator's e.net licence until Syspro's idle timeout. Outside a runtime it is left to
    /// that timeout.
    fn drop(&mut self) {
        let Some(session) = self.current.get_mut().take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Ok(url) = self.url("Logoff", &[("UserId", &session)]) else {
            return;
        };
        let http = self.http.clone();
        runtime.spawn(async move {
            if let Err(error) = logoff(&http, url).await {
                tracing::debug!(%error, "syspro logoff of a dropped session failed");
            }
        });
    }
}

async fn logoff(http: &HttpClient, url: String) -> Result<(), ConnectorError> {
    let response = http.send(RequestSpec::get("syspro: logoff", url)).await?;
    match error_text(body_text(&response).trim()) {
        Some(message) => Err(refused("Logoff", None, message)),
        None => Ok(()),
    }
}

/// The answer's text, in the encoding it declares (Syspro's XmlOut says Windows-1252).
fn body_text(response: &Response) -> String {
    let content_type = response
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    decode(&response.body, content_type)
}
