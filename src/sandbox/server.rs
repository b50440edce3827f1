//! The sandbox server: every emulator under one loopback address, behind the fault injector.
//!
//! ```text
//! /capsule/api/v2/...                                   Capsule CRM
//! /business_central/v2.0/{tenant}/{environment}/api/v2.0/...   Business Central
//! /oauth/{tenant}/oauth2/v2.0/token                     Business Central's token endpoint
//! /stripe/...                                           Stripe, when a router is given
//! /syspro/SYSPROWCFService/Rest/...                     Syspro e.net
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::business_central::{self, BusinessCentralConfig, BusinessCentralState};
use super::capsule::{self, CapsuleConfig, CapsuleState};
use super::connection::{ConnectionControl, SeverableListener};
use super::faults::{FaultInjector, FaultLayerState, FaultSpec, System};
use super::syspro::{self, SysproConfig, SysproState};

/// Builds a [`Sandbox`].
#[derive(Debug, Default)]
pub struct SandboxBuilder {
    seed: Option<u64>,
    faults: Option<FaultSpec>,
    capsule: CapsuleConfig,
    business_central: BusinessCentralConfig,
    syspro: SysproConfig,
    extras: Vec<(String, System, Router)>,
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

    pub fn capsule(mut self, config: CapsuleConfig) -> Self {
        self.capsule = config;
        self
    }

    pub fn business_central(mut self, config: BusinessCentralConfig) -> Self {
        self.business_central = config;
        self
    }

    pub fn syspro(mut self, config: SysproConfig) -> Self {
        self.syspro = config;
        self
    }

    /// Mounts another system's emulator at `prefix` (e.g. `/stripe`), behind the fault
    /// injector with that system's error shape.
    pub fn extra(mut self, prefix: &str, system: System, router: Router) -> Self {
        self.extras.push((prefix.to_string(), system, router));
        self
    }

    /// The Stripe emulator's router, mounted at `/stripe`.
    pub fn stripe(self, router: Router) -> Self {
        self.extra("/stripe", System::Stripe, router)
    }

    pub fn build(self) -> Sandbox {
        let capsule = match self.seed {
            Some(seed) => CapsuleState::seeded(self.capsule, seed),
            None => CapsuleState::new(self.capsule),
        };
        let business_central = match self.seed {
            Some(seed) => BusinessCentralState::seeded(self.business_central, seed),
            None => BusinessCentralState::new(self.business_central),
        };
        let syspro = match self.seed {
            Some(seed) => SysproState::seeded(self.syspro, seed),
            None => SysproState::new(self.syspro),
        };
        let injector = self
            .faults
            .as_ref()
            .map(|spec| Arc::new(FaultInjector::new(spec, self.seed)));
        let guard = |router: Router, system: System| match &injector {
            Some(injector) => router.layer(middleware::from_fn_with_state(
                FaultLayerState {
                    injector: injector.clone(),
                    system,
                },
                super::faults::inject,
            )),
            None => router,
        };
        let mut router = Router::new()
            .nest(
                "/capsule/api/v2",
                guard(capsule::router(capsule.clone()), System::Capsule),
            )
            .nest(
                "/business_central",
                guard(
                    business_central::router(business_central.clone()),
                    System::BusinessCentral,
                ),
            )
            .nest(
                "/syspro",
                guard(syspro::router(syspro.clone()), System::Syspro),
            )
            .nest(
                "/oauth",
                guard(
                    business_central::token_router(business_central.clone()),
                    System::BusinessCentral,
                ),
            );
        for (prefix, system, extra) in self.extras {
            router = router.nest(&prefix, guard(extra, system));
        }
        Sandbox {
            router,
            capsule,
            business_central,
            syspro,
        }
    }
}

/// All emulators, ready to serve.
#[derive(Debug, Clone)]
pub struct Sandbox {
    router: Router,
    capsule: CapsuleState,
    business_central: BusinessCentralState,
    syspro: SysproState,
}

impl Sandbox {
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    pub fn capsule(&self) -> &CapsuleState {
        &self.capsule
    }

    pub fn business_central(&self) -> &BusinessCentralState {
        &self.business_central
    }

    pub fn syspro(&self) -> &SysproState {
        &self.syspro
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
