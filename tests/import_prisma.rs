//! `schemac import prisma`: Prisma schemas read into the IR.
//!
//! - each mapping (names, types, defaults, keys, indexes, relations,
//!   implicit many-to-many, enums, warnings) on a small inline schema;
//! - syntax errors: reported with their line and column, several per run;
//! - no input makes the importer panic (random text, mutated umami schemas);
//! - the umami corpus (v2.20.2, v3.1.0 PostgreSQL; v2.20.2 MySQL parsed only)
//!   imports without errors and with exactly the warnings listed here;
//! - end to end, against a live PostgreSQL: the database Prisma's own
//!   migration SQL makes and the one the imported schema builds (IR →
//!   `.schema` source → compile → build) have the same catalog, apart from
//!   the differences listed and explained in each test.
//!
//! Needs a server (see tests/support/pg.rs); never skipped.

mod support;

use std::collections::BTreeSet;

use proptest::prelude::*;
use schemac::backends::postgres::compare::compare;
use schemac::diagnostics::{render, Diagnostic, Severity, Sources};
use schemac::import::prisma::{self, Imported};
use schemac::semantic::ir::{Cardinality, Entity, Expr, ForeignKey, Index, Ir, RefAction, Relation, Type};
use support::pg::TestDb;

const CORPUS: &str = "/work/shared/corpus/umami";

fn import_files(files: &[(&str, &str)]) -> (Sources, Imported) {
    let mut sources = Sources::new();
    let ids: Vec<_> = files.iter().map(|(name, text)| sources.add(*name, *text)).collect();
    let imported = prisma::import(&sources, &ids);
    (sources, imported)
}

fn import(text: &str) -> (Sources, Imported) {
    import_files(&[("schema.prisma", text)])
}

/// The IR of a schema that must import without errors.
fn ir(text: &str) -> Ir {
    let (sources, imported) = import(text);
    let rendered = render::human_string(&sources, &imported.diagnostics);
    imported.ir.unwrap_or_else(|| panic!("import failed:\n{rendered}"))
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code.0).collect()
}

fn entity<'a>(ir: &'a Ir, name: &str) -> &'a Entity {
    ir.entity(name).unwrap_or_else(|| panic!("no entity {name} in {:?}", ir.entities))
}

fn relation<'a>(ir: &'a Ir, id: &str) -> &'a Relation {
    ir.relations.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no relation {id} in {:?}", ir.relations))
}

fn column_key(name: &str) -> Expr {
    Expr::Column { name: name.into() }
}

/// `name: [unique] Method (key [desc], …) [where]`.
fn describe_index(index: &Index) -> String {
    let keys: Vec<String> = index
        .keys
        .iter()
        .map(|k| match &k.expr {
            Expr::Column { name } => format!("{name}{}", if k.descending { " desc" } else { "" }),
            other => format!("{other:?}"),
        })
        .collect();
    format!(
        "{}: {}{:?} ({}){}",
        index.name.as_deref().unwrap_or("(default)"),
        if index.unique { "unique " } else { "" },
        index.method,
        keys.join(", "),
        if index.predicate.is_some() { " where" } else { "" }
    )
}

/// `name: relation (columns) -> Entity (columns) on delete … on update …`.
fn describe_foreign_key(key: &ForeignKey) -> String {
    format!(
        "{}: {} ({}) -> {} ({}) on delete {:?} on update {:?}",
        key.name.as_deref().unwrap_or("(default)"),
        key.relation,
        key.columns.join(", "),
        key.references,
        key.referenced_columns.join(", "),
        key.on_delete,
        key.on_update
    )
}

fn umami(version: &str) -> String {
    std::fs::read_to_string(format!("{CORPUS}/{version}/schema.prisma")).expect("the corpus is there")
}

// ---------------------------------------------------------------- mappings

#[test]
fn models_keep_their_storage_names_and_fields_become_snake_case() {
    let ir = ir(r#"
/// A person.
model User {
  /// The key.
  id        Int    @id
  firstName String @map("first_name")
  lastName  String
  @@map("users")
}

model AuditEntry {
  id Int @id
}
"#);
    let user = entity(&ir, "User");
    assert_eq!(user.id, "entity:User");
    assert_eq!(user.table, "users");
    assert_eq!(user.doc.as_deref(), Some("A person."));
    let fields: Vec<(&str, &str, &str)> =
        user.fields.iter().map(|f| (f.id.as_str(), f.name.as_str(), f.column.as_str())).collect();
    assert_eq!(
        fields,
        [
            ("field:User.id", "id", "id"),
            ("field:User.first_name", "first_name", "first_name"),
            ("field:User.last_name", "last_name", "lastName"),
        ]
    );
    assert_eq!(user.fields[0].doc.as_deref(), Some("The key."));
    // Prisma keeps the model's case when there is no @@map.
    assert_eq!(entity(&ir, "AuditEntry").table, "AuditEntry");
    let names: Vec<&str> = ir.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["AuditEntry", "User"], "entities are sorted by name");
}

