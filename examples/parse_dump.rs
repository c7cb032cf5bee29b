fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sources = schemac::diagnostics::Sources::new();
    let id = sources.add(path.clone(), text.clone());
    let parsed = schemac::syntax::parse(id, &text);
    if std::env::args().nth(2).is_some() { println!("{:#?}", parsed.file.declarations); }
    print!("{}", schemac::diagnostics::render::human_string(&sources, &parsed.diagnostics));
    println!("{} declarations, {} diagnostics", parsed.file.declarations.len(), parsed.diagnostics.len());
}
