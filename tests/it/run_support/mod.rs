//! A sandbox on an ephemeral loopback port, a project pointing at it, and a runner.

pub mod serve;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ferry::runtime::{Job, PipelineReport, RunOptions, Runner, Workspace};
use ferry::sandbox::capsule::CapsuleState;
use ferry::sandbox::capsule::party::{EmailAddress, Party, PartyKind};
use ferry::sandbox::pronto::{ProntoConfig, ProntoState};
use ferry::sandbox::stripe::{StripeOptions, StripeState};
use ferry::sandbox::syspro::SysproState;
use ferry::sandbox::{FaultSpec, Sandbox, SandboxHandle};
use ferry::store::Store;
use jiff::Timestamp;
use serde_json::Value;

pub const CAPSULE_TO_STRIPE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/capsule_contacts_to_stripe.ferry"
);

pub struct World {
    #[expect(
        dead_code,
        reason = "held, not read: dropping the handle stops the emulators"
    )]
    pub handle: SandboxHandle,
    pub capsule: CapsuleState,
    pub business_central_emulator: ferry::sandbox::business_central::BusinessCentralState,
    pub stripe: StripeState,
    pub syspro: SysproState,
    pub pronto: ProntoState,
    pub dir: tempfile::TempDir,
    pub base: String,
    /// The store every project of this world names: `sqlite://state.db` in its folder unless
    /// [`World::project_on`] chose another.
    store: std::sync::Mutex<String>,
}

/// Starts the emulators (Stripe without its rate limit unless `stripe_rate` is given) with an
/// empty Capsule account, and `faults` if any.
pub async fn world(faults: Option<&str>, stripe_rate: Option<u32>) -> World {
    world_seeded(faults, stripe_rate, None).await
}

/// As [`world`], with Capsule and Business Central filled from `seed`.
pub async fn world_seeded(
    faults: Option<&str>,
    stripe_rate: Option<u32>,
    seed: Option<u64>,
) -> World {
    let stripe = StripeOptions {
        rate_limit: stripe_rate,
        ..empty_stripe()
    };
    world_with(faults, stripe, seed).await
}

/// A Stripe emulator with no seed data and no rate limit (its ids still seeded).
pub fn empty_stripe() -> StripeOptions {
    StripeOptions {
        seed: Some(1),
        rate_limit: None,
        seed_customers: 0,
        seed_charges: 0,
        seed_products: 0,
        ..StripeOptions::default()
    }
}

/// As [`world_seeded`], with the Stripe emulator made from `stripe`.
pub async fn world_with(faults: Option<&str>, stripe: StripeOptions, seed: Option<u64>) -> World {
    world_from(stripe, |builder| {
        builder
            .seed(seed)
            .faults(faults.map(|spec| spec.parse::<FaultSpec>().unwrap()))
    })
    .await
}

/// A world whose sandbox `configure` sets up (seed, faults, Capsule and Business Central
/// settings), with the Stripe emulator made from `stripe`.
pub async fn world_from(
    stripe: StripeOptions,
    configure: impl FnOnce(ferry::sandbox::SandboxBuilder) -> ferry::sandbox::SandboxBuilder,
) -> World {
    ferry::init_tls();
    let stripe = StripeState::new(stripe);
    // Pronto takes any number of calls and completes orders at once unless `configure` says
    // otherwise: its 30 calls a minute would make every test wait (its own tests keep it).
    let fast_pronto = ProntoConfig {
        requests_per_minute: 0,
        transaction_delay: std::time::Duration::ZERO,
        ..ProntoConfig::default()
    };
    let sandbox = configure(Sandbox::builder().config::<ProntoState>(fast_pronto))
        .stripe(stripe.clone())
        .build();
    let capsule = sandbox.capsule().unwrap().clone();
    let business_central = sandbox.business_central().unwrap().clone();
    let syspro = sandbox.syspro().unwrap().clone();
    let pronto = sandbox.state::<ProntoState>().unwrap().clone();
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = handle.base_url();
    World {
        handle,
        capsule,
        business_central_emulator: business_central,
        stripe,
        syspro,
        pronto,
        dir: tempfile::tempdir().unwrap(),
        base,
        store: std::sync::Mutex::new("sqlite://state.db".to_string()),
    }
}

