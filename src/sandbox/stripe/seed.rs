//! Deterministic, realistic seed data: products and prices, customers (some updated later) and
//! charges, created through the same code as API requests so every one has its events.

use rand::Rng;
use serde_json::{Map, Value, json};

use super::StripeOptions;
use super::store::{RequestInfo, Store};
use super::{catalog, customers, feed};

const FIRST: &[&str] = &[
    "Ava", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kate", "Liam",
    "Mia", "Noah", "Olivia", "Paul", "Ruby", "Sam", "Tara", "Will",
];
const LAST: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
    "Wright", "Nguyen", "Patel", "Kelly", "Murphy", "Chen",
];
/// City, country, postcode and the currency people there pay in.
const CITIES: &[(&str, &str, &str, &str)] = &[
    ("Melbourne", "AU", "3000", "aud"),
    ("Sydney", "AU", "2000", "aud"),
    ("Auckland", "NZ", "1010", "nzd"),
    ("London", "GB", "EC1A 1BB", "gbp"),
    ("Dublin", "IE", "D02 X285", "eur"),
    ("Austin", "US", "78701", "usd"),
];
const PRODUCTS: &[&str] = &[
    "Support plan",
    "Onboarding",
    "Licence",
    "Hosting",
    "Training day",
    "Consulting hour",
    "Data migration",
    "Hardware kit",
    "Audit",
    "Maintenance",
];
const CURRENCIES: &[&str] = &["aud", "nzd", "usd", "gbp", "eur"];
/// Seed data spans the 60 days before the clock.
const SPAN: i64 = 60 * 24 * 60 * 60;

enum Job {
    Product(usize),
    Customer(usize),
    UpdateCustomer,
    Charge,
}

fn obj(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

pub fn fill(store: &mut Store, options: &StripeOptions) {
    let end = store.now();
    let start = end - SPAN;
    let mut jobs: Vec<(i64, Job)> = Vec::new();
    // Products first (a fortnight before everything else), then the rest spread over the span.
    for i in 0..options.seed_products {
        jobs.push((start - 14 * 86_400 + i as i64 * 60, Job::Product(i)));
    }
    for i in 0..options.seed_customers {
        let at = store.rng().random_range(start..end);
        jobs.push((at, Job::Customer(i)));
    }
    for _ in 0..options.seed_customers / 10 {
        let at = store.rng().random_range(start..end);
        jobs.push((at, Job::UpdateCustomer));
    }
    for _ in 0..options.seed_charges {
        let at = store.rng().random_range(start..end);
        jobs.push((at, Job::Charge));
    }
    jobs.sort_by_key(|(at, _)| *at);
    // Each customer with the currency they usually pay in.
    let mut customer_ids: Vec<(String, &str)> = Vec::new();
    let request = RequestInfo::default();
    for (at, job) in jobs {
        store.clock = Some(at);
        match job {
            Job::Product(i) => seed_product(store, i, &request),
            Job::Customer(i) => {
                if let Some(customer) = seed_customer(store, i, &request) {
                    customer_ids.push(customer);
                }
            }
            Job::UpdateCustomer if !customer_ids.is_empty() => {
                let pick = store.rng().random_range(0..customer_ids.len());
                let tier = ["gold", "silver", "bronze"][store.rng().random_range(0..3)];
                let params = obj(vec![("metadata", json!({"tier": tier}))]);
                let id = customer_ids[pick].0.clone();
                let _ = customers::update(store, &id, &params, &request);
            }
            Job::UpdateCustomer => {}
            Job::Charge => {
                let rng = store.rng();
                let amount = rng.random_range(5..2_000) * 100 + rng.random_range(0..100);
                let drawn = rng.random_range(0..CURRENCIES.len());
                let status = if rng.random_bool(0.92) {
                    "succeeded"
                } else {
                    "failed"
                };
                let mut currency = CURRENCIES[drawn];
                let mut params = obj(vec![
                    ("amount", json!(amount.to_string())),
                    ("status", json!(status)),
                ]);
                if !customer_ids.is_empty() && store.rng().random_bool(0.9) {
                    let pick = store.rng().random_range(0..customer_ids.len());
                    let (id, usual) = &customer_ids[pick];
                    params.insert("customer".into(), json!(id));
                    // A customer mostly pays in their own currency, as real ones do (and as
                    // an ERP that keeps one currency per customer needs); one charge in five
                    // is in the shop's own, Australian dollars, whatever the customer's is.
                    if drawn != 0 {
                        currency = usual;
                    }
                }
                params.insert("currency".into(), json!(currency));
                let _ = feed::seed_charge(store, &params, &request);
            }
        }
    }
    store.clock = options.now;
}

fn seed_product(store: &mut Store, i: usize, request: &RequestInfo) {
    let name = format!(
        "{} {}",
        PRODUCTS[i % PRODUCTS.len()],
        i / PRODUCTS.len() + 1
    );
    let params = obj(vec![
        ("name", json!(name)),
        ("metadata", json!({"erp_item": format!("I-{:04}", i + 1)})),
    ]);
    let Ok(product) = catalog::create_product(store, &params, request) else {
        return;
    };
    let product_id = product["id"].clone();
    let rng = store.rng();
    let amount = rng.random_range(1..500) * 100;
    let currency = CURRENCIES[rng.random_range(0..CURRENCIES.len())];
    let mut params = obj(vec![
        ("product", product_id.clone()),
        ("currency", json!(currency)),
        ("unit_amount", json!(amount)),
    ]);
    let _ = catalog::create_price(store, &params, request);
    params.insert(
        "recurring".into(),
        json!({"interval": "month", "interval_count": 1}),
    );
    params.insert("unit_amount".into(), json!(amount / 10));
    let _ = catalog::create_price(store, &params, request);
}

fn seed_customer(
    store: &mut Store,
    i: usize,
    request: &RequestInfo,
) -> Option<(String, &'static str)> {
    let rng = store.rng();
    let first = FIRST[rng.random_range(0..FIRST.len())];
    let last = LAST[rng.random_range(0..LAST.len())];
    let (city, country, postcode, usual_currency) = CITIES[rng.random_range(0..CITIES.len())];
    let street = rng.random_range(1..400);
    let phone = format!(
        "+61 4{:02} {:03} {:03}",
        rng.random_range(0..100),
        rng.random_range(0..1000),
        rng.random_range(0..1000)
    );
    let params = obj(vec![
        ("name", json!(format!("{first} {last}"))),
        (
            "email",
            json!(format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                i + 1
            )),
        ),
        ("phone", json!(phone)),
        (
            "address",
            json!({"line1": format!("{street} High Street"), "city": city, "country": country, "postal_code": postcode}),
        ),
        ("metadata", json!({"erp_id": format!("C-{:05}", i + 1)})),
    ]);
    let customer = customers::create(store, &params, request).ok()?;
    customer["id"]
        .as_str()
        .map(|id| (id.to_string(), usual_currency))
}
