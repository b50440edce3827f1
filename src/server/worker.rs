//! Workers drain the inbox: claim events under a lease, run them through the pipelines that
//! handle their type (see [`Intake`]), and finish them. Events of one object are processed one
//! at a time, in order; events of different objects side by side. The events of a claim are
//! finished together, with their writes, in one transaction (see [`CommitGroup`]).

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::Mutex;

use super::commit_group::CommitGroup;
use super::event::{self, Intake};
use super::{App, fleet};
use crate::store::StoredEvent;

/// Events a worker claims at once: the most it finishes in one transaction.
const CLAIM: u32 = 64;
/// Events of different objects a worker processes side by side at most.
const WAVE: usize = 16;
/// How long a claim holds an event before another worker may take it over.
const LEASE: Duration = Duration::from_secs(120);

/// A worker's name in the inbox: its process's ([`fleet::process_name`]: host and process
/// id), so that a restarted ferry can tell the events a killed process of its host held from
/// those a live one, here or on another machine, is working on.
pub fn name(index: usize) -> String {
    format!("{}/worker-{index}", fleet::process_name())
}

/// Events that workers of a stopped process of this host held go back to the queue at once
/// rather than after their lease. Those of other hosts wait for their lease: whether their
/// process lives cannot be told from here.
pub async fn release_orphans(store: &crate::store::Store) {
    let holders = match store.inbox_holders().await {
        Ok(holders) => holders,
        Err(error) => {
            tracing::warn!(
                "cannot list the inbox's held events: {error}; their leases will run out"
            );
            return;
        }
    };
    for worker in holders.iter().filter(|w| fleet::process_gone(w)) {
        match store.inbox_release(worker).await {
            Ok(count) => {
                tracing::info!(worker = %worker, count, "took back the events of a stopped process")
            }
            Err(error) => tracing::warn!(worker = %worker, "cannot take back its events: {error}"),
        }
    }
}

/// How often a live process looks for the events of stopped processes of its host: with
/// several processes on one machine, a killed one's events (and the objects they hold back)
/// come back within this, not only when it restarts or their lease runs out.
const ORPHANS_EVERY: Duration = Duration::from_secs(10);

/// [`release_orphans`] on start and every [`ORPHANS_EVERY`] until `stop`.
pub async fn release_orphans_until(
    store: crate::store::Store,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        release_orphans(&store).await;
        tokio::select! {
            _ = tokio::time::sleep(ORPHANS_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Locks striped by object id: events of one object never run side by side. A worker holds
/// the stripes of a whole claim until it commits (see [`CommitGroup`]), so there are plenty.
const STRIPES: usize = 8192;

pub struct ObjectLocks {
    stripes: Vec<Mutex<()>>,
}

impl ObjectLocks {
    pub fn new() -> Self {
        ObjectLocks {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }

    /// The stripe of `key`: an index for [`ObjectLocks::get`].
    pub(super) fn stripe_of(&self, key: &str) -> usize {
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        (hash % self.stripes.len() as u64) as usize
    }

    pub(super) fn get(&self, stripe: usize) -> &Mutex<()> {
        &self.stripes[stripe % self.stripes.len()]
    }
}

impl Default for ObjectLocks {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts the workers on a thread of their own, at a lower scheduling priority than the
/// endpoints: under a burst the CPU goes first to acknowledging events (stored durably), and
/// the workers catch up when it eases. The handle ends when every worker has stopped.
pub fn start_all(
    app: Arc<App>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (done, finished) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("ferry-workers".into())
        .spawn(move || {
            lower_priority();
            let workers =
                (0..app.options.workers).map(|index| run(app.clone(), name(index), stop.clone()));
            runtime.block_on(join_all(workers));
            let _ = done.send(());
        })?;
    Ok(tokio::spawn(async move {
        let _ = finished.await;
    }))
}

/// How much less the worker thread weighs than the endpoints' threads (nice 10: about a tenth
/// of their CPU share when both want it).
const WORKER_NICENESS: i32 = 10;

/// Lowers the calling thread's priority (Linux: a thread's niceness is its own).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on the calling thread's id changes only this thread's niceness.
    unsafe {
        let thread = libc::gettid();
        if libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, WORKER_NICENESS) != 0 {
            tracing::debug!("cannot lower the workers' priority; they share the CPU evenly");
        }
    }
}

/// One worker's loop, until `stop` turns true; it finishes the event in hand first.
pub async fn run(app: Arc<App>, worker: String, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut claimed = Vec::new();
    loop {
        if *stop.borrow() {
            return;
        }
        app.heartbeat();
        if claimed.is_empty() {
            claimed = match app.store.inbox_claim(&worker, CLAIM, LEASE).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(worker = %worker, "cannot claim inbox events: {error}");
                    Vec::new()
                }
            };
        }
        if claimed.is_empty() {
            tokio::select! {
                _ = app.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let mut group = CommitGroup::new(&app, &worker);
        process_claim(&app, std::mem::take(&mut claimed), &mut group).await;
        // The next claim shares the finishing transaction (one disk flush for both), unless
        // the server is stopping: what is claimed is processed before the worker stops.
        let next = if *stop.borrow() { 0 } else { CLAIM };
        claimed = group.commit_and_claim(next, LEASE).await;
    }
}

/// Processes a claim's events in waves: events of different objects run side by side (their
/// writes in flight share one transaction), in claim order otherwise. An event joins the wave
/// only if the group can take its object's lock without committing; else the wave runs first,
/// then the group commits as [`CommitGroup::lock`] requires. An event whose pipelines read
/// cross references runs alone, after the events before it.
async fn process_claim<'a>(app: &'a App, claimed: Vec<StoredEvent>, group: &mut CommitGroup<'a>) {
    let mut wave: Vec<Intake<'a>> = Vec::new();
    for stored in claimed {
        let intake = Intake::of(app, stored);
        let alone = intake.reads_cross_references();
        let joined =
            !alone && wave.len() < WAVE && group.try_take(&intake.jobs, intake.lock_key.as_deref());
        if !joined {
            run_wave(app, &mut wave, group).await;
            for job in &intake.jobs {
                group.before_reading(job).await;
            }
            if let Some(key) = &intake.lock_key {
                group.lock(key).await;
            }
        }
        wave.push(intake);
        if alone {
            run_wave(app, &mut wave, group).await;
        }
    }
    run_wave(app, &mut wave, group).await;
}

/// Runs the wave's events side by side and adds them, in claim order, to `group`.
async fn run_wave<'a>(app: &'a App, wave: &mut Vec<Intake<'a>>, group: &mut CommitGroup<'a>) {
    // The wave holds its objects' locks: what it reads ahead cannot change before it commits.
    let reads = if wave.len() > 1 {
        Some(event::read_wave(app, wave).await)
    } else {
        None
    };
    let outcomes = join_all(
        wave.iter()
            .map(|intake| intake.process(app, reads.as_ref())),
    )
    .await;
    for (intake, done) in wave.drain(..).zip(outcomes) {
        let event = &intake.stored.event;
        group.push(&event.connection, &event.event_id, done);
    }
}
