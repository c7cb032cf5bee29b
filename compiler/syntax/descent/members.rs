//! The fast parser's entity, junction and pattern bodies: fields with
//! their types, defaults and modifiers, and the entity attributes (keys,
//! indexes, checks, search, partitions, apply, volume, …). A field's
//! `check` on a later line is detached exactly as `parser.rs` does it
//! (`push_member`).

use super::Descent;
use crate::syntax::ast::*;
use crate::syntax::parser::push_member;

impl<'t> Descent<'t> {
    pub(super) fn entity(&mut self, start: usize) -> Option<Entity> {
        let docs = self.docs();
        self.keyword("entity")?;
        let name = self.ident()?;
        if !self.token("{") {
            return None;
        }
        let members = self.members(Self::entity_item)?;
        Some(Entity { docs, name, members, span: self.span(start, self.pos) })
    }

    /// The members of an entity, junction or pattern body, up to its `}`.
    pub(super) fn members(&mut self, item: fn(&mut Self) -> Option<Member>) -> Option<Vec<Member>> {
        let block = self.block(item)?;
        let mut members = Vec::with_capacity(block.len());
        for member in block {
            push_member(self.text, &mut members, member);
        }
        // Members are large (a field is ~300 bytes) and a syntax tree lives
        // through analysis: no growth slack.
        members.shrink_to_fit();
        Some(members)
    }

    /// `entity_item`: attribute, behaviour, relation or field, in that order.
    pub(super) fn entity_item(&mut self) -> Option<Member> {
        let start = self.pos;
        self.entity_attribute()
            .or_else(|| self.attempt(|p| p.behaviour(start)))
            .or_else(|| self.attempt(|p| p.relation(start)).map(Member::Relation))
            .or_else(|| self.attempt(|p| p.field(start)).map(Member::Field))
    }

    /// `pattern_item`: behaviour, relation, attribute or field, in that order.
    pub(super) fn pattern_item(&mut self) -> Option<Member> {
        let start = self.pos;
        self.attempt(|p| p.behaviour(start))
            .or_else(|| self.attempt(|p| p.relation(start)).map(Member::Relation))
            .or_else(|| self.entity_attribute())
            .or_else(|| self.attempt(|p| p.field(start)).map(Member::Field))
    }

    pub(super) fn behaviour(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("behaviour")?;
        let name = self.ident()?;
        let args = self.attempt(|p| p.call_args());
        Some(Member::Behaviour(Behaviour { name, args, span: self.span(start, self.pos) }))
    }

    pub(super) fn field(&mut self, start: usize) -> Option<Field> {
        let docs = self.docs();
        self.skip();
        let name = self.ident_here()?;
        if !self.spaces() {
            return None;
        }
        let ty = self.type_ref()?;
        let default = self.attempt(|p| p.field_default());
        let mut modifiers = Vec::new();
        while let Some(modifier) = self.attempt(|p| {
            p.skip();
            p.modifier()
        }) {
            modifiers.push(modifier);
        }
        Some(Field { docs, name, ty, default, modifiers, span: self.span(start, self.pos) })
    }

    /// `field_default`: ` = value`, the value starting on the field's line.
    pub(super) fn field_default(&mut self) -> Option<DefaultValue> {
        self.spaces();
        if !self.literal("=") {
            return None;
        }
        self.spaces();
        if matches!(self.peek(), Some(b'\n' | b'\r')) || self.rest().starts_with(b"//") {
            return None;
        }
        let start = self.pos;
        if let Some(default) = self.attempt(|p| {
            p.keyword_here("identity")?;
            let always = p.keyword("always").is_some();
            let end = p.pos;
            p.skip();
            if p.peek() == Some(b'(') {
                return None;
            }
            // The pest converter reads `always` off the rule's text, which
            // runs to here: a comment ending in "always" would count.
            let always = always || p.text[start..p.pos].trim_end().ends_with("always");
            p.pos = end;
            let span = p.span(start, end);
            Some(if always { DefaultValue::IdentityAlways(span) } else { DefaultValue::Identity(span) })
        }) {
            return Some(default);
        }
        if let Some(default) = self.attempt(|p| {
            let span = p.keyword_here("serial")?;
            p.skip();
            let followed_by_arguments = p.peek() == Some(b'(');
            p.pos = span.end as usize;
            (!followed_by_arguments).then_some(DefaultValue::Serial(span))
        }) {
            return Some(default);
        }
        if let Some(default) = self.attempt(|p| {
            p.keyword_here("generated")?;
            if !p.token("(") {
                return None;
            }
            let e = p.expr_top()?;
            p.token(")").then_some(DefaultValue::Generated(e))
        }) {
            return Some(default);
        }
        self.expr_top().map(DefaultValue::Expr)
    }

