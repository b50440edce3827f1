//! A seeded tenant: debtors, products, categories and orders spread over the year before
//! `now`. The same seed and sizes give the same records; only their times follow `now`.

use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use super::data::ProntoData;
use super::order::{FIRST_ORDER_NUMBER, Order, OrderLine};
use super::product::{Price, PriceBreak, Product, Uom};
use super::records::{Address, Category, Debtor, Stamps};
use super::transactions::note_line;
use super::wire::{Quantity, rounded};
use crate::sandbox::sample_data::{self as words, pick};

pub const DEBTORS: usize = 12;
pub const PRODUCTS: usize = 10;
pub const ORDERS: usize = 8;

const CATEGORIES: [(&str, &str); 4] = [
    ("office-furniture", "Office Furniture"),
    ("stationery", "Stationery"),
    ("technology", "Technology"),
    ("kitchen", "Kitchen & Coffee"),
];

/// Australian places: suburb, state, postcode, phone prefix.
const PLACES: [(&str, &str, &str, &str); 5] = [
    ("Sydney", "NSW", "2000", "02"),
    ("Parramatta", "NSW", "2150", "02"),
    ("Melbourne", "VIC", "3000", "03"),
    ("Brisbane", "QLD", "4000", "07"),
    ("Perth", "WA", "6000", "08"),
];

const YEAR_SECONDS: i64 = 365 * 24 * 3600;

/// Counts of each kind to seed.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub debtors: usize,
    pub products: usize,
    pub orders: usize,
}

pub fn populated(seed: u64, sizes: Sizes, now: Timestamp) -> ProntoData {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut data = ProntoData::default();
    for (slug, title) in CATEGORIES {
        let stamps = stamps_in_year(&mut rng, now);
        data.categories.insert(
            slug.into(),
            Category {
                slug: slug.into(),
                public_title: title.into(),
                stamps,
            },
        );
    }
    for i in 0..sizes.debtors {
        let debtor = debtor(&mut rng, i, now);
        data.debtors.insert(debtor.code.clone(), debtor);
    }
    for i in 0..sizes.products {
        let product = product(&mut rng, i, now);
        data.products.insert(product.code.clone(), product);
    }
    let debtors: Vec<String> = data.debtors.keys().cloned().collect();
    let products: Vec<(String, String, String, Price)> = data
        .products
        .values()
        .map(|p| (p.code.clone(), p.description.clone(), p.uom.clone(), p.base_price))
        .collect();
    if debtors.is_empty() {
        return data;
    }
    for i in 0..sizes.orders {
        let order = order(&mut rng, i, now, &debtors, &products);
        data.orders.insert(order.number, order);
    }
    data
}

fn stamps_in_year(rng: &mut StdRng, now: Timestamp) -> Stamps {
    let age = rng.random_range(3_600..YEAR_SECONDS);
    let created_at = now - SignedDuration::from_secs(age);
    // Some are never touched again.
    let edited = rng.random_bool(0.6);
    let updated_at = if edited {
        created_at + SignedDuration::from_secs(rng.random_range(60..age))
    } else {
        created_at
    };
    Stamps {
        created_at,
        updated_at,
    }
}

fn debtor(rng: &mut StdRng, i: usize, now: Timestamp) -> Debtor {
    let name = words::company_name(rng);
    let (suburb, state, postcode, prefix) = PLACES[rng.random_range(0..PLACES.len())];
    let domain = words::domain_of(&name);
    let number = rng.random_range(1000..10_000);
    Debtor {
        code: format!("C{:05}", i + 1),
        // The second debtor has no e-mail address, and about one in fifty shares its company's
        // accounts mailbox with another: such accounts exist. The rest have their own.
        email: if i == 1 {
            String::new()
        } else if rng.random_bool(0.02) {
            format!("accounts@{domain}")
        } else {
            format!("ap.c{:05}@{domain}", i + 1)
        },
        phone: format!("{prefix} {number} {:04}", rng.random_range(0..10_000)),
        fax: String::new(),
        territory: state.into(),
        website: if rng.random_bool(0.5) {
            format!("www.{domain}")
        } else {
            String::new()
        },
        warehouse: "1".into(),
        customer_type: if rng.random_bool(0.7) { "R" } else { "W" }.into(),
        delivery_address: Address {
            lines: [
                format!("{} {}", rng.random_range(1..200), pick(rng, words::STREETS)),
                suburb.into(),
                state.into(),
                "AUSTRALIA".into(),
                String::new(),
                String::new(),
                String::new(),
            ],
            postcode: postcode.into(),
        },
        name,
        stamps: stamps_in_year(rng, now),
    }
}

