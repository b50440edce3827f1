//! Hand-built ASTs, schemas and functions for the checker tests.

use std::cell::Cell;

use ferry::check::{
    ArgInfo, Checked, Environment, Fallibility, Field, FunctionTable, KeyShape, ObjectType,
    ParamSig, RecordKey, SchemaRegistry, Signature, SinkSchema, SourceSchema, TargetSchema, Type,
    check,
};
use ferry::diagnostics::{FileId, SourceMap, Span};
use ferry::syntax::ast::*;
use indexmap::IndexMap;

thread_local! { static NEXT: Cell<usize> = const { Cell::new(0) }; }

/// A fresh, distinct span (the tests' source text is blank).
pub fn sp() -> Span {
    NEXT.with(|n| {
        let start = n.get();
        n.set(start + 2);
        Span::new(FileId(0), start, start + 1)
    })
}

pub fn id(name: &str) -> Ident {
    Ident {
        name: name.into(),
        span: sp(),
    }
}
pub fn lit(value: &str) -> StringLit {
    StringLit {
        value: value.into(),
        span: sp(),
    }
}
pub fn qn(dotted: &str) -> QualifiedName {
    QualifiedName {
        parts: dotted.split('.').map(id).collect(),
        span: sp(),
    }
}
pub fn ex(kind: ExprKind) -> Expr {
    Expr { kind, span: sp() }
}
pub fn int(i: i64) -> Expr {
    ex(ExprKind::Int(i))
}
pub fn dec(text: &str) -> Expr {
    ex(ExprKind::Decimal(text.parse().unwrap()))
}
pub fn s(text: &str) -> Expr {
    ex(ExprKind::String(text.into()))
}
pub fn omit() -> Expr {
    ex(ExprKind::Omit)
}
pub fn null() -> Expr {
    ex(ExprKind::Null)
}
pub fn var(name: &str) -> Expr {
    ex(ExprKind::Var(id(name)))
}
/// `.a.b.c` on the record.
pub fn rf(path: &str) -> Expr {
    path.split('.').fold(ex(ExprKind::Record), get)
}
pub fn get(base: Expr, name: &str) -> Expr {
    ex(ExprKind::Field {
        base: Box::new(base),
        name: id(name),
        optional: false,
    })
}
pub fn oget(base: Expr, name: &str) -> Expr {
    ex(ExprKind::Field {
        base: Box::new(base),
        name: id(name),
        optional: true,
    })
}
pub fn index(base: Expr, i: Expr) -> Expr {
    ex(ExprKind::Index {
        base: Box::new(base),
        index: Box::new(i),
        optional: false,
    })
}
pub fn bin(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    ex(ExprKind::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    })
}
pub fn or(lhs: Expr, rhs: Expr) -> Expr {
    bin(BinaryOp::Coalesce, lhs, rhs)
}
pub fn bang(e: Expr) -> Expr {
    ex(ExprKind::Assert(Box::new(e)))
}
pub fn call(name: &str, args: Vec<Expr>) -> Expr {
    let args = args
        .into_iter()
        .map(|value| Argument {
            name: None,
            value,
            span: sp(),
        })
        .collect();
    ex(ExprKind::Call {
        function: id(name),
        args,
    })
}
pub fn call_named(name: &str, args: Vec<Expr>, named: Vec<(&str, Expr)>) -> Expr {
    let mut list: Vec<Argument> = args
        .into_iter()
        .map(|value| Argument {
            name: None,
            value,
            span: sp(),
        })
        .collect();
    list.extend(named.into_iter().map(|(n, value)| Argument {
        name: Some(id(n)),
        value,
        span: sp(),
    }));
    ex(ExprKind::Call {
        function: id(name),
        args: list,
    })
}
pub fn closure(param: &str, body: Expr) -> Expr {
    ex(ExprKind::Closure {
        params: vec![id(param)],
        body: Box::new(body),
    })
}
pub fn obj(entries: Vec<(&str, Expr)>) -> Expr {
    ex(ExprKind::Object(
        entries
            .into_iter()
            .map(|(k, value)| ObjectEntry {
                key: lit(k),
                value,
                span: sp(),
            })
            .collect(),
    ))
}
pub fn if_(c: Expr, a: Expr, b: Expr) -> Expr {
    ex(ExprKind::If {
        condition: Box::new(c),
        then_branch: Box::new(a),
        else_branch: Box::new(b),
    })
}
pub fn match_(subject: Expr, arms: Vec<(Vec<Expr>, Expr)>) -> Expr {
    ex(ExprKind::Match {
        subject: Box::new(subject),
        arms: arms
            .into_iter()
            .map(|(patterns, body)| MatchArm {
                patterns,
                body,
                span: sp(),
            })
            .collect(),
    })
}

