//! Reads an expression as PostgreSQL deparses it (`pg_get_expr`,
//! `pg_get_constraintdef`) into the IR's typed expression language.
//!
//! Covers what defaults, checks and index predicates are usually made of:
//! literals and their casts, columns, the language's functions, comparison,
//! boolean and arithmetic operators, `IS [NOT] NULL`, `BETWEEN`, `IN` and
//! `= ANY (ARRAY[…])`, `LIKE` (`~~`) and regular expressions (`~`). Anything
//! else is `None`, and the caller keeps the SQL as written (`sql("…")`). It
//! only parses: whether the result means the same on the database is the
//! caller's check (printing it back and comparing).

use crate::semantic::ir::{BinaryOp, Expr};

/// The expression `sql` as IR, columns renamed to fields by `field_of`
/// (`None` when a column is unknown), or `None` when it uses SQL the
/// language does not have.
pub fn parse(sql: &str, field_of: &dyn Fn(&str) -> Option<String>) -> Option<Expr> {
    let tokens = tokenize(sql)?;
    let mut parser = Parser { tokens, at: 0, field_of };
    let expr = parser.or()?;
    (parser.at == parser.tokens.len()).then_some(expr)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A bare word, lowercased (keywords, functions, unquoted names).
    Word(String),
    /// A `"quoted"` name, as written inside the quotes.
    Quoted(String),
    Str(String),
    Number(String),
    Op(String),
}