fn product(rng: &mut StdRng, i: usize, now: Timestamp) -> Product {
    let description = pick(rng, words::PRODUCTS).to_string();
    // Prices to 4 places, inc-tax 10% over ex-tax rounded to 4 (40.2270 -> 44.2497).
    let ex_tax = Decimal::new(rng.random_range(20_000..2_000_000), 4);
    let inc_tax = rounded(ex_tax * Decimal::new(11, 1), 4);
    let apn = format!("93{:011}", rng.random_range(0..100_000_000_000u64));
    let category = CATEGORIES[rng.random_range(0..CATEGORIES.len())].0;
    let breaks = if rng.random_bool(0.3) {
        let discount = |d: Decimal| rounded(d * Decimal::new(95, 2), 4);
        vec![PriceBreak {
            price_rule: "QB".into(),
            price: Price {
                inc_tax: discount(inc_tax),
                ex_tax: discount(ex_tax),
            },
            min_qty: Decimal::new(10, 0),
            max_qty: Decimal::new(99_999, 0),
        }]
    } else {
        Vec::new()
    };
    Product {
        code: format!("SKU{:05}", i + 1),
        description1: description.clone(),
        description,
        description2: String::new(),
        description3: String::new(),
        group_code: format!("G{:02}", rng.random_range(1..20)),
        brand: pick(rng, words::COMPANY_WORDS).into(),
        stock_status: "S".into(),
        uom: "EA".into(),
        pack_size: "1".into(),
        saleability: "Y".into(),
        visibility: "Y".into(),
        base_price: Price { inc_tax, ex_tax },
        breaks,
        // Stock can be oversold: Pronto shows negative quantities.
        inventory: vec![("1".into(), Decimal::new(rng.random_range(-5..200), 0))],
        uoms: vec![Uom {
            code: "EA".into(),
            conv: "1.0".into(),
            gtin: apn.clone(),
            weight: format!("{}.{}", rng.random_range(0..20), rng.random_range(0..10)),
            height: "0.0".into(),
            width: "0.0".into(),
            depth: "0.0".into(),
        }],
        apn,
        categories: vec![category.into()],
        stamps: stamps_in_year(rng, now),
    }
}

fn order(
    rng: &mut StdRng,
    i: usize,
    now: Timestamp,
    debtors: &[String],
    products: &[(String, String, String, Price)],
) -> Order {
    let number = FIRST_ORDER_NUMBER + i as u64;
    let debtor = debtors[rng.random_range(0..debtors.len())].clone();
    let count = if i == 0 { 2 } else { rng.random_range(1..=4) };
    let mut lines = Vec::new();
    for l in 0..count {
        let Some((code, description, uom, price)) =
            products.get(rng.random_range(0..products.len().max(1)))
        else {
            lines.push(note_line("Call before delivery"));
            break;
        };
        let amount = Decimal::new(rng.random_range(1..12), 0);
        // Pronto sends line numbers as strings or as floats, even within one order.
        let quantity = if l % 2 == 0 {
            Quantity::text(amount)
        } else {
            Quantity::number(amount)
        };
        let (ex_tax, inc_tax) = if i == 0 && l == 0 {
            // A line whose GST is not 10% of ex-tax: a client must not derive one from the other.
            (Decimal::new(1000, 2), Decimal::new(1150, 2))
        } else {
            // To the ten cents, so that GST is 10% to the cent at any quantity: only the line
            // above breaks the rule.
            let ex_tax = rounded(price.ex_tax, 1);
            (ex_tax, ex_tax * Decimal::new(11, 1))
        };
        lines.push(OrderLine {
            kind: "SN".into(),
            stock_code: code.clone(),
            description: description.clone(),
            ordered_qty: quantity,
            backordered_qty: Quantity::text(Decimal::ZERO),
            shipped_qty: Quantity::text(Decimal::ZERO),
            uom: uom.clone(),
            price_ex_tax: ex_tax,
            price_inc_tax: inc_tax,
        });
    }
    let status = ["30", "40", "80", "90"][rng.random_range(0..4)];
    let shipped = matches!(status, "80" | "90");
    if shipped {
        for line in &mut lines {
            line.shipped_qty = Quantity::text(line.ordered_qty.value);
        }
    }
    let total: Decimal = lines
        .iter()
        .map(|l| l.ordered_qty.value * l.price_inc_tax)
        .sum();
    let (suburb, state, postcode, prefix) = PLACES[rng.random_range(0..PLACES.len())];
    Order {
        number,
        suffix: String::new(),
        customer_reference: format!("PO-{}", 4_000 + i),
        debtor,
        status_code: status.into(),
        carrier_code: if shipped { "AUSPOST" } else { "" }.into(),
        consignment_note: if shipped {
            format!("33AB{:08}", rng.random_range(0..100_000_000))
        } else {
            String::new()
        },
        currency_code: "AUD".into(),
        delivery_address: Address {
            lines: [
                format!("{} {}", rng.random_range(1..200), pick(rng, words::STREETS)),
                suburb.into(),
                state.into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
            postcode: postcode.into(),
        },
        delivery_phone: format!("{prefix} 9{:03} {:04}", rng.random_range(0..1000), rng.random_range(0..10_000)),
        delivery_instructions: Default::default(),
        payment_method: "CC".into(),
        payment_reference: format!("ch_{:016x}", rng.random::<u64>()),
        payment_amount: Some(rounded(total, 2)),
        lines,
        stamps: stamps_in_year(rng, now),
    }
}
