//! Parses the tokens of one Prisma schema file into the [`ast`] tree.
//!
//! Recursive descent over lines, as Prisma's grammar is: a block's members
//! are one per line, and an attribute's arguments stay on its line. A bad member line is reported (E1000, saying what was
//! expected and what was found) and skipped; text outside any block is
//! skipped up to the next line that starts a block; a block left open is
//! reported at its `{` when the next block starts. So one mistake costs one
//! line, and one run reports every mistake it can. Parsing never interprets
//! attributes (lowering does) and never panics, whatever the input.

use std::collections::BTreeSet;

use super::ast::*;
use super::lexer::{tokenize, Token, TokenKind};
use crate::diagnostics::{codes, Diagnostic, FileId, Span};

/// Lists and calls nested deeper than this are refused, so that no input
/// can exhaust the stack.
const MAX_NESTING: usize = 32;

const BLOCK_KEYWORDS: [&str; 6] = ["model", "enum", "datasource", "generator", "view", "type"];

/// The blocks of one file and what was wrong with it.
pub fn parse(file: FileId, text: &str) -> (Vec<Block>, Vec<Diagnostic>) {
    let (tokens, diagnostics) = tokenize(file, text);
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let mut parser = Parser { tokens, pos: 0, diagnostics, depth: 0, line_starts, error_lines: BTreeSet::new() };
    let lexed: Vec<usize> =
        parser.diagnostics.iter().filter_map(|d| d.primary_span()).map(|s| parser.line(s.start as usize)).collect();
    parser.error_lines.extend(lexed);
    let blocks = parser.schema();
    (blocks, parser.diagnostics)
}

/// A syntax error already reported; the caller recovers.
struct Reported;

type Parsed<T> = Result<T, Reported>;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    diagnostics: Vec<Diagnostic>,
    depth: usize,
    line_starts: Vec<usize>,
    /// Lines with an error already: a second one there is a consequence of
    /// the first (an unterminated string, then a missing `)`), not news.
    error_lines: BTreeSet<usize>,
}

impl Parser {
    fn peek(&self) -> &TokenKind {
        &self.token(0).kind
    }

