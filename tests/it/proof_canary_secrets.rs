//! Proof 5: canary credentials. Every shipped pipeline runs with recognisable canary secrets
//! (from the environment and from a secret file), through `ferry lint`, `ferry run` (a dry run,
//! a real one, and one with a wrong key), `ferry dlq` and `ferry serve` (signed webhooks,
//! a forged one, `/metrics`, `/healthz`, `/readyz`). Then everything ferry wrote is searched for
//! the canaries, as written, URL-encoded and base64-encoded: its output and logs (at debug
//! level, as JSON), every table of the store, the files it left, and its HTTP answers.

use crate::proof_support;
use crate::run_support;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use ferry::project::Secret;
use ferry::sandbox::business_central::BusinessCentralConfig;
use ferry::sandbox::capsule::CapsuleConfig;
use ferry::sandbox::pronto::{ProntoConfig, ProntoState};
use ferry::sandbox::stripe::{StripeOptions, WebhookEndpoint};
use ferry::sandbox::syspro::SysproConfig;
use proof_support::{Report, count, read_store, tail};
use run_support::*;

const STRIPE_KEY: &str = "sk_test_CANARYstripe7f3a9c0d2e";
const WRONG_STRIPE_KEY: &str = "sk_test_CANARYwrongkey41b8e6";
const WEBHOOK_SECRET: &str = "whsec_CANARYwebhook51b2d77a";
const CAPSULE_TOKEN: &str = "CANARYcapsule88d1c3f0aa";
const BC_SECRET: &str = "CANARYbusinesscentral9e0f41";
const SYSPRO_PASSWORD: &str = "CANARYsysprooperator3c71d2";
const SYSPRO_COMPANY_PASSWORD: &str = "CANARYsysprocompany58e0a9";
const PRONTO_PASSWORD: &str = "CANARYprontoavenue6b2e90d4";
const PRONTO_USER: &str = "ferry-sandbox@example.com";

fn canaries() -> [&'static str; 8] {
    [
        STRIPE_KEY,
        WRONG_STRIPE_KEY,
        WEBHOOK_SECRET,
        CAPSULE_TOKEN,
        BC_SECRET,
        SYSPRO_PASSWORD,
        SYSPRO_COMPANY_PASSWORD,
        PRONTO_PASSWORD,
    ]
}

