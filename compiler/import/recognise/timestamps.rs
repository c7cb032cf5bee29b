//! `apply timestamps`: an entity with the fields `created_at` and then
//! `updated_at` (timestamptz, required, `= now()`) and whose table has the
//! trigger functions and triggers `<table>_touch` and `<table>_immutable`,
//! as the standard pattern makes them.
//!
//! It finds candidates and edits a copy of the IR for one; whether the edit
//! builds the same database is proven by the caller (`recognise`), never
//! assumed here. Tables that have the columns and hand-written triggers
//! before update instead of the pattern's are named in a warning (W1050).

use crate::diagnostics::{codes, Diagnostic};
use crate::semantic::ir::{self, Expr, Ir, Origin, Type};

/// The pattern the candidate applies, as `std::patterns` names it.
const PATTERN: &str = "timestamps";

#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub entity: String,
    pub table: String,
}

/// The entities that look like `apply timestamps`; and warnings for those
/// with the columns and other triggers.
pub(super) fn candidates(ir: &Ir) -> (Vec<Candidate>, Vec<Diagnostic>) {
    let mut found = Vec::new();
    let mut notes = Vec::new();
    for entity in ir.entities.iter().filter(|e| !e.patterns.iter().any(|p| p == PATTERN)) {
        if !has_columns(entity) {
            continue;
        }
        let triggers: Vec<&ir::Trigger> = ir.triggers.iter().filter(|t| t.entity == entity.name).collect();
        let names = routines(&entity.table);
        let complete = names.iter().all(|name| {
            ir.functions.iter().any(|f| &f.name == name && f.returns == ir::FunctionReturns::Trigger)
                && triggers.iter().any(|t| &t.name == name && &t.function == name)
        });
        if complete {
            found.push(Candidate { entity: entity.name.clone(), table: entity.table.clone() });
        } else if let Some(list) = keepers(&triggers) {
            notes.push(
                Diagnostic::new(
                    codes::W1050,
                    format!(
                        "`{}` has `created_at` and `updated_at` with the triggers {list}, not the `timestamps` pattern's \
                         (`{}` and `{}`): they stay spelled out",
                        entity.name, names[0], names[1]
                    ),
                )
                .help("`apply timestamps` would add the pattern's own triggers; replace the hand-written ones with it by hand if they do the same"),
            );
        }
    }
    (found, notes)
}

/// The triggers that may keep the columns by hand (those before an
/// update), listed; `None` when there is none.
fn keepers(triggers: &[&ir::Trigger]) -> Option<String> {
    let keepers: Vec<String> = triggers
        .iter()
        .filter(|t| t.timing == ir::TriggerTiming::Before && t.events.contains(&ir::TriggerEvent::Update))
        .map(|t| format!("`{}`", t.name))
        .collect();
    (!keepers.is_empty()).then(|| keepers.join(", "))
}

/// The trigger functions (and triggers) the pattern makes on `table`.
fn routines(table: &str) -> [String; 2] {
    [format!("{table}_touch"), format!("{table}_immutable")]
}

/// The pattern's fields, one after the other (as it adds them where it is
/// applied), exactly as it declares them.
fn has_columns(entity: &ir::Entity) -> bool {
    let Some(at) = entity.fields.iter().position(|f| f.name == "created_at") else { return false };
    let (Some(created), Some(updated)) = (entity.fields.get(at), entity.fields.get(at + 1)) else { return false };
    let now = |e: &Option<Expr>| match e {
        Some(Expr::Call { function, args }) => function == "now" && args.is_empty(),
        _ => false,
    };
    [(created, "created_at"), (updated, "updated_at")].iter().all(|(f, name)| {
        f.name == *name
            && f.origin == Origin::Declared
            && f.column == *name
            && f.ty == Type::Timestamptz { precision: None }
            && !f.nullable
            && now(&f.default)
            && !f.identity
            && !f.serial
            && f.generated.is_none()
            && f.doc.is_none()
            && f.pii.is_none()
    }) && !entity.primary_key.iter().any(|k| k == "created_at" || k == "updated_at")
}

impl Candidate {
    /// Applies the pattern instead of the fields (which stay, as the
    /// pattern's, where `apply` goes), trigger functions and triggers;
    /// false when the entity is gone.
    pub(super) fn apply(&self, ir: &mut Ir) -> bool {
        let names = routines(&self.table);
        let Some(entity) = ir.entities.iter_mut().find(|e| e.name == self.entity) else { return false };
        for field in entity.fields.iter_mut().filter(|f| f.name == "created_at" || f.name == "updated_at") {
            field.origin = Origin::Pattern { pattern: PATTERN.to_string() };
        }
        entity.patterns.push(PATTERN.to_string());
        ir.functions.retain(|f| !names.contains(&f.name));
        ir.triggers.retain(|t| !(t.entity == self.entity && names.contains(&t.name)));
        true
    }
}
