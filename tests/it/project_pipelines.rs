//! ferry.yaml's `pipelines:` section at run time: `ferry run` over a folder and `ferry serve`
//! leave out a pipeline the project turns off and say so; naming it still runs it, with a
//! warning.

use crate::proof_support;
use crate::run_support;

use std::path::Path;

use ferry::connectors::stripe::signature::sign;
use ferry::project::Secret;
use proof_support::{free_port, serve_args, tail, wait_healthy};
use run_support::serve::WEBHOOK_SECRET;
use run_support::*;

const ORDERS: &str = "stripe_charges_to_business_central";
const CUSTOMERS: &str = "stripe_customers_to_business_central";
const CONTACTS: &str = "capsule_contacts_to_stripe";

/// The world's project with `pipelines` (shipped files, by name) in its `pipelines/` folder and
/// the sales-order flow turned off in its ferry.yaml.
fn project_turning_orders_off(world: &World, pipelines: &[&str]) -> std::path::PathBuf {
    let project = world.project(1000);
    let mut text = std::fs::read_to_string(&project).unwrap();
    text.push_str(&format!("pipelines:\n  {ORDERS}: {{ enabled: false }}\n"));
    std::fs::write(&project, text).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let folder = world.dir.path().join("pipelines");
    for sub in ["fixtures", "lookups"] {
        copy_dir(&shipped.join(sub), &folder.join(sub));
    }
    for name in pipelines {
        let file = format!("{name}.ferry");
        std::fs::copy(shipped.join(&file), folder.join(&file)).unwrap();
    }
    world.with_shipped_schemas();
    project
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn run_over_a_folder_skips_a_pipeline_turned_off_and_runs_it_when_named() {
    let world = world(None, None).await;
    world.add_people(0..2);
    let project = project_turning_orders_off(&world, &[ORDERS, CONTACTS]);
    let dir = project.parent().unwrap();

    let folder = run_ferry(dir, &["run", "pipelines/", "--dry-run"]).await;
    let (stdout, stderr) = (text(&folder.stdout), text(&folder.stderr));
    assert!(folder.status.success(), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let skipped = format!("{ORDERS}: skipped, ferry.yaml turns it off");
    assert_eq!(
        lines.iter().filter(|l| **l == skipped).count(),
        1,
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l.starts_with(&format!("{ORDERS} (dry run)"))),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{CONTACTS} (dry run): 2 read, would create 2")),
        "{stdout}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");

    let warning =
        format!("warning: ferry.yaml turns {ORDERS} off; running it because it was named");
    let file = format!("pipelines/{ORDERS}.ferry");
    for named in [ORDERS, file.as_str()] {
        let output = run_ferry(dir, &["run", named, "--dry-run"]).await;
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert!(output.status.success(), "{stdout}\n{stderr}");
        assert_eq!(
            stderr.lines().filter(|l| *l == warning).count(),
            1,
            "{stderr}"
        );
        assert!(
            stdout.contains(&format!("{ORDERS} (dry run): 0 read")),
            "{stdout}"
        );
        assert!(!stdout.contains("ferry.yaml turns it off"), "{stdout}");
    }
}

/// A signed Stripe event of `event_type` posted to the serve at `base`: its JSON answer.
async fn deliver(base: &str, id: &str, event_type: &str) -> serde_json::Value {
    let body = serde_json::json!({
        "id": id,
        "object": "event",
        "type": event_type,
        "created": 1_764_000_000,
        "data": { "object": { "id": "ch_1", "object": "charge" } },
    })
    .to_string();
    let secret = Secret::new(WEBHOOK_SECRET);
    let header = sign(body.as_bytes(), &secret, jiff::Timestamp::now().as_second());
    reqwest::Client::new()
        .post(format!("{base}/webhooks/stripe/stripe"))
        .header("content-type", "application/json")
        .header("stripe-signature", header)
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `ferry serve` of `pipelines` (none: the project's folder) in `dir`, answering, logging to
/// `log_name`; the child, its base URL and its log.
async fn serving(
    dir: &Path,
    project: &Path,
    pipelines: &[&str],
    log_name: &str,
) -> (tokio::process::Child, String, std::path::PathBuf) {
    let log = dir.join(log_name);
    let bind = free_port();
    let base = format!("http://{bind}");
    let args = serve_args(project, pipelines, bind);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = proof_support::ferry(dir, &args, &log);
    wait_healthy(&base, &mut child, &log).await;
    (child, base, log)
}

/// The lines of a log that contain `text`.
fn lines_with(log: &Path, text: &str) -> Vec<String> {
    let logged = std::fs::read_to_string(log).unwrap();
    logged
        .lines()
        .filter(|l| l.contains(text))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_leaves_out_a_pipeline_turned_off_unless_it_is_named() {
    let world = world(None, None).await;
    let project = project_turning_orders_off(&world, &[ORDERS, CUSTOMERS]);
    let dir = world.dir.path();

    // No pipelines named: the project's pipelines/ folder, the sales-order flow left out, so
    // nothing handles charge.succeeded.
    let (mut child, base, log) = serving(dir, &project, &[], "serve.log").await;
    let charge = deliver(&base, "evt_charge_1", "charge.succeeded").await;
    assert_eq!(charge["handled"], false, "{charge}\n{}", tail(&log, 30));
    let customer = deliver(&base, "evt_customer_1", "customer.created").await;
    assert_eq!(
        customer["duplicate"],
        false,
        "{customer}\n{}",
        tail(&log, 30)
    );
    child.kill().await.unwrap();
    let left_out = lines_with(&log, "not served: ferry.yaml turns it off");
    assert_eq!(left_out.len(), 1, "{}", tail(&log, 30));
    assert!(
        left_out[0].contains(&format!("pipeline={ORDERS}")),
        "{left_out:?}"
    );

    // Named: served, with a warning.
    let file = format!("pipelines/{ORDERS}.ferry");
    let (mut child, base, log) = serving(dir, &project, &[&file], "serve_named.log").await;
    let charge = deliver(&base, "evt_charge_2", "charge.succeeded").await;
    assert_eq!(charge["duplicate"], false, "{charge}\n{}", tail(&log, 30));
    child.kill().await.unwrap();
    let warned = lines_with(
        &log,
        "served because it was named, though ferry.yaml turns it off",
    );
    assert_eq!(warned.len(), 1, "{}", tail(&log, 30));
    assert!(warned[0].contains("WARN"), "{warned:?}");
}

/// Every shipped pipeline, with the shipped `pipelines:` section, against a seeded sandbox: one
/// `ferry run pipelines/` drains them all (dead letters are handled, not a stop), and
/// `ferry serve` of the whole folder starts and answers.
#[tokio::test(flavor = "multi_thread")]
async fn the_whole_shipped_folder_runs_and_serves_against_the_sandbox() {
    // A few people, so that what they become in Stripe, Business Central and Syspro is quick.
    let world = world_from(empty_stripe(), |builder| {
        builder
            .seed(Some(7))
            .capsule(ferry::sandbox::capsule::CapsuleConfig {
                people: 12,
                ..Default::default()
            })
    })
    .await;
    let (project, _) = world.project_with_journal(1000).await;
    let dir = world.dir.path();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::os::unix::fs::symlink(shipped.join("pipelines"), dir.join("pipelines")).unwrap();
    let yaml = std::fs::read_to_string(shipped.join("ferry.yaml")).unwrap();
    let (_, section) = yaml.split_once("\npipelines:\n").unwrap();
    let mut text = std::fs::read_to_string(&project).unwrap();
    text.push_str(&format!("pipelines:\n{section}"));
    std::fs::write(&project, text).unwrap();

    let output = run_ferry(dir, &["run", "pipelines/"]).await;
    let (stdout, stderr) = (text_of(&output.stdout), text_of(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let shipped_files = std::fs::read_dir(shipped.join("pipelines"))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "ferry"))
        })
        .count();
    assert!(shipped_files >= 10);
    for pronto in [
        "pronto_debtors_to_stripe: ",
        "pronto_products_to_stripe_products: ",
        "pronto_orders_to_stripe_invoices: ",
    ] {
        assert!(stdout.contains(pronto), "{pronto}\n{stdout}");
    }
    assert!(!world.stripe.objects("customer").is_empty());

    let (mut child, _base, log) = serving(dir, &project, &[], "serve_all.log").await;
    child.kill().await.unwrap();
    assert!(lines_with(&log, "ERROR").is_empty(), "{}", tail(&log, 30));
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
