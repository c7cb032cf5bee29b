//! The PostgreSQL backend, proven on the real server: for every construct,
//! the generated schema.sql applies to a fresh database (one per test) with
//! no notice, and the catalog read back from pg_catalog equals the catalog
//! the IR lowers to — tables, columns, types, nullability, defaults,
//! constraints, indexes (`pg_get_indexdef` per key), partitions, comments.
//! Where a construct has behaviour (a check, a cascade, a generated column),
//! rows prove it too. Bad input that PostgreSQL would refuse is a diagnostic.

mod support;

use std::path::Path;

use postgres::Client;
use schemac::backends::postgres::compare::compare;
use schemac::backends::postgres::Catalog;
use schemac::diagnostics::Diagnostic;
use schemac::driver::{self, Compilation, Input};
use schemac::pipeline;
use support::pg::TestDb;

/// A schema built, applied and read back.
struct Proven {
    db: TestDb,
    sql: String,
    expected: Catalog,
    actual: Catalog,
}

impl Proven {
    fn client(&mut self) -> &mut Client {
        &mut self.db.client
    }

    /// Runs a statement that must fail; returns the server's message.
    fn refused(&mut self, sql: &str) -> String {
        match self.db.client.batch_execute(sql) {
            Ok(()) => panic!("PostgreSQL accepted what the schema forbids:\n{sql}"),
            Err(e) => e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_string()),
        }
    }

    fn index_def(&mut self, name: &str) -> String {
        let row = self
            .db
            .client
            .query_one("SELECT pg_get_indexdef(to_regclass($1)::oid)", &[&format!("public.{name}")])
            .unwrap_or_else(|e| panic!("pg_get_indexdef({name}): {e}"));
        let names: Vec<&str> = self.actual.indexes.iter().map(|i| i.name.as_str()).collect();
        row.get::<_, Option<String>>(0).unwrap_or_else(|| panic!("no index {name}; there are {names:?}"))
    }
}

