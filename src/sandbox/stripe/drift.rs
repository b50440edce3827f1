//! Seeded drift in Stripe's customers, products, prices, invoices and invoice items, made as the
//! Dashboard makes it: through the same code as API requests, so each change, deletion and
//! addition has its event. Stripe's own rules hold: a price changes only its lookup key,
//! nickname, metadata (and `active`), and is never deleted; a product with prices is not deleted
//! either; an invoice and its lines are deleted only while it is a draft.

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use super::StripeState;
use super::store::{Collection, RequestInfo, Store};
use super::{catalog, customers, invoice_edits, invoice_items, invoices};
use crate::sandbox::drift::{
    DriftField, DriftPlan, DriftTarget, DriftableCollection, Drifted, apply, driftable, value_at,
};

const COLLECTIONS: &[DriftableCollection] = &[
    // `capsule_contacts_to_stripe` and `syspro_customers_to_stripe` write customers, and both
    // set a name and an email.
    DriftableCollection {
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
            // `capsule_contacts_to_stripe_activity` keeps a contact's open work in metadata.
            DriftField::text("metadata.capsule_open_value"),
            DriftField::text("metadata.capsule_next_milestone"),
            DriftField::text("metadata.capsule_next_task"),
        ],
        default_fields: &["name", "email"],
    },
    // `business_central_items_to_stripe` names each product after its item.
    DriftableCollection {
        system: "stripe",
        name: "products",
        fields: &[
            DriftField::text("name"),
            DriftField::text("description"),
            DriftField::text("metadata.bc_item_number"),
        ],
        default_fields: &["name"],
    },
    // ... and gives each price its item's lookup key: what Stripe lets a price change.
    DriftableCollection {
        system: "stripe",
        name: "prices",
        fields: &[
            DriftField::text("lookup_key"),
            DriftField::text("nickname"),
            DriftField::text("metadata.bc_item_number"),
        ],
        default_fields: &["lookup_key"],
    },
    // `pronto_orders_to_stripe_invoices` drafts an invoice per order, with its description and
    // purchase order, and its lines as invoice items, each at its amount.
    DriftableCollection {
        system: "stripe",
        name: "invoices",
        fields: &[
            DriftField::text("description"),
            DriftField::text("metadata.purchase_order"),
        ],
        default_fields: &["description"],
    },
    DriftableCollection {
        system: "stripe",
        name: "invoiceitems",
        fields: &[
            DriftField::minor_units("amount"),
            DriftField::text("description"),
        ],
        default_fields: &["amount"],
    },
];

impl StripeState {
    pub(super) fn drift_objects(
        &self,
        collection: &str,
        plan: &DriftPlan,
        rng: &mut StdRng,
    ) -> Drifted {
        let drifting = driftable(COLLECTIONS, "stripe", collection)?;
        self.with_store(|store| {
            let mut target = Objects {
                store,
                collection: drifting.name,
            };
            apply(drifting, &mut target, plan, rng)
        })
    }
}

/// One of Stripe's collections that can drift, changed through the same code as API requests.
struct Objects<'a> {
    store: &'a mut Store,
    collection: &'static str,
}

