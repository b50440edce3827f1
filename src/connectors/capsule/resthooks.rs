//! Capsule's REST hook subscriptions: `GET /resthooks`, `POST /resthooks` with `{"restHook":
//! {"event", "targetUrl", "description"}}` and `DELETE /resthooks/{id}`, for `ferry serve
//! --public-url` and `ferry hooks`. An account has at most 20, so the listing is one page.

use reqwest::Method;
use serde_json::{Value, json};

use super::CapsuleClient;
use super::wire::{api_error, bad_response, list_of, record_id};
use crate::connectors::client::Call;
use crate::connectors::http::RequestSpec;
use crate::connectors::webhook::{Hook, HookApi};
use crate::connectors::{ConnectorError, ResolvedConnection};

const ENDPOINT: &str = "resthooks";

pub fn open(connection: &ResolvedConnection) -> Result<Box<dyn HookApi>, ConnectorError> {
    Ok(Box::new(CapsuleClient::new(connection)?))
}

/// A hook as Capsule renders it (`{"id", "event", "targetUrl", ...}`).
fn hook(endpoint: &str, record: &Value) -> Result<Hook, ConnectorError> {
    let text = |key: &str| {
        record
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad_response(endpoint, &format!("restHook.{key}")))
    };
    Ok(Hook {
        id: record_id(record).ok_or_else(|| bad_response(endpoint, "restHook.id"))?,
        event: text("event")?,
        target_url: text("targetUrl")?,
    })
}

impl CapsuleClient {
    async fn hooks(&self) -> Result<Vec<Hook>, ConnectorError> {
        let spec = RequestSpec::get("capsule: list REST hooks", self.url(ENDPOINT)?.as_str());
        let response = self.http.send(spec).await.map_err(api_error)?;
        let hooks = list_of(response.json()?, "restHooks")
            .ok_or_else(|| bad_response(ENDPOINT, "restHooks"))?;
        hooks.iter().map(|record| hook(ENDPOINT, record)).collect()
    }

    async fn add_hook(
        &self,
        event: &str,
        target_url: &str,
        description: &str,
    ) -> Result<Hook, ConnectorError> {
        let body = json!({"restHook": {"event": event, "targetUrl": target_url,
                                       "description": description}});
        let spec = RequestSpec::post("capsule: subscribe a REST hook", self.url(ENDPOINT)?.as_str())
            .json(&body);
        let response = self.http.send(spec).await.map_err(api_error)?;
        let body: Value = response.json()?;
        let record = body
            .get("restHook")
            .ok_or_else(|| bad_response(ENDPOINT, "restHook"))?;
        hook(ENDPOINT, record)
    }

    async fn remove_hook(&self, id: &str) -> Result<(), ConnectorError> {
        let mut url = self.url(ENDPOINT)?;
        url.path_segments_mut()
            .map_err(|_| ConnectorError::Unsupported("capsule: bad base_url".into()))?
            .push(id);
        let spec = RequestSpec::new(Method::DELETE, "capsule: unsubscribe a REST hook", url);
        match self.http.send(spec).await {
            Ok(_) => Ok(()),
            // Already gone: what unsubscribing wanted.
            Err(error) if error.status() == Some(404) => Ok(()),
            Err(error) => Err(api_error(error)),
        }
    }
}

impl HookApi for CapsuleClient {
    fn list(&self) -> Call<'_, Vec<Hook>> {
        Box::pin(self.hooks())
    }

    fn subscribe<'a>(
        &'a self,
        event: &'a str,
        target_url: &'a str,
        description: &'a str,
    ) -> Call<'a, Hook> {
        Box::pin(self.add_hook(event, target_url, description))
    }

    fn unsubscribe<'a>(&'a self, id: &'a str) -> Call<'a, ()> {
        Box::pin(self.remove_hook(id))
    }
}
