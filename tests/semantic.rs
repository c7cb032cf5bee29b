//! Semantic analysis behaviours, each on a small schema: what the IR holds
//! (foreign keys, junctions, pattern provenance, enum defaults, context types)
//! and where diagnostics point (the `apply` line, the default, the relation).

use schemac::diagnostics::{render, Diagnostic};
use schemac::driver::{compile_str, Compilation};
use schemac::semantic::ir::{self, Origin, Type};

fn ok(text: &str) -> Compilation {
    let c = compile_str("test.schema", text);
    assert!(c.diagnostics.is_empty(), "unexpected diagnostics:\n{}", render::human_string(&c.sources, &c.diagnostics));
    c
}

fn codes(text: &str) -> (Compilation, Vec<&'static str>) {
    let c = compile_str("test.schema", text);
    let codes = c.diagnostics.iter().map(|d| d.code.0).collect();
    (c, codes)
}

fn primary_text<'c>(c: &'c Compilation, d: &Diagnostic) -> &'c str {
    c.sources.text(d.primary_span().expect("diagnostic has a location"))
}

const BLOG: &str = r#"
entity User {
  id uuid = uuid_v7() primary
  email text unique
}
entity Post {
  id bigint = identity primary
  title text
}
relation Post.author -> User.posts {
  required
  on delete restrict
}
"#;

#[test]
fn many_to_one_adds_a_typed_required_foreign_key_named_after_the_field() {
    let c = ok(BLOG);
    let post = c.ir.entity("Post").unwrap();
    let fk = post.field("author_id").expect("author_id created");
    assert_eq!(fk.ty, Type::Uuid);
    assert!(!fk.nullable);
    assert_eq!(fk.origin, Origin::Relation { relation: "relation:Post.author".into() });
    assert_eq!(post.foreign_keys.len(), 1);
    assert_eq!(post.foreign_keys[0].references, "User");
    assert_eq!(post.foreign_keys[0].referenced_columns, ["id"]);
    assert_eq!(post.foreign_keys[0].on_delete, ir::RefAction::Restrict);
    let relation = &c.ir.relations[0];
    assert_eq!(relation.to.navigation.as_deref(), Some("posts"));
}

