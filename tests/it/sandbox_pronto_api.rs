//! The Pronto Avenue emulator's reads against the wire rules `connectors/pronto` is written to:
//! Basic auth, paging and Sydney-time filters, the rolling rate limit, aliases, Pronto's error
//! body and the seed.

use std::time::{Duration, Instant};

use ferry::sandbox::pronto::{PASSWORD, ProntoConfig, ProntoState, USERNAME};
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::sandbox_pronto_support::*;

#[tokio::test]
async fn credentials_other_than_the_basic_pair_are_refused_without_being_echoed() {
    let pronto = start(Some(1), quick()).await;
    let url = format!("{}/api/json/debtor/v4.json", pronto.base);
    let attempts = [
        pronto.client.get(&url),
        pronto
            .client
            .get(&url)
            .basic_auth(USERNAME, Some("wrong-password")),
        pronto
            .client
            .get(&url)
            .basic_auth("someone@example.com", Some(PASSWORD)),
        pronto.client.get(&url).bearer_auth(PASSWORD),
        pronto
            .client
            .get(&url)
            .header("authorization", "Basic not*base64"),
    ];
    for attempt in attempts {
        let response = attempt.send().await.unwrap();
        let raw = response.headers().clone();
        let (status, message) = error_of(response).await;
        assert_eq!(
            (status, message.as_str()),
            (401, "Invalid username or password")
        );
        assert!(!format!("{raw:?}").contains("wrong-password"));
    }
    assert_eq!(pronto.state.calls(), 0, "a 401 is no call");
    let body = pronto.json("/api/json/debtor/v4.json").await;
    assert_eq!(body["count"], 12);
    assert_eq!(pronto.state.calls(), 1);
    pronto.shutdown().await;
}

#[tokio::test]
async fn paging_counts_every_match_and_a_page_past_the_end_is_empty() {
    let pronto = start(Some(2), quick()).await;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let body = pronto
            .json(&format!("/api/json/debtor/v4.json?page={page}&per_page=5"))
            .await;
        assert_eq!(
            (body["count"].clone(), body["pages"].clone()),
            (json!(12), json!(3))
        );
        seen.extend(codes(&body, "debtors", "code"));
    }
    let expected: Vec<String> = (1..=12).map(|i| format!("C{i:05}")).collect();
    assert_eq!(seen, expected, "every debtor once, by code");
    let past = pronto
        .json("/api/json/debtor/v4.json?page=4&per_page=5")
        .await;
    assert_eq!(past, json!({"debtors": [], "count": 12, "pages": 3}));
    // Blank page is the first; the default page is 25.
    let first = pronto.json("/api/json/debtor/v4.json?page=").await;
    assert_eq!(first["debtors"].as_array().unwrap().len(), 12);
    assert_eq!(first["pages"], 1);
    let none = pronto
        .json("/api/json/debtor/v4.json?account_code=NOPE")
        .await;
    assert_eq!(none, json!({"debtors": [], "count": 0, "pages": 0}));
    for (query, needle) in [
        ("page=0", "Invalid page '0'"),
        ("page=-2", "Invalid page '-2'"),
        ("page=two", "Invalid page 'two'"),
        ("per_page=1001", "1000"),
        ("per_page=0", "Invalid per_page '0'"),
    ] {
        let (status, message) = error_of(
            pronto
                .get(&format!("/api/json/debtor/v4.json?{query}"))
                .await,
        )
        .await;
        assert_eq!(status, 400, "{query}");
        assert!(message.contains(needle), "{query}: {message}");
    }
    pronto.shutdown().await;

    let strings = start(
        Some(2),
        ProntoConfig {
            counts_as_strings: true,
            ..quick()
        },
    )
    .await;
    let body = strings.json("/api/json/product/v4?per_page=4").await;
    assert_eq!(
        (body["count"].clone(), body["pages"].clone()),
        (json!("10"), json!("3"))
    );
    strings.shutdown().await;
}

