//! ARSSCS: customers added (Setup/Add) and changed (Setup/Update), each `<Item>` whole or not
//! at all.

use rust_decimal::Decimal;

use super::data::{Customer, SysproData};
// The customer elements and their longest values are the connector's schema, which a pipeline
// is linted against.
use crate::connectors::syspro::schema::CUSTOMER;
use crate::connectors::syspro::xml::{Element, write_element};


#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Add,
    Update,
}

/// Applies every `<Item>` of an ARSSCS document; the XmlOut.
pub fn set_up(data: &mut SysproData, document: &Element, action: Action) -> String {
    let mut out = String::from("<SetupArCustomer>");
    let (mut processed, mut invalid) = (0, 0);
    for item in document.children_named("Item") {
        let code = item
            .at(&["Key", "Customer"])
            .map(|e| e.text.clone())
            .unwrap_or_default();
        let messages = apply(data, &code, item, action);
        out.push_str("<Item><Key>");
        write_element(&mut out, "Customer", &code);
        out.push_str("</Key>");
        if messages.is_empty() {
            processed += 1;
        } else {
            invalid += 1;
        }
        for message in messages {
            write_element(&mut out, "ErrorDescription", &message);
        }
        out.push_str("</Item>");
    }
    if processed + invalid == 0 {
        write_element(&mut out, "ErrorDescription", "the document holds no Item");
    }
    out.push_str(&format!(
        "<StatusOfItems><ItemsProcessed>{processed}</ItemsProcessed><ItemsInvalid>{invalid}</ItemsInvalid></StatusOfItems></SetupArCustomer>"
    ));
    out
}

/// Whether anything is booked against the customer: a sales order or a balance.
fn has_transactions(data: &SysproData, code: &str, customer: &Customer) -> bool {
    let balance = customer.get("CurrentBalance").parse::<Decimal>();
    balance.is_ok_and(|balance| !balance.is_zero())
        || data
            .orders
            .values()
            .any(|order| order.get("Customer") == code)
}

fn apply(data: &mut SysproData, code: &str, item: &Element, action: Action) -> Vec<String> {
    let mut messages = Vec::new();
    let existing = data.customers.get(code).cloned();
    match (action, &existing) {
        _ if code.is_empty() => messages.push("Customer is required in Key".into()),
        _ if code.chars().count() > 15 => {
            messages.push(format!("Customer '{code}' is longer than 15 characters"))
        }
        _ if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => messages.push(
            format!("Customer '{code}' may hold only letters, digits and '-'"),
        ),
        (Action::Add, Some(_)) => messages.push(format!("Customer '{code}' already exists")),
        (Action::Update, None) => messages.push(format!("Customer '{code}' not on file")),
        _ => {}
    }
    let mut customer = existing.unwrap_or_else(|| {
        Customer::from_pairs(&[
            ("Customer", code.to_string()),
            ("Currency", "AUD".into()),
            ("CurrentBalance", "0.00".into()),
        ])
    });
    for field in item.children.iter().filter(|c| c.name != "Key") {
        let Some(column) = CUSTOMER.iter().find(|column| column.name == field.name) else {
            messages.push(format!("{} is not a customer element", field.name));
            continue;
        };
        let value = field.text.as_str();
        let longest = column.max_length.unwrap_or(usize::MAX);
        match field.name.as_str() {
            "Customer" | "CurrentBalance" => {
                messages.push(format!("{} cannot be set here", field.name));
                continue;
            }
            "Currency" if !data.currencies.contains(value) => {
                messages.push(format!("Currency '{value}' not on file"))
            }
            // A customer's orders, invoices and balance are all in its currency, so Syspro
            // keeps the currency once anything is booked against the customer.
            "Currency"
                if !value.eq_ignore_ascii_case(customer.get("Currency"))
                    && has_transactions(data, code, &customer) =>
            {
                messages.push(format!(
                    "Currency cannot be changed: customer '{code}' has transactions"
                ))
            }
            "CreditLimit" if !value.parse::<Decimal>().is_ok_and(|d| d >= Decimal::ZERO) => {
                messages.push(format!(
                    "CreditLimit '{value}' is not an amount of zero or more"
                ))
            }
            "Email" if !value.is_empty() && !value.contains('@') => {
                messages.push(format!("Email '{value}' is not an email address"))
            }
            _ if value.chars().count() > longest => messages.push(format!(
                "{} is longer than {longest} characters",
                field.name
            )),
            _ => {}
        }
        customer
            .fields
            .insert(field.name.clone(), value.to_string());
    }
    if customer.get("Name").trim().is_empty() {
        messages.push("Name is required".into());
    }
    if customer.get("ShortName").is_empty() {
        let short: String = customer.get("Name").chars().take(20).collect();
        customer
            .fields
            .insert("ShortName".into(), short.to_uppercase());
    }
    if messages.is_empty() {
        data.customers.insert(code.to_string(), customer);
    }
    messages
}
