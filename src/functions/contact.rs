//! Contact details: email addresses, phone numbers (E.164) and postal addresses.

use super::address::{self, Address};
use super::arguments::{Outcome, failed, object, text};
use super::conversion::text_form;
use super::params::{param, signature, string_result, with_default};
use super::phone::to_e164;
use super::spec::{Example, FunctionSpec};
use crate::check::{ArgInfo, Fallibility, Field, ObjectType, Type};
use crate::value::CallArgs;
use crate::value::{Map, Value};

pub fn specs() -> Vec<FunctionSpec> {
    vec![
        FunctionSpec {
            signature: signature(
                "normalize_email",
                vec![param("text", Type::String)],
                string_result,
                Fallibility::Fallible("text that is not a single email address"),
            ),
            family: "contact",
            doc: "Trims an email address and lower-cases all of it, local part included, as \
                  most CRMs and Stripe's matching treat addresses case-insensitively. It fails on \
                  text that is not exactly one address: no `@` or two, spaces inside, an empty \
                  local part, or a domain without a dot or with an empty label. Display forms \
                  such as `Ada <ada@example.com>` are rejected too.",
            examples: &[
                Example {
                    call: r#"normalize_email("  Ada.Lovelace@Example.COM ")"#,
                    result: Ok(r#""ada.lovelace@example.com""#),
                },
                Example {
                    call: r#"normalize_email("ada@example")"#,
                    result: Err("\"ada@example\" is not an email address"),
                },
                Example {
                    call: r#"normalize_email("ada@@example.com")"#,
                    result: Err("\"ada@@example.com\" is not an email address"),
                },
            ],
            call: normalize_email,
        },
        FunctionSpec {
            signature: signature(
                "normalize_phone",
                vec![
                    param("text", Type::String),
                    with_default("country", Type::String, "\"AU\""),
                ],
                string_result,
                Fallibility::Fallible(
                    "text that is not a phone number of the country, or a country without rules",
                ),
            ),
            family: "contact",
            doc: "Writes a phone number in E.164 (`+61412345678`), as Stripe and most CRMs store \
                  it. Spaces, dashes, dots, brackets and a bracketed trunk `(0)` are ignored. A \
                  number starting with `+` (or the country's international prefix: 0011 in AU, \
                  00 in NZ and GB, 011 in US/CA) is taken as international for any country; \
                  otherwise the national rules of `country` apply, AU by default: AU, NZ and GB \
                  drop the trunk 0, US and CA take 10 digits with an optional leading 1. Other \
                  countries, letters (extensions), wrong lengths and Australian 13/1300/1800 \
                  numbers fail.",
            examples: &[
                Example {
                    call: r#"normalize_phone("0412 345 678")"#,
                    result: Ok(r#""+61412345678""#),
                },
                Example {
                    call: r#"normalize_phone("(02) 9876 5432")"#,
                    result: Ok(r#""+61298765432""#),
                },
                Example {
                    call: r#"normalize_phone("+44 (0)20 7946 0958")"#,
                    result: Ok(r#""+442079460958""#),
                },
                Example {
                    call: r#"normalize_phone("(415) 555-2671", "us")"#,
                    result: Ok(r#""+14155552671""#),
                },
                Example {
                    call: r#"normalize_phone("021 123 4567", "NZ")"#,
                    result: Ok(r#""+64211234567""#),
                },
                Example {
                    call: r#"normalize_phone("12345")"#,
                    result: Err("\"12345\" is not a phone number"),
                },
                Example {
                    call: r#"normalize_phone("0612345678", "FR")"#,
                    result: Err(
                        "normalize_phone knows the national rules of AU, NZ, GB, US and CA",
                    ),
                },
            ],
            call: normalize_phone,
        },
        FunctionSpec {
            signature: signature(
                "split_address",
                vec![param("text", Type::String)],
                address_type,
                Fallibility::Infallible,
            ),
            family: "contact",
            doc: "Splits an address written on several lines, or on one line with commas, into \
                  `{line1, line2, city, state, postal_code, country}` (each null when not found). \
                  From the end: a known country name (Australia, New Zealand, United Kingdom, \
                  USA, Canada, ...); then the locality part, read as `Suburb STATE 2000` \
                  (Australian states, or any two upper-case letters with a 4-5 digit or ZIP+4 \
                  code), `City 1010`, `London SW1A 2AA`, or just a city (a part holding only \
                  `CA 94043` takes the city from the part before). The first remaining part is \
                  line1 and the others, joined with \", \", line2.",
            examples: &[
                Example {
                    call: r#"split_address("Level 2, 1 George St, Sydney NSW 2000, Australia")"#,
                    result: Ok(
                        r#"{"line1": "Level 2", "line2": "1 George St", "city": "Sydney", "state": "NSW", "postal_code": "2000", "country": "Australia"}"#,
                    ),
                },
                Example {
                    call: r#"split_address("1600 Amphitheatre Pkwy\nMountain View\nCA 94043")"#,
                    result: Ok(
                        r#"{"line1": "1600 Amphitheatre Pkwy", "line2": null, "city": "Mountain View", "state": "CA", "postal_code": "94043", "country": null}"#,
                    ),
                },
                Example {
                    call: r#"split_address("")"#,
                    result: Ok(
                        r#"{"line1": null, "line2": null, "city": null, "state": null, "postal_code": null, "country": null}"#,
                    ),
                },
            ],
            call: split_address,
        },
        FunctionSpec {
            signature: signature(
                "join_address",
                vec![
                    param("address", Type::Any),
                    with_default("separator", Type::String, "\", \""),
                ],
                string_result,
                Fallibility::Infallible,
            ),
            family: "contact",
            doc: "Writes an address object as one text: line1, line2, the locality (city, state \
                  and postal_code joined with spaces, as `Sydney NSW 2000`) and country, joined \
                  with the separator. Null, missing and empty parts are skipped. Capsule's field \
                  names are accepted too: `street` for line1 and `zip` for postal_code.",
            examples: &[
                Example {
                    call: r#"join_address({line1: "1 George St", city: "Sydney", state: "NSW", postal_code: "2000"})"#,
                    result: Ok(r#""1 George St, Sydney NSW 2000""#),
                },
                Example {
                    call: r#"join_address({street: "1 George St", line2: "", zip: 2000, country: "Australia"}, "\n")"#,
                    result: Ok(r#""1 George St\n2000\nAustralia""#),
                },
                Example {
                    call: "join_address({})",
                    result: Ok(r#""""#),
                },
            ],
            call: join_address,
        },
    ]
}

const ADDRESS_FIELDS: [&str; 6] = ["line1", "line2", "city", "state", "postal_code", "country"];

fn address_type(_: &[Option<ArgInfo>]) -> Type {
    let object = ADDRESS_FIELDS
        .iter()
        .fold(ObjectType::default(), |o, name| {
            o.field(name, Field::new(Type::optional(Type::String)))
        });
    Type::object(object)
}

fn normalize_email(args: &mut CallArgs) -> Outcome {
    let input = text(args, 0, "normalize_email", "text")?;
    let email = input.trim().to_lowercase();
    let not_email = |why: &str| failed(format!("{input:?} is not an email address: {why}"));
    let mut halves = email.split('@');
    let (Some(local), Some(domain), None) = (halves.next(), halves.next(), halves.next()) else {
        return Err(not_email("it needs exactly one @"));
    };
    if email
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
    {
        return Err(not_email(
            "it contains spaces or characters not allowed in an address",
        ));
    }
    if local.is_empty() {
        return Err(not_email("nothing before the @"));
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err(not_email(
            "the domain needs a dot and no empty parts, as in example.com",
        ));
    }
    Ok(Value::string(email))
}

fn normalize_phone(args: &mut CallArgs) -> Outcome {
    let input = text(args, 0, "normalize_phone", "text")?;
    let country = text(args, 1, "normalize_phone", "country")?;
    to_e164(input, country).map(Value::string).map_err(failed)
}

fn split_address(args: &mut CallArgs) -> Outcome {
    let Address {
        line1,
        line2,
        city,
        state,
        postal_code,
        country,
    } = address::split(text(args, 0, "split_address", "text")?);
    let fields = [line1, line2, city, state, postal_code, country];
    let map: Map = ADDRESS_FIELDS
        .iter()
        .zip(fields)
        .map(|(name, value)| {
            (
                name.to_string(),
                value.map(Value::string).unwrap_or(Value::Null),
            )
        })
        .collect();
    Ok(Value::object(map))
}

fn join_address(args: &mut CallArgs) -> Outcome {
    let fields = object(args, 0, "join_address", "address")?;
    let separator = text(args, 1, "join_address", "separator")?;
    let part = |names: &[&str]| {
        names
            .iter()
            .filter_map(|n| fields.get(*n).and_then(text_form))
            .map(|t| t.trim().to_string())
            .find(|t| !t.is_empty())
    };
    let locality: Vec<String> = [
        part(&["city"]),
        part(&["state"]),
        part(&["postal_code", "zip"]),
    ]
    .into_iter()
    .flatten()
    .collect();
    let locality = (!locality.is_empty()).then(|| locality.join(" "));
    let parts: Vec<String> = [
        part(&["line1", "street"]),
        part(&["line2"]),
        locality,
        part(&["country"]),
    ]
    .into_iter()
    .flatten()
    .collect();
    Ok(Value::string(parts.join(separator)))
}