impl Objects<'_> {
    fn objects(&self) -> &Collection {
        match self.collection {
            "products" => &self.store.products,
            "prices" => &self.store.prices,
            "invoices" => &self.store.invoices,
            "invoiceitems" => &self.store.invoice_items,
            _ => &self.store.customers,
        }
    }

    /// A draft invoice made by hand for a customer (the first one), with one line of its own; the
    /// invoice for `invoices`, the line for `invoiceitems`. No metadata: no pipeline's.
    fn add_invoice(&mut self, token: &str, rng: &mut StdRng) -> Option<(String, Value)> {
        let customer = self.store.customers.ids().first()?.clone();
        let request = RequestInfo::default();
        let params = json!({"customer": customer, "collection_method": "send_invoice",
            "days_until_due": 30, "pending_invoice_items_behavior": "exclude",
            "description": format!("Walk-in {token}")});
        let params = params.as_object().cloned().unwrap_or_default();
        let invoice = invoices::create(self.store, &params, &request).ok()?;
        let invoice_id = invoice.get("id").and_then(Value::as_str)?.to_string();
        let line = json!({"customer": customer, "invoice": invoice_id, "currency": "aud",
            "amount": rng.random_range(100..100_000), "description": format!("Walk-in {token}")});
        let line = line.as_object().cloned().unwrap_or_default();
        let item = invoice_items::create_item(self.store, &line, &request).ok()?;
        let item_id = item.get("id").and_then(Value::as_str)?.to_string();
        self.store.not_ferrys.insert(invoice_id.clone());
        self.store.not_ferrys.insert(item_id.clone());
        match self.collection {
            "invoices" => Some((invoice_id.clone(), self.store.invoices.get(&invoice_id)?.clone())),
            _ => Some((item_id, item)),
        }
    }

    /// `params` sent as `POST /v1/<collection>/<id>` would send them.
    /// Whether the update was taken.
    fn update(&mut self, id: &str, params: &Map<String, Value>) -> bool {
        let request = RequestInfo::default();
        let store = &mut *self.store;
        let updated = match self.collection {
            "products" => catalog::update_product(store, id, params, &request),
            "prices" => catalog::update_price(store, id, params, &request),
            "invoices" => invoice_edits::update(store, id, params, &request),
            "invoiceitems" => invoice_items::update_item(store, id, params, &request),
            _ => customers::update(store, id, params, &request),
        };
        updated.is_ok()
    }
}

