//! Postal addresses: splitting one text into fields, and joining fields back.

const AU_STATES: &[&str] = &["NSW", "VIC", "QLD", "SA", "WA", "TAS", "NT", "ACT"];
const COUNTRIES: &[&str] = &[
    "australia",
    "new zealand",
    "nz",
    "united kingdom",
    "uk",
    "great britain",
    "united states",
    "united states of america",
    "usa",
    "us",
    "canada",
];

/// The fields of an address, in the usual order.
#[derive(Debug, Default, PartialEq)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// Splits an address written on lines, or on one line with commas.
pub fn split(text: &str) -> Address {
    let separator = if text.contains('\n') { '\n' } else { ',' };
    let mut parts: Vec<&str> = text
        .split(separator)
        .map(|p| p.trim().trim_end_matches(',').trim())
        .filter(|p| !p.is_empty())
        .collect();
    let mut address = Address::default();
    if parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| COUNTRIES.contains(&p.to_lowercase().as_str()))
    {
        address.country = parts.pop().map(str::to_string);
    }
    if parts.len() > 1 {
        let locality = parts.pop().unwrap_or_default();
        let (city, state, postal_code) = split_locality(locality);
        address.state = state;
        address.postal_code = postal_code;
        address.city = match city {
            Some(city) => Some(city),
            // "CA 94043" on its own: the city is the part before.
            None if parts.len() > 1 => parts.pop().map(str::to_string),
            None => None,
        };
    }
    let mut parts = parts.into_iter();
    address.line1 = parts.next().map(str::to_string);
    let rest: Vec<&str> = parts.collect();
    address.line2 = (!rest.is_empty()).then(|| rest.join(", "));
    address
}

/// "Sydney NSW 2000", "Mountain View CA 94043", "CA 94043", "London SW1A 2AA",
/// "Auckland 1010", or just a city.
fn split_locality(locality: &str) -> (Option<String>, Option<String>, Option<String>) {
    let mut tokens: Vec<&str> = locality.split_whitespace().collect();
    let mut postal_code = None;
    let n = tokens.len();
    if n >= 2 && is_uk_outward(tokens[n - 2]) && is_uk_inward(tokens[n - 1]) {
        postal_code = Some(format!("{} {}", tokens[n - 2], tokens[n - 1]));
        tokens.truncate(n - 2);
    } else if tokens.last().is_some_and(|t| is_numeric_postcode(t)) {
        postal_code = tokens.pop().map(str::to_string);
    }
    let mut state = None;
    if postal_code.is_some() && tokens.last().is_some_and(|t| is_state(t)) {
        state = tokens.pop().map(str::to_string);
    }
    let city = (!tokens.is_empty()).then(|| tokens.join(" "));
    (city, state, postal_code)
}

fn is_numeric_postcode(token: &str) -> bool {
    let (main, plus4) = token.split_once('-').unwrap_or((token, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    matches!(main.len(), 4 | 5)
        && digits(main)
        && (plus4.is_empty() || (plus4.len() == 4 && digits(plus4)))
}

/// An Australian state or a two-letter upper-case code (US states, Canadian provinces).
fn is_state(token: &str) -> bool {
    AU_STATES.contains(&token)
        || (token.len() == 2 && token.chars().all(|c| c.is_ascii_uppercase()))
}

fn is_uk_outward(token: &str) -> bool {
    let b = token.as_bytes();
    (2..=4).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b.iter().any(u8::is_ascii_digit)
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_uk_inward(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() == 3 && b[0].is_ascii_digit() && b[1].is_ascii_uppercase() && b[2].is_ascii_uppercase()
}
