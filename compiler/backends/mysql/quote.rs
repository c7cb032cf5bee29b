//! The one place MySQL/MariaDB identifiers and literals are quoted. Every
//! name and every piece of user text that reaches SQL goes through here;
//! nothing else in the backend may splice user text into a statement.
//!
//! Identifiers are always backquoted (the quoting both engines accept in
//! every SQL mode). String literals double their quotes and, because both
//! engines read backslash escapes in strings, double their backslashes too;
//! a NUL is written `\0`. The script sets a `sql_mode` without
//! `NO_BACKSLASH_ESCAPES`, so that is how its literals are read.

/// An identifier as SQL: `` `name` ``, inner backquotes doubled.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        if c == '`' {
            out.push('`');
        }
        out.push(c);
    }
    out.push('`');
    out
}

/// A comma-separated list of identifiers.
pub fn ident_list<S: AsRef<str>>(names: &[S]) -> String {
    names.iter().map(|n| ident(n.as_ref())).collect::<Vec<_>>().join(", ")
}

/// A string literal: `'text'`, quotes and backslashes doubled, NUL as `\0`.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The text of a quoted identifier or string as written in SQL
/// (`` `a``b` `` → ``a`b``); other text as it is.
pub fn unquote(text: &str) -> String {
    let text = text.trim();
    let Some(open) = text.chars().next().filter(|c| matches!(c, '`' | '\'' | '"')) else {
        return text.to_string();
    };
    let inner = text.strip_prefix(open).and_then(|t| t.strip_suffix(open)).unwrap_or(text);
    inner.replace(&format!("{open}{open}"), &open.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_backquoted() {
        assert_eq!(ident("order"), "`order`");
        assert_eq!(ident("a`b"), "`a``b`");
        assert_eq!(ident_list(&["a", "b c"]), "`a`, `b c`");
        assert_eq!(unquote(&ident("a`b")), "a`b");
    }

    #[test]
    fn literals_double_quotes_and_backslashes() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "'a\\\\b'");
        assert_eq!(literal("a\0"), "'a\\0'");
    }
}
