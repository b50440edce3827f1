//! The shipped ferry.yaml, environment resolution, defaults, and secrets that never leak.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use ferry::diagnostics::{SourceMap, render};
use ferry::project::{Auth, Project, RateLimit, ResolvedEnvironment, Secret, StoreUrl, redact};

const CANARY: &str = "sk_test_CANARY_7f3a9";

fn shipped() -> Project {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ferry.yaml");
    match Project::load(&path) {
        Ok(project) => project,
        Err(diagnostics) => panic!("shipped ferry.yaml has errors: {diagnostics:?}"),
    }
}

fn production_variables() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("STRIPE_API_KEY", "sk_live_prod_key"),
        ("CAPSULE_TOKEN", "capsule-prod-token"),
        ("BC_TENANT", "contoso.onmicrosoft.com"),
        ("BC_COMPANY_ID", "c0ffee00-0000-0000-0000-000000000042"),
        ("BC_CLIENT_ID", "client-42"),
        ("BC_CLIENT_SECRET", "bc-prod-secret"),
        ("SYSPRO_OPERATOR", "ADMIN"),
        ("SYSPRO_OPERATOR_PASSWORD", "syspro-prod-password"),
        ("SYSPRO_COMPANY_ID", "EDU1"),
        ("SYSPRO_BASE_URL", "https://erp.example.com:8443"),
        ("PRONTO_USERNAME", "api@acme.example"),
        ("PRONTO_PASSWORD", "pronto-prod-password"),
        ("PRONTO_BASE_URL", "https://pronto.example.com"),
    ])
}

fn resolve(project: &Project, name: &str, vars: &HashMap<&str, &str>) -> ResolvedEnvironment {
    let lookup = |var: &str| vars.get(var).map(|v| v.to_string());
    match project.environment_with(Some(name), &lookup) {
        Ok(environment) => environment,
        Err(diagnostics) => panic!("{name} does not resolve: {diagnostics:?}"),
    }
}

#[test]
fn the_shipped_project_file_is_clean_and_declares_every_system() {
    let project = shipped();
    assert!(project.warnings.is_empty(), "{:?}", project.warnings);
    let names: Vec<&str> = project.connections.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["stripe", "capsule", "business_central", "syspro", "pronto"]
    );
    let environments: Vec<&str> = project.environments.keys().map(String::as_str).collect();
    assert_eq!(environments, ["sandbox", "production"]);
    assert_eq!(
        project.default_environment.map(|d| d.value).as_deref(),
        Some("sandbox")
    );
    assert_eq!(
        project.timezone.map(|t| t.value).as_deref(),
        Some("Australia/Sydney")
    );
}

#[test]
fn sandbox_needs_no_variables_and_points_at_the_local_emulators() {
    let project = shipped();
    let sandbox = match project.environment_with(None, &|_| None) {
        Ok(environment) => environment,
        Err(diagnostics) => panic!("{diagnostics:?}"),
    };
    assert_eq!(sandbox.name, "sandbox");
    let url = |name: &str| {
        sandbox
            .connection(name)
            .and_then(|c| c.base_url.clone())
            .map(String::from)
    };
    assert_eq!(
        url("stripe").as_deref(),
        Some("http://127.0.0.1:4010/stripe/")
    );
    assert_eq!(
        url("capsule").as_deref(),
        Some("http://127.0.0.1:4010/capsule/api/v2/")
    );
    assert_eq!(
        url("business_central").as_deref(),
        Some("http://127.0.0.1:4010/business_central/")
    );
    let stripe = sandbox.connection("stripe").unwrap();
    assert_eq!(stripe.kind.name(), "stripe");
    assert!(matches!(&stripe.auth, Auth::Bearer(key) if key.expose() == "sk_test_sandbox"));
    assert_eq!(
        stripe.rate_limit,
        Some(RateLimit::new(25, Duration::from_secs(1)))
    );
    let bc = sandbox.connection("business_central").unwrap();
    match &bc.auth {
        Auth::ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
        } => {
            assert_eq!(
                token_url.as_str(),
                "http://127.0.0.1:4010/oauth/sandbox-tenant/oauth2/v2.0/token"
            );
            assert_eq!(client_id, "ferry-sandbox-client");
            assert_eq!(client_secret.expose(), "ferry-sandbox-secret");
            assert_eq!(scope, "https://api.businesscentral.dynamics.com/.default");
        }
        other => panic!("expected client credentials, got {other:?}"),
    }
    assert_eq!(bc.setting("environment"), Some("sandbox"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        sandbox.store,
        StoreUrl::Sqlite(dir.join(".ferry/sandbox.db"))
    );
}

