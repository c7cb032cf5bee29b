//! The migration rules of migrations.md, one scenario each, on the real
//! server: the plan is snapshotted (readable: steps, phases, locks, hazards,
//! then up.sql), applied with `migrate::apply` to a database holding rows,
//! and the catalog afterwards must equal what the new state lowers to; the
//! rows must still be there. "No rewrite" claims are checked against the
//! table's relfilenode, "concurrent" claims against a writer that keeps
//! inserting during the index build, and a plan killed between any two steps
//! resumes to the same end state. Self-diffs of the examples are empty.

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use schemac::backends::postgres::compare::compare;
use schemac::backends::postgres::{ColumnChanges, Options, RenameTables};
use schemac::diagnostics::codes;
use schemac::driver;
use schemac::migrate::apply::Until;
use schemac::migrate::{self, apply};
use schemac::pipeline;
use support::scenario::{assert_same_but_columns_last, build, snapshot, Scenario};

const ORDERS: &str = "entity Customer {\n  id bigint = identity primary\n  name text\n}\n\
entity Order {\n  id bigint = identity primary\n  total int\n  customer_id bigint\n  code varchar(20)\n}\n";

const ORDER_ROWS: &str = "INSERT INTO customer (name) SELECT 'c' || g FROM generate_series(1, 50) g;
INSERT INTO \"order\" (total, customer_id, code) SELECT g, 1 + g % 50, 'o' || g FROM generate_series(1, 2000) g;";

#[test]
fn add_a_required_column_with_a_default_to_a_large_table_without_a_rewrite() {
    let after = ORDERS.replace("  code varchar(20)\n", "  code varchar(20)\n  status text = 'new'\n");
    let mut s = Scenario::new("add_not_null", ORDERS, ORDER_ROWS, &after);
    snapshot("add_required_column_with_default", &s);
    assert!(s.plan.steps.iter().all(|step| !step.rewrite));
    let before = s.relfilenode("order");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.relfilenode("order"), before, "the claim: no rewrite");
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\" WHERE status = 'new'"), "2000");
}

#[test]
fn add_a_column_with_a_volatile_default_fills_old_rows_in_batches() {
    let after = ORDERS.replace("  code varchar(20)\n", "  code varchar(20)\n  token uuid = uuid_v4()\n");
    let mut s = Scenario::new("volatile_default", ORDERS, ORDER_ROWS, &after);
    snapshot("add_column_with_volatile_default", &s);
    assert!(s.plan.steps.iter().any(|step| step.summary.starts_with("fill") && !step.transactional));
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.scalar("SELECT count(DISTINCT token) FROM \"order\""), "2000", "every old row got its own value");
}

#[test]
fn make_a_column_required_through_a_validated_check() {
    let before = ORDERS.replace("  code varchar(20)\n", "  code varchar(20)?\n");
    let mut s = Scenario::new("set_not_null", &before, ORDER_ROWS, ORDERS);
    snapshot("set_not_null", &s);
    let node = s.relfilenode("order");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.relfilenode("order"), node);
    // With a NULL in the table, the validation step fails and nothing is half-done.
    let mut t = Scenario::new(
        "set_not_null_fails",
        &before,
        "INSERT INTO \"order\" (total, customer_id) VALUES (1, 1);",
        ORDERS,
    );
    let stored = t.stored();
    let error = apply::apply(&mut t.db.client, "public", &[stored]).unwrap_err().to_string();
    assert!(error.contains("require order.code"), "{error}");
}

#[test]
fn add_a_foreign_key_not_valid_then_validated() {
    let after = format!("{ORDERS}relation Order.customer -> Customer.orders {{\n  required\n}}\n")
        .replace("  customer_id bigint\n", "");
    let mut s = Scenario::new("add_fk", ORDERS, ORDER_ROWS, &after);
    snapshot("add_foreign_key", &s);
    let node = s.relfilenode("order");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.relfilenode("order"), node);
    assert_eq!(s.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'order_customer_id_fkey'"), "true");
}

#[test]
fn add_a_unique_through_a_concurrent_index() {
    let after = ORDERS.replace("  code varchar(20)\n", "  code varchar(20) unique\n");
    let mut s = Scenario::new("add_unique", ORDERS, ORDER_ROWS, &after);
    snapshot("add_unique", &s);
    s.migrate();
    s.assert_matches_after();
}

