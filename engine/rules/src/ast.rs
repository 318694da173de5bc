//! The condition AST, with byte spans into the condition text, and its canonical printer.
//!
//! The printer reproduces libsinsp's `ast::as_string`, which Falco uses to show a rule's
//! compiled condition: `and`/`or` nodes in parentheses, `not X`, values escaped and quoted only
//! when they contain blanks or quotes, operators as written.

use std::fmt;

use crate::escape::escape_str;

/// A byte range in the condition text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A boolean expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `a and b and ...` (one node per chain written without parentheses).
    And(Vec<Expr>),
    /// `a or b or ...`.
    Or(Vec<Expr>),
    /// `not a`.
    Not(Box<Expr>),
    /// A bare identifier: a macro reference until macros are expanded.
    Identifier {
        /// The name.
        name: String,
        /// Where it is written.
        span: Span,
    },
    /// A field comparison.
    Check(Box<Check>),
}

/// A comparison operator, as written (`=` and `==` print differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Op {
    Eq,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    PMatch,
    Exists,
}

impl Op {
    /// Every operator, in libs' `supported_operators()` order.
    pub const ALL: [Op; 20] = [
        Op::Exists,
        Op::Le,
        Op::Lt,
        Op::Ge,
        Op::Gt,
        Op::EqEq,
        Op::Eq,
        Op::Ne,
        Op::Glob,
        Op::IGlob,
        Op::Contains,
        Op::IContains,
        Op::BContains,
        Op::StartsWith,
        Op::BStartsWith,
        Op::EndsWith,
        Op::Regex,
        Op::Intersects,
        Op::In,
        Op::PMatch,
    ];

    /// The operator's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::EqEq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::PMatch => "pmatch",
            Op::Exists => "exists",
        }
    }

    /// Parses an operator's text.
    pub fn from_str_exact(s: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|o| o.as_str() == s)
    }

    /// True for the operators whose right-hand side is a list (`in`, `intersects`, `pmatch`).
    pub fn is_list_op(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::PMatch)
    }

    /// True for the operators that accept an `oneof`/`anyof`/`allof` modifier.
    pub fn accepts_modifier(self) -> bool {
        matches!(
            self,
            Op::Eq
                | Op::EqEq
                | Op::Ne
                | Op::Contains
                | Op::IContains
                | Op::BContains
                | Op::StartsWith
                | Op::BStartsWith
                | Op::EndsWith
                | Op::Glob
                | Op::IGlob
                | Op::Regex
        )
    }
}

/// A list modifier on a scalar operator: `proc.name startswith oneof (a, b)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// True when the comparison holds for exactly one value.
    OneOf,
    /// True when the comparison holds for at least one value.
    AnyOf,
    /// True when the comparison holds for every value.
    AllOf,
}

impl Modifier {
    /// The modifier's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }
}

/// `field op value`, `field exists`, with transformers on either side.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Left-hand side.
    pub lhs: Operand,
    /// Operator.
    pub op: Op,
    /// `oneof`/`anyof`/`allof`, if written.
    pub modifier: Option<Modifier>,
    /// Right-hand side; `None` for `exists`.
    pub rhs: Option<Rhs>,
    /// The whole check.
    pub span: Span,
}

/// A field reference: `proc.aname[2]`, `evt.arg["x"]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRef {
    /// Field name (with dots).
    pub name: String,
    /// The bracketed argument, unescaped.
    pub arg: Option<String>,
    /// Where it is written.
    pub span: Span,
}

/// The transformers (`tolower(...)` etc.).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum TransformerKind {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
    Join,
    Concat,
    Getopt,
}

impl TransformerKind {
    /// The transformer's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransformerKind::ToLower => "tolower",
            TransformerKind::ToUpper => "toupper",
            TransformerKind::B64 => "b64",
            TransformerKind::Basename => "basename",
            TransformerKind::Len => "len",
            TransformerKind::Join => "join",
            TransformerKind::Concat => "concat",
            TransformerKind::Getopt => "getopt",
        }
    }

    /// Parses a transformer name.
    pub fn from_name(s: &str) -> Option<TransformerKind> {
        use TransformerKind::*;
        [ToLower, ToUpper, B64, Basename, Len, Join, Concat, Getopt]
            .into_iter()
            .find(|t| t.as_str() == s)
    }

    /// True for the transformers taking exactly one field or transformer.
    pub fn is_unary(self) -> bool {
        use TransformerKind::*;
        matches!(self, ToLower | ToUpper | B64 | Basename | Len)
    }
}

/// A transformer application.
#[derive(Clone, Debug, PartialEq)]
pub struct Transform {
    /// Which transformer.
    pub kind: TransformerKind,
    /// Its arguments.
    pub args: Vec<TArg>,
    /// A trailing `[arg]` (only `getopt` accepts one).
    pub arg: Option<String>,
    /// Where it is written.
    pub span: Span,
}

/// A transformer argument.
#[derive(Clone, Debug, PartialEq)]
pub enum TArg {
    /// A field.
    Field(FieldRef),
    /// A nested transformer.
    Transform(Transform),
    /// A literal string.
    Str(String),
    /// A parenthesized list of arguments.
    List(Vec<TArg>),
}