#[test]
fn scalar_and_native_types_become_the_columns_prisma_makes() {
    let ir = ir(r#"
model T {
  id     Int      @id
  s      String
  v      String   @db.VarChar(255)
  c      String   @db.Char(2)
  u      String   @db.Uuid
  t      String   @db.Text
  i      Int      @db.Integer
  si     Int      @db.SmallInt
  big    BigInt
  f      Float
  r      Float    @db.Real
  d      Decimal
  d2     Decimal  @db.Decimal(10, 1)
  b      Boolean
  at     DateTime
  tz     DateTime @db.Timestamptz(6)
  ts     DateTime @db.Timestamp(0)
  day    DateTime @db.Date
  tm     DateTime @db.Time(3)
  j      Json
  jb     Json     @db.JsonB
  bytes  Bytes
  tags   String[]
  maybe  String?
  period Unsupported("interval")
}
"#);
    let types: Vec<(&str, &Type, bool)> =
        entity(&ir, "T").fields.iter().map(|f| (f.name.as_str(), &f.ty, f.nullable)).collect();
    let expected = [
        ("id", Type::Int, false),
        ("s", Type::Text, false),
        ("v", Type::Varchar { length: 255 }, false),
        ("c", Type::Char { length: 2 }, false),
        ("u", Type::Uuid, false),
        ("t", Type::Text, false),
        ("i", Type::Int, false),
        ("si", Type::SmallInt, false),
        ("big", Type::BigInt, false),
        ("f", Type::Double, false),
        ("r", Type::Real, false),
        ("d", Type::Numeric { precision: Some(65), scale: Some(30) }, false),
        ("d2", Type::Numeric { precision: Some(10), scale: Some(1) }, false),
        ("b", Type::Bool, false),
        ("at", Type::Timestamp { precision: Some(3) }, false),
        ("tz", Type::Timestamptz { precision: Some(6) }, false),
        ("ts", Type::Timestamp { precision: Some(0) }, false),
        ("day", Type::Date, false),
        ("tm", Type::Time { precision: Some(3) }, false),
        ("j", Type::Json, false),
        ("jb", Type::Json, false),
        ("bytes", Type::Bytes, false),
        // Prisma creates list columns without NOT NULL.
        ("tags", Type::Array { element: Box::new(Type::Text) }, true),
        ("maybe", Type::Text, true),
        ("period", Type::Interval, false),
    ];
    let expected: Vec<(&str, &Type, bool)> = expected.iter().map(|(n, t, o)| (*n, t, *o)).collect();
    assert_eq!(types, expected);
}

#[test]
fn types_the_language_lacks_are_the_closest_type_or_left_out_with_a_warning() {
    let (sources, imported) = import(
        r#"model T {
  id      Int                     @id
  payload Json                    @db.Json
  address String                  @db.Inet
  search  Unsupported("tsvector")
  money   Decimal                 @db.Money
}
"#,
    );
    let ir = imported.ir.expect("warnings only");
    let t = entity(&ir, "T");
    let fields: Vec<(&str, &Type)> = t.fields.iter().map(|f| (f.name.as_str(), &f.ty)).collect();
    let money = Type::Numeric { precision: Some(19), scale: Some(2) };
    assert_eq!(fields, [("id", &Type::Int), ("payload", &Type::Json), ("address", &Type::Text), ("money", &money)]);
    let text = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["W1004", "W1004", "W1000", "W1004"], "{text}");
    assert!(text.contains("schema.prisma:3:35"), "the warning points at `@db.Json`:\n{text}");
    assert!(text.contains("`@db.Json` is imported as `json`"), "{text}");
    assert!(text.contains("field `T.search` is not imported: the language has no type `tsvector`"), "{text}");
}

#[test]
fn defaults_are_what_the_database_fills_in() {
    let ir = ir(r#"
enum Status {
  DRAFT
  LIVE  @map("live")
}

model T {
  id      Int      @id @default(autoincrement())
  big     BigInt   @default(autoincrement())
  at      DateTime @default(now())
  n       Int      @default(-2)
  ratio   Float    @default(0.5)
  name    String   @default("it's")
  flag    Boolean  @default(true)
  status  Status   @default(LIVE)
  uid     String   @default(dbgenerated("gen_random_uuid()")) @db.Uuid
  tags    String[] @default(["a", "b"])
  states  Status[] @default([DRAFT])
  empty   Int[]    @default([])
  doc     Json     @default("{\"a\": [1, true]}")
}
"#);
    let t = entity(&ir, "T");
    let default = |name: &str| t.field(name).and_then(|f| f.default.clone());
    assert!(t.field("id").is_some_and(|f| f.serial && f.default.is_none()), "autoincrement() is serial");
    assert!(t.field("big").is_some_and(|f| f.serial));
    assert_eq!(default("at"), Some(Expr::Call { function: "current_timestamp".into(), args: vec![] }));
    assert_eq!(default("n"), Some(Expr::Neg { expr: Box::new(Expr::Int { value: "2".into() }) }));
    assert_eq!(default("ratio"), Some(Expr::Decimal { value: "0.5".into() }));
    assert_eq!(default("name"), Some(Expr::String { value: "it's".into() }));
    assert_eq!(default("flag"), Some(Expr::Bool { value: true }));
    let live = Expr::EnumValue { enum_name: "Status".into(), value: "live".into() };
    assert_eq!(default("status"), Some(live));
    assert_eq!(default("uid"), Some(Expr::Sql { text: "gen_random_uuid()".into() }));
    let s = |v: &str| Expr::String { value: v.into() };
    assert_eq!(default("tags"), Some(Expr::Array { items: vec![s("a"), s("b")] }));
    let draft = Expr::EnumValue { enum_name: "Status".into(), value: "DRAFT".into() };
    assert_eq!(default("states"), Some(Expr::Array { items: vec![draft] }));
    assert_eq!(default("empty"), Some(Expr::Array { items: vec![] }));
    let doc = Expr::Object {
        members: vec![(
            "a".into(),
            Expr::Array { items: vec![Expr::Int { value: "1".into() }, Expr::Bool { value: true }] },
        )],
    };
    assert_eq!(default("doc"), Some(doc));
}

#[test]
fn values_prisma_client_computes_get_no_default_and_a_warning_per_field() {
    let (sources, imported) = import(
        r#"model T {
  id        String   @id @default(uuid()) @db.Uuid
  v7        String   @default(uuid(7)) @db.Uuid
  slug      String   @default(cuid())
  short     String   @default(nanoid())
  sortable  String   @default(ulid())
  updatedAt DateTime @updatedAt
}
"#,
    );
    let ir = imported.ir.as_ref().expect("warnings only");
    assert!(entity(ir, "T").fields.iter().all(|f| f.default.is_none()));
    let text = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["W1001"; 6], "{text}");
    assert!(text.contains("`T.id` gets `uuid()` from Prisma Client, not from the database"), "{text}");
    assert!(text.contains("give the field `= uuid_v4()`"), "{text}");
    assert!(text.contains("give the field `= uuid_v7()`"), "{text}");
    assert!(text.contains("`T.slug` gets `cuid()`"), "{text}");
    assert!(text.contains("`T.updatedAt` is set by Prisma Client on every update"), "{text}");
    assert!(text.contains("apply timestamps"), "{text}");
}

