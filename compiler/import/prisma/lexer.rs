//! Splits Prisma schema text into tokens with byte spans.
//!
//! Line ends are tokens (Prisma is line-based: one field per line), plain
//! `//` comments vanish and `///` comments become documentation tokens.
//! The lexer never fails: a character Prisma does not know and an
//! unterminated string are reported (E1000) and lexing goes on.

use crate::diagnostics::{codes, Diagnostic, FileId, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Ident(String),
    /// The string's value, escapes resolved.
    Str(String),
    /// As written, a leading `-` included.
    Number(String),
    /// The text after `///`, one leading space removed.
    Doc(String),
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Equals,
    Question,
    Dot,
    At,
    AtAt,
    Newline,
    Eof,
}

impl TokenKind {
    /// How a message names what was found.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Ident(name) => format!("`{name}`"),
            TokenKind::Str(_) => "a string".into(),
            TokenKind::Number(n) => format!("`{n}`"),
            TokenKind::Doc(_) => "a `///` comment".into(),
            TokenKind::LBrace => "`{`".into(),
            TokenKind::RBrace => "`}`".into(),
            TokenKind::LParen => "`(`".into(),
            TokenKind::RParen => "`)`".into(),
            TokenKind::LBracket => "`[`".into(),
            TokenKind::RBracket => "`]`".into(),
            TokenKind::Comma => "`,`".into(),
            TokenKind::Colon => "`:`".into(),
            TokenKind::Equals => "`=`".into(),
            TokenKind::Question => "`?`".into(),
            TokenKind::Dot => "`.`".into(),
            TokenKind::At => "`@`".into(),
            TokenKind::AtAt => "`@@`".into(),
            TokenKind::Newline => "the end of the line".into(),
            TokenKind::Eof => "the end of the file".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

pub fn tokenize(file: FileId, text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lexer = Lexer { file, text, pos: 0, tokens: Vec::new(), diagnostics: Vec::new() };
    lexer.run();
    (lexer.tokens, lexer.diagnostics)
}

struct Lexer<'a> {
    file: FileId,
    text: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    diagnostics: Vec<Diagnostic>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.text[self.pos..].chars().nth(ahead)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token { kind, span: Span::new(self.file, start, self.pos) });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            match c {
                '\n' => {
                    self.pos += 1;
                    self.push(TokenKind::Newline, start);
                }
                c if c.is_whitespace() => self.pos += c.len_utf8(),
                '/' if self.text[self.pos..].starts_with("///") => self.doc_comment(),
                '/' if self.text[self.pos..].starts_with("//") => self.skip_to_line_end(),
                '"' => self.string(),
                '-' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => self.number(),
                c if c.is_ascii_digit() => self.number(),
                c if c.is_ascii_alphabetic() || c == '_' => self.ident(),
                '@' if self.text[self.pos..].starts_with("@@") => {
                    self.pos += 2;
                    self.push(TokenKind::AtAt, start);
                }
                _ => {
                    self.pos += c.len_utf8();
                    let kind = match c {
                        '{' => TokenKind::LBrace,
                        '}' => TokenKind::RBrace,
                        '(' => TokenKind::LParen,
                        ')' => TokenKind::RParen,
                        '[' => TokenKind::LBracket,
                        ']' => TokenKind::RBracket,
                        ',' => TokenKind::Comma,
                        ':' => TokenKind::Colon,
                        '=' => TokenKind::Equals,
                        '?' => TokenKind::Question,
                        '.' => TokenKind::Dot,
                        '@' => TokenKind::At,
                        other => {
                            let span = Span::new(self.file, start, self.pos);
                            self.diagnostics.push(
                                Diagnostic::new(
                                    codes::E1000,
                                    format!("unexpected character `{}`", other.escape_debug()),
                                )
                                .at(span, "Prisma has no such character here"),
                            );
                            continue;
                        }
                    };
                    self.push(kind, start);
                }
            }
        }
        let end = self.text.len();
        self.tokens.push(Token { kind: TokenKind::Eof, span: Span::new(self.file, end, end) });
    }

    fn skip_to_line_end(&mut self) {
        self.pos = self.text[self.pos..].find('\n').map_or(self.text.len(), |i| self.pos + i);
    }

    fn doc_comment(&mut self) {
        let start = self.pos;
        self.skip_to_line_end();
        let body = &self.text[start + 3..self.pos];
        let body = body.strip_prefix(' ').unwrap_or(body).trim_end();
        self.push(TokenKind::Doc(body.to_string()), start);
    }

    fn ident(&mut self) {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            self.pos += 1;
        }
        self.push(TokenKind::Ident(self.text[start..self.pos].to_string()), start);
    }

    fn number(&mut self) {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        self.push(TokenKind::Number(self.text[start..self.pos].to_string()), start);
    }

    /// A JSON-style string on one line.
    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else { return self.unterminated(start) };
            match c {
                '"' => {
                    self.pos += 1;
                    break;
                }
                '\n' => return self.unterminated(start),
                '\\' => {
                    self.pos += 1;
                    let Some(escaped) = self.peek() else { return self.unterminated(start) };
                    self.pos += escaped.len_utf8();
                    match escaped {
                        'n' => value.push('\n'),
                        't' => value.push('\t'),
                        'r' => value.push('\r'),
                        'u' => value.push(self.unicode_escape()),
                        '\n' => return self.unterminated(start),
                        other => value.push(other),
                    }
                }
                c => {
                    self.pos += c.len_utf8();
                    value.push(c);
                }
            }
        }
        self.push(TokenKind::Str(value), start);
    }

    /// The four hex digits after `\u` (a bad escape keeps the replacement
    /// character; the string still parses).
    fn unicode_escape(&mut self) -> char {
        let hex: String = self.text[self.pos..].chars().take(4).take_while(char::is_ascii_hexdigit).collect();
        self.pos += hex.len();
        u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).unwrap_or(char::REPLACEMENT_CHARACTER)
    }

    fn unterminated(&mut self, start: usize) {
        let span = Span::new(self.file, start, self.pos);
        self.diagnostics.push(
            Diagnostic::new(codes::E1000, "unterminated string")
                .at(span, "this string has no closing `\"` on its line")
                .help("close the string with `\"` before the end of the line"),
        );
        // The rest of the line is the string's; the parser sees a string.
        self.push(TokenKind::Str(String::new()), start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(FileId(0), text).0.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn attributes_strings_and_doc_comments_become_tokens() {
        use TokenKind::*;
        assert_eq!(
            kinds("/// The key.\nid String @db.VarChar(255) // not kept\n"),
            vec![
                Doc("The key.".into()),
                Newline,
                Ident("id".into()),
                Ident("String".into()),
                At,
                Ident("db".into()),
                Dot,
                Ident("VarChar".into()),
                LParen,
                Number("255".into()),
                RParen,
                Newline,
                Eof
            ]
        );
        assert_eq!(kinds(r#"@@map("a\"b") -1.5"#)[3], Str("a\"b".into()));
        assert_eq!(kinds(r#"@@map("a\"b") -1.5"#)[5], Number("-1.5".into()));
    }

    #[test]
    fn an_unterminated_string_is_reported_and_lexing_goes_on() {
        let (tokens, diagnostics) = tokenize(FileId(0), "a \"open\nb");
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(tokens.last().map(|t| t.kind.clone()), Some(TokenKind::Eof));
        assert!(tokens.iter().any(|t| t.kind == TokenKind::Ident("b".into())));
    }
}
