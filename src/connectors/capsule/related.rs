//! What `fetch` and `fetch_all` read of Capsule while a record is mapped: a party's
//! opportunities, kases and tasks, and a user by id.

use serde_json::Value;

use super::CapsuleClient;
use super::entity::{self, Entity, OfParty};
use super::wire::record_id;
use crate::connectors::{ConnectorError, TargetRecord};

/// The one filter a party listing takes.
pub const PARTY_FILTER: &str = "party";

impl CapsuleClient {
    /// Every record of `entity` the party in `filters` has, every page.
    pub(super) async fn of_party(
        &self,
        entity: &Entity,
        filters: &[(String, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        let party = match filters {
            [(name, id)] if name == PARTY_FILTER => id,
            _ => {
                return Err(ConnectorError::Unsupported(format!(
                    "capsule {} are listed by `{PARTY_FILTER}` only",
                    entity.plural
                )));
            }
        };
        if party.is_empty() || !party.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConnectorError::Unsupported(format!(
                "capsule: `{party}` is not a party id (digits)"
            )));
        }
        match entity.of_party {
            Some(OfParty::Nested(under)) => {
                let path = format!("parties/{party}/{under}");
                Ok(self.list_every_page(entity, &path).await?.0)
            }
            Some(OfParty::Filtered) => {
                let (records, _) = self.list_every_page(entity, entity.plural).await?;
                Ok(records
                    .into_iter()
                    .filter(|record| {
                        record
                            .get("party")
                            .and_then(record_id)
                            .is_some_and(|id| id == *party)
                    })
                    .collect())
            }
            None => Err(ConnectorError::Unsupported(format!(
                "capsule {} cannot be listed by party",
                entity.plural
            ))),
        }
    }

    /// The user `id` from `/users` (a handful per account: one listing, no per-user call).
    pub(super) async fn user(&self, id: &str) -> Result<Option<TargetRecord>, ConnectorError> {
        let (users, _) = self.list_every_page(&entity::USERS, "users").await?;
        Ok(users
            .into_iter()
            .find(|user| record_id(user).as_deref() == Some(id))
            .map(|user| TargetRecord {
                id: id.to_string(),
                data: user,
                etag: None,
            }))
    }
}
