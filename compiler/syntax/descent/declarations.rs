//! The fast parser's top-level declarations (`declaration` and the rules
//! it chooses from, in the grammar's order) and `decl_start`, the lookahead
//! that closes an unclosed block. Entity members are in `members.rs`.

use super::Descent;
use crate::syntax::ast::*;

impl<'t> Descent<'t> {
    /// `!decl_start`: whether a declaration starts here (which closes an
    /// unclosed block in the pest grammar: a mistake).
    pub(super) fn at_declaration_start(&mut self) -> bool {
        if !matches!(self.peek(), Some(b'a' | b'c'..=b'f' | b'm' | b'p' | b'r'..=b'w')) {
            return false;
        }
        let save = self.pos;
        let found = self.declaration_start();
        self.pos = save;
        found
    }

    pub(super) fn declaration_start(&mut self) -> bool {
        let start = self.pos;
        let alternative = |p: &mut Self, rule: fn(&mut Self) -> bool| {
            p.pos = start;
            rule(p)
        };
        alternative(self, |p| p.keyword_here("entity").is_some() && p.ident().is_some() && p.token("{"))
            || alternative(self, |p| p.keyword_here("enum").is_some() && p.ident().is_some() && p.token("{"))
            || alternative(self, |p| {
                p.keyword_here("pattern").is_some() && p.ident().is_some() && (p.token("(") || p.token("{"))
            })
            || alternative(self, |p| {
                if p.keyword_here("relation").is_none() {
                    return false;
                }
                let save = p.pos;
                let own = p.keyword("Self").is_some() && p.token(".");
                p.pos = save;
                !own && p.ident().is_some() && p.token(".")
            })
            || alternative(self, |p| {
                p.keyword_here("policy").is_some() && p.ident().is_some() && p.keyword("on").is_some()
            })
            || alternative(self, |p| {
                if p.keyword_here("workload").is_none() {
                    return false;
                }
                p.ident();
                p.token("{")
            })
            || alternative(self, |p| p.keyword_here("context").is_some() && p.token("{"))
            || alternative(self, |p| p.keyword_here("use").is_some() && p.ident().is_some() && p.token("::"))
            || alternative(self, |p| {
                let view = if p.keyword_here("materialized").is_some() {
                    p.keyword("view").is_some()
                } else {
                    p.keyword_here("view").is_some()
                };
                view && p.ident().is_some() && (p.token("=") || p.token("{"))
            })
            || alternative(self, |p| p.keyword_here("function").is_some() && p.ident().is_some() && p.token("("))
            || alternative(self, |p| p.keyword_here("aggregate").is_some() && p.ident().is_some() && p.token("("))
            || alternative(self, |p| {
                p.keyword_here("trigger").is_some() && p.ident().is_some() && p.keyword("on").is_some()
            })
            || alternative(self, |p| p.keyword_here("allow").is_some() && p.ident().is_some())
    }

