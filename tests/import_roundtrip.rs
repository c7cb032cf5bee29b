//! `schemac import` proven on the corpus's PostgreSQL files, on the real
//! server: load the file into database A (with the dump loader), read A's
//! catalog, import it, raise it to source, compile and build that, apply the
//! DDL to an empty database B, and compare the catalogs of A and B.
//!
//! What the import carries (tables, columns, types, defaults, identity and
//! serial columns, keys, checks, foreign keys, indexes, enums, domains,
//! functions, aggregates, triggers (with their arguments), views, partitions, roles, grants, policies,
//! comments, privileges on tables, views and routines) must be equal, up to
//! a list of differences written at each case with its reason. What it does
//! not carry yet (exclusion constraints, tables without a key) is counted and
//! left out of A's side, and each warning that says so is asserted, so
//! nothing is dropped in silence.
//!
//! A case may import every schema of the database (`schema: "*"`, as
//! `--all-schemas`): the catalogs of A and B are then compared schema by
//! schema, and a difference reads `schema: …`. Types the language names
//! otherwise (W1040) are listed at the case and compared under schemac's
//! name, so the columns over them are still compared.
//!
//! The import recognises patterns (`import::recognise`) as the CLI does, so
//! a junction or `apply timestamps` it recognises is proven here as well.
//! The same database imported twice gives the same bytes, and B — a database
//! schemac built — imported again gives source that compiles to the same IR.

mod support;

use schemac::backends::postgres::compare::compare;
use schemac::backends::postgres::{quote, Catalog};
use schemac::diagnostics::Sources;
use schemac::import;
use schemac::import::introspect::postgres::{read_schemas, read_view_dependencies};
use schemac::semantic::raise;
use support::pg::TestDb;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

struct Case {
    label: &'static str,
    files: &'static [&'static str],
    schema: &'static str,
    /// Warning codes the import must give (each at least once), sorted.
    warnings: &'static [&'static str],
    /// The differences that remain, each explained where the case is
    /// written (objects the language cannot say yet); any other fails.
    known: &'static [&'static str],
    /// Types the language names otherwise (W1040): (schema, the database's
    /// name, schemac's). A's catalog is compared as if renamed, so every
    /// column over such a type is still compared.
    renamed: &'static [(&'static str, &'static str, &'static str)],
    /// The rebuilt DDL is expected to fail with this message, because the
    /// import cannot carry something it needs yet (explained at the case).
    fails_to_apply: Option<&'static str>,
}

struct Outcome {
    mismatches: usize,
    renamed: usize,
    tables: usize,
    objects: usize,
    not_carried: usize,
}

fn load(db: &mut TestDb, files: &[&str]) {
    let mut sources = Sources::new();
    let mut last = None;
    for file in files {
        // The corpus, or this repository's own fixtures (`tests/…`).
        let path = match file.strip_prefix("tests/") {
            Some(own) => format!("{}/tests/{own}", env!("CARGO_MANIFEST_DIR")),
            None => format!("{CORPUS}/{file}"),
        };
        let mut paths: Vec<String> = if std::path::Path::new(&path).is_dir() {
            let mut found = Vec::new();
            collect(std::path::Path::new(&path), &mut found);
            found
        } else {
            vec![path]
        };
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let id = sources.add(path.clone(), text);
            match import::dump::load(&mut db.client, &sources, id) {
                Ok(loaded) => last = Some(loaded),
                Err(e) => panic!("{path} does not load: {:?}", e.diagnostic(&sources)),
            }
        }
    }
    import::dump::finish(&mut db.client, &last.unwrap_or_default()).expect("end the dump's session");
}

fn collect(dir: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("corpus directory").filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|x| x == "sql") {
            out.push(path.display().to_string());
        }
    }
}

/// The schemas a case imports: `*` is every schema of the database but
/// PostgreSQL's own, public first (as `--all-schemas`).
fn schemas_of(db: &mut TestDb, schema: &str) -> Vec<String> {
    if schema != "*" {
        return vec![schema.to_string()];
    }
    let mut names = read_schemas(&mut db.client).expect("schemas");
    if let Some(at) = names.iter().position(|n| n == "public") {
        let public = names.remove(at);
        names.insert(0, public);
    }
    names
}

