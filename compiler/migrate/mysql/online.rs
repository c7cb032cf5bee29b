//! How InnoDB on MariaDB 10.11 runs each kind of ALTER TABLE, and so what
//! the plan states in it: `ALGORITHM=INSTANT` (metadata only), `INPLACE`
//! (rebuilt or indexed in place while reads and writes go on) or `COPY`
//! (copied into a new table; writers wait), with the strongest concurrency
//! the algorithm allows (`LOCK=NONE`, or `LOCK=SHARED` for COPY, which
//! cannot take writes). Stating both makes the server refuse the statement
//! rather than silently fall back to a slower algorithm or a stronger lock.
//!
//! The rules, from the MariaDB documentation of InnoDB online DDL and
//! checked against MariaDB 10.11 by `tests/mysql_migrations.rs`:
//!
//! | change | algorithm | lock |
//! |---|---|---|
//! | add a column (any position, 10.4+) with a constant default | INSTANT | NONE |
//! | add a column whose default is an expression | COPY | SHARED |
//! | drop a column (its indexes dropped before) | INSTANT | NONE |
//! | rename a column, change its default, comment or position | INSTANT | NONE |
//! | widen a VARCHAR within one length-byte class (≤ 255 bytes, or > 255) | INSTANT | NONE |
//! | append values to an ENUM (still ≤ 255 values) | INSTANT | NONE |
//! | make a column NULL or NOT NULL | INPLACE (rebuild) | NONE |
//! | any other type change (`int` → `bigint`, `varchar` → `text`, enum reordered) | COPY | SHARED |
//! | add an index or a unique key; drop one | INPLACE | NONE |
//! | add a foreign key (with `foreign_key_checks = 0`) | INPLACE | NONE |
//! | drop a foreign key or a CHECK | INSTANT | NONE |
//! | add a CHECK | COPY | SHARED |
//! | change the primary key | INPLACE (rebuild) | NONE |
//! | table comment | INSTANT | NONE |
//! | rename the table | INSTANT | EXCLUSIVE (a brief metadata lock; NONE is refused) |
//!
//! Pure rules over the model; no SQL is run here.

use std::fmt;

use crate::backends::mysql::model::Column;

/// `ALGORITHM=…`, from the cheapest to the dearest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    Instant,
    Inplace,
    Copy,
}

/// `LOCK=…`: what other sessions may do while the ALTER runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Reads and writes go on.
    None,
    /// Reads go on, writes wait.
    Shared,
    /// Nothing goes on (held briefly, for metadata-only changes).
    Exclusive,
}

/// How one ALTER TABLE runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Online {
    pub algorithm: Algorithm,
    pub lock: Lock,
}

impl Online {
    pub const INSTANT: Online = Online { algorithm: Algorithm::Instant, lock: Lock::None };
    pub const INPLACE: Online = Online { algorithm: Algorithm::Inplace, lock: Lock::None };
    pub const COPY: Online = Online { algorithm: Algorithm::Copy, lock: Lock::Shared };
    /// `ALTER TABLE … RENAME TO`: metadata only, but MariaDB takes it exclusively.
    pub const RENAME_TABLE: Online = Online { algorithm: Algorithm::Instant, lock: Lock::Exclusive };

    /// The dearer of two (one ALTER doing both).
    pub fn max(self, other: Online) -> Online {
        if other.algorithm > self.algorithm {
            other
        } else {
            self
        }
    }

    /// The clause ending the ALTER: `, ALGORITHM=INSTANT, LOCK=NONE`.
    pub fn clause(self) -> String {
        format!(", ALGORITHM={}, LOCK={}", self.algorithm, self.lock)
    }

    /// Whether InnoDB rebuilds or copies the table's rows.
    pub fn rewrites(self) -> bool {
        self.algorithm == Algorithm::Copy
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::Instant => "INSTANT",
            Algorithm::Inplace => "INPLACE",
            Algorithm::Copy => "COPY",
        })
    }
}

impl fmt::Display for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lock::None => "NONE",
            Lock::Shared => "SHARED",
            Lock::Exclusive => "EXCLUSIVE",
        })
    }
}

impl fmt::Display for Online {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ALGORITHM={}, LOCK={}", self.algorithm, self.lock)
    }
}

/// Whether a default is an expression (written in parentheses), which InnoDB
/// must evaluate per existing row when the column is added.
fn expression_default(c: &Column) -> bool {
    // A literal default of a TEXT/JSON column is written `('x')` but is a
    // constant: the model holds it without the parentheses.
    c.default
        .as_deref()
        .is_some_and(|d| !(d.starts_with('\'') || d.parse::<f64>().is_ok() || d.eq_ignore_ascii_case("null")))
}

