//! The fast path of the parser: a hand-written recursive-descent reading of
//! `grammar.pest` for files without mistakes.
//!
//! It follows the grammar rule by rule — the same ordered choices, the same
//! places where whitespace, newlines and comments may stand, the same
//! lookaheads — and builds the same [`ast`](super::ast) the pest parser
//! builds, spans included. It never reports anything: at the first thing it
//! does not expect (a bad line, a missing brace, a number too large, an
//! expression over the size limit) it gives up and returns `None`, and
//! `parser.rs` parses the file again with pest, which recovers and explains.
//! So it may refuse valid input (only slower), but it must never accept
//! input the pest parser reads differently; `tests/parser_agreement.rs`
//! holds the two to the same trees on every file the test suite has.
//!
//! It must not grow rules of its own: a change to the language is made in
//! `grammar.pest` and `parser.rs` first, then mirrored here.

use super::ast::*;
use super::lexical;
use super::parser::{push_member, quantity_value, MAX_EXPRESSION_NODES};
use crate::diagnostics::{FileId, Span};

/// The declarations of a well-formed file, or `None` when the pest parser
/// must read it (a mistake, or something this parser does not follow).
pub fn parse(file: FileId, text: &str) -> Option<Vec<Declaration>> {
    // pest trims the whitespace and comments it skipped at a node's end off
    // the node's span, but not a byte order mark: one past the start of the
    // file would end spans differently.
    if text.get(1..).is_some_and(|rest| rest.contains('\u{feff}')) {
        return None;
    }
    let mut p = Descent { file, text, bytes: text.as_bytes(), pos: 0, tokens: 0, poisoned: false };
    let mut declarations = Vec::new();
    loop {
        p.skip();
        if p.pos == p.bytes.len() {
            return (!p.poisoned).then_some(declarations);
        }
        declarations.push(p.declaration()?);
    }
}

struct Descent<'t> {
    file: FileId,
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// Operands and operators of the top-level expression being read.
    tokens: usize,
    /// Set when something was read that the pest parser reports (a number
    /// too large): the file then goes to the pest parser whatever follows.
    poisoned: bool,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// One element of an expression's flat operand/operator sequence, before
/// precedence is applied.
enum Piece {
    Prefix(UnaryOp, Span),
    Operand(Expr),
    Postfix(Postfix, Span),
    Infix(BinaryOp),
}

enum Postfix {
    IsNull { negated: bool },
    In { list: Vec<Expr>, negated: bool },
    Between { low: Expr, high: Expr, negated: bool },
}

/// Binding powers as pest's Pratt parser numbers them (`parser.rs`).
const PREC_OR: u32 = 10;
const PREC_AND: u32 = 20;
const PREC_NOT: u32 = 30;
const PREC_COMPARE: u32 = 40;
const PREC_CONCAT: u32 = 50;
const PREC_ADD: u32 = 60;
const PREC_MUL: u32 = 70;
const PREC_NEG: u32 = 80;

fn infix_precedence(op: BinaryOp) -> u32 {
    match op {
        BinaryOp::Or => PREC_OR,
        BinaryOp::And => PREC_AND,
        BinaryOp::Concat => PREC_CONCAT,
        BinaryOp::Add | BinaryOp::Sub => PREC_ADD,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => PREC_MUL,
        _ => PREC_COMPARE,
    }
}

impl<'t> Descent<'t> {
    // ------------------------------------------------------------ lexical

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn rest(&self) -> &'t [u8] {
        &self.bytes[self.pos..]
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// pest's implicit WHITESPACE and COMMENT between the elements of a rule.
    fn skip(&mut self) {
        loop {
            match self.rest() {
                [b' ' | b'\n' | b'\t' | b'\r', ..] => self.pos += 1,
                [0xEF, 0xBB, 0xBF, ..] => self.pos += 3,
                [b'/', b'/', b'/', b'/', ..] | [b'/', b'/'] => self.skip_line(),
                [b'/', b'/', next, ..] if *next != b'/' => self.skip_line(),
                _ => return,
            }
        }
    }

    fn skip_line(&mut self) {
        self.pos = self.rest().iter().position(|&b| b == b'\n').map_or(self.bytes.len(), |n| self.pos + n);
    }

    /// `sp`: spaces and tabs only.
    fn spaces(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn literal(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s.as_bytes()) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Skips, then the literal; on failure the position is unchanged.
    fn token(&mut self, s: &str) -> bool {
        let save = self.pos;
        self.skip();
        if self.literal(s) {
            true
        } else {
            self.pos = save;
            false
        }
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        let rest = self.rest();
        rest.starts_with(keyword.as_bytes()) && !rest.get(keyword.len()).is_some_and(|&b| is_ident_char(b))
    }

    /// `kw_x` at the position (no skipping); its span.
    fn keyword_here(&mut self, keyword: &str) -> Option<Span> {
        if !self.at_keyword(keyword) {
            return None;
        }
        let start = self.pos;
        self.pos += keyword.len();
        Some(self.span(start, self.pos))
    }

    /// Skips, then `kw_x`; on failure the position is unchanged.
    fn keyword(&mut self, keyword: &str) -> Option<Span> {
        let save = self.pos;
        self.skip();
        let found = self.keyword_here(keyword);
        if found.is_none() {
            self.pos = save;
        }
        found
    }

    fn ident_here(&mut self) -> Option<Ident> {
        let start = self.pos;
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.pos += 1,
            _ => return None,
        }
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        Some(Ident { name: self.text[start..self.pos].to_string(), span: self.span(start, self.pos) })
    }

    /// Skips, then an identifier; on failure the position is unchanged.
    fn ident(&mut self) -> Option<Ident> {
        let save = self.pos;
        self.skip();
        let found = self.ident_here();
        if found.is_none() {
            self.pos = save;
        }
        found
    }

    /// Runs `rule`; when it fails, the position goes back to where it was.
    fn attempt<T>(&mut self, rule: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let save = self.pos;
        let found = rule(self);
        if found.is_none() {
            self.pos = save;
        }
        found
    }

