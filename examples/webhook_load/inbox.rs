//! The inbox's depth over time, from `ferry serve`'s `/readyz` (`{"inbox": {"pending",
//! "processing"}}`): sampled while the load runs, then until the workers have drained it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::http::Connection;

pub struct Sampler {
    connection: Connection,
    path: String,
    started: Instant,
    samples: Vec<Value>,
    max_depth: u64,
}

impl Sampler {
    pub fn new(addr: SocketAddr, path: String, started: Instant) -> Sampler {
        Sampler {
            connection: Connection::new(addr),
            path,
            started,
            samples: Vec::new(),
            max_depth: 0,
        }
    }

    /// Pending plus processing now, if `/readyz` answered.
    async fn sample(&mut self) -> Option<u64> {
        let response = self.connection.get(&self.path).await.ok()?;
        let body: Value = serde_json::from_slice(&response.body).ok()?;
        let pending = body.pointer("/inbox/pending")?.as_u64()?;
        let processing = body.pointer("/inbox/processing")?.as_u64()?;
        let depth = pending + processing;
        self.max_depth = self.max_depth.max(depth);
        self.samples.push(json!({
            "t": (self.started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "pending": pending,
            "processing": processing,
        }));
        Some(depth)
    }

    /// Samples every `every` until `done` turns true.
    pub async fn during(&mut self, every: Duration, mut done: watch::Receiver<bool>) {
        loop {
            self.sample().await;
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = done.wait_for(|done| *done) => return,
            }
        }
    }

    /// After the load: samples until the inbox is empty or `limit` passes; the report.
    pub async fn drain(mut self, limit: Duration) -> Value {
        let load_ended = self.started.elapsed().as_secs_f64();
        let at_end = self.sample().await;
        let began = Instant::now();
        let mut drained = None;
        while began.elapsed() < limit {
            match self.sample().await {
                Some(0) => {
                    drained = Some(began.elapsed().as_secs_f64());
                    break;
                }
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
        json!({
            "depth_at_load_end": at_end,
            "max_depth": self.max_depth,
            "load_ended_at_s": load_ended,
            "drained_after_s": drained,
            "samples": self.samples,
        })
    }
}
