//! The fast parser's expressions: the flat operand/operator sequence of
//! the `expr` rule, then precedence applied with the algorithm of pest's
//! Pratt parser and its binding powers, so trees and spans come out as the
//! pest converter builds them. The size budget (`MAX_EXPRESSION_NODES`) is
//! counted here.

use super::Descent;
use crate::diagnostics::Span;
use crate::syntax::ast::*;
use crate::syntax::parser::MAX_EXPRESSION_NODES;

/// One element of an expression's flat operand/operator sequence, before
/// precedence is applied.
enum Piece {
    Prefix(UnaryOp, Span),
    Operand(Expr),
    Postfix(Postfix, Span),
    Infix(BinaryOp),
}

enum Postfix {
    IsNull { negated: bool },
    In { list: Vec<Expr>, negated: bool },
    Between { low: Expr, high: Expr, negated: bool },
}

/// Binding powers as pest's Pratt parser numbers them (`parser.rs`).
const PREC_OR: u32 = 10;
const PREC_AND: u32 = 20;
const PREC_NOT: u32 = 30;
const PREC_COMPARE: u32 = 40;
const PREC_CONCAT: u32 = 50;
const PREC_ADD: u32 = 60;
const PREC_MUL: u32 = 70;
const PREC_NEG: u32 = 80;

fn infix_precedence(op: BinaryOp) -> u32 {
    match op {
        BinaryOp::Or => PREC_OR,
        BinaryOp::And => PREC_AND,
        BinaryOp::Concat => PREC_CONCAT,
        BinaryOp::Add | BinaryOp::Sub => PREC_ADD,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => PREC_MUL,
        _ => PREC_COMPARE,
    }
}
impl<'t> Descent<'t> {
    /// A top-level expression (after skipping), with a fresh size budget.
    pub(super) fn expr_top(&mut self) -> Option<Expr> {
        self.tokens = 0;
        let e = self.expr()?;
        (self.tokens <= MAX_EXPRESSION_NODES).then_some(e)
    }

    /// `expr` after skipping: the flat sequence, then precedence.
    pub(super) fn expr(&mut self) -> Option<Expr> {
        let mut pieces = Vec::new();
        self.skip();
        self.operand(&mut pieces)?;
        // `(infix ~ prefix* ~ primary ~ postfix*)*`: an operator whose
        // operand does not follow is not part of the expression.
        loop {
            let (save, len) = (self.pos, pieces.len());
            self.skip();
            let Some(op) = self.infix() else {
                self.pos = save;
                break;
            };
            pieces.push(Piece::Infix(op));
            self.skip();
            if self.operand(&mut pieces).is_none() {
                self.pos = save;
                pieces.truncate(len);
                break;
            }
        }
        self.tokens += pieces.len();
        if self.tokens > MAX_EXPRESSION_NODES {
            return None;
        }
        let mut pieces = pieces.into_iter().peekable();
        Some(pratt(&mut pieces, 0))
    }

    /// `prefix* ~ primary ~ postfix*`, the position at the prefix or primary.
    fn operand(&mut self, pieces: &mut Vec<Piece>) -> Option<()> {
        loop {
            let start = self.pos;
            if let Some(span) = self.keyword_here("not") {
                pieces.push(Piece::Prefix(UnaryOp::Not, span));
            } else if self.literal("-") {
                pieces.push(Piece::Prefix(UnaryOp::Neg, self.span(start, self.pos)));
            } else {
                break;
            }
            self.skip();
        }
        pieces.push(Piece::Operand(self.primary()?));
        while let Some((postfix, span)) = self.attempt(|p| {
            p.skip();
            p.postfix()
        }) {
            pieces.push(Piece::Postfix(postfix, span));
        }
        Some(())
    }

