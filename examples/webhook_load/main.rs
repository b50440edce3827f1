//! Load generator for `bench/webhooks.sh`: signed Stripe events (`charge.succeeded` and
//! `customer.updated`, unique ids) sent over loopback HTTP/1.1 keep-alive connections to a
//! webhook endpoint, `ferry serve`'s or the baseline's. Prints one JSON report on stdout.
//!
//! - `--mode max`: each of `--connections` sends its next event as soon as the previous one is
//!   acknowledged, for `--duration` seconds after `--warmup`; the figure is acknowledgements
//!   per second.
//! - `--mode rate`: open loop. Event `i` is due at `start + i / rate`; a free connection takes
//!   it at that time, and its latency runs from when it was due, not from when it was sent, so
//!   a stalled server is charged for every event it delayed (no coordinated omission). Events
//!   still unsent `--grace` seconds after the last one was due count as slower than all.
//!
//! With `--readyz URL` the inbox depth (pending + processing) is sampled every second during
//! the load, then until it is zero (the workers have caught up) or `--drain-timeout` passes.

mod events;
mod http;
mod inbox;
mod report;

use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use ferry::project::Secret;
use serde_json::json;
use tokio::time::Instant;

use events::Events;
use http::Connection;
use report::{Tally, percentiles};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Max,
    Rate,
}

#[derive(Parser)]
struct Args {
    /// The webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/stripe/stripe.
    #[arg(long)]
    url: String,
    /// The endpoint's signing secret (`whsec_...`).
    #[arg(long)]
    secret: String,
    #[arg(long, value_enum)]
    mode: Mode,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Events per second in `rate` mode.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Seconds of load (after the warm-up in `max` mode).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// `max` mode: seconds sent before counting starts.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// `rate` mode: seconds after the last due time before unsent events are given up.
    #[arg(long, default_value_t = 30.0)]
    grace: f64,
    /// `ferry serve`'s `/readyz`, to sample the inbox depth.
    #[arg(long)]
    readyz: Option<String>,
    #[arg(long, default_value_t = 300.0)]
    drain_timeout: f64,
    /// Where `charge_succeeded.json` and `customer_updated.json` are.
    #[arg(long, default_value = "pipelines/fixtures")]
    fixtures: PathBuf,
    /// Percentage of `customer.updated` events; the rest are `charge.succeeded`.
    #[arg(long, default_value_t = 30)]
    customer_percent: u64,
    /// Makes event and object ids unique across runs.
    #[arg(long, default_value = "load")]
    run_id: String,
}

/// What every connection task shares.
struct Plan {
    events: Events,
    addr: SocketAddr,
    path: String,
    next: AtomicU64,
    /// Every event stored and acknowledged, counted or not (the warm-up and tail of `max`).
    stored_total: AtomicU64,
}

fn endpoint(url: &str) -> Result<(SocketAddr, String), Box<dyn Error>> {
    let url = url::Url::parse(url)?;
    if url.scheme() != "http" {
        return Err(format!("only http:// URLs: {url}").into());
    }
    let addr = url
        .socket_addrs(|| Some(80))?
        .into_iter()
        .next()
        .ok_or("the URL has no address")?;
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    Ok((addr, path))
}

fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Sends event `number` on `connection`; the answer's status (None: the connection broke).
async fn send(
    plan: &Plan,
    connection: &mut Connection,
    body: &mut Vec<u8>,
    number: u64,
) -> (Option<u16>, Vec<u8>) {
    let header = plan.events.make(body, number, unix_now());
    match connection.post(&plan.path, &header, body).await {
        Ok(response) => {
            if report::is_stored(response.status, &response.body) {
                plan.stored_total.fetch_add(1, Ordering::Relaxed);
            }
            (Some(response.status), response.body)
        }
        Err(_) => (None, Vec::new()),
    }
}

/// `max` mode, one connection: send, await the answer, repeat until `end`; only answers that
/// arrive between `count_from` and `end` are counted.
async fn closed_loop(plan: Arc<Plan>, count_from: Instant, end: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut connection = Connection::new(plan.addr);
    let mut body = Vec::with_capacity(8 * 1024);
    while Instant::now() < end {
        let number = plan.next.fetch_add(1, Ordering::Relaxed);
        let sent = Instant::now();
        let (status, answer) = send(&plan, &mut connection, &mut body, number).await;
        let answered = Instant::now();
        if answered >= count_from && answered <= end {
            tally.count(status, &answer);
            tally
                .latencies_us
                .push(answered.duration_since(sent).as_micros() as u64);
        }
    }
    tally
}