#[test]
fn keys_and_indexes_keep_the_names_prisma_gives_them() {
    let ir = ir(r#"
model Member {
  teamId   Int    @map("team_id")
  userId   Int    @map("user_id")
  email    String @unique
  nickname String @unique(map: "member_nick")
  rank     Int
  note     String

  @@id([teamId, userId], map: "member_key")
  @@unique([teamId, rank(sort: Desc)])
  @@index([rank(sort: Desc), note])
  @@index([note], type: Hash, map: "note_lookup")
  @@index([email], where: raw("rank > 0"))
  @@map("member")
}

model Plain {
  id Int @id(map: "Plain_pkey")
}

model AVeryLongModelNameThatPrismaWillHaveToCutShort {
  id                               Int @id
  aQuiteLongColumnNameToo          Int
  @@index([aQuiteLongColumnNameToo, id])
}
"#);
    let member = entity(&ir, "Member");
    assert_eq!(member.primary_key, ["team_id", "user_id"]);
    assert_eq!(member.primary_key_name.as_deref(), Some("member_key"));
    assert!(member.uniques.is_empty(), "Prisma makes unique indexes, not UNIQUE constraints");
    let described: Vec<String> = member.indexes.iter().map(describe_index).collect();
    assert_eq!(
        described,
        [
            "member_email_key: unique Btree (email)",
            "member_nick: unique Btree (nickname)",
            "member_team_id_rank_key: unique Btree (team_id, rank desc)",
            // The name schemac would give: not written down.
            "(default): Btree (rank desc, note)",
            "note_lookup: Hash (note)",
            "(default): Btree (email) where",
        ]
    );
    assert_eq!(member.indexes[5].predicate, Some(Expr::Sql { text: "rank > 0".into() }));
    // `Plain_pkey` is the default name: nothing to keep.
    assert_eq!(entity(&ir, "Plain").primary_key_name, None);
    // Over 63 bytes Prisma cuts the name where schemac would hash it.
    let long = entity(&ir, "AVeryLongModelNameThatPrismaWillHaveToCutShort");
    let name = long.indexes[0].name.as_deref().expect("the cut name is kept");
    assert_eq!(name, "AVeryLongModelNameThatPrismaWillHaveToCutShort_aQuiteLongCo_idx");
    assert_eq!(name.len(), 63);
}

#[test]
fn relations_become_foreign_keys_with_prismas_referential_actions() {
    let ir = ir(r#"
model User {
  id       Int       @id
  posts    Post[]    @relation("written")
  edited   Post[]    @relation("edited")
  profile  Profile?
}

model Post {
  id       Int   @id
  /// Who wrote it.
  authorId Int
  author   User  @relation("written", fields: [authorId], references: [id])
  editorId Int?
  editor   User? @relation("edited", fields: [editorId], references: [id], onDelete: NoAction, map: "post_editor")
}

model Profile {
  id     Int  @id
  userId Int  @unique
  user   User @relation(fields: [userId], references: [id], onDelete: Cascade, onUpdate: Restrict)
}
"#);
    let author = relation(&ir, "relation:Post.author");
    assert_eq!(author.cardinality, Cardinality::ManyToOne);
    assert_eq!((author.from.entity.as_str(), author.from.navigation.as_deref()), ("Post", Some("author")));
    assert_eq!((author.to.entity.as_str(), author.to.navigation.as_deref()), ("User", Some("posts")));
    assert!(author.required);
    assert_eq!(author.holder, "Post");
    assert_eq!(author.columns, ["author_id"]);
    assert_eq!(author.junction, None);
    let editor = relation(&ir, "relation:Post.editor");
    assert!(!editor.required);
    assert_eq!(editor.to.navigation.as_deref(), Some("edited"));
    let profile = relation(&ir, "relation:Profile.user");
    assert_eq!(profile.cardinality, Cardinality::OneToOne);
    assert_eq!(profile.to.navigation.as_deref(), Some("profile"));

    let post = entity(&ir, "Post");
    let fields: Vec<&str> = post.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields, ["id", "author_id", "editor_id"], "key fields stay declared fields, in place");
    assert_eq!(post.field("author_id").and_then(|f| f.doc.as_deref()), Some("Who wrote it."));
    let keys: Vec<String> = post.foreign_keys.iter().map(describe_foreign_key).collect();
    assert_eq!(
        keys,
        [
            // Prisma's defaults: Restrict when required, SetNull when optional; updates cascade.
            "(default): relation:Post.author (author_id) -> User (id) on delete Restrict on update Cascade",
            "post_editor: relation:Post.editor (editor_id) -> User (id) on delete NoAction on update Cascade",
        ]
    );
    let profile = &entity(&ir, "Profile").foreign_keys[0];
    assert_eq!((profile.on_delete, profile.on_update), (RefAction::Cascade, RefAction::Restrict));
    let ids: Vec<&str> = ir.relations.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["relation:Post.author", "relation:Post.editor", "relation:Profile.user"]);
}

