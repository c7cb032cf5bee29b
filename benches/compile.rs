//! Compile throughput on generated schemas of 100, 1,000 and 10,000 entities:
//! parse alone, parse + semantic analysis (what `schemac check` does), and the
//! full build (analysis, passes, canonical IR JSON and PostgreSQL DDL: what
//! `schemac build` computes), the passes plus PostgreSQL backend alone, and
//! the migration plan between two states that differ in 5% of the entities,
//! and the diagrams and documentation site. Run `scripts/bench` for a table
//! with peak memory.
//!
//! `SCHEMAC_BENCH_WRITE=DIR` writes the generated projects instead of timing;
//! `SCHEMAC_BENCH_MEMORY=N` compiles N entities once and prints peak RSS.

#[path = "synthetic.rs"]
mod synthetic;

use schemac::diagnostics::Sources;
use schemac::driver::{self, Input};
use schemac::pipeline;

const SIZES: [usize; 3] = [100, 1_000, 10_000];

fn inputs(entities: usize) -> Vec<Input> {
    synthetic::project(entities).into_iter().map(|(name, text)| Input { name, bytes: text.into_bytes() }).collect()
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn parse(bencher: divan::Bencher, entities: usize) {
    let inputs = inputs(entities);
    bencher.bench(|| {
        let mut sources = Sources::new();
        inputs.iter().map(|i| driver::parse_file(&mut sources, i).0.declarations.len()).sum::<usize>()
    });
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn check(bencher: divan::Bencher, entities: usize) {
    let inputs = inputs(entities);
    bencher.bench(|| {
        let compilation = driver::compile(&inputs);
        assert!(!compilation.has_errors());
        compilation.ir.entities.len()
    });
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn build(bencher: divan::Bencher, entities: usize) {
    let inputs = inputs(entities);
    let options = pipeline::Options::default();
    bencher.bench(|| full_build(&inputs, &options));
}

/// The project with 5% of its entities changed: a field added to every
/// twentieth entity (the migration planner's benchmark case).
fn changed_inputs(entities: usize) -> Vec<Input> {
    synthetic::project(entities)
        .into_iter()
        .map(|(name, mut text)| {
            for i in (0..entities).step_by(20) {
                let head = format!("entity Entity{i} {{\n");
                text = text.replace(&head, &format!("{head}  added_note text?\n"));
            }
            Input { name, bytes: text.into_bytes() }
        })
        .collect()
}

/// The compiled state of a project, after the passes (what schema.lock holds).
fn state(inputs: &[Input], previous: Option<&schemac::semantic::ir::Ir>) -> schemac::semantic::ir::Ir {
    let mut compilation = driver::compile(inputs);
    let options = pipeline::Options { previous: previous.cloned().map(std::sync::Arc::new), ..Default::default() };
    let _ = pipeline::build(&mut compilation, &options);
    compilation.ir
}

/// Planning a migration between two states that differ in 5% of the entities.
#[divan::bench(args = SIZES, sample_count = 10)]
fn plan(bencher: divan::Bencher, entities: usize) {
    let before = state(&inputs(entities), None);
    let after = state(&changed_inputs(entities), Some(&before));
    let options = schemac::backends::postgres::Options::default();
    bencher.bench(|| {
        let plan = schemac::migrate::plan(&before, &after, &options);
        assert!(plan.steps.len() >= entities / 20);
        plan.steps.len()
    });
}

/// The passes and the PostgreSQL backend alone, on an analysed IR.
#[divan::bench(args = SIZES, sample_count = 10)]
fn postgres(bencher: divan::Bencher, entities: usize) {
    let compilation = driver::compile(&inputs(entities));
    let options = pipeline::Options::default();
    bencher.with_inputs(|| compilation.ir.clone()).bench_values(|mut ir| {
        let cx = schemac::passes::Context { options: &options.passes, source_map: &compilation.source_map };
        schemac::passes::run_all(&mut ir, &cx);
        let out = schemac::backends::postgres::generate(&ir, &compilation.source_map, &options.postgres, "bench");
        out.sql.len()
    });
}

/// The diagrams (Mermaid, DOT, laid-out SVG) and the documentation site of
/// an analysed project: what `schemac build` adds after the backends.
#[divan::bench(args = SIZES, sample_count = 10)]
fn docs(bencher: divan::Bencher, entities: usize) {
    let compilation = driver::compile(&inputs(entities));
    bencher.bench(|| {
        let artifacts = schemac::graph::artifacts(&compilation, "bench", &[]);
        assert!(artifacts.site.len() > entities);
        artifacts.site.iter().chain(&artifacts.diagrams).map(|(_, text)| text.len()).sum::<usize>()
    });
}

/// Everything `schemac build` computes; the bytes of the artifacts.
fn full_build(inputs: &[Input], options: &pipeline::Options) -> usize {
    let mut compilation = driver::compile(inputs);
    assert!(!compilation.has_errors());
    let output = pipeline::build(&mut compilation, options);
    assert!(!output.diagnostics.iter().any(|d| d.is_error()));
    output.artifacts.iter().map(|a| a.contents.len()).sum()
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    if let Ok(dir) = std::env::var("SCHEMAC_BENCH_WRITE") {
        for entities in SIZES {
            let root = std::path::Path::new(&dir).join(format!("n{entities}"));
            std::fs::create_dir_all(root.join("schema")).expect("create bench dir");
            std::fs::write(root.join("schemac.toml"), "[project]\nsources = [\"schema\"]\n").expect("write manifest");
            for (name, text) in synthetic::project(entities) {
                std::fs::write(root.join("schema").join(name), text).expect("write schema");
            }
        }
        return;
    }
    if let Some(entities) = std::env::var("SCHEMAC_BENCH_MEMORY").ok().and_then(|n| n.parse().ok()) {
        let inputs = inputs(entities);
        let before = peak_rss_kib();
        let bytes = full_build(&inputs, &pipeline::Options::default());
        println!("{entities} {} {} {}", before, peak_rss_kib(), bytes);
        return;
    }
    divan::main();
}
