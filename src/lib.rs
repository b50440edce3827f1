//! ferry keeps Stripe in step with the CRMs and ERPs a business runs.
//!
//! Data flows one way: `syntax` -> `check` -> `lang` -> `runtime` -> `connectors` -> `store`.
//!
//! The modules depend on each other one way too, with no cycle: `value` (the value model and
//! what a function call sees) and `diagnostics` use nothing of ferry; the standard library
//! (`functions`) is typed by `check` and called by `lang`; `runtime` drives `connectors` and
//! `store`. `tests/it/module_graph.rs` lists the order and fails on a module that uses a later one.

pub mod alerts;
pub mod check;
pub mod cli;
pub mod connectors;
pub mod diagnostics;
pub mod formats;
pub mod functions;
pub mod lang;
pub mod program;
pub mod project;
pub mod runtime;
/// The emulators behind `ferry sandbox` and `ferry demo`; leave them out with
/// `--no-default-features`.
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod server;
pub mod store;
pub mod syntax;
pub mod value;

/// Installs rustls's ring provider for every TLS client and server; safe to call many times.
pub fn init_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Fails only if another provider was installed first, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
