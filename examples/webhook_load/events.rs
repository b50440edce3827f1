//! Stripe events made from the fixtures in `pipelines/fixtures/`, each with its own event id,
//! object id and `created` time, signed as Stripe signs them.

use std::error::Error;
use std::path::Path;

use ferry::connectors::stripe::signature;
use ferry::project::Secret;
use serde_json::Value;

const EVENT_ID: &str = "@@ferry-load-event-id@@";
const OBJECT_ID: &str = "@@ferry-load-object-id@@";
const CREATED: &str = "@@ferry-load-created@@";

#[derive(Clone, Copy)]
enum Hole {
    EventId,
    ObjectId,
    Created,
}

/// A fixture's compact JSON cut at the three places that change from event to event.
struct Template {
    parts: Vec<String>,
    holes: Vec<Hole>,
    object_prefix: &'static str,
}

impl Template {
    fn from_fixture(path: &Path, object_prefix: &'static str) -> Result<Template, Box<dyn Error>> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let mut event: Value = serde_json::from_str(&text)?;
        event["id"] = Value::String(EVENT_ID.into());
        event["created"] = Value::String(CREATED.into());
        event["data"]["object"]["id"] = Value::String(OBJECT_ID.into());
        let mut rest = serde_json::to_string(&event)?;
        let mut parts = Vec::new();
        let mut holes = Vec::new();
        loop {
            let next = [
                (EVENT_ID, Hole::EventId),
                (OBJECT_ID, Hole::ObjectId),
                (CREATED, Hole::Created),
            ]
            .into_iter()
            .filter_map(|(marker, hole)| {
                rest.find(&format!("\"{marker}\""))
                    .map(|at| (at, marker.len() + 2, hole))
            })
            .min_by_key(|(at, _, _)| *at);
            let Some((at, length, hole)) = next else {
                parts.push(rest);
                break;
            };
            parts.push(rest[..at].to_string());
            holes.push(hole);
            rest = rest[at + length..].to_string();
        }
        Ok(Template {
            parts,
            holes,
            object_prefix,
        })
    }

    fn render(&self, out: &mut Vec<u8>, run: &str, number: u64, created: i64) {
        out.clear();
        for (index, part) in self.parts.iter().enumerate() {
            out.extend_from_slice(part.as_bytes());
            let text = match self.holes.get(index) {
                Some(Hole::EventId) => format!("\"evt_{run}_{number:09}\""),
                Some(Hole::ObjectId) => format!("\"{}_{run}_{number:09}\"", self.object_prefix),
                Some(Hole::Created) => created.to_string(),
                None => continue,
            };
            out.extend_from_slice(text.as_bytes());
        }
    }
}

/// The mix of events a run sends: `customer_percent` of `customer.updated`, the rest
/// `charge.succeeded`; event `n` is the same in every run with the same `run` id.
pub struct Events {
    charge: Template,
    customer: Template,
    customer_percent: u64,
    run: String,
    secret: Secret,
}

impl Events {
    pub fn new(
        fixtures: &Path,
        customer_percent: u64,
        run: String,
        secret: Secret,
    ) -> Result<Events, Box<dyn Error>> {
        Ok(Events {
            charge: Template::from_fixture(&fixtures.join("charge_succeeded.json"), "ch")?,
            customer: Template::from_fixture(&fixtures.join("customer_updated.json"), "cus")?,
            customer_percent,
            run,
            secret,
        })
    }

    /// Writes event `number`, created and signed at `now` (unix seconds), into `body`; returns
    /// its `Stripe-Signature` header line.
    pub fn make(&self, body: &mut Vec<u8>, number: u64, now: i64) -> String {
        // Spreads the customers evenly through the run (37 is prime to 100).
        let template = if (number * 37) % 100 < self.customer_percent {
            &self.customer
        } else {
            &self.charge
        };
        template.render(body, &self.run, number, now);
        format!(
            "Stripe-Signature: {}\r\n",
            signature::sign(body, &self.secret, now)
        )
    }
}
