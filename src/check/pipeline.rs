//! One pipeline: its sections, lets, lookups and filters, and what the runner needs from it.

use std::path::PathBuf;

use indexmap::IndexMap;

use super::scope::{Checker, Frame, LetInfo};
use super::suggest;
use super::types::Type;
use super::{CheckedPipeline, CheckedStep};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{
    Expr, Ident, MapBlock, Pipeline, PipelineItem, SinkBlock, Source, SourceOption, StringLit,
};

/// The single-use sections of a pipeline.
#[derive(Default)]
struct Sections<'p> {
    timezone: Option<&'p StringLit>,
    source: Option<&'p Source>,
    map: Option<&'p crate::syntax::ast::MapBlock>,
    sink: Option<&'p crate::syntax::ast::SinkBlock>,
    steps: Vec<&'p crate::syntax::ast::StepBlock>,
}

impl<'a> Checker<'a> {
    pub(crate) fn check_pipeline(
        &mut self,
        pipeline: &'a Pipeline,
        base_dir: PathBuf,
    ) -> CheckedPipeline {
        let errors_before = self.error_count();
        self.xref_reads.clear();
        let sections = self.sections(pipeline);
        let mut checked = CheckedPipeline {
            name: pipeline.name.name.clone(),
            file: pipeline.span.file,
            timezone: None,
            source: String::new(),
            source_span: pipeline.name.span,
            events: Vec::new(),
            event_spans: Vec::new(),
            poll_every: None,
            target: String::new(),
            sink: String::new(),
            match_keys: Vec::new(),
            cross_reference: None,
            steps: Vec::new(),
            lookups: IndexMap::new(),
            has_errors: false,
        };
        if let Some(zone) = sections.timezone {
            checked.timezone = self.check_zone_name(&zone.value, zone.span);
        }
        let mut wheres: Vec<&Expr> = Vec::new();
        let record = match sections.source {
            Some(source) => self.source(source, &mut checked, &mut wheres),
            None => Type::Any,
        };
        let frame = Frame {
            record,
            timezone: sections.timezone.is_some(),
            base_dir: base_dir.clone(),
            ..Frame::default()
        };
        let ((), frame) = self.with_frame(frame, |checker| {
            checker.pipeline_body(pipeline, &sections, &mut wheres, &mut checked);
        });
        self.unused_in_pipeline(&frame);
        for (name, info) in frame.lookups {
            if let Some(data) = info.data {
                checked.lookups.insert(name, data);
            }
        }
        for (name, info) in &self.global_lookups {
            if let Some(data) = &info.data {
                checked
                    .lookups
                    .entry(name.clone())
                    .or_insert_with(|| data.clone());
            }
        }
        let stepped = !sections.steps.is_empty();
        for (section, present) in [
            ("source", sections.source.is_some()),
            ("map to", sections.map.is_some() || stepped),
            ("sink", sections.sink.is_some() || stepped),
        ] {
            if !present {
                self.emit(
                    Diagnostic::new(
                        Code::MissingSection,
                        pipeline.name.span,
                        format!("pipeline `{}` has no `{section}`", pipeline.name.name),
                    )
                    .with_label(format!("`{section}` missing"))
                    .with_help("a pipeline needs `source ...`, `map to ... { ... }` and `sink ... { ... }`"),
                );
            }
        }
        checked.has_errors = self.error_count() > errors_before;
        checked
    }

