//! What SQLite can change on a table in place, and the table rebuild for
//! everything else.
//!
//! In place: `ALTER TABLE … ADD COLUMN` of a column SQLite accepts there (no
//! PRIMARY KEY or UNIQUE, not a stored generated column, a constant default
//! or none, and NOT NULL only with a non-NULL default) appended after the
//! existing columns, and `ALTER TABLE … DROP COLUMN` of a column no key,
//! unique, foreign key, check or generated column uses.
//!
//! The rebuild is steps 4–7 and 8 (indexes) of SQLite's procedure for "other
//! kinds of table schema changes" (lang_altertable.html, section 7): create
//! the new definition under a scratch name, copy the rows column by column,
//! drop the old table, rename the new one into place, create its indexes.
//! The surrounding steps — foreign keys off outside the transaction, views
//! and triggers dropped before and created after, `foreign_key_check`
//! before COMMIT — belong to the plan as a whole (`planner.rs`,
//! `apply.rs`, `script.rs`). Statements only; nothing is run here.

use crate::backends::sqlite::model::*;
use crate::backends::sqlite::quote::{ident, ident_list};
use crate::backends::sqlite::render;

/// The prefix of the scratch table a rebuild copies into.
pub const SCRATCH_PREFIX: &str = "_schemac_new_";

/// Whether `default` (as the model keeps it, without parentheses) is a
/// constant SQLite accepts in `ADD COLUMN`: a number, a string or blob
/// literal, NULL, TRUE or FALSE, optionally signed.
pub fn constant_default(default: &str) -> bool {
    let text = default.trim();
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text).trim_start();
    let upper = unsigned.to_ascii_uppercase();
    if ["NULL", "TRUE", "FALSE"].contains(&upper.as_str()) {
        return text == unsigned;
    }
    if unsigned.parse::<f64>().is_ok() && unsigned.chars().all(|c| c.is_ascii_digit() || ".eE+-".contains(c)) {
        return true;
    }
    let literal = upper.strip_prefix('X').unwrap_or(&upper);
    if text != unsigned {
        return false;
    }
    literal.len() >= 2
        && literal.starts_with('\'')
        && literal.ends_with('\'')
        && !literal[1..literal.len() - 1].replace("''", "").contains('\'')
}

fn is_null(default: &str) -> bool {
    default.trim().eq_ignore_ascii_case("NULL")
}

/// Whether SQLite can add `column` to `table` (its new definition) with
/// `ALTER TABLE … ADD COLUMN`.
pub fn addable(column: &Column, table: &Table) -> bool {
    let keyed = table.primary_key.contains(&column.name)
        || table.uniques.iter().any(|u| u.contains(&column.name))
        || table.foreign_keys.iter().any(|fk| fk.columns.contains(&column.name));
    let default_ok = match &column.default {
        None => !column.not_null,
        Some(d) => constant_default(d) && !(column.not_null && is_null(d)),
    };
    !keyed && !column.rowid_alias && column.generated.is_none() && default_ok
}

/// Whether SQLite can drop `column` from `table` with `ALTER TABLE … DROP
/// COLUMN`; `referenced` says whether another table's foreign key points at it.
pub fn droppable(column: &Column, table: &Table, referenced: bool) -> bool {
    let quoted = ident(&column.name);
    let used_in = |sql: &str| sql.contains(&quoted);
    let keyed = table.primary_key.contains(&column.name)
        || table.uniques.iter().any(|u| u.contains(&column.name))
        || table.foreign_keys.iter().any(|fk| fk.columns.contains(&column.name));
    let in_expressions = table.checks.iter().any(|c| used_in(&c.expr))
        || table
            .columns
            .iter()
            .filter(|c| c.name != column.name)
            .any(|c| c.generated.as_deref().is_some_and(used_in) || c.default.as_deref().is_some_and(used_in));
    !keyed && !referenced && !column.rowid_alias && column.generated.is_none() && !in_expressions
}

/// The columns a rebuild copies: in the new table, not generated on either
/// side, present in the old one (same name: renames ran before).
pub fn copied_columns(old: &Table, new: &Table) -> Vec<String> {
    new.columns
        .iter()
        .filter(|c| c.generated.is_none())
        .filter(|c| old.column(&c.name).is_some_and(|o| o.generated.is_none()))
        .map(|c| c.name.clone())
        .collect()
}

/// The statements that rebuild `old` as `new` (same name), then create
/// `indexes` (the new indexes on it).
pub fn statements(old: &Table, new: &Table, indexes: &[&Index]) -> Vec<String> {
    let scratch = format!("{SCRATCH_PREFIX}{}", new.name);
    let definition = Table { name: scratch.clone(), ..new.clone() };
    let mut out = vec![render::table_statement(&definition)];
    let columns = copied_columns(old, new);
    if !columns.is_empty() {
        let list = ident_list(&columns);
        out.push(format!("INSERT INTO {} ({list}) SELECT {list} FROM {}", ident(&scratch), ident(&old.name)));
    }
    out.push(format!("DROP TABLE {}", ident(&old.name)));
    out.push(format!("ALTER TABLE {} RENAME TO {}", ident(&scratch), ident(&new.name)));
    out.extend(indexes.iter().map(|i| render::index_statement(i)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_literals_are_constant_defaults() {
        for constant in ["0", "-7", "1.5", "'x'", "''", "'it''s'", "NULL", "X'00ff'", "1e3"] {
            assert!(constant_default(constant), "{constant}");
        }
        for other in ["CURRENT_TIMESTAMP", "strftime('%s')", "'a' || 'b'", "lower('A')", "'x''", "-'x'"] {
            assert!(!constant_default(other), "{other}");
        }
    }

    #[test]
    fn a_rebuild_copies_the_shared_columns_into_a_scratch_table_and_renames_it() {
        let column = |name: &str| Column { name: name.into(), ty: "TEXT".into(), ..Column::default() };
        let old = Table { name: "t".into(), columns: vec![column("a"), column("b")], strict: true, ..Table::default() };
        let new = Table { name: "t".into(), columns: vec![column("a"), column("c")], strict: true, ..Table::default() };
        let sql = statements(&old, &new, &[]);
        assert_eq!(sql[1], "INSERT INTO \"_schemac_new_t\" (\"a\") SELECT \"a\" FROM \"t\"");
        assert_eq!(sql[2], "DROP TABLE \"t\"");
        assert_eq!(sql[3], "ALTER TABLE \"_schemac_new_t\" RENAME TO \"t\"");
    }
}