    /// `modifier` at the position.
    pub(super) fn modifier(&mut self) -> Option<Modifier> {
        if !matches!(self.peek(), Some(b'p' | b'u' | b'c' | b'r' | b'd')) {
            return None;
        }
        for keyword in ["primary", "unique"] {
            if let Some(span) = self.attempt(|p| {
                let span = p.keyword_here(keyword)?;
                (!p.names_a_key()).then_some(span)
            }) {
                return Some(if keyword == "primary" { Modifier::Primary(span) } else { Modifier::Unique(span) });
            }
        }
        if let Some(check) = self.attempt(|p| {
            p.keyword_here("check")?;
            if !p.token("(") {
                return None;
            }
            let e = p.expr_top()?;
            p.token(")").then_some(Modifier::Check(e))
        }) {
            return Some(check);
        }
        if let Some(column) = self.attempt(|p| {
            p.keyword_here("column")?;
            p.string().map(Modifier::Column)
        }) {
            return Some(column);
        }
        if let Some(pii) = self.attempt(|p| {
            p.keyword_here("pii")?;
            if !p.token("(") {
                return None;
            }
            let mode = p.ident()?;
            p.token(")").then_some(Modifier::Pii(mode))
        }) {
            return Some(pii);
        }
        if let Some(renamed) = self.attempt(|p| {
            p.keyword_here("renamed_from")?;
            p.ident().map(Modifier::RenamedFrom)
        }) {
            return Some(renamed);
        }
        if let Some(denormalized) = self.attempt(|p| {
            p.keyword_here("denormalized")?;
            p.keyword("from")?;
            let navigation = p.ident()?;
            if !p.token(".") {
                return None;
            }
            Some(Modifier::Denormalized(navigation, p.ident()?))
        }) {
            return Some(denormalized);
        }
        self.attempt(|p| {
            p.keyword_here("doc")?;
            p.string().map(Modifier::Doc)
        })
    }

    /// After `primary` / `unique`: whether an entity-level key follows on
    /// this line (`sp? "("` or `sp key_name_ahead`), which makes the word
    /// not a modifier. The position is left unchanged.
    pub(super) fn names_a_key(&mut self) -> bool {
        let save = self.pos;
        let spaced = self.spaces();
        let found = self.peek() == Some(b'(')
            || (spaced && {
                let checks = ["check", "pii"].iter().any(|k| {
                    let at = self.pos;
                    let found = self.keyword_here(k).is_some() && {
                        self.spaces();
                        self.peek() == Some(b'(')
                    };
                    self.pos = at;
                    found
                });
                !checks && {
                    let named = self.ident_here().is_some() || self.string_here().is_some();
                    named && {
                        self.spaces();
                        self.peek() == Some(b'(')
                    }
                }
            });
        self.pos = save;
        found
    }

