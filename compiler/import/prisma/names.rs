//! Names: the ones Prisma gives constraints and indexes in the database,
//! and the ones the imported objects get in the language.
//!
//! Prisma names constraints like PostgreSQL (`<table>_pkey`,
//! `<table>_<columns>_key|idx|fkey`, from storage names) but cuts a name
//! that is too long at 63 bytes without a hash, where schemac hashes the
//! tail; [`keep_if_not_default`] says when an imported name must be written
//! down for the database to keep it. Nothing here reads a schema.

use std::collections::BTreeSet;

use crate::backends::postgres::names::{fit, MAX_IDENTIFIER};
use crate::semantic::snake_case;

/// Words of the language that can never name a field.
const RESERVED: [&str; 11] = ["and", "or", "not", "in", "is", "null", "true", "false", "between", "like", "ilike"];

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Prisma's primary key name: `<table>_pkey`.
pub fn primary_key(table: &str) -> String {
    format!("{}_pkey", cut(table, MAX_IDENTIFIER - "_pkey".len()))
}

/// Prisma's name for a unique index (`suffix` `key`), a plain index (`idx`)
/// or a foreign key (`fkey`): `<table>_<columns>_<suffix>`, the part before
/// the suffix cut so the whole fits in 63 bytes.
pub fn constraint(table: &str, columns: &[String], suffix: &str) -> String {
    let stem = format!("{table}_{}", columns.join("_"));
    format!("{}_{suffix}", cut(&stem, MAX_IDENTIFIER - suffix.len() - 1))
}

/// `name`, unless schemac would give the object that very name by itself
/// (`<table>_<columns>_<suffix>`, or `<table>_pkey` without columns).
pub fn keep_if_not_default(name: String, table: &str, columns: &[String], suffix: &str) -> Option<String> {
    let mut parts = vec![table.to_string()];
    parts.extend(columns.iter().cloned());
    parts.push(suffix.to_string());
    (name != fit(&parts.join("_"))).then_some(name)
}

/// The language's spelling of a Prisma field name: snake_case
/// (`websiteId` → `website_id`), made an identifier and kept clear of the
/// reserved words.
pub fn language_name(prisma: &str) -> String {
    let mut name: String =
        snake_case(prisma).chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if RESERVED.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The names taken among an entity's fields and navigations.
#[derive(Debug, Default, Clone)]
pub struct Namespace {
    taken: BTreeSet<String>,
}

impl Namespace {
    /// `wanted`, or `wanted_2`, `wanted_3`, … when it is taken already.
    pub fn claim(&mut self, wanted: &str) -> String {
        let mut name = wanted.to_string();
        let mut n = 1;
        while self.taken.contains(&name) {
            n += 1;
            name = format!("{wanted}_{n}");
        }
        self.taken.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prisma_cuts_long_names_where_schemac_hashes_them() {
        let columns = vec!["website_id".to_string(), "created_at".to_string()];
        assert_eq!(constraint("session", &columns, "idx"), "session_website_id_created_at_idx");
        assert_eq!(keep_if_not_default(constraint("session", &columns, "idx"), "session", &columns, "idx"), None);
        let long = vec!["a_very_long_column_name_indeed".to_string(), "another_long_column_name".to_string()];
        let name = constraint("website_event", &long, "idx");
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("_idx"));
        assert_eq!(keep_if_not_default(name.clone(), "website_event", &long, "idx"), Some(name));
        assert_eq!(primary_key("User"), "User_pkey");
    }

    #[test]
    fn language_names_are_snake_case_identifiers() {
        assert_eq!(language_name("websiteId"), "website_id");
        assert_eq!(language_name("lifatid"), "lifatid");
        assert_eq!(language_name("in"), "in_");
        assert_eq!(language_name("a-b"), "a_b");
        let mut names = Namespace::default();
        assert_eq!(names.claim("user_id"), "user_id");
        assert_eq!(names.claim("user_id"), "user_id_2");
    }
}
