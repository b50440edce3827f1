//! The integration tests: one binary, so they link once and `cargo test` runs them all. Each
//! former test file is a module; the support modules are shared by all of them. A new test file
//! goes here too, as a module: a file directly in tests/ would be a binary of its own.
//!
//! The tests run on threads of one process. None changes the working directory or the
//! environment: Cargo starts the binary in the package root, so relative paths name files as the
//! diagnostics show them, and a spawned `ferry` gets its own directory and variables.

// Helpers outside `#[test]` functions unwrap and panic too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod alerts;
mod books_support;
mod browser_support;
mod check_common;
mod functions_support;
mod http_support;
mod lang_support;
mod proof_support;
#[path = "../../fuzz/properties/mod.rs"]
mod properties;
mod run_support;
mod sandbox_pronto_support;
mod sandbox_stripe_support;
mod syntax_common;

mod check_ast;
mod check_more;
mod cli_commands;
mod cli_lint;
mod cli_run;
mod cli_sandbox;
mod connector_business_central;
mod connector_capsule;
mod connector_capsule_activity;
mod connector_stripe;
mod dashboard;
mod dashboard_browser;
mod diagnostics;
mod docs_generated;
mod functions_collections;
mod functions_contact;
mod functions_conversion;
mod functions_examples;
mod functions_hash_xref_json;
mod functions_money;
mod functions_registry;
mod functions_text;
mod functions_time;
mod fuzz_regressions;
mod http_auth;
mod http_limits;
mod http_paging;
mod http_retry;
mod lang_json;
mod lang_projection;
mod lang_semantics;
mod lang_stream;
mod lang_test_blocks;
mod module_graph;
mod money_properties;
mod project_diagnostics;
mod project_lint;
mod project_load;
mod project_pipelines;
mod proof_books;
mod proof_canary_secrets;
mod proof_fault_soak;
mod proof_kill_run;
mod proof_kill_serve;
mod proof_webhook_chaos;
mod proptest_fuzz_properties;
mod proptest_robustness;
mod reconcile;
mod reconcile_drift;
mod reconcile_drift_activity;
mod reconcile_drift_catalogs;
mod reconcile_drift_flows;
mod reconcile_drift_orders;
mod reconcile_money;
mod run_capsule_activity;
mod run_capsule_custom_fields;
mod run_charges_to_invoices;
mod run_end_to_end;
mod run_events_to_erp;
mod run_invoices_to_erp;
mod run_items_to_stripe;
mod run_lock;
mod run_ownership;
mod run_payouts_to_journal;
mod run_pronto;
mod run_refunds;
mod run_story;
mod run_stripe_updates;
mod run_syspro;
mod run_syspro_ar;
mod run_syspro_items;
mod run_syspro_journal;
mod runtime_diagnostics;
mod sandbox_bc_api;
mod sandbox_capsule_api;
mod sandbox_faults_injection;
mod sandbox_pronto_api;
mod sandbox_pronto_orders;
mod sandbox_stripe_api;
mod sandbox_stripe_disputes;
mod sandbox_stripe_form;
mod sandbox_stripe_invoices;
mod sandbox_stripe_payments;
mod sandbox_stripe_payouts;
mod sandbox_stripe_wire;
mod sandbox_syspro_api;
mod sandbox_webhooks;
mod schemas_business_central_agree;
mod schemas_capsule_agree;
mod schemas_derived;
mod schemas_registry;
mod schemas_stripe;
mod schemas_stripe_agree;
mod schemas_support;
mod schemas_syspro_agree;
mod serve_capsule_hooks;
mod serve_capsule_subscribe;
mod serve_customers;
mod serve_finance_chaos;
mod serve_webhooks;
mod store_batch;
mod store_inbox;
mod store_records;
mod store_state;
mod syntax_errors;
mod syntax_expressions;
mod syntax_loader;
mod syntax_pipelines;
mod syntax_pipelines_shape;
mod syntax_robustness;
mod syspro_wire;
mod webhook_signature;
