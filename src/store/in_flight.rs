//! Writes in flight, recorded in groups: deliveries running side by side hand their records to
//! one writer task, which stores everything that arrived meanwhile in one transaction (one disk
//! flush, one multi-row statement) and then lets each delivery send its write.

use tokio::sync::{mpsc, oneshot};

use super::{IdempotencyRecord, Store, StoreError};

/// Records taken into one transaction at most.
const MAX_GROUP: usize = 256;

type Reply = oneshot::Sender<Result<(), String>>;

/// The queue's handle; cheap to clone.
#[derive(Clone)]
pub(super) struct InFlightQueue {
    sender: mpsc::Sender<(IdempotencyRecord, Reply)>,
}

impl InFlightQueue {
    /// Starts the writer task on `store`; it stops when every handle is dropped.
    pub(super) fn start(store: Store) -> Self {
        let (sender, receiver) = mpsc::channel(4 * MAX_GROUP);
        tokio::spawn(write_groups(store, receiver));
        InFlightQueue { sender }
    }

    /// Stores `record` durably; returns once its transaction has committed.
    pub(super) async fn put(&self, record: IdempotencyRecord) -> Result<(), StoreError> {
        let stopped = || StoreError::Writer("the in-flight writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((record, reply))
            .await
            .map_err(|_| stopped())?;
        answer
            .await
            .map_err(|_| stopped())?
            .map_err(StoreError::Writer)
    }
}

async fn write_groups(store: Store, mut receiver: mpsc::Receiver<(IdempotencyRecord, Reply)>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        let (records, replies): (Vec<IdempotencyRecord>, Vec<Reply>) = group.drain(..).unzip();
        let outcome = async {
            let mut batch = store.begin().await?;
            batch.put_in_flight(&records).await?;
            batch.commit().await
        }
        .await
        .map_err(|error| error.to_string());
        for reply in replies {
            let _ = reply.send(outcome.clone());
        }
    }
}
