//! Table renames behind a compatibility view (`[migrations] rename_tables =
//! "with_view"`): the table is renamed in the expand phase and a view under
//! the old name keeps clients that still use it working — reading and
//! writing, since a view over one table is updatable in PostgreSQL — until
//! the contract phase drops it.
//!
//! The view is `security_invoker`, so a client reads through it with its own
//! privileges and the table's row-level security policies apply, and it is
//! given the privileges the table has (copied from the catalog when the step
//! runs, so grants made by hand count too). Column privileges are not
//! copied. This module writes the statements; it does not decide when a
//! rename may use a view (the planner does).

use crate::backends::postgres::quote::literal;

/// `CREATE VIEW old AS SELECT * FROM new` plus the table's privileges on it
/// (`old` and `new` are qualified, quoted names).
pub fn create(old: &str, new: &str) -> Vec<String> {
    vec![
        format!("CREATE VIEW {old} WITH (security_invoker = true) AS SELECT * FROM {new}"),
        format!(
            "DO $schemac$\nDECLARE g record;\nBEGIN\n  \
             FOR g IN SELECT a.privilege_type, a.grantee FROM pg_class c, aclexplode(c.relacl) a\n    \
             WHERE c.oid = {}::regclass AND a.grantee <> c.relowner\n  LOOP\n    \
             EXECUTE format('GRANT %s ON {} TO %s', g.privilege_type,\n      \
             CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END);\n  \
             END LOOP;\nEND\n$schemac$",
            literal(new),
            old.replace('%', "%%").replace('\'', "''"),
        ),
    ]
}

/// Drops the view (the contract half).
pub fn drop(old: &str) -> Vec<String> {
    vec![format!("DROP VIEW {old}")]
}
