//! Applying and removing each standard pattern on a table that already holds
//! rows, planned and applied on the real server like any other migration:
//! the plan is snapshotted, applied, the catalog must equal the new state,
//! the rows must still be there, and the behaviour must work (or be gone).
//! Removing a pattern that keeps history or guards rows carries the hazards
//! that make `schemac plan` ask for consent.

mod support;

use support::scenario::{snapshot, Scenario};

const HEAD: &str = "use std::patterns::{timestamps, soft_delete, audit, temporal, tenant_scoped, versioned}\n\
context {\n  tenant_id uuid\n  user_id uuid?\n}\n\
entity Tenant {\n  id uuid = uuid_v4() primary\n  name text\n}\n";

/// The account entity with `apply` lines (none when empty).
fn accounts(apply: &str) -> String {
    let apply = if apply.is_empty() { String::new() } else { format!("  apply {apply}\n") };
    format!("{HEAD}entity Account {{\n  id bigint = identity primary\n  email text unique\n  name text\n{apply}}}\n")
}

const ROWS: &str =
    "INSERT INTO account (email, name) SELECT 'a' || g || '@x.org', 'n' || g FROM generate_series(1, 500) g;";

fn count(s: &mut Scenario, sql: &str) -> i64 {
    s.db.client.query_one(sql, &[]).unwrap().get(0)
}

fn codes(s: &Scenario) -> Vec<String> {
    let mut codes: Vec<String> = s.plan.hazards().map(|h| h.code.0.to_string()).collect();
    codes.sort();
    codes.dedup();
    codes
}

#[test]
fn timestamps_on_and_off_an_existing_table() {
    let mut s = Scenario::new("timestamps_on", &accounts(""), ROWS, &accounts("timestamps"));
    snapshot("pattern_timestamps_on", &s);
    assert!(s.plan.steps.iter().all(|step| !step.rewrite), "now() is one value per statement: no rewrite");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(count(&mut s, "SELECT count(*) FROM account WHERE created_at IS NOT NULL"), 500);
    s.db.client.batch_execute("UPDATE account SET updated_at = '2000-01-01' WHERE id = 1").unwrap();
    assert_eq!(count(&mut s, "SELECT count(*) FROM account WHERE id = 1 AND updated_at > '2001-01-01'"), 1);

    let mut off = Scenario::new("timestamps_off", &accounts("timestamps"), ROWS, &accounts(""));
    snapshot("pattern_timestamps_off", &off);
    assert_eq!(codes(&off), ["H0002", "H0010"], "columns dropped, triggers removed");
    off.migrate();
    off.assert_matches_after();
    assert_eq!(count(&mut off, "SELECT count(*) FROM account"), 500);
}

#[test]
fn soft_delete_on_turns_the_unique_into_a_partial_index_without_a_gap() {
    let mut s = Scenario::new("soft_delete_on", &accounts(""), ROWS, &accounts("soft_delete"));
    snapshot("pattern_soft_delete_on", &s);
    s.migrate();
    s.assert_matches_after();
    let deleted = s.db.client.execute("DELETE FROM account WHERE id = 7", &[]).unwrap();
    assert_eq!(deleted, 0, "the delete became a mark");
    assert_eq!(count(&mut s, "SELECT count(*) FROM account WHERE deleted_at IS NOT NULL"), 1);
    assert_eq!(count(&mut s, "SELECT count(*) FROM account_live"), 499);
    s.db.client.batch_execute("INSERT INTO account (email, name) VALUES ('a7@x.org', 'again')").unwrap();
    let again = s.db.client.batch_execute("INSERT INTO account (email, name) VALUES ('a8@x.org', 'twice')");
    assert!(again.is_err(), "live rows are still unique");

    let mut off = Scenario::new(
        "soft_delete_off",
        &accounts("soft_delete"),
        &format!("{ROWS}\nDELETE FROM account WHERE id <= 10;"),
        &accounts(""),
    );
    snapshot("pattern_soft_delete_off", &off);
    assert_eq!(codes(&off), ["H0002", "H0004", "H0010"], "marks dropped, unique over every row, trigger gone");
    off.migrate();
    off.assert_matches_after();
    assert_eq!(count(&mut off, "SELECT count(*) FROM account"), 500, "marked rows become ordinary rows");
}

#[test]
fn audit_on_and_off() {
    let mut s = Scenario::new("audit_on", &accounts(""), ROWS, &accounts("audit"));
    snapshot("pattern_audit_on", &s);
    s.migrate();
    s.assert_matches_after();
    s.db.client.batch_execute("UPDATE account SET name = 'x' WHERE id <= 3").unwrap();
    assert_eq!(count(&mut s, "SELECT count(*) FROM audit_log WHERE op = 'UPDATE'"), 3);

    let mut off = Scenario::new("audit_off", &accounts("audit"), ROWS, &accounts(""));
    snapshot("pattern_audit_off", &off);
    assert_eq!(codes(&off), ["H0001", "H0010"], "the log is dropped, the trigger removed");
    off.migrate();
    off.assert_matches_after();
}

