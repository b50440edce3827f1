//! Proof 2: a backfill against a sandbox failing on purpose (20% 5xx, 5% 429 with
//! `Retry-After`, 2% connections cut, half of them after the request was carried out, and 1%
//! answers slower than the client's timeout). Every person arrives in Stripe exactly once; the
//! people made invalid on purpose end in the dead-letter queue with their reason, and
//! `ferry dlq replay` delivers them once the mapping is fixed.
//!
//! Size: `FERRY_PROOF_RECORDS` people (CI: 1,000; `scripts/proof.sh`: 10,000).

use crate::proof_support;
use crate::run_support;

use std::collections::BTreeMap;
use std::path::Path;

use proof_support::{Report, count, ferry, read_store, size, tail};
use run_support::*;

/// Every 50th person has a name longer than Stripe's 256 characters.
fn invalid(n: u64) -> bool {
    n % 50 == 7
}

fn write_pipeline(path: &Path, name: &str) {
    let text = format!(
        "pipeline people {{\n  source capsule.parties {{ where .type == \"person\" }}\n  map to stripe.customer {{\n    email = first(.emailAddresses)?.address ?? skip(\"no email\")\n    name = {name}\n    metadata.capsule_id = string(.id)\n  }}\n  sink stripe.customers {{\n    match on email\n    cross_reference capsule.parties.id\n  }}\n}}\n"
    );
    std::fs::write(path, text).unwrap();
}

/// Runs `ferry ARGS` until it exits 0, at most `tries` times: a fault that outlasts the
/// client's five attempts stops a run (at these rates about one request in 600), and the next
/// resumes from the stored cursor.
async fn until_success(dir: &Path, args: &[&str], log: &Path, tries: u32) -> u32 {
    for attempt in 1..=tries {
        let status = ferry(dir, args, log).wait().await.unwrap();
        if status.success() {
            return attempt;
        }
        eprintln!(
            "`ferry {}` stopped ({status}); running it again",
            args.join(" ")
        );
    }
    panic!(
        "`ferry {}` never finished\n{}",
        args.join(" "),
        tail(log, 40)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_arrives_once_through_faults_and_the_invalid_ones_replay_after_a_fix() {
    let size = size();
    let mut report = Report::new("fault soak");
    let faults = format!(
        "500=0.15,503=0.05,429=0.05,drop=0.01,lost=0.01,slow=0.01:3s,seed={}",
        size.seed % 1_000_000
    );
    let world = world(Some(&faults), None).await;
    world.add_people(0..size.records);
    let invalid_people: Vec<u64> = (0..size.records).filter(|n| invalid(*n)).collect();
    for n in &invalid_people {
        world.edit_person(*n, |party| party.last_name = Some("x".repeat(300)));
    }
    let project = world.project(100_000);
    // The client gives up on an answer after 2 s, so `slow=...:3s` is a timeout.
    let mut text = std::fs::read_to_string(&project).unwrap();
    text = text.replace(
        "    rate_limit: { requests: 100000, per: 1s }\n",
        "    rate_limit: { requests: 100000, per: 1s }\n    timeout: 2s\n",
    );
    std::fs::write(&project, text).unwrap();
    let dir = world.dir.path();
    let log = dir.join("ferry.log");
    let pipeline = dir.join("people.ferry");
    write_pipeline(&pipeline, "join([.firstName, .lastName], \" \")");
    let pipeline_arg = pipeline.display().to_string();

    let runs = until_success(
        dir,
        &["run", &pipeline_arg, "--concurrency", "16"],
        &log,
        500,
    )
    .await;

    let customers = world.stripe.objects("customer");
    let mut by_email: BTreeMap<String, usize> = BTreeMap::new();
    for customer in &customers {
        *by_email
            .entry(customer["email"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    let twice: Vec<_> = by_email.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "written twice: {twice:?}");
    for n in 0..size.records {
        let email = format!("person{n}@example.com");
        let expected = usize::from(!invalid(n));
        assert_eq!(
            by_email.get(&email).copied().unwrap_or(0),
            expected,
            "{email} (invalid on purpose: {})",
            invalid(n)
        );
    }

    // The invalid people, and only they, wait in the dead-letter queue with their reason.
    let store_path = dir.join("state.db");
    let store = read_store(&store_path).await;
    let letters: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT source_id, error_code, error_message FROM dead_letters \
         WHERE resolved_at IS NULL ORDER BY source_id",
    )
    .fetch_all(&store)
    .await
    .unwrap();
    store.close().await;
    let lettered: Vec<u64> = letters
        .iter()
        .map(|(id, _, _)| id.parse::<u64>().unwrap() - 100_000)
        .collect();
    let mut expected = invalid_people.clone();
    expected.sort_by_key(|n| (100_000 + n).to_string());
    assert_eq!(
        lettered, expected,
        "dead letters are not the invalid people"
    );
    for (id, code, message) in &letters {
        assert!(
            message.contains("name"),
            "{id}: the reason does not name the field: {code} {message}"
        );
    }

    // Fixed: names cut to Stripe's limit. The replay runs through the same faults.
    write_pipeline(
        &pipeline,
        "substring(join([.firstName, .lastName], \" \"), 0, 256)",
    );
    let mut replays = 0;
    loop {
        replays += 1;
        assert!(
            replays <= 30,
            "the replay never resolved every letter\n{}",
            tail(&log, 40)
        );
        let status = ferry(
            dir,
            &["dlq", "replay", "--all", "--from", &pipeline_arg],
            &log,
        )
        .wait()
        .await
        .unwrap();
        if status.success() {
            break;
        }
    }
    let customers = world.stripe.objects("customer");
    assert_eq!(customers.len() as u64, size.records, "after the replay");
    for n in &invalid_people {
        let email = format!("person{n}@example.com");
        let found: Vec<_> = customers
            .iter()
            .filter(|c| c["email"] == email.as_str())
            .collect();
        assert_eq!(found.len(), 1, "{email} after the replay");
        assert_eq!(found[0]["name"].as_str().unwrap().chars().count(), 256);
    }
    let store = read_store(&store_path).await;
    let open = count(
        &store,
        "SELECT count(*) FROM dead_letters WHERE resolved_at IS NULL",
    )
    .await;
    assert_eq!(open, 0);
    let creates: Vec<(String, i64)> = sqlx::query_as(
        "SELECT source_id, count(*) FROM audit_log WHERE operation = 'create' GROUP BY source_id",
    )
    .fetch_all(&store)
    .await
    .unwrap();
    assert_eq!(creates.len() as u64, size.records, "creates audited");
    assert!(
        creates.iter().all(|(_, n)| *n == 1),
        "a create audited twice"
    );
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let retries: u64 = log_text
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("stripe: ")?;
            rest.split(", ")
                .nth(1)?
                .strip_suffix(" retries")?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert!(
        retries > 0,
        "no retries: the faults were not injected\n{log_text}"
    );

    report
        .figure("records", size.records)
        .figure("faults", faults)
        .figure("runs_until_done", runs)
        .figure("stripe_retries", retries)
        .figure("dead_lettered", letters.len())
        .figure("replays_until_done", replays)
        .figure("customers", customers.len())
        .passed();
}