#[test]
fn change_int_to_bigint_is_a_rewrite_and_says_so() {
    let after = ORDERS.replace("  total int\n", "  total bigint\n");
    let mut s = Scenario::new("int_bigint", ORDERS, ORDER_ROWS, &after);
    snapshot("int_to_bigint", &s);
    assert!(s.plan.steps.iter().any(|step| step.rewrite));
    assert!(s.plan.hazards().any(|h| h.code.0 == "H0003"));
    let node = s.relfilenode("order");
    s.migrate();
    s.assert_matches_after();
    assert_ne!(s.relfilenode("order"), node, "the claim: a rewrite");
    assert_eq!(s.scalar("SELECT sum(total) FROM \"order\""), "2001000");
}

#[test]
fn widen_a_varchar_without_a_rewrite() {
    let after = ORDERS.replace("code varchar(20)", "code varchar(80)");
    let mut s = Scenario::new("widen", ORDERS, ORDER_ROWS, &after);
    snapshot("widen_varchar", &s);
    assert!(s.plan.steps.iter().all(|step| !step.rewrite) && s.plan.hazards().next().is_none());
    let node = s.relfilenode("order");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.relfilenode("order"), node, "the claim: no rewrite");
}

#[test]
fn rename_with_renamed_from_keeps_the_data() {
    let after = ORDERS.replace("  code varchar(20)\n", "  reference varchar(20) renamed_from code\n");
    let mut s = Scenario::new("rename_column", ORDERS, ORDER_ROWS, &after);
    snapshot("rename_column_declared", &s);
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\" WHERE reference LIKE 'o%'"), "2000");
}

#[test]
fn rename_an_entity_keeps_its_rows_and_renames_its_constraints() {
    let after = ORDERS.replace("entity Customer {\n", "entity Client {\n  renamed_from Customer\n");
    let mut s = Scenario::new("rename_table", ORDERS, ORDER_ROWS, &after);
    snapshot("rename_table_declared", &s);
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.scalar("SELECT count(*) FROM client"), "50");
}

#[test]
fn rename_an_entity_behind_a_view_keeps_old_clients_working_until_the_contract() {
    let after = ORDERS.replace("entity Customer {\n", "entity Client {\n  renamed_from Customer\n");
    let options = Options { rename_tables: RenameTables::WithView, ..Default::default() };
    let mut s = Scenario::with_options("rename_view", ORDERS, ORDER_ROWS, &after, &options);
    snapshot("rename_table_with_view", &s);
    assert!(s.plan.hazards().all(|h| h.code != codes::H0005), "old clients keep working: no H0005");
    assert!(s.plan.reversible());
    // A reader whose rows row-level security filters, granted before the plan.
    let reader = format!("{}_reader", s.db.name);
    s.db.apply(&format!(
        "DROP ROLE IF EXISTS {reader}; CREATE ROLE {reader}; GRANT SELECT ON customer TO {reader};
         ALTER TABLE customer ENABLE ROW LEVEL SECURITY;
         CREATE POLICY first_ten ON customer FOR SELECT TO {reader} USING (id <= 10);"
    ));
    let stored = s.stored();
    let report = apply::apply_until(&mut s.db.client, "public", std::slice::from_ref(&stored), Until::Contract)
        .unwrap_or_else(|e| panic!("expand: {e}\n{}", s.readable()));
    let contract = stored.steps.iter().position(|step| step.phase == "contract").expect("a contract step") + 1;
    assert_eq!(report.paused, Some(("m".to_string(), contract)));
    // Old clients read and write through the view; new ones use the table.
    assert_eq!(s.scalar("SELECT count(*) FROM customer"), "50");
    s.db.apply("INSERT INTO customer (name) VALUES ('old client')");
    s.db.apply("UPDATE customer SET name = 'renamed' WHERE id = 1");
    s.db.apply("DELETE FROM customer WHERE id = 2");
    s.db.apply("INSERT INTO client (name) VALUES ('new client')");
    assert_eq!(s.scalar("SELECT count(*) FROM client"), "51");
    assert_eq!(s.scalar("SELECT name FROM client WHERE id = 1"), "renamed");
    assert_eq!(s.scalar("SELECT count(*) FROM customer WHERE name IN ('old client', 'new client')"), "2");
    // The reader keeps its privilege and its policy applies through the view.
    s.db.apply(&format!("SET ROLE {reader}"));
    assert_eq!(s.scalar("SELECT count(*) FROM customer"), "9");
    s.db.apply("RESET ROLE");
    // The contract drops the view and ends in the new state.
    let report = apply::apply(&mut s.db.client, "public", std::slice::from_ref(&stored)).unwrap();
    assert_eq!(report.applied, vec![("m".to_string(), stored.steps.len() + 1 - contract)]);
    assert_eq!(s.scalar("SELECT to_regclass('public.customer') IS NULL"), "true");
    s.db.apply(&format!(
        "ALTER TABLE client DISABLE ROW LEVEL SECURITY; DROP POLICY first_ten ON client; REVOKE SELECT ON client FROM {reader}"
    ));
    s.assert_matches_after();
    // Down: the view comes back, then the old name.
    apply::revert(&mut s.db.client, "public", &stored).unwrap_or_else(|e| panic!("down: {e}"));
    assert_eq!(s.scalar("SELECT count(*) FROM customer"), "51");
    assert_eq!(s.scalar("SELECT to_regclass('public.client') IS NULL"), "true");
    s.db.apply(&format!("DROP OWNED BY {reader}; DROP ROLE {reader}"));
}

