//! The dashboard of a real `ferry serve`: logging in, a dead letter made by a real failing
//! record (a charge whose invoice Business Central will not post in a closed period), replaying
//! it once the period is open, discarding another, the audit search, and no secret on any page.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::run_support;
use crate::serve_capsule_hooks::{self as capsule_hooks, with_capsule_hook};
use run_support::serve::{inbox_drained, serve_dashboard, serve_project};
use run_support::*;

pub const CHARGES_TO_INVOICES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_charges_to_business_central_invoices.ferry"
);

pub const USER: &str = "ops";
pub const PASSWORD: &str = "dashboard-pass-7f3a";

/// Every secret of the project [`World::project`] writes, and the dashboard's password.
pub const SECRETS: [&str; 6] = [
    "sk_test_e2e",
    "whsec_test_e2e",
    "capsule-sandbox-token",
    "sandbox-password",
    "ferry-sandbox-secret",
    PASSWORD,
];

/// A browser of the dashboard at `base`: it keeps no cookies on its own and follows no
/// redirects, so each test says what it sends.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(base: String) -> Browser {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            base,
            cookie: None,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// Logs in with the right credentials and keeps the session's cookie.
    async fn log_in(&mut self) {
        let login = self
            .post("/login", &[("username", USER), ("password", PASSWORD)])
            .await;
        assert_eq!(login.status(), StatusCode::SEE_OTHER);
        let cookie = login.headers()[SET_COOKIE].to_str().unwrap();
        self.cookie = Some(cookie.split(';').next().unwrap().to_string());
    }

    /// The CSRF token in the forms of the page at `path`.
    async fn csrf(&self, path: &str) -> String {
        let (status, page) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let start = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
        page[start..].split('"').next().unwrap().to_string()
    }
}

/// The project of `world` with a `dashboard:` section.
pub fn project_with_dashboard(world: &World) -> std::path::PathBuf {
    let project = world.project(1000);
    let mut text = std::fs::read_to_string(&project).unwrap();
    text.push_str(&format!(
        "dashboard:\n  username: {USER}\n  password: {PASSWORD}\n"
    ));
    std::fs::write(&project, text).unwrap();
    project
}

/// Two charges of one customer on a day whose period Business Central has closed: their
/// invoices cannot be posted until [`BusinessCentralState::allow_posting`] opens it. Their ids.
///
/// [`BusinessCentralState::allow_posting`]: ferry::sandbox::business_central::BusinessCentralState::allow_posting
pub async fn charges_in_a_closed_period(world: &World) -> Vec<String> {
    let customer = world
        .stripe_post("/v1/customers", "email=ada%40closed.example&name=Payer")
        .await;
    let charges = world
        .sandbox_charges(&[4200, 1700], customer["id"].as_str())
        .await;
    // Every period up to the end of 2000 is open; the charges' day is not.
    world
        .business_central_emulator
        .allow_posting(None, Some("2000-12-31"));
    charges
}