#[test]
fn production_reads_secrets_from_the_environment() {
    let project = shipped();
    let production = resolve(&project, "production", &production_variables());
    let stripe = production.connection("stripe").unwrap();
    assert_eq!(
        stripe.base_url.as_ref().map(|u| u.as_str()),
        Some("https://api.stripe.com/")
    );
    // A live key gets Stripe's live-mode limit.
    assert_eq!(
        stripe.rate_limit,
        Some(RateLimit::new(100, Duration::from_secs(1)))
    );
    let capsule = production.connection("capsule").unwrap();
    assert_eq!(
        capsule.rate_limit,
        Some(RateLimit::new(4000, Duration::from_secs(3600)))
    );
    let bc = production.connection("business_central").unwrap();
    assert_eq!(
        bc.rate_limit,
        Some(RateLimit::new(6000, Duration::from_secs(300)))
    );
    assert_eq!(bc.setting("tenant"), Some("contoso.onmicrosoft.com"));
    assert_eq!(bc.setting("environment"), Some("production"));
    match &bc.auth {
        Auth::ClientCredentials { token_url, .. } => assert_eq!(
            token_url.as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        ),
        other => panic!("expected client credentials, got {other:?}"),
    }
    let syspro = production.connection("syspro").unwrap();
    assert_eq!(
        syspro.base_url.as_ref().map(|u| u.as_str()),
        Some("https://erp.example.com:8443/")
    );
    let pronto = production.connection("pronto").unwrap();
    assert_eq!(
        pronto.rate_limit,
        Some(RateLimit::new(30, Duration::from_secs(60)))
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        production.store,
        StoreUrl::Sqlite(dir.join(".ferry/state.db"))
    );
    assert_eq!(production.secrets().len(), 5);
}

#[test]
fn missing_variables_are_named_and_never_valued() {
    let project = shipped();
    let mut vars = production_variables();
    vars.remove("STRIPE_API_KEY");
    vars.remove("BC_TENANT");
    let lookup = |var: &str| vars.get(var).map(|v| v.to_string());
    let diagnostics = project
        .environment_with(Some("production"), &lookup)
        .unwrap_err();
    let messages: Vec<String> = diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert_eq!(
        messages,
        [
            "E0612 environment variable is not set: `STRIPE_API_KEY`",
            "E0612 environment variable is not set: `BC_TENANT`",
        ]
    );
    let text = format!("{diagnostics:?}");
    for value in vars.values() {
        assert!(!text.contains(value), "a value leaked: {value}");
    }
}

#[test]
fn secret_files_are_read_relative_to_the_project_and_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("secrets")).unwrap();
    std::fs::write(dir.path().join("secrets/stripe"), format!("  {CANARY}\n")).unwrap();
    let path = dir.path().join("ferry.yaml");
    std::fs::write(
        &path,
        "connections:\n  stripe:\n    kind: stripe\n    api_key: file:secrets/stripe\n",
    )
    .unwrap();
    let project = Project::load(&path).unwrap_or_else(|d| panic!("{d:?}"));
    let resolved = project
        .environment_with(None, &|_| None)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let stripe = resolved.connection("stripe").unwrap();
    assert_eq!(stripe.secret("api_key").map(Secret::expose), Some(CANARY));
    // Debug output of everything a caller may log hides the value.
    let debug = format!("{resolved:?} {project:?}");
    assert!(!debug.contains(CANARY), "{debug}");
    assert!(debug.contains("[redacted]"));
}

#[test]
fn literal_secrets_stay_out_of_debug_and_rendered_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.yaml");
    let text = format!(
        "connections:\n  stripe: {{ kind: stripe, api_key: {CANARY}, base_url: https://api.stripe.com }}\n  capsule:\n    kind: capsule\n    token: \"{CANARY}x\"\n    rate_limit: {{ requests: 0, per: 1s }}\n"
    );
    std::fs::write(&path, &text).unwrap();
    let mut sources = SourceMap::default();
    let (project, diagnostics) = ferry::project::check(&path, &mut sources);
    assert!(project.is_some());
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["W0030", "W0030", "E0605"]);
    let rendered: String = diagnostics
        .iter()
        .map(|d| {
            render::to_terminal(d, &sources, false) + &render::to_json(d, &sources).to_string()
        })
        .collect();
    assert!(!rendered.contains("CANARY"), "{rendered}");
    assert!(!format!("{diagnostics:?} {project:?}").contains("CANARY"));
}

#[test]
fn redact_replaces_every_secret_of_an_environment() {
    let project = shipped();
    let production = resolve(&project, "production", &production_variables());
    let log = "POST https://api.stripe.com/v1/customers Authorization: Bearer sk_live_prod_key; bc secret=bc-prod-secret";
    assert_eq!(
        redact(log, production.secrets()),
        "POST https://api.stripe.com/v1/customers Authorization: Bearer [redacted]; bc secret=[redacted]"
    );
}

