//! The compiled form of expressions: names resolved to slots, functions to their specs.

use std::sync::Arc;

use crate::diagnostics::Span;
use crate::functions::FunctionSpec;
use crate::syntax::ast::{BinaryOp, UnaryOp};

use crate::value::Value;

#[derive(Debug)]
pub(crate) enum Node {
    Const(Value),
    Record,
    /// A pipeline `let`, evaluated on first use.
    Let(usize),
    /// A function or closure parameter, relative to the current frame.
    Local(usize),
    Field {
        base: Box<Node>,
        name: Arc<str>,
        optional: bool,
        span: Span,
    },
    Index {
        base: Box<Node>,
        index: Box<Node>,
        optional: bool,
        span: Span,
    },
    LookupRead {
        table: usize,
        key: Box<Node>,
        span: Span,
    },
    List(Vec<Node>),
    Object(Vec<(String, Node)>),
    Template(Vec<Node>, Span),
    Unary {
        op: UnaryOp,
        operand: Box<Node>,
        span: Span,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
        span: Span,
    },
    Coalesce {
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Assert {
        inner: Box<Node>,
        span: Span,
    },
    If {
        condition: Box<Node>,
        then_branch: Box<Node>,
        else_branch: Box<Node>,
        span: Span,
    },
    Match {
        subject: Box<Node>,
        arms: Vec<(Vec<Value>, Node)>,
        default: Option<Box<Node>>,
        span: Span,
    },
    Call {
        spec: &'static FunctionSpec,
        args: Vec<Node>,
        closure: Option<Box<ClosureNode>>,
        span: Span,
    },
    UserCall {
        function: usize,
        args: Vec<Node>,
        span: Span,
    },
}

#[derive(Debug)]
pub(crate) struct ClosureNode {
    /// Slot of the first parameter in the frame.
    pub first_slot: usize,
    pub params: usize,
    pub body: Node,
}

impl std::fmt::Debug for FunctionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.signature.name)
    }
}
