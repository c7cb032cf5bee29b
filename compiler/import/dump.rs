//! Loads an SQL dump (a pg_dump file, a psql script, a folder of
//! migrations read one file at a time) into a scratch PostgreSQL database,
//! so that the server itself parses it: whatever PostgreSQL accepts imports,
//! and whatever it rejects is reported with the server's own words, placed
//! on the dump's line and column.
//!
//! The script is cut as psql cuts it ([`split`]) and run one statement at a
//! time in the caller's session, so `SET`, `search_path` and the dump's own
//! `BEGIN`/`COMMIT` behave as under `psql -v ON_ERROR_STOP=1`: the first error
//! ends the load. Loading several files one after the other in one session
//! is `psql -f a.sql -f b.sql`; [`finish`] then ends the session's dump state
//! as psql's exit would. What would reach beyond the scratch database is never run
//! and is reported as a warning instead: databases, roles, tablespaces, the
//! server's configuration, COPY with files or programs, psql meta-commands
//! (`\c other_db`). The rows of `COPY … FROM stdin` are not loaded: import
//! reads the schema. Everything else runs as written, data statements and
//! functions included, with the caller's privileges: load only dumps you
//! would run with psql.
//!
//! This module must not create or drop the scratch database (the caller
//! owns it) nor read the catalog afterwards (introspection does).

mod lex;
mod report;
mod split;
mod verdict;

use postgres::error::{ErrorPosition, SqlState};
use postgres::Client;

use crate::diagnostics::{Diagnostic, FileId, Sources, Span};

pub use lex::Quote;
pub use split::{split, Piece, PieceKind};

/// What loading did, and what it left out.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Statements sent to the server (every one succeeded).
    pub statements_run: usize,
    /// Statements not run because they act beyond the scratch database.
    pub skipped_statements: Vec<Skipped>,
    pub skipped_meta_commands: Vec<Skipped>,
    /// `COPY … FROM stdin` (and `\copy … from stdin`) data blocks not loaded.
    pub copy_blocks_skipped: usize,
    /// The first line of the last `BEGIN` with no `COMMIT` or `ROLLBACK`
    /// after it: the transaction the dump leaves open, if any.
    pub open_transaction: Option<Span>,
    /// One warning per skipped statement and meta-command, and one for all
    /// the data blocks.
    pub warnings: Vec<Diagnostic>,
}

/// A statement or meta-command that was not run.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub span: Span,
    pub line: usize,
    /// `CREATE DATABASE`, `\c`.
    pub what: String,
    pub why: String,
}

/// The server's answer to a statement it refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The server refused the statement.
    Rejected(ServerError),
    /// The statement names a role the server does not have; `created_at` is
    /// the line of the skipped `CREATE ROLE` that would have made it.
    MissingRole { role: String, created_at: Option<usize>, server: ServerError },
    /// `CREATE EXTENSION` of an extension not installed on the server.
    MissingExtension { extension: String, server: ServerError },
    /// A quote or comment is never closed; nothing was run.
    Unterminated(Quote),
    /// The connection failed; this is not the server's verdict on the dump.
    Connection(String),
}

/// Why a dump did not load, and where.
#[derive(Debug, Clone)]
pub struct DumpError {
    /// The dump's name in [`Sources`].
    pub file: String,
    /// Where the server's error position points (or the statement, when it
    /// gives none), mapped into the dump.
    pub span: Span,
    /// 1-based line and character column of `span.start`.
    pub line: usize,
    pub column: usize,
    /// The statement that failed, and its first line as written.
    pub statement: Span,
    pub statement_line: usize,
    pub first_line: String,
    pub cause: Cause,
}

impl DumpError {
    pub fn server(&self) -> Option<&ServerError> {
        match &self.cause {
            Cause::Rejected(server) | Cause::MissingRole { server, .. } | Cause::MissingExtension { server, .. } => {
                Some(server)
            }
            Cause::Unterminated(_) | Cause::Connection(_) => None,
        }
    }

    /// The error as a diagnostic with its codes (E1020–E1023).
    pub fn diagnostic(&self, sources: &Sources) -> Diagnostic {
        report::error(self, sources)
    }
}

impl std::fmt::Display for DumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        match &self.cause {
            Cause::Rejected(server) => write!(f, "{} (SQLSTATE {})", server.message, server.sqlstate),
            Cause::MissingRole { role, .. } => {
                write!(f, "the dump needs role `{role}`, which the server does not have")
            }
            Cause::MissingExtension { extension, .. } => {
                write!(f, "the dump needs extension `{extension}`, which is not installed on the server")
            }
            Cause::Unterminated(quote) => write!(f, "unterminated {quote}"),
            Cause::Connection(message) => write!(f, "the connection failed: {message}"),
        }
    }
}