    fn pipeline_body(
        &mut self,
        pipeline: &'a Pipeline,
        sections: &Sections<'a>,
        wheres: &mut Vec<&'a Expr>,
        checked: &mut CheckedPipeline,
    ) {
        let base_dir = self.frame.base_dir.clone();
        let mut names: IndexMap<String, Span> = IndexMap::new();
        // Lookups are visible everywhere in the pipeline, so they come first.
        for item in &pipeline.items {
            if let PipelineItem::Lookup(decl) = item {
                if self.duplicate_name(&mut names, &decl.name.name, decl.name.span) {
                    continue;
                }
                let info = self.lookup_info(decl, &base_dir);
                self.frame.lookups.insert(decl.name.name.clone(), info);
            }
        }
        // Every let is known up front, so using a later one gets a precise message.
        let mut slots: Vec<Option<usize>> = Vec::new();
        for item in &pipeline.items {
            if let PipelineItem::Let(decl) = item {
                let duplicate = self.duplicate_name(&mut names, &decl.name.name, decl.name.span);
                slots.push((!duplicate).then_some(self.frame.lets.len()));
                if !duplicate {
                    self.frame.lets.push(LetInfo {
                        name: decl.name.name.clone(),
                        span: decl.name.span,
                        ty: Type::Any,
                        fallible: None,
                        used: false,
                        reported: false,
                    });
                }
            }
        }
        let mut slots = slots.into_iter();
        for item in &pipeline.items {
            match item {
                PipelineItem::Let(decl) => {
                    let slot = slots.next().flatten();
                    self.frame.visible_lets = slot.unwrap_or(self.frame.lets.len());
                    let value = self.infer(&decl.value, false);
                    if let Some(binding) = slot.and_then(|i| self.frame.lets.get_mut(i)) {
                        binding.ty = value.ty;
                        binding.fallible = value.fallible;
                    }
                }
                PipelineItem::Where(expr) => wheres.push(expr),
                _ => {}
            }
        }
        self.frame.visible_lets = self.frame.lets.len();
        for condition in wheres.iter() {
            let t = self.condition(condition, "a `where` filter");
            self.require_handled(&t, "a `where` filter", condition.span);
        }
        for item in &pipeline.items {
            if let PipelineItem::Assert(assert) = item {
                let t = self.condition(&assert.condition, "an `assert`");
                self.require_handled(&t, "an `assert`", assert.condition.span);
            }
        }
        let parts: Vec<(Option<&Ident>, Option<&MapBlock>, Option<&SinkBlock>)> =
            if sections.steps.is_empty() {
                vec![(None, sections.map, sections.sink)]
            } else {
                sections
                    .steps
                    .iter()
                    .map(|s| (Some(&s.name), Some(&s.map), Some(&s.sink)))
                    .collect()
            };
        let mut expected = Vec::new();
        for (name, map, sink) in parts {
            let step = self.step(name, map, sink, checked);
            let target_record = map
                .and_then(|m| self.env.schemas.targets.get(&m.target.dotted()))
                .map(|t| t.record.clone());
            expected.push((step.name.clone(), target_record, step.each));
            checked.steps.push(step);
        }
        if let Some(first) = checked.steps.first() {
            checked.target = first.target.clone();
            checked.sink = first.sink.clone();
            checked.match_keys = first.match_keys.clone();
            checked.cross_reference = first.cross_reference.clone();
        }
        let mut tests = 0;
        for item in &pipeline.items {
            if let PipelineItem::Test(test) = item {
                tests += 1;
                self.check_test(test, &expected, !sections.steps.is_empty());
            }
        }
        if tests == 0 {
            self.emit(
                Diagnostic::new(
                    Code::PipelineWithoutTests,
                    pipeline.name.span,
                    format!("pipeline `{}` has no tests", pipeline.name.name),
                )
                .with_label("no `test` block")
                .with_help("add `test \"...\" { input = { ... }  expect = { ... } }`"),
            );
        }
    }

    /// E0208 when a let or lookup name is taken (in this pipeline or by a top-level lookup).
    fn duplicate_name(
        &mut self,
        names: &mut IndexMap<String, Span>,
        name: &str,
        span: Span,
    ) -> bool {
        let first = names
            .get(name)
            .copied()
            .or_else(|| self.global_lookups.get(name).map(|l| l.span));
        if let Some(first) = first {
            self.emit(
                Diagnostic::new(
                    Code::DuplicateDefinition,
                    span,
                    format!("`{name}` is defined twice"),
                )
                .with_label("second definition")
                .with_secondary(first, "first definition")
                .with_help("rename one of them"),
            );
            return true;
        }
        names.insert(name.to_string(), span);
        false
    }

