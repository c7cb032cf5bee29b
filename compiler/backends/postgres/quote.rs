//! The one place PostgreSQL identifiers and literals are quoted. Every name
//! and every piece of user text that reaches SQL goes through here; nothing
//! else in the backend may splice user text into a statement.

use std::fmt::Write;

/// Words PostgreSQL does not accept as bare identifiers everywhere (every
/// keyword category but "unreserved", PostgreSQL 15, plus those newer
/// releases added). `tests/postgres_quoting.rs` checks the list against
/// `pg_get_keywords()` of the server it runs on.
pub const KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// An identifier as SQL: bare when PostgreSQL would read it back unchanged
/// (lowercase ASCII letters, digits, `_`, not starting with a digit, not a
/// keyword), otherwise double-quoted with inner quotes doubled.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_ident(&mut out, name);
    out
}

pub fn push_ident(out: &mut String, name: &str) {
    if is_bare(name) {
        out.push_str(name);
        return;
    }
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

fn is_bare(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else { return false };
    (first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && KEYWORDS.binary_search(&name).is_err()
}

/// `schema.name`, each part quoted as needed.
pub fn qualified(schema: &str, name: &str) -> String {
    let mut out = ident(schema);
    out.push('.');
    push_ident(&mut out, name);
    out
}

/// Whether `name` is `schema.name` as `qualified` (and PostgreSQL's
/// `quote_ident`) spells it: how the model names an object of another
/// schema. (A name of this schema holding a dot and spelled like that, such
/// as a table literally named `a.b`, would read as qualified too.)
pub fn is_qualified(name: &str) -> bool {
    fn part(text: &str) -> Option<&str> {
        if let Some(quoted) = text.strip_prefix('"') {
            let mut chars = quoted.char_indices();
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if quoted[i + 1..].starts_with('"') {
                        chars.next();
                    } else {
                        return Some(&quoted[i + 1..]);
                    }
                }
            }
            return None;
        }
        let end = text.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$'));
        let end = end.unwrap_or(text.len());
        let word = &text[..end];
        (!word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit() || c == '$')).then(|| &text[end..])
    }
    let Some(rest) = part(name).and_then(|rest| rest.strip_prefix('.')) else { return false };
    part(rest).is_some_and(str::is_empty)
}

/// A string literal. Standard-conforming strings (on since PostgreSQL 9.1):
/// only the quote itself is doubled; backslashes are ordinary characters.
pub fn literal(text: &str) -> String {
    crate::backends::standard_string(text)
}

/// A comma-separated list of identifiers.
pub fn ident_list<S: AsRef<str>>(names: &[S]) -> String {
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_ident(&mut out, name.as_ref());
    }
    out
}

/// A dollar-quoted body whose tag does not occur in the text.
pub fn dollar_quoted(body: &str) -> String {
    let mut tag = String::from("$body$");
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag.clear();
        let _ = write!(tag, "$body{n}$");
    }
    format!("{tag}{body}{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_for_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(ident("order_item"), "order_item");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("User"), "\"User\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("2fa"), "\"2fa\"");
        assert_eq!(ident("café"), "\"café\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(dollar_quoted("x $body$ y"), "$body1$x $body$ y$body1$");
    }
}