/// Source for the catalogs of `schemas` in `db` (the first the project's),
/// with the patterns recognised as `schemac import` does; the warning codes.
fn import_source(db: &mut TestDb, schemas: &[String]) -> (String, Vec<String>) {
    let mut catalogs = Vec::new();
    let mut views = std::collections::BTreeMap::new();
    for schema in schemas {
        catalogs.push(db.catalog(schema));
        views.extend(read_view_dependencies(&mut db.client, schema).expect("view dependencies"));
    }
    let (catalog, imported) = if catalogs.len() == 1 {
        let imported = import::postgres::import(&catalogs[0], &views);
        (catalogs.remove(0), imported)
    } else {
        import::schemas::import(&catalogs, &views)
    };
    let started = std::time::Instant::now();
    let recognised = import::recognise::recognise(imported.ir, &catalog, &options(&schemas[0]));
    eprintln!(
        "recognition: {} ms on {} tables ({})",
        started.elapsed().as_millis(),
        catalog.tables.len(),
        recognised.summary().unwrap_or_else(|| "nothing recognised".into())
    );
    let mut codes: Vec<String> = imported.diagnostics.iter().map(|d| d.code.0.to_string()).collect();
    codes.extend(recognised.diagnostics.iter().map(|d| d.code.0.to_string()));
    codes.sort();
    codes.dedup();
    (raise::source(&recognised.ir), codes)
}

/// The options of the project `schemac import` writes.
fn options(schema: &str) -> schemac::pipeline::Options {
    let mut options = schemac::pipeline::Options::default();
    options.passes.fk_indexes = false;
    options.passes.advise_indexes = false;
    options.passes.reorder_columns = false;
    options.postgres.schema = schema.to_string();
    options
}