#[tokio::test]
async fn records_keep_the_contracts_key_order_and_formats() {
    let pronto = start(Some(3), quick()).await;
    let keys =
        |record: &Value| -> Vec<String> { record.as_object().unwrap().keys().cloned().collect() };
    let debtors = pronto.json("/api/json/debtor/v4.json").await;
    let keys_of_body: Vec<String> = keys(&debtors);
    assert_eq!(keys_of_body, ["debtors", "count", "pages"]);
    assert_eq!(
        keys(&debtors["debtors"][0]),
        [
            "code",
            "name",
            "email",
            "phone",
            "fax",
            "territory",
            "website",
            "warehouse",
            "customer_type",
            "delivery_address",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(
        keys(&debtors["debtors"][0]["delivery_address"]),
        [
            "address1", "address2", "address3", "address4", "address5", "address6", "address7",
            "postcode"
        ]
    );
    assert_eq!(
        debtors["debtors"][1]["email"], "",
        "one debtor has no e-mail, as \"\""
    );
    let time = debtors["debtors"][0]["updated_at"].as_str().unwrap();
    assert!(
        jiff::civil::DateTime::strptime("%H:%M %d-%b-%Y", time).is_ok(),
        "{time}"
    );

    let products = pronto.json("/api/json/product/v4.json").await;
    let product = &products["products"][0];
    assert_eq!(
        keys(product),
        [
            "code",
            "description",
            "description1",
            "description2",
            "description3",
            "apn",
            "group_code",
            "brand",
            "stock_status",
            "uom",
            "pack_size",
            "saleability",
            "visibility",
            "created_at",
            "updated_at",
            "prices",
            "inventory_quantities",
            "uoms",
            "categories",
            "images"
        ]
    );
    assert_eq!(product["prices"][0]["debtor"], "");
    let base = &product["prices"][0]["base_price"];
    assert_eq!(keys(base), ["currency_code", "inc_tax", "ex_tax"]);
    for price in [&base["inc_tax"], &base["ex_tax"]] {
        let text = price.as_str().unwrap();
        assert_eq!(text.split('.').nth(1).map(str::len), Some(4), "{text}");
    }
    assert!(
        product["inventory_quantities"][0]["quantity"]
            .as_str()
            .unwrap()
            .ends_with(".0")
    );

    let orders = pronto.json("/api/json/order/v4.json").await;
    let numbers = codes(&orders, "orders", "pronto_order_number");
    let expected: Vec<String> = (177_000..177_008).map(|n| n.to_string()).collect();
    assert_eq!(numbers, expected);
    let first = &orders["orders"][0];
    assert_eq!(
        keys(first),
        [
            "pronto_order_number",
            "suffix",
            "customer_reference",
            "debtor",
            "status_code",
            "status_desc",
            "carrier_code",
            "consignment_note",
            "currency_code",
            "delivery_address",
            "delivery_instructions",
            "payment_method",
            "payment_reference",
            "payment_amount",
            "created_at",
            "updated_at",
            "lines"
        ]
    );
    assert_eq!(
        keys(&first["lines"][0]),
        [
            "type",
            "stock_code",
            "description",
            "ordered_qty",
            "backordered_qty",
            "shipped_qty",
            "uom",
            "price_ex_tax",
            "price_inc_tax"
        ]
    );
    // GST is not always 10% of ex-tax, and line numbers come as strings and as floats.
    assert_eq!(
        (
            first["lines"][0]["price_ex_tax"].clone(),
            first["lines"][0]["price_inc_tax"].clone()
        ),
        (json!("10.00"), json!("11.50"))
    );
    assert!(first["lines"][0]["ordered_qty"].is_string());
    assert!(first["lines"][1]["ordered_qty"].is_number());
    assert!(first["lines"][1]["ordered_qty"].to_string().ends_with(".0"));
    assert_eq!(pronto.json("/api/json/category/v5").await["count"], 4);
    pronto.shutdown().await;
}

#[tokio::test]
async fn updated_since_is_inclusive_at_the_minute_in_sydney_time() {
    let pronto = start(None, quick()).await;
    // 09:29:59 and 09:30:59 on 23 July 2025 in Sydney (AEST, UTC+10).
    pronto.state.set_clock(at("2025-07-22T23:29:59Z"));
    pronto.state.upsert_debtor(debtor("EARLY")).unwrap();
    pronto.state.set_clock(at("2025-07-22T23:30:59Z"));
    let shown = pronto.state.upsert_debtor(debtor("LATE")).unwrap();
    assert_eq!(shown["updated_at"], "09:30 23-Jul-2025");
    // A later edit moves updated_at, not created_at.
    pronto.state.set_clock(at("2025-08-01T00:00:00Z"));
    let mut early = debtor("EARLY");
    early["name"] = json!("Early Renamed");
    let edited = pronto.state.upsert_debtor(early).unwrap();
    assert_eq!(
        (edited["created_at"].as_str(), edited["updated_at"].as_str()),
        (Some("09:29 23-Jul-2025"), Some("10:00 01-Aug-2025"))
    );

    // The server's Date is the emulator's clock, which clients take as the time of a pass.
    let dated = pronto.get("/api/json/category/v5.json").await;
    let date = dated.headers()["date"].to_str().unwrap();
    assert!(date.starts_with("Fri, 01 Aug 2025 00:00:0"), "{date}");
    let since = |q: &str| format!("/api/json/debtor/v4.json?{q}");
    let body = pronto.json(&since("updated_since=23-07-2025-09-30")).await;
    assert_eq!(codes(&body, "debtors", "code"), ["EARLY", "LATE"]);
    let body = pronto.json(&since("created_since=23-07-2025-09-30")).await;
    assert_eq!(codes(&body, "debtors", "code"), ["LATE"]);
    let body = pronto.json(&since("created_since=23-07-2025-09-31")).await;
    assert_eq!(body["count"], 0);
    let body = pronto.json(&since("updated_since=01-08-2025-10-01")).await;
    assert_eq!(body["count"], 0);
    for bad in ["2025-01-01", "23-07-2025", "32-01-2025-10-00"] {
        let (status, message) =
            error_of(pronto.get(&since(&format!("updated_since={bad}"))).await).await;
        assert_eq!(status, 400);
        assert_eq!(
            message,
            format!("Invalid updated_since '{bad}': expected DD-MM-YYYY-HH-MM")
        );
    }
    pronto.shutdown().await;
}

#[tokio::test]
async fn each_listing_filters_on_its_own_keys_and_ignores_unknown_ones() {
    let pronto = start(Some(4), quick()).await;
    let body = pronto
        .json("/api/json/debtor/v4.json?account_code=C00003&colour=blue")
        .await;
    assert_eq!(codes(&body, "debtors", "code"), ["C00003"]);
    let body = pronto.json("/api/json/product/v4.json?code=SKU00002").await;
    assert_eq!(codes(&body, "products", "code"), ["SKU00002"]);
    let all = pronto.json("/api/json/order/v4.json").await;
    let second = &all["orders"][1];
    let body = pronto.json("/api/json/order/v4.json?number=177001").await;
    assert_eq!(codes(&body, "orders", "pronto_order_number"), ["177001"]);
    let reference = second["customer_reference"].as_str().unwrap();
    let body = pronto
        .json(&format!(
            "/api/json/order/v4.json?customer_reference={reference}"
        ))
        .await;
    assert_eq!(codes(&body, "orders", "pronto_order_number"), ["177001"]);
    let debtor = second["debtor"].as_str().unwrap();
    let body = pronto
        .json(&format!("/api/json/order/v4.json?debtor={debtor}"))
        .await;
    let expected: Vec<String> = all["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["debtor"] == debtor)
        .map(|o| o["pronto_order_number"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes(&body, "orders", "pronto_order_number"), expected);
    pronto.shutdown().await;
}

#[tokio::test]
async fn past_the_limit_a_call_is_refused_until_the_minute_has_rolled() {
    let pronto = start(
        Some(5),
        ProntoConfig {
            requests_per_minute: 3,
            ..ProntoConfig::default()
        },
    )
    .await;
    let start = pronto.state.now();
    let at_second = |s: i64| {
        pronto
            .state
            .set_clock(start.checked_add(SignedDuration::from_secs(s)).unwrap())
    };
    let retry_after = |response: &reqwest::Response| -> u64 {
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    at_second(0);
    // Refused credentials do not use the allowance.
    let unauthenticated = pronto
        .client
        .get(format!("{}/api/json/debtor/v4", pronto.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(pronto.get("/api/json/debtor/v4").await.status(), 200);
    // Failed calls count too.
    at_second(20);
    assert_eq!(pronto.get("/api/json/debtor/v9").await.status(), 404);
    at_second(40);
    assert_eq!(pronto.get("/api/json/debtor/v4?page=0").await.status(), 400);
    at_second(50);
    let refused = pronto.get("/api/json/debtor/v4").await;
    assert!(
        (10..=11).contains(&retry_after(&refused)),
        "{:?}",
        refused.headers()
    );
    let (status, message) = error_of(refused).await;
    assert_eq!(
        (status, message.as_str()),
        (429, "Rate limit exceeded: 3 calls per minute")
    );
    assert_eq!((pronto.state.calls(), pronto.state.rejected_429()), (3, 1));
    // A minute after the first call, one call is free again, and only one.
    at_second(61);
    assert_eq!(pronto.get("/api/json/debtor/v4").await.status(), 200);
    at_second(62);
    let refused = pronto.get("/api/json/debtor/v4").await;
    assert_eq!(refused.status(), 429);
    assert!(
        (18..=19).contains(&retry_after(&refused)),
        "{:?}",
        refused.headers()
    );
    assert_eq!((pronto.state.calls(), pronto.state.rejected_429()), (4, 2));
    pronto.shutdown().await;
}

#[tokio::test]
async fn an_alias_serves_its_target_and_an_unknown_version_is_404() {
    let pronto = start(
        Some(6),
        ProntoConfig {
            aliases: vec![("debtor/v5_rgs".into(), "debtor/v4".into())],
            ..quick()
        },
    )
    .await;
    let standard = pronto.json("/api/json/debtor/v4.json").await;
    assert_eq!(pronto.json("/api/json/debtor/v5_rgs.json").await, standard);
    assert_eq!(
        pronto.json("/api/json/debtor/v4").await,
        standard,
        ".json is optional"
    );
    for (method, path) in [
        ("GET", "/api/json/debtor/v9.json"),
        ("GET", "/api/json/order/v6.json"),
        ("POST", "/api/json/debtor/v4.json"),
        ("GET", "/api/json/invoice/v4.json"),
        ("GET", "/api/csv/debtor/v4.json"),
        ("GET", "/other"),
    ] {
        let response = match method {
            "GET" => pronto.get(path).await,
            _ => pronto.post(path, "{}").await,
        };
        let (status, message) = error_of(response).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(message, format!("No route matches [{method}] \"{path}\""));
    }
    let (status, message) = error_of(pronto.get("/api/xml/debtor/v4.xml").await).await;
    assert_eq!(
        (status, message.as_str()),
        (406, "only the json format is served")
    );
    pronto.shutdown().await;
}

#[tokio::test]
async fn an_injected_fault_answers_in_prontos_error_shape() {
    let pronto = serve(ProntoState::seeded(quick(), 7), Some("503=1")).await;
    let (status, message) = error_of(pronto.get("/api/json/debtor/v4.json").await).await;
    assert_eq!(status, 503);
    assert!(!message.is_empty());
    pronto.shutdown().await;
    let pronto = serve(ProntoState::seeded(quick(), 7), Some("500=1")).await;
    let (status, _) = error_of(pronto.get("/api/json/debtor/v4.json").await).await;
    assert_eq!(status, 500);
    pronto.shutdown().await;
}

#[tokio::test]
async fn a_year_of_records_seeds_quickly() {
    let config = ProntoConfig {
        debtors: 10_000,
        products: 5_000,
        orders: 2_000,
        ..quick()
    };
    let started = Instant::now();
    let state = ProntoState::seeded(config, 11);
    let took = started.elapsed();
    // A third of a second in a debug build, a fraction of that in release.
    assert!(took < Duration::from_secs(1), "seeding took {took:?}");
    let pronto = serve(state, None).await;
    for (path, count) in [
        ("debtor/v4", 10_000),
        ("product/v4", 5_000),
        ("order/v4", 2_000),
    ] {
        let body = pronto
            .json(&format!("/api/json/{path}?per_page=1000"))
            .await;
        assert_eq!(body["count"], count, "{path}");
        assert_eq!(body["pages"], count / 1_000, "{path}");
    }
    pronto.shutdown().await;
}

#[test]
fn the_same_seed_gives_the_same_tenant_spread_over_the_past_year() {
    let a = ProntoState::seeded(quick(), 11);
    let b = ProntoState::seeded(quick(), 11);
    // Times follow the clock, which has moved between the two; all else is the same.
    let timeless = |records: Vec<Value>| -> Vec<Value> {
        records
            .into_iter()
            .map(|mut r| {
                let object = r.as_object_mut().unwrap();
                object.remove("created_at");
                object.remove("updated_at");
                r
            })
            .collect()
    };
    assert_eq!(timeless(a.debtors()), timeless(b.debtors()));
    assert_eq!(timeless(a.products()), timeless(b.products()));
    assert_eq!(timeless(a.orders()), timeless(b.orders()));
    assert_ne!(
        timeless(ProntoState::seeded(quick(), 12).debtors()),
        timeless(a.debtors())
    );
    let now = a.now();
    let year_ago = now
        .checked_sub(SignedDuration::from_hours(24 * 366))
        .unwrap();
    let sydney = jiff::tz::TimeZone::get("Australia/Sydney").unwrap();
    let parse = |text: &Value| {
        jiff::civil::DateTime::strptime("%H:%M %d-%b-%Y", text.as_str().unwrap())
            .unwrap()
            .to_zoned(sydney.clone())
            .unwrap()
            .timestamp()
    };
    for record in a.debtors().iter().chain(&a.products()).chain(&a.orders()) {
        let (created, updated) = (parse(&record["created_at"]), parse(&record["updated_at"]));
        assert!(
            year_ago <= created && created <= updated && updated <= now,
            "{record}"
        );
    }
}
