//! Names on MySQL/MariaDB: the 64-character limit and how generated names
//! are made to fit it.
//!
//! Generated names follow the PostgreSQL backend's (`<table>_<columns>_key`,
//! `_idx`, `_fkey`, `_check`) so one schema has the same names on both. A
//! generated name over 64 characters is cut to 55 characters plus `_` and 8
//! hex digits of a hash of the whole name, so it stays unique and the same
//! on every machine. A name the user wrote is never shortened: the lowering
//! reports it (E0800).

/// The longest identifier MySQL and MariaDB accept, in characters.
pub const MAX_IDENTIFIER: usize = 64;

/// A generated name that fits: `name` itself, or its first 55 characters
/// with a hash of the whole.
pub fn fit(name: &str) -> String {
    if name.chars().count() <= MAX_IDENTIFIER {
        return name.to_string();
    }
    let head: String = name.chars().take(55).collect();
    format!("{head}_{:08x}", stable_hash(name.as_bytes()))
}

/// FNV-1a, 32 bits: a hash that needs no crate and never changes between
/// releases (names built from it are part of the schema).
fn stable_hash(bytes: &[u8]) -> u32 {
    let mut hash = 0x811c_9dc5u32;
    for b in bytes {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_generated_names_are_cut_with_a_hash() {
        assert_eq!(fit("order_customer_id_idx"), "order_customer_id_idx");
        let long = "a".repeat(70);
        let fitted = fit(&long);
        assert_eq!(fitted.chars().count(), 64);
        assert_ne!(fitted, fit(&"a".repeat(71)));
    }
}
