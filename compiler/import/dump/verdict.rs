//! Decides, from a statement's leading words, whether loading a dump may run
//! it in the scratch database, and why not when it may not; and says what a
//! skipped psql meta-command would have done.
//!
//! Only statements that act beyond the scratch database are held back:
//! databases, roles, tablespaces and the server's configuration belong to
//! the whole cluster, and `COPY` to or from a file or program reaches the
//! server's file system. Everything else, data statements included, runs as
//! written. This module reads words; it does not parse SQL and runs nothing.

use std::fmt;

use super::lex::{Lexer, TokenKind};

/// What loading does with one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Run,
    /// Not run; `what` names the statement (`CREATE DATABASE`).
    Skip {
        what: String,
        reason: Reason,
    },
    /// `COPY … FROM stdin`: neither it nor its data block is run.
    CopyFromStdin,
}

/// Why a statement stays out of the scratch database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Database,
    /// `created` is the role a `CREATE ROLE|USER|GROUP` would have made.
    Role {
        created: Option<String>,
    },
    Membership,
    SharedObject,
    Ownership,
    Tablespace,
    System,
    Subscription,
    CopyFile,
    CopyOut,
    Encoding(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Database => {
                f.write_str("databases belong to the server; schemac loads the dump into its own scratch database")
            }
            Reason::Role { .. } => f.write_str(
                "roles belong to the whole server, not to one database; create the roles the dump needs on the server yourself",
            ),
            Reason::Membership => f.write_str("role membership belongs to the whole server, not to one database"),
            Reason::SharedObject => {
                f.write_str("databases, roles, tablespaces and server parameters belong to the whole server")
            }
            Reason::Ownership => {
                f.write_str("`REASSIGN OWNED` and `DROP OWNED` also act on databases and tablespaces of the whole server")
            }
            Reason::Tablespace => f.write_str("a tablespace is a directory of the server, shared by every database"),
            Reason::System => f.write_str("`ALTER SYSTEM` changes the configuration of the whole server"),
            Reason::Subscription => f.write_str("a subscription connects to another server and replicates from it"),
            Reason::CopyFile => f.write_str(
                "COPY to or from a file or program reaches the server's file system; schemac imports the schema, not the rows",
            ),
            Reason::CopyOut => f.write_str("COPY … TO STDOUT prints rows; schemac imports the schema, not the rows"),
            Reason::Encoding(name) => write!(
                f,
                "schemac read the dump as UTF-8 and sends it as UTF-8; with client_encoding {name} the server would misread it"
            ),
        }
    }
}

/// A token of a statement that is not blank or a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Unquoted words in lower case, quoted identifiers without their
    /// quotes, anything else as written.
    pub text: String,
    pub quoted: bool,
    /// Parenthesis depth.
    pub depth: usize,
}

pub fn words(sql: &str, standard_strings: bool) -> Vec<Word> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for token in Lexer::new(sql, standard_strings) {
        let raw = &sql[token.start..token.end];
        let (text, quoted) = match token.kind {
            TokenKind::Space | TokenKind::Comment => continue,
            TokenKind::Word => (raw.to_ascii_lowercase(), false),
            TokenKind::QuotedIdentifier if raw.starts_with('"') => (raw[1..raw.len() - 1].replace("\"\"", "\""), true),
            TokenKind::Punct(b')') => {
                depth = depth.saturating_sub(1);
                (raw.to_string(), false)
            }
            _ => (raw.to_string(), !matches!(token.kind, TokenKind::Punct(_) | TokenKind::Backslash)),
        };
        out.push(Word { text, quoted, depth });
        if token.kind == TokenKind::Punct(b'(') {
            depth += 1;
        }
    }
    out
}

/// The unquoted keyword at `i`, or "".
fn keyword(words: &[Word], i: usize) -> &str {
    words.get(i).filter(|w| !w.quoted).map_or("", |w| w.text.as_str())
}

/// The index of the first top-level keyword `name`.
fn find_top(words: &[Word], name: &str) -> Option<usize> {
    words.iter().position(|w| w.depth == 0 && !w.quoted && w.text == name)
}

/// True when `name` is followed by `then` at the top level somewhere.
fn top_pair(words: &[Word], name: &str, then: &str) -> bool {
    words.windows(2).any(|p| p[0].depth == 0 && !p[0].quoted && p[0].text == name && keyword(&p[1..], 0) == then)
}

fn skip(what: &str, reason: Reason) -> Verdict {
    Verdict::Skip { what: what.to_string(), reason }
}

