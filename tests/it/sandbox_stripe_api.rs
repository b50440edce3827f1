//! The Stripe emulator's resources over HTTP: customers, validation, lists, search, events.

use crate::sandbox_stripe_support;

use sandbox_stripe_support::{err, ok, quiet, send, start};
use serde_json::{Value, json};

#[tokio::test]
async fn customers_create_retrieve_update_delete() {
    let s = start(quiet()).await;
    let c = ok(s.post(
        "/v1/customers",
        "name=Ann+Lee&email=ann%40example.com&metadata[erp_id]=C-001&address[city]=Melbourne&balance=-50",
    ))
    .await;
    let id = c["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("cus_") && id.len() == 18, "{id}");
    assert_eq!(c["object"], "customer");
    assert_eq!(c["livemode"], false);
    assert_eq!(c["balance"], -50);
    assert_eq!(c["metadata"], json!({"erp_id": "C-001"}));
    assert_eq!(
        c["address"],
        json!({"city": "Melbourne", "country": null, "line1": null, "line2": null, "postal_code": null, "state": null})
    );
    assert_eq!(ok(s.get(&format!("/v1/customers/{id}"))).await, c);

    let u = ok(s.post(
        &format!("/v1/customers/{id}"),
        "email=ann%40new.example&metadata[erp_id]=&metadata[tier]=gold&address=",
    ))
    .await;
    assert_eq!(u["email"], "ann@new.example");
    assert_eq!(u["metadata"], json!({"tier": "gold"}));
    assert_eq!(u["address"], Value::Null);
    assert_eq!(u["name"], "Ann Lee");

    let d = ok(s.delete(&format!("/v1/customers/{id}"))).await;
    assert_eq!(d, json!({"id": id, "object": "customer", "deleted": true}));
    let gone = ok(s.get(&format!("/v1/customers/{id}"))).await;
    assert_eq!(gone["deleted"], true);
    let e = err(s.get("/v1/customers/cus_nope"), 404).await;
    assert_eq!(e["code"], "resource_missing");
    assert_eq!(e["message"], "No such customer: 'cus_nope'");
}

/// As Stripe: an update replaces a nested hash whole (`address`, `shipping`) and merges only
/// `metadata`, key by key; `shipping` needs its `name` and `address` on every update.
#[tokio::test]
async fn an_update_replaces_nested_hashes_and_merges_metadata() {
    let s = start(quiet()).await;
    let c = ok(s.post(
        "/v1/customers",
        "email=ann%40example.com&metadata[erp_id]=C-001&address[line1]=1+Main+St\
         &address[city]=Sydney&address[state]=NSW&address[postal_code]=2000&address[country]=AU\
         &shipping[name]=Ann&shipping[address][city]=Sydney&shipping[address][country]=AU",
    ))
    .await;
    let id = c["id"].as_str().unwrap().to_string();
    let u = ok(s.post(
        &format!("/v1/customers/{id}"),
        "address[city]=Newcastle&address[postal_code]=2300&metadata[tier]=gold",
    ))
    .await;
    assert_eq!(
        u["address"],
        json!({"city": "Newcastle", "country": null, "line1": null, "line2": null,
            "postal_code": "2300", "state": null})
    );
    assert_eq!(u["metadata"], json!({"erp_id": "C-001", "tier": "gold"}));

    let e = err(
        s.post(
            &format!("/v1/customers/{id}"),
            "shipping[address][city]=Newcastle",
        ),
        400,
    )
    .await;
    assert_eq!(
        (e["code"].clone(), e["param"].clone()),
        (json!("parameter_missing"), json!("shipping[name]"))
    );
    let e = err(
        s.post(&format!("/v1/customers/{id}"), "shipping[name]=Ann"),
        400,
    )
    .await;
    assert_eq!(e["param"], "shipping[address]");
    let e = err(
        s.post(&format!("/v1/customers/{id}"), "address[line2]="),
        400,
    )
    .await;
    assert_eq!(
        (e["code"].clone(), e["param"].clone()),
        (json!("parameter_invalid_empty"), json!("address[line2]"))
    );
    let u = ok(s.post(
        &format!("/v1/customers/{id}"),
        "shipping[name]=Ann&shipping[address][city]=Newcastle",
    ))
    .await;
    assert_eq!(
        u["shipping"]["address"],
        json!({"city": "Newcastle", "country": null, "line1": null, "line2": null,
            "postal_code": null, "state": null})
    );
    let u = ok(s.post(&format!("/v1/customers/{id}"), "metadata[erp_id]=")).await;
    assert_eq!(u["metadata"], json!({"tier": "gold"}));
}

#[tokio::test]
async fn parameters_are_checked_against_the_spec() {
    let s = start(quiet()).await;
    let e = err(s.post("/v1/customers", "name=A&nmae=B"), 400).await;
    assert_eq!(e["type"], "invalid_request_error");
    assert_eq!(e["code"], "parameter_unknown");
    assert_eq!(e["param"], "nmae");
    assert_eq!(e["message"], "Received unknown parameter: nmae");
    let e = err(s.post("/v1/customers", "address[town]=X"), 400).await;
    assert_eq!(e["param"], "address[town]");
    let e = err(s.post("/v1/customers", "balance=lots"), 400).await;
    assert_eq!(e["code"], "parameter_invalid_integer");
    assert_eq!(e["param"], "balance");
    let e = err(s.post("/v1/customers", "email="), 400).await;
    assert_eq!(e["code"], "parameter_invalid_empty");
    let e = err(s.post("/v1/prices", "unit_amount=100"), 400).await;
    assert_eq!(
        (e["code"].clone(), e["param"].clone()),
        (json!("parameter_missing"), json!("currency"))
    );
    let e = err(s.post("/v1/customers", "tax_exempt=sometimes"), 400).await;
    assert_eq!(e["param"], "tax_exempt");
    let e = err(s.get("/v1/customers?limit=0"), 400).await;
    assert_eq!(e["param"], "limit");
    assert_eq!(
        err(s.get("/v1/customers?limit=101"), 400).await["param"],
        "limit"
    );
    let e = err(s.get("/v1/customers?starting_after=a&ending_before=b"), 400).await;
    assert_eq!(e["code"], "parameters_exclusive");
    let e = err(s.get("/v1/nothing"), 404).await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("Unrecognized request URL (GET: /v1/nothing)")
    );
    assert_eq!(
        s.state.count("customer"),
        0,
        "nothing was created by a rejected request"
    );
}