#[test]
fn a_view_kept_under_the_old_name_does_not_stand_in_the_way_of_column_changes() {
    // The view pins the types of the columns it reads and depends on them:
    // it is made after the type change and dropped before the column drop.
    let options = Options { rename_tables: RenameTables::WithView, ..Default::default() };
    let changed = ORDERS
        .replace("entity Customer {\n", "entity Client {\n  renamed_from Customer\n")
        .replace("  name text\n}", "  name varchar(200)\n  email text?\n}");
    let mut s = Scenario::with_options("rename_view_types", ORDERS, ORDER_ROWS, &changed, &options);
    s.migrate();
    s.assert_matches_after();
    let dropped = ORDERS
        .replace("entity Customer {\n", "entity Client {\n  renamed_from Customer\n")
        .replace("  name text\n", "");
    let mut s = Scenario::with_options("rename_view_drop", ORDERS, ORDER_ROWS, &dropped, &options);
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.scalar("SELECT count(*) FROM client"), "50");
}

/// Applies the expand and backfill phases; returns the 1-based step the
/// contract starts at.
fn expand_only(s: &mut Scenario, stored: &migrate::script::StoredPlan) -> usize {
    let report = apply::apply_until(&mut s.db.client, "public", std::slice::from_ref(stored), Until::Contract)
        .unwrap_or_else(|e| panic!("expand: {e}\n{}", s.readable()));
    let contract = stored.steps.iter().position(|step| step.phase == "contract").expect("a contract step") + 1;
    assert_eq!(report.paused, Some(("m".to_string(), contract)), "stopped before the contract");
    contract
}

/// The catalog after undoing the whole plan: `before`'s, but for `moved`
/// (made again by the undo, so last).
fn assert_reverted(s: &mut Scenario, before: &str, stored: &migrate::script::StoredPlan, moved: &[&str]) {
    apply::revert(&mut s.db.client, "public", stored).unwrap_or_else(|e| panic!("down: {e}\n{}", s.readable()));
    let (_, before_catalog, _) = build(before, None);
    let mut actual = s.db.catalog("public");
    actual.tables.retain(|t| t.name != apply::JOURNAL);
    assert_same_but_columns_last(&before_catalog, &actual, "order", moved, &s.readable());
}

fn with_shadow() -> Options {
    Options { column_changes: ColumnChanges::WithShadow, ..Default::default() }
}

