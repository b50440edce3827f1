//! pest pairs to the AST (items and pipelines); expressions are in `build_expr`.

use pest::iterators::Pair;

use super::ast::*;
use super::literal;
use super::parser::Rule;
use crate::diagnostics::{Code, Diagnostic, FileId, Span};

pub(crate) type Result<T> = std::result::Result<T, Diagnostic>;

pub(crate) struct Builder {
    pub file: FileId,
}

impl Builder {
    /// The pair's span without the whitespace and comments pest skips after its last token
    /// (a rule ending in `x*` swallows them), so labels end where the code ends.
    pub fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        let len = code_len(s.as_str());
        Span::new(self.file, s.start(), s.start() + len)
    }

    pub fn items(&self, file: Pair<Rule>) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        for pair in file.into_inner() {
            items.push(match pair.as_rule() {
                Rule::use_decl => Item::Use(UseDecl {
                    span: self.span(&pair),
                    path: self.string_after_keyword(pair)?,
                }),
                Rule::fn_decl => Item::Function(self.function(pair)?),
                Rule::lookup_decl => Item::Lookup(self.lookup(pair)?),
                Rule::pipeline => Item::Pipeline(self.pipeline(pair)?),
                _ => continue,
            });
        }
        Ok(items)
    }

    pub fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            span: self.span(&pair),
            name: pair.as_str().to_string(),
        }
    }

    /// A plain (non-template) string literal: paths, names, reasons.
    pub fn string_lit(&self, pair: Pair<Rule>) -> Result<StringLit> {
        let span = self.span(&pair);
        match self.string_expr(pair)?.kind {
            ExprKind::String(value) => Ok(StringLit { value, span }),
            _ => Err(Diagnostic::new(
                Code::SyntaxError,
                span,
                "expected a plain string here, found a template",
            )
            .with_label("no `${...}` allowed here")
            .with_help("write the text without interpolation")),
        }
    }

    fn string_after_keyword(&self, pair: Pair<Rule>) -> Result<StringLit> {
        let inner = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), Rule::string | Rule::unterminated_string))
            .ok_or_else(|| super::errors::internal(self.file, "missing string"))?;
        self.string_lit(inner)
    }

    pub fn qualified_name(&self, pair: Pair<Rule>) -> QualifiedName {
        let span = self.span(&pair);
        let parts = pair.into_inner().map(|p| self.ident(p)).collect();
        QualifiedName { parts, span }
    }

    fn function(&self, pair: Pair<Rule>) -> Result<FunctionDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut params = Vec::new();
        let mut return_type = None;
        let mut body = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::param => {
                    let span = self.span(&p);
                    let mut inner = p.into_inner();
                    let (Some(n), Some(t)) = (inner.next(), inner.next()) else {
                        continue;
                    };
                    params.push(Param {
                        name: self.ident(n),
                        ty: self.type_expr(t),
                        span,
                    });
                }
                Rule::return_type => {
                    if let Some(t) = p.into_inner().next() {
                        return_type = Some(self.type_expr(t));
                    }
                }
                Rule::expr => body = Some(self.expr(p)?),
                _ => {}
            }
        }
        let name =
            name.ok_or_else(|| super::errors::internal(self.file, "function without a name"))?;
        let body =
            body.ok_or_else(|| super::errors::internal(self.file, "function without a body"))?;
        Ok(FunctionDecl {
            name,
            params,
            return_type,
            body,
            span,
        })
    }

    fn type_expr(&self, pair: Pair<Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut kind = TypeExprKind::Named(String::new());
        let mut optional = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::list_type => {
                    if let Some(inner) = p.into_inner().next() {
                        kind = TypeExprKind::List(Box::new(self.type_expr(inner)));
                    }
                }
                Rule::named_type => kind = TypeExprKind::Named(p.as_str().trim().to_string()),
                Rule::optional_mark => optional = true,
                _ => {}
            }
        }
        if optional {
            let inner = TypeExpr { kind, span };
            kind = TypeExprKind::Optional(Box::new(inner));
        }
        TypeExpr { kind, span }
    }

    fn lookup(&self, pair: Pair<Rule>) -> Result<LookupDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut table = LookupTable::Inline(Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::lookup_inline => {
                    let mut entries = Vec::new();
                    for entry in p.into_inner() {
                        let span = self.span(&entry);
                        let mut inner = entry.into_inner();
                        let (Some(k), Some(v)) = (inner.next(), inner.next()) else {
                            continue;
                        };
                        entries.push(LookupEntry {
                            key: self.expr(k)?,
                            value: self.expr(v)?,
                            span,
                        });
                    }
                    table = LookupTable::Inline(entries);
                }
                Rule::lookup_file => {
                    let (mut path, mut key, mut value) = (None, None, None);
                    for part in p.into_inner() {
                        match part.as_rule() {
                            Rule::string | Rule::unterminated_string => {
                                path = Some(self.string_lit(part)?)
                            }
                            Rule::lookup_key => key = Some(self.string_after_keyword(part)?),
                            Rule::lookup_value => value = Some(self.string_after_keyword(part)?),
                            _ => {}
                        }
                    }
                    let path = path.ok_or_else(|| {
                        super::errors::internal(self.file, "lookup without a path")
                    })?;
                    table = LookupTable::File { path, key, value };
                }
                _ => {}
            }
        }
        let name =
            name.ok_or_else(|| super::errors::internal(self.file, "lookup without a name"))?;
        Ok(LookupDecl { name, table, span })
    }

    fn pipeline(&self, pair: Pair<Rule>) -> Result<Pipeline> {
        let span = self.span(&pair);
        let mut name = None;
        let mut items = Vec::new();
        for p in pair.into_inner() {
            let item = match p.as_rule() {
                Rule::ident => {
                    name = Some(self.ident(p));
                    continue;
                }
                Rule::timezone_decl => PipelineItem::Timezone(self.string_after_keyword(p)?),
                Rule::source_decl => PipelineItem::Source(self.source(p)?),
                Rule::where_clause => PipelineItem::Where(self.where_expr(p)?),
                Rule::let_decl => {
                    let span = self.span(&p);
                    let mut inner = p.into_inner().filter(|p| p.as_rule() != Rule::kw_let);
                    let (Some(n), Some(v)) = (inner.next(), inner.next()) else {
                        continue;
                    };
                    PipelineItem::Let(LetDecl {
                        name: self.ident(n),
                        value: self.expr(v)?,
                        span,
                    })
                }
                Rule::assert_decl => {
                    let span = self.span(&p);
                    let mut inner = p.into_inner().filter(|p| p.as_rule() != Rule::kw_assert);
                    let Some(condition) = inner.next() else {
                        continue;
                    };
                    let condition = self.expr(condition)?;
                    let message = match inner.next() {
                        Some(text) => Some(self.string_lit(text)?),
                        None => None,
                    };
                    PipelineItem::Assert(AssertDecl {
                        condition,
                        message,
                        span,
                    })
                }
                Rule::lookup_decl => PipelineItem::Lookup(self.lookup(p)?),
                Rule::map_block => PipelineItem::Map(self.map_block(p)?),
                Rule::sink_block => PipelineItem::Sink(self.sink(p)),
                Rule::step_block => PipelineItem::Step(self.step(p)?),
                Rule::test_block => PipelineItem::Test(self.test(p)?),
                _ => continue,
            };
            items.push(item);
        }
        let name =
            name.ok_or_else(|| super::errors::internal(self.file, "pipeline without a name"))?;
        Ok(Pipeline { name, items, span })
    }

    fn where_expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let expr = pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::expr)
            .ok_or_else(|| super::errors::internal(self.file, "`where` without a condition"))?;
        self.expr(expr)
    }

    fn source(&self, pair: Pair<Rule>) -> Result<Source> {
        let span = self.span(&pair);
        let mut name = None;
        let mut options = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::qualified_name => name = Some(self.qualified_name(p)),
                Rule::poll_option => {
                    let span = self.span(&p);
                    if let Some(d) = p.into_inner().find(|p| p.as_rule() == Rule::duration) {
                        let every = literal::duration(self.file, d.as_str(), self.span(&d))?;
                        if every.amount == 0 {
                            return Err(Diagnostic::new(
                                Code::InvalidDuration,
                                every.span,
                                "a polling interval must be greater than zero",
                            )
                            .with_label("zero")
                            .with_help("write an interval such as `5m`"));
                        }
                        options.push(SourceOption::Poll { every, span });
                    }
                }
                Rule::on_option => {
                    let span = self.span(&p);
                    let mut events = Vec::new();
                    for s in p.into_inner() {
                        if matches!(s.as_rule(), Rule::string | Rule::unterminated_string) {
                            events.push(self.string_lit(s)?);
                        }
                    }
                    options.push(SourceOption::On { events, span });
                }
                Rule::where_clause => options.push(SourceOption::Where(self.where_expr(p)?)),
                _ => {}
            }
        }
        let name =
            name.ok_or_else(|| super::errors::internal(self.file, "source without a name"))?;
        Ok(Source {
            name,
            options,
            span,
        })
    }

    fn map_block(&self, pair: Pair<Rule>) -> Result<MapBlock> {
        let span = self.span(&pair);
        let mut target = None;
        let mut each = None;
        let mut assignments = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::qualified_name => target = Some(self.qualified_name(p)),
                Rule::map_each => each = Some(self.map_each(p)?),
                Rule::assignment => {
                    let span = self.span(&p);
                    let mut path = Vec::new();
                    let mut value = None;
                    for part in p.into_inner() {
                        match part.as_rule() {
                            Rule::assignment_target => {
                                for segment in part.into_inner() {
                                    path.push(match segment.as_rule() {
                                        Rule::name => self.ident(segment),
                                        _ => {
                                            let s = self.string_lit(segment)?;
                                            Ident {
                                                name: s.value,
                                                span: s.span,
                                            }
                                        }
                                    });
                                }
                            }
                            Rule::expr => value = Some(self.expr(part)?),
                            _ => {}
                        }
                    }
                    if let Some(value) = value {
                        assignments.push(Assignment {
                            target: path,
                            value,
                            span,
                        });
                    }
                }
                _ => {}
            }
        }
        let target =
            target.ok_or_else(|| super::errors::internal(self.file, "map without a target"))?;
        Ok(MapBlock {
            target,
            each,
            assignments,
            span,
        })
    }

    fn step(&self, pair: Pair<Rule>) -> Result<StepBlock> {
        let span = self.span(&pair);
        let (mut name, mut map, mut sink) = (None, None, None);
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::map_block => map = Some(self.map_block(p)?),
                Rule::sink_block => sink = Some(self.sink(p)),
                _ => {}
            }
        }
        match (name, map, sink) {
            (Some(name), Some(map), Some(sink)) => Ok(StepBlock {
                name,
                map,
                sink,
                span,
            }),
            _ => Err(super::errors::internal(
                self.file,
                "`step` without a map and a sink",
            )),
        }
    }

    fn map_each(&self, pair: Pair<Rule>) -> Result<MapEach> {
        let span = self.span(&pair);
        let mut name = None;
        let mut list = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::expr => list = Some(self.expr(p)?),
                _ => {}
            }
        }
        match (name, list) {
            (Some(name), Some(list)) => Ok(MapEach { name, list, span }),
            _ => Err(super::errors::internal(
                self.file,
                "`for` without a name and a list",
            )),
        }
    }

    fn sink(&self, pair: Pair<Rule>) -> SinkBlock {
        let span = self.span(&pair);
        let mut target = None;
        let mut options = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::qualified_name => target = Some(self.qualified_name(p)),
                Rule::match_on => {
                    let span = self.span(&p);
                    let keys = p
                        .into_inner()
                        .filter(|k| k.as_rule() == Rule::qualified_name)
                        .map(|k| self.qualified_name(k))
                        .collect();
                    options.push(SinkOption::MatchOn { keys, span });
                }
                Rule::post_option => options.push(SinkOption::Post {
                    span: self.span(&p),
                }),
                Rule::on_conflict => {
                    let span = self.span(&p);
                    if let Some(q) = p.into_inner().find(|k| k.as_rule() == Rule::qualified_name) {
                        options.push(SinkOption::OnConflictNewest {
                            field: self.qualified_name(q),
                            span,
                        });
                    }
                }
                Rule::only_on_create | Rule::owns_option => {
                    let span = self.span(&p);
                    let owns = p.as_rule() == Rule::owns_option;
                    let fields = p
                        .into_inner()
                        .filter(|k| k.as_rule() == Rule::qualified_name)
                        .map(|k| self.qualified_name(k))
                        .collect();
                    options.push(if owns {
                        SinkOption::Owns { fields, span }
                    } else {
                        SinkOption::OnlyOnCreate { fields, span }
                    });
                }
                Rule::cross_reference => {
                    let span = self.span(&p);
                    if let Some(q) = p.into_inner().find(|k| k.as_rule() == Rule::qualified_name) {
                        options.push(SinkOption::CrossReference {
                            source: self.qualified_name(q),
                            span,
                        });
                    }
                }
                _ => {}
            }
        }
        let target = target.unwrap_or(QualifiedName {
            parts: Vec::new(),
            span,
        });
        SinkBlock {
            target,
            options,
            span,
        }
    }

    fn test(&self, pair: Pair<Rule>) -> Result<TestBlock> {
        let span = self.span(&pair);
        let mut name = None;
        let mut entries = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::string | Rule::unterminated_string => name = Some(self.string_lit(p)?),
                Rule::test_entry => {
                    let span = self.span(&p);
                    let mut inner = p.into_inner();
                    let (Some(k), Some(v)) = (inner.next(), inner.next()) else {
                        continue;
                    };
                    entries.push(TestEntry {
                        key: self.ident(k),
                        value: self.expr(v)?,
                        span,
                    });
                }
                _ => {}
            }
        }
        let name = name.ok_or_else(|| super::errors::internal(self.file, "test without a name"))?;
        Ok(TestBlock {
            name,
            entries,
            span,
        })
    }
}

/// Length of `text` once trailing whitespace and `//` comments are cut off.
fn code_len(text: &str) -> usize {
    let mut code = text.trim_end();
    loop {
        let line_start = code.rfind('\n').map_or(0, |i| i + 1);
        let Some(comment) = comment_start(&code[line_start..]) else {
            return code.len();
        };
        code = code[..line_start + comment].trim_end();
    }
}

/// Where a `//` comment starts on one line, skipping `//` inside strings (strings never span
/// lines, so counting quotes on the line is enough).
fn comment_start(line: &str) -> Option<usize> {
    if !line.contains("//") {
        return None;
    }
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}
