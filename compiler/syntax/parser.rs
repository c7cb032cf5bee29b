//! Source text → [`ast::SourceFile`] plus syntax diagnostics.
//!
//! The pest grammar never fails as a whole: bad lines become `top_error` /
//! `item_error` nodes, which this module turns into E0001 diagnostics with the
//! most precise position it can find, and parsing goes on. Limits on nesting
//! and expression size are enforced here, before anything recursive can run
//! out of stack. This module knows no types and resolves no names.

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser;
use pest_derive::Parser;

use super::ast::*;
use super::lexical;
use crate::diagnostics::{codes, did_you_mean, Diagnostic, FileId, Span};

#[derive(Parser)]
#[grammar = "compiler/syntax/grammar.pest"]
struct SchemaGrammar;

/// Deepest bracket nesting accepted; deeper input is refused before parsing.
pub const MAX_NESTING: usize = 48;
/// Most operands and operators one expression may hold.
pub const MAX_EXPRESSION_NODES: usize = 1_000;

/// Top-level keywords, for "did you mean" on a misspelt declaration.
const DECLARATION_KEYWORDS: &[&str] = &[
    "use",
    "enum",
    "type",
    "entity",
    "relation",
    "pattern",
    "role",
    "grant",
    "policy",
    "context",
    "workload",
    "view",
    "function",
    "aggregate",
    "trigger",
    "revoke",
];
const MEMBER_KEYWORDS: &[&str] = &[
    "primary",
    "unique",
    "index",
    "check",
    "search",
    "partition",
    "apply",
    "volume",
    "renamed_from",
    "table",
    "behaviour",
];
const MODIFIER_KEYWORDS: &[&str] =
    &["primary", "unique", "check", "column", "pii", "renamed_from", "denormalized", "doc"];

/// The result of parsing one file: the tree (possibly partial) and what went wrong.
pub struct Parsed {
    pub file: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one file. Never panics and never fails: errors are diagnostics.
///
/// A well-formed file is read by the hand-written parser in `descent.rs`;
/// anything it does not follow, mistakes included, by the pest grammar,
/// which recovers after a bad line and says what is wrong.
pub fn parse(file: FileId, text: &str) -> Parsed {
    parse_with(file, text, true)
}

/// [`parse`] with the pest grammar only: for tests that hold the two
/// parsers to the same trees.
#[doc(hidden)]
pub fn parse_with_pest(file: FileId, text: &str) -> Parsed {
    parse_with(file, text, false)
}

fn parse_with(file: FileId, text: &str, descent: bool) -> Parsed {
    let scan = lexical::scan(text);
    let mut diagnostics = Vec::new();
    let comments =
        scan.comments.iter().map(|c| Comment { text: c.text.clone(), span: Span::new(file, c.start, c.end) }).collect();
    let empty = |comments| SourceFile { file, declarations: Vec::new(), comments };

    if let Some((offset, depth)) = scan.first_too_deep(MAX_NESTING) {
        diagnostics.push(
            Diagnostic::new(codes::E0004, format!("brackets nest more than {MAX_NESTING} levels deep"))
                .at(Span::new(file, offset, offset + 1), format!("level {depth} opens here"))
                .help("split the expression, or name a part of it with a `type` alias"),
        );
        return Parsed { file: empty(comments), diagnostics };
    }

    if descent {
        if let Some(declarations) = super::descent::parse(file, text) {
            return Parsed { file: SourceFile { file, declarations, comments }, diagnostics };
        }
    }

    let pairs = match SchemaGrammar::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(error) => {
            // The grammar accepts any input; reaching this is a grammar bug,
            // still reported as a diagnostic rather than a crash.
            let offset = match error.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            diagnostics.push(
                Diagnostic::new(codes::E0001, "this file could not be parsed")
                    .at(Span::new(file, offset, offset), "parsing stopped here"),
            );
            return Parsed { file: empty(comments), diagnostics };
        }
    };

    let mut comment_ends: Vec<(usize, usize)> =
        scan.comments.iter().map(|c| (c.start + c.text.len(), c.start)).collect();
    comment_ends.sort_unstable();
    let mut converter = Converter { file, text, comment_ends, diagnostics, budget: 0, budget_reported: false };
    let mut declarations = Vec::new();
    let root = pairs.into_iter().next().map(|p| p.into_inner());
    // After a bad line that opens a block, the block's own lines are part of
    // the same mistake: report the opening line only, until the block closes.
    let mut open_blocks = 0usize;
    for pair in root.into_iter().flatten() {
        match pair.as_rule() {
            Rule::EOI => {}
            Rule::top_error => {
                let text = pair.as_str();
                let balance = text.matches('{').count() as isize - text.matches('}').count() as isize;
                if open_blocks == 0 {
                    converter.top_error(&pair);
                }
                open_blocks = (open_blocks as isize + balance).max(0) as usize;
            }
            _ => {
                open_blocks = 0;
                if let Some(declaration) = converter.declaration(pair) {
                    declarations.push(declaration);
                }
            }
        }
    }
    Parsed { file: SourceFile { file, declarations, comments }, diagnostics: converter.diagnostics }
}

