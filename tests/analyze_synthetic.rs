//! The synthetic data of `schemac analyze`, loaded on the real server: the
//! DDL of a schema is applied with every constraint on, the generator's
//! steps run without an error, every entity table gets (nearly) the rows
//! planned, references hold and are filled, and the distributions the index
//! advisor predicts from are there (every enum label, times within the
//! entity's span, one row in ten soft-deleted). Runs on the bundled
//! examples, a generated schema of 100 entities, a hand-written schema with
//! the patterns, domains, checks, partitions and relation kinds the
//! generator treats specially, and one of edge cases (cycles, one-to-one and
//! many-to-many self-references, composite keys, arrays of domains).

mod support;

#[path = "../benches/synthetic.rs"]
mod generated_schema;

use std::path::Path;
use std::time::Instant;

use schemac::backends::postgres::{quote, Catalog};
use schemac::driver::{self, Input};
use schemac::performance::synthetic::{self, Loaded, Plan, StepKind};
use schemac::pipeline;
use schemac::semantic::ir::{Expr, Ir, Type};
use support::pg::{describe, TestDb};

/// A schema built, applied, and filled at a scale.
struct Filled {
    db: TestDb,
    ir: Ir,
    catalog: Catalog,
    plan: Plan,
    loaded: Vec<Loaded>,
}

impl Filled {
    fn count(&mut self, sql: &str) -> i64 {
        self.db.client.query_one(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {}", describe(&e, sql))).get(0)
    }

    fn table(&self, entity: &str) -> String {
        let entity = self.ir.entity(entity).unwrap_or_else(|| panic!("no entity {entity}"));
        quote::qualified(&self.catalog.schema, &entity.table)
    }
}

fn build(inputs: &[Input]) -> (Ir, Catalog, String) {
    let mut compilation = driver::compile(inputs);
    assert!(!compilation.has_errors(), "the source does not compile: {:#?}", compilation.diagnostics);
    let output = pipeline::build(&mut compilation, &pipeline::Options::default());
    let errors: Vec<_> = output.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the backend reports errors: {errors:#?}");
    let sql = output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact");
    (compilation.ir, output.postgres.expect("postgres catalog"), sql.contents.clone())
}

fn example(name: &str) -> Vec<Input> {
    support::example_inputs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name))
}

/// Compiles, applies, plans (twice: the plans must be equal) and loads;
/// then checks what holds for every schema.
fn fill(label: &str, inputs: &[Input], scale: f64) -> Filled {
    let started = Instant::now();
    let (ir, catalog, sql) = build(inputs);
    let mut db = TestDb::new(label);
    db.apply(&sql);
    let plan = synthetic::plan(&ir, &catalog, scale);
    assert_eq!(plan, synthetic::plan(&ir, &catalog, scale), "the plan is not deterministic");
    let loaded = match synthetic::load(&mut db.client, &plan.steps) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{e}\n{}", describe(&e.error, &e.step.sql)),
    };
    let mut filled = Filled { db, ir, catalog, plan, loaded };
    every_table_is_filled(&filled);
    references_are_filled(&mut filled);
    enums_take_every_label(&mut filled);
    times_lie_within_the_span(&mut filled);
    eprintln!("{label}: {} steps in {:?}", filled.plan.steps.len(), started.elapsed());
    filled
}

fn every_table_is_filled(filled: &Filled) {
    let notes = &filled.plan.notes;
    assert!(!notes.iter().any(|n| n.contains("left empty") || n.contains("default partition")), "{notes:#?}");
    for entity in &filled.ir.entities {
        let planned = filled.plan.rows[&entity.table];
        let loaded = filled.loaded.iter().find(|l| l.table == entity.table);
        let loaded = loaded.unwrap_or_else(|| panic!("`{}` was not loaded", entity.name));
        assert!(planned > 0 && loaded.inserted > 0, "`{}` is empty: {loaded:?}", entity.name);
        assert!(!loaded.short(), "`{}` got fewer than 90% of its rows: {loaded:?}", entity.name);
    }
}

