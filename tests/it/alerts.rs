//! Alerts: the `alerts:` section, `ferry alerts test` through a local HTTP receiver and a local
//! SMTP server, the dead-letter digest of `ferry run`, and the checks of `ferry serve`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::run_support::*;
use ferry::alerts::{Alerts, watch};
use ferry::diagnostics::{Code, SourceMap};
use ferry::project::Project;
use ferry::store::{InboxEvent, Store};

/// A local webhook receiver: what it was sent, and the status it answers with.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Receiver {
    pub async fn start(status: StatusCode) -> Receiver {
        let bodies: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let kept = bodies.clone();
        let app = Router::new().route(
            "/hook/{token}",
            post(move |axum::Json(body): axum::Json<serde_json::Value>| {
                let kept = kept.clone();
                async move {
                    kept.lock().unwrap().push(body);
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url: format!("http://{address}/hook/tok-secret-123"),
            bodies,
        }
    }

    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }
}

/// A local SMTP server that takes every message (RFC 5321's happy path) and keeps them.
#[derive(Clone)]
struct MailServer {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl MailServer {
    async fn start() -> MailServer {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages: Arc<Mutex<Vec<String>>> = Arc::default();
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write
                        .write_all(b"220 localhost ESMTP test\r\n")
                        .await
                        .unwrap();
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = &mut data {
                            if line == "." {
                                kept.lock().unwrap().push(std::mem::take(body));
                                data = None;
                                write.write_all(b"250 queued\r\n").await.unwrap();
                            } else {
                                body.push_str(&line);
                                body.push('\n');
                            }
                            continue;
                        }
                        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                        let answer: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-localhost\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        };
                        write.write_all(answer).await.unwrap();
                    }
                });
            }
        });
        MailServer { port, messages }
    }

    fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}

fn load(text: &str) -> Result<Project, Vec<ferry::diagnostics::Diagnostic>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.yaml");
    std::fs::write(&path, text).unwrap();
    Project::load_with(&path, &mut SourceMap::default())
}

const HEAD: &str =
    "version: 1\nconnections:\n  stripe:\n    kind: stripe\n    api_key: ${STRIPE_KEY}\n";

