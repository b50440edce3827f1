//! Which parts of a record a compiled pipeline can read. `ferry map` parses only those and skips
//! the rest of each line, which is most of a Stripe event.

use std::sync::Arc;

use super::compile::CompiledPipeline;
use super::node::Node;

/// A tree of the record paths a pipeline reads; `all` means the whole value at that path.
/// Fields are few, so a vector scanned in order beats hashing every key of every record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Projection {
    pub all: bool,
    pub fields: Vec<(String, Projection)>,
}

impl Projection {
    /// Everything: the record is parsed whole.
    pub fn everything() -> Projection {
        Projection {
            all: true,
            fields: Vec::new(),
        }
    }

    /// The projection under `name`, if that field is read.
    pub fn field(&self, name: &str) -> Option<&Projection> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, child)| child)
    }

    fn field_mut(&mut self, name: &str) -> &mut Projection {
        let position = match self.fields.iter().position(|(key, _)| key == name) {
            Some(position) => position,
            None => {
                self.fields.push((name.to_string(), Projection::default()));
                self.fields.len() - 1
            }
        };
        &mut self.fields[position].1
    }

    fn need(&mut self, path: &[Arc<str>]) {
        let mut node = self;
        for segment in path {
            if node.all {
                return;
            }
            node = node.field_mut(segment);
        }
        node.all = true;
        node.fields.clear();
    }
}

impl CompiledPipeline {
    /// The record paths this pipeline can read: every path reached through fields of `.` or of a
    /// `let` that is itself such a path; anything else that touches the record needs it whole.
    pub fn projection(&self) -> Projection {
        let mut walker = Walker {
            let_paths: Vec::with_capacity(self.lets.len()),
            projection: Projection::default(),
        };
        for node in &self.lets {
            let path = walker.path(node);
            walker.let_paths.push(path);
        }
        for (index, node) in self.lets.iter().enumerate() {
            // A `let` that is a plain path is read through its uses, not as a whole.
            if walker.let_paths[index].is_none() {
                walker.visit(node);
            }
        }
        self.filters.iter().for_each(|node| walker.visit(node));
        self.asserts
            .iter()
            .for_each(|(node, _, _)| walker.visit(node));
        for step in &self.steps {
            step.each.iter().for_each(|node| walker.visit(node));
            step.fields
                .iter()
                .for_each(|(_, node, _)| walker.visit(node));
        }
        self.functions
            .iter()
            .for_each(|function| walker.visit(&function.body));
        walker.projection
    }
}

struct Walker {
    let_paths: Vec<Option<Vec<Arc<str>>>>,
    projection: Projection,
}

impl Walker {
    /// The record path a node denotes, if it is a plain path from `.` (or a path `let`).
    fn path(&self, node: &Node) -> Option<Vec<Arc<str>>> {
        match node {
            Node::Record => Some(Vec::new()),
            Node::Let(index) => self.let_paths.get(*index).cloned().flatten(),
            Node::Field { base, name, .. } => {
                let mut path = self.path(base)?;
                path.push(name.clone());
                Some(path)
            }
            _ => None,
        }
    }

    /// Visited top-down, so the first path met on the way is the longest one read.
    fn visit(&mut self, node: &Node) {
        if let Some(path) = self.path(node) {
            self.projection.need(&path);
            return;
        }
        match node {
            Node::Const(_) | Node::Record | Node::Let(_) | Node::Local(_) => {}
            Node::Field { base, .. } => self.visit(base),
            Node::Index { base, index, .. } => {
                self.visit(base);
                self.visit(index);
            }
            Node::LookupRead { key, .. } => self.visit(key),
            Node::List(items) | Node::Template(items, _) => {
                items.iter().for_each(|n| self.visit(n))
            }
            Node::Object(entries) => entries.iter().for_each(|(_, n)| self.visit(n)),
            Node::Unary { operand, .. } => self.visit(operand),
            Node::Binary { lhs, rhs, .. } | Node::Coalesce { lhs, rhs } => {
                self.visit(lhs);
                self.visit(rhs);
            }
            Node::Assert { inner, .. } => self.visit(inner),
            Node::If {
                condition,
                then_branch,
                else_branch,
                ..
            } => {
                self.visit(condition);
                self.visit(then_branch);
                self.visit(else_branch);
            }
            Node::Match {
                subject,
                arms,
                default,
                ..
            } => {
                self.visit(subject);
                arms.iter().for_each(|(_, body)| self.visit(body));
                if let Some(body) = default {
                    self.visit(body);
                }
            }
            Node::Call { args, closure, .. } => {
                args.iter().for_each(|n| self.visit(n));
                if let Some(closure) = closure {
                    self.visit(&closure.body);
                }
            }
            Node::UserCall { args, .. } => args.iter().for_each(|n| self.visit(n)),
        }
    }
}