/// Every reference column has values (optional ones too, and each target
/// of a polymorphic reference).
fn references_are_filled(filled: &mut Filled) {
    let mut queries = Vec::new();
    for entity in &filled.ir.entities {
        for fk in &entity.foreign_keys {
            for column in &fk.columns {
                let column = entity.field(column).map_or(column.as_str(), |f| f.column.as_str());
                queries.push((
                    format!("{}.{column}", entity.name),
                    format!("SELECT count({}) FROM {}", quote::ident(column), filled.table(&entity.name)),
                ));
            }
        }
    }
    for (what, sql) in queries {
        assert!(filled.count(&sql) > 0, "{what} is NULL on every row");
    }
}

fn enum_labels<'i>(ir: &'i Ir, ty: &Type) -> Option<&'i [String]> {
    match ty {
        Type::Enum { name } => ir.enums.iter().find(|e| &e.name == name).map(|e| e.values.as_slice()),
        Type::Domain { name } => {
            let domain = ir.domains.iter().find(|d| &d.name == name)?;
            enum_labels(ir, &domain.base)
        }
        _ => None,
    }
}

/// Enum columns of tables with enough rows (20 per label) have every label,
/// but those a check narrows to a list.
fn enums_take_every_label(filled: &mut Filled) {
    let mut queries = Vec::new();
    for entity in &filled.ir.entities {
        let rows = filled.loaded.iter().find(|l| l.table == entity.table).map_or(0, |l| l.inserted);
        let mut listed = Vec::new();
        for check in &entity.checks {
            check.expr.visit(&mut |e| {
                if let Expr::InList { expr, .. } = e {
                    if let Expr::Column { name } = expr.as_ref() {
                        listed.push(name.clone());
                    }
                }
            });
        }
        for field in entity.fields.iter().filter(|f| !listed.contains(&f.name)) {
            let Some(labels) = enum_labels(&filled.ir, &field.ty) else { continue };
            if rows < 20 * labels.len() as u64 {
                continue;
            }
            queries.push((
                format!("{}.{}", entity.name, field.name),
                labels.len() as i64,
                format!(
                    "SELECT count(DISTINCT {}) FROM {}",
                    quote::ident(&field.column),
                    quote::qualified(&filled.catalog.schema, &entity.table)
                ),
            ));
        }
    }
    for (what, labels, sql) in queries {
        assert_eq!(filled.count(&sql), labels, "{what} misses labels");
    }
}

/// Time columns lie within `[now − span, now]`.
fn times_lie_within_the_span(filled: &mut Filled) {
    let mut queries = Vec::new();
    for entity in &filled.ir.entities {
        let span = synthetic::span_days(entity);
        for field in entity.fields.iter().filter(|f| f.pii.is_none()) {
            let base = match &field.ty {
                Type::Domain { name } => filled.ir.domains.iter().find(|d| &d.name == name).map(|d| d.base.clone()),
                ty => Some(ty.clone()),
            };
            let (low, high) = match base {
                Some(Type::Timestamptz { .. }) => ("now()", "now()"),
                Some(Type::Timestamp { .. }) => ("localtimestamp", "localtimestamp"),
                Some(Type::Date) => ("current_date", "current_date"),
                _ => continue,
            };
            let column = quote::ident(&field.column);
            queries.push((
                format!("{}.{}", entity.name, field.name),
                format!(
                    "SELECT count(*) FROM {} WHERE {column} < {low} - interval '{} days' OR {column} > {high}",
                    quote::qualified(&filled.catalog.schema, &entity.table),
                    span + 1
                ),
            ));
        }
    }
    for (what, sql) in queries {
        assert_eq!(filled.count(&sql), 0, "{what} lies outside its span: {sql}");
    }
}

#[test]
fn saas_example_loads_with_every_constraint_on() {
    let mut f = fill("syn_saas", &example("saas"), 0.0002);
    // Soft delete marks one row in ten.
    let users = f.table("User");
    let share = f.count(&format!("SELECT 100 * count(deleted_at) / count(*) FROM {users}"));
    assert!((4..=16).contains(&share), "{share}% of users are deleted");
    // A one-to-one reference takes distinct parents.
    let profiles = f.table("Profile");
    assert_eq!(
        f.count(&format!("SELECT count(*) - count(DISTINCT user_id) FROM {profiles}")),
        0,
        "two profiles share a user"
    );
    // The comments of a post are of the post's tenant, and spread over the posts.
    let (comments, posts) = (f.table("Comment"), f.table("Post"));
    assert_eq!(
        f.count(&format!(
            "SELECT count(*) FROM {comments} c JOIN {posts} p ON p.id = c.post_id WHERE p.tenant_id <> c.tenant_id"
        )),
        0
    );
    let used = f.count(&format!("SELECT count(DISTINCT post_id) FROM {comments}"));
    let all = f.count(&format!("SELECT count(*) FROM {posts}"));
    assert!(used * 10 >= all * 8, "only {used} of {all} posts have comments");
    // The audit log was written by the triggers; the history is left empty.
    assert!(f.count("SELECT count(*) FROM public.audit_log") > 0);
    assert_eq!(f.count("SELECT count(*) FROM public.post_history"), 0);
}

