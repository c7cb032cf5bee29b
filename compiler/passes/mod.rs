//! Optimization and lint passes: IR → IR, each in its own file, each a
//! `fn run(&mut Ir, &Context) -> Vec<Diagnostic>`. They run after semantic
//! analysis succeeded and before any backend, in the order of [`run_all`].
//!
//! Passes read and rewrite the IR only; they know no backend's SQL.

pub mod column_order;
pub mod fk_index;
pub mod index_advice;
pub mod lints;
pub mod redundant_index;

use crate::diagnostics::Diagnostic;
use crate::semantic::ir::{Expr, Index, IndexMethod, Ir, SourceMap};

/// Switches for the passes (schemac.toml `[passes]`, `--no-reorder`).
#[derive(Debug, Clone)]
pub struct Options {
    /// Add an index for every foreign key no index already leads with.
    pub fk_indexes: bool,
    /// Add the indexes the workload queries need (`index_advice`).
    pub advise_indexes: bool,
    /// Order the columns of new tables to waste no alignment padding.
    pub reorder_columns: bool,
    /// The field order of entities that exist already (from the compiled
    /// state, renames applied): their columns keep that order and new ones
    /// go last, as a migration adds them.
    pub existing_fields: std::collections::BTreeMap<String, Vec<String>>,
}

impl Default for Options {
    fn default() -> Options {
        Options { fk_indexes: true, advise_indexes: true, reorder_columns: true, existing_fields: Default::default() }
    }
}

pub struct Context<'a> {
    pub options: &'a Options,
    pub source_map: &'a SourceMap,
}

/// Every pass, in order: indexes are inferred (foreign keys, then the
/// workload's) before redundant ones go, and lints see the final shape.
pub fn run_all(ir: &mut Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    if cx.options.fk_indexes {
        diagnostics.extend(fk_index::run(ir, cx));
    }
    if cx.options.advise_indexes {
        diagnostics.extend(index_advice::run(ir, cx));
    }
    diagnostics.extend(redundant_index::run(ir, cx));
    diagnostics.extend(column_order::run(ir, cx));
    diagnostics.extend(lints::run(ir, cx));
    diagnostics
}

/// The plain columns an index starts with, up to its first expression key.
pub fn leading_columns(index: &Index) -> Vec<&str> {
    index
        .keys
        .iter()
        .map_while(|k| match &k.expr {
            Expr::Column { name } => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

/// Whether some btree index, the primary key or a unique constraint without
/// a condition starts with exactly `columns` (in any order), so lookups by
/// them need no other index.
pub fn is_led_by_index(entity: &crate::semantic::ir::Entity, columns: &[String]) -> bool {
    let leads = |keys: &[&str]| {
        keys.len() >= columns.len() && columns.iter().all(|c| keys[..columns.len()].contains(&c.as_str()))
    };
    leads(&as_strs(&entity.primary_key))
        || entity.uniques.iter().any(|u| u.predicate.is_none() && leads(&as_strs(&u.columns)))
        || entity
            .indexes
            .iter()
            .any(|i| i.method == IndexMethod::Btree && i.predicate.is_none() && leads(&leading_columns(i)))
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
