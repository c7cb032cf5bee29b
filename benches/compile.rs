//! Compile throughput on generated schemas of 100, 1,000 and 10,000 entities:
//! parse alone, parse + semantic analysis (what `schemac check` does), and the
//! full build (analysis, passes, canonical IR JSON and PostgreSQL DDL: what
//! `schemac build` computes), the passes plus PostgreSQL backend alone, and
//! the migration plan between two states that differ in 5% of the entities,
//! and the diagrams and documentation site. Run `scripts/bench` for a table
//! with peak memory.
//!
//! `SCHEMAC_BENCH_WRITE=DIR` writes the generated projects instead of timing;
//! `SCHEMAC_BENCH_MEMORY=N` compiles N entities once and prints peak RSS;
//! `SCHEMAC_BENCH_TABLE=1` times each stage itself (median of a few runs) at
//! 100, 1,000, 5,000 and 10,000 entities and prints the Markdown table of the
//! README's performance section (`scripts/bench --readme` puts it there);
//! `SCHEMAC_BENCH_PROFILE=STAGE:N[:RUNS]` runs one stage (parse, check, build,
//! plan) on N entities RUNS times (default 10) and nothing else, for a
//! profiler (`perf record`) or a counter (`perf stat -e instructions:u`).

#[path = "synthetic.rs"]
mod synthetic;

use schemac::diagnostics::Sources;
use schemac::driver::{self, Input};
use schemac::performance::storage::thousands;
use schemac::pipeline;

/// The allocator the `schemac` binary uses, so the numbers are the CLI's,
/// counting the bytes live and their peak for `SCHEMAC_BENCH_PROFILE=memory:N`.
#[global_allocator]
static ALLOCATOR: Counting = Counting;

struct Counting;

static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static COUNTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static ALLOCATIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if COUNTING.load(std::sync::atomic::Ordering::Relaxed) {
            let live = LIVE.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, std::sync::atomic::Ordering::Relaxed);
            ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if COUNTING.load(std::sync::atomic::Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        }
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(std::sync::atomic::Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, std::sync::atomic::Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, std::sync::atomic::Ordering::Relaxed);
            ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

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
    if std::env::var("SCHEMAC_BENCH_TABLE").is_ok_and(|v| v == "1") {
        table();
        return;
    }
    if let Ok(spec) = std::env::var("SCHEMAC_BENCH_PROFILE") {
        profile(&spec);
        return;
    }
    divan::main();
}

