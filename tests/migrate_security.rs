//! Roles, privileges and policies through migrations on the real server:
//! a grant added or revoked is planned and applied, a changed policy is one
//! step, a dropped policy carries H0011, and objects a plan makes again (a
//! live view whose columns change) get their privileges back. After each
//! plan the catalog equals the new state, and a session as the role sees
//! what the new state says.
//!
//! Roles belong to the cluster: the ones named here are made when missing
//! and left in place, like schemac leaves them.

mod support;

use support::scenario::{snapshot, Scenario};

const NOTE: &str = "role mig_reader\nrole mig_writer\n\n\
entity Note {\n  id    bigint = identity primary\n  owner text\n  body  text\n  secret bool = false\n}\n";

fn as_role(s: &mut Scenario, role: &str, sql: &str) -> Result<i64, postgres::Error> {
    let mut tx = s.db.client.transaction().unwrap();
    tx.batch_execute(&format!("SET LOCAL ROLE {role}")).unwrap();
    let count = tx.query_one(sql, &[]).map(|r| r.get::<_, i64>(0));
    tx.rollback().unwrap();
    count
}

fn denied(result: Result<i64, postgres::Error>) -> bool {
    matches!(result, Err(e) if e.code().is_some_and(|c| c.code() == "42501"))
}

fn codes(s: &Scenario) -> Vec<String> {
    let mut codes: Vec<String> = s.plan.hazards().map(|h| h.code.0.to_string()).collect();
    codes.sort();
    codes.dedup();
    codes
}

const ROWS: &str =
    "INSERT INTO note (owner, body, secret) VALUES ('ann', 'a', false), ('bob', 'b', true), ('ann', 'c', true);";

#[test]
fn grants_added_then_revoked() {
    let after =
        format!("{NOTE}grant select on Note to mig_reader\ngrant select (id, owner), insert on Note to mig_writer\n");
    let mut s = Scenario::new("grant_add", NOTE, ROWS, &after);
    snapshot("security_grants_added", &s);
    let grant_steps = s.plan.steps.iter().filter(|step| step.summary.starts_with("grant")).count();
    assert_eq!(grant_steps, 1, "privileges are granted in one step");
    assert!(denied(as_role(&mut s, "mig_reader", "SELECT count(*) FROM note")), "not yet granted");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(as_role(&mut s, "mig_reader", "SELECT count(*) FROM note").unwrap(), 3);
    assert_eq!(as_role(&mut s, "mig_writer", "SELECT count(id) FROM note").unwrap(), 3);
    assert!(denied(as_role(&mut s, "mig_writer", "SELECT count(body) FROM note")), "column privileges only");

    let mut back = Scenario::new("grant_revoke", &after, ROWS, NOTE);
    back.migrate();
    back.assert_matches_after();
    assert!(denied(as_role(&mut back, "mig_reader", "SELECT count(*) FROM note")), "revoked");
}

const POLICY_A: &str = "\npolicy readable on Note {\n  to mig_reader\n  for select\n  using (not secret)\n}\n\
grant select on Note to mig_reader\n";

#[test]
fn a_changed_policy_is_one_step_and_a_dropped_one_is_a_hazard() {
    let before = format!("{NOTE}{POLICY_A}");
    let after = before.replace("using (not secret)", "using (owner == 'ann')");
    let mut s = Scenario::new("policy_change", &before, ROWS, &after);
    snapshot("security_policy_changed", &s);
    assert_eq!(s.plan.steps.len(), 1, "one step: drop and create in one transaction");
    assert!(s.plan.hazards().next().is_none(), "replaced, not removed: no hazard");
    assert_eq!(as_role(&mut s, "mig_reader", "SELECT count(*) FROM note").unwrap(), 1, "not secret: one row");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(as_role(&mut s, "mig_reader", "SELECT count(*) FROM note").unwrap(), 2, "ann's: two rows");

    let without = format!("{NOTE}grant select on Note to mig_reader\n");
    let mut gone = Scenario::new("policy_drop", &before, ROWS, &without);
    snapshot("security_policy_dropped", &gone);
    assert_eq!(codes(&gone), ["H0011"], "the policy and row-level security go: access widens");
    gone.migrate();
    gone.assert_matches_after();
    assert_eq!(as_role(&mut gone, "mig_reader", "SELECT count(*) FROM note").unwrap(), 3, "every row now");
}

