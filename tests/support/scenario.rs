//! A migration scenario on the real server: `before` built into a fresh
//! database holding rows, a plan to `after`, the plan applied with
//! `migrate::apply`, then the catalog compared with what `after` lowers to.

use schemac::backends::postgres::compare::compare;
use schemac::backends::postgres::{Catalog, Options};
use schemac::migrate::{self, apply, plan::Timeouts, script, Plan};
use schemac::semantic::ir::Ir;

use super::pg::TestDb;

/// A source built as `schemac build` would, starting from `previous`.
pub fn build(text: &str, previous: Option<&Ir>) -> (Ir, Catalog, String) {
    super::build_state("scenario.schema", text, previous)
}

pub struct Scenario {
    pub db: TestDb,
    pub before: Ir,
    pub after: Ir,
    pub expected: Catalog,
    pub plan: Plan,
}

impl Scenario {
    /// Creates `before` in a fresh database, runs `rows`, plans to `after`.
    pub fn new(label: &str, before: &str, rows: &str, after: &str) -> Scenario {
        Scenario::with_options(label, before, rows, after, &Default::default())
    }

    /// [`Scenario::new`] planned with the given PostgreSQL settings.
    pub fn with_options(label: &str, before: &str, rows: &str, after: &str, options: &Options) -> Scenario {
        let (before_ir, _, sql) = build(before, None);
        let (after_ir, expected, _) = build(after, Some(&before_ir));
        let mut db = TestDb::new(label);
        db.apply(&sql);
        db.apply(rows);
        let plan = migrate::plan(&before_ir, &after_ir, options);
        Scenario { db, before: before_ir, after: after_ir, expected, plan }
    }

    pub fn stored(&self) -> script::StoredPlan {
        script::stored("m", &self.plan, &Timeouts::default())
    }

    /// The plan as a reviewer reads it, for the snapshot.
    pub fn readable(&self) -> String {
        let stored = self.stored();
        let mut out = String::new();
        for (i, step) in stored.steps.iter().enumerate() {
            out.push_str(&format!(
                "{}. {} [{}; {}{}{}{}]\n",
                i + 1,
                step.summary,
                step.phase,
                step.lock,
                if step.rewrite { "; rewrite" } else { "" },
                if step.transactional { "" } else { "; not in a transaction" },
                if step.down.is_none() { "; irreversible" } else { "" },
            ));
            for h in &step.hazards {
                out.push_str(&format!("   {h}\n"));
            }
        }
        out.push_str("\n--- up.sql\n");
        out.push_str(&script::up_sql(&stored));
        out
    }

    pub fn migrate(&mut self) {
        let stored = self.stored();
        if let Err(e) = apply::apply(&mut self.db.client, "public", &[stored]) {
            panic!("the plan failed: {e}\n{}", self.readable());
        }
    }

    /// The database now equals what the new state lowers to.
    pub fn assert_matches_after(&mut self) {
        let mut actual = self.db.catalog("public");
        actual.tables.retain(|t| t.name != apply::JOURNAL);
        let differences = compare(&self.expected, &actual);
        assert!(
            differences.is_empty(),
            "after the plan the catalog differs from the new state:\n{}\n\n{}",
            differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            self.readable()
        );
    }

    /// [`Scenario::assert_matches_after`], except for the order of the
    /// columns of `table`: a column made through a shadow column
    /// (`column_changes = "with_shadow"`) is added, so it ends up last. The
    /// order must be the expected one with `moved` taken out and put last
    /// (in the order given).
    pub fn assert_matches_after_with_columns_last(&mut self, table: &str, moved: &[&str]) {
        let mut actual = self.db.catalog("public");
        actual.tables.retain(|t| t.name != apply::JOURNAL);
        assert_same_but_columns_last(&self.expected, &actual, table, moved, &self.readable());
    }

    pub fn scalar(&mut self, sql: &str) -> String {
        self.db.client.query_one(&format!("SELECT ({sql})::text"), &[]).unwrap().get(0)
    }

    pub fn relfilenode(&mut self, table: &str) -> String {
        self.scalar(&format!("SELECT relfilenode FROM pg_class WHERE oid = 'public.{table}'::regclass"))
    }
}

/// `actual` equals `expected` but for the order of `table`'s columns, where
/// `moved` come last (and the others keep their order).
pub fn assert_same_but_columns_last(expected: &Catalog, actual: &Catalog, table: &str, moved: &[&str], context: &str) {
    let order = format!("column order of table {table}");
    let (reordered, rest): (Vec<_>, Vec<_>) = compare(expected, actual).into_iter().partition(|d| d.object == order);
    assert!(
        rest.is_empty(),
        "the catalog differs from the expected one:\n{}\n\n{context}",
        rest.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
    let columns = |c: &Catalog| -> Vec<String> {
        c.table(table).expect("the table").columns.iter().map(|c| c.name.clone()).collect()
    };
    let mut wanted: Vec<String> = columns(expected).into_iter().filter(|c| !moved.contains(&c.as_str())).collect();
    wanted.extend(moved.iter().map(|m| m.to_string()));
    assert_eq!(columns(actual), wanted, "only {moved:?} moved, to the end");
    assert!(reordered.len() <= 1);
}

pub fn snapshot(name: &str, scenario: &Scenario) {
    insta::with_settings!({ snapshot_path => "../snapshots/migrate", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, scenario.readable());
    });
}