#[test]
fn self_relations_and_composite_keys_pair_up_in_the_keys_order() {
    let ir = ir(r#"
model Category {
  id       Int        @id
  parentId Int?
  parent   Category?  @relation("tree", fields: [parentId], references: [id])
  children Category[] @relation("tree")
}

model Line {
  orderId  Int
  position Int
  notes    Note[]
  @@id([orderId, position])
}

model Note {
  id           Int  @id
  linePosition Int
  lineOrder    Int
  line         Line @relation(fields: [linePosition, lineOrder], references: [position, orderId])
}
"#);
    let tree = relation(&ir, "relation:Category.parent");
    assert_eq!((tree.from.entity.as_str(), tree.to.entity.as_str()), ("Category", "Category"));
    assert_eq!(tree.to.navigation.as_deref(), Some("children"));
    assert_eq!(tree.columns, ["parent_id"]);
    assert!(!tree.required);
    let line = relation(&ir, "relation:Note.line");
    assert_eq!(line.columns, ["line_order", "line_position"], "in the order of Line's key (order_id, position)");
    let key = &entity(&ir, "Note").foreign_keys[0];
    assert_eq!(key.referenced_columns, ["order_id", "position"]);
    // Prisma names the key after its fields as written, schemac in the key's order.
    assert_eq!(key.name.as_deref(), Some("Note_linePosition_lineOrder_fkey"));
}

#[test]
fn implicit_many_to_many_becomes_prismas_junction_table() {
    let (sources, imported) = import(
        r#"model Post {
  id         Int        @id
  categories Category[]
}

model Category {
  id    String @id @db.Uuid
  posts Post[]
}
"#,
    );
    let text = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["W1008"], "{text}");
    assert!(text.contains("_CategoryToPost_AB_unique"), "the note names what older Prisma made:\n{text}");
    let ir = imported.ir.expect("a warning only");
    let junction = entity(&ir, "CategoryToPost");
    assert_eq!(junction.table, "_CategoryToPost");
    let fields: Vec<(&str, &str, &Type, bool)> =
        junction.fields.iter().map(|f| (f.name.as_str(), f.column.as_str(), &f.ty, f.nullable)).collect();
    assert_eq!(fields, [("a", "A", &Type::Uuid, false), ("b", "B", &Type::Int, false)]);
    assert_eq!(junction.primary_key, ["a", "b"]);
    assert_eq!(junction.primary_key_name.as_deref(), Some("_CategoryToPost_AB_pkey"));
    assert_eq!(junction.indexes.len(), 1);
    assert_eq!(junction.indexes[0].name.as_deref(), Some("_CategoryToPost_B_index"));
    assert_eq!(junction.indexes[0].keys[0].expr, column_key("b"));
    let keys: Vec<String> = junction.foreign_keys.iter().map(describe_foreign_key).collect();
    assert_eq!(
        keys,
        [
            "(default): relation:CategoryToPost.category (a) -> Category (id) on delete Cascade on update Cascade",
            "(default): relation:CategoryToPost.post (b) -> Post (id) on delete Cascade on update Cascade",
        ]
    );
    let category = relation(&ir, "relation:CategoryToPost.category");
    assert_eq!(category.cardinality, Cardinality::ManyToOne);
    assert_eq!(category.to.navigation.as_deref(), Some("posts"));
    assert_eq!(category.columns, ["a"]);
    assert_eq!(relation(&ir, "relation:CategoryToPost.post").to.navigation.as_deref(), Some("categories"));
}

#[test]
fn a_named_self_relation_many_to_many_uses_the_relation_name() {
    let ir = ir(r#"
model Animal {
  id        Int      @id
  eats      Animal[] @relation("FoodChain")
  eatenBy   Animal[] @relation("FoodChain")
}
"#);
    let junction = entity(&ir, "FoodChain");
    assert_eq!(junction.table, "_FoodChain");
    // Column A lists the rows of `eatenBy`'s owner's prey: the field first in
    // alphabetical order (`eatenBy`) goes with column B.
    assert_eq!(relation(&ir, "relation:FoodChain.animal").to.navigation.as_deref(), Some("eats"));
    assert_eq!(relation(&ir, "relation:FoodChain.animal_2").to.navigation.as_deref(), Some("eaten_by"));
    assert_eq!(relation(&ir, "relation:FoodChain.animal_2").columns, ["b"]);
}

#[test]
fn relation_mode_prisma_keeps_the_key_fields_and_lists_the_relations_in_one_warning() {
    let (sources, imported) = import(
        r#"datasource db {
  provider     = "postgresql"
  url          = env("DATABASE_URL")
  relationMode = "prisma"
}

model User {
  id    Int    @id
  posts Post[]
  tags  Tag[]
}

model Post {
  id       Int  @id
  authorId Int
  author   User @relation(fields: [authorId], references: [id])
  @@index([authorId])
}

model Tag {
  id    Int    @id
  users User[]
}
"#,
    );
    let text = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["W1002", "W1008"], "{text}");
    assert!(text.contains("2 relations are not imported"), "{text}");
    assert!(text.contains("`Post.author` → `User` (authorId → id)"), "{text}");
    assert!(text.contains("`Tag.users` ↔ `User.tags` (table `_TagToUser`)"), "{text}");
    let ir = imported.ir.expect("warnings only");
    assert!(ir.relations.is_empty());
    assert!(ir.entities.iter().all(|e| e.foreign_keys.is_empty()));
    let post = entity(&ir, "Post");
    assert!(post.field("author_id").is_some());
    assert_eq!(post.indexes.len(), 1, "declared indexes stay");
    assert_eq!(entity(&ir, "TagToUser").table, "_TagToUser", "Prisma still makes the table");
}

