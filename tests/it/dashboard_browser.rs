//! The dashboard in a real browser: a headless Chromium (Debian's `chromium` and
//! `chromium-driver`) logs in to a real `ferry serve`, finds the dead letter a failing record
//! made (a charge whose invoice Business Central will not post in a closed period), replays it
//! once the period is open and sees it closed. With `FERRY_SCREENSHOTS=1` it writes a
//! screenshot of each page to docs/dashboard/, which docs/dashboard.md shows.

use axum::http::StatusCode;

use crate::alerts::Receiver;
use crate::browser_support::Browser;
use crate::dashboard::{
    CHARGES_TO_INVOICES, PASSWORD, SECRETS, USER, charges_in_a_closed_period,
    project_with_dashboard,
};
use crate::run_support::serve::serve_dashboard;
use crate::run_support::*;

const PIPELINE: &str = "stripe_charges_to_business_central_invoices";

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_replays_a_dead_letter_in_a_browser_and_sees_it_resolved() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = project_with_dashboard(&world);
    // A dead-letter digest goes to this channel, and into the alerts' history.
    let channel = Receiver::start(StatusCode::OK).await;
    let mut yaml = std::fs::read_to_string(&project).unwrap();
    yaml.push_str(&format!(
        "alerts:\n  channels:\n    oncall: {{ webhook: '{}' }}\n",
        channel.url
    ));
    std::fs::write(&project, yaml).unwrap();

    let charges = charges_in_a_closed_period(&world).await;
    let dir = project.parent().unwrap();
    let run = run_ferry(dir, &["run", CHARGES_TO_INVOICES]).await;
    assert!(
        text(&run.stdout).contains("2 dead-lettered"),
        "{}\n{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    assert_eq!(channel.bodies().len(), 1, "one digest of the two letters");

    // A reconcile of the people's pipeline, with a hand edit behind ferry's back, for the
    // Reconcile page.
    reconcile_after_a_hand_edit(&world, dir, "Edited+By+Hand").await;

    let (server, store) = serve_dashboard(&project, &[CHARGES_TO_INVOICES]).await;
    let letters = store
        .dead_letters(&ferry::store::DeadLetterFilter::default())
        .await
        .unwrap();
    let letter = letters
        .iter()
        .find(|l| l.record_json.contains(&charges[0]))
        .unwrap_or_else(|| panic!("{letters:#?}"));
    let (letter_id, event) = (letter.id, letter.source_id.clone());
    let browser = Browser::open(&format!("http://{}", server.local_addr)).await;

    // Logged out, a page leads to the login page.
    browser.visit("/dead-letters").await;
    assert_eq!(browser.path().await, "/login");
    assert_eq!(browser.title().await, "Log in · ferry");
    browser.screenshot("login").await;

    // A wrong password: 401, and the login page says so.
    browser.fill("username", USER).await;
    browser.fill("password", "guess").await;
    browser.press("Log in").await;
    assert_eq!(browser.status().await, 401);
    assert!(
        browser
            .text()
            .await
            .contains("Those credentials are not valid."),
        "{}",
        browser.text().await
    );

    browser.fill("username", USER).await;
    browser.fill("password", PASSWORD).await;
    browser.press("Log in").await;
    assert_eq!(
        (browser.path().await, browser.status().await),
        ("/".to_string(), 200)
    );
    let front = browser.source().await;
    assert!(
        front.contains(&format!("<td>{PIPELINE}</td><td>stripe.events</td>")),
        "the served pipeline: {front}"
    );

    // Through the navigation to the letters: both are open, with their reason.
    browser.follow("Dead letters").await;
    assert_eq!(browser.path().await, "/dead-letters");
    let list = browser.text().await;
    assert!(list.contains("2 open."), "{list}");
    assert!(list.contains(&event), "{list}");
    assert_eq!(list.matches("allowed posting dates").count(), 2, "{list}");
    browser.screenshot("dead-letters").await;

    browser.follow(&letter_id.to_string()).await;
    assert_eq!(browser.path().await, format!("/dead-letters/{letter_id}"));
    let shown = browser.source().await;
    assert!(
        shown.contains(&format!("<h1>Dead letter {letter_id}</h1>")),
        "{shown}"
    );
    assert!(
        shown.contains("<span class=\"open\">open</span>"),
        "{shown}"
    );
    assert!(shown.contains(&charges[0]), "the record: {shown}");
    browser.screenshot("dead-letter").await;

    // The cause fixed (the period opened), Replay delivers the record and closes the letter.
    world.business_central_emulator.allow_posting(None, None);
    browser.press("Replay").await;
    assert_eq!(
        (browser.path().await, browser.status().await),
        (format!("/dead-letters/{letter_id}"), 200)
    );
    let shown = browser.source().await;
    assert!(
        shown.contains("<span class=\"closed\">replayed</span>"),
        "{shown}"
    );
    assert!(!shown.contains("<button>Replay</button>"), "{shown}");
    let last_step = browser
        .text_at("//h2[.='History']/following-sibling::table[1]//tr[last()]")
        .await;
    assert!(
        last_step.ends_with("UTC replayed"),
        "the history ends with the replay: {last_step:?}"
    );
    let letter = store.dead_letter_by_id(letter_id).await.unwrap().unwrap();
    assert_eq!(
        letter.resolution,
        Some(ferry::store::Resolution::Replayed),
        "{letter:?}"
    );
    let invoice = world
        .business_central(&format!(
            "salesInvoices?$filter=externalDocumentNumber eq '{}'",
            charges[0]
        ))
        .await;
    assert_eq!(invoice[0]["status"], "Paid", "{invoice:#?}");

    browser.follow("Dead letters").await;
    assert!(browser.text().await.contains("1 open."));

    // The audit log finds the replayed charge's writes by its id.
    browser.follow("Audit log").await;
    browser.fill("source_id", &charges[0]).await;
    browser.press("Search").await;
    assert_eq!(
        browser.path().await,
        format!(
            "/audit?source_id={}&target_id=&pipeline=&since=&until=",
            charges[0]
        )
    );
    let audit = browser.text().await;
    // The invoice the failing run wrote, then the replay's writes: the invoice posted, the
    // payment written and posted.
    assert_eq!(audit.matches(&charges[0]).count(), 4, "{audit}");
    assert!(audit.contains("business_central.salesInvoices"), "{audit}");
    assert!(
        audit.contains("business_central.customerPayments"),
        "{audit}"
    );
    assert!(!audit.contains(&charges[1]), "{audit}");
    browser.screenshot("audit").await;

    browser.follow("Alerts").await;
    let alerts = browser.text().await;
    assert!(
        alerts.contains(&format!("2 records of {PIPELINE} dead-lettered")),
        "{alerts}"
    );
    let delivered = browser.text_at("//table//tr[2]/td[4]").await;
    assert_eq!(delivered, "oncall", "{alerts}");
    browser.screenshot("alerts").await;

    browser.follow("Reconcile").await;
    assert_eq!(browser.path().await, "/reconcile");
    assert!(browser.text().await.contains("capsule_contacts_to_stripe"));
    browser.screenshot("reconcile").await;
    browser.visit("/reconcile/1").await;
    let report = browser.text().await;
    assert!(report.contains("mismatches need a look"), "{report}");
    assert!(report.contains("Edited By Hand"), "{report}");
    browser.screenshot("reconcile-report").await;

    // The front page after all that: this hour's bars count the writes and the failures.
    browser.follow("Pipelines").await;
    let front = browser.source().await;
    assert!(
        front.contains("audit entries, 2 dead-lettered</title>"),
        "{front}"
    );
    browser.screenshot("pipelines").await;

    for page in [
        "/",
        "/dead-letters?all=1",
        &format!("/dead-letters/{letter_id}"),
        "/audit",
        "/alerts",
        "/reconcile",
        "/reconcile/1",
    ] {
        browser.visit(page).await;
        let source = browser.source().await;
        for secret in SECRETS {
            assert!(!source.contains(secret), "{page} shows {secret}");
        }
        assert!(
            !source.contains("tok-secret-123"),
            "{page} shows the channel's token"
        );
    }

    browser.press("Log out").await;
    assert_eq!(browser.path().await, "/login");
    browser.visit("/").await;
    assert_eq!(browser.path().await, "/login", "the session is over");
    browser.close().await;
    server.shutdown().await;
}
