//! W0300: an entity holds a tenant's data but nothing isolates its rows: no
//! `tenant_scoped` (tenant_isolation) and no policy. Every session then sees
//! every tenant's rows of it.
//!
//! An entity holds tenant data when it points at the tenant (a `tenant_id`
//! field, or a relation to an entity named `Tenant`), or when it must point
//! at a row that does (a required foreign key to tenant data: a profile of a
//! tenant's user, a membership in a tenant's team).

use std::collections::BTreeMap;

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::{Entity, Ir};

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let tenant = ir.entities.iter().find(|e| e.name == "Tenant").map(|e| e.name.as_str());
    // Entity → the entity through which it belongs to a tenant (itself when direct).
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    let policed = super::policed(ir);
    for entity in &ir.entities {
        let direct = entity.fields.iter().any(|f| f.column == "tenant_id")
            || entity.foreign_keys.iter().any(|fk| Some(fk.references.as_str()) == tenant)
            || super::guarded(&policed, entity);
        if direct && Some(entity.name.as_str()) != tenant {
            owner.insert(&entity.name, &entity.name);
        }
    }
    // Required references to tenant data, to a fixed point.
    loop {
        let mut grew = false;
        for entity in &ir.entities {
            if owner.contains_key(entity.name.as_str()) || Some(entity.name.as_str()) == tenant {
                continue;
            }
            if let Some(fk) = entity
                .foreign_keys
                .iter()
                .find(|fk| owner.contains_key(fk.references.as_str()) && required(entity, &fk.columns))
            {
                owner.insert(&entity.name, &fk.references);
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let mut out = Vec::new();
    for entity in &ir.entities {
        let Some(&through) = owner.get(entity.name.as_str()) else { continue };
        if super::guarded(&policed, entity) {
            continue;
        }
        let message = if through == entity.name {
            format!("`{}` belongs to a tenant, but every session sees every tenant's rows", entity.name)
        } else {
            format!(
                "`{}` belongs to a tenant through `{through}`, but every session sees every tenant's rows",
                entity.name
            )
        };
        out.push(
            at(Diagnostic::new(codes::W0300, message), cx, &entity.id, "tenant data without row-level security")
                .help("apply `tenant_scoped`, or declare a policy on it"),
        );
    }
    out
}

/// Every column of the key is required: each row belongs to a referenced row.
fn required(entity: &Entity, columns: &[String]) -> bool {
    columns.iter().all(|c| entity.field(c).is_some_and(|f| !f.nullable))
}

#[cfg(test)]
mod tests {
    fn warnings(source: &str) -> Vec<String> {
        super::super::messages(super::run, source)
    }

    const TENANCY: &str = "use std::patterns::tenant_scoped\n\
        entity Tenant { id uuid = uuid_v7() primary }\n\
        entity User { id uuid = uuid_v7() primary\n apply tenant_scoped }\n\
        entity Team { id uuid = uuid_v7() primary\n apply tenant_scoped }\n";

    #[test]
    fn required_references_to_tenant_data_are_tenant_data() {
        let source = format!(
            "{TENANCY}entity Profile {{ id uuid = uuid_v7() primary }}\n\
             entity Note {{ id uuid = uuid_v7() primary }}\n\
             entity Flag {{ id uuid = uuid_v7() primary }}\n\
             relation Profile.user -- User.profile {{ required }}\n\
             relation Note.profile -> Profile.notes {{ required }}\n\
             relation Flag.user -> User.flags\n\
             relation User.teams <-> Team.members\n"
        );
        let found = warnings(&source);
        assert!(
            found.contains(
                &"`Profile` belongs to a tenant through `User`, but every session sees every tenant's rows".to_string()
            ),
            "{found:?}"
        );
        // Transitively, through the profile.
        assert!(found.iter().any(|m| m.starts_with("`Note` belongs to a tenant through `Profile`")), "{found:?}");
        // The junction of two tenant-scoped entities.
        assert!(found.iter().any(|m| m.starts_with("`UserTeam` belongs to a tenant through")), "{found:?}");
        // An optional reference does not make a row tenant data.
        assert!(!found.iter().any(|m| m.contains("`Flag`")), "{found:?}");
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn isolated_junctions_and_profiles_are_quiet() {
        let source = format!(
            "{TENANCY}entity Profile {{ id uuid = uuid_v7() primary\n apply tenant_scoped }}\n\
             relation Profile.user -- User.profile {{ required }}\n\
             relation User.teams <-> Team.members {{\n through Membership {{\n apply tenant_scoped\n }}\n}}\n"
        );
        assert_eq!(warnings(&source), Vec::<String>::new());
    }
}