#[test]
fn int_to_bigint_through_a_shadow_column_rewrites_nothing_and_keeps_old_clients_working() {
    let before = ORDERS.replace("  code varchar(20)\n", "  code varchar(20)\n  index (total)\n");
    let after = before.replace("  total int\n", "  total bigint\n");
    let mut s = Scenario::with_options("shadow_type", &before, ORDER_ROWS, &after, &with_shadow());
    snapshot("int_to_bigint_with_shadow", &s);
    assert!(s.plan.steps.iter().all(|step| !step.rewrite), "{}", s.readable());
    assert!(s.plan.hazards().all(|h| h.code != codes::H0003), "no rewrite hazard: {}", s.readable());
    assert!(s.plan.reversible());
    let node = s.relfilenode("order");
    let stored = s.stored();
    let contract = expand_only(&mut s, &stored);
    assert_eq!(s.relfilenode("order"), node, "the claim: expand and backfill rewrite nothing");
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\" WHERE total_new IS DISTINCT FROM total"), "0", "backfilled");
    // An old client writes `total`; a new one may write the shadow.
    s.db.apply("INSERT INTO \"order\" (total, customer_id, code) VALUES (7, 1, 'old client')");
    s.db.apply("UPDATE \"order\" SET total = 11 WHERE id = 1");
    s.db.apply("INSERT INTO \"order\" (total_new, customer_id, code) VALUES (9, 1, 'new client')");
    s.db.apply("UPDATE \"order\" SET total_new = 12 WHERE id = 2");
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\" WHERE total_new IS DISTINCT FROM total"), "0", "in step");
    assert_eq!(s.scalar("SELECT total || '/' || total_new FROM \"order\" WHERE code = 'old client'"), "7/7");
    assert_eq!(s.scalar("SELECT total || '/' || total_new FROM \"order\" WHERE code = 'new client'"), "9/9");
    assert_eq!(s.scalar("SELECT total || '/' || total_new FROM \"order\" WHERE id = 1"), "11/11");
    assert_eq!(s.scalar("SELECT total || '/' || total_new FROM \"order\" WHERE id = 2"), "12/12");
    let report = apply::apply(&mut s.db.client, "public", std::slice::from_ref(&stored)).unwrap();
    assert_eq!(report.applied, vec![("m".to_string(), stored.steps.len() + 1 - contract)]);
    s.assert_matches_after_with_columns_last("order", &["total"]);
    assert_eq!(s.relfilenode("order"), node, "no rewrite at the contract either");
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\""), "2002");
    assert_eq!(s.scalar("SELECT sum(total) FROM \"order\""), (2_001_000 + 10 + 10 + 7 + 9).to_string());
    assert_eq!(s.scalar("SELECT pg_typeof(total) FROM \"order\" LIMIT 1"), "bigint");
    // The index is the new state's, on the new column, under its own name.
    assert_eq!(
        s.scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 'order_total_idx'"),
        "CREATE INDEX order_total_idx ON public.\"order\" USING btree (total)"
    );
    // Down: the integer column again, with every value.
    assert_reverted(&mut s, &before, &stored, &["total"]);
    assert_eq!(s.scalar("SELECT sum(total) FROM \"order\""), (2_001_000 + 36).to_string());
    assert_eq!(s.scalar("SELECT pg_typeof(total) FROM \"order\" LIMIT 1"), "integer");
}

#[test]
fn a_declared_rename_through_a_shadow_column_keeps_both_names_working_until_the_contract() {
    let before = ORDERS.replace("  code varchar(20)\n", "  code varchar(20) unique\n");
    let after = before.replace("  code varchar(20) unique\n", "  reference varchar(20) unique renamed_from code\n");
    let mut s = Scenario::with_options("shadow_rename", &before, ORDER_ROWS, &after, &with_shadow());
    snapshot("rename_column_with_shadow", &s);
    assert!(s.plan.hazards().all(|h| h.code != codes::H0005), "old clients keep working: {}", s.readable());
    assert!(s.plan.reversible());
    let node = s.relfilenode("order");
    let stored = s.stored();
    let contract = expand_only(&mut s, &stored);
    assert_eq!(s.relfilenode("order"), node, "the claim: expand and backfill rewrite nothing");
    // Old clients use `code`, new ones `reference`: each sees the other's writes.
    s.db.apply("INSERT INTO \"order\" (total, customer_id, code) VALUES (1, 1, 'old-client')");
    s.db.apply("UPDATE \"order\" SET code = 'x1' WHERE id = 1");
    s.db.apply("INSERT INTO \"order\" (total, customer_id, reference) VALUES (1, 1, 'new-client')");
    s.db.apply("UPDATE \"order\" SET reference = 'y2' WHERE id = 2");
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\" WHERE code IS DISTINCT FROM reference"), "0");
    assert_eq!(s.scalar("SELECT reference FROM \"order\" WHERE code = 'old-client'"), "old-client");
    assert_eq!(s.scalar("SELECT code FROM \"order\" WHERE reference = 'new-client'"), "new-client");
    assert_eq!(s.scalar("SELECT reference FROM \"order\" WHERE id = 1"), "x1");
    assert_eq!(s.scalar("SELECT code FROM \"order\" WHERE id = 2"), "y2");
    // Uniqueness holds on the new column already.
    let duplicate =
        s.db.client.batch_execute("INSERT INTO \"order\" (total, customer_id, reference) VALUES (1, 1, 'x1')");
    assert!(duplicate.is_err(), "the unique index on reference refuses a duplicate");
    let report = apply::apply(&mut s.db.client, "public", std::slice::from_ref(&stored)).unwrap();
    assert_eq!(report.applied, vec![("m".to_string(), stored.steps.len() + 1 - contract)]);
    s.assert_matches_after_with_columns_last("order", &["reference"]);
    assert_eq!(s.relfilenode("order"), node);
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\""), "2002");
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\" WHERE reference LIKE 'o%'"), "1999");
    assert_eq!(
        s.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'order' AND column_name = 'code'"),
        "0"
    );
    assert_reverted(&mut s, &before, &stored, &["code"]);
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\" WHERE code LIKE 'o%'"), "1999");
}

