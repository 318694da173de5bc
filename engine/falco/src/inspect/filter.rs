//! The event filter of `falco-inspect`: event-type conditions combined with `and`, `or`,
//! `not` and parentheses. The condition language of the rules crate will replace the parser;
//! the rest of the tool only sees [`EventFilter`].

use ringbuf_abi::Record;

/// Decides whether an event is shown (and written). Implemented by the small event-type
/// filter below; the rules crate's compiled conditions can implement it later.
pub trait EventFilter {
    /// True when `rec`, whose event name (as printed by `evt.type`) is `name`, passes.
    fn matches(&self, name: &str, rec: &Record<'_>) -> bool;
}

/// A parsed event-type condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeFilter {
    /// `evt.type = NAME` (or `in (A, B)` when several).
    TypeIn(Vec<String>),
    /// `not X`.
    Not(Box<TypeFilter>),
    /// `X and Y`.
    And(Box<TypeFilter>, Box<TypeFilter>),
    /// `X or Y`.
    Or(Box<TypeFilter>, Box<TypeFilter>),
}

impl EventFilter for TypeFilter {
    fn matches(&self, name: &str, rec: &Record<'_>) -> bool {
        match self {
            TypeFilter::TypeIn(names) => names.iter().any(|n| n == name),
            TypeFilter::Not(f) => !f.matches(name, rec),
            TypeFilter::And(a, b) => a.matches(name, rec) && b.matches(name, rec),
            TypeFilter::Or(a, b) => a.matches(name, rec) || b.matches(name, rec),
        }
    }
}

/// Why a filter did not parse, with the character offset in the filter text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// Character offset of the problem.
    pub at: usize,
    /// What was expected.
    pub message: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "filter error at column {}: {}",
            self.at + 1,
            self.message
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
}

fn lex(s: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let mut out = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((i, Tok::LParen));
                i += 1
            }
            ')' => {
                out.push((i, Tok::RParen));
                i += 1
            }
            ',' => {
                out.push((i, Tok::Comma));
                i += 1
            }
            '=' => {
                out.push((i, Tok::Eq));
                i += if cs.get(i + 1) == Some(&'=') { 2 } else { 1 }
            }
            '!' if cs.get(i + 1) == Some(&'=') => {
                out.push((i, Tok::Ne));
                i += 2
            }
            c if c.is_alphanumeric() || "._-<>".contains(c) => {
                let start = i;
                while i < cs.len() && (cs[i].is_alphanumeric() || "._-<>".contains(cs[i])) {
                    i += 1;
                }
                out.push((start, Tok::Word(cs[start..i].iter().collect())));
            }
            other => {
                return Err(FilterError {
                    at: i,
                    message: format!("unexpected character '{other}'"),
                })
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len, |(a, _)| *a)
    }
    fn err<T>(&self, message: &str) -> Result<T, FilterError> {
        Err(FilterError {
            at: self.at(),
            message: message.to_string(),
        })
    }
    fn keyword(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w == kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// or-expression: the lowest precedence.
    fn or(&mut self) -> Result<TypeFilter, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            let right = self.and()?;
            left = TypeFilter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<TypeFilter, FilterError> {
        let mut left = self.not()?;
        while self.keyword("and") {
            let right = self.not()?;
            left = TypeFilter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn not(&mut self) -> Result<TypeFilter, FilterError> {
        if self.keyword("not") {
            return Ok(TypeFilter::Not(Box::new(self.not()?)));
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<TypeFilter, FilterError> {
        match self.peek() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.err("expected ')'");
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Word(w)) if w == "evt.type" => {
                self.pos += 1;
                match self.peek() {
                    Some(Tok::Eq) => {
                        self.pos += 1;
                        Ok(TypeFilter::TypeIn(vec![self.name()?]))
                    }
                    Some(Tok::Ne) => {
                        self.pos += 1;
                        Ok(TypeFilter::Not(Box::new(TypeFilter::TypeIn(vec![
                            self.name()?
                        ]))))
                    }
                    Some(Tok::Word(w)) if w == "in" => {
                        self.pos += 1;
                        if self.peek() != Some(&Tok::LParen) {
                            return self.err("expected '(' after 'in'");
                        }
                        self.pos += 1;
                        let mut names = vec![self.name()?];
                        while self.peek() == Some(&Tok::Comma) {
                            self.pos += 1;
                            names.push(self.name()?);
                        }
                        if self.peek() != Some(&Tok::RParen) {
                            return self.err("expected ')' or ','");
                        }
                        self.pos += 1;
                        Ok(TypeFilter::TypeIn(names))
                    }
                    _ => self.err("expected '=', '!=' or 'in' after evt.type"),
                }
            }
            _ => self
                .err("expected 'evt.type', 'not' or '(' (only event-type filters are supported)"),
        }
    }
    fn name(&mut self) -> Result<String, FilterError> {
        match self.peek() {
            Some(Tok::Word(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => self.err("expected an event name"),
        }
    }
}

/// Parses an event-type filter such as `evt.type in (open, openat) and not evt.type=close`.
///
/// # Errors
/// [`FilterError`] with the column of the first problem.
pub fn parse_filter(s: &str) -> Result<TypeFilter, FilterError> {
    let toks = lex(s)?;
    let mut p = Parser {
        toks,
        pos: 0,
        len: s.chars().count(),
    };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return p.err("unexpected text after the condition");
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Vec<u8> {
        let mut b = vec![0u8; 64];
        let n = ringbuf_abi::encode_record(&mut b, 1, 2, 3, &[]).unwrap_or(0);
        b.truncate(n);
        b
    }

    #[test]
    fn precedence_and_matching() {
        let buf = rec();
        let r = Record::parse(&buf).expect("valid record");
        let cases: &[(&str, &str, bool)] = &[
            ("evt.type=open", "open", true),
            ("evt.type=open", "openat", false),
            ("evt.type in (open, openat)", "openat", true),
            ("evt.type != open", "close", true),
            ("not evt.type=open", "open", false),
            // `and` binds tighter than `or`.
            (
                "evt.type=read or evt.type=open and evt.type=close",
                "read",
                true,
            ),
            (
                "(evt.type=read or evt.type=open) and evt.type=close",
                "read",
                false,
            ),
            ("not evt.type=a and not evt.type=b", "c", true),
        ];
        for (f, name, want) in cases {
            let parsed = parse_filter(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(parsed.matches(name, &r), *want, "{f} on {name}");
        }
    }

    #[test]
    fn errors_name_the_column() {
        let cases: &[(&str, usize)] = &[
            ("evt.type=", 9),
            ("proc.name=x", 0),
            ("evt.type in (a, b", 17),
            ("evt.type=a )", 11),
        ];
        for (f, at) in cases {
            let e = parse_filter(f).expect_err(f);
            assert_eq!(e.at, *at, "{f}: {e}");
        }
    }
}
