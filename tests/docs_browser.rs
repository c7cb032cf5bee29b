//! The ER diagrams and the documentation site, proven in the real tools a
//! reader uses: every example's site (`schemac docs`) is opened over file://
//! in headless Chromium and crawled, searched, zoomed and clicked by
//! tests/browser/check_site.mjs; every Mermaid diagram is parsed and rendered
//! by the real Mermaid (tests/browser/check_mermaid.mjs); every DOT diagram
//! goes through Graphviz `dot` without a warning. A 200-entity generated
//! project proves the layout keeps boxes apart at scale.
//!
//! Needs node, Chromium, Graphviz and tests/browser/node_modules; fails (never
//! skips) when one is missing. `scripts/test` installs them; by hand:
//! `apt-get install chromium chromium-driver graphviz` and
//! `npm ci --prefix tests/browser`. Screenshots of the sites are left in
//! target/test-artifacts/ for review.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Instant;

mod support;

#[path = "../benches/synthetic.rs"]
mod synthetic;

/// One Chromium at a time: the checks measure rendering and wait for
/// animations, which is reliable only when the browser gets the CPU.
static BROWSER: Mutex<()> = Mutex::new(());

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn browser_dir() -> PathBuf {
    root().join("tests/browser")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Panics, naming what to install, unless node, Chromium, Graphviz and the
/// npm packages are all there.
fn require_tools() {
    let runs = |program: &str, arg: &str| {
        Command::new(program).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    };
    let mut missing = Vec::new();
    if !runs("node", "--version") {
        missing.push("node (Node.js 20 or later: apt-get install nodejs npm)".to_string());
    }
    if !chromium().exists() {
        missing.push(format!(
            "Chromium at {} (apt-get install chromium chromium-driver graphviz, or set CHROMIUM)",
            chromium().display()
        ));
    }
    if !runs("dot", "-V") {
        missing.push("Graphviz dot (apt-get install chromium chromium-driver graphviz)".to_string());
    }
    for package in ["playwright-core", "mermaid"] {
        if !browser_dir().join("node_modules").join(package).join("package.json").exists() {
            missing.push(format!("tests/browser/node_modules/{package} (npm ci --prefix tests/browser)"));
        }
    }
    assert!(
        missing.is_empty(),
        "tests/docs_browser.rs proves the diagrams and the docs site in real tools, and these are missing:\n  - {}\n\
         scripts/test installs them all (as root); by hand: apt-get install chromium chromium-driver graphviz \
         && npm ci --prefix tests/browser",
        missing.join("\n  - ")
    );
}

/// A scratch directory for one test, removed by `finish` when the test
/// passes and kept (its path is in the failure) when it does not.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("schemac-docs-browser-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        Scratch(dir)
    }

    fn finish(self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn artifacts() -> PathBuf {
    let dir = root().join("target/test-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/test-artifacts");
    dir
}

fn show(output: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs schemac with `args`; panics with its output unless it succeeds.
fn schemac(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_schemac"));
    command.args(args.iter().map(|a| a.as_ref()));
    let shown = format!("{command:?}");
    let output = command.output().expect("run schemac");
    assert!(output.status.success(), "`{shown}` failed: {}", show(&output));
    output
}

/// Runs one of the tests/browser scripts: its report, or (when it fails) the
/// command and its whole output.
fn node(script: &str, args: &[&dyn AsRef<std::ffi::OsStr>], what: &str) -> Result<String, String> {
    let _browser = BROWSER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let started = Instant::now();
    let mut command = Command::new("node");
    command.arg(browser_dir().join(script)).args(args.iter().map(|a| a.as_ref())).current_dir(browser_dir());
    let shown = format!("{command:?}");
    let output = command.output().expect("run node");
    let took = format!("{what}: {script} took {:.1?}", started.elapsed());
    if output.status.success() {
        Ok(format!("{took}\n{}", String::from_utf8_lossy(&output.stdout)))
    } else {
        Err(format!("{took} and failed: `{shown}` {}", show(&output)))
    }
}

/// The entity names the compiler gives `inputs`, which the site and the
/// diagrams must show.
fn entity_names(inputs: &[schemac::driver::Input], what: &str) -> Vec<String> {
    let compilation = schemac::driver::compile(inputs);
    assert!(!compilation.has_errors(), "{what} does not compile: {:#?}", compilation.diagnostics);
    let names: Vec<String> = compilation.ir.entities.iter().map(|e| e.name.clone()).collect();
    assert!(!names.is_empty(), "{what} has no entities");
    names
}

fn examples() -> Vec<PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.join("schemac.toml").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 2, "examples/ holds the bundled projects");
    dirs
}

fn name_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// `schemac docs <project> --out <scratch>/<label>`, then check_site.mjs on it
/// with `entities` expected and the screenshot saved as `screenshot`.
fn check_site(
    project: &Path,
    entities: &[String],
    scratch: &Path,
    label: &str,
    screenshot: &str,
) -> Result<(), String> {
    let site = scratch.join(label);
    let started = Instant::now();
    schemac(&[&"docs", &project, &"--out", &site]);
    println!("{label}: schemac docs took {:.1?}", started.elapsed());
    if !site.join("index.html").exists() {
        return Err(format!("{label}: schemac docs wrote no index.html into {}", site.display()));
    }
    let expected = scratch.join(format!("{label}-entities.json"));
    std::fs::write(&expected, serde_json::to_string(entities).unwrap()).unwrap();
    let png = artifacts().join(screenshot);
    let report = node("check_site.mjs", &[&site, &expected, &png], label)?;
    println!("{report}");
    if !png.exists() {
        return Err(format!("{label}: no screenshot at {}", png.display()));
    }
    Ok(())
}

