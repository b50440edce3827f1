//! The contract between one system's emulator and the generic sandbox.
//!
//! An emulator folder (`sandbox/<system>/`) implements [`Emulator`] on its state type and exports
//! `pub static EMULATOR: Descriptor = Descriptor::of::<ItsState>();`; the `emulators![...]` line
//! in `sandbox/mod.rs` lists it. The server, the fault injector and `ferry sandbox` (its flags
//! and its banner) learn about a system only through these.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use rand::rngs::StdRng;

use super::drift::{DriftError, DriftPlan, Drifted};

/// One system's emulator, implemented by its state (cheap to clone, shared by its handlers).
pub trait Emulator: Clone + Send + Sync + 'static {
    /// The connection kind it stands in for (`kind:` in ferry.yaml).
    const NAME: &'static str;

    /// How it behaves: the credentials it accepts, its rate limit, how much seed data.
    type Config: Send + 'static;

    /// Its `ferry sandbox` flags: a `#[derive(clap::Args)]` struct with a name of its own (clap
    /// names a group after it), or [`NoFlags`].
    type Flags: clap::Args;

    /// The config `ferry sandbox` starts it with, from its flags.
    fn config(flags: Self::Flags) -> Self::Config;

    /// Its state: empty, or filled with realistic data when there is a seed (the same data for
    /// the same seed). `config` is what the caller set, if anything; `None` as the answer
    /// leaves the system out of the sandbox.
    fn start(config: Option<Self::Config>, seed: Option<u64>) -> Option<Self>;

    /// Where it is mounted, each prefix with a router of relative routes.
    fn mounts(&self) -> Vec<Mount>;

    /// The answer to a request the fault injector fails with `status` (500, 503 or 429), in the
    /// system's own error shape.
    fn error_response(status: StatusCode) -> Response;

    /// Lines for `ferry sandbox`'s banner: where it listens and the credentials it takes.
    fn banner(&self, base: &str) -> Vec<String>;

    /// Seeded drift (`sandbox/drift.rs`): changes fields of `plan.change` records ferry made in
    /// `collection`, deletes `plan.delete` others and adds `plan.add` with no cross reference
    /// of ferry's, as a person would through the system's own screens, drawing every choice
    /// from `rng`; what it did, one action per record. By default no collection can drift.
    fn drift(&self, collection: &str, _plan: &DriftPlan, _rng: &mut StdRng) -> Drifted {
        Err(DriftError::CannotDrift {
            system: Self::NAME.to_string(),
            collection: collection.to_string(),
            can: "none".to_string(),
        })
    }
}

/// The usual [`Emulator::start`]: the caller's config or the defaults, seeded when there is a
/// seed.
pub fn fresh_or_seeded<C: Default, S>(
    config: Option<C>,
    seed: Option<u64>,
    new: fn(C) -> S,
    seeded: fn(C, u64) -> S,
) -> Option<S> {
    let config = config.unwrap_or_default();
    Some(match seed {
        Some(seed) => seeded(config, seed),
        None => new(config),
    })
}

/// The flags of an emulator that `ferry sandbox` does not configure.
#[derive(clap::Args, Debug, Default)]
#[group(skip)]
pub struct NoFlags {}

/// A router and the prefix it is mounted at (`/capsule/api/v2`).
pub struct Mount {
    pub prefix: &'static str,
    pub router: Router,
}

impl Mount {
    pub fn new(prefix: &'static str, router: Router) -> Self {
        Mount { prefix, router }
    }
}

/// One registered emulator, as the generic sandbox sees it.
pub struct Descriptor {
    pub name: &'static str,
    start: fn(&mut Requests, Option<u64>) -> Option<Running>,
    flags: fn(clap::Command) -> clap::Command,
    configure: fn(&clap::ArgMatches, &mut Requests) -> Result<(), clap::Error>,
}

impl Descriptor {
    pub const fn of<E: Emulator>() -> Descriptor {
        Descriptor {
            name: E::NAME,
            start: start::<E>,
            flags: <E::Flags as clap::Args>::augment_args,
            configure: configure::<E>,
        }
    }

    /// `command` with its `ferry sandbox` flags added.
    pub(super) fn flags(&self, command: clap::Command) -> clap::Command {
        (self.flags)(command)
    }

    /// Reads its flags from `matches` into the config it starts with.
    pub(super) fn configure(
        &self,
        matches: &clap::ArgMatches,
        requests: &mut Requests,
    ) -> Result<(), clap::Error> {
        (self.configure)(matches, requests)
    }

    /// Starts it with what the caller asked for, or leaves it out.
    pub(super) fn start(&self, requests: &mut Requests, seed: Option<u64>) -> Option<Running> {
        (self.start)(requests, seed)
    }
}

fn start<E: Emulator>(requests: &mut Requests, seed: Option<u64>) -> Option<Running> {
    let state = match requests.take_state::<E>() {
        Some(state) => state,
        None => E::start(requests.take_config::<E>(), seed)?,
    };
    Some(Running {
        mounts: state.mounts(),
        error_response: E::error_response,
        state: Arc::new(state),
    })
}

fn configure<E: Emulator>(
    matches: &clap::ArgMatches,
    requests: &mut Requests,
) -> Result<(), clap::Error> {
    let flags = <E::Flags as clap::FromArgMatches>::from_arg_matches(matches)?;
    requests.set_config::<E>(E::config(flags));
    Ok(())
}

/// What the caller of the builder set per emulator: a config, or a state it built itself.
#[derive(Default)]
pub struct Requests {
    configs: HashMap<TypeId, Box<dyn Any + Send>>,
    states: HashMap<TypeId, Box<dyn Any + Send>>,
}

impl Requests {
    pub fn set_config<E: Emulator>(&mut self, config: E::Config) {
        self.configs.insert(TypeId::of::<E>(), Box::new(config));
    }

    pub fn set_state<E: Emulator>(&mut self, state: E) {
        self.states.insert(TypeId::of::<E>(), Box::new(state));
    }

    /// Adds what `other` set, replacing what both set.
    pub fn extend(&mut self, other: Requests) {
        self.configs.extend(other.configs);
        self.states.extend(other.states);
    }

    fn take_config<E: Emulator>(&mut self) -> Option<E::Config> {
        let config = self.configs.remove(&TypeId::of::<E>())?;
        config.downcast::<E::Config>().ok().map(|config| *config)
    }

    fn take_state<E: Emulator>(&mut self) -> Option<E> {
        let state = self.states.remove(&TypeId::of::<E>())?;
        state.downcast::<E>().ok().map(|state| *state)
    }
}

impl fmt::Debug for Requests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requests")
            .field("configs", &self.configs.len())
            .field("states", &self.states.len())
            .finish()
    }
}

/// A started emulator: its routers (until mounted), its error shape and its state.
pub struct Running {
    pub mounts: Vec<Mount>,
    pub error_response: fn(StatusCode) -> Response,
    pub state: Arc<dyn Started>,
}

/// A started emulator's state, with its type erased.
pub trait Started: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn banner(&self, base: &str) -> Vec<String>;
    fn drift(&self, collection: &str, plan: &DriftPlan, rng: &mut StdRng) -> Drifted;
}

impl<E: Emulator> Started for E {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn banner(&self, base: &str) -> Vec<String> {
        Emulator::banner(self, base)
    }

    fn drift(&self, collection: &str, plan: &DriftPlan, rng: &mut StdRng) -> Drifted {
        Emulator::drift(self, collection, plan, rng)
    }
}
