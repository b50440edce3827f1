//! pest pairs to items: `use`, `fn`, `lookup`, `pipeline` and everything inside a pipeline.

use pest::iterators::Pair;

use super::ast::*;
use super::grammar::Rule;
use super::literal;
use crate::diagnostics::{Code, Diagnostic, FileId, Span};

/// Deepest `list<list<...>>` accepted in a written type.
const MAX_TYPE_DEPTH: usize = 32;

pub type Result<T> = std::result::Result<T, Diagnostic>;

/// Builds AST nodes for one file. Expression building lives in `expr.rs`.
pub struct Builder {
    pub(super) file: FileId,
    /// How many expressions are being built inside each other right now.
    pub(super) depth: usize,
}

/// Punctuation rules exist only for error messages; the builder skips them.
pub(super) fn is_punctuation(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::lbrace
            | Rule::rbrace
            | Rule::lparen
            | Rule::rparen
            | Rule::lbracket
            | Rule::rbracket
            | Rule::comma
            | Rule::colon
            | Rule::assign
            | Rule::fat_arrow
            | Rule::arrow
            | Rule::EOI
    ) || is_keyword(rule)
}

/// Keyword rules are atomic (so `fnord` is not `fn ord`) and therefore produce pairs.
fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_use
            | Rule::kw_fn
            | Rule::kw_pipeline
            | Rule::kw_timezone
            | Rule::kw_source
            | Rule::kw_where
            | Rule::kw_let
            | Rule::kw_lookup
            | Rule::kw_from
            | Rule::kw_key
            | Rule::kw_value
            | Rule::kw_map
            | Rule::kw_to
            | Rule::kw_sink
            | Rule::kw_test
            | Rule::kw_poll
            | Rule::kw_every
            | Rule::kw_on
            | Rule::kw_match
            | Rule::kw_xref
            | Rule::kw_if
            | Rule::kw_else
    )
}

/// The children of a pair that carry meaning.
pub(super) fn children<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner().filter(|p| !is_punctuation(p.as_rule()))
}

impl Builder {
    pub fn new(file: FileId) -> Self {
        Builder { file, depth: 0 }
    }

