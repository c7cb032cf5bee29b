//! The typed IR and the PostgreSQL DDL of every bundled example, as reviewed
//! snapshots: a change in the front end that alters what the backends see, or
//! in a backend that alters the DDL, shows up here. (Correctness of the DDL is
//! proven on the real server by tests/postgres_backend.rs.)

use std::path::Path;

use schemac::driver::compile;

mod support;
use support::example_inputs;

#[test]
fn example_ir_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut names: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    names.sort();
    assert!(names.len() >= 2, "examples/ holds the bundled projects");
    for dir in names {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let compilation = compile(&example_inputs(&dir));
        // Clean, except for warnings the example's schemac.toml allows on purpose.
        let manifest = std::fs::read_to_string(dir.join("schemac.toml")).unwrap_or_default();
        for d in &compilation.diagnostics {
            let allowed = !d.is_error() && manifest.contains(&format!("{} = \"allow\"", d.code));
            assert!(allowed, "{name}: {} {}", d.code, d.message);
        }
        let json = serde_json::to_string_pretty(&compilation.ir).unwrap();
        let mut compilation = compilation;
        let output = schemac::pipeline::build(&mut compilation, &schemac::pipeline::Options::default());
        let ddl = &output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").unwrap().contents;
        insta::with_settings!({ snapshot_path => "snapshots/examples", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("ir_{name}"), json);
            insta::assert_snapshot!(format!("postgres_{name}"), ddl);
        });
    }
}
