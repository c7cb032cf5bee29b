//! The standard library's `.schema` sources, embedded in the binary so that
//! `use std::…` works with no files installed.

/// (module, display name, source text)
pub const FILES: &[(&str, &str, &str)] = &[
    ("std::patterns", "<std>/patterns/audit.schema", include_str!("../stdlib/patterns/audit.schema")),
    ("std::patterns", "<std>/patterns/soft_delete.schema", include_str!("../stdlib/patterns/soft_delete.schema")),
    ("std::patterns", "<std>/patterns/temporal.schema", include_str!("../stdlib/patterns/temporal.schema")),
    ("std::patterns", "<std>/patterns/tenant_scoped.schema", include_str!("../stdlib/patterns/tenant_scoped.schema")),
    ("std::patterns", "<std>/patterns/timestamps.schema", include_str!("../stdlib/patterns/timestamps.schema")),
    ("std::patterns", "<std>/patterns/versioned.schema", include_str!("../stdlib/patterns/versioned.schema")),
    ("std::types", "<std>/types.schema", include_str!("../stdlib/types.schema")),
];
