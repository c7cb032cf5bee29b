//! The tokens of a psql script, as far as splitting it needs: words,
//! quoted strings and identifiers, comments, whitespace, backslashes and
//! single punctuation characters, each as a byte range of the text.
//!
//! The rules follow PostgreSQL's lexer (`scan.l`, and psql's `psqlscan.l`):
//! `--` and nested `/* */` comments, `'…'` with `''`, `E'…'` with backslash
//! escapes, `"…"` with `""`, `$tag$…$tag$`, and identifiers that may hold `$`
//! (so `a$$` is one word, not a dollar quote). It does not parse SQL, and it
//! never fails: text it cannot close becomes one `Unterminated` token that
//! runs to the end of the input.

use std::fmt;

/// What was opened and never closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quote {
    /// `'…'`, `E'…'`, `B'…'`, `X'…'`, `N'…'`, `U&'…'`.
    String,
    /// `"…"` or `U&"…"`.
    Identifier,
    /// `$tag$…$tag$`; holds the delimiter, `$tag$` or `$$`.
    Dollar(String),
    /// `/* … */`, which nests.
    BlockComment,
}

impl Quote {
    /// The text that would close it.
    pub fn closer(&self) -> &str {
        match self {
            Quote::String => "'",
            Quote::Identifier => "\"",
            Quote::Dollar(delimiter) => delimiter,
            Quote::BlockComment => "*/",
        }
    }
}

impl fmt::Display for Quote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quote::String => f.write_str("quoted string"),
            Quote::Identifier => f.write_str("quoted identifier"),
            Quote::Dollar(delimiter) => write!(f, "dollar-quoted string `{delimiter}`"),
            Quote::BlockComment => f.write_str("block comment"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A keyword, an unquoted identifier or a number.
    Word,
    QuotedIdentifier,
    /// Any string constant, dollar-quoted ones included.
    Str,
    Comment,
    Space,
    /// A `\` outside quotes: a psql meta-command, or `\;` / `\:`.
    Backslash,
    /// One other character: `;`, `(`, `)`, an operator character…
    Punct(u8),
    /// The rest of the input, from an opening that is never closed.
    Unterminated(Quote),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

pub struct Lexer<'a> {
    text: &'a str,
    pub pos: usize,
    /// `standard_conforming_strings`: when off, `'…'` takes backslash
    /// escapes too (dumps of servers older than 9.1 turn it off).
    pub standard_strings: bool,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x0b')
}

