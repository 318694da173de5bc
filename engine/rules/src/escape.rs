//! String escaping as libsinsp does it for quoted strings in conditions.

/// Removes the quotes of a quoted string and resolves its escapes (`\"`, `\'`, `\\`, `\n`, ...).
///
/// # Errors
/// libs' messages for an escape that is not supported or that names the other quote.
pub fn unescape_quoted(quoted: &str) -> Result<String, String> {
    let bytes = quoted.as_bytes();
    let delim = bytes.first().copied().unwrap_or(b'"');
    let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or("");
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if !escaped {
            if c == '\\' {
                escaped = true;
            } else {
                out.push(c);
            }
            continue;
        }
        match c {
            'b' => out.push('\u{08}'),
            'f' => out.push('\u{0c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            // libs keeps `\ ` as a backslash for rules written with that escape.
            ' ' | '\\' => out.push('\\'),
            '/' => out.push('/'),
            '"' => {
                if delim != b'"' {
                    return Err("invalid \\\" escape in '-quoted string".to_string());
                }
                out.push('"');
            }
            '\'' => {
                if delim != b'\'' {
                    return Err("invalid \\' escape in \"-quoted string".to_string());
                }
                out.push('\'');
            }
            other => return Err(format!("unsupported string escape sequence: \\{other}")),
        }
        escaped = false;
    }
    Ok(out)
}

/// Quotes and escapes a value when it contains blanks, quotes or backslashes (libs'
/// `escape_str`), for printing conditions.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let mut quote = false;
    for c in s.chars() {
        match c {
            '\u{08}' => {
                quote = true;
                out.push_str("\\b")
            }
            '\u{0c}' => {
                quote = true;
                out.push_str("\\f")
            }
            '\n' => {
                quote = true;
                out.push_str("\\n")
            }
            '\r' => {
                quote = true;
                out.push_str("\\r")
            }
            '\t' => {
                quote = true;
                out.push_str("\\t")
            }
            ' ' | '\'' => {
                quote = true;
                out.push(c)
            }
            '\\' => {
                quote = true;
                out.push_str("\\\\")
            }
            '"' => {
                quote = true;
                out.push_str("\\\"")
            }
            _ => out.push(c),
        }
    }
    if quote {
        format!("\"{out}\"")
    } else {
        out
    }
}