#[tokio::test]
async fn metadata_limits() {
    let s = start(quiet()).await;
    let long_key = "k".repeat(41);
    let e = err(
        s.post("/v1/customers", &format!("metadata[{long_key}]=x")),
        400,
    )
    .await;
    assert_eq!(e["param"], format!("metadata[{long_key}]"));
    ok(s.post("/v1/customers", &format!("metadata[{}]=x", "k".repeat(40)))).await;
    let e = err(
        s.post("/v1/customers", &format!("metadata[v]={}", "x".repeat(501))),
        400,
    )
    .await;
    assert_eq!(e["param"], "metadata[v]");
    ok(s.post("/v1/customers", &format!("metadata[v]={}", "x".repeat(500)))).await;
    let fifty: Vec<String> = (0..50).map(|i| format!("metadata[k{i}]=v")).collect();
    let c = ok(s.post("/v1/customers", &fifty.join("&"))).await;
    let id = c["id"].as_str().unwrap();
    let e = err(
        s.post(&format!("/v1/customers/{id}"), "metadata[one_more]=v"),
        400,
    )
    .await;
    assert_eq!(e["param"], "metadata");
    // Deleting one makes room.
    ok(s.post(
        &format!("/v1/customers/{id}"),
        "metadata[k0]=&metadata[one_more]=v",
    ))
    .await;
}

#[tokio::test]
async fn list_paging_covers_every_customer_once_newest_first() {
    let s = start(quiet()).await;
    let mut created = Vec::new();
    for i in 0..37 {
        let c = ok(s.post("/v1/customers", &format!("email=c{i}%40example.com"))).await;
        created.push(c["id"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(id) => format!("/v1/customers?limit=10&starting_after={id}"),
            None => "/v1/customers?limit=10".to_string(),
        };
        let page = ok(s.get(&query)).await;
        assert_eq!(page["object"], "list");
        assert_eq!(page["url"], "/v1/customers");
        let ids: Vec<String> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        seen.extend(ids.iter().cloned());
        if page["has_more"] == false {
            break;
        }
        cursor = ids.last().cloned();
    }
    created.reverse();
    assert_eq!(seen, created);

    // ending_before walks back towards the newest.
    let page = ok(s.get(&format!(
        "/v1/customers?limit=3&ending_before={}",
        created[10]
    )))
    .await;
    let ids: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        created[7..10]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert_eq!(page["has_more"], true);

    let page = ok(s.get("/v1/customers?email=c5%40example.com")).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["id"], created[36 - 5]);
    let e = err(s.get("/v1/customers?starting_after=cus_missing"), 404).await;
    assert_eq!(e["param"], "starting_after");
}

