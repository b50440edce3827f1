//! Proof: four `ferry run` processes sharing one PostgreSQL store, each delivering its own
//! pipeline through one Stripe connection, keep Stripe's test-mode limit together: the
//! emulator (25 requests a second per key, a 429 for anything over) refuses none of their
//! requests, and together they use at least 95% of the limit while they are busy.
//!
//! Size: `FERRY_PROOF_RECORDS / 10` customers, a quarter per runner, two requests each (the
//! match by email, then the create): CI 100 (about 8 s of traffic), `scripts/proof.sh` 1,000
//! (about 80 s).

use crate::proof_support;
use crate::run_support;
use crate::store_support::TestBackend;

use proof_support::{Report, ferry, size, tail};
use sqlx::Connection;

const RUNNERS: u64 = 4;
/// Stripe's test-mode limit, which both the emulator and ferry's default for an `sk_test_` key
/// keep.
const LIMIT: u32 = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_runners_on_one_store_keep_stripes_limit_together() {
    let size = size();
    let mut report = Report::new("fleet rate limit");
    let customers = (size.records / 10).max(RUNNERS);
    let world = run_support::world(None, Some(LIMIT)).await;
    let store = TestBackend::postgres().await;
    let dir = world.dir.path();
    // No `rate_limit` for the connection: ferry's default for a test-mode key, Stripe's 25.
    let project = dir.join("ferry.yaml");
    std::fs::write(
        &project,
        format!(
            "version: 1\n\
             timezone: Australia/Sydney\n\
             store: {store}\n\
             connections:\n  \
               stripe:\n    kind: stripe\n    api_key: sk_test_fleet\n    base_url: {base}/stripe\n",
            store = store.url(),
            base = world.base,
        ),
    )
    .unwrap();
    // One pipeline per runner (a pipeline's runs take turns on its run lock), all writing
    // through the one Stripe connection, each reading its own file.
    std::fs::create_dir_all(dir.join("pipelines")).unwrap();
    let mut runs = Vec::new();
    for runner in 0..RUNNERS {
        let pipeline = dir.join(format!("pipelines/contacts_{runner}.ferry"));
        std::fs::write(
            &pipeline,
            format!(
                "pipeline contacts_{runner} {{\n  \
                   source file.csv\n  \
                   map to stripe.customer {{\n    email = .email\n    name = .name\n  }}\n  \
                   sink stripe.customers {{\n    match on email\n  }}\n\
                 }}\n"
            ),
        )
        .unwrap();
        let people = dir.join(format!("people_{runner}.csv"));
        let mut csv = String::from("email,name\n");
        for n in (runner..customers).step_by(RUNNERS as usize) {
            csv.push_str(&format!("person{n}@example.com,Person {n}\n"));
        }
        std::fs::write(&people, csv).unwrap();
        runs.push((pipeline, people, dir.join(format!("runner_{runner}.log"))));
    }

    let mut children = Vec::new();
    for (pipeline, people, log) in &runs {
        let args = [
            "run".to_string(),
            pipeline.display().to_string(),
            "--project".to_string(),
            project.display().to_string(),
            "--input".to_string(),
            people.display().to_string(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        children.push((ferry(dir, &args, log), log));
    }
    for (child, log) in &mut children {
        let status = child.wait().await.unwrap();
        assert!(status.success(), "a runner failed\n{}", tail(log, 30));
    }

    let traffic = world.stripe.traffic();
    let held = world.stripe.objects("customer").len() as u64;
    assert_eq!(held, customers, "every person is one Stripe customer");
    assert_eq!(
        traffic.rate_limited, 0,
        "requests over Stripe's limit: {traffic:?}"
    );
    let rate = traffic.busy_rate().unwrap_or_default();
    eprintln!(
        "{} requests at {rate:.2} a second while busy (limit {LIMIT}), {} refused",
        traffic.accepted, traffic.rate_limited
    );
    assert!(
        rate >= f64::from(LIMIT) * 0.95,
        "the runners together used {rate:.2} requests a second, under 95% of {LIMIT}"
    );

    // The budget is one row, keyed by the connection and its account, without the key itself.
    let mut database = sqlx::PgConnection::connect(&store.url()).await.unwrap();
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM rate_limits")
        .fetch_all(&mut database)
        .await
        .unwrap();
    database.close().await.unwrap();
    assert_eq!(keys.len(), 1, "one budget for the one connection: {keys:?}");
    assert!(keys[0].starts_with("stripe:"), "{keys:?}");
    assert!(!keys[0].contains("sk_test_fleet"), "{keys:?}");

    report
        .figure("runners", RUNNERS)
        .figure("customers", customers)
        .figure("requests", traffic.accepted)
        .figure("rate_limited", traffic.rate_limited)
        .figure("requests_per_second", (rate * 100.0).round() / 100.0)
        .figure("limit", LIMIT)
        .passed();
}
