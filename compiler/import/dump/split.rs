//! Splits a psql script into the pieces psql would act on one by one: SQL
//! statements, backslash meta-commands, and the data blocks that follow
//! `COPY … FROM stdin`.
//!
//! It follows psql's own rules (`psqlscan.l`): a `;` ends a statement only
//! outside quotes, comments and parentheses, and outside the `BEGIN … END`
//! body of a `CREATE [OR REPLACE] FUNCTION|PROCEDURE`; a `\` outside quotes
//! starts a meta-command that runs to the end of its line; `\;` and `\:` put
//! a plain `;` or `:` into the statement. It only cuts text: it runs nothing
//! and judges no statement beyond what cutting needs (whether a COPY reads
//! data that follows, whether strings stop being standard).

use std::ops::Range;

use super::lex::{Lexer, Quote, TokenKind};
use super::verdict;

/// One thing psql would do with the script, where it is in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub kind: PieceKind,
    /// Byte range in the script: from the first character that is not
    /// blank or a comment.
    pub span: Range<usize>,
    /// 1-based line and column (in characters) of `span.start`.
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PieceKind {
    /// A statement as psql sends it: the span's text, with any meta-command
    /// inside it blanked out and `\;` sent as ` ;`. It has as many characters
    /// as the span, so a server position in it is one in the span.
    Sql(String),
    /// A psql meta-command line, e.g. `\c chinook;`. A meta-command in the
    /// middle of a statement comes right after that statement's piece.
    Meta(String),
    /// The rows after `COPY … FROM stdin;` (or `\copy … from stdin`), up to
    /// and including the line `\.`.
    CopyData,
    /// A quote or comment opened at `span.start` and never closed: the rest
    /// of the script, which psql would send as one broken statement.
    Unterminated(Quote),
}

/// 1-based lines and character columns of byte offsets.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts[line];
        let column = self.text.get(start..offset).map_or(0, |s| s.chars().count());
        (line + 1, column + 1)
    }
}

/// The statement being collected.
#[derive(Default)]
struct Statement {
    start: Option<usize>,
    /// End of its last token that is not blank or a comment.
    end: usize,
    parens: usize,
    /// psql's guess at `BEGIN … END` nesting in a SQL-standard function body.
    begins: usize,
    /// First letters of `create`, `or`, `replace`, `function`, `procedure`
    /// among the first four words, as psql keeps them.
    leading: [u8; 4],
    words: usize,
    /// Byte ranges to send as spaces (meta-commands inside the statement)
    /// and meta-command pieces found inside it.
    blanks: Vec<Range<usize>>,
    inner_meta: Vec<Range<usize>>,
}

impl Statement {
    fn begin_at(&mut self, start: usize, end: usize) {
        self.start.get_or_insert(start);
        self.end = end;
    }

    fn defines_routine(&self) -> bool {
        let l = self.leading;
        l[0] == b'c'
            && (l[1] == b'f' || l[1] == b'p' || (l[1] == b'o' && l[2] == b'r' && (l[3] == b'f' || l[3] == b'p')))
    }

    /// psql's heuristic for `BEGIN ATOMIC … END` bodies: count BEGIN, CASE
    /// and END words once the statement reads `CREATE [OR REPLACE]
    /// FUNCTION|PROCEDURE`.
    fn word(&mut self, word: &str) {
        let lower = word.to_ascii_lowercase();
        if ["create", "function", "procedure", "or", "replace"].contains(&lower.as_str()) && self.words < 4 {
            self.leading[self.words] = lower.as_bytes()[0];
        }
        self.words += 1;
        if self.defines_routine() && self.parens == 0 {
            match lower.as_str() {
                "begin" => self.begins += 1,
                "case" if self.begins >= 1 => self.begins += 1,
                "end" => self.begins = self.begins.saturating_sub(1),
                _ => {}
            }
        }
    }
}

struct Splitter<'a> {
    text: &'a str,
    lines: Lines<'a>,
    lexer: Lexer<'a>,
    pieces: Vec<Piece>,
}

impl<'a> Splitter<'a> {
    fn push(&mut self, kind: PieceKind, span: Range<usize>) {
        let (line, column) = self.lines.line_col(span.start);
        self.pieces.push(Piece { kind, span, line, column });
    }