impl World {
    /// Writes ferry.yaml for this sandbox; `stripe_limit` is the client's requests per second.
    pub fn project(&self, stripe_limit: u32) -> PathBuf {
        let path = self.dir.path().join("ferry.yaml");
        let text = format!(
            "version: 1\n\
             timezone: Australia/Sydney\n\
             store: {store}\n\
             connections:\n  \
               stripe:\n    kind: stripe\n    api_key: sk_test_e2e\n    webhook_secret: whsec_test_e2e\n    base_url: {base}/stripe\n    rate_limit: {{ requests: {stripe_limit}, per: 1s }}\n  \
               capsule:\n    kind: capsule\n    token: capsule-sandbox-token\n    base_url: {base}/capsule/api/v2\n  \
               syspro:\n    kind: syspro\n    base_url: {base}/syspro\n    operator: ADMIN\n    operator_password: sandbox-password\n    company_id: EDU1\n  \
               pronto:\n    kind: pronto\n    base_url: {base}/pronto\n    username: ferry-sandbox@example.com\n    password: pronto-sandbox-password\n    rate_limit: {{ requests: 6000, per: 1m }}\n  \
               business_central:\n    kind: business_central\n    base_url: {base}/business_central\n    login_url: {base}/oauth\n    tenant: sandbox-tenant\n    environment: sandbox\n    company_id: 00000000-0000-0000-0000-000000000001\n    client_id: ferry-sandbox-client\n    client_secret: ferry-sandbox-secret\n",
            base = self.base,
            store = self.store.lock().unwrap()
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// As [`World::project`], with the state store of `backend` (the store tests' backends),
    /// which every project of this world names from now on.
    pub fn project_on(
        &self,
        stripe_limit: u32,
        backend: &crate::store_support::TestBackend,
    ) -> PathBuf {
        *self.store.lock().unwrap() = backend.url();
        self.project(stripe_limit)
    }

    /// As [`World::project`], with the general journal as the Business Central connection's
    /// `journal` (where `journalLines` go, named by its code); the journal's id.
    pub async fn project_with_journal(&self, stripe_limit: u32) -> (PathBuf, String) {
        let project = self.project(stripe_limit);
        let journals = self.business_central("journals").await;
        let general = journals.iter().find(|j| j["code"] == "GENERAL").unwrap();
        let journal = general["id"].as_str().unwrap().to_string();
        let mut text = std::fs::read_to_string(&project).unwrap();
        text.push_str("    journal: GENERAL\n");
        std::fs::write(&project, text).unwrap();
        (project, journal)
    }

    /// The shipped project's `schemas/` (Capsule's custom fields, pulled from the sandbox's
    /// account, whose definitions the world's emulator has too), for a copy of a shipped
    /// pipeline written into the world's project.
    pub fn with_shipped_schemas(&self) {
        let pulled = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let into = self.dir.path().join("schemas");
        std::fs::create_dir_all(&into).unwrap();
        for entry in std::fs::read_dir(pulled).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, into.join(path.file_name().unwrap())).unwrap();
        }
    }

    /// Adds people to Capsule: `person{n}@example.com`, named `Person {n}`.
    pub fn add_people(&self, range: std::ops::Range<u64>) {
        let mut data = self.capsule.data();
        let at = Timestamp::now();
        for n in range {
            let id = 100_000 + n;
            let mut party = Party::new(id, PartyKind::Person, at);
            party.first_name = Some("Person".into());
            party.last_name = Some(n.to_string());
            party.email_addresses.push(EmailAddress {
                id: id * 10,
                kind: Some("Work".into()),
                address: format!("person{n}@example.com"),
            });
            data.parties.insert(id, party);
        }
    }

    pub fn edit_person(&self, n: u64, edit: impl FnOnce(&mut Party)) {
        let mut data = self.capsule.data();
        let party = data.parties.get_mut(&(100_000 + n)).unwrap();
        edit(party);
        party.updated_at = Timestamp::now();
    }

