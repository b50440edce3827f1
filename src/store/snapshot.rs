//! Cross references copied out of the store for the evaluator.
//!
//! `xref(collection, id)` is evaluated synchronously, inside a mapping, on a tokio worker
//! thread. Blocking on the pool there would stall the worker (or panic on a current-thread
//! runtime), so the runner takes a snapshot of the collections a pipeline's `xref` calls name
//! (they are bare names, known before the run) and refreshes it per batch. A snapshot holds only
//! those collections' links, a few dozen bytes each.

use std::collections::HashMap;

use super::CrossReference;
use crate::functions::spec::CrossReferences;

/// The links into some target collections, readable both ways without the database.
#[derive(Debug, Default, Clone)]
pub struct CrossReferenceSnapshot {
    /// target collection -> source id -> target id
    forward: HashMap<String, HashMap<String, String>>,
    /// target collection -> target id -> source id
    backward: HashMap<String, HashMap<String, String>>,
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
            snapshot
                .backward
                .entry(link.target_collection)
                .or_default()
                .insert(link.target_id, link.source_id);
        }
        snapshot
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
}
