//! Seeded drift in Syspro's customers, made as an operator makes it in Customer Maintenance.

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;

use super::data::{Customer, SysproData};
use crate::sandbox::drift::{
    DriftField, DriftPlan, DriftTarget, DriftableCollection, Drifted, apply, driftable,
};

/// `stripe_customers_to_syspro` writes customers, always with a name.
const COLLECTIONS: &[DriftableCollection] = &[DriftableCollection {
    system: "syspro",
    name: "customers",
    fields: &[
        DriftField::text("Name"),
        DriftField::email("Email"),
        DriftField::phone("Telephone"),
        DriftField::text("SoldToAddr1"),
        DriftField::text("SoldPostalCode"),
    ],
    default_fields: &["Name"],
}];

pub fn drift(data: &mut SysproData, collection: &str, plan: &DriftPlan, rng: &mut StdRng) -> Drifted {
    apply(driftable(COLLECTIONS, "syspro", collection)?, data, plan, rng)
}

impl DriftTarget for SysproData {
    fn ferrys(&self) -> Vec<String> {
        let codes = self.customers.keys();
        codes
            .filter(|code| !self.not_ferrys.contains(*code))
            .cloned()
            .collect()
    }

    fn field(&self, code: &str, field: &str) -> Value {
        self.customers
            .get(code)
            .map_or(Value::Null, |c| Value::String(c.get(field).to_string()))
    }

    fn set_field(&mut self, code: &str, field: &str, value: Value) {
        if let Some(customer) = self.customers.get_mut(code) {
            let text = value.as_str().unwrap_or_default().to_string();
            customer.fields.insert(field.to_string(), text);
        }
    }

    fn delete(&mut self, code: &str) -> Option<Value> {
        self.customers.remove(code).map(|c| as_json(&c))
    }

    /// A customer an operator set up by hand: no `StripeCustomerId`.
    fn add(&mut self, token: &str, rng: &mut StdRng) -> Option<(String, Value)> {
        let code = loop {
            let code = format!("W{:06}", rng.random_range(0..1_000_000));
            if !self.customers.contains_key(&code) {
                break code;
            }
        };
        let customer = Customer::from_pairs(&[
            ("Customer", code.clone()),
            ("Name", format!("Walk-in {token}")),
            ("ShortName", "WALKIN".into()),
            ("Branch", "01".into()),
            ("Salesperson", "CB".into()),
            ("Email", format!("walk-in.{token}@example.net")),
            ("Currency", "AUD".into()),
            ("TermsCode", "30".into()),
            ("TaxCode", "G".into()),
            ("CreditLimit", "0.00".into()),
            ("CurrentBalance", "0.00".into()),
        ]);
        let record = as_json(&customer);
        self.customers.insert(code.clone(), customer);
        self.not_ferrys.insert(code.clone());
        Some((code, record))
    }
}

fn as_json(customer: &Customer) -> Value {
    Value::Object(
        customer
            .fields
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::sandbox::syspro::seed;

    #[test]
    fn drift_leaves_seed_data_alone_and_records_what_it_did() {
        let mut data = seed::populated(5);
        let seeded = data.customers.len();
        for n in 0..4 {
            let code = format!("S{n:09}");
            let customer = Customer::from_pairs(&[
                ("Customer", code.clone()),
                ("Name", format!("Made {n}")),
                ("StripeCustomerId", format!("cus_{n}")),
            ]);
            data.customers.insert(code, customer);
        }
        let plan = DriftPlan {
            change: 2,
            delete: 1,
            add: 1,
            fields: Vec::new(),
        };
        let actions = drift(&mut data, "customers", &plan, &mut StdRng::seed_from_u64(2)).unwrap();
        assert_eq!(actions.len(), 4);
        for changed in &actions[..2] {
            assert!(changed.id.starts_with('S'), "{changed:?}");
            assert_eq!(changed.field.as_deref(), Some("Name"));
            let now = data.customers[&changed.id].get("Name");
            assert_eq!(Some(&Value::String(now.to_string())), changed.after.as_ref());
            assert_ne!(changed.before, changed.after);
        }
        assert!(actions[2].id.starts_with('S'));
        assert!(!data.customers.contains_key(&actions[2].id));
        let added = &data.customers[&actions[3].id];
        assert_eq!(added.get("StripeCustomerId"), "");
        assert_eq!(data.customers.len(), seeded + 4 - 1 + 1);
        let too_many = DriftPlan {
            change: 3,
            ..plan
        };
        let error = drift(&mut data, "customers", &too_many, &mut StdRng::seed_from_u64(2))
            .unwrap_err();
        assert_eq!(error.code(), crate::diagnostics::Code::DriftTooFewRecords);
    }
}
