//! Schema lints: warnings about designs that work but hurt later. One file
//! per rule; each rule reads the IR and returns diagnostics, never changes it.
//! Levels are set per code in schemac.toml's `[lint]` table.
//!
//! A missing primary key is not a lint but an error (E0500) from the
//! semantic analysis.

mod fk_without_index;
mod hard_delete_into_soft_delete;
mod index_without_query;
mod materialized_view_over_rls;
mod money_as_float;
mod nullable_boolean;
mod optional_context_in_policy;
mod query_without_index;
mod tenant_without_policy;
mod text_primary_key;
mod timestamp_without_time_zone;
mod write_amplification;

use super::Context;
use crate::diagnostics::Diagnostic;
use crate::semantic::ir::Ir;

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    out.extend(text_primary_key::run(ir, cx));
    if !cx.options.fk_indexes {
        out.extend(fk_without_index::run(ir, cx));
    }
    out.extend(nullable_boolean::run(ir, cx));
    out.extend(timestamp_without_time_zone::run(ir, cx));
    out.extend(money_as_float::run(ir, cx));
    out.extend(hard_delete_into_soft_delete::run(ir, cx));
    out.extend(tenant_without_policy::run(ir, cx));
    out.extend(optional_context_in_policy::run(ir, cx));
    out.extend(materialized_view_over_rls::run(ir, cx));
    out.extend(query_without_index::run(ir, cx));
    out.extend(index_without_query::run(ir, cx));
    out.extend(write_amplification::run(ir, cx));
    out
}

/// Attaches the source place of an IR object, when it has one.
fn at(d: Diagnostic, cx: &Context, id: &str, label: &str) -> Diagnostic {
    cx.source_map.at(d, id, label)
}

/// The entities some declared policy is on.
fn policed(ir: &Ir) -> std::collections::HashSet<&str> {
    ir.policies.iter().map(|p| p.entity.as_str()).collect()
}

/// Whether rows of `entity` are guarded by row-level security: a
/// `tenant_scoped` behaviour or a declared policy (`policed`: [`policed`]).
fn guarded(policed: &std::collections::HashSet<&str>, entity: &crate::semantic::ir::Entity) -> bool {
    entity.behaviours.iter().any(|b| b.kind == crate::semantic::ir::BehaviourKind::TenantIsolation)
        || policed.contains(entity.name.as_str())
}

/// The messages one lint reports on a source compiled alone (for the rules' tests).
#[cfg(test)]
fn messages(run: fn(&Ir, &Context) -> Vec<Diagnostic>, source: &str) -> Vec<String> {
    let c = crate::driver::compile_str("test.schema", source);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let options = super::Options::default();
    run(&c.ir, &Context { options: &options, source_map: &c.source_map }).into_iter().map(|d| d.message).collect()
}
