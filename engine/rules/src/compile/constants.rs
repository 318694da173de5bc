//! The right-hand constants of a check, parsed once at compile time into the matchers the
//! evaluation uses (numbers, addresses and networks, hex strings, sets, finders, globs,
//! anchored regexes), and the warnings libs gives about constants that look like mistakes.

use std::net::{Ipv4Addr, Ipv6Addr};

use aho_corasick::AhoCorasick;
use memchr::memmem::Finder;

use super::{Category, CompileError, CompileWarning, Compiler, IpNet, StrTest, Test};
use crate::ast::{Expr, FieldRef, Op, Rhs, Span};
use crate::matchers::{Glob, PathPrefixes};

fn parse_ip(s: &str) -> Option<IpNet> {
    if let Ok(a) = s.parse::<Ipv4Addr>() {
        let mut addr = [0u8; 16];
        addr[..4].copy_from_slice(&a.octets());
        return Some(IpNet {
            v6: false,
            addr,
            prefix: 32,
        });
    }
    if let Ok(a) = s.parse::<Ipv6Addr>() {
        return Some(IpNet {
            v6: true,
            addr: a.octets(),
            prefix: 128,
        });
    }
    None
}

fn parse_net(s: &str) -> Option<IpNet> {
    match s.split_once('/') {
        None => parse_ip(s),
        Some((a, p)) => {
            let mut n = parse_ip(a)?;
            let p: u8 = p.parse().ok()?;
            if p > n.prefix {
                return None;
            }
            n.prefix = p;
            Some(n)
        }
    }
}