#[tokio::test]
async fn an_operator_logs_in_replays_and_discards_dead_letters_and_searches_the_audit_log() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = project_with_dashboard(&world);
    let charges = charges_in_a_closed_period(&world).await;
    let (runner, job, store) = runner(&project, CHARGES_TO_INVOICES).await;
    let report = run(&runner, &job).await;
    assert_eq!(report.dead_lettered, 2, "{report:?}");
    // The pipeline reads charges' events: each letter is an event holding its charge.
    let letters = store
        .dead_letters(&ferry::store::DeadLetterFilter::default())
        .await
        .unwrap();
    let letter_of = |charge: &str| {
        let letter = letters.iter().find(|l| l.record_json.contains(charge));
        let letter = letter.unwrap_or_else(|| panic!("{charge}: {letters:#?}"));
        (letter.id, letter.source_id.clone())
    };
    let (replayed, replayed_event) = letter_of(&charges[0]);
    let (discarded, discarded_event) = letter_of(&charges[1]);

    let (server, store) = serve_dashboard(&project, &[CHARGES_TO_INVOICES]).await;
    let mut browser = Browser::new(format!("http://{}", server.local_addr));

    // Logged out, every page leads to the login page.
    let (status, _) = browser.get("/dead-letters").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Wrong credentials: 401, and the same page whichever part was wrong.
    let wrong_user = browser
        .post("/login", &[("username", "someone"), ("password", PASSWORD)])
        .await;
    assert_eq!(wrong_user.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong_user.headers().get(SET_COOKIE).is_none());
    let wrong_user = wrong_user.text().await.unwrap();
    let wrong_password = browser
        .post("/login", &[("username", USER), ("password", "guess")])
        .await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.text().await.unwrap(), wrong_user);

    let login = browser
        .post("/login", &[("username", USER), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(login.headers()[LOCATION], "/");
    let set_cookie = login.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        set_cookie.starts_with("ferry_session=")
            && set_cookie.contains("; HttpOnly; SameSite=Strict; Path=/")
            && !set_cookie.contains("Secure"),
        "loopback: no Secure, or the browser would drop it over plain HTTP: {set_cookie}"
    );
    browser.cookie = Some(set_cookie.split(';').next().unwrap().to_string());

    // The pipelines page names the served pipeline and its open letters.
    let (status, front) = browser.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        front
            .contains("<td>stripe_charges_to_business_central_invoices</td><td>stripe.events</td>"),
        "{front}"
    );
    assert!(front.contains("\">2</a>"), "two open dead letters: {front}");
    assert!(
        front.contains("audit entries, 2 dead-lettered</title>"),
        "this hour's bars: {front}"
    );

    // Both letters are listed, with the reason.
    let (_, list) = browser.get("/dead-letters").await;
    for (id, event) in [(replayed, &replayed_event), (discarded, &discarded_event)] {
        assert!(
            list.contains(&format!("<a href=\"/dead-letters/{id}\">{id}</a>"))
                && list.contains(&format!("<td>{event}</td>")),
            "{list}"
        );
    }
    assert!(list.contains("allowed posting dates"), "{list}");

    // A replay without the session's CSRF token is refused and changes nothing.
    let path = format!("/dead-letters/{replayed}/replay");
    assert_eq!(
        browser.post(&path, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let forged = browser.post(&path, &[("csrf", "0123")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let letter = store.dead_letter_by_id(replayed).await.unwrap().unwrap();
    assert_eq!(
        (letter.resolved_at, letter.attempts),
        (None, 1),
        "{letter:?}"
    );

    // Fixed (the period opened), the replay with the token resolves the letter.
    world.business_central_emulator.allow_posting(None, None);
    let csrf = browser.csrf(&format!("/dead-letters/{replayed}")).await;
    let replay = browser.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    // The replay delivers the record and closes its letter as replayed.
    let letter = store.dead_letter_by_id(replayed).await.unwrap().unwrap();
    assert!(letter.resolved_at.is_some(), "{letter:?}");
    assert_eq!(
        letter.resolution,
        Some(ferry::store::Resolution::Replayed),
        "{letter:?}"
    );
    let (_, shown) = browser.get(&format!("/dead-letters/{replayed}")).await;
    assert!(shown.contains("<span class=\"closed\">"), "{shown}");
    assert!(!shown.contains("<button>Replay</button>"), "{shown}");

    // Discarding needs a reason, which the letter keeps.
    let discard = format!("/dead-letters/{discarded}/discard");
    let blank = browser
        .post(&discard, &[("csrf", &csrf), ("reason", "  ")])
        .await;
    assert_eq!(blank.status(), StatusCode::BAD_REQUEST);
    let reason = "a test charge <not for the books>";
    let done = browser
        .post(&discard, &[("csrf", &csrf), ("reason", reason)])
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let letter = store.dead_letter_by_id(discarded).await.unwrap().unwrap();
    assert_eq!(
        (letter.resolution, letter.resolution_note.as_deref()),
        (Some(ferry::store::Resolution::Discarded), Some(reason))
    );
    let (_, shown) = browser.get(&format!("/dead-letters/{discarded}")).await;
    assert!(
        shown.contains("discarded: a test charge &lt;not for the books&gt;"),
        "the reason is in the history, escaped: {shown}"
    );
    let (_, open) = browser.get("/dead-letters").await;
    assert!(open.contains("<p>0 open."), "{open}");

    // The audit search finds the replayed charge's writes by its id, and only them.
    let (status, audit) = browser
        .get(&format!("/audit?source_id={}", charges[0]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        audit.contains(&format!("<td>{}</td>", charges[0])),
        "{audit}"
    );
    assert!(
        !audit.contains(&format!("<td>{}</td>", charges[1])),
        "{audit}"
    );
    assert!(audit.contains("<td>create</td>"), "{audit}");
    let (status, _) = browser.get("/audit?since=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // No page shows a secret.
    for path in [
        "/".to_string(),
        "/dead-letters?all=1".to_string(),
        format!("/dead-letters/{replayed}"),
        format!("/dead-letters/{discarded}"),
        "/audit".to_string(),
        "/alerts".to_string(),
    ] {
        let (status, page) = browser.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for secret in SECRETS {
            assert!(!page.contains(secret), "{path} shows {secret}");
        }
    }

    // After logging out, the session no longer opens a page.
    let logout = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let (status, _) = browser.get("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // The health endpoints need no login.
    let (status, _) = browser.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn without_a_dashboard_section_there_is_no_dashboard() {
    let world = world(None, None).await;
    let (server, _store) = serve_project(&world.project(1000), 1, &[CHARGES_TO_INVOICES]).await;
    let browser = Browser::new(format!("http://{}", server.local_addr));
    for path in ["/", "/login", "/dead-letters"] {
        let (status, _) = browser.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    server.shutdown().await;
}

#[test]
fn the_dashboard_section_takes_a_token_or_a_username_and_password() {
    use ferry::diagnostics::SourceMap;
    use ferry::project::{Access, Project};
    use std::path::Path;

    let load = |section: &str| {
        let text = format!("version: 1\ndashboard:\n{section}");
        Project::from_text(Path::new("ferry.yaml"), &text, &mut SourceMap::default())
    };
    let codes = |section: &str| -> Vec<String> {
        let errors = load(section).unwrap_err();
        errors.iter().map(|d| d.code.as_str().to_string()).collect()
    };
    assert_eq!(
        codes("  token: a\n  username: b\n  password: c\n"),
        ["E0604"]
    );
    assert_eq!(codes("  username: b\n"), ["E0604"]);
    assert_eq!(codes("  token: a\n  tokn: b\n"), ["E0601"]);

    let project = load("  username: ${DASH_USER}\n  password: file:dash_password\n").unwrap();
    let settings = project.dashboard.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dash_password"), "s3cret\n").unwrap();
    let resolved = settings
        .resolve(dir.path(), &|var| {
            (var == "DASH_USER").then(|| "ops".to_string())
        })
        .unwrap();
    match resolved.access {
        Access::Login { username, password } => {
            assert_eq!((username.expose(), password.expose()), ("ops", "s3cret"))
        }
        Access::Token(_) => panic!("a login was written"),
    }
    let missing = settings.resolve(dir.path(), &|_| None).unwrap_err();
    assert_eq!(missing[0].code.as_str(), "E0612", "{missing:?}");
    let empty = settings
        .resolve(dir.path(), &|_| Some(" ".to_string()))
        .unwrap_err();
    assert_eq!(empty[0].code.as_str(), "E0618", "{empty:?}");

    let project = load("  token: ${DASH_TOKEN}\n").unwrap();
    assert!(matches!(
        project.dashboard.unwrap().access,
        Access::Token(_)
    ));
}

#[tokio::test]
async fn logins_wait_after_ten_failures_whoever_tries() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = project_with_dashboard(&world);
    let (server, _store) = serve_dashboard(&project, &[CHARGES_TO_INVOICES]).await;
    let browser = Browser::new(format!("http://{}", server.local_addr));
    for _ in 0..10 {
        let wrong = browser
            .post("/login", &[("username", USER), ("password", "guess")])
            .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    // The right credentials wait too: a guesser must not learn that a guess was right.
    let right = browser
        .post("/login", &[("username", USER), ("password", PASSWORD)])
        .await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(right.headers().get(SET_COOKIE).is_none());
    let retry: u64 = right.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("Too many failed logins")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_reports_are_listed_and_shown_with_nothing_secret() {
    let world = world(None, None).await;
    world.add_people(0..3);
    let project = project_with_dashboard(&world);
    let dir = project.parent().unwrap();
    // A hand edit that carries a secret of the project: the page must not show it.
    let customer = reconcile_after_a_hand_edit(&world, dir, "%3Cb%3Esk_test_e2e%3C%2Fb%3E").await;
    let customer = customer.as_str();

    let (server, _store) = serve_dashboard(&project, &[CAPSULE_TO_STRIPE]).await;
    let mut browser = Browser::new(format!("http://{}", server.local_addr));
    let (status, _) = browser.get("/reconcile").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    browser.log_in().await;

    // The front page tells how far the pipeline has read its source: Capsule's cursor holds
    // the newest change read.
    let (_, front) = browser.get("/").await;
    let row = front
        .split("<tr>")
        .find(|row| row.contains("<td>capsule_contacts_to_stripe</td>"))
        .unwrap_or_else(|| panic!("{front}"));
    assert!(row.contains(" behind)</td>"), "{row}");

    let (status, list) = browser.get("/reconcile").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list.contains("<a href=\"/reconcile/1\">1</a>"), "{list}");
    assert!(list.contains("<td>command</td>"), "{list}");
    assert!(
        list.contains("<td>capsule_contacts_to_stripe</td>"),
        "{list}"
    );

    let (status, report) = browser.get("/reconcile/1").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(report.contains("1 mismatches need a look"), "{report}");
    assert!(
        report.contains("<title>field drift (records): 1</title>"),
        "{report}"
    );
    assert!(report.contains(customer), "{report}");
    for secret in SECRETS {
        assert!(!report.contains(secret), "{secret} on the page: {report}");
    }
    assert!(!report.contains("<b>"), "{report}");

    let (status, _) = browser.get("/reconcile/99").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_dead_letters_are_listed_a_hundred_at_a_time_newest_first() {
    const SERVED: &str = "stripe_charges_to_business_central_invoices";
    let world = world(None, None).await;
    let project = project_with_dashboard(&world);
    let (server, store) = serve_dashboard(&project, &[CHARGES_TO_INVOICES]).await;
    let mut ids = Vec::new();
    for n in 0..101 {
        let id = store
            .dead_letter(SERVED, &format!("rec-{n}"), "{}", "E1301", "refused")
            .await
            .unwrap();
        ids.push(id);
    }
    let mut browser = Browser::new(format!("http://{}", server.local_addr));
    browser.log_in().await;

    let (status, first) = browser.get("/dead-letters").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        first.contains("<p>101 open. Newest first, 1 to 100. "),
        "{first}"
    );
    assert_eq!(first.matches("<tr><td><a href=").count(), 100);
    let newest = first.find(&format!(">{}</a>", ids[100])).unwrap();
    let second = first.find(&format!(">{}</a>", ids[99])).unwrap();
    assert!(newest < second, "newest first");
    assert!(!first.contains(&format!(">{}</a>", ids[0])), "{first}");
    assert!(first.contains("<a href=\"/dead-letters?all=0&amp;page=1\">Older</a>"));
    assert!(!first.contains(">Newer</a>"));

    let (_, last) = browser.get("/dead-letters?all=0&page=1").await;
    assert!(last.contains("Newest first, 101 to 101."), "{last}");
    assert_eq!(last.matches("<tr><td><a href=").count(), 1);
    assert!(last.contains(&format!(">{}</a>", ids[0])), "{last}");
    assert!(last.contains(">Newer</a>") && !last.contains(">Older</a>"));

    // The front page counts them without listing them.
    let (_, front) = browser.get("/").await;
    assert!(
        front.contains(&format!("<td>{SERVED}</td>")) && front.contains("\">101</a>"),
        "{front}"
    );
    server.shutdown().await;
}

/// The records read per hour in the front page's chart, summed over its hours (each hour's
/// three bars carry the same tooltip, `... N read, ...`).
fn charted_reads(front: &str) -> u64 {
    let chart = front.split("<svg class=\"chart\"").nth(1).unwrap();
    let chart = chart.split("</svg>").next().unwrap();
    chart
        .split("<title>")
        .skip(1)
        .step_by(3)
        .map(|title| {
            let counts = title.split_once(": ").unwrap().1;
            counts
                .split_once(" read, ")
                .unwrap()
                .0
                .parse::<u64>()
                .unwrap()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_front_page_counts_what_runs_and_webhooks_read_and_not_what_a_dry_run_read() {
    let world = world(None, None).await;
    world.add_people(0..3);
    let project = project_with_dashboard(&world);
    with_capsule_hook(&project);
    let dir = project.parent().unwrap();

    let planned = run_ferry(dir, &["run", "--dry-run", CAPSULE_TO_STRIPE]).await;
    assert!(planned.status.success(), "{}", text(&planned.stderr));
    assert!(
        text(&planned.stdout).contains("capsule_contacts_to_stripe (dry run): 3 read"),
        "{}",
        text(&planned.stdout)
    );
    let synced = run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    assert!(
        text(&synced.stdout).contains("capsule_contacts_to_stripe: 3 read, 3 created"),
        "{}",
        text(&synced.stdout)
    );

    // Capsule tells ferry serve of two of the people again: two more records read.
    let (server, store) = serve_dashboard(&project, &[CAPSULE_TO_STRIPE]).await;
    let base = format!("http://{}", server.local_addr);
    let people = capsule_hooks::parties(&world).await[..2].to_vec();
    let delivery = serde_json::json!({"event": "party/updated", "payload": people});
    let (status, _) = capsule_hooks::post(&base, capsule_hooks::TOKEN, &delivery).await;
    assert_eq!(status, 200);
    inbox_drained(&store).await;
    assert_eq!(store.inbox_stats().await.unwrap().failed, 0);

    let mut browser = Browser::new(base);
    browser.log_in().await;
    let (status, front) = browser.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        front.contains("<span class=\"key-read\">records read</span>"),
        "{front}"
    );
    let row = front
        .split("<tr>")
        .find(|row| row.contains("<td>capsule_contacts_to_stripe</td>"))
        .unwrap_or_else(|| panic!("{front}"));
    assert!(
        row.contains(" behind)</td><td>5</td><td>0</td>"),
        "3 read by the run, 2 by the workers, none by the dry run: {row}"
    );
    assert_eq!(charted_reads(&front), 5, "{front}");
    assert_eq!(front.matches("<rect class=\"read\"").count(), 24);
    server.shutdown().await;
}
