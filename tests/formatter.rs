//! The formatter's contract, end to end: formatting is idempotent, the printed
//! text parses back to the same tree (comments included), and no comment is
//! ever lost — for the sample schema and for randomly generated valid schemas
//! laid out with random whitespace, line breaks and comments.
//!
//! Tests only: they use the public `parse` and `printer::print` and must not
//! depend on how the printer places things internally.

mod support;

use proptest::prelude::*;
use proptest::sample::select;
use schemac::diagnostics::FileId;
use schemac::syntax::{parse, printer};

/// The sample schema from the language reference.
use support::SAMPLE;

/// Formats `source` and checks the whole contract; returns the printed text.
fn format_checked(source: &str) -> Result<String, String> {
    let original = parse(FileId(0), source);
    if !original.diagnostics.is_empty() {
        return Err(format!("the input itself has syntax errors: {:#?}\n--- input\n{source}", original.diagnostics));
    }
    let printed = printer::print(&original.file, source).map_err(|d| format!("print failed: {d:#?}"))?;
    let reparsed = parse(FileId(0), &printed);
    if !reparsed.diagnostics.is_empty() {
        return Err(format!(
            "the printed text has syntax errors: {:#?}\n--- input\n{source}\n--- printed\n{printed}",
            reparsed.diagnostics
        ));
    }
    let texts =
        |file: &schemac::syntax::ast::SourceFile| file.comments.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
    if texts(&reparsed.file) != texts(&original.file) {
        return Err(format!(
            "comments changed: {:?} became {:?}\n--- input\n{source}\n--- printed\n{printed}",
            texts(&original.file),
            texts(&reparsed.file)
        ));
    }
    if reparsed.file != original.file {
        return Err(format!(
            "the printed text parses to a different tree\n--- input\n{source}\n--- printed\n{printed}"
        ));
    }
    let again = printer::print(&reparsed.file, &printed).map_err(|d| format!("second print failed: {d:#?}"))?;
    if again != printed {
        return Err(format!("formatting is not idempotent\n--- first\n{printed}\n--- second\n{again}"));
    }
    Ok(printed)
}

#[test]
fn sample_schema_formats_idempotently_and_keeps_every_comment() {
    let printed = format_checked(SAMPLE).unwrap_or_else(|e| panic!("{e}"));
    let mut rest = printed.as_str();
    for comment in parse(FileId(0), SAMPLE).file.comments {
        let at =
            rest.find(&comment.text).unwrap_or_else(|| panic!("`{}` lost or out of order:\n{printed}", comment.text));
        rest = &rest[at + comment.text.len()..];
    }
    assert!(printed.contains("  email    email  // std type: text + check + citext on PG\n"), "{printed}");
    assert!(printed.contains("relation Post.author -> User.posts {  // many Post to one User"), "{printed}");
    assert!(printed.contains("  check (published == false or published_at is not null)\n"), "{printed}");
    assert!(printed.starts_with("// examples/saas/app.schema\nuse std::patterns::"), "{printed}");
}

#[test]
fn formatting_formatted_text_changes_nothing() {
    let once = format_checked(SAMPLE).unwrap_or_else(|e| panic!("{e}"));
    let twice = format_checked(&once).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(once, twice);
}

// Things the parser once lost (alias checks; a context field's `check` on a
// later line): the formatter would have written the loss back to disk.

#[test]
fn formatting_keeps_a_type_alias_check() {
    let source = "type email = text check (value ~ '@')\n";
    let printed = format_checked(source).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(printed, source, "the alias check expression was replaced");
}

#[test]
fn a_context_check_on_its_own_line_is_an_error_not_silently_dropped() {
    let source = "context {\n  tenant_id uuid\n    check (tenant_id is not null)\n}\n";
    let parsed = parse(FileId(0), source);
    assert_eq!(parsed.diagnostics.iter().map(|d| d.code.0).collect::<Vec<_>>(), ["E0111"]);
    assert!(format_checked(source).is_err(), "a file with diagnostics is never formatted");
}

// ---------------------------------------------------------------- the model

const ENTITIES: &[&str] = &["User", "Post", "Team", "Tenant", "Invoice", "A1"];
const COLUMNS: &[&str] = &["id", "name", "email", "title", "score", "owner", "created_at", "amount", "body_text", "x1"];
const TYPES: &[&str] = &[
    "uuid",
    "text",
    "int",
    "bigint",
    "bool",
    "timestamptz",
    "varchar(200)",
    "numeric(10,2)",
    "numeric( 12 , 2 )",
    "text[]",
    "int[][]",
    "Plan",
    "email",
];
const ATOMS: &[&str] = &[
    "a",
    "b",
    "name",
    "ctx.tenant_id",
    "author.name",
    "1",
    "42",
    "007",
    "2.5",
    "true",
    "false",
    "null",
    "$user",
    "now()",
];
const STRINGS: &[&str] =
    &["plain", "it's", "say \"hi\"", "two\nlines", "tab\there", "back\\slash", "// not a comment", "{ brace", ""];
