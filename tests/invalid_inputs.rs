use schemac::driver;

fn n() -> usize { std::env::var("N").unwrap().parse().unwrap() }
fn run(name: &str, text: String) {
    let c = driver::compile_str(name, &text);
    let codes: Vec<_> = c.diagnostics.iter().map(|d| d.code.0).collect();
    eprintln!("{name}: {codes:?}");
}
#[test]
fn scratch_not_chain() { run("not", format!("entity T {{ id int primary\n  b bool check ({}b)\n}}\n", "not ".repeat(n()))); }
#[test]
fn scratch_plus_chain() { run("plus", format!("entity T {{ id int primary\n  check ({} > 0)\n}}\n", vec!["id"; n()].join(" + "))); }
#[test]
fn scratch_and_chain() { run("and", format!("entity T {{ id int primary\n  check ({})\n}}\n", vec!["id > 0"; n()].join(" and "))); }
#[test]
fn scratch_neg_chain() { run("neg", format!("entity T {{ id int primary\n  check (id > {}1)\n}}\n", "- ".repeat(n()))); }
#[test]
fn scratch_parse_only() {
    let text = format!("entity T {{ id int primary\n  check ({} > 0)\n}}\n", vec!["id"; n()].join(" + "));
    let p = schemac::syntax::parse(schemac::diagnostics::FileId(0), &text);
    eprintln!("parsed {}", p.diagnostics.len());
    drop(p);
}
