//! Compares two MySQL/MariaDB models — what schemac lowered (`expected`) and
//! what a live database holds (`actual`, read by
//! `import::introspect::mysql`) — object by object, matched by name (indexes
//! by name within their table).
//!
//! The server keeps CHECK conditions, defaults and generated expressions as
//! it prints them back, not as written: they compare after [`normalize`]
//! (case, quoting, white space and parentheses outside string literals
//! ignored; MariaDB's `lcase`/`ucase` read as `lower`/`upper`). Views
//! compare by their columns and security (the server rewrites the query);
//! triggers by timing, event and body (kept as written); procedures by
//! parameters, security and body; roles by the
//! roles they inherit and their privileges on this database's tables. This module
//! reports differences; it never touches a database.

use super::model::*;

use crate::backends::comparison::{matched, Comparison, NONE};
pub use crate::backends::Difference;

/// Every difference between the two schemas.
pub fn compare(expected: &Schema, actual: &Schema) -> Vec<Difference> {
    let mut c = Comparison::<Mysql>::default();
    for (e, a) in matched(&expected.tables, &actual.tables, |t| t.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => c.table(e, a),
            (e, a) => c.presence(format!("table {}", e.or(a).map_or("", |t| &t.name)), e.is_some()),
        }
    }
    for (e, a) in matched(&expected.views, &actual.views, |v| v.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => {
                let object = format!("view {}", e.name);
                c.text(&format!("security of {object}"), &e.security, &a.security);
                if !e.columns.is_empty() {
                    c.text(&format!("columns of {object}"), &e.columns.join(", "), &a.columns.join(", "));
                }
            }
            (e, a) => c.presence(format!("view {}", e.or(a).map_or("", |v| &v.name)), e.is_some()),
        }
    }
    for (e, a) in matched(&expected.triggers, &actual.triggers, |t| t.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => {
                let object = format!("trigger {}", e.name);
                let describe = |t: &Trigger| format!("{} {} ON {}: {}", t.timing, t.event, t.table, squeeze(&t.body));
                c.text(&object, &describe(e), &describe(a));
            }
            (e, a) => c.presence(format!("trigger {}", e.or(a).map_or("", |t| &t.name)), e.is_some()),
        }
    }
    for (e, a) in matched(&expected.procedures, &actual.procedures, |p| p.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => {
                let describe = |p: &Procedure| {
                    format!("({}) SQL SECURITY {}: {}", p.parameters.join(", "), p.security, squeeze(&p.body))
                };
                c.text(&format!("procedure {}", e.name), &describe(e), &describe(a));
            }
            (e, a) => c.presence(format!("procedure {}", e.or(a).map_or("", |p| &p.name)), e.is_some()),
        }
    }
    // Roles are the server's: only those holding privileges on this
    // database's tables can be told apart as this schema's.
    let holding: Vec<Role> = expected.roles.iter().filter(|r| !r.privileges.is_empty()).cloned().collect();
    for (e, a) in matched(&holding, &actual.roles, |r| r.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => {
                let object = format!("role {}", e.name);
                let sorted = |list: &[String]| {
                    let mut list = list.to_vec();
                    list.sort();
                    list.join(", ")
                };
                c.text(&format!("roles granted to {object}"), &sorted(&e.inherits), &sorted(&a.inherits));
                c.text(&format!("privileges of {object}"), &describe_privileges(e), &describe_privileges(a));
            }
            (e, a) => c.presence(format!("role {}", e.or(a).map_or("", |r| &r.name)), e.is_some()),
        }
    }
    c.differences.found
}

fn describe_privileges(r: &Role) -> String {
    let mut list: Vec<String> = r
        .privileges
        .iter()
        .map(|p| match &p.column {
            Some(c) => format!("{} ({c}) ON {}", p.privilege, p.table),
            None => format!("{} ON {}", p.privilege, p.table),
        })
        .collect();
    list.sort();
    list.join(", ")
}