#[test]
fn a_relation_to_a_unique_field_keeps_its_fields_only() {
    let (sources, imported) = import(
        r#"model User {
  id    Int    @id
  email String @unique
  posts Post[]
}

model Post {
  id          Int    @id
  authorEmail String
  author      User   @relation(fields: [authorEmail], references: [email])
}
"#,
    );
    let text = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["W1005"], "{text}");
    assert!(text.contains("schema.prisma:10:22"), "{text}");
    let ir = imported.ir.expect("a warning only");
    assert!(ir.relations.is_empty());
    assert!(entity(&ir, "Post").field("author_email").is_some());
}

#[test]
fn enums_keep_their_stored_labels_and_warn_when_the_type_name_differs() {
    let (sources, imported) = import(
        r#"/// Who may do what.
enum Role {
  USER
  ADMIN @map("admin")
}

enum order_status {
  open
  @@map("order_status")
}

enum Kind {
  A
  @@map("kind")
}

model T {
  id   Int  @id
  role Role @default(ADMIN)
}
"#,
    );
    let text = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["W1003"], "{text}");
    assert!(text.contains("enum `Role` is the type `Role` in the database; schemac will name it `role`"), "{text}");
    let ir = imported.ir.expect("a warning only");
    let enums: Vec<(&str, &str, Vec<&str>)> = ir
        .enums
        .iter()
        .map(|e| (e.id.as_str(), e.name.as_str(), e.values.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        enums,
        [
            ("enum:Kind", "Kind", vec!["A"]),
            ("enum:Role", "Role", vec!["USER", "admin"]),
            ("enum:order_status", "order_status", vec!["open"]),
        ]
    );
    assert_eq!(ir.enums[1].doc.as_deref(), Some("Who may do what."));
    assert_eq!(entity(&ir, "T").fields[1].ty, Type::Enum { name: "Role".into() });
}

#[test]
fn what_is_not_imported_is_a_warning_at_its_line() {
    let (sources, imported) = import(
        r#"datasource db {
  provider   = "postgresql"
  url        = env("DATABASE_URL")
  extensions = [pgcrypto]
}

view ActiveUser {
  id Int @unique
}

type Address {
  street String
}

model User {
  id      Int     @id @ignore
  address Address
  bio     String  @db.Citext @custom
  @@schema("auth")
  @@fulltext([bio])
  @@ignore
}
"#,
    );
    let text = render::human_string(&sources, &imported.diagnostics);
    let found: Vec<String> = imported
        .diagnostics
        .iter()
        .map(|d| {
            let span = d.primary_span().expect("every warning has a place");
            let (line, _) = sources.get(span.file).line_col(span.start as usize);
            format!("{} {line}", d.code)
        })
        .collect();
    assert_eq!(
        found,
        [
            "W1000 4", "W1000 7", "W1000 11", "W1000 16", "W1000 17", "W1004 18", "W1000 18", "W1000 19", "W1000 20",
            "W1000 21"
        ],
        "{text}"
    );
    assert!(text.contains("view `ActiveUser` is not imported"), "{text}");
    assert!(
        text.contains("`@@ignore` hides the model from Prisma Client; Prisma Migrate still creates the table"),
        "{text}"
    );
    let ir = imported.ir.expect("warnings only");
    let user = entity(&ir, "User");
    let fields: Vec<&str> = user.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields, ["id", "bio"], "ignored fields are still columns; composite-typed ones are left out");
}

#[test]
fn names_the_language_cannot_use_are_changed_and_reported() {
    let (sources, imported) = import(
        r#"model T {
  id      Int @id
  userId  Int
  user_id Int
  in      Int
}
"#,
    );
    let text = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["W1006", "W1006"], "{text}");
    let ir = imported.ir.expect("warnings only");
    let fields: Vec<(&str, &str)> =
        entity(&ir, "T").fields.iter().map(|f| (f.name.as_str(), f.column.as_str())).collect();
    assert_eq!(fields, [("id", "id"), ("user_id", "userId"), ("user_id_2", "user_id"), ("in_", "in")]);
}

#[test]
fn a_schema_folder_is_one_namespace_across_its_files() {
    let (sources, imported) = import_files(&[
        ("prisma/schema/enums.prisma", "enum Role {\n  USER\n}\n"),
        ("prisma/schema/user.prisma", "model User {\n  id    Int    @id\n  role  Role\n  posts Post[]\n}\n"),
        (
            "prisma/schema/post.prisma",
            "model Post {\n  id       Int  @id\n  authorId Int\n  author   User @relation(fields: [authorId], references: [id])\n}\n",
        ),
    ]);
    let text = render::human_string(&sources, &imported.diagnostics);
    let ir = imported.ir.unwrap_or_else(|| panic!("{text}"));
    assert_eq!(ir.entities.len(), 2);
    assert_eq!(relation(&ir, "relation:Post.author").to.navigation.as_deref(), Some("posts"));

    let (sources, imported) = import_files(&[
        ("a.prisma", "model User {\n  id Int @id\n}\n"),
        ("b.prisma", "model User {\n  id Int @id\n}\n"),
    ]);
    let text = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["E1004"], "{text}");
    assert!(text.contains("b.prisma:1:7") && text.contains("a.prisma:1:7"), "both places are shown:\n{text}");
    assert!(imported.ir.is_none());
}

