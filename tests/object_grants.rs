//! Privileges on views and declared functions (`grant select on View to r`,
//! `grant execute on function f to r`), proven on the real server:
//!
//! - `view_and_function_grants_apply_as_declared`: the built DDL applied,
//!   the privileges read back with `has_table_privilege`,
//!   `has_column_privilege`, `has_function_privilege` and `pg_proc.proacl`,
//!   and a session as each role is allowed or refused (42501) accordingly.
//! - `view_and_function_grants_survive_an_import_round_trip`: a database
//!   made by hand with grants on a view and a function, imported, raised to
//!   source, built and applied to an empty database: the same ACLs, and no
//!   W1047 for them.
//! - `execute_revoked_from_public_applies_migrates_and_imports`: `revoke
//!   execute on function f from public` leaves EXECUTE to the roles granted
//!   it (a session as another role is refused), a migration revokes and
//!   grants it back, and an import carries it (no W1047).
//! - `invalid_object_grants_are_diagnostics`: E0601, E0102 and E0110 with
//!   their did-you-mean.
//!
//! Roles belong to the cluster: each test makes its own (`og<pid>_…`) and
//! drops them once its databases are gone.

mod support;

use schemac::import;
use schemac::import::introspect::postgres::read_view_dependencies;
use schemac::semantic::raise;
use support::pg::{admin, TestDb};

/// Two role names of this process's own.
fn roles(label: &str) -> (String, String) {
    let pid = std::process::id();
    (format!("og{pid}_{label}_app"), format!("og{pid}_{label}_support"))
}

fn drop_roles(names: &[&str]) {
    for name in names {
        admin().batch_execute(&format!("DROP ROLE IF EXISTS {name}")).expect("drop role");
    }
}

fn build(source: &str) -> String {
    let mut compilation = schemac::driver::compile_str("grants.schema", source);
    let errors: Vec<_> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "does not compile: {errors:#?}\n{source}");
    let output = schemac::pipeline::build(&mut compilation, &schemac::pipeline::Options::default());
    assert!(!output.diagnostics.iter().any(|d| d.is_error()), "{:#?}", output.diagnostics);
    output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact").contents.clone()
}

