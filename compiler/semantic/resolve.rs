//! Name resolution: the project-wide symbol tables, the standard library's
//! modules, and what each file imports with `use`.
//!
//! Project declarations share one namespace across files. Standard library
//! names (`std::patterns::audit`, `std::types::email`) are visible in a file
//! only after a `use`. This module reports duplicates and unknown imports; it
//! lowers nothing.

use std::cell::Cell;
use std::collections::BTreeMap;

use crate::diagnostics::{codes, did_you_mean, Diagnostic, FileId, Span};
use crate::syntax::ast::{self, Declaration, Imports};

/// One parsed file and the standard-library module it is, if any.
pub struct Unit<'a> {
    pub ast: &'a ast::SourceFile,
    pub module: Option<&'static str>,
}

pub const STD_MODULES: &[&str] = &["std::patterns", "std::types"];

/// A name and where it was declared.
pub struct Declared<'a, T> {
    pub node: &'a T,
    pub file: FileId,
}

impl<T> Clone for Declared<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Declared<'_, T> {}

#[derive(Default)]
pub struct Module<'a> {
    pub aliases: BTreeMap<&'a str, Declared<'a, ast::TypeAlias>>,
    pub patterns: BTreeMap<&'a str, Declared<'a, ast::Pattern>>,
}

struct Import {
    module: &'static str,
    span: Span,
    used: Cell<bool>,
}

#[derive(Default)]
pub struct Symbols<'a> {
    pub entities: BTreeMap<&'a str, Declared<'a, ast::Entity>>,
    pub enums: BTreeMap<&'a str, Declared<'a, ast::Enum>>,
    pub project: Module<'a>,
    pub std: BTreeMap<&'static str, Module<'a>>,
    pub roles: BTreeMap<&'a str, Declared<'a, ast::Role>>,
    /// Per file: imported name → module.
    imports: BTreeMap<FileId, BTreeMap<String, Import>>,
    /// Which module each standard-library file is.
    file_modules: BTreeMap<FileId, &'static str>,
}

/// What a type or pattern name resolved to.
pub struct Found<'a, T> {
    pub declared: Declared<'a, T>,
    /// `Some("std::types")` for a standard-library item.
    pub module: Option<&'static str>,
}

fn duplicate(kind: &str, name: &ast::Ident, first: Span) -> Diagnostic {
    Diagnostic::new(codes::E0100, format!("{kind} `{}` is declared twice", name.name))
        .at(name.span, "declared again here")
        .also(first, "first declared here")
        .help("rename one of them; names are shared by every file of the project")
}