fn repo(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// `ferry ARGS` with the canaries in its environment; its exit status, and its output appended
/// to `corpus`.
async fn ferry_run(dir: &Path, args: &[&str], corpus: &mut String) -> std::process::ExitStatus {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .current_dir(dir)
        .envs(environment())
        .output()
        .await
        .unwrap();
    corpus.push_str(&String::from_utf8_lossy(&output.stdout));
    corpus.push_str(&String::from_utf8_lossy(&output.stderr));
    output.status
}

fn environment() -> Vec<(&'static str, &'static str)> {
    vec![
        ("CANARY_STRIPE_KEY", STRIPE_KEY),
        ("CANARY_WRONG_STRIPE_KEY", WRONG_STRIPE_KEY),
        ("CANARY_CAPSULE_TOKEN", CAPSULE_TOKEN),
        ("CANARY_SYSPRO_PASSWORD", SYSPRO_PASSWORD),
        ("CANARY_PRONTO_PASSWORD", PRONTO_PASSWORD),
        ("RUST_LOG", "debug"),
        ("NO_COLOR", "1"),
    ]
}

fn write_project(dir: &Path, base: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("secrets")).unwrap();
    std::fs::write(
        dir.join("secrets/bc_client_secret"),
        format!("{BC_SECRET}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("secrets/webhook_secret"), WEBHOOK_SECRET).unwrap();
    std::fs::write(
        dir.join("secrets/syspro_company_password"),
        SYSPRO_COMPANY_PASSWORD,
    )
    .unwrap();
    let text = format!(
        "version: 1\n\
         timezone: Australia/Sydney\n\
         store: sqlite://state.db\n\
         default_environment: canary\n\
         connections:\n  \
           stripe:\n    kind: stripe\n    api_key: ${{CANARY_STRIPE_KEY}}\n    webhook_secret: file:secrets/webhook_secret\n    base_url: {base}/stripe\n  \
           capsule:\n    kind: capsule\n    token: ${{CANARY_CAPSULE_TOKEN}}\n    base_url: {base}/capsule/api/v2\n  \
           business_central:\n    kind: business_central\n    base_url: {base}/business_central\n    login_url: {base}/oauth\n    tenant: sandbox-tenant\n    environment: sandbox\n    company_id: 00000000-0000-0000-0000-000000000001\n    client_id: ferry-sandbox-client\n    client_secret: file:secrets/bc_client_secret\n    journal: GENERAL\n  \
           syspro:\n    kind: syspro\n    base_url: {base}/syspro\n    operator: ADMIN\n    operator_password: ${{CANARY_SYSPRO_PASSWORD}}\n    company_id: EDU1\n    company_password: file:secrets/syspro_company_password\n  \
           pronto:\n    kind: pronto\n    base_url: {base}/pronto\n    username: {PRONTO_USER}\n    password: ${{CANARY_PRONTO_PASSWORD}}\n\
         environments:\n  \
           canary: {{}}\n  \
           wrong_key:\n    connections:\n      stripe:\n        api_key: ${{CANARY_WRONG_STRIPE_KEY}}\n      syspro:\n        operator_password: ${{CANARY_WRONG_STRIPE_KEY}}\n      pronto:\n        password: ${{CANARY_WRONG_STRIPE_KEY}}\n"
    );
    let path = dir.join("ferry.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Every row of every table, as text.
async fn dump_store(path: &Path) -> (String, i64) {
    let store = read_store(path).await;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&store)
            .await
            .unwrap();
    let mut text = String::new();
    let mut rows = 0;
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}')"
        )))
        .fetch_all(&store)
        .await
        .unwrap();
        let joined = columns
            .iter()
            .map(|c| {
                format!(
                    "coalesce(CASE typeof(\"{c}\") WHEN 'blob' THEN hex(\"{c}\") ELSE CAST(\"{c}\" AS TEXT) END, '')"
                )
            })
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let lines: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {joined} FROM \"{table}\""
        )))
        .fetch_all(&store)
        .await
        .unwrap();
        rows += lines.len() as i64;
        text.push_str(&format!("== {table}\n"));
        for line in lines {
            text.push_str(&line);
            text.push('\n');
        }
    }
    store.close().await;
    (text, rows)
}

/// Every file under `dir` but the secret files and ferry.yaml, as text.
fn files(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "secrets") {
                continue;
            }
            files(&path, out);
        } else if path.file_name().is_some_and(|n| n != "ferry.yaml") {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
}