/// `rate` mode, one connection: take the next due event, wait until it is due, send it.
async fn open_loop(
    plan: Arc<Plan>,
    start: Instant,
    interval: Duration,
    total: u64,
    give_up: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut connection = Connection::new(plan.addr);
    if connection.connect().await.is_err() {
        return tally;
    }
    let mut body = Vec::with_capacity(8 * 1024);
    loop {
        let number = plan.next.fetch_add(1, Ordering::Relaxed);
        if number >= total || Instant::now() >= give_up {
            return tally;
        }
        let due = start + interval.mul_f64(number as f64);
        tokio::time::sleep_until(due).await;
        let sent = Instant::now();
        let (status, answer) = send(&plan, &mut connection, &mut body, number).await;
        let answered = Instant::now();
        tally.count(status, &answer);
        tally
            .latencies_us
            .push(answered.duration_since(due).as_micros() as u64);
        tally
            .lateness_us
            .push(sent.duration_since(due).as_micros() as u64);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let (addr, path) = endpoint(&args.url)?;
    let events = Events::new(
        &args.fixtures,
        args.customer_percent,
        args.run_id.clone(),
        Secret::new(args.secret.clone()),
    )?;
    let plan = Arc::new(Plan {
        events,
        addr,
        path,
        next: AtomicU64::new(0),
        stored_total: AtomicU64::new(0),
    });
    let started = Instant::now();
    let sampler = match &args.readyz {
        Some(url) => {
            let (addr, path) = endpoint(url)?;
            Some(inbox::Sampler::new(addr, path, started.into_std()))
        }
        None => None,
    };
    let (load_done, load_done_rx) = tokio::sync::watch::channel(false);
    let sampling = sampler.map(|mut sampler| {
        tokio::spawn(async move {
            sampler.during(Duration::from_secs(1), load_done_rx).await;
            sampler
        })
    });

    let mut tasks = Vec::new();
    let (window, total) = match args.mode {
        Mode::Max => {
            let count_from = started + Duration::from_secs_f64(args.warmup);
            let end = count_from + Duration::from_secs_f64(args.duration);
            for _ in 0..args.connections {
                tasks.push(tokio::spawn(closed_loop(plan.clone(), count_from, end)));
            }
            (args.duration, None)
        }
        Mode::Rate => {
            let total = (args.rate as f64 * args.duration).round() as u64;
            let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
            // A moment for every connection to open before the first event is due.
            let start = started + Duration::from_millis(200);
            let give_up = start + Duration::from_secs_f64(args.duration + args.grace);
            for _ in 0..args.connections {
                tasks.push(tokio::spawn(open_loop(
                    plan.clone(),
                    start,
                    interval,
                    total,
                    give_up,
                )));
            }
            (args.duration, Some(total))
        }
    };
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await?);
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let _ = load_done.send(true);
    let inbox = match sampling {
        Some(task) => Some(
            task.await?
                .drain(Duration::from_secs_f64(args.drain_timeout))
                .await,
        ),
        None => None,
    };

    let answered = tally.stored + tally.other_ok + tally.refused + tally.broken;
    let unsent = total.map_or(0, |total| total.saturating_sub(answered));
    let report = json!({
        "mode": match args.mode { Mode::Max => "max", Mode::Rate => "rate" },
        "connections": args.connections,
        "rate": (args.mode == Mode::Rate).then_some(args.rate),
        "window_s": window,
        "load_s": load_seconds,
        "scheduled": total,
        "stored": tally.stored,
        "stored_total": plan.stored_total.load(Ordering::Relaxed),
        "other_ok": tally.other_ok,
        "refused": tally.refused,
        "broken": tally.broken,
        "unsent": unsent,
        "stored_per_s": tally.stored as f64 / window,
        "latency": percentiles(&mut tally.latencies_us, unsent),
        "send_lateness": percentiles(&mut tally.lateness_us, 0),
        "inbox": inbox,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
