//! Names on PostgreSQL: the generated names of constraints, indexes and
//! partitions, and the 63-byte limit.
//!
//! Generated names follow PostgreSQL's own convention so a schemac database
//! looks like a hand-made one: `<table>_pkey`, `<table>_<columns>_key`
//! (unique), `<table>_<columns>_fkey`, `<table>_<columns>_check`,
//! `<table>_<columns>_idx`. A generated name over 63 bytes is cut to 54 bytes
//! plus `_` and 8 hex digits of a hash of the whole name, so it stays unique
//! and the same on every machine; a name taken already in its namespace gets a
//! number (`…_idx1`), as PostgreSQL does. A name the user wrote that is over 63
//! bytes is not shortened: the caller reports it (E0800).

use std::collections::HashSet;

/// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1).
pub const MAX_IDENTIFIER: usize = 63;

/// `name` as PostgreSQL would store it: cut to 63 bytes on a char boundary.
pub fn truncated(name: &str) -> &str {
    if name.len() <= MAX_IDENTIFIER {
        return name;
    }
    let mut end = MAX_IDENTIFIER;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// A generated name that fits: `name` itself, or its first 54 bytes with a
/// hash of the whole.
pub fn fit(name: &str) -> String {
    if name.len() <= MAX_IDENTIFIER {
        return name.to_string();
    }
    let mut end = 54;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}_{:08x}", &name[..end], fnv1a(name.as_bytes()))
}

/// FNV-1a, 32 bits: a stable hash that needs no crate and never changes
/// between releases (names built from it are part of the schema).
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, b| (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

/// Names taken in one namespace; hands out free generated names.
#[derive(Default)]
pub struct Namespace {
    taken: HashSet<String>,
}

impl Namespace {
    /// Records a name the user chose. Returns false when it was taken.
    pub fn claim(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_string())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// A free name from `parts` joined by `_` (empty parts skipped).
    pub fn generate(&mut self, parts: &[&str]) -> String {
        let base = parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join("_");
        let mut candidate = fit(&base);
        let mut n = 0;
        while self.taken.contains(&candidate) {
            n += 1;
            candidate = fit(&format!("{base}{n}"));
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

/// The name PostgreSQL gives the sequence of an identity column when it
/// makes the column (`makeObjectName`): `<table>_<column>_seq`, the longer
/// of the two names cut first when the whole is over 63 bytes.
pub fn identity_sequence(table: &str, column: &str) -> String {
    let available = MAX_IDENTIFIER - "__seq".len();
    let (mut t, mut c) = (table.len(), column.len());
    while t + c > available {
        if t > c {
            t -= 1;
        } else {
            c -= 1;
        }
    }
    let clip = |name: &str, mut end: usize| {
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name[..end].to_string()
    };
    format!("{}_{}_seq", clip(table, t), clip(column, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_generated_names_are_cut_with_a_stable_hash() {
        let long = format!("{}_fkey", "a".repeat(70));
        let name = fit(&long);
        assert_eq!(name.len(), 63);
        assert_eq!(name, fit(&long));
        assert_ne!(name, fit(&format!("{}_key", "a".repeat(70))));
    }

    #[test]
    fn taken_names_get_a_number() {
        let mut ns = Namespace::default();
        assert_eq!(ns.generate(&["post", "author_id", "idx"]), "post_author_id_idx");
        assert_eq!(ns.generate(&["post", "author_id", "idx"]), "post_author_id_idx1");
    }

    #[test]
    fn identity_sequences_are_named_as_postgresql_names_them() {
        assert_eq!(identity_sequence("post", "id"), "post_id_seq");
        // Checked on PostgreSQL 15: a 50-byte table and a 30-byte column.
        let name = identity_sequence(&"a".repeat(50), &"b".repeat(30));
        assert_eq!(name, format!("{}_{}_seq", "a".repeat(29), "b".repeat(29)));
    }

    #[test]
    fn truncation_respects_characters() {
        let name = "é".repeat(40);
        assert_eq!(truncated(&name).len(), 62);
    }
}