impl std::error::Error for DumpError {}

/// The dump's text with its place in [`Sources`].
struct Script<'a> {
    sources: &'a Sources,
    file: FileId,
    text: &'a str,
}

impl Script<'_> {
    fn span(&self, range: std::ops::Range<usize>) -> Span {
        Span::new(self.file, range.start, range.end)
    }

    /// `range` cut at the end of its first line.
    fn first_line(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let text = &self.text[range.clone()];
        let end = text.find(['\n', '\r']).map_or(range.end, |i| range.start + i);
        range.start..end
    }

    /// An error in the statement at `statement`, pointing at `at`.
    fn error(&self, statement: std::ops::Range<usize>, at: std::ops::Range<usize>, cause: Cause) -> Box<DumpError> {
        let source = self.sources.get(self.file);
        let (line, column) = source.line_col(at.start);
        let first = self.first_line(statement.clone());
        Box::new(DumpError {
            file: source.name.clone(),
            span: self.span(at),
            line,
            column,
            statement: self.span(statement.clone()),
            statement_line: source.line_col(statement.start).0,
            first_line: self.text[first].to_string(),
            cause,
        })
    }
}

/// Runs the dump `file` of `sources` in `client`'s session, statement by
/// statement, stopping at the first error. Nothing runs when a quote or
/// comment is never closed. The session keeps what the dump set (settings,
/// role, an open transaction) for the next file or for [`finish`].
pub fn load(client: &mut Client, sources: &Sources, file: FileId) -> Result<Loaded, Box<DumpError>> {
    let script = Script { sources, file, text: &sources.get(file).text };
    let pieces = split(script.text);
    if let Some(Piece { kind: PieceKind::Unterminated(quote), span, .. }) = pieces.last() {
        let opening = script.first_line(span.clone());
        return Err(script.error(span.clone(), opening, Cause::Unterminated(quote.clone())));
    }
    let mut loaded = Loaded::default();
    let mut standard_strings = true;
    let mut created_roles: Vec<(String, usize)> = Vec::new();
    let mut first_copy: Option<Span> = None;
    for piece in &pieces {
        let first_line = script.span(script.first_line(piece.span.clone()));
        match &piece.kind {
            PieceKind::Sql(sql) => {
                match verdict::judge(sql, standard_strings) {
                    verdict::Verdict::Run => {
                        client.batch_execute(sql).map_err(|e| {
                            let context = Context { piece, sql, standard_strings, created_roles: &created_roles };
                            rejected(&script, &context, &e)
                        })?;
                        loaded.statements_run += 1;
                        match verdict::transaction_effect(sql) {
                            Some(true) => loaded.open_transaction = Some(first_line),
                            Some(false) => loaded.open_transaction = None,
                            None => {}
                        }
                    }
                    verdict::Verdict::Skip { what, reason } => {
                        if let verdict::Reason::Role { created: Some(role) } = &reason {
                            created_roles.push((role.clone(), piece.line));
                        }
                        let why = reason.to_string();
                        loaded.skipped_statements.push(Skipped { span: first_line, line: piece.line, what, why });
                    }
                    verdict::Verdict::CopyFromStdin => {
                        first_copy.get_or_insert(first_line);
                    }
                }
                standard_strings = verdict::standard_strings_after(sql, standard_strings).unwrap_or(standard_strings);
            }
            PieceKind::Meta(command) => loaded.skipped_meta_commands.push(Skipped {
                span: first_line,
                line: piece.line,
                what: format!("\\{}", verdict::meta_name(command)),
                why: verdict::meta_note(command),
            }),
            PieceKind::CopyData => {
                loaded.copy_blocks_skipped += 1;
                first_copy.get_or_insert(first_line);
            }
            PieceKind::Unterminated(_) => {} // refused before anything ran
        }
    }
    loaded.warnings = report::warnings(&loaded, first_copy);
    Ok(loaded)
}