#[test]
fn what_prisma_refuses_is_an_error_and_gives_no_ir() {
    let cases: [(&str, &str, &str); 7] = [
        ("model T {\n  id Int @id\n  name Strng\n}\n", "E1001", "did you mean `String`?"),
        ("model T {\n  id Int @id\n  @@index([nme])\n}\n", "E1001", "`T` has no field `nme`"),
        ("model T {\n  key String @unique\n}\n", "E1003", "model `T` has no primary key"),
        (
            "model T {\n  id Int @id\n  u  U @relation(fields: [uId], references: [id])\n}\nmodel U {\n  id Int @id\n  t T[]\n}\n",
            "E1001",
            "`T` has no scalar field `uId`",
        ),
        ("model T {\n  id Int @id\n  n String @default(autoincrement())\n}\n", "E1002", "`autoincrement()` is for"),
        ("model T {\n  id Int @id\n  u U\n}\nmodel U {\n  id Int @id\n}\n", "E1002", "has no opposite relation field"),
        ("enum E {\n  A\n  A\n}\n", "E1004", "enum `E` has the value `A` twice"),
    ];
    for (text, code, message) in cases {
        let (sources, imported) = import(text);
        let rendered = render::human_string(&sources, &imported.diagnostics);
        let first_error = imported.diagnostics.iter().find(|d| d.severity == Severity::Error).map(|d| d.code.0);
        assert_eq!(first_error, Some(code), "{text}\n{rendered}");
        assert!(rendered.contains(message), "{text}\n{rendered}");
        assert!(imported.ir.is_none(), "{text}");
    }
}

// ------------------------------------------------------------- syntax errors

#[test]
fn syntax_errors_say_where_and_what_was_expected_and_the_import_goes_on() {
    let text = "model User {\n  id    Int    @id @default(autoincrement()\n  email String @unique\n  name\n}\n\nmodel Post {\n  id    Int    @id\n  title String @default(\"x)\n  body  String @map(\"body\"))\n}\n";
    let (sources, imported) = import(text);
    let rendered = render::human_string(&sources, &imported.diagnostics);
    assert!(imported.ir.is_none());
    assert_eq!(codes(&imported.diagnostics), ["E1000"; 4], "{rendered}");
    for expected in [
        "error[E1000]: expected `,` or `)`, found the end of the line",
        "┌─ schema.prisma:2:44",
        "error[E1000]: expected the type of `name`, found the end of the line",
        "┌─ schema.prisma:4:7",
        "error[E1000]: unterminated string",
        "┌─ schema.prisma:9:25",
        "error[E1000]: expected an attribute or the end of the line, found `)`",
        "┌─ schema.prisma:10:28",
    ] {
        assert!(rendered.contains(expected), "missing {expected:?} in:\n{rendered}");
    }
}

#[test]
fn an_unclosed_block_is_reported_at_its_brace_and_the_next_block_is_still_read() {
    let text = "model A {\n  id Int @id\n\nmodel B {\n  id Int @id\n  x  String Strin\n}\n";
    let (sources, imported) = import(text);
    let rendered = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["E1000", "E1000"], "{rendered}");
    assert!(rendered.contains("`A` is not closed"), "{rendered}");
    assert!(rendered.contains("schema.prisma:1:9"), "{rendered}");
    // B was read: its own mistake is found.
    assert!(rendered.contains("expected an attribute or the end of the line, found `Strin`"), "{rendered}");
}

#[test]
fn text_outside_blocks_is_skipped_to_the_next_block() {
    let (sources, imported) = import("modle A {\n  id Int @id\n}\n\nmodel B {\n  id Int @id\n}\n");
    let rendered = render::human_string(&sources, &imported.diagnostics);
    assert_eq!(codes(&imported.diagnostics), ["E1000"], "{rendered}");
    assert!(
        rendered
            .contains("expected a block: `model`, `enum`, `datasource`, `generator`, `view` or `type`, found `modle`"),
        "{rendered}"
    );
}

// ------------------------------------------------------- the manual's examples

/// The ```prisma example of each E10xx/W10xx section of spec/errors.md
/// reports its section's code: first among the errors (E), or first among
/// the warnings with no error (W).
#[test]
fn every_prisma_example_of_the_manual_reports_its_code() {
    let manual = include_str!("../spec/errors.md");
    let mut checked = 0;
    for section in manual.split("\n## ").skip(1) {
        let code = section.split(':').next().unwrap_or_default();
        let Some(start) = section.find("```prisma\n") else { continue };
        let example = &section[start + "```prisma\n".len()..];
        let example = &example[..example.find("\n```").expect("the block is closed") + 1];
        let (sources, imported) = import(example);
        let rendered = render::human_string(&sources, &imported.diagnostics);
        let first = |severity: Severity| imported.diagnostics.iter().find(|d| d.severity == severity).map(|d| d.code.0);
        if code.starts_with('E') {
            assert_eq!(first(Severity::Error), Some(code), "{code}:\n{example}\n{rendered}");
        } else {
            assert_eq!(first(Severity::Error), None, "{code}:\n{example}\n{rendered}");
            assert_eq!(first(Severity::Warning), Some(code), "{code}:\n{example}\n{rendered}");
        }
        checked += 1;
    }
    assert_eq!(checked, 14, "E1000–E1004 and W1000–W1008 each have an example");
}

// ---------------------------------------------------------------- robustness

/// Cuts, duplicates and splices of a real schema, the usual shapes of a
/// half-edited file.
fn mutated(text: &str, at: usize, len: usize, insert: &str, mode: u8) -> String {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut end = (at + len).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match mode % 3 {
        0 => format!("{}{}", &text[..at], &text[end..]),
        1 => format!("{}{insert}{}", &text[..at], &text[at..]),
        _ => format!("{}{}{}", &text[..end], &text[at..end], &text[end..]),
    }
}