pub fn assign(path: &str, value: Expr) -> Assignment {
    Assignment {
        target: path.split('.').map(id).collect(),
        value,
        span: sp(),
    }
}
pub fn map_to(target: &str, assignments: Vec<Assignment>) -> PipelineItem {
    PipelineItem::Map(MapBlock {
        target: qn(target),
        each: None,
        assignments,
        span: sp(),
    })
}
pub fn sink(target: &str, options: Vec<SinkOption>) -> PipelineItem {
    PipelineItem::Sink(SinkBlock {
        target: qn(target),
        options,
        span: sp(),
    })
}
pub fn match_on(keys: &[&str]) -> SinkOption {
    SinkOption::MatchOn {
        keys: keys.iter().map(|k| qn(k)).collect(),
        span: sp(),
    }
}
pub fn source(name: &str, options: Vec<SourceOption>) -> PipelineItem {
    PipelineItem::Source(Source {
        name: qn(name),
        options,
        span: sp(),
    })
}
pub fn on(events: &[&str]) -> SourceOption {
    SourceOption::On {
        events: events.iter().map(|e| lit(e)).collect(),
        span: sp(),
    }
}
pub fn let_(name: &str, value: Expr) -> PipelineItem {
    PipelineItem::Let(LetDecl {
        name: id(name),
        value,
        span: sp(),
    })
}
pub fn lookup_inline(name: &str, entries: Vec<(&str, &str)>) -> LookupDecl {
    LookupDecl {
        name: id(name),
        table: LookupTable::Inline(
            entries
                .into_iter()
                .map(|(k, v)| LookupEntry {
                    key: s(k),
                    value: s(v),
                    span: sp(),
                })
                .collect(),
        ),
        span: sp(),
    }
}
pub fn test_block(entries: Vec<(&str, Expr)>) -> PipelineItem {
    PipelineItem::Test(TestBlock {
        name: lit("a test"),
        entries: entries
            .into_iter()
            .map(|(k, value)| TestEntry {
                key: id(k),
                value,
                span: sp(),
            })
            .collect(),
        span: sp(),
    })
}
/// A test that satisfies W0007 / E0220.
pub fn a_test() -> PipelineItem {
    test_block(vec![("input", obj(vec![])), ("expect_skip", s("x"))])
}
pub fn pipeline(items: Vec<PipelineItem>) -> Item {
    Item::Pipeline(Pipeline {
        name: id("p"),
        items,
        span: sp(),
    })
}
pub fn module(items: Vec<Item>) -> Module {
    Module {
        file: FileId(0),
        items,
        span: sp(),
    }
}

/// A charge-like pipeline into a Stripe customer, with the given map and extra items.
pub fn customer_pipeline(assignments: Vec<Assignment>, extra: Vec<PipelineItem>) -> Module {
    let mut items = vec![
        source("stripe.charges", vec![]),
        map_to("stripe.customer", assignments),
        sink("stripe.customers", vec![]),
    ];
    items.extend(extra);
    items.push(a_test());
    module(vec![pipeline(items)])
}