/// What a block body is inside of, for error messages.
#[derive(Clone, Copy)]
enum Block<'a> {
    Entity(&'a str),
    Pattern(&'a str),
    Through(&'a str),
    Enum(&'a str),
    Relation,
    Policy(&'a str),
    Context,
    Workload,
    View(&'a str),
    Function(&'a str),
}

impl Block<'_> {
    fn describe(&self) -> String {
        match self {
            Block::Entity(n) => format!("entity `{n}`"),
            Block::Pattern(n) => format!("pattern `{n}`"),
            Block::Through(n) => format!("junction `{n}`"),
            Block::Enum(n) => format!("enum `{n}`"),
            Block::Relation => "relation body".into(),
            Block::Policy(n) => format!("policy `{n}`"),
            Block::Context => "context block".into(),
            Block::Workload => "workload".into(),
            Block::View(n) => format!("view `{n}`"),
            Block::Function(n) => format!("function `{n}`"),
        }
    }

    fn expected(&self) -> &'static str {
        match self {
            Block::Entity(_) | Block::Through(_) => {
                "a field (`name type`) or an entity attribute (primary, unique, index, check, search, partition, apply, volume, renamed_from, table)"
            }
            Block::Pattern(_) => "a field, an entity attribute, a `relation Self.…` or a `behaviour`",
            Block::Enum(_) => "an enum value (a lowercase name)",
            Block::Relation => "required, on delete …, on update …, deferrable, columns (…) or through …",
            Block::Policy(_) => "to …, for …, using (…), check (…), permissive or restrictive",
            Block::Context => "a context value (`name type`)",
            Block::Workload => "a query (`query name: Entity where … at 100/s`)",
            Block::View(_) => "sql <backend> \"…\"",
            Block::Function(_) => "sql \"…\" or sql <backend> \"…\"",
        }
    }
}

struct Converter<'t> {
    file: FileId,
    text: &'t str,
    /// (end, start) of every plain comment, sorted: used to keep trailing
    /// comments out of node spans.
    comment_ends: Vec<(usize, usize)>,
    diagnostics: Vec<Diagnostic>,
    /// Nodes left for the expression being converted.
    budget: usize,
    budget_reported: bool,
}

fn first_word(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or("").trim_end()
}

/// The first line of `text`, at most 60 characters, control characters
/// escaped so a hostile file cannot drive the user's terminal.
fn shorten(text: &str) -> String {
    let line = first_line(text);
    let mut out: String = line
        .chars()
        .take(60)
        .map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() })
        .collect();
    if line.chars().count() > 60 {
        out.push('…');
    }
    out
}

impl<'t> Converter<'t> {
    /// The pair's span without the whitespace and comments pest's implicit
    /// skipping may have swallowed at its end.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), self.content_end(s.start(), s.end()))
    }

    fn content_end(&self, start: usize, mut end: usize) -> usize {
        loop {
            end = start + self.text[start..end].trim_end().len();
            match self.comment_ends.binary_search_by_key(&end, |(e, _)| *e) {
                Ok(i) if self.comment_ends[i].1 >= start => end = self.comment_ends[i].1,
                _ => return end,
            }
        }
    }

    /// The optional `object_name` next in `inner` (a key's, index's or constraint's database name).
    fn object_name(&mut self, inner: &mut Pairs<Rule>) -> Option<Ident> {
        if inner.peek()?.as_rule() != Rule::object_name {
            return None;
        }
        inner.next().map(|p| self.object_name_of(p))
    }

    /// A database name written as an identifier or as a string (`"IFK Album"`).
    fn object_name_of(&mut self, pair: Pair<Rule>) -> Ident {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("name");
        match inner.as_rule() {
            Rule::string_lit => Ident { name: self.string_lit(inner).value, span },
            _ => self.ident(inner),
        }
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn docs(&self, pair: Pair<Rule>) -> Vec<String> {
        pair.into_inner()
            .map(|d| d.as_str()[3..].strip_prefix(' ').unwrap_or(&d.as_str()[3..]).trim_end().to_string())
            .collect()
    }

    // ------------------------------------------------------------ errors

    fn top_error(&mut self, pair: &Pair<Rule>) {
        let text = pair.as_str();
        let start = pair.as_span().start();
        let line = first_line(text);
        let span = Span::new(self.file, start, start + line.len());
        let word = first_word(text);
        if text.starts_with("///") {
            self.diagnostics.push(
                Diagnostic::new(codes::E0001, "doc comment does not document anything")
                    .at(span, "no declaration that takes docs follows")
                    .help("doc comments go above enum, type, entity, relation, pattern, role, policy, context, workload and view declarations; use `//` elsewhere"),
            );
            return;
        }
        let mut d = Diagnostic::new(codes::E0001, format!("expected a declaration, found `{}`", shorten(text)))
            .at(span, "not a declaration");
        if text.starts_with('.') {
            d = d.help("module paths are written with `::`, e.g. `use std::patterns::timestamps`");
        } else if let Some(keyword) = did_you_mean(word, DECLARATION_KEYWORDS.iter().copied()) {
            d = d.help(format!("did you mean `{keyword}`?"));
        } else if let Some(detail) = self.first_failure(text, start) {
            d = d.at(detail.0, detail.1);
        } else {
            d = d.help("a file holds use, enum, type, entity, relation, pattern, role, grant, policy, context, workload and view declarations");
        }
        self.diagnostics.push(d);
    }

    /// Where the most promising declaration rule stopped inside `text`, if it
    /// got past the first word — the precise place to point at.
    fn first_failure(&self, text: &str, base: usize) -> Option<(Span, String)> {
        let rule = match first_word(text) {
            "entity" => Rule::entity,
            "enum" => Rule::enum_decl,
            "relation" => Rule::relation,
            "pattern" => Rule::pattern,
            "policy" => Rule::policy,
            "grant" => Rule::grant,
            "revoke" => Rule::revoke,
            "role" => Rule::role,
            "use" => Rule::use_decl,
            "type" => Rule::type_alias,
            "workload" => Rule::workload,
            "context" => Rule::context,
            "view" | "materialized" => Rule::view,
            "function" => Rule::function,
            "aggregate" => Rule::aggregate,
            "trigger" => Rule::trigger,
            _ => return None,
        };
        self.pest_failure(rule, text, base)
    }

    fn pest_failure(&self, rule: Rule, text: &str, base: usize) -> Option<(Span, String)> {
        // Detail (expected tokens) costs time on every parse; turn it on
        // only for these one-line probes.
        // The switch is global: probes on other threads (files are parsed
        // in parallel) must not turn it off half-way through this one.
        static PROBE: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let guard = PROBE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pest::set_error_detail(true);
        let error = SchemaGrammar::parse(rule, text).err();
        pest::set_error_detail(false);
        drop(guard);
        let error = error?;
        let offset = match error.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
        let tokens = error.parse_attempts().map(|a| a.expected_tokens()).unwrap_or_default();
        let tokens: Vec<String> = tokens.iter().map(|t| format!("`{t}`")).collect();
        let expected = match &error.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => describe_expected(positives, &tokens),
            pest::error::ErrorVariant::CustomError { message } => message.clone(),
        };
        let at = base + offset;
        let len = text[offset..].chars().next().map_or(0, |c| c.len_utf8());
        Some((Span::new(self.file, at, at + len), expected))
    }

    fn item_error(&mut self, pair: &Pair<Rule>, context: Block, previous_end: Option<usize>) {
        let text = pair.as_str();
        let start = pair.as_span().start();
        let span = Span::new(self.file, start, start + first_line(text).len());
        let word = first_word(text);
        let same_line = previous_end.is_some_and(|end| !self.text[end..start].contains('\n'));
        if let Some(d) = self.unbalanced(text, start) {
            self.diagnostics.push(d);
            return;
        }
        if text.starts_with('=') {
            self.diagnostics.push(
                Diagnostic::new(codes::E0001, "expected a default value after `=`")
                    .at(span, "the value must start on the field's line")
                    .help("write the value after `=`, e.g. `count int = 0`, or remove the `=`"),
            );
            return;
        }
        if text.starts_with("///") {
            self.diagnostics.push(
                Diagnostic::new(codes::E0001, "doc comment does not document anything")
                    .at(span, "nothing follows this doc comment")
                    .help("put `///` comments directly above a declaration or field, or use `//` for a plain comment"),
            );
            return;
        }
        let mut d = if same_line && matches!(context, Block::Entity(_) | Block::Pattern(_) | Block::Through(_)) {
            let mut d = Diagnostic::new(codes::E0001, format!("unexpected `{}` after a field", shorten(text)))
                .at(span, "not a field modifier")
                .note("field modifiers are primary, unique, check (…), column \"…\", pii(…), renamed_from <name>, denormalized from <navigation>.<field> and doc \"…\"; they stand on the field's line");
            if let Some(keyword) = did_you_mean(word, MODIFIER_KEYWORDS.iter().copied()) {
                d = d.help(format!("did you mean `{keyword}`?"));
            }
            d
        } else {
            let mut d =
                Diagnostic::new(codes::E0001, format!("unexpected `{}` in {}", shorten(text), context.describe()))
                    .note(format!("expected {}", context.expected()));
            if text[word.len()..].starts_with(':') && !word.is_empty() && !matches!(context, Block::Workload) {
                d = d.help(format!(
                    "fields are written without a colon: `{word}{}`",
                    &first_line(text)[word.len() + 1..]
                ));
            }
            let keywords: &[&str] = match context {
                Block::Entity(_) | Block::Pattern(_) | Block::Through(_) => MEMBER_KEYWORDS,
                Block::Relation => &["required", "on", "deferrable", "through", "columns"],
                Block::Policy(_) => &["to", "for", "using", "check", "permissive", "restrictive"],
                _ => &[],
            };
            let suggestion = did_you_mean(word, keywords.iter().copied()).filter(|k| !text.starts_with(k));
            let failure = match context {
                Block::Entity(_) | Block::Through(_) | Block::Pattern(_) | Block::Context => {
                    self.member_failure(text, start)
                }
                Block::Relation => self.pest_failure(Rule::relation_item_probe, text, start),
                Block::Policy(_) => self.pest_failure(Rule::policy_item_probe, text, start),
                Block::Workload => self.pest_failure(Rule::query, text, start),
                _ => None,
            };
            match (suggestion, failure) {
                (Some(keyword), _) => d = d.at(span, "not understood").help(format!("did you mean `{keyword}`?")),
                (None, Some((at, expected))) if at.start as usize > start => {
                    d = d.also(span, "in this line").at(at, expected);
                }
                _ => d = d.at(span, "not understood"),
            }
            d
        };
        if d.labels.is_empty() {
            d = d.at(span, "here");
        }
        self.diagnostics.push(d);
    }

    /// A bad line whose real problem is an unclosed string or bracket.
    fn unbalanced(&self, text: &str, base: usize) -> Option<Diagnostic> {
        let line = first_line(text);
        let mut quote: Option<(char, usize)> = None;
        let mut parens: Vec<usize> = Vec::new();
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match (quote, c) {
                (Some(('\'', _)), '\'') if chars.peek().map(|(_, n)| *n) == Some('\'') => {
                    chars.next();
                }
                (Some(('"', _)), '\\') => {
                    chars.next();
                }
                (Some((q, _)), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some((c, i)),
                (None, '/') if line[i..].starts_with("//") => break,
                (None, '(') => parens.push(i),
                (None, ')') => {
                    parens.pop();
                }
                _ => {}
            }
        }
        if let Some((q, at)) = quote {
            let at = base + at;
            return Some(
                Diagnostic::new(codes::E0001, "this string is never closed")
                    .at(Span::new(self.file, at, base + line.len()), format!("opened with {q} here"))
                    .help(format!("close it with {q} on the same line; strings do not span lines")),
            );
        }
        parens.first().map(|&at| {
            let at = base + at;
            Diagnostic::new(codes::E0001, "this `(` is never closed")
                .at(Span::new(self.file, at, at + 1), "opened here")
                .also(Span::new(self.file, base, base + line.len()), "in this line")
                .help("add the missing `)`")
        })
    }

    /// The furthest failure among the rules an entity member could be.
    fn member_failure(&self, text: &str, base: usize) -> Option<(Span, String)> {
        let rule = match first_word(text) {
            "primary" if names_a_key(&text[7..]) => Rule::attr_primary,
            "unique" if names_a_key(&text[6..]) => Rule::attr_unique,
            "index" => Rule::attr_index,
            "check" => Rule::attr_check,
            "search" => Rule::attr_search,
            "partition" => Rule::attr_partition,
            "apply" => Rule::attr_apply,
            "volume" => Rule::attr_volume,
            "renamed_from" => Rule::attr_renamed_from,
            "table" => Rule::attr_table,
            "row_security" => Rule::attr_row_security,
            "behaviour" => Rule::behaviour,
            _ => Rule::field_probe,
        };
        self.pest_failure(rule, text, base)
    }

    fn missing_brace(&mut self, end: &Pair<Rule>, opener: Span, what: String) {
        if end.as_str() == "}" {
            return;
        }
        let at = end.as_span().start();
        self.diagnostics.push(
            Diagnostic::new(codes::E0002, format!("{what} is never closed"))
                .at(Span::new(self.file, at, at), "expected `}` here")
                .also(opener, "opened here")
                .help("add the missing `}`"),
        );
    }

    // ------------------------------------------------------------ declarations

    fn declaration(&mut self, pair: Pair<Rule>) -> Option<Declaration> {
        Some(match pair.as_rule() {
            Rule::use_decl => Declaration::Use(self.use_decl(pair)),
            Rule::enum_decl => Declaration::Enum(self.enum_decl(pair)),
            Rule::type_alias => Declaration::TypeAlias(self.type_alias(pair)),
            Rule::entity => Declaration::Entity(self.entity(pair)),
            Rule::relation => Declaration::Relation(self.relation(pair)),
            Rule::pattern => Declaration::Pattern(self.pattern(pair)),
            Rule::role => Declaration::Role(self.role(pair)),
            Rule::grant => Declaration::Grant(self.grant(pair)),
            Rule::allow => Declaration::Allow(self.allow(pair)),
            Rule::schema_decl => Declaration::Schema(self.schema_decl(pair)),
            Rule::policy => Declaration::Policy(self.policy(pair)),
            Rule::context => Declaration::Context(self.context(pair)),
            Rule::workload => Declaration::Workload(self.workload(pair)),
            Rule::view => Declaration::View(self.view(pair)),
            Rule::function => Declaration::Function(self.function(pair)),
            Rule::aggregate => Declaration::Aggregate(self.aggregate(pair)),
            Rule::trigger => Declaration::Trigger(self.trigger(pair)),
            Rule::revoke => Declaration::Revoke(self.revoke(pair)),
            _ => return None,
        })
    }

    fn use_decl(&mut self, pair: Pair<Rule>) -> Use {
        let span = self.span(&pair);
        let mut path = Vec::new();
        let mut imports = Imports::Single;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => path.push(self.ident(p)),
                Rule::import_group => imports = Imports::Group(p.into_inner().map(|i| self.ident(i)).collect()),
                Rule::import_glob => imports = Imports::Glob,
                _ => {}
            }
        }
        Use { path, imports, span }
    }

    fn enum_decl(&mut self, pair: Pair<Rule>) -> Enum {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next(); // kw_enum
        let name = self.ident(inner.next().expect("enum name"));
        let mut values = Vec::new();
        let mut previous_end = None;
        for p in inner {
            match p.as_rule() {
                Rule::enum_value => {
                    previous_end = Some(self.span(&p).end as usize);
                    let mut v = p.into_inner();
                    let docs = self.docs(v.next().expect("docs"));
                    let value = v.next().expect("value");
                    let name = match value.as_rule() {
                        Rule::string_lit => {
                            let lit = self.string_lit(value);
                            Ident { name: lit.value, span: lit.span }
                        }
                        _ => self.ident(value),
                    };
                    values.push(EnumValue { docs, name });
                }
                Rule::item_error => self.item_error(&p, Block::Enum(&name.name), previous_end),
                Rule::block_end => self.missing_brace(&p, name.span, format!("enum `{}`", name.name)),
                _ => {}
            }
        }
        Enum { docs, name, values, span }
    }

    fn type_alias(&mut self, pair: Pair<Rule>) -> TypeAlias {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next(); // kw_type
        let name = self.ident(inner.next().expect("alias name"));
        let target = self.type_ref(inner.next().expect("target type"));
        let (mut shape, mut check) = (None, None);
        for p in inner {
            match p.as_rule() {
                Rule::json_shape => shape = Some(self.json_shape(p)),
                _ => check = p.into_inner().nth(1).map(|e| self.expr_top(e)),
            }
        }
        TypeAlias { docs, name, target, shape, check, span }
    }

    fn json_shape(&mut self, pair: Pair<Rule>) -> JsonShape {
        let span = self.span(&pair);
        let members = pair
            .into_inner()
            .map(|m| {
                let span = self.span(&m);
                let mut inner = m.into_inner();
                let name = self.ident(inner.next().expect("key"));
                let ty = self.type_ref(inner.next().expect("key type"));
                let shape = inner.next().map(|s| self.json_shape(s));
                ShapeMember { name, ty, shape, span }
            })
            .collect();
        JsonShape { members, span }
    }

    fn type_ref(&mut self, pair: Pair<Rule>) -> TypeRef {
        let span = self.span(&pair);
        let mut name = None;
        let mut raw = None;
        let mut args = Vec::new();
        let mut array_dims = 0;
        let mut optional = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::type_name => name = Some(self.ident(p)),
                Rule::raw_type => {
                    let mut inner = p.into_inner();
                    let keyword = inner.next().expect("sql");
                    name = Some(Ident { name: "sql".into(), span: self.span(&keyword) });
                    raw = inner.next().map(|s| self.string_lit(s).value);
                }
                Rule::type_args => {
                    for a in p.into_inner() {
                        args.push(self.integer(&a));
                    }
                }
                Rule::array_dims => array_dims = (p.as_str().len() / 2).min(u8::MAX as usize) as u8,
                Rule::optional => optional = true,
                _ => {}
            }
        }
        let name = name.unwrap_or(Ident { name: String::new(), span });
        TypeRef { name, raw, args, array_dims, optional, span }
    }

    fn integer(&mut self, pair: &Pair<Rule>) -> u64 {
        match pair.as_str().parse() {
            Ok(n) => n,
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::new(codes::E0005, format!("`{}` is too large", pair.as_str()))
                        .at(self.span(pair), "does not fit in 64 bits"),
                );
                0
            }
        }
    }

    fn quantity(&mut self, pair: &Pair<Rule>) -> Quantity {
        let text = pair.as_str();
        let value = quantity_value(text);
        if !value.is_finite() {
            self.diagnostics.push(
                Diagnostic::new(codes::E0005, format!("`{text}` is not a usable number")).at(self.span(pair), "here"),
            );
        }
        Quantity { text: text.to_string(), value }
    }

    fn entity(&mut self, pair: Pair<Rule>) -> Entity {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next(); // kw_entity
        let name = self.ident(inner.next().expect("entity name"));
        let context_name = name.name.clone();
        let members = self.members(inner, Block::Entity(&context_name), name.span, format!("entity `{}`", name.name));
        Entity { docs, name, members, span }
    }

    fn members<'i>(
        &mut self,
        pairs: impl IntoIterator<Item = Pair<'i, Rule>>,
        context: Block,
        opener: Span,
        what: String,
    ) -> Vec<Member> {
        let mut members = Vec::new();
        let mut previous_end = None;
        // A `=` left at the end of a field line: the value that follows on the
        // next line is part of that one mistake, not a second one.
        let mut dangling_default: Option<usize> = None;
        for p in pairs {
            let end = self.span(&p).end as usize;
            let start = p.as_span().start();
            let next_line = |at: usize| self.text.get(at..start).is_some_and(|gap| gap.matches('\n').count() == 1);
            match p.as_rule() {
                Rule::item_error if dangling_default.is_some_and(next_line) => dangling_default = None,
                Rule::item_error => {
                    let dangling = p.as_str().starts_with('=') && self.unbalanced(p.as_str(), 0).is_none();
                    dangling_default = dangling.then_some(end);
                    self.item_error(&p, context, previous_end);
                }
                Rule::block_end => self.missing_brace(&p, opener, what.clone()),
                _ => {
                    dangling_default = None;
                    if let Some(member) = self.member(p) {
                        push_member(self.text, &mut members, member);
                    }
                }
            }
            previous_end = Some(end);
        }
        members
    }

    fn member(&mut self, pair: Pair<Rule>) -> Option<Member> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        Some(match rule {
            Rule::field => Member::Field(self.field(span, inner)),
            Rule::attr_primary => {
                inner.next();
                let name = self.object_name(&mut inner);
                Member::Primary(KeyList { name, columns: self.column_list(inner.next().expect("columns")), span })
            }
            Rule::attr_unique => {
                inner.next();
                let name = self.object_name(&mut inner);
                let columns = self.column_list(inner.next().expect("columns"));
                let predicate = inner.next().map(|w| self.where_clause(w));
                Member::Unique(UniqueAttr { name, columns, predicate, span })
            }
            Rule::attr_index => {
                inner.next();
                let unique = inner.peek().is_some_and(|p| p.as_rule() == Rule::index_unique);
                if unique {
                    inner.next();
                }
                let name = self.object_name(&mut inner);
                let mut index = IndexAttr {
                    unique,
                    name,
                    keys: Vec::new(),
                    include: Vec::new(),
                    predicate: None,
                    method: None,
                    span,
                };
                for p in inner {
                    match p.as_rule() {
                        Rule::index_keys => {
                            for key in p.into_inner() {
                                let mut k = key.into_inner();
                                let expr = self.expr_top(k.next().expect("key"));
                                let mut key = IndexKey { expr, descending: None, nulls_first: None };
                                for option in k {
                                    match option.as_rule() {
                                        Rule::sort_order => key.descending = Some(option.as_str() == "desc"),
                                        Rule::nulls_order => key.nulls_first = Some(option.as_str().ends_with("first")),
                                        _ => {}
                                    }
                                }
                                index.keys.push(key);
                            }
                        }
                        Rule::include_clause => {
                            index.include = self.column_list(p.into_inner().nth(1).expect("columns"))
                        }
                        Rule::where_clause => index.predicate = Some(self.where_clause(p)),
                        Rule::using_clause => index.method = p.into_inner().nth(1).map(|m| self.ident(m)),
                        _ => {}
                    }
                }
                Member::Index(index)
            }
            Rule::attr_check => {
                inner.next();
                let mut name = None;
                let mut expr = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::object_name => name = Some(self.object_name_of(p)),
                        _ => expr = Some(self.expr_top(p)),
                    }
                }
                Member::Check(CheckAttr { name, expr: expr.expect("check expression"), span })
            }
            Rule::attr_search => {
                inner.next();
                let mut search = SearchAttr { columns: Vec::new(), language: None, span };
                for p in inner {
                    match p.as_rule() {
                        Rule::search_column => {
                            let mut c = p.into_inner();
                            let column = self.ident(c.next().expect("column"));
                            let weight = c.nth(1).and_then(|w| w.as_str().chars().next());
                            search.columns.push(SearchColumn { column, weight });
                        }
                        Rule::search_language => search.language = p.into_inner().nth(1).map(|l| self.ident(l)),
                        _ => {}
                    }
                }
                Member::Search(search)
            }
            Rule::attr_partition => {
                inner.next();
                inner.next(); // kw_by
                let kind = match inner.next().expect("kind").as_str() {
                    "range" => PartitionKind::Range,
                    "list" => PartitionKind::List,
                    _ => PartitionKind::Hash,
                };
                let columns = self.column_list(inner.next().expect("columns"));
                let mut scheme = None;
                let mut fixed = Vec::new();
                for part in inner {
                    if part.as_rule() == Rule::partition_list {
                        fixed = part.into_inner().map(|f| self.fixed_partition(f)).collect();
                        continue;
                    }
                    let mut s = part.into_inner();
                    let keyword = s.next().expect("keyword");
                    let count = self.integer(&s.next().expect("count"));
                    scheme = Some(if keyword.as_rule() == Rule::kw_every {
                        PartitionScheme::Every { count, unit: s.next().expect("unit").as_str().to_string() }
                    } else {
                        PartitionScheme::Into(count)
                    });
                }
                Member::Partition(PartitionAttr { kind, columns, scheme, fixed, span })
            }
            Rule::attr_apply => {
                inner.next();
                let patterns = inner.map(|p| self.pattern_use(p)).collect();
                Member::Apply(ApplyAttr { patterns, span })
            }
            Rule::attr_volume => {
                inner.next();
                let rows = self.quantity(&inner.next().expect("rows"));
                inner.next(); // kw_rows
                let growth = match (inner.nth(1), inner.next()) {
                    (Some(q), Some(unit)) => Some((self.quantity(&q), unit.as_str().to_string())),
                    _ => None,
                };
                Member::Volume(VolumeAttr { rows, growth, span })
            }
            Rule::attr_renamed_from => Member::RenamedFrom(self.ident(inner.nth(1).expect("old name"))),
            Rule::attr_table => Member::Table(self.string_lit(inner.nth(1).expect("table name"))),
            Rule::attr_row_security => {
                Member::RowSecurity(inner.nth(1).is_some_and(|level| level.as_rule() == Rule::kw_forced), span)
            }
            Rule::behaviour => {
                inner.next();
                let name = self.ident(inner.next().expect("behaviour name"));
                let args = inner.next().map(|a| a.into_inner().map(|e| self.expr_top(e)).collect());
                Member::Behaviour(Behaviour { name, args, span })
            }
            Rule::relation => Member::Relation(self.relation_parts(span, inner)),
            _ => return None,
        })
    }

    fn field(&mut self, span: Span, mut inner: Pairs<Rule>) -> Field {
        let docs = self.docs(inner.next().expect("docs"));
        let mut head = inner.next().expect("field head").into_inner();
        let name = self.ident(head.next().expect("field name"));
        let ty = self.type_ref(head.next().expect("field type"));
        let mut field = Field { docs, name, ty, default: None, modifiers: Vec::new(), span };
        let default = head.next().and_then(|d| d.into_inner().next());
        let parts = default.into_iter().chain(inner);
        for p in parts {
            match p.as_rule() {
                Rule::default_value => {
                    let value = p.into_inner().next().expect("default");
                    field.default = Some(match value.as_rule() {
                        Rule::identity_default if value.as_str().trim_end().ends_with("always") => {
                            DefaultValue::IdentityAlways(self.span(&value))
                        }
                        Rule::identity_default => DefaultValue::Identity(self.span(&value)),
                        Rule::serial_default => DefaultValue::Serial(self.span(&value)),
                        Rule::generated_default => {
                            DefaultValue::Generated(self.expr_top(value.into_inner().nth(1).expect("expr")))
                        }
                        _ => DefaultValue::Expr(self.expr_top(value)),
                    });
                }
                Rule::modifier => {
                    let m = p.into_inner().next().expect("modifier");
                    let rule = m.as_rule();
                    let mut mi = m.into_inner();
                    let keyword = mi.next().expect("keyword");
                    let mspan = self.span(&keyword);
                    field.modifiers.push(match rule {
                        Rule::mod_primary => Modifier::Primary(mspan),
                        Rule::mod_unique => Modifier::Unique(mspan),
                        Rule::mod_check => Modifier::Check(self.expr_top(mi.next().expect("expr"))),
                        Rule::mod_pii => Modifier::Pii(self.ident(mi.next().expect("mode"))),
                        Rule::mod_renamed_from => Modifier::RenamedFrom(self.ident(mi.next().expect("name"))),
                        Rule::mod_column => Modifier::Column(self.string_lit(mi.next().expect("column name"))),
                        Rule::mod_denormalized => {
                            mi.next();
                            let navigation = self.ident(mi.next().expect("navigation"));
                            Modifier::Denormalized(navigation, self.ident(mi.next().expect("field")))
                        }
                        _ => Modifier::Doc(self.string_lit(mi.next().expect("text"))),
                    });
                }
                _ => {}
            }
        }
        field
    }

    fn column_list(&mut self, pair: Pair<Rule>) -> Vec<Ident> {
        pair.into_inner().map(|p| self.ident(p)).collect()
    }

    fn where_clause(&mut self, pair: Pair<Rule>) -> Expr {
        self.expr_top(pair.into_inner().nth(1).expect("where expression"))
    }

    fn pattern_use(&mut self, pair: Pair<Rule>) -> PatternUse {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(inner.next().expect("pattern name"));
        let args = inner.next().map(|a| {
            a.into_inner()
                .map(|arg| {
                    let mut ai = arg.into_inner();
                    let name = self.ident(ai.next().expect("arg name"));
                    PatternArg { name, value: self.expr_top(ai.next().expect("arg value")) }
                })
                .collect()
        });
        PatternUse { name, args, span }
    }

    fn relation(&mut self, pair: Pair<Rule>) -> Relation {
        let span = self.span(&pair);
        self.relation_parts(span, pair.into_inner())
    }

    fn relation_parts(&mut self, span: Span, mut inner: Pairs<Rule>) -> Relation {
        let docs = self.docs(inner.next().expect("docs"));
        inner.next(); // kw_relation
        let from = self.relation_end(inner.next().expect("from"));
        let cardinality = match inner.next().expect("cardinality").as_str() {
            "->" => Cardinality::ManyToOne,
            "--" => Cardinality::OneToOne,
            _ => Cardinality::ManyToMany,
        };
        let to = self.relation_end(inner.next().expect("to"));
        let mut alternatives = Vec::new();
        let mut body = None;
        for p in inner {
            match p.as_rule() {
                Rule::relation_end => alternatives.push(self.relation_end(p)),
                _ => body = Some(self.relation_body(p, span)),
            }
        }
        Relation { docs, from, cardinality, to, alternatives, body, span }
    }

    fn relation_end(&mut self, pair: Pair<Rule>) -> RelationEnd {
        let mut inner = pair.into_inner();
        let entity = self.ident(inner.next().expect("entity"));
        RelationEnd { entity, field: inner.next().map(|f| self.ident(f)) }
    }

    fn relation_body(&mut self, pair: Pair<Rule>, relation_span: Span) -> Vec<RelationItem> {
        let mut items = Vec::new();
        let mut previous_end = None;
        for p in pair.into_inner() {
            let end = self.span(&p).end as usize;
            let span = self.span(&p);
            match p.as_rule() {
                Rule::rel_required => items.push(RelationItem::Required(span)),
                Rule::rel_columns => {
                    let columns = p.into_inner().nth(1).map(|list| self.column_list(list)).unwrap_or_default();
                    items.push(RelationItem::Columns(columns, span));
                }
                Rule::rel_deferrable => items.push(RelationItem::Deferrable(span)),
                Rule::rel_constraint => {
                    if let Some(name) = p.into_inner().nth(1) {
                        items.push(RelationItem::Constraint(self.object_name_of(name), span));
                    }
                }
                Rule::rel_on_delete | Rule::rel_on_update => {
                    let delete = p.as_rule() == Rule::rel_on_delete;
                    let action = match p.into_inner().nth(2).and_then(|a| a.into_inner().next()).map(|a| a.as_rule()) {
                        Some(Rule::act_cascade) => RefAction::Cascade,
                        Some(Rule::act_restrict) => RefAction::Restrict,
                        Some(Rule::act_set_null) => RefAction::SetNull,
                        Some(Rule::act_set_default) => RefAction::SetDefault,
                        _ => RefAction::NoAction,
                    };
                    items.push(if delete {
                        RelationItem::OnDelete(action, span)
                    } else {
                        RelationItem::OnUpdate(action, span)
                    });
                }
                Rule::rel_through => {
                    let mut t = p.into_inner();
                    t.next();
                    let entity = self.ident(t.next().expect("junction name"));
                    let junction = entity.name.clone();
                    let members = t.next().map(|body| {
                        self.members(
                            body.into_inner(),
                            Block::Through(&junction),
                            entity.span,
                            format!("junction `{junction}`"),
                        )
                    });
                    items.push(RelationItem::Through(Through { entity, members, span }));
                }
                Rule::item_error => self.item_error(&p, Block::Relation, previous_end),
                Rule::block_end => self.missing_brace(&p, relation_span, "relation body".into()),
                _ => {}
            }
            previous_end = Some(end);
        }
        items
    }

    fn pattern(&mut self, pair: Pair<Rule>) -> Pattern {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().peekable();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next(); // kw_pattern
        let name = self.ident(inner.next().expect("pattern name"));
        let params = if inner.peek().map(|p| p.as_rule()) == Some(Rule::pattern_params) {
            let p = inner.next().expect("params");
            Some(
                p.into_inner()
                    .map(|param| {
                        let mut pi = param.into_inner();
                        let name = self.ident(pi.next().expect("param name"));
                        PatternParam { name, default: pi.next().map(|d| self.expr_top(d)) }
                    })
                    .collect(),
            )
        } else {
            None
        };
        let context_name = name.name.clone();
        let members =
            self.members(inner, Block::Pattern(&context_name), name.span, format!("pattern `{context_name}`"));
        Pattern { docs, name, params, members, span }
    }

    fn allow(&mut self, pair: Pair<Rule>) -> Allow {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next();
        let code = self.ident(inner.next().expect("hazard code"));
        let object = self.ident(inner.next().expect("hazard object"));
        Allow { docs, code, object, span }
    }

    fn schema_decl(&mut self, pair: Pair<Rule>) -> SchemaDecl {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        inner.next();
        let name = self.object_name_of(inner.next().expect("schema name"));
        SchemaDecl { name, span }
    }

    fn role(&mut self, pair: Pair<Rule>) -> Role {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next();
        let name = self.ident(inner.next().expect("role name"));
        let mut role = Role { docs, name, inherits: Vec::new(), login: false, span };
        for p in inner {
            match p.as_rule() {
                Rule::ident_list => role.inherits = p.into_inner().map(|i| self.ident(i)).collect(),
                Rule::role_login => role.login = true,
                _ => {}
            }
        }
        role
    }

    fn grant(&mut self, pair: Pair<Rule>) -> Grant {
        let span = self.span(&pair);
        let mut grant =
            Grant { privileges: Vec::new(), on_functions: false, objects: Vec::new(), roles: Vec::new(), span };
        let mut lists = 0;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::privilege => {
                    let pspan = self.span(&p);
                    let mut pi = p.into_inner();
                    let kind = match pi.next().expect("kind").as_str() {
                        "select" => PrivilegeKind::Select,
                        "insert" => PrivilegeKind::Insert,
                        "update" => PrivilegeKind::Update,
                        "delete" => PrivilegeKind::Delete,
                        "references" => PrivilegeKind::References,
                        "truncate" => PrivilegeKind::Truncate,
                        "trigger" => PrivilegeKind::Trigger,
                        "execute" => PrivilegeKind::Execute,
                        _ => PrivilegeKind::All,
                    };
                    let columns = pi.next().map(|c| self.column_list(c));
                    grant.privileges.push(Privilege { kind, columns, span: pspan });
                }
                Rule::grant_on_functions => grant.on_functions = true,
                Rule::ident_list => {
                    let names = p.into_inner().map(|i| self.ident(i)).collect();
                    if lists == 0 {
                        grant.objects = names;
                    } else {
                        grant.roles = names;
                    }
                    lists += 1;
                }
                _ => {}
            }
        }
        grant
    }

    fn policy(&mut self, pair: Pair<Rule>) -> Policy {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next();
        let name = self.object_name_of(inner.next().expect("policy name"));
        inner.next(); // kw_on
        let entities = inner.next().expect("entities").into_inner().map(|i| self.ident(i)).collect();
        let mut items = Vec::new();
        let mut previous_end = None;
        let context_name = name.name.clone();
        for p in inner {
            let end = self.span(&p).end as usize;
            let ispan = self.span(&p);
            match p.as_rule() {
                Rule::policy_to => items.push(PolicyItem::To(
                    p.into_inner().nth(1).expect("roles").into_inner().map(|i| self.ident(i)).collect(),
                    ispan,
                )),
                Rule::policy_for => {
                    let commands = p
                        .into_inner()
                        .skip(1)
                        .map(|c| match c.as_str() {
                            "select" => PolicyCommand::Select,
                            "insert" => PolicyCommand::Insert,
                            "update" => PolicyCommand::Update,
                            "delete" => PolicyCommand::Delete,
                            _ => PolicyCommand::All,
                        })
                        .collect();
                    items.push(PolicyItem::For(commands, ispan));
                }
                Rule::policy_using => {
                    items.push(PolicyItem::Using(self.expr_top(p.into_inner().nth(1).expect("expr")), ispan))
                }
                Rule::policy_check => {
                    items.push(PolicyItem::Check(self.expr_top(p.into_inner().nth(1).expect("expr")), ispan))
                }
                Rule::policy_mode => items.push(PolicyItem::Restrictive(p.as_str() == "restrictive", ispan)),
                Rule::item_error => self.item_error(&p, Block::Policy(&context_name), previous_end),
                Rule::block_end => self.missing_brace(&p, name.span, format!("policy `{}`", name.name)),
                _ => {}
            }
            previous_end = Some(end);
        }
        Policy { docs, name, entities, items, span }
    }

    fn context(&mut self, pair: Pair<Rule>) -> Context {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next();
        let members = self.members(inner, Block::Context, span, "context block".into());
        let mut fields = Vec::new();
        for member in members {
            match member {
                Member::Field(f) => fields.push(f),
                other => self.diagnostics.push(
                    Diagnostic::new(codes::E0111, "a context block holds values only: `name type`")
                        .at(other.span(), "not a context value")
                        .help("context values cannot have checks or other attributes"),
                ),
            }
        }
        Context { docs, fields, span }
    }

    fn workload(&mut self, pair: Pair<Rule>) -> Workload {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().peekable();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next();
        let name = if inner.peek().map(|p| p.as_rule()) == Some(Rule::ident) {
            inner.next().map(|n| self.ident(n))
        } else {
            None
        };
        let mut queries = Vec::new();
        let mut previous_end = None;
        for p in inner {
            let end = self.span(&p).end as usize;
            match p.as_rule() {
                Rule::query => queries.push(self.query(p)),
                Rule::item_error => self.item_error(&p, Block::Workload, previous_end),
                Rule::block_end => self.missing_brace(&p, span, "workload".into()),
                _ => {}
            }
            previous_end = Some(end);
        }
        Workload { docs, name, queries, span }
    }

    fn query(&mut self, pair: Pair<Rule>) -> Query {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next();
        let name = self.ident(inner.next().expect("query name"));
        let entity = self.ident(inner.next().expect("query entity"));
        let mut query = Query {
            docs,
            name,
            entity,
            joins: Vec::new(),
            filter: None,
            select: None,
            order_by: Vec::new(),
            limit: None,
            rate: None,
            span,
        };
        for p in inner {
            match p.as_rule() {
                Rule::where_clause => query.filter = Some(self.where_clause(p)),
                Rule::select_clause => {
                    query.select = p.into_inner().nth(1).map(|list| self.column_list(list));
                }
                Rule::join_clause => {
                    query.joins = p.into_inner().skip(1).map(|n| self.ident(n)).collect();
                }
                Rule::order_clause => {
                    for key in p.into_inner().filter(|k| k.as_rule() == Rule::order_key) {
                        let mut k = key.into_inner();
                        let expr = self.expr_top(k.next().expect("key"));
                        let descending = k.next().map(|o| o.as_str() == "desc");
                        query.order_by.push(OrderKey { expr, descending });
                    }
                }
                Rule::limit_clause => query.limit = p.into_inner().nth(1).map(|n| self.integer(&n)),
                Rule::rate_clause => {
                    let mut r = p.into_inner();
                    r.next();
                    let q = self.quantity(&r.next().expect("rate"));
                    query.rate = Some((q, r.next().expect("unit").as_str().to_string()));
                }
                _ => {}
            }
        }
        query
    }

    fn view(&mut self, pair: Pair<Rule>) -> View {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        let materialized = inner.next().expect("kind").as_str().starts_with("materialized");
        let name = self.ident(inner.next().expect("view name"));
        let mut body = inner.next().expect("view body");
        let security_definer = body.as_rule() == Rule::view_security;
        if security_definer {
            body = inner.next().expect("view body");
        }
        let definition = if body.as_rule() == Rule::view_query {
            let mut entity = None;
            let mut filter = None;
            let mut columns = None;
            for p in body.into_inner() {
                match p.as_rule() {
                    Rule::ident => entity = Some(self.ident(p)),
                    Rule::where_clause => filter = Some(self.where_clause(p)),
                    Rule::column_list => columns = Some(self.column_list(p)),
                    _ => {}
                }
            }
            ViewDefinition::Query { entity: entity.expect("view entity"), filter, columns }
        } else {
            let mut bodies = Vec::new();
            let mut previous_end = None;
            let view_name = name.name.clone();
            for p in body.into_inner() {
                let end = self.span(&p).end as usize;
                match p.as_rule() {
                    Rule::view_sql => {
                        let mut s = p.into_inner();
                        s.next();
                        let backend = self.ident(s.next().expect("backend"));
                        bodies.push((backend, self.string_lit(s.next().expect("sql"))));
                    }
                    Rule::item_error => self.item_error(&p, Block::View(&view_name), previous_end),
                    Rule::block_end => self.missing_brace(&p, name.span, format!("view `{view_name}`")),
                    _ => {}
                }
                previous_end = Some(end);
            }
            ViewDefinition::Sql(bodies)
        };
        View { docs, materialized, name, security_definer, definition, span }
    }

    fn function(&mut self, pair: Pair<Rule>) -> Function {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next();
        let name = self.ident(inner.next().expect("function name"));
        let mut params = Vec::new();
        let mut returns = None;
        let mut language = None;
        let (mut volatility, mut security_definer, mut search_path) = (None, false, None);
        let mut strict = false;
        let mut bodies = Vec::new();
        let mut previous_end = None;
        let function_name = name.name.clone();
        for p in inner {
            let end = self.span(&p).end as usize;
            match p.as_rule() {
                Rule::function_param => {
                    let mut pi = p.into_inner().peekable();
                    let param = match pi.peek().map(|n| n.as_rule()) {
                        Some(Rule::ident) => Some(self.ident(pi.next().expect("param name"))),
                        _ => None,
                    };
                    let ty = self.type_ref(pi.next().expect("param type"));
                    params.push((param, ty, pi.next().map(|e| self.expr_top(e))));
                }
                Rule::type_ref => returns = Some(self.type_ref(p)),
                Rule::ident => language = Some(self.ident(p)),
                Rule::function_option => {
                    let option = p.into_inner().next().expect("option");
                    match option.as_rule() {
                        Rule::fn_volatility => {
                            let span = self.span(&option);
                            volatility = Some(Ident { name: option.as_str().to_string(), span });
                        }
                        Rule::fn_security => security_definer = true,
                        Rule::fn_strict => strict = true,
                        _ => search_path = option.into_inner().nth(1).map(|s| self.string_lit(s)),
                    }
                }
                Rule::function_sql => {
                    let mut parts: Vec<Pair<Rule>> = p.into_inner().skip(1).collect();
                    let body = self.string_lit(parts.pop().expect("body"));
                    bodies.push((parts.pop().map(|b| self.ident(b)), body));
                }
                Rule::item_error => self.item_error(&p, Block::Function(&function_name), previous_end),
                Rule::block_end => self.missing_brace(&p, name.span, format!("function `{function_name}`")),
                _ => {}
            }
            previous_end = Some(end);
        }
        let returns = returns.expect("return type");
        let language = language.expect("language");
        Function {
            docs,
            name,
            params,
            returns,
            language,
            volatility,
            strict,
            security_definer,
            search_path,
            bodies,
            span,
        }
    }

    fn trigger(&mut self, pair: Pair<Rule>) -> Trigger {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next();
        let name = self.ident(inner.next().expect("trigger name"));
        inner.next(); // on
        let entity = self.ident(inner.next().expect("entity"));
        let mut timing = TriggerTiming::Before;
        let mut events = Vec::new();
        let mut for_each_row = None;
        let mut function = None;
        let mut arguments = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::trigger_timing => {
                    timing = match p.as_str() {
                        "before" => TriggerTiming::Before,
                        "after" => TriggerTiming::After,
                        _ => TriggerTiming::InsteadOf,
                    }
                }
                Rule::trigger_event => events.push(match p.as_str() {
                    "insert" => TriggerEvent::Insert,
                    "update" => TriggerEvent::Update,
                    _ => TriggerEvent::Delete,
                }),
                Rule::trigger_level => for_each_row = Some(p.as_str().ends_with("row")),
                Rule::ident => function = Some(self.ident(p)),
                Rule::trigger_args => arguments = p.into_inner().map(|s| self.string_lit(s)).collect(),
                _ => {}
            }
        }
        let function = function.expect("trigger function");
        Trigger { docs, name, entity, timing, events, for_each_row, function, arguments, span }
    }

    fn revoke(&mut self, pair: Pair<Rule>) -> Revoke {
        let span = self.span(&pair);
        let (mut functions, mut role) = (Vec::new(), None);
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident_list => functions = p.into_inner().map(|i| self.ident(i)).collect(),
                Rule::ident => role = Some(self.ident(p)),
                _ => {}
            }
        }
        Revoke { functions, role: role.expect("role"), span }
    }

    fn aggregate(&mut self, pair: Pair<Rule>) -> Aggregate {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let docs = self.docs(inner.next().expect("docs"));
        inner.next();
        let name = self.ident(inner.next().expect("aggregate name"));
        let mut types = Vec::new();
        let (mut step, mut final_function, mut initial) = (None, None, None);
        for p in inner {
            match p.as_rule() {
                Rule::type_ref => types.push(self.type_ref(p)),
                Rule::ident => step = Some(self.ident(p)),
                Rule::aggregate_final => final_function = p.into_inner().nth(1).map(|f| self.ident(f)),
                Rule::aggregate_initial => initial = p.into_inner().nth(1).map(|s| self.string_lit(s)),
                _ => {}
            }
        }
        let state = types.pop().expect("state type");
        let step = step.expect("step function");
        Aggregate { docs, name, params: types, state, step, final_function, initial, span }
    }

    fn fixed_partition(&mut self, pair: Pair<Rule>) -> FixedPartition {
        let mut inner = pair.into_inner();
        let name = self.object_name_of(inner.next().expect("partition name"));
        let bound = inner.next().expect("bound");
        let bound = match bound.as_rule() {
            Rule::bound_range => {
                let mut values = bound.into_inner().filter(|v| v.as_rule() == Rule::bound_value);
                let from = self.bound_value(values.next().expect("from"));
                let to = self.bound_value(values.next().expect("to"));
                FixedBound::Range { from, to }
            }
            Rule::bound_in => FixedBound::In(
                bound.into_inner().filter(|v| v.as_rule() == Rule::bound_value).map(|v| self.bound_value(v)).collect(),
            ),
            Rule::bound_hash => {
                let numbers: Vec<u64> =
                    bound.into_inner().filter(|n| n.as_rule() == Rule::int_lit).map(|n| self.integer(&n)).collect();
                FixedBound::Hash { modulus: numbers[0], remainder: numbers[1] }
            }
            _ => FixedBound::Default,
        };
        FixedPartition { name, bound }
    }

    fn bound_value(&mut self, pair: Pair<Rule>) -> BoundValue {
        let value = pair.into_inner().next().expect("value");
        match value.as_rule() {
            Rule::string_lit => BoundValue::String(self.string_lit(value).value),
            _ => BoundValue::Number(value.as_str().to_string()),
        }
    }

    fn string_lit(&mut self, pair: Pair<Rule>) -> StringLit {
        let span = self.span(&pair);
        let quoted = pair.as_str();
        let body = pair.into_inner().next().map_or("", |b| b.as_str());
        let value = if quoted.starts_with('\'') { body.replace("''", "'") } else { lexical::unescape_double(body) };
        StringLit { value, span }
    }

    fn call_args(&mut self, pair: Pair<Rule>) -> Vec<Expr> {
        pair.into_inner().map(|e| self.expr_in(e)).collect()
    }

    // ------------------------------------------------------------ expressions

    /// Converts a top-level expression, with a fresh node budget.
    fn expr_top(&mut self, pair: Pair<Rule>) -> Expr {
        self.budget = MAX_EXPRESSION_NODES;
        self.budget_reported = false;
        self.expr_in(pair)
    }

    /// Converts an `expr` pair (or any primary) inside the current budget.
    fn expr_in(&mut self, pair: Pair<Rule>) -> Expr {
        let span = self.span(&pair);
        if pair.as_rule() != Rule::expr {
            return self.primary(pair);
        }
        let tokens = pair.clone().into_inner().count();
        if tokens > self.budget {
            self.budget = 0;
            if !self.budget_reported {
                self.budget_reported = true;
                self.diagnostics.push(
                    Diagnostic::new(codes::E0004, format!("expression has more than {MAX_EXPRESSION_NODES} parts"))
                        .at(
                            Span::new(
                                span.file,
                                span.start as usize,
                                span.start as usize + first_line(pair.as_str()).len(),
                            ),
                            "this expression",
                        )
                        .help("split it into several checks or policies"),
                );
            }
            return Expr { kind: ExprKind::Null, span };
        }
        self.budget -= tokens;
        let this = std::cell::RefCell::new(self);
        let result = pratt()
            .map_primary(|p| this.borrow_mut().primary(p))
            .map_prefix(|op, rhs| {
                let s = this.borrow().span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::op_not { UnaryOp::Not } else { UnaryOp::Neg };
                Expr { kind: ExprKind::Unary(op, Box::new(rhs)), span: s }
            })
            .map_postfix(|lhs, op| this.borrow_mut().postfix(lhs, op))
            .map_infix(|lhs, op, rhs| {
                let s = lhs.span.to(rhs.span);
                Expr { kind: ExprKind::Binary(binary_op(op.as_rule()), Box::new(lhs), Box::new(rhs)), span: s }
            })
            .parse(pair.into_inner());
        result
    }

    fn postfix(&mut self, lhs: Expr, op: Pair<Rule>) -> Expr {
        let span = lhs.span.to(self.span(&op));
        let rule = op.as_rule();
        let kind = match rule {
            Rule::op_is_null | Rule::op_is_not_null => {
                ExprKind::IsNull { expr: Box::new(lhs), negated: rule == Rule::op_is_not_null }
            }
            Rule::op_in | Rule::op_not_in => {
                let list = op.into_inner().filter(|p| p.as_rule() == Rule::expr).map(|e| self.expr_in(e)).collect();
                ExprKind::InList { expr: Box::new(lhs), list, negated: rule == Rule::op_not_in }
            }
            _ => {
                let mut bounds = op.into_inner().filter(|p| p.as_rule() == Rule::bound).map(|b| self.bound(b));
                let low = bounds.next().expect("low bound");
                let high = bounds.next().expect("high bound");
                ExprKind::Between {
                    expr: Box::new(lhs),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated: rule == Rule::op_not_between,
                }
            }
        };
        Expr { kind, span }
    }

    fn bound(&mut self, pair: Pair<Rule>) -> Expr {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().peekable();
        let negated = inner.peek().map(|p| p.as_rule()) == Some(Rule::op_neg);
        if negated {
            inner.next();
        }
        let value = self.primary(inner.next().expect("bound value"));
        if negated {
            Expr { kind: ExprKind::Unary(UnaryOp::Neg, Box::new(value)), span }
        } else {
            value
        }
    }

    fn primary(&mut self, pair: Pair<Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::int_lit => ExprKind::Int(pair.as_str().to_string()),
            Rule::decimal_lit => ExprKind::Decimal(pair.as_str().to_string()),
            Rule::string_lit => ExprKind::String(self.string_lit(pair).value),
            Rule::lit_true => ExprKind::Bool(true),
            Rule::lit_false => ExprKind::Bool(false),
            Rule::lit_null => ExprKind::Null,
            Rule::param => ExprKind::Param(pair.as_str()[1..].to_string()),
            Rule::path => ExprKind::Path(pair.into_inner().map(|i| self.ident(i)).collect()),
            Rule::call => {
                let mut inner = pair.into_inner();
                let name = self.ident(inner.next().expect("function"));
                ExprKind::Call(name, self.call_args(inner.next().expect("args")))
            }
            Rule::paren => ExprKind::Paren(Box::new(self.expr_in(pair.into_inner().next().expect("inner")))),
            Rule::array_lit => ExprKind::Array(pair.into_inner().map(|e| self.expr_in(e)).collect()),
            Rule::object_lit => ExprKind::Object(
                pair.into_inner()
                    .map(|m| {
                        let mut mi = m.into_inner();
                        let key = self.string_lit(mi.next().expect("key"));
                        (key, self.expr_in(mi.next().expect("value")))
                    })
                    .collect(),
            ),
            Rule::expr => return self.expr_in(pair),
            _ => ExprKind::Null,
        };
        Expr { kind, span }
    }
}

