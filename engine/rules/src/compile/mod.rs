//! Compiling a (macro-expanded) condition AST against a [`FieldCatalog`] into a
//! [`CompiledFilter`], and evaluating it against an event's fields.
//!
//! Constants are parsed once at compile time (numbers, addresses, hex strings, hash sets for
//! `in`, memchr finders for `contains`, Aho-Corasick for `icontains`, anchored regexes); the
//! evaluation path of a plain field check allocates nothing.
//!
//! This module holds the compiled tree and the [`Compiler`] that type-checks a condition and
//! builds it; the other jobs are in their own modules:
//! - `constants`: the right-hand constants of a check, parsed into matchers, and the warnings
//!   about suspicious ones;
//! - `eval`: evaluating the tree for one event (the per-event path);
//! - `transform`: transformers and built strings (`tolower`, `join`, `getopt`, ...) applied
//!   to field values at evaluation time;
//! - `shared`: subtrees several rules share, evaluated once per event.
//!
//! The per-event helpers are methods of the types defined here (`Combine::combine`,
//! `Owned::apply`, ...), not free functions of their modules: rustc puts a method in the
//! codegen unit of its self type's module, so the whole evaluation path stays in one unit and
//! is inlined as it was when this was one file (a free generic `combine` in `eval` went to
//! another unit and was called out of line).

use foldhash::HashSet;

use aho_corasick::AhoCorasick;
use memchr::memmem::Finder;

use crate::ast::{
    Check, Expr, FieldRef, Modifier, Op, Operand, Rhs, Span, TArg, Transform, TransformerKind,
};
use crate::field::{FieldArg, FieldCatalog, FieldType, ResolvedField, Value};
use crate::matchers::{Glob, PathPrefixes};
use ringbuf_abi::{EVENT_COUNT, EVENT_TABLE};

mod constants;
mod eval;
#[cfg(test)]
mod fixtures;
mod shared;
mod transform;

pub use shared::{share_subtrees, SubtreeKeys};

/// Event ids 0 and 1 are the generic syscall events: their `evt.type` is the syscall's name.
const GENERIC_IDS: usize = 2;

/// A compile error with the offset of the offending part of the condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// What is wrong.
    pub message: String,
    /// Byte offset in the condition.
    pub offset: usize,
}

/// A compile warning with its offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileWarning {
    /// What is suspicious.
    pub message: String,
    /// Byte offset in the condition.
    pub offset: usize,
}

/// A condition ready to evaluate.
#[derive(Debug)]
pub struct CompiledFilter {
    root: Node,
}

#[derive(Debug)]
enum Node {
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
    Const(bool),
    Check(Box<CheckNode>),
    /// An `and`/`or` subtree with its id ([`SubtreeKeys`]), left by a compiler
    /// that shares subtrees until [`share_subtrees`] turns it into `Memo` or removes it.
    /// Evaluates as its subtree.
    Keyed(u32, Box<Node>),
    /// A subtree that several rules contain (a macro such as `open_read`): its result is
    /// kept per event in slot `.0` of [`EventFields::memo_get`](crate::field::EventFields::memo_get), so the rules after the
    /// first read it instead of evaluating it again.
    Memo(u32, Box<Node>),
}

#[derive(Debug)]
struct CheckNode {
    lhs: Side,
    op: Op,
    /// How the comparison combines over several constants: any (no modifier, `anyof`),
    /// exactly one (`oneof`) or every one (`allof`).
    all: Combine,
    test: Test,
    /// The field yields several values (`in` then means "all of them are in the set").
    lhs_is_list: bool,
    /// The field is one of libsinsp's either-end socket fields (`fd.ip`, `fd.net`, `fd.port`,
    /// `fd.proto`: several values of an address or port type): `!=` holds only when no end
    /// equals the value, as libsinsp's `compare_ip`/`compare_net`/`compare_port` do.
    either_end: bool,
    /// For a plain `evt.type` check: its result for every event id whose `evt.type` is the
    /// event table's name (all but the generic events 0 and 1, whose name is the syscall's),
    /// one bit per id, so the check costs a bit test instead of a string lookup.
    by_evtype: Option<Box<EvtTypeBits>>,
}

/// One bit per event id.
type EvtTypeBits = [u64; EVENT_COUNT.div_ceil(64)];

/// A field, possibly under unary transformers (applied innermost first); or, with `value`,
/// the string a multi-value transformer (`join`, `concat`) builds, under the same steps.
#[derive(Debug)]
struct Side {
    field: ResolvedField,
    steps: Vec<TransformerKind>,
    value: Option<Box<Built>>,
}

