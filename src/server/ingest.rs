//! Group commit: webhook handlers hand their verified events to one writer task, which stores
//! everything that arrived meanwhile in one transaction (one disk flush) and then answers each
//! handler. An event is acknowledged only after its transaction has committed.

use tokio::sync::{mpsc, oneshot};

use crate::store::{InboxEvent, InboxPut, Store, StoreError};

/// Events taken into one transaction at most.
const MAX_GROUP: usize = 512;

type Reply = oneshot::Sender<Result<InboxPut, String>>;

/// The handle handlers use; cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    sender: mpsc::Sender<(InboxEvent, Reply)>,
}

impl Ingest {
    /// Starts the writer task on `store`; it stops when every handle is dropped.
    pub fn start(store: Store) -> Ingest {
        let (sender, receiver) = mpsc::channel(4 * MAX_GROUP);
        tokio::spawn(write_groups(store, receiver));
        Ingest { sender }
    }

    /// Stores `event` durably; `Err` (with the reason) when it could not be stored.
    pub async fn put(&self, event: InboxEvent) -> Result<InboxPut, String> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((event, reply))
            .await
            .map_err(|_| "the inbox writer has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the inbox writer has stopped".to_string())?
    }
}

async fn write_groups(store: Store, mut receiver: mpsc::Receiver<(InboxEvent, Reply)>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        let (events, replies): (Vec<InboxEvent>, Vec<Reply>) = group.drain(..).unzip();
        match store.inbox_put_many(&events).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                let reason = describe(&error);
                tracing::error!(
                    "the inbox could not store {} event(s): {reason}",
                    events.len()
                );
                for reply in replies {
                    let _ = reply.send(Err(reason.clone()));
                }
            }
        }
    }
}

fn describe(error: &StoreError) -> String {
    error.to_string()
}