fn shipped_pipelines() -> Vec<String> {
    let mut pipelines: Vec<String> = std::fs::read_dir(repo("pipelines"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ferry"))
        .map(|p| p.display().to_string())
        .collect();
    pipelines.sort();
    pipelines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_canary_secret_appears_in_anything_ferry_writes() {
    let mut report = Report::new("canary secrets");
    let world = world_from(
        StripeOptions {
            seed: Some(3),
            rate_limit: None,
            seed_customers: 0,
            seed_charges: 0,
            seed_products: 0,
            api_keys: Some(vec![STRIPE_KEY.into(), "sk_test_e2e".into()]),
            ..StripeOptions::default()
        },
        |builder| {
            builder
                .seed(Some(5))
                .capsule(CapsuleConfig {
                    tokens: vec![CAPSULE_TOKEN.into()],
                    people: 40,
                    ..CapsuleConfig::default()
                })
                .business_central(BusinessCentralConfig {
                    client_secret: BC_SECRET.into(),
                    ..BusinessCentralConfig::default()
                })
                .syspro(SysproConfig {
                    operators: vec![("ADMIN".into(), SYSPRO_PASSWORD.into())],
                    company_password: Some(SYSPRO_COMPANY_PASSWORD.into()),
                    ..SysproConfig::default()
                })
                .state(ProntoState::seeded(
                    ProntoConfig {
                        password: PRONTO_PASSWORD.into(),
                        requests_per_minute: 0,
                        transaction_delay: std::time::Duration::ZERO,
                        ..ProntoConfig::default()
                    },
                    5,
                ))
        },
    )
    .await;
    let dir = world.dir.path().to_path_buf();
    let project = write_project(&dir, &world.base);
    let project_arg = project.display().to_string();
    let mut corpus = String::new();

    // Stripe activity for every webhook-fed pipeline.
    let customer = world
        .stripe_post(
            "/v1/customers",
            "email=kath%40canary.example&name=Katherine",
        )
        .await;
    let customer_id = customer["id"].as_str().unwrap().to_string();
    let charges = world
        .sandbox_charges(&[12550, 990], Some(&customer_id))
        .await;
    world
        .stripe_post(
            "/v1/sandbox/payouts",
            &format!(
                "currency=aud&refunds[0][charge]={}&refunds[0][amount]=500",
                charges[0]
            ),
        )
        .await;
    let price = world
        .stripe_post(
            "/v1/prices",
            "currency=aud&unit_amount=2000&recurring[interval]=month&product_data[name]=Plan",
        )
        .await;
    world
        .stripe_post(
            "/v1/subscriptions",
            &format!(
                "customer={customer_id}&items[0][price]={}",
                price["id"].as_str().unwrap()
            ),
        )
        .await;
    world
        .stripe_post(
            "/v1/invoiceitems",
            &format!("customer={customer_id}&amount=1250&currency=aud&description=Setup"),
        )
        .await;
    let invoice = world
        .stripe_post("/v1/invoices", &format!("customer={customer_id}"))
        .await;
    let invoice_id = invoice["id"].as_str().unwrap();
    world
        .stripe_post(&format!("/v1/invoices/{invoice_id}/finalize"), "")
        .await;
    world
        .stripe_post(&format!("/v1/invoices/{invoice_id}/pay"), "")
        .await;
    // A Capsule person Stripe will refuse: a dead letter whose reason is stored and shown.
    {
        let mut data = world.capsule.data();
        let party = data
            .parties
            .values_mut()
            .find(|p| p.last_name.is_some())
            .unwrap();
        party.last_name = Some("x".repeat(300));
    }

    // Lint, a dry run, then every shipped pipeline for real.
    let pipelines = shipped_pipelines();
    let mut lint = vec!["lint".to_string(), "--project".into(), project_arg.clone()];
    lint.extend(pipelines.iter().cloned());
    let lint: Vec<&str> = lint.iter().map(String::as_str).collect();
    ferry_run(&dir, &lint, &mut corpus).await;
    let capsule = repo("pipelines/capsule_contacts_to_stripe.ferry");
    ferry_run(
        &dir,
        &[
            "run",
            &capsule,
            "--project",
            &project_arg,
            "--dry-run",
            "--log-format",
            "json",
        ],
        &mut corpus,
    )
    .await;
    let mut ran = 0;
    let mut stopped = Vec::new();
    for pipeline in &pipelines {
        let status = ferry_run(
            &dir,
            &[
                "run",
                pipeline,
                "--project",
                &project_arg,
                "--backfill",
                "--log-format",
                "json",
            ],
            &mut corpus,
        )
        .await;
        ran += usize::from(status.success());
        if !status.success() {
            stopped.push(
                Path::new(pipeline)
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .to_string(),
            );
        }
    }
    assert!(
        !stopped.iter().any(|name| name.contains("syspro")),
        "the Syspro pipelines should run: {stopped:?}"
    );
    assert!(
        ran >= 8,
        "only {ran} pipelines ran cleanly:\n{}",
        &corpus[corpus.len().saturating_sub(4000)..]
    );
    // A wrong key: Stripe's 401 and ferry's report of it.
    let wrong = ferry_run(
        &dir,
        &[
            "run",
            &capsule,
            "--project",
            &project_arg,
            "--env",
            "wrong_key",
            "--backfill",
            "--log-format",
            "json",
        ],
        &mut corpus,
    )
    .await;
    assert!(!wrong.success(), "a wrong key should stop the run");
    // A wrong Syspro operator password: the logon's ERROR and ferry's report of it.
    let syspro = repo("pipelines/syspro_customers_and_stripe.ferry");
    let mut refused = String::new();
    let wrong = ferry_run(
        &dir,
        &[
            "run",
            &syspro,
            "--project",
            &project_arg,
            "--env",
            "wrong_key",
            "--backfill",
            "--log-format",
            "json",
        ],
        &mut refused,
    )
    .await;
    assert!(
        !wrong.success() && refused.contains("could not log on"),
        "a wrong Syspro password should stop the run: {refused}"
    );
    corpus.push_str(&refused);
    ferry_run(
        &dir,
        &["dlq", "list", "--json", "--project", &project_arg],
        &mut corpus,
    )
    .await;
    ferry_run(
        &dir,
        &["dlq", "show", "1", "--project", &project_arg],
        &mut corpus,
    )
    .await;
    ferry_run(
        &dir,
        &[
            "dlq",
            "replay",
            "--all",
            "--from",
            &capsule,
            "--project",
            &project_arg,
        ],
        &mut corpus,
    )
    .await;

    // ferry serve: signed webhooks from the emulator, a forged one, and its own endpoints.
    let bind: SocketAddr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let base = format!("http://{bind}");
    let log = dir.join("serve.log");
    let mut serve = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "serve",
            &repo("pipelines/stripe_customers_to_business_central.ferry"),
            "--project",
            &project_arg,
            "--bind",
            &bind.to_string(),
            "--log-format",
            "json",
        ])
        .current_dir(&dir)
        .envs(environment())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::OpenOptions::new().append(true).open(&log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..500 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(up, "ferry serve did not start\n{}", tail(&log, 30));
    world.stripe.add_webhook_endpoint(WebhookEndpoint::new(
        format!("{base}/webhooks/stripe/stripe"),
        Secret::new(WEBHOOK_SECRET),
    ));
    world
        .stripe_post(
            "/v1/customers",
            "email=webhook%40canary.example&name=Webhook",
        )
        .await;
    let forged = client
        .post(format!("{base}/webhooks/stripe/stripe"))
        .header("stripe-signature", format!("t=1,v1={}", "0".repeat(64)))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    corpus.push_str(&forged.text().await.unwrap());
    let mut done = false;
    for _ in 0..300 {
        let metrics = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics
            .lines()
            .any(|l| l.starts_with("ferry_events_processed") && !l.ends_with(" 0"))
        {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for path in ["/metrics", "/healthz", "/readyz", "/webhooks/stripe/nope"] {
        let answer = client.get(format!("{base}{path}")).send().await.unwrap();
        corpus.push_str(&answer.text().await.unwrap());
    }
    serve.start_kill().unwrap();
    serve.wait().await.unwrap();
    assert!(done, "ferry serve processed no event\n{}", tail(&log, 30));

    // Everything ferry wrote.
    let (store_text, rows) = dump_store(&dir.join("state.db")).await;
    corpus.push_str(&store_text);
    files(&dir, &mut corpus);
    let store = read_store(&dir.join("state.db")).await;
    let audited = count(&store, "SELECT count(*) FROM audit_log").await;
    let letters = count(&store, "SELECT count(*) FROM dead_letters").await;
    let events = count(&store, "SELECT count(*) FROM inbox").await;
    store.close().await;
    assert!(
        audited > 10 && letters > 0 && events > 0,
        "too little ran: {audited} audited, {letters} dead letters, {events} events"
    );

    // The search finds a canary where one is known to be: the secret files ferry reads.
    let raw = std::fs::read_to_string(dir.join("secrets/bc_client_secret")).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(WEBHOOK_SECRET);
    assert!(
        !sightings(&raw).is_empty() && !sightings(&encoded).is_empty(),
        "the search itself is broken"
    );
    let found = sightings(&corpus);
    assert!(found.is_empty(), "canaries found:\n{}", found.join("\n\n"));

    report
        .figure("pipelines", pipelines.len())
        .figure("pipelines_run_cleanly", ran)
        .figure("pipelines_stopped_with_an_error", stopped)
        .figure("store_rows_searched", rows)
        .figure("bytes_searched", corpus.len())
        .figure("canaries", canaries().len())
        .passed();
}

/// Each canary form found in `corpus`, with what surrounds it.
fn sightings(corpus: &str) -> Vec<String> {
    let mut found = Vec::new();
    for canary in canaries() {
        let forms = [
            canary.to_string(),
            url::form_urlencoded::byte_serialize(canary.as_bytes()).collect(),
            base64::engine::general_purpose::STANDARD.encode(canary),
            base64::engine::general_purpose::STANDARD.encode(format!("{canary}:")),
            // An HTTP Basic header's credentials (Pronto's).
            base64::engine::general_purpose::STANDARD.encode(format!("{PRONTO_USER}:{canary}")),
            canary[canary.len() - 12..].to_string(),
            canary.bytes().map(|b| format!("{b:02X}")).collect(),
        ];
        for form in forms {
            if let Some(at) = corpus.find(&form) {
                let start = at.saturating_sub(200);
                found.push(format!(
                    "{form}: ...{}...",
                    &corpus[start..(at + form.len() + 100).min(corpus.len())]
                ));
            }
        }
    }
    found
}
