//! Condition parser: the pest grammar in `condition.pest`, with `or` < `and` < `not` precedence
//! resolved by an iterative precedence fold (`build_expr`), and libs' error messages where they are known.

use pest::iterators::{Pair, Pairs};
use pest::Parser as _;

use crate::ast::{
    Check, Expr, FieldRef, Modifier, Op, Operand, Rhs, Span, TArg, Transform, TransformerKind,
};
use crate::escape::unescape_quoted;

mod grammar {
    #![allow(missing_docs)]
    #[derive(pest_derive::Parser)]
    #[grammar = "condition.pest"]
    pub(super) struct ConditionGrammar;
}
use grammar::{ConditionGrammar, Rule};

/// Maximum nesting of parentheses (libs' default max depth).
pub const MAX_DEPTH: usize = 100;

/// A syntax error in a condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The message, in libs' words where known.
    pub message: String,
    /// Byte offset in the condition where the error was found.
    pub offset: usize,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a condition into an AST.
///
/// # Errors
/// A [`ParseError`] with libs' message (`exceeded max depth limit of 100`,
/// `expected a ']' token`, ...) and the offset where parsing stopped.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    if input.trim().is_empty() {
        return Err(ParseError {
            message: "filter input string is empty".into(),
            offset: 0,
        });
    }
    check_depth(input)?;
    let mut pairs = ConditionGrammar::parse(Rule::condition, input).map_err(convert_error)?;
    let cond = pairs.next().ok_or_else(|| ParseError {
        message: "empty parse".into(),
        offset: 0,
    })?;
    let expr = cond
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .ok_or_else(|| ParseError {
            message: "empty parse".into(),
            offset: 0,
        })?;
    Ok(build_expr(expr.into_inner())?.0)
}

/// Rejects conditions nested deeper than [`MAX_DEPTH`] before the recursive parser sees them.
fn check_depth(input: &str) -> Result<(), ParseError> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut prev = 0u8;
    for (i, &c) in input.as_bytes().iter().enumerate() {
        match quote {
            Some(q) => {
                if c == q && prev != b'\\' {
                    quote = None;
                }
            }
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'(' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(ParseError {
                            message: format!("exceeded max depth limit of {MAX_DEPTH}"),
                            offset: i,
                        });
                    }
                }
                b')' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = c;
    }
    Ok(())
}

fn convert_error(e: pest::error::Error<Rule>) -> ParseError {
    let offset = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let positives: Vec<Rule> = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let has = |r: Rule| positives.contains(&r);
    let message = if has(Rule::field_arg) {
        "expected a valid field argument: a quoted string or a bare string".to_string()
    } else if has(Rule::field_arg_close) {
        "expected a ']' token".to_string()
    } else if has(Rule::unary_op) || has(Rule::num_op) || has(Rule::str_sym_op) {
        let ops: Vec<String> = Op::ALL
            .iter()
            .map(|o| format!("'{}'", o.as_str()))
            .collect();
        format!("expected a valid check operator: one of {}", ops.join(", "))
    } else if has(Rule::number) && has(Rule::quoted_str) && !has(Rule::bare_str) {
        // Only a transformer list element admits numbers and quoted strings but no bare word.
        "expected transformer list argument: field, transformer, quoted string, or number"
            .to_string()
    } else if has(Rule::number) {
        "expected a number value".to_string()
    } else if has(Rule::list_value) || has(Rule::list_ref) {
        "expected a list or an identifier".to_string()
    } else if has(Rule::quoted_str) || has(Rule::bare_str) || has(Rule::modified_list) {
        "expected a string value".to_string()
    } else if has(Rule::paren) || has(Rule::check) || has(Rule::identifier) || has(Rule::not_op) {
        "expected a '(' token, a field check, or an identifier".to_string()
    } else if has(Rule::rparen) && !has(Rule::or_op) {
        "expected a ')' token".to_string()
    } else if has(Rule::or_op) || has(Rule::and_op) || has(Rule::EOI) || has(Rule::rparen) {
        "unexpected token, expecting 'or', 'and'".to_string()
    } else {
        "syntax error".to_string()
    };
    ParseError { message, offset }
}

fn span_of(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span {
        start: s.start(),
        end: s.end(),
    }
}

fn err_at(p: &Pair<Rule>, message: impl Into<String>) -> ParseError {
    ParseError {
        message: message.into(),
        offset: p.as_span().start(),
    }
}

/// `(expr, grouped)`: grouped is true when the node came from parentheses, so chains of the
/// same operator are flattened only when written without parentheses, as libs does.
type Built = Result<(Expr, bool), ParseError>;

