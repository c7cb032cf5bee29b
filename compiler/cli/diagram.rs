//! `schemac diagram`: print an ER diagram of the whole schema, of one entity
//! and its neighbourhood, or of some modules — as Mermaid, DOT or SVG.

use std::path::PathBuf;

use super::report::Reporter;
use super::UsageError;
use crate::graph::{self, model};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagramFormat {
    /// A Mermaid erDiagram (GitHub renders it in Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// A self-contained SVG laid out by schemac.
    Svg,
}

pub struct Args {
    pub path: Option<PathBuf>,
    pub format: DiagramFormat,
    pub focus: Option<String>,
    pub depth: usize,
    pub modules: Vec<String>,
    pub out: Option<PathBuf>,
}

pub fn run(args: Args, reporter: &Reporter) -> Result<bool, UsageError> {
    let Some((loaded, _output, diagnostics)) = super::build::produce(args.path, false, reporter)? else {
        return Ok(false);
    };
    if diagnostics.iter().any(|d| d.is_error()) {
        return Ok(false);
    }
    let name = loaded.project.as_ref().map_or_else(|| "schema".to_string(), |p| p.name.clone());
    let modules = model::modules(&loaded.compilation);
    let selection = model::Selection { focus: args.focus.clone(), depth: args.depth, modules: args.modules };
    let diagram = model::diagram(&loaded.compilation.ir, &modules, &selection).map_err(UsageError)?;
    let label = match &args.focus {
        Some(focus) => format!("{focus} and its relations in {name}"),
        None => format!("Entity-relationship diagram of {name}"),
    };
    let text = match args.format {
        DiagramFormat::Mermaid => graph::mermaid::render(&diagram),
        DiagramFormat::Dot => graph::dot::render(&diagram, &name),
        DiagramFormat::Svg => {
            graph::svg::render(&diagram, &graph::svg::Options { id: "er-diagram", label: &label, link_prefix: None })
        }
    };
    match args.out {
        Some(file) => {
            super::docs::write_tree(std::path::Path::new("."), &[(file.to_string_lossy().into_owned(), text)])?;
            reporter.status(&format!("wrote {} ({} entities)", super::project::display(&file), diagram.entities.len()));
        }
        None => super::out(&text),
    }
    Ok(true)
}