impl DriftTarget for Objects<'_> {
    fn ferrys(&self) -> Vec<String> {
        let ids = self.objects().ids().iter();
        ids.filter(|id| !self.store.not_ferrys.contains(*id))
            .cloned()
            .collect()
    }

    fn field(&self, id: &str, field: &str) -> Value {
        self.objects()
            .get(id)
            .map_or(Value::Null, |object| value_at(object, field))
    }

    /// A field of a hash (an address, metadata) is sent with the rest of the hash, as the
    /// Dashboard sends it (Stripe replaces a whole address).
    fn set_field(&mut self, id: &str, field: &str, value: Value) -> bool {
        let mut params = Map::new();
        match field.split_once('.') {
            Some((hash, key)) => {
                let object = self.objects().get(id);
                let mut whole = object
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
        self.update(id, &params)
    }

    fn deletable(&self, id: &str) -> Result<(), &'static str> {
        match self.collection {
            "prices" => Err("Stripe deletes no price: it is archived"),
            "products" => {
                let mut prices = self.store.prices.newest_first(None);
                match prices.any(|(_, p)| p.get("product").and_then(Value::as_str) == Some(id)) {
                    true => Err("Stripe deletes no product that has prices: it is archived"),
                    false => Ok(()),
                }
            }
            "invoices" => match self.objects().get(id).map(|i| &i["status"]) {
                Some(status) if status != "draft" => {
                    Err("Stripe deletes no invoice that is no longer a draft: it is voided")
                }
                _ => Ok(()),
            },
            "invoiceitems" => {
                let invoice = self.objects().get(id).map(|item| &item["invoice"]);
                let on = invoice.and_then(Value::as_str).and_then(|i| self.store.invoices.get(i));
                match on.map(|i| &i["status"]) {
                    Some(status) if status != "draft" => {
                        Err("Stripe deletes no line of an invoice that is no longer a draft")
                    }
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    fn delete(&mut self, id: &str) -> Option<Value> {
        let before = self.objects().get(id).cloned();
        let request = RequestInfo::default();
        match self.collection {
            "products" => catalog::delete_product(self.store, id, &request).ok()?,
            "prices" => return None,
            "invoices" => invoice_edits::delete(self.store, id, &request).ok()?,
            "invoiceitems" => invoice_edits::delete_item(self.store, id, &request).ok()?,
            _ => customers::delete(self.store, id, &request).ok()?,
        };
        before
    }

    /// An object made by hand in the Dashboard: no metadata, so no pipeline's cross reference.
    /// A price is made with its own product, as the Dashboard's product editor makes them.
    fn add(&mut self, token: &str, rng: &mut StdRng) -> Option<(String, Value)> {
        if self.collection.starts_with("invoice") {
            return self.add_invoice(token, rng);
        }
        let params = match self.collection {
            "products" => json!({ "name": format!("Walk-in {token}") }),
            "prices" => json!({
                "currency": "aud",
                "unit_amount": rng.random_range(100..100_000),
                "product_data": { "name": format!("Walk-in {token}") },
            }),
            _ => json!({
                "name": format!("Walk-in {token}"),
                "email": format!("walk-in.{token}@example.net"),
            }),
        };
        let params = params.as_object().cloned().unwrap_or_default();
        let request = RequestInfo::default();
        let store = &mut *self.store;
        let object = match self.collection {
            "products" => catalog::create_product(store, &params, &request),
            "prices" => catalog::create_price(store, &params, &request),
            _ => customers::create(store, &params, &request),
        }
        .ok()?;
        let id = object.get("id").and_then(Value::as_str)?.to_string();
        if let Some(product) = object.get("product").and_then(Value::as_str) {
            store.not_ferrys.insert(product.to_string());
        }
        store.not_ferrys.insert(id.clone());
        Some((id, object))
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
            .drift_objects("customers", &plan(2, 2, 1, &["address.city"]), &mut rng)
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
            .drift_objects("customers", &plan(3, 2, 0, &[]), &mut rng)
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
                .drift_objects("customers", &plan(2, 1, 1, &[]), &mut rng)
                .unwrap()
        };
        assert_eq!(run(), run());
        let error = state(1)
            .drift_objects(
                "charges",
                &plan(1, 0, 0, &[]),
                &mut StdRng::seed_from_u64(1),
            )
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "stripe's collection `charges` cannot drift (these can: customers, products, prices, invoices, invoiceitems)"
        );
    }

    #[test]
    fn a_price_changes_only_as_stripe_lets_it_and_is_never_deleted() {
        let state = state(0);
        let price = state.with_store(|store| {
            let params = json!({"currency": "aud", "unit_amount": 1000, "lookup_key": "bc-item-1",
                "product_data": {"name": "Desk"}, "metadata": {"bc_item_number": "1"}});
            catalog::create_price(store, params.as_object().unwrap(), &RequestInfo::default())
                .unwrap()
        });
        let mut rng = StdRng::seed_from_u64(2);
        let error = state
            .drift_objects("prices", &plan(0, 1, 0, &[]), &mut rng)
            .unwrap_err();
        assert_eq!(error.code(), crate::diagnostics::Code::DriftTooFewRecords);
        let error = state
            .drift_objects("products", &plan(0, 1, 0, &[]), &mut rng)
            .unwrap_err();
        assert!(
            error.to_string().contains("no product that has prices"),
            "{error}"
        );

        let actions = state
            .drift_objects("prices", &plan(1, 0, 1, &[]), &mut rng)
            .unwrap();
        assert_eq!(actions[0].id, price["id"].as_str().unwrap());
        assert_eq!(actions[0].field.as_deref(), Some("lookup_key"));
        let prices = state.objects("price");
        let changed = prices.iter().find(|p| p["id"] == price["id"]).unwrap();
        assert_eq!(Some(&changed["lookup_key"]), actions[0].after.as_ref());
        assert_eq!(changed["unit_amount"], 1000);
        let events = state.objects("event");
        assert!(events.iter().any(|e| e["type"] == "price.updated"));
        // The added price and its product are no one's: a second drift finds nothing to change.
        let added = actions[1].after.as_ref().unwrap();
        assert_eq!(added["metadata"], json!({}));
        let error = state
            .drift_objects("products", &plan(2, 0, 0, &[]), &mut rng)
            .unwrap_err();
        assert!(error.to_string().contains("holds 1 records"), "{error}");
    }
}
