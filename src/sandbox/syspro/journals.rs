//! GENTJL: general ledger journals, posted to the emulator's general ledger as Syspro's rules say.
//!
//! - Parameters: `ActionType` A (add); maintaining a journal (M) is not modelled and is refused.
//! - Each `Item` is a journal: a `JournalDate`, `PostJournal` Y (the sandbox keeps no unposted
//!   journals, so N is refused), and two `JournalDetails` or more.
//! - Each line: a `LedgerCode` in the chart, an `EntryAmount` not zero with at most two
//!   decimals (signed: a debit is positive).
//! - A journal's lines balance to the cent, or it is refused with its debits and credits.
//! - The document is posted whole or not at all; each error sits in an `<ErrorDescription>`
//!   next to the element at fault, and `StatusOfItems` counts the invalid postings.

use indexmap::IndexMap;
use rust_decimal::Decimal;

use super::data::SysproData;
use crate::connectors::syspro::xml::{Element, write_element};

/// Posts every journal of a GENTJL document; the XmlOut.
pub fn post(data: &mut SysproData, parameters: Option<&Element>, document: &Element) -> String {
    let action = parameters
        .and_then(|p| p.at(&["Parameters", "ActionType"]))
        .map(|e| e.text.to_ascii_uppercase())
        .unwrap_or_else(|| "A".into());
    let items: Vec<&Element> = document.children_named("Item").collect();
    let checked: Vec<(Vec<String>, Vec<Vec<String>>)> =
        items.iter().map(|item| check(data, item, &action)).collect();
    let invalid: usize = checked
        .iter()
        .map(|(journal, lines)| {
            lines.iter().filter(|m| !m.is_empty()).count() + usize::from(!journal.is_empty())
        })
        .sum();
    let valid = !items.is_empty() && invalid == 0;
    let mut out = String::from("<PostGlJournal>");
    let (mut journals, mut postings) = (0, 0);
    for (item, (journal_errors, line_errors)) in items.iter().zip(&checked) {
        out.push_str("<Item>");
        for message in journal_errors {
            write_element(&mut out, "ErrorDescription", message);
        }
        for (line, messages) in item.children_named("JournalDetails").zip(line_errors) {
            if messages.is_empty() {
                continue;
            }
            out.push_str("<JournalDetails>");
            write_element(&mut out, "EntryNumber", line.text_of("EntryNumber").unwrap_or_default());
            for message in messages {
                write_element(&mut out, "ErrorDescription", message);
            }
            out.push_str("</JournalDetails>");
        }
        if valid {
            out.push_str(&apply(data, item));
            journals += 1;
            postings += line_errors.len();
        }
        out.push_str("</Item>");
    }
    let counts = [
        ("JournalsProcessed", journals),
        ("PostingsProcessed", postings),
        ("PostingsInvalid", invalid),
    ];
    super::status::close(&mut out, "PostGlJournal", items.len(), &counts);
    out
}

/// The journal's errors and each line's.
fn check(data: &SysproData, item: &Element, action: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut journal = Vec::new();
    if action != "A" {
        journal.push(format!("ActionType '{action}': the sandbox only adds journals (A)"));
    }
    match item.text_of("JournalDate") {
        None => journal.push("JournalDate is required".into()),
        Some(date) if date.parse::<jiff::civil::Date>().is_err() => {
            journal.push(format!("JournalDate '{date}' is not a valid date (YYYY-MM-DD)"))
        }
        Some(_) => {}
    }
    if item.text_of("PostJournal") != Some("Y") {
        journal.push("PostJournal must be Y: the sandbox keeps no unposted journals".into());
    }
    let mut lines = Vec::new();
    let (mut debits, mut credits) = (Decimal::ZERO, Decimal::ZERO);
    for line in item.children_named("JournalDetails") {
        let mut messages = Vec::new();
        let code = line.text_of("LedgerCode").unwrap_or_default();
        if !data.ledger_codes.contains_key(code) {
            messages.push(format!("Ledger code '{code}' not on file"));
        }
        let text = line.text_of("EntryAmount").unwrap_or_default();
        match text.parse::<Decimal>() {
            Ok(amount) if amount.is_zero() => {
                messages.push(format!("EntryAmount '{text}' must not be zero"))
            }
            Ok(amount) if amount.scale() > 2 => {
                messages.push(format!("EntryAmount '{text}' has more than 2 decimals"))
            }
            Ok(amount) if amount > Decimal::ZERO => debits += amount,
            Ok(amount) => credits -= amount,
            Err(_) => messages.push(format!("EntryAmount '{text}' is not a number")),
        }
        lines.push(messages);
    }
    if lines.len() < 2 {
        journal.push("a journal needs two JournalDetails lines or more".into());
    } else if debits != credits {
        journal.push(format!(
            "Journal does not balance: debits {debits}, credits {credits}"
        ));
    }
    (journal, lines)
}

/// Posts a checked journal to the general ledger; its `Transaction` element.
fn apply(data: &mut SysproData, item: &Element) -> String {
    data.next_gl_journal += 1;
    let journal = data.next_gl_journal.to_string();
    let date = item.text_of("JournalDate").unwrap_or_default().to_string();
    let (year, period) = match date.parse::<jiff::civil::Date>() {
        Ok(day) => (day.year().to_string(), day.month().to_string()),
        Err(_) => (String::new(), String::new()),
    };
    let (mut debits, mut credits) = (Decimal::ZERO, Decimal::ZERO);
    let mut entries = 0;
    for (index, line) in item.children_named("JournalDetails").enumerate() {
        let text = |name: &str| line.text_of(name).unwrap_or_default().to_string();
        let amount = text("EntryAmount").parse::<Decimal>().unwrap_or_default();
        if amount > Decimal::ZERO {
            debits += amount;
        } else {
            credits -= amount;
        }
        let entry = line
            .text_of("EntryNumber")
            .map(str::to_string)
            .unwrap_or_else(|| (index + 1).to_string());
        let reference = line
            .text_of("Reference")
            .or(item.text_of("Reference"))
            .unwrap_or_default()
            .to_string();
        let mut row = IndexMap::new();
        for (name, value) in [
            ("GlJournal", journal.clone()),
            ("GlYear", year.clone()),
            ("GlPeriod", period.clone()),
            ("EntryNumber", entry),
            ("LedgerCode", text("LedgerCode")),
            ("Reference", reference),
            ("JournalDate", date.clone()),
            ("EntryAmount", amount.to_string()),
            ("Comment", text("Comment")),
        ] {
            row.insert(name.to_string(), value);
        }
        data.gl.push(row);
        entries += 1;
    }
    let mut out = String::from("<Transaction><Key>");
    write_element(&mut out, "GlYear", &year);
    write_element(&mut out, "GlPeriod", &period);
    write_element(&mut out, "GlJournal", &journal);
    out.push_str("</Key>");
    write_element(&mut out, "JournalDate", &date);
    write_element(&mut out, "NumOfEntries", &entries.to_string());
    write_element(&mut out, "DebitAmount", &debits.to_string());
    write_element(&mut out, "CreditAmount", &credits.to_string());
    write_element(&mut out, "Jnlstatus", "P");
    out.push_str("</Transaction>");
    out
}
