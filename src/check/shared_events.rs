//! Events written twice: two enabled pipelines of a project that read the same event and write
//! to the same system (W0009). `ferry serve` runs every enabled pipeline of the project, so one
//! charge would become a sales order and an invoice.
//!
//! Two pipelines read the same event when they read the same source and either an event type
//! both name (`on "charge.succeeded"`), or every event of it (a polled stream, or `on` left
//! out). `where` filters are not compared: proving two of them disjoint is beyond a lint, so the
//! project file says so instead (`shares_events_with`), or turns one pipeline off.

use std::collections::BTreeSet;
use std::path::Path;

use super::CheckedPipeline;
use crate::diagnostics::{Code, Diagnostic, Span};

/// What the project file says that bears on W0009.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventSharing<'a> {
    /// Pipelines turned off (`enabled: false`): they take no part.
    pub disabled: &'a [String],
    /// Pairs of pipelines that share their events on purpose (`shares_events_with`), in either
    /// order.
    pub shared_on_purpose: &'a [(String, String)],
}

impl EventSharing<'_> {
    fn exempt(&self, first: &str, second: &str) -> bool {
        self.shared_on_purpose
            .iter()
            .any(|(a, b)| (a == first && b == second) || (a == second && b == first))
    }
}

/// One enabled pipeline as W0009 sees it: what it reads and the systems it writes.
struct Reader<'p> {
    program: usize,
    path: &'p Path,
    pipeline: &'p CheckedPipeline,
    systems: BTreeSet<&'p str>,
}

/// The W0009 diagnostics of the pipelines linted together: `programs` are each file's path and
/// checked pipelines; each diagnostic comes with the index of the program whose file it points
/// into (the later pipeline of the pair).
pub fn project_shared_events(
    programs: &[(&Path, &[CheckedPipeline])],
    sharing: EventSharing,
) -> Vec<(usize, Diagnostic)> {
    let mut readers = Vec::new();
    for (program, (path, pipelines)) in programs.iter().enumerate() {
        for pipeline in pipelines.iter().filter(|p| !p.has_errors) {
            // A file source reads whatever file the run is given (`--input`), not one stream.
            if pipeline.source.is_empty()
                || pipeline.source.starts_with("file.")
                || sharing.disabled.contains(&pipeline.name)
            {
                continue;
            }
            let systems = pipeline
                .steps
                .iter()
                .filter_map(|step| step.sink.split_once('.').map(|(system, _)| system))
                .collect();
            readers.push(Reader {
                program,
                path,
                pipeline,
                systems,
            });
        }
    }
    let mut diagnostics = Vec::new();
    for (index, later) in readers.iter().enumerate() {
        for earlier in &readers[..index] {
            let (first, second) = (&earlier.pipeline.name, &later.pipeline.name);
            if first == second
                || earlier.pipeline.source != later.pipeline.source
                || sharing.exempt(first, second)
            {
                continue;
            }
            let Some((event, span)) = shared_event(earlier.pipeline, later.pipeline) else {
                continue;
            };
            for system in earlier.systems.intersection(&later.systems) {
                diagnostics.push((
                    later.program,
                    written_twice(earlier, later, &event, system, span),
                ));
            }
        }
    }
    diagnostics
}

/// The event both pipelines read, as the message names it, and where the later one names it.
fn shared_event(earlier: &CheckedPipeline, later: &CheckedPipeline) -> Option<(String, Span)> {
    let source = &later.source;
    let named = |event: &str| format!("every `{event}` event of `{source}`");
    match (earlier.events.is_empty(), later.events.is_empty()) {
        (true, true) => Some((format!("every record of `{source}`"), later.source_span)),
        (false, true) => Some((named(&earlier.events[0]), later.source_span)),
        (_, false) => later
            .events
            .iter()
            .zip(&later.event_spans)
            .find(|(event, _)| earlier.events.is_empty() || earlier.events.contains(event))
            .map(|(event, span)| (named(event), *span)),
    }
}

fn written_twice(
    earlier: &Reader,
    later: &Reader,
    event: &str,
    system: &str,
    span: Span,
) -> Diagnostic {
    let (first, second) = (&earlier.pipeline.name, &later.pipeline.name);
    Diagnostic::new(
        Code::EventWrittenTwice,
        span,
        format!(
            "`{second}` and `{first}` ({}) both write {event} to `{system}`",
            earlier.path.display()
        ),
    )
    .with_label(format!("also read by `{first}`"))
    .with_help(format!(
        "choose one and turn the other off in ferry.yaml: `pipelines: {{ {first}: {{ enabled: false }} }}`; \
         if their `where` filters split the events between them, say so instead: \
         `pipelines: {{ {second}: {{ shares_events_with: [{first}] }} }}`"
    ))
    .with_note(format!(
        "`ferry serve` runs every enabled pipeline of the project, so each event would be written to `{system}` twice"
    ))
}