#[test]
fn ecommerce_example_loads_with_every_constraint_on() {
    let mut f = fill("syn_ecommerce", &example("ecommerce"), 0.0001);
    // The order events spread over the past months, each in its own partition.
    let events = f.table("OrderEvent");
    assert_eq!(f.count("SELECT count(*) FROM public.order_event_default"), 0, "rows fell in the default partition");
    let months = f.count(&format!("SELECT count(DISTINCT date_trunc('month', occurred_at)) FROM {events}"));
    assert!(months >= 12, "order events cover {months} months");
    // Pair keys take distinct pairs.
    let items = f.table("OrderItem");
    let planned = f.plan.rows["order_item"] as i64;
    assert!(f.count(&format!("SELECT count(*) FROM {items}")) * 10 >= planned * 9);
    // Values of the width the storage estimate assumes.
    let customers = f.table("Customer");
    assert_eq!(f.count(&format!("SELECT round(avg(length(full_name)))::bigint FROM {customers}")), 24);
    assert_eq!(f.count(&format!("SELECT round(avg(pg_column_size(details)))::bigint FROM {events}")), 164);
}

#[test]
fn generated_schema_of_100_entities_loads() {
    let inputs: Vec<Input> = generated_schema::project(100)
        .into_iter()
        .map(|(name, text)| Input { name, bytes: text.into_bytes() })
        .collect();
    let mut f = fill("syn_bench", &inputs, 0.005);
    let sizes = f.count("SELECT count(*) FROM public.entity99");
    assert_eq!(sizes, 500);
}

const HAND_WRITTEN: &str = r#"
use std::patterns::{timestamps, soft_delete, audit, temporal, tenant_scoped}
use std::types::{slug, money, percent, country_code, url, phone, email}

enum Status { draft, active, archived }

/// A stock keeping unit: three letters, a dash, digits.
type sku = varchar(16) check (value ~ '^[A-Z]{3}-[0-9]{4,8}$')
type quantity = int check (value > 0)

entity Tenant {
  id   uuid = uuid_v7() primary
  name text check (length(name) between 1 and 120)
  slug slug unique
  apply timestamps
  volume 50 rows
}

entity Category {
  id   bigint = identity primary
  name text check (length(name) between 1 and 200)
  apply timestamps, soft_delete, audit, tenant_scoped
  volume 2k rows, grows 10/day
}

relation Category.parent -> Category.children {
  on delete set null
}

entity Product {
  id          uuid = uuid_v7() primary
  sku         sku unique
  name        text check (length(name) between 1 and 200)
  price       money check (price >= 0)
  discount    percent?
  status      Status = draft
  country     country_code
  site        url?
  phone       phone?
  contact     email?
  weight      real?
  ratio       double?
  tags        text[] = []
  sizes       int[] = []
  attributes  json = {}
  picture     bytes?
  opens       time?
  lead_time   interval?
  launched_on date?
  check (status != archived or launched_on is not null)
  apply timestamps, temporal, tenant_scoped
  volume 5k rows, grows 20/day
}

relation Product.category -> Category.products {
  required
}

entity Sale {
  id     bigint = identity
  at     timestamptz = now()
  qty    quantity
  amount money check (amount > 0)
  check (qty > 0)
  primary (id, at)
  partition by range (at) every 1 month
  apply tenant_scoped
  volume 20k rows, grows 100/day
}

relation Sale.product -> Product.sales {
  required
}

entity Manual {
  id   uuid = uuid_v7() primary
  body text
  apply tenant_scoped
}