#[test]
fn an_unknown_environment_is_reported_with_a_suggestion() {
    let project = shipped();
    let diagnostics = project
        .environment_with(Some("prod"), &|_| None)
        .unwrap_err();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.as_str(), "E0616");
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("did you mean `production`?")
    );
}

#[test]
fn overrides_replace_settings_and_rate_limits_per_environment() {
    let text = "connections:\n  stripe:\n    kind: stripe\n    api_key: ${KEY}\n    rate_limit: { requests: 10, per: 1s }\n    timeout: 30s\nenvironments:\n  slow:\n    connections:\n      stripe: { rate_limit: { requests: 5, per: 1m }, concurrency: 2 }\n  fast: {}\n";
    let mut sources = SourceMap::default();
    let project = Project::from_text(Path::new("ferry.yaml"), text, &mut sources)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let lookup = |var: &str| (var == "KEY").then(|| "sk_test_1".to_string());
    let slow = project
        .environment_with(Some("slow"), &lookup)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let stripe = slow.connection("stripe").unwrap();
    assert_eq!(
        stripe.rate_limit,
        Some(RateLimit::new(5, Duration::from_secs(60)))
    );
    assert_eq!(stripe.concurrency, Some(2));
    assert_eq!(stripe.timeout, Some(Duration::from_secs(30)));
    let fast = project
        .environment_with(Some("fast"), &lookup)
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(
        fast.connection("stripe").and_then(|c| c.rate_limit),
        Some(RateLimit::new(10, Duration::from_secs(1)))
    );
    assert_eq!(fast.connection("stripe").and_then(|c| c.concurrency), None);
}

#[test]
fn the_shipped_project_turns_the_sales_order_flow_off() {
    let project = shipped();
    assert_eq!(
        project.disabled_pipelines(),
        ["stripe_charges_to_business_central"]
    );
    assert!(project.disables("stripe_charges_to_business_central"));
    assert!(!project.disables("stripe_charges_to_business_central_invoices"));
    assert_eq!(
        project.shared_event_pairs(),
        [(
            "pronto_prices_to_stripe_prices".to_string(),
            "pronto_products_to_stripe_products".to_string()
        )]
    );
}

#[test]
fn pipeline_settings_are_checked_with_spans_into_the_file() {
    let text = "version: 1\n\
                pipelines:\n  \
                  orders: { enabled: no_thanks }\n  \
                  invoices: { enable: false }\n  \
                  prices: { shares_events_with: products, enabled: true }\n";
    let mut sources = SourceMap::default();
    let errors = Project::from_text(Path::new("ferry.yaml"), text, &mut sources).unwrap_err();
    let codes: Vec<&str> = errors.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E0615", "E0601"], "{errors:?}");
    let rendered: String = errors
        .iter()
        .map(|d| render::to_terminal(d, &sources, false))
        .collect();
    assert!(
        rendered.contains("`enabled` must be `true` or `false`, found a string"),
        "{rendered}"
    );
    assert!(rendered.contains("did you mean `enabled`?"), "{rendered}");

    let text = "version: 1\npipelines:\n  orders: { enabled: false }\n  prices: { shares_events_with: [products] }\n  customers:\n";
    let project = Project::from_text(Path::new("ferry.yaml"), text, &mut sources).unwrap();
    assert_eq!(project.disabled_pipelines(), ["orders"]);
    assert_eq!(
        project.shared_event_pairs(),
        [("prices".to_string(), "products".to_string())]
    );
    let unknown =
        project.unknown_pipelines(&["orders".into(), "prices".into(), "customers".into()]);
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(
        unknown[0].message.contains("`products`"),
        "{:?}",
        unknown[0]
    );
}

#[test]
fn public_url_is_the_environments_own_else_the_projects_and_must_be_http() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.yaml");
    std::fs::write(
        &path,
        "public_url: ${FERRY_PUBLIC_URL}\nconnections:\n  capsule: { kind: capsule, token: t }\n\
         environments:\n  staging:\n    public_url: https://staging.example.com\n  production: {}\n",
    )
    .unwrap();
    let project = Project::load(&path).unwrap_or_else(|d| panic!("{d:?}"));
    let vars = HashMap::from([("FERRY_PUBLIC_URL", "https://ferry.example.com")]);
    let url = |name: &str, vars: &HashMap<&str, &str>| resolve(&project, name, vars).public_url;
    assert_eq!(
        url("staging", &vars).as_deref(),
        Some("https://staging.example.com")
    );
    assert_eq!(
        url("production", &vars).as_deref(),
        Some("https://ferry.example.com")
    );
    let lookup = |_: &str| Some("ftp://ferry.example.com".to_string());
    let diagnostics = project
        .environment_with(Some("production"), &lookup)
        .err()
        .unwrap();
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E0606"]);
}