const FUNCTIONS: &[&str] = &["length", "lower", "coalesce", "uuid_v7"];
const OPERATORS: &[&str] =
    &["==", "=", "!=", "<>", "<", "<=", ">", ">=", "and", "or", "+", "-", "*", "/", "%", "||", "like", "ilike", "~"];
const COMMENTS: &[&str] = &[
    "// note",
    "//tight",
    "//// four slashes",
    "// has { brace and 'quote",
    "//",
    "// ends with spaces   ",
    "// \"double\" (paren",
];
const DOCS: &[&str] = &["A documented thing.", "", " indented", "with // slashes", "/ starts with a slash", "{ brace"];
const ACTIONS: &[&str] = &["cascade", "restrict", "set null", "set default", "no action"];
const ROLES: &[&str] = &["app_user", "support", "admin"];

type Name = &'static str;
type Docs = Vec<Name>;

#[derive(Debug, Clone)]
enum Ex {
    Atom(Name),
    Str(Name),
    Not(Box<Ex>),
    Neg(Box<Ex>),
    Binary(Name, Box<Ex>, Box<Ex>),
    Paren(Box<Ex>),
    Call(Name, Vec<Ex>),
    In(Box<Ex>, Vec<Ex>, bool),
    Between(Box<Ex>, Box<Ex>, Box<Ex>, bool),
    IsNull(Box<Ex>, bool),
    Array(Vec<Ex>),
    Object(Vec<(Name, Ex)>),
}

#[derive(Debug, Clone)]
enum DefaultValue {
    Value(Ex),
    Identity,
    Generated(Ex),
}

#[derive(Debug, Clone)]
enum Modifier {
    Primary,
    Unique,
    Check(Ex),
    Pii(Name),
    RenamedFrom(Name),
    Doc(Name),
}

#[derive(Debug, Clone)]
struct Field {
    docs: Docs,
    name: Name,
    ty: Name,
    optional: bool,
    default: Option<DefaultValue>,
    modifiers: Vec<Modifier>,
}

/// `name` or `name(arg: value, …)` in an `apply` list.
type PatternUse = (Name, Option<Vec<(Name, Ex)>>);

#[derive(Debug, Clone)]
enum Attribute {
    Primary(Vec<Name>),
    Unique(Vec<Name>, Option<Ex>),
    Index { keys: Vec<(Ex, u8, u8)>, include: Vec<Name>, predicate: Option<Ex>, method: Option<Name> },
    Check(Option<Name>, Ex),
    Search(Vec<(Name, Option<char>)>, Option<Name>),
    Partition(u8),
    Apply(Vec<PatternUse>),
    Volume(Name, Option<(Name, Name)>),
    RenamedFrom(Name),
    Behaviour(Name, Option<Vec<Ex>>),
}

#[derive(Debug, Clone)]
enum Member {
    Field(Field),
    Attribute(Attribute),
    Relation(Relation),
}

#[derive(Debug, Clone)]
enum RelationItem {
    Required,
    OnDelete(Name),
    OnUpdate(Name),
    Deferrable,
    Through(Name, Option<Vec<Member>>),
}

#[derive(Debug, Clone)]
struct Relation {
    docs: Docs,
    from: (Name, Option<Name>),
    cardinality: Name,
    to: (Name, Option<Name>),
    body: Option<Vec<RelationItem>>,
}

#[derive(Debug, Clone)]
enum PolicyItem {
    To(Vec<Name>),
    For(Vec<Name>),
    Using(Ex),
    Check(Ex),
    Mode(Name),
}

#[derive(Debug, Clone)]
struct Query {
    docs: Docs,
    name: Name,
    entity: Name,
    filter: Option<Ex>,
    order: Vec<(Ex, u8)>,
    limit: Option<u32>,
    rate: Option<(Name, Name)>,
}

#[derive(Debug, Clone)]
enum Declaration {
    Use(Vec<Name>, u8, Vec<Name>),
    Enum(Docs, Name, Vec<(Docs, Name)>),
    Alias(Docs, Name, Name, Option<Ex>),
    Entity(Docs, Name, Vec<Member>),
    Relation(Relation),
    Pattern(Docs, Name, Option<Vec<(Name, Option<Ex>)>>, Vec<Member>),
    Role(Docs, Name, Vec<Name>, bool),
    Grant(Vec<(Name, Option<Vec<Name>>)>, Vec<Name>, Vec<Name>),
    Policy(Docs, Name, Vec<Name>, Vec<PolicyItem>),
    Context(Docs, Vec<Field>),
    Workload(Docs, Option<Name>, Vec<Query>),
    View(Docs, bool, Name, Option<(Name, Option<Ex>, Option<Vec<Name>>)>, Vec<(Name, Name)>),
}

// ---------------------------------------------------------------- strategies

fn docs() -> impl Strategy<Value = Docs> {
    prop::collection::vec(select(DOCS), 0..3).prop_map(|d| if d.len() == 2 { Vec::new() } else { d })
}