#[test]
fn an_alerts_section_is_read_with_its_defaults() {
    let project = load(&format!(
        "{HEAD}alerts:\n  channels:\n    ops:\n      webhook: ${{ALERT_URL}}\n      format: slack\n    mail:\n      email:\n        smtp: smtp.example.com\n        username: ${{SMTP_USER}}\n        password: ${{SMTP_PASSWORD}}\n        from: ferry@example.com\n        to: [ops@example.com, finance@example.com]\n  triggers:\n    dead_letters: {{ every: 5m }}\n    stalled: false\n"
    ))
    .unwrap();
    let lookup = |var: &str| Some(format!("value-of-{var}"));
    let alerts = project.alerts_with("default", &lookup).unwrap().unwrap();
    assert_eq!(alerts.channels.len(), 2);
    assert_eq!(alerts.triggers.dead_letters, Some(Duration::from_secs(300)));
    assert_eq!(alerts.triggers.stalled, None);
    assert!(alerts.triggers.failed && alerts.triggers.store_unavailable);
    assert_eq!(
        alerts.triggers.signature_failures,
        Some((20, Duration::from_secs(300)))
    );
    match &alerts.channels[1].target {
        ferry::project::ChannelTarget::Email { host, port, to, .. } => {
            assert_eq!((host.as_str(), *port), ("smtp.example.com", 587));
            assert_eq!(to.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    let secrets: Vec<&str> = alerts.secrets().iter().map(|s| s.expose()).collect();
    assert_eq!(
        secrets,
        [
            "value-of-ALERT_URL",
            "value-of-SMTP_USER",
            "value-of-SMTP_PASSWORD"
        ]
    );
    // A missing variable is named when the alerts are resolved.
    let missing = project.alerts_with("default", &|_| None).unwrap_err();
    assert!(
        missing
            .iter()
            .any(|d| d.code == Code::EnvironmentVariableMissing)
    );
}

#[test]
fn an_environment_can_keep_quiet() {
    let project = load(&format!(
        "{HEAD}environments:\n  sandbox: {{ alerts: false }}\n  production: {{}}\nalerts:\n  channels:\n    ops: {{ webhook: 'https://hooks.example.com/x' }}\n"
    ))
    .unwrap();
    let lookup = |_: &str| Some("x".to_string());
    assert!(project.alerts_with("sandbox", &lookup).unwrap().is_none());
    assert!(
        project
            .alerts_with("production", &lookup)
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_wrong_alerts_section_gets_a_diagnostic_for_each_mistake() {
    let errors = load(&format!(
        "{HEAD}alerts:\n  channels:\n    ops:\n      webhook: not a url\n      format: teams\n    mail:\n      email:\n        smtp: mail.example.com\n        tls: none\n        username: u\n        password: ${{P}}\n        from: not-an-address\n        to: ops@example.com\n    empty: {{}}\n  triggers:\n    dead_letter: {{ every: 5m }}\n    stalled: {{ after: soon }}\n"
    ))
    .unwrap_err();
    let found: Vec<(Code, String)> = errors.iter().map(|d| (d.code, d.message.clone())).collect();
    let has = |code: Code, text: &str| {
        assert!(
            found.iter().any(|(c, m)| *c == code && m.contains(text)),
            "no {code:?} with `{text}` in {found:#?}"
        )
    };
    has(Code::InvalidUrl, "the webhook is not a valid URL");
    has(Code::InvalidSettingValue, "unknown webhook format `teams`");
    has(
        Code::InvalidSettingValue,
        "`not-an-address` is not an e-mail address",
    );
    has(
        Code::MissingConnectionSetting,
        "alert channel `empty` has neither",
    );
    has(Code::ProjectUnknownKey, "unknown key `dead_letter`");
    has(Code::InvalidSettingValue, "`soon` is not a duration");

    let clear = load(&format!(
        "{HEAD}alerts:\n  channels:\n    mail:\n      email: {{ smtp: mail.example.com, tls: none, username: u, password: p, from: a@example.com, to: b@example.com }}\n"
    ))
    .unwrap_err();
    assert!(
        clear.iter().any(|d| d.message.contains("in clear text")),
        "{clear:#?}"
    );
    let none = load(&format!("{HEAD}alerts:\n  triggers: {{ failed: false }}\n")).unwrap_err();
    assert!(
        none.iter().any(|d| d.message.contains("has no channels")),
        "{none:#?}"
    );
}

fn alerts_project(world: &World, channels: &str) -> std::path::PathBuf {
    let project = world.project(1000);
    let mut text = std::fs::read_to_string(&project).unwrap();
    text.push_str(&format!("alerts:\n  channels:\n{channels}"));
    std::fs::write(&project, text).unwrap();
    project
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_alert_reaches_every_channel_and_a_failing_one_is_named_without_its_secret() {
    let world = world(None, None).await;
    let json = Receiver::start(StatusCode::OK).await;
    let slack = Receiver::start(StatusCode::OK).await;
    let broken = Receiver::start(StatusCode::NOT_FOUND).await;
    let mail = MailServer::start().await;
    let project = alerts_project(
        &world,
        &format!(
            "    json: {{ webhook: '{}' }}\n    slack: {{ webhook: '{}', format: slack }}\n    mail:\n      email: {{ smtp: 'localhost:{}', tls: none, from: ferry@example.com, to: [ops@example.com] }}\n",
            json.url, slack.url, mail.port
        ),
    );
    let dir = project.parent().unwrap();
    let sent = run_ferry(dir, &["alerts", "test"]).await;
    let stdout = text(&sent.stdout);
    assert!(sent.status.success(), "{stdout}\n{}", text(&sent.stderr));
    assert_eq!(stdout, "json: sent\nslack: sent\nmail: sent\n");
    assert_eq!(json.bodies()[0]["trigger"], "test");
    assert!(
        json.bodies()[0]["body"]
            .as_str()
            .unwrap()
            .contains("ferry alerts test")
    );
    let slack_text = slack.bodies()[0]["text"].as_str().unwrap().to_string();
    assert!(slack_text.starts_with("*[ferry "), "{slack_text}");
    let messages = mail.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("Subject: [ferry "), "{}", messages[0]);
    assert!(
        messages[0].contains("To: ops@example.com"),
        "{}",
        messages[0]
    );

    // A channel that refuses: named, with the reason, and without its URL's token.
    let project = alerts_project(
        &world,
        &format!("    broken: {{ webhook: '{}' }}\n", broken.url),
    );
    let dir = project.parent().unwrap();
    let failed = run_ferry(dir, &["alerts", "test"]).await;
    let stdout = text(&failed.stdout);
    assert_eq!(failed.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("broken: failed: the webhook answered 404"),
        "{stdout}"
    );
    assert_eq!(broken.bodies().len(), 1, "a 404 is not tried again");
    assert!(!stdout.contains("tok-secret-123"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_digests_its_dead_letters_once_per_window() {
    let world = world(None, None).await;
    world.add_people(0..3);
    for n in 0..2 {
        world.edit_person(n, |party| {
            party.email_addresses[0].address = "not an email".into()
        });
    }
    let receiver = Receiver::start(StatusCode::OK).await;
    let project = alerts_project(
        &world,
        &format!("    ops: {{ webhook: '{}' }}\n", receiver.url),
    );
    let dir = project.parent().unwrap();

    let run = run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    assert!(
        text(&run.stdout).contains("2 dead-lettered"),
        "{}",
        text(&run.stdout)
    );
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert_eq!(bodies[0]["trigger"], "dead_letters");
    assert_eq!(bodies[0]["key"], "dead_letters/capsule_contacts_to_stripe");
    assert_eq!(
        bodies[0]["subject"],
        "2 records of capsule_contacts_to_stripe dead-lettered"
    );
    assert!(
        bodies[0]["body"]
            .as_str()
            .unwrap()
            .contains("contact email is not a valid address"),
        "{}",
        bodies[0]["body"]
    );

    // The same records fail again within the window: no second message.
    run_ferry(dir, &["run", CAPSULE_TO_STRIPE, "--backfill"]).await;
    assert_eq!(receiver.bodies().len(), 1);

    let list = run_ferry(dir, &["alerts", "list", "--json"]).await;
    let listed: Vec<serde_json::Value> = text(&list.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["delivered"], serde_json::json!(["ops"]));
}

async fn serve_alerts(url: &str, triggers: &str) -> (Alerts, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let project = load(&format!(
        "{HEAD}alerts:\n  channels:\n    ops: {{ webhook: '{url}' }}\n  triggers: {triggers}\n"
    ))
    .unwrap();
    let config = project.alerts_with("default", &|_| None).unwrap();
    let url = format!("sqlite://{}", dir.path().join("state.db").display());
    let store = Store::open(&url).await.unwrap();
    let alerts = Alerts::start(config, Some(store.clone()), Vec::new(), "acme".into());
    (alerts, store, dir)
}

async fn wait_for(receiver: &Receiver, count: usize) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        if receiver.bodies().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    receiver.bodies()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_raises_waiting_events_and_a_store_it_cannot_read() {
    let receiver = Receiver::start(StatusCode::OK).await;
    let (alerts, store, _dir) = serve_alerts(
        &receiver.url,
        "{ stalled: { after: 1m }, dead_letters: false }",
    )
    .await;
    let hour_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    store
        .inbox_put(&InboxEvent {
            connection: "stripe".into(),
            event_id: "evt_1".into(),
            event_type: "customer.created".into(),
            created: hour_ago.as_second(),
            body: "{}".into(),
            received_at: hour_ago,
            object_key: None,
        })
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(watch::run(
        alerts.clone(),
        store.clone(),
        Duration::from_millis(50),
        stopped,
    ));
    let bodies = wait_for(&receiver, 1).await;
    assert_eq!(bodies[0]["trigger"], "stalled");
    let subject = bodies[0]["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("1 event has waited up to "),
        "{subject}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.bodies().len(), 1, "one message per quiet time");

    store.close().await;
    let bodies = wait_for(&receiver, 2).await;
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    assert_eq!(bodies[1]["trigger"], "store_unavailable");
    let _ = stop.send(true);
    watcher.await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_refused_signatures_raises_one_alert() {
    let receiver = Receiver::start(StatusCode::OK).await;
    let (alerts, _store, _dir) = serve_alerts(
        &receiver.url,
        "{ signature_failures: { burst: 3, within: 1m } }",
    )
    .await;
    alerts.signature_refused("stripe");
    alerts.signature_refused("stripe");
    alerts.flush(Duration::from_secs(5)).await;
    assert!(receiver.bodies().is_empty(), "two are not a burst");
    for _ in 0..5 {
        alerts.signature_refused("stripe");
    }
    alerts.flush(Duration::from_secs(5)).await;
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert_eq!(bodies[0]["trigger"], "signature_failures");
    assert!(
        bodies[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("3 webhook deliveries refused")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ferry_serve_tells_the_alerts_of_refused_webhooks() {
    use ferry::runtime::{Runner, Workspace};
    use ferry::server::{self, App, ServeOptions};

    let world = world(None, None).await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let project = world.project(1000);
    let mut text = std::fs::read_to_string(&project).unwrap();
    text.push_str(&format!(
        "alerts:\n  channels:\n    ops: {{ webhook: '{}' }}\n  triggers:\n    signature_failures: {{ burst: 3, within: 1m }}\n",
        receiver.url
    ));
    std::fs::write(&project, text).unwrap();
    let workspace = Workspace::open(Some(&project), None).unwrap();
    let jobs = workspace
        .jobs(&[crate::run_support::serve::CHARGES_TO_ORDERS.to_string()])
        .unwrap();
    let store = workspace.store().await.unwrap();
    let connectors = workspace.connectors(&jobs, None, &store).unwrap();
    let alerts = Alerts::start(
        workspace.alerts.clone(),
        Some(store.clone()),
        workspace.secrets(),
        workspace.project_name(),
    );
    let runner = Runner::new(store.clone(), connectors, workspace.secrets());
    let options = ServeOptions {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        catch_up_every: None,
        ..ServeOptions::default()
    };
    let app = App::new(store.clone(), runner, jobs, &workspace.environment, options)
        .with_alerts(alerts.clone());
    let handle = server::start(app).await.unwrap();
    let url = format!("http://{}/webhooks/stripe/stripe", handle.local_addr);
    for _ in 0..3 {
        let answer = reqwest::Client::new()
            .post(&url)
            .header("stripe-signature", "t=1,v1=00")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
    }
    alerts.flush(Duration::from_secs(5)).await;
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert_eq!(bodies[0]["trigger"], "signature_failures");
    assert!(
        bodies[0]["body"]
            .as_str()
            .unwrap()
            .contains("connection `stripe`"),
        "{}",
        bodies[0]["body"]
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_mismatches_are_told_to_the_channels() {
    let world = world(None, None).await;
    world.add_people(0..2);
    let receiver = Receiver::start(StatusCode::OK).await;
    let project = alerts_project(
        &world,
        &format!("    ops: {{ webhook: '{}' }}\n", receiver.url),
    );
    let dir = project.parent().unwrap();
    assert!(
        run_ferry(dir, &["run", CAPSULE_TO_STRIPE])
            .await
            .status
            .success()
    );
    let clean = run_ferry(dir, &["reconcile", CAPSULE_TO_STRIPE]).await;
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    assert!(receiver.bodies().is_empty(), "a clean report tells no one");

    let customer = world.customers().await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    world
        .stripe_post(&format!("/v1/customers/{customer}"), "name=Hand+Edited")
        .await;
    let drifted = run_ferry(dir, &["reconcile", CAPSULE_TO_STRIPE]).await;
    assert_eq!(drifted.status.code(), Some(1), "{}", text(&drifted.stderr));
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert_eq!(bodies[0]["trigger"], "reconcile");
    assert_eq!(bodies[0]["key"], "reconcile/capsule_contacts_to_stripe");
    assert!(
        bodies[0]["body"]
            .as_str()
            .unwrap()
            .contains("1 with drifted fields"),
        "{}",
        bodies[0]["body"]
    );
}

/// `ferry run PIPELINE --watch` in `dir`, running until [`Watch::stop`].
struct Watch {
    child: std::process::Child,
    /// What it printed so far.
    stdout: Arc<Mutex<String>>,
}

impl Watch {
    fn start(dir: &std::path::Path, pipeline: &str) -> Watch {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
            .current_dir(dir)
            .args(["run", pipeline, "--watch"])
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout: Arc<Mutex<String>> = Arc::default();
        let printed = stdout.clone();
        let mut pipe = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(read @ 1..) = std::io::Read::read(&mut pipe, &mut chunk) {
                printed
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..read]));
            }
        });
        Watch { child, stdout }
    }

    /// Waits until the watch has printed `text` (its first pass is over).
    async fn printed(&self, text: &str) {
        for _ in 0..600 {
            if self.stdout.lock().unwrap().contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the watch did not print `{text}`: {}",
            self.stdout.lock().unwrap()
        );
    }

    /// Kills the watch at once (SIGKILL), as a pass that hangs does not stop on SIGTERM; what
    /// it printed on standard error.
    async fn kill(mut self) -> String {
        let output = tokio::task::spawn_blocking(move || {
            let _ = self.child.kill();
            self.child.wait_with_output().unwrap()
        })
        .await
        .unwrap();
        text(&output.stderr)
    }

    /// Asks the watch to stop as a service manager does (SIGTERM); what it printed on standard
    /// output and standard error.
    async fn stop(mut self) -> (String, String) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: signals a child process this test started and has not waited for.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let output = tokio::task::spawn_blocking(move || {
            for _ in 0..300 {
                if self.child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
            self.child.wait_with_output().unwrap()
        })
        .await
        .unwrap();
        let stdout = self.stdout.lock().unwrap().clone();
        (stdout, text(&output.stderr))
    }
}

/// The project of `world` with one webhook channel to `receiver` and `stalled: { after: 2s }`;
/// `refused` names a connection whose credentials its API refuses (revoked: each request fails
/// at once, so a pass ends well within the stall time).
fn stall_project(world: &World, receiver: &Receiver, refused: Option<&str>) -> std::path::PathBuf {
    let project = alerts_project(
        world,
        &format!("    ops: {{ webhook: '{}' }}\n", receiver.url),
    );
    let mut text = std::fs::read_to_string(&project).unwrap();
    text.push_str("  triggers:\n    stalled: { after: 2s }\n");
    let revoked = match refused {
        Some("capsule") => text.replace("token: capsule-sandbox-token", "token: revoked-token"),
        Some("stripe") => text.replace("api_key: sk_test_e2e", "api_key: revoked_key_e2e"),
        Some(other) => panic!("no credentials to revoke for {other}"),
        None => text.clone(),
    };
    assert!(refused.is_none() || revoked != text);
    std::fs::write(&project, revoked).unwrap();
    project
}

/// Moves `connection` of the project at `project` to `port` on loopback, keeping its path.
fn point_at(project: &std::path::Path, connection: &str, port: u16) {
    let text = std::fs::read_to_string(project).unwrap();
    let mut connections = text
        .split(&format!("\n  {connection}:\n"))
        .collect::<Vec<_>>();
    let (base, path) = connections[1].split_once("base_url: ").unwrap();
    let rest = path.split_once("://").unwrap().1;
    let path = rest.split_once('/').unwrap().1;
    let moved = format!("{base}base_url: http://127.0.0.1:{port}/{path}");
    connections[1] = &moved;
    let text = connections.join(&format!("\n  {connection}:\n"));
    std::fs::write(project, text).unwrap();
}

/// The stalled alerts among what `receiver` was sent, waiting up to `limit` for the first.
async fn stalled_alerts(receiver: &Receiver, limit: Duration) -> Vec<serde_json::Value> {
    let stalled = || -> Vec<serde_json::Value> {
        receiver
            .bodies()
            .into_iter()
            .filter(|body| body["trigger"] == "stalled")
            .collect()
    };
    let deadline = tokio::time::Instant::now() + limit;
    while stalled().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stalled()
}

/// The body of the one alert in `stalled`, checked: its key names
/// `capsule_contacts_to_stripe`, its subject goes on after the pipeline's name with `subject`,
/// and its body holds `body`. `output` is what the watch printed, for a failure.
fn one_stall<'a>(
    stalled: &'a [serde_json::Value],
    subject: &str,
    body: &str,
    output: &str,
) -> &'a str {
    assert_eq!(stalled.len(), 1, "{stalled:#?}\n{output}");
    let alert = &stalled[0];
    assert_eq!(alert["key"], "stalled/capsule_contacts_to_stripe");
    let said = alert["subject"].as_str().unwrap();
    assert!(
        said.starts_with(&format!("capsule_contacts_to_stripe{subject}")),
        "{said}"
    );
    let text = alert["body"].as_str().unwrap();
    assert!(text.contains(body), "{text}");
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watch_whose_source_cannot_be_read_raises_one_stalled_alert() {
    let world = world(None, None).await;
    world.add_people(0..2);
    let receiver = Receiver::start(StatusCode::OK).await;
    let project = stall_project(&world, &receiver, Some("capsule"));
    let watch = Watch::start(project.parent().unwrap(), CAPSULE_TO_STRIPE);

    stalled_alerts(&receiver, Duration::from_secs(60)).await;
    // Past two more stall times and a failing pass: still one alert (the quiet time).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (_, stderr) = watch.stop().await;
    let stalled = stalled_alerts(&receiver, Duration::ZERO).await;
    let body = one_stall(
        &stalled,
        " has not read its source for ",
        "has not read the source of pipeline `capsule_contacts_to_stripe`",
        &stderr,
    );
    // The reason is the failed pass's, as the run printed it.
    let reason = stderr
        .lines()
        .find_map(|line| line.strip_prefix("error: pipeline `capsule_contacts_to_stripe`: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(body.contains(reason), "{body}\n{reason}");
    assert!(world.customers().await.is_empty(), "nothing was delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watch_whose_target_refuses_its_key_raises_the_lag_of_its_cursor() {
    let world = world(None, None).await;
    world.add_people(0..2);
    let receiver = Receiver::start(StatusCode::OK).await;
    let project = stall_project(&world, &receiver, None);
    let dir = project.parent().unwrap();
    let first = run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(world.customers().await.len(), 2);

    // Newer people in Capsule, and Stripe refusing ferry's key: the polls read them, and the
    // cursor stays at the first two.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    world.add_people(2..4);
    let project = stall_project(&world, &receiver, Some("stripe"));
    let watch = Watch::start(project.parent().unwrap(), CAPSULE_TO_STRIPE);
    stalled_alerts(&receiver, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, stderr) = watch.stop().await;
    let stalled = stalled_alerts(&receiver, Duration::ZERO).await;
    one_stall(
        &stalled,
        " lags its source by ",
        "the source has newer records",
        &stderr,
    );
    assert_eq!(world.customers().await.len(), 2, "the newer two wait");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pass_that_hangs_raises_a_stalled_alert_while_it_hangs() {
    let world = world(None, None).await;
    world.add_people(0..2);
    let receiver = Receiver::start(StatusCode::OK).await;
    let project = stall_project(&world, &receiver, None);
    // Capsule at a port that takes connections (the kernel's backlog) and never answers: the
    // first pass waits for its first page until the 60 s timeout, then retries.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    point_at(&project, "capsule", silent.local_addr().unwrap().port());
    let started = std::time::Instant::now();
    let watch = Watch::start(project.parent().unwrap(), CAPSULE_TO_STRIPE);

    let stalled = stalled_alerts(&receiver, Duration::from_secs(40)).await;
    let waited = started.elapsed();
    let stdout = watch.stdout.lock().unwrap().clone();
    let stderr = watch.kill().await;
    drop(silent);
    one_stall(
        &stalled,
        "'s pass has made no progress for ",
        "has read no page of its source and stored no batch",
        &stderr,
    );
    assert!(
        waited < Duration::from_secs(50),
        "raised while the pass hung, before its request timed out: {waited:?}"
    );
    assert!(
        !stdout.contains("capsule_contacts_to_stripe:"),
        "no pass ended: {stdout}"
    );
    assert!(world.customers().await.is_empty(), "nothing was delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_watch_raises_no_stalled_alert() {
    let world = world(None, None).await;
    world.add_people(0..2);
    let receiver = Receiver::start(StatusCode::OK).await;
    let project = stall_project(&world, &receiver, None);
    let watch = Watch::start(project.parent().unwrap(), CAPSULE_TO_STRIPE);
    watch.printed("2 created").await;
    // Its pipeline polls every 5 minutes: more than twice the stall time passes with no poll.
    let stalled = stalled_alerts(&receiver, Duration::from_secs(5)).await;
    let (stdout, stderr) = watch.stop().await;
    assert!(stalled.is_empty(), "{stalled:#?}");
    // Its connections' counts are printed as a run ends: it stopped as asked.
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("stripe: ") && line.contains(" requests")),
        "{stdout}\n{stderr}"
    );
    assert_eq!(world.customers().await.len(), 2);
}
