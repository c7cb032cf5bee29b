//! Backends: the IR lowered to one database engine's DDL. Each backend
//! declares what it can express ([`Capabilities`]); a construct a backend
//! cannot honour is reported with a diagnostic that names the backend and the
//! construct, never dropped silently.
//!
//! Backends read the IR only (never syntax, never the CLI).

pub mod comparison;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

/// A string literal as standard SQL writes it: `'text'`, inner quotes
/// doubled, backslashes ordinary (PostgreSQL with standard_conforming_strings,
/// SQLite). Backends wrap it where their engines need more.
pub fn standard_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Whether raw SQL holds PostgreSQL's `::` cast outside quotes: SQL an
/// import kept as written for PostgreSQL, which the other engines refuse.
pub fn has_postgres_cast(text: &str) -> bool {
    let mut quote = None;
    let mut previous = ' ';
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
            None if c == ':' && previous == ':' => return true,
            None => {}
        }
        previous = if quote.is_none() { c } else { ' ' };
    }
    false
}

/// One way a database (read back) is not what a backend lowered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What differs: `table order_item`, `column order_item.quantity`, `index post_author_id_idx`.
    pub object: String,
    pub expected: String,
    pub actual: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: expected \"{}\", found \"{}\"", self.object, self.expected, self.actual)
    }
}

/// What a backend can express natively; spec/backends/<name>.md documents
/// each in full.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    pub name: &'static str,
    pub transactional_ddl: bool,
    pub enum_types: bool,
    pub domains: bool,
    pub partial_indexes: bool,
    pub include_columns: bool,
    pub expression_indexes: bool,
    pub deferrable_foreign_keys: bool,
    pub partitioning: bool,
    pub row_level_security: bool,
    pub roles: bool,
    pub generated_columns: bool,
    pub max_identifier_bytes: usize,
}

pub const POSTGRES: Capabilities = Capabilities {
    name: "postgres",
    transactional_ddl: true,
    enum_types: true,
    domains: true,
    partial_indexes: true,
    include_columns: true,
    expression_indexes: true,
    deferrable_foreign_keys: true,
    partitioning: true,
    row_level_security: true,
    roles: true,
    generated_columns: true,
    max_identifier_bytes: postgres::names::MAX_IDENTIFIER,
};

/// SQLite 3.37+ (STRICT tables); spec/backends/sqlite.md says how each
/// missing capability is lowered or rejected.
pub const SQLITE: Capabilities = Capabilities {
    name: "sqlite",
    transactional_ddl: true,
    enum_types: false,
    domains: false,
    partial_indexes: true,
    include_columns: false,
    expression_indexes: true,
    deferrable_foreign_keys: true,
    partitioning: false,
    row_level_security: false,
    roles: false,
    generated_columns: true,
    // SQLite limits only the length of a statement.
    max_identifier_bytes: usize::MAX,
};

/// MariaDB 10.11 / MySQL 8.0 (InnoDB); spec/backends/mysql.md says how
/// each missing capability is lowered or rejected.
pub const MYSQL: Capabilities = Capabilities {
    name: "mysql",
    // Every DDL statement commits: a failed script leaves what ran before it.
    transactional_ddl: false,
    // Native ENUM columns, but no named enum types.
    enum_types: false,
    domains: false,
    partial_indexes: false,
    include_columns: false,
    // MariaDB cannot index an expression.
    expression_indexes: false,
    deferrable_foreign_keys: false,
    // InnoDB allows no foreign keys on partitioned tables.
    partitioning: false,
    row_level_security: false,
    roles: true,
    generated_columns: true,
    max_identifier_bytes: mysql::names::MAX_IDENTIFIER,
};

/// The capabilities of a backend by its name in schemac.toml.
pub fn capabilities(target: &str) -> Option<Capabilities> {
    match target {
        "postgres" => Some(POSTGRES),
        "sqlite" => Some(SQLITE),
        "mysql" => Some(MYSQL),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::has_postgres_cast;

    #[test]
    fn postgres_casts_are_found_outside_quotes_only() {
        assert!(has_postgres_cast("('now'::text)::date"));
        assert!(!has_postgres_cast("'a::b'"));
        assert!(!has_postgres_cast("concat(a, ':', b)"));
    }
}