    pub(super) fn infix(&mut self) -> Option<BinaryOp> {
        let b = self.rest();
        let next = |i: usize| b.get(i).copied();
        let (op, len) = match next(0)? {
            b'o' if self.at_keyword("or") => (BinaryOp::Or, 2),
            b'a' if self.at_keyword("and") => (BinaryOp::And, 3),
            b'=' if next(1) == Some(b'=') => (BinaryOp::Eq, 2),
            b'=' => (BinaryOp::Eq, 1),
            b'!' if next(1) == Some(b'=') => (BinaryOp::Ne, 2),
            b'<' if next(1) == Some(b'>') => (BinaryOp::Ne, 2),
            b'<' if next(1) == Some(b'=') => (BinaryOp::Le, 2),
            b'>' if next(1) == Some(b'=') => (BinaryOp::Ge, 2),
            b'<' if !(next(1) == Some(b'-') && next(2) == Some(b'>')) => (BinaryOp::Lt, 1),
            b'>' => (BinaryOp::Gt, 1),
            b'~' => (BinaryOp::Match, 1),
            b'l' if self.at_keyword("like") => (BinaryOp::Like, 4),
            b'i' if self.at_keyword("ilike") => (BinaryOp::ILike, 5),
            b'|' if next(1) == Some(b'|') => (BinaryOp::Concat, 2),
            b'+' => (BinaryOp::Add, 1),
            b'-' if !matches!(next(1), Some(b'-' | b'>')) => (BinaryOp::Sub, 1),
            b'*' => (BinaryOp::Mul, 1),
            b'/' if next(1) != Some(b'/') => (BinaryOp::Div, 1),
            b'%' => (BinaryOp::Rem, 1),
            _ => return None,
        };
        self.pos += len;
        Some(op)
    }

    /// A postfix operator at the position, with its span.
    fn postfix(&mut self) -> Option<(Postfix, Span)> {
        if !matches!(self.peek(), Some(b'i' | b'n' | b'b')) {
            return None;
        }
        let start = self.pos;
        let span = |p: &Self| p.span(start, p.pos);
        if let Some(negated) = self.attempt(|p| {
            p.keyword_here("is")?;
            let negated = p.keyword("not").is_some();
            p.keyword("null")?;
            Some(negated)
        }) {
            return Some((Postfix::IsNull { negated }, span(self)));
        }
        for negated in [true, false] {
            if let Some(list) = self.attempt(|p| {
                if negated {
                    p.keyword_here("not")?;
                    p.keyword("in")?;
                } else {
                    p.keyword_here("in")?;
                }
                if !p.token("(") {
                    return None;
                }
                let mut list = vec![p.expr()?];
                while p.token(",") {
                    list.push(p.expr()?);
                }
                p.token(")").then_some(list)
            }) {
                return Some((Postfix::In { list, negated }, span(self)));
            }
        }
        for negated in [true, false] {
            if let Some((low, high)) = self.attempt(|p| {
                if negated {
                    p.keyword_here("not")?;
                    p.keyword("between")?;
                } else {
                    p.keyword_here("between")?;
                }
                let low = p.bound()?;
                p.keyword("and")?;
                Some((low, p.bound()?))
            }) {
                return Some((Postfix::Between { low, high, negated }, span(self)));
            }
        }
        None
    }

    /// `bound`: `-`? then a primary (after skipping).
    pub(super) fn bound(&mut self) -> Option<Expr> {
        self.skip();
        let start = self.pos;
        if self.literal("-") {
            self.skip();
            let value = self.primary()?;
            let span = self.span(start, value.span.end as usize);
            return Some(Expr { kind: ExprKind::Unary(UnaryOp::Neg, Box::new(value)), span });
        }
        self.primary()
    }

