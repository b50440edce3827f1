//! The sandbox server: every registered emulator (`emulators![...]` in `sandbox/mod.rs`) under
//! one loopback address, each at the prefixes it names, behind the fault injector; and seeded
//! drift at `/_sandbox/drift`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::EMULATORS;
use super::connection::{ConnectionControl, SeverableListener};
use super::drift::{DriftError, DriftRecord, DriftRequest};
use super::emulator::{Emulator, Requests, Started};
use super::faults::{FaultInjector, FaultLayerState, FaultSpec};
use super::flags::EmulatorFlags;

/// Builds a [`Sandbox`].
#[derive(Debug, Default)]
pub struct SandboxBuilder {
    seed: Option<u64>,
    faults: Option<FaultSpec>,
    requests: Requests,
}

impl SandboxBuilder {
    /// With a seed, the emulators start with realistic data, the same for the same seed.
    pub fn seed(mut self, seed: Option<u64>) -> Self {
        self.seed = seed;
        self
    }

    pub fn faults(mut self, faults: Option<FaultSpec>) -> Self {
        self.faults = faults;
        self
    }

    /// Starts emulator `E` with `config` instead of its defaults.
    pub fn config<E: Emulator>(mut self, config: E::Config) -> Self {
        self.requests.set_config::<E>(config);
        self
    }

    /// Starts each emulator with the config its `ferry sandbox` flags give.
    pub fn flags(mut self, flags: EmulatorFlags) -> Self {
        self.requests.extend(flags.requests);
        self
    }

    /// Mounts `state`, built by the caller (who keeps a clone to inspect it), instead of
    /// starting emulator `E` here.
    pub fn state<E: Emulator>(mut self, state: E) -> Self {
        self.requests.set_state(state);
        self
    }

    /// Starts every registered emulator and mounts each behind the fault injector, with its
    /// own error shape.
    pub fn build(mut self) -> Sandbox {
        let injector = self
            .faults
            .as_ref()
            .map(|spec| Arc::new(FaultInjector::new(spec, self.seed)));
        let mut router = Router::new();
        let mut states = Vec::new();
        for descriptor in EMULATORS {
            let Some(running) = descriptor.start(&mut self.requests, self.seed) else {
                continue;
            };
            for mount in running.mounts {
                let guarded = match &injector {
                    Some(injector) => mount.router.layer(middleware::from_fn_with_state(
                        FaultLayerState {
                            injector: injector.clone(),
                            error_response: running.error_response,
                        },
                        super::faults::inject,
                    )),
                    None => mount.router,
                };
                router = router.nest(mount.prefix, guarded);
            }
            states.push((descriptor.name, running.state));
        }
        let router = router.merge(super::drift::router(states.clone()));
        Sandbox { router, states }
    }
}

/// All emulators, ready to serve.
#[derive(Clone)]
pub struct Sandbox {
    router: Router,
    /// Each started emulator's state, by its connector name, in the registry's order.
    states: Vec<(&'static str, Arc<dyn Started>)>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.states.iter().map(|(name, _)| name).collect();
        f.debug_struct("Sandbox")
            .field("emulators", &names)
            .finish()
    }
}

impl Sandbox {
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// Emulator `E`'s state (`sandbox.state::<CapsuleState>()`), if it was started.
    pub fn state<E: Emulator>(&self) -> Option<&E> {
        self.states
            .iter()
            .find_map(|(_, state)| state.as_any().downcast_ref::<E>())
    }

    /// Carries out a drift request (what `POST /_sandbox/drift` does), for callers that hold
    /// the sandbox itself.
    pub fn drift(&self, request: &DriftRequest) -> Result<DriftRecord, DriftError> {
        super::drift::drift(&self.states, request)
    }

    /// Each started emulator's banner lines for a sandbox listening at `base`.
    pub fn banner(&self, base: &str) -> Vec<String> {
        self.states
            .iter()
            .flat_map(|(_, state)| state.banner(base))
            .collect()
    }

    /// The combined router (without the listener that lets `drop` faults cut connections).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Listens on `addr` (port 0 picks a free port) and serves until shut down.
    pub async fn serve(self, addr: SocketAddr) -> io::Result<SandboxHandle> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let service = self
            .router
            .into_make_service_with_connect_info::<ConnectionControl>();
        let task = tokio::spawn(async move {
            axum::serve(SeverableListener::new(listener), service)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(SandboxHandle {
            local_addr,
            shutdown: Some(shutdown),
            task,
        })
    }
}

/// A running sandbox.
#[derive(Debug)]
pub struct SandboxHandle {
    pub local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Stops accepting connections, lets open requests finish, and waits for the server.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(io::Error::other(e)),
        }
    }
}
