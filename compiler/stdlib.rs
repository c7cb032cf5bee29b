//! The standard library's `.schema` sources, embedded in the binary so that
//! `use std::…` works with no files installed.

/// (module, display name, source text)
pub const FILES: &[(&str, &str, &str)] = &[
    ("std::patterns", "<std>/patterns.schema", include_str!("../stdlib/patterns.schema")),
    ("std::types", "<std>/types.schema", include_str!("../stdlib/types.schema")),
];