/// Ends the dumps' session as psql's exit would: a transaction still open
/// is rolled back (then a W1023 warning says so, pointing at `last`'s open
/// `BEGIN` when it knows it), and the session is reset as a new connection
/// finds it (`DISCARD ALL`: the dump's settings, role and temporary tables
/// are gone).
pub fn finish(client: &mut Client, last: &Loaded) -> Result<Option<Diagnostic>, postgres::Error> {
    match client.batch_execute("DISCARD ALL") {
        Ok(()) => Ok(None),
        // Open, or failed and waiting for its end.
        Err(e)
            if e.code() == Some(&SqlState::ACTIVE_SQL_TRANSACTION)
                || e.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) =>
        {
            client.batch_execute("ROLLBACK")?;
            client.batch_execute("DISCARD ALL")?;
            Ok(Some(report::rolled_back(last.open_transaction)))
        }
        Err(e) => Err(e),
    }
}

/// Byte offset of the `chars`-th character of `text` (its length past the end).
fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i)
}

/// The statement being run, and what the load knows at that point.
struct Context<'a> {
    piece: &'a Piece,
    /// The text sent for it.
    sql: &'a str,
    standard_strings: bool,
    /// Roles of the skipped `CREATE ROLE` statements so far, with their lines.
    created_roles: &'a [(String, usize)],
}

/// The error for a statement the server refused, placed in the dump.
fn rejected(script: &Script, context: &Context, error: &postgres::Error) -> Box<DumpError> {
    let Context { piece, sql, .. } = *context;
    let statement = piece.span.clone();
    let Some(db) = error.as_db_error() else {
        return script.error(statement.clone(), script.first_line(statement), Cause::Connection(error.to_string()));
    };
    let server = ServerError {
        sqlstate: db.code().code().to_string(),
        message: db.message().to_string(),
        detail: db.detail().map(str::to_string),
        hint: db.hint().map(str::to_string),
    };
    // Server positions count characters from 1; `sql` has as many
    // characters as the piece's text, so they count in the dump as well.
    let position = match db.position() {
        Some(ErrorPosition::Original(at)) => Some((*at as usize).saturating_sub(1)),
        Some(ErrorPosition::Internal { position, query }) => {
            sql.find(query.as_str()).map(|found| sql[..found].chars().count() + (*position as usize).saturating_sub(1))
        }
        None => None,
    };
    let original = &script.text[statement.clone()];
    let at = match position {
        Some(chars) if chars < sql.chars().count() => {
            let start = char_to_byte(original, chars);
            let token = lex::Lexer::at(sql, char_to_byte(sql, chars), context.standard_strings).next();
            let end = token.map_or(start, |t| char_to_byte(original, sql[..t.end].chars().count()));
            script.first_line(statement.start + start..statement.start + end.max(start))
        }
        // "at end of input": the statement's last character.
        Some(_) => {
            let last = original.char_indices().next_back().map_or(0, |(i, _)| i);
            statement.start + last..statement.end
        }
        None => script.first_line(statement.clone()),
    };
    let cause = if let Some(role) = missing_role(&server.message) {
        let created_at = context.created_roles.iter().find(|(r, _)| *r == role).map(|(_, line)| *line);
        Cause::MissingRole { role, created_at, server }
    } else if let Some(extension) = missing_extension(&server) {
        Cause::MissingExtension { extension, server }
    } else {
        Cause::Rejected(server)
    };
    script.error(statement, at, cause)
}

/// `role "x" does not exist` (from ALTER … OWNER TO, GRANT, SET ROLE …).
fn missing_role(message: &str) -> Option<String> {
    message.strip_prefix("role \"")?.strip_suffix("\" does not exist").map(str::to_string)
}

/// The extension named by "extension "x" is not available" (PostgreSQL
/// 15.?+ and 16+) or "could not open extension control file ".../x.control""
/// (older releases).
fn missing_extension(server: &ServerError) -> Option<String> {
    if let Some(rest) = server.message.strip_prefix("extension \"") {
        return rest.strip_suffix("\" is not available").map(str::to_string);
    }
    let path = server.message.strip_prefix("could not open extension control file \"")?;
    let file = path.split('"').next()?;
    let name = file.rsplit('/').next()?.strip_suffix(".control")?;
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_role_and_extension_are_read_from_the_server_message() {
        assert_eq!(missing_role("role \"app\" does not exist"), Some("app".to_string()));
        assert_eq!(missing_role("relation \"app\" does not exist"), None);
        let server =
            |message: &str| ServerError { sqlstate: "58P01".into(), message: message.into(), detail: None, hint: None };
        assert_eq!(missing_extension(&server("extension \"postgis\" is not available")), Some("postgis".into()));
        assert_eq!(
            missing_extension(&server(
                "could not open extension control file \"/usr/share/postgresql/13/extension/vector.control\": No such file or directory"
            )),
            Some("vector".into())
        );
    }
}
