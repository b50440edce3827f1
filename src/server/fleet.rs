//! Several `ferry serve` processes, on several machines, sharing one store. Each process has a
//! name, `<host>/pid<N>`, under which its workers claim events and it holds leases; a process
//! judges only the names of its own host (whether their process is gone), and leaves those of
//! other hosts to their leases.
//!
//! Scheduled work (catch-up, reconcile schedules, pruning, the alerts' checks, subscribing
//! webhooks) runs under a lease in the store ([`lead`]): on one process at a time, taken over
//! by another when its holder dies. On a store only one process uses (SQLite), that process
//! holds every lease, and a restart takes them back from its killed predecessor at once.

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::store::Store;

/// How long a lease lasts unless renewed: how long scheduled work pauses when its holder dies.
const TTL: Duration = Duration::from_secs(30);
/// How often a holder renews its lease.
const RENEW: Duration = Duration::from_secs(10);
/// How often a process that does not hold a lease asks for it again.
const RETRY: Duration = Duration::from_secs(5);

/// This machine's name: processes on other machines are judged by their leases only, never by
/// whether a process of the same id runs here.
pub fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| read_host().unwrap_or_else(|| "unknown-host".to_string()))
}

fn read_host() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(host_from_libc)?;
    // A '/' would blur where the host ends in a worker's name.
    let name = name.trim().replace('/', "_");
    (!name.is_empty()).then_some(name)
}

#[cfg(unix)]
fn host_from_libc() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `buffer.len()` bytes into the buffer it is given.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return None;
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    String::from_utf8(buffer[..end].to_vec()).ok()
}

#[cfg(not(unix))]
fn host_from_libc() -> Option<String> {
    None
}

/// This process's name in the store: `<host>/pid<N>`.
pub fn process_name() -> String {
    format!("{}/pid{}", host(), std::process::id())
}

/// The host and process id in a name made by [`process_name`] (a worker's name adds
/// `/worker-<i>`). A name of an older ferry, `pid<N>/...`, has no host: it was made on the
/// one machine using the store then, taken to be this one.
fn process_of(name: &str) -> Option<(Option<&str>, u32)> {
    let mut parts = name.split('/');
    let first = parts.next()?;
    let pid_of = |part: &str| part.strip_prefix("pid")?.parse::<u32>().ok();
    if let Some(pid) = pid_of(first) {
        return Some((None, pid));
    }
    Some((Some(first), pid_of(parts.next()?)?))
}

/// Whether the process that a name (of a worker or lease holder) belongs to is known to be
/// gone: it ran on this host and no `/proc/<pid>` is left (Linux). Anything else (another
/// host, a name without a process, no `/proc`) is left to its lease.
pub fn process_gone(name: &str) -> bool {
    let proc = std::path::Path::new("/proc");
    match process_of(name) {
        Some((place, pid))
            if place.is_none_or(|place| place == host())
                && pid != std::process::id()
                && proc.join("self").exists() =>
        {
            !proc.join(pid.to_string()).exists()
        }
        _ => false,
    }
}

/// Runs `work` while this process holds the lease `name`, renewing it meanwhile; waits for the
/// lease first (taking it over from a holder of this host that is gone). Gives `work`'s output
/// once it ends, and the lease back with it; None if `stop` turns true first. If the lease is
/// lost (another process took it after this one could not renew it in time), `work` is
/// dropped where it stands and started again once the lease is back: scheduled work is
/// idempotent, and is never run by two processes at once.
pub async fn lead<T, Work, Run>(
    store: &Store,
    name: &str,
    stop: &mut tokio::sync::watch::Receiver<bool>,
    mut work: Work,
) -> Option<T>
where
    Work: FnMut() -> Run,
    Run: Future<Output = T>,
{
    let holder = process_name();
    loop {
        if !wait_for_lease(store, name, &holder, stop).await {
            return None;
        }
        tracing::debug!(lease = name, "this process runs it");
        let running = work();
        tokio::pin!(running);
        let mut renewed = Instant::now();
        loop {
            tokio::select! {
                output = &mut running => {
                    if let Err(error) = store.release_lease(name, &holder).await {
                        tracing::debug!(lease = name, "cannot give the lease back: {error}; it runs out");
                    }
                    return Some(output);
                }
                _ = tokio::time::sleep(RENEW) => {}
            }
            match store.try_lease(name, &holder, TTL, None).await {
                Ok(true) => renewed = Instant::now(),
                Ok(false) => {
                    tracing::warn!(
                        lease = name,
                        "another process took the lease over; this one stops its work"
                    );
                    break;
                }
                // Before it could run out: the next holder may start once it has.
                Err(error) if renewed.elapsed() + RENEW >= TTL => {
                    tracing::warn!(
                        lease = name,
                        "cannot renew the lease: {error}; stopping its work before it runs out"
                    );
                    break;
                }
                Err(error) => {
                    tracing::warn!(
                        lease = name,
                        "cannot renew the lease: {error}; trying again"
                    )
                }
            }
        }
    }
}

/// Waits until `holder` has the lease; false if `stop` turned true first.
async fn wait_for_lease(
    store: &Store,
    name: &str,
    holder: &str,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    loop {
        if *stop.borrow() {
            return false;
        }
        match take(store, name, holder).await {
            Ok(true) => return true,
            Ok(false) => {}
            Err(error) => tracing::warn!(lease = name, "cannot take the lease: {error}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            changed = stop.changed() => if changed.is_err() {
                return false;
            },
        }
    }
}

/// Takes the lease if it is free, or if its holder ran on this host and is gone (a restart
/// after a kill need not wait for it to run out).
async fn take(store: &Store, name: &str, holder: &str) -> Result<bool, crate::store::StoreError> {
    if store.try_lease(name, holder, TTL, None).await? {
        return Ok(true);
    }
    match store.lease_holder(name).await? {
        Some(gone) if process_gone(&gone) => store.try_lease(name, holder, TTL, Some(&gone)).await,
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_carries_its_host_and_process() {
        let name = format!("{}/worker-3", process_name());
        assert_eq!(process_of(&name), Some((Some(host()), std::process::id())));
        assert_eq!(process_of("pid12/worker-0"), Some((None, 12)));
        assert_eq!(process_of("worker-0"), None);
        assert!(!process_gone(&name), "this process is alive");
        assert!(
            !process_gone("worker-0"),
            "an unknown process is left to its lease"
        );
        // Above Linux's largest process id (2^22): gone here, unknown elsewhere.
        if std::path::Path::new("/proc/self").exists() {
            assert!(process_gone(&format!("{}/pid4999999/worker-0", host())));
            assert!(process_gone("pid4999999/worker-0"));
        }
        assert!(
            !process_gone("another-machine/pid4999999/worker-0"),
            "a process of another host is left to its lease"
        );
    }
}