fn tokenize(sql: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        value.push('\'');
                        i += 2;
                    }
                    Some('\'') => break,
                    Some(ch) => {
                        value.push(*ch);
                        i += 1;
                    }
                    None => return None,
                }
            }
            i += 1;
            out.push(Token::Str(value));
        } else if c == '"' {
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        value.push('"');
                        i += 2;
                    }
                    Some('"') => break,
                    Some(ch) => {
                        value.push(*ch);
                        i += 1;
                    }
                    None => return None,
                }
            }
            i += 1;
            out.push(Token::Quoted(value));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push(Token::Number(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect::<String>().to_lowercase()));
        } else {
            const OPS: [&str; 18] = [
                "::", "<>", "!=", "<=", ">=", "||", "!~~*", "!~~", "~~*", "~~", "!~*", "!~", "~*", "=", "<", ">", "~",
                ".",
            ];
            let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
            if let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) {
                out.push(Token::Op(op.to_string()));
                i += op.chars().count();
            } else if "()[],+-*/%".contains(c) {
                out.push(Token::Op(c.to_string()));
                i += 1;
            } else {
                return None;
            }
        }
    }
    Some(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    field_of: &'a dyn Fn(&str) -> Option<String>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == word)
    }

    fn op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Token::Op(o)) if o == op)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.word(word);
        self.at += usize::from(found);
        found
    }

    fn eat_op(&mut self, op: &str) -> bool {
        let found = self.op(op);
        self.at += usize::from(found);
        found
    }

    fn expect_op(&mut self, op: &str) -> Option<()> {
        self.eat_op(op).then_some(())
    }

    fn or(&mut self) -> Option<Expr> {
        let mut left = self.and()?;
        while self.eat_word("or") {
            left = binary(BinaryOp::Or, left, self.and()?);
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut left = self.not()?;
        while self.eat_word("and") {
            left = binary(BinaryOp::And, left, self.not()?);
        }
        Some(left)
    }

    fn not(&mut self) -> Option<Expr> {
        if self.eat_word("not") {
            return Some(Expr::Not { expr: Box::new(self.not()?) });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Option<Expr> {
        let left = self.additive()?;
        if self.eat_word("is") {
            let negated = self.eat_word("not");
            if !self.eat_word("null") {
                return None;
            }
            return Some(Expr::IsNull { expr: Box::new(left), negated });
        }
        let negated = self.eat_word("not");
        if self.eat_word("between") {
            let low = self.additive()?;
            if !self.eat_word("and") {
                return None;
            }
            let high = self.additive()?;
            return Some(Expr::Between { expr: Box::new(left), low: Box::new(low), high: Box::new(high), negated });
        }
        if self.eat_word("in") {
            self.expect_op("(")?;
            let list = self.list(")")?;
            return Some(Expr::InList { expr: Box::new(left), list, negated });
        }
        if negated {
            return None;
        }
        let Some(Token::Op(op)) = self.peek().cloned() else { return Some(left) };
        let (op, negate) = match op.as_str() {
            "=" => (BinaryOp::Eq, false),
            "<>" | "!=" => (BinaryOp::Ne, false),
            "<" => (BinaryOp::Lt, false),
            "<=" => (BinaryOp::Le, false),
            ">" => (BinaryOp::Gt, false),
            ">=" => (BinaryOp::Ge, false),
            "~" => (BinaryOp::Match, false),
            "~~" => (BinaryOp::Like, false),
            "~~*" => (BinaryOp::ILike, false),
            "!~" => (BinaryOp::Match, true),
            "!~~" => (BinaryOp::Like, true),
            "!~~*" => (BinaryOp::ILike, true),
            _ => return Some(left),
        };
        self.at += 1;
        // `x = ANY (ARRAY[…])` is `x IN (…)`; `x <> ALL (ARRAY[…])` is `x NOT IN (…)`.
        for (quantifier, wanted, negated) in [("any", BinaryOp::Eq, false), ("all", BinaryOp::Ne, true)] {
            if self.word(quantifier) {
                if op != wanted || negate {
                    return None;
                }
                self.at += 1;
                self.expect_op("(")?;
                let Expr::Array { items } = self.additive()? else { return None };
                self.expect_op(")")?;
                return Some(Expr::InList { expr: Box::new(left), list: items, negated });
            }
        }
        let right = self.additive()?;
        let expr = binary(op, left, right);
        Some(if negate { Expr::Not { expr: Box::new(expr) } } else { expr })
    }

    fn additive(&mut self) -> Option<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = if self.eat_op("+") {
                BinaryOp::Add
            } else if self.eat_op("-") {
                BinaryOp::Sub
            } else if self.eat_op("||") {
                BinaryOp::Concat
            } else {
                return Some(left);
            };
            left = binary(op, left, self.multiplicative()?);
        }
    }

    fn multiplicative(&mut self) -> Option<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat_op("*") {
                BinaryOp::Mul
            } else if self.eat_op("/") {
                BinaryOp::Div
            } else if self.eat_op("%") {
                BinaryOp::Rem
            } else {
                return Some(left);
            };
            left = binary(op, left, self.unary()?);
        }
    }

    fn unary(&mut self) -> Option<Expr> {
        if self.eat_op("-") {
            return Some(match self.unary()? {
                Expr::Int { value } => Expr::Int { value: format!("-{value}") },
                Expr::Decimal { value } => Expr::Decimal { value: format!("-{value}") },
                other => Expr::Neg { expr: Box::new(other) },
            });
        }
        let parenthesised = self.op("(");
        let expr = self.primary()?;
        // A literal's one cast goes (the column's type gives it back). A cast
        // of anything else, or a second cast, computes something —
        // `('now'::text)::date` is today's date at insert time — so it stays SQL.
        if self.eat_op("::") {
            let literal = matches!(expr, Expr::String { .. } | Expr::Int { .. } | Expr::Decimal { .. } | Expr::Null);
            if parenthesised || !literal || self.type_name().is_none() || self.op("::") {
                return None;
            }
            if let Expr::String { value } = &expr {
                // Special values PostgreSQL evaluates when it reads the literal.
                if ["now", "today", "tomorrow", "yesterday"].contains(&value.to_lowercase().trim()) {
                    return None;
                }
            }
        }
        Some(expr)
    }

    /// Skips a type name after `::`: words (`character varying`,
    /// `timestamp without time zone`), a qualifier, a modifier, `[]`.
    fn type_name(&mut self) -> Option<()> {
        let mut words = 0;
        loop {
            match self.peek() {
                Some(Token::Word(w)) if words == 0 || MULTIWORD.contains(&w.as_str()) => self.at += 1,
                Some(Token::Quoted(_)) if words == 0 => self.at += 1,
                Some(Token::Op(o)) if o == "." && words > 0 => {
                    self.at += 1;
                    words = 0;
                    continue;
                }
                _ => break,
            }
            words += 1;
        }
        if words == 0 {
            return None;
        }
        if self.op("(") && matches!(self.tokens.get(self.at + 1), Some(Token::Number(_))) {
            self.at += 1;
            self.list(")")?;
        }
        while self.op("[") && matches!(self.tokens.get(self.at + 1), Some(Token::Op(o)) if o == "]") {
            self.at += 2;
        }
        Some(())
    }

    fn list(&mut self, close: &str) -> Option<Vec<Expr>> {
        let mut items = Vec::new();
        if self.eat_op(close) {
            return Some(items);
        }
        loop {
            items.push(self.or()?);
            if self.eat_op(close) {
                return Some(items);
            }
            self.expect_op(",")?;
        }
    }

    fn primary(&mut self) -> Option<Expr> {
        let token = self.peek()?.clone();
        self.at += 1;
        Some(match token {
            Token::Number(n) if n.contains('.') => Expr::Decimal { value: n },
            Token::Number(n) => Expr::Int { value: n },
            Token::Str(s) => Expr::String { value: s },
            Token::Op(o) if o == "(" => {
                let inner = self.or()?;
                self.expect_op(")")?;
                inner
            }
            Token::Quoted(name) => Expr::Column { name: (self.field_of)(&name)? },
            Token::Word(w) => match w.as_str() {
                "true" => Expr::Bool { value: true },
                "false" => Expr::Bool { value: false },
                "null" => Expr::Null,
                "current_timestamp" => call("current_timestamp", vec![]),
                "localtimestamp" => call("localtimestamp", vec![]),
                "current_date" => call("current_date", vec![]),
                "array" => {
                    self.expect_op("[")?;
                    Expr::Array { items: self.list("]")? }
                }
                _ if self.eat_op("(") => {
                    let args = self.list(")")?;
                    let function = match (w.as_str(), args.len()) {
                        ("now", 0) => "now",
                        ("gen_random_uuid", 0) => "uuid_v4",
                        ("lower", 1) | ("upper", 1) | ("length", 1) | ("abs", 1) | ("round", 1) => w.as_str(),
                        ("char_length", 1) => "length",
                        ("coalesce", n) if n >= 2 => "coalesce",
                        _ => return None,
                    };
                    call(function, args)
                }
                _ => Expr::Column { name: (self.field_of)(&w)? },
            },
            Token::Op(_) => return None,
        })
    }
}