    /// Business Central sales orders made from Stripe charges (`externalDocumentNumber` ch_...).
    pub async fn business_central_orders(&self) -> Vec<Value> {
        let orders = self.business_central("salesOrders").await;
        orders
            .into_iter()
            .filter(|order| {
                order["externalDocumentNumber"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("ch_"))
            })
            .collect()
    }

    /// Every entity of a Business Central collection (a path under the sandbox company, such
    /// as `journals` or `journals(<id>)/journalLines`), all pages.
    pub async fn business_central(&self, collection: &str) -> Vec<Value> {
        let client = reqwest::Client::new();
        let token = self.business_central_token().await;
        let company = self.business_central_company();
        // The customer ledger is the finance reports API's, not API v2.0's.
        let company = if collection.starts_with("customerLedgerEntries") {
            company.replacen("/api/v2.0/", "/api/microsoft/reportsFinance/beta/", 1)
        } else {
            company
        };
        let mut url = Some(format!("{company}/{collection}"));
        let mut entities = Vec::new();
        while let Some(next) = url {
            let page: Value = client
                .get(&next)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            entities.extend(page["value"].as_array().unwrap().iter().cloned());
            url = page["@odata.nextLink"].as_str().map(str::to_string);
        }
        entities
    }

    /// A form-encoded POST to the Stripe emulator that must succeed; its JSON answer.
    pub async fn stripe_post(&self, path: &str, form: &str) -> Value {
        let request = reqwest::Client::new()
            .post(format!("{}/stripe{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string());
        Self::stripe_answer(path, request).await
    }

    /// A GET of the Stripe emulator that must succeed (`/v1/events?type=payout.paid`).
    pub async fn stripe_get(&self, path: &str) -> Value {
        let request = reqwest::Client::new().get(format!("{}/stripe{path}", self.base));
        Self::stripe_answer(path, request).await
    }

    async fn stripe_answer(path: &str, request: reqwest::RequestBuilder) -> Value {
        let response = request.bearer_auth("sk_test_e2e").send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A DELETE to the Stripe emulator that must succeed (`/v1/customers/cus_1`).
    pub async fn stripe_delete(&self, path: &str) {
        let response = reqwest::Client::new()
            .delete(format!("{}/stripe{path}", self.base))
            .bearer_auth("sk_test_e2e")
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    fn business_central_company(&self) -> String {
        format!(
            "{}/business_central/v2.0/sandbox-tenant/sandbox/api/v2.0/companies(00000000-0000-0000-0000-000000000001)",
            self.base
        )
    }

    async fn business_central_token(&self) -> String {
        let token: Value = reqwest::Client::new()
            .post(format!("{}/oauth/sandbox-tenant/oauth2/v2.0/token", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&client_id=ferry-sandbox-client&client_secret=ferry-sandbox-secret&scope=https%3A%2F%2Fapi.businesscentral.dynamics.com%2F.default")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        token["access_token"].as_str().unwrap().to_string()
    }

    /// Changes an entity (`items(<id>)`) in Business Central as a user would, with its etag.
    pub async fn business_central_patch(&self, entity: &str, etag: &str, body: Value) -> Value {
        let request = reqwest::Client::new()
            .patch(format!("{}/{entity}", self.business_central_company()))
            .header("If-Match", etag)
            .json(&body);
        self.business_central_send(request, entity).await
    }

    /// Creates an entity in Business Central (`journals(<id>)/journalLines`) as a user would.
    pub async fn business_central_post(&self, collection: &str, body: Value) -> Value {
        let request = reqwest::Client::new()
            .post(format!("{}/{collection}", self.business_central_company()))
            .json(&body);
        self.business_central_send(request, collection).await
    }

    /// Writes a payment line into the customer payment journal, as a process killed between
    /// writing and posting another record's payment leaves one: the journal's id and the line.
    pub async fn stray_payment_line(&self) -> (String, Value) {
        let journals = self.business_central("customerPaymentJournals").await;
        let journal = journals[0]["id"].as_str().unwrap().to_string();
        let customers = self.business_central("customers?$top=1").await;
        let stray = self
            .business_central_post(
                &format!("customerPaymentJournals({journal})/customerPayments"),
                serde_json::json!({
                    "customerNumber": customers[0]["number"], "amount": 5,
                    "externalDocumentNumber": "LEFT-BY-A-KILL", "description": "another record's",
                }),
            )
            .await;
        (journal, stray)
    }

    /// Deletes the payment line `line` of journal `journal` (see [`World::stray_payment_line`]).
    pub async fn delete_payment_line(&self, journal: &str, line: &Value) {
        self.business_central_delete(&format!(
            "customerPaymentJournals({journal})/customerPayments({})",
            line["id"].as_str().unwrap()
        ))
        .await;
    }

    /// Sends `request` with a token; the answer, which must be a success.
    async fn business_central_send(&self, request: reqwest::RequestBuilder, what: &str) -> Value {
        let response = request
            .bearer_auth(self.business_central_token().await)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{what}: {status} {answer}");
        answer
    }

    /// Deletes an entity in Business Central as a user would, whatever its etag.
    pub async fn business_central_delete(&self, entity: &str) {
        let response = reqwest::Client::new()
            .delete(format!("{}/{entity}", self.business_central_company()))
            .bearer_auth(self.business_central_token().await)
            .header("If-Match", "*")
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{entity}: {}",
            response.status()
        );
    }

    /// Succeeded charges of these amounts (AUD), for `customer` if given; their ids.
    pub async fn sandbox_charges(&self, amounts: &[i64], customer: Option<&str>) -> Vec<String> {
        let mut ids = Vec::new();
        for amount in amounts {
            let mut form = format!("amount={amount}&currency=aud");
            if let Some(customer) = customer {
                form.push_str(&format!("&customer={customer}"));
            }
            let charge = self.stripe_post("/v1/sandbox/charges", &form).await;
            ids.push(charge["id"].as_str().unwrap().to_string());
        }
        ids
    }

    /// A paid payout (`POST /v1/sandbox/payouts`, AUD) of every charge so far, less a refund of
    /// 25.50 of `charge`, a dispute adjustment of 15.00 and a Radar fee of 9.99.
    pub async fn sandbox_payout(&self, charge: &str) -> Value {
        self.stripe_post(
            "/v1/sandbox/payouts",
            &format!(
                "currency=aud&refunds[0][charge]={charge}&refunds[0][amount]=2550\
                 &adjustments[0][amount]=-1500&adjustments[0][description]=Dispute\
                 &fees[0][amount]=999&fees[0][description]=Radar"
            ),
        )
        .await
    }

    /// Refunds of `charge` for these amounts (`POST /v1/refunds`), in order; their ids.
    pub async fn refunds(&self, charge: &str, amounts: &[i64]) -> Vec<String> {
        let mut ids = Vec::new();
        for amount in amounts {
            let form = format!("charge={charge}&amount={amount}");
            let refund = self.stripe_post("/v1/refunds", &form).await;
            ids.push(refund["id"].as_str().unwrap().to_string());
        }
        ids
    }

    /// Every Stripe customer the emulator holds.
    pub async fn customers(&self) -> Vec<Value> {
        self.stripe.objects("customer")
    }
}

/// One runner for every pipeline of the file `pipelines`, in the file's order.
pub async fn runners(project: &Path, pipelines: &str) -> (Runner, Vec<Job>, Store) {
    let workspace = Workspace::open(Some(project), None).unwrap();
    let jobs = workspace.jobs(&[pipelines.to_string()]).unwrap();
    let store = workspace.store().await.unwrap();
    let connectors = workspace.connectors(&jobs, None, &store).unwrap();
    let runner = Runner::new(store.clone(), connectors, workspace.secrets());
    (runner, jobs, store)
}

/// A runner for `pipeline` with the project at `project`.
pub async fn runner(project: &Path, pipeline: &str) -> (Runner, Job, Store) {
    let workspace = Workspace::open(Some(project), None).unwrap();
    let mut jobs = workspace.jobs(&[pipeline.to_string()]).unwrap();
    let store = workspace.store().await.unwrap();
    let connectors = workspace.connectors(&jobs, None, &store).unwrap();
    let runner = Runner::new(store.clone(), connectors, workspace.secrets());
    (runner, jobs.remove(0), store)
}

pub async fn run(runner: &Runner, job: &Job) -> PipelineReport {
    run_with(runner, job, RunOptions::default()).await
}

pub async fn run_with(runner: &Runner, job: &Job, options: RunOptions) -> PipelineReport {
    match runner.run(job, &options, &()).await {
        Ok((report, _)) => report,
        Err(error) => panic!("run failed: {error}"),
    }
}

/// Runs `job` from the start of its source, ignoring the stored cursor.
/// Runs `job` into a customer payment journal that holds another record's line: the run stops
/// to be tried later (the journal is busy), it does not dead-letter.
pub async fn run_into_busy_journal(runner: &Runner, job: &Job) {
    let error = runner
        .run(job, &RunOptions::default(), &())
        .await
        .expect_err("a busy journal stops the run");
    assert!(
        error.to_string().contains("also holds payment line"),
        "{error}"
    );
}

/// The one dead letter in `store`, which a closed period in Business Central filed.
pub async fn closed_period_letter(store: &Store) -> ferry::store::DeadLetter {
    let mut letters = store
        .dead_letters(&ferry::store::DeadLetterFilter::default())
        .await
        .unwrap();
    assert_eq!(letters.len(), 1, "{letters:#?}");
    assert!(
        letters[0]
            .error_message
            .contains("The Posting Date is not within your range of allowed posting dates."),
        "{letters:#?}"
    );
    letters.remove(0)
}

pub async fn run_backfill(runner: &Runner, job: &Job) -> PipelineReport {
    run_with(
        runner,
        job,
        RunOptions {
            backfill: true,
            ..RunOptions::default()
        },
    )
    .await
}

/// Fails with the dead letters, if `store` holds any.
pub async fn assert_no_dead_letters(store: &Store) {
    let letters = store
        .dead_letters(&ferry::store::DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(letters.is_empty(), "{letters:#?}");
}

/// A sandbox whose Business Central takes any number of requests, for proofs that write more
/// than its real limit (6,000 per five minutes) allows in a few minutes.
pub async fn unlimited_world() -> World {
    use ferry::sandbox::business_central::BusinessCentralConfig;
    let stripe = empty_stripe();
    world_from(stripe, |builder| {
        builder.business_central(BusinessCentralConfig {
            rate_limit: u32::MAX,
            ..BusinessCentralConfig::default()
        })
    })
    .await
}

/// [`World::project`] with no client-side limit on Business Central either.
pub fn unlimited_project(world: &World) -> std::path::PathBuf {
    let project = world.project(100_000);
    let text = std::fs::read_to_string(&project).unwrap();
    let text = text.replace(
        "    client_secret: ferry-sandbox-secret\n",
        "    client_secret: ferry-sandbox-secret\n    rate_limit: { requests: 100000, per: 1s }\n",
    );
    std::fs::write(&project, text).unwrap();
    project
}

/// Runs the ferry binary with `args` in `dir`, off the async runtime that serves the sandbox.
pub async fn run_ferry(dir: &Path, args: &[&str]) -> std::process::Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
            .current_dir(dir)
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// Output bytes as text, for assertions.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Syncs Capsule's people into Stripe with [`CAPSULE_TO_STRIPE`], renames a customer it made to
/// `name` (form-encoded) behind ferry's back, and reconciles: the store keeps a report with
/// that drift. The customer's id.
pub async fn reconcile_after_a_hand_edit(world: &World, dir: &Path, name: &str) -> String {
    let synced = run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    assert_eq!(synced.status.code(), Some(0), "{}", text(&synced.stderr));
    let customer = world
        .customers()
        .await
        .into_iter()
        .find(|c| c["metadata"]["capsule_id"].is_string())
        .expect("a customer made from a person");
    let id = customer["id"].as_str().unwrap().to_string();
    world
        .stripe_post(&format!("/v1/customers/{id}"), &format!("name={name}"))
        .await;
    let reconciled = run_ferry(dir, &["reconcile", CAPSULE_TO_STRIPE]).await;
    assert_eq!(
        reconciled.status.code(),
        Some(1),
        "{}",
        text(&reconciled.stderr)
    );
    id
}