/// Left-hand side of a check.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A field.
    Field(FieldRef),
    /// A transformer over fields.
    Transform(Transform),
}

impl Operand {
    /// Where the operand is written.
    pub fn span(&self) -> Span {
        match self {
            Operand::Field(f) => f.span,
            Operand::Transform(t) => t.span,
        }
    }
}

/// Right-hand side of a check.
#[derive(Clone, Debug, PartialEq)]
pub enum Rhs {
    /// A single value (also an unresolved list name used with a list operator).
    Value(String, Span),
    /// `(a, b, "c")`.
    List(Vec<String>, Span),
    /// `val(field)`.
    Field(FieldRef),
    /// A transformer.
    Transform(Transform),
}

impl Rhs {
    /// Where the value is written.
    pub fn span(&self) -> Span {
        match self {
            Rhs::Value(_, s) | Rhs::List(_, s) => *s,
            Rhs::Field(f) => f.span,
            Rhs::Transform(t) => t.span,
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(c) => logical(f, "and", c),
            Expr::Or(c) => logical(f, "or", c),
            Expr::Not(c) => write!(f, "not {c}"),
            Expr::Identifier { name, .. } => f.write_str(name),
            Expr::Check(c) => fmt::Display::fmt(c, f),
        }
    }
}

fn logical(f: &mut fmt::Formatter<'_>, op: &str, children: &[Expr]) -> fmt::Result {
    f.write_str("(")?;
    for (i, c) in children.iter().enumerate() {
        if i > 0 {
            write!(f, " {op} ")?;
        }
        fmt::Display::fmt(c, f)?;
    }
    f.write_str(")")
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.lhs, f)?;
        write!(f, " {}", self.op.as_str())?;
        if let Some(m) = self.modifier {
            write!(f, " {}", m.as_str())?;
        }
        if let Some(rhs) = &self.rhs {
            write!(f, " {rhs}")?;
        }
        Ok(())
    }
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(a) = &self.arg {
            write!(f, "[{}]", escape_str(a))?;
        }
        Ok(())
    }
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.kind.as_str())?;
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            fmt::Display::fmt(a, f)?;
        }
        f.write_str(")")?;
        if let Some(a) = &self.arg {
            write!(f, "[{}]", escape_str(a))?;
        }
        Ok(())
    }
}

impl fmt::Display for TArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TArg::Field(x) => fmt::Display::fmt(x, f),
            TArg::Transform(t) => fmt::Display::fmt(t, f),
            TArg::Str(s) => f.write_str(&escape_str(s)),
            TArg::List(l) => {
                f.write_str("(")?;
                for (i, a) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    fmt::Display::fmt(a, f)?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(x) => fmt::Display::fmt(x, f),
            Operand::Transform(t) => fmt::Display::fmt(t, f),
        }
    }
}

impl fmt::Display for Rhs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::Value(v, _) => f.write_str(&escape_str(v)),
            Rhs::List(vs, _) => {
                f.write_str("(")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&escape_str(v))?;
                }
                f.write_str(")")
            }
            Rhs::Field(x) => write!(f, "val({x})"),
            Rhs::Transform(t) => fmt::Display::fmt(t, f),
        }
    }
}

impl Expr {
    /// Adds `by` to every span (the loader tags the body of an expanded macro this way, so an
    /// error inside it can be traced back to the macro's own text).
    pub fn shift_spans(&mut self, by: usize) {
        fn span(s: &mut Span, by: usize) {
            s.start += by;
            s.end += by;
        }
        fn transform(t: &mut Transform, by: usize) {
            span(&mut t.span, by);
            t.args.iter_mut().for_each(|a| targ(a, by));
        }
        fn targ(a: &mut TArg, by: usize) {
            match a {
                TArg::Field(f) => span(&mut f.span, by),
                TArg::Transform(t) => transform(t, by),
                TArg::List(l) => l.iter_mut().for_each(|a| targ(a, by)),
                TArg::Str(_) => {}
            }
        }
        match self {
            Expr::And(c) | Expr::Or(c) => c.iter_mut().for_each(|e| e.shift_spans(by)),
            Expr::Not(c) => c.shift_spans(by),
            Expr::Identifier { span: s, .. } => span(s, by),
            Expr::Check(c) => {
                span(&mut c.span, by);
                match &mut c.lhs {
                    Operand::Field(f) => span(&mut f.span, by),
                    Operand::Transform(t) => transform(t, by),
                }
                match &mut c.rhs {
                    Some(Rhs::Value(_, s)) | Some(Rhs::List(_, s)) => span(s, by),
                    Some(Rhs::Field(f)) => span(&mut f.span, by),
                    Some(Rhs::Transform(t)) => transform(t, by),
                    None => {}
                }
            }
        }
    }

    /// Calls `f` on every node, depth first, parents before children.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::And(c) | Expr::Or(c) => c.iter().for_each(|e| e.walk(f)),
            Expr::Not(c) => c.walk(f),
            Expr::Identifier { .. } | Expr::Check(_) => {}
        }
    }
}