    /// `primary` at the position.
    pub(super) fn primary(&mut self) -> Option<Expr> {
        let start = self.pos;
        let kind = match self.peek()? {
            b'0'..=b'9' => {
                self.digits();
                let save = self.pos;
                let decimal = self.literal(".") && self.digits() && self.not_ident_char();
                if !decimal {
                    self.pos = save;
                    if !self.not_ident_char() {
                        return None;
                    }
                }
                let text = self.text[start..self.pos].to_string();
                if decimal {
                    ExprKind::Decimal(text)
                } else {
                    ExprKind::Int(text)
                }
            }
            b'\'' | b'"' => ExprKind::String(self.string_here()?.value),
            b'$' => {
                self.pos += 1;
                let name = self.ident_here()?;
                ExprKind::Param(name.name)
            }
            b'(' => {
                self.pos += 1;
                let inner = self.expr()?;
                if !self.token(")") {
                    return None;
                }
                ExprKind::Paren(Box::new(inner))
            }
            b'[' => {
                self.pos += 1;
                let items = self.expr_list("]")?;
                ExprKind::Array(items)
            }
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                if let Some(first) = self.attempt(|p| p.object_member()) {
                    members.push(first);
                    while let Some(member) = self.attempt(|p| if p.token(",") { p.object_member() } else { None }) {
                        members.push(member);
                    }
                    self.token(",");
                }
                if !self.token("}") {
                    return None;
                }
                ExprKind::Object(members)
            }
            _ => {
                if self.keyword_here("true").is_some() {
                    ExprKind::Bool(true)
                } else if self.keyword_here("false").is_some() {
                    ExprKind::Bool(false)
                } else if self.keyword_here("null").is_some() {
                    ExprKind::Null
                } else {
                    let name = self.ident_here()?;
                    if let Some(args) = self.attempt(|p| p.call_args()) {
                        ExprKind::Call(name, args)
                    } else {
                        let mut path = vec![name];
                        while let Some(segment) = self.attempt(|p| if p.token(".") { p.ident() } else { None }) {
                            path.push(segment);
                        }
                        ExprKind::Path(path)
                    }
                }
            }
        };
        Some(Expr { kind, span: self.span(start, self.pos) })
    }

    pub(super) fn object_member(&mut self) -> Option<(StringLit, Expr)> {
        let key = self.string()?;
        if !self.token(":") {
            return None;
        }
        Some((key, self.expr()?))
    }

    /// `call_args` after skipping: `( expr, … )`.
    pub(super) fn call_args(&mut self) -> Option<Vec<Expr>> {
        if !self.token("(") {
            return None;
        }
        self.expr_list(")")
    }

    /// `(expr ~ ("," ~ expr)* ~ ","?)? ~ close`, after the opening bracket.
    pub(super) fn expr_list(&mut self, close: &str) -> Option<Vec<Expr>> {
        let mut items = Vec::new();
        if let Some(first) = self.attempt(|p| p.expr()) {
            items.push(first);
            while let Some(item) = self.attempt(|p| if p.token(",") { p.expr() } else { None }) {
                items.push(item);
            }
            self.token(",");
        }
        self.token(close).then_some(items)
    }
}

/// pest's Pratt algorithm over the flat sequence (`PrattParserMap::expr`).
fn pratt(pieces: &mut std::iter::Peekable<std::vec::IntoIter<Piece>>, rbp: u32) -> Expr {
    // A run of prefixes is kept on a list, not recursed into (a thousand
    // `not`s must not exhaust the stack): pest's `nud` for a prefix parses
    // its operand at the prefix's binding power, then the enclosing loop
    // goes on at its own — here, innermost prefix first.
    let mut prefixes = Vec::new();
    let mut lhs = loop {
        match pieces.next() {
            Some(Piece::Prefix(op, span)) => prefixes.push((op, span)),
            Some(Piece::Operand(e)) => break e,
            // The sequence always alternates operands and operators.
            _ => unreachable!("an expression starts with an operand or a prefix"),
        }
    };
    loop {
        let bound = prefixes.last().map_or(rbp, |(op, _)| if *op == UnaryOp::Not { PREC_NOT } else { PREC_NEG } - 1);
        lhs = operators(pieces, lhs, bound);
        match prefixes.pop() {
            Some((op, span)) => lhs = Expr { span: span.to(lhs.span), kind: ExprKind::Unary(op, Box::new(lhs)) },
            None => return lhs,
        }
    }
}

/// pest's `led` loop: the operators that bind tighter than `rbp`.
fn operators(pieces: &mut std::iter::Peekable<std::vec::IntoIter<Piece>>, mut lhs: Expr, rbp: u32) -> Expr {
    loop {
        let lbp = match pieces.peek() {
            Some(Piece::Infix(op)) => infix_precedence(*op),
            Some(Piece::Postfix(..)) => PREC_COMPARE,
            _ => 0,
        };
        if rbp >= lbp {
            return lhs;
        }
        lhs = match pieces.next() {
            Some(Piece::Infix(op)) => {
                let rhs = pratt(pieces, infix_precedence(op));
                Expr { span: lhs.span.to(rhs.span), kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)) }
            }
            Some(Piece::Postfix(postfix, span)) => {
                let span = lhs.span.to(span);
                let expr = Box::new(lhs);
                let kind = match postfix {
                    Postfix::IsNull { negated } => ExprKind::IsNull { expr, negated },
                    Postfix::In { list, negated } => ExprKind::InList { expr, list, negated },
                    Postfix::Between { low, high, negated } => {
                        ExprKind::Between { expr, low: Box::new(low), high: Box::new(high), negated }
                    }
                };
                Expr { kind, span }
            }
            _ => unreachable!("only operators have a binding power"),
        };
    }
}