#[tokio::test]
async fn the_email_filter_follows_updates_and_deletes_newest_first() {
    let s = start(quiet()).await;
    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let a = ok(s.post("/v1/customers", "email=a%40example.com")).await;
    let b = ok(s.post("/v1/customers", "email=b%40example.com")).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let c = ok(s.post("/v1/customers", "email=a%40example.com")).await;
    let c = c["id"].as_str().unwrap();
    // b, created between a and c, takes a's email: the list stays newest first.
    ok(s.post(&format!("/v1/customers/{b}"), "email=a%40example.com")).await;
    let page = ok(s.get("/v1/customers?email=a%40example.com")).await;
    assert_eq!(ids(&page), [c, b, a]);
    let page = ok(s.get("/v1/customers?email=b%40example.com")).await;
    assert_eq!(ids(&page), Vec::<String>::new());
    let page = ok(s.get("/v1/customers?email=a%40example.com&limit=1")).await;
    assert_eq!(
        (ids(&page), page["has_more"].clone()),
        (vec![c.to_string()], json!(true))
    );
    let page = ok(s.get(&format!(
        "/v1/customers?email=a%40example.com&starting_after={c}"
    )))
    .await;
    assert_eq!(ids(&page), [b, a]);
    ok(s.delete(&format!("/v1/customers/{b}"))).await;
    let page = ok(s.get("/v1/customers?email=a%40example.com")).await;
    assert_eq!(ids(&page), [c, a]);
}