/// Runs of white space as one space, ends trimmed.
pub fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An expression as the comparison sees it: outside string literals,
/// lowercase, without white space, backquotes or parentheses, and with
/// MariaDB's spellings of functions (`lcase`, `ucase`) read as schemac
/// writes them. String literals are kept as written.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    let flush = |word: &mut String, out: &mut String| {
        let w = match word.as_str() {
            "lcase" => "lower",
            "ucase" => "upper",
            "substring" => "substr",
            w => w,
        };
        out.push_str(w);
        word.clear();
    };
    while let Some(c) = chars.next() {
        if c == '\'' {
            // A literal is decoded and written again the one way `quote` writes it.
            flush(&mut word, &mut out);
            let mut value = String::new();
            while let Some(d) = chars.next() {
                if d == '\\' {
                    match chars.next() {
                        Some('0') => value.push('\0'),
                        Some('n') => value.push('\n'),
                        Some('r') => value.push('\r'),
                        Some('t') => value.push('\t'),
                        Some(e) => value.push(e),
                        None => {}
                    }
                } else if d == '\'' {
                    if chars.peek() == Some(&'\'') {
                        value.push('\'');
                        chars.next();
                    } else {
                        break;
                    }
                } else {
                    value.push(d);
                }
            }
            out.push_str(&super::quote::literal(&value));
        } else if c.is_alphanumeric() || c == '_' {
            word.extend(c.to_lowercase());
        } else {
            flush(&mut word, &mut out);
            if !(c.is_whitespace() || c == '`' || c == '(' || c == ')') {
                out.push(c);
            } else if c.is_whitespace() || c == '(' || c == ')' {
                // A separator between two words: keep one, so `a or b` is not `aorb`.
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
        }
    }
    flush(&mut word, &mut out);
    // Spaces next to symbols carry nothing; between two words they do.
    let chars: Vec<char> = out.chars().collect();
    let mut result = String::with_capacity(out.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == ' ' {
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i + 1);
            let wordy = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
            if !(wordy(before.as_ref()) && wordy(after)) {
                continue;
            }
        }
        result.push(*c);
    }
    without_conversions(result.trim())
}

/// `convert(x using utf8mb4)` read as `x`: MariaDB wraps string functions
/// of a default in it when ALTER TABLE copies the table, meaning the same.
fn without_conversions(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        match words[i] {
            "convert" => {}
            "using" if words.get(i + 1).is_some_and(|w| w.starts_with("utf8mb4")) => {
                let rest = &words[i + 1]["utf8mb4".len()..];
                if !rest.is_empty() {
                    out.push(rest);
                }
                i += 1;
            }
            w if w.ends_with("convert") && !w.ends_with("_convert") => out.push(&w[..w.len() - "convert".len()]),
            w => out.push(w),
        }
        i += 1;
    }
    out.retain(|w| !w.is_empty());
    let joined = out.join(" ");
    let chars: Vec<char> = joined.chars().collect();
    let wordy = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let mut result = String::with_capacity(joined.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == ' ' && !(wordy(i.checked_sub(1).map(|j| &chars[j])) && wordy(chars.get(i + 1))) {
            continue;
        }
        result.push(*c);
    }
    result
}

fn describe_index(i: &Index) -> String {
    format!("{}({})", if i.unique { "UNIQUE " } else { "" }, i.keys.join(", "))
}

fn describe_column(c: &Column) -> String {
    let mut out = c.ty.clone();
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(d) = &c.default {
        out.push_str(&format!(" DEFAULT {}", normalize(d)));
    }
    if let Some(g) = &c.generated {
        out.push_str(&format!(" GENERATED {}", normalize(g)));
    }
    if c.auto_increment {
        out.push_str(" AUTO_INCREMENT");
    }
    if let Some(text) = &c.comment {
        out.push_str(&format!(" COMMENT {text:?}"));
    }
    out
}

fn describe_fk(fk: &ForeignKey) -> String {
    format!(
        "({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
        fk.columns.join(", "),
        fk.references,
        fk.referenced_columns.join(", "),
        fk.on_delete,
        fk.on_update,
    )
}

