//! The company the sandbox starts with: journals and a chart of accounts always; customers and
//! items when seeded.

use jiff::{Timestamp, ToSpan};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::BusinessCentralConfig;
use super::currency::{self, CURRENCIES as SET_UP};
use super::rules::PAYMENT_JOURNAL;
use super::schema::{
    ACCOUNTS, CURRENCIES, CURRENCY_EXCHANGE_RATES, CUSTOMER_PAYMENT_JOURNALS, CUSTOMERS, EntitySet,
    ITEMS, JOURNALS,
};
use super::store::{BcData, Company, Entity, blank, decimal_value, format_time};
use crate::sandbox::sample_data::{self as words, pick};

const CUSTOMER_COUNT: usize = 300;
const ITEM_COUNT: usize = 100;
const CUSTOMER_CURRENCIES: &[&str] = &["", "", "", "USD", "EUR", "AUD"];
/// The day the sandbox's fixed exchange rates start, before any document it makes or is sent.
const RATES_START: &str = "2000-01-01";
/// Stripe's money lands in its clearing account; the cash receipts journal balances to it.
const PAYMENTS_BALANCE_TO: &str = "10950";

/// G/L accounts, one a line: number, name, category, subcategory and account type. They cover
/// `pipelines/lookups/gl_accounts.yaml`, which the payout journals post to, and the posting
/// setup of [`super::ledger`].
const CHART: &str = "\
10000|BALANCE SHEET|Assets|Assets|Heading
10100|Checking account|Assets|Cash|Posting
10950|Stripe clearing|Assets|Cash|Posting
13100|Accounts receivable|Assets|Accounts Receivable|Posting
20100|Accounts payable|Liabilities|Current Liabilities|Posting
22100|Sales tax payable|Liabilities|Current Liabilities|Posting
40000|INCOME STATEMENT|Income|Income|Heading
40100|Sales|Income|Income, Services|Posting
40900|Sales returns and refunds|Income|Income, Services|Posting
62100|Payment processing fees|Expense|Other Expenses|Posting
68900|Disputes and adjustments|Expense|Other Expenses|Posting";