    /// End of the line holding `at`, before its `\n` (and a `\r` before it).
    fn line_end(&self, at: usize) -> usize {
        let end = self.text[at..].find('\n').map_or(self.text.len(), |i| at + i);
        if end > at && self.text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    fn next_line(&self, at: usize) -> usize {
        self.text[at..].find('\n').map_or(self.text.len(), |i| at + i + 1)
    }

    /// The data of a COPY from stdin starts on the line after the command
    /// and ends with the line `\.` (or the end of the script).
    fn copy_data(&mut self, after: usize) {
        let start = self.next_line(after);
        let mut line = start;
        let end = loop {
            if line >= self.text.len() {
                break self.text.len();
            }
            let next = self.next_line(line);
            if self.text[line..self.line_end(line)] == *"\\." {
                break next;
            }
            line = next;
        };
        self.push(PieceKind::CopyData, start..end);
        self.lexer.pos = end;
    }

    /// Emits the statement ending at `end`; true when it is a COPY that
    /// reads the lines after it once sent.
    fn finish(&mut self, statement: Statement, end: usize) -> bool {
        let Some(start) = statement.start else { return false };
        let mut sql = String::with_capacity(end - start);
        let mut at = start;
        for blank in &statement.blanks {
            sql.push_str(&self.text[at..blank.start]);
            sql.extend(self.text[blank.clone()].chars().map(|_| ' '));
            at = blank.end;
        }
        sql.push_str(&self.text[at..end]);
        let reads_stdin = verdict::copies_from_stdin(&sql, self.lexer.standard_strings);
        if let Some(standard) = verdict::standard_strings_after(&sql, self.lexer.standard_strings) {
            self.lexer.standard_strings = standard;
        }
        self.push(PieceKind::Sql(sql), start..end);
        for meta in statement.inner_meta {
            self.push(PieceKind::Meta(self.text[meta.clone()].to_string()), meta);
        }
        reads_stdin
    }

    /// At a `\` outside quotes.
    fn backslash(&mut self, at: usize, statement: &mut Statement) {
        if matches!(self.text.as_bytes().get(at + 1), Some(b';' | b':')) {
            // psql puts the bare character into the statement.
            statement.blanks.push(at..at + 1);
            statement.begin_at(at, at + 2);
            self.lexer.pos = at + 2;
            return;
        }
        let end = self.line_end(at);
        self.lexer.pos = end;
        let command = &self.text[at..end];
        if statement.start.is_none() {
            self.push(PieceKind::Meta(command.to_string()), at..end);
            if verdict::meta_copies_from_stdin(command) {
                self.copy_data(end);
            }
        } else if verdict::meta_name(command).starts_with('g') {
            // `\g`, `\gx`, `\gset`, `\gexec`, `\gdesc` send the statement.
            let done = std::mem::take(statement);
            let statement_end = done.end;
            let reads_stdin = self.finish(done, statement_end);
            self.push(PieceKind::Meta(command.to_string()), at..end);
            if reads_stdin {
                self.copy_data(end);
            }
        } else {
            // psql runs it at once and goes on collecting the statement.
            statement.blanks.push(at..end);
            statement.inner_meta.push(at..end);
            statement.end = end;
        }
    }
}

/// Cuts a psql script into pieces, in order. Never fails: an unclosed quote
/// or comment ends the list with an [`PieceKind::Unterminated`] piece.
pub fn split(text: &str) -> Vec<Piece> {
    let mut splitter = Splitter { text, lines: Lines::new(text), lexer: Lexer::new(text, true), pieces: Vec::new() };
    let mut statement = Statement::default();
    while let Some(token) = splitter.lexer.next() {
        match token.kind {
            TokenKind::Space | TokenKind::Comment => {}
            TokenKind::Unterminated(quote) => {
                // The statement it is part of is never sent.
                splitter.push(PieceKind::Unterminated(quote), token.start..text.len());
                return splitter.pieces;
            }
            TokenKind::Backslash => splitter.backslash(token.start, &mut statement),
            TokenKind::Punct(b';') if statement.parens == 0 && statement.begins == 0 => {
                let done = std::mem::take(&mut statement);
                if splitter.finish(done, token.end) {
                    splitter.copy_data(token.end);
                }
            }
            kind => {
                statement.begin_at(token.start, token.end);
                match kind {
                    TokenKind::Punct(b'(') => statement.parens += 1,
                    TokenKind::Punct(b')') => statement.parens = statement.parens.saturating_sub(1),
                    TokenKind::Word if !text.as_bytes()[token.start].is_ascii_digit() => {
                        statement.word(&text[token.start..token.end])
                    }
                    _ => {}
                }
            }
        }
    }
    let end = statement.end;
    splitter.finish(statement, end);
    splitter.pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The statements of a script, as sent.
    fn statements(text: &str) -> Vec<String> {
        split(text)
            .into_iter()
            .filter_map(|p| match p.kind {
                PieceKind::Sql(sql) => Some(sql),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn semicolons_in_comments_do_not_end_a_statement() {
        let text = "SELECT 1 -- a; b\n;\nSELECT /* x; /* nested; */ still; */ 2;";
        assert_eq!(statements(text), ["SELECT 1 -- a; b\n;", "SELECT /* x; /* nested; */ still; */ 2;"]);
    }

    #[test]
    fn semicolons_in_strings_and_identifiers_do_not_end_a_statement() {
        assert_eq!(statements("SELECT 'it''s; ok'; SELECT 2;"), ["SELECT 'it''s; ok';", "SELECT 2;"]);
        assert_eq!(statements(r"SELECT E'a\';b'; SELECT 2;"), [r"SELECT E'a\';b';", "SELECT 2;"]);
        assert_eq!(
            statements(r#"CREATE TABLE "a;""b" (x int); SELECT 2;"#),
            [r#"CREATE TABLE "a;""b" (x int);"#, "SELECT 2;"]
        );
    }

    #[test]
    fn dollar_quoted_bodies_hold_semicolons() {
        let text = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
                    DO $body$ BEGIN PERFORM '$$;'; END $body$;\nSELECT 3;";
        assert_eq!(
            statements(text),
            [
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;",
                "DO $body$ BEGIN PERFORM '$$;'; END $body$;",
                "SELECT 3;"
            ]
        );
    }

    #[test]
    fn begin_atomic_bodies_hold_semicolons() {
        let text = "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql\n\
                    BEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND;\nBEGIN;\nCOMMIT;";
        let found = statements(text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].ends_with("SELECT 2;\nEND;"));
        assert_eq!(found[1..], ["BEGIN;", "COMMIT;"]);
    }

    #[test]
    fn semicolons_inside_parentheses_do_not_end_a_statement() {
        assert_eq!(statements("SELECT (1;2); SELECT 3;"), ["SELECT (1;2);", "SELECT 3;"]);
    }

    #[test]
    fn pieces_start_at_their_first_character_after_comments() {
        let pieces = split("/* banner\n*/\n\n  -- note\n  CREATE TABLE é (a int);\nSELECT 1");
        assert_eq!(pieces.len(), 2);
        assert_eq!((pieces[0].line, pieces[0].column), (5, 3));
        assert_eq!(pieces[0].span.start, "/* banner\n*/\n\n  -- note\n  ".len());
        assert_eq!((pieces[1].line, pieces[1].column), (6, 1));
        assert_eq!(pieces[1].kind, PieceKind::Sql("SELECT 1".into()));
    }

    #[test]
    fn columns_count_characters() {
        let pieces = split("SELECT 'é'; SELECT 2;");
        assert_eq!((pieces[1].line, pieces[1].column), (1, 13));
        assert_eq!(pieces[1].span.start, 13);
    }

    #[test]
    fn meta_commands_are_pieces_of_their_own() {
        let pieces = split("CREATE DATABASE chinook;\n\\c chinook;\n\\set ON_ERROR_STOP on\nCREATE TABLE a (x int);\n");
        let kinds: Vec<_> = pieces.iter().map(|p| p.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                PieceKind::Sql("CREATE DATABASE chinook;".into()),
                PieceKind::Meta("\\c chinook;".into()),
                PieceKind::Meta("\\set ON_ERROR_STOP on".into()),
                PieceKind::Sql("CREATE TABLE a (x int);".into()),
            ]
        );
        assert_eq!(pieces[1].line, 2);
    }

    #[test]
    fn copy_from_stdin_is_followed_by_its_data_up_to_the_end_marker() {
        let text = "COPY public.t (a, b) FROM stdin;\n1\tit's; \\N\n2\t$$\n\\.\nSELECT 1;\n";
        let pieces = split(text);
        let kinds: Vec<_> = pieces.iter().map(|p| p.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                PieceKind::Sql("COPY public.t (a, b) FROM stdin;".into()),
                PieceKind::CopyData,
                PieceKind::Sql("SELECT 1;".into())
            ]
        );
        assert_eq!(&text[pieces[1].span.clone()], "1\tit's; \\N\n2\t$$\n\\.\n");
        assert_eq!(pieces[1].line, 2);
    }

    #[test]
    fn backslash_copy_from_stdin_is_followed_by_its_data() {
        let pieces = split("\\copy t from stdin\r\n'x\r\n\\.\r\nSELECT 1;");
        let kinds: Vec<_> = pieces.iter().map(|p| p.kind.clone()).collect();
        assert_eq!(
            kinds,
            [PieceKind::Meta("\\copy t from stdin".into()), PieceKind::CopyData, PieceKind::Sql("SELECT 1;".into())]
        );
    }

    #[test]
    fn meta_command_inside_a_statement_is_blanked_out_of_it() {
        let text = "CREATE TABLE t (\n\\echo half way\n  a int\n);";
        let pieces = split(text);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].kind, PieceKind::Sql("CREATE TABLE t (\n              \n  a int\n);".into()));
        assert_eq!(pieces[0].span, 0..text.len());
        assert_eq!(pieces[1].kind, PieceKind::Meta("\\echo half way".into()));
        assert_eq!(pieces[1].line, 2);
    }

    #[test]
    fn backslash_semicolon_is_a_semicolon_that_does_not_send() {
        assert_eq!(statements("SELECT 1\\; SELECT 2;"), ["SELECT 1 ; SELECT 2;"]);
    }

    #[test]
    fn backslash_g_sends_the_statement() {
        let pieces = split("SELECT 'CREATE TABLE x ()' \\gexec\nSELECT 2;");
        assert_eq!(pieces[0].kind, PieceKind::Sql("SELECT 'CREATE TABLE x ()'".into()));
        assert_eq!(pieces[1].kind, PieceKind::Meta("\\gexec".into()));
        assert_eq!(pieces[2].kind, PieceKind::Sql("SELECT 2;".into()));
    }

    #[test]
    fn unterminated_quotes_and_comments_point_at_their_opening() {
        for (text, quote, at) in [
            ("SELECT 1;\nSELECT 'abc;\nSELECT 2;", Quote::String, 17),
            ("SELECT 1;\nSELECT E'a\\';", Quote::String, 17),
            ("SELECT \"abc;", Quote::Identifier, 7),
            ("CREATE FUNCTION f() AS $$\nBEGIN; END;\n", Quote::Dollar("$$".into()), 23),
            ("SELECT $fn$ x $fn;", Quote::Dollar("$fn$".into()), 7),
            ("SELECT 1; /* a /* b */", Quote::BlockComment, 10),
        ] {
            let pieces = split(text);
            let last = pieces.last().expect("a piece");
            assert_eq!(last.kind, PieceKind::Unterminated(quote), "{text}");
            assert_eq!(last.span, at..text.len(), "{text}");
            assert!(
                pieces[..pieces.len() - 1].iter().all(|p| p.span.end <= at),
                "the statement holding the quote is not a piece of its own: {pieces:?}"
            );
        }
    }

    #[test]
    fn strings_take_backslash_escapes_after_standard_conforming_strings_off() {
        let text = "SET standard_conforming_strings = off;\nINSERT INTO t VALUES ('a\\';b');\nSELECT 1;";
        assert_eq!(statements(text).len(), 3);
        let standard = split(&text.replace("= off", "= on"));
        assert_eq!(standard.last().map(|p| &p.kind), Some(&PieceKind::Unterminated(Quote::String)));
    }

    #[test]
    fn a_last_statement_without_semicolon_is_still_sent() {
        assert_eq!(statements("SELECT 1;\nSELECT 2\n-- the end\n"), ["SELECT 1;", "SELECT 2"]);
        assert!(split("-- only a comment\n;\n").is_empty());
    }

    fn sql_like() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-zA-Z0-9 \t\r\n;'\"$\\\\/*()&.éE_-]{0,120}",
            prop::collection::vec(
                prop_oneof![
                    Just("'"),
                    Just("E'"),
                    Just("\""),
                    Just("$$"),
                    Just("$a$"),
                    Just("/*"),
                    Just("*/"),
                    Just("--"),
                    Just("\n"),
                    Just(";"),
                    Just("\\"),
                    Just("\\.\n"),
                    Just("COPY t FROM stdin;\n"),
                    Just("CREATE FUNCTION f() BEGIN ATOMIC "),
                    Just("END"),
                    Just("("),
                    Just(")"),
                    Just("é"),
                    Just(" x "),
                ],
                0..40
            )
            .prop_map(|parts| parts.concat()),
        ]
    }

    proptest! {
        #[test]
        fn any_text_splits_into_ordered_pieces_inside_it(text in sql_like()) {
            let pieces = split(&text);
            let mut end = 0;
            let mut statement: Option<&Piece> = None;
            for piece in &pieces {
                let span = piece.span.clone();
                prop_assert!(span.start <= span.end && span.end <= text.len(), "{span:?} outside {}", text.len());
                prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
                let nested = matches!(piece.kind, PieceKind::Meta(_))
                    && statement.is_some_and(|s| s.span.start <= span.start && span.end <= s.span.end);
                if nested {
                    if let Some(Piece { kind: PieceKind::Sql(sql), span: outer, .. }) = statement {
                        let blank = &sql[..];
                        let skip = text[outer.start..span.start].chars().count();
                        let len = text[span.clone()].chars().count();
                        prop_assert!(blank.chars().skip(skip).take(len).all(|c| c == ' '));
                    }
                    continue;
                }
                prop_assert!(span.start >= end, "{piece:?} overlaps the piece before it ({end})");
                end = span.end;
                statement = Some(piece);
                if let PieceKind::Sql(sql) = &piece.kind {
                    prop_assert_eq!(sql.chars().count(), text[span].chars().count());
                }
            }
        }
    }
}
