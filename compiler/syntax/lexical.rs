//! A single linear pass over the raw text, before pest sees it: finds plain
//! `//` comments (kept for the formatter) and measures bracket nesting (so
//! that absurdly deep input is refused instead of exhausting the stack).
//! It understands strings and comments and nothing else.

pub struct LexComment {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

pub struct Scan {
    pub comments: Vec<LexComment>,
    /// Byte offset and depth of every bracket that opens a new deepest level.
    deepest: Vec<(usize, usize)>,
}

impl Scan {
    /// The first bracket that opens a level deeper than `limit`, if any.
    pub fn first_too_deep(&self, limit: usize) -> Option<(usize, usize)> {
        self.deepest.iter().copied().find(|(_, depth)| *depth > limit)
    }
}

pub fn scan(text: &str) -> Scan {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut deepest = Vec::new();
    let (mut depth, mut max_depth) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                let is_doc = bytes.get(i + 2) == Some(&b'/') && bytes.get(i + 3) != Some(&b'/');
                if !is_doc {
                    comments.push(LexComment { text: text[i..end].trim_end().to_string(), start: i, end });
                }
                i = end;
                continue;
            }
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'\n' {
                    if quote == b'"' && bytes[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == quote {
                        // '' inside a single-quoted string is an escaped quote
                        if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    max_depth = depth;
                    deepest.push((i, depth));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Scan { comments, deepest }
}

/// True when the text holds nothing but whitespace and comments.
/// Whether `name` can be written bare, as an identifier (`[A-Za-z_][A-Za-z0-9_]*`);
/// other names are written as strings.
pub fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        let doc = l.starts_with("///") && !l.starts_with("////");
        l.is_empty() || (l.starts_with("//") && !doc)
    })
}

/// The value of a double-quoted string body (`\"`, `\\`, `\n`, `\t`).
pub fn unescape_double(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_plain_comments_but_not_doc_comments_or_strings() {
        let scan = scan("/// doc\nentity A { // one\n x text = '// not' //// two\n}");
        let texts: Vec<_> = scan.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["// one", "//// two"]);
    }

    #[test]
    fn measures_nesting_outside_strings() {
        let scan = scan("((( '(((((' )))");
        assert_eq!(scan.first_too_deep(2), Some((2, 3)));
        assert_eq!(scan.first_too_deep(3), None);
    }
}