fn built(inputs: &[Input], options: &pipeline::Options) -> (Compilation, pipeline::Output) {
    let mut compilation = driver::compile(inputs);
    let errors: Vec<&Diagnostic> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the source does not compile: {errors:#?}");
    let output = pipeline::build(&mut compilation, options);
    let errors: Vec<&Diagnostic> = output.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the backend reports errors: {errors:#?}");
    (compilation, output)
}

fn prove_inputs(label: &str, inputs: &[Input], options: &pipeline::Options) -> Proven {
    let (_, output) = built(inputs, options);
    let sql =
        output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact").contents.clone();
    let expected = output.postgres.expect("postgres catalog");
    let mut db = TestDb::new(label);
    db.apply(&sql);
    let notices = db.notices();
    assert!(notices.is_empty(), "applying the schema raised notices: {notices:#?}\n{sql}");
    let actual = db.catalog(&expected.schema);
    let differences = compare(&expected, &actual);
    assert!(
        differences.is_empty(),
        "the catalog differs from the IR:\n{}\n\n{sql}",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
    Proven { db, sql, expected, actual }
}

fn prove(label: &str, source: &str) -> Proven {
    let inputs = [Input { name: format!("{label}.schema"), bytes: source.as_bytes().to_vec() }];
    prove_inputs(label, &inputs, &pipeline::Options::default())
}

fn backend_errors(source: &str) -> Vec<Diagnostic> {
    let mut compilation = driver::compile_str("bad.schema", source);
    let mut all = compilation.diagnostics.clone();
    if !compilation.has_errors() {
        all.extend(pipeline::build(&mut compilation, &pipeline::Options::default()).diagnostics);
    }
    all.into_iter().filter(Diagnostic::is_error).collect()
}

fn example(name: &str) -> Vec<Input> {
    support::example_inputs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name))
}

#[test]
fn example_saas_applies_and_matches_its_ir() {
    let mut p = prove_inputs("ex_saas", &example("saas"), &pipeline::Options::default());
    // The junction of User.teams <-> Team.members: composite key, both
    // foreign keys (and its tenant's, from `apply tenant_scoped` in the
    // `through` body), and an index on the second column (the key serves the first).
    let membership = p.actual.table("membership").expect("junction table");
    assert_eq!(membership.primary_key.as_ref().unwrap().columns, ["user_id", "team_id"]);
    let mut targets: Vec<_> =
        p.actual.foreign_keys.iter().filter(|f| f.table == "membership").map(|f| f.references.as_str()).collect();
    targets.sort();
    assert_eq!(targets, ["team", "tenant", "user"]);
    assert!(p.index_def("membership_team_id_idx").ends_with("USING btree (team_id)"));
    // Profile.user -- User.profile: one-to-one is a foreign key plus a unique.
    assert!(p.actual.table("profile").unwrap().uniques.iter().any(|u| u.columns == ["user_id"]));
    // The covering partial index of the example, as PostgreSQL prints it.
    assert_eq!(
        p.index_def("post_author_id_published_at_idx"),
        "CREATE INDEX post_author_id_published_at_idx ON public.post USING btree (author_id, published_at DESC) \
         INCLUDE (title) WHERE published"
    );
}

#[test]
fn example_ecommerce_applies_and_matches_its_ir() {
    let mut p = prove_inputs("ex_ecommerce", &example("ecommerce"), &pipeline::Options::default());
    // Range partitions by month: the current one and three ahead, plus DEFAULT.
    let partitions: i64 = p
        .client()
        .query_one("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.order_event'::regclass", &[])
        .unwrap()
        .get(0);
    assert_eq!(partitions, 5);
    // A generated total, a check on a domain, and an order status enum.
    p.client()
        .batch_execute(
            "INSERT INTO customer (email, full_name, country) VALUES ('a@example.com', 'A', 'DE');
             INSERT INTO \"order\" (number, customer_id, subtotal, shipping) SELECT 'N1', id, 10, 2.5 FROM customer;",
        )
        .unwrap();
    let total: String = p.client().query_one("SELECT total::text FROM \"order\"", &[]).unwrap().get(0);
    assert_eq!(total, "12.5000");
    assert!(p
        .refused("INSERT INTO customer (email, full_name, country) VALUES ('not an email', 'B', 'DE')")
        .contains("email_check"));
    // The order is placed without placed_at: the entity check refuses it.
    assert!(p.refused("UPDATE \"order\" SET status = 'placed'").contains("check"));
}

#[test]
fn every_column_type_identity_generated_and_default() {
    let mut p = prove(
        "types",
        r#"
enum Mood { happy, sad }
type short_code = varchar(8) check (value ~ '^[A-Z]+$')

entity Everything {
  id        bigint = identity primary
  u         uuid = uuid_v4()
  u7        uuid = uuid_v7()
  t         text = 'it''s'
  v         varchar(20)?
  si        smallint = -1
  i         int = 42
  n         numeric(12, 2) = 0.5
  n_any     numeric?
  r         real?
  d         double?
  flag      bool = false
  day       date = current_date()
  at_time   time?
  local_ts  timestamp?
  ts        timestamptz = now()
  span      interval?
  raw       bytes?
  doc       json = { "b": [1, 2], "a": "x" }
  tags      text[] = ["a", "b c"]
  scores    int[]?
  mood      Mood = happy
  moods     Mood[]?
  code      short_code?
  doubled   int = generated(i * 2)
  label     text = generated(lower(t) || '!')
}
"#,
    );
    let table = p.actual.table("everything").unwrap();
    let ty = |c: &str| table.column(c).unwrap().ty.clone();
    assert_eq!(ty("v"), "character varying(20)");
    assert_eq!(ty("n"), "numeric(12,2)");
    assert_eq!(ty("d"), "double precision");
    assert_eq!(ty("doc"), "jsonb");
    assert_eq!(ty("mood"), "public.mood");
    assert_eq!(ty("moods"), "public.mood[]");
    assert_eq!(ty("code"), "public.short_code");
    assert!(table.column("id").unwrap().identity);
    p.client().batch_execute("INSERT INTO everything DEFAULT VALUES").unwrap();
    let row = p
        .client()
        .query_one(
            "SELECT t, si, doubled, label, doc::text, array_to_string(tags, '|'), mood::text, substr(u7::text, 15, 1) FROM everything",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "it's");
    assert_eq!(row.get::<_, i16>(1), -1);
    assert_eq!(row.get::<_, i32>(2), 84);
    assert_eq!(row.get::<_, String>(3), "it's!");
    assert_eq!(row.get::<_, String>(4), r#"{"a": "x", "b": [1, 2]}"#);
    assert_eq!(row.get::<_, String>(5), "a|b c");
    assert_eq!(row.get::<_, String>(6), "happy");
    assert_eq!(row.get::<_, String>(7), "7", "uuid_v7() makes version 7 UUIDs");
    assert!(p.refused("UPDATE everything SET code = 'abc'").contains("short_code_check"));
}

#[test]
fn uuid_v7_is_time_ordered() {
    let mut p = prove("uuidv7", "entity E {\n  id uuid = uuid_v7() primary\n  n int\n}\n");
    // Version 7 orders by millisecond (random bits within one): a pause per row.
    p.client()
        .batch_execute(
            "INSERT INTO e (n) SELECT g FROM generate_series(1, 20) g, LATERAL (SELECT pg_sleep(0.002 + g * 0)) pause",
        )
        .unwrap();
    let sorted: bool = p
        .client()
        .query_one(
            "SELECT bool_and(ordered) FROM (SELECT id >= lag(id, 1, id) OVER (ORDER BY n) AS ordered FROM e) x",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(sorted, "ids made later sort later");
}

#[test]
fn primary_keys_uniques_and_partial_uniques() {
    let mut p = prove(
        "keys",
        "entity Pair {\n  a int\n  b int\n  c text\n  slot int = 0\n  live bool = true\n  primary (a, b)\n  unique (c)\n  \
         unique (b, slot) where live\n}\n",
    );
    let pair = p.actual.table("pair").unwrap();
    assert_eq!(pair.primary_key.as_ref().unwrap().name, "pair_pkey");
    assert_eq!(pair.uniques[0].name, "pair_c_key");
    assert_eq!(
        p.index_def("pair_b_slot_key"),
        "CREATE UNIQUE INDEX pair_b_slot_key ON public.pair USING btree (b, slot) WHERE live"
    );
    let insert = "INSERT INTO pair (a, b, c, live) VALUES";
    p.client().batch_execute(&format!("{insert} (1, 1, 'x', false), (2, 1, 'y', false)")).unwrap();
    p.client().batch_execute(&format!("{insert} (3, 1, 'z', true)")).unwrap();
    assert!(p.refused(&format!("{insert} (1, 1, 'w', true)")).contains("pair_pkey"));
    assert!(p.refused(&format!("{insert} (4, 1, 'x', false)")).contains("pair_c_key"));
    // Partial: a second live (b, slot) pair is refused, a dead one is not.
    p.client().batch_execute(&format!("{insert} (5, 2, 'q', true), (6, 2, 'q2', false)")).unwrap();
    assert!(p.refused("UPDATE pair SET live = true WHERE a = 6").contains("pair_b_slot_key"));
}

#[test]
fn checks_on_fields_and_entities_named_and_generated() {
    let mut p = prove(
        "checks",
        "entity Range {\n  id int primary\n  low int check (low >= 0)\n  high int\n  note text?\n  \
         check (low <= high)\n  check sane_note (note is null or length(trim(note)) between 1 and 10)\n  \
         check (high not in (13, 666))\n}\n",
    );
    let names: Vec<&str> = p.actual.table("range").unwrap().checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["range_high_check", "range_low_check", "range_low_high_check", "sane_note"]);
    p.client().batch_execute("INSERT INTO range (id, low, high, note) VALUES (1, 0, 5, ' ok ')").unwrap();
    assert!(p.refused("INSERT INTO range (id, low, high, note) VALUES (2, -1, 5, NULL)").contains("range_low_check"));
    assert!(p
        .refused("INSERT INTO range (id, low, high, note) VALUES (3, 6, 5, NULL)")
        .contains("range_low_high_check"));
    assert!(p.refused("INSERT INTO range (id, low, high, note) VALUES (4, 1, 5, '   ')").contains("sane_note"));
    assert!(p.refused("INSERT INTO range (id, low, high, note) VALUES (5, 1, 13, NULL)").contains("range_high_check"));
}

#[test]
fn foreign_keys_actions_deferrable_and_cycles() {
    let mut p = prove(
        "fks",
        "entity Author {\n  id int primary\n}\n\
         entity Book {\n  id int primary\n}\n\
         entity Shelf {\n  id int primary\n}\n\
         relation Book.author -> Author.books {\n  required\n  on delete cascade\n  on update cascade\n}\n\
         relation Book.shelf -> Shelf.books {\n  on delete set null\n  deferrable\n}\n\
         relation Author.favourite -> Book.fans {\n  on delete restrict\n}\n",
    );
    let fk = |p: &Proven, name: &str| p.actual.foreign_keys.iter().find(|f| f.name == name).cloned().unwrap();
    let author = fk(&p, "book_author_id_fkey");
    assert_eq!((author.on_delete.as_str(), author.on_update.as_str()), ("CASCADE", "CASCADE"));
    assert!(fk(&p, "book_shelf_id_fkey").deferrable);
    // Author -> Book -> Author is a cycle; both constraints exist.
    assert_eq!(fk(&p, "author_favourite_id_fkey").references, "book");
    // Every foreign key got an index.
    for name in ["book_author_id_idx", "book_shelf_id_idx", "author_favourite_id_idx"] {
        assert!(p.actual.indexes.iter().any(|i| i.name == name), "{name} missing");
    }
    p.client()
        .batch_execute(
            "INSERT INTO author (id) VALUES (1); INSERT INTO shelf VALUES (1);
             INSERT INTO book (id, author_id, shelf_id) VALUES (10, 1, 1); UPDATE author SET favourite_id = 10;",
        )
        .unwrap();
    assert!(p.refused("DELETE FROM book").contains("author_favourite_id_fkey"));
    p.client().batch_execute("UPDATE author SET favourite_id = NULL; DELETE FROM shelf;").unwrap();
    let shelf: Option<i32> = p.client().query_one("SELECT shelf_id FROM book", &[]).unwrap().get(0);
    assert_eq!(shelf, None, "on delete set null");
    p.client().batch_execute("UPDATE author SET id = 2").unwrap();
    let author_id: i32 = p.client().query_one("SELECT author_id FROM book", &[]).unwrap().get(0);
    assert_eq!(author_id, 2, "on update cascade");
    // Deferrable: a dangling shelf is fine until commit.
    p.client().batch_execute("BEGIN; UPDATE book SET shelf_id = 7; INSERT INTO shelf VALUES (7); COMMIT;").unwrap();
    p.client().batch_execute("DELETE FROM author").unwrap();
    let books: i64 = p.client().query_one("SELECT count(*) FROM book", &[]).unwrap().get(0);
    assert_eq!(books, 0, "on delete cascade");
}

#[test]
fn many_to_many_with_a_named_junction_and_one_to_one() {
    let mut p = prove(
        "m2m",
        "entity Student {\n  id int primary\n}\nentity Course {\n  id int primary\n}\n\
         entity Passport {\n  id int primary\n}\n\
         relation Student.courses <-> Course.students {\n  through Enrolment {\n    grade int?\n  }\n}\n\
         relation Passport.holder -- Student.passport {\n  required\n}\n",
    );
    let junction = p.actual.table("enrolment").unwrap();
    assert_eq!(junction.primary_key.as_ref().unwrap().columns, ["student_id", "course_id"]);
    assert_eq!(
        p.index_def("enrolment_course_id_idx"),
        "CREATE INDEX enrolment_course_id_idx ON public.enrolment USING btree (course_id)"
    );
    assert!(!p.actual.indexes.iter().any(|i| i.name == "enrolment_student_id_idx"), "the key serves student_id");
    p.client()
        .batch_execute("INSERT INTO student VALUES (1); INSERT INTO course VALUES (1); INSERT INTO enrolment (student_id, course_id, grade) VALUES (1, 1, 5); INSERT INTO passport (id, holder_id) VALUES (1, 1);")
        .unwrap();
    assert!(p.refused("INSERT INTO passport (id, holder_id) VALUES (2, 1)").contains("passport_holder_id_key"));
    p.client().batch_execute("DELETE FROM course").unwrap();
    let left: i64 = p.client().query_one("SELECT count(*) FROM enrolment", &[]).unwrap().get(0);
    assert_eq!(left, 0, "junction rows go with either end");
}

#[test]
fn indexes_composite_desc_include_partial_expression_and_methods() {
    let mut p = prove(
        "indexes",
        "entity Doc {\n  id bigint = identity primary\n  title text\n  body text\n  tags text[] = []\n  \
         meta json = {}\n  at timestamptz = now()\n  score int = 0\n  live bool = true\n  \
         index (title, at desc nulls last) include (score)\n  index (lower(title)) where live\n  \
         index (tags) using gin\n  index (meta) using gin\n  index (at) using brin\n  index (score) using hash\n  \
         index (score, at) using gist\n  index (title) using gin\n}\n",
    );
    let def = |p: &mut Proven, n: &str| p.index_def(n);
    assert_eq!(
        def(&mut p, "doc_title_at_idx"),
        "CREATE INDEX doc_title_at_idx ON public.doc USING btree (title, at DESC NULLS LAST) INCLUDE (score)"
    );
    assert_eq!(
        def(&mut p, "doc_title_idx"),
        "CREATE INDEX doc_title_idx ON public.doc USING btree (lower(title)) WHERE live"
    );
    assert!(def(&mut p, "doc_tags_idx").contains("USING gin (tags)"));
    assert!(def(&mut p, "doc_meta_idx").contains("USING gin (meta)"));
    assert!(def(&mut p, "doc_at_idx").contains("USING brin (at)"));
    assert!(def(&mut p, "doc_score_idx").contains("USING hash (score)"));
    assert!(def(&mut p, "doc_score_at_idx").contains("USING gist (score, at)"));
    assert!(def(&mut p, "doc_title_idx1").contains("USING gin (title)"));
    // GiST and GIN on scalars need their btree_* extensions, and only then.
    assert_eq!(p.expected.extensions, ["btree_gin", "btree_gist"]);
}

#[test]
fn full_text_search_column_and_index() {
    let mut p = prove(
        "search",
        "entity Article {\n  id int primary\n  title text\n  body text?\n  search (title weight A, body weight B) language english\n}\n",
    );
    assert!(p.index_def("article_search_vector_idx").contains("USING gin (search_vector)"));
    p.client()
        .batch_execute(
            "INSERT INTO article (id, title, body) VALUES (1, 'Running shoes', NULL), (2, 'Hats', 'for running')",
        )
        .unwrap();
    let hits: Vec<i32> = p
        .client()
        .query(
            "SELECT id FROM article WHERE search_vector @@ to_tsquery('english', 'run') \
             ORDER BY ts_rank(search_vector, to_tsquery('english', 'run')) DESC",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(hits, [1, 2], "stemmed, and the title (weight A) ranks first");
    let web: i64 = p
        .client()
        .query_one(
            "SELECT count(*) FROM article WHERE search_vector @@ websearch_to_tsquery('english', 'running -hats')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(web, 1, "websearch syntax: running, but not hats");
    let plan =
        explain(p.client(), "SELECT id FROM article WHERE search_vector @@ websearch_to_tsquery('english', 'run')");
    assert!(plan.contains("article_search_vector_idx"), "the GIN index serves the search:\n{plan}");
}

/// The plan of `query` with sequential scans priced out: whether an index
/// can serve it at all (on a few rows the planner rightly prefers a scan).
fn explain(client: &mut Client, query: &str) -> String {
    let mut tx = client.transaction().unwrap();
    tx.batch_execute("SET LOCAL enable_seqscan = off").unwrap();
    let rows = tx.query(&format!("EXPLAIN {query}"), &[]).unwrap();
    rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
}

#[test]
fn json_shapes_are_domain_checks_and_containment_uses_a_gin_index() {
    let mut p = prove(
        "json_shape",
        "enum Theme { light, dark }\n\n\
         /// Per-user preferences.\n\
         type Settings = json {\n  theme Theme\n  notifications bool?\n  tags text[]?\n  \
         address json? { street text, zip text? }\n  limits json { daily int }\n}\n\n\
         entity Profile {\n  id bigint = identity primary\n  settings Settings\n  index (settings) using gin\n}\n",
    );
    for good in [
        r#"{"theme": "dark", "limits": {"daily": 3}}"#,
        r#"{"theme": "light", "limits": {"daily": 3}, "tags": ["a", "b"], "address": {"street": "x"}}"#,
        r#"{"theme": "dark", "limits": {"daily": 3}, "notifications": null, "address": null, "extra": [1]}"#,
    ] {
        p.client()
            .execute("INSERT INTO profile (settings) VALUES ($1::text::jsonb)", &[&good])
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for bad in [
        r#"{"theme": "blue", "limits": {"daily": 3}}"#,
        r#"{"limits": {"daily": 3}}"#,
        r#"{"theme": "dark", "limits": {"daily": "3"}}"#,
        r#"{"theme": "dark"}"#,
        r#"{"theme": "dark", "limits": {"daily": 3}, "tags": ["a", 1]}"#,
        r#"{"theme": "dark", "limits": {"daily": 3}, "tags": "a"}"#,
        r#"{"theme": "dark", "limits": {"daily": 3}, "address": {"zip": "1"}}"#,
        r#"{"theme": "dark", "limits": {"daily": 3}, "notifications": "yes"}"#,
        r#"[1]"#,
    ] {
        let message = p.refused(&format!("INSERT INTO profile (settings) VALUES ('{bad}')"));
        assert!(message.contains("settings_check"), "{bad}: {message}");
    }
    let plan = explain(p.client(), r#"SELECT id FROM profile WHERE settings @> '{"theme": "dark"}'"#);
    assert!(plan.contains("profile_settings_idx"), "containment is served by the GIN index:\n{plan}");
    let found: i64 = p
        .client()
        .query_one(r#"SELECT count(*) FROM profile WHERE settings @> '{"theme": "dark"}'"#, &[])
        .unwrap()
        .get(0);
    assert_eq!(found, 2);
}

#[test]
fn partitions_by_range_list_and_hash() {
    let mut p = prove(
        "partitions",
        "enum Region { eu, us }\n\
         entity Reading {\n  id bigint = identity\n  at timestamptz = now()\n  primary (id, at)\n  partition by range (at) every 1 week\n}\n\
         entity Account {\n  id bigint = identity\n  region Region\n  primary (id, region)\n  partition by list (region)\n}\n\
         entity Hit {\n  id bigint = identity\n  site int\n  primary (id, site)\n  partition by hash (site) into 3 partitions\n}\n",
    );
    let children = |p: &mut Proven, parent: &str| -> Vec<String> {
        p.client()
            .query(
                "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                 WHERE i.inhparent = to_regclass($1) ORDER BY 1",
                &[&format!("public.{parent}")],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let readings = children(&mut p, "reading");
    assert_eq!(readings.len(), 5, "this week, three ahead, DEFAULT: {readings:?}");
    assert!(readings.contains(&"reading_default".to_string()));
    assert_eq!(children(&mut p, "account"), ["account_default", "account_eu", "account_us"]);
    assert_eq!(children(&mut p, "hit"), ["hit_p0", "hit_p1", "hit_p2"]);
    p.client()
        .batch_execute(
            "INSERT INTO reading (at) VALUES (now()), ('2001-01-01');
             INSERT INTO account (region) VALUES ('eu'), ('us');
             INSERT INTO hit (site) SELECT g FROM generate_series(1, 30) g;",
        )
        .unwrap();
    let old: i64 = p.client().query_one("SELECT count(*) FROM reading_default", &[]).unwrap().get(0);
    assert_eq!(old, 1, "rows outside the made partitions land in DEFAULT");
    let eu: i64 = p.client().query_one("SELECT count(*) FROM account_eu", &[]).unwrap().get(0);
    assert_eq!(eu, 1);
    // Running the procedure again makes nothing twice.
    p.client().batch_execute("CALL public.schemac_ensure_partitions('public.reading', '1 week', 'week', 3)").unwrap();
    assert_eq!(children(&mut p, "reading").len(), 5);
}

#[test]
fn comments_from_doc_comments() {
    let p = prove(
        "comments",
        "/// A state.\nenum State { on, off }\n/// A code.\ntype code = text\n\
         /// A thing.\nentity Thing {\n  /// Its number.\n  id int primary\n  state State\n}\n\
         entity Part {\n  id int primary\n}\n/// Parts belong to things.\nrelation Part.thing -> Thing.parts\n",
    );
    let thing = p.actual.table("thing").unwrap();
    assert_eq!(thing.comment.as_deref(), Some("A thing."));
    assert_eq!(thing.column("id").unwrap().comment.as_deref(), Some("Its number."));
    assert_eq!(p.actual.enums[0].comment.as_deref(), Some("A state."));
    assert_eq!(p.actual.domains[0].comment.as_deref(), Some("A code."));
    assert_eq!(p.actual.foreign_keys[0].comment.as_deref(), Some("Parts belong to things."));
    assert!(p.sql.contains("COMMENT ON INDEX public.part_thing_id_idx IS 'Serves the foreign key of `Part.thing`.';"));
}

#[test]
fn views_functions_and_triggers() {
    let mut p = prove(
        "routines",
        "entity Post {\n  id int primary\n  title text\n  published bool = false\n  edits int = 0\n}\n\
         /// What readers see.\nview Published = Post where published select (id, title)\n\
         function count_edit() returns trigger language plpgsql {\n  \
         sql postgres 'begin new.edits := old.edits + 1; return new; end'\n}\n\
         trigger post_counts_edits on Post before update execute count_edit\n",
    );
    assert_eq!(p.actual.views[0].columns, ["id", "title"]);
    p.client()
        .batch_execute("INSERT INTO post (id, title, published) VALUES (1, 'a', true), (2, 'b', false); UPDATE post SET title = 'c' WHERE id = 1;")
        .unwrap();
    let visible: i64 = p.client().query_one("SELECT count(*) FROM published", &[]).unwrap().get(0);
    assert_eq!(visible, 1);
    let edits: i32 = p.client().query_one("SELECT edits FROM post WHERE id = 1", &[]).unwrap().get(0);
    assert_eq!(edits, 1, "the trigger ran");
    let invoker: Option<Vec<String>> = p
        .client()
        .query_one("SELECT reloptions FROM pg_class WHERE oid = 'public.published'::regclass", &[])
        .unwrap()
        .get(0);
    assert_eq!(invoker, Some(vec!["security_invoker=true".to_string()]));
}

#[test]
fn polymorphic_relations_keep_exactly_one_target() {
    let mut p = prove(
        "arc",
        "entity Photo {\n  id int primary\n}\nentity Video {\n  id int primary\n}\n\
         entity Like {\n  id int primary\n}\nrelation Like.target -> Photo.likes | Video.likes {\n  required\n}\n",
    );
    p.client().batch_execute("INSERT INTO photo VALUES (1); INSERT INTO video VALUES (1); INSERT INTO \"like\" (id, target_photo_id, target_video_id) VALUES (1, 1, NULL);").unwrap();
    assert!(p
        .refused("INSERT INTO \"like\" (id, target_photo_id, target_video_id) VALUES (2, 1, 1)")
        .contains("check"));
    assert!(p
        .refused("INSERT INTO \"like\" (id, target_photo_id, target_video_id) VALUES (3, NULL, NULL)")
        .contains("check"));
}

#[test]
fn a_schema_other_than_public() {
    let inputs = [Input { name: "s.schema".into(), bytes: b"enum Kind { a, b }\ntype money = numeric(19, 4)\nentity Item {\n  id int primary\n  kind Kind\n  price money\n}\n".to_vec() }];
    let mut options = pipeline::Options::default();
    options.postgres.schema = "Shop Floor".into();
    let mut p = prove_inputs("schema", &inputs, &options);
    assert_eq!(p.actual.table("item").unwrap().column("price").unwrap().ty, "\"Shop Floor\".money");
    // The domain named like a built-in type is ours, not pg_catalog.money.
    p.client().batch_execute("INSERT INTO \"Shop Floor\".item VALUES (1, 'a', 1.23456)").unwrap();
    let price: String = p.client().query_one("SELECT price::text FROM \"Shop Floor\".item", &[]).unwrap().get(0);
    assert_eq!(price, "1.2346");
}

#[test]
fn columns_are_ordered_for_alignment_unless_asked_not_to() {
    let source =
        "entity Row {\n  id bigint primary\n  a bool\n  b bigint\n  c text\n  d int\n  e bool\n  f timestamptz\n}\n";
    let inputs = [Input { name: "r.schema".into(), bytes: source.as_bytes().to_vec() }];
    let mut p = prove_inputs("order_on", &inputs, &pipeline::Options::default());
    let names: Vec<&str> = p.actual.table("row").unwrap().columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "b", "f", "d", "a", "e", "c"]);
    let mut options = pipeline::Options::default();
    options.passes.reorder_columns = false;
    let q = prove_inputs("order_off", &inputs, &options);
    let declared: Vec<&str> = q.actual.table("row").unwrap().columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(declared, ["id", "a", "b", "c", "d", "e", "f"]);
    // The reordered row is smaller: no padding after each bool.
    let size = |client: &mut Client| -> i32 {
        client
            .batch_execute("INSERT INTO \"row\" (id, a, b, c, d, e, f) VALUES (1, true, 1, 'x', 1, true, now())")
            .unwrap();
        client.query_one("SELECT pg_column_size(r.*) FROM \"row\" r", &[]).unwrap().get(0)
    };
    let (packed, padded) = (size(p.client()), size(&mut { q }.db.client));
    assert!(packed < padded, "reordered {packed} bytes, declared order {padded} bytes");
}

#[test]
fn two_builds_are_byte_identical() {
    let inputs = example("saas");
    let (_, first) = built(&inputs, &pipeline::Options::default());
    let (_, second) = built(&inputs, &pipeline::Options::default());
    for (a, b) in first.artifacts.iter().zip(&second.artifacts) {
        assert_eq!(a.path, b.path);
        assert!(a.contents == b.contents, "{} differs between two builds", a.path);
    }
}

#[test]
fn what_postgres_would_refuse_is_a_diagnostic_at_compile_time() {
    let codes = |source: &str| backend_errors(source).iter().map(|d| d.code.0).collect::<Vec<_>>();
    // The partition key must be part of the primary key.
    assert_eq!(
        codes("entity E {\n  id bigint primary\n  at timestamptz\n  partition by range (at) every 1 month\n}\n"),
        ["E0503"]
    );
    // Volatile or time-zone dependent functions in indexes and generated columns.
    assert_eq!(codes("entity E {\n  id int primary\n  at timestamptz\n  index (date(at))\n}\n"), ["E0802"]);
    assert_eq!(
        codes("entity E {\n  id int primary\n  at timestamptz\n  day date = generated(date(at))\n}\n"),
        ["E0802"]
    );
    // (A volatile function in an index condition is caught earlier, by the analysis.)
    assert_eq!(codes("entity E {\n  id int primary\n  t text\n  index (t) where now() > now()\n}\n"), ["E0206"]);
    // Index methods without an operator class for the type.
    assert_eq!(codes("entity E {\n  id int primary\n  meta json\n  index (meta) using brin\n}\n"), ["E0802"]);
    // A search language PostgreSQL has no configuration for.
    assert_eq!(codes("entity E {\n  id int primary\n  t text\n  search (t) language klingon\n}\n"), ["E0802"]);
    // Names too long, and names that collide once truncated.
    let long = "A".repeat(40) + &"b".repeat(30);
    let two = format!("entity {long}X {{\n  id int primary\n}}\nentity {long}Y {{\n  id int primary\n}}\n");
    let diagnostics = backend_errors(&two);
    assert_eq!(diagnostics.iter().map(|d| d.code.0).collect::<Vec<_>>(), ["E0800", "E0800"]);
    assert!(diagnostics[1].notes.iter().any(|n| n.contains("stored as already")), "{:?}", diagnostics[1]);
}

#[test]
fn long_column_names_are_reported_per_table() {
    let column = "c".repeat(70);
    let source = format!(
        "entity A {{\n  id int primary\n  {column} int\n}}\nentity B {{\n  id int primary\n  {column} int\n}}\n"
    );
    let diagnostics = backend_errors(&source);
    assert_eq!(diagnostics.len(), 2, "one too-long name per table: {diagnostics:#?}");
    assert!(diagnostics.iter().all(|d| d.code.0 == "E0800" && d.notes.len() == 1), "no collision across tables");
}

#[test]
fn generated_names_over_63_bytes_are_shortened_stably_without_a_notice() {
    let entity = format!("Very{}", "Long".repeat(10));
    let field = "a_rather_long_field_name_for_an_index";
    let source = format!(
        "entity {entity} {{\n  id int primary\n  {field} int unique\n  other int\n  index ({field}, other)\n  check ({field} > other)\n}}\n"
    );
    let p = prove("long_names", &source);
    let table = &p.actual.tables[0];
    let mut names: Vec<&str> = p.actual.indexes.iter().map(|i| i.name.as_str()).collect();
    names.extend(table.uniques.iter().map(|u| u.name.as_str()));
    names.extend(table.checks.iter().map(|c| c.name.as_str()));
    assert_eq!(names.len(), 3);
    for name in names {
        assert_eq!(name.len(), 63, "{name}");
        assert!(name.starts_with(&table.name[..20]), "{name}");
    }
}

#[test]
fn hashed_personal_data_is_found_by_its_keyed_hash_only() {
    let mut p = prove(
        "pii_hash",
        "entity Citizen {\n  id          bigint = identity primary\n  national_id text   pii(hash) unique\n}\n",
    );
    let c = p.client();
    let no_key = c.batch_execute("INSERT INTO citizen (national_id) VALUES (schemac_pii_hash('AB123'))").unwrap_err();
    assert_eq!(no_key.code().map(|s| s.code()), Some("42501"), "{no_key}");
    c.batch_execute(
        "SET app.pii_hash_key = 'k1';
         INSERT INTO citizen (national_id) VALUES (schemac_pii_hash('AB123')), (schemac_pii_hash('CD456'));",
    )
    .unwrap();
    let found: i64 =
        c.query_one("SELECT count(*) FROM citizen WHERE national_id = schemac_pii_hash('AB123')", &[]).unwrap().get(0);
    assert_eq!(found, 1, "equality lookup by the keyed hash");
    let clear: i64 = c
        .query_one("SELECT count(*) FROM citizen WHERE position(convert_to('AB123', 'UTF8') in national_id) > 0", &[])
        .unwrap()
        .get(0);
    assert_eq!(clear, 0, "the clear value is not stored");
    let twice = c.batch_execute("INSERT INTO citizen (national_id) VALUES (schemac_pii_hash('AB123'))").unwrap_err();
    assert_eq!(twice.code().map(|s| s.code()), Some("23505"), "unique over the hash: {twice}");
    c.batch_execute("SET app.pii_hash_key = 'k2'").unwrap();
    let other_key: i64 =
        c.query_one("SELECT count(*) FROM citizen WHERE national_id = schemac_pii_hash('AB123')", &[]).unwrap().get(0);
    assert_eq!(other_key, 0, "another key gives another hash");
}

#[test]
fn checks_and_defaults_on_encrypted_fields_are_refused() {
    let codes: Vec<&str> = backend_errors(
        "entity Patient {\n  id  bigint = identity primary\n  ssn text pii(encrypt) check (length(ssn) == 11)\n  \
         pin text = '0000' pii(encrypt)\n  tag text pii(hash)\n  index (lower(tag))\n}\n",
    )
    .iter()
    .map(|d| d.code.0)
    .collect();
    assert_eq!(codes, ["E0207", "E0207", "E0207"], "the check, the default and the computed index");
}

/// The masked view reads as its owner, so a restrictive policy aimed at a
/// role would not reach that role through it: the view applies it itself.
/// Roles are the cluster's; the names are this test's own.
#[test]
fn masked_view_keeps_the_restrictive_policies_of_the_role_reading_it() {
    let source = "role masked_clerk_t\nrole masked_viewer_t\n\n\
        entity Person {\n  id int primary\n  region text\n  phone text pii(mask)\n}\n\n\
        policy every_row on Person {\n  for select\n  using (true)\n}\n\n\
        policy eu_only on Person {\n  to masked_clerk_t\n  for select\n  using (region == 'eu')\n  restrictive\n}\n\n\
        grant select on Person to masked_clerk_t, masked_viewer_t\n";
    let mut p = prove("masked_policies", source);
    p.client()
        .batch_execute("INSERT INTO person VALUES (1, 'eu', '+33 1 23 45 67 89'), (2, 'us', '+1 555 0100 200')")
        .unwrap();
    let read = |p: &mut Proven, role: &str| -> Vec<String> {
        let mut tx = p.client().transaction().unwrap();
        tx.batch_execute(&format!("SET LOCAL ROLE {role}")).unwrap();
        tx.query("SELECT id::text || ' ' || phone FROM person_masked ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    assert_eq!(read(&mut p, "masked_clerk_t"), ["1 *************7 89"], "the clerk's restriction holds in the view");
    assert_eq!(read(&mut p, "masked_viewer_t"), ["1 *************7 89", "2 *********** 200"]);
}

/// Foreign key columns named by the relation (`columns (…)`), as databases
/// that name keys `<table>_id` have them: the catalog matches and the key
/// holds on the real server.
#[test]
fn named_foreign_key_columns_apply_and_hold() {
    let mut p = prove(
        "named_fk_columns",
        "entity Customer {\n  customer_id int = identity primary\n}\n\
         entity Rental {\n  rental_id int = identity primary\n}\n\
         relation Rental.customer -> Customer.rentals {\n  required\n  on delete restrict\n  columns (customer_id)\n}\n",
    );
    p.db.apply("INSERT INTO customer DEFAULT VALUES; INSERT INTO rental (customer_id) VALUES (1);");
    let refused = p.db.client.batch_execute("INSERT INTO rental (customer_id) VALUES (42)");
    assert!(refused.is_err(), "the foreign key is enforced on customer_id");
}

/// Names the database has that the language would spell otherwise — a table
/// (`table "…"`) and camelCase columns (`column "…"`) — stay exact through
/// keys, checks, indexes, foreign keys, workload advice and the patterns'
/// triggers, and the rows behave.
#[test]
fn explicit_table_and_column_names_apply_everywhere() {
    let mut p = prove(
        "storage_names",
        "use std::patterns::{timestamps, soft_delete, audit}\n\
         entity Account {\n  id int = identity primary column \"AccountId\"\n  handle text unique column \"userHandle\"\n  \
           display_name text? column \"displayName\" check (length(display_name) > 0)\n  \
           index (display_name)\n  table \"tbl_Accounts\"\n  apply timestamps, soft_delete, audit\n  volume 1M rows\n}\n\
         entity Note {\n  id int = identity primary\n  body text column \"noteBody\"\n}\n\
         relation Note.account -> Account.notes {\n  required\n  columns (accountId)\n}\n\
         workload w {\n  query by_name: Account where display_name == $n at 5/s\n}\n",
    );
    let columns =
        p.db.client
            .query(
                "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'tbl_Accounts' ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>();
    for expected in ["AccountId", "userHandle", "displayName", "created_at", "deleted_at"] {
        assert!(columns.iter().any(|c| c == expected), "{expected} in {columns:?}\n{}", p.sql);
    }
    p.db.apply(
        "INSERT INTO \"tbl_Accounts\" (\"userHandle\", \"displayName\") VALUES ('ann', 'Ann');\n\
         UPDATE \"tbl_Accounts\" SET \"displayName\" = 'Anne';\n\
         INSERT INTO note (\"accountId\", \"noteBody\") VALUES (1, 'hello');\n\
         DELETE FROM \"tbl_Accounts\" WHERE \"userHandle\" = 'ann';",
    );
    let live: i64 =
        p.db.client.query_one("SELECT count(*) FROM \"tbl_Accounts\" WHERE deleted_at IS NULL", &[]).unwrap().get(0);
    assert_eq!(live, 0, "soft delete kept the row and marked it");
    let refused =
        p.db.client.batch_execute("INSERT INTO \"tbl_Accounts\" (\"userHandle\", \"displayName\") VALUES ('x', '')");
    assert!(refused.is_err(), "the check reads displayName");
}
