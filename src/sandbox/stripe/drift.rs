//! Seeded drift in Stripe's customers, made as the Dashboard makes it: through the same code as
//! API requests, so each change, deletion and addition has its event.

use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use super::StripeState;
use super::customers;
use super::store::{RequestInfo, Store};
use crate::sandbox::drift::{
    DriftAction, DriftError, DriftField, DriftKind, DriftPlan, DriftableCollection, Picked,
    driftable, token, value_at,
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
    ) -> Result<Vec<DriftAction>, DriftError> {
        let customers = driftable(COLLECTIONS, "stripe", collection)?;
        self.with_store(|store| {
            let ferrys: Vec<String> = store
                .customers
                .ids()
                .iter()
                .filter(|id| !store.not_ferrys.contains(*id))
                .cloned()
                .collect();
            let picked = Picked::new(customers, ferrys, plan, rng)?;
            let mut actions = Vec::new();
            for (id, field) in picked.changes {
                actions.push(change(store, &id, field, rng));
            }
            for id in picked.deletes {
                let before = store.customers.get(&id).cloned();
                // The id was just listed, so it is there to delete.
                let _ = customers::delete(store, &id, &RequestInfo::default());
                actions.push(action(DriftKind::Deleted, id, None, before, None));
            }
            for _ in 0..plan.add {
                actions.extend(add(store, rng));
            }
            Ok(actions)
        })
    }
}

/// Edits `field` of customer `id`; a field of the address is sent with the rest of the address,
/// as the Dashboard sends it (Stripe replaces the whole hash).
fn change(store: &mut Store, id: &str, field: DriftField, rng: &mut StdRng) -> DriftAction {
    let current = store.customers.get(id).cloned().unwrap_or(Value::Null);
    let before = value_at(&current, field.name);
    let after = field.edited(&before, rng);
    let mut params = Map::new();
    match field.name.split_once('.') {
        Some((hash, key)) => {
            let mut whole = current
                .get(hash)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            whole.insert(key.to_string(), after.clone());
            params.insert(hash.to_string(), Value::Object(whole));
        }
        None => {
            params.insert(field.name.to_string(), after.clone());
        }
    }
    let _ = customers::update(store, id, &params, &RequestInfo::default());
    action(
        DriftKind::Changed,
        id.to_string(),
        Some(field.name.to_string()),
        Some(before),
        Some(after),
    )
}

/// A customer made by hand in the Dashboard: no metadata, so no pipeline's cross reference.
fn add(store: &mut Store, rng: &mut StdRng) -> Option<DriftAction> {
    let token = token(rng);
    let params = json!({
        "name": format!("Walk-in {token}"),
        "email": format!("walk-in.{token}@example.net"),
    });
    let params = params.as_object().cloned().unwrap_or_default();
    let customer = customers::create(store, &params, &RequestInfo::default()).ok()?;
    let id = customer.get("id").and_then(Value::as_str)?.to_string();
    store.not_ferrys.insert(id.clone());
    Some(action(DriftKind::Added, id, None, None, Some(customer)))
}

fn action(
    kind: DriftKind,
    id: String,
    field: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
) -> DriftAction {
    DriftAction {
        action: kind,
        collection: "customers".to_string(),
        id,
        field,
        before,
        after,
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
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