pub fn judge(sql: &str, standard_strings: bool) -> Verdict {
    let words = words(sql, standard_strings);
    let w = |i| keyword(&words, i);
    let verb = w(0).to_ascii_uppercase();
    match (w(0), w(1)) {
        ("create" | "alter" | "drop", "database") => skip(&format!("{verb} DATABASE"), Reason::Database),
        ("alter", "system") => skip("ALTER SYSTEM", Reason::System),
        ("create" | "alter" | "drop", "tablespace") => skip(&format!("{verb} TABLESPACE"), Reason::Tablespace),
        ("create" | "alter" | "drop", "subscription") => skip(&format!("{verb} SUBSCRIPTION"), Reason::Subscription),
        ("create" | "alter" | "drop", "user") if w(2) == "mapping" && matches!(w(3), "for" | "if") => Verdict::Run,
        ("create" | "alter" | "drop", kind @ ("role" | "user" | "group")) => {
            let created = (w(0) == "create").then(|| words.get(2).map(|n| n.text.clone())).flatten();
            skip(&format!("{verb} {}", kind.to_ascii_uppercase()), Reason::Role { created })
        }
        ("reassign" | "drop", "owned") => skip(&format!("{verb} OWNED"), Reason::Ownership),
        ("comment", "on") if is_shared(w(2)) => {
            skip(&format!("COMMENT ON {}", w(2).to_ascii_uppercase()), Reason::SharedObject)
        }
        ("security", "label") => match find_top(&words, "on").map(|i| keyword(&words, i + 1)) {
            Some(object) if is_shared(object) => {
                skip(&format!("SECURITY LABEL ON {}", object.to_ascii_uppercase()), Reason::SharedObject)
            }
            _ => Verdict::Run,
        },
        ("grant" | "revoke", _) => match find_top(&words, "on").map(|i| keyword(&words, i + 1)) {
            None => skip(&format!("{verb} of a role"), Reason::Membership),
            Some(object) if is_shared(object) || object == "parameter" => {
                skip(&format!("{verb} … ON {}", object.to_ascii_uppercase()), Reason::SharedObject)
            }
            Some(_) => Verdict::Run,
        },
        ("copy", _) if top_pair(&words, "from", "stdin") => Verdict::CopyFromStdin,
        ("copy", _) if top_pair(&words, "to", "stdout") => skip("COPY … TO STDOUT", Reason::CopyOut),
        ("copy", _) => skip("COPY with a file or program", Reason::CopyFile),
        ("set", _) => match client_encoding(&words) {
            Some(name) if !is_utf8(&name) => skip("SET client_encoding", Reason::Encoding(name)),
            _ => Verdict::Run,
        },
        _ => Verdict::Run,
    }
}

fn is_shared(object: &str) -> bool {
    matches!(object, "database" | "role" | "tablespace")
}

/// The value of `SET [SESSION|LOCAL] name {=|TO} value`, unquoted.
fn set_value(words: &[Word], name: &str) -> Option<String> {
    let rest = match keyword(words, 1) {
        "session" | "local" => &words[2..],
        _ => words.get(1..)?,
    };
    if keyword(rest, 0) != name || !matches!(keyword(rest, 1), "=" | "to") {
        return None;
    }
    let value = rest.get(2)?.text.trim_matches('\'');
    Some(value.to_ascii_lowercase())
}

fn client_encoding(words: &[Word]) -> Option<String> {
    if keyword(words, 1) == "names" {
        return words.get(2).map(|w| w.text.trim_matches('\'').to_string());
    }
    set_value(words, "client_encoding")
}

fn is_utf8(name: &str) -> bool {
    let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    matches!(name.as_str(), "utf8" | "unicode" | "default")
}