fn truth(db: &mut TestDb, sql: &str) -> bool {
    db.client.query_one(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
}

/// `sql` as `role`: Ok(rows) or the SQLSTATE.
fn as_role(db: &mut TestDb, role: &str, sql: &str) -> Result<usize, String> {
    let mut tx = db.client.transaction().unwrap();
    tx.batch_execute(&format!("SET LOCAL ROLE {role}")).unwrap();
    let result = tx.query(sql, &[]).map(|r| r.len()).map_err(|e| e.code().map_or(e.to_string(), |c| c.code().into()));
    tx.rollback().unwrap();
    result
}

fn schema(app: &str, support: &str) -> String {
    format!(
        "role {app}\nrole {support}\n\n\
         entity Customer {{\n  id    bigint = identity primary\n  name  text\n  notes text?\n}}\n\n\
         view CustomerNames = Customer select (id, name)\n\n\
         function customer_count() returns bigint language sql stable {{\n  sql \"SELECT count(*) FROM customer\"\n}}\n\n\
         grant select on Customer to {app}\n\
         grant select (id, name) on Customer to {support}\n\
         grant select on CustomerNames to {app}\n\
         grant select (id), update (name) on CustomerNames to {support}\n\
         grant execute on function customer_count to {app}\n"
    )
}

#[test]
fn view_and_function_grants_apply_as_declared() {
    let (app, support) = roles("apply");
    {
        let mut db = TestDb::new("object_grants_apply");
        let ddl = build(&schema(&app, &support));
        assert!(ddl.contains(&format!("GRANT SELECT ON TABLE public.customer_names TO {app};")), "{ddl}");
        assert!(ddl.contains(&format!("GRANT EXECUTE ON FUNCTION public.customer_count() TO {app};")), "{ddl}");
        db.apply(&ddl);
        db.apply("INSERT INTO customer (name) VALUES ('ann'), ('bob')");

        assert!(truth(&mut db, &format!("SELECT has_table_privilege('{app}', 'public.customer_names', 'SELECT')")));
        assert!(!truth(&mut db, &format!("SELECT has_table_privilege('{app}', 'public.customer_names', 'UPDATE')")));
        assert!(!truth(
            &mut db,
            &format!("SELECT has_table_privilege('{support}', 'public.customer_names', 'SELECT')")
        ));
        for (column, privilege, held) in
            [("id", "SELECT", true), ("name", "SELECT", false), ("name", "UPDATE", true), ("id", "UPDATE", false)]
        {
            let sql =
                format!("SELECT has_column_privilege('{support}', 'public.customer_names', '{column}', '{privilege}')");
            assert_eq!(truth(&mut db, &sql), held, "{support} {privilege} ({column}) on the view");
        }
        assert!(truth(
            &mut db,
            &format!("SELECT has_function_privilege('{app}', 'public.customer_count()', 'EXECUTE')")
        ));
        let acl: String = db
            .client
            .query_one("SELECT array_to_string(proacl, ',') FROM pg_proc WHERE proname = 'customer_count'", &[])
            .unwrap()
            .get(0);
        assert!(acl.contains(&format!("{app}=X/")), "EXECUTE in the catalog: {acl}");

        assert_eq!(as_role(&mut db, &app, "SELECT * FROM customer_names"), Ok(2));
        assert_eq!(as_role(&mut db, &app, "SELECT customer_count()"), Ok(1));
        assert_eq!(as_role(&mut db, &support, "SELECT id FROM customer_names"), Ok(2));
        assert_eq!(as_role(&mut db, &support, "SELECT name FROM customer_names"), Err("42501".into()));
        assert_eq!(as_role(&mut db, &app, "UPDATE customer_names SET name = 'x'"), Err("42501".into()));
    }
    drop_roles(&[&app, &support]);
}

/// The privileges granted on views and functions in `db`, as ACL entries of
/// the roles named: `object|role|privilege|columns`, sorted.
fn object_acls(db: &mut TestDb, roles: &[&str]) -> Vec<String> {
    let catalog = db.catalog("public");
    let views: Vec<&str> = catalog.views.iter().map(|v| v.name.as_str()).collect();
    let mut out: Vec<String> = catalog
        .grants
        .iter()
        .filter(|g| roles.contains(&g.role.as_str()))
        .filter(|g| g.kind == "FUNCTION" || views.contains(&g.object.as_str()))
        .map(|g| {
            format!(
                "{} {}({})|{}|{}|{}",
                g.kind,
                g.object,
                g.params.join(","),
                g.role,
                g.privilege,
                g.columns.join(",")
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn view_and_function_grants_survive_an_import_round_trip() {
    let (app, support) = roles("import");
    {
        let mut a = TestDb::new("object_grants_import_a");
        a.apply(&format!(
            "DO $$ BEGIN CREATE ROLE {app}; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n\
             DO $$ BEGIN CREATE ROLE {support}; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n\
             CREATE TABLE customer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n\
             CREATE VIEW customer_names AS SELECT id, name FROM customer;\n\
             CREATE FUNCTION name_length(who text) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT length(who)';\n\
             GRANT SELECT ON customer TO {app};\n\
             GRANT SELECT, INSERT ON customer_names TO {app};\n\
             GRANT SELECT (id), UPDATE (name) ON customer_names TO {support};\n\
             GRANT EXECUTE ON FUNCTION name_length(text) TO {app}, {support};"
        ));
        let catalog = a.catalog("public");
        let views = read_view_dependencies(&mut a.client, "public").expect("view dependencies");
        let imported = import::postgres::import(&catalog, &views);
        let warnings: Vec<String> =
            imported.diagnostics.iter().map(|d| format!("{}: {}", d.code.0, d.message)).collect();
        assert!(!warnings.iter().any(|w| w.starts_with("W1047")), "nothing left out: {warnings:#?}");
        let source = raise::source(&imported.ir);
        assert!(source.contains(&format!("grant execute on function name_length to {app}")), "{source}");
        assert!(source.contains(&format!("on CustomerNames to {support}")), "{source}");

        let mut b = TestDb::new("object_grants_import_b");
        b.apply(&build(&source));
        let roles = [app.as_str(), support.as_str()];
        let (before, after) = (object_acls(&mut a, &roles), object_acls(&mut b, &roles));
        assert_eq!(before.len(), 6, "{before:#?}");
        assert_eq!(before, after, "the same privileges on the view and the function\n{source}");
        let has = |db: &mut TestDb, sql: &str| truth(db, sql);
        for db in [&mut a, &mut b] {
            assert!(has(
                db,
                &format!("SELECT has_function_privilege('{support}', 'public.name_length(text)', 'EXECUTE')")
            ));
            assert!(has(db, &format!("SELECT has_table_privilege('{app}', 'public.customer_names', 'INSERT')")));
            assert!(!has(
                db,
                &format!("SELECT has_column_privilege('{support}', 'public.customer_names', 'name', 'SELECT')")
            ));
        }
    }
    drop_roles(&[&app, &support]);
}

#[test]
fn execute_revoked_from_public_applies_migrates_and_imports() {
    let (app, support) = roles("revoke");
    {
        let granted = schema(&app, &support);
        let revoked = format!("{granted}revoke execute on function customer_count from public\n");
        let ddl = build(&revoked);
        assert!(ddl.contains("REVOKE EXECUTE ON FUNCTION public.customer_count() FROM PUBLIC;"), "{ddl}");
        let mut db = TestDb::new("object_grants_revoke");
        db.apply(&ddl);
        let held =
            |role: &str| format!("SELECT has_function_privilege('{role}', 'public.customer_count()', 'EXECUTE')");
        assert!(truth(&mut db, &held(&app)));
        assert!(!truth(&mut db, &held(&support)));
        assert_eq!(as_role(&mut db, &app, "SELECT customer_count()"), Ok(1));
        assert_eq!(as_role(&mut db, &support, "SELECT customer_count()"), Err("42501".into()));

        // Imported: the revoke comes back, and nothing is left to warn about.
        let catalog = db.catalog("public");
        let views = read_view_dependencies(&mut db.client, "public").expect("view dependencies");
        let imported = import::postgres::import(&catalog, &views);
        assert!(!imported.diagnostics.iter().any(|d| d.code.0 == "W1047"), "{:#?}", imported.diagnostics);
        let source = raise::source(&imported.ir);
        assert!(source.contains("revoke execute on function customer_count from public"), "{source}");

        // Migrations: granted back to PUBLIC, then revoked again.
        let (before, _, _) = support::build_state("a.schema", &revoked, None);
        let (after, _, _) = support::build_state("b.schema", &granted, Some(&before));
        let back = schemac::migrate::plan(&before, &after, &Default::default());
        let up: Vec<String> = back.steps.iter().flat_map(|s| s.up.clone()).collect();
        assert!(up.iter().any(|s| s == "GRANT EXECUTE ON FUNCTION public.customer_count() TO PUBLIC"), "{up:#?}");
        let again = schemac::migrate::plan(&after, &before, &Default::default());
        let up: Vec<String> = again.steps.iter().flat_map(|s| s.up.clone()).collect();
        assert!(up.iter().any(|s| s == "REVOKE EXECUTE ON FUNCTION public.customer_count() FROM PUBLIC"), "{up:#?}");
        assert!(schemac::migrate::plan(&before, &before, &Default::default()).steps.is_empty());
    }
    drop_roles(&[&app, &support]);
}

#[test]
fn invalid_object_grants_are_diagnostics() {
    let base = schema("og_app", "og_support");
    let cases = [
        ("grant execute on Customer to og_app", "E0601", "execute is granted on functions"),
        ("grant select on function customer_count to og_app", "E0601", "only execute can be granted on functions"),
        ("grant execute on function customer_cnt to og_app", "E0110", "did you mean `customer_count`?"),
        ("grant select on CustomerName to og_app", "E0102", "did you mean `CustomerNames`?"),
        ("grant select (notes) on CustomerNames to og_app", "E0103", "view `CustomerNames` has no column `notes`"),
        ("grant truncate (id) on CustomerNames to og_app", "E0601", "only select, insert, update and references"),
        ("revoke execute on function customer_count from og_app", "E0601", "can be revoked from `public` only"),
        ("revoke execute on function customer_cnt from public", "E0110", "did you mean `customer_count`?"),
    ];
    for (line, code, text) in cases {
        let compilation = schemac::driver::compile_str("bad.schema", &format!("{base}{line}\n"));
        let errors: Vec<String> = compilation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} {} {:?}", d.code.0, d.message, d.help))
            .collect();
        assert!(
            errors.len() == 1 && errors[0].starts_with(code) && errors[0].contains(text),
            "{line}: expected {code} ({text}), got {errors:#?}"
        );
    }
}
