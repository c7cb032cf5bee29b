//! The one diagnostic type every stage reports with, and the source files it
//! points into.
//!
//! A [`Diagnostic`] is a value: stages return them, they never print. Rendering
//! (terminal, JSON, GitHub annotations) lives in `render.rs`; the code table,
//! mirrored by spec/errors.md, in `codes.rs`.

pub mod codes;
pub mod render;

pub use codes::Code;

use serde::Serialize;

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileId(pub u32);

/// A byte range in one source file.
///
/// Spans compare equal to every other span: syntax trees are compared
/// structurally (the formatter's round trip), and a node's place in the file is
/// not part of what it means. Use [`Span::same_place`] to compare positions.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl PartialEq for Span {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start as u32, end: end as u32 }
    }

    pub fn same_place(&self, other: &Span) -> bool {
        self.file == other.file && self.start == other.start && self.end == other.end
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// Adds the primary label: where the problem is.
    pub fn at(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: true });
        self
    }

    /// Adds a secondary label: context that explains the problem.
    pub fn also(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: false });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| l.span)
    }
}

/// One source file: its display name (relative, never absolute, so output is
/// the same on every machine) and its text.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceText {
    fn new(name: String, text: String) -> SourceText {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        SourceText { name, text, line_starts }
    }

    /// 1-based (line, column) of a byte offset; columns count characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        let start = self.line_starts[line];
        let column = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }
}

/// Every source file of a compilation, user files and stdlib alike.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceText>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceText::new(name.into(), text.into()));
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceText {
        &self.files[id.0 as usize]
    }

    pub fn ids(&self) -> impl Iterator<Item = FileId> {
        (0..self.files.len() as u32).map(FileId)
    }

    pub fn text(&self, span: Span) -> &str {
        self.get(span.file).text.get(span.range()).unwrap_or("")
    }
}

/// "did you mean …?" — the closest candidate by edit distance, if close enough.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        // Optimal string alignment: a swapped pair of letters (`titel`) is one edit.
        .map(|c| (strsim::osa_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_picks_the_closest_name() {
        assert_eq!(did_you_mean("Usr", ["User", "Post"]), Some("User"));
        assert_eq!(did_you_mean("timestmaps", ["timestamps", "audit"]), Some("timestamps"));
        assert_eq!(did_you_mean("Invoice", ["User", "Post"]), None);
        assert_eq!(did_you_mean("titel", ["title", "body"]), Some("title"));
    }

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let mut sources = Sources::new();
        let id = sources.add("a.schema", "ab\né x");
        assert_eq!(sources.get(id).line_col(0), (1, 1));
        assert_eq!(sources.get(id).line_col(3), (2, 1));
        assert_eq!(sources.get(id).line_col(6), (2, 3));
    }
}