/// Words that continue a type name after its first word.
const MULTIWORD: &[&str] = &["varying", "precision", "with", "without", "time", "zone"];

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary { op, left: Box::new(left), right: Box::new(right) }
}

fn call(function: &str, args: Vec<Expr>) -> Expr {
    Expr::Call { function: function.to_string(), args }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(sql: &str) -> Option<Expr> {
        parse(sql, &|c| Some(c.to_string()))
    }

    #[test]
    fn literals_lose_their_casts() {
        assert_eq!(read("'G'::mpaa_rating"), Some(Expr::String { value: "G".into() }));
        assert_eq!(
            read("'2006-02-15 09:34:33'::timestamp without time zone"),
            Some(Expr::String { value: "2006-02-15 09:34:33".into() })
        );
        assert_eq!(read("(-1)"), Some(Expr::Int { value: "-1".into() }));
        assert_eq!(read("4.99"), Some(Expr::Decimal { value: "4.99".into() }));
        assert_eq!(read("CURRENT_TIMESTAMP"), Some(call("current_timestamp", vec![])));
    }

    #[test]
    fn checks_as_postgresql_prints_them() {
        let e = read("((rating >= 0) AND (rating <= 5))").unwrap();
        assert!(matches!(e, Expr::Binary { op: BinaryOp::And, .. }));
        let e = read("(status = ANY (ARRAY['a'::text, 'b'::text]))").unwrap();
        assert!(matches!(e, Expr::InList { negated: false, ref list, .. } if list.len() == 2));
        // A cast of a column stays SQL: it may compute something.
        assert!(read("(char_length((name)::text) > 0)").is_none());
        assert!(read("('now'::text)::date").is_none());
        assert!(read("'now'::date").is_none());
        assert_eq!(read("(length(name) > 0)").map(|e| matches!(e, Expr::Binary { op: BinaryOp::Gt, .. })), Some(true));
        assert!(read("(email ~* '^x'::text)").is_none());
        assert!(read("nextval('a_seq'::regclass)").is_none());
        assert!(read("(a IS NOT NULL)").is_some());
    }

    #[test]
    fn unknown_columns_are_not_guessed() {
        assert!(parse("(x > 0)", &|_| None).is_none());
    }
}