pub fn schemas() -> SchemaRegistry {
    let mut registry = SchemaRegistry::default();
    let address = Type::object(
        ObjectType::named("capsule.emailAddress").field("address", Field::new(Type::String)),
    );
    let charge = Type::object(
        ObjectType::named("stripe.charge")
            .field("id", Field::new(Type::String).required())
            .field("amount", Field::new(Type::MinorUnits).required())
            .field("currency", Field::new(Type::String).required())
            .field("customer", Field::new(Type::optional(Type::String)))
            .field("created", Field::new(Type::Int))
            .field("paid", Field::new(Type::Bool))
            .field("emails", Field::new(Type::list(address)))
            .field(
                "metadata",
                Field::new(Type::object(ObjectType::default().other_keys(Type::String))),
            ),
    );
    registry.add_source(SourceSchema {
        name: "stripe.charges".into(),
        record: charge.clone(),
        events: IndexMap::new(),
        id_field: "id".into(),
        object_at: None,
        fetchable: Default::default(),
    });
    let event = Type::object(
        ObjectType::named("stripe.event")
            .field("id", Field::new(Type::String))
            .field(
                "data",
                Field::new(Type::object(
                    ObjectType::named("event.data").field("object", Field::new(charge)),
                )),
            ),
    );
    let mut events = IndexMap::new();
    events.insert("charge.succeeded".to_string(), event.clone());
    registry.add_source(SourceSchema {
        name: "stripe.events".into(),
        record: Type::Any,
        events,
        id_field: "id".into(),
        object_at: Some("/data/object"),
        fetchable: Default::default(),
    });
    let customer = ObjectType::named("stripe.customer")
        .field("email", Field::new(Type::optional(Type::String)))
        .field("name", Field::new(Type::String))
        .field("balance", Field::new(Type::MinorUnits))
        .field(
            "tax_exempt",
            Field::new(Type::String).allowed(&["none", "exempt", "reverse"]),
        )
        .field(
            "address",
            Field::new(Type::object(
                ObjectType::named("address").field("city", Field::new(Type::String)),
            )),
        )
        .field(
            "metadata",
            Field::new(Type::object(ObjectType::default().other_keys(Type::String))),
        );
    registry.add_target(TargetSchema {
        name: "stripe.customer".into(),
        record: Type::object(customer),
        metadata_limits: Some(ferry::connectors::stripe::schema::METADATA_LIMITS),
    });
    let order = ObjectType::named("business_central.salesOrder")
        .field(
            "externalDocumentNumber",
            Field::new(Type::String).required(),
        )
        .field("totalAmount", Field::new(Type::Decimal))
        .field("orderDate", Field::new(Type::Date))
        .field("customerNumber", Field::new(Type::String));
    registry.add_target(TargetSchema {
        name: "business_central.salesOrder".into(),
        record: Type::object(order),
        metadata_limits: None,
    });
    registry.add_sink(SinkSchema {
        name: "stripe.customers".into(),
        accepts: "stripe.customer".into(),
        keys: vec![RecordKey::new("id", KeyShape::Prefixed("cus_"))],
    });
    registry.add_sink(SinkSchema {
        name: "business_central.salesOrders".into(),
        accepts: "business_central.salesOrder".into(),
        keys: vec![RecordKey::new("id", KeyShape::Guid)],
    });
    registry
}

fn param(name: &'static str, ty: Type) -> ParamSig {
    ParamSig {
        name,
        ty,
        default: None,
    }
}

fn sig(
    name: &'static str,
    params: Vec<ParamSig>,
    returns: fn(&[Option<ArgInfo>]) -> Type,
) -> Signature {
    Signature {
        name,
        params,
        returns,
        closure_param: None,
        fallibility: Fallibility::Infallible,
        variadic: false,
        needs_timezone: false,
    }
}

pub struct TestFunctions(Vec<Signature>);

impl FunctionTable for TestFunctions {
    fn signature(&self, name: &str) -> Option<&Signature> {
        self.0.iter().find(|s| s.name == name)
    }
    fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|s| s.name).collect()
    }
}

