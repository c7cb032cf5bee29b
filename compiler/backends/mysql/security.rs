//! Roles and grants on MySQL 8 / MariaDB 10.11, and the row-level security
//! neither has.
//!
//! - `role` → `CREATE ROLE IF NOT EXISTS` (roles are the server's, shared by
//!   every database, so an existing one is kept); `inherits` → `GRANT parent
//!   TO child`. A `login` role is a role too: MySQL roles cannot sign in, so
//!   the script says how to make a user that holds it.
//! - `grant` → table and column privileges on this database's tables.
//!   `truncate` is E0802: MySQL allows TRUNCATE only with DROP, which would
//!   allow dropping the table too.
//! - `policy`, `row_security` → E0802: there is no row-level security, and a
//!   schema that looked protected must not be emitted.
//!
//! Role names over 32 characters (MySQL's limit for account names) are E0800.

use std::collections::BTreeMap;

use super::lower::Lowering;
use super::model::{Privilege, Role};
use crate::diagnostics::{codes, Diagnostic};
use crate::semantic::ir;
use crate::semantic::snake_case;

/// The longest role name MySQL 8 accepts.
pub const MAX_ROLE_NAME: usize = 32;

impl Lowering<'_> {
    pub(super) fn lower_security(&mut self) {
        let ir = self.ir;
        let mut roles: BTreeMap<String, Role> = BTreeMap::new();
        for role in &ir.roles {
            if role.name.chars().count() > MAX_ROLE_NAME {
                let d = Diagnostic::new(
                    codes::E0800,
                    format!(
                        "role `{}` is {} characters long, but MySQL allows {MAX_ROLE_NAME} in a role name",
                        role.name,
                        role.name.chars().count()
                    ),
                );
                let d = self.source_map.at(d, &role.id, "name too long for MySQL/MariaDB");
                self.diagnostics.push(d.help("choose a shorter name"));
                continue;
            }
            roles.insert(
                role.name.clone(),
                Role {
                    name: role.name.clone(),
                    inherits: role.inherits.clone(),
                    login: role.login,
                    privileges: Vec::new(),
                },
            );
        }
        for grant in &ir.grants {
            let Some(entity) = ir.entity(&grant.entity) else { continue };
            let privilege = match table_privilege(grant.privilege) {
                Some(privilege) => privilege,
                // Only on functions, which `object_grants` holds.
                None if grant.privilege == ir::Privilege::Execute => continue,
                None => {
                    let id = ir.roles.iter().find(|r| r.name == grant.role).map_or("", |r| r.id.as_str());
                    self.unsupported(
                        &format!("`grant truncate on {}` to role `{}`", entity.name, grant.role),
                        id,
                        "MySQL allows TRUNCATE only with the DROP privilege, which would allow dropping the table \
                         as well: grant `delete` instead",
                    );
                    continue;
                }
            };
            let Some(role) = roles.get_mut(&grant.role) else { continue };
            // Soft delete's live view gets the privileges its table's grants give.
            let live = format!("{}_live", entity.table);
            let mut tables = vec![entity.table.clone()];
            if super::soft_delete::marker(entity).is_some()
                && matches!(privilege, "SELECT" | "INSERT" | "UPDATE" | "DELETE")
                && self.schema.views.iter().any(|v| v.name == live)
            {
                tables.push(live);
            }
            for table in tables {
                match &grant.columns {
                    Some(columns) => role.privileges.extend(columns.iter().map(|c| Privilege {
                        privilege: privilege.into(),
                        table: table.clone(),
                        column: Some(entity.column_of(c)),
                    })),
                    None => role.privileges.push(Privilege { privilege: privilege.into(), table, column: None }),
                }
            }
        }
        for grant in &ir.object_grants {
            let Some(role) = roles.get_mut(&grant.role) else { continue };
            let view = snake_case(&grant.object);
            let privilege = match table_privilege(grant.privilege) {
                Some(privilege) => privilege,
                None => {
                    let on = match grant.kind {
                        ir::GrantedObject::View => "view",
                        ir::GrantedObject::Function => "function",
                    };
                    let id = ir.roles.iter().find(|r| r.name == grant.role).map_or("", |r| r.id.as_str());
                    self.unsupported(
                        &format!(
                            "`grant {}` on {on} `{}` to role `{}`",
                            format!("{:?}", grant.privilege).to_lowercase(),
                            grant.object,
                            grant.role
                        ),
                        id,
                        "the MySQL/MariaDB backend carries privileges on views as table privileges; truncate on a \
                         view and execute on functions are PostgreSQL-only here: leave them out for this target",
                    );
                    continue;
                }
            };
            if !self.schema.views.iter().any(|v| v.name == view) {
                continue;
            }
            match &grant.columns {
                Some(columns) => role.privileges.extend(columns.iter().map(|c| Privilege {
                    privilege: privilege.into(),
                    table: view.clone(),
                    column: Some(ir.view_column(&grant.object, c)),
                })),
                None => role.privileges.push(Privilege { privilege: privilege.into(), table: view, column: None }),
            }
        }
        for role in roles.values_mut() {
            role.privileges.sort();
            role.privileges.dedup();
        }
        self.schema.roles = ir.roles.iter().filter_map(|r| roles.remove(&r.name)).collect();
        for policy in &ir.policies {
            self.unsupported(
                &format!("policy `{}`", policy.name),
                &policy.id,
                "MySQL/MariaDB have no row-level security (filtered views are planned): filter rows in the \
                 application",
            );
        }
    }
}

/// The MySQL privilege a grant on a table or view gives; `None` for
/// truncate (MySQL ties it to DROP) and execute (functions only).
fn table_privilege(privilege: ir::Privilege) -> Option<&'static str> {
    Some(match privilege {
        ir::Privilege::Select => "SELECT",
        ir::Privilege::Insert => "INSERT",
        ir::Privilege::Update => "UPDATE",
        ir::Privilege::Delete => "DELETE",
        ir::Privilege::References => "REFERENCES",
        ir::Privilege::Trigger => "TRIGGER",
        ir::Privilege::Truncate | ir::Privilege::Execute => return None,
    })
}
