//! The fast parser's tokens: pest's implicit skipping (whitespace and
//! comments), keywords, identifiers, numbers, strings, docs and lists.
//! Each reader either consumes what it read or leaves the position as it
//! was (the `attempt` convention); none builds anything bigger than a token.

use super::{is_ident_char, Descent};
use crate::diagnostics::Span;
use crate::syntax::ast::*;
use crate::syntax::lexical;
use crate::syntax::parser::quantity_value;

impl<'t> Descent<'t> {
    pub(super) fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    pub(super) fn rest(&self) -> &'t [u8] {
        &self.bytes[self.pos..]
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// pest's implicit WHITESPACE and COMMENT between the elements of a rule.
    pub(super) fn skip(&mut self) {
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

    pub(super) fn skip_line(&mut self) {
        self.pos = self.rest().iter().position(|&b| b == b'\n').map_or(self.bytes.len(), |n| self.pos + n);
    }

    /// `sp`: spaces and tabs only.
    pub(super) fn spaces(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    pub(super) fn literal(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s.as_bytes()) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Skips, then the literal; on failure the position is unchanged.
    pub(super) fn token(&mut self, s: &str) -> bool {
        let save = self.pos;
        self.skip();
        if self.literal(s) {
            true
        } else {
            self.pos = save;
            false
        }
    }

    pub(super) fn at_keyword(&self, keyword: &str) -> bool {
        let rest = self.rest();
        rest.starts_with(keyword.as_bytes()) && !rest.get(keyword.len()).is_some_and(|&b| is_ident_char(b))
    }

    /// `kw_x` at the position (no skipping); its span.
    pub(super) fn keyword_here(&mut self, keyword: &str) -> Option<Span> {
        if !self.at_keyword(keyword) {
            return None;
        }
        let start = self.pos;
        self.pos += keyword.len();
        Some(self.span(start, self.pos))
    }

    /// Skips, then `kw_x`; on failure the position is unchanged.
    pub(super) fn keyword(&mut self, keyword: &str) -> Option<Span> {
        let save = self.pos;
        self.skip();
        let found = self.keyword_here(keyword);
        if found.is_none() {
            self.pos = save;
        }
        found
    }

    pub(super) fn ident_here(&mut self) -> Option<Ident> {
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
    pub(super) fn ident(&mut self) -> Option<Ident> {
        let save = self.pos;
        self.skip();
        let found = self.ident_here();
        if found.is_none() {
            self.pos = save;
        }
        found
    }

    /// Runs `rule`; when it fails, the position goes back to where it was.
    pub(super) fn attempt<T>(&mut self, rule: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let save = self.pos;
        let found = rule(self);
        if found.is_none() {
            self.pos = save;
        }
        found
    }

    /// `ASCII_DIGIT+` at the position.
    pub(super) fn digits(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos > start
    }

    pub(super) fn not_ident_char(&self) -> bool {
        !self.peek().is_some_and(is_ident_char)
    }

    /// `int_lit` after skipping: its text.
    pub(super) fn int_text(&mut self) -> Option<(usize, usize)> {
        self.attempt(|p| {
            p.skip();
            let start = p.pos;
            (p.digits() && p.not_ident_char()).then_some((start, p.pos))
        })
    }

    /// `int_lit` as a number; too large is a mistake (E0005).
    pub(super) fn integer(&mut self) -> Option<u64> {
        let (start, end) = self.int_text()?;
        let value = self.text[start..end].parse().ok();
        self.poisoned |= value.is_none();
        Some(value.unwrap_or(0))
    }

    /// `quantity` after skipping.
    pub(super) fn quantity(&mut self) -> Option<Quantity> {
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
    pub(super) fn unit(&mut self, words: &[&str], plural: bool) -> Option<String> {
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

    pub(super) fn time_unit(&mut self) -> Option<String> {
        self.unit(&["second", "minute", "hour", "day", "week", "month", "year"], true)
    }

    /// `string_lit` at the position.
    pub(super) fn string_here(&mut self) -> Option<StringLit> {
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

    pub(super) fn string(&mut self) -> Option<StringLit> {
        self.attempt(|p| {
            p.skip();
            p.string_here()
        })
    }

    /// `object_name`: an identifier or a string, as an [`Ident`].
    pub(super) fn object_name(&mut self) -> Option<Ident> {
        if let Some(name) = self.ident() {
            return Some(name);
        }
        self.string().map(|s| Ident { name: s.value, span: s.span })
    }

    /// `docs`: the `///` lines above a declaration or member.
    pub(super) fn docs(&mut self) -> Vec<String> {
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
    pub(super) fn ident_list(&mut self) -> Option<Vec<Ident>> {
        let mut names = vec![self.ident()?];
        while let Some(name) = self.attempt(|p| if p.token(",") { p.ident() } else { None }) {
            names.push(name);
        }
        Some(names)
    }

    /// `"(" ~ ident ~ ("," ~ ident)* ~ ","? ~ ")"`
    pub(super) fn column_list(&mut self) -> Option<Vec<Ident>> {
        self.attempt(|p| {
            if !p.token("(") {
                return None;
            }
            let names = p.ident_list()?;
            p.token(",");
            p.token(")").then_some(names)
        })
    }
}
