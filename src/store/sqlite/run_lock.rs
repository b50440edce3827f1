//! Run locks (see [`RunLock`]) on SQLite. A SQLite store lives in one file on one machine, so
//! the lock is the operating system's (`flock`) on a file beside it: it goes with the process,
//! even one killed with SIGKILL, and never needs clearing by hand. The file also says who holds
//! the lock, for the message.

use std::fs::{OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::{RunLock, StoreError};

/// Where a store's run locks live.
#[derive(Clone)]
pub(super) enum LockPlace {
    /// `<database>.locks/`, beside a database file.
    Folder(PathBuf),
    /// An in-memory database is private to its process: the locks are too.
    Memory(Arc<Mutex<Vec<String>>>),
}

/// A pipeline's lock in an in-memory database's list, taken off it when dropped.
struct MemoryLock {
    held: Arc<Mutex<Vec<String>>>,
    pipeline: String,
}

impl Drop for MemoryLock {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.retain(|name| name != &self.pipeline);
    }
}

/// How often a waiting run looks again.
const RETRY: Duration = Duration::from_millis(200);

impl LockPlace {
    pub(super) fn for_database(file: Option<PathBuf>) -> LockPlace {
        match file {
            Some(file) => {
                let mut folder = file.into_os_string();
                folder.push(".locks");
                LockPlace::Folder(PathBuf::from(folder))
            }
            None => LockPlace::Memory(Arc::default()),
        }
    }

    /// Takes `pipeline`'s lock for `holder` (what to tell a second run: `ferry run, pid 42`);
    /// with `wait`, waits until the run holding it ends.
    pub(super) async fn lock(
        &self,
        pipeline: &str,
        holder: &str,
        wait: bool,
    ) -> Result<RunLock, StoreError> {
        loop {
            let attempt = match self {
                LockPlace::Folder(folder) => try_file_lock(folder, pipeline, holder),
                LockPlace::Memory(held) => Ok(try_memory_lock(held, pipeline, holder)),
            }?;
            match attempt {
                Ok(lock) => return Ok(lock),
                Err(holder) if !wait => {
                    return Err(StoreError::RunLocked {
                        pipeline: pipeline.to_string(),
                        holder,
                    });
                }
                Err(holder) => {
                    tracing::info!(pipeline, %holder, "waiting for the run that holds the pipeline's lock");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }
}

/// `Ok(Err(holder))` when another run holds the lock.
fn try_file_lock(
    folder: &Path,
    pipeline: &str,
    holder: &str,
) -> Result<Result<RunLock, String>, StoreError> {
    let io = |source| StoreError::Lock {
        path: folder.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(folder).map_err(io)?;
    let path = folder.join(format!("{}.lock", file_name(pipeline)));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {
            // Only the holder writes the file, so a second run reads a whole line.
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            file.write_all(holder.as_bytes()).map_err(io)?;
            file.flush().map_err(io)?;
            Ok(Ok(RunLock::holding(file)))
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            file.read_to_string(&mut text).map_err(io)?;
            let text = text.trim();
            Ok(Err(if text.is_empty() {
                "another ferry".to_string()
            } else {
                text.to_string()
            }))
        }
        Err(TryLockError::Error(source)) => Err(io(source)),
    }
}

impl super::super::run_lock::Held for MemoryLock {}

fn try_memory_lock(
    held: &Arc<Mutex<Vec<String>>>,
    pipeline: &str,
    _holder: &str,
) -> Result<RunLock, String> {
    let mut names = held.lock().unwrap_or_else(|e| e.into_inner());
    if names.iter().any(|name| name == pipeline) {
        return Err("another run in this process".to_string());
    }
    names.push(pipeline.to_string());
    Ok(RunLock::holding(MemoryLock {
        held: held.clone(),
        pipeline: pipeline.to_string(),
    }))
}

/// A pipeline name as a file name: names are identifiers, but a lock must never escape its
/// folder whatever it is given.
fn file_name(pipeline: &str) -> String {
    pipeline
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_run_of_a_pipeline_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let place = LockPlace::for_database(Some(dir.path().join("state.db")));
        let first = place
            .lock("contacts", "ferry run, pid 1", false)
            .await
            .unwrap();
        let refused = place.lock("contacts", "ferry run, pid 2", false).await;
        match refused {
            Err(StoreError::RunLocked { pipeline, holder }) => {
                assert_eq!(
                    (pipeline.as_str(), holder.as_str()),
                    ("contacts", "ferry run, pid 1")
                );
            }
            other => panic!("expected RunLocked, got {:?}", other.map(|_| ())),
        }
        // Another pipeline is not held up.
        let _other = place
            .lock("charges", "ferry run, pid 2", false)
            .await
            .unwrap();
        drop(first);
        let _second = place
            .lock("contacts", "ferry run, pid 2", false)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_waiting_run_starts_when_the_first_ends() {
        let place = LockPlace::for_database(None);
        let first = place.lock("contacts", "first", false).await.unwrap();
        let waiting = {
            let place = place.clone();
            tokio::spawn(async move { place.lock("contacts", "second", true).await.map(|_| ()) })
        };
        tokio::time::sleep(RETRY * 2).await;
        assert!(!waiting.is_finished(), "the second run must wait");
        drop(first);
        waiting.await.unwrap().unwrap();
    }

    #[test]
    fn lock_file_names_stay_in_their_folder() {
        assert_eq!(file_name("../../etc/passwd"), "______etc_passwd");
        assert_eq!(file_name("stripe_charges-2"), "stripe_charges-2");
    }
}
