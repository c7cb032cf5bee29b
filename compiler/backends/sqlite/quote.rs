//! The one place SQLite identifiers and literals are quoted. Every name and
//! every piece of user text that reaches SQL goes through here; nothing else
//! in the backend may splice user text into a statement.
//!
//! Identifiers are always double-quoted: SQLite has well over a hundred
//! keywords, some of which it accepts bare only in some positions, and a
//! quoted name is never mistaken for a string (it would be, bare, in a few
//! legacy cases) or a keyword.

/// An identifier as SQL: `"name"`, inner quotes doubled.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A comma-separated list of identifiers.
pub fn ident_list<S: AsRef<str>>(names: &[S]) -> String {
    names.iter().map(|n| ident(n.as_ref())).collect::<Vec<_>>().join(", ")
}

/// A string literal: `'text'`, inner quotes doubled. SQLite reads
/// backslashes as ordinary characters. A NUL would end the statement text
/// (the C API reads it as the end of the string), so it is spliced in as
/// `char(0)`.
pub fn literal(text: &str) -> String {
    let pieces: Vec<String> = text.split('\0').map(crate::backends::standard_string).collect();
    if pieces.len() == 1 {
        return pieces.into_iter().next().unwrap_or_default();
    }
    format!("({})", pieces.join(" || char(0) || "))
}

/// The text of a quoted identifier or string as written in SQL (`"a""b"` →
/// `a"b`); other text as it is.
pub fn unquote(text: &str) -> String {
    let text = text.trim();
    let (open, close) = match text.chars().next() {
        Some('"') => ('"', '"'),
        Some('\'') => ('\'', '\''),
        Some('`') => ('`', '`'),
        Some('[') => ('[', ']'),
        _ => return text.to_string(),
    };
    let inner = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)).unwrap_or(text);
    if open == '[' {
        return inner.to_string();
    }
    inner.replace(&format!("{close}{close}"), &close.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted_with_inner_quotes_doubled() {
        assert_eq!(ident("order_item"), "\"order_item\"");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident_list(&["a", "b c"]), "\"a\", \"b c\"");
    }

    #[test]
    fn literals_double_quotes_and_keep_backslashes() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "'a\\b'");
        assert_eq!(literal("a\0b"), "('a' || char(0) || 'b')");
    }

    #[test]
    fn unquote_reverses_quoting() {
        assert_eq!(unquote(&ident("a\"b")), "a\"b");
        assert_eq!(unquote("[x y]"), "x y");
        assert_eq!(unquote("plain"), "plain");
    }
}