/// A string built at evaluation time by `join`/`concat` from fields, literals and
/// transformers.
#[derive(Debug)]
enum Built {
    /// A field's first value (numbers in decimal) under unary transformers.
    Field(ResolvedField, Vec<TransformerKind>),
    /// A literal.
    Str(Vec<u8>),
    /// A built string under unary transformers.
    Steps(Box<Built>, Vec<TransformerKind>),
    /// `join(sep, (a, b, ...))`.
    Join(Box<Built>, Vec<Built>),
    /// `concat(a, b, ...)`.
    Concat(Vec<Built>),
    /// `getopt((args...), optstring)`: the options found and their arguments, or with a key
    /// (`getopt(...)[t]`) the argument of that option.
    Getopt(Vec<Built>, Box<Built>, Option<String>),
}

/// A value copied out of the event, for transformers and right-hand fields.
#[derive(Debug, Clone, PartialEq)]
enum Owned {
    Bytes(Vec<u8>),
    Num(i128),
    Other,
}

impl Side {
    fn field(field: ResolvedField) -> Side {
        Side {
            field,
            steps: Vec::new(),
            value: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Str,
    Bytes,
    Num,
    Float,
    Bool,
    Ip,
    Net,
}

fn category(t: FieldType) -> Category {
    use FieldType::*;
    match t {
        Charbuf | Fspath | Fsrelpath | Charbufarray | CharbufPairArray | Sockaddr | Socktuple
        | Fdlist | Dyn | None => Category::Str,
        Bytebuf => Category::Bytes,
        Bool => Category::Bool,
        Double => Category::Float,
        Ipv4addr | Ipv6addr | Ipaddr => Category::Ip,
        Ipv4net | Ipv6net | Ipnet => Category::Net,
        _ => Category::Num,
    }
}

fn type_name(t: FieldType) -> String {
    format!("{t:?}").to_ascii_uppercase()
}

fn op_allowed(c: Category, op: Op) -> bool {
    use Op::*;
    match c {
        Category::Str => !matches!(op, BContains | BStartsWith),
        Category::Bytes => matches!(
            op,
            Eq | EqEq
                | Ne
                | In
                | Intersects
                | Contains
                | IContains
                | BContains
                | StartsWith
                | BStartsWith
                | EndsWith
                | Exists
        ),
        Category::Num | Category::Float => matches!(
            op,
            Eq | EqEq | Ne | Lt | Le | Gt | Ge | In | Intersects | Exists
        ),
        Category::Bool | Category::Ip | Category::Net => {
            matches!(op, Eq | EqEq | Ne | In | Intersects | Exists)
        }
    }
}

#[derive(Debug)]
enum Test {
    Exists,
    /// A right-hand field (`val(x)` or a transformer): compared per event.
    Dynamic(Side),
    Str(Vec<StrTest>),
    StrSet(HashSet<Box<[u8]>>),
    PMatch(PathPrefixes),
    Num(Vec<i128>),
    NumSet(HashSet<i128>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    Ip(Vec<IpNet>),
}

#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "tested per event: the matchers stay inline rather than one pointer away"
)]
enum StrTest {
    Eq(Box<[u8]>),
    Cmp(Box<[u8]>),
    Contains(Finder<'static>),
    IContains(AhoCorasick),
    StartsWith(Box<[u8]>),
    EndsWith(Box<[u8]>),
    Glob(Glob),
    Regex(regex::bytes::Regex),
}

/// An address (prefix = full length) or a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpNet {
    v6: bool,
    addr: [u8; 16],
    prefix: u8,
}

/// libs' operator modifiers over the right-hand constants; an empty list never matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Combine {
    /// At least one constant satisfies the comparison.
    Any,
    /// Exactly one does.
    One,
    /// Every one does (and there is at least one).
    All,
}

/// Compiles conditions against a catalog.
pub struct Compiler<'a> {
    catalog: &'a dyn FieldCatalog,
    /// Warnings found so far.
    pub warnings: Vec<CompileWarning>,
    /// With [`Compiler::sharing`]: the subtree ids, kept from one rule to the next.
    keys: Option<SubtreeKeys>,
}

impl<'a> Compiler<'a> {
    /// A compiler resolving fields through `catalog`.
    pub fn new(catalog: &'a dyn FieldCatalog) -> Self {
        Compiler {
            catalog,
            warnings: Vec::new(),
            keys: None,
        }
    }

    /// Compiles an expanded condition (no macro identifiers left).
    ///
    /// # Errors
    /// The first unknown field, operator/type mismatch or bad constant, with its offset.
    pub fn compile(&mut self, e: &Expr) -> Result<CompiledFilter, CompileError> {
        Ok(CompiledFilter {
            root: self.node(e)?,
        })
    }