fn names(pool: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<Name>> {
    prop::collection::vec(select(pool), 1..=max)
}

fn atom() -> impl Strategy<Value = Ex> {
    prop_oneof![4 => select(ATOMS).prop_map(Ex::Atom), 1 => select(STRINGS).prop_map(Ex::Str)]
}

/// `between` bounds are a primary, optionally negated.
fn bound() -> impl Strategy<Value = Ex> {
    prop_oneof![3 => atom(), 1 => atom().prop_map(|a| Ex::Neg(Box::new(a)))]
}

fn expr() -> impl Strategy<Value = Ex> {
    atom().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            4 => (select(OPERATORS), inner.clone(), inner.clone())
                .prop_map(|(op, l, r)| Ex::Binary(op, Box::new(l), Box::new(r))),
            1 => inner.clone().prop_map(|e| Ex::Not(Box::new(e))),
            1 => inner.clone().prop_map(|e| Ex::Neg(Box::new(e))),
            2 => inner.clone().prop_map(|e| Ex::Paren(Box::new(e))),
            1 => (select(FUNCTIONS), prop::collection::vec(inner.clone(), 0..3)).prop_map(|(f, a)| Ex::Call(f, a)),
            1 => (inner.clone(), prop::collection::vec(inner.clone(), 1..3), any::<bool>())
                .prop_map(|(e, l, n)| Ex::In(Box::new(e), l, n)),
            1 => (inner.clone(), bound(), bound(), any::<bool>())
                .prop_map(|(e, lo, hi, n)| Ex::Between(Box::new(e), Box::new(lo), Box::new(hi), n)),
            1 => (inner.clone(), any::<bool>()).prop_map(|(e, n)| Ex::IsNull(Box::new(e), n)),
            1 => prop::collection::vec(inner.clone(), 0..3).prop_map(Ex::Array),
            1 => prop::collection::vec((select(STRINGS), inner), 0..3).prop_map(Ex::Object),
        ]
    })
}

