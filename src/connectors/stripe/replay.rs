//! A pipeline fed by Stripe's events, read over its whole history for `ferry reconcile`.
//!
//! Stripe keeps events for 30 days only, so a reconcile of last quarter's payouts cannot read
//! their `payout.paid` events. It reads the objects' own list instead (`/v1/payouts`), each
//! object as it is now, and hands it to the pipeline wrapped as the event it stands for: a paid
//! payout as `payout.paid`, a charge with money refunded as `charge.refunded`. An object that
//! stands for none of the pipeline's event types (a payout not yet paid) is left out, as it would
//! have had no such event.
//!
//! Only event types with an object list that tells them apart map; a pipeline fed by any other
//! type reads the events as Stripe keeps them.

use serde_json::{Value, json};

use crate::connectors::SourceRecord;

/// An event type, the list of the objects it is about, and whether an object's current state
/// stands for it.
struct Mapping {
    event_type: &'static str,
    list: &'static str,
    /// Filters every request of the list carries (subscriptions: every status, not only the
    /// live ones Stripe lists by default).
    filters: &'static [(&'static str, &'static str)],
    stands_for: fn(&Value) -> bool,
}

fn status_is(object: &Value, status: &str) -> bool {
    object.get("status").and_then(Value::as_str) == Some(status)
}

fn ended(object: &Value) -> bool {
    status_is(object, "canceled") || status_is(object, "incomplete_expired")
}

const MAPPINGS: &[Mapping] = &[
    Mapping {
        event_type: "payout.paid",
        list: "payouts",
        filters: &[],
        stands_for: |payout| status_is(payout, "paid"),
    },
    Mapping {
        event_type: "charge.succeeded",
        list: "charges",
        filters: &[],
        stands_for: |charge| status_is(charge, "succeeded"),
    },
    Mapping {
        event_type: "charge.refunded",
        list: "charges",
        filters: &[],
        stands_for: |charge| {
            charge
                .get("amount_refunded")
                .and_then(Value::as_i64)
                .is_some_and(|refunded| refunded > 0)
        },
    },
    Mapping {
        event_type: "invoice.paid",
        list: "invoices",
        filters: &[],
        stands_for: |invoice| status_is(invoice, "paid"),
    },
    Mapping {
        event_type: "customer.created",
        list: "customers",
        filters: &[],
        stands_for: |_| true,
    },
    Mapping {
        event_type: "customer.updated",
        list: "customers",
        filters: &[],
        stands_for: |_| true,
    },
    Mapping {
        event_type: "customer.subscription.created",
        list: "subscriptions",
        filters: &[("status", "all")],
        stands_for: |subscription| !ended(subscription),
    },
    Mapping {
        event_type: "customer.subscription.updated",
        list: "subscriptions",
        filters: &[("status", "all")],
        stands_for: |subscription| !ended(subscription),
    },
    Mapping {
        event_type: "customer.subscription.deleted",
        list: "subscriptions",
        filters: &[("status", "all")],
        stands_for: ended,
    },
];

/// The object list a pipeline's event types are read from, over its whole history.
pub(super) struct Replay {
    /// In the pipeline's order: the first an object stands for is the event it gets.
    mappings: Vec<&'static Mapping>,
}

impl Replay {
    /// The replay of `event_types` when every one maps, all to the same list.
    pub(super) fn of(event_types: &[String]) -> Option<Replay> {
        let mappings = event_types
            .iter()
            .map(|kind| MAPPINGS.iter().find(|m| m.event_type == kind))
            .collect::<Option<Vec<_>>>()?;
        let first = mappings.first()?;
        let one_list = mappings.iter().all(|m| m.list == first.list);
        one_list.then_some(Replay { mappings })
    }

    /// The list to read: its path and filters.
    pub(super) fn list(&self) -> (&'static str, Vec<(String, String)>) {
        let mapping = self.mappings[0];
        let filters = mapping
            .filters
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        (mapping.list, filters)
    }

    /// `object` wrapped as the first of the pipeline's events it stands for, with the object's
    /// id (so that what a reconcile reports names the object) and its `created`; `None` when it
    /// stands for none.
    pub(super) fn event(&self, object: SourceRecord) -> Option<SourceRecord> {
        let mapping = self
            .mappings
            .iter()
            .find(|mapping| (mapping.stands_for)(&object.data))?;
        let created = object.data.get("created").cloned().unwrap_or(Value::Null);
        let livemode = object.data.get("livemode").cloned().unwrap_or(json!(false));
        Some(SourceRecord {
            id: object.id,
            data: json!({
                "id": object.data.get("id").cloned().unwrap_or(Value::Null),
                "object": "event",
                "type": mapping.event_type,
                "created": created,
                "livemode": livemode,
                "data": { "object": object.data },
            }),
            deleted: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn object(data: Value) -> SourceRecord {
        SourceRecord {
            id: data["id"].as_str().unwrap().to_string(),
            data,
            deleted: false,
        }
    }

    #[test]
    fn a_paid_payout_becomes_its_payout_paid_event_and_an_unpaid_one_none() {
        let replay = Replay::of(&types(&["payout.paid"])).unwrap();
        assert_eq!(replay.list().0, "payouts");
        let paid = object(json!({"id": "po_1", "status": "paid", "created": 17}));
        let event = replay.event(paid).unwrap();
        assert_eq!(event.id, "po_1");
        assert_eq!(event.data["type"], "payout.paid");
        assert_eq!(event.data["created"], 17);
        assert_eq!(event.data["data"]["object"]["id"], "po_1");
        let pending = object(json!({"id": "po_2", "status": "in_transit", "created": 18}));
        assert!(replay.event(pending).is_none());
    }

    #[test]
    fn a_subscription_stands_for_the_first_of_the_pipelines_types_it_matches() {
        let replay = Replay::of(&types(&[
            "customer.subscription.created",
            "customer.subscription.updated",
            "customer.subscription.deleted",
        ]))
        .unwrap();
        assert_eq!(
            replay.list(),
            ("subscriptions", vec![("status".into(), "all".into())])
        );
        let live = object(json!({"id": "sub_1", "status": "active"}));
        assert_eq!(
            replay.event(live).unwrap().data["type"],
            "customer.subscription.created"
        );
        let ended = object(json!({"id": "sub_2", "status": "canceled"}));
        assert_eq!(
            replay.event(ended).unwrap().data["type"],
            "customer.subscription.deleted"
        );
    }

    #[test]
    fn types_of_two_lists_or_without_a_list_read_the_events() {
        assert!(Replay::of(&types(&["charge.succeeded", "payout.paid"])).is_none());
        assert!(Replay::of(&types(&["charge.dispute.closed"])).is_none());
        assert!(Replay::of(&[]).is_none());
    }
}