    /// The node of `e`; with [`Compiler::sharing`], `and`/`or` subtrees wrapped in
    /// [`Node::Keyed`].
    fn node(&mut self, e: &Expr) -> Result<Node, CompileError> {
        if self.keys.is_some() {
            return Ok(self.node_keyed(e)?.0);
        }
        self.node_unkeyed(e)
    }

    fn node_unkeyed(&mut self, e: &Expr) -> Result<Node, CompileError> {
        Ok(match e {
            Expr::And(c) => flatten(
                c.iter().map(|x| self.node(x)).collect::<Result<_, _>>()?,
                true,
            ),
            Expr::Or(c) => flatten(
                c.iter().map(|x| self.node(x)).collect::<Result<_, _>>()?,
                false,
            ),
            Expr::Not(c) => Node::Not(Box::new(self.node(c)?)),
            Expr::Identifier { name, span } => {
                return Err(CompileError {
                    message: format!("Undefined macro '{name}' used in filter."),
                    offset: span.start,
                })
            }
            Expr::Check(c) => Node::Check(Box::new(self.check(c)?)),
        })
    }

    /// Resolves a field reference, trying `a.b.c` as field `a.b` with key `c` when needed.
    pub fn resolve(&self, f: &FieldRef) -> Result<ResolvedField, CompileError> {
        let arg = f.arg.as_ref().map(|a| match a.parse::<u64>() {
            Ok(n) => FieldArg::Index(n),
            Err(_) => FieldArg::Key(a.clone()),
        });
        match self.catalog.resolve(&f.name, arg.as_ref()) {
            Ok(r) => Ok(r),
            Err(e) => {
                if arg.is_none() {
                    if let Some((base, key)) = f.name.rsplit_once('.') {
                        if let Ok(r) = self
                            .catalog
                            .resolve(base, Some(&FieldArg::Key(key.to_string())))
                        {
                            return Ok(r);
                        }
                    }
                }
                Err(CompileError {
                    message: e.to_string(),
                    offset: f.span.start,
                })
            }
        }
    }

    fn side(&self, o: &Operand) -> Result<(Side, FieldType), CompileError> {
        match o {
            Operand::Field(f) => {
                let r = self.resolve(f)?;
                let t = r.ftype;
                Ok((Side::field(r), t))
            }
            Operand::Transform(t) => self.transform(t),
        }
    }

    fn transform(&self, t: &Transform) -> Result<(Side, FieldType), CompileError> {
        if t.arg.is_some() && t.kind != TransformerKind::Getopt {
            return Err(CompileError {
                message: format!(
                    "filter error: transformer '{}' does not support field arguments",
                    t.kind.as_str()
                ),
                offset: t.span.start,
            });
        }
        if matches!(
            t.kind,
            TransformerKind::Join | TransformerKind::Concat | TransformerKind::Getopt
        ) {
            let built = self.built(&TArg::Transform(t.clone()))?;
            let field = ResolvedField {
                id: u32::MAX,
                name: t.to_string(),
                arg: None,
                ftype: FieldType::Charbuf,
                is_list: false,
            };
            return Ok((
                Side {
                    field,
                    steps: Vec::new(),
                    value: Some(Box::new(built)),
                },
                FieldType::Charbuf,
            ));
        }
        if !t.kind.is_unary() {
            return Err(CompileError {
                message: format!(
                    "filter error: transformer '{}' is not supported by this engine",
                    t.kind.as_str()
                ),
                offset: t.span.start,
            });
        }
        let (mut side, ty) = match t.args.first() {
            Some(TArg::Field(f)) => {
                let r = self.resolve(f)?;
                let ty = r.ftype;
                (Side::field(r), ty)
            }
            Some(TArg::Transform(inner)) => self.transform(inner)?,
            _ => {
                return Err(CompileError {
                    message: format!(
                        "filter error: transformer '{}' expects a field",
                        t.kind.as_str()
                    ),
                    offset: t.span.start,
                })
            }
        };
        if !matches!(category(ty), Category::Str | Category::Bytes) {
            return Err(CompileError {
                message: format!(
                    "filter error: transformer '{}' is not supported for field type {}",
                    t.kind.as_str(),
                    type_name(ty)
                ),
                offset: t.span.start,
            });
        }
        side.steps.push(t.kind);
        let out = if t.kind == TransformerKind::Len {
            FieldType::Uint64
        } else {
            FieldType::Charbuf
        };
        Ok((side, out))
    }

