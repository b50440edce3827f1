//! Cross references copied out of the store for the evaluator.
//!
//! `xref(collection, id)` is evaluated synchronously, inside a mapping, on a tokio worker
//! thread. Blocking on the pool there would stall the worker (or panic on a current-thread
//! runtime), so the runner takes a snapshot of the collections a pipeline's `xref` calls name
//! (they are bare names, known before the run) and refreshes it per batch. A snapshot holds only
//! those collections' links, a few dozen bytes each.
//!
//! It also carries the links of the records of one page, read in one query as the page
//! begins, so that delivering a record does not ask the database for its target's id.

use std::collections::HashMap;

use super::CrossReference;
use super::records::TargetKeys;
use crate::value::CrossReferences;

/// The links into some target collections, readable both ways without the database.
#[derive(Debug, Default, Clone)]
pub struct CrossReferenceSnapshot {
    /// target collection -> source id -> target id
    forward: HashMap<String, HashMap<String, String>>,
    /// target collection -> target id -> source id
    backward: HashMap<String, HashMap<String, String>>,
    /// target collection -> target id -> the record's other keys
    keys: HashMap<String, HashMap<String, TargetKeys>>,
    /// (target collection, link id) -> target id, or None where the record has no link yet.
    page_links: HashMap<(String, String), Option<String>>,
}

impl CrossReferenceSnapshot {
    /// Builds the maps; for a repeated key the later link wins, so pass links oldest first.
    pub fn from_links(links: impl IntoIterator<Item = CrossReference>) -> Self {
        let mut snapshot = CrossReferenceSnapshot::default();
        for link in links {
            snapshot
                .forward
                .entry(link.target_collection.clone())
                .or_default()
                .insert(link.source_id.clone(), link.target_id.clone());
            if !link.target_keys.is_empty() {
                snapshot
                    .keys
                    .entry(link.target_collection.clone())
                    .or_default()
                    .insert(link.target_id.clone(), link.target_keys);
            }
            snapshot
                .backward
                .entry(link.target_collection)
                .or_default()
                .insert(link.target_id, link.source_id);
        }
        snapshot
    }

    /// Records the links of a page's records into `target_collection`: each of `link_ids`
    /// is linked to its entry in `found`, or to nothing.
    pub fn add_page_links(
        &mut self,
        target_collection: &str,
        link_ids: Vec<String>,
        mut found: HashMap<String, String>,
    ) {
        for id in link_ids {
            let target = found.remove(&id);
            self.page_links
                .insert((target_collection.to_string(), id), target);
        }
    }

    /// The target id of `link_id` in `target_collection` as the page began: `None` when the
    /// page's links were not read for it (ask the store), `Some(None)` when it had none.
    pub fn page_link(&self, target_collection: &str, link_id: &str) -> Option<Option<&str>> {
        self.page_links
            .get(&(target_collection.to_string(), link_id.to_string()))
            .map(Option::as_deref)
    }

    pub fn len(&self) -> usize {
        self.forward.values().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CrossReferences for CrossReferenceSnapshot {
    /// `collection` names the collection a `cross_reference` sink wrote to, and `id` may come
    /// from either side: `xref(stripe.products, "WID-100")` gives the Stripe product made from
    /// item WID-100, and `xref(stripe.customers, "cus_1")` gives the id of the record that
    /// became customer cus_1. Ids of different systems do not collide in practice; if one did,
    /// the source-side reading wins.
    fn target_id(&self, collection: &str, id: &str) -> Option<String> {
        let forward = self.forward.get(collection).and_then(|ids| ids.get(id));
        let backward = || self.backward.get(collection).and_then(|ids| ids.get(id));
        forward.or_else(backward).cloned()
    }

    fn target_key(&self, collection: &str, key: &str, id: &str) -> Option<String> {
        let target_id = self.target_id(collection, id)?;
        self.keys
            .get(collection)?
            .get(&target_id)?
            .get(key)
            .cloned()
    }
}
