//! The syntax tree. Every node carries the span of the text it came from.

use rust_decimal::Decimal;

use crate::diagnostics::{FileId, Span};

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

/// A dotted name such as `stripe.customers` or `capsule.parties.id`.
#[derive(Clone, Debug, PartialEq)]
pub struct QualifiedName {
    pub parts: Vec<Ident>,
    pub span: Span,
}

impl QualifiedName {
    pub fn dotted(&self) -> String {
        let names: Vec<&str> = self.parts.iter().map(|p| p.name.as_str()).collect();
        names.join(".")
    }
}

/// One parsed file.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    pub file: FileId,
    pub items: Vec<Item>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Use(UseDecl),
    Function(FunctionDecl),
    Lookup(LookupDecl),
    Pipeline(Pipeline),
}

/// `use "other.ferry"`
#[derive(Clone, Debug, PartialEq)]
pub struct UseDecl {
    pub path: StringLit,
    pub span: Span,
}

/// `fn full_name(first: string, last: string?) -> string = join([first, last], " ")`
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub return_type: Option<TypeExpr>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

/// A written type: `string`, `int`, `decimal`, `minor_units`, `bool`, `timestamp`, `date`,
/// `any`, `list<T>`, and `T?` for optional.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    Named(String),
    List(Box<TypeExpr>),
    Optional(Box<TypeExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    pub name: Ident,
    pub items: Vec<PipelineItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PipelineItem {
    /// `timezone "Australia/Sydney"`
    Timezone(StringLit),
    Source(Source),
    /// A pipeline-level `where` filter (same meaning as one inside `source`).
    Where(Expr),
    Let(LetDecl),
    Lookup(LookupDecl),
    /// `assert <condition>, "message"`: a false condition dead-letters the record.
    Assert(AssertDecl),
    Map(MapBlock),
    Sink(SinkBlock),
    /// `step name { map ... sink ... }`: one of several writes, in order.
    Step(StepBlock),
    Test(TestBlock),
}

/// A named map and sink; the steps of a pipeline are delivered in order, and a later step can
/// read what an earlier one wrote through `xref(...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct StepBlock {
    pub name: Ident,
    pub map: MapBlock,
    pub sink: SinkBlock,
    pub span: Span,
}

/// `assert sum(amounts) == 0, "the journal does not balance"`
#[derive(Clone, Debug, PartialEq)]
pub struct AssertDecl {
    pub condition: Expr,
    pub message: Option<StringLit>,
    pub span: Span,
}