    pub(super) fn declaration(&mut self) -> Option<Declaration> {
        let start = self.pos;
        type Rule<'t> = fn(&mut Descent<'t>, usize) -> Option<Declaration>;
        let rules: [Rule<'t>; 18] = [
            |p, s| p.use_decl(s).map(Declaration::Use),
            |p, s| p.enum_decl(s).map(Declaration::Enum),
            |p, s| p.type_alias(s).map(Declaration::TypeAlias),
            |p, s| p.entity(s).map(Declaration::Entity),
            |p, s| p.relation(s).map(Declaration::Relation),
            |p, s| p.pattern(s).map(Declaration::Pattern),
            |p, s| p.role(s).map(Declaration::Role),
            |p, s| p.grant(s).map(Declaration::Grant),
            |p, s| p.revoke(s).map(Declaration::Revoke),
            |p, s| p.policy(s).map(Declaration::Policy),
            |p, s| p.context(s).map(Declaration::Context),
            |p, s| p.workload(s).map(Declaration::Workload),
            |p, s| p.view(s).map(Declaration::View),
            |p, s| p.function(s).map(Declaration::Function),
            |p, s| p.aggregate(s).map(Declaration::Aggregate),
            |p, s| p.trigger(s).map(Declaration::Trigger),
            |p, s| p.allow(s).map(Declaration::Allow),
            |p, s| p.schema_decl(s).map(Declaration::Schema),
        ];
        for rule in rules {
            self.pos = start;
            if let Some(declaration) = rule(self, start) {
                return Some(declaration);
            }
        }
        None
    }

    /// A block's items up to its `}`: `item` reads one (it is tried only
    /// where no declaration starts and the block does not end).
    pub(super) fn block<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut items = Vec::new();
        loop {
            self.skip();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Some(items);
            }
            if self.at_declaration_start() {
                return None;
            }
            items.push(item(self)?);
        }
    }

    pub(super) fn use_decl(&mut self, start: usize) -> Option<Use> {
        self.keyword_here("use")?;
        let mut path = vec![self.ident()?];
        while let Some(segment) = self.attempt(|p| if p.token("::") { p.ident() } else { None }) {
            path.push(segment);
        }
        let imports = self
            .attempt(|p| {
                if !p.token("::") {
                    return None;
                }
                if p.token("*") {
                    return Some(Imports::Glob);
                }
                if !p.token("{") {
                    return None;
                }
                let names = p.ident_list()?;
                p.token(",");
                p.token("}").then_some(Imports::Group(names))
            })
            .unwrap_or(Imports::Single);
        Some(Use { path, imports, span: self.span(start, self.pos) })
    }

    pub(super) fn enum_decl(&mut self, start: usize) -> Option<Enum> {
        let docs = self.docs();
        self.keyword("enum")?;
        let name = self.ident()?;
        if !self.token("{") {
            return None;
        }
        let values = self.block(|p| {
            let docs = p.docs();
            p.skip();
            let name = match p.ident_here() {
                Some(name) => name,
                None => p.string_here().map(|s| Ident { name: s.value, span: s.span })?,
            };
            p.token(",");
            Some(EnumValue { docs, name })
        })?;
        Some(Enum { docs, name, values, span: self.span(start, self.pos) })
    }

    pub(super) fn type_alias(&mut self, start: usize) -> Option<TypeAlias> {
        let docs = self.docs();
        self.keyword("type")?;
        let name = self.ident()?;
        if !self.token("=") {
            return None;
        }
        self.skip();
        let target = self.type_ref()?;
        let shape = self.attempt(|p| {
            p.skip();
            p.json_shape()
        });
        let check = self.attempt(|p| {
            p.keyword("check")?;
            if !p.token("(") {
                return None;
            }
            let e = p.expr_top()?;
            p.token(")").then_some(e)
        });
        Some(TypeAlias { docs, name, target, shape, check, span: self.span(start, self.pos) })
    }

    /// `json_shape` at the position.
    pub(super) fn json_shape(&mut self) -> Option<JsonShape> {
        let start = self.pos;
        if !self.literal("{") {
            return None;
        }
        let mut members = Vec::new();
        while let Some(member) = self.attempt(|p| {
            let name = p.ident()?;
            let member_start = name.span.start as usize;
            p.skip();
            let ty = p.type_ref()?;
            let shape = p.attempt(|p| {
                p.skip();
                p.json_shape()
            });
            let member = ShapeMember { name, ty, shape, span: p.span(member_start, p.pos) };
            p.token(",");
            Some(member)
        }) {
            members.push(member);
        }
        if !self.token("}") {
            return None;
        }
        Some(JsonShape { members, span: self.span(start, self.pos) })
    }

    /// `type_ref` at the position (compound-atomic: no skipping inside but in its arguments).
    pub(super) fn type_ref(&mut self) -> Option<TypeRef> {
        let start = self.pos;
        let raw = self.attempt(|p| {
            let keyword = p.keyword_here("sql")?;
            if !p.literal("(") {
                return None;
            }
            let body = p.string_here()?;
            p.literal(")").then_some((keyword, body.value))
        });
        let (name, raw, args) = match raw {
            Some((keyword, body)) => (Ident { name: "sql".into(), span: keyword }, Some(body), Vec::new()),
            None => {
                let name = self.ident_here()?;
                let args = match self.peek() {
                    Some(b'(') => self.type_args()?,
                    _ => Vec::new(),
                };
                (name, None, args)
            }
        };
        let mut dims = 0usize;
        while self.literal("[]") {
            dims += 1;
        }
        let optional = self.literal("?");
        Some(TypeRef {
            name,
            raw,
            args,
            array_dims: dims.min(u8::MAX as usize) as u8,
            optional,
            span: self.span(start, self.pos),
        })
    }

    /// `type_args` at a `(`; `None` when they do not parse (then the pest
    /// grammar ends the type before the `(`, which is a mistake further on).
    pub(super) fn type_args(&mut self) -> Option<Vec<u64>> {
        self.literal("(");
        let mut args = vec![self.integer()?];
        while self.token(",") {
            args.push(self.integer()?);
        }
        self.token(")").then_some(args)
    }

    pub(super) fn pattern(&mut self, start: usize) -> Option<Pattern> {
        let docs = self.docs();
        self.keyword("pattern")?;
        let name = self.ident()?;
        let params = self.attempt(|p| {
            if !p.token("(") {
                return None;
            }
            let mut params = Vec::new();
            if let Some(first) = p.attempt(|p| p.pattern_param()) {
                params.push(first);
                while let Some(param) = p.attempt(|p| if p.token(",") { p.pattern_param() } else { None }) {
                    params.push(param);
                }
                p.token(",");
            }
            p.token(")").then_some(params)
        });
        if !self.token("{") {
            return None;
        }
        let members = self.members(Self::pattern_item)?;
        Some(Pattern { docs, name, params, members, span: self.span(start, self.pos) })
    }

    pub(super) fn pattern_param(&mut self) -> Option<PatternParam> {
        let name = self.ident()?;
        let default = self.attempt(|p| if p.token("=") { p.expr_top() } else { None });
        Some(PatternParam { name, default })
    }

    pub(super) fn role(&mut self, start: usize) -> Option<Role> {
        let docs = self.docs();
        self.keyword("role")?;
        let name = self.ident()?;
        let inherits = self
            .attempt(|p| {
                p.keyword("inherits")?;
                p.ident_list()
            })
            .unwrap_or_default();
        let login = self.keyword("login").is_some();
        Some(Role { docs, name, inherits, login, span: self.span(start, self.pos) })
    }

    pub(super) fn schema_decl(&mut self, start: usize) -> Option<SchemaDecl> {
        self.keyword("schema")?;
        let name = self.object_name()?;
        Some(SchemaDecl { name, span: self.span(start, self.pos) })
    }

    pub(super) fn allow(&mut self, start: usize) -> Option<Allow> {
        let docs = self.docs();
        self.keyword("allow")?;
        let code = self.ident()?;
        self.skip();
        let object_start = self.pos;
        self.ident_here()?;
        loop {
            let save = self.pos;
            if !(self.literal(".") && self.ident_here().is_some()) {
                self.pos = save;
                break;
            }
        }
        let object =
            Ident { name: self.text[object_start..self.pos].to_string(), span: self.span(object_start, self.pos) };
        Some(Allow { docs, code, object, span: self.span(start, self.pos) })
    }

    pub(super) fn grant(&mut self, start: usize) -> Option<Grant> {
        self.keyword_here("grant")?;
        let mut privileges = vec![self.privilege()?];
        while let Some(privilege) = self.attempt(|p| if p.token(",") { p.privilege() } else { None }) {
            privileges.push(privilege);
        }
        self.keyword("on")?;
        let on_functions = self.keyword("function").is_some();
        let objects = self.ident_list()?;
        self.keyword("to")?;
        let roles = self.ident_list()?;
        Some(Grant { privileges, on_functions, objects, roles, span: self.span(start, self.pos) })
    }

    pub(super) fn revoke(&mut self, start: usize) -> Option<Revoke> {
        self.keyword_here("revoke")?;
        self.keyword("execute")?;
        self.keyword("on")?;
        self.keyword("function")?;
        let functions = self.ident_list()?;
        self.keyword("from")?;
        let role = self.ident()?;
        Some(Revoke { functions, role, span: self.span(start, self.pos) })
    }

    pub(super) fn privilege(&mut self) -> Option<Privilege> {
        self.skip();
        let start = self.pos;
        let kinds = [
            ("select", PrivilegeKind::Select),
            ("insert", PrivilegeKind::Insert),
            ("update", PrivilegeKind::Update),
            ("delete", PrivilegeKind::Delete),
            ("references", PrivilegeKind::References),
            ("truncate", PrivilegeKind::Truncate),
            ("trigger", PrivilegeKind::Trigger),
            ("execute", PrivilegeKind::Execute),
            ("all", PrivilegeKind::All),
        ];
        let kind = kinds.iter().find(|(word, _)| self.keyword_here(word).is_some())?.1;
        let columns = self.column_list();
        Some(Privilege { kind, columns, span: self.span(start, self.pos) })
    }

    pub(super) fn policy(&mut self, start: usize) -> Option<Policy> {
        let docs = self.docs();
        self.keyword("policy")?;
        let name = self.object_name()?;
        self.keyword("on")?;
        let entities = self.ident_list()?;
        if !self.token("{") {
            return None;
        }
        let items = self.block(Self::policy_item)?;
        Some(Policy { docs, name, entities, items, span: self.span(start, self.pos) })
    }

    pub(super) fn policy_item(&mut self) -> Option<PolicyItem> {
        let start = self.pos;
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("to")?;
            let roles = p.ident_list()?;
            Some(PolicyItem::To(roles, p.span(start, p.pos)))
        }) {
            return Some(item);
        }
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("for")?;
            let mut commands = vec![p.policy_command()?];
            while let Some(command) = p.attempt(|p| if p.token(",") { p.policy_command() } else { None }) {
                commands.push(command);
            }
            Some(PolicyItem::For(commands, p.span(start, p.pos)))
        }) {
            return Some(item);
        }
        for (keyword, using) in [("using", true), ("check", false)] {
            if let Some(item) = self.attempt(|p| {
                p.keyword_here(keyword)?;
                if !p.token("(") {
                    return None;
                }
                let e = p.expr_top()?;
                if !p.token(")") {
                    return None;
                }
                let span = p.span(start, p.pos);
                Some(if using { PolicyItem::Using(e, span) } else { PolicyItem::Check(e, span) })
            }) {
                return Some(item);
            }
        }
        if self.keyword_here("permissive").is_some() {
            return Some(PolicyItem::Restrictive(false, self.span(start, self.pos)));
        }
        self.keyword_here("restrictive").map(|span| PolicyItem::Restrictive(true, span))
    }

    pub(super) fn policy_command(&mut self) -> Option<PolicyCommand> {
        let commands = [
            ("select", PolicyCommand::Select),
            ("insert", PolicyCommand::Insert),
            ("update", PolicyCommand::Update),
            ("delete", PolicyCommand::Delete),
            ("all", PolicyCommand::All),
        ];
        commands.iter().find(|(word, _)| self.keyword(word).is_some()).map(|(_, c)| *c)
    }

    pub(super) fn context(&mut self, start: usize) -> Option<Context> {
        let docs = self.docs();
        self.keyword("context")?;
        if !self.token("{") {
            return None;
        }
        let members = self.members(|p| {
            let start = p.pos;
            p.field(start).map(Member::Field)
        })?;
        // A detached `check`/`renamed_from` is not a context value (E0111).
        let fields = members
            .into_iter()
            .map(|m| match m {
                Member::Field(f) => Some(f),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Context { docs, fields, span: self.span(start, self.pos) })
    }

    pub(super) fn workload(&mut self, start: usize) -> Option<Workload> {
        let docs = self.docs();
        self.keyword("workload")?;
        let name = self.ident();
        if !self.token("{") {
            return None;
        }
        let queries = self.block(Self::query)?;
        Some(Workload { docs, name, queries, span: self.span(start, self.pos) })
    }

    pub(super) fn query(&mut self) -> Option<Query> {
        let start = self.pos;
        let docs = self.docs();
        self.keyword("query")?;
        let name = self.ident()?;
        if !self.token(":") {
            return None;
        }
        let entity = self.ident()?;
        let joins = self
            .attempt(|p| {
                p.keyword("join")?;
                p.ident_list()
            })
            .unwrap_or_default();
        let filter = self.where_clause();
        let select = self.attempt(|p| {
            p.keyword("select")?;
            p.column_list()
        });
        let mut order_by = Vec::new();
        if let Some(keys) = self.attempt(|p| {
            p.keyword("order")?;
            p.keyword("by")?;
            let mut keys = vec![p.order_key()?];
            while let Some(key) = p.attempt(|p| if p.token(",") { p.order_key() } else { None }) {
                keys.push(key);
            }
            Some(keys)
        }) {
            order_by = keys;
        }
        let limit = self.attempt(|p| {
            p.keyword("limit")?;
            p.integer()
        });
        let rate = self.attempt(|p| {
            p.keyword("at")?;
            let q = p.quantity()?;
            if !p.token("/") {
                return None;
            }
            Some((q, p.unit(&["s", "min", "h", "day"], false)?))
        });
        Some(Query {
            docs,
            name,
            entity,
            joins,
            filter,
            select,
            order_by,
            limit,
            rate,
            span: self.span(start, self.pos),
        })
    }

    pub(super) fn order_key(&mut self) -> Option<OrderKey> {
        let expr = self.expr_top()?;
        Some(OrderKey { expr, descending: self.sort_order() })
    }

    pub(super) fn view(&mut self, start: usize) -> Option<View> {
        let docs = self.docs();
        self.skip();
        let materialized = self.keyword_here("materialized").is_some();
        if materialized {
            self.keyword("view")?;
        } else {
            self.keyword_here("view")?;
        }
        let name = self.ident()?;
        let security_definer = self
            .attempt(|p| {
                p.keyword("security")?;
                p.keyword("definer")
            })
            .is_some();
        let definition = if self.token("=") {
            let entity = self.ident()?;
            let filter = self.where_clause();
            let columns = self.attempt(|p| {
                p.keyword("select")?;
                p.column_list()
            });
            ViewDefinition::Query { entity, filter, columns }
        } else if self.token("{") {
            ViewDefinition::Sql(self.block(|p| {
                p.keyword_here("sql")?;
                let backend = p.ident()?;
                Some((backend, p.string()?))
            })?)
        } else {
            return None;
        };
        Some(View { docs, materialized, name, security_definer, definition, span: self.span(start, self.pos) })
    }

    pub(super) fn function(&mut self, start: usize) -> Option<Function> {
        let docs = self.docs();
        self.keyword("function")?;
        let name = self.ident()?;
        if !self.token("(") {
            return None;
        }
        let mut params = Vec::new();
        if let Some(first) = self.attempt(|p| p.function_param()) {
            params.push(first);
            while let Some(param) = self.attempt(|p| if p.token(",") { p.function_param() } else { None }) {
                params.push(param);
            }
            self.token(",");
        }
        if !self.token(")") {
            return None;
        }
        self.keyword("returns")?;
        self.skip();
        let returns = self.type_ref()?;
        self.keyword("language")?;
        let language = self.ident()?;
        let (mut volatility, mut security_definer, mut search_path) = (None, false, None);
        let mut strict = false;
        loop {
            if let Some(word) = ["immutable", "stable", "volatile"].iter().find_map(|w| {
                let span = self.keyword(w)?;
                Some(Ident { name: w.to_string(), span })
            }) {
                volatility = Some(word);
            } else if self.keyword("strict").is_some() {
                strict = true;
            } else if self
                .attempt(|p| {
                    p.keyword("security")?;
                    p.keyword("definer")
                })
                .is_some()
            {
                security_definer = true;
            } else if let Some(path) = self.attempt(|p| {
                p.keyword("search_path")?;
                p.string()
            }) {
                search_path = Some(path);
            } else {
                break;
            }
        }
        if !self.token("{") {
            return None;
        }
        let bodies = self.block(|p| {
            p.keyword_here("sql")?;
            let backend = p.attempt(|p| {
                let backend = p.ident()?;
                p.skip();
                matches!(p.peek(), Some(b'\'' | b'"')).then_some(backend)
            });
            Some((backend, p.string()?))
        })?;
        let span = self.span(start, self.pos);
        Some(Function {
            docs,
            name,
            params,
            returns,
            language,
            volatility,
            strict,
            security_definer,
            search_path,
            bodies,
            span,
        })
    }

    pub(super) fn function_param(&mut self) -> Option<(Option<Ident>, TypeRef, Option<Expr>)> {
        let named = self.attempt(|p| {
            let name = p.ident()?;
            p.skip();
            Some((name, p.type_ref()?))
        });
        let (name, ty) = match named {
            Some((name, ty)) => (Some(name), ty),
            None => {
                self.skip();
                (None, self.type_ref()?)
            }
        };
        let default = self.attempt(|p| if p.token("=") { p.expr_top() } else { None });
        Some((name, ty, default))
    }

    pub(super) fn trigger(&mut self, start: usize) -> Option<Trigger> {
        let docs = self.docs();
        self.keyword("trigger")?;
        let name = self.ident()?;
        self.keyword("on")?;
        let entity = self.ident()?;
        let timing = if self.keyword("before").is_some() {
            TriggerTiming::Before
        } else if self.keyword("after").is_some() {
            TriggerTiming::After
        } else {
            self.keyword("instead")?;
            self.keyword("of")?;
            TriggerTiming::InsteadOf
        };
        let mut events = vec![self.trigger_event()?];
        while let Some(event) = self.attempt(|p| {
            p.keyword("or")?;
            p.trigger_event()
        }) {
            events.push(event);
        }
        let for_each_row = self.attempt(|p| {
            p.keyword("for")?;
            p.keyword("each")?;
            if p.keyword("row").is_some() {
                return Some(true);
            }
            p.keyword("statement").map(|_| false)
        });
        self.keyword("execute")?;
        let function = self.ident()?;
        let arguments = self
            .attempt(|p| {
                if !p.token("(") {
                    return None;
                }
                let mut strings = Vec::new();
                if let Some(first) = p.string() {
                    strings.push(first);
                    while let Some(next) = p.attempt(|p| if p.token(",") { p.string() } else { None }) {
                        strings.push(next);
                    }
                }
                p.token(")").then_some(strings)
            })
            .unwrap_or_default();
        let span = self.span(start, self.pos);
        Some(Trigger { docs, name, entity, timing, events, for_each_row, function, arguments, span })
    }

    pub(super) fn aggregate(&mut self, start: usize) -> Option<Aggregate> {
        let docs = self.docs();
        self.keyword("aggregate")?;
        let name = self.ident()?;
        if !self.token("(") {
            return None;
        }
        let mut params = Vec::new();
        let first = self.attempt(|p| {
            p.skip();
            p.type_ref()
        });
        if let Some(first) = first {
            params.push(first);
            while let Some(ty) = self.attempt(|p| {
                if !p.token(",") {
                    return None;
                }
                p.skip();
                p.type_ref()
            }) {
                params.push(ty);
            }
            self.token(",");
        }
        if !self.token(")") {
            return None;
        }
        self.keyword("state")?;
        self.skip();
        let state = self.type_ref()?;
        self.keyword("step")?;
        let step = self.ident()?;
        let final_function = self.attempt(|p| {
            p.keyword("final")?;
            p.ident()
        });
        let initial = self.attempt(|p| {
            p.keyword("initial")?;
            p.string()
        });
        let span = self.span(start, self.pos);
        Some(Aggregate { docs, name, params, state, step, final_function, initial, span })
    }

    pub(super) fn trigger_event(&mut self) -> Option<TriggerEvent> {
        let events =
            [("insert", TriggerEvent::Insert), ("update", TriggerEvent::Update), ("delete", TriggerEvent::Delete)];
        events.iter().find(|(word, _)| self.keyword(word).is_some()).map(|(_, e)| *e)
    }
}
