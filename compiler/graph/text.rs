//! IR types and expressions written back in the `.schema` language, for
//! people reading diagrams and docs (`varchar(32)`, `amount >= 0`).
//!
//! Reads the IR only. The text is for display: it needs to read as the
//! source does, not to reproduce its exact spelling or parentheses.

use crate::semantic::ir::{BinaryOp, Expr};
pub use crate::semantic::types::type_text;

/// An expression as the language spells it, with parentheses only where
/// precedence needs them.
pub fn expr_text(expr: &Expr) -> String {
    let mut out = String::new();
    write(&mut out, expr, 0);
    out
}

/// Binding strength: higher binds tighter.
fn precedence(op: BinaryOp) -> u8 {
    use BinaryOp::*;
    match op {
        Or => 1,
        And => 2,
        Eq | Ne | Lt | Le | Gt | Ge | Match | Like | ILike => 4,
        Concat => 5,
        Add | Sub => 6,
        Mul | Div | Rem => 7,
    }
}

fn operator(op: BinaryOp) -> &'static str {
    use BinaryOp::*;
    match op {
        Or => "or",
        And => "and",
        Eq => "==",
        Ne => "!=",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        Match => "~",
        Like => "like",
        ILike => "ilike",
        Concat => "||",
        Add => "+",
        Sub => "-",
        Mul => "*",
        Div => "/",
        Rem => "%",
    }
}

/// Operators that bind tighter than any binary operator's operands need no
/// parentheses; `outer` is the precedence of the context.
fn write(out: &mut String, expr: &Expr, outer: u8) {
    match expr {
        Expr::Null => out.push_str("null"),
        Expr::Bool { value } => out.push_str(if *value { "true" } else { "false" }),
        Expr::Int { value } | Expr::Decimal { value } => out.push_str(value),
        Expr::String { value } => string(out, value),
        Expr::Column { name } => out.push_str(name),
        Expr::EnumValue { value, .. } => out.push_str(value),
        Expr::Context { name, .. } => {
            out.push_str("ctx.");
            out.push_str(name);
        }
        Expr::Param { name } => {
            out.push('$');
            out.push_str(name);
        }
        Expr::Call { function, args } => {
            out.push_str(function);
            out.push('(');
            list(out, args);
            out.push(')');
        }
        Expr::Array { items } => {
            out.push('[');
            list(out, items);
            out.push(']');
        }
        Expr::Object { members } => {
            out.push('{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string(out, key);
                out.push_str(": ");
                write(out, value, 0);
            }
            out.push('}');
        }
        Expr::Not { expr } => parenthesised(out, outer > 3, |out| {
            out.push_str("not ");
            write(out, expr, 3);
        }),
        Expr::Neg { expr } => {
            out.push('-');
            write(out, expr, 8);
        }
        Expr::Binary { op, left, right } => {
            let own = precedence(*op);
            parenthesised(out, outer > own, |out| {
                write(out, left, own);
                out.push(' ');
                out.push_str(operator(*op));
                out.push(' ');
                // Left-associative: a right operand of the same strength needs parentheses.
                write(out, right, own + 1);
            })
        }
        Expr::IsNull { expr, negated } => parenthesised(out, outer > 4, |out| {
            write(out, expr, 5);
            out.push_str(if *negated { " is not null" } else { " is null" });
        }),
        Expr::InList { expr, list: items, negated } => parenthesised(out, outer > 4, |out| {
            write(out, expr, 5);
            out.push_str(if *negated { " not in (" } else { " in (" });
            list(out, items);
            out.push(')');
        }),
        Expr::Between { expr, low, high, negated } => parenthesised(out, outer > 4, |out| {
            write(out, expr, 5);
            out.push_str(if *negated { " not between " } else { " between " });
            write(out, low, 8);
            out.push_str(" and ");
            write(out, high, 8);
        }),
        Expr::Sql { text } => {
            out.push_str("sql(");
            string(out, text);
            out.push(')');
        }
    }
}

fn parenthesised(out: &mut String, needed: bool, body: impl FnOnce(&mut String)) {
    if needed {
        out.push('(');
    }
    body(out);
    if needed {
        out.push(')');
    }
}

fn list(out: &mut String, items: &[Expr]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(out, item, 0);
    }
}

fn string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::ir::Type;

    fn column(name: &str) -> Box<Expr> {
        Box::new(Expr::Column { name: name.into() })
    }

    fn binary(op: BinaryOp, left: Box<Expr>, right: Box<Expr>) -> Box<Expr> {
        Box::new(Expr::Binary { op, left, right })
    }

    #[test]
    fn parentheses_only_where_precedence_needs_them() {
        let or = binary(BinaryOp::Or, column("a"), column("b"));
        let and = binary(BinaryOp::And, or, column("c"));
        assert_eq!(expr_text(&and), "(a or b) and c");
        let sum = binary(BinaryOp::Sub, column("a"), binary(BinaryOp::Sub, column("b"), column("c")));
        assert_eq!(expr_text(&sum), "a - (b - c)");
        let product = binary(BinaryOp::Add, column("a"), binary(BinaryOp::Mul, column("b"), column("c")));
        assert_eq!(expr_text(&product), "a + b * c");
        let not = Expr::Not { expr: binary(BinaryOp::Eq, column("a"), column("b")) };
        assert_eq!(expr_text(&not), "not a == b");
    }

    #[test]
    fn strings_and_context_read_as_written() {
        let e = Expr::Binary {
            op: BinaryOp::Eq,
            left: Box::new(Expr::Context { name: "tenant_id".into(), ty: Type::Uuid }),
            right: Box::new(Expr::String { value: "a \"b\"".into() }),
        };
        assert_eq!(expr_text(&e), "ctx.tenant_id == \"a \\\"b\\\"\"");
        assert_eq!(type_text(&Type::Numeric { precision: Some(12), scale: Some(2) }), "numeric(12, 2)");
        assert_eq!(type_text(&Type::Array { element: Box::new(Type::Text) }), "text[]");
    }
}
