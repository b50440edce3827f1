//! One target, one source. Two source records that match one target record by its match keys
//! (two Capsule people sharing an email) would otherwise take turns writing it, run after run,
//! and the sync would never settle. When a record finds its target by match key and the target
//! is already linked to another record of the same source collection, the later record is
//! dead-lettered, naming the other and the key; with `on conflict newest by FIELD` the record
//! whose FIELD is greater keeps the target instead, and the other is skipped.

use std::cmp::Ordering;

use serde_json::Value;

use super::claims::MatchClaims;
use super::deliver::{self, Found};
use super::job::{Job, Step};
use super::runner::Runner;
use crate::store::StoreError;

/// What a record may do with a target it found by match key.
pub(super) enum Claim {
    /// The target is this record's, or nobody else's.
    Free,
    /// Another record holds it, and this one is newer: write, and take the link over from it.
    TakeOver { from: Vec<String> },
    /// Another record holds it and is at least as new: leave the target alone.
    Yield { to: String },
    /// Another record holds it and the sink has no policy: dead-letter with this reason.
    Refuse { reason: String },
}

impl Runner {
    /// Who may write `target_id`, found for `link_id` by `found`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn target_claim(
        &self,
        step: &Step,
        found: Found,
        target_id: &str,
        link_id: &str,
        mapped: &Value,
        stamp: Option<&str>,
        claims: &MatchClaims,
    ) -> Result<Claim, StoreError> {
        if found == Found::Nowhere {
            return Ok(Claim::Free);
        }
        let sink = step.sink.collection();
        // Every record of the source linked to the target, in the order they were first linked.
        let mut holders = self
            .store()
            .sources_of(&step.link.collection, &sink, target_id)
            .await?;
        holders.extend(claims.writer_of(&sink, target_id));
        let parent = |id: &str| id.split('#').next().unwrap_or(id).to_string();
        // Items of one source record (`ch_1#re_2`) are one source.
        let mine = holders
            .iter()
            .position(|(holder, _)| parent(holder) == parent(link_id));
        let linked_before_me = mine.unwrap_or(holders.len());
        let earlier: Vec<String> = holders[..linked_before_me]
            .iter()
            .filter(|(holder, _)| parent(holder) != parent(link_id))
            .map(|(holder, _)| holder.clone())
            .collect();
        holders.retain(|(holder, _)| parent(holder) != parent(link_id));
        holders.dedup_by(|a, b| a.0 == b.0);
        let Some((newest_holder, holder_stamp)) = holders
            .iter()
            .max_by(|a, b| compare_optional(a.1.as_deref(), b.1.as_deref()))
            .cloned()
        else {
            return Ok(Claim::Free);
        };
        let key = deliver::match_keys(step, mapped)
            .iter()
            .map(|k| format!("{} = {}", k.path, k.value))
            .collect::<Vec<_>>()
            .join(", ");
        if step.newest_by.is_none() {
            // The record that linked the target first keeps it; a record found by its own
            // link before anyone else linked the target is that record.
            let Some(first) = earlier.first().or(match found {
                Found::ByMatch => Some(&newest_holder),
                _ => None,
            }) else {
                return Ok(Claim::Free);
            };
            return Ok(Claim::Refuse {
                reason: format!(
                    "{sink} {target_id} (match on {key}) already belongs to {} {first}: two source records match one target. Merge them at the source, or choose which keeps it with `on conflict newest by <field>` in the sink",
                    step.link.collection
                ),
            });
        }
        let newer = match (stamp, holder_stamp.as_deref()) {
            (Some(mine), Some(theirs)) => compare_stamps(mine, theirs) == Ordering::Greater,
            (Some(_), None) => true,
            (None, _) => false,
        };
        Ok(if newer {
            Claim::TakeOver {
                from: holders.into_iter().map(|(holder, _)| holder).collect(),
            }
        } else {
            Claim::Yield { to: newest_holder }
        })
    }
}

/// The stamp of a source record for `on conflict newest by FIELD`: FIELD as text (from the
/// event's object for events); `None` when the record has no such field.
pub(super) fn stamp(job: &Job, step: &Step, data: &Value) -> Option<String> {
    let field = step.newest_by.as_deref()?;
    let object = job.object_of(data);
    match field
        .split('.')
        .try_fold(object, |value, part| value.get(part))?
    {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A stamp against another, a missing one oldest.
fn compare_optional(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => compare_stamps(a, b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// Numbers compare as numbers (unix times); anything else as text (RFC 3339 times in one zone
/// sort as text).
fn compare_stamps(a: &str, b: &str) -> Ordering {
    match (
        a.parse::<rust_decimal::Decimal>(),
        b.parse::<rust_decimal::Decimal>(),
    ) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_compare_as_numbers_or_as_text() {
        assert_eq!(compare_stamps("9", "10"), Ordering::Less);
        assert_eq!(
            compare_stamps("2026-01-02T00:00:00Z", "2026-01-01T23:59:59Z"),
            Ordering::Greater
        );
        assert_eq!(compare_stamps("1.50", "1.5"), Ordering::Equal);
    }
}