fn parse_int(s: &str) -> Option<i128> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i128::from_str_radix(h, 16).ok();
    }
    t.parse::<i128>().ok()
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks(2)
        .map(|c| {
            std::str::from_utf8(c)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

impl Compiler<'_> {
    /// libs warns when a `regex` pattern is a plain string, optionally anchored or padded
    /// with `.*`/`.+`/`.?`: `=`, `startswith`, `endswith` or `contains` do the same faster.
    pub(super) fn warn_plain_regex(&mut self, v: &str, offset: usize) {
        let mut core = v;
        if let Some(rest) = core.strip_prefix('^') {
            core = rest;
        } else if let Some(rest) = core.strip_prefix(".*").or_else(|| core.strip_prefix(".+")) {
            core = rest;
        }
        if let Some(rest) = core.strip_suffix('$') {
            core = rest;
        } else if let Some(rest) = core
            .strip_suffix(".*")
            .or_else(|| core.strip_suffix(".+"))
            .or_else(|| core.strip_suffix(".?"))
        {
            core = rest;
        }
        let meta = |c: char| "\\.+*?()|[]{}^$".contains(c);
        if !core.is_empty() && !core.contains(meta) {
            self.warnings.push(CompileWarning {
                message: format!(
                    "regular expression '{v}' only matches the plain string '{core}': a string operator (=, startswith, endswith, contains) does the same faster"
                ),
                offset,
            });
        }
    }

    pub(super) fn warn_misused(&mut self, v: &str, offset: usize) {
        let trimmed = v.trim();
        if let Ok(Expr::Check(c)) = crate::parser::parse(&format!("x.x = {trimmed}")) {
            if let Some(Rhs::Transform(_)) = c.rhs {
                self.warnings.push(CompileWarning {
                    message: format!(
                        "'{v}' may be a valid field transformer misused as a const string value"
                    ),
                    offset,
                });
                return;
            }
        }
        if trimmed.contains('.') && !trimmed.contains(['/', ' ', '*']) {
            let f = FieldRef {
                name: trimmed.to_string(),
                arg: None,
                span: Span::default(),
            };
            let looks_like_field = trimmed.split('.').all(|p| {
                let mut ch = p.chars();
                matches!(ch.next(), Some(c) if c.is_ascii_alphabetic())
                    && ch.all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if looks_like_field && self.catalog.resolve(&f.name, None).is_ok() {
                self.warnings.push(CompileWarning {
                    message: format!("'{v}' may be a valid field misused as a const string value"),
                    offset,
                });
            }
        }
    }

    pub(super) fn constants(
        &self,
        cat: Category,
        op: Op,
        values: &[String],
        span: Span,
        field: &str,
    ) -> Result<Test, CompileError> {
        let bad = |v: &str, what: &str| CompileError {
            message: format!("filter error: '{v}' is not a valid {what} for field '{field}'"),
            offset: span.start,
        };
        Ok(match cat {
            Category::Str | Category::Bytes => {
                if op == Op::PMatch {
                    return Ok(Test::PMatch(PathPrefixes::new(
                        values.iter().map(|v| v.as_bytes()),
                    )));
                }
                if op.is_list_op() {
                    return Ok(Test::StrSet(
                        values
                            .iter()
                            .map(|v| v.as_bytes().to_vec().into_boxed_slice())
                            .collect(),
                    ));
                }
                let mut tests = Vec::new();
                for v in values {
                    let b = v.as_bytes();
                    tests.push(match op {
                        Op::Eq | Op::EqEq | Op::Ne => StrTest::Eq(b.into()),
                        Op::Lt | Op::Le | Op::Gt | Op::Ge => StrTest::Cmp(b.into()),
                        Op::Contains => StrTest::Contains(Finder::new(b).into_owned()),
                        Op::IContains => StrTest::IContains(
                            AhoCorasick::builder()
                                .ascii_case_insensitive(true)
                                .build([b])
                                .map_err(|e| bad(v, &format!("pattern ({e})")))?,
                        ),
                        Op::BContains => StrTest::Contains(
                            Finder::new(&parse_hex(v).ok_or_else(|| bad(v, "hex string"))?)
                                .into_owned(),
                        ),
                        Op::BStartsWith => StrTest::StartsWith(
                            parse_hex(v).ok_or_else(|| bad(v, "hex string"))?.into(),
                        ),
                        Op::StartsWith => StrTest::StartsWith(b.into()),
                        Op::EndsWith => StrTest::EndsWith(b.into()),
                        Op::Glob => StrTest::Glob(Glob::new(b, false)),
                        Op::IGlob => StrTest::Glob(Glob::new(b, true)),
                        Op::Regex => StrTest::Regex(
                            regex::bytes::Regex::new(&format!("^(?:{v})$"))
                                .map_err(|_| bad(v, "regular expression"))?,
                        ),
                        _ => StrTest::Eq(b.into()),
                    });
                }
                Test::Str(tests)
            }
            Category::Num => {
                let nums = values
                    .iter()
                    .map(|v| parse_int(v).ok_or_else(|| bad(v, "number")))
                    .collect::<Result<Vec<_>, _>>()?;
                if op.is_list_op() {
                    Test::NumSet(nums.into_iter().collect())
                } else {
                    Test::Num(nums)
                }
            }
            // libs parses PT_DOUBLE constants with its integer parser: `thread.cpu = 1` is
            // accepted, `thread.cpu = 1.0` is not.
            Category::Float => Test::Float(
                values
                    .iter()
                    .map(|v| {
                        parse_int(v)
                            .map(|n| n as f64)
                            .ok_or_else(|| bad(v, "number"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Category::Bool => Test::Bool(
                values
                    .iter()
                    .map(|v| match v.as_str() {
                        "true" => Ok(true),
                        "false" => Ok(false),
                        _ => Err(bad(v, "boolean")),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Category::Ip => Test::Ip(
                values
                    .iter()
                    .map(|v| {
                        parse_ip(v)
                            .or_else(|| parse_net(v))
                            .ok_or_else(|| bad(v, "IP address"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Category::Net => Test::Ip(
                values
                    .iter()
                    .map(|v| parse_net(v).ok_or_else(|| bad(v, "IP network")))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}
