//! Seeded drift in Business Central's customers, made as a user makes it on the Customer Card:
//! each change and addition gets a new version (so a new etag) and `lastModifiedDateTime`.
//! Sales orders drift as the Sales Order page edits them (`order_drift.rs`), ledgers by
//! reversal (`reversal.rs`).

use std::collections::HashSet;

use jiff::Timestamp;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::ledger::mark;
use super::order_drift::{SALES_ORDERS_DRIFT, SalesOrders};
use super::schema::{CUSTOMERS, EntitySet};
use super::store::{BcData, Company, Entity, Ids, blank, format_time};
use crate::sandbox::drift::{
    DriftError, DriftField, DriftPlan, DriftTarget, DriftableCollection, Drifted, apply, driftable,
};

/// `stripe_customers_to_business_central` writes customers, always with a display name;
/// `stripe_subscriptions_to_business_central` keeps a subscriber's `website`.
const COLLECTIONS: &[DriftableCollection] = &[CUSTOMERS_DRIFT, SALES_ORDERS_DRIFT];

const CUSTOMERS_DRIFT: DriftableCollection = DriftableCollection {
    system: "business_central",
    name: "customers",
    fields: &[
        DriftField::text("displayName"),
        DriftField::email("email"),
        DriftField::phone("phoneNumber"),
        DriftField::text("addressLine1"),
        DriftField::text("city"),
        DriftField::text("postalCode"),
        // The subscription link `stripe_subscriptions_to_business_central` keeps.
        DriftField::text("website"),
    ],
    default_fields: &["displayName"],
};

/// Drift in the first company, where the sandbox's data lives.
pub fn drift(data: &mut BcData, collection: &str, plan: &DriftPlan, rng: &mut StdRng) -> Drifted {
    let BcData {
        companies,
        ids,
        not_ferrys,
    } = data;
    // The emulator always starts with its one company.
    let Some(company) = companies.first_mut() else {
        return Err(DriftError::CannotDrift {
            system: "business_central".to_string(),
            collection: collection.to_string(),
            can: "none, with no company".to_string(),
        });
    };
    if super::reversal::LEDGERS.contains(&collection) {
        return super::reversal::reverse(company, ids, not_ferrys, collection, plan, rng);
    }
    let drifting =
        driftable(COLLECTIONS, "business_central", collection).map_err(|error| match error {
            DriftError::CannotDrift {
                system,
                collection,
                can,
            } => DriftError::CannotDrift {
                system,
                collection,
                can: format!("{can}, {}", super::reversal::LEDGERS.join(", ")),
            },
            other => other,
        })?;
    let now = format_time(Timestamp::now());
    if drifting.name == SALES_ORDERS_DRIFT.name {
        let mut target = SalesOrders {
            company,
            ids,
            not_ferrys,
            now,
        };
        return apply(drifting, &mut target, plan, rng);
    }
    let mut target = Customers {
        company,
        ids,
        not_ferrys,
        now,
    };
    apply(drifting, &mut target, plan, rng)
}

/// A company's customers, changed as the Customer Card changes them.
struct Customers<'a> {
    company: &'a mut Company,
    ids: &'a mut Ids,
    not_ferrys: &'a mut HashSet<String>,
    now: String,
}

impl DriftTarget for Customers<'_> {
    fn ferrys(&self) -> Vec<String> {
        let ids = self
            .company
            .entities(&CUSTOMERS)
            .map(|e| e.id().to_string());
        ids.filter(|id| !self.not_ferrys.contains(id)).collect()
    }

    fn field(&self, id: &str, field: &str) -> Value {
        let entity = self.company.find(&CUSTOMERS, id);
        entity
            .and_then(|e| e.fields.get(field).cloned())
            .unwrap_or(Value::Null)
    }

    fn set_field(&mut self, id: &str, field: &str, value: Value) -> bool {
        let Some(entity) = self.company.find_mut(&CUSTOMERS, id) else {
            return false;
        };
        entity.fields.insert(field.to_string(), value);
        mark(entity, self.ids, &self.now);
        true
    }

    fn delete(&mut self, id: &str) -> Option<Value> {
        let removed = self.company.remove(&CUSTOMERS, id)?;
        Some(Value::Object(removed.fields))
    }

    /// A customer made by hand on the Customer Card, numbered from the customers' series.
    fn add(&mut self, token: &str, _rng: &mut StdRng) -> Option<(String, Value)> {
        let fields = [
            ("displayName", json!(format!("Walk-in {token}"))),
            ("type", json!("Company")),
            ("email", json!(format!("walk-in.{token}@example.net"))),
            ("currencyCode", json!("AUD")),
        ];
        Some(typed_in(
            self.company,
            self.ids,
            self.not_ferrys,
            &CUSTOMERS,
            &self.now,
            &fields,
        ))
    }
}