/// `source capsule.parties { poll every 5m  where .type == "person" }`
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// `connection.stream`
    pub name: QualifiedName,
    pub options: Vec<SourceOption>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SourceOption {
    /// `poll every 5m`
    Poll { every: DurationLit, span: Span },
    /// `on "charge.succeeded", "charge.refunded"`
    On { events: Vec<StringLit>, span: Span },
    /// `where <expr>`
    Where(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

/// `30s`, `5m`, `1h`, `7d`
#[derive(Clone, Debug, PartialEq)]
pub struct DurationLit {
    pub amount: i64,
    pub unit: DurationUnit,
    pub span: Span,
}

impl DurationLit {
    pub fn seconds(&self) -> i64 {
        let factor = match self.unit {
            DurationUnit::Seconds => 1,
            DurationUnit::Minutes => 60,
            DurationUnit::Hours => 3600,
            DurationUnit::Days => 86_400,
        };
        self.amount.saturating_mul(factor)
    }
}

/// `let charge = .data.object`
#[derive(Clone, Debug, PartialEq)]
pub struct LetDecl {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LookupDecl {
    pub name: Ident,
    pub table: LookupTable,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LookupTable {
    /// `lookup payment_types { "card" => "CARD", "au_becs_debit" => "BECS" }`
    Inline(Vec<LookupEntry>),
    /// `lookup owners from "owners.csv" key "capsule_user" value "email"`; the format follows
    /// the extension (`.csv`, `.yaml`, `.yml`). For YAML, `key`/`value` are optional: without
    /// them the file is a mapping of keys to values.
    File {
        path: StringLit,
        key: Option<StringLit>,
        value: Option<StringLit>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct LookupEntry {
    pub key: Expr,
    pub value: Expr,
    pub span: Span,
}

/// `map to stripe.customer { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct MapBlock {
    pub target: QualifiedName,
    /// `for line in lines`: one sink record per item.
    pub each: Option<MapEach>,
    pub assignments: Vec<Assignment>,
    pub span: Span,
}

/// `map to X for NAME in LIST { ... }`: the block is mapped once per item of `list`, with the
/// item bound to `name`.
#[derive(Clone, Debug, PartialEq)]
pub struct MapEach {
    pub name: Ident,
    pub list: Expr,
    pub span: Span,
}

/// `metadata.capsule_id = string(.id)`; a path segment may be a quoted string for keys that are
/// not identifiers (`metadata."Owner Email" = ...`).
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub target: Vec<Ident>,
    pub value: Expr,
    pub span: Span,
}

impl Assignment {
    pub fn dotted_target(&self) -> String {
        let names: Vec<&str> = self.target.iter().map(|p| p.name.as_str()).collect();
        names.join(".")
    }
}

/// `sink stripe.customers { match on email  cross_reference capsule.parties.id }`
#[derive(Clone, Debug, PartialEq)]
pub struct SinkBlock {
    pub target: QualifiedName,
    pub options: Vec<SinkOption>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SinkOption {
    /// `match on email` or `match on email, name`; each key is a dotted target path.
    MatchOn {
        keys: Vec<QualifiedName>,
        span: Span,
    },
    /// `cross_reference capsule.parties.id`
    CrossReference { source: QualifiedName, span: Span },
    /// `post`: post the document once written, or a record's journal lines once all are
    /// written (Business Central's `Microsoft.NAV.post`).
    Post { span: Span },
    /// `only on create currencyCode`: written when the record is created, never changed after.
    OnlyOnCreate {
        fields: Vec<QualifiedName>,
        span: Span,
    },
    /// `owns displayName, email`: this pipeline owns these fields of the collection; no other
    /// pipeline of the project may change them.
    Owns {
        fields: Vec<QualifiedName>,
        span: Span,
    },
    /// `on conflict newest by updatedAt`: of two source records that match one target, the one
    /// whose field (read from the source record) is greater keeps it; without it, the later one
    /// is dead-lettered.
    OnConflictNewest { field: QualifiedName, span: Span },
}

/// `test "name" { input = ...  expect = ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct TestBlock {
    pub name: StringLit,
    pub entries: Vec<TestEntry>,
    pub span: Span,
}

/// One `key = expr` line of a test: `input`, `expect`, `expect_skip`, `expect_error`, `now`,
/// `xrefs`.
#[derive(Clone, Debug, PartialEq)]
pub struct TestEntry {
    pub key: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// `a.b.c` written with plain identifiers (as in `xref(stripe.customers, id)`), as text.
    pub fn dotted_name(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Var(name) => Some(name.name.clone()),
            ExprKind::Field {
                base,
                name,
                optional: false,
            } => base
                .dotted_name()
                .map(|prefix| format!("{prefix}.{}", name.name)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Decimal(Decimal),
    String(String),
    /// `"Order ${charge.id} for ${.name}"`
    Template(Vec<TemplatePart>),
    Duration(DurationLit),
    /// Leave this sink field out of the write.
    Omit,
    /// `.` on its own: the whole source record.
    Record,
    /// `base.name` or `base?.name`; `.name` is `Field { base: Record, .. }`.
    Field {
        base: Box<Expr>,
        name: Ident,
        optional: bool,
    },
    /// `base[index]` or `base?.[index]`; also a lookup table read: `owners[key]`.
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
        optional: bool,
    },
    /// A `let`, a `lookup`, a function parameter, a closure parameter, or the first part of a
    /// qualified name (`stripe` in `xref(stripe.customers, id)`).
    Var(Ident),
    List(Vec<Expr>),
    Object(Vec<ObjectEntry>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// Postfix `!`: the value, or the record goes to the dead-letter queue.
    Assert(Box<Expr>),
    If {
        condition: Box<Expr>,
        then_branch: Box<Expr>,
        else_branch: Box<Expr>,
    },
    Match {
        subject: Box<Expr>,
        arms: Vec<MatchArm>,
    },
    Call {
        function: Ident,
        args: Vec<Argument>,
    },
    /// `|item| item.amount`, only as a call argument.
    Closure {
        params: Vec<Ident>,
        body: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum TemplatePart {
    Literal(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectEntry {
    pub key: StringLit,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `??`: the left value unless it is null, missing, omitted or failed.
    Coalesce,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
            BinaryOp::Coalesce => "??",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    /// `"a" | "b" => ...`; an empty list is the `_` arm.
    pub patterns: Vec<Expr>,
    pub body: Expr,
    pub span: Span,
}

impl MatchArm {
    pub fn is_wildcard(&self) -> bool {
        self.patterns.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Argument {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}
