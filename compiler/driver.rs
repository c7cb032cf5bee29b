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

/// Compiles the given files with the standard library. Files are parsed in
/// parallel (one worker per core); results are combined in input order, so
/// the outcome does not depend on scheduling.
pub fn compile(inputs: &[Input]) -> Compilation {
    let mut sources = Sources::new();
    let mut diagnostics = Vec::new();
    let mut readable = Vec::new();
    for input in inputs {
        let (file, d) = add_source(&mut sources, input);
        // A file that is not UTF-8 is not parsed: its text is incomplete.
        if !d.iter().any(|d| d.code == codes::E0003) {
            readable.push(file);
        }
        diagnostics.extend(d);
    }
    let std_ids: Vec<(&str, FileId)> =
        crate::stdlib::FILES.iter().map(|(module, name, text)| (*module, sources.add(*name, *text))).collect();
    let mut to_parse = readable.clone();
    to_parse.extend(std_ids.iter().map(|(_, id)| *id));
    let mut parsed = parse_all(&sources, &to_parse);
    let std_files: Vec<(&str, ast::SourceFile)> =
        std_ids.iter().rev().map(|(module, _)| (*module, parsed.pop().expect("parsed").file)).collect();
    let mut files = Vec::new();
    let mut broken: Vec<Span> = Vec::new();
    for p in parsed {
        broken.extend(broken_declarations(&p));
        diagnostics.extend(p.diagnostics);
        files.push(p.file);
    }
    let mut units: Vec<Unit> = files.iter().map(|f| Unit { ast: f, module: None }).collect();
    units.extend(std_files.iter().rev().map(|(m, f)| Unit { ast: f, module: Some(m) }));
    let analysis = on_large_stack(|| semantic::analyze(&units));
    // A declaration with a syntax error was only partly understood: what
    // analysis says about it is a consequence, not news. One mistake, one error.
    let inside = |d: &Diagnostic| {
        d.primary_span()
            .is_some_and(|s| broken.iter().any(|b| b.file == s.file && b.start <= s.start && s.end <= b.end))
    };
    // The IR owns what it took from the trees: free them now, so the
    // backends reuse their memory instead of touching fresh pages.
    drop(units);
    drop(files);
    drop(std_files);
    diagnostics.extend(analysis.diagnostics.into_iter().filter(|d| !inside(d)));
    // Report in reading order: by file, then position (stable for equal places).
    diagnostics.sort_by_key(|d| d.primary_span().map_or((u32::MAX, 0), |s| (s.file.0, s.start)));
    Compilation { sources, ir: analysis.ir, source_map: analysis.source_map, diagnostics }
}

/// Spans of the declarations that contain a syntax error.
fn broken_declarations(parsed: &syntax::Parsed) -> Vec<Span> {
    let errors: Vec<Span> =
        parsed.diagnostics.iter().filter(|d| d.is_error()).filter_map(Diagnostic::primary_span).collect();
    parsed
        .file
        .declarations
        .iter()
        .map(ast::Declaration::span)
        .filter(|decl| errors.iter().any(|e| decl.start <= e.start && e.start <= decl.end))
        .collect()
}

/// Stack for compiler threads: expressions at the size limits recurse deeply
/// in unoptimised builds, and callers' threads may be small (tests use 2 MiB).
const STACK: usize = 64 * 1024 * 1024;

/// Runs `work` on a thread with [`STACK`] bytes of stack (address space only
/// until used).
fn on_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new().stack_size(STACK).spawn_scoped(scope, work);
        match handle {
            Ok(h) => h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => unreachable_thread(),
        }
    })
}

fn unreachable_thread() -> ! {
    // Spawning fails only when the OS refuses a thread; nothing sensible can
    // continue, and the CLI reports this as an internal error.
    panic!("the operating system refused to start a compiler thread")
}

/// Parses the files on as many threads as there are cores, in order.
fn parse_all(sources: &Sources, files: &[FileId]) -> Vec<syntax::Parsed> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len()).max(1);
    let chunk = files.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                std::thread::Builder::new()
                    .stack_size(STACK)
                    .spawn_scoped(scope, move || {
                        part.iter().map(|f| syntax::parse(*f, &sources.get(*f).text)).collect::<Vec<_>>()
                    })
                    .unwrap_or_else(|_| unreachable_thread())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// Compiles one in-memory source (tests, docs, benchmarks).
pub fn compile_str(name: &str, text: &str) -> Compilation {
    compile(&[Input { name: name.to_string(), bytes: text.as_bytes().to_vec() }])
}
