//! Splits a script for the `mysql`/`mariadb` client into the statements the
//! client would send: it honours `DELIMITER` lines, and ignores delimiters
//! inside quoted text (`'…'`, `"…"`, `` `…` ``, with backslash escapes) and
//! comments (`-- `, `#`, `/* … */`). What a program needs to apply a
//! schemac script without the client (the tests do). It does not run or
//! judge the statements.

/// The statements of `script`, each without its delimiter, trimmed; empty
/// ones (comments only) left out.
pub fn split(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut delimiter = ";".to_string();
    let mut current = String::new();
    let mut at_line_start = true;
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    let push = |current: &mut String, statements: &mut Vec<String>| {
        let text = current.trim();
        if !text.is_empty() && !only_comments(text) {
            statements.push(text.to_string());
        }
        current.clear();
    };
    while i < chars.len() {
        if at_line_start {
            let rest: String = chars[i..].iter().take_while(|c| **c != '\n').collect();
            let trimmed = rest.trim_start();
            if trimmed.len() >= 10 && trimmed[..10].eq_ignore_ascii_case("DELIMITER ") {
                push(&mut current, &mut statements);
                delimiter = trimmed[10..].trim().to_string();
                i += rest.chars().count();
                continue;
            }
        }
        let c = chars[i];
        at_line_start = c == '\n';
        match c {
            '\'' | '"' | '`' => {
                current.push(c);
                i += 1;
                while i < chars.len() {
                    let d = chars[i];
                    current.push(d);
                    i += 1;
                    if d == '\\' && c != '`' && i < chars.len() {
                        current.push(chars[i]);
                        i += 1;
                    } else if d == c {
                        if chars.get(i) == Some(&c) {
                            current.push(c);
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
                continue;
            }
            '-' if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_none_or(|c| c.is_whitespace()) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
                continue;
            }
            _ => {}
        }
        let d: Vec<char> = delimiter.chars().collect();
        if chars[i..].starts_with(&d) {
            push(&mut current, &mut statements);
            i += d.len();
            continue;
        }
        current.push(c);
        i += 1;
    }
    push(&mut current, &mut statements);
    statements
}

fn only_comments(text: &str) -> bool {
    text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with("--"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_quotes_and_comments_are_honoured() {
        let script = "-- a; comment\nSET a = 'x;''y\\';';\nCREATE TABLE `t;` (a int);\n\nDELIMITER //\n\
                      CREATE TRIGGER t BEFORE UPDATE ON t FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\nEND//\n\nDELIMITER ;\n";
        assert_eq!(
            split(script),
            [
                "SET a = 'x;''y\\';'",
                "CREATE TABLE `t;` (a int)",
                "CREATE TRIGGER t BEFORE UPDATE ON t FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\nEND"
            ]
        );
    }
}