/// Adding `c` to a table.
pub fn add_column(c: &Column) -> Online {
    if expression_default(c) || c.generated.is_some() || c.auto_increment {
        Online::COPY
    } else {
        Online::INSTANT
    }
}

/// The characters of `varchar(n)`.
fn varchar_length(ty: &str) -> Option<u32> {
    ty.strip_prefix("varchar(")?.strip_suffix(')')?.parse().ok()
}

/// The labels of `enum('a','b')`, as written.
fn enum_values(ty: &str) -> Option<Vec<&str>> {
    let inner = ty.strip_prefix("enum(")?.strip_suffix(')')?;
    Some(inner.split("','").collect())
}

/// A type change InnoDB makes in the metadata only.
fn instant_type_change(from: &str, to: &str) -> bool {
    if let (Some(a), Some(b)) = (varchar_length(from), varchar_length(to)) {
        // utf8mb4: up to 4 bytes a character; the length prefix is one byte
        // up to 255 bytes and two above, and InnoDB cannot widen it in place.
        return b >= a && ((a * 4 <= 255) == (b * 4 <= 255));
    }
    if let (Some(a), Some(b)) = (enum_values(from), enum_values(to)) {
        let (a_last, b_prefix) = (a.len() - 1, &b[..a.len().min(b.len())]);
        // The last label of `a` ends in `'` while the same label inside `b` does not.
        let same_prefix = b.len() >= a.len()
            && a[..a_last] == b_prefix[..a_last]
            && a[a_last].trim_end_matches('\'') == b_prefix[a_last].trim_end_matches('\'');
        return same_prefix && b.len() <= 255;
    }
    false
}

/// Changing column `from` into `to` (the same name) with one MODIFY.
pub fn modify_column(from: &Column, to: &Column) -> Online {
    let mut online = Online::INSTANT;
    if from.ty != to.ty && !instant_type_change(&from.ty, &to.ty) {
        online = online.max(Online::COPY);
    }
    if from.not_null != to.not_null {
        online = online.max(Online::INPLACE);
    }
    if from.generated != to.generated || from.auto_increment != to.auto_increment {
        online = online.max(Online::COPY);
    }
    online
}

/// Whether a MODIFY from `from` to `to` may fail on existing values
/// (conversion or NULLs), as opposed to only rewriting them.
pub fn may_refuse_rows(from: &Column, to: &Column) -> bool {
    (to.not_null && !from.not_null) || (from.ty != to.ty && !instant_type_change(&from.ty, &to.ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(ty: &str, default: Option<&str>) -> Column {
        Column { name: "c".into(), ty: ty.into(), default: default.map(Into::into), ..Column::default() }
    }

    #[test]
    fn constant_defaults_add_instantly_and_expressions_copy() {
        assert_eq!(add_column(&column("int", Some("7"))), Online::INSTANT);
        assert_eq!(add_column(&column("text", Some("'x'"))), Online::INSTANT);
        assert_eq!(add_column(&column("datetime(6)", Some("utc_timestamp(6)"))), Online::COPY);
    }

    #[test]
    fn varchar_widening_is_instant_only_within_its_length_byte_class() {
        let m = |a: &str, b: &str| modify_column(&column(a, None), &column(b, None)).algorithm;
        assert_eq!(m("varchar(10)", "varchar(60)"), Algorithm::Instant);
        assert_eq!(m("varchar(60)", "varchar(100)"), Algorithm::Copy);
        assert_eq!(m("varchar(100)", "varchar(150)"), Algorithm::Instant);
        assert_eq!(m("varchar(20)", "text"), Algorithm::Copy);
        assert_eq!(m("int", "bigint"), Algorithm::Copy);
    }

    #[test]
    fn enum_values_appended_are_instant_and_inserted_ones_copy() {
        let m = |a: &str, b: &str| modify_column(&column(a, None), &column(b, None)).algorithm;
        assert_eq!(m("enum('r','g')", "enum('r','g','b')"), Algorithm::Instant);
        assert_eq!(m("enum('r','g')", "enum('b','r','g')"), Algorithm::Copy);
        assert_eq!(m("enum('r','g')", "enum('r','x','g')"), Algorithm::Copy);
    }

    #[test]
    fn nullability_rebuilds_in_place() {
        let mut to = column("int", None);
        to.not_null = true;
        assert_eq!(modify_column(&column("int", None), &to), Online::INPLACE);
        assert_eq!(Online::INPLACE.clause(), ", ALGORITHM=INPLACE, LOCK=NONE");
    }
}