/// The value of a `quantity` as written (`2M` is 2,000,000); not finite
/// when it is too large to use (E0005).
pub(super) fn quantity_value(text: &str) -> f64 {
    let (digits, factor) = match text.chars().last() {
        Some('k' | 'K') => (&text[..text.len() - 1], 1e3),
        Some('M') => (&text[..text.len() - 1], 1e6),
        Some('B') => (&text[..text.len() - 1], 1e9),
        _ => (text, 1.0),
    };
    digits.parse::<f64>().map(|v| v * factor).unwrap_or(0.0)
}

/// Adds a member; a field's `check (…)` or `renamed_from` written on a later
/// line than the field is an entity attribute, not the field's modifier.
pub(super) fn push_member(text: &str, members: &mut Vec<Member>, member: Member) {
    let Member::Field(mut field) = member else {
        members.push(member);
        return;
    };
    let field_start = field.name.span.start as usize;
    let mut detached = Vec::new();
    field.modifiers.retain(|m| {
        let (start, member) = match m {
            Modifier::Check(e) => {
                (e.span.start, Member::Check(CheckAttr { name: None, expr: e.clone(), span: e.span }))
            }
            Modifier::RenamedFrom(i) => (i.span.start, Member::RenamedFrom(i.clone())),
            _ => return true,
        };
        if !text[field_start..start as usize].contains('\n') {
            return true;
        }
        detached.push(member);
        false
    });
    if !detached.is_empty() {
        field.span = field
            .modifiers
            .iter()
            .fold(field.default.as_ref().map_or(field.ty.span, default_span).to(field.ty.span), |s, m| {
                s.to(modifier_span(m))
            });
        field.span.start = field.name.span.start.min(field.span.start);
    }
    members.push(Member::Field(field));
    members.extend(detached);
}