/// `ident_start` of scan.l: letters, `_` and every byte of a non-ASCII
/// character.
fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// `ident_cont` of scan.l: `$` may continue an identifier.
fn is_word_continue(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str, standard_strings: bool) -> Lexer<'a> {
        Lexer { text, pos: 0, standard_strings }
    }

    /// A lexer that starts at `pos`, a character boundary of `text`.
    pub fn at(text: &'a str, pos: usize, standard_strings: bool) -> Lexer<'a> {
        Lexer { text, pos, standard_strings }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    fn token(&mut self, kind: TokenKind, end: usize) -> Token {
        let token = Token { kind, start: self.pos, end };
        self.pos = end;
        token
    }

    fn unterminated(&mut self, quote: Quote) -> Token {
        self.token(TokenKind::Unterminated(quote), self.text.len())
    }

    /// A `'…'` string whose opening quote is at `quote`.
    fn string(&mut self, quote: usize, backslash_escapes: bool) -> Token {
        let bytes = self.text.as_bytes();
        let mut i = quote + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if backslash_escapes => i += 2,
                b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                b'\'' => return self.token(TokenKind::Str, i + 1),
                _ => i += 1,
            }
        }
        self.unterminated(Quote::String)
    }

    fn quoted_identifier(&mut self, quote: usize) -> Token {
        let bytes = self.text.as_bytes();
        let mut i = quote + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'"' if bytes.get(i + 1) == Some(&b'"') => i += 2,
                b'"' => return self.token(TokenKind::QuotedIdentifier, i + 1),
                _ => i += 1,
            }
        }
        self.unterminated(Quote::Identifier)
    }

    fn block_comment(&mut self) -> Token {
        let bytes = self.text.as_bytes();
        let mut depth = 1usize;
        let mut i = self.pos + 2;
        while i < bytes.len() {
            match (bytes[i], bytes.get(i + 1)) {
                (b'/', Some(b'*')) => {
                    depth += 1;
                    i += 2;
                }
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return self.token(TokenKind::Comment, i);
                    }
                }
                _ => i += 1,
            }
        }
        self.unterminated(Quote::BlockComment)
    }

    /// At a `$`: a dollar quote, a parameter (`$1`), or the character alone.
    fn dollar(&mut self) -> Token {
        let bytes = self.text.as_bytes();
        let mut i = self.pos + 1;
        if bytes.get(i).is_some_and(u8::is_ascii_digit) {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            return self.token(TokenKind::Word, i);
        }
        if bytes.get(i).copied().is_some_and(is_ident_start) {
            while bytes.get(i).is_some_and(|b| is_ident_start(*b) || b.is_ascii_digit()) {
                i += 1;
            }
        }
        if bytes.get(i) != Some(&b'$') {
            return self.token(TokenKind::Punct(b'$'), self.pos + 1);
        }
        let delimiter = &self.text[self.pos..=i];
        match self.text[i + 1..].find(delimiter) {
            Some(at) => self.token(TokenKind::Str, i + 1 + at + delimiter.len()),
            None => self.unterminated(Quote::Dollar(delimiter.to_string())),
        }
    }

    /// A word, or a string constant whose prefix the word turns out to be.
    fn word(&mut self) -> Token {
        let bytes = self.text.as_bytes();
        let mut end = self.pos;
        while bytes.get(end).copied().is_some_and(is_word_continue) {
            end += 1;
        }
        if end == self.pos + 1 {
            let next = self.byte(end);
            let after = self.byte(end + 1);
            match (bytes[self.pos].to_ascii_lowercase(), next, after) {
                (b'e', Some(b'\''), _) => return self.string(end, true),
                (b'b' | b'x', Some(b'\''), _) => return self.string(end, false),
                (b'n', Some(b'\''), _) => return self.string(end, !self.standard_strings),
                (b'u', Some(b'&'), Some(b'\'')) => return self.string(end + 1, false),
                (b'u', Some(b'&'), Some(b'"')) => return self.quoted_identifier(end + 1),
                _ => {}
            }
        }
        self.token(TokenKind::Word, end)
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let bytes = self.text.as_bytes();
        let first = *bytes.get(self.pos)?;
        let second = self.byte(self.pos + 1);
        Some(match (first, second) {
            (b, _) if is_space(b) => {
                let end = (self.pos..bytes.len()).find(|&i| !is_space(bytes[i])).unwrap_or(bytes.len());
                self.token(TokenKind::Space, end)
            }
            (b'-', Some(b'-')) => {
                let end = (self.pos..bytes.len()).find(|&i| matches!(bytes[i], b'\n' | b'\r')).unwrap_or(bytes.len());
                self.token(TokenKind::Comment, end)
            }
            (b'/', Some(b'*')) => self.block_comment(),
            (b'\'', _) => self.string(self.pos, !self.standard_strings),
            (b'"', _) => self.quoted_identifier(self.pos),
            (b'$', _) => self.dollar(),
            (b'\\', _) => self.token(TokenKind::Backslash, self.pos + 1),
            (b, _) if is_ident_start(b) || b.is_ascii_digit() => self.word(),
            (b, _) => self.token(TokenKind::Punct(b), self.pos + 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        Lexer::new(text, true)
            .filter(|t| t.kind != TokenKind::Space)
            .map(|t| (t.kind.clone(), &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn dollar_inside_an_identifier_does_not_open_a_quote() {
        assert_eq!(kinds("a$$ b"), [(TokenKind::Word, "a$$"), (TokenKind::Word, "b")]);
        assert_eq!(kinds("$1 + $2"), [(TokenKind::Word, "$1"), (TokenKind::Punct(b'+'), "+"), (TokenKind::Word, "$2")]);
    }

    #[test]
    fn string_prefixes_belong_to_the_string() {
        assert_eq!(kinds(r"E'a\'b'"), [(TokenKind::Str, r"E'a\'b'")]);
        assert_eq!(kinds("U&'\\00FC'"), [(TokenKind::Str, "U&'\\00FC'")]);
        assert_eq!(kinds("U&\"x\"\"y\""), [(TokenKind::QuotedIdentifier, "U&\"x\"\"y\"")]);
        assert_eq!(kinds("xe'a'"), [(TokenKind::Word, "xe"), (TokenKind::Str, "'a'")]);
    }

    #[test]
    fn backslash_escapes_plain_strings_only_when_strings_are_not_standard() {
        let text = r"'a\' ; '";
        assert_eq!(Lexer::new(text, true).next().map(|t| t.end), Some(4));
        assert_eq!(Lexer::new(text, false).next().map(|t| t.end), Some(text.len()));
    }

    #[test]
    fn slash_star_slash_opens_a_comment() {
        assert_eq!(kinds("/*/ x */y"), [(TokenKind::Comment, "/*/ x */"), (TokenKind::Word, "y")]);
    }
}
