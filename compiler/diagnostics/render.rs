//! Turns diagnostics into text: a terminal report with source excerpts
//! (codespan-reporting), JSON for tools, or GitHub workflow annotations.
//! Rendering never decides severity or filters; it prints what it is given.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;
use codespan_reporting::term::termcolor::{NoColor, WriteColor};
use serde::Serialize;

use super::{Diagnostic, FileId, Severity, Sources, Span};

/// How `--format` asks for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source excerpts with carets, coloured on a terminal.
    Human,
    /// One JSON document with every diagnostic and its positions.
    Json,
    /// `::error file=…,line=…::…` workflow commands for GitHub Actions.
    Github,
}

impl<'a> Files<'a> for Sources {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.get(id).name)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.get(id).text)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.get(id).line_col(byte_index).0 - 1)
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<std::ops::Range<usize>, FilesError> {
        let source = self.get(id);
        let starts = &source.line_starts;
        let start = *starts
            .get(line_index)
            .ok_or(FilesError::LineTooLarge { given: line_index, max: starts.len().saturating_sub(1) })?;
        let end = starts.get(line_index + 1).copied().unwrap_or(source.text.len());
        Ok(start..end)
    }
}

/// A span moved onto character boundaries inside its file, so that a span
/// built from bad input can never make the renderer fail.
fn clamp(sources: &Sources, span: Span) -> std::ops::Range<usize> {
    let text = &sources.get(span.file).text;
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start as usize);
    let end = floor(span.end as usize).max(start);
    start..end
}

fn to_codespan(sources: &Sources, diagnostic: &Diagnostic) -> cs::Diagnostic<FileId> {
    let base = match diagnostic.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    };
    let labels = diagnostic
        .labels
        .iter()
        .map(|label| {
            let style = if label.primary { cs::LabelStyle::Primary } else { cs::LabelStyle::Secondary };
            cs::Label::new(style, label.span.file, clamp(sources, label.span)).with_message(&label.message)
        })
        .collect();
    let mut notes = diagnostic.notes.clone();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    base.with_code(diagnostic.code.0).with_message(&diagnostic.message).with_labels(labels).with_notes(notes)
}

/// Writes the terminal report for `diagnostics` to `out`.
pub fn human(out: &mut dyn WriteColor, sources: &Sources, diagnostics: &[Diagnostic]) -> std::io::Result<()> {
    let config = term::Config::default();
    for diagnostic in diagnostics {
        term::emit(out, &config, sources, &to_codespan(sources, diagnostic))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    Ok(())
}

/// The terminal report without colour, as a string (tests and snapshots).
pub fn human_string(sources: &Sources, diagnostics: &[Diagnostic]) -> String {
    let mut out = NoColor::new(Vec::new());
    human(&mut out, sources, diagnostics).expect("writing to memory cannot fail");
    String::from_utf8_lossy(&out.into_inner()).into_owned()
}

#[derive(Serialize)]
struct JsonReport<'a> {
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: Severity,
    title: &'static str,
    message: &'a str,
    location: Option<JsonLocation<'a>>,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    location: JsonLocation<'a>,
    message: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: usize,
    byte_end: usize,
}

fn location<'a>(sources: &'a Sources, span: Span) -> JsonLocation<'a> {
    let source = sources.get(span.file);
    let range = clamp(sources, span);
    let (line, column) = source.line_col(range.start);
    let (end_line, end_column) = source.line_col(range.end);
    JsonLocation {
        file: &source.name,
        line,
        column,
        end_line,
        end_column,
        byte_start: range.start,
        byte_end: range.end,
    }
}

/// One JSON document: counts and every diagnostic with 1-based positions.
pub fn json(sources: &Sources, diagnostics: &[Diagnostic]) -> String {
    let report = JsonReport {
        errors: diagnostics.iter().filter(|d| d.is_error()).count(),
        warnings: diagnostics.iter().filter(|d| !d.is_error()).count(),
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                code: d.code.0,
                severity: d.severity,
                title: d.code.title(),
                message: &d.message,
                location: d.primary_span().map(|s| location(sources, s)),
                labels: d
                    .labels
                    .iter()
                    .map(|l| JsonLabel { location: location(sources, l.span), message: &l.message, primary: l.primary })
                    .collect(),
                notes: &d.notes,
                help: d.help.as_deref(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).expect("diagnostics serialize") + "\n"
}

/// GitHub Actions workflow commands, one line per diagnostic.
pub fn github(sources: &Sources, diagnostics: &[Diagnostic]) -> String {
    fn data(text: &str) -> String {
        text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
    }
    fn property(text: &str) -> String {
        data(text).replace(':', "%3A").replace(',', "%2C")
    }
    let mut out = String::new();
    for d in diagnostics {
        let level = if d.is_error() { "error" } else { "warning" };
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let place = d.primary_span().map(|s| location(sources, s)).map_or(String::new(), |l| {
            format!(
                "file={},line={},col={},endLine={},endColumn={},",
                property(l.file),
                l.line,
                l.column,
                l.end_line,
                l.end_column
            )
        });
        out.push_str(&format!("::{level} {place}title={}::{}\n", d.code, data(&message)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::codes;

    fn sample() -> (Sources, Vec<Diagnostic>) {
        let mut sources = Sources::new();
        let file = sources.add("app.schema", "entity User {\n  id Uuid primary\n}\n");
        let d = Diagnostic::new(codes::E0101, "unknown type `Uuid`")
            .at(Span::new(file, 19, 23), "not a type")
            .help("did you mean `uuid`?");
        (sources, vec![d])
    }

    #[test]
    fn human_report_shows_code_excerpt_and_help() {
        let (sources, diagnostics) = sample();
        let text = human_string(&sources, &diagnostics);
        assert!(text.contains("error[E0101]: unknown type `Uuid`"), "{text}");
        assert!(text.contains("app.schema:2:6"), "{text}");
        assert!(text.contains("help: did you mean `uuid`?"), "{text}");
    }

    #[test]
    fn github_annotation_escapes_and_locates() {
        let (sources, diagnostics) = sample();
        let line = github(&sources, &diagnostics);
        assert_eq!(
            line,
            "::error file=app.schema,line=2,col=6,endLine=2,endColumn=10,title=E0101::unknown type `Uuid`%0Ahelp: did you mean `uuid`?\n"
        );
    }

    #[test]
    fn json_report_counts_and_locates() {
        let (sources, diagnostics) = sample();
        let value: serde_json::Value = serde_json::from_str(&json(&sources, &diagnostics)).unwrap();
        assert_eq!(value["errors"], 1);
        assert_eq!(value["diagnostics"][0]["code"], "E0101");
        assert_eq!(value["diagnostics"][0]["location"]["line"], 2);
        assert_eq!(value["diagnostics"][0]["location"]["column"], 6);
    }

    #[test]
    fn spans_past_the_end_are_clamped() {
        let mut sources = Sources::new();
        let file = sources.add("é.schema", "é");
        let d = Diagnostic::new(codes::E0001, "x").at(Span::new(file, 1, 99), "here");
        assert!(human_string(&sources, &[d]).contains("E0001"));
    }
}