/// Panics with every failure, each with its full report.
fn assert_all_passed(failures: Vec<String>) {
    assert!(failures.is_empty(), "{} failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn site_of_every_example() {
    require_tools();
    let scratch = Scratch::new("site_of_every_example");
    let mut failures = Vec::new();
    for dir in examples() {
        let name = name_of(&dir);
        let entities = entity_names(&support::example_inputs(&dir), &name);
        if let Err(failure) = check_site(&dir, &entities, &scratch.0, &name, &format!("docs-{name}.png")) {
            failures.push(failure);
        }
    }
    assert_all_passed(failures);
    scratch.finish();
}

/// Graphviz must lay out `text` without a word on stderr (warnings count).
fn dot_renders(text: &str, what: &str, entities: &[&str]) -> Result<(), String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dot");
    let mut stdin = child.stdin.take().unwrap();
    let input = text.to_string();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("wait for dot");
    feeder.join().unwrap().expect("write the diagram to dot");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || !stderr.trim().is_empty() {
        return Err(format!(
            "{what}: `dot -Tsvg` did not take the DOT cleanly ({}):\n{stderr}\n--- the DOT ---\n{text}",
            output.status
        ));
    }
    let svg = String::from_utf8_lossy(&output.stdout);
    // Graphviz writes each label as the text of an SVG <text> element.
    let missing: Vec<_> = entities.iter().filter(|e| !svg.contains(&format!(">{e}<"))).collect();
    if !svg.contains("<svg") || !missing.is_empty() {
        return Err(format!("{what}: the SVG dot drew does not show {missing:?}"));
    }
    Ok(())
}

#[test]
fn mermaid_and_dot_of_every_example_parse() {
    require_tools();
    let scratch = Scratch::new("mermaid_and_dot_of_every_example_parse");
    let mut mermaid_files = Vec::new();
    let mut failures = Vec::new();
    for dir in examples() {
        let name = name_of(&dir);
        let entities = entity_names(&support::example_inputs(&dir), &name);
        let focus = entities[0].as_str();
        // The module (source file) declaring the focus entity.
        let module = std::fs::read_dir(dir.join("schema"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| std::fs::read_to_string(p).unwrap_or_default().contains(&format!("entity {focus} ")))
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| panic!("{name}: no schema/*.schema declares entity {focus}"));
        let forms: [(&str, Vec<&str>); 3] =
            [("all", vec![]), ("focus", vec!["--focus", focus, "--depth", "1"]), ("module", vec!["--module", &module])];
        for (form, extra) in &forms {
            let label = format!("{name}-{form}");
            let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"diagram", &dir, &"--as", &"mermaid"];
            args.extend(extra.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>));
            let mermaid = String::from_utf8(schemac(&args).stdout).expect("UTF-8 Mermaid");
            let declared = |entity: &str| {
                mermaid.lines().map(str::trim_start).any(|l| {
                    l.strip_prefix(entity).is_some_and(|rest| rest.starts_with([' ', '[', '{']) || rest.is_empty())
                })
            };
            let wanted: Vec<&str> =
                if *form == "all" { entities.iter().map(String::as_str).collect() } else { vec![focus] };
            let missing: Vec<_> = wanted.iter().filter(|e| !declared(e)).collect();
            if !missing.is_empty() {
                failures.push(format!("{label}: the Mermaid diagram does not declare {missing:?}:\n{mermaid}"));
            }
            let file = scratch.0.join(format!("{label}.mmd"));
            std::fs::write(&file, &mermaid).unwrap();
            mermaid_files.push(file);

            args[3] = &"dot";
            let dot = String::from_utf8(schemac(&args).stdout).expect("UTF-8 DOT");
            if let Err(failure) = dot_renders(&dot, &format!("{label} (dot)"), &wanted) {
                failures.push(failure);
            }
        }
    }
    let files: Vec<&dyn AsRef<std::ffi::OsStr>> = mermaid_files.iter().map(|f| f as _).collect();
    match node("check_mermaid.mjs", &files, "mermaid") {
        Ok(report) => println!("{report}"),
        Err(failure) => failures.push(failure),
    }
    assert_all_passed(failures);
    scratch.finish();
}

#[test]
fn large_generated_schema_has_no_overlaps() {
    require_tools();
    let scratch = Scratch::new("large_generated_schema_has_no_overlaps");
    let project = scratch.0.join("generated");
    let sources = project.join("schema");
    std::fs::create_dir_all(&sources).unwrap();
    std::fs::write(
        project.join("schemac.toml"),
        "[project]\nname = \"generated\"\nsources = [\"schema\"]\n\n[build]\ntargets = [\"postgres\"]\n",
    )
    .unwrap();
    let files = synthetic::project(200);
    for (name, text) in &files {
        std::fs::write(sources.join(name), text).unwrap();
    }
    let inputs: Vec<_> =
        files.into_iter().map(|(name, text)| schemac::driver::Input { name, bytes: text.into_bytes() }).collect();
    let entities = entity_names(&inputs, "the generated 200-entity project");
    assert!(entities.len() > 200, "the generator makes 200 entities and more: {}", entities.len());
    let outcome = check_site(&project, &entities, &scratch.0, "generated-200", "docs-generated-200.png");
    assert_all_passed(outcome.err().into_iter().collect());
    scratch.finish();
}