#[test]
fn a_shadow_column_is_not_used_where_the_column_is_a_key_and_the_plan_says_why() {
    let after = ORDERS.replace(
        "entity Order {\n  id bigint = identity primary\n  total int\n",
        "entity Order {\n  id bigint = identity primary\n  total bigint\n",
    );
    let s = Scenario::with_options("shadow_default", ORDERS, ORDER_ROWS, &after, &Default::default());
    let in_place = s.readable();
    let t = Scenario::with_options("shadow_on", ORDERS, ORDER_ROWS, &after, &with_shadow());
    assert!(t.readable().contains("total_new"), "{}", t.readable());
    drop((s, t));
    // A key column (the referenced side of a foreign key) stays in place, and says so.
    let keyed =
        "entity Customer {\n  code int primary\n  name text\n}\nentity Order {\n  id bigint = identity primary\n}\n\
                 relation Order.customer -> Customer.orders {\n  required\n}\n";
    let widened = keyed.replace("code int primary", "code bigint primary");
    let k = Scenario::with_options("shadow_key", keyed, "", &widened, &with_shadow());
    let readable = k.readable();
    assert!(readable.contains("(in place: it is part of the primary key)"), "{readable}");
    assert!(!readable.contains("_new"), "{readable}");
    assert!(!in_place.contains("_new"), "the default stays in place: {in_place}");
}

/// text → varchar(n) rewrites in place (checked on 15); through a shadow it
/// does not, and the plan says that longer values are cut, as the explicit
/// cast does (in place too).
#[test]
fn text_to_varchar_through_a_shadow_column_says_longer_values_are_cut() {
    let mut s = name_narrowed_to_varchar_8("shadow_varchar", &with_shadow());
    assert!(s.plan.steps.iter().all(|step| !step.rewrite));
    let node = s.relfilenode("customer");
    s.migrate();
    s.assert_matches_after_with_columns_last("customer", &["name"]);
    assert_eq!(s.relfilenode("customer"), node, "no rewrite");
    assert_eq!(s.scalar("SELECT name FROM customer WHERE id = 51"), "a very l");
    assert_eq!(s.scalar("SELECT count(*) FROM customer WHERE name = 'c' || id"), "50");
}

/// In place too, the explicit cast cuts a longer value rather than failing
/// the step, and the hazard says so.
#[test]
fn text_to_varchar_in_place_says_longer_values_are_cut() {
    let mut s = name_narrowed_to_varchar_8("varchar_in_place", &Options::default());
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.scalar("SELECT name FROM customer WHERE id = 51"), "a very l");
}

/// `customer.name` from text to varchar(8), with a 16-character name among
/// the rows: the plan's H0004 must say the longer value is cut.
fn name_narrowed_to_varchar_8(label: &str, options: &Options) -> Scenario {
    let after = ORDERS.replace("  name text\n", "  name varchar(8)\n");
    let rows = format!("{ORDER_ROWS}\nINSERT INTO customer (name) VALUES ('a very long name');");
    let s = Scenario::with_options(label, ORDERS, &rows, &after, options);
    let cut = s.plan.hazards().find(|h| h.code == codes::H0004 && h.object == "customer.name");
    assert!(cut.is_some_and(|h| h.message.contains("are cut to fit character varying(8)")), "{}", s.readable());
    s
}