fn import_never_panics(text: &str) {
    let (sources, imported) = import(text);
    // Rendering must not panic either (spans stay inside the text).
    render::human_string(&sources, &imported.diagnostics);
    if let Some(ir) = &imported.ir {
        let names: BTreeSet<&str> = ir.entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names.len(), ir.entities.len(), "entity names are unique");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        import_never_panics(&text);
    }

    #[test]
    fn prisma_like_text_never_panics(text in "(model|enum|datasource|view|type|@@|@|[A-Za-z]{1,6}|\\{|\\}|\\(|\\)|\\[|\\]|,|:|=|\\?|\"|\\.|-?[0-9]{1,3}|///|//| |\n){0,120}") {
        import_never_panics(&text);
    }

    #[test]
    fn mutated_umami_schemas_never_panic(
        version in 0usize..3,
        at in 0usize..20_000,
        len in 0usize..400,
        insert in "\\PC{0,20}",
        mode in 0u8..3,
    ) {
        let version = ["v2.20.2/postgresql", "v3.1.0/postgresql", "v2.20.2/mysql"][version];
        import_never_panics(&mutated(&umami(version), at, len, &insert, mode));
    }
}

// -------------------------------------------------------------------- umami

/// Every diagnostic as `CODE line: message`, for exact comparisons.
fn listed(sources: &Sources, diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let line = d.primary_span().map_or(0, |s| sources.get(s.file).line_col(s.start as usize).0);
            format!("{} {line}: {}", d.code, d.message)
        })
        .collect()
}

fn updated_at(model: &str) -> String {
    format!("`{model}.updatedAt` is set by Prisma Client on every update, not by the database")
}

#[test]
fn umami_v2_imports_with_the_warnings_listed() {
    let (sources, imported) = import(&umami("v2.20.2/postgresql"));
    let expected: Vec<String> = [
        "W1002 8: 15 relations are not imported: with `relationMode = \"prisma\"` the database has no foreign keys"
            .to_string(),
        format!("W1001 19: {}", updated_at("User")),
        format!("W1001 72: {}", updated_at("Website")),
        format!("W1001 191: {}", updated_at("Team")),
        format!("W1001 207: {}", updated_at("TeamUser")),
        format!("W1001 226: {}", updated_at("Report")),
        format!("W1001 245: {}", updated_at("Segment")),
    ]
    .into();
    assert_eq!(listed(&sources, &imported.diagnostics), expected);
    let ir = imported.ir.expect("no errors");
    assert_eq!(ir.entities.len(), 11);
    assert!(ir.relations.is_empty());
    // `@id @unique`: Prisma made both the key and a unique index.
    let user = entity(&ir, "User");
    assert_eq!(user.primary_key, ["id"]);
    assert_eq!(user.indexes[0].name.as_deref(), Some("user_user_id_key"));
}

#[test]
fn umami_v3_imports_with_the_warnings_listed() {
    let (sources, imported) = import(&umami("v3.1.0/postgresql"));
    let expected: Vec<String> = [
        "W1002 9: 23 relations are not imported: with `relationMode = \"prisma\"` the database has no foreign keys"
            .to_string(),
        format!("W1001 20: {}", updated_at("User")),
        format!("W1001 75: {}", updated_at("Website")),
        format!("W1001 203: {}", updated_at("Team")),
        format!("W1001 222: {}", updated_at("TeamUser")),
        format!("W1001 241: {}", updated_at("Report")),
        format!("W1001 260: {}", updated_at("Segment")),
        format!("W1001 296: {}", updated_at("Link")),
        format!("W1001 316: {}", updated_at("Pixel")),
        format!("W1001 338: {}", updated_at("Board")),
        format!("W1001 356: {}", updated_at("Share")),
        format!("W1001 392: {}", updated_at("SessionReplaySaved")),
    ]
    .into();
    assert_eq!(listed(&sources, &imported.diagnostics), expected);
    let ir = imported.ir.expect("no errors");
    assert_eq!(ir.entities.len(), 17);
    let website_event = entity(&ir, "WebsiteEvent");
    assert_eq!(website_event.table, "website_event");
    let lifatid = website_event.field("lifatid").expect("a field");
    assert_eq!((lifatid.column.as_str(), &lifatid.ty), ("li_fat_id", &Type::Varchar { length: 255 }));
    assert_eq!(website_event.field("cls").map(|f| &f.ty), Some(&Type::Numeric { precision: Some(10), scale: Some(4) }));
}

#[test]
fn umami_mysql_schema_parses_and_maps_its_native_types() {
    let (sources, imported) = import(&umami("v2.20.2/mysql"));
    let found = listed(&sources, &imported.diagnostics);
    let count = |code: &str| found.iter().filter(|l| l.starts_with(code)).count();
    assert_eq!(found[0], "W1007 6: the schema is written for `mysql`, not PostgreSQL");
    assert_eq!((count("W1007"), count("W1002"), count("W1001"), count("W1004")), (1, 1, 6, 3), "{found:#?}");
    assert!(found
        .iter()
        .filter(|l| l.starts_with("W1004"))
        .all(|l| l.contains("`@db.UnsignedInt` is imported as `bigint`")));
    let ir = imported.ir.expect("no errors");
    let session = entity(&ir, "Session");
    assert_eq!(session.field("id").map(|f| &f.ty), Some(&Type::Varchar { length: 36 }));
    assert_eq!(session.field("region").map(|f| &f.ty), Some(&Type::Char { length: 20 }));
    assert_eq!(session.field("created_at").map(|f| &f.ty), Some(&Type::Timestamp { precision: Some(0) }));
}

// --------------------------------------------------------------- end to end

/// The migration.sql files of a Prisma migrations directory, in the order
/// Prisma applies them.
fn migrations(version: &str) -> Vec<String> {
    let dir = format!("{CORPUS}/{version}/migrations");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the migrations are there")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.iter().map(|n| std::fs::read_to_string(format!("{dir}/{n}/migration.sql")).expect("readable")).collect()
}

