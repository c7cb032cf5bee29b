//! Drift: a live database against the compiled state. The live catalog is
//! read by introspection, where PostgreSQL prints expressions, types and
//! range partitions its own way; `reconcile` takes the compiled state's
//! spelling wherever the two mean the same (the comparison `verify` uses), so
//! the diff that follows sees only real differences and plans what would
//! bring the database to the compiled state.

use crate::backends::postgres::compare::{
    grants_by_key, normalize, same_exclusion, same_grant_columns, same_policy, same_search_path, same_type, used_roles,
};
use crate::backends::postgres::model::*;

/// `live` with the spelling of `expected` wherever they agree.
pub fn reconcile(live: &Catalog, expected: &Catalog) -> Catalog {
    let schema = expected.schema.as_str();
    let same = |a: &str, b: &str| a == b || normalize(a, schema) == normalize(b, schema);
    let same_opt = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    };
    let mut out = live.clone();
    out.tables.retain(|t| t.name != super::apply::JOURNAL);
    out.extensions.retain(|e| expected.extensions.contains(e) || e != "plpgsql");
    for table in &mut out.tables {
        let Some(want) = expected.table(&table.name) else { continue };
        for column in &mut table.columns {
            let Some(w) = want.column(&column.name) else { continue };
            if same_type(&w.ty, &column.ty) {
                column.ty = w.ty.clone();
            }
            if same_opt(&w.default, &column.default) {
                column.default = w.default.clone();
            }
            if same_opt(&w.generated, &column.generated) {
                column.generated = w.generated.clone();
            }
        }
        for check in &mut table.checks {
            if let Some(w) = want.checks.iter().find(|c| c.name == check.name) {
                if w.raw || same(&w.expr, &check.expr) {
                    *check = w.clone();
                }
            }
        }
        // Range partitions made by schemac_ensure_partitions stand for the
        // series the compiled state declares.
        if let Some(series) = want.partitions.iter().find(|p| matches!(p.bound, PartitionBound::RangeSeries { .. })) {
            let made = table
                .partitions
                .iter()
                .filter(|p| matches!(p.bound, PartitionBound::Range { .. }) && p.name.starts_with(&series.name))
                .count();
            if made > 0 {
                table
                    .partitions
                    .retain(|p| !(matches!(p.bound, PartitionBound::Range { .. }) && p.name.starts_with(&series.name)));
                table.partitions.push(series.clone());
                table.partitions.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        for exclusion in &mut table.exclusions {
            if let Some(w) = want.exclusions.iter().find(|x| x.name == exclusion.name) {
                if same_exclusion(w, exclusion, schema) {
                    *exclusion = w.clone();
                }
            }
        }
        if table.partitions.len() == want.partitions.len() {
            // Keep the compiled order, so equal tables compare equal.
            let mut ordered = Vec::with_capacity(table.partitions.len());
            for w in &want.partitions {
                if let Some(p) = table.partitions.iter().find(|p| p.name == w.name) {
                    ordered.push(if same_partition(p, w) { w.clone() } else { p.clone() });
                }
            }
            if ordered.len() == table.partitions.len() {
                table.partitions = ordered;
            }
        }
    }
    for index in &mut out.indexes {
        let Some(w) = expected.indexes.iter().find(|i| i.name == index.name) else { continue };
        let keys_same = w.keys.len() == index.keys.len() && w.keys.iter().zip(&index.keys).all(|(a, b)| same(a, b));
        if keys_same {
            index.keys = w.keys.clone();
        }
        if same_opt(&w.predicate, &index.predicate) {
            index.predicate = w.predicate.clone();
        }
    }
    for domain in &mut out.domains {
        let Some(w) = expected.domains.iter().find(|d| d.name == domain.name) else { continue };
        if same_type(&w.base, &domain.base) {
            domain.base = w.base.clone();
        }
        if let (Some(a), Some(b)) = (&mut domain.check, &w.check) {
            if a.name == b.name && (b.raw || same(&a.expr, &b.expr)) {
                *a = b.clone();
            }
        }
    }
    for view in &mut out.views {
        if let Some(w) = expected.views.iter().find(|v| v.name == view.name) {
            if w.columns.is_empty() || w.columns == view.columns {
                view.query = w.query.clone();
                view.columns = w.columns.clone();
            }
        }
    }
    for function in &mut out.functions {
        if let Some(w) = expected.functions.iter().find(|f| f.name == function.name) {
            if w.body.trim() == function.body.trim() {
                function.body = w.body.clone();
            }
            if same_search_path(&w.search_path, &function.search_path) {
                function.search_path = w.search_path.clone();
            }
            function.volatility = w.volatility.clone();
            function.helper = w.helper;
        }
    }
    for policy in &mut out.policies {
        let Some(w) = expected.policies.iter().find(|p| p.table == policy.table && p.name == policy.name) else {
            continue;
        };
        if same_policy(w, policy, schema) {
            *policy = Policy { comment: policy.comment.clone(), ..w.clone() };
        }
    }
    for role in &mut out.roles {
        let Some(w) = expected.roles.iter().find(|r| r.name == role.name) else { continue };
        let set = |r: &Role| r.member_of.iter().cloned().collect::<std::collections::BTreeSet<String>>();
        if set(w) == set(role) {
            role.member_of = w.member_of.clone();
        }
    }
    // Introspection reads the roles grants and policies name: a declared
    // role nothing names was not read, which is not drift.
    let used = used_roles(expected);
    for w in &expected.roles {
        if !used.contains(w.name.as_str()) && !out.roles.iter().any(|r| r.name == w.name) {
            out.roles.push(w.clone());
        }
    }
    out.roles.sort_by(|a, b| a.name.cmp(&b.name));
    // A privilege on columns reads back as one grant, its columns in table
    // order; the compiled state may list them otherwise, or split them.
    let want = grants_by_key(&expected.grants);
    let mut grants: Vec<Grant> = Vec::with_capacity(live.grants.len());
    for (key, group) in grants_by_key(&live.grants) {
        match want.get(&key) {
            Some(w) if same_grant_columns(w, &group) => grants.extend(w.iter().map(|g| (*g).clone())),
            _ => grants.extend(group.into_iter().cloned()),
        }
    }
    grants.sort();
    grants.dedup();
    out.grants = grants;
    out
}

fn same_partition(live: &Partition, want: &Partition) -> bool {
    match (&live.bound, &want.bound) {
        (PartitionBound::List(a), PartitionBound::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| normalize(x, "") == normalize(y, ""))
        }
        (a, b) => a == b,
    }
}