fn modifier() -> impl Strategy<Value = Modifier> {
    prop_oneof![
        Just(Modifier::Primary),
        Just(Modifier::Unique),
        expr().prop_map(Modifier::Check),
        select(&["mask", "encrypt", "hash"][..]).prop_map(Modifier::Pii),
        select(COLUMNS).prop_map(Modifier::RenamedFrom),
        select(STRINGS).prop_map(Modifier::Doc),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    let default = prop_oneof![
        4 => Just(None),
        3 => expr().prop_map(|e| Some(DefaultValue::Value(e))),
        1 => Just(Some(DefaultValue::Identity)),
        1 => expr().prop_map(|e| Some(DefaultValue::Generated(e))),
    ];
    (docs(), select(COLUMNS), select(TYPES), any::<bool>(), default, prop::collection::vec(modifier(), 0..3)).prop_map(
        |(docs, name, ty, optional, default, modifiers)| Field { docs, name, ty, optional, default, modifiers },
    )
}

fn attribute() -> impl Strategy<Value = Attribute> {
    let index_key = (expr(), 0..3u8, 0..3u8);
    let apply_args = prop::option::of(prop::collection::vec((select(COLUMNS), expr()), 0..3));
    prop_oneof![
        names(COLUMNS, 3).prop_map(Attribute::Primary),
        (names(COLUMNS, 2), prop::option::of(expr())).prop_map(|(c, p)| Attribute::Unique(c, p)),
        (
            prop::collection::vec(index_key, 1..3),
            prop::collection::vec(select(COLUMNS), 0..2),
            prop::option::of(expr()),
            prop::option::of(select(&["gin", "btree", "gist"][..]))
        )
            .prop_map(|(keys, include, predicate, method)| Attribute::Index {
                keys,
                include,
                predicate,
                method
            }),
        (prop::option::of(select(&["positive", "sane"][..])), expr()).prop_map(|(n, e)| Attribute::Check(n, e)),
        (
            prop::collection::vec((select(COLUMNS), prop::option::of(select(&['A', 'B', 'C', 'D'][..]))), 1..3),
            prop::option::of(select(&["english", "simple"][..]))
        )
            .prop_map(|(c, l)| Attribute::Search(c, l)),
        (0..3u8).prop_map(Attribute::Partition),
        prop::collection::vec((select(&["timestamps", "audit", "soft_delete"][..]), apply_args), 1..3)
            .prop_map(Attribute::Apply),
        (
            select(&["2M", "10", "1.5K", "3B", "500k"][..]),
            prop::option::of((select(&["5k", "10", "2.5M"][..]), select(&["day", "month", "hours", "week"][..])))
        )
            .prop_map(|(rows, growth)| Attribute::Volume(rows, growth)),
        select(COLUMNS).prop_map(Attribute::RenamedFrom),
    ]
}

fn entity_members() -> impl Strategy<Value = Vec<Member>> {
    prop::collection::vec(
        prop_oneof![
            6 => field().prop_map(Member::Field),
            2 => attribute().prop_map(Member::Attribute),
            1 => behaviour(),
            1 => own_relation(),
        ],
        0..6,
    )
}

fn behaviour() -> impl Strategy<Value = Member> {
    (select(&["hide_deleted", "stamp"][..]), prop::option::of(prop::collection::vec(expr(), 0..3)))
        .prop_map(|(n, a)| Member::Attribute(Attribute::Behaviour(n, a)))
}

/// `relation Self.field -> Entity …` inside an entity or a pattern.
fn own_relation() -> impl Strategy<Value = Member> {
    (select(COLUMNS), select(&["->", "--"][..]), select(ENTITIES), relation_body()).prop_map(
        |(field, cardinality, to, body)| {
            Member::Relation(Relation {
                docs: Vec::new(),
                from: ("Self", Some(field)),
                cardinality,
                to: (to, None),
                body,
            })
        },
    )
}

fn relation_end() -> impl Strategy<Value = (Name, Option<Name>)> {
    (select(ENTITIES), prop::option::of(select(COLUMNS)))
}

fn relation_body() -> impl Strategy<Value = Option<Vec<RelationItem>>> {
    let through_members = prop::collection::vec(
        prop_oneof![3 => field().prop_map(Member::Field), 1 => attribute().prop_map(Member::Attribute)],
        0..3,
    );
    let item = prop_oneof![
        Just(RelationItem::Required),
        select(ACTIONS).prop_map(RelationItem::OnDelete),
        select(ACTIONS).prop_map(RelationItem::OnUpdate),
        Just(RelationItem::Deferrable),
        (select(&["Membership", "Tagging"][..]), prop::option::of(through_members))
            .prop_map(|(e, m)| RelationItem::Through(e, m)),
    ];
    prop::option::of(prop::collection::vec(item, 0..4))
}

fn relation() -> impl Strategy<Value = Relation> {
    (docs(), relation_end(), select(&["->", "--", "<->"][..]), relation_end(), relation_body())
        .prop_map(|(docs, from, cardinality, to, body)| Relation { docs, from, cardinality, to, body })
}

fn pattern_members() -> impl Strategy<Value = Vec<Member>> {
    prop::collection::vec(
        prop_oneof![
            3 => field().prop_map(Member::Field),
            1 => attribute().prop_map(Member::Attribute),
            1 => behaviour(),
            1 => own_relation(),
        ],
        0..5,
    )
}

fn query() -> impl Strategy<Value = Query> {
    (
        docs(),
        select(&["feed", "by_id", "search"][..]),
        select(ENTITIES),
        prop::option::of(expr()),
        prop::collection::vec((expr(), 0..3u8), 0..3),
        prop::option::of(0..1000u32),
        prop::option::of((select(&["500", "2k", "1.5"][..]), select(&["s", "min", "h", "day"][..]))),
    )
        .prop_map(|(docs, name, entity, filter, order, limit, rate)| Query {
            docs,
            name,
            entity,
            filter,
            order,
            limit,
            rate,
        })
}

fn policy_item() -> impl Strategy<Value = PolicyItem> {
    prop_oneof![
        names(ROLES, 2).prop_map(PolicyItem::To),
        names(&["select", "insert", "update", "delete", "all"], 3).prop_map(PolicyItem::For),
        expr().prop_map(PolicyItem::Using),
        expr().prop_map(PolicyItem::Check),
        select(&["permissive", "restrictive"][..]).prop_map(PolicyItem::Mode),
    ]
}

fn declaration() -> impl Strategy<Value = Declaration> {
    let privilege = (
        select(&["select", "insert", "update", "delete", "references", "truncate", "all"][..]),
        prop::option::of(names(COLUMNS, 3)),
    );
    let view_query = (select(ENTITIES), prop::option::of(expr()), prop::option::of(names(COLUMNS, 3)));
    prop_oneof![
        (names(&["std", "patterns", "types", "local"], 3), 0..3u8, names(&["email", "slug", "money"], 3))
            .prop_map(|(p, k, i)| Declaration::Use(p, k, i)),
        (
            docs(),
            select(&["Plan", "Status"][..]),
            prop::collection::vec((docs(), select(&["free", "pro", "enterprise", "trial", "legacy", "x_y"][..])), 0..5)
        )
            .prop_map(|(d, n, v)| Declaration::Enum(d, n, v)),
        (docs(), select(&["money", "short_text"][..]), select(TYPES), prop::option::of(expr()))
            .prop_map(|(d, n, t, c)| Declaration::Alias(d, n, t, c)),
        (docs(), select(ENTITIES), entity_members()).prop_map(|(d, n, m)| Declaration::Entity(d, n, m)),
        relation().prop_map(Declaration::Relation),
        (
            docs(),
            select(&["soft_delete", "tenant_scoped"][..]),
            prop::option::of(prop::collection::vec((select(COLUMNS), prop::option::of(expr())), 0..3)),
            pattern_members()
        )
            .prop_map(|(d, n, p, m)| Declaration::Pattern(d, n, p, m)),
        (docs(), select(ROLES), prop::collection::vec(select(ROLES), 0..3), any::<bool>())
            .prop_map(|(d, n, i, l)| Declaration::Role(d, n, i, l)),
        (prop::collection::vec(privilege, 1..3), names(ENTITIES, 2), names(ROLES, 2))
            .prop_map(|(p, e, r)| Declaration::Grant(p, e, r)),
        (
            docs(),
            select(&["isolation", "owner_only"][..]),
            names(ENTITIES, 2),
            prop::collection::vec(policy_item(), 0..5)
        )
            .prop_map(|(d, n, e, i)| Declaration::Policy(d, n, e, i)),
        (docs(), prop::collection::vec(field(), 0..4)).prop_map(|(d, f)| Declaration::Context(d, f)),
        (docs(), prop::option::of(select(&["hot", "reports"][..])), prop::collection::vec(query(), 0..3))
            .prop_map(|(d, n, q)| Declaration::Workload(d, n, q)),
        (
            docs(),
            any::<bool>(),
            select(&["recent", "active"][..]),
            prop::option::of(view_query),
            prop::collection::vec((select(&["postgres", "sqlite"][..]), select(STRINGS)), 0..3)
        )
            .prop_map(|(d, m, n, q, s)| Declaration::View(d, m, n, q, s)),
    ]
}

// ---------------------------------------------------------------- rendering

/// Renders a model to source text, drawing layout choices (spacing, line
/// breaks, comments, quoting) from `choices`.
struct Writer {
    choices: Vec<u8>,
    at: usize,
    out: String,
}

impl Writer {
    fn pick(&mut self, n: usize) -> usize {
        let choice = self.choices.get(self.at % self.choices.len().max(1)).copied().unwrap_or(0);
        self.at += 1;
        choice as usize % n
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.pick(100) < percent
    }

    fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// Writes `likely` `percent` times in a hundred, `otherwise` the rest.
    fn either(&mut self, percent: usize, likely: &str, otherwise: &str) {
        let text = if self.chance(percent) { likely } else { otherwise };
        self.push(text);
    }

    fn comment(&mut self) {
        let text = COMMENTS[self.pick(COMMENTS.len())];
        self.out.push_str(text);
    }

    /// Space between tokens that must stay on one line.
    fn space(&mut self) {
        let space = [" ", " ", " ", "  ", " \t"][self.pick(5)];
        self.push(space);
    }

    /// Space between tokens where line breaks and comments are allowed.
    fn soft(&mut self) {
        match self.pick(20) {
            0 => self.push("\n      "),
            1 => {
                self.push(" ");
                self.comment();
                self.push("\n    ");
            }
            _ => self.space(),
        }
    }

    /// Ends an item: maybe a comment on its line, then a line break, maybe a
    /// blank line and comments on lines of their own.
    fn item_break(&mut self, indent: &str) {
        if self.chance(15) {
            self.space();
            self.comment();
        }
        self.push("\n");
        if self.chance(10) {
            self.push("\n");
        }
        for _ in 0..2 {
            if !self.chance(12) {
                break;
            }
            let indent = [indent, "", "      "][self.pick(3)];
            self.push(indent);
            self.comment();
            self.push("\n");
        }
    }

    /// Doc comments, unless the previous item ended in an expression: the
    /// grammar's `op_div` (`"/" ~ !"/"`, not atomic) reads `x\n/// doc\nname`
    /// as `x / name`, so such docs are left out rather than produce an
    /// invalid source.
    fn docs(&mut self, docs: &[Name], indent: &str) {
        for doc in docs {
            self.push(indent);
            let tight = doc.starts_with(|c: char| c.is_ascii_alphanumeric()) && self.chance(30);
            self.push(if tight { "///" } else { "/// " });
            self.push(doc);
            self.push("\n");
            if self.chance(8) {
                self.push(indent);
                self.comment();
                self.push("\n");
            }
        }
        self.push(indent);
    }

    fn list(&mut self, names: &[Name]) {
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                self.push(",");
                self.soft();
            }
            self.push(name);
        }
    }

    fn string(&mut self, value: &str) {
        if value.contains('\n') || self.chance(30) {
            let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            let escaped = if self.chance(50) { escaped.replace('\t', "\\t") } else { escaped };
            self.push(&format!("\"{escaped}\""));
        } else {
            self.push(&format!("'{}'", value.replace('\'', "''")));
        }
    }

    fn exprs(&mut self, items: &[Ex]) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(",");
                self.soft();
            }
            self.expr(item);
        }
    }

    fn expr(&mut self, e: &Ex) {
        self.expr_tokens(e);
    }

    fn expr_tokens(&mut self, e: &Ex) {
        match e {
            Ex::Atom(text) => self.push(text),
            Ex::Str(value) => self.string(value),
            Ex::Not(inner) => {
                self.push("not");
                self.soft();
                self.expr(inner);
            }
            Ex::Neg(inner) => {
                self.push("-");
                if self.chance(20) || matches!(**inner, Ex::Neg(_)) {
                    self.push(" ");
                }
                self.expr(inner);
            }
            Ex::Binary(op, left, right) => {
                self.expr(left);
                let symbolic = !op.starts_with(|c: char| c.is_ascii_alphabetic());
                let tight = symbolic && *op != "-" && !starts_with_minus(right) && self.chance(25);
                if !tight {
                    self.soft();
                }
                self.push(op);
                if !tight {
                    self.soft();
                }
                // The grammar rejects `a - -b` (`op_sub`'s lookahead runs
                // after the implicit whitespace), so that shape is bracketed.
                if *op == "-" && starts_with_minus(right) {
                    self.push("(");
                    self.expr(right);
                    self.push(")");
                } else {
                    self.expr(right);
                }
            }
            Ex::Paren(inner) => {
                self.push("(");
                self.expr(inner);
                self.push(")");
            }
            Ex::Call(name, args) => {
                self.push(name);
                self.push("(");
                self.exprs(args);
                self.push(")");
            }
            Ex::In(subject, list, negated) => {
                self.expr(subject);
                self.push(if *negated { " not in" } else { " in" });
                self.soft();
                self.push("(");
                self.exprs(list);
                self.push(")");
            }
            Ex::Between(subject, low, high, negated) => {
                self.expr(subject);
                self.push(if *negated { " not between " } else { " between " });
                self.expr(low);
                self.push(" and");
                self.soft();
                self.expr(high);
            }
            Ex::IsNull(subject, negated) => {
                self.expr(subject);
                self.push(if *negated { " is not null" } else { " is null" });
            }
            Ex::Array(items) => {
                self.push("[");
                self.exprs(items);
                self.push("]");
            }
            Ex::Object(members) => {
                self.push("{");
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.string(key);
                    self.push(": ");
                    self.expr(value);
                }
                self.push("}");
            }
        }
    }

    /// `detachable`: `check` and `renamed_from` may end up on a later line
    /// than the field's name (they then become attributes). Not in context
    /// blocks, whose parser drops such attributes silently (see the pinned
    /// test above): there they are left out once the field spans lines.
    fn field(&mut self, f: &Field, indent: &str, detachable: bool) {
        self.docs(&f.docs, indent);
        let start = self.out.len();
        self.push(f.name);
        self.space();
        self.push(f.ty);
        if f.optional {
            self.push("?");
        }
        match &f.default {
            Some(DefaultValue::Value(e)) => {
                self.either(30, "=", " = ");
                self.expr(e);
            }
            Some(DefaultValue::Identity) => self.push(" = identity"),
            Some(DefaultValue::Generated(e)) => {
                self.push(" = generated (");
                self.expr(e);
                self.push(")");
            }
            None => {}
        }
        for modifier in &f.modifiers {
            let detaches = matches!(modifier, Modifier::Check(_) | Modifier::RenamedFrom(_));
            if !detachable && detaches && self.out[start..].contains('\n') {
                continue;
            }
            if detachable && self.chance(10) {
                self.push("\n        ");
            } else {
                self.space();
            }
            match modifier {
                Modifier::Primary => self.push("primary"),
                Modifier::Unique => self.push("unique"),
                Modifier::Check(e) => {
                    self.push("check (");
                    self.expr(e);
                    self.push(")");
                }
                Modifier::Pii(mode) => self.push(&format!("pii({mode})")),
                Modifier::RenamedFrom(old) => self.push(&format!("renamed_from {old}")),
                Modifier::Doc(text) => {
                    self.push("doc ");
                    self.string(text);
                }
            }
        }
    }

    fn optional_where(&mut self, predicate: &Option<Ex>) {
        if let Some(predicate) = predicate {
            self.push(" where");
            self.soft();
            self.expr(predicate);
        }
    }

    fn attribute(&mut self, a: &Attribute) {
        match a {
            Attribute::Primary(columns) => {
                self.push("primary (");
                self.list(columns);
                self.push(")");
            }
            Attribute::Unique(columns, predicate) => {
                self.push("unique (");
                self.list(columns);
                self.push(")");
                self.optional_where(predicate);
            }
            Attribute::Index { keys, include, predicate, method } => {
                self.push("index (");
                for (i, (key, order, nulls)) in keys.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.expr(key);
                    self.push(["", " asc", " desc"][*order as usize]);
                    self.push(["", " nulls first", " nulls last"][*nulls as usize]);
                }
                self.push(")");
                if !include.is_empty() {
                    self.push(" include (");
                    self.list(include);
                    self.push(")");
                }
                self.optional_where(predicate);
                if let Some(method) = method {
                    self.push(&format!(" using {method}"));
                }
            }
            Attribute::Check(name, e) => {
                self.push("check ");
                if let Some(name) = name {
                    self.push(name);
                    self.space();
                }
                self.push("(");
                self.expr(e);
                self.push(")");
            }
            Attribute::Search(columns, language) => {
                self.push("search (");
                for (i, (column, weight)) in columns.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.push(column);
                    if let Some(weight) = weight {
                        self.push(&format!(" weight {weight}"));
                    }
                }
                self.push(")");
                if let Some(language) = language {
                    self.push(&format!(" language {language}"));
                }
            }
            Attribute::Partition(kind) => self.push(
                [
                    "partition by range (created_at) every 1 month",
                    "partition by hash (id, name) into 8 partitions",
                    "partition by list (owner)",
                ][*kind as usize],
            ),
            Attribute::Apply(patterns) => {
                self.push("apply ");
                for (i, (name, args)) in patterns.iter().enumerate() {
                    if i > 0 {
                        self.push(",");
                        self.soft();
                    }
                    self.push(name);
                    if let Some(args) = args {
                        self.push("(");
                        for (j, (arg, value)) in args.iter().enumerate() {
                            if j > 0 {
                                self.push(", ");
                            }
                            self.push(&format!("{arg}: "));
                            self.expr(value);
                        }
                        self.push(")");
                    }
                }
            }
            Attribute::Volume(rows, growth) => {
                self.push(&format!("volume {rows} rows"));
                if let Some((rate, unit)) = growth {
                    self.push(&format!(", grows {rate}/{unit}"));
                }
            }
            Attribute::RenamedFrom(old) => self.push(&format!("renamed_from {old}")),
            Attribute::Behaviour(name, args) => {
                self.push(&format!("behaviour {name}"));
                if let Some(args) = args {
                    self.push("(");
                    self.exprs(args);
                    self.push(")");
                }
            }
        }
    }

    fn members(&mut self, members: &[Member], indent: &str) {
        for member in members {
            self.push(indent);
            match member {
                Member::Field(f) => self.field(f, indent, true),
                Member::Attribute(a) => self.attribute(a),
                Member::Relation(r) => self.relation(r, indent),
            }
            self.item_break(indent);
        }
    }

    /// ` {`, the body, `}`; the body is written by `body`.
    fn block(&mut self, indent: &str, body: impl FnOnce(&mut Self, &str)) {
        self.either(10, "\n{", " {");
        let inner = format!("{indent}{}", ["  ", "    ", "\t", " "][self.pick(4)]);
        self.item_break(&inner);
        body(self, &inner);
        self.push(indent);
        self.push("}");
    }

    fn relation_end(&mut self, (entity, field): &(Name, Option<Name>)) {
        self.push(entity);
        if let Some(field) = field {
            self.push(".");
            self.push(field);
        }
    }

    fn relation(&mut self, r: &Relation, indent: &str) {
        self.docs(&r.docs, indent);
        self.push("relation ");
        self.relation_end(&r.from);
        self.soft();
        self.push(r.cardinality);
        self.soft();
        self.relation_end(&r.to);
        let Some(items) = &r.body else { return };
        self.block(indent, |w, inner| {
            for item in items {
                w.push(inner);
                match item {
                    RelationItem::Required => w.push("required"),
                    RelationItem::Deferrable => w.push("deferrable"),
                    RelationItem::OnDelete(action) => w.push(&format!("on delete {action}")),
                    RelationItem::OnUpdate(action) => w.push(&format!("on update {action}")),
                    RelationItem::Through(entity, members) => {
                        w.push(&format!("through {entity}"));
                        if let Some(members) = members {
                            w.block(inner, |w, deeper| w.members(members, deeper));
                        }
                    }
                }
                w.item_break(inner);
            }
        });
    }

    fn declaration(&mut self, d: &Declaration) {
        match d {
            Declaration::Use(path, kind, imports) => {
                self.push("use ");
                self.push(&path.join("::"));
                match kind {
                    0 => {}
                    1 => self.push("::*"),
                    _ => {
                        self.push("::{");
                        self.list(imports);
                        self.either(30, ",}", "}");
                    }
                }
            }
            Declaration::Enum(docs, name, values) => {
                self.docs(docs, "");
                self.push(&format!("enum {name}"));
                self.block("", |w, inner| {
                    for (docs, value) in values {
                        w.push(inner);
                        w.docs(docs, inner);
                        w.push(value);
                        match w.pick(3) {
                            0 => w.push(","),
                            1 => w.push(", "),
                            _ => {}
                        }
                        w.item_break(inner);
                    }
                });
            }
            Declaration::Alias(docs, name, ty, check) => {
                self.docs(docs, "");
                self.push(&format!("type {name} = {ty}"));
                if let Some(check) = check {
                    self.push(" check (");
                    self.expr(check);
                    self.push(")");
                }
            }
            Declaration::Entity(docs, name, members) => {
                self.docs(docs, "");
                self.push(&format!("entity {name}"));
                self.block("", |w, inner| w.members(members, inner));
            }
            Declaration::Relation(r) => self.relation(r, ""),
            Declaration::Pattern(docs, name, params, members) => {
                self.docs(docs, "");
                self.push(&format!("pattern {name}"));
                if let Some(params) = params {
                    self.push("(");
                    for (i, (param, default)) in params.iter().enumerate() {
                        if i > 0 {
                            self.push(", ");
                        }
                        self.push(param);
                        if let Some(default) = default {
                            self.push(" = ");
                            self.expr(default);
                        }
                    }
                    self.push(")");
                }
                self.block("", |w, inner| w.members(members, inner));
            }
            Declaration::Role(docs, name, inherits, login) => {
                self.docs(docs, "");
                self.push(&format!("role {name}"));
                if !inherits.is_empty() {
                    self.push(" inherits ");
                    self.list(inherits);
                }
                if *login {
                    self.push(" login");
                }
            }
            Declaration::Grant(privileges, entities, roles) => {
                self.push("grant ");
                for (i, (privilege, columns)) in privileges.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.push(privilege);
                    if let Some(columns) = columns {
                        self.push(" (");
                        self.list(columns);
                        self.push(")");
                    }
                }
                self.push(" on ");
                self.list(entities);
                self.push(" to ");
                self.list(roles);
            }
            Declaration::Policy(docs, name, entities, items) => {
                self.docs(docs, "");
                self.push(&format!("policy {name} on "));
                self.list(entities);
                self.block("", |w, inner| {
                    for item in items {
                        w.push(inner);
                        match item {
                            PolicyItem::To(roles) => {
                                w.push("to ");
                                w.list(roles);
                            }
                            PolicyItem::For(commands) => {
                                w.push("for ");
                                w.list(commands);
                            }
                            PolicyItem::Using(e) => {
                                w.push("using (");
                                w.expr(e);
                                w.push(")");
                            }
                            PolicyItem::Check(e) => {
                                w.push("check (");
                                w.expr(e);
                                w.push(")");
                            }
                            PolicyItem::Mode(mode) => w.push(mode),
                        }
                        w.item_break(inner);
                    }
                });
            }
            Declaration::Context(docs, fields) => {
                self.docs(docs, "");
                self.push("context");
                self.block("", |w, inner| {
                    for f in fields {
                        w.push(inner);
                        w.field(f, inner, false);
                        w.item_break(inner);
                    }
                });
            }
            Declaration::Workload(docs, name, queries) => {
                self.docs(docs, "");
                self.push("workload");
                if let Some(name) = name {
                    self.push(&format!(" {name}"));
                }
                self.block("", |w, inner| {
                    for q in queries {
                        w.push(inner);
                        w.docs(&q.docs, inner);
                        w.push(&format!("query {}: {}", q.name, q.entity));
                        w.optional_where(&q.filter);
                        for (i, (key, order)) in q.order.iter().enumerate() {
                            w.push(if i == 0 { " order by " } else { ", " });
                            w.expr(key);
                            w.push(["", " asc", " desc"][*order as usize]);
                        }
                        if let Some(limit) = q.limit {
                            w.push(&format!(" limit {limit}"));
                        }
                        if let Some((rate, unit)) = q.rate {
                            w.push(&format!(" at {rate}/{unit}"));
                        }
                        w.item_break(inner);
                    }
                });
            }
            Declaration::View(docs, materialized, name, query, sql) => {
                self.docs(docs, "");
                if *materialized {
                    self.push("materialized ");
                }
                self.push(&format!("view {name}"));
                match query {
                    Some((entity, filter, columns)) => {
                        self.push(&format!(" = {entity}"));
                        self.optional_where(filter);
                        if let Some(columns) = columns {
                            self.push(" select (");
                            self.list(columns);
                            self.push(")");
                        }
                    }
                    None => self.block("", |w, inner| {
                        for (backend, text) in sql {
                            w.push(inner);
                            w.push(&format!("sql {backend} "));
                            w.string(text);
                            w.item_break(inner);
                        }
                    }),
                }
            }
        }
    }
}

/// Whether the expression's first token is a unary `-`.
fn starts_with_minus(e: &Ex) -> bool {
    match e {
        Ex::Neg(_) => true,
        Ex::Binary(_, left, _) => starts_with_minus(left),
        Ex::In(subject, _, _) | Ex::Between(subject, _, _, _) | Ex::IsNull(subject, _) => starts_with_minus(subject),
        _ => false,
    }
}

fn render(declarations: &[Declaration], choices: Vec<u8>) -> String {
    let mut w = Writer { choices, at: 0, out: String::new() };
    if w.chance(30) {
        w.comment();
        w.push("\n");
    }
    for d in declarations {
        w.declaration(d);
        w.item_break("");
    }
    if w.chance(30) {
        w.comment();
        if w.chance(50) {
            w.push("\n");
        }
    }
    w.out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_schemas_format_idempotently_to_the_same_tree(
        declarations in prop::collection::vec(declaration(), 1..8),
        choices in prop::collection::vec(any::<u8>(), 16..256),
    ) {
        let source = render(&declarations, choices);
        if let Err(problem) = format_checked(&source) {
            return Err(TestCaseError::fail(problem));
        }
    }
}
