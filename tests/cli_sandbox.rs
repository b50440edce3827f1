//! `ferry sandbox` starts every emulator on one port, reachable with the credentials that the
//! shipped ferry.yaml's sandbox environment uses.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_sandbox_serves_stripe_capsule_and_business_central() {
    ferry::init_tls();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["sandbox", "--port", "0", "--seed", "7"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _running = Running(child);
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first.rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");
    std::thread::spawn(move || for _ in lines {});

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
