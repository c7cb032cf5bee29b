//! Patterns recognised in an imported database: where the columns,
//! triggers and junction tables are what `apply timestamps` or a `<->`
//! relation would make, the imported IR says so instead of spelling them out.
//!
//! Recognising is two steps. Each pattern's module finds the candidates
//! whose evidence is clear and knows how to edit the IR for one. Then every
//! edit is proven here: the edited IR is raised to source, compiled, run
//! through the passes with the import project's options and lowered to
//! PostgreSQL, and the lowered catalog is compared with the catalog the
//! database has. An edit is kept only when the source compiles and it adds
//! no difference to those the unedited IR already has, so recognition never
//! changes what the database would be. Candidates are proven all at once
//! first; when that fails, in halves (down to one), so one that does not
//! hold back leaves the others recognised. A candidate found but not proven
//! is a warning (W1050) saying why it stays spelled out.
//!
//! It reads the IR and the catalog only: no database, no files, no CLI.

mod many_to_many;
mod timestamps;

use std::collections::BTreeSet;

use crate::backends::postgres::compare::compare;
use crate::backends::postgres::lower::lower;
use crate::backends::postgres::model::Catalog;
use crate::diagnostics::{codes, Diagnostic};
use crate::pipeline;
use crate::semantic::ir::Ir;
use crate::semantic::raise;

/// The IR with the patterns proven, and what was recognised.
pub struct Recognised {
    pub ir: Ir,
    /// Entities that now `apply timestamps`.
    pub timestamps: Vec<String>,
    /// Junction tables now made by a `<->` relation.
    pub junctions: Vec<String>,
    /// W1050: candidates left spelled out, each with the reason.
    pub diagnostics: Vec<Diagnostic>,
}

impl Recognised {
    /// One line per pattern kind recognised, for the import's status output;
    /// `None` when nothing was.
    pub fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.timestamps.is_empty() {
            parts.push(format!("`apply timestamps` on {}", count(self.timestamps.len(), "entity", "entities")));
        }
        if !self.junctions.is_empty() {
            parts.push(format!("`<->` for {}", count(self.junctions.len(), "junction table", "junction tables")));
        }
        (!parts.is_empty()).then(|| format!("recognised {}", parts.join(", ")))
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One edit of the IR that says a pattern instead of what it makes.
#[derive(Debug, Clone)]
enum Candidate {
    /// `apply timestamps` on the entity.
    Timestamps(timestamps::Candidate),
    /// The junction entity becomes a `<->` relation.
    ManyToMany(many_to_many::Candidate),
}

impl Candidate {
    fn apply(&self, ir: &mut Ir) -> bool {
        match self {
            Candidate::Timestamps(c) => c.apply(ir),
            Candidate::ManyToMany(c) => c.apply(ir),
        }
    }

