//! `schemac fmt`: rewrites .schema files in the canonical layout, or with
//! `--check` lists the files that would change (with a diff) and fails.
//! A file with syntax errors is never rewritten.

use std::path::PathBuf;

use similar::TextDiff;

use super::report::Reporter;
use super::{project, UsageError};
use crate::diagnostics::Sources;
use crate::driver::{self, Input};
use crate::syntax::printer;

fn targets(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, UsageError> {
    if !paths.is_empty() {
        for p in &paths {
            if !p.exists() {
                return Err(UsageError(format!("{} does not exist", p.display())));
            }
        }
        return project::schema_files(&paths, None).map_err(|e| UsageError(format!("cannot list files: {e}")));
    }
    let roots = match project::find(&PathBuf::from(".")) {
        Some(manifest) => {
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| UsageError(format!("cannot read {}: {e}", manifest.display())))?;
            let loaded = project::load(&manifest, &text, &mut Sources::new(), project::display(&manifest))
                .map_err(|d| UsageError(format!("{}: {}", project::display(&manifest), d.message)))?;
            loaded.sources
        }
        None => vec![PathBuf::from(".")],
    };
    project::schema_files(&roots, None).map_err(|e| UsageError(format!("cannot list files: {e}")))
}

pub fn run(paths: Vec<PathBuf>, check: bool, reporter: &Reporter) -> Result<bool, UsageError> {
    let files = targets(paths)?;
    let mut ok = true;
    let mut changed = 0;
    for path in &files {
        let bytes = std::fs::read(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
        let input = Input { name: project::display(path), bytes };
        let mut sources = Sources::new();
        let (tree, diagnostics) = driver::parse_file(&mut sources, &input);
        if diagnostics.iter().any(|d| d.is_error()) {
            reporter.diagnostics(&sources, &diagnostics);
            ok = false;
            continue;
        }
        let original = &sources.get(tree.file).text;
        let formatted = match printer::print(&tree, original) {
            Ok(text) => text,
            Err(d) => {
                reporter.diagnostics(&sources, &[d]);
                ok = false;
                continue;
            }
        };
        if &formatted == original {
            continue;
        }
        // Never write a file whose meaning changed: the printed text must
        // parse cleanly back to the same tree.
        let mut check_sources = Sources::new();
        let reparsed = Input { name: input.name.clone(), bytes: formatted.clone().into_bytes() };
        let (again, problems) = driver::parse_file(&mut check_sources, &reparsed);
        if !problems.is_empty() || again.declarations != tree.declarations {
            ok = false;
            eprintln!(
                "error: formatting {} would change what it means; the file was left as it is (this is a formatter bug, please report it)",
                input.name
            );
            continue;
        }
        changed += 1;
        if check {
            ok = false;
            super::out(&format!("would reformat {}\n", input.name));
            let diff = TextDiff::from_lines(original.as_str(), formatted.as_str());
            super::out(
                &diff
                    .unified_diff()
                    .context_radius(2)
                    .header(&input.name, &format!("{} (formatted)", input.name))
                    .to_string(),
            );
        } else {
            std::fs::write(path, &formatted)
                .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    let verb = if check { "would reformat" } else { "reformatted" };
    reporter.status(&format!("{} file(s) checked, {changed} {verb}", files.len()));
    Ok(ok)
}
