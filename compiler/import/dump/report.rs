//! The diagnostics of loading a dump: the error that ended it (E1020–E1023)
//! and the warnings for what it left out (W1020–W1023). Each says what to do.
//! This module only words and places them; it decides nothing about the load.

use crate::backends::postgres::quote;
use crate::diagnostics::{codes, Diagnostic, Sources, Span};

use super::lex::{Lexer, TokenKind};
use super::{Cause, DumpError, Loaded, ServerError};

/// Words that begin a statement: a syntax error at one of them, at the start
/// of a line, usually means the statement before it lacks its `;`.
const STATEMENT_STARTS: &[&str] = &[
    "alter", "analyze", "begin", "call", "cluster", "comment", "commit", "copy", "create", "delete", "do", "drop",
    "end", "grant", "insert", "refresh", "reindex", "reset", "revoke", "rollback", "security", "select", "set",
    "start", "truncate", "update", "vacuum", "with",
];

fn server_notes(mut diagnostic: Diagnostic, server: &ServerError) -> Diagnostic {
    diagnostic = diagnostic.note(format!("PostgreSQL: {} (SQLSTATE {})", server.message, server.sqlstate));
    if let Some(detail) = &server.detail {
        diagnostic = diagnostic.note(format!("detail: {detail}"));
    }
    diagnostic
}

/// The end of the statement before a syntax error, when the error sits on
/// a statement's first word at the start of a line.
fn missing_semicolon(error: &DumpError, sources: &Sources) -> Option<Span> {
    let word = sources.text(error.span).to_ascii_lowercase();
    if !STATEMENT_STARTS.contains(&word.as_str()) || error.span.start <= error.statement.start {
        return None;
    }
    let text = &sources.get(error.statement.file).text;
    let before = &text[error.statement.start as usize..error.span.start as usize];
    let last = Lexer::new(before, true).filter(|t| !matches!(t.kind, TokenKind::Space | TokenKind::Comment)).last()?;
    if !before[last.end..].contains('\n') {
        return None;
    }
    let end = error.statement.start as usize + last.end;
    let start = text[..end].char_indices().next_back().map_or(end, |(i, _)| i);
    Some(Span::new(error.statement.file, start, end))
}

pub fn error(error: &DumpError, sources: &Sources) -> Diagnostic {
    let statement_start =
        Span::new(error.statement.file, error.statement.start as usize, error.statement.start as usize);
    let in_statement = |d: Diagnostic| {
        if error.line == error.statement_line {
            d
        } else {
            d.also(statement_start, "in the statement that starts here")
        }
    };
    match &error.cause {
        Cause::Rejected(server) => {
            let mut d = Diagnostic::new(codes::E1020, format!("PostgreSQL rejected the dump: {}", server.message))
                .at(error.span, "the server's error is here");
            d = in_statement(d);
            let semicolon = (server.sqlstate == "42601").then(|| missing_semicolon(error, sources)).flatten();
            if let Some(end) = semicolon {
                d = d.also(end, "a `;` is probably missing here");
            }
            d = server_notes(d, server).note(
                "the statements before this one ran; schemac stops at the first error, as `psql -v ON_ERROR_STOP=1` does",
            );
            match (&server.hint, semicolon) {
                (Some(hint), _) => d.help(hint.clone()),
                (None, Some(_)) => d.help("end the statement before it with `;`"),
                (None, None) => d.help(format!(
                    "fix the statement: the dump must load into an empty database with `psql -v ON_ERROR_STOP=1 -f {}`",
                    error.file
                )),
            }
        }
        Cause::MissingRole { role, created_at, server } => {
            let mut d =
                Diagnostic::new(codes::E1021, format!("the dump needs role `{role}`, which the server does not have"))
                    .at(error.span, format!("needs role `{role}`"));
            d = in_statement(d);
            if let Some(line) = created_at {
                d = d.note(format!(
                    "the dump creates `{role}` at line {line}, but schemac does not run role statements: \
                     roles belong to the whole server, not to the scratch database"
                ));
            }
            server_notes(d, server).help(format!(
                "create the role on the server first (`CREATE ROLE {} NOLOGIN;`), or load the dump into a server \
                 that has it; a dump made with `pg_dump --no-owner --no-privileges` names no roles",
                quote::ident(role)
            ))
        }
        Cause::MissingExtension { extension, server } => {
            let d = Diagnostic::new(
                codes::E1022,
                format!("the dump needs extension `{extension}`, which is not installed on the server"),
            )
            .at(error.span, format!("needs extension `{extension}`"));
            server_notes(in_statement(d), server).help(
                "install the extension's package on the machine PostgreSQL runs on, or load the dump into a server \
                 that has it; `SELECT name FROM pg_available_extensions` lists what this server has",
            )
        }
        Cause::Unterminated(quote) => Diagnostic::new(codes::E1023, format!("unterminated {quote} in the SQL dump"))
            .at(error.span, "opened here and never closed")
            .note("schemac checks the whole dump before it runs any of it, so nothing ran")
            .help(format!("close it with `{}`", quote.closer())),
        Cause::Connection(message) => Diagnostic::new(
            codes::E1020,
            format!("the connection to PostgreSQL failed while loading the dump: {message}"),
        )
        .at(error.span, "while running this statement")
        .help("check that the server is running and reachable, then import again"),
    }
}

pub fn warnings(loaded: &Loaded, first_copy: Option<Span>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for skipped in &loaded.skipped_statements {
        out.push(
            Diagnostic::new(codes::W1020, format!("`{}` not run", skipped.what))
                .at(skipped.span, "skipped")
                .note(skipped.why.clone()),
        );
    }
    for skipped in &loaded.skipped_meta_commands {
        out.push(
            Diagnostic::new(codes::W1021, format!("psql meta-command `{}` not run", skipped.what))
                .at(skipped.span, "skipped")
                .note(skipped.why.clone()),
        );
    }
    if loaded.copy_blocks_skipped > 0 {
        let n = loaded.copy_blocks_skipped;
        let mut d = Diagnostic::new(
            codes::W1022,
            format!("the dump's rows are not loaded: {n} COPY data block{} skipped", if n == 1 { "" } else { "s" }),
        )
        .note("schemac imports the schema, not the rows; the tables are created empty");
        if let Some(span) = first_copy {
            d = d.at(span, if n == 1 { "this one" } else { "the first of them" });
        }
        out.push(d);
    }
    out
}

pub fn rolled_back(open_transaction: Option<Span>) -> Diagnostic {
    let d = Diagnostic::new(codes::W1023, "the dump ends inside a transaction, which was rolled back")
        .note("psql rolls back a transaction still open when a script ends, and so does schemac: nothing it did is imported")
        .help("end the dump with `COMMIT;`");
    match open_transaction {
        Some(span) => d.at(span, "the transaction opened here is never committed"),
        None => d,
    }
}