fn build(label: &str, source: &str, schema: &str) -> (schemac::semantic::ir::Ir, String) {
    let mut compilation = schemac::driver::compile_str(&format!("{label}.schema"), source);
    let errors: Vec<_> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{label}: the imported source does not compile: {errors:#?}\n{source}");
    let output = schemac::pipeline::build(&mut compilation, &options(schema));
    assert!(!output.diagnostics.iter().any(|d| d.is_error()), "{label}: {:#?}", output.diagnostics);
    let sql = output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact");
    (compilation.ir, sql.contents.clone())
}

/// A's catalog without what the import does not carry; the count of those objects.
fn carried(mut catalog: Catalog) -> (Catalog, usize) {
    let keyless: Vec<String> =
        catalog.tables.iter().filter(|t| t.primary_key.is_none()).map(|t| t.name.clone()).collect();
    let mut dropped = keyless.len();
    catalog.tables.retain(|t| t.primary_key.is_some());
    catalog.foreign_keys.retain(|fk| !keyless.contains(&fk.table) && !keyless.contains(&fk.references));
    catalog.indexes.retain(|i| !keyless.contains(&i.table));
    catalog.policies.retain(|p| !keyless.contains(&p.table));
    for table in &mut catalog.tables {
        dropped += table.exclusions.len();
        table.exclusions.clear();
    }
    // Privileges granted on tables, views and routines, and EXECUTE
    // revoked from PUBLIC, are imported and compared.
    let relations: Vec<String> =
        catalog.tables.iter().map(|t| t.name.clone()).chain(catalog.views.iter().map(|v| v.name.clone())).collect();
    let routines: Vec<String> = catalog.functions.iter().map(|f| f.name.clone()).collect();
    let before = catalog.grants.len();
    catalog.grants.retain(|g| match g.kind.as_str() {
        "TABLE" => relations.contains(&g.object),
        _ => routines.contains(&g.object),
    });
    dropped += before - catalog.grants.len();
    catalog.extensions.clear();
    (catalog, dropped)
}

fn objects(catalog: &Catalog) -> usize {
    catalog.enums.len()
        + catalog.domains.len()
        + catalog.views.len()
        + catalog.functions.len()
        + catalog.aggregates.len()
        + catalog.triggers.len()
        + catalog.policies.len()
        + catalog.grants.len()
        + catalog.roles.len()
        + catalog.tables.iter().map(|t| t.partitions.len()).sum::<usize>()
        + catalog.foreign_keys.len()
        + catalog.indexes.len()
        + catalog
            .tables
            .iter()
            .map(|t| 1 + t.columns.len() + usize::from(t.primary_key.is_some()) + t.uniques.len() + t.checks.len())
            .sum::<usize>()
}

fn round_trip(case: &Case) -> Outcome {
    let mut a = TestDb::new(&format!("import_a_{}", case.label));
    load(&mut a, case.files);
    let schemas = schemas_of(&mut a, case.schema);
    let project = schemas[0].as_str();
    let originals: Vec<Catalog> = schemas.iter().map(|s| a.catalog(s)).collect();
    let (source, codes) = import_source(&mut a, &schemas);
    let expected: Vec<String> = case.warnings.iter().map(|c| c.to_string()).collect();
    assert_eq!(codes, expected, "{}: the import's warnings changed", case.label);
    let (again, _) = import_source(&mut a, &schemas);
    assert_eq!(source, again, "{}: importing the same database twice differs", case.label);

    let (ir, ddl) = build(case.label, &source, project);
    let mut b = TestDb::new(&format!("import_b_{}", case.label));
    // The platform a dump was written for (Supabase's stub) is B's too.
    if case.files.first().is_some_and(|f| f.starts_with("_stubs/")) {
        load(&mut b, &case.files[..1]);
    }
    // Extensions are the server's setup, not the schema's: the import warns
    // of them (W1047) and B gets them first, as a user would.
    for extension in &originals[0].extensions {
        b.apply(&format!("CREATE EXTENSION IF NOT EXISTS \"{extension}\""));
    }
    let tables: usize = originals.iter().map(|c| c.tables.len()).sum();
    if let Some(expected) = case.fails_to_apply {
        let error = b.client.batch_execute(&ddl).expect_err("the rebuilt DDL was expected to fail");
        let message = error.as_db_error().map(|e| e.message().to_string()).unwrap_or_default();
        assert!(message.contains(expected), "{}: failed otherwise: {message}", case.label);
        return Outcome {
            tables,
            objects: originals.iter().map(objects).sum(),
            not_carried: 0,
            renamed: 0,
            mismatches: usize::MAX,
        };
    }
    b.apply(&ddl);
    let mut differences = Vec::new();
    let (mut not_carried, mut objects_compared) = (0, 0);
    let mut originals = originals;
    let renamed = rename_types(&mut originals, case.renamed);
    for (schema, original) in schemas.iter().zip(originals) {
        let rebuilt = b.catalog(schema);
        let (original, dropped) = carried(original);
        not_carried += dropped;
        objects_compared += objects(&original);
        for d in compare(&original, &rebuilt) {
            // One schema: the difference as compare says it; several: `schema: …`.
            differences.push(if schemas.len() == 1 { d.to_string() } else { format!("{schema}: {d}") });
        }
    }
    let unexplained: Vec<&String> =
        differences.iter().filter(|d| !case.known.iter().any(|k| d.starts_with(k))).collect();
    let gone: Vec<&&str> = case.known.iter().filter(|k| !differences.iter().any(|d| d.starts_with(**k))).collect();
    assert!(
        unexplained.is_empty() && gone.is_empty(),
        "{}: differences between the original and the rebuilt database:\n{}\nknown but not seen: {gone:?}",
        case.label,
        unexplained.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
    );

    // A database schemac built, imported again, compiles to the same IR
    // (where nothing is left different: a name the language could not keep
    // comes back as the name schemac gave it).
    if case.known.is_empty() {
        let (source_b, _) = import_source(&mut b, &schemas);
        let (ir_b, _) = build(case.label, &source_b, project);
        let (first, second) = (schemac::pipeline::ir_json(&ir), schemac::pipeline::ir_json(&ir_b));
        let differing = first.lines().zip(second.lines()).position(|(x, y)| x != y);
        assert!(
            first == second,
            "{}: re-importing the rebuilt database gives another schema (IR line {differing:?})\n{source_b}",
            case.label
        );
    }
    Outcome { tables, objects: objects_compared, not_carried, renamed, mismatches: differences.len() }
}

/// Renames, in A's catalogs, the types the language names otherwise, and
/// every mention of them in column and domain types; how many were renamed.
fn rename_types(catalogs: &mut [Catalog], renamed: &[(&str, &str, &str)]) -> usize {
    let mut count = 0;
    for (schema, from, to) in renamed {
        let (old, new) = (quote::qualified(schema, from), quote::qualified(schema, to));
        let retype = |ty: &mut String| {
            if *ty == old || ty.strip_suffix("[]") == Some(old.as_str()) {
                *ty = ty.replacen(old.as_str(), &new, 1);
            }
        };
        for catalog in catalogs.iter_mut() {
            if catalog.schema == *schema {
                for d in catalog.domains.iter_mut().filter(|d| d.name == *from) {
                    d.name = to.to_string();
                    count += 1;
                }
                for e in catalog.enums.iter_mut().filter(|e| e.name == *from) {
                    e.name = to.to_string();
                    count += 1;
                }
                catalog.domains.sort_by(|a, b| a.name.cmp(&b.name));
                catalog.enums.sort_by(|a, b| a.name.cmp(&b.name));
            }
            for d in &mut catalog.domains {
                retype(&mut d.base);
            }
            for column in catalog.tables.iter_mut().flat_map(|t| &mut t.columns) {
                retype(&mut column.ty);
            }
        }
    }
    count
}

fn check(case: Case) {
    let outcome = round_trip(&case);
    let mismatches = match outcome.mismatches {
        usize::MAX => "does not apply".to_string(),
        n => n.to_string(),
    };
    eprintln!(
        "| {} | {} | {} | {mismatches} | {} not carried, {} renamed |",
        case.files.join(" + "),
        outcome.tables,
        outcome.objects,
        outcome.not_carried,
        outcome.renamed
    );
}

#[test]
fn chinook_three_key_styles() {
    for (label, file) in [
        ("chinook", "chinook/Chinook_PostgreSql.ddl.sql"),
        ("chinook_serial", "chinook/Chinook_PostgreSql_SerialPKs.ddl.sql"),
        ("chinook_identity", "chinook/Chinook_PostgreSql_AutoIncrementPKs.ddl.sql"),
    ] {
        let files: &'static [&'static str] = Box::leak(Box::new([file]));
        check(Case { label, files, schema: "public", warnings: &[], known: &[], renamed: &[], fails_to_apply: None });
    }
}