    /// Why the candidate stays spelled out, when the proof refused it
    /// (`why`: the first difference it would make).
    fn refused(&self, why: &str) -> Diagnostic {
        let diagnostic = match self {
            Candidate::Timestamps(c) => Diagnostic::new(
                codes::W1050,
                format!(
                    "`{}` has `created_at`, `updated_at` and the triggers `{table}_touch` and `{table}_immutable`, \
                     but `apply timestamps` would not build the same table: they stay spelled out",
                    c.entity,
                    table = c.table
                ),
            )
            .help("the pattern's columns, trigger functions and comments are schemac's own; the database's differ from them (compare with what `apply timestamps` builds)"),
            Candidate::ManyToMany(c) => Diagnostic::new(
                codes::W1050,
                format!(
                    "table `{}` looks like the junction of `{}` and `{}`, but a `<->` relation would not build the same table: it stays an entity",
                    c.table, c.from, c.to
                ),
            )
            .help("the relation makes the junction's key, foreign keys and their names as schemac names them; the database's differ"),
        };
        diagnostic.note(format!("with it: {why}"))
    }
}

/// The patterns of `ir` (imported from `catalog`) that provably build the
/// same database with the import project's `options`.
pub fn recognise(ir: Ir, catalog: &Catalog, options: &pipeline::Options) -> Recognised {
    let mut diagnostics = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    let (found, notes) = timestamps::candidates(&ir);
    candidates.extend(found.into_iter().map(Candidate::Timestamps));
    diagnostics.extend(notes);
    candidates.extend(many_to_many::candidates(&ir).into_iter().map(Candidate::ManyToMany));
    if candidates.is_empty() {
        return Recognised { ir, timestamps: Vec::new(), junctions: Vec::new(), diagnostics };
    }
    let Some(baseline) = differences(&ir, catalog, options) else {
        // The import's own source does not build: the CLI reports that; recognise nothing.
        return Recognised { ir, timestamps: Vec::new(), junctions: Vec::new(), diagnostics };
    };
    let mut prover = Prover { catalog, options, baseline, ir, accepted: Vec::new() };
    let refused = prover.prove(&candidates);
    for (candidate, why) in &refused {
        diagnostics.push(candidate.refused(why));
    }
    let mut recognised =
        Recognised { ir: prover.ir, timestamps: Vec::new(), junctions: Vec::new(), diagnostics: Vec::new() };
    for candidate in prover.accepted {
        match candidate {
            Candidate::Timestamps(c) => recognised.timestamps.push(c.entity),
            Candidate::ManyToMany(c) => recognised.junctions.push(c.table),
        }
    }
    recognised.diagnostics = diagnostics;
    recognised
}

struct Prover<'a> {
    catalog: &'a Catalog,
    options: &'a pipeline::Options,
    /// The unedited IR's differences from the catalog.
    baseline: BTreeSet<String>,
    /// The IR with the accepted candidates applied.
    ir: Ir,
    accepted: Vec<Candidate>,
}

impl Prover<'_> {
    /// Accepts `candidates` on top of those accepted so far, all at once if
    /// they hold together, else each half in turn; returns those refused,
    /// each with the first difference it would make.
    fn prove(&mut self, candidates: &[Candidate]) -> Vec<(Candidate, String)> {
        if candidates.is_empty() {
            return Vec::new();
        }
        let mut edited = self.ir.clone();
        let applied = candidates.iter().all(|c| c.apply(&mut edited));
        let verdict = if applied { self.holds(&edited) } else { Err("the IR cannot be edited so".into()) };
        match verdict {
            Ok(()) => {
                self.ir = edited;
                self.accepted.extend(candidates.iter().cloned());
                return Vec::new();
            }
            Err(why) if candidates.len() == 1 => return vec![(candidates[0].clone(), why)],
            Err(_) => {}
        }
        let (first, second) = candidates.split_at(candidates.len() / 2);
        let mut refused = self.prove(first);
        refused.extend(self.prove(second));
        refused
    }

    /// The edited IR compiles and differs from the catalog in nothing the
    /// unedited one did not; else the first thing that stands in the way.
    fn holds(&self, edited: &Ir) -> Result<(), String> {
        let found = differences(edited, self.catalog, self.options).ok_or("the source would not compile")?;
        match found.difference(&self.baseline).next() {
            Some(new) => Err(new.clone()),
            None => Ok(()),
        }
    }
}

/// How the database `ir` raises to differs from `catalog`; `None` when the
/// source does not compile or build.
fn differences(ir: &Ir, catalog: &Catalog, options: &pipeline::Options) -> Option<BTreeSet<String>> {
    let source = raise::source(ir);
    let mut compilation = crate::driver::compile_str("imported.schema", &source);
    if compilation.has_errors() {
        return None;
    }
    let cx = crate::passes::Context { options: &options.passes, source_map: &compilation.source_map };
    let found = crate::passes::run_all(&mut compilation.ir, &cx);
    if found.iter().any(Diagnostic::is_error) {
        return None;
    }
    let (lowered, found) = lower(&compilation.ir, &compilation.source_map, &options.postgres);
    if found.iter().any(Diagnostic::is_error) {
        return None;
    }
    Some(compare(&lowered, catalog).iter().map(ToString::to_string).collect())
}