#[tokio::test]
async fn search_syntax() {
    let s = start(quiet()).await;
    for (name, email, erp) in [
        ("Acme Pty", "ops@acme.example", "C-1"),
        ("Acme Ltd", "billing@acme.example", "C-2"),
        ("Zenith", "hi@zenith.example", "C-3"),
    ] {
        ok(s.post(
            "/v1/customers",
            &format!("name={name}&email={email}&metadata[erp_id]={erp}"),
        ))
        .await;
    }
    let names = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let search = |q: &str| s.get(&format!("/v1/customers/search?query={}", urlencode(q)));
    let page = ok(search(r#"email:"hi@zenith.example""#)).await;
    assert_eq!(page["object"], "search_result");
    assert_eq!(page["url"], "/v1/customers/search");
    assert_eq!(names(&page), ["Zenith"]);
    assert_eq!(
        names(&ok(search(r#"name~"acme""#)).await),
        ["Acme Ltd", "Acme Pty"]
    );
    assert_eq!(
        names(&ok(search(r#"metadata["erp_id"]:"C-2""#)).await),
        ["Acme Ltd"]
    );
    assert_eq!(
        names(&ok(search(r#"name~"acme" AND -metadata["erp_id"]:"C-2""#)).await),
        ["Acme Pty"]
    );
    assert_eq!(
        names(
            &ok(search(
                r#"metadata["erp_id"]:"C-1" OR metadata["erp_id"]:"C-3""#
            ))
            .await
        ),
        ["Zenith", "Acme Pty"]
    );
    assert_eq!(names(&ok(search("created>0")).await).len(), 3);
    let e = err(search(r#"name:"a" AND email:"b" OR phone:"c""#), 400).await;
    assert_eq!(e["param"], "query");
    let e = err(search(r#"colour:"red""#), 400).await;
    assert!(e["message"].as_str().unwrap().contains("colour"));
    let e = err(s.get("/v1/customers/search"), 400).await;
    assert_eq!(e["code"], "parameter_missing");

    // Paging with `page`.
    let first = ok(s.get(&format!(
        "/v1/customers/search?limit=2&query={}",
        urlencode("created>0")
    )))
    .await;
    assert_eq!(first["has_more"], true);
    let next = first["next_page"].as_str().unwrap();
    let second = ok(s.get(&format!(
        "/v1/customers/search?limit=2&page={next}&query={}",
        urlencode("created>0")
    )))
    .await;
    assert_eq!(names(&second), ["Acme Pty"]);
    assert_eq!(second["next_page"], Value::Null);
}

#[tokio::test]
async fn events_record_creates_and_updates_in_order() {
    let s = start(quiet()).await;
    let c = ok(s.post("/v1/customers", "email=a%40example.com")).await;
    let id = c["id"].as_str().unwrap();
    ok(s.post(
        &format!("/v1/customers/{id}"),
        "email=b%40example.com&metadata[k]=v",
    ))
    .await;
    ok(s.post(&format!("/v1/customers/{id}"), "email=b%40example.com")).await; // no change, no event
    let p = ok(s.post("/v1/products", "name=Licence")).await;
    let price = ok(s.post(
        "/v1/prices",
        &format!(
            "product={}&currency=aud&unit_amount=1500&recurring[interval]=month",
            p["id"].as_str().unwrap()
        ),
    ))
    .await;
    assert_eq!(price["type"], "recurring");
    assert_eq!(price["unit_amount_decimal"], "1500");
    let events = ok(s.get("/v1/events?limit=100")).await;
    let types: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "price.created",
            "product.created",
            "customer.updated",
            "customer.created"
        ]
    );
    let updated = &events["data"][2];
    assert_eq!(updated["data"]["object"]["email"], "b@example.com");
    assert_eq!(
        updated["data"]["previous_attributes"],
        json!({"email": "a@example.com", "metadata": {"k": null}})
    );
    assert!(updated["id"].as_str().unwrap().starts_with("evt_"));
    let only = ok(s.get("/v1/events?type=customer.*")).await;
    assert_eq!(only["data"].as_array().unwrap().len(), 2);
    let only = ok(s.get("/v1/events?types[]=price.created&types[]=product.created")).await;
    assert_eq!(only["data"].as_array().unwrap().len(), 2);
    let none = ok(s.get("/v1/events?created[gt]=4102444800")).await;
    assert_eq!(none["data"], json!([]));
}

#[tokio::test]
async fn prices_follow_stripes_rules() {
    let s = start(quiet()).await;
    let e = err(
        s.post(
            "/v1/prices",
            "currency=aud&unit_amount=5&product=prod_missing",
        ),
        404,
    )
    .await;
    assert_eq!(e["param"], "product");
    let price = ok(s.post(
        "/v1/prices",
        "currency=aud&unit_amount=5&product_data[name]=Gadget&lookup_key=gadget",
    ))
    .await;
    let id = price["id"].as_str().unwrap();
    let e = err(s.post(&format!("/v1/prices/{id}"), "unit_amount=6"), 400).await;
    assert_eq!(e["code"], "parameter_unknown");
    let u = ok(s.post(&format!("/v1/prices/{id}"), "nickname=Std&active=false")).await;
    assert_eq!(
        (u["nickname"].clone(), u["active"].clone()),
        (json!("Std"), json!(false))
    );
    let e = err(
        s.post(
            "/v1/prices",
            "currency=aud&unit_amount=5&product_data[name]=G2&lookup_key=gadget",
        ),
        400,
    )
    .await;
    assert_eq!(e["param"], "lookup_key");
    let expanded = ok(s.get(&format!("/v1/prices/{id}?expand[]=product"))).await;
    assert_eq!(expanded["product"]["name"], "Gadget");
}

#[tokio::test]
async fn seeded_state_is_deterministic_and_listable() {
    let options = || ferry::sandbox::stripe::StripeOptions {
        seed: Some(7),
        rate_limit: None,
        seed_customers: 300,
        seed_charges: 400,
        now: Some(1_750_000_000),
        ..Default::default()
    };
    let a = start(options()).await;
    let b = start(options()).await;
    assert_eq!(a.state.count("customer"), 300);
    assert_eq!(a.state.count("charge"), 400);
    assert!(a.state.count("event") >= 300 + 400);
    let page_a = ok(a.get("/v1/charges?limit=5&expand[]=data.customer")).await;
    let page_b = ok(b.get("/v1/charges?limit=5&expand[]=data.customer")).await;
    assert_eq!(page_a, page_b);
    let events = ok(a.get("/v1/events?limit=100")).await;
    let created: Vec<i64> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["created"].as_i64().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let (status, charge) = send(a.post("/v1/sandbox/charges", "amount=1234&currency=aud")).await;
    assert_eq!(status, 200, "{charge}");
    assert_eq!(charge["amount"], 1234);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
