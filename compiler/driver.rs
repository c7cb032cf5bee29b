//! One compilation: source files in (already read by the caller), parsed
//! together with the embedded standard library, analysed into the IR.
//! No file system access here: the CLI reads files, tests pass strings.

use crate::diagnostics::{codes, Diagnostic, FileId, Sources, Span};
use crate::semantic::{self, ir, Unit};
use crate::syntax::{self, ast};

/// A source file as read from disk: its display name and raw bytes.
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub struct Compilation {
    pub sources: Sources,
    /// Syntax trees of the user's files, in input order (stdlib excluded).
    pub files: Vec<ast::SourceFile>,
    pub ir: ir::Ir,
    pub source_map: ir::SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses only: the trees and syntax diagnostics (for the formatter).
pub fn parse_file(sources: &mut Sources, input: &Input) -> (ast::SourceFile, Vec<Diagnostic>) {
    let (file, text_diagnostics) = add_source(sources, input);
    let text = sources.get(file).text.clone();
    let parsed = syntax::parse(file, &text);
    let mut diagnostics = text_diagnostics;
    diagnostics.extend(parsed.diagnostics);
    (parsed.file, diagnostics)
}

fn add_source(sources: &mut Sources, input: &Input) -> (FileId, Vec<Diagnostic>) {
    match std::str::from_utf8(&input.bytes) {
        Ok(text) => {
            let file = sources.add(input.name.clone(), text);
            let mut diagnostics = Vec::new();
            if syntax::lexical::is_blank(text) {
                diagnostics.push(
                    Diagnostic::new(codes::W0001, format!("`{}` declares nothing", input.name))
                        .at(Span::new(file, 0, text.len()), "empty file")
                        .help("add declarations or delete the file"),
                );
            }
            (file, diagnostics)
        }
        Err(error) => {
            let valid = error.valid_up_to();
            // Keep the readable prefix so the diagnostic can show where it breaks.
            let text = String::from_utf8_lossy(&input.bytes[..valid]).into_owned();
            let file = sources.add(input.name.clone(), text);
            let d = Diagnostic::new(codes::E0003, format!("`{}` is not valid UTF-8", input.name))
                .at(Span::new(file, valid, valid), format!("invalid byte at offset {valid}"))
                .help("save the file as UTF-8; schema files are text");
            (file, vec![d])
        }
    }
}

/// Compiles the given files with the standard library.
pub fn compile(inputs: &[Input]) -> Compilation {
    let mut sources = Sources::new();
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for input in inputs {
        let (file, d) = parse_file(&mut sources, input);
        // A file that is not UTF-8 is not parsed: its text is incomplete.
        if !d.iter().any(|d| d.code == codes::E0003) {
            files.push(file);
        }
        diagnostics.extend(d);
    }
    let mut std_files = Vec::new();
    for (module, name, text) in crate::stdlib::FILES {
        let id = sources.add(*name, *text);
        let parsed = syntax::parse(id, text);
        diagnostics.extend(parsed.diagnostics);
        std_files.push((*module, parsed.file));
    }
    let mut units: Vec<Unit> = files.iter().map(|f| Unit { ast: f, module: None }).collect();
    units.extend(std_files.iter().map(|(m, f)| Unit { ast: f, module: Some(m) }));
    let analysis = semantic::analyze(&units);
    diagnostics.extend(analysis.diagnostics);
    // Report in reading order: by file, then position (stable for equal places).
    diagnostics.sort_by_key(|d| d.primary_span().map_or((u32::MAX, 0), |s| (s.file.0, s.start)));
    Compilation { sources, files, ir: analysis.ir, source_map: analysis.source_map, diagnostics }
}

/// Compiles one in-memory source (tests, docs, benchmarks).
pub fn compile_str(name: &str, text: &str) -> Compilation {
    compile(&[Input { name: name.to_string(), bytes: text.as_bytes().to_vec() }])
}