fn default_span(default: &DefaultValue) -> Span {
    match default {
        DefaultValue::Expr(e) | DefaultValue::Generated(e) => e.span,
        DefaultValue::Identity(s) | DefaultValue::IdentityAlways(s) | DefaultValue::Serial(s) => *s,
    }
}

fn modifier_span(modifier: &Modifier) -> Span {
    match modifier {
        Modifier::Primary(s) | Modifier::Unique(s) => *s,
        Modifier::Check(e) => e.span,
        Modifier::Pii(i) | Modifier::RenamedFrom(i) => i.span,
        Modifier::Denormalized(navigation, field) => navigation.span.to(field.span),
        Modifier::Column(name) => name.span,
        Modifier::Doc(d) => d.span,
    }
}

fn binary_op(rule: Rule) -> BinaryOp {
    match rule {
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_eq => BinaryOp::Eq,
        Rule::op_ne => BinaryOp::Ne,
        Rule::op_lt => BinaryOp::Lt,
        Rule::op_le => BinaryOp::Le,
        Rule::op_gt => BinaryOp::Gt,
        Rule::op_ge => BinaryOp::Ge,
        Rule::op_match => BinaryOp::Match,
        Rule::op_like => BinaryOp::Like,
        Rule::op_ilike => BinaryOp::ILike,
        Rule::op_concat => BinaryOp::Concat,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        _ => BinaryOp::Rem,
    }
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: std::sync::OnceLock<PrattParser<Rule>> = std::sync::OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left)
                | Op::infix(Rule::op_match, Assoc::Left)
                | Op::infix(Rule::op_like, Assoc::Left)
                | Op::infix(Rule::op_ilike, Assoc::Left)
                | Op::postfix(Rule::op_is_null)
                | Op::postfix(Rule::op_is_not_null)
                | Op::postfix(Rule::op_in)
                | Op::postfix(Rule::op_not_in)
                | Op::postfix(Rule::op_between)
                | Op::postfix(Rule::op_not_between))
            .op(Op::infix(Rule::op_concat, Assoc::Left))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left)
                | Op::infix(Rule::op_div, Assoc::Left)
                | Op::infix(Rule::op_rem, Assoc::Left))
            .op(Op::prefix(Rule::op_neg))
    })
}