/// Builds `not* primary ((and|or) not* primary)*` with `or` < `and` < `not`, left to right.
///
/// Iterative over the operators and the `not`s: only parentheses recurse, and their depth
/// is bounded by [`check_depth`], so no condition can exhaust the stack (a recursive Pratt
/// parser took one frame per `not`).
fn build_expr(pairs: Pairs<Rule>) -> Built {
    // The `and`-chain being built, and the finished `or` operand chain before it.
    let mut ors: Option<(Expr, bool)> = None;
    let mut ands: Option<(Expr, bool)> = None;
    let mut nots = 0usize;
    let mut pending_or = false;
    for p in pairs {
        match p.as_rule() {
            Rule::not_op => nots += 1,
            Rule::and_op => {}
            Rule::or_op => pending_or = true,
            _ => {
                let mut operand = build_primary(p)?;
                for _ in 0..nots {
                    operand = negate(operand);
                }
                nots = 0;
                if pending_or {
                    pending_or = false;
                    let chain = ands.take().ok_or_else(|| ParseError {
                        message: "syntax error".into(),
                        offset: 0,
                    })?;
                    ors = Some(match ors.take() {
                        None => chain,
                        Some(l) => combine(l, chain, true),
                    });
                    ands = Some(operand);
                } else {
                    ands = Some(match ands.take() {
                        None => operand,
                        Some(l) => combine(l, operand, false),
                    });
                }
            }
        }
    }
    let last = ands.ok_or_else(|| ParseError {
        message: "empty parse".into(),
        offset: 0,
    })?;
    Ok(match ors {
        None => last,
        Some(l) => combine(l, last, true),
    })
}

/// One `not`: libs toggles a flag for consecutive `not`s, so `not not a` is `a`.
fn negate((e, grouped): (Expr, bool)) -> (Expr, bool) {
    match e {
        Expr::Not(inner) if !grouped => (*inner, false),
        e => (Expr::Not(Box::new(e)), false),
    }
}

/// `l op r`, flattening a chain of the same operator written without parentheses, as libs
/// does.
fn combine((l, lg): (Expr, bool), (r, _): (Expr, bool), is_or: bool) -> (Expr, bool) {
    (
        match (l, is_or) {
            (Expr::Or(mut c), true) if !lg => {
                c.push(r);
                Expr::Or(c)
            }
            (Expr::And(mut c), false) if !lg => {
                c.push(r);
                Expr::And(c)
            }
            (l, true) => Expr::Or(vec![l, r]),
            (l, false) => Expr::And(vec![l, r]),
        },
        false,
    )
}

fn build_primary(p: Pair<Rule>) -> Built {
    match p.as_rule() {
        Rule::paren => {
            let inner = p
                .into_inner()
                .find(|x| x.as_rule() == Rule::expr)
                .ok_or_else(|| ParseError {
                    message: "empty parentheses".into(),
                    offset: 0,
                })?;
            let (e, _) = build_expr(inner.into_inner())?;
            Ok((e, true))
        }
        Rule::identifier => Ok((
            Expr::Identifier {
                name: p.as_str().to_string(),
                span: span_of(&p),
            },
            false,
        )),
        Rule::check => Ok((Expr::Check(Box::new(build_check(p)?)), false)),
        _ => Err(err_at(&p, "unexpected token")),
    }
}

fn build_check(p: Pair<Rule>) -> Result<Check, ParseError> {
    let span = span_of(&p);
    let mut inner = p.into_inner();
    let lhs_pair = inner.next().ok_or_else(|| ParseError {
        message: "missing field".into(),
        offset: span.start,
    })?;
    let lhs = match lhs_pair.as_rule() {
        Rule::field => Operand::Field(build_field(lhs_pair)?),
        Rule::transformer => Operand::Transform(build_transform(lhs_pair)?),
        _ => return Err(err_at(&lhs_pair, "expected a field or a transformer")),
    };
    let op_pair = inner.next().ok_or_else(|| ParseError {
        message: "missing operator".into(),
        offset: span.end,
    })?;
    let op =
        Op::from_str_exact(op_pair.as_str()).ok_or_else(|| err_at(&op_pair, "unknown operator"))?;
    let mut modifier = None;
    let rhs = match inner.next() {
        None => None,
        Some(v) => Some(match v.as_rule() {
            Rule::modified_list => {
                let mut mi = v.into_inner();
                let m = mi.next().ok_or_else(|| ParseError {
                    message: "missing modifier".into(),
                    offset: span.start,
                })?;
                modifier = Some(match m.as_str() {
                    "oneof" => Modifier::OneOf,
                    "anyof" => Modifier::AnyOf,
                    _ => Modifier::AllOf,
                });
                let l = mi.next().ok_or_else(|| ParseError {
                    message: "missing list".into(),
                    offset: span.end,
                })?;
                build_rhs(l)?
            }
            _ => build_rhs(v)?,
        }),
    };
    Ok(Check {
        lhs,
        op,
        modifier,
        rhs,
        span,
    })
}