#[test]
fn a_live_view_made_again_gets_its_privileges_back() {
    let before = "use std::patterns::{soft_delete}\nrole mig_reader\n\n\
                  entity Note {\n  id bigint = identity primary\n  body text\n  apply soft_delete\n}\n\
                  grant select on Note to mig_reader\n";
    let after = before.replace("  body text\n", "  body text\n  title text?\n");
    let mut s = Scenario::new("live_view_grants", before, "INSERT INTO note (body) VALUES ('a'), ('b');", &after);
    assert!(
        s.plan.steps.iter().any(|step| step.summary.starts_with("drop view note_live")),
        "the view's columns change: it is made again"
    );
    s.migrate();
    s.assert_matches_after();
    assert_eq!(as_role(&mut s, "mig_reader", "SELECT count(*) FROM note_live").unwrap(), 2);
}

const NOTE_VIEW: &str = "\nview PublicNote = Note where not secret select (id, owner, body)\n\n\
function note_count() returns bigint language sql stable {\n  sql \"SELECT count(*) FROM note\"\n}\n\
grant select on Note to mig_reader\n";

#[test]
fn grants_on_views_and_functions_added_then_revoked() {
    let before = format!("{NOTE}{NOTE_VIEW}");
    let after = format!(
        "{before}grant select on PublicNote to mig_reader\ngrant select (id) on PublicNote to mig_writer\n\
         grant execute on function note_count to mig_reader\n"
    );
    let mut s = Scenario::new("grant_view_fn", &before, ROWS, &after);
    let grant_steps: Vec<&String> =
        s.plan.steps.iter().map(|step| &step.summary).filter(|summary| summary.starts_with("grant")).collect();
    assert_eq!(grant_steps.len(), 1, "privileges are granted in one step: {grant_steps:?}");
    assert!(denied(as_role(&mut s, "mig_reader", "SELECT count(*) FROM public_note")), "not yet granted");
    s.migrate();
    s.assert_matches_after();
    assert_eq!(as_role(&mut s, "mig_reader", "SELECT count(*) FROM public_note").unwrap(), 1);
    assert_eq!(s.scalar("SELECT has_function_privilege('mig_reader', 'public.note_count()', 'EXECUTE')::text"), "true");
    assert_eq!(
        s.scalar("SELECT has_column_privilege('mig_writer', 'public.public_note', 'id', 'SELECT')::text"),
        "true"
    );
    assert_eq!(
        s.scalar("SELECT has_column_privilege('mig_writer', 'public.public_note', 'body', 'SELECT')::text"),
        "false"
    );
    let acl = s.scalar("SELECT array_to_string(proacl, ',') FROM pg_proc WHERE proname = 'note_count'");
    assert!(acl.contains("mig_reader=X/"), "EXECUTE granted to mig_reader in the catalog: {acl}");

    let mut back = Scenario::new("grant_view_fn_revoke", &after, ROWS, &before);
    let readable = back.readable();
    for revoke in [
        "REVOKE SELECT ON TABLE public.public_note FROM mig_reader",
        "REVOKE SELECT (id) ON TABLE public.public_note FROM mig_writer",
        "REVOKE EXECUTE ON FUNCTION public.note_count() FROM mig_reader",
    ] {
        assert!(readable.contains(revoke), "{revoke} planned:\n{readable}");
    }
    back.migrate();
    back.assert_matches_after();
    assert!(denied(as_role(&mut back, "mig_reader", "SELECT count(*) FROM public_note")), "revoked");
    let acl =
        back.scalar("SELECT coalesce(array_to_string(proacl, ','), '') FROM pg_proc WHERE proname = 'note_count'");
    assert!(!acl.contains("mig_reader"), "EXECUTE revoked from mig_reader: {acl}");
}
