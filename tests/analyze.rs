//! `schemac analyze` on the real PostgreSQL, for the bundled examples with
//! workloads (ecommerce, and rental, derived from the corpus's Pagila): the
//! synthetic data loads with every constraint on, each query the report says
//! an index serves is read through that index, every advised index is used
//! and buys at least half the margin the report predicts, and the storage
//! estimate is within 25% of `pg_total_relation_size`. Without the advice
//! (`--no-advice`) the advised queries fall back to scans.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn analyze(example: &str, max_rows: &str, extra: &[&str]) -> (Output, Value) {
    let url = support::pg::connect_url();
    let mut args = vec![
        "--format",
        "json",
        "analyze",
        example,
        "--pg",
        &url,
        "--scale",
        "0.01",
        // The largest entities stop early: a quick run whose predictions
        // follow the rows loaded.
        "--max-rows",
        max_rows,
    ];
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_schemac")).args(&args).current_dir(repo()).output().expect("run");
    let document = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{example}: not one JSON document ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, document)
}

/// The queries an index was advised for, from the compiled IR.
fn advised(example: &str) -> Vec<String> {
    let inputs = support::example_inputs(&repo().join(example));
    let mut compilation = schemac::driver::compile(&inputs);
    assert!(!compilation.has_errors());
    let _ = schemac::pipeline::build(&mut compilation, &schemac::pipeline::Options::default());
    let mut queries: Vec<String> = compilation
        .ir
        .entities
        .iter()
        .flat_map(|e| &e.indexes)
        .filter_map(|i| match &i.origin {
            schemac::semantic::ir::Origin::Query { queries } => Some(queries.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    queries.sort();
    queries
}

fn check_example(example: &str, expected_advice: &[&str]) {
    let (out, doc) = analyze(example, "150000", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{example}: analyze failed:\n{stderr}\n{doc:#}");
    assert_eq!(advised(example), expected_advice, "{example}: the advice changed");
    let queries = doc["queries"].as_array().expect("queries");
    for query in queries {
        assert_ne!(query["verdict"], "failed", "{example}: {query:#}");
        assert_ne!(query["verdict"], "skipped", "{example}: every parameter binds: {query:#}");
    }
    for name in expected_advice {
        let q = queries.iter().find(|q| q["query"] == *name).unwrap_or_else(|| panic!("{name} ran"));
        assert_eq!(q["verdict"], "served", "{example}: {name} is read through its advised index: {q:#}");
        let plan = &q["plan"];
        assert_eq!(plan["sequential_scans"].as_array().map(Vec::len), Some(0), "{q:#}");
        let without = &q["without_advice"];
        let (measured, predicted) =
            (without["measured_margin"].as_f64().unwrap(), without["predicted_margin"].as_f64().unwrap());
        assert!(measured > 1.5, "{name}: the advised index must read fewer pages: {q:#}");
        assert!(measured * 2.0 >= predicted, "{name}: measured {measured:.1}× against {predicted:.1}× predicted");
    }
    let mut compared = 0;
    for table in doc["storage"].as_array().expect("storage") {
        let (estimated, actual) = (table["estimated_bytes"].as_f64().unwrap(), table["actual_bytes"].as_f64().unwrap());
        if estimated < 1_048_576.0 {
            continue;
        }
        compared += 1;
        let error = (estimated - actual).abs() / actual;
        assert!(error <= 0.25, "{example}: the storage estimate of {table} is {:.0}% off", error * 100.0);
    }
    assert!(compared >= 3, "{example}: at least three tables are large enough to compare");
}

#[test]
fn ecommerce_advice_holds_on_postgres() {
    check_example("examples/ecommerce", &["new_arrivals", "payments_to_capture"]);
}

#[test]
fn rental_from_pagila_advice_holds_on_postgres() {
    check_example("examples/rental", &["customer_by_email"]);
}

#[test]
fn without_the_advice_the_advised_queries_scan() {
    let (out, doc) = analyze("examples/ecommerce", "20000", &["--no-advice"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The warnings that say so are in the same document.
    let warnings = doc["diagnostics"]["diagnostics"].as_array().expect("diagnostics in the document");
    assert!(warnings.iter().any(|d| d["code"] == "W0400"), "{:#}", doc["diagnostics"]);
    for name in ["new_arrivals", "payments_to_capture"] {
        let q = doc["queries"].as_array().unwrap().iter().find(|q| q["query"] == name).unwrap();
        assert_eq!(q["verdict"], "not_claimed", "{q:#}");
        assert!(q["plan"]["shape"].as_str().unwrap().contains("Seq Scan"), "{q:#}");
    }
}
