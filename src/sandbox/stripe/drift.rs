//! Seeded drift in Stripe's customers, made as the Dashboard makes it: through the same code as
//! API requests, so each change, deletion and addition has its event.

use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use super::StripeState;
use super::customers;
use super::store::{RequestInfo, Store};
use crate::sandbox::drift::{
    DriftField, DriftPlan, DriftTarget, DriftableCollection, Drifted, apply, driftable, value_at,
};

/// `capsule_contacts_to_stripe` and `syspro_customers_to_stripe` write customers, and both set
/// a name and an email.
const COLLECTIONS: &[DriftableCollection] = &[DriftableCollection {
    system: "stripe",
    name: "customers",
    fields: &[
        DriftField::text("name"),
        DriftField::email("email"),
        DriftField::phone("phone"),
        DriftField::text("description"),
        DriftField::text("address.line1"),
        DriftField::text("address.city"),
        DriftField::text("address.state"),
        DriftField::text("address.postal_code"),
    ],
    default_fields: &["name", "email"],
}];

impl StripeState {
    pub(super) fn drift_customers(
        &self,
        collection: &str,
        plan: &DriftPlan,
        rng: &mut StdRng,
    ) -> Drifted {
        let customers = driftable(COLLECTIONS, "stripe", collection)?;
        self.with_store(|store| apply(customers, &mut Customers(store), plan, rng))
    }
}

/// Stripe's customers, changed through the same code as API requests.
struct Customers<'a>(&'a mut Store);

impl DriftTarget for Customers<'_> {
    fn ferrys(&self) -> Vec<String> {
        let store = &self.0;
        let ids = store.customers.ids().iter();
        ids.filter(|id| !store.not_ferrys.contains(*id))
            .cloned()
            .collect()
    }

    fn field(&self, id: &str, field: &str) -> Value {
        self.0
            .customers
            .get(id)
            .map_or(Value::Null, |customer| value_at(customer, field))
    }

    /// A field of the address is sent with the rest of the address, as the Dashboard sends it
    /// (Stripe replaces the whole hash).
    fn set_field(&mut self, id: &str, field: &str, value: Value) {
        let mut params = Map::new();
        match field.split_once('.') {
            Some((hash, key)) => {
                let customer = self.0.customers.get(id);
                let mut whole = customer
                    .and_then(|c| c.get(hash))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                whole.insert(key.to_string(), value);
                params.insert(hash.to_string(), Value::Object(whole));
            }
            None => {
                params.insert(field.to_string(), value);
            }
        }
        let _ = customers::update(self.0, id, &params, &RequestInfo::default());
    }

    fn delete(&mut self, id: &str) -> Option<Value> {
        let before = self.0.customers.get(id).cloned();
        customers::delete(self.0, id, &RequestInfo::default()).ok()?;
        before
    }

    /// A customer made by hand in the Dashboard: no metadata, so no pipeline's cross reference.
    fn add(&mut self, token: &str, _rng: &mut StdRng) -> Option<(String, Value)> {
        let params = json!({
            "name": format!("Walk-in {token}"),
            "email": format!("walk-in.{token}@example.net"),
        });
        let params = params.as_object().cloned().unwrap_or_default();
        let customer = customers::create(self.0, &params, &RequestInfo::default()).ok()?;
        let id = customer.get("id").and_then(Value::as_str)?.to_string();
        self.0.not_ferrys.insert(id.clone());
        Some((id, customer))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::sandbox::drift::DriftKind;
    use crate::sandbox::stripe::StripeOptions;

    fn state(made: usize) -> StripeState {
        let state = StripeState::new(StripeOptions {
            seed: Some(3),
            seed_customers: 4,
            seed_charges: 0,
            seed_products: 0,
            now: Some(1_700_000_000),
            ..StripeOptions::default()
        });
        state.with_store(|store| {
            for n in 0..made {
                let params = json!({"name": format!("Made {n}"), "email": format!("made{n}@example.com"),
                    "address": {"line1": "1 Main St", "city": "Sydney", "country": "AU"}});
                customers::create(store, params.as_object().unwrap(), &RequestInfo::default())
                    .unwrap();
            }
        });
        state
    }

    fn plan(change: usize, delete: usize, add: usize, fields: &[&str]) -> DriftPlan {
        DriftPlan {
            change,
            delete,
            add,
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn drift_touches_only_what_ferry_made_and_is_read_back_from_the_store() {
        let state = state(6);
        let seeded: Vec<String> = state.with_store(|s| s.not_ferrys.iter().cloned().collect());
        assert_eq!(seeded.len(), 4);
        let mut rng = StdRng::seed_from_u64(9);
        let actions = state
            .drift_customers("customers", &plan(2, 2, 1, &["address.city"]), &mut rng)
            .unwrap();
        let kinds: Vec<DriftKind> = actions.iter().map(|a| a.action).collect();
        use DriftKind::*;
        assert_eq!(kinds, [Changed, Changed, Deleted, Deleted, Added]);
        for action in &actions[..4] {
            assert!(!seeded.contains(&action.id), "{action:?}");
        }
        let customers = state.objects("customer");
        let find = |id: &str| customers.iter().find(|c| c["id"] == id).cloned();
        for changed in &actions[..2] {
            let customer = find(&changed.id).unwrap();
            assert_eq!(changed.field.as_deref(), Some("address.city"));
            assert_eq!(changed.before, Some(json!("Sydney")));
            assert_eq!(Some(&customer["address"]["city"]), changed.after.as_ref());
            // The rest of the address is as it was.
            assert_eq!(customer["address"]["line1"], "1 Main St");
            assert_eq!(customer["address"]["country"], "AU");
        }
        for deleted in &actions[2..4] {
            assert_eq!(find(&deleted.id), None);
        }
        let added = find(&actions[4].id).unwrap();
        assert_eq!(added["metadata"], json!({}));
        assert_eq!(customers.len(), 4 + 6 - 2 + 1);
        // What drift added is not ferry's: a second drift leaves it alone.
        let error = state
            .drift_customers("customers", &plan(3, 2, 0, &[]), &mut rng)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "stripe's `customers` holds 4 records ferry made, fewer than the 5 to change and delete"
        );
    }

    #[test]
    fn the_same_seed_makes_the_same_drift() {
        let run = || {
            let mut rng = StdRng::seed_from_u64(4);
            state(5)
                .drift_customers("customers", &plan(2, 1, 1, &[]), &mut rng)
                .unwrap()
        };
        assert_eq!(run(), run());
        let error = state(1)
            .drift_customers("charges", &plan(1, 0, 0, &[]), &mut StdRng::seed_from_u64(1))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "stripe's collection `charges` cannot drift (these can: customers)"
        );
    }
}