    /// `ASCII_DIGIT+` at the position.
    fn digits(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn not_ident_char(&self) -> bool {
        !self.peek().is_some_and(is_ident_char)
    }

    /// `int_lit` after skipping: its text.
    fn int_text(&mut self) -> Option<(usize, usize)> {
        self.attempt(|p| {
            p.skip();
            let start = p.pos;
            (p.digits() && p.not_ident_char()).then_some((start, p.pos))
        })
    }

    /// `int_lit` as a number; too large is a mistake (E0005).
    fn integer(&mut self) -> Option<u64> {
        let (start, end) = self.int_text()?;
        let value = self.text[start..end].parse().ok();
        self.poisoned |= value.is_none();
        Some(value.unwrap_or(0))
    }

    /// `quantity` after skipping.
    fn quantity(&mut self) -> Option<Quantity> {
        self.attempt(|p| {
            p.skip();
            let start = p.pos;
            if !p.digits() {
                return None;
            }
            let save = p.pos;
            if !(p.literal(".") && p.digits()) {
                p.pos = save;
            }
            if matches!(p.peek(), Some(b'k' | b'K' | b'M' | b'B')) {
                p.pos += 1;
            }
            if !p.not_ident_char() {
                return None;
            }
            let text = &p.text[start..p.pos];
            let value = quantity_value(text);
            p.poisoned |= !value.is_finite();
            Some(Quantity { text: text.to_string(), value })
        })
    }

    /// One of `words` then `"s"?` then not an identifier character (`time_unit`, `rate_unit`).
    fn unit(&mut self, words: &[&str], plural: bool) -> Option<String> {
        self.attempt(|p| {
            p.skip();
            let start = p.pos;
            let word = words.iter().find(|w| p.rest().starts_with(w.as_bytes()))?;
            p.pos += word.len();
            if plural && p.peek() == Some(b's') {
                p.pos += 1;
            }
            p.not_ident_char().then(|| p.text[start..p.pos].to_string())
        })
    }

    fn time_unit(&mut self) -> Option<String> {
        self.unit(&["second", "minute", "hour", "day", "week", "month", "year"], true)
    }

    /// `string_lit` at the position.
    fn string_here(&mut self) -> Option<StringLit> {
        let start = self.pos;
        let quote = self.peek()?;
        if quote != b'\'' && quote != b'"' {
            return None;
        }
        self.pos += 1;
        let body_start = self.pos;
        loop {
            match self.peek()? {
                b'\n' => return None,
                b'\'' if quote == b'\'' => {
                    if self.bytes.get(self.pos + 1) == Some(&b'\'') {
                        self.pos += 2;
                    } else {
                        break;
                    }
                }
                b'"' if quote == b'"' => break,
                b'\\' if quote == b'"' => match self.bytes.get(self.pos + 1) {
                    Some(b'"' | b'\\' | b'n' | b't') => self.pos += 2,
                    _ => return None,
                },
                _ => self.pos += 1,
            }
        }
        let body = &self.text[body_start..self.pos];
        self.pos += 1;
        let value = if quote == b'\'' { body.replace("''", "'") } else { lexical::unescape_double(body) };
        Some(StringLit { value, span: self.span(start, self.pos) })
    }

    fn string(&mut self) -> Option<StringLit> {
        self.attempt(|p| {
            p.skip();
            p.string_here()
        })
    }

    /// `object_name`: an identifier or a string, as an [`Ident`].
    fn object_name(&mut self) -> Option<Ident> {
        if let Some(name) = self.ident() {
            return Some(name);
        }
        self.string().map(|s| Ident { name: s.value, span: s.span })
    }

    /// `docs`: the `///` lines above a declaration or member.
    fn docs(&mut self) -> Vec<String> {
        let mut docs = Vec::new();
        loop {
            let save = self.pos;
            if !docs.is_empty() {
                self.skip();
            }
            let rest = self.rest();
            if !(rest.starts_with(b"///") && rest.get(3) != Some(&b'/')) {
                self.pos = save;
                return docs;
            }
            let start = self.pos;
            self.skip_line();
            let line = &self.text[start + 3..self.pos];
            docs.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_string());
        }
    }

    /// `ident ~ ("," ~ ident)*`
    fn ident_list(&mut self) -> Option<Vec<Ident>> {
        let mut names = vec![self.ident()?];
        while let Some(name) = self.attempt(|p| if p.token(",") { p.ident() } else { None }) {
            names.push(name);
        }
        Some(names)
    }

    /// `"(" ~ ident ~ ("," ~ ident)* ~ ","? ~ ")"`
    fn column_list(&mut self) -> Option<Vec<Ident>> {
        self.attempt(|p| {
            if !p.token("(") {
                return None;
            }
            let names = p.ident_list()?;
            p.token(",");
            p.token(")").then_some(names)
        })
    }

    // ------------------------------------------------------------ declarations

    /// `!decl_start`: whether a declaration starts here (which closes an
    /// unclosed block in the pest grammar: a mistake).
    fn at_declaration_start(&mut self) -> bool {
        if !matches!(self.peek(), Some(b'a' | b'c'..=b'f' | b'm' | b'p' | b'r'..=b'w')) {
            return false;
        }
        let save = self.pos;
        let found = self.declaration_start();
        self.pos = save;
        found
    }

    fn declaration_start(&mut self) -> bool {
        let start = self.pos;
        let alternative = |p: &mut Self, rule: fn(&mut Self) -> bool| {
            p.pos = start;
            rule(p)
        };
        alternative(self, |p| p.keyword_here("entity").is_some() && p.ident().is_some() && p.token("{"))
            || alternative(self, |p| p.keyword_here("enum").is_some() && p.ident().is_some() && p.token("{"))
            || alternative(self, |p| {
                p.keyword_here("pattern").is_some() && p.ident().is_some() && (p.token("(") || p.token("{"))
            })
            || alternative(self, |p| {
                if p.keyword_here("relation").is_none() {
                    return false;
                }
                let save = p.pos;
                let own = p.keyword("Self").is_some() && p.token(".");
                p.pos = save;
                !own && p.ident().is_some() && p.token(".")
            })
            || alternative(self, |p| {
                p.keyword_here("policy").is_some() && p.ident().is_some() && p.keyword("on").is_some()
            })
            || alternative(self, |p| {
                if p.keyword_here("workload").is_none() {
                    return false;
                }
                p.ident();
                p.token("{")
            })
            || alternative(self, |p| p.keyword_here("context").is_some() && p.token("{"))
            || alternative(self, |p| p.keyword_here("use").is_some() && p.ident().is_some() && p.token("::"))
            || alternative(self, |p| {
                let view = if p.keyword_here("materialized").is_some() {
                    p.keyword("view").is_some()
                } else {
                    p.keyword_here("view").is_some()
                };
                view && p.ident().is_some() && (p.token("=") || p.token("{"))
            })
            || alternative(self, |p| p.keyword_here("function").is_some() && p.ident().is_some() && p.token("("))
            || alternative(self, |p| {
                p.keyword_here("trigger").is_some() && p.ident().is_some() && p.keyword("on").is_some()
            })
            || alternative(self, |p| p.keyword_here("allow").is_some() && p.ident().is_some())
    }

