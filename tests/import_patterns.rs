//! `schemac import` recognises the patterns schemac made, on the real
//! server: a database built from `apply timestamps` and `<->` relations
//! (with and without `through`, and of an entity with itself) imports as
//! source that says so — and only where it provably builds the same
//! database. A table that merely has `created_at`/`updated_at`, or keeps them
//! with a hand-written trigger, and a junction with a column of its own stay
//! spelled out. The imported source builds a database equal to the first,
//! and the same database imports twice to the same text.

mod support;

use schemac::backends::postgres::compare::compare;
use schemac::backends::postgres::Catalog;
use schemac::import;
use schemac::import::introspect::postgres::read_view_dependencies;
use schemac::semantic::raise;
use support::pg::TestDb;

const SCHEMA: &str = r#"
use std::patterns::timestamps

entity Film {
  id    bigint = identity primary
  title text
  apply timestamps
}

entity Actor {
  id   int = identity primary
  name text
  apply timestamps
}

/// The pattern's columns between others, and a relation's after them.
entity Review {
  id    bigint = identity primary
  stars int
  apply timestamps
  body  text
}

entity Tag {
  id    int = identity primary
  label text
}

/// Has the columns, but not the pattern's triggers.
entity Plain {
  id         int         = identity primary
  created_at timestamptz = now()
  updated_at timestamptz = now()
}

entity Person {
  id int = identity primary
}

/// A junction with a column of its own: an entity.
entity Casting {
  film_id  bigint
  actor_id int
  role     text
  primary (film_id, actor_id)
}

relation Casting.film -> Film { required on delete cascade columns (film_id) }
relation Casting.actor -> Actor { required on delete cascade columns (actor_id) }
relation Film.actors <-> Actor.films
relation Review.film -> Film
relation Film.tags <-> Tag.films { through Tagging }
relation Person.followers <-> Person.following
"#;

/// The options of the project `schemac import` writes.
fn options() -> schemac::pipeline::Options {
    let mut options = schemac::pipeline::Options::default();
    options.passes.fk_indexes = false;
    options.passes.advise_indexes = false;
    options.passes.reorder_columns = false;
    options
}

/// The PostgreSQL DDL of `source`, which must compile and build.
fn ddl(label: &str, source: &str) -> String {
    let mut compilation = schemac::driver::compile_str(&format!("{label}.schema"), source);
    let errors: Vec<_> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{label}: does not compile: {errors:#?}\n{source}");
    let output = schemac::pipeline::build(&mut compilation, &options());
    assert!(!output.diagnostics.iter().any(|d| d.is_error()), "{label}: {:#?}", output.diagnostics);
    output.artifacts.into_iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact").contents
}

struct Imported {
    source: String,
    recognised: import::recognise::Recognised,
}

fn import_public(db: &mut TestDb) -> Imported {
    let catalog = db.catalog("public");
    let views = read_view_dependencies(&mut db.client, "public").expect("view dependencies");
    let imported = import::postgres::import(&catalog, &views);
    let recognised = import::recognise::recognise(imported.ir, &catalog, &options());
    Imported { source: raise::source(&recognised.ir), recognised }
}

/// The entity block `name` of `source`.
fn entity<'s>(source: &'s str, name: &str) -> &'s str {
    let start = source.find(&format!("\nentity {name} {{\n")).unwrap_or_else(|| panic!("no entity {name}:\n{source}"));
    let end = source[start + 1..].find("\n}\n").expect("entity end") + start + 3;
    &source[start..end]
}

/// Builds the imported source into an empty database and compares it with `original`.
fn rebuilds(label: &str, source: &str, original: &Catalog) {
    let mut b = TestDb::new(&format!("{label}_b"));
    b.apply(&ddl(label, source));
    let differences: Vec<String> = compare(original, &b.catalog("public")).iter().map(|d| d.to_string()).collect();
    assert!(differences.is_empty(), "{label}: the rebuilt database differs:\n{}\n{source}", differences.join("\n"));
}

