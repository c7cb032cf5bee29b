//! Expressions: resolves names (columns, enum values, `ctx.*`, `$params`,
//! functions) and checks types, turning `ast::Expr` into `ir::Expr`.
//! What an expression may refer to is decided by its [`ExprEnv`] — a default
//! may not read columns, only policies read `ctx`, only queries take `$params`.

use std::collections::BTreeMap;

use super::ir::{self, Type};
use super::types::{self, Param, Returns, ValueType};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, Span};
use crate::syntax::ast::{self, BinaryOp, ExprKind, UnaryOp};

/// A column an expression can name: the IR column it means and its type.
#[derive(Debug, Clone)]
pub struct ColumnRef {
    pub field: String,
    pub ty: ValueType,
}

#[derive(Clone)]
pub struct ExprEnv<'a> {
    /// `None`: this kind of expression cannot read columns.
    pub columns: Option<&'a BTreeMap<String, ColumnRef>>,
    /// The entity the columns belong to, for messages.
    pub entity: &'a str,
    /// `None`: `ctx.*` is not available here.
    pub context: Option<&'a BTreeMap<String, (Type, ValueType)>>,
    pub params: bool,
    /// The type `value` has in a type alias check.
    pub value: Option<ValueType>,
    pub enums: &'a BTreeMap<String, Vec<String>>,
    /// What the expression is ("a default", "a policy"), for messages.
    pub what: &'static str,
}

pub struct Lowered {
    pub expr: ir::Expr,
    pub ty: ValueType,
    pub volatile: bool,
}

impl Lowered {
    fn new(expr: ir::Expr, ty: ValueType) -> Lowered {
        Lowered { expr, ty, volatile: false }
    }
}

pub fn lower(env: &ExprEnv, expr: &ast::Expr, hint: Option<&ValueType>, diagnostics: &mut Vec<Diagnostic>) -> Lowered {
    let mut l = Lowerer { env, diagnostics };
    l.lower(expr, hint)
}

/// Lowers a condition and reports E0201 unless it is boolean.
pub fn lower_condition(env: &ExprEnv, expr: &ast::Expr, diagnostics: &mut Vec<Diagnostic>) -> ir::Expr {
    let lowered = lower(env, expr, Some(&ValueType::Bool), diagnostics);
    if !lowered.ty.fits(&ValueType::Bool) || lowered.ty == ValueType::StringLiteral {
        diagnostics.push(
            Diagnostic::new(
                codes::E0201,
                format!("{} must be a condition, but this is {}", env.what, lowered.ty.describe()),
            )
            .at(expr.span, "not true or false")
            .help("compare it with something, e.g. `x > 0` or `x is not null`"),
        );
    }
    lowered.expr
}

struct Lowerer<'e, 'a> {
    env: &'e ExprEnv<'a>,
    diagnostics: &'e mut Vec<Diagnostic>,
}

fn unknown() -> Lowered {
    Lowered::new(ir::Expr::Null, ValueType::Unknown)
}

fn binary(op: BinaryOp) -> ir::BinaryOp {
    match op {
        BinaryOp::Or => ir::BinaryOp::Or,
        BinaryOp::And => ir::BinaryOp::And,
        BinaryOp::Eq => ir::BinaryOp::Eq,
        BinaryOp::Ne => ir::BinaryOp::Ne,
        BinaryOp::Lt => ir::BinaryOp::Lt,
        BinaryOp::Le => ir::BinaryOp::Le,
        BinaryOp::Gt => ir::BinaryOp::Gt,
        BinaryOp::Ge => ir::BinaryOp::Ge,
        BinaryOp::Match => ir::BinaryOp::Match,
        BinaryOp::Like => ir::BinaryOp::Like,
        BinaryOp::ILike => ir::BinaryOp::ILike,
        BinaryOp::Concat => ir::BinaryOp::Concat,
        BinaryOp::Add => ir::BinaryOp::Add,
        BinaryOp::Sub => ir::BinaryOp::Sub,
        BinaryOp::Mul => ir::BinaryOp::Mul,
        BinaryOp::Div => ir::BinaryOp::Div,
        BinaryOp::Rem => ir::BinaryOp::Rem,
    }
}

fn wider(a: &ValueType, b: &ValueType) -> ValueType {
    use ValueType::*;
    match (a, b) {
        (Unknown, _) | (_, Unknown) => Unknown,
        (Float, _) | (_, Float) => Float,
        (Numeric, _) | (_, Numeric) => Numeric,
        _ => Int,
    }
}