    fn declaration(&mut self) -> Option<Declaration> {
        let start = self.pos;
        type Rule<'t> = fn(&mut Descent<'t>, usize) -> Option<Declaration>;
        let rules: [Rule<'t>; 15] = [
            |p, s| p.use_decl(s).map(Declaration::Use),
            |p, s| p.enum_decl(s).map(Declaration::Enum),
            |p, s| p.type_alias(s).map(Declaration::TypeAlias),
            |p, s| p.entity(s).map(Declaration::Entity),
            |p, s| p.relation(s).map(Declaration::Relation),
            |p, s| p.pattern(s).map(Declaration::Pattern),
            |p, s| p.role(s).map(Declaration::Role),
            |p, s| p.grant(s).map(Declaration::Grant),
            |p, s| p.policy(s).map(Declaration::Policy),
            |p, s| p.context(s).map(Declaration::Context),
            |p, s| p.workload(s).map(Declaration::Workload),
            |p, s| p.view(s).map(Declaration::View),
            |p, s| p.function(s).map(Declaration::Function),
            |p, s| p.trigger(s).map(Declaration::Trigger),
            |p, s| p.allow(s).map(Declaration::Allow),
        ];
        for rule in rules {
            self.pos = start;
            if let Some(declaration) = rule(self, start) {
                return Some(declaration);
            }
        }
        None
    }

    /// A block's items up to its `}`: `item` reads one (it is tried only
    /// where no declaration starts and the block does not end).
    fn block<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut items = Vec::new();
        loop {
            self.skip();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Some(items);
            }
            if self.at_declaration_start() {
                return None;
            }
            items.push(item(self)?);
        }
    }

    fn use_decl(&mut self, start: usize) -> Option<Use> {
        self.keyword_here("use")?;
        let mut path = vec![self.ident()?];
        while let Some(segment) = self.attempt(|p| if p.token("::") { p.ident() } else { None }) {
            path.push(segment);
        }
        let imports = self
            .attempt(|p| {
                if !p.token("::") {
                    return None;
                }
                if p.token("*") {
                    return Some(Imports::Glob);
                }
                if !p.token("{") {
                    return None;
                }
                let names = p.ident_list()?;
                p.token(",");
                p.token("}").then_some(Imports::Group(names))
            })
            .unwrap_or(Imports::Single);
        Some(Use { path, imports, span: self.span(start, self.pos) })
    }

    fn enum_decl(&mut self, start: usize) -> Option<Enum> {
        let docs = self.docs();
        self.keyword("enum")?;
        let name = self.ident()?;
        if !self.token("{") {
            return None;
        }
        let values = self.block(|p| {
            let docs = p.docs();
            p.skip();
            let name = match p.ident_here() {
                Some(name) => name,
                None => p.string_here().map(|s| Ident { name: s.value, span: s.span })?,
            };
            p.token(",");
            Some(EnumValue { docs, name })
        })?;
        Some(Enum { docs, name, values, span: self.span(start, self.pos) })
    }

    fn type_alias(&mut self, start: usize) -> Option<TypeAlias> {
        let docs = self.docs();
        self.keyword("type")?;
        let name = self.ident()?;
        if !self.token("=") {
            return None;
        }
        self.skip();
        let target = self.type_ref()?;
        let shape = self.attempt(|p| {
            p.skip();
            p.json_shape()
        });
        let check = self.attempt(|p| {
            p.keyword("check")?;
            if !p.token("(") {
                return None;
            }
            let e = p.expr_top()?;
            p.token(")").then_some(e)
        });
        Some(TypeAlias { docs, name, target, shape, check, span: self.span(start, self.pos) })
    }

    /// `json_shape` at the position.
    fn json_shape(&mut self) -> Option<JsonShape> {
        let start = self.pos;
        if !self.literal("{") {
            return None;
        }
        let mut members = Vec::new();
        while let Some(member) = self.attempt(|p| {
            let name = p.ident()?;
            let member_start = name.span.start as usize;
            p.skip();
            let ty = p.type_ref()?;
            let shape = p.attempt(|p| {
                p.skip();
                p.json_shape()
            });
            let member = ShapeMember { name, ty, shape, span: p.span(member_start, p.pos) };
            p.token(",");
            Some(member)
        }) {
            members.push(member);
        }
        if !self.token("}") {
            return None;
        }
        Some(JsonShape { members, span: self.span(start, self.pos) })
    }

    /// `type_ref` at the position (compound-atomic: no skipping inside but in its arguments).
    fn type_ref(&mut self) -> Option<TypeRef> {
        let start = self.pos;
        let raw = self.attempt(|p| {
            let keyword = p.keyword_here("sql")?;
            if !p.literal("(") {
                return None;
            }
            let body = p.string_here()?;
            p.literal(")").then_some((keyword, body.value))
        });
        let (name, raw, args) = match raw {
            Some((keyword, body)) => (Ident { name: "sql".into(), span: keyword }, Some(body), Vec::new()),
            None => {
                let name = self.ident_here()?;
                let args = match self.peek() {
                    Some(b'(') => self.type_args()?,
                    _ => Vec::new(),
                };
                (name, None, args)
            }
        };
        let mut dims = 0usize;
        while self.literal("[]") {
            dims += 1;
        }
        let optional = self.literal("?");
        Some(TypeRef {
            name,
            raw,
            args,
            array_dims: dims.min(u8::MAX as usize) as u8,
            optional,
            span: self.span(start, self.pos),
        })
    }

    /// `type_args` at a `(`; `None` when they do not parse (then the pest
    /// grammar ends the type before the `(`, which is a mistake further on).
    fn type_args(&mut self) -> Option<Vec<u64>> {
        self.literal("(");
        let mut args = vec![self.integer()?];
        while self.token(",") {
            args.push(self.integer()?);
        }
        self.token(")").then_some(args)
    }

    fn entity(&mut self, start: usize) -> Option<Entity> {
        let docs = self.docs();
        self.keyword("entity")?;
        let name = self.ident()?;
        if !self.token("{") {
            return None;
        }
        let members = self.members(Self::entity_item)?;
        Some(Entity { docs, name, members, span: self.span(start, self.pos) })
    }

    /// The members of an entity, junction or pattern body, up to its `}`.
    fn members(&mut self, item: fn(&mut Self) -> Option<Member>) -> Option<Vec<Member>> {
        let mut members = Vec::new();
        for member in self.block(item)? {
            push_member(self.text, &mut members, member);
        }
        Some(members)
    }

    /// `entity_item`: attribute, behaviour, relation or field, in that order.
    fn entity_item(&mut self) -> Option<Member> {
        let start = self.pos;
        self.entity_attribute()
            .or_else(|| self.attempt(|p| p.behaviour(start)))
            .or_else(|| self.attempt(|p| p.relation(start)).map(Member::Relation))
            .or_else(|| self.attempt(|p| p.field(start)).map(Member::Field))
    }

    /// `pattern_item`: behaviour, relation, attribute or field, in that order.
    fn pattern_item(&mut self) -> Option<Member> {
        let start = self.pos;
        self.attempt(|p| p.behaviour(start))
            .or_else(|| self.attempt(|p| p.relation(start)).map(Member::Relation))
            .or_else(|| self.entity_attribute())
            .or_else(|| self.attempt(|p| p.field(start)).map(Member::Field))
    }

    fn behaviour(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("behaviour")?;
        let name = self.ident()?;
        let args = self.attempt(|p| p.call_args());
        Some(Member::Behaviour(Behaviour { name, args, span: self.span(start, self.pos) }))
    }

    fn field(&mut self, start: usize) -> Option<Field> {
        let docs = self.docs();
        self.skip();
        let name = self.ident_here()?;
        if !self.spaces() {
            return None;
        }
        let ty = self.type_ref()?;
        let default = self.attempt(|p| p.field_default());
        let mut modifiers = Vec::new();
        while let Some(modifier) = self.attempt(|p| {
            p.skip();
            p.modifier()
        }) {
            modifiers.push(modifier);
        }
        Some(Field { docs, name, ty, default, modifiers, span: self.span(start, self.pos) })
    }

    /// `field_default`: ` = value`, the value starting on the field's line.
    fn field_default(&mut self) -> Option<DefaultValue> {
        self.spaces();
        if !self.literal("=") {
            return None;
        }
        self.spaces();
        if matches!(self.peek(), Some(b'\n' | b'\r')) || self.rest().starts_with(b"//") {
            return None;
        }
        let start = self.pos;
        if let Some(default) = self.attempt(|p| {
            p.keyword_here("identity")?;
            let always = p.keyword("always").is_some();
            let end = p.pos;
            p.skip();
            if p.peek() == Some(b'(') {
                return None;
            }
            // The pest converter reads `always` off the rule's text, which
            // runs to here: a comment ending in "always" would count.
            let always = always || p.text[start..p.pos].trim_end().ends_with("always");
            p.pos = end;
            let span = p.span(start, end);
            Some(if always { DefaultValue::IdentityAlways(span) } else { DefaultValue::Identity(span) })
        }) {
            return Some(default);
        }
        if let Some(default) = self.attempt(|p| {
            let span = p.keyword_here("serial")?;
            p.skip();
            let followed_by_arguments = p.peek() == Some(b'(');
            p.pos = span.end as usize;
            (!followed_by_arguments).then_some(DefaultValue::Serial(span))
        }) {
            return Some(default);
        }
        if let Some(default) = self.attempt(|p| {
            p.keyword_here("generated")?;
            if !p.token("(") {
                return None;
            }
            let e = p.expr_top()?;
            p.token(")").then_some(DefaultValue::Generated(e))
        }) {
            return Some(default);
        }
        self.expr_top().map(DefaultValue::Expr)
    }

    /// `modifier` at the position.
    fn modifier(&mut self) -> Option<Modifier> {
        if !matches!(self.peek(), Some(b'p' | b'u' | b'c' | b'r' | b'd')) {
            return None;
        }
        for keyword in ["primary", "unique"] {
            if let Some(span) = self.attempt(|p| {
                let span = p.keyword_here(keyword)?;
                (!p.names_a_key()).then_some(span)
            }) {
                return Some(if keyword == "primary" { Modifier::Primary(span) } else { Modifier::Unique(span) });
            }
        }
        if let Some(check) = self.attempt(|p| {
            p.keyword_here("check")?;
            if !p.token("(") {
                return None;
            }
            let e = p.expr_top()?;
            p.token(")").then_some(Modifier::Check(e))
        }) {
            return Some(check);
        }
        if let Some(column) = self.attempt(|p| {
            p.keyword_here("column")?;
            p.string().map(Modifier::Column)
        }) {
            return Some(column);
        }
        if let Some(pii) = self.attempt(|p| {
            p.keyword_here("pii")?;
            if !p.token("(") {
                return None;
            }
            let mode = p.ident()?;
            p.token(")").then_some(Modifier::Pii(mode))
        }) {
            return Some(pii);
        }
        if let Some(renamed) = self.attempt(|p| {
            p.keyword_here("renamed_from")?;
            p.ident().map(Modifier::RenamedFrom)
        }) {
            return Some(renamed);
        }
        if let Some(denormalized) = self.attempt(|p| {
            p.keyword_here("denormalized")?;
            p.keyword("from")?;
            let navigation = p.ident()?;
            if !p.token(".") {
                return None;
            }
            Some(Modifier::Denormalized(navigation, p.ident()?))
        }) {
            return Some(denormalized);
        }
        self.attempt(|p| {
            p.keyword_here("doc")?;
            p.string().map(Modifier::Doc)
        })
    }

    /// After `primary` / `unique`: whether an entity-level key follows on
    /// this line (`sp? "("` or `sp key_name_ahead`), which makes the word
    /// not a modifier. The position is left unchanged.
    fn names_a_key(&mut self) -> bool {
        let save = self.pos;
        let spaced = self.spaces();
        let found = self.peek() == Some(b'(')
            || (spaced && {
                let checks = ["check", "pii"].iter().any(|k| {
                    let at = self.pos;
                    let found = self.keyword_here(k).is_some() && {
                        self.spaces();
                        self.peek() == Some(b'(')
                    };
                    self.pos = at;
                    found
                });
                !checks && {
                    let named = self.ident_here().is_some() || self.string_here().is_some();
                    named && {
                        self.spaces();
                        self.peek() == Some(b'(')
                    }
                }
            });
        self.pos = save;
        found
    }

    /// `entity_attr` at the position; the position is unchanged when none matches.
    fn entity_attribute(&mut self) -> Option<Member> {
        if !matches!(self.peek(), Some(b'a' | b'c' | b'i' | b'p' | b'r' | b's' | b't' | b'u' | b'v')) {
            return None;
        }
        let start = self.pos;
        type Rule<'t> = fn(&mut Descent<'t>, usize) -> Option<Member>;
        let rules: [Rule<'t>; 11] = [
            Self::attr_primary,
            Self::attr_unique,
            Self::attr_index,
            Self::attr_check,
            Self::attr_search,
            Self::attr_partition,
            Self::attr_apply,
            Self::attr_volume,
            |p, s| {
                p.keyword_here("renamed_from")?;
                let _ = s;
                p.ident().map(Member::RenamedFrom)
            },
            |p, _| {
                p.keyword_here("table")?;
                p.string().map(Member::Table)
            },
            |p, s| {
                p.keyword_here("row_security")?;
                let forced = if p.keyword("enabled").is_some() {
                    false
                } else {
                    p.keyword("forced")?;
                    true
                };
                Some(Member::RowSecurity(forced, p.span(s, p.pos)))
            },
        ];
        for rule in rules {
            self.pos = start;
            if let Some(member) = rule(self, start) {
                return Some(member);
            }
        }
        self.pos = start;
        None
    }

    /// `object_name?` before a `(`-list: tried, and given back when absent.
    fn optional_object_name(&mut self) -> Option<Ident> {
        self.attempt(|p| p.object_name())
    }

    fn where_clause(&mut self) -> Option<Expr> {
        self.attempt(|p| {
            p.keyword("where")?;
            p.expr_top()
        })
    }

    fn attr_primary(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("primary")?;
        let name = self.optional_object_name();
        let columns = self.column_list()?;
        Some(Member::Primary(KeyList { name, columns, span: self.span(start, self.pos) }))
    }

    fn attr_unique(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("unique")?;
        let name = self.optional_object_name();
        let columns = self.column_list()?;
        let predicate = self.where_clause();
        Some(Member::Unique(UniqueAttr { name, columns, predicate, span: self.span(start, self.pos) }))
    }

    fn attr_index(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("index")?;
        let unique = self.keyword("unique").is_some();
        let name = self.optional_object_name();
        if !self.token("(") {
            return None;
        }
        let mut keys = vec![self.index_key()?];
        while let Some(key) = self.attempt(|p| if p.token(",") { p.index_key() } else { None }) {
            keys.push(key);
        }
        self.token(",");
        if !self.token(")") {
            return None;
        }
        let include = self
            .attempt(|p| {
                p.keyword("include")?;
                p.column_list()
            })
            .unwrap_or_default();
        let predicate = self.where_clause();
        let method = self.attempt(|p| {
            p.keyword("using")?;
            p.ident()
        });
        let span = self.span(start, self.pos);
        Some(Member::Index(IndexAttr { unique, name, keys, include, predicate, method, span }))
    }

    fn index_key(&mut self) -> Option<IndexKey> {
        let expr = self.expr_top()?;
        let descending = self.sort_order();
        let nulls_first = self.attempt(|p| {
            p.keyword("nulls")?;
            if p.keyword("first").is_some() {
                return Some(true);
            }
            p.keyword("last").map(|_| false)
        });
        Some(IndexKey { expr, descending, nulls_first })
    }

    fn sort_order(&mut self) -> Option<bool> {
        if self.keyword("asc").is_some() {
            return Some(false);
        }
        self.keyword("desc").map(|_| true)
    }

    fn attr_check(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("check")?;
        let name = self.optional_object_name();
        if !self.token("(") {
            return None;
        }
        let expr = self.expr_top()?;
        if !self.token(")") {
            return None;
        }
        Some(Member::Check(CheckAttr { name, expr, span: self.span(start, self.pos) }))
    }

    fn attr_search(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("search")?;
        if !self.token("(") {
            return None;
        }
        let mut columns = vec![self.search_column()?];
        while let Some(column) = self.attempt(|p| if p.token(",") { p.search_column() } else { None }) {
            columns.push(column);
        }
        self.token(",");
        if !self.token(")") {
            return None;
        }
        let language = self.attempt(|p| {
            p.keyword("language")?;
            p.ident()
        });
        Some(Member::Search(SearchAttr { columns, language, span: self.span(start, self.pos) }))
    }

    fn search_column(&mut self) -> Option<SearchColumn> {
        let column = self.ident()?;
        let weight = self.attempt(|p| {
            p.keyword("weight")?;
            p.skip();
            let weight = p.peek().filter(|b| matches!(b, b'A'..=b'D'))?;
            p.pos += 1;
            p.not_ident_char().then_some(weight as char)
        });
        Some(SearchColumn { column, weight })
    }

    fn attr_partition(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("partition")?;
        self.keyword("by")?;
        let kind = if self.keyword("range").is_some() {
            PartitionKind::Range
        } else if self.keyword("list").is_some() {
            PartitionKind::List
        } else {
            self.keyword("hash")?;
            PartitionKind::Hash
        };
        let columns = self.column_list()?;
        let scheme = self.attempt(|p| {
            if p.keyword("every").is_some() {
                let count = p.integer()?;
                let unit = p.time_unit()?;
                return Some(PartitionScheme::Every { count, unit });
            }
            p.keyword("into")?;
            let count = p.integer()?;
            p.keyword("partitions")?;
            Some(PartitionScheme::Into(count))
        });
        let fixed = self
            .attempt(|p| {
                if !p.token("{") {
                    return None;
                }
                let mut fixed = Vec::new();
                while let Some(partition) = p.attempt(|p| p.fixed_partition()) {
                    fixed.push(partition);
                }
                p.token("}").then_some(fixed)
            })
            .unwrap_or_default();
        Some(Member::Partition(PartitionAttr { kind, columns, scheme, fixed, span: self.span(start, self.pos) }))
    }

    fn fixed_partition(&mut self) -> Option<FixedPartition> {
        let name = self.object_name()?;
        let bound = if let Some(range) = self.attempt(|p| {
            p.keyword("from")?;
            let from = p.bound_value()?;
            p.keyword("to")?;
            Some(FixedBound::Range { from, to: p.bound_value()? })
        }) {
            range
        } else if let Some(list) = self.attempt(|p| {
            p.keyword("in")?;
            if !p.token("(") {
                return None;
            }
            let mut values = vec![p.bound_value()?];
            while p.token(",") {
                values.push(p.bound_value()?);
            }
            p.token(")").then_some(FixedBound::In(values))
        }) {
            list
        } else if let Some(hash) = self.attempt(|p| {
            p.keyword("modulus")?;
            let modulus = p.integer()?;
            p.keyword("remainder")?;
            Some(FixedBound::Hash { modulus, remainder: p.integer()? })
        }) {
            hash
        } else {
            self.keyword("default")?;
            FixedBound::Default
        };
        self.token(",");
        Some(FixedPartition { name, bound })
    }

    fn bound_value(&mut self) -> Option<BoundValue> {
        if let Some(s) = self.string() {
            return Some(BoundValue::String(s.value));
        }
        self.attempt(|p| {
            p.skip();
            let start = p.pos;
            p.literal("-");
            if !p.digits() {
                return None;
            }
            let save = p.pos;
            if !(p.literal(".") && p.digits()) {
                p.pos = save;
            }
            p.not_ident_char().then(|| BoundValue::Number(p.text[start..p.pos].to_string()))
        })
    }

    fn attr_apply(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("apply")?;
        let mut patterns = vec![self.pattern_use()?];
        while let Some(pattern) = self.attempt(|p| if p.token(",") { p.pattern_use() } else { None }) {
            patterns.push(pattern);
        }
        Some(Member::Apply(ApplyAttr { patterns, span: self.span(start, self.pos) }))
    }

    fn pattern_use(&mut self) -> Option<PatternUse> {
        let name = self.ident()?;
        let start = name.span.start as usize;
        let args = self.attempt(|p| {
            if !p.token("(") {
                return None;
            }
            let mut args = Vec::new();
            if let Some(first) = p.attempt(|p| p.pattern_arg()) {
                args.push(first);
                while let Some(arg) = p.attempt(|p| if p.token(",") { p.pattern_arg() } else { None }) {
                    args.push(arg);
                }
                p.token(",");
            }
            p.token(")").then_some(args)
        });
        Some(PatternUse { name, args, span: self.span(start, self.pos) })
    }

    fn pattern_arg(&mut self) -> Option<PatternArg> {
        let name = self.ident()?;
        if !self.token(":") {
            return None;
        }
        Some(PatternArg { name, value: self.expr_top()? })
    }

    fn attr_volume(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("volume")?;
        let rows = self.quantity()?;
        self.keyword("rows")?;
        let growth = self.attempt(|p| {
            if !p.token(",") {
                return None;
            }
            p.keyword("grows")?;
            let q = p.quantity()?;
            if !p.token("/") {
                return None;
            }
            Some((q, p.time_unit()?))
        });
        Some(Member::Volume(VolumeAttr { rows, growth, span: self.span(start, self.pos) }))
    }

    // ------------------------------------------------------------ relations

    fn relation(&mut self, start: usize) -> Option<Relation> {
        let docs = self.docs();
        self.keyword("relation")?;
        let from = self.relation_end()?;
        self.skip();
        let cardinality = if self.literal("<->") {
            Cardinality::ManyToMany
        } else if self.literal("->") {
            Cardinality::ManyToOne
        } else if self.literal("--") {
            Cardinality::OneToOne
        } else {
            return None;
        };
        let to = self.relation_end()?;
        let mut alternatives = Vec::new();
        while let Some(end) = self.attempt(|p| if p.token("|") { p.relation_end() } else { None }) {
            alternatives.push(end);
        }
        let body = if self.token("{") { Some(self.block(Self::relation_item)?) } else { None };
        Some(Relation { docs, from, cardinality, to, alternatives, body, span: self.span(start, self.pos) })
    }

    fn relation_end(&mut self) -> Option<RelationEnd> {
        let entity = self.ident()?;
        let field = self.attempt(|p| if p.token(".") { p.ident() } else { None });
        Some(RelationEnd { entity, field })
    }

    fn relation_item(&mut self) -> Option<RelationItem> {
        let start = self.pos;
        let span = |p: &Self| p.span(start, p.pos);
        if self.keyword_here("required").is_some() {
            return Some(RelationItem::Required(span(self)));
        }
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("on")?;
            let delete = if p.keyword("delete").is_some() {
                true
            } else {
                p.keyword("update")?;
                false
            };
            let action = p.ref_action()?;
            let s = span(p);
            Some(if delete { RelationItem::OnDelete(action, s) } else { RelationItem::OnUpdate(action, s) })
        }) {
            return Some(item);
        }
        if self.keyword_here("deferrable").is_some() {
            return Some(RelationItem::Deferrable(span(self)));
        }
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("through")?;
            let entity = p.ident()?;
            let members = if p.token("{") { Some(p.members(Self::entity_item)?) } else { None };
            Some(RelationItem::Through(Through { entity, members, span: span(p) }))
        }) {
            return Some(item);
        }
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("columns")?;
            let columns = p.column_list()?;
            Some(RelationItem::Columns(columns, span(p)))
        }) {
            return Some(item);
        }
        self.attempt(|p| {
            p.keyword_here("constraint")?;
            let name = p.object_name()?;
            Some(RelationItem::Constraint(name, span(p)))
        })
    }

    fn ref_action(&mut self) -> Option<RefAction> {
        if self.keyword("cascade").is_some() {
            return Some(RefAction::Cascade);
        }
        if self.keyword("restrict").is_some() {
            return Some(RefAction::Restrict);
        }
        if let Some(action) = self.attempt(|p| {
            p.keyword("set")?;
            if p.keyword("null").is_some() {
                return Some(RefAction::SetNull);
            }
            p.keyword("default").map(|_| RefAction::SetDefault)
        }) {
            return Some(action);
        }
        self.attempt(|p| {
            p.keyword("no")?;
            p.keyword("action").map(|_| RefAction::NoAction)
        })
    }

    // ------------------------------------------------------------ patterns, security

    fn pattern(&mut self, start: usize) -> Option<Pattern> {
        let docs = self.docs();
        self.keyword("pattern")?;
        let name = self.ident()?;
        let params = self.attempt(|p| {
            if !p.token("(") {
                return None;
            }
            let mut params = Vec::new();
            if let Some(first) = p.attempt(|p| p.pattern_param()) {
                params.push(first);
                while let Some(param) = p.attempt(|p| if p.token(",") { p.pattern_param() } else { None }) {
                    params.push(param);
                }
                p.token(",");
            }
            p.token(")").then_some(params)
        });
        if !self.token("{") {
            return None;
        }
        let members = self.members(Self::pattern_item)?;
        Some(Pattern { docs, name, params, members, span: self.span(start, self.pos) })
    }

    fn pattern_param(&mut self) -> Option<PatternParam> {
        let name = self.ident()?;
        let default = self.attempt(|p| if p.token("=") { p.expr_top() } else { None });
        Some(PatternParam { name, default })
    }

    fn role(&mut self, start: usize) -> Option<Role> {
        let docs = self.docs();
        self.keyword("role")?;
        let name = self.ident()?;
        let inherits = self
            .attempt(|p| {
                p.keyword("inherits")?;
                p.ident_list()
            })
            .unwrap_or_default();
        let login = self.keyword("login").is_some();
        Some(Role { docs, name, inherits, login, span: self.span(start, self.pos) })
    }

    fn allow(&mut self, start: usize) -> Option<Allow> {
        let docs = self.docs();
        self.keyword("allow")?;
        let code = self.ident()?;
        self.skip();
        let object_start = self.pos;
        self.ident_here()?;
        loop {
            let save = self.pos;
            if !(self.literal(".") && self.ident_here().is_some()) {
                self.pos = save;
                break;
            }
        }
        let object =
            Ident { name: self.text[object_start..self.pos].to_string(), span: self.span(object_start, self.pos) };
        Some(Allow { docs, code, object, span: self.span(start, self.pos) })
    }

    fn grant(&mut self, start: usize) -> Option<Grant> {
        self.keyword_here("grant")?;
        let mut privileges = vec![self.privilege()?];
        while let Some(privilege) = self.attempt(|p| if p.token(",") { p.privilege() } else { None }) {
            privileges.push(privilege);
        }
        self.keyword("on")?;
        let entities = self.ident_list()?;
        self.keyword("to")?;
        let roles = self.ident_list()?;
        Some(Grant { privileges, entities, roles, span: self.span(start, self.pos) })
    }

    fn privilege(&mut self) -> Option<Privilege> {
        self.skip();
        let start = self.pos;
        let kinds = [
            ("select", PrivilegeKind::Select),
            ("insert", PrivilegeKind::Insert),
            ("update", PrivilegeKind::Update),
            ("delete", PrivilegeKind::Delete),
            ("references", PrivilegeKind::References),
            ("truncate", PrivilegeKind::Truncate),
            ("trigger", PrivilegeKind::Trigger),
            ("all", PrivilegeKind::All),
        ];
        let kind = kinds.iter().find(|(word, _)| self.keyword_here(word).is_some())?.1;
        let columns = self.column_list();
        Some(Privilege { kind, columns, span: self.span(start, self.pos) })
    }

    fn policy(&mut self, start: usize) -> Option<Policy> {
        let docs = self.docs();
        self.keyword("policy")?;
        let name = self.object_name()?;
        self.keyword("on")?;
        let entities = self.ident_list()?;
        if !self.token("{") {
            return None;
        }
        let items = self.block(Self::policy_item)?;
        Some(Policy { docs, name, entities, items, span: self.span(start, self.pos) })
    }

    fn policy_item(&mut self) -> Option<PolicyItem> {
        let start = self.pos;
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("to")?;
            let roles = p.ident_list()?;
            Some(PolicyItem::To(roles, p.span(start, p.pos)))
        }) {
            return Some(item);
        }
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("for")?;
            let mut commands = vec![p.policy_command()?];
            while let Some(command) = p.attempt(|p| if p.token(",") { p.policy_command() } else { None }) {
                commands.push(command);
            }
            Some(PolicyItem::For(commands, p.span(start, p.pos)))
        }) {
            return Some(item);
        }
        for (keyword, using) in [("using", true), ("check", false)] {
            if let Some(item) = self.attempt(|p| {
                p.keyword_here(keyword)?;
                if !p.token("(") {
                    return None;
                }
                let e = p.expr_top()?;
                if !p.token(")") {
                    return None;
                }
                let span = p.span(start, p.pos);
                Some(if using { PolicyItem::Using(e, span) } else { PolicyItem::Check(e, span) })
            }) {
                return Some(item);
            }
        }
        if self.keyword_here("permissive").is_some() {
            return Some(PolicyItem::Restrictive(false, self.span(start, self.pos)));
        }
        self.keyword_here("restrictive").map(|span| PolicyItem::Restrictive(true, span))
    }

    fn policy_command(&mut self) -> Option<PolicyCommand> {
        let commands = [
            ("select", PolicyCommand::Select),
            ("insert", PolicyCommand::Insert),
            ("update", PolicyCommand::Update),
            ("delete", PolicyCommand::Delete),
            ("all", PolicyCommand::All),
        ];
        commands.iter().find(|(word, _)| self.keyword(word).is_some()).map(|(_, c)| *c)
    }

    fn context(&mut self, start: usize) -> Option<Context> {
        let docs = self.docs();
        self.keyword("context")?;
        if !self.token("{") {
            return None;
        }
        let members = self.members(|p| {
            let start = p.pos;
            p.field(start).map(Member::Field)
        })?;
        // A detached `check`/`renamed_from` is not a context value (E0111).
        let fields = members
            .into_iter()
            .map(|m| match m {
                Member::Field(f) => Some(f),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Context { docs, fields, span: self.span(start, self.pos) })
    }

    // ------------------------------------------------------------ workload, view, function, trigger

    fn workload(&mut self, start: usize) -> Option<Workload> {
        let docs = self.docs();
        self.keyword("workload")?;
        let name = self.ident();
        if !self.token("{") {
            return None;
        }
        let queries = self.block(Self::query)?;
        Some(Workload { docs, name, queries, span: self.span(start, self.pos) })
    }

    fn query(&mut self) -> Option<Query> {
        let start = self.pos;
        let docs = self.docs();
        self.keyword("query")?;
        let name = self.ident()?;
        if !self.token(":") {
            return None;
        }
        let entity = self.ident()?;
        let joins = self
            .attempt(|p| {
                p.keyword("join")?;
                p.ident_list()
            })
            .unwrap_or_default();
        let filter = self.where_clause();
        let select = self.attempt(|p| {
            p.keyword("select")?;
            p.column_list()
        });
        let mut order_by = Vec::new();
        if let Some(keys) = self.attempt(|p| {
            p.keyword("order")?;
            p.keyword("by")?;
            let mut keys = vec![p.order_key()?];
            while let Some(key) = p.attempt(|p| if p.token(",") { p.order_key() } else { None }) {
                keys.push(key);
            }
            Some(keys)
        }) {
            order_by = keys;
        }
        let limit = self.attempt(|p| {
            p.keyword("limit")?;
            p.integer()
        });
        let rate = self.attempt(|p| {
            p.keyword("at")?;
            let q = p.quantity()?;
            if !p.token("/") {
                return None;
            }
            Some((q, p.unit(&["s", "min", "h", "day"], false)?))
        });
        Some(Query {
            docs,
            name,
            entity,
            joins,
            filter,
            select,
            order_by,
            limit,
            rate,
            span: self.span(start, self.pos),
        })
    }

    fn order_key(&mut self) -> Option<OrderKey> {
        let expr = self.expr_top()?;
        Some(OrderKey { expr, descending: self.sort_order() })
    }

    fn view(&mut self, start: usize) -> Option<View> {
        let docs = self.docs();
        self.skip();
        let materialized = self.keyword_here("materialized").is_some();
        if materialized {
            self.keyword("view")?;
        } else {
            self.keyword_here("view")?;
        }
        let name = self.ident()?;
        let security_definer = self
            .attempt(|p| {
                p.keyword("security")?;
                p.keyword("definer")
            })
            .is_some();
        let definition = if self.token("=") {
            let entity = self.ident()?;
            let filter = self.where_clause();
            let columns = self.attempt(|p| {
                p.keyword("select")?;
                p.column_list()
            });
            ViewDefinition::Query { entity, filter, columns }
        } else if self.token("{") {
            ViewDefinition::Sql(self.block(|p| {
                p.keyword_here("sql")?;
                let backend = p.ident()?;
                Some((backend, p.string()?))
            })?)
        } else {
            return None;
        };
        Some(View { docs, materialized, name, security_definer, definition, span: self.span(start, self.pos) })
    }

    fn function(&mut self, start: usize) -> Option<Function> {
        let docs = self.docs();
        self.keyword("function")?;
        let name = self.ident()?;
        if !self.token("(") {
            return None;
        }
        let mut params = Vec::new();
        if let Some(first) = self.attempt(|p| p.function_param()) {
            params.push(first);
            while let Some(param) = self.attempt(|p| if p.token(",") { p.function_param() } else { None }) {
                params.push(param);
            }
            self.token(",");
        }
        if !self.token(")") {
            return None;
        }
        self.keyword("returns")?;
        self.skip();
        let returns = self.type_ref()?;
        self.keyword("language")?;
        let language = self.ident()?;
        let (mut volatility, mut security_definer, mut search_path) = (None, false, None);
        loop {
            if let Some(word) = ["immutable", "stable", "volatile"].iter().find_map(|w| {
                let span = self.keyword(w)?;
                Some(Ident { name: w.to_string(), span })
            }) {
                volatility = Some(word);
            } else if self
                .attempt(|p| {
                    p.keyword("security")?;
                    p.keyword("definer")
                })
                .is_some()
            {
                security_definer = true;
            } else if let Some(path) = self.attempt(|p| {
                p.keyword("search_path")?;
                p.string()
            }) {
                search_path = Some(path);
            } else {
                break;
            }
        }
        if !self.token("{") {
            return None;
        }
        let bodies = self.block(|p| {
            p.keyword_here("sql")?;
            let backend = p.attempt(|p| {
                let backend = p.ident()?;
                p.skip();
                matches!(p.peek(), Some(b'\'' | b'"')).then_some(backend)
            });
            Some((backend, p.string()?))
        })?;
        let span = self.span(start, self.pos);
        Some(Function {
            docs,
            name,
            params,
            returns,
            language,
            volatility,
            security_definer,
            search_path,
            bodies,
            span,
        })
    }

    fn function_param(&mut self) -> Option<(Ident, TypeRef, Option<Expr>)> {
        let name = self.ident()?;
        self.skip();
        let ty = self.type_ref()?;
        let default = self.attempt(|p| if p.token("=") { p.expr_top() } else { None });
        Some((name, ty, default))
    }

    fn trigger(&mut self, start: usize) -> Option<Trigger> {
        let docs = self.docs();
        self.keyword("trigger")?;
        let name = self.ident()?;
        self.keyword("on")?;
        let entity = self.ident()?;
        let timing = if self.keyword("before").is_some() {
            TriggerTiming::Before
        } else if self.keyword("after").is_some() {
            TriggerTiming::After
        } else {
            self.keyword("instead")?;
            self.keyword("of")?;
            TriggerTiming::InsteadOf
        };
        let mut events = vec![self.trigger_event()?];
        while let Some(event) = self.attempt(|p| {
            p.keyword("or")?;
            p.trigger_event()
        }) {
            events.push(event);
        }
        let for_each_row = self.attempt(|p| {
            p.keyword("for")?;
            p.keyword("each")?;
            if p.keyword("row").is_some() {
                return Some(true);
            }
            p.keyword("statement").map(|_| false)
        });
        self.keyword("execute")?;
        let function = self.ident()?;
        Some(Trigger { docs, name, entity, timing, events, for_each_row, function, span: self.span(start, self.pos) })
    }

    fn trigger_event(&mut self) -> Option<TriggerEvent> {
        let events =
            [("insert", TriggerEvent::Insert), ("update", TriggerEvent::Update), ("delete", TriggerEvent::Delete)];
        events.iter().find(|(word, _)| self.keyword(word).is_some()).map(|(_, e)| *e)
    }

    // ------------------------------------------------------------ expressions

    /// A top-level expression (after skipping), with a fresh size budget.
    fn expr_top(&mut self) -> Option<Expr> {
        self.tokens = 0;
        let e = self.expr()?;
        (self.tokens <= MAX_EXPRESSION_NODES).then_some(e)
    }

    /// `expr` after skipping: the flat sequence, then precedence.
    fn expr(&mut self) -> Option<Expr> {
        let mut pieces = Vec::new();
        self.skip();
        self.operand(&mut pieces)?;
        while let Some(more) = self.attempt(|p| {
            let mut more = Vec::new();
            p.skip();
            let op = p.infix()?;
            more.push(Piece::Infix(op));
            p.skip();
            p.operand(&mut more)?;
            Some(more)
        }) {
            pieces.extend(more);
        }
        self.tokens += pieces.len();
        if self.tokens > MAX_EXPRESSION_NODES {
            return None;
        }
        let mut pieces = pieces.into_iter().peekable();
        Some(pratt(&mut pieces, 0))
    }

    /// `prefix* ~ primary ~ postfix*`, the position at the prefix or primary.
    fn operand(&mut self, pieces: &mut Vec<Piece>) -> Option<()> {
        loop {
            let start = self.pos;
            if let Some(span) = self.keyword_here("not") {
                pieces.push(Piece::Prefix(UnaryOp::Not, span));
            } else if self.literal("-") {
                pieces.push(Piece::Prefix(UnaryOp::Neg, self.span(start, self.pos)));
            } else {
                break;
            }
            self.skip();
        }
        pieces.push(Piece::Operand(self.primary()?));
        while let Some((postfix, span)) = self.attempt(|p| {
            p.skip();
            p.postfix()
        }) {
            pieces.push(Piece::Postfix(postfix, span));
        }
        Some(())
    }

    fn infix(&mut self) -> Option<BinaryOp> {
        let b = self.rest();
        let next = |i: usize| b.get(i).copied();
        let (op, len) = match next(0)? {
            b'o' if self.at_keyword("or") => (BinaryOp::Or, 2),
            b'a' if self.at_keyword("and") => (BinaryOp::And, 3),
            b'=' if next(1) == Some(b'=') => (BinaryOp::Eq, 2),
            b'=' => (BinaryOp::Eq, 1),
            b'!' if next(1) == Some(b'=') => (BinaryOp::Ne, 2),
            b'<' if next(1) == Some(b'>') => (BinaryOp::Ne, 2),
            b'<' if next(1) == Some(b'=') => (BinaryOp::Le, 2),
            b'>' if next(1) == Some(b'=') => (BinaryOp::Ge, 2),
            b'<' if !(next(1) == Some(b'-') && next(2) == Some(b'>')) => (BinaryOp::Lt, 1),
            b'>' => (BinaryOp::Gt, 1),
            b'~' => (BinaryOp::Match, 1),
            b'l' if self.at_keyword("like") => (BinaryOp::Like, 4),
            b'i' if self.at_keyword("ilike") => (BinaryOp::ILike, 5),
            b'|' if next(1) == Some(b'|') => (BinaryOp::Concat, 2),
            b'+' => (BinaryOp::Add, 1),
            b'-' if !matches!(next(1), Some(b'-' | b'>')) => (BinaryOp::Sub, 1),
            b'*' => (BinaryOp::Mul, 1),
            b'/' if next(1) != Some(b'/') => (BinaryOp::Div, 1),
            b'%' => (BinaryOp::Rem, 1),
            _ => return None,
        };
        self.pos += len;
        Some(op)
    }

    /// A postfix operator at the position, with its span.
    fn postfix(&mut self) -> Option<(Postfix, Span)> {
        if !matches!(self.peek(), Some(b'i' | b'n' | b'b')) {
            return None;
        }
        let start = self.pos;
        let span = |p: &Self| p.span(start, p.pos);
        if let Some(negated) = self.attempt(|p| {
            p.keyword_here("is")?;
            let negated = p.keyword("not").is_some();
            p.keyword("null")?;
            Some(negated)
        }) {
            return Some((Postfix::IsNull { negated }, span(self)));
        }
        for negated in [true, false] {
            if let Some(list) = self.attempt(|p| {
                if negated {
                    p.keyword_here("not")?;
                    p.keyword("in")?;
                } else {
                    p.keyword_here("in")?;
                }
                if !p.token("(") {
                    return None;
                }
                let mut list = vec![p.expr()?];
                while p.token(",") {
                    list.push(p.expr()?);
                }
                p.token(")").then_some(list)
            }) {
                return Some((Postfix::In { list, negated }, span(self)));
            }
        }
        for negated in [true, false] {
            if let Some((low, high)) = self.attempt(|p| {
                if negated {
                    p.keyword_here("not")?;
                    p.keyword("between")?;
                } else {
                    p.keyword_here("between")?;
                }
                let low = p.bound()?;
                p.keyword("and")?;
                Some((low, p.bound()?))
            }) {
                return Some((Postfix::Between { low, high, negated }, span(self)));
            }
        }
        None
    }

    /// `bound`: `-`? then a primary (after skipping).
    fn bound(&mut self) -> Option<Expr> {
        self.skip();
        let start = self.pos;
        if self.literal("-") {
            self.skip();
            let value = self.primary()?;
            let span = self.span(start, value.span.end as usize);
            return Some(Expr { kind: ExprKind::Unary(UnaryOp::Neg, Box::new(value)), span });
        }
        self.primary()
    }

    /// `primary` at the position.
    fn primary(&mut self) -> Option<Expr> {
        let start = self.pos;
        let kind = match self.peek()? {
            b'0'..=b'9' => {
                self.digits();
                let save = self.pos;
                let decimal = self.literal(".") && self.digits() && self.not_ident_char();
                if !decimal {
                    self.pos = save;
                    if !self.not_ident_char() {
                        return None;
                    }
                }
                let text = self.text[start..self.pos].to_string();
                if decimal {
                    ExprKind::Decimal(text)
                } else {
                    ExprKind::Int(text)
                }
            }
            b'\'' | b'"' => ExprKind::String(self.string_here()?.value),
            b'$' => {
                self.pos += 1;
                let name = self.ident_here()?;
                ExprKind::Param(name.name)
            }
            b'(' => {
                self.pos += 1;
                let inner = self.expr()?;
                if !self.token(")") {
                    return None;
                }
                ExprKind::Paren(Box::new(inner))
            }
            b'[' => {
                self.pos += 1;
                let items = self.expr_list("]")?;
                ExprKind::Array(items)
            }
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                if let Some(first) = self.attempt(|p| p.object_member()) {
                    members.push(first);
                    while let Some(member) = self.attempt(|p| if p.token(",") { p.object_member() } else { None }) {
                        members.push(member);
                    }
                    self.token(",");
                }
                if !self.token("}") {
                    return None;
                }
                ExprKind::Object(members)
            }
            _ => {
                if self.keyword_here("true").is_some() {
                    ExprKind::Bool(true)
                } else if self.keyword_here("false").is_some() {
                    ExprKind::Bool(false)
                } else if self.keyword_here("null").is_some() {
                    ExprKind::Null
                } else {
                    let name = self.ident_here()?;
                    if let Some(args) = self.attempt(|p| p.call_args()) {
                        ExprKind::Call(name, args)
                    } else {
                        let mut path = vec![name];
                        while let Some(segment) = self.attempt(|p| if p.token(".") { p.ident() } else { None }) {
                            path.push(segment);
                        }
                        ExprKind::Path(path)
                    }
                }
            }
        };
        Some(Expr { kind, span: self.span(start, self.pos) })
    }

    fn object_member(&mut self) -> Option<(StringLit, Expr)> {
        let key = self.string()?;
        if !self.token(":") {
            return None;
        }
        Some((key, self.expr()?))
    }

    /// `call_args` after skipping: `( expr, … )`.
    fn call_args(&mut self) -> Option<Vec<Expr>> {
        if !self.token("(") {
            return None;
        }
        self.expr_list(")")
    }

    /// `(expr ~ ("," ~ expr)* ~ ","?)? ~ close`, after the opening bracket.
    fn expr_list(&mut self, close: &str) -> Option<Vec<Expr>> {
        let mut items = Vec::new();
        if let Some(first) = self.attempt(|p| p.expr()) {
            items.push(first);
            while let Some(item) = self.attempt(|p| if p.token(",") { p.expr() } else { None }) {
                items.push(item);
            }
            self.token(",");
        }
        self.token(close).then_some(items)
    }
}