#[test]
fn patterns_schemac_made_come_back() {
    let mut a = TestDb::new("patterns_a");
    a.apply(&ddl("patterns", SCHEMA));
    let original = a.catalog("public");
    let imported = import_public(&mut a);
    let source = &imported.source;

    assert!(source.starts_with("use std::patterns::timestamps\n"), "{source}");
    for name in ["Film", "Actor", "Review"] {
        let block = entity(source, name);
        assert!(block.contains("  apply timestamps\n"), "{name}:\n{block}");
        assert!(!block.contains("created_at"), "{name} spells out the pattern's fields:\n{block}");
    }
    for name in ["Tag", "Plain", "Person", "Casting"] {
        assert!(!entity(source, name).contains("apply"), "{name} applies a pattern:\n{source}");
    }
    assert!(entity(source, "Plain").contains("created_at timestamptz = now()"), "{source}");
    assert!(!source.contains("function ") && !source.contains("trigger "), "routines left over:\n{source}");
    assert!(source.contains("\nrelation Film.actors <-> Actor.films\n"), "{source}");
    assert!(source.contains("\nrelation Film.tags <-> Tag.films {\n  through Tagging\n}\n"), "{source}");
    assert!(source.contains("\nrelation Person.followers <-> Person.following"), "{source}");
    for junction in ["FilmActor", "Tagging", "PersonPerson"] {
        assert!(!source.contains(&format!("entity {junction} ")), "{junction} stays an entity:\n{source}");
    }
    assert!(source.contains("\nrelation Casting.film -> Film."), "{source}");
    let review = entity(source, "Review");
    let at = |what: &str| review.find(what).unwrap_or_else(|| panic!("no `{what}` in\n{review}"));
    assert!(at("stars") < at("apply timestamps") && at("apply timestamps") < at("body"), "{review}");
    assert_eq!(imported.recognised.timestamps, ["Actor", "Film", "Review"]);
    assert_eq!(imported.recognised.junctions, ["film_actor", "person_person", "tagging"]);
    assert!(imported.recognised.diagnostics.is_empty(), "{:#?}", imported.recognised.diagnostics);
    assert_eq!(
        imported.recognised.summary().as_deref(),
        Some("recognised `apply timestamps` on 3 entities, `<->` for 3 junction tables")
    );

    let again = import_public(&mut a);
    assert_eq!(*source, again.source, "importing the same database twice differs");
    rebuilds("patterns", source, &original);
}

#[test]
fn look_alikes_stay_spelled_out_and_say_why() {
    let mut a = TestDb::new("lookalike_a");
    a.apply(&ddl("lookalike", SCHEMA));
    // A hand-written trigger keeps Plain's updated_at; Film's trigger
    // function is not the pattern's any more; the junction film_actor gets
    // an index the relation would not make.
    a.apply(
        "CREATE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n\
         CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.plain FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();\n\
         COMMENT ON FUNCTION public.film_touch() IS 'ours now';\n\
         CREATE INDEX film_actor_actor_id_idx ON public.film_actor (actor_id);",
    );
    let original = a.catalog("public");
    let imported = import_public(&mut a);
    let source = &imported.source;

    assert!(entity(source, "Actor").contains("apply timestamps"), "{source}");
    let film = entity(source, "Film");
    assert!(!film.contains("apply") && film.contains("created_at"), "{film}");
    assert!(source.contains("trigger film_touch on Film") && source.contains("trigger set_updated_at on Plain"));
    assert!(source.contains("\nentity FilmActor {\n"), "{source}");
    assert!(source.contains("\nrelation Film.tags <-> Tag.films {"), "{source}");
    assert_eq!(imported.recognised.timestamps, ["Actor", "Review"]);
    assert_eq!(imported.recognised.junctions, ["person_person", "tagging"]);

    let warnings: Vec<String> = imported
        .recognised
        .diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.code.0, "W1050");
            format!("{d:?}")
        })
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(warnings.iter().any(|w| w.contains("`Plain`") && w.contains("`set_updated_at`")), "{warnings:#?}");
    assert!(warnings.iter().any(|w| w.contains("`Film`") && w.contains("film_touch")), "{warnings:#?}");

    rebuilds("lookalike", source, &original);
}

/// 200 tables — 100 with the pattern, 50 junctions — are recognised in one
/// proof, and the time it takes is small beside the import's own build.
#[test]
fn a_large_database_is_recognised_in_one_proof() {
    let mut schema = String::from("use std::patterns::timestamps\n");
    for i in 0..150 {
        let apply = if i % 3 != 2 { "apply timestamps" } else { "" };
        schema.push_str(&format!("entity E{i} {{ id bigint = identity primary  name text  {apply} }}\n"));
    }
    for i in 0..50 {
        schema.push_str(&format!("relation E{i}.others <-> E{}.backs\n", i + 50));
    }
    let mut a = TestDb::new("patterns_large_a");
    a.apply(&ddl("large", &schema));
    let original = a.catalog("public");
    assert_eq!(original.tables.len(), 200);
    let views = read_view_dependencies(&mut a.client, "public").expect("view dependencies");
    let imported = import::postgres::import(&original, &views);
    let started = std::time::Instant::now();
    let recognised = import::recognise::recognise(imported.ir, &original, &options());
    let took = started.elapsed();
    eprintln!("recognition on 200 tables: {} ms", took.as_millis());
    assert_eq!(recognised.timestamps.len(), 100);
    assert_eq!(recognised.junctions.len(), 50);
    assert!(recognised.diagnostics.is_empty(), "{:#?}", recognised.diagnostics);
    assert!(took < std::time::Duration::from_secs(5), "recognition took {took:?}");
    rebuilds("large", &raise::source(&recognised.ir), &original);
}
