//! `ferry sandbox` starts every emulator on one port, reachable with the credentials that the
//! shipped ferry.yaml's sandbox environment uses.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ferry sandbox --port 0 ARGS...`, and the base URL it prints.
fn sandbox(args: &[&str]) -> (Running, String) {
    ferry::init_tls();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["sandbox", "--port", "0"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let running = Running(child);
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first.rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");
    std::thread::spawn(move || for _ in lines {});
    (running, base)
}

#[tokio::test]
async fn the_sandbox_serves_stripe_capsule_and_business_central() {
    let (_running, base) = sandbox(&["--seed", "7"]);

    let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ferry.yaml")).unwrap();
    let http = reqwest::Client::new();

    let customers = http
        .get(format!("{base}/stripe/v1/customers?limit=3"))
        .bearer_auth("sk_test_sandbox")
        .send()
        .await
        .unwrap();
    assert_eq!(customers.status(), 200);
    let body: serde_json::Value = customers.json().await.unwrap();
    assert_eq!(body["object"], "list");
    assert_eq!(body["data"].as_array().unwrap().len(), 3);

    assert!(yaml.contains(ferry::sandbox::capsule::DEFAULT_TOKEN));
    let parties = http
        .get(format!("{base}/capsule/api/v2/parties?perPage=5"))
        .bearer_auth(ferry::sandbox::capsule::DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(parties.status(), 200);
    assert!(parties.headers().contains_key("link"));

    assert!(yaml.contains(ferry::sandbox::business_central::COMPANY_ID));
    let token: serde_json::Value = http
        .post(format!("{base}/oauth/sandbox-tenant/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=ferry-sandbox-client&client_secret=ferry-sandbox-secret&scope=https%3A%2F%2Fapi.businesscentral.dynamics.com%2F.default")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap();
    let customers = http
        .get(format!(
            "{base}/business_central/v2.0/sandbox-tenant/sandbox/api/v2.0/companies({})/customers?$top=2",
            ferry::sandbox::business_central::COMPANY_ID
        ))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(customers.status(), 200);
    let body: serde_json::Value = customers.json().await.unwrap();
    assert_eq!(body["value"].as_array().unwrap().len(), 2);
}

/// With `--webhook URL`, Stripe's events go to URL signed with the secret ferry.yaml's sandbox
/// environment expects.
#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_sends_webhooks_signed_with_the_project_files_secret() {
    use ferry::connectors::stripe::signature;
    use ferry::sandbox::stripe::DEFAULT_WEBHOOK_SECRET;

    let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ferry.yaml")).unwrap();
    assert!(yaml.contains(&format!("webhook_secret: {DEFAULT_WEBHOOK_SECRET}")));
    let (sender, mut deliveries) = tokio::sync::mpsc::unbounded_channel();
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: String| async move {
                let signature = headers["stripe-signature"].to_str().unwrap().to_string();
                let _ = sender.send((signature, body));
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, hook).await;
    });

    let (_running, base) = sandbox(&["--webhook", &url]);
    let customer: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/stripe/v1/customers"))
        .bearer_auth("sk_test_sandbox")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=hook%40example.com")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (header, body) = tokio::time::timeout(Duration::from_secs(30), deliveries.recv())
        .await
        .unwrap()
        .unwrap();
    let secret = ferry::project::Secret::new(DEFAULT_WEBHOOK_SECRET);
    let verified = signature::verify(
        &header,
        body.as_bytes(),
        &[secret],
        jiff::Timestamp::now(),
        signature::DEFAULT_TOLERANCE,
    );
    assert!(verified.is_ok(), "{verified:?}");
    let event: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "customer.created");
    assert_eq!(event["data"]["object"]["id"], customer["id"]);
}