pub fn company(config: &BusinessCentralConfig, rng: StdRng, seed: Option<u64>) -> BcData {
    let mut data = BcData::new(rng);
    // A fixed id, so the project file's sandbox environment can name it.
    let mut company = Company::new(super::COMPANY_ID.to_string(), &config.company_name);
    let epoch: Timestamp = "2025-01-01T00:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    for (code, name, set) in [
        ("GENERAL", "General journal", &JOURNALS),
        (PAYMENT_JOURNAL, "Cash receipts", &CUSTOMER_PAYMENT_JOURNALS),
    ] {
        add(&mut data, &mut company, set, epoch, |fields, _| {
            fields.insert("code".into(), json!(code));
            fields.insert("displayName".into(), json!(name));
            if fields.contains_key("templateDisplayName") {
                fields.insert("templateDisplayName".into(), json!("GENERAL"));
            }
        });
    }
    if seed.is_some() {
        for n in 0..CUSTOMER_COUNT {
            add(&mut data, &mut company, &CUSTOMERS, epoch, |fields, rng| {
                let person = rng.random_bool(0.2);
                let name = if person {
                    format!(
                        "{} {}",
                        pick(rng, words::FIRST_NAMES),
                        pick(rng, words::LAST_NAMES)
                    )
                } else {
                    words::company_name(rng)
                };
                let (city, state, zip, country, prefix) =
                    words::PLACES[rng.random_range(0..words::PLACES.len())];
                let email = if person {
                    format!(
                        "{}@mail.example",
                        name.to_ascii_lowercase().replace(' ', ".")
                    )
                } else {
                    format!("accounts@{}", words::domain_of(&name))
                };
                let set = [
                    ("number", json!(format!("C{:04}", n + 1))),
                    ("displayName", json!(name)),
                    ("type", json!(if person { "Person" } else { "Company" })),
                    (
                        "addressLine1",
                        json!(format!(
                            "{} {}",
                            rng.random_range(1..300),
                            pick(rng, words::STREETS)
                        )),
                    ),
                    ("city", json!(city)),
                    ("state", json!(state)),
                    ("country", json!(country)),
                    ("postalCode", json!(zip)),
                    ("phoneNumber", json!(words::phone(rng, prefix))),
                    ("email", json!(email)),
                    (
                        "currencyCode",
                        json!(currency::shown(pick(rng, CUSTOMER_CURRENCIES))),
                    ),
                    (
                        "creditLimit",
                        decimal_value(rust_decimal::Decimal::from(
                            rng.random_range(0..50u32) * 1_000,
                        )),
                    ),
                    ("taxLiable", json!(rng.random_bool(0.8))),
                ];
                for (key, value) in set {
                    fields.insert(key.into(), value);
                }
            });
        }
        for n in 0..ITEM_COUNT {
            add(&mut data, &mut company, &ITEMS, epoch, |fields, rng| {
                let product = pick(rng, words::PRODUCTS);
                let service = product.contains("Plan") || product.contains("Workshop");
                let cents: i64 = rng.random_range(299..250_000);
                let set = [
                    ("number", json!(format!("I{:04}", n + 1))),
                    ("displayName", json!(format!("{product} {}", n + 1))),
                    ("type", json!(if service { "Service" } else { "Inventory" })),
                    (
                        "unitPrice",
                        decimal_value(rust_decimal::Decimal::new(cents, 2)),
                    ),
                    (
                        "unitCost",
                        decimal_value(rust_decimal::Decimal::new(cents * 6 / 10, 2)),
                    ),
                    (
                        "baseUnitOfMeasureCode",
                        json!(if service { "HOUR" } else { "PCS" }),
                    ),
                    (
                        "inventory",
                        if service {
                            json!(0)
                        } else {
                            json!(rng.random_range(0..500))
                        },
                    ),
                ];
                for (key, value) in set {
                    fields.insert(key.into(), value);
                }
            });
        }
    }
    // After the seeded records, so that a seed gives the same customers and items as before.
    for account in CHART.lines() {
        let columns: Vec<&str> = account.split('|').collect();
        add(&mut data, &mut company, &ACCOUNTS, epoch, |fields, _| {
            let keys = ["number", "displayName", "category", "subCategory"];
            for (key, value) in keys.iter().zip(&columns) {
                fields.insert((*key).into(), json!(value));
            }
            let account_type = columns.get(4).copied().unwrap_or("Posting");
            fields.insert("accountType".into(), json!(account_type));
            fields.insert("directPosting".into(), json!(account_type == "Posting"));
        });
    }
    for set_up in SET_UP {
        add(&mut data, &mut company, &CURRENCIES, epoch, |fields, _| {
            let precision = rust_decimal::Decimal::new(1, set_up.decimals);
            fields.insert("code".into(), json!(set_up.code));
            fields.insert("displayName".into(), json!(set_up.name));
            fields.insert("symbol".into(), json!(set_up.symbol));
            let places = format!("{0}:{0}", set_up.decimals);
            fields.insert("amountDecimalPlaces".into(), json!(places));
            fields.insert("amountRoundingPrecision".into(), decimal_value(precision));
        });
        add(
            &mut data,
            &mut company,
            &CURRENCY_EXCHANGE_RATES,
            epoch,
            |fields, _| {
                let rate = set_up.rate.parse().unwrap_or(rust_decimal::Decimal::ONE);
                fields.insert("currencyCode".into(), json!(set_up.code));
                fields.insert("startingDate".into(), json!(RATES_START));
                fields.insert(
                    "exchangeRateAmount".into(),
                    decimal_value(rust_decimal::Decimal::ONE),
                );
                fields.insert("relationalCurrencyCode".into(), json!(""));
                fields.insert("relationalExchangeRateAmount".into(), decimal_value(rate));
            },
        );
    }
    let balancing = company
        .find_by(&ACCOUNTS, "number", PAYMENTS_BALANCE_TO)
        .map(|a| a.id().to_string());
    let journal = company
        .find_by(&CUSTOMER_PAYMENT_JOURNALS, "code", PAYMENT_JOURNAL)
        .map(|j| j.id().to_string());
    if let (Some(account), Some(journal)) = (balancing, journal)
        && let Some(journal) = company.find_mut(&CUSTOMER_PAYMENT_JOURNALS, &journal)
    {
        journal
            .fields
            .insert("balancingAccountId".into(), json!(account));
        journal
            .fields
            .insert("balancingAccountNumber".into(), json!(PAYMENTS_BALANCE_TO));
    }
    data.companies.push(company);
    data
}

fn add(
    data: &mut BcData,
    company: &mut Company,
    set: &EntitySet,
    epoch: Timestamp,
    fill: impl FnOnce(&mut serde_json::Map<String, Value>, &mut StdRng),
) {
    let mut fields = blank(set);
    fields.insert("id".into(), json!(data.ids.guid()));
    fill(&mut fields, &mut data.ids.rng);
    let offset = data.ids.random_range(0..365 * 86_400) as i64;
    let at = epoch.checked_add(offset.seconds()).unwrap_or(epoch);
    fields.insert("lastModifiedDateTime".into(), json!(format_time(at)));
    let entity = Entity {
        seq: data.ids.next_seq(),
        version: data.ids.next_version(),
        fields,
    };
    company.insert(set, entity);
}