/// The backfill and the index builds run outside a transaction: a plan with
/// a type change and a rename through shadows, killed before any step,
/// resumes to the same end state with every row.
#[test]
fn a_shadow_column_plan_killed_after_any_step_resumes_to_the_same_end_state() {
    let before = ORDERS.replace("  code varchar(20)\n", "  code varchar(20) unique\n  index (total)\n");
    let after = before
        .replace("  total int\n", "  total bigint\n")
        .replace("  code varchar(20) unique\n", "  reference varchar(20) unique renamed_from code\n");
    let steps =
        Scenario::with_options("shadow_resume_probe", &before, ORDER_ROWS, &after, &with_shadow()).plan.steps.len();
    assert!(steps >= 8, "two shadows, each with its steps");
    for kill_before in 1..steps {
        let mut s = Scenario::with_options(
            &format!("shadow_resume_{kill_before}"),
            &before,
            ORDER_ROWS,
            &after,
            &with_shadow(),
        );
        let stored = s.stored();
        let outcome =
            apply::apply_observed(&mut s.db.client, "public", std::slice::from_ref(&stored), &mut |client, _, step| {
                if step == kill_before {
                    let _ = client.batch_execute("SELECT pg_terminate_backend(pg_backend_pid())");
                }
            });
        assert!(outcome.is_err(), "the run was interrupted before step {}", kill_before + 1);
        s.db.reconnect();
        let resumed = apply::apply(&mut s.db.client, "public", &[stored]).unwrap_or_else(|e| panic!("resume: {e}"));
        assert_eq!(resumed.applied, vec![("m".to_string(), steps - kill_before)]);
        s.assert_matches_after_with_columns_last("order", &["reference", "total"]);
        assert_eq!(s.scalar("SELECT count(*) FROM \"order\""), "2000");
        assert_eq!(s.scalar("SELECT sum(total) FROM \"order\""), "2001000");
        assert_eq!(s.scalar("SELECT count(*) FROM \"order\" WHERE reference = 'o' || total"), "2000");
    }
}

#[test]
fn a_rename_without_renamed_from_is_a_drop_and_an_add_and_flagged() {
    let after = ORDERS.replace("  code varchar(20)\n", "  reference varchar(20)?\n");
    let s = Scenario::new("rename_undeclared", ORDERS, ORDER_ROWS, &after);
    snapshot("rename_column_undeclared", &s);
    let codes: Vec<&str> = s.plan.hazards().map(|h| h.code.0).collect();
    assert!(codes.contains(&"H0002") && codes.contains(&"H0009"), "{codes:?}");
}

#[test]
fn enum_values_added_in_place_and_removed_by_a_rebuild() {
    let before =
        "enum Status { new, paid }\nentity Order {\n  id bigint = identity primary\n  status Status = new\n}\n";
    let added = before.replace("{ new, paid }", "{ new, pending, paid, shipped }");
    let mut s = Scenario::new("enum_add", before, "INSERT INTO \"order\" (status) VALUES ('new'), ('paid');", &added);
    snapshot("enum_add_values", &s);
    assert!(s.plan.steps.iter().all(|step| !step.rewrite));
    s.migrate();
    s.assert_matches_after();
    let removed = before.replace("{ new, paid }", "{ paid, new }");
    let mut r =
        Scenario::new("enum_reorder", before, "INSERT INTO \"order\" (status) VALUES ('new'), ('paid');", &removed);
    snapshot("enum_reorder_values", &r);
    assert!(r.plan.hazards().any(|h| h.code.0 == "H0003"));
    r.migrate();
    r.assert_matches_after();
    assert_eq!(r.scalar("SELECT string_agg(status::text, ',' ORDER BY status) FROM \"order\""), "paid,new");
}

#[test]
fn dropping_a_column_without_consent_is_refused_with_its_h_code() {
    let dir = support_project("drop_refused", ORDERS);
    let bin = env!("CARGO_BIN_EXE_schemac");
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).current_dir(&dir).output().unwrap();
    assert!(run(&["migrate", "new", "init"]).status.success());
    std::fs::write(dir.join("app.schema"), ORDERS.replace("  code varchar(20)\n", "")).unwrap();
    let refused = run(&["migrate", "new", "drop_code"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--allow H0002:order.code"), "{stderr}");
    assert!(!dir.join("migrations/0002_drop_code").exists(), "nothing written");
    let check = run(&["check"]);
    assert_eq!(check.status.code(), Some(1), "check fails while the change is unplanned");
    let allowed = run(&["migrate", "new", "drop_code", "--allow", "H0002:order.code"]);
    assert!(allowed.status.success(), "{}", String::from_utf8_lossy(&allowed.stderr));
    assert!(dir.join("migrations/0002_drop_code/up.sql").exists());
    assert!(run(&["check"]).status.success());
}

fn support_project(name: &str, source: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("schemac.toml"), "[project]\nname = \"t\"\n").unwrap();
    std::fs::write(dir.join("app.schema"), source).unwrap();
    dir
}