fn build_rhs(v: Pair<Rule>) -> Result<Rhs, ParseError> {
    let span = span_of(&v);
    Ok(match v.as_rule() {
        Rule::list_value => {
            let mut items = Vec::new();
            for x in v.into_inner() {
                if matches!(x.as_rule(), Rule::quoted_str | Rule::bare_str) {
                    items.push(str_value(&x)?);
                }
            }
            Rhs::List(items, span)
        }
        Rule::list_ref => Rhs::Value(v.as_str().to_string(), span),
        Rule::quoted_str | Rule::bare_str | Rule::number => Rhs::Value(str_value(&v)?, span),
        Rule::val_call => {
            let mut field = None;
            for x in v.into_inner() {
                match x.as_rule() {
                    Rule::field => field = Some(build_field(x)?),
                    Rule::field_arg_suffix => {
                        return Err(err_at(
                            &x,
                            "filter error: transformer 'val' does not support field arguments",
                        ))
                    }
                    _ => {}
                }
            }
            Rhs::Field(field.ok_or_else(|| ParseError {
                message: "expected a field".into(),
                offset: span.start,
            })?)
        }
        Rule::transformer => Rhs::Transform(build_transform(v)?),
        _ => return Err(err_at(&v, "expected a value")),
    })
}

fn str_value(p: &Pair<Rule>) -> Result<String, ParseError> {
    match p.as_rule() {
        Rule::quoted_str => unescape_quoted(p.as_str()).map_err(|m| err_at(p, m)),
        _ => Ok(p.as_str().to_string()),
    }
}

fn field_arg(p: Pair<Rule>) -> Result<String, ParseError> {
    // field_arg_suffix > field_arg > (quoted_str | field_arg_bare)
    for a in p.into_inner() {
        if a.as_rule() == Rule::field_arg {
            if let Some(v) = a.into_inner().next() {
                return match v.as_rule() {
                    Rule::quoted_str => unescape_quoted(v.as_str()).map_err(|m| err_at(&v, m)),
                    _ => Ok(v.as_str().to_string()),
                };
            }
        }
    }
    Ok(String::new())
}

fn build_field(p: Pair<Rule>) -> Result<FieldRef, ParseError> {
    let span = span_of(&p);
    let mut name = String::new();
    let mut arg = None;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::field_name => name = x.as_str().to_string(),
            Rule::field_arg_suffix => arg = Some(field_arg(x)?),
            _ => {}
        }
    }
    Ok(FieldRef { name, arg, span })
}

fn build_transform(p: Pair<Rule>) -> Result<Transform, ParseError> {
    let span = span_of(&p);
    let start = p.clone();
    let mut kind = None;
    let mut args = Vec::new();
    let mut arg = None;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::transformer_name => kind = TransformerKind::from_name(x.as_str()),
            Rule::field_arg_suffix => arg = Some(field_arg(x)?),
            Rule::rparen => {}
            _ => args.push(build_targ(x)?),
        }
    }
    let kind = kind.ok_or_else(|| err_at(&start, "unknown transformer"))?;
    if kind.is_unary()
        && (args.len() != 1
            || !matches!(
                args.first(),
                Some(TArg::Field(_)) | Some(TArg::Transform(_))
            ))
    {
        return Err(err_at(
            &start,
            format!(
                "transformer '{}' expects one field or transformer argument",
                kind.as_str()
            ),
        ));
    }
    Ok(Transform {
        kind,
        args,
        arg,
        span,
    })
}

fn build_targ(x: Pair<Rule>) -> Result<TArg, ParseError> {
    Ok(match x.as_rule() {
        Rule::field => TArg::Field(build_field(x)?),
        Rule::transformer => TArg::Transform(build_transform(x)?),
        Rule::tlist => {
            let mut items = Vec::new();
            for y in x.into_inner() {
                if y.as_rule() != Rule::rparen {
                    items.push(build_targ(y)?);
                }
            }
            TArg::List(items)
        }
        _ => TArg::Str(str_value(&x)?),
    })
}

/// Converts a byte offset in `text` into a 1-based (line, column).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}
