//! Prints diagnostics in the chosen format and applies lint levels.
//! The only place diagnostics meet the terminal.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use super::project::LintLevel;
use crate::diagnostics::render::{self, Format};
use crate::diagnostics::{Code, Diagnostic, Severity, Sources};

/// Raises or silences warnings as `schemac.toml`'s `[lint]` table says.
pub fn apply_lints(diagnostics: Vec<Diagnostic>, lints: &BTreeMap<Code, LintLevel>) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .filter_map(|mut d| match lints.get(&d.code) {
            Some(LintLevel::Allow) => None,
            Some(LintLevel::Deny) => {
                d.severity = Severity::Error;
                Some(d)
            }
            _ => Some(d),
        })
        .collect()
}

pub struct Reporter {
    pub format: Format,
    pub quiet: bool,
}

impl Reporter {
    /// Prints diagnostics (errors first, then by place); quiet hides warnings.
    pub fn diagnostics(&self, sources: &Sources, diagnostics: &[Diagnostic]) {
        let mut shown: Vec<Diagnostic> = diagnostics.iter().filter(|d| d.is_error() || !self.quiet).cloned().collect();
        shown.sort_by_key(|d| {
            let place = d.primary_span().map(|s| (s.file.0, s.start));
            (std::cmp::Reverse(d.severity), place)
        });
        match self.format {
            Format::Human => {
                let choice = if std::io::stderr().is_terminal() { ColorChoice::Auto } else { ColorChoice::Never };
                let mut out = StandardStream::stderr(choice);
                let _ = render::human(&mut out, sources, &shown);
            }
            Format::Json => super::out(&render::json(sources, &shown)),
            Format::Github => super::out(&render::github(sources, &shown)),
        }
    }

    /// A one-line status on stderr (human format only, not when quiet).
    pub fn status(&self, line: &str) {
        if self.format == Format::Human && !self.quiet {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    match (errors, warnings) {
        (0, 0) => "no problems".into(),
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}