#[test]
fn split_a_table_into_two() {
    // Address fields move out of Customer into their own entity.
    let before = "entity Customer {\n  id bigint = identity primary\n  name text\n  street text?\n  city text?\n}\n";
    let after = "entity Customer {\n  id bigint = identity primary\n  name text\n}\n\
                 entity Address {\n  id bigint = identity primary\n  street text?\n  city text?\n}\n\
                 relation Address.customer -> Customer.addresses {\n  required\n  on delete cascade\n}\n";
    let mut s = Scenario::new("split", before, "INSERT INTO customer (name, street) VALUES ('a', 's');", after);
    snapshot("split_table", &s);
    let codes: Vec<&str> = s.plan.hazards().map(|h| h.code.0).collect();
    assert_eq!(codes.iter().filter(|c| **c == "H0002").count(), 2, "{codes:?}");
    s.migrate();
    s.assert_matches_after();
}

#[test]
fn a_concurrent_index_build_never_blocks_a_writer_beyond_the_lock_timeout() {
    let before = "entity Event {\n  id bigint = identity primary\n  kind int\n  payload text\n}\n";
    let after = before.replace("  payload text\n", "  payload text\n  index (kind, payload)\n");
    let rows = "INSERT INTO event (kind, payload) SELECT g % 100, md5(g::text) FROM generate_series(1, 300000) g;";
    let mut s = Scenario::new("concurrent", before, rows, &after);
    let stop = Arc::new(AtomicBool::new(false));
    let (inserted, worst) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let writer = {
        let (stop, inserted, worst) = (stop.clone(), inserted.clone(), worst.clone());
        let mut client = s.db.connect();
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                client.batch_execute("INSERT INTO event (kind, payload) VALUES (1, 'w')").expect("writer inserts");
                worst.fetch_max(started.elapsed().as_millis() as u64, Ordering::SeqCst);
                inserted.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let during_start = inserted.load(Ordering::SeqCst);
    s.migrate();
    let during = inserted.load(Ordering::SeqCst) - during_start;
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    s.assert_matches_after();
    assert!(during > 10, "the writer kept inserting during the build ({during} rows)");
    assert!(worst.load(Ordering::SeqCst) < 5_000, "a write waited {} ms", worst.load(Ordering::SeqCst));
}

#[test]
fn a_plan_killed_after_any_step_resumes_to_the_same_end_state() {
    let after = format!("{ORDERS}relation Order.customer -> Customer.orders {{\n  required\n}}\n")
        .replace("  customer_id bigint\n", "")
        .replace("  code varchar(20)\n", "  code varchar(20) unique\n  note text = 'x'\n  index (total)\n");
    let probe = Scenario::new("resume_probe", ORDERS, ORDER_ROWS, &after);
    let steps = probe.plan.steps.len();
    assert!(steps >= 5, "a plan with several steps: {}", probe.readable());
    drop(probe);
    for kill_before in 1..steps {
        let mut s = Scenario::new(&format!("resume_{kill_before}"), ORDERS, ORDER_ROWS, &after);
        let stored = s.stored();
        let outcome =
            apply::apply_observed(&mut s.db.client, "public", std::slice::from_ref(&stored), &mut |client, _, step| {
                if step == kill_before {
                    // Another session ends this one, as a crash or a killed deploy would.
                    let _ = client.batch_execute("SELECT pg_terminate_backend(pg_backend_pid())");
                }
            });
        assert!(outcome.is_err(), "the run was interrupted before step {}", kill_before + 1);
        s.db.reconnect();
        let resumed = apply::apply(&mut s.db.client, "public", &[stored]).unwrap_or_else(|e| panic!("resume: {e}"));
        assert_eq!(
            resumed.applied,
            vec![("m".to_string(), steps - kill_before)],
            "resumed at the step that did not run"
        );
        s.assert_matches_after();
        assert_eq!(s.scalar("SELECT count(*) FROM \"order\""), "2000");
    }
}

#[test]
fn down_returns_to_the_previous_state_when_the_plan_is_reversible() {
    let after = ORDERS.replace("  code varchar(20)\n", "  code varchar(40)\n  note text?\n  index (total)\n");
    let mut s = Scenario::new("down", ORDERS, ORDER_ROWS, &after);
    assert!(s.plan.reversible());
    s.migrate();
    let stored = s.stored();
    apply::revert(&mut s.db.client, "public", &stored).unwrap_or_else(|e| panic!("down: {e}"));
    let (_, before_catalog, _) = build(ORDERS, None);
    let mut actual = s.db.catalog("public");
    actual.tables.retain(|t| t.name != apply::JOURNAL);
    let differences = compare(&before_catalog, &actual);
    assert!(differences.is_empty(), "{differences:?}");
    let _ = (&s.before, &s.after);
}

#[test]
fn every_example_plans_nothing_against_itself() {
    for name in ["saas", "ecommerce"] {
        let inputs =
            support::example_inputs(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name));
        let mut compilation = driver::compile(&inputs);
        let _ = pipeline::build(&mut compilation, &pipeline::Options::default());
        let ir = compilation.ir;
        let mut again = driver::compile(&inputs);
        let _ = pipeline::build(
            &mut again,
            &pipeline::Options { previous: Some(Arc::new(ir.clone())), ..Default::default() },
        );
        let plan = migrate::plan(&ir, &again.ir, &Default::default());
        assert!(plan.is_empty(), "{name}: a self-diff planned {:#?}", plan.steps);
        // And through the lock file: what schema.lock holds plans nothing either.
        let relocked = migrate::state::read(&migrate::state::write(&ir)).unwrap();
        assert!(migrate::plan(&relocked, &again.ir, &Default::default()).is_empty(), "{name}: the lock round trip");
    }
}