/// Friendly names for what pest expected at a failure.
fn describe_expected(rules: &[Rule], tokens: &[String]) -> String {
    let mut names: Vec<&str> = rules
        .iter()
        .map(|r| match r {
            Rule::ident => "a name",
            Rule::type_name => "a type",
            Rule::type_ref => "a type",
            Rule::expr | Rule::default_value => "an expression",
            Rule::int_lit | Rule::quantity => "a number",
            Rule::string_lit => "a string",
            Rule::column_list | Rule::index_keys => "`(` and a column list",
            Rule::cardinality => "`->`, `--` or `<->`",
            Rule::ref_action => "cascade, restrict, set null, set default or no action",
            Rule::partition_kind => "range, list or hash",
            Rule::time_unit => "a time unit (day, month, …)",
            Rule::rate_unit => "a rate unit (s, min, h, day)",
            Rule::privilege_kind | Rule::privilege => "a privilege (select, insert, update, delete, …)",
            Rule::policy_command => "select, insert, update, delete or all",
            Rule::modifier => "a field modifier",
            Rule::block_end => "`}`",
            Rule::EOI => "the end of the line",
            _ => "",
        })
        .filter(|n| !n.is_empty())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        let noise = ["`////`", "`//`", "`_`"];
        let mut useful: Vec<&str> = tokens
            .iter()
            .map(String::as_str)
            .filter(|t| {
                !t.trim_matches('`').trim().is_empty()
                    && !noise.contains(t)
                    && !t.contains('\u{feff}')
                    && !t.contains("..")
            })
            .collect();
        useful.sort_unstable();
        useful.dedup();
        // Closing brackets and separators first: they are what is usually missing.
        useful.sort_by_key(|t| !matches!(*t, "`)`" | "`,`" | "`}`" | "`]`"));
        names = useful.into_iter().take(6).collect();
    }
    match names.len() {
        0 => "unexpected text here".into(),
        1 => format!("expected {}", names[0]),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("expected {} or {}", names.join(", "), last)
        }
    }
}

/// Whether the text after `primary` / `unique` is an entity-level key
/// (`(a, b)` or `name (a, b)`) rather than the rest of a field line.
fn names_a_key(rest: &str) -> bool {
    let rest = rest.trim_start();
    if rest.starts_with('(') {
        return true;
    }
    let name_end = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.find('"').map(|i| i + 2)
    } else {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
    };
    name_end.is_some_and(|end| end > 0 && rest[end..].trim_start().starts_with('('))
}