impl Lowerer<'_, '_> {
    fn error(&mut self, d: Diagnostic) -> Lowered {
        self.diagnostics.push(d);
        unknown()
    }

    fn lower(&mut self, expr: &ast::Expr, hint: Option<&ValueType>) -> Lowered {
        match &expr.kind {
            ExprKind::Null => Lowered::new(ir::Expr::Null, ValueType::Null),
            ExprKind::Bool(b) => Lowered::new(ir::Expr::Bool { value: *b }, ValueType::Bool),
            ExprKind::Int(v) if v.parse::<i64>().is_err() => self.error(
                Diagnostic::new(codes::E0005, format!("`{v}` is too large for an integer"))
                    .at(expr.span, "beyond 64 bits")
                    .help("integers range up to 9223372036854775807; write a decimal (`…0.0`) for a numeric value"),
            ),
            ExprKind::Int(v) => Lowered::new(ir::Expr::Int { value: v.clone() }, ValueType::Int),
            ExprKind::Decimal(v) => Lowered::new(ir::Expr::Decimal { value: v.clone() }, ValueType::Numeric),
            ExprKind::String(s) => self.string(s, expr.span, hint),
            ExprKind::Param(name) => {
                if self.env.params {
                    Lowered::new(ir::Expr::Param { name: name.clone() }, ValueType::Unknown)
                } else {
                    self.error(
                        Diagnostic::new(codes::E0111, format!("`${name}` cannot be used in {}", self.env.what))
                            .at(expr.span, "parameters exist only in workload queries"),
                    )
                }
            }
            ExprKind::Path(segments) => self.path(segments, expr.span, hint),
            ExprKind::Call(name, args) => self.call(name, args, expr.span),
            ExprKind::Array(items) => {
                let element = match hint {
                    Some(ValueType::Array(e)) => Some((**e).clone()),
                    _ => None,
                };
                let mut ty = element.clone().unwrap_or(ValueType::Unknown);
                let mut volatile = false;
                let mut lowered = Vec::new();
                for item in items {
                    let l = self.lower(item, element.as_ref());
                    if let Some(e) = &element {
                        if !l.ty.fits(e) {
                            self.diagnostics.push(
                                Diagnostic::new(
                                    codes::E0202,
                                    format!("array item is {}, expected {}", l.ty.describe(), e.describe()),
                                )
                                .at(item.span, "wrong type"),
                            );
                        }
                    } else if ty == ValueType::Unknown {
                        ty = l.ty.clone();
                    }
                    volatile |= l.volatile;
                    lowered.push(l.expr);
                }
                Lowered { expr: ir::Expr::Array { items: lowered }, ty: ValueType::Array(Box::new(ty)), volatile }
            }
            ExprKind::Object(members) => {
                let mut volatile = false;
                let members = members
                    .iter()
                    .map(|(k, v)| {
                        let l = self.lower(v, None);
                        volatile |= l.volatile;
                        (k.value.clone(), l.expr)
                    })
                    .collect();
                Lowered { expr: ir::Expr::Object { members }, ty: ValueType::Json, volatile }
            }
            ExprKind::Paren(inner) => self.lower(inner, hint),
            ExprKind::Unary(op, operand) => self.unary(*op, operand, expr.span),
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right),
            ExprKind::IsNull { expr: inner, negated } => {
                let l = self.lower(inner, None);
                Lowered {
                    expr: ir::Expr::IsNull { expr: Box::new(l.expr), negated: *negated },
                    ty: ValueType::Bool,
                    volatile: l.volatile,
                }
            }
            ExprKind::InList { expr: inner, list, negated } => {
                let l = self.lower(inner, None);
                let mut volatile = l.volatile;
                let mut items = Vec::new();
                for item in list {
                    let i = self.lower(item, Some(&l.ty));
                    self.expect_comparable(&l.ty, &i.ty, item.span, "in");
                    volatile |= i.volatile;
                    items.push(i.expr);
                }
                Lowered {
                    expr: ir::Expr::InList { expr: Box::new(l.expr), list: items, negated: *negated },
                    ty: ValueType::Bool,
                    volatile,
                }
            }
            ExprKind::Between { expr: inner, low, high, negated } => {
                let l = self.lower(inner, None);
                let lo = self.lower(low, Some(&l.ty));
                let hi = self.lower(high, Some(&l.ty));
                self.expect_comparable(&l.ty, &lo.ty, low.span, "between");
                self.expect_comparable(&l.ty, &hi.ty, high.span, "between");
                Lowered {
                    volatile: l.volatile || lo.volatile || hi.volatile,
                    expr: ir::Expr::Between {
                        expr: Box::new(l.expr),
                        low: Box::new(lo.expr),
                        high: Box::new(hi.expr),
                        negated: *negated,
                    },
                    ty: ValueType::Bool,
                }
            }
        }
    }

    fn string(&mut self, value: &str, span: Span, hint: Option<&ValueType>) -> Lowered {
        if let Some(ValueType::Enum(name)) = hint {
            if let Some(values) = self.env.enums.get(name) {
                if values.iter().any(|v| v == value) {
                    return Lowered::new(
                        ir::Expr::EnumValue { enum_name: name.clone(), value: value.to_string() },
                        ValueType::Enum(name.clone()),
                    );
                }
                return self.error(unknown_enum_value(name, value, values, span));
            }
        }
        Lowered::new(ir::Expr::String { value: value.to_string() }, ValueType::StringLiteral)
    }

    fn path(&mut self, segments: &[ast::Ident], span: Span, hint: Option<&ValueType>) -> Lowered {
        let first = &segments[0];
        if first.name == "ctx" && segments.len() == 2 {
            return self.context(&segments[1], span);
        }
        if segments.len() > 1 {
            return self.error(
                Diagnostic::new(codes::E0103, format!("`{}` is not a field of `{}`", join(segments), self.env.entity))
                    .at(span, "paths through relations are not supported in expressions")
                    .help("use the foreign key column, e.g. `author_id`"),
            );
        }
        let name = first.name.as_str();
        if let Some(columns) = self.env.columns {
            if let Some(column) = columns.get(name) {
                return Lowered::new(ir::Expr::Column { name: column.field.clone() }, column.ty.clone());
            }
        }
        if let Some(ValueType::Enum(enum_name)) = hint {
            if let Some(values) = self.env.enums.get(enum_name) {
                if values.iter().any(|v| v == name) {
                    return Lowered::new(
                        ir::Expr::EnumValue { enum_name: enum_name.clone(), value: name.to_string() },
                        ValueType::Enum(enum_name.clone()),
                    );
                }
                if self.env.columns.is_none() {
                    return self.error(unknown_enum_value(enum_name, name, values, span));
                }
            }
        }
        if name == "value" {
            if let Some(ty) = &self.env.value {
                return Lowered::new(ir::Expr::Column { name: "value".into() }, ty.clone());
            }
        }
        match self.env.columns {
            Some(columns) => {
                let mut d = Diagnostic::new(codes::E0103, format!("`{}` has no field `{name}`", self.env.entity)).at(span, "unknown field");
                if let Some(s) = did_you_mean(name, columns.keys().map(String::as_str)) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.error(d)
            }
            None if self.env.value.is_some() => self.error(
                Diagnostic::new(codes::E0103, format!("`{name}` is not known in {}", self.env.what))
                    .at(span, "unknown name")
                    .help("a type alias check refers to the checked value as `value`"),
            ),
            None => self.error(
                Diagnostic::new(codes::E0111, format!("{} cannot refer to `{name}`", self.env.what))
                    .at(span, "not a constant")
                    .help("defaults are constants or function calls like `now()`; to compute from other fields use `= generated (…)`"),
            ),
        }
    }

    fn context(&mut self, name: &ast::Ident, span: Span) -> Lowered {
        let Some(context) = self.env.context else {
            return self.error(
                Diagnostic::new(codes::E0111, format!("`ctx.{}` cannot be used in {}", name.name, self.env.what))
                    .at(span, "session context is read only by policies")
                    .help("move this condition into a `policy`"),
            );
        };
        match context.get(&name.name) {
            Some((ty, value_type)) => {
                Lowered::new(ir::Expr::Context { name: name.name.clone(), ty: ty.clone() }, value_type.clone())
            }
            None => {
                let mut d = Diagnostic::new(codes::E0109, format!("no context value `{}` is declared", name.name))
                    .at(name.span, "unknown context value");
                d = match did_you_mean(&name.name, context.keys().map(String::as_str)) {
                    Some(s) => d.help(format!("did you mean `ctx.{s}`?")),
                    None => d.help(format!("declare it: `context {{ {} uuid }}`", name.name)),
                };
                self.error(d)
            }
        }
    }

    fn call(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Lowered {
        let Some(signature) = types::function(&name.name) else {
            let mut d = Diagnostic::new(codes::E0110, format!("unknown function `{}`", name.name))
                .at(name.span, "not a known function");
            d = match did_you_mean(&name.name, types::FUNCTIONS.iter().map(|f| f.name)) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("functions are portable across databases; for anything else use `sql(\"…\")`"),
            };
            return self.error(d);
        };
        if signature.name == "sql" {
            return match args {
                [ast::Expr { kind: ExprKind::String(text), .. }] => {
                    self.diagnostics.push(
                        Diagnostic::new(codes::W0102, "raw SQL is passed to the database unchecked")
                            .at(span, "not type-checked, not portable")
                            .help("prefer the expression language; keep `sql(…)` for what it cannot say"),
                    );
                    // Whether it is stable is the author's word and the
                    // database's check (PostgreSQL refuses volatile functions
                    // in generated columns and index expressions).
                    Lowered { expr: ir::Expr::Sql { text: text.clone() }, ty: ValueType::Unknown, volatile: false }
                }
                _ => self.error(
                    Diagnostic::new(codes::E0203, "`sql` takes one string literal").at(span, "expected `sql(\"…\")`"),
                ),
            };
        }
        let fixed = signature.params.iter().filter(|p| !matches!(p, Param::Repeat)).count();
        let repeats = signature.params.iter().any(|p| matches!(p, Param::Repeat));
        if args.len() < fixed || (!repeats && args.len() > fixed) {
            let expected = if repeats { format!("at least {fixed}") } else { fixed.to_string() };
            return self.error(
                Diagnostic::new(
                    codes::E0203,
                    format!("`{}` takes {expected} argument(s), not {}", name.name, args.len()),
                )
                .at(span, "wrong number of arguments"),
            );
        }
        let mut same: Option<ValueType> = None;
        let mut lowered = Vec::new();
        let mut volatile = signature.volatile;
        let mut last = Param::Same;
        for (i, arg) in args.iter().enumerate() {
            let param = match signature.params.get(i) {
                Some(Param::Repeat) | None => last,
                Some(p) => *p,
            };
            last = param;
            let l = self.lower(arg, same.as_ref());
            let ok = match param {
                Param::Text => l.ty.is_textual(),
                Param::Numeric => l.ty.is_numeric(),
                Param::Timestamp => matches!(
                    l.ty,
                    ValueType::Timestamp | ValueType::Date | ValueType::Unknown | ValueType::StringLiteral
                ),
                Param::Same | Param::Repeat => match &same {
                    Some(t) => l.ty.fits(t),
                    None => {
                        same = Some(l.ty.clone());
                        true
                    }
                },
            };
            if !ok {
                self.diagnostics.push(
                    Diagnostic::new(
                        codes::E0203,
                        format!("argument {} of `{}` cannot be {}", i + 1, name.name, l.ty.describe()),
                    )
                    .at(arg.span, "wrong type"),
                );
            }
            volatile |= l.volatile;
            lowered.push(l.expr);
        }
        let ty = match signature.returns {
            Returns::Fixed(f) => f(),
            Returns::Same => same.unwrap_or(ValueType::Unknown),
        };
        Lowered { expr: ir::Expr::Call { function: signature.name.to_string(), args: lowered }, ty, volatile }
    }

    fn unary(&mut self, op: UnaryOp, operand: &ast::Expr, span: Span) -> Lowered {
        let l = self.lower(operand, None);
        match op {
            UnaryOp::Not => {
                if !l.ty.fits(&ValueType::Bool) || l.ty == ValueType::StringLiteral {
                    self.diagnostics.push(
                        Diagnostic::new(codes::E0201, format!("`not` needs a condition, not {}", l.ty.describe()))
                            .at(operand.span, "not true or false"),
                    );
                }
                Lowered { expr: ir::Expr::Not { expr: Box::new(l.expr) }, ty: ValueType::Bool, volatile: l.volatile }
            }
            UnaryOp::Neg => {
                if !(l.ty.is_numeric() || l.ty == ValueType::Interval) {
                    self.diagnostics.push(
                        Diagnostic::new(codes::E0202, format!("cannot negate {}", l.ty.describe()))
                            .at(span, "not a number"),
                    );
                }
                Lowered { ty: l.ty.clone(), expr: ir::Expr::Neg { expr: Box::new(l.expr) }, volatile: l.volatile }
            }
        }
    }

    fn expect_comparable(&mut self, left: &ValueType, right: &ValueType, span: Span, op: &str) {
        if !right.fits(left) {
            self.diagnostics.push(
                Diagnostic::new(codes::E0202, format!("cannot compare {} with {}", left.describe(), right.describe()))
                    .at(span, format!("`{op}` needs the same kind of value on both sides")),
            );
        }
    }

    fn binary(&mut self, op: BinaryOp, left: &ast::Expr, right: &ast::Expr) -> Lowered {
        let l = self.lower(left, None);
        let r = self.lower(right, Some(&l.ty));
        let volatile = l.volatile || r.volatile;
        let span = left.span.to(right.span);
        let ty = match op {
            BinaryOp::And | BinaryOp::Or => {
                for (side, ast_side) in [(&l, left), (&r, right)] {
                    if !side.ty.fits(&ValueType::Bool) || side.ty == ValueType::StringLiteral {
                        self.diagnostics.push(
                            Diagnostic::new(
                                codes::E0201,
                                format!(
                                    "`{}` needs conditions on both sides, this is {}",
                                    op.symbol(),
                                    side.ty.describe()
                                ),
                            )
                            .at(ast_side.span, "not true or false"),
                        );
                    }
                }
                ValueType::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                self.expect_comparable(&l.ty, &r.ty, span, op.symbol());
                ValueType::Bool
            }
            BinaryOp::Match | BinaryOp::Like | BinaryOp::ILike => {
                if !(l.ty.is_textual() && r.ty.is_textual()) {
                    self.diagnostics.push(
                        Diagnostic::new(
                            codes::E0202,
                            format!("`{}` compares text, not {} and {}", op.symbol(), l.ty.describe(), r.ty.describe()),
                        )
                        .at(span, "needs text on both sides"),
                    );
                }
                ValueType::Bool
            }
            BinaryOp::Concat => {
                if !(l.ty.is_textual() && r.ty.is_textual()) {
                    self.diagnostics.push(
                        Diagnostic::new(
                            codes::E0202,
                            format!("`||` joins text, not {} and {}", l.ty.describe(), r.ty.describe()),
                        )
                        .at(span, "needs text on both sides"),
                    );
                }
                ValueType::Text
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                self.arithmetic(op, &l.ty, &r.ty, span)
            }
        };
        Lowered {
            expr: ir::Expr::Binary { op: binary(op), left: Box::new(l.expr), right: Box::new(r.expr) },
            ty,
            volatile,
        }
    }

    fn arithmetic(&mut self, op: BinaryOp, l: &ValueType, r: &ValueType, span: Span) -> ValueType {
        use ValueType::*;
        let additive = matches!(op, BinaryOp::Add | BinaryOp::Sub);
        let result = match (l, r) {
            (a, b) if a.is_numeric() && b.is_numeric() => Some(wider(a, b)),
            (Timestamp, Interval) | (Interval, Timestamp) if additive => Some(Timestamp),
            (Timestamp, Timestamp) if op == BinaryOp::Sub => Some(Interval),
            (Date, Int) if additive => Some(Date),
            (Date, Date) if op == BinaryOp::Sub => Some(Int),
            (Interval, Interval) if additive => Some(Interval),
            (Timestamp | Date | Interval, StringLiteral) if additive => Some(l.clone()),
            _ => None,
        };
        result.unwrap_or_else(|| {
            self.diagnostics.push(
                Diagnostic::new(
                    codes::E0202,
                    format!("cannot apply `{}` to {} and {}", op.symbol(), l.describe(), r.describe()),
                )
                .at(span, "incompatible operands"),
            );
            Unknown
        })
    }
}

fn unknown_enum_value(enum_name: &str, value: &str, values: &[String], span: Span) -> Diagnostic {
    let mut d = Diagnostic::new(codes::E0107, format!("`{value}` is not a value of enum `{enum_name}`"))
        .at(span, "unknown value")
        .note(format!("`{enum_name}` has: {}", values.join(", ")));
    if let Some(s) = did_you_mean(value, values.iter().map(String::as_str)) {
        d = d.help(format!("did you mean `{s}`?"));
    }
    d
}

fn join(segments: &[ast::Ident]) -> String {
    segments.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(".")
}