/// Keeps a record typed in by hand in `set`: `given` over a blank record, with a new id, the
/// next number of the set's series and `now` as its last change. Its id and the record; drift
/// never changes or deletes it later.
pub(super) fn typed_in(
    company: &mut Company,
    ids: &mut Ids,
    not_ferrys: &mut HashSet<String>,
    set: &'static EntitySet,
    now: &str,
    given: &[(&str, Value)],
) -> (String, Value) {
    let mut fields = blank(set);
    let id = ids.guid();
    let number = company.next_number(set).unwrap_or_default();
    let mine = [
        ("id", json!(id)),
        ("number", json!(number)),
        ("lastModifiedDateTime", json!(now)),
    ];
    for (key, value) in mine.iter().chain(given) {
        fields.insert(key.to_string(), value.clone());
    }
    let record = Value::Object(fields.clone());
    let entity = Entity {
        seq: ids.next_seq(),
        version: ids.next_version(),
        fields,
    };
    company.insert(set, entity);
    not_ferrys.insert(id.clone());
    (id, record)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::sandbox::business_central::{BusinessCentralConfig, BusinessCentralState};

    #[test]
    fn drift_changes_what_ferry_made_with_a_new_etag_and_leaves_seed_data_alone() {
        let state = BusinessCentralState::seeded(BusinessCentralConfig::default(), 4);
        let mut data = state.data();
        let seeded = data.not_ferrys.clone();
        let made: Vec<String> = (0..3)
            .map(|n| {
                let id = data.ids.guid();
                let mut fields = blank(&CUSTOMERS);
                fields.insert("id".into(), json!(id));
                fields.insert("displayName".into(), json!(format!("Made {n}")));
                let entity = Entity {
                    seq: data.ids.next_seq(),
                    version: data.ids.next_version(),
                    fields,
                };
                data.companies[0].insert(&CUSTOMERS, entity);
                id
            })
            .collect();
        let etags: Vec<String> = made
            .iter()
            .map(|id| data.companies[0].find(&CUSTOMERS, id).unwrap().etag())
            .collect();
        let plan = DriftPlan {
            change: 2,
            delete: 1,
            add: 2,
            fields: vec!["displayName".into()],
        };
        let actions = drift(&mut data, "customers", &plan, &mut StdRng::seed_from_u64(1)).unwrap();
        let company = &data.companies[0];
        for changed in &actions[..2] {
            let at = made.iter().position(|id| *id == changed.id).unwrap();
            let entity = company.find(&CUSTOMERS, &changed.id).unwrap();
            assert_eq!(Some(&entity.fields["displayName"]), changed.after.as_ref());
            assert_ne!(entity.etag(), etags[at]);
        }
        assert!(made.contains(&actions[2].id));
        assert!(company.find(&CUSTOMERS, &actions[2].id).is_none());
        for added in &actions[3..] {
            assert!(!seeded.contains(&added.id));
            let entity = company.find(&CUSTOMERS, &added.id).unwrap();
            assert!(entity.text("number").starts_with('C'), "{entity:?}");
        }
        let error = drift(&mut data, "items", &plan, &mut StdRng::seed_from_u64(1)).unwrap_err();
        assert_eq!(
            error.code(),
            crate::diagnostics::Code::DriftUnknownCollection
        );
    }
}