pub fn functions() -> TestFunctions {
    let mut int = sig("int", vec![param("value", Type::Any)], |_| Type::Int);
    int.fallibility = Fallibility::Fallible("when the text is not a whole number");
    let mut to_date = sig(
        "to_date",
        vec![
            param("value", Type::Timestamp),
            ParamSig {
                name: "tz",
                ty: Type::String,
                default: Some("pipeline"),
            },
        ],
        |_| Type::Date,
    );
    to_date.needs_timezone = true;
    let mut map = sig(
        "map",
        vec![
            param("list", Type::list(Type::Any)),
            param("each", Type::Closure),
        ],
        |args| Type::list(args.get(1).cloned().flatten().map_or(Type::Any, |a| a.ty)),
    );
    map.closure_param = Some(|args| match args.first().cloned().flatten().map(|a| a.ty) {
        Some(Type::List(item)) => *item,
        _ => Type::Any,
    });
    let mut concat = sig("concat", vec![param("text", Type::String)], |_| {
        Type::String
    });
    concat.variadic = true;
    TestFunctions(vec![
        sig("upper", vec![param("text", Type::String)], |_| Type::String),
        sig("string", vec![param("value", Type::Any)], |_| Type::String),
        sig(
            "round",
            vec![
                param("value", Type::Decimal),
                ParamSig {
                    name: "places",
                    ty: Type::Int,
                    default: Some("0"),
                },
            ],
            |_| Type::Decimal,
        ),
        sig(
            "first",
            vec![param("list", Type::list(Type::Any))],
            |args| match args.first().cloned().flatten().map(|a| a.ty) {
                Some(Type::List(item)) => Type::optional(*item),
                _ => Type::Any,
            },
        ),
        sig(
            "cents_to_decimal",
            vec![
                param("amount", Type::MinorUnits),
                param("currency", Type::String),
            ],
            |_| Type::Decimal,
        ),
        sig("from_unix", vec![param("seconds", Type::Int)], |_| {
            Type::Timestamp
        }),
        sig("skip", vec![param("reason", Type::String)], |_| Type::Never),
        sig("fail", vec![param("reason", Type::String)], |_| Type::Never),
        int,
        to_date,
        map,
        concat,
    ])
}

pub fn run(modules: &[Module]) -> Checked {
    run_at(std::path::Path::new("/nonexistent/pipelines"), modules)
}

/// Checks with the root file in `dir` (lookup files and fixtures are read from there).
pub fn run_at(dir: &std::path::Path, modules: &[Module]) -> Checked {
    let mut sources = SourceMap::default();
    sources.add(dir.join("p.ferry"), "");
    let schemas = schemas();
    let functions = functions();
    let env = Environment {
        schemas: &schemas,
        functions: &functions,
    };
    check(modules, &sources, &env)
}

/// The codes reported, sorted (hand-built spans do not follow the program's order).
pub fn codes(modules: &[Module]) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = run(modules)
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    codes.sort();
    codes
}

pub fn sorted(codes: &[&'static str]) -> Vec<&'static str> {
    let mut codes = codes.to_vec();
    codes.sort();
    codes
}

pub fn named(name: &str) -> TypeExpr {
    TypeExpr {
        kind: TypeExprKind::Named(name.into()),
        span: sp(),
    }
}

pub fn function(
    name: &str,
    params: Vec<(&str, TypeExpr)>,
    returns: Option<TypeExpr>,
    body: Expr,
) -> Item {
    Item::Function(FunctionDecl {
        name: id(name),
        params: params
            .into_iter()
            .map(|(n, ty)| Param {
                name: id(n),
                ty,
                span: sp(),
            })
            .collect(),
        return_type: returns,
        body,
        span: sp(),
    })
}

pub fn lookup_file(name: &str, path: &str, key: Option<&str>, value: Option<&str>) -> LookupDecl {
    LookupDecl {
        name: id(name),
        table: LookupTable::File {
            path: lit(path),
            key: key.map(lit),
            value: value.map(lit),
        },
        span: sp(),
    }
}