impl<'a> Symbols<'a> {
    pub fn collect(units: &[Unit<'a>], diagnostics: &mut Vec<Diagnostic>) -> Symbols<'a> {
        let mut symbols = Symbols::default();
        for module in STD_MODULES {
            symbols.std.insert(module, Module::default());
        }
        // Every declared name of the project, for cross-kind clashes
        // (an enum and an entity may not share a name).
        let mut type_names: BTreeMap<&'a str, Span> = BTreeMap::new();
        for unit in units {
            let file = unit.ast.file;
            if let Some(module) = unit.module {
                symbols.file_modules.insert(file, module);
            }
            for declaration in &unit.ast.declarations {
                let target = match unit.module {
                    Some(m) => symbols.std.get_mut(m).expect("std module registered"),
                    None => &mut symbols.project,
                };
                match declaration {
                    Declaration::Entity(e) => {
                        if let Some(first) = type_names.insert(&e.name.name, e.name.span) {
                            diagnostics.push(duplicate("type", &e.name, first));
                        } else {
                            symbols.entities.insert(&e.name.name, Declared { node: e, file });
                        }
                    }
                    Declaration::Enum(e) => {
                        if let Some(first) = type_names.insert(&e.name.name, e.name.span) {
                            diagnostics.push(duplicate("type", &e.name, first));
                        } else {
                            symbols.enums.insert(&e.name.name, Declared { node: e, file });
                        }
                    }
                    Declaration::TypeAlias(a) => {
                        if unit.module.is_none() {
                            if let Some(first) = type_names.insert(&a.name.name, a.name.span) {
                                diagnostics.push(duplicate("type", &a.name, first));
                                continue;
                            }
                        }
                        target.aliases.insert(&a.name.name, Declared { node: a, file });
                    }
                    Declaration::Pattern(p) => {
                        if let Some(first) = target.patterns.get(p.name.name.as_str()) {
                            diagnostics.push(duplicate("pattern", &p.name, first.node.name.span));
                        } else {
                            target.patterns.insert(&p.name.name, Declared { node: p, file });
                        }
                    }
                    Declaration::Role(r) => {
                        if let Some(first) = symbols.roles.get(r.name.name.as_str()) {
                            diagnostics.push(duplicate("role", &r.name, first.node.name.span));
                        } else {
                            symbols.roles.insert(&r.name.name, Declared { node: r, file });
                        }
                    }
                    _ => {}
                }
            }
        }
        for unit in units {
            for declaration in &unit.ast.declarations {
                if let Declaration::Use(u) = declaration {
                    symbols.import(unit.ast.file, u, diagnostics);
                }
            }
        }
        symbols
    }

    fn import(&mut self, file: FileId, u: &ast::Use, diagnostics: &mut Vec<Diagnostic>) {
        let segments: Vec<&str> = u.path.iter().map(|i| i.name.as_str()).collect();
        let (module_path, names): (Vec<&str>, Vec<&ast::Ident>) = match &u.imports {
            Imports::Single => match u.path.split_last() {
                Some((last, rest)) => (rest.iter().map(|i| i.name.as_str()).collect(), vec![last]),
                None => return,
            },
            Imports::Group(names) => (segments.clone(), names.iter().collect()),
            Imports::Glob => (segments.clone(), Vec::new()),
        };
        let module_name = module_path.join("::");
        let Some(&module) = STD_MODULES.iter().find(|m| **m == module_name) else {
            let span = u.path.first().map_or(u.span, |f| u.path.iter().fold(f.span, |s, i| s.to(i.span)));
            let mut d =
                Diagnostic::new(codes::E0105, format!("there is no module `{module_name}`")).at(span, "unknown module");
            d = match did_you_mean(&module_name, STD_MODULES.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("the standard library has std::patterns and std::types; project files need no `use`"),
            };
            diagnostics.push(d);
            return;
        };
        let contents = &self.std[module];
        let available: Vec<&str> = contents.aliases.keys().chain(contents.patterns.keys()).copied().collect();
        let imports = self.imports.entry(file).or_default();
        if matches!(u.imports, Imports::Glob) {
            for name in &available {
                imports.insert(name.to_string(), Import { module, span: u.span, used: Cell::new(true) });
            }
            return;
        }
        for name in names {
            if !available.contains(&name.name.as_str()) {
                let mut d = Diagnostic::new(codes::E0105, format!("`{module}` has no `{}`", name.name))
                    .at(name.span, "not in this module");
                d = match did_you_mean(&name.name, available.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.note(format!("`{module}` has: {}", available.join(", "))),
                };
                diagnostics.push(d);
                continue;
            }
            imports.insert(name.name.clone(), Import { module, span: name.span, used: Cell::new(false) });
        }
    }

    /// Looks a type alias up as seen from `file`.
    pub fn alias(&self, file: FileId, name: &str) -> Option<Found<'a, ast::TypeAlias>> {
        if let Some(d) = self.project.aliases.get(name) {
            return Some(Found { declared: *d, module: None });
        }
        self.std_item(file, name, |m| m.aliases.get(name).copied())
    }

    pub fn pattern(&self, file: FileId, name: &str) -> Option<Found<'a, ast::Pattern>> {
        if let Some(d) = self.project.patterns.get(name) {
            return Some(Found { declared: *d, module: None });
        }
        self.std_item(file, name, |m| m.patterns.get(name).copied())
    }

    fn std_item<T>(
        &self,
        file: FileId,
        name: &str,
        get: impl Fn(&Module<'a>) -> Option<Declared<'a, T>>,
    ) -> Option<Found<'a, T>> {
        // A standard-library file sees its own module.
        if let Some(module) = self.file_modules.get(&file) {
            if let Some(d) = get(&self.std[module]) {
                return Some(Found { declared: d, module: Some(module) });
            }
        }
        let import = self.imports.get(&file)?.get(name)?;
        let d = get(&self.std[import.module])?;
        import.used.set(true);
        Some(Found { declared: d, module: Some(import.module) })
    }

    /// The module that has `name` when the file forgot to import it.
    pub fn std_module_having(&self, name: &str, patterns: bool) -> Option<&'static str> {
        self.std
            .iter()
            .find(|(_, m)| if patterns { m.patterns.contains_key(name) } else { m.aliases.contains_key(name) })
            .map(|(k, _)| *k)
    }

    /// Names of types visible from `file`, for "did you mean".
    pub fn visible_type_names(&self, file: FileId) -> Vec<&str> {
        let mut names: Vec<&str> = super::types::BUILTIN_TYPES.to_vec();
        names.extend(self.enums.keys().copied());
        names.extend(self.project.aliases.keys().copied());
        if let Some(imports) = self.imports.get(&file) {
            names.extend(imports.keys().map(String::as_str));
        }
        names
    }

    pub fn visible_pattern_names(&self, file: FileId) -> Vec<&str> {
        let mut names: Vec<&str> = self.project.patterns.keys().copied().collect();
        if let Some(imports) = self.imports.get(&file) {
            names.extend(imports.keys().map(String::as_str));
        }
        if let Some(module) = self.file_modules.get(&file) {
            names.extend(self.std[module].patterns.keys().copied());
        }
        names
    }

    /// W0101 for every import nothing used.
    pub fn unused_imports(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for imports in self.imports.values() {
            for (name, import) in imports {
                if !import.used.get() {
                    out.push(
                        Diagnostic::new(codes::W0101, format!("`{name}` is imported but never used"))
                            .at(import.span, "unused")
                            .help("remove it from the `use` line"),
                    );
                }
            }
        }
        out
    }
}
