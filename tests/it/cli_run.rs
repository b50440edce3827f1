//! `ferry run`, `ferry dlq` and `ferry demo` from the command line, against emulators on an
//! ephemeral loopback port.

use crate::run_support;

use run_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_then_run_then_a_quiet_second_run() {
    let world = world(None, None).await;
    world.add_people(0..3);
    let project = world.project(1000);
    let dir = project.parent().unwrap();

    let planned = run_ferry(dir, &["run", CAPSULE_TO_STRIPE, "--dry-run"]).await;
    let stdout = text(&planned.stdout);
    assert!(
        planned.status.success(),
        "{stdout}\n{}",
        text(&planned.stderr)
    );
    assert!(
        stdout.contains("create stripe.customers (from capsule.parties 100001)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  + email = \"person1@example.com\""),
        "{stdout}"
    );
    assert!(stdout.contains("would create 3 and update 0"), "{stdout}");
    assert!(
        world.customers().await.is_empty(),
        "a dry run writes nothing"
    );

    let first = run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    let stdout = text(&first.stdout);
    assert!(first.status.success(), "{stdout}\n{}", text(&first.stderr));
    assert!(stdout.contains("3 read, 3 created, 0 updated"), "{stdout}");
    assert!(stdout.contains("stripe: "), "{stdout}");
    assert_eq!(world.customers().await.len(), 3);

    world.edit_person(2, |party| party.first_name = Some("Ada".into()));
    let planned = run_ferry(dir, &["run", CAPSULE_TO_STRIPE, "--dry-run"]).await;
    let stdout = text(&planned.stdout);
    assert!(
        stdout.contains("  ~ name: \"Person 2\" -> \"Ada 2\""),
        "{stdout}"
    );

    let again = run_ferry(
        dir,
        &[
            "run",
            CAPSULE_TO_STRIPE,
            "--backfill",
            "--log-format",
            "json",
        ],
    )
    .await;
    let stdout = text(&again.stdout);
    assert!(
        stdout.contains("0 created, 1 updated, 2 unchanged"),
        "{stdout}"
    );

    let letters = run_ferry(dir, &["dlq", "list"]).await;
    assert_eq!(text(&letters.stdout).trim(), "no dead letters");
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_are_listed_shown_and_replayed() {
    let world = world(None, None).await;
    world.add_people(0..2);
    world.edit_person(0, |party| {
        party.email_addresses[0].address = "not an email".into()
    });
    let project = world.project(1000);
    let dir = project.parent().unwrap();

    let run = run_ferry(dir, &["run", CAPSULE_TO_STRIPE, "--log-format", "json"]).await;
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("1 created") && stdout.contains("1 dead-lettered"),
        "{stdout}"
    );
    let log = text(&run.stderr);
    let warning = log
        .lines()
        .find(|line| line.contains("dead-lettered"))
        .unwrap_or_else(|| panic!("no dead-letter log line in {log}"));
    let parsed: serde_json::Value = serde_json::from_str(warning).unwrap();
    assert_eq!(parsed["source_id"], "100000");

    let list = run_ferry(dir, &["dlq", "list", "--json"]).await;
    let letter: serde_json::Value = serde_json::from_str(text(&list.stdout).trim()).unwrap();
    assert_eq!(letter["pipeline"], "capsule_contacts_to_stripe");
    assert_eq!(
        letter["error_message"],
        "contact email is not a valid address"
    );
    let id = letter["id"].to_string();

    let show = run_ferry(dir, &["dlq", "show", &id]).await;
    assert!(
        text(&show.stdout).contains("\"not an email\""),
        "{}",
        text(&show.stdout)
    );

    // Still broken: the replay fails again and the letter stays open.
    let replay = run_ferry(dir, &["dlq", "replay", &id, "--from", CAPSULE_TO_STRIPE]).await;
    assert!(
        !replay.status.success(),
        "{}\n{}",
        text(&replay.stdout),
        text(&replay.stderr)
    );
    assert!(
        text(&replay.stdout).contains("0 resolved, 1 failed again"),
        "{}",
        text(&replay.stdout)
    );

    world.edit_person(0, |party| {
        party.email_addresses[0].address = "fixed@example.com".into()
    });
    // The letter holds the record as it failed; fixing the source means running again.
    let run = run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    assert!(
        text(&run.stdout).contains("1 created"),
        "{}",
        text(&run.stdout)
    );
    assert_eq!(world.customers().await.len(), 2);
    let open = run_ferry(dir, &["dlq", "list"]).await;
    assert_eq!(
        text(&open.stdout).trim(),
        "no dead letters",
        "delivering the record resolved its letter"
    );

    let missing = run_ferry(dir, &["dlq", "show", "999"]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no dead letter 999"));

    let show = text(&run_ferry(dir, &["dlq", "show", &id]).await.stdout);
    let history: Vec<&str> = show
        .lines()
        .skip_while(|line| line.trim() != "history:")
        .skip(1)
        .take_while(|line| line.starts_with("    "))
        .collect();
    assert_eq!(history.len(), 3, "{show}");
    assert!(
        history[0].ends_with(": contact email is not a valid address"),
        "{show}"
    );
    assert!(
        history[1].contains("failed: "),
        "the failed replay is in the story: {show}"
    );
    assert!(history[2].ends_with("delivered"), "{show}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_letter_is_discarded_with_a_reason() {
    let world = world(None, None).await;
    world.add_people(0..1);
    world.edit_person(0, |party| {
        party.email_addresses[0].address = "not an email".into()
    });
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    let list = run_ferry(dir, &["dlq", "list", "--json"]).await;
    let letter: serde_json::Value = serde_json::from_str(text(&list.stdout).trim()).unwrap();
    let id = letter["id"].to_string();

    let blank = run_ferry(dir, &["dlq", "discard", &id, "--reason", "  "]).await;
    assert_eq!(blank.status.code(), Some(2), "a reason is required");
    let discard = run_ferry(
        dir,
        &[
            "dlq",
            "discard",
            &id,
            "--reason",
            "a test contact, not a customer",
        ],
    )
    .await;
    assert!(discard.status.success(), "{}", text(&discard.stderr));
    assert_eq!(text(&discard.stdout).trim(), format!("{id}: discarded"));

    let open = run_ferry(dir, &["dlq", "list"]).await;
    assert_eq!(text(&open.stdout).trim(), "no dead letters");
    let all = run_ferry(dir, &["dlq", "list", "--all", "--json"]).await;
    let closed: serde_json::Value = serde_json::from_str(text(&all.stdout).trim()).unwrap();
    assert_eq!(closed["resolution"], "discarded");
    assert_eq!(closed["resolution_note"], "a test contact, not a customer");
    let show = text(&run_ferry(dir, &["dlq", "show", &id]).await.stdout);
    assert!(
        show.contains("discarded: a test contact, not a customer"),
        "{show}"
    );

    // Discarding it again, or an unknown letter, is refused with the reason.
    let again = run_ferry(dir, &["dlq", "discard", &id, "999", "--reason", "x"]).await;
    assert_eq!(again.status.code(), Some(2));
    let stderr = text(&again.stderr);
    assert!(stderr.contains("already closed (discarded)"), "{stderr}");
    assert!(stderr.contains("no dead letter with id 999"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_environment_variable_is_named_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.yaml"),
        "version: 1\nconnections:\n  stripe:\n    kind: stripe\n    api_key: ${FERRY_TEST_UNSET_STRIPE_KEY}\n  capsule:\n    kind: capsule\n    token: ${FERRY_TEST_UNSET_CAPSULE_TOKEN}\n",
    )
    .unwrap();
    let run = run_ferry(dir.path(), &["run", CAPSULE_TO_STRIPE]).await;
    assert_eq!(run.status.code(), Some(2));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("FERRY_TEST_UNSET_STRIPE_KEY"), "{stderr}");
    assert!(!dir.path().join(".ferry").exists(), "no store is created");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_host_is_reported_with_its_endpoint() {
    let world = world(None, None).await;
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    // Point Capsule at a port nothing listens on.
    let yaml = std::fs::read_to_string(&project).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let yaml = yaml.replace(
        &format!("{}/capsule", world.base),
        &format!("http://127.0.0.1:{port}/capsule"),
    );
    std::fs::write(&project, yaml).unwrap();
    let run = run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("run again to resume"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_never_reach_logs_output_or_the_store() {
    const STRIPE_CANARY: &str = "sk_test_canary5ecret9f8e7d6c5b4a";
    const CAPSULE_CANARY: &str = "canary-capsule-token-7a6b5c4d";
    let world = world(None, None).await;
    world.add_people(0..3);
    world.edit_person(0, |party| {
        party.email_addresses[0].address = "broken".into()
    });
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let yaml = std::fs::read_to_string(&project)
        .unwrap()
        .replace("sk_test_e2e", STRIPE_CANARY);
    std::fs::write(&project, &yaml).unwrap();

    let run = run_ferry(dir, &["run", CAPSULE_TO_STRIPE, "--log-format", "json"]).await;
    assert!(
        text(&run.stdout).contains("2 created"),
        "{}",
        text(&run.stdout)
    );
    let list = run_ferry(dir, &["dlq", "list", "--json"]).await;
    let show = run_ferry(dir, &["dlq", "show", "1"]).await;

    // A refused token stops the run with an error that names the endpoint, not the token.
    std::fs::write(
        &project,
        yaml.replace("capsule-sandbox-token", CAPSULE_CANARY),
    )
    .unwrap();
    let refused = run_ferry(dir, &["run", CAPSULE_TO_STRIPE, "--backfill"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("401"),
        "{}",
        text(&refused.stderr)
    );

    for output in [&run, &list, &show, &refused] {
        for canary in [STRIPE_CANARY, CAPSULE_CANARY] {
            assert!(!text(&output.stdout).contains(canary));
            assert!(
                !text(&output.stderr).contains(canary),
                "{}",
                text(&output.stderr)
            );
        }
    }
    let store = ferry::store::Store::open(&format!("sqlite://{}", dir.join("state.db").display()))
        .await
        .unwrap();
    for canary in [STRIPE_CANARY, CAPSULE_CANARY] {
        assert!(!store.contains_text(canary).await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_are_listed_newest_first() {
    let world = world(None, None).await;
    world.add_people(0..3);
    for n in [0, 2] {
        world.edit_person(n, |party| {
            party.email_addresses[0].address = "not an email".into()
        });
    }
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    let list = run_ferry(dir, &["dlq", "list", "--json"]).await;
    let letters: Vec<serde_json::Value> = text(&list.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let order: Vec<(i64, &str)> = letters
        .iter()
        .map(|l| (l["id"].as_i64().unwrap(), l["source_id"].as_str().unwrap()))
        .collect();
    assert_eq!(order.len(), 2, "{order:?}");
    assert!(order[0].0 > order[1].0, "the last filed first: {order:?}");
}