/// `SCHEMAC_BENCH_PROFILE=STAGE:N[:RUNS]`: one stage, nothing else timed.
fn profile(spec: &str) {
    let mut parts = spec.split(':');
    let stage = parts.next().unwrap_or_default();
    let entities: usize = parts.next().and_then(|n| n.parse().ok()).expect("SCHEMAC_BENCH_PROFILE=STAGE:N[:RUNS]");
    let runs: usize = parts.next().and_then(|n| n.parse().ok()).unwrap_or(10);
    let inputs = inputs(entities);
    let started = std::time::Instant::now();
    match stage {
        "parse" => (0..runs).for_each(|_| {
            let mut sources = Sources::new();
            divan::black_box(
                inputs.iter().map(|i| driver::parse_file(&mut sources, i).0.declarations.len()).sum::<usize>(),
            );
        }),
        "check" => (0..runs).for_each(|_| {
            divan::black_box(driver::compile(&inputs));
        }),
        "memory" => {
            use std::sync::atomic::Ordering::Relaxed;
            let mib = |bytes: usize| bytes as f64 / 1048576.0;
            LIVE.store(0, Relaxed);
            COUNTING.store(true, Relaxed);
            let mut sources = Sources::new();
            let trees: Vec<_> = inputs.iter().map(|i| driver::parse_file(&mut sources, i).0).collect();
            eprintln!(
                "syntax trees: {:.1} MiB live, {} allocations",
                mib(LIVE.load(Relaxed)),
                ALLOCATIONS.load(Relaxed)
            );
            drop(trees);
            drop(sources);
            LIVE.store(0, Relaxed);
            PEAK.store(0, Relaxed);
            ALLOCATIONS.store(0, Relaxed);
            let compilation = driver::compile(&inputs);
            eprintln!(
                "check: {:.1} MiB live after, {:.1} MiB peak, {} allocations",
                mib(LIVE.load(Relaxed)),
                mib(PEAK.load(Relaxed)),
                ALLOCATIONS.load(Relaxed)
            );
            use schemac::semantic::ir;
            use schemac::syntax::ast;
            eprintln!("sizes: ast Member {} Field {} Expr {} Ident {} TypeRef {} Declaration {} Entity {}; ir Entity {} Field {} Expr {} Type {} Relation {} Index {} Check {}",
                size_of::<ast::Member>(), size_of::<ast::Field>(), size_of::<ast::Expr>(), size_of::<ast::Ident>(), size_of::<ast::TypeRef>(), size_of::<ast::Declaration>(), size_of::<ast::Entity>(),
                size_of::<ir::Entity>(), size_of::<ir::Field>(), size_of::<ir::Expr>(), size_of::<ir::Type>(), size_of::<ir::Relation>(), size_of::<ir::Index>(), size_of::<ir::Check>());
            let ir_json = serde_json::to_vec(&compilation.ir).map_or(0, |j| j.len());
            eprintln!("IR as compact JSON: {:.1} MiB", mib(ir_json));
            return;
        }
        "build" => {
            let options = pipeline::Options::default();
            (0..runs).for_each(|_| {
                divan::black_box(full_build(&inputs, &options));
            })
        }
        "plan" => {
            let before = state(&inputs, None);
            let after = state(&changed_inputs(entities), Some(&before));
            let options = schemac::backends::postgres::Options::default();
            let started = std::time::Instant::now();
            (0..runs).for_each(|_| {
                divan::black_box(schemac::migrate::plan(&before, &after, &options));
            });
            eprintln!("plan: {:.1} ms per run", started.elapsed().as_secs_f64() * 1e3 / runs as f64);
            return;
        }
        other => panic!("SCHEMAC_BENCH_PROFILE: unknown stage `{other}` (parse, check, build, plan)"),
    }
    eprintln!("{stage}: {:.1} ms per run", started.elapsed().as_secs_f64() * 1e3 / runs as f64);
}

/// The table's sizes and how many runs each stage's median is taken over.
const TABLE_ROWS: [(usize, usize); 4] = [(100, 5), (1_000, 5), (5_000, 3), (10_000, 3)];

/// The targets at 5,000 entities: check, full build and plan in ms, peak memory in MiB.
const TARGET_ENTITIES: usize = 5_000;
const TARGETS: Targets = Targets { check: 20, build: 60, plan: 90, memory: 100 };

struct Targets {
    check: u64,
    build: u64,
    plan: u64,
    memory: u64,
}

/// One size's medians in ms, and the peak RSS of a fresh full build in MiB.
struct Row {
    parse: f64,
    check: f64,
    build: f64,
    plan: f64,
    docs: f64,
    memory: f64,
}

/// Prints the Markdown table and its notes on standard output (progress goes
/// to standard error).
fn table() {
    println!("| entities | parse | check | build | plan | docs | peak memory |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut at_target = None;
    for (entities, runs) in TABLE_ROWS {
        eprintln!("bench table: {} entities, median of {runs} runs per stage", thousands(entities as u64));
        let row = measure(entities, runs);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            thousands(entities as u64),
            ms(row.parse),
            ms(row.check),
            ms(row.build),
            ms(row.plan),
            ms(row.docs),
            mib(row.memory)
        );
        if entities == TARGET_ENTITIES {
            println!(
                "| {} (targets) | — | ≤ {} ms | ≤ {} ms | ≤ {} ms | — | ≤ {} MiB |",
                thousands(entities as u64),
                TARGETS.check,
                TARGETS.build,
                TARGETS.plan,
                TARGETS.memory
            );
            at_target = Some(row);
        }
    }
    let sizes = |runs: usize| {
        let sizes: Vec<String> = TABLE_ROWS.iter().filter(|r| r.1 == runs).map(|(n, _)| thousands(*n as u64)).collect();
        match sizes.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => sizes.join(""),
        }
    };
    println!();
    println!(
        "Times are medians of 5 runs at {} entities and of 3 at {},\n\
         each stage timed alone: parse is the parser alone, check adds semantic analysis\n\
         (`schemac check`), build is everything `schemac build` computes but the diagrams\n\
         and docs (analysis, passes, IR JSON, performance report, PostgreSQL DDL), plan is\n\
         the planner alone on two compiled states that differ by a field added to 5% of the\n\
         entities (`schemac plan` compiles the sources first), docs is the diagrams and the\n\
         documentation site. Peak memory is the peak RSS of a fresh process that runs the\n\
         full build once.",
        sizes(5),
        sizes(3)
    );
    if let Some(row) = at_target {
        let verdict = |measured: f64, unit: &str, target: u64| {
            let target_text = format!("≤ {} {unit}", thousands(target));
            if measured <= target as f64 {
                format!("target {target_text}: met")
            } else {
                let ratio = measured / target as f64;
                let precision = if ratio < 10.0 { 1 } else { 0 };
                format!("target {target_text}: missed, {ratio:.precision$}× the target")
            }
        };
        println!();
        println!(
            "Against the targets at {} entities: check {} ({}),\nbuild {} ({}),\n\
             plan {} ({}),\npeak memory {} ({}).",
            thousands(TARGET_ENTITIES as u64),
            ms(row.check),
            verdict(row.check, "ms", TARGETS.check),
            ms(row.build),
            verdict(row.build, "ms", TARGETS.build),
            ms(row.plan),
            verdict(row.plan, "ms", TARGETS.plan),
            mib(row.memory),
            verdict(row.memory, "MiB", TARGETS.memory)
        );
    }
}