/// Imports `text`, raises the IR to `.schema` source, compiles and builds it
/// for PostgreSQL (no inferred indexes, no column reordering: what was
/// imported, nothing else) and applies it to a new database.
fn build_imported(label: &str, name: &str, text: &str) -> TestDb {
    let mut sources = Sources::new();
    let file = sources.add(name, text);
    let imported = prisma::import(&sources, &[file]);
    let rendered = render::human_string(&sources, &imported.diagnostics);
    let ir = imported.ir.unwrap_or_else(|| panic!("import failed:\n{rendered}"));
    let source = schemac::semantic::raise::source(&ir);
    let mut compilation = schemac::driver::compile_str("imported.schema", &source);
    let errors: Vec<&Diagnostic> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(
        errors.is_empty(),
        "the raised source does not compile:\n{}\n{source}",
        render::human_string(&compilation.sources, &compilation.diagnostics)
    );
    let mut options = schemac::pipeline::Options::default();
    options.passes.fk_indexes = false;
    options.passes.advise_indexes = false;
    options.passes.reorder_columns = false;
    let output = schemac::pipeline::build(&mut compilation, &options);
    assert!(
        !output.diagnostics.iter().any(Diagnostic::is_error),
        "{}",
        render::human_string(&compilation.sources, &output.diagnostics)
    );
    let sql = &output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("built for postgres").contents;
    let mut db = TestDb::new(label);
    db.apply(sql);
    db
}

/// The differences between the database Prisma's SQL made (`prisma`) and
/// the one the imported schema built, by the object they concern.
fn differences(prisma: &mut TestDb, imported: &mut TestDb) -> Vec<String> {
    let (expected, actual) = (prisma.catalog("public"), imported.catalog("public"));
    let mut objects: Vec<String> = compare(&expected, &actual).into_iter().map(|d| d.object).collect();
    objects.sort();
    objects
}

/// The tables whose columns later umami migrations added with `ALTER TABLE
/// … ADD COLUMN`, which appends: their column order in the database is the
/// history's, not schema.prisma's. (Prisma itself ignores column order
/// when it compares a schema with a database.)
const UMAMI_APPENDED_COLUMNS: [&str; 6] = ["session", "session_data", "team", "user", "website", "website_event"];

fn umami_expected(extra: &[&str]) -> Vec<String> {
    let mut expected: Vec<String> =
        UMAMI_APPENDED_COLUMNS.iter().map(|t| format!("column order of table {t}")).collect();
    // 01_init runs `CREATE EXTENSION IF NOT EXISTS "pgcrypto"` (for the
    // gen_random_uuid() of later data migrations); schema.prisma does not
    // declare it, and nothing in the schema needs it.
    expected.push("extension pgcrypto".into());
    expected.extend(extra.iter().map(|e| e.to_string()));
    expected.sort();
    expected
}

#[test]
fn umami_v2_builds_the_database_prismas_migrations_make() {
    let version = "v2.20.2/postgresql";
    let mut prisma = TestDb::new("prisma_umami2_migrations");
    for sql in migrations(version) {
        prisma.apply(&sql);
    }
    let mut imported = build_imported("prisma_umami2_imported", "schema.prisma", &umami(version));
    assert_eq!(differences(&mut prisma, &mut imported), umami_expected(&[]));
}

#[test]
fn umami_v3_builds_the_database_prismas_migrations_make() {
    let version = "v3.1.0/postgresql";
    let mut prisma = TestDb::new("prisma_umami3_migrations");
    for sql in migrations(version) {
        prisma.apply(&sql);
    }
    let mut imported = build_imported("prisma_umami3_imported", "schema.prisma", &umami(version));
    assert_eq!(
        differences(&mut prisma, &mut imported),
        umami_expected(&[
            // 19_add_session_replay is written by hand: it makes a UNIQUE
            // constraint where Prisma (and the import) make the unique index
            // `@@unique([websiteId, visitId])` stands for. Same name, same rule.
            "index session_replay_saved_website_id_visit_id_key",
            "unique session_replay_saved_website_id_visit_id_key on table session_replay_saved",
            // schema.prisma declares `@@index([visitId])` on SessionReplay;
            // the hand-written migration never created it (umami's drift).
            "index session_replay_visit_id_idx",
        ])
    );
}

/// A schema with what umami lacks (foreign keys, an enum, serial keys, an
/// implicit many-to-many table, lists, @@map), against the SQL Prisma 6
/// generates for it (tests/prisma/blog.sql, in Prisma's own layout).
#[test]
fn a_schema_with_relations_builds_the_database_prismas_sql_makes() {
    let mut prisma = TestDb::new("prisma_blog_migration");
    prisma.apply(include_str!("prisma/blog.sql"));
    let mut imported = build_imported("prisma_blog_imported", "blog.prisma", include_str!("prisma/blog.prisma"));
    assert_eq!(
        differences(&mut prisma, &mut imported),
        [
            // W1003: Prisma names the type exactly as the enum, schemac in
            // snake_case; so the column's type and default differ too.
            "column User.role",
            // `///` comments are documentation in the language (SQL
            // comments); Prisma keeps them out of the database.
            "column posts.authorId comment",
            // Prisma writes `DEFAULT ARRAY[]::TEXT[]`, schemac `'{}'::text[]`:
            // the same empty array, spelled differently in the catalog.
            "column posts.tags",
            "enum Role",
            "enum role",
            "table User comment",
            // A one-to-one relation (`--`) adds a UNIQUE constraint to its
            // key field, beside the unique index Prisma's `@unique` makes.
            "unique Profile_userId_key1 on table Profile",
        ]
    );
}