/// PostgreSQL builds and drops an index of a partitioned table only without
/// CONCURRENTLY: the plan says so (a SHARE lock that blocks writes), and
/// both directions apply with rows in the partitions.
#[test]
fn an_index_on_a_partitioned_table_is_built_and_dropped_without_concurrently() {
    let before = "entity Event {\n  id bigint = identity\n  account int\n  at timestamptz = now()\n  \
                  primary (id, at)\n  partition by range (at) every 1 month\n}\n";
    let after = before.replace("  primary (id, at)\n", "  primary (id, at)\n  index (account, at desc)\n");
    let rows = "INSERT INTO event (account) SELECT g % 10 FROM generate_series(1, 500) g;";
    let mut s = Scenario::new("partitioned_index", before, rows, &after);
    snapshot("partitioned_index", &s);
    let readable = s.readable();
    assert!(!readable.contains("CONCURRENTLY"), "{readable}");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.scalar("SELECT count(*) FROM event"), "500");
    // And back: the drop.
    let mut back = Scenario::new("partitioned_index_drop", &after, rows, before);
    assert!(back.readable().contains("DROP INDEX IF EXISTS public.event_account_at_idx"), "{}", back.readable());
    back.migrate();
    back.assert_matches_after();
}

/// A storage name given in the source (`column "…"`, `table "…"`) that
/// changes is a rename in place: the rows stay, nothing is dropped.
#[test]
fn changing_a_storage_name_renames_in_place() {
    let after = ORDERS.replace("  code varchar(20)\n", "  code varchar(20) column \"orderCode\"\n").replacen(
        "entity Order {\n",
        "entity Order {\n  table \"orders\"\n",
        1,
    );
    assert_ne!(after, ORDERS);
    let mut s = Scenario::new("storage_rename", ORDERS, ORDER_ROWS, &after);
    let readable = s.readable();
    assert!(!readable.contains("DROP COLUMN") && !readable.contains("DROP TABLE"), "{readable}");
    assert!(readable.contains("RENAME COLUMN code TO \"orderCode\""), "{readable}");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.scalar("SELECT count(*) FROM orders WHERE \"orderCode\" LIKE 'o%'"), "2000");
}

#[test]
fn an_identity_becomes_generated_always_in_place_and_refuses_explicit_ids() {
    let after = ORDERS.replace(
        "entity Order {\n  id bigint = identity primary",
        "entity Order {\n  id bigint = identity always primary",
    );
    assert_ne!(after, ORDERS);
    let mut s = Scenario::new("identity_always", ORDERS, ORDER_ROWS, &after);
    assert_eq!(s.plan.steps.len(), 1, "one step: {:?}", s.plan.steps.iter().map(|x| &x.summary).collect::<Vec<_>>());
    assert!(s.plan.steps[0].up.iter().any(|sql| sql.contains("SET GENERATED ALWAYS")));
    let before = s.relfilenode("order");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.relfilenode("order"), before, "no rewrite");
    assert_eq!(s.scalar("SELECT count(*) FROM \"order\""), "2000");
    let refused =
        s.db.client.batch_execute("INSERT INTO \"order\" (id, total, customer_id, code) VALUES (99999, 1, 1, 'x')");
    assert!(refused.is_err(), "GENERATED ALWAYS refuses an explicit id");
}