    /// `entity_attr` at the position; the position is unchanged when none matches.
    pub(super) fn entity_attribute(&mut self) -> Option<Member> {
        if !matches!(self.peek(), Some(b'a' | b'c' | b'i' | b'p' | b'r' | b's' | b't' | b'u' | b'v')) {
            return None;
        }
        let start = self.pos;
        type Rule<'t> = fn(&mut Descent<'t>, usize) -> Option<Member>;
        let rules: [Rule<'t>; 11] = [
            Self::attr_primary,
            Self::attr_unique,
            Self::attr_index,
            Self::attr_check,
            Self::attr_search,
            Self::attr_partition,
            Self::attr_apply,
            Self::attr_volume,
            |p, s| {
                p.keyword_here("renamed_from")?;
                let _ = s;
                p.ident().map(Member::RenamedFrom)
            },
            |p, _| {
                p.keyword_here("table")?;
                p.string().map(Member::Table)
            },
            |p, s| {
                p.keyword_here("row_security")?;
                let forced = if p.keyword("enabled").is_some() {
                    false
                } else {
                    p.keyword("forced")?;
                    true
                };
                Some(Member::RowSecurity(forced, p.span(s, p.pos)))
            },
        ];
        for rule in rules {
            self.pos = start;
            if let Some(member) = rule(self, start) {
                return Some(member);
            }
        }
        self.pos = start;
        None
    }

    /// `object_name?` before a `(`-list: tried, and given back when absent.
    pub(super) fn optional_object_name(&mut self) -> Option<Ident> {
        self.attempt(|p| p.object_name())
    }

    pub(super) fn where_clause(&mut self) -> Option<Expr> {
        self.attempt(|p| {
            p.keyword("where")?;
            p.expr_top()
        })
    }

    pub(super) fn attr_primary(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("primary")?;
        let name = self.optional_object_name();
        let columns = self.column_list()?;
        Some(Member::Primary(KeyList { name, columns, span: self.span(start, self.pos) }))
    }

    pub(super) fn attr_unique(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("unique")?;
        let name = self.optional_object_name();
        let columns = self.column_list()?;
        let predicate = self.where_clause();
        Some(Member::Unique(UniqueAttr { name, columns, predicate, span: self.span(start, self.pos) }))
    }

    pub(super) fn attr_index(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("index")?;
        let unique = self.keyword("unique").is_some();
        let name = self.optional_object_name();
        if !self.token("(") {
            return None;
        }
        let mut keys = vec![self.index_key()?];
        while let Some(key) = self.attempt(|p| if p.token(",") { p.index_key() } else { None }) {
            keys.push(key);
        }
        self.token(",");
        if !self.token(")") {
            return None;
        }
        let include = self
            .attempt(|p| {
                p.keyword("include")?;
                p.column_list()
            })
            .unwrap_or_default();
        let predicate = self.where_clause();
        let method = self.attempt(|p| {
            p.keyword("using")?;
            p.ident()
        });
        let span = self.span(start, self.pos);
        Some(Member::Index(IndexAttr { unique, name, keys, include, predicate, method, span }))
    }

    pub(super) fn index_key(&mut self) -> Option<IndexKey> {
        let expr = self.expr_top()?;
        let descending = self.sort_order();
        let nulls_first = self.attempt(|p| {
            p.keyword("nulls")?;
            if p.keyword("first").is_some() {
                return Some(true);
            }
            p.keyword("last").map(|_| false)
        });
        Some(IndexKey { expr, descending, nulls_first })
    }

    pub(super) fn sort_order(&mut self) -> Option<bool> {
        if self.keyword("asc").is_some() {
            return Some(false);
        }
        self.keyword("desc").map(|_| true)
    }

    pub(super) fn attr_check(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("check")?;
        let name = self.optional_object_name();
        if !self.token("(") {
            return None;
        }
        let expr = self.expr_top()?;
        if !self.token(")") {
            return None;
        }
        Some(Member::Check(CheckAttr { name, expr, span: self.span(start, self.pos) }))
    }

    pub(super) fn attr_search(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("search")?;
        if !self.token("(") {
            return None;
        }
        let mut columns = vec![self.search_column()?];
        while let Some(column) = self.attempt(|p| if p.token(",") { p.search_column() } else { None }) {
            columns.push(column);
        }
        self.token(",");
        if !self.token(")") {
            return None;
        }
        let language = self.attempt(|p| {
            p.keyword("language")?;
            p.ident()
        });
        Some(Member::Search(SearchAttr { columns, language, span: self.span(start, self.pos) }))
    }

    pub(super) fn search_column(&mut self) -> Option<SearchColumn> {
        let column = self.ident()?;
        let weight = self.attempt(|p| {
            p.keyword("weight")?;
            p.skip();
            let weight = p.peek().filter(|b| matches!(b, b'A'..=b'D'))?;
            p.pos += 1;
            p.not_ident_char().then_some(weight as char)
        });
        Some(SearchColumn { column, weight })
    }

    pub(super) fn attr_partition(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("partition")?;
        self.keyword("by")?;
        let kind = if self.keyword("range").is_some() {
            PartitionKind::Range
        } else if self.keyword("list").is_some() {
            PartitionKind::List
        } else {
            self.keyword("hash")?;
            PartitionKind::Hash
        };
        let columns = self.column_list()?;
        let scheme = self.attempt(|p| {
            if p.keyword("every").is_some() {
                let count = p.integer()?;
                let unit = p.time_unit()?;
                return Some(PartitionScheme::Every { count, unit });
            }
            p.keyword("into")?;
            let count = p.integer()?;
            p.keyword("partitions")?;
            Some(PartitionScheme::Into(count))
        });
        let fixed = self
            .attempt(|p| {
                if !p.token("{") {
                    return None;
                }
                let mut fixed = Vec::new();
                while let Some(partition) = p.attempt(|p| p.fixed_partition()) {
                    fixed.push(partition);
                }
                p.token("}").then_some(fixed)
            })
            .unwrap_or_default();
        Some(Member::Partition(PartitionAttr { kind, columns, scheme, fixed, span: self.span(start, self.pos) }))
    }

    pub(super) fn fixed_partition(&mut self) -> Option<FixedPartition> {
        let name = self.object_name()?;
        let bound = if let Some(range) = self.attempt(|p| {
            p.keyword("from")?;
            let from = p.bound_value()?;
            p.keyword("to")?;
            Some(FixedBound::Range { from, to: p.bound_value()? })
        }) {
            range
        } else if let Some(list) = self.attempt(|p| {
            p.keyword("in")?;
            if !p.token("(") {
                return None;
            }
            let mut values = vec![p.bound_value()?];
            while p.token(",") {
                values.push(p.bound_value()?);
            }
            p.token(")").then_some(FixedBound::In(values))
        }) {
            list
        } else if let Some(hash) = self.attempt(|p| {
            p.keyword("modulus")?;
            let modulus = p.integer()?;
            p.keyword("remainder")?;
            Some(FixedBound::Hash { modulus, remainder: p.integer()? })
        }) {
            hash
        } else {
            self.keyword("default")?;
            FixedBound::Default
        };
        self.token(",");
        Some(FixedPartition { name, bound })
    }

    pub(super) fn bound_value(&mut self) -> Option<BoundValue> {
        if let Some(s) = self.string() {
            return Some(BoundValue::String(s.value));
        }
        self.attempt(|p| {
            p.skip();
            let start = p.pos;
            p.literal("-");
            if !p.digits() {
                return None;
            }
            let save = p.pos;
            if !(p.literal(".") && p.digits()) {
                p.pos = save;
            }
            p.not_ident_char().then(|| BoundValue::Number(p.text[start..p.pos].to_string()))
        })
    }

    pub(super) fn attr_apply(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("apply")?;
        let mut patterns = vec![self.pattern_use()?];
        while let Some(pattern) = self.attempt(|p| if p.token(",") { p.pattern_use() } else { None }) {
            patterns.push(pattern);
        }
        Some(Member::Apply(ApplyAttr { patterns, span: self.span(start, self.pos) }))
    }

    pub(super) fn pattern_use(&mut self) -> Option<PatternUse> {
        let name = self.ident()?;
        let start = name.span.start as usize;
        let args = self.attempt(|p| {
            if !p.token("(") {
                return None;
            }
            let mut args = Vec::new();
            if let Some(first) = p.attempt(|p| p.pattern_arg()) {
                args.push(first);
                while let Some(arg) = p.attempt(|p| if p.token(",") { p.pattern_arg() } else { None }) {
                    args.push(arg);
                }
                p.token(",");
            }
            p.token(")").then_some(args)
        });
        Some(PatternUse { name, args, span: self.span(start, self.pos) })
    }

    pub(super) fn pattern_arg(&mut self) -> Option<PatternArg> {
        let name = self.ident()?;
        if !self.token(":") {
            return None;
        }
        Some(PatternArg { name, value: self.expr_top()? })
    }

    pub(super) fn attr_volume(&mut self, start: usize) -> Option<Member> {
        self.keyword_here("volume")?;
        let rows = self.quantity()?;
        self.keyword("rows")?;
        let growth = self.attempt(|p| {
            if !p.token(",") {
                return None;
            }
            p.keyword("grows")?;
            let q = p.quantity()?;
            if !p.token("/") {
                return None;
            }
            Some((q, p.time_unit()?))
        });
        Some(Member::Volume(VolumeAttr { rows, growth, span: self.span(start, self.pos) }))
    }
}