    pub(super) fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        Span::new(self.file, span.start(), span.end())
    }

    /// A diagnostic for a pair whose shape the grammar should have ruled out.
    pub(super) fn unexpected(&self, pair: &Pair<'_, Rule>) -> Diagnostic {
        Diagnostic::new(
            Code::SyntaxError,
            self.span(pair),
            format!("unexpected `{}`", pair.as_str()),
        )
        .with_label("not expected here")
    }

    /// The next meaningful child, or a diagnostic at the parent.
    pub(super) fn next<'i>(
        &self,
        parent: Span,
        iter: &mut impl Iterator<Item = Pair<'i, Rule>>,
    ) -> Result<Pair<'i, Rule>> {
        iter.next().ok_or_else(|| {
            Diagnostic::new(Code::SyntaxError, parent, "incomplete syntax").with_label("here")
        })
    }

    pub fn module(&mut self, pair: Pair<'_, Rule>, len: usize) -> Result<Module> {
        let mut items = Vec::new();
        for child in children(pair) {
            items.push(self.item(child)?);
        }
        Ok(Module {
            file: self.file,
            items,
            span: Span::new(self.file, 0, len),
        })
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Result<Item> {
        Ok(match pair.as_rule() {
            Rule::use_decl => {
                let span = self.span(&pair);
                let mut inner = children(pair);
                let path = self.plain_string(self.next(span, &mut inner)?)?;
                Item::Use(UseDecl { path, span })
            }
            Rule::fn_decl => Item::Function(self.function(pair)?),
            Rule::lookup_decl => Item::Lookup(self.lookup(pair)?),
            Rule::pipeline => Item::Pipeline(self.pipeline(pair)?),
            _ => return Err(self.unexpected(&pair)),
        })
    }

    fn function(&mut self, pair: Pair<'_, Rule>) -> Result<FunctionDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut params = Vec::new();
        let mut return_type = None;
        let mut body = None;
        for child in children(pair) {
            match child.as_rule() {
                Rule::ident => name = Some(self.ident(&child)),
                Rule::fn_params => {
                    for param in children(child) {
                        let param_span = self.span(&param);
                        let mut inner = children(param);
                        let name = self.ident(&self.next(param_span, &mut inner)?);
                        let ty = self.type_expr(self.next(param_span, &mut inner)?)?;
                        params.push(Param {
                            name,
                            ty,
                            span: param_span,
                        });
                    }
                }
                Rule::type_expr => return_type = Some(self.type_expr(child)?),
                Rule::expr => body = Some(self.expr(child)?),
                _ => return Err(self.unexpected(&child)),
            }
        }
        let incomplete = || Diagnostic::new(Code::SyntaxError, span, "incomplete `fn`");
        Ok(FunctionDecl {
            name: name.ok_or_else(incomplete)?,
            params,
            return_type,
            body: body.ok_or_else(incomplete)?,
            span,
        })
    }

    /// `list<string>?`: the grammar reads a flat run of `list<`, a name and `>`/`?` suffixes.
    fn type_expr(&self, pair: Pair<'_, Rule>) -> Result<TypeExpr> {
        let span = self.span(&pair);
        let mut opens: Vec<Span> = Vec::new();
        let mut current: Option<TypeExpr> = None;
        for child in pair.into_inner() {
            let child_span = self.span(&child);
            match child.as_rule() {
                Rule::list_open => {
                    if opens.len() >= MAX_TYPE_DEPTH {
                        return Err(Diagnostic::new(
                            Code::NestingTooDeep,
                            child_span,
                            format!("list types are nested more than {MAX_TYPE_DEPTH} deep"),
                        )
                        .with_label("too deep"));
                    }
                    opens.push(child_span);
                }
                Rule::type_name => {
                    current = Some(TypeExpr {
                        kind: TypeExprKind::Named(child.as_str().to_string()),
                        span: child_span,
                    });
                }
                Rule::type_suffix => {
                    let inner = current.take().ok_or_else(|| self.unexpected(&child))?;
                    let is_close = child.as_str() == ">";
                    current = Some(if is_close {
                        let open = opens.pop().ok_or_else(|| {
                            Diagnostic::new(Code::SyntaxError, child_span, "unmatched `>` in type")
                                .with_label("no `list<` opens this")
                        })?;
                        TypeExpr {
                            kind: TypeExprKind::List(Box::new(inner)),
                            span: open.to(child_span),
                        }
                    } else {
                        TypeExpr {
                            span: inner.span.to(child_span),
                            kind: TypeExprKind::Optional(Box::new(inner)),
                        }
                    });
                }
                _ => return Err(self.unexpected(&child)),
            }
        }
        if let Some(open) = opens.last() {
            return Err(
                Diagnostic::new(Code::SyntaxError, *open, "expected `>` to close `list<`")
                    .with_label("this `list<` is never closed"),
            );
        }
        current.ok_or_else(|| Diagnostic::new(Code::SyntaxError, span, "expected a type"))
    }

    fn pipeline(&mut self, pair: Pair<'_, Rule>) -> Result<Pipeline> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.ident(&self.next(span, &mut inner)?);
        let mut items = Vec::new();
        for child in inner {
            items.push(self.pipeline_item(child)?);
        }
        Ok(Pipeline { name, items, span })
    }

    fn pipeline_item(&mut self, pair: Pair<'_, Rule>) -> Result<PipelineItem> {
        let span = self.span(&pair);
        Ok(match pair.as_rule() {
            Rule::timezone_decl => {
                let mut inner = children(pair);
                PipelineItem::Timezone(self.plain_string(self.next(span, &mut inner)?)?)
            }
            Rule::where_clause => PipelineItem::Where(self.where_clause(pair)?),
            Rule::let_decl => {
                let mut inner = children(pair);
                let name = self.ident(&self.next(span, &mut inner)?);
                let value = self.expr(self.next(span, &mut inner)?)?;
                PipelineItem::Let(LetDecl { name, value, span })
            }
            Rule::lookup_decl => PipelineItem::Lookup(self.lookup(pair)?),
            Rule::source_block => PipelineItem::Source(self.source(pair)?),
            Rule::map_block => PipelineItem::Map(self.map_block(pair)?),
            Rule::sink_block => PipelineItem::Sink(self.sink(pair)?),
            Rule::test_block => PipelineItem::Test(self.test(pair)?),
            _ => return Err(self.unexpected(&pair)),
        })
    }

    fn where_clause(&mut self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        self.expr(self.next(span, &mut inner)?)
    }

    fn source(&mut self, pair: Pair<'_, Rule>) -> Result<Source> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.qualified_name(&self.next(span, &mut inner)?);
        let mut options = Vec::new();
        for option in inner {
            let option_span = self.span(&option);
            options.push(match option.as_rule() {
                Rule::poll_option => {
                    let mut parts = children(option);
                    let amount = self.next(option_span, &mut parts)?;
                    let every = literal::poll_duration(amount.as_str(), self.span(&amount))?;
                    SourceOption::Poll {
                        every,
                        span: option_span,
                    }
                }
                Rule::on_option => {
                    let mut events = Vec::new();
                    for event in children(option) {
                        events.push(self.plain_string(event)?);
                    }
                    SourceOption::On {
                        events,
                        span: option_span,
                    }
                }
                Rule::where_clause => SourceOption::Where(self.where_clause(option)?),
                _ => return Err(self.unexpected(&option)),
            });
        }
        Ok(Source {
            name,
            options,
            span,
        })
    }

    fn lookup(&mut self, pair: Pair<'_, Rule>) -> Result<LookupDecl> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.ident(&self.next(span, &mut inner)?);
        let table = self.next(span, &mut inner)?;
        let table = match table.as_rule() {
            Rule::lookup_file => {
                let table_span = self.span(&table);
                let mut parts = children(table);
                let path = self.plain_string(self.next(table_span, &mut parts)?)?;
                let (mut key, mut value) = (None, None);
                for part in parts {
                    let part_span = self.span(&part);
                    let rule = part.as_rule();
                    let mut strings = children(part);
                    let text = self.plain_string(self.next(part_span, &mut strings)?)?;
                    if rule == Rule::lookup_key {
                        key = Some(text);
                    } else {
                        value = Some(text);
                    }
                }
                LookupTable::File { path, key, value }
            }
            Rule::lookup_inline => {
                let mut entries = Vec::new();
                for entry in children(table) {
                    let entry_span = self.span(&entry);
                    let mut parts = children(entry);
                    let key = self.expr(self.next(entry_span, &mut parts)?)?;
                    let value = self.expr(self.next(entry_span, &mut parts)?)?;
                    entries.push(LookupEntry {
                        key,
                        value,
                        span: entry_span,
                    });
                }
                LookupTable::Inline(entries)
            }
            _ => return Err(self.unexpected(&table)),
        };
        Ok(LookupDecl { name, table, span })
    }

    fn map_block(&mut self, pair: Pair<'_, Rule>) -> Result<MapBlock> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let target = self.qualified_name(&self.next(span, &mut inner)?);
        let mut assignments = Vec::new();
        for assignment in inner {
            let assignment_span = self.span(&assignment);
            let mut parts = children(assignment);
            let target = self.target_path(self.next(assignment_span, &mut parts)?)?;
            let value = self.expr(self.next(assignment_span, &mut parts)?)?;
            assignments.push(Assignment {
                target: target.parts,
                value,
                span: assignment_span,
            });
        }
        Ok(MapBlock {
            target,
            assignments,
            span,
        })
    }

    fn sink(&mut self, pair: Pair<'_, Rule>) -> Result<SinkBlock> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let target = self.qualified_name(&self.next(span, &mut inner)?);
        let mut options = Vec::new();
        for option in inner {
            let option_span = self.span(&option);
            options.push(match option.as_rule() {
                Rule::match_on => {
                    let mut keys = Vec::new();
                    for key in children(option) {
                        keys.push(self.target_path(key)?);
                    }
                    SinkOption::MatchOn {
                        keys,
                        span: option_span,
                    }
                }
                Rule::cross_reference => {
                    let mut parts = children(option);
                    let source = self.qualified_name(&self.next(option_span, &mut parts)?);
                    SinkOption::CrossReference {
                        source,
                        span: option_span,
                    }
                }
                _ => return Err(self.unexpected(&option)),
            });
        }
        Ok(SinkBlock {
            target,
            options,
            span,
        })
    }

    fn test(&mut self, pair: Pair<'_, Rule>) -> Result<TestBlock> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.plain_string(self.next(span, &mut inner)?)?;
        let mut entries = Vec::new();
        for entry in inner {
            let entry_span = self.span(&entry);
            let mut parts = children(entry);
            let key = self.ident(&self.next(entry_span, &mut parts)?);
            let value = self.expr(self.next(entry_span, &mut parts)?)?;
            entries.push(TestEntry {
                key,
                value,
                span: entry_span,
            });
        }
        Ok(TestBlock {
            name,
            entries,
            span,
        })
    }

    pub(super) fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    fn qualified_name(&self, pair: &Pair<'_, Rule>) -> QualifiedName {
        let parts = pair
            .clone()
            .into_inner()
            .map(|part| self.ident(&part))
            .collect();
        QualifiedName {
            parts,
            span: self.span(pair),
        }
    }

    /// `metadata."Owner Team"`: names and quoted segments, each as an `Ident`.
    fn target_path(&mut self, pair: Pair<'_, Rule>) -> Result<QualifiedName> {
        let span = self.span(&pair);
        let mut parts = Vec::new();
        for segment in pair.into_inner() {
            parts.push(match segment.as_rule() {
                Rule::string => {
                    let text = self.plain_string(segment)?;
                    Ident {
                        name: text.value,
                        span: text.span,
                    }
                }
                _ => self.ident(&segment),
            });
        }
        Ok(QualifiedName { parts, span })
    }
}
