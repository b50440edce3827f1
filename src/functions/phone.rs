//! Phone numbers to E.164 for the countries ferry's users are in: AU, NZ, GB, US and CA.
//! Numbers already in international form (`+...`) are accepted for any country.

/// A country's dialling rules.
struct Plan {
    calling_code: &'static str,
    /// Prefix dialled to call abroad (`0011` from Australia): stands for `+`.
    international_prefixes: &'static [&'static str],
    /// Digits of a national number without its trunk `0` (or NANP's `1`).
    national_lengths: std::ops::RangeInclusive<usize>,
    /// NANP numbers have no trunk 0; the others drop a leading 0.
    trunk_zero: bool,
}

fn plan(country: &str) -> Option<Plan> {
    Some(match country {
        "AU" => Plan {
            calling_code: "61",
            international_prefixes: &["0011"],
            national_lengths: 9..=9,
            trunk_zero: true,
        },
        "NZ" => Plan {
            calling_code: "64",
            international_prefixes: &["00"],
            national_lengths: 8..=10,
            trunk_zero: true,
        },
        "GB" | "UK" => Plan {
            calling_code: "44",
            international_prefixes: &["00"],
            national_lengths: 9..=10,
            trunk_zero: true,
        },
        "US" | "CA" => Plan {
            calling_code: "1",
            international_prefixes: &["011"],
            national_lengths: 10..=10,
            trunk_zero: false,
        },
        _ => return None,
    })
}

/// The number in E.164 (`+61412345678`), or why it cannot be.
pub fn to_e164(input: &str, country: &str) -> Result<String, String> {
    let country = country.trim().to_ascii_uppercase();
    let bad = |why: &str| format!("{input:?} is not a phone number: {why}");
    // "+61 (0)2 ..." writes the trunk 0 in brackets: it is not dialled from abroad.
    let cleaned = input.trim().replace("(0)", "");
    let international = cleaned.starts_with('+');
    let mut digits = String::new();
    for c in cleaned.chars().skip(usize::from(international)) {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => {
                return Err(bad(&format!(
                    "unexpected {c:?} (extensions are not supported)"
                )));
            }
        }
    }
    if international {
        return international_number(&digits).ok_or_else(|| {
            bad("an international number has 8 to 15 digits after +, not starting with 0")
        });
    }
    let plan = plan(&country).ok_or_else(|| {
        format!("normalize_phone knows the national rules of AU, NZ, GB, US and CA, not {country:?}; write the number in international form (+...)")
    })?;
    if let Some(rest) = plan
        .international_prefixes
        .iter()
        .find_map(|p| digits.strip_prefix(p))
    {
        return international_number(rest)
            .ok_or_else(|| bad("too short or too long after the international prefix"));
    }
    if country == "AU" && (digits.starts_with("13") || digits.starts_with("18")) {
        return Err(bad(
            "Australian 13/1300/1800 numbers cannot be dialled from abroad",
        ));
    }
    let national = if plan.trunk_zero {
        digits
            .strip_prefix('0')
            .or_else(|| digits.strip_prefix(plan.calling_code))
            .unwrap_or(&digits)
    } else if digits.len() == 11 {
        digits.strip_prefix('1').unwrap_or(&digits)
    } else {
        &digits
    };
    if !plan.national_lengths.contains(&national.len()) || national.starts_with('0') {
        return Err(bad(&format!("wrong number of digits for {country}")));
    }
    if !plan.trunk_zero
        && (national.starts_with('1') || national.as_bytes().get(3).is_some_and(|d| *d < b'2'))
    {
        return Err(bad(
            "North American area codes and exchanges start with 2-9",
        ));
    }
    Ok(format!("+{}{national}", plan.calling_code))
}

fn international_number(digits: &str) -> Option<String> {
    ((8..=15).contains(&digits.len()) && !digits.starts_with('0')).then(|| format!("+{digits}"))
}