#[test]
fn optional_relation_makes_a_nullable_key_and_set_null_is_allowed() {
    let c = ok(r#"
entity A { id int primary }
entity B { id int primary }
relation B.a -> A.bs { on delete set null }
"#);
    assert!(c.ir.entity("B").unwrap().field("a_id").unwrap().nullable);
}

#[test]
fn composite_keys_give_composite_foreign_keys() {
    let c = ok(r#"
entity Shard { region text  id int  primary (region, id) }
entity Row { id int primary }
relation Row.shard -> Shard.rows { required }
"#);
    let row = c.ir.entity("Row").unwrap();
    assert_eq!(row.foreign_keys[0].columns, ["shard_region", "shard_id"]);
    assert_eq!(row.foreign_keys[0].referenced_columns, ["region", "id"]);
}

#[test]
fn an_explicit_key_field_is_reused_by_the_relation() {
    let c = ok(r#"
entity A { id int primary }
entity B {
  a_id int
  n int
  primary (a_id, n)
}
relation B.a -> A.bs { required }
"#);
    let b = c.ir.entity("B").unwrap();
    assert_eq!(b.fields.iter().filter(|f| f.name == "a_id").count(), 1);
    assert_eq!(b.primary_key, ["a_id", "n"]);
}

#[test]
fn one_to_one_makes_the_key_unique() {
    let c = ok(r#"
entity User { id int primary }
entity Profile { id int primary }
relation Profile.user -- User.profile { required }
"#);
    assert!(c.ir.entity("Profile").unwrap().uniques.iter().any(|u| u.columns == ["user_id"]));
}

#[test]
fn many_to_many_creates_a_junction_keyed_by_both_sides() {
    let c = ok(r#"
enum Role { member, admin }
entity User { id uuid = uuid_v7() primary }
entity Team { id uuid = uuid_v7() primary }
relation User.teams <-> Team.members {
  through Membership { role Role = member }
}
"#);
    let membership = c.ir.entity("Membership").expect("junction entity");
    assert_eq!(membership.primary_key, ["user_id", "team_id"]);
    assert_eq!(membership.foreign_keys.len(), 2);
    assert!(membership.foreign_keys.iter().all(|fk| fk.on_delete == ir::RefAction::Cascade));
    let role = membership.field("role").unwrap();
    assert_eq!(role.default, Some(ir::Expr::EnumValue { enum_name: "Role".into(), value: "member".into() }));
    assert_eq!(c.ir.relations[0].junction.as_deref(), Some("Membership"));
}

#[test]
fn relation_fields_can_be_named_in_indexes_and_uniques() {
    let c = ok(r#"
entity User { id int primary }
entity Post {
  id int primary
  slug text
  unique (author, slug)
  index (author)
}
relation Post.author -> User.posts
"#);
    let post = c.ir.entity("Post").unwrap();
    assert_eq!(post.uniques[0].columns, ["author_id", "slug"]);
    assert_eq!(post.indexes[0].keys[0].expr, ir::Expr::Column { name: "author_id".into() });
}

#[test]
fn patterns_expand_with_provenance() {
    let c = ok(r#"
use std::patterns::{timestamps, soft_delete}
entity Note {
  id int primary
  apply timestamps, soft_delete
}
"#);
    let note = c.ir.entity("Note").unwrap();
    let created = note.field("created_at").unwrap();
    assert_eq!(created.origin, Origin::Pattern { pattern: "timestamps".into() });
    assert_eq!(created.ty, Type::Timestamptz { precision: None });
    assert!(note.field("deleted_at").unwrap().nullable);
    let kinds: Vec<_> = note.behaviours.iter().map(|b| b.kind).collect();
    assert_eq!(kinds, [ir::BehaviourKind::Touch, ir::BehaviourKind::Immutable, ir::BehaviourKind::SoftDelete]);
    assert_eq!(note.patterns, ["timestamps", "soft_delete"]);
}

#[test]
fn soft_delete_makes_uniques_hold_among_live_rows() {
    let c = ok(r#"
use std::patterns::{soft_delete}
entity Account {
  id    int  primary
  email text unique
  code  text
  unique (code) where code != ""
  apply soft_delete
}
"#);
    let account = c.ir.entity("Account").unwrap();
    let live = ir::Expr::IsNull { expr: Box::new(ir::Expr::Column { name: "deleted_at".into() }), negated: false };
    let email = account.uniques.iter().find(|u| u.columns == ["email"]).unwrap();
    assert_eq!(email.predicate.as_ref(), Some(&live), "a deleted account's email can be used again");
    let code = account.uniques.iter().find(|u| u.columns == ["code"]).unwrap();
    match &code.predicate {
        Some(ir::Expr::Binary { op: ir::BinaryOp::And, right, .. }) => assert_eq!(**right, live),
        other => panic!("the declared condition and the live-row condition together: {other:?}"),
    }
    assert!(account.primary_key == ["id"], "the primary key stays whole");
}

#[test]
fn behaviour_arguments_are_checked_where_the_pattern_is_applied() {
    let (c, found) = codes(
        r#"
pattern stamped {
  stamp text = ""
  behaviour touch(stamp)
}
pattern locked {
  version int?
  behaviour optimistic_lock(version)
}
pattern logged {
  behaviour audit(version)
}
entity Note {
  id int primary
  apply stamped, locked, logged
}
"#,
    );
    assert_eq!(found, ["E0405", "E0405", "E0405"]);
    let places: Vec<&str> = c.diagnostics.iter().map(|d| primary_text(&c, d)).collect();
    assert_eq!(places, ["stamped", "locked", "logged"], "each points at its pattern on the apply line");
    assert!(c.ir.entity("Note").unwrap().behaviours.is_empty(), "invalid behaviours are left out");
}

#[test]
fn one_behaviour_of_a_kind_per_entity() {
    let (c, found) = codes(
        r#"
use std::patterns::{soft_delete}
pattern archived {
  archived_at timestamptz?
  behaviour soft_delete(archived_at)
}
entity Note {
  id int primary
  apply soft_delete, archived
}
"#,
    );
    assert_eq!(found, ["E0406"]);
    assert!(c.diagnostics[0].message.contains("soft_delete"), "{}", c.diagnostics[0].message);
}

#[test]
fn tenant_scoped_adds_a_required_tenant_relation_and_index() {
    let c = ok(r#"
use std::patterns::tenant_scoped
entity Tenant { id uuid = uuid_v7() primary }
entity Invoice {
  id int primary
  apply tenant_scoped
}
"#);
    let invoice = c.ir.entity("Invoice").unwrap();
    assert!(!invoice.field("tenant_id").unwrap().nullable);
    assert_eq!(invoice.indexes[0].keys[0].expr, ir::Expr::Column { name: "tenant_id".into() });
    assert_eq!(invoice.foreign_keys[0].on_delete, ir::RefAction::Cascade);
}

#[test]
fn pattern_clash_points_at_the_pattern_on_the_apply_line() {
    let (c, codes) = codes(
        r#"
use std::patterns::timestamps
entity Note {
  id int primary
  created_at date
  apply timestamps
}
"#,
    );
    assert_eq!(codes, ["E0401"]);
    assert_eq!(primary_text(&c, &c.diagnostics[0]), "timestamps");
}

#[test]
fn user_patterns_take_parameters_with_defaults() {
    let c = ok(r#"
pattern priced(minimum = 0) {
  price numeric(10, 2) check (price >= minimum)
}
entity Item {
  id int primary
  apply priced(minimum: 5)
}
entity Gift {
  id int primary
  apply priced
}
"#);
    let check = |e: &str| c.ir.entity(e).unwrap().checks[0].expr.clone();
    let rhs = |e: ir::Expr| match e {
        ir::Expr::Binary { right, .. } => *right,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(rhs(check("Item")), ir::Expr::Int { value: "5".into() });
    assert_eq!(rhs(check("Gift")), ir::Expr::Int { value: "0".into() });
}

#[test]
fn cyclic_patterns_are_refused() {
    let (_, codes) = codes(
        r#"
pattern a { apply b }
pattern b { apply a }
entity X {
  id int primary
  apply a
}
"#,
    );
    assert_eq!(codes, ["E0400"]);
}

#[test]
fn a_text_default_on_an_int_field_is_reported_at_the_default() {
    let (c, codes) = codes("entity X {\n  id int primary\n  n int = 'ten'\n}\n");
    assert_eq!(codes, ["E0200"]);
    assert_eq!(primary_text(&c, &c.diagnostics[0]), "'ten'");
}

#[test]
fn enum_defaults_must_be_values_of_the_enum() {
    let (c, codes) = codes("enum Plan { free, pro }\nentity T {\n  id int primary\n  plan Plan = premium\n}\n");
    assert_eq!(codes, ["E0107"]);
    assert_eq!(primary_text(&c, &c.diagnostics[0]), "premium");
}

#[test]
fn unknown_names_suggest_the_closest_one() {
    let (c, codes) =
        codes("entity User { id int primary }\nentity Post { id int primary }\nrelation Post.author -> Usr.posts\n");
    assert_eq!(codes, ["E0102"]);
    assert_eq!(c.diagnostics[0].help.as_deref(), Some("did you mean `User`?"));
}

#[test]
fn std_names_used_without_import_say_which_use_to_add() {
    let (c, codes) = codes("entity U {\n  id int primary\n  e email\n}\n");
    assert_eq!(codes, ["E0101"]);
    assert_eq!(
        c.diagnostics[0].help.as_deref(),
        Some("`email` is in the standard library: add `use std::types::email`")
    );
}

#[test]
fn policies_read_typed_context_and_reject_mismatches() {
    let c = ok(r#"
context { tenant_id uuid }
role app
entity Doc {
  id int primary
  tenant_id uuid
}
policy iso on Doc {
  to app
  using (tenant_id == ctx.tenant_id)
}
"#);
    let policy = &c.ir.policies[0];
    assert_eq!(policy.id, "policy:Doc.iso");
    assert!(
        matches!(&policy.using, Some(ir::Expr::Binary { right, .. }) if matches!(**right, ir::Expr::Context { ref ty, .. } if *ty == Type::Uuid))
    );
    let (_, codes) = codes("context { tenant_id uuid }\nentity Doc {\n  id int primary\n}\npolicy p on Doc {\n  using (id == ctx.tenant_id)\n}\n");
    assert_eq!(codes, ["E0202"]);
}

#[test]
fn grants_are_flattened_per_role_entity_and_privilege() {
    let c = ok(r#"
role a
role b
entity T {
  id int primary
  name text
}
grant select, update (name) on T to a, b
"#);
    assert_eq!(c.ir.grants.len(), 4);
    assert!(c.ir.grants.iter().any(|g| g.role == "b"
        && g.privilege == ir::Privilege::Update
        && g.columns.as_deref() == Some(&["name".to_string()][..])));
}

#[test]
fn every_problem_in_a_file_is_reported_in_one_run() {
    let (_, codes) = codes(
        r#"
entity A {
  id int primary
  x nosuchtype
  y int = 'text'
}
entity B {
  name text
}
relation A.b -> C.as
"#,
    );
    assert_eq!(codes, ["E0101", "E0200", "E0500", "E0102"]);
}

#[test]
fn the_ir_is_identical_across_runs_and_file_order_does_not_matter() {
    use schemac::driver::{compile, Input};
    let a = Input { name: "a.schema".into(), bytes: b"entity A { id int primary }\nrelation A.b -> B.as\n".to_vec() };
    let b = Input { name: "b.schema".into(), bytes: b"entity B { id int primary }\n".to_vec() };
    let one = compile(&[a, b]);
    let a = Input { name: "a.schema".into(), bytes: b"entity A { id int primary }\nrelation A.b -> B.as\n".to_vec() };
    let b = Input { name: "b.schema".into(), bytes: b"entity B { id int primary }\n".to_vec() };
    let two = compile(&[b, a]);
    assert!(one.diagnostics.is_empty() && two.diagnostics.is_empty());
    assert_eq!(serde_json::to_string(&one.ir).unwrap(), serde_json::to_string(&two.ir).unwrap());
}

#[test]
fn json_shapes_give_each_key_a_kind() {
    let c = ok(r#"
enum Theme { light, dark }
type Settings = json {
  theme   Theme
  size    int?
  tags    text[]
  address json? { zip text }
  extra   json
}
entity Profile {
  id       int primary
  settings Settings
}
"#);
    let shape = c.ir.domains.iter().find(|d| d.name == "Settings").unwrap().shape.clone().expect("a shape");
    let kinds: Vec<(&str, bool, &ir::ShapeKind)> =
        shape.members.iter().map(|m| (m.name.as_str(), m.optional, &m.kind)).collect();
    assert_eq!(kinds[0], ("theme", false, &ir::ShapeKind::OneOf { values: vec!["light".into(), "dark".into()] }));
    assert_eq!(kinds[1], ("size", true, &ir::ShapeKind::Number));
    assert_eq!(kinds[2], ("tags", false, &ir::ShapeKind::Array { element: Box::new(ir::ShapeKind::String) }));
    assert!(matches!(kinds[3], ("address", true, ir::ShapeKind::Object { .. })));
    assert_eq!(kinds[4], ("extra", false, &ir::ShapeKind::Any));
}

#[test]
fn json_shape_mistakes_are_reported_at_the_key() {
    let (c, found) = codes(
        r#"
type Bad = text { a text }
type Twice = json {
  a text
  a int
  b int { c text }
}
"#,
    );
    assert_eq!(found, ["E0204", "E0106", "E0204"]);
    let places: Vec<&str> = c.diagnostics.iter().map(|d| primary_text(&c, d)).collect();
    assert_eq!(places, ["{ a text }", "a", "{ c text }"]);
}

#[test]
fn denormalized_fields_name_their_source_through_a_navigation_to_one_row() {
    let with = |field: &str| {
        format!(
            "{BLOG}entity Note {{\n  id bigint = identity primary\n  {field}\n}}\nrelation Note.author -> User.notes\n"
        )
    };
    let c = ok(&with("author_email text? denormalized from author.email"));
    let note = c.ir.entity("Note").unwrap();
    assert_eq!(
        note.field("author_email").unwrap().denormalized_from,
        Some(Box::new(ir::Denormalized { navigation: "author".into(), entity: "User".into(), field: "email".into() }))
    );
    // A typo in the navigation, a missing field, another type, a navigation to many rows.
    for (field, message, pointed) in [
        ("author_email text denormalized from autor.email", "`Note` has no relation field `autor`", "autor"),
        ("author_email text denormalized from author.mail", "`User` has no field `mail`", "mail"),
        ("author_email int denormalized from author.email", "cannot hold a copy of `User.email`", "author.email"),
    ] {
        let (c, codes) = codes(&with(field));
        assert_eq!(codes, ["E0208"], "{field}");
        assert!(c.diagnostics[0].message.contains(message), "{}", c.diagnostics[0].message);
        assert_eq!(primary_text(&c, &c.diagnostics[0]), pointed);
    }
    let (c, codes) = codes(&format!("{BLOG}entity Note {{\n  id bigint = identity primary\n}}\nrelation Note.author -> User.notes\nentity Card {{\n  id bigint = identity primary\n  title text denormalized from posts.title\n}}\nrelation Post.card -> Card.posts\n"));
    assert_eq!(codes, ["E0208"]);
    assert!(c.diagnostics[0].message.contains("leads to many rows"), "{}", c.diagnostics[0].message);
}

#[test]
fn query_joins_follow_navigations_both_ways() {
    let c = ok(&format!(
        "{BLOG}workload w {{\n  query post_page: Post join author where id == $id at 10/s\n  \
         query profile: User join posts where email == $e\n}}\n"
    ));
    let query = |name: &str| c.ir.queries.iter().find(|q| q.name == name).unwrap();
    let to_one = &query("post_page").joins[0];
    assert_eq!((to_one.entity.as_str(), to_one.many), ("User", false));
    assert_eq!(to_one.on, [("author_id".to_string(), "id".to_string())]);
    let to_many = &query("profile").joins[0];
    assert_eq!((to_many.entity.as_str(), to_many.many), ("Post", true));
    assert_eq!(to_many.on, [("id".to_string(), "author_id".to_string())]);
    let (c, found) = codes(&format!("{BLOG}workload w {{\n  query q: Post join authr\n}}\n"));
    assert_eq!(found, ["E0700"]);
    assert!(c.diagnostics[0].help.as_deref() == Some("did you mean `author`?"), "{:?}", c.diagnostics[0]);
    let (c, found) = codes(
        "entity A {\n  id int primary\n}\nentity B {\n  id int primary\n}\nrelation A.bs <-> B.as_\n\
         workload w {\n  query q: A join bs\n}\n",
    );
    assert_eq!(found, ["E0700"]);
    assert!(c.diagnostics[0].message.contains("many-to-many"), "{}", c.diagnostics[0].message);
}

#[test]
fn a_relation_can_name_its_foreign_key_columns() {
    let c = ok("entity Customer {\n  customer_id int = identity primary\n}\n\
                entity Rental {\n  rental_id int = identity primary\n}\n\
                relation Rental.customer -> Customer.rentals {\n  required\n  columns (customer_id)\n}\n");
    let rental = c.ir.entity("Rental").unwrap();
    assert_eq!(rental.foreign_keys[0].columns, ["customer_id"]);
    assert_eq!(rental.foreign_keys[0].referenced_columns, ["customer_id"]);
    assert!(rental.field("customer_customer_id").is_none());
    assert!(!rental.field("customer_id").unwrap().nullable);
    // One name per key column; not on many-to-many relations.
    let (c, found) = codes(
        "entity A {\n  id int primary\n}\nentity B {\n  id int primary\n}\nrelation B.a -> A.bs {\n  columns (x, y)\n}\n",
    );
    assert_eq!(found, ["E0303"]);
    assert!(c.diagnostics[0].message.contains("key of 1 column(s); `columns` names 2"), "{}", c.diagnostics[0].message);
    let (_, found) = codes(
        "entity A {\n  id int primary\n}\nentity B {\n  id int primary\n}\nrelation B.as_ <-> A.bs {\n  columns (a_id)\n}\n",
    );
    assert_eq!(found, ["E0303"]);
}

#[test]
fn explicit_storage_names_are_checked() {
    let c = ok("entity Account {\n  id int primary column \"AccountId\"\n  table \"tbl_Accounts\"\n}\n");
    let account = c.ir.entity("Account").unwrap();
    assert_eq!((account.table.as_str(), account.field("id").unwrap().column.as_str()), ("tbl_Accounts", "AccountId"));
    let (c, found) = codes("entity A {\n  id int primary\n  b text column \"id\"\n}\n");
    assert_eq!(found, ["E0106"]);
    assert_eq!(primary_text(&c, &c.diagnostics[0]), "\"id\"");
    let long = "x".repeat(64);
    let (_, found) = codes(&format!("entity A {{\n  id int primary\n  table \"{long}\"\n}}\n"));
    assert_eq!(found, ["E0800"]);
    let (_, found) = codes("entity A {\n  id int primary\n  b text column \"\"\n}\n");
    assert_eq!(found, ["E0800"]);
    let (_, found) = codes("entity A {\n  id int primary\n  table \"a\"\n  table \"b\"\n}\n");
    assert_eq!(found, ["E0505"]);
}
