//! The Syspro company the sandbox starts with: warehouses, currencies, stock codes, and with a
//! seed, customers.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::data::{Customer, StockItem, SysproData};
use crate::sandbox::sample_data::{self as words, pick};

/// Customers in a seeded company.
pub const CUSTOMERS: usize = 12;

/// Warehouses, currencies and stock codes, but no customers or orders.
pub fn company() -> SysproData {
    let mut data = SysproData {
        next_order: 100,
        // Invoice numbers run apart from order numbers, so neither is taken for the other.
        next_invoice: 1000,
        ..SysproData::default()
    };
    data.warehouses = ["FG", "RM", "S1"].map(String::from).into();
    data.currencies = ["AUD", "NZD", "USD", "GBP", "EUR"].map(String::from).into();
    // Local currency per unit received (M: multiply), selling a little dearer than buying.
    for (code, description, buy, sell, mul_div) in [
        ("AUD", "Australian dollar", "1", "1", "M"),
        ("NZD", "New Zealand dollar", "0.9137", "0.9152", "M"),
        ("USD", "US dollar", "1.5237", "1.5262", "M"),
        ("GBP", "Pound sterling", "1.9468", "1.9501", "M"),
        ("EUR", "Euro", "0.6063", "0.6053", "D"),
    ] {
        data.currency_table.insert(
            code.to_string(),
            super::ledger::currency_row(code, description, buy, sell, mul_div),
        );
    }
    // Stripe's payments are deposited in a bank of their own whose cash account is Stripe
    // clearing, so a payout can empty it into the operating account.
    data.banks = [("MAIN", "1100"), ("STRIPE", "1150")]
        .map(|(bank, code)| (bank.to_string(), code.to_string()))
        .into();
    data.default_bank = "MAIN".into();
    for (code, description) in [
        ("1100", "Bank, operating account"),
        ("1150", "Stripe clearing"),
        ("1200", "Accounts receivable control"),
        ("4000", "Sales"),
        ("6210", "Merchant and payment processing fees"),
        ("6890", "Disputes and adjustments"),
    ] {
        data.ledger_codes
            .insert(code.to_string(), description.to_string());
    }
    for (code, description, price) in [
        ("A100", "Bicycle frame, alloy", "450.00"),
        ("A200", "Wheel set, 700c", "180.00"),
        ("B100", "Brake kit", "65.50"),
        ("C100", "Service plan, annual", "120.00"),
    ] {
        data.stock.insert(
            code.to_string(),
            StockItem {
                description: description.to_string(),
                uom: "EA".into(),
                price: price.to_string(),
                on_hand: [("FG".to_string(), "12.000".to_string())].into(),
            },
        );
    }
    data
}

/// [`company`] with [`CUSTOMERS`] Australian customers, the same for the same seed.
pub fn populated(seed: u64) -> SysproData {
    let mut data = company();
    let mut rng = StdRng::seed_from_u64(seed);
    let australian: Vec<_> = words::PLACES.iter().filter(|p| p.3 == "AU").collect();
    for n in 0..CUSTOMERS {
        let code = format!("{:07}", 101 + n);
        let name = words::company_name(&mut rng);
        let (city, state, postcode, _, prefix) = australian[rng.random_range(0..australian.len())];
        let street = pick(&mut rng, words::STREETS);
        let short: String = name
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(10)
            .collect();
        let customer = Customer::from_pairs(&[
            ("Customer", code.clone()),
            ("Name", name.clone()),
            ("ShortName", short.to_ascii_uppercase()),
            ("Branch", "01".into()),
            ("Salesperson", "CB".into()),
            ("Telephone", words::phone(&mut rng, prefix)),
            (
                "Email",
                format!("accounts.{code}@{}", words::domain_of(&name)),
            ),
            (
                "SoldToAddr1",
                format!("{} {street}", rng.random_range(1..200)),
            ),
            ("SoldToAddr2", String::new()),
            ("SoldToAddr3", format!("{city} {state}")),
            ("SoldPostalCode", postcode.to_string()),
            ("Currency", "AUD".into()),
            ("TermsCode", "30".into()),
            ("TaxCode", "G".into()),
            ("CreditLimit", "5000.00".into()),
            ("CurrentBalance", "0.00".into()),
        ]);
        data.not_ferrys.insert(code.clone());
        data.customers.insert(code, customer);
    }
    data
}