#[test]
fn temporal_on_starts_history_now_and_off_drops_it_with_consent() {
    let mut s = Scenario::new("temporal_on", &accounts(""), ROWS, &accounts("temporal"));
    snapshot("pattern_temporal_on", &s);
    assert!(s.plan.steps.iter().all(|step| !step.rewrite));
    s.migrate();
    s.assert_matches_after();
    s.db.client.batch_execute("UPDATE account SET name = 'renamed' WHERE id = 1").unwrap();
    assert_eq!(count(&mut s, "SELECT count(*) FROM account_history"), 1);

    let mut off = Scenario::new(
        "temporal_off",
        &accounts("temporal"),
        &format!("{ROWS}\nUPDATE account SET name = 'v2' WHERE id <= 5;"),
        &accounts(""),
    );
    snapshot("pattern_temporal_off", &off);
    assert_eq!(codes(&off), ["H0001", "H0002", "H0010"], "history dropped, valid_from dropped, triggers removed");
    off.migrate();
    off.assert_matches_after();
    assert_eq!(count(&mut off, "SELECT count(*) FROM account"), 500);
}

#[test]
fn versioned_on_and_off() {
    let mut s = Scenario::new("versioned_on", &accounts(""), ROWS, &accounts("versioned"));
    snapshot("pattern_versioned_on", &s);
    s.migrate();
    s.assert_matches_after();
    assert_eq!(s.db.client.execute("UPDATE account SET name = 'x', version = 1 WHERE id = 1", &[]).unwrap(), 1);
    assert_eq!(s.db.client.execute("UPDATE account SET name = 'y', version = 1 WHERE id = 1", &[]).unwrap(), 0);

    let mut off = Scenario::new("versioned_off", &accounts("versioned"), ROWS, &accounts(""));
    assert_eq!(codes(&off), ["H0002", "H0010"]);
    off.migrate();
    off.assert_matches_after();
}

#[test]
fn tenant_scoped_on_an_empty_table_and_off_a_populated_one() {
    let mut s = Scenario::new("tenant_on", &accounts(""), "", &accounts("tenant_scoped"));
    snapshot("pattern_tenant_scoped_on", &s);
    let order: Vec<&str> = s.plan.steps.iter().map(|step| step.summary.as_str()).collect();
    let policy = order.iter().position(|o| o.starts_with("create policy")).expect("a policy step");
    let rls = order.iter().position(|o| o.starts_with("turn on and force row-level security")).expect("an RLS step");
    assert!(policy < rls, "the policy exists before row-level security hides rows: {order:?}");
    s.migrate();
    s.assert_matches_after();

    let rows = "INSERT INTO tenant (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 't');\n\
                INSERT INTO account (email, name, tenant_id) SELECT 'a' || g, 'n', '00000000-0000-0000-0000-000000000001' \
                FROM generate_series(1, 100) g;";
    let mut off = Scenario::new("tenant_off", &accounts("tenant_scoped"), rows, &accounts(""));
    snapshot("pattern_tenant_scoped_off", &off);
    let found = codes(&off);
    for code in ["H0002", "H0011"] {
        assert!(found.contains(&code.to_string()), "{code} in {found:?}");
    }
    off.migrate();
    off.assert_matches_after();
    assert_eq!(count(&mut off, "SELECT count(*) FROM account"), 100);
}

#[test]
fn renaming_an_entity_and_a_field_carries_every_pattern_object_and_its_history() {
    let before = accounts("timestamps, soft_delete, audit, temporal, versioned");
    let after = format!(
        "{HEAD}entity Member {{\n  id bigint = identity primary\n  email text unique\n  full_name text renamed_from name\n  \
         renamed_from Account\n  apply timestamps, soft_delete, audit, temporal, versioned\n}}\n"
    );
    // Rows that began a day ago, so the update (in the same transaction) files a version.
    let rows = "INSERT INTO account (email, name, valid_from) \
                SELECT 'a' || g || '@x.org', 'n' || g, now() - interval '1 day' FROM generate_series(1, 500) g;\n\
                UPDATE account SET name = 'v2' WHERE id <= 5;";
    let mut s = Scenario::new("rename_patterns", &before, rows, &after);
    snapshot("pattern_objects_follow_a_rename", &s);
    assert!(
        s.plan.hazards().all(|h| h.code.0 == "H0005"),
        "only the renames' own hazard: nothing is dropped, no trigger removed"
    );
    s.migrate();
    s.assert_matches_after();
    assert_eq!(count(&mut s, "SELECT count(*) FROM member_history WHERE full_name = 'n1'"), 1, "history kept");
    s.db.client.batch_execute("UPDATE member SET full_name = 'v3' WHERE id = 1").unwrap();
    assert_eq!(count(&mut s, "SELECT count(*) FROM member_history WHERE id = 1"), 2, "versions still filed");
    assert_eq!(s.db.client.execute("DELETE FROM member WHERE id = 2", &[]).unwrap(), 0, "still soft-deletes");
    assert_eq!(count(&mut s, "SELECT count(*) FROM member_live"), 499);
    assert_eq!(count(&mut s, "SELECT count(*) FROM audit_log WHERE table_name = 'member'"), 2, "audited as member");
}