/// pest's Pratt algorithm over the flat sequence (`PrattParserMap::expr`).
fn pratt(pieces: &mut std::iter::Peekable<std::vec::IntoIter<Piece>>, rbp: u32) -> Expr {
    let mut lhs = match pieces.next() {
        Some(Piece::Prefix(op, span)) => {
            let prec = if op == UnaryOp::Not { PREC_NOT } else { PREC_NEG };
            let rhs = pratt(pieces, prec - 1);
            Expr { span: span.to(rhs.span), kind: ExprKind::Unary(op, Box::new(rhs)) }
        }
        Some(Piece::Operand(e)) => e,
        // The sequence always alternates operands and operators.
        _ => unreachable!("an expression starts with an operand or a prefix"),
    };
    loop {
        let lbp = match pieces.peek() {
            Some(Piece::Infix(op)) => infix_precedence(*op),
            Some(Piece::Postfix(..)) => PREC_COMPARE,
            _ => 0,
        };
        if rbp >= lbp {
            return lhs;
        }
        lhs = match pieces.next() {
            Some(Piece::Infix(op)) => {
                let rhs = pratt(pieces, infix_precedence(op));
                Expr { span: lhs.span.to(rhs.span), kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)) }
            }
            Some(Piece::Postfix(postfix, span)) => {
                let span = lhs.span.to(span);
                let expr = Box::new(lhs);
                let kind = match postfix {
                    Postfix::IsNull { negated } => ExprKind::IsNull { expr, negated },
                    Postfix::In { list, negated } => ExprKind::InList { expr, list, negated },
                    Postfix::Between { low, high, negated } => {
                        ExprKind::Between { expr, low: Box::new(low), high: Box::new(high), negated }
                    }
                };
                Expr { kind, span }
            }
            _ => unreachable!("only operators have a binding power"),
        };
    }
}
