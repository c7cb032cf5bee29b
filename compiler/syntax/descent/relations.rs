//! The fast parser's relations: ends, cardinality, alternatives and the
//! body's items (required, on delete/update, deferrable, through, columns,
//! constraint).

use super::Descent;
use crate::syntax::ast::*;

impl<'t> Descent<'t> {
    pub(super) fn relation(&mut self, start: usize) -> Option<Relation> {
        let docs = self.docs();
        self.keyword("relation")?;
        let from = self.relation_end()?;
        self.skip();
        let cardinality = if self.literal("<->") {
            Cardinality::ManyToMany
        } else if self.literal("->") {
            Cardinality::ManyToOne
        } else if self.literal("--") {
            Cardinality::OneToOne
        } else {
            return None;
        };
        let to = self.relation_end()?;
        let mut alternatives = Vec::new();
        while let Some(end) = self.attempt(|p| if p.token("|") { p.relation_end() } else { None }) {
            alternatives.push(end);
        }
        let body = if self.token("{") { Some(self.block(Self::relation_item)?) } else { None };
        Some(Relation { docs, from, cardinality, to, alternatives, body, span: self.span(start, self.pos) })
    }

    pub(super) fn relation_end(&mut self) -> Option<RelationEnd> {
        let entity = self.ident()?;
        let field = self.attempt(|p| if p.token(".") { p.ident() } else { None });
        Some(RelationEnd { entity, field })
    }

    pub(super) fn relation_item(&mut self) -> Option<RelationItem> {
        let start = self.pos;
        let span = |p: &Self| p.span(start, p.pos);
        if self.keyword_here("required").is_some() {
            return Some(RelationItem::Required(span(self)));
        }
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("on")?;
            let delete = if p.keyword("delete").is_some() {
                true
            } else {
                p.keyword("update")?;
                false
            };
            let action = p.ref_action()?;
            let s = span(p);
            Some(if delete { RelationItem::OnDelete(action, s) } else { RelationItem::OnUpdate(action, s) })
        }) {
            return Some(item);
        }
        if self.keyword_here("deferrable").is_some() {
            return Some(RelationItem::Deferrable(span(self)));
        }
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("through")?;
            let entity = p.ident()?;
            let members = if p.token("{") { Some(p.members(Self::entity_item)?) } else { None };
            Some(RelationItem::Through(Through { entity, members, span: span(p) }))
        }) {
            return Some(item);
        }
        if let Some(item) = self.attempt(|p| {
            p.keyword_here("columns")?;
            let columns = p.column_list()?;
            Some(RelationItem::Columns(columns, span(p)))
        }) {
            return Some(item);
        }
        self.attempt(|p| {
            p.keyword_here("constraint")?;
            let name = p.object_name()?;
            Some(RelationItem::Constraint(name, span(p)))
        })
    }

    pub(super) fn ref_action(&mut self) -> Option<RefAction> {
        if self.keyword("cascade").is_some() {
            return Some(RefAction::Cascade);
        }
        if self.keyword("restrict").is_some() {
            return Some(RefAction::Restrict);
        }
        if let Some(action) = self.attempt(|p| {
            p.keyword("set")?;
            if p.keyword("null").is_some() {
                return Some(RefAction::SetNull);
            }
            p.keyword("default").map(|_| RefAction::SetDefault)
        }) {
            return Some(action);
        }
        self.attempt(|p| {
            p.keyword("no")?;
            p.keyword("action").map(|_| RefAction::NoAction)
        })
    }
}