    fn token(&self, ahead: usize) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + ahead).min(last)]
    }

    fn span(&self) -> Span {
        self.token(0).span
    }

    /// The span of the token before the current one (the end of what was read).
    fn previous_span(&self) -> Span {
        self.tokens[self.pos.saturating_sub(1).min(self.tokens.len() - 1)].span
    }

    fn bump(&mut self) -> Token {
        let token = self.token(0).clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.peek() == kind
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        let found = self.at(kind);
        if found {
            self.bump();
        }
        found
    }

    fn skip_newlines(&mut self) {
        while self.at(&TokenKind::Newline) {
            self.bump();
        }
    }

    /// The 0-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset).saturating_sub(1)
    }

    fn error(&mut self, expected: &str) -> Reported {
        let found = self.peek().describe();
        let span = self.span();
        if !self.error_lines.insert(self.line(span.start as usize)) {
            return Reported;
        }
        self.diagnostics.push(
            Diagnostic::new(codes::E1000, format!("expected {expected}, found {found}"))
                .at(span, format!("expected {expected}")),
        );
        Reported
    }

    fn expect(&mut self, kind: TokenKind, expected: &str) -> Parsed<Span> {
        if self.at(&kind) {
            Ok(self.bump().span)
        } else {
            Err(self.error(expected))
        }
    }

    fn ident(&mut self, expected: &str) -> Parsed<Ident> {
        match self.peek().clone() {
            TokenKind::Ident(text) => Ok(Ident { text, span: self.bump().span }),
            _ => Err(self.error(expected)),
        }
    }

    /// Skips the rest of a bad line (up to, not including, a `}` on it).
    fn skip_line(&mut self) {
        while !matches!(self.peek(), TokenKind::Newline | TokenKind::RBrace | TokenKind::Eof) {
            self.bump();
        }
    }

    /// Whether a new block starts here (`model Name {`): inside a block
    /// that was never closed, this is where it should have ended.
    fn at_block_start(&self) -> bool {
        let keyword = matches!(&self.token(0).kind, TokenKind::Ident(k) if BLOCK_KEYWORDS.contains(&k.as_str()));
        keyword && matches!(self.token(1).kind, TokenKind::Ident(_)) && self.token(2).kind == TokenKind::LBrace
    }

    /// Whether the current token is the first of its line.
    fn at_line_start(&self) -> bool {
        self.pos == 0 || self.tokens[self.pos - 1].kind == TokenKind::Newline
    }

    fn schema(&mut self) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut doc = Vec::new();
        loop {
            self.skip_newlines();
            match self.peek().clone() {
                TokenKind::Eof => break,
                TokenKind::Doc(text) => {
                    self.bump();
                    doc.push(text);
                }
                TokenKind::Ident(keyword) if BLOCK_KEYWORDS.contains(&keyword.as_str()) => {
                    let docs = std::mem::take(&mut doc);
                    match self.block(&keyword, docs) {
                        Ok(block) => blocks.push(block),
                        Err(Reported) => self.recover_to_block(),
                    }
                }
                _ => {
                    self.error("a block: `model`, `enum`, `datasource`, `generator`, `view` or `type`");
                    doc.clear();
                    self.recover_to_block();
                }
            }
        }
        blocks
    }

    /// Skips to the next line that starts with a block keyword.
    fn recover_to_block(&mut self) {
        loop {
            self.bump();
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Ident(k) if BLOCK_KEYWORDS.contains(&k.as_str()) && self.at_line_start() => return,
                TokenKind::Doc(_) if self.at_line_start() => return,
                _ => {}
            }
        }
    }

    fn block(&mut self, keyword: &str, doc: Vec<String>) -> Parsed<Block> {
        let keyword_token = self.bump();
        let keyword = Ident { text: keyword.to_string(), span: keyword_token.span };
        let name = self.ident(&format!("the name of the {}", keyword.text))?;
        let open = self.expect(TokenKind::LBrace, &format!("`{{` to open `{}`", name.text))?;
        let span = keyword.span.to(name.span);
        match keyword.text.as_str() {
            "enum" => self.enum_body(name, doc, open).map(Block::Enum),
            "datasource" | "generator" => self.config_body(keyword, name, span, open).map(Block::Config),
            kind => {
                let kind = match kind {
                    "view" => ModelKind::View,
                    "type" => ModelKind::Composite,
                    _ => ModelKind::Model,
                };
                self.model_body(kind, name, doc, span, open).map(Block::Model)
            }
        }
    }

    /// Whether the block ends here: at its `}` (consumed), or unclosed
    /// (reported; the block keeps what it had, its members are still worth
    /// checking).
    fn block_end(&mut self, name: &Ident, open: Span) -> bool {
        if self.eat(&TokenKind::RBrace) {
            return true;
        }
        if self.at(&TokenKind::Eof) || (self.at_line_start() && self.at_block_start()) {
            let here = self.span();
            self.diagnostics.push(
                Diagnostic::new(codes::E1000, format!("`{}` is not closed", name.text))
                    .at(open, "this `{` has no matching `}`")
                    .also(here, "expected `}` before this")
                    .help("add `}` on a line of its own after the block's last member"),
            );
            return true;
        }
        false
    }

    fn model_body(&mut self, kind: ModelKind, name: Ident, doc: Vec<String>, span: Span, open: Span) -> Parsed<Model> {
        let mut model = Model { kind, name, fields: Vec::new(), attributes: Vec::new(), doc, span };
        let mut doc = Vec::new();
        loop {
            self.skip_newlines();
            if self.block_end(&model.name, open) {
                return Ok(model);
            }
            match self.peek().clone() {
                TokenKind::Doc(text) => {
                    self.bump();
                    doc.push(text);
                }
                TokenKind::AtAt => {
                    doc.clear();
                    match self.attribute(true).and_then(|a| self.line_end().map(|_| a)) {
                        Ok(attribute) => model.attributes.push(attribute),
                        Err(Reported) => self.skip_line(),
                    }
                }
                TokenKind::Ident(_) => {
                    let docs = std::mem::take(&mut doc);
                    match self.field(docs) {
                        Ok(field) => model.fields.push(field),
                        Err(Reported) => self.skip_line(),
                    }
                }
                _ => {
                    self.error("a field or a `@@` attribute");
                    doc.clear();
                    self.bump();
                    self.skip_line();
                }
            }
        }
    }

    /// The end of a member line: a newline, or the block's `}` right after.
    /// A trailing `///` comment is returned.
    fn line_end(&mut self) -> Parsed<Option<String>> {
        let trailing = match self.peek().clone() {
            TokenKind::Doc(text) => {
                self.bump();
                Some(text)
            }
            _ => None,
        };
        match self.peek() {
            TokenKind::Newline | TokenKind::RBrace | TokenKind::Eof => Ok(trailing),
            _ => Err(self.error("an attribute or the end of the line")),
        }
    }

    fn field(&mut self, mut doc: Vec<String>) -> Parsed<Field> {
        let name = self.ident("a field name")?;
        let ty = self.field_type(&name)?;
        let mut attributes = Vec::new();
        while self.at(&TokenKind::At) {
            attributes.push(self.attribute(false)?);
        }
        doc.extend(self.line_end()?);
        let span = name.span.to(self.previous_span());
        Ok(Field { name, ty, attributes, doc, span })
    }

    fn field_type(&mut self, field: &Ident) -> Parsed<FieldType> {
        if matches!(self.peek(), TokenKind::Newline | TokenKind::RBrace | TokenKind::Eof) {
            return Err(self.error(&format!("the type of `{}`", field.text)));
        }
        let name = self.ident(&format!("the type of `{}`", field.text))?;
        let mut unsupported = None;
        if name.text == "Unsupported" {
            self.expect(TokenKind::LParen, "`(` and the database type: `Unsupported(\"…\")`")?;
            match self.peek().clone() {
                TokenKind::Str(text) => {
                    self.bump();
                    unsupported = Some(text);
                }
                _ => return Err(self.error("the database type as a string")),
            }
            self.expect(TokenKind::RParen, "`)`")?;
        }
        let arity = if self.eat(&TokenKind::Question) {
            Arity::Optional
        } else if self.at(&TokenKind::LBracket) {
            self.bump();
            self.expect(TokenKind::RBracket, "`]` (a list type is written `Type[]`)")?;
            if self.at(&TokenKind::Question) {
                let span = self.span();
                self.diagnostics.push(
                    Diagnostic::new(codes::E1000, "a list cannot be optional")
                        .at(span, "remove this `?`")
                        .help("an empty list stands for no values"),
                );
                self.bump();
            }
            Arity::List
        } else {
            Arity::Required
        };
        Ok(FieldType { name, unsupported, arity })
    }

    /// `@name(args)` or, with `block`, `@@name(args)`.
    fn attribute(&mut self, block: bool) -> Parsed<Attribute> {
        let at = self.bump().span;
        let expected = if block { "an attribute name after `@@`" } else { "an attribute name after `@`" };
        let first = self.ident(expected)?;
        let mut text = first.text;
        let mut end = first.span;
        while self.at(&TokenKind::Dot) {
            self.bump();
            let part = self.ident("a name after `.`")?;
            text.push('.');
            text.push_str(&part.text);
            end = part.span;
        }
        let name = Ident { text, span: at.to(end) };
        let args = if self.at(&TokenKind::LParen) { self.arguments()? } else { Vec::new() };
        let span = at.to(self.previous_span());
        Ok(Attribute { name, block, args, span })
    }

    /// `( [name:] value, … )` on one line, a trailing comma allowed.
    fn arguments(&mut self) -> Parsed<Vec<Argument>> {
        self.bump();
        let mut args = Vec::new();
        while !self.at(&TokenKind::RParen) {
            args.push(self.argument()?);
            if !self.eat(&TokenKind::Comma) && !self.at(&TokenKind::RParen) {
                return Err(self.error("`,` or `)`"));
            }
        }
        self.bump();
        Ok(args)
    }

    fn argument(&mut self) -> Parsed<Argument> {
        let start = self.span();
        let name = match (self.peek(), &self.token(1).kind) {
            (TokenKind::Ident(_), TokenKind::Colon) => {
                let name = self.ident("an argument name")?;
                self.bump();
                Some(name)
            }
            _ => None,
        };
        let value = self.value()?;
        Ok(Argument { name, span: start.to(value.span()), value })
    }

    fn value(&mut self) -> Parsed<Value> {
        if self.depth >= MAX_NESTING {
            let span = self.span();
            self.diagnostics.push(
                Diagnostic::new(codes::E1000, format!("values nested more than {MAX_NESTING} levels deep"))
                    .at(span, "too deep"),
            );
            return Err(Reported);
        }
        self.depth += 1;
        let value = self.value_inner();
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self) -> Parsed<Value> {
        match self.peek().clone() {
            TokenKind::Str(value) => Ok(Value::String { value, span: self.bump().span }),
            TokenKind::Number(text) => Ok(Value::Number { text, span: self.bump().span }),
            TokenKind::LBracket => {
                let open = self.bump().span;
                let mut items = Vec::new();
                while !self.at(&TokenKind::RBracket) {
                    items.push(self.value()?);
                    if !self.eat(&TokenKind::Comma) && !self.at(&TokenKind::RBracket) {
                        return Err(self.error("`,` or `]`"));
                    }
                }
                let close = self.bump().span;
                Ok(Value::Array { items, span: open.to(close) })
            }
            TokenKind::Ident(_) => {
                let mut name = self.ident("a value")?;
                while self.at(&TokenKind::Dot) {
                    self.bump();
                    let part = self.ident("a name after `.`")?;
                    name = Ident { text: format!("{}.{}", name.text, part.text), span: name.span.to(part.span) };
                }
                if self.at(&TokenKind::LParen) {
                    let args = self.arguments()?;
                    let span = name.span.to(self.previous_span());
                    Ok(Value::Call { name, args, span })
                } else {
                    Ok(Value::Name(name))
                }
            }
            _ => Err(self.error("a value (a string, a number, a list, a name or a function call)")),
        }
    }

    fn enum_body(&mut self, name: Ident, doc: Vec<String>, open: Span) -> Parsed<Enum> {
        let mut block = Enum { name, values: Vec::new(), attributes: Vec::new(), doc };
        loop {
            self.skip_newlines();
            if self.block_end(&block.name, open) {
                return Ok(block);
            }
            match self.peek() {
                // Documentation of enum values is not kept in the IR.
                TokenKind::Doc(_) => {
                    self.bump();
                }
                TokenKind::AtAt => match self.attribute(true).and_then(|a| self.line_end().map(|_| a)) {
                    Ok(attribute) => block.attributes.push(attribute),
                    Err(Reported) => self.skip_line(),
                },
                TokenKind::Ident(_) => match self.enum_value() {
                    Ok(value) => block.values.push(value),
                    Err(Reported) => self.skip_line(),
                },
                _ => {
                    self.error("an enum value or a `@@` attribute");
                    self.bump();
                    self.skip_line();
                }
            }
        }
    }

    fn enum_value(&mut self) -> Parsed<EnumValue> {
        let name = self.ident("an enum value")?;
        let mut attributes = Vec::new();
        while self.at(&TokenKind::At) {
            attributes.push(self.attribute(false)?);
        }
        self.line_end()?;
        let span = name.span.to(self.previous_span());
        Ok(EnumValue { name, attributes, span })
    }

    fn config_body(&mut self, keyword: Ident, name: Ident, span: Span, open: Span) -> Parsed<Config> {
        let mut config = Config { keyword, name, properties: Vec::new(), span };
        loop {
            self.skip_newlines();
            if self.block_end(&config.name, open) {
                return Ok(config);
            }
            if let TokenKind::Doc(_) = self.peek() {
                self.bump();
                continue;
            }
            match self.property() {
                Ok(property) => config.properties.push(property),
                Err(Reported) => self.skip_line(),
            }
        }
    }

    fn property(&mut self) -> Parsed<Property> {
        let key = self.ident("a setting: `name = value`")?;
        self.expect(TokenKind::Equals, &format!("`=` after `{}`", key.text))?;
        let value = self.value()?;
        self.line_end()?;
        Ok(Property { span: key.span.to(value.span()), key, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str) -> Vec<Block> {
        let (blocks, diagnostics) = parse(FileId(0), text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        blocks
    }

    #[test]
    fn a_model_keeps_fields_attributes_and_docs() {
        let parsed = blocks(
            "/// People.\nmodel User {\n  /// The key.\n  id Int @id @default(autoincrement())\n  \
             tags String[] @db.VarChar(20) /// trailing\n  @@index([id(sort: Desc)], type: Hash)\n  \
             @@map(\"users\")\n}\n",
        );
        let Block::Model(model) = &parsed[0] else { panic!("{parsed:?}") };
        assert_eq!(model.doc, ["People."]);
        assert_eq!(model.fields[0].doc, ["The key."]);
        assert_eq!(model.fields[1].doc, ["trailing"]);
        assert_eq!(model.fields[1].ty.arity, Arity::List);
        assert_eq!(model.fields[1].attributes[0].name.text, "db.VarChar");
        assert_eq!(model.attributes.len(), 2);
        let Value::Array { items, .. } = &model.attributes[0].args[0].value else { panic!() };
        assert!(matches!(&items[0], Value::Call { name, .. } if name.text == "id"));
    }

    #[test]
    fn settings_are_key_value_lines() {
        let parsed = blocks("generator client {\n  previewFeatures = [\"a\", \"b\"]\n  output = \"x\"\n}\n");
        let Block::Config(config) = &parsed[0] else { panic!() };
        assert!(matches!(&config.properties[0].value, Value::Array { items, .. } if items.len() == 2));
        assert_eq!(config.property("output").and_then(|p| p.value.as_str()), Some("x"));
    }

    #[test]
    fn a_bad_line_costs_one_line_and_an_unclosed_block_is_reported_at_its_brace() {
        let text = "model A {\n  id Int @id @default(\n  name String\n\nmodel B {\n  id Int @id\n}\n";
        let (blocks, diagnostics) = parse(FileId(0), text);
        assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
        assert_eq!(blocks.len(), 2);
        let Block::Model(a) = &blocks[0] else { panic!() };
        let names: Vec<&str> = a.fields.iter().map(|f| f.name.text.as_str()).collect();
        assert_eq!(names, ["name"]);
    }
}