#[test]
fn temporal_persistence_schema() {
    check(Case {
        label: "temporal",
        files: &["temporal/postgresql/temporal-schema.sql"],
        schema: "public",
        warnings: &[],
        known: &[],
        renamed: &[],
        fails_to_apply: None,
    });
}

#[test]
fn temporal_visibility_schema() {
    // tsvector columns kept as raw SQL (W1042); the btree_gin extension (W1047).
    check(Case {
        label: "visibility",
        files: &["temporal/postgresql/visibility-schema.sql"],
        schema: "public",
        warnings: &["W1042", "W1047"],
        known: &[],
        renamed: &[],
        fails_to_apply: None,
    });
}

#[test]
fn umami_migrations_v2_and_v3() {
    check(Case {
        label: "umami2",
        files: &["umami/v2.20.2/postgresql/migrations"],
        schema: "public",
        // The pgcrypto extension (W1047).
        warnings: &["W1047"],
        known: &[],
        renamed: &[],
        fails_to_apply: None,
    });
    check(Case {
        label: "umami3",
        files: &["umami/v3.1.0/postgresql/migrations"],
        schema: "public",
        warnings: &["W1047"],
        known: &[],
        renamed: &[],
        fails_to_apply: None,
    });
}

#[test]
fn pagila() {
    check(Case {
        label: "pagila",
        files: &["pagila/pagila-schema.sql", "pagila/pagila-schema-jsonb.sql"],
        schema: "public",
        warnings: &["W1040", "W1042", "W1048"],
        // The domain `bıgınt` (dotless ı) cannot keep its name (W1040).
        // Functions with unnamed parameters (`_group_concat(text, text)`),
        // the aggregate group_concat over one, the views that call it and the
        // trigger that calls the built-in tsvector_update_trigger with
        // arguments are carried.
        known: &["domain bıgınt", "domain bg_nt"],
        renamed: &[],
        fails_to_apply: None,
    });
}