/// Marks this backend's rules on the shared [`Comparison`].
struct Mysql;

impl Comparison<Mysql> {
    fn table(&mut self, e: &Table, a: &Table) {
        let object = format!("table {}", e.name);
        self.text(&format!("collation of {object}"), &e.collation, &a.collation);
        self.text(
            &format!("comment of {object}"),
            e.comment.as_deref().unwrap_or(NONE),
            a.comment.as_deref().unwrap_or(NONE),
        );
        let names = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(", ");
        self.text(&format!("column order of {object}"), &names(e), &names(a));
        for (ec, ac) in matched(&e.columns, &a.columns, |c| c.name.clone()) {
            let column = format!("column {}.{}", e.name, ec.or(ac).map_or("", |c| &c.name));
            match (ec, ac) {
                (Some(ec), Some(ac)) => self.text(&column, &describe_column(ec), &describe_column(ac)),
                (ec, _) => self.presence(column, ec.is_some()),
            }
        }
        self.text(&format!("primary key of {object}"), &e.primary_key.join(", "), &a.primary_key.join(", "));
        for (ei, ai) in matched(&e.indexes, &a.indexes, |i| i.name.clone()) {
            let index = format!("index {} on {object}", ei.or(ai).map_or("", |i| &i.name));
            match (ei, ai) {
                (Some(ei), Some(ai)) => self.text(&index, &describe_index(ei), &describe_index(ai)),
                (ei, _) => self.presence(index, ei.is_some()),
            }
        }
        for (ec, ac) in matched(&e.checks, &a.checks, |c| c.name.clone()) {
            let check = format!("check {} on {object}", ec.or(ac).map_or("", |c| &c.name));
            match (ec, ac) {
                (Some(ec), Some(ac)) => self.text(&check, &normalize(&ec.expr), &normalize(&ac.expr)),
                (ec, _) => self.presence(check, ec.is_some()),
            }
        }
        for (ef, af) in matched(&e.foreign_keys, &a.foreign_keys, |fk| fk.name.clone()) {
            let name = format!("foreign key {} of {object}", ef.or(af).map_or("", |fk| &fk.name));
            match (ef, af) {
                (Some(ef), Some(af)) => self.text(&name, &describe_fk(ef), &describe_fk(af)),
                (ef, _) => self.presence(name, ef.is_some()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_ignores_quoting_spacing_parentheses_and_aliases() {
        assert_eq!(
            normalize("(char_length(`name`) BETWEEN 1 AND 200) AND lower(`a`) IN ('x', 'Y Z')"),
            normalize("char_length(`name`) between 1 and 200 and lcase(`a`) in ('x','Y Z')")
        );
        assert_ne!(normalize("`a` = 'X'"), normalize("`a` = 'x'"));
        assert_eq!(normalize("`a` or `b`"), "a or b");
        assert_eq!(normalize("'it\\'s \\\\'"), normalize("'it''s \\\\'"));
        assert_eq!(
            normalize("lower(concat(convert(hex(random_bytes(4)) using utf8mb4),'-',hex(x)))"),
            normalize("lower(concat(hex(random_bytes(4)), '-', hex(x)))")
        );
    }

    #[test]
    fn same_schema_has_no_differences_and_a_changed_column_has_one() {
        let table = Table {
            name: "t".into(),
            columns: vec![Column { name: "a".into(), ty: "text".into(), ..Column::default() }],
            collation: "utf8mb4_bin".into(),
            ..Table::default()
        };
        let expected = Schema { tables: vec![table.clone()], ..Schema::default() };
        assert!(compare(&expected, &expected).is_empty());
        let mut actual = expected.clone();
        actual.tables[0].columns[0].not_null = true;
        let differences = compare(&expected, &actual);
        assert_eq!(differences.len(), 1, "{differences:?}");
        assert_eq!(differences[0].object, "column t.a");
    }
}
