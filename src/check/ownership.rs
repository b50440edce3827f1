//! Field ownership: which pipeline of a project a field of a target collection comes from.
//!
//! A pipeline that touches a record another pipeline owns (a charge and its customer) changes
//! only what it must. `only on create f` writes `f` when the record is created and leaves it
//! alone afterwards; `owns f` says this pipeline is where `f` comes from. Across the pipelines
//! linted together, a field changed on update by a pipeline that does not own it, while another
//! does, is E0518; a field owned twice is E0519; a field two pipelines change with no owner is
//! W0008.

use std::collections::BTreeMap;
use std::path::Path;

use super::scope::Checker;
use super::{CheckedPipeline, CheckedStep};
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{SinkBlock, SinkOption};

use super::sink::Assigned;

impl Checker<'_> {
    /// Fills `step`'s written, create-only and owned fields from the map and the sink;
    /// E0517 for a field the map does not set.
    pub(crate) fn field_options(
        &mut self,
        sink: &SinkBlock,
        assigned: Option<&Assigned>,
        step: &mut CheckedStep,
    ) {
        if let Some(assigned) = assigned {
            step.written = assigned.iter().map(|(k, v)| (k.clone(), *v)).collect();
        }
        for option in &sink.options {
            let (fields, owns) = match option {
                SinkOption::OnlyOnCreate { fields, .. } => (fields, false),
                SinkOption::Owns { fields, .. } => (fields, true),
                SinkOption::OnConflictNewest { field, .. } => {
                    step.newest_by = Some(field.dotted());
                    continue;
                }
                _ => continue,
            };
            for field in fields {
                let dotted = field.dotted();
                if let Some(assigned) = assigned
                    && !assigned.contains_key(&dotted)
                {
                    let keyword = if owns { "owns" } else { "only on create" };
                    self.emit(
                        Diagnostic::new(
                            Code::UnmappedSinkField,
                            field.span,
                            format!("`{keyword} {dotted}`: the map does not set `{dotted}`"),
                        )
                        .with_label("not a mapped field")
                        .with_help(format!("set `{dotted} = ...` in the map, or leave it out")),
                    );
                    continue;
                }
                if owns {
                    step.owns.push((dotted, field.span));
                } else {
                    step.only_on_create.push(dotted);
                }
            }
        }
    }
}

/// One pipeline step's hold on one field of a collection.
struct Writer<'p> {
    program: usize,
    path: &'p Path,
    pipeline: &'p CheckedPipeline,
    step: &'p CheckedStep,
    field: &'p str,
}

impl Writer<'_> {
    fn owns(&self) -> bool {
        self.step.owns.iter().any(|(f, _)| covers(f, self.field))
    }

    /// Writes the field on update: not only on create, and not a match key (equal by match).
    fn updates(&self) -> bool {
        !self
            .step
            .only_on_create
            .iter()
            .any(|f| covers(f, self.field))
            && !self.step.match_keys.iter().any(|k| k == self.field)
    }

    fn span(&self) -> crate::diagnostics::Span {
        self.step
            .owns
            .iter()
            .find(|(f, _)| covers(f, self.field))
            .or_else(|| self.step.written.iter().find(|(f, _)| f == self.field))
            .map(|(_, span)| *span)
            .unwrap_or_default()
    }

    fn name(&self) -> String {
        format!("`{}` ({})", self.pipeline.name, self.path.display())
    }
}

/// `owns address` covers `address.city`.
fn covers(owned: &str, field: &str) -> bool {
    field == owned
        || field
            .strip_prefix(owned)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The project-level ownership diagnostics of the pipelines linted together: `programs` are
/// each file's path and checked pipelines; each diagnostic comes with the index of the program
/// whose file it points into.
pub fn project_ownership(programs: &[(&Path, &[CheckedPipeline])]) -> Vec<(usize, Diagnostic)> {
    // Pipelines write the same records of a collection when they link them to the same source
    // records (`cross_reference stripe.customers.customer` and `stripe.customers.id`); an
    // invoice made from a charge and one made from a Stripe invoice are different records.
    // A `for` map's records (`ch_1#re_2`, a refund's) are not the records its source record
    // links to directly (`ch_1`, the charge's).
    let mut by_field: BTreeMap<(&str, &str, bool, &str), Vec<Writer>> = BTreeMap::new();
    for (program, (path, pipelines)) in programs.iter().enumerate() {
        for pipeline in pipelines.iter().filter(|p| !p.has_errors) {
            for step in &pipeline.steps {
                let linked = step
                    .cross_reference
                    .as_deref()
                    .and_then(|link| link.rsplit_once('.'))
                    .map_or(pipeline.source.as_str(), |(collection, _)| collection);
                for (field, _) in &step.written {
                    by_field
                        .entry((step.sink.as_str(), linked, step.each, field.as_str()))
                        .or_default()
                        .push(Writer {
                            program,
                            path,
                            pipeline,
                            step,
                            field,
                        });
                }
            }
        }
    }
    let mut diagnostics = Vec::new();
    for ((collection, _, _, field), writers) in &by_field {
        let distinct = |a: &Writer, b: &Writer| a.pipeline.name != b.pipeline.name;
        let owners: Vec<&Writer> = writers.iter().filter(|w| w.owns()).collect();
        for pair in owners.windows(2).filter(|pair| distinct(pair[0], pair[1])) {
            diagnostics.push((
                pair[1].program,
                Diagnostic::new(
                    Code::FieldOwnedTwice,
                    pair[1].span(),
                    format!(
                        "`{field}` of `{collection}` is also owned by {}",
                        pair[0].name()
                    ),
                )
                .with_label("a second owner")
                .with_help(format!(
                    "keep one owner; the other pipeline may write it with `only on create {field}`"
                )),
            ));
        }
        let updaters: Vec<&Writer> = writers
            .iter()
            .filter(|w| w.updates() && !w.owns())
            .collect();
        match owners.first() {
            Some(owner) => {
                for writer in updaters.iter().filter(|w| distinct(w, owner)) {
                    diagnostics.push((
                        writer.program,
                        Diagnostic::new(
                            Code::FieldOwnedElsewhere,
                            writer.span(),
                            format!(
                                "`{field}` of `{collection}` is owned by {}, but this pipeline changes it",
                                owner.name()
                            ),
                        )
                        .with_label("written on every update")
                        .with_help(format!(
                            "write it only when this pipeline creates the record: `only on create {field}` in the sink, or leave it out"
                        )),
                    ));
                }
            }
            None => {
                let mut names: Vec<&Writer> = Vec::new();
                for writer in &updaters {
                    if names.iter().all(|seen| distinct(seen, writer)) {
                        names.push(writer);
                    }
                }
                if let [first, second, ..] = names.as_slice() {
                    diagnostics.push((
                        second.program,
                        Diagnostic::new(
                            Code::FieldWithoutOwner,
                            second.span(),
                            format!(
                                "`{field}` of `{collection}` is changed by this pipeline and by {}, and neither owns it",
                                first.name()
                            ),
                        )
                        .with_label("changed on update here too")
                        .with_help(format!(
                            "say which owns it: `owns {field}` in one sink, `only on create {field}` in the other"
                        )),
                    ));
                }
            }
        }
    }
    diagnostics
}