#[test]
fn sakila() {
    // film.fulltext is a tsvector, kept as raw SQL (W1042); payment's
    // INHERITS children have no key (W1048).
    check(Case {
        label: "sakila",
        files: &["sakila/postgres-sakila-schema.sql"],
        schema: "public",
        warnings: &["W1042", "W1048"],
        // As in pagila, unnamed parameters, the aggregate, the views over it
        // and the built-in trigger function are carried: nothing differs.
        known: &[],
        renamed: &[],
        fails_to_apply: None,
    });
}

#[test]
fn supabase_slack_clone_and_basejump() {
    check(Case {
        label: "slack",
        files: &["_stubs/supabase-stub.sql", "supabase-slack-clone/full-schema.fixed.sql"],
        schema: "public",
        // The foreign key to auth.users in the stub's `auth` schema (W1046);
        // the pgcrypto extension and what else is not carried (W1047).
        warnings: &["W1046", "W1047"],
        known: &["foreign key users_id_fkey"],
        renamed: &[],
        fails_to_apply: None,
    });
    check(Case {
        label: "basejump",
        files: &["_stubs/supabase-stub.sql", "basejump/migrations"],
        schema: "basejump",
        // Foreign keys to auth.users (W1046), the extensions (W1047; EXECUTE
        // revoked from PUBLIC is carried as `revoke … from public`),
        // `config` has no key (W1048).
        warnings: &["W1046", "W1047", "W1048"],
        known: &["foreign key"],
        renamed: &[],
        fails_to_apply: None,
    });
}

#[test]
fn several_schemas_referring_to_one_another() {
    // Nothing is left different, so B is imported again too and must
    // compile to the same IR: the `schema` lines are stable.
    check(Case {
        label: "several_schemas",
        files: &["tests/import/several_schemas.sql"],
        schema: "*",
        warnings: &[],
        known: &[],
        renamed: &[],
        fails_to_apply: None,
    });
}

#[test]
fn adventureworks_sales() {
    // One schema alone: columns over the `public` schema's domains (Flag,
    // Name, …) are kept as raw SQL types (W1042), which exist only where
    // that schema is imported too, so the DDL does not apply; foreign keys
    // into person, production, … (W1046); views (W1047). The case below
    // imports every schema.
    check(Case {
        label: "adventureworks",
        files: &["adventureworks/install.ddl.sql"],
        schema: "sales",
        warnings: &["W1042", "W1046", "W1047"],
        known: &[],
        renamed: &[],
        fails_to_apply: Some("type \"public.Name\" does not exist"),
    });
}

#[test]
fn adventureworks_all_schemas() {
    // Every schema (`--all-schemas`): public's domains, the five schemas of
    // tables and views, and the five of one-letter views over them, placed
    // with `schema NAME` lines; foreign keys, columns over public's domains
    // and views across schemas are carried. xml and money columns stay raw
    // SQL (W1042); uuid-ossp and tablefunc (W1047).
    check(Case {
        label: "adventureworks_all",
        files: &["adventureworks/install.ddl.sql"],
        schema: "*",
        warnings: &["W1040", "W1042", "W1046", "W1047"],
        known: &[
            // Foreign keys from a smallint column to a serial (integer) key:
            // a relation's columns are typed like the key (W1046).
            "humanresources: foreign key FK_EmployeeDepartmentHistory_Department_DepartmentID",
            "humanresources: foreign key FK_EmployeeDepartmentHistory_Shift_ShiftID",
            "production: foreign key FK_ProductInventory_Location_LocationID",
            "production: foreign key FK_WorkOrder_ScrapReason_ScrapReasonID",
            "production: foreign key FK_WorkOrderRouting_Location_LocationID",
            // One-letter views whose names another schema's views have
            // (hr.e and pe.e, …): the schemas share one namespace (W1040).
            "pe: view e",
            "pr: view d",
            "pr: view p",
            "pr: view pp",
            "sa: view c",
            "sa: view cr",
            "sa: view s",
            "sa: view sp",
            "sa: view sr",
        ],
        // The domains are named in mixed case ("Name", "Flag", …): a type
        // alias is stored under its name in snake_case (W1040).
        renamed: &[
            ("public", "AccountNumber", "account_number"),
            ("public", "Flag", "flag"),
            ("public", "Name", "name"),
            ("public", "NameStyle", "name_style"),
            ("public", "OrderNumber", "order_number"),
            ("public", "Phone", "phone"),
        ],
        fails_to_apply: None,
    });
}
