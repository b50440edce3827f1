//! The compiled form of expressions: names resolved to slots, functions to direct references,
//! constants folded into values. Nothing here walks strings per record.

use std::sync::Arc;

use crate::diagnostics::Span;
use crate::functions::spec::Implementation;
use crate::syntax::ast::BinaryOp;

use super::Value;

#[derive(Debug)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) enum NodeKind {
    Const(Value),
    /// `.`
    Record,
    /// A pipeline `let`, by position; evaluated on first use and kept for the record.
    Let(usize),
    /// A function or closure parameter: position in the current call frame.
    Local(usize),
    /// A lookup table used as a value (its entries as an object).
    Table(usize),
    /// `table[key]`: a miss is a failure.
    LookupRead {
        table: usize,
        key: Box<Node>,
    },
    Field {
        base: Box<Node>,
        name: Arc<str>,
        optional: bool,
    },
    Index {
        base: Box<Node>,
        index: Box<Node>,
        optional: bool,
    },
    Template(Vec<TemplatePiece>),
    List(Vec<Node>),
    Object(Vec<(String, Node)>),
    Neg(Box<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Coalesce(Box<Node>, Box<Node>),
    Binary {
        op: BinaryOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Assert(Box<Node>),
    If {
        condition: Box<Node>,
        then_branch: Box<Node>,
        else_branch: Box<Node>,
    },
    Match {
        subject: Box<Node>,
        arms: Vec<(Vec<Value>, Node)>,
        otherwise: Option<Box<Node>>,
    },
    Builtin(Box<BuiltinCall>),
    User {
        function: usize,
        args: Vec<Node>,
    },
}

#[derive(Debug)]
pub(crate) enum TemplatePiece {
    Text(String),
    Value(Node),
}

/// A call to a standard-library function, its arguments in parameter order.
pub(crate) struct BuiltinCall {
    pub name: &'static str,
    pub call: Implementation,
    /// One entry per value the function receives (variadic arguments spread out).
    pub args: Vec<Arg>,
    pub closure: Option<Closure>,
}

impl std::fmt::Debug for BuiltinCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinCall")
            .field("name", &self.name)
            .field("args", &self.args)
            .field("closure", &self.closure)
            .finish()
    }
}

#[derive(Debug)]
pub(crate) enum Arg {
    Value(Node),
    /// A left-out parameter: its default (or null).
    Default(Value),
    /// The closure's place in the parameter list (the closure itself is passed apart).
    ClosureSlot,
}

#[derive(Debug)]
pub(crate) struct Closure {
    /// How many locals are in scope where the closure is written; its parameters follow them.
    pub depth: usize,
    pub params: usize,
    pub body: Box<Node>,
}

/// A user `fn`, compiled once for all pipelines that call it.
#[derive(Debug)]
pub(crate) struct UserFunction {
    pub name: String,
    pub params: usize,
    pub body: Node,
}
