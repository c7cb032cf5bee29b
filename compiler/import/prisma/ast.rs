//! The Prisma schema as written: blocks, fields, attributes and their
//! arguments, each with its span and its `///` documentation.
//!
//! A faithful, small tree: it records what the text says and decides
//! nothing. Names are not resolved and attributes are not interpreted here
//! (lowering does that), so every construct the parser accepts, known or
//! not, reaches lowering and can be warned about there.

use crate::diagnostics::Span;

/// A name as written, with where.
#[derive(Debug, Clone)]
pub struct Ident {
    pub text: String,
    pub span: Span,
}

/// Every block of every file of one schema, in file order.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// `model`, `view` or (MongoDB) composite `type` blocks.
    Model(Model),
    Enum(Enum),
    /// `datasource` and `generator` blocks: `key = value` lines.
    Config(Config),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Model,
    View,
    /// A composite type (`type Address { … }`), MongoDB only.
    Composite,
}

impl ModelKind {
    pub fn keyword(self) -> &'static str {
        match self {
            ModelKind::Model => "model",
            ModelKind::View => "view",
            ModelKind::Composite => "type",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Model {
    pub kind: ModelKind,
    pub name: Ident,
    pub fields: Vec<Field>,
    /// `@@…` lines.
    pub attributes: Vec<Attribute>,
    pub doc: Vec<String>,
    /// The keyword line: where a warning about the whole block points.
    pub span: Span,
}

impl Model {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name.text == name)
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: Ident,
    pub ty: FieldType,
    /// `@…` attributes, in the order written.
    pub attributes: Vec<Attribute>,
    pub doc: Vec<String>,
    /// The whole line.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    Required,
    /// `T?`
    Optional,
    /// `T[]`
    List,
}

#[derive(Debug, Clone)]
pub struct FieldType {
    /// `String`, `Role`, `User`; `Unsupported` for `Unsupported("…")`.
    pub name: Ident,
    /// The database type text of `Unsupported("…")`.
    pub unsupported: Option<String>,
    pub arity: Arity,
}

/// `@id`, `@db.VarChar(255)`, `@@index([a, b], type: Hash)`.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// Without the `@`/`@@`, dots kept: `id`, `db.VarChar`.
    pub name: Ident,
    /// Written with `@@` (on a block) rather than `@` (on a field).
    pub block: bool,
    pub args: Vec<Argument>,
    pub span: Span,
}

impl Attribute {
    /// As written, for messages: `@@index`, `@unique`.
    pub fn display(&self) -> String {
        format!("{}{}", if self.block { "@@" } else { "@" }, self.name.text)
    }

    /// The argument called `name`, or else the first unnamed one when
    /// `positional` (Prisma lets the first argument go unnamed).
    pub fn arg(&self, name: &str, positional: bool) -> Option<&Argument> {
        self.args.iter().find(|a| a.name.as_ref().is_some_and(|n| n.text == name)).or_else(|| {
            if positional {
                self.args.iter().find(|a| a.name.is_none())
            } else {
                None
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct Argument {
    pub name: Option<Ident>,
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Value {
    String {
        value: String,
        span: Span,
    },
    /// As written, sign included: `-1`, `2.5`.
    Number {
        text: String,
        span: Span,
    },
    Array {
        items: Vec<Value>,
        span: Span,
    },
    /// `now()`, `autoincrement()`, `title(sort: Desc)`, `env("URL")`.
    Call {
        name: Ident,
        args: Vec<Argument>,
        span: Span,
    },
    /// A bare name: `true`, `Cascade`, an enum value, a field.
    Name(Ident),
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::String { span, .. } | Value::Number { span, .. } | Value::Array { span, .. } => *span,
            Value::Call { span, .. } => *span,
            Value::Name(ident) => ident.span,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String { value, .. } => Some(value),
            _ => None,
        }
    }

    /// What kind of value it is, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Value::String { .. } => "a string",
            Value::Number { .. } => "a number",
            Value::Array { .. } => "a list",
            Value::Call { .. } => "a function call",
            Value::Name(_) => "a name",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Enum {
    pub name: Ident,
    pub values: Vec<EnumValue>,
    pub attributes: Vec<Attribute>,
    pub doc: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub name: Ident,
    pub attributes: Vec<Attribute>,
    pub span: Span,
}

/// A `datasource` or `generator` block.
#[derive(Debug, Clone)]
pub struct Config {
    pub keyword: Ident,
    pub name: Ident,
    pub properties: Vec<Property>,
    pub span: Span,
}

impl Config {
    pub fn property(&self, key: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.key.text == key)
    }
}

#[derive(Debug, Clone)]
pub struct Property {
    pub key: Ident,
    pub value: Value,
    pub span: Span,
}