/// Times each stage `runs` times on `entities` generated entities, with the
/// same calls as the divan benches above; inputs and states are prepared
/// outside the timed part.
fn measure(entities: usize, runs: usize) -> Row {
    let inputs = inputs(entities);
    let parse = median_ms(runs, || {
        let mut sources = Sources::new();
        inputs.iter().map(|i| driver::parse_file(&mut sources, i).0.declarations.len()).sum::<usize>()
    });
    let check = median_ms(runs, || {
        let compilation = driver::compile(&inputs);
        assert!(!compilation.has_errors());
        compilation
    });
    let options = pipeline::Options::default();
    let build = median_ms(runs, || full_build(&inputs, &options));
    let plan = {
        let before = state(&inputs, None);
        let after = state(&changed_inputs(entities), Some(&before));
        let options = schemac::backends::postgres::Options::default();
        median_ms(runs, || {
            let plan = schemac::migrate::plan(&before, &after, &options);
            assert!(plan.steps.len() >= entities / 20);
            plan
        })
    };
    let docs = {
        let compilation = driver::compile(&inputs);
        median_ms(runs, || {
            let artifacts = schemac::graph::artifacts(&compilation, "bench", &[]);
            assert!(artifacts.site.len() > entities);
            artifacts
        })
    };
    drop(inputs);
    Row { parse, check, build, plan, docs, memory: peak_memory_mib(entities) }
}

/// The median wall time of `runs` calls, in ms; what a call returns is dropped
/// after its clock stops.
fn median_ms<T>(runs: usize, mut stage: impl FnMut() -> T) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = std::time::Instant::now();
            let out = std::hint::black_box(stage());
            let elapsed = start.elapsed().as_secs_f64() * 1e3;
            drop(out);
            elapsed
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Peak RSS in MiB of a fresh process of this binary in `SCHEMAC_BENCH_MEMORY` mode.
fn peak_memory_mib(entities: usize) -> f64 {
    let exe = std::env::current_exe().expect("the bench binary's path");
    let out = std::process::Command::new(exe)
        .env("SCHEMAC_BENCH_MEMORY", entities.to_string())
        .env_remove("SCHEMAC_BENCH_TABLE")
        .env_remove("SCHEMAC_BENCH_WRITE")
        .output()
        .expect("run the bench binary in memory mode");
    assert!(out.status.success(), "memory mode failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // `entities peak-before peak-after bytes`, in KiB.
    let kib: u64 = stdout.split_whitespace().nth(2).and_then(|n| n.parse().ok()).expect("memory mode's peak RSS");
    kib as f64 / 1024.0
}

/// One decimal below 100 ms, whole ms (with thousands separators) above.
fn ms(value: f64) -> String {
    if value < 100.0 {
        format!("{value:.1} ms")
    } else {
        format!("{} ms", thousands(value.round() as u64))
    }
}

fn mib(value: f64) -> String {
    if value < 100.0 {
        format!("{value:.1} MiB")
    } else {
        format!("{} MiB", thousands(value.round() as u64))
    }
}
