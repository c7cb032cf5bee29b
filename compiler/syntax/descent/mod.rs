//! The fast path of the parser: a hand-written recursive-descent reading of
//! `grammar.pest` for files without mistakes.
//!
//! It follows the grammar rule by rule — the same ordered choices, the same
//! places where whitespace, newlines and comments may stand, the same
//! lookaheads — and builds the same [`ast`](super::ast) the pest parser
//! builds, spans included. It never reports anything: at the first thing it
//! does not expect (a bad line, a missing brace, a number too large, an
//! expression over the size limit) it gives up and returns `None`, and
//! `parser.rs` parses the file again with pest, which recovers and explains.
//! So it may refuse valid input (only slower), but it must never accept
//! input the pest parser reads differently; `tests/parser_agreement.rs`
//! holds the two to the same trees on every file the test suite has.
//!
//! `tokens.rs` reads tokens, `declarations.rs` the top level, `members.rs`
//! entity bodies, `relations.rs` relations, `expr.rs` expressions.
//!
//! It must not grow rules of its own: a change to the language is made in
//! `grammar.pest` and `parser.rs` first, then mirrored here.

mod declarations;
mod expr;
mod members;
mod relations;
mod tokens;

use super::ast::*;
use crate::diagnostics::FileId;

/// The declarations of a well-formed file, or `None` when the pest parser
/// must read it (a mistake, or something this parser does not follow).
pub fn parse(file: FileId, text: &str) -> Option<Vec<Declaration>> {
    // pest trims the whitespace and comments it skipped at a node's end off
    // the node's span, but not a byte order mark: one past the start of the
    // file would end spans differently.
    if text.get(1..).is_some_and(|rest| rest.contains('\u{feff}')) {
        return None;
    }
    let mut p = Descent { file, text, bytes: text.as_bytes(), pos: 0, tokens: 0, poisoned: false };
    let mut declarations = Vec::new();
    loop {
        p.skip();
        if p.pos == p.bytes.len() {
            return (!p.poisoned).then_some(declarations);
        }
        declarations.push(p.declaration()?);
    }
}

struct Descent<'t> {
    file: FileId,
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// Operands and operators of the top-level expression being read.
    tokens: usize,
    /// Set when something was read that the pest parser reports (a number
    /// too large): the file then goes to the pest parser whatever follows.
    poisoned: bool,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