    fn sections(&mut self, pipeline: &'a Pipeline) -> Sections<'a> {
        let mut sections = Sections::default();
        for item in &pipeline.items {
            let (what, span, first) = match item {
                PipelineItem::Timezone(z) => (
                    "timezone",
                    z.span,
                    keep_first(&mut sections.timezone, z).map(|f| f.span),
                ),
                PipelineItem::Source(s) => (
                    "source",
                    s.span,
                    keep_first(&mut sections.source, s).map(|f| f.span),
                ),
                PipelineItem::Map(m) => (
                    "map to",
                    m.span,
                    keep_first(&mut sections.map, m).map(|f| f.span),
                ),
                PipelineItem::Sink(s) => (
                    "sink",
                    s.span,
                    keep_first(&mut sections.sink, s).map(|f| f.span),
                ),
                PipelineItem::Step(s) => {
                    sections.steps.push(s);
                    continue;
                }
                _ => continue,
            };
            if let Some(first) = first {
                self.emit(
                    Diagnostic::new(Code::DuplicateSection, span, format!("`{what}` is given twice"))
                        .with_label("second time")
                        .with_secondary(first, "first time")
                        .with_help("a pipeline has one `source`, `map`, `sink` and `timezone`; split the work into two pipelines"),
                );
            }
        }
        if let (Some(first), Some(loose)) = (
            sections.steps.first(),
            sections
                .map
                .map(|m| m.span)
                .or(sections.sink.map(|s| s.span)),
        ) {
            self.emit(
                Diagnostic::new(
                    Code::DuplicateSection,
                    loose,
                    "a pipeline with `step`s has its maps and sinks inside them",
                )
                .with_label("outside every step")
                .with_secondary(first.span, "first step")
                .with_help("move this `map to` and its `sink` into a `step name { ... }`"),
            );
        }
        let mut names: IndexMap<String, Span> = IndexMap::new();
        for step in &sections.steps {
            self.duplicate_name(&mut names, &step.name.name, step.name.span);
        }
        sections
    }

    /// Checks one map and its sink; what the runner needs of them.
    fn step(
        &mut self,
        name: Option<&Ident>,
        map: Option<&'a MapBlock>,
        sink: Option<&'a SinkBlock>,
        checked: &mut CheckedPipeline,
    ) -> CheckedStep {
        checked.match_keys.clear();
        checked.cross_reference = None;
        let assigned = map.map(|map| self.check_map(map));
        let target = map.map(|m| m.target.dotted());
        let mut step = CheckedStep {
            name: name.map_or_else(|| checked.name.clone(), |n| n.name.clone()),
            target: target.clone().unwrap_or_default(),
            each: map.is_some_and(|m| m.each.is_some()),
            ..CheckedStep::default()
        };
        let Some(sink) = sink else {
            return step;
        };
        step.sink = sink.target.dotted();
        let posts = sink
            .options
            .iter()
            .any(|o| matches!(o, crate::syntax::ast::SinkOption::Post { .. }));
        step.post = match posts {
            true => self.env.schemas.posting.get(&step.sink).copied(),
            false => None,
        };
        self.check_sink(sink, target.as_deref(), assigned.as_ref(), checked);
        self.field_options(sink, assigned.as_ref(), &mut step);
        step.match_keys = checked.match_keys.clone();
        step.cross_reference = checked.cross_reference.clone();
        if let Some(each) = map.and_then(|m| m.each.as_ref())
            && step.match_keys.is_empty()
        {
            self.emit(
                Diagnostic::new(
                    Code::EachWithoutMatchKeys,
                    sink.target.span,
                    "a `for` map writes several records, so its sink needs `match on`",
                )
                .with_label("no `match on`")
                .with_secondary(each.span, "several records per source record")
                .with_help("add `match on` fields that tell the records apart, such as `match on documentNumber, lineNumber`"),
            );
        }
        step
    }

    /// The record type, after `on "..."` narrowing; fills the source parts of `checked`.
    fn source(
        &mut self,
        source: &'a Source,
        checked: &mut CheckedPipeline,
        wheres: &mut Vec<&'a Expr>,
    ) -> Type {
        let name = source.name.dotted();
        checked.source = name.clone();
        checked.source_span = source.name.span;
        let schema = self.env.schemas.sources.get(&name);
        if schema.is_none() && !name.starts_with("file.") {
            let mut diagnostic = Diagnostic::new(
                Code::UnknownSource,
                source.name.span,
                format!("unknown source `{name}`"),
            )
            .with_label("not a known source");
            let names = self.env.schemas.sources.keys().map(String::as_str);
            if let Some(help) = suggest::did_you_mean(&name, names, str::to_string) {
                diagnostic = diagnostic.with_help(help);
            }
            self.emit(diagnostic);
        }
        let mut record = schema.map_or(Type::Any, |s| s.record.clone());
        let mut poll: Option<Span> = None;
        let mut narrowed: Option<Type> = None;
        for option in &source.options {
            match option {
                SourceOption::Poll { every, span } => {
                    if let Some(first) = poll.replace(*span) {
                        self.emit(
                            Diagnostic::new(
                                Code::DuplicateSection,
                                *span,
                                "`poll every` is given twice",
                            )
                            .with_label("second time")
                            .with_secondary(first, "first time")
                            .with_help("keep one"),
                        );
                    }
                    checked.poll_every = Some(every.seconds());
                }
                SourceOption::On { events, .. } => {
                    for event in events {
                        checked.events.push(event.value.clone());
                        checked.event_spans.push(event.span);
                        let Some(schema) = schema else { continue };
                        match schema.events.get(&event.value) {
                            Some(ty) => {
                                narrowed = Some(match narrowed.take() {
                                    None => ty.clone(),
                                    Some(previous)
                                        if previous == *ty || same_subject(&previous, ty) =>
                                    {
                                        previous
                                    }
                                    Some(_) => record.clone(),
                                });
                            }
                            None => {
                                let mut diagnostic = Diagnostic::new(
                                    Code::UnknownEventType,
                                    event.span,
                                    format!("`{name}` has no event type `{}`", event.value),
                                )
                                .with_label("unknown event type");
                                let help = if schema.events.is_empty() {
                                    Some(format!(
                                        "`{name}` is not an event stream; only event sources such as `stripe.events` take `on`"
                                    ))
                                } else {
                                    suggest::did_you_mean(
                                        &event.value,
                                        schema.events.keys().map(String::as_str),
                                        str::to_string,
                                    )
                                };
                                if let Some(help) = help {
                                    diagnostic = diagnostic.with_help(help);
                                }
                                self.emit(diagnostic);
                            }
                        }
                    }
                }
                SourceOption::Where(expr) => wheres.push(expr),
            }
        }
        if let Some(ty) = narrowed {
            record = ty;
        }
        record
    }

    /// E0214 for a name not in the bundled IANA database; the zone when it is known.
    pub(crate) fn check_zone_name(&mut self, zone: &str, span: Span) -> Option<jiff::tz::TimeZone> {
        match jiff::tz::TimeZone::get(zone) {
            Ok(tz) => Some(tz),
            Err(_) => {
                let names: Vec<String> = jiff::tz::db()
                    .available()
                    .map(|n| n.as_str().to_string())
                    .collect();
                let wanted = zone.to_ascii_lowercase();
                let by_city = names.iter().find(|n| {
                    n.rsplit('/')
                        .next()
                        .is_some_and(|city| city.to_ascii_lowercase() == wanted.replace(' ', "_"))
                });
                let help = match by_city {
                    Some(full) => Some(format!("did you mean `{full}`?")),
                    None => suggest::did_you_mean(
                        zone,
                        names.iter().map(String::as_str),
                        str::to_string,
                    ),
                }
                .unwrap_or_else(|| "use a full IANA name such as `Australia/Sydney`".to_string());
                self.emit(
                    Diagnostic::new(
                        Code::UnknownTimezone,
                        span,
                        format!("unknown time zone `{zone}`"),
                    )
                    .with_label("not an IANA time zone")
                    .with_help(help),
                );
                None
            }
        }
    }
}

/// Keeps the first of a single-use section; returns it when this one is a repeat.
fn keep_first<'p, T>(slot: &mut Option<&'p T>, item: &'p T) -> Option<&'p T> {
    match slot {
        Some(first) => Some(*first),
        None => {
            *slot = Some(item);
            None
        }
    }
}

/// Whether two narrowed event types are about the same kind of object (`data.object`), as
/// `customer.subscription.created` and `.deleted` are: the record keeps that object's type.
fn same_subject(a: &Type, b: &Type) -> bool {
    fn subject(event: &Type) -> Option<&Type> {
        let Type::Object(event) = event.non_null() else {
            return None;
        };
        let Type::Object(data) = event.fields.get("data")?.ty.non_null() else {
            return None;
        };
        Some(data.fields.get("object")?.ty.non_null())
    }
    matches!((subject(a), subject(b)), (Some(x), Some(y)) if x == y)
}
