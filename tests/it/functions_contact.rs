use crate::functions_support;

use ferry::value::Value;
use functions_support::{call, failure, json_of, s, v};

fn phone(text: &str, country: &str) -> Result<String, String> {
    match call("normalize_phone", vec![s(text), s(country)]) {
        Ok(Value::String(e164)) => Ok(e164.to_string()),
        Ok(other) => panic!("{other:?}"),
        Err(ferry::value::FunctionError::Failed(message)) => Err(message),
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn normalize_email_lowercases_one_address() {
    assert_eq!(
        json_of("normalize_email", vec![s("  Ada.Lovelace@Example.COM ")]),
        r#""ada.lovelace@example.com""#
    );
    assert_eq!(
        json_of("normalize_email", vec![s("a+tag@sub.example.co.uk")]),
        r#""a+tag@sub.example.co.uk""#
    );
    for bad in [
        "ada@example",
        "ada@@example.com",
        "ada.example.com",
        "@example.com",
        "ada @example.com",
        "Ada <ada@example.com>",
        "ada@example..com",
        "ada@.com",
        "",
        "a@b.com,c@d.com",
    ] {
        let message = failure(call("normalize_email", vec![s(bad)]));
        assert!(
            message.starts_with(&format!("{bad:?} is not an email address")),
            "{message}"
        );
    }
}

#[test]
fn phones_in_australia() {
    assert_eq!(phone("0412 345 678", "AU"), Ok("+61412345678".into()));
    assert_eq!(
        json_of("normalize_phone", vec![s("(02) 9876 5432")]),
        r#""+61298765432""#,
        "AU by default"
    );
    assert_eq!(phone("+61 412 345 678", "au"), Ok("+61412345678".into()));
    assert_eq!(phone("+61 (0)2 9876 5432", "AU"), Ok("+61298765432".into()));
    assert_eq!(phone("61412345678", "AU"), Ok("+61412345678".into()));
    assert_eq!(phone("412345678", "AU"), Ok("+61412345678".into()));
    assert_eq!(
        phone("0011 44 20 7946 0958", "AU"),
        Ok("+442079460958".into())
    );
    assert!(
        phone("1300 123 456", "AU")
            .unwrap_err()
            .contains("cannot be dialled from abroad")
    );
    assert!(
        phone("12345", "AU")
            .unwrap_err()
            .contains("\"12345\" is not a phone number")
    );
    assert!(
        phone("0412 345 678 ext 5", "AU")
            .unwrap_err()
            .contains("extensions")
    );
    assert!(phone("", "AU").is_err());
}

#[test]
fn phones_in_nz_gb_and_north_america() {
    assert_eq!(phone("021 123 4567", "NZ"), Ok("+64211234567".into()));
    assert_eq!(phone("09 123 4567", "NZ"), Ok("+6491234567".into()));
    assert_eq!(phone("020 7946 0958", "GB"), Ok("+442079460958".into()));
    assert_eq!(phone("07700 900123", "uk"), Ok("+447700900123".into()));
    assert_eq!(
        phone("+44 (0)20 7946 0958", "AU"),
        Ok("+442079460958".into())
    );
    assert_eq!(phone("(415) 555-2671", "us"), Ok("+14155552671".into()));
    assert_eq!(phone("1-416-555-0199", "CA"), Ok("+14165550199".into()));
    assert_eq!(phone("011 61 412 345 678", "US"), Ok("+61412345678".into()));
    assert!(
        phone("(015) 555-2671", "US").is_err(),
        "area codes start with 2-9"
    );
    assert!(
        phone("415 155 2671", "US").is_err(),
        "exchanges start with 2-9"
    );
    assert!(phone("555-2671", "US").is_err());
    assert!(
        phone("0612345678", "FR")
            .unwrap_err()
            .contains("normalize_phone knows the national rules of AU, NZ, GB, US and CA")
    );
    assert_eq!(
        phone("+33 6 12 34 56 78", "FR"),
        Ok("+33612345678".into()),
        "international form works for any country"
    );
    assert_eq!(
        phone("06 12 34 56 78", "fr"),
        Err("normalize_phone knows the national rules of AU, NZ, GB, US and CA, not \"FR\"; write the number in international form (+...)".into())
    );
    assert!(phone("+0123456789", "AU").is_err());
    assert!(
        phone("+1234567890123456", "AU").is_err(),
        "more than 15 digits"
    );
}

#[test]
fn split_address_recognises_localities() {
    let split = |text: &str| json_of("split_address", vec![s(text)]);
    assert_eq!(
        split("Level 2, 1 George St, Sydney NSW 2000, Australia"),
        r#"{"line1":"Level 2","line2":"1 George St","city":"Sydney","state":"NSW","postal_code":"2000","country":"Australia"}"#
    );
    assert_eq!(
        split("1 George St\nSurry Hills NSW 2010\n"),
        r#"{"line1":"1 George St","line2":null,"city":"Surry Hills","state":"NSW","postal_code":"2010","country":null}"#
    );
    assert_eq!(
        split("1600 Amphitheatre Pkwy, Mountain View, CA 94043, USA"),
        r#"{"line1":"1600 Amphitheatre Pkwy","line2":null,"city":"Mountain View","state":"CA","postal_code":"94043","country":"USA"}"#
    );
    assert_eq!(
        split("1600 Amphitheatre Pkwy\nMountain View\nCA 94043"),
        r#"{"line1":"1600 Amphitheatre Pkwy","line2":null,"city":"Mountain View","state":"CA","postal_code":"94043","country":null}"#
    );
    assert_eq!(
        split("10 Downing St, London SW1A 2AA, United Kingdom"),
        r#"{"line1":"10 Downing St","line2":null,"city":"London","state":null,"postal_code":"SW1A 2AA","country":"United Kingdom"}"#
    );
    assert_eq!(
        split("1 Queen St, Auckland 1010"),
        r#"{"line1":"1 Queen St","line2":null,"city":"Auckland","state":null,"postal_code":"1010","country":null}"#
    );
    assert_eq!(
        split("PO Box 7"),
        r#"{"line1":"PO Box 7","line2":null,"city":null,"state":null,"postal_code":null,"country":null}"#
    );
    assert_eq!(
        split(" , \n"),
        r#"{"line1":null,"line2":null,"city":null,"state":null,"postal_code":null,"country":null}"#
    );
}

#[test]
fn join_address_writes_the_locality_on_one_line() {
    let address =
        v(r#"{"line1": "1 George St", "city": "Sydney", "state": "NSW", "postal_code": "2000"}"#);
    assert_eq!(
        json_of("join_address", vec![address]),
        r#""1 George St, Sydney NSW 2000""#
    );
    let capsule = v(
        r#"{"street": "1 George St", "line2": "", "zip": 2000, "country": "Australia", "city": null}"#,
    );
    assert_eq!(
        json_of("join_address", vec![capsule, s("\n")]),
        r#""1 George St\n2000\nAustralia""#
    );
    assert_eq!(json_of("join_address", vec![v("{}")]), r#""""#);
    assert!(call("join_address", vec![Value::Null]).is_err());
    // Round trip through split_address.
    let text = "Level 2, 1 George St, Sydney NSW 2000, Australia";
    let split = call("split_address", vec![s(text)]).unwrap();
    assert_eq!(call("join_address", vec![split]), Ok(s(text)));
}