relation Manual.product -- Product.manual {
  required
  on delete cascade
}

entity Tag {
  code  varchar(32) primary
  label text
}

relation Product.labels <-> Tag.products
"#;

#[test]
fn hand_written_schema_with_every_special_case_loads() {
    let inputs = [Input { name: "shop.schema".into(), bytes: HAND_WRITTEN.as_bytes().to_vec() }];
    let mut f = fill("syn_hand", &inputs, 0.1);
    let categories = f.table("Category");
    // A forest within each tenant: roots, and children of earlier rows.
    let linked = f.count(&format!("SELECT count(parent_id) FROM {categories}"));
    let roots = f.count(&format!("SELECT count(*) FROM {categories} WHERE parent_id IS NULL"));
    assert!(linked > 0 && roots > 0 && roots <= 5, "{linked} linked, {roots} roots");
    assert_eq!(
        f.count(&format!(
            "SELECT count(*) FROM {categories} c JOIN {categories} p ON p.id = c.parent_id \
             WHERE p.tenant_id <> c.tenant_id OR p.id = c.id"
        )),
        0
    );
    // Filling the parents after the insert changed no time and wrote no audit row.
    assert_eq!(
        f.count(&format!("SELECT count(*) FROM {categories} WHERE updated_at > now() - interval '1 minute'")),
        0
    );
    let inserted = f.plan.rows["category"] as i64;
    assert_eq!(f.count("SELECT count(*) FROM public.audit_log WHERE table_name = 'category'"), inserted);
    assert_eq!(f.count("SELECT count(*) FROM public.product_history"), 0);
    // One manual per product at most; the pairs of the junction are distinct.
    let manuals = f.table("Manual");
    assert_eq!(f.count(&format!("SELECT count(*) - count(DISTINCT product_id) FROM {manuals}")), 0);
    // Partitions were made for the past: nothing fell in the default one.
    assert_eq!(f.count("SELECT count(*) FROM public.sale_default"), 0);
    assert!(f.count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.sale'::regclass") >= 10);
    // Distributions: half the booleans, distinct text of the assumed width, checks honoured.
    let products = f.table("Product");
    assert_eq!(f.count(&format!("SELECT round(avg(length(name)))::bigint FROM {products}")), 24);
    assert_eq!(f.count(&format!("SELECT count(*) - count(DISTINCT name) FROM {products}")), 0);
    assert_eq!(f.count(&format!("SELECT count(*) - count(DISTINCT sku) FROM {products}")), 0);
    assert_eq!(f.count(&format!("SELECT count(*) FROM {products} WHERE discount < 0 OR discount > 100")), 0);
    assert_eq!(f.count(&format!("SELECT min(cardinality(tags))::bigint FROM {products}")), 4);
    let sales = f.table("Sale");
    assert_eq!(f.count(&format!("SELECT count(*) FROM {sales} WHERE qty <= 0 OR amount <= 0")), 0);
    let tags = f.count("SELECT count(*) FROM public.product_tag");
    assert!(tags >= 90, "{tags} product tags");
    assert!(f.plan.steps.iter().any(|s| s.kind == StepKind::Link && s.table == "category"));
}

/// Cycles, self-references (one-to-one, many-to-many), composite keys,
/// hash, list and daily partitions, arrays of enums, domains and arrays,
/// a regular expression with groups, a tenant key that references nothing,
/// an optional polymorphic reference, a table of an identity column only.
const EDGE_CASES: &str = r#"
use std::patterns::{timestamps, soft_delete, tenant_scoped, versioned}
use std::types::{email}

enum Kind { a, b, c }

type code = text check (value ~ '^(foo|bar)-[0-9]+(\.[a-z]{2})?$')

context {
  tenant_id uuid
}

pattern own_tenant {
  tenant_id uuid
  behaviour tenant_isolation(tenant_id)
}

entity Tenant {
  id uuid = uuid_v7() primary
  volume 1k rows
}

entity Alpha {
  id         bigint = identity primary
  value      int check (value < 0)
  g          text
  kinds      Kind[]
  mails      email[]
  grid       int[][]
  c          code
  plain      numeric
  small      numeric(3)
  tiny       smallint unique check (tiny between 1 and 30000)
  starts_at  timestamptz
  ends_at    timestamptz
  check (starts_at < ends_at)
  apply versioned
}

entity Beta {
  id uuid = uuid_v7() primary
  apply timestamps
}

relation Alpha.beta -> Beta.alphas
relation Beta.alpha -> Alpha.betas { required }

entity Employee {
  id   bigint = identity primary
  name text
  apply tenant_scoped
}
relation Employee.mentor -- Employee.mentee
relation Employee.boss -> Employee.staff

entity Account {
  id uuid = uuid_v7() primary
  apply tenant_scoped
}
relation Account.follows <-> Account.followers {
  through Follow {
    apply tenant_scoped
  }
}

entity Only {
  id bigint = identity primary
}

entity Line {
  order_no int
  line_no  int
  primary (order_no, line_no)
}

entity LineNote {
  id   bigint = identity primary
  body text
}
relation LineNote.line -> Line.notes { required }

entity Daily {
  id   bigint = identity
  at   date
  kind Kind
  primary (id, at)
  partition by range (at) every 1 day
  volume 20k rows, grows 500/day
}

entity Hashed {
  id   bigint = identity
  site int
  primary (id, site)
  partition by hash (site) into 4 partitions
}

entity Listed {
  id   bigint = identity
  kind Kind
  primary (id, kind)
  partition by list (kind)
}

entity Doc {
  id   uuid = uuid_v7() primary
  body text
  apply own_tenant
}
relation Doc.parent -> Doc.children

entity Note {
  id   bigint = identity primary
  text text
  apply soft_delete
}
relation Note.target -> Alpha.notes | Beta.notes | Account.notes
"#;

#[test]
fn edge_cases_load() {
    let inputs = [Input { name: "edge.schema".into(), bytes: EDGE_CASES.as_bytes().to_vec() }];
    let mut f = fill("syn_edge", &inputs, 0.01);
    // The cycle Alpha.beta / Beta.alpha: the optional side filled afterwards.
    let alphas = f.table("Alpha");
    assert!(f.count(&format!("SELECT count(beta_id) FROM {alphas}")) > 50);
    // A one-to-one self-reference: distinct mentors, within the tenant.
    let employees = f.table("Employee");
    assert_eq!(f.count(&format!("SELECT count(mentor_id) - count(DISTINCT mentor_id) FROM {employees}")), 0);
    assert_eq!(
        f.count(&format!(
            "SELECT count(*) FROM {employees} e JOIN {employees} m ON m.id = e.mentor_id OR m.id = e.boss_id \
             WHERE m.tenant_id <> e.tenant_id"
        )),
        0
    );
    // A tenant key that references nothing: a pool of tenants, and children
    // of the row's tenant.
    let docs = f.table("Doc");
    let tenants = f.count(&format!("SELECT count(DISTINCT tenant_id) FROM {docs}"));
    assert!((20..=100).contains(&tenants), "{tenants} tenants");
    assert_eq!(
        f.count(&format!(
            "SELECT count(*) FROM {docs} d JOIN {docs} p ON p.id = d.parent_id WHERE p.tenant_id <> d.tenant_id"
        )),
        0
    );
    // Values built from the regular expression and the domain of each element.
    assert_eq!(f.count(&format!("SELECT count(*) FROM {alphas} WHERE c !~ '^foo-'")), 0);
    assert_eq!(f.count(&format!("SELECT min(cardinality(mails))::bigint FROM {alphas}")), 4);
    assert_eq!(f.count(&format!("SELECT count(*) FROM {alphas} WHERE value >= 0")), 0);
    // Daily partitions over the 40 days of the span.
    assert_eq!(f.count("SELECT count(*) FROM public.daily_default"), 0);
    assert!(f.count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.daily'::regclass") >= 40);
}

#[test]
fn rental_example_loads_with_every_constraint_on() {
    let mut f = fill("syn_rental", &example("rental"), 0.001);
    // One category at this scale: a film has at most one, so the junction is capped.
    assert_eq!(f.plan.rows["film_category"], f.plan.rows["film"]);
    let payments = f.table("Payment");
    assert_eq!(f.count("SELECT count(*) FROM public.payment_default"), 0, "rows fell in the default partition");
    assert!(f.count(&format!("SELECT count(DISTINCT date_trunc('month', payment_date)) FROM {payments}")) >= 20);
}