    /// An argument of `join`/`concat` as a [`Built`] string.
    fn built(&self, a: &TArg) -> Result<Built, CompileError> {
        let bad = |t: &Transform, what: &str| CompileError {
            message: format!("filter error: transformer '{}' {what}", t.kind.as_str()),
            offset: t.span.start,
        };
        Ok(match a {
            TArg::Str(s) => Built::Str(s.as_bytes().to_vec()),
            TArg::Field(f) => Built::Field(self.resolve(f)?, Vec::new()),
            TArg::List(_) => {
                return Err(CompileError {
                    message: "filter error: unexpected list argument".into(),
                    offset: 0,
                })
            }
            TArg::Transform(t) => match t.kind {
                TransformerKind::Join => match t.args.as_slice() {
                    [TArg::Field(f), TArg::List(_)] if self.resolve(f)?.is_list => {
                        return Err(bad(t, "takes a single-value separator"))
                    }
                    [sep, TArg::List(items)] => Built::Join(
                        Box::new(self.built(sep)?),
                        items
                            .iter()
                            .map(|i| self.built(i))
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => return Err(bad(t, "expects a separator and a list")),
                },
                TransformerKind::Getopt => match t.args.as_slice() {
                    [TArg::List(args), spec] => {
                        if t.arg.as_deref().is_some_and(|k| k.len() != 1) {
                            return Err(bad(t, "takes a one-letter option as argument"));
                        }
                        Built::Getopt(
                            args.iter()
                                .map(|a| self.built(a))
                                .collect::<Result<_, _>>()?,
                            Box::new(self.built(spec)?),
                            t.arg.clone(),
                        )
                    }
                    _ => return Err(bad(t, "expects a list of arguments and an option string")),
                },
                TransformerKind::Concat => Built::Concat(
                    t.args
                        .iter()
                        .map(|i| self.built(i))
                        .collect::<Result<_, _>>()?,
                ),
                k if k.is_unary() => {
                    let (side, _) = self.transform(t)?;
                    match side.value {
                        Some(v) => Built::Steps(v, side.steps),
                        None => Built::Field(side.field, side.steps),
                    }
                }
                _ => return Err(bad(t, "is not supported by this engine")),
            },
        })
    }

    fn check(&mut self, c: &Check) -> Result<CheckNode, CompileError> {
        let (lhs, ty) = self.side(&c.lhs)?;
        let cat = category(ty);
        let lhs_is_list = lhs.field.is_list && lhs.steps.is_empty();
        let either_end = lhs_is_list
            && (matches!(cat, Category::Ip | Category::Net) || matches!(ty, FieldType::Port));
        let err = |m: String, s: Span| CompileError {
            message: m,
            offset: s.start,
        };
        if !op_allowed(cat, c.op) {
            return Err(err(
                format!(
                    "filter error: operator '{}' is not supported by field '{}' of type {}",
                    c.op.as_str(),
                    lhs.field.name,
                    type_name(ty)
                ),
                c.span,
            ));
        }
        if c.modifier.is_some() && !c.op.accepts_modifier() {
            return Err(err(
                format!(
                    "filter error: operator '{}' does not accept a modifier",
                    c.op.as_str()
                ),
                c.span,
            ));
        }
        let all = match c.modifier {
            Some(Modifier::AllOf) => Combine::All,
            Some(Modifier::OneOf) => Combine::One,
            Some(Modifier::AnyOf) | None => Combine::Any,
        };
        let test = match (&c.rhs, c.op) {
            (None, _) => Test::Exists,
            (Some(Rhs::Field(f)), _) => {
                let r = self.resolve(f)?;
                Test::Dynamic(Side::field(r))
            }
            (Some(Rhs::Transform(t)), _) => Test::Dynamic(self.transform(t)?.0),
            (Some(rhs), op) => {
                let values: Vec<String> = match rhs {
                    Rhs::Value(v, _) => vec![v.clone()],
                    Rhs::List(l, _) => l.clone(),
                    _ => Vec::new(),
                };
                if let Rhs::Value(v, s) = rhs {
                    self.warn_misused(v, s.start);
                    if op == Op::Regex {
                        self.warn_plain_regex(v, s.start);
                    }
                }
                self.constants(cat, op, &values, rhs.span(), &lhs.field.name)?
            }
        };
        let mut node = CheckNode {
            lhs,
            op: c.op,
            all,
            test,
            lhs_is_list,
            either_end,
            by_evtype: None,
        };
        node.by_evtype = node.evtype_bits();
        Ok(node)
    }
}

impl CheckNode {
    /// The per-event-id results of a plain `evt.type` check (no argument, transformer or
    /// right-hand field): the value `evt.type` extracts for a non-generic event is its
    /// name in the event table (`evttype.rs` relies on the same contract).
    fn evtype_bits(&self) -> Option<Box<EvtTypeBits>> {
        let f = &self.lhs.field;
        if f.name != "evt.type"
            || f.arg.is_some()
            || f.is_list
            || !self.lhs.steps.is_empty()
            || self.lhs.value.is_some()
            || matches!(self.test, Test::Dynamic(_))
        {
            return None;
        }
        let mut bits: EvtTypeBits = [0; EVENT_COUNT.div_ceil(64)];
        for (id, info) in EVENT_TABLE.iter().enumerate().skip(GENERIC_IDS) {
            if self.op == Op::Exists || self.test_value(Value::Str(info.name.as_bytes())) {
                bits[id / 64] |= 1 << (id % 64);
            }
        }
        Some(Box::new(bits))
    }
}

/// An `and` (or `or`) of `children`, with nested nodes of the same kind spliced in and a
/// single child standing alone: the same result in the same order of evaluation, with
/// fewer levels to walk per event (macros nest `and`s in `and`s).
fn flatten(children: Vec<Node>, and: bool) -> Node {
    let mut out = Vec::with_capacity(children.len());
    for n in children {
        match n {
            Node::And(c) if and => out.extend(c.into_vec()),
            Node::Or(c) if !and => out.extend(c.into_vec()),
            n => out.push(n),
        }
    }
    if out.len() == 1 {
        if let Some(only) = out.pop() {
            return only;
        }
    }
    if and {
        Node::And(out.into_boxed_slice())
    } else {
        Node::Or(out.into_boxed_slice())
    }
}

impl CompiledFilter {
    /// A filter that is always `value` (for tests and for empty rule sets).
    pub fn constant(value: bool) -> Self {
        CompiledFilter {
            root: Node::Const(value),
        }
    }

