//! Roles, grants and row-level security policies: names checked, grants
//! flattened to one privilege per role × entity, policy expressions typed with
//! the entity's columns and the declared `ctx.*` values.

use super::expr::{self, ExprEnv};
use super::ir;
use super::lower::{doc, Analyzer};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, Span};
use crate::syntax::ast::{self, PolicyItem, PrivilegeKind};

impl<'a> Analyzer<'a> {
    pub(super) fn known_entity(&mut self, ident: &ast::Ident) -> bool {
        if self.entities.contains_key(&ident.name) {
            return true;
        }
        let mut d =
            Diagnostic::new(codes::E0102, format!("unknown entity `{}`", ident.name)).at(ident.span, "no such entity");
        if let Some(s) = did_you_mean(&ident.name, self.entities.keys().map(String::as_str)) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.report(d);
        false
    }

    fn known_role(&mut self, ident: &ast::Ident) -> bool {
        if self.symbols.roles.contains_key(ident.name.as_str()) {
            return true;
        }
        let mut d =
            Diagnostic::new(codes::E0108, format!("unknown role `{}`", ident.name)).at(ident.span, "no such role");
        d = match did_you_mean(&ident.name, self.symbols.roles.keys().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("declare it: `role {}`", ident.name)),
        };
        self.report(d);
        false
    }

    pub(super) fn lower_roles(&mut self) {
        let roles: Vec<_> = self.symbols.roles.values().map(|d| d.node).collect();
        for role in &roles {
            let inherits: Vec<String> =
                role.inherits.iter().filter(|r| self.known_role(r)).map(|r| r.name.clone()).collect();
            let id = format!("role:{}", role.name.name);
            self.source_map.spans.insert(id.clone(), role.name.span);
            self.ir.roles.push(ir::Role {
                id,
                name: role.name.name.clone(),
                inherits,
                login: role.login,
                doc: doc(&role.docs),
            });
        }
        // Inheritance must not loop: each strongly connected group of roles
        // (or a role inheriting itself) is one cycle, reported once.
        let mut graph: petgraph::graphmap::DiGraphMap<&str, ()> = petgraph::graphmap::DiGraphMap::new();
        for role in &roles {
            graph.add_node(role.name.name.as_str());
            for parent in &role.inherits {
                if self.symbols.roles.contains_key(parent.name.as_str()) {
                    graph.add_edge(role.name.name.as_str(), parent.name.as_str(), ());
                }
            }
        }
        for mut group in petgraph::algo::tarjan_scc(&graph) {
            let looped = group.len() > 1 || graph.contains_edge(group[0], group[0]);
            if !looped {
                continue;
            }
            group.sort_unstable();
            let first = roles.iter().find(|r| r.name.name == group[0]).map(|r| r.name.span);
            if let Some(span) = first {
                self.report(
                    Diagnostic::new(codes::E0602, format!("roles inherit each other in a cycle: {}", group.join(", ")))
                        .at(span, "part of the cycle")
                        .help("remove one of the `inherits` that close the cycle"),
                );
            }
        }
    }

    pub(super) fn lower_grant(&mut self, grant: &ast::Grant) {
        let roles: Vec<&ast::Ident> = grant.roles.iter().filter(|r| self.known_role(r)).collect();
        if grant.on_functions {
            self.lower_function_grant(grant, &roles);
            return;
        }
        let mut entities = Vec::new();
        let mut views = Vec::new();
        for object in &grant.objects {
            if self.entities.contains_key(&object.name) {
                entities.push(object);
            } else if self.ir.views.iter().any(|v| v.name == object.name) {
                views.push(object);
            } else {
                self.unknown_relation(object);
            }
        }
        for privilege in &grant.privileges {
            if privilege.kind == PrivilegeKind::Execute {
                self.report(
                    Diagnostic::new(codes::E0601, "execute is granted on functions, not on entities or views")
                        .at(privilege.span, "not a privilege of entities or views")
                        .help("name the functions: `grant execute on function name to role`"),
                );
                continue;
            }
            if privilege.columns.is_some()
                && !matches!(
                    privilege.kind,
                    PrivilegeKind::Select | PrivilegeKind::Insert | PrivilegeKind::Update | PrivilegeKind::References
                )
            {
                self.report(
                    Diagnostic::new(
                        codes::E0601,
                        "only select, insert, update and references can be granted on columns",
                    )
                    .at(privilege.span, "not a column privilege")
                    .help("grant it on the whole entity"),
                );
                continue;
            }
            let kinds: &[ir::Privilege] = match privilege.kind {
                PrivilegeKind::Select => &[ir::Privilege::Select],
                PrivilegeKind::Insert => &[ir::Privilege::Insert],
                PrivilegeKind::Update => &[ir::Privilege::Update],
                PrivilegeKind::Delete => &[ir::Privilege::Delete],
                PrivilegeKind::References => &[ir::Privilege::References],
                PrivilegeKind::Truncate => &[ir::Privilege::Truncate],
                PrivilegeKind::Trigger => &[ir::Privilege::Trigger],
                PrivilegeKind::Execute => &[],
                PrivilegeKind::All => {
                    &[ir::Privilege::Select, ir::Privilege::Insert, ir::Privilege::Update, ir::Privilege::Delete]
                }
            };
            for entity in &entities {
                let columns = match &privilege.columns {
                    None => None,
                    Some(cols) => {
                        let build = self.entities.remove(&entity.name).expect("entity checked");
                        let resolved = self.resolve_columns(&build, cols, None);
                        self.entities.insert(entity.name.clone(), build);
                        match resolved {
                            Some(c) => Some(c),
                            None => continue,
                        }
                    }
                };
                for role in &roles {
                    for kind in kinds {
                        self.ir.grants.push(ir::Grant {
                            role: role.name.clone(),
                            entity: entity.name.clone(),
                            privilege: *kind,
                            columns: columns.clone(),
                        });
                    }
                }
            }
            for view in &views {
                let columns = match &privilege.columns {
                    None => None,
                    Some(cols) => match self.view_columns(view, cols) {
                        Some(c) => Some(c),
                        None => continue,
                    },
                };
                for role in &roles {
                    for kind in kinds {
                        self.ir.object_grants.push(ir::ObjectGrant {
                            role: role.name.clone(),
                            kind: ir::GrantedObject::View,
                            object: view.name.clone(),
                            privilege: *kind,
                            columns: columns.clone(),
                        });
                    }
                }
            }
        }
    }

    /// `grant execute on function f, … to r`: only `execute`, only on
    /// declared functions.
    fn lower_function_grant(&mut self, grant: &ast::Grant, roles: &[&ast::Ident]) {
        let mut valid = true;
        for privilege in grant.privileges.iter().filter(|p| p.kind != PrivilegeKind::Execute || p.columns.is_some()) {
            valid = false;
            self.report(
                Diagnostic::new(codes::E0601, "only execute can be granted on functions")
                    .at(privilege.span, "not a privilege of functions")
                    .help("grant `execute` on the function, or the other privileges on the entities or views it reads"),
            );
        }
        for function in &grant.objects {
            if !self.ir.functions.iter().any(|f| f.name == function.name) {
                self.unknown_function(function);
                continue;
            }
            if !valid {
                continue;
            }
            for role in roles {
                self.ir.object_grants.push(ir::ObjectGrant {
                    role: role.name.clone(),
                    kind: ir::GrantedObject::Function,
                    object: function.name.clone(),
                    privilege: ir::Privilege::Execute,
                    columns: None,
                });
            }
        }
    }

    /// `revoke execute on function f, … from public`: PUBLIC may not
    /// execute them; other roles may as far as they are granted it.
    pub(super) fn lower_revoke(&mut self, revoke: &ast::Revoke) {
        if revoke.role.name != "public" {
            self.report(
                Diagnostic::new(
                    codes::E0601,
                    format!("EXECUTE can be revoked from `public` only, not `{}`", revoke.role.name),
                )
                .at(revoke.role.span, "not public")
                .help("a role may execute what it is granted (or inherits): leave out its `grant execute` instead"),
            );
            return;
        }
        for function in &revoke.functions {
            match self.ir.functions.iter_mut().find(|f| f.name == function.name) {
                Some(f) => f.revoke_public = true,
                None => self.unknown_function(function),
            }
        }
    }

    /// E0110 for a function a grant or revoke names that is not declared.
    fn unknown_function(&mut self, function: &ast::Ident) {
        let mut d = Diagnostic::new(codes::E0110, format!("unknown function `{}`", function.name))
            .at(function.span, "no such function");
        d = match did_you_mean(&function.name, self.ir.functions.iter().map(|f| f.name.as_str())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("declare it: `function {}() returns … language sql {{ … }}`", function.name)),
        };
        self.report(d);
    }

    /// E0102 for a grant's object that is neither an entity nor a view.
    fn unknown_relation(&mut self, ident: &ast::Ident) {
        let label = if self.ir.views.is_empty() { "no such entity" } else { "no such entity or view" };
        let mut d = Diagnostic::new(codes::E0102, format!("unknown entity `{}`", ident.name)).at(ident.span, label);
        let candidates = self.entities.keys().map(String::as_str).chain(self.ir.views.iter().map(|v| v.name.as_str()));
        if let Some(s) = did_you_mean(&ident.name, candidates) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.report(d);
    }

    /// A column grant's columns on a view: the fields a query view selects
    /// (E0103 for others), an `sql` view's columns as written.
    fn view_columns(&mut self, view: &ast::Ident, names: &[ast::Ident]) -> Option<Vec<String>> {
        let definition = &self.ir.views.iter().find(|v| v.name == view.name)?.definition;
        let ir::ViewDefinition::Query { columns, .. } = definition else {
            return Some(names.iter().map(|n| n.name.clone()).collect());
        };
        let columns = columns.clone();
        let mut ok = true;
        for name in names.iter().filter(|n| !columns.contains(&n.name)) {
            ok = false;
            let mut d = Diagnostic::new(codes::E0103, format!("view `{}` has no column `{}`", view.name, name.name))
                .at(name.span, "not a column of the view");
            if let Some(s) = did_you_mean(&name.name, columns.iter().map(String::as_str)) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.report(d);
        }
        ok.then(|| names.iter().map(|n| n.name.clone()).collect())
    }

    pub(super) fn lower_policy(&mut self, policy: &ast::Policy) {
        let mut roles = None;
        let mut commands = None;
        let mut using = None;
        let mut check = None;
        let mut restrictive = None;
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for item in &policy.items {
            let (key, span) = match item {
                PolicyItem::To(_, s) => ("to", *s),
                PolicyItem::For(_, s) => ("for", *s),
                PolicyItem::Using(_, s) => ("using", *s),
                PolicyItem::Check(_, s) => ("check", *s),
                PolicyItem::Restrictive(_, s) => ("permissive/restrictive", *s),
            };
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.report(
                    Diagnostic::new(codes::E0600, format!("policy `{}` gives `{key}` twice", policy.name.name))
                        .at(span, "given again")
                        .also(*first, "first given here"),
                );
                continue;
            }
            seen.push((key, span));
            match item {
                PolicyItem::To(r, _) => roles = Some(r),
                PolicyItem::For(c, s) => commands = Some((c, *s)),
                PolicyItem::Using(e, s) => using = Some((e, *s)),
                PolicyItem::Check(e, s) => check = Some((e, *s)),
                PolicyItem::Restrictive(r, _) => restrictive = Some(*r),
            }
        }
        let role_names: Vec<String> =
            roles.into_iter().flatten().filter(|r| self.known_role(r)).map(|r| r.name.clone()).collect();
        let mut command_list: Vec<ir::PolicyCommand> = commands
            .map(|(c, _)| {
                c.iter()
                    .map(|c| match c {
                        ast::PolicyCommand::Select => ir::PolicyCommand::Select,
                        ast::PolicyCommand::Insert => ir::PolicyCommand::Insert,
                        ast::PolicyCommand::Update => ir::PolicyCommand::Update,
                        ast::PolicyCommand::Delete => ir::PolicyCommand::Delete,
                        ast::PolicyCommand::All => ir::PolicyCommand::All,
                    })
                    .collect()
            })
            .unwrap_or_else(|| vec![ir::PolicyCommand::All]);
        command_list.sort();
        command_list.dedup();
        let reads = command_list.iter().any(|c| c != &ir::PolicyCommand::Insert);
        let writes = command_list
            .iter()
            .any(|c| matches!(c, ir::PolicyCommand::All | ir::PolicyCommand::Insert | ir::PolicyCommand::Update));
        if let (Some((_, span)), false) = (using, reads) {
            self.report(
                Diagnostic::new(codes::E0600, "an insert-only policy has no existing rows to filter with `using`")
                    .at(span, "not applicable to insert")
                    .help("use `check (…)` to restrict the rows that may be inserted"),
            );
            return;
        }
        if let (Some((_, span)), false) = (check, writes) {
            self.report(
                Diagnostic::new(
                    codes::E0600,
                    "`check` applies to rows being written; this policy covers only select or delete",
                )
                .at(span, "nothing is written")
                .help("use `using (…)` to filter the rows"),
            );
            return;
        }
        if using.is_none() && check.is_none() {
            self.report(
                Diagnostic::new(codes::E0600, format!("policy `{}` has neither `using` nor `check`", policy.name.name))
                    .at(policy.name.span, "allows nothing and filters nothing")
                    .help("add `using (…)` to choose the rows it applies to"),
            );
            return;
        }
        let context = self.context.clone();
        let enums = self.enum_values.clone();
        for entity in &policy.entities {
            if !self.known_entity(entity) {
                continue;
            }
            let id = format!("policy:{}.{}", entity.name, policy.name.name);
            let duplicate = || format!("`{}` has two policies named `{}`", entity.name, policy.name.name);
            if !self.claim_id(&id, policy.name.span, duplicate, "declared again") {
                continue;
            }
            let columns = std::rc::Rc::clone(&self.entities[&entity.name].finished_columns);
            let env = ExprEnv {
                columns: Some(&columns),
                entity: &entity.name,
                context: Some(&context),
                params: false,
                value: None,
                enums: &enums,
                what: "a policy",
            };
            let using_expr = using.map(|(e, _)| expr::lower_condition(&env, e, &mut self.diagnostics));
            let check_expr = check.map(|(e, _)| expr::lower_condition(&env, e, &mut self.diagnostics));
            self.ir.policies.push(ir::Policy {
                id,
                name: policy.name.name.clone(),
                entity: entity.name.clone(),
                roles: role_names.clone(),
                commands: command_list.clone(),
                using: using_expr,
                check: check_expr,
                restrictive: restrictive.unwrap_or(false),
                doc: doc(&policy.docs),
            });
        }
    }
}