/// `standard_conforming_strings` after this statement, when it sets it.
pub fn standard_strings_after(sql: &str, current: bool) -> Option<bool> {
    let words = words(sql, current);
    match (keyword(&words, 0), keyword(&words, 1)) {
        ("reset", "standard_conforming_strings" | "all") | ("discard", "all") => Some(true),
        ("set", _) => match set_value(&words, "standard_conforming_strings")?.as_str() {
            "on" | "true" | "yes" | "1" | "default" => Some(true),
            "off" | "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

pub fn copies_from_stdin(sql: &str, standard_strings: bool) -> bool {
    judge(sql, standard_strings) == Verdict::CopyFromStdin
}

/// `\copy … from stdin` reads its rows from the lines after it.
pub fn meta_copies_from_stdin(command: &str) -> bool {
    let words = words(command.get(1..).unwrap_or(""), true);
    keyword(&words, 0) == "copy" && top_pair(&words, "from", "stdin")
}

/// Whether a statement opens a transaction block (`BEGIN`, `START
/// TRANSACTION`: true) or ends one (`COMMIT`, `END`, `ROLLBACK`, `ABORT`
/// without `AND CHAIN` or `TO SAVEPOINT`: false).
pub fn transaction_effect(sql: &str) -> Option<bool> {
    let words = words(sql, true);
    let has = |name| find_top(&words, name).is_some();
    match (keyword(&words, 0), keyword(&words, 1)) {
        ("begin", _) | ("start", "transaction") => Some(true),
        ("commit" | "end" | "rollback" | "abort", _) if !has("chain") && !has("to") => Some(false),
        _ => None,
    }
}

/// The name of a meta-command: `c` for `\c chinook;`.
pub fn meta_name(command: &str) -> &str {
    command.get(1..).unwrap_or("").split(|c: char| c.is_whitespace() || c == '\\').next().unwrap_or("")
}

/// What psql would have done with a meta-command schemac skips.
pub fn meta_note(command: &str) -> String {
    let name = meta_name(command);
    let argument = command.get(1 + name.len()..).unwrap_or("").split_whitespace().next().unwrap_or("");
    let argument = argument.trim_end_matches(';').trim_matches(|c| c == '"' || c == '\'');
    match name {
        "c" | "connect" if !argument.is_empty() => format!(
            "the dump connects to database `{argument}`; schemac loads everything into its scratch database"
        ),
        "c" | "connect" => "the dump reconnects; schemac loads everything into its scratch database".to_string(),
        "i" | "include" | "ir" | "include_relative" => format!(
            "the dump includes the file `{argument}`; schemac loads only the file it is given: put the included file's text in its place"
        ),
        "copy" => "`\\copy` moves rows between a client file and a table; schemac imports the schema, not the rows"
            .to_string(),
        "set" if argument.eq_ignore_ascii_case("ON_ERROR_STOP") => {
            "schemac always stops at the first error, as ON_ERROR_STOP asks".to_string()
        }
        "gexec" => "psql would run each value the query returns as a statement; schemac ran the query only".to_string(),
        "if" | "elif" | "else" | "endif" => {
            "schemac does not evaluate psql conditionals: the statements of every branch run".to_string()
        }
        _ => format!("`\\{name}` is a psql command, not SQL; it does not change the schema"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what(sql: &str) -> String {
        match judge(sql, true) {
            Verdict::Run => "run".into(),
            Verdict::Skip { what, .. } => what,
            Verdict::CopyFromStdin => "stdin".into(),
        }
    }

    #[test]
    fn statements_on_the_cluster_are_skipped() {
        assert_eq!(what("CREATE DATABASE chinook"), "CREATE DATABASE");
        assert_eq!(what("drop database if exists chinook;"), "DROP DATABASE");
        assert_eq!(what("ALTER DATABASE x SET search_path = a"), "ALTER DATABASE");
        assert_eq!(what("CREATE ROLE anon NOLOGIN"), "CREATE ROLE");
        assert_eq!(what("ALTER USER bob PASSWORD 'x'"), "ALTER USER");
        assert_eq!(what("CREATE TABLESPACE t LOCATION '/x'"), "CREATE TABLESPACE");
        assert_eq!(what("ALTER SYSTEM SET work_mem = '1GB'"), "ALTER SYSTEM");
        assert_eq!(what("GRANT admins TO bob"), "GRANT of a role");
        assert_eq!(what("GRANT CONNECT ON DATABASE d TO bob"), "GRANT … ON DATABASE");
        assert_eq!(what("COMMENT ON DATABASE d IS 'x'"), "COMMENT ON DATABASE");
        assert_eq!(what("COPY t TO '/tmp/x'"), "COPY with a file or program");
        assert_eq!(what("COPY t FROM PROGRAM 'curl x'"), "COPY with a file or program");
        assert_eq!(what("SET client_encoding = 'LATIN1'"), "SET client_encoding");
    }

    #[test]
    fn statements_inside_the_database_run() {
        for sql in [
            "CREATE USER MAPPING FOR bob SERVER s",
            "GRANT SELECT (a, b) ON t TO bob",
            "GRANT USAGE ON SCHEMA s TO anon",
            "INSERT INTO t VALUES (1)",
            "SELECT pg_catalog.setval('s', 1, false)",
            "SET client_encoding = 'UTF8'",
            "COMMENT ON TABLE t IS 'x'",
        ] {
            assert_eq!(what(sql), "run", "{sql}");
        }
        assert_eq!(what("COPY public.t (a, b) FROM stdin;"), "stdin");
    }

    #[test]
    fn created_role_names_fold_unless_quoted() {
        let role = |sql| match judge(sql, true) {
            Verdict::Skip { reason: Reason::Role { created }, .. } => created,
            _ => None,
        };
        assert_eq!(role("CREATE ROLE Anon"), Some("anon".to_string()));
        assert_eq!(role("CREATE ROLE \"Big\"\"One\""), Some("Big\"One".to_string()));
    }

    #[test]
    fn standard_strings_follow_set_and_reset() {
        assert_eq!(standard_strings_after("SET standard_conforming_strings = off", true), Some(false));
        assert_eq!(standard_strings_after("SET standard_conforming_strings TO 'on'", false), Some(true));
        assert_eq!(standard_strings_after("RESET ALL", false), Some(true));
        assert_eq!(standard_strings_after("SET search_path = ''", false), None);
    }

    #[test]
    fn connect_note_names_the_database() {
        assert!(meta_note("\\c chinook;").contains("database `chinook`"));
        assert!(meta_copies_from_stdin("\\copy t from stdin with csv"));
        assert!(!meta_copies_from_stdin("\\copy t from 'x.csv'"));
    }
}