    /// Calls `f` on every field the filter can read: each check's field, the fields of a
    /// right-hand side (`val(...)`, transformers) and of built strings (`join`, `concat`).
    pub fn for_each_field(&self, f: &mut dyn FnMut(&ResolvedField)) {
        self.root.for_each_field(f);
    }
}

impl Node {
    fn for_each_field(&self, f: &mut dyn FnMut(&ResolvedField)) {
        match self {
            Node::And(c) | Node::Or(c) => c.iter().for_each(|n| n.for_each_field(f)),
            Node::Not(n) | Node::Keyed(_, n) | Node::Memo(_, n) => n.for_each_field(f),
            Node::Const(_) => {}
            Node::Check(c) => {
                c.lhs.for_each_field(f);
                if let Test::Dynamic(rhs) = &c.test {
                    rhs.for_each_field(f);
                }
            }
        }
    }
}

impl Side {
    fn for_each_field(&self, f: &mut dyn FnMut(&ResolvedField)) {
        // A built string's `field` only names the expression; its fields are in `value`.
        match &self.value {
            Some(b) => b.for_each_field(f),
            None => f(&self.field),
        }
    }
}

impl Built {
    fn for_each_field(&self, f: &mut dyn FnMut(&ResolvedField)) {
        match self {
            Built::Field(field, _) => f(field),
            Built::Str(_) => {}
            Built::Steps(b, _) => b.for_each_field(f),
            Built::Join(sep, parts) => {
                sep.for_each_field(f);
                parts.iter().for_each(|b| b.for_each_field(f));
            }
            Built::Concat(parts) => parts.iter().for_each(|b| b.for_each_field(f)),
            Built::Getopt(args, spec, _) => {
                args.iter().for_each(|b| b.for_each_field(f));
                spec.for_each_field(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::ListCatalog;
    use super::*;

    #[test]
    fn for_each_field_lists_every_field_read() {
        for (cond, want) in [
            (
                "s.x = 1 and not (l.x contains a or s.y exists)",
                &["s.x", "l.x", "s.y"][..],
            ),
            ("s.x = val(s.y)", &["s.x", "s.y"]),
            ("s.x = tolower(s.y)", &["s.x", "s.y"]),
            ("join(\"-\", (s.a, tolower(s.b))) = x", &["s.a", "s.b"]),
            ("s.x in (a, b) or evt.type = open", &["s.x", "evt.type"]),
        ] {
            let ast = crate::parser::parse(cond).expect("parses");
            let filter = Compiler::new(&ListCatalog).compile(&ast).expect("compiles");
            let mut seen = Vec::new();
            filter.for_each_field(&mut |f| seen.push(f.name.clone()));
            assert_eq!(seen, want, "{cond}");
        }
    }
}
