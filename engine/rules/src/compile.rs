//! Compiling a (macro-expanded) condition AST against a [`FieldCatalog`] into a
//! [`CompiledFilter`], and evaluating it against an event's fields.
//!
//! Constants are parsed once at compile time (numbers, addresses, hex strings, hash sets for
//! `in`, memchr finders for `contains`, Aho-Corasick for `icontains`, anchored regexes); the
//! evaluation path of a plain field check allocates nothing.

use foldhash::{HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use aho_corasick::AhoCorasick;
use memchr::memmem::Finder;

use crate::ast::{
    Check, Expr, FieldRef, Modifier, Op, Operand, Rhs, Span, TArg, Transform, TransformerKind,
};
use crate::field::{EventFields, FieldArg, FieldCatalog, FieldType, ResolvedField, Value};
use crate::matchers::{Glob, PathPrefixes};
use ringbuf_abi::{EVENT_COUNT, EVENT_TABLE};

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
    /// kept per event in slot `.0` of [`EventFields::memo_get`], so the rules after the
    /// first read it instead of evaluating it again.
    Memo(u32, Box<Node>),
}

/// Ids of the subtrees compiled so far, by a key that only equal subtrees share (see
/// [`Compiler::node_keyed`]): the same macro expanded in several rules gets the same id.
#[derive(Debug, Default)]
pub struct SubtreeKeys {
    ids: HashMap<String, u32>,
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

/// One option found by [`getopt`].
enum Opt {
    /// An option without argument.
    Flag(u8),
    /// An option with its argument.
    Arg(u8, Vec<u8>),
    /// An option whose required argument is missing.
    Missing(u8),
}

/// POSIX-style option parsing as libs' `getopt` transformer: options until the first
/// non-option, `-` or `--`; clusters (`-abc`), attached or separate arguments (`-p8080`,
/// `-p 8080`, even when the next word starts with `-`); unknown options and long options
/// yield nothing.
fn getopt(args: &[Vec<u8>], spec: &[u8]) -> Vec<Opt> {
    let spec = spec.strip_prefix(b":").unwrap_or(spec);
    let takes = |c: u8| -> Option<bool> {
        let p = spec.iter().position(|&x| x == c && c != b':')?;
        Some(spec.get(p + 1) == Some(&b':'))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a.len() < 2 || a[0] != b'-' || a[1] == b'-' {
            break;
        }
        let mut j = 1;
        while let Some(&c) = a.get(j) {
            match takes(c) {
                None => j += 1,
                Some(false) => {
                    out.push(Opt::Flag(c));
                    j += 1;
                }
                Some(true) => {
                    if j + 1 < a.len() {
                        out.push(Opt::Arg(c, a[j + 1..].to_vec()));
                    } else if let Some(next) = args.get(i + 1) {
                        out.push(Opt::Arg(c, next.clone()));
                        i += 1;
                    } else {
                        out.push(Opt::Missing(c));
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

impl Built {
    /// The built string, or `None` when a field has no value.
    fn eval(&self, fields: &mut dyn EventFields) -> Option<Vec<u8>> {
        let text = |o: Owned| match o {
            Owned::Bytes(b) => Some(b),
            Owned::Num(n) => Some(n.to_string().into_bytes()),
            Owned::Other => None,
        };
        match self {
            Built::Field(f, steps) => {
                let mut first = None;
                let ok = fields.extract(f, &mut |v| {
                    if first.is_none() {
                        first = Some(own(v));
                    }
                });
                text(apply(steps, first.filter(|_| ok)?)?)
            }
            Built::Str(s) => Some(s.clone()),
            Built::Steps(inner, steps) => text(apply(steps, Owned::Bytes(inner.eval(fields)?))?),
            Built::Join(sep, items) => {
                let sep = sep.eval(fields)?;
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(&sep);
                    }
                    out.extend(item.eval(fields)?);
                }
                Some(out)
            }
            Built::Concat(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(item.eval(fields)?);
                }
                Some(out)
            }
            Built::Getopt(..) => self.eval_multi(fields)?.into_iter().next(),
        }
    }

    /// The built values: one for every kind but `getopt` without a key, which yields each
    /// option letter followed by its argument.
    fn eval_multi(&self, fields: &mut dyn EventFields) -> Option<Vec<Vec<u8>>> {
        let Built::Getopt(args, spec, key) = self else {
            return self.eval(fields).map(|v| vec![v]);
        };
        let args = args
            .iter()
            .map(|a| a.eval(fields))
            .collect::<Option<Vec<_>>>()?;
        let opts = getopt(&args, &spec.eval(fields)?);
        match key {
            Some(k) => {
                let k = *k.as_bytes().first()?;
                let v = opts.iter().rev().find_map(|o| match o {
                    Opt::Flag(c) | Opt::Missing(c) if *c == k => Some(Vec::new()),
                    Opt::Arg(c, v) if *c == k => Some(v.clone()),
                    _ => None,
                })?;
                Some(vec![v])
            }
            None => {
                let mut out = Vec::new();
                for o in opts {
                    match o {
                        Opt::Flag(c) => out.push(vec![c]),
                        Opt::Arg(c, v) => {
                            out.push(vec![c]);
                            out.push(v);
                        }
                        Opt::Missing(_) => {}
                    }
                }
                Some(out)
            }
        }
    }
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

impl IpNet {
    fn contains(&self, v6: bool, a: &[u8]) -> bool {
        if v6 != self.v6 {
            return false;
        }
        let full = (self.prefix / 8) as usize;
        let rem = self.prefix % 8;
        if a.len() < full || self.addr[..full] != a[..full] {
            return false;
        }
        if rem == 0 {
            return true;
        }
        let mask = 0xffu8 << (8 - rem);
        a.get(full)
            .is_some_and(|b| b & mask == self.addr[full] & mask)
    }
}

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

    /// A compiler whose filters mark their `and`/`or` subtrees with ids from `keys`, for
    /// [`share_subtrees`] to run once every rule is compiled (their results then computed
    /// once per event). Get the ids back with [`Compiler::into_keys`].
    pub fn sharing(catalog: &'a dyn FieldCatalog, keys: SubtreeKeys) -> Self {
        Compiler {
            catalog,
            warnings: Vec::new(),
            keys: Some(keys),
        }
    }

    /// The subtree ids of a [`Compiler::sharing`] compiler (empty otherwise).
    pub fn into_keys(self) -> SubtreeKeys {
        self.keys.unwrap_or_default()
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

    /// [`Compiler::node`] for a sharing compiler, with the id of `e`. Ids are built bottom
    /// up, so that equal ids mean equal subtrees: a check by its full `Debug` form (quoted
    /// values, spans: a macro's body has the same spans wherever it is expanded), an
    /// `and`/`or`/`not` by its kind and its children's ids.
    fn node_keyed(&mut self, e: &Expr) -> Result<(Node, u32), CompileError> {
        let (node, key) = match e {
            Expr::And(c) | Expr::Or(c) => {
                let and = matches!(e, Expr::And(_));
                let mut nodes = Vec::with_capacity(c.len());
                let mut ids = Vec::with_capacity(c.len());
                for x in c {
                    let (n, id) = self.node_keyed(x)?;
                    nodes.push(n);
                    ids.push(id);
                }
                let node = flatten(nodes, and);
                let kind = if and { "and" } else { "or" };
                (node, format!("{kind}{ids:?}"))
            }
            Expr::Not(c) => {
                let (n, id) = self.node_keyed(c)?;
                (Node::Not(Box::new(n)), format!("not{id}"))
            }
            leaf => (self.node_unkeyed(leaf)?, format!("{leaf:?}")),
        };
        let Some(keys) = self.keys.as_mut() else {
            return Ok((node, 0));
        };
        let next = keys.ids.len() as u32;
        let id = *keys.ids.entry(key).or_insert(next);
        if matches!(node, Node::And(_) | Node::Or(_)) {
            return Ok((Node::Keyed(id, Box::new(node)), id));
        }
        Ok((node, id))
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

    /// libs warns when a `regex` pattern is a plain string, optionally anchored or padded
    /// with `.*`/`.+`/`.?`: `=`, `startswith`, `endswith` or `contains` do the same faster.
    fn warn_plain_regex(&mut self, v: &str, offset: usize) {
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

    fn warn_misused(&mut self, v: &str, offset: usize) {
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

    fn constants(
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

/// A value copied out of the event, for transformers and right-hand fields.
#[derive(Debug, Clone, PartialEq)]
enum Owned {
    Bytes(Vec<u8>),
    Num(i128),
    Other,
}

fn own(v: Value<'_>) -> Owned {
    match v {
        Value::Str(b) => Owned::Bytes(b.to_vec()),
        Value::Int(i) => Owned::Num(i as i128),
        Value::Uint(u) => Owned::Num(u as i128),
        Value::Bool(b) => Owned::Num(b as i128),
        Value::Ipv4(a) => Owned::Bytes(a.to_vec()),
        Value::Ipv6(a) => Owned::Bytes(a.to_vec()),
        Value::Double(_) => Owned::Other,
    }
}

fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let s: Vec<u8> = s.iter().copied().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let n = chunk.len();
        if n < 2 {
            return None;
        }
        out.push((acc >> 16) as u8);
        if n > 2 {
            out.push((acc >> 8) as u8);
        }
        if n > 3 {
            out.push(acc as u8);
        }
    }
    Some(out)
}

fn apply(steps: &[TransformerKind], v: Owned) -> Option<Owned> {
    let mut v = v;
    for s in steps {
        let Owned::Bytes(b) = v else { return None };
        v = match s {
            TransformerKind::ToLower => Owned::Bytes(b.to_ascii_lowercase()),
            TransformerKind::ToUpper => Owned::Bytes(b.to_ascii_uppercase()),
            TransformerKind::B64 => Owned::Bytes(b64_decode(&b)?),
            TransformerKind::Basename => {
                let start = b
                    .iter()
                    .rposition(|&c| c == b'/')
                    .map(|p| p + 1)
                    .unwrap_or(0);
                Owned::Bytes(b[start..].to_vec())
            }
            TransformerKind::Len => Owned::Num(b.len() as i128),
            _ => return None,
        };
    }
    Some(v)
}

impl StrTest {
    fn test(&self, op: Op, s: &[u8]) -> bool {
        match self {
            StrTest::Eq(b) => (s == b.as_ref()) != (op == Op::Ne),
            StrTest::Cmp(b) => match op {
                Op::Lt => s < b.as_ref(),
                Op::Le => s <= b.as_ref(),
                Op::Gt => s > b.as_ref(),
                _ => s >= b.as_ref(),
            },
            StrTest::Contains(f) => f.find(s).is_some(),
            StrTest::IContains(a) => a.is_match(s),
            StrTest::StartsWith(b) => s.starts_with(b),
            StrTest::EndsWith(b) => s.ends_with(b),
            StrTest::Glob(g) => g.matches(s),
            StrTest::Regex(r) => r.is_match(s),
        }
    }
}

fn num_cmp(op: Op, a: i128, b: i128) -> bool {
    match op {
        Op::Eq | Op::EqEq | Op::In | Op::Intersects => a == b,
        Op::Ne => a != b,
        Op::Lt => a < b,
        Op::Le => a <= b,
        Op::Gt => a > b,
        Op::Ge => a >= b,
        _ => false,
    }
}

fn float_cmp(op: Op, a: f64, b: f64) -> bool {
    match op {
        Op::Eq | Op::EqEq | Op::In | Op::Intersects => a == b,
        Op::Ne => a != b,
        Op::Lt => a < b,
        Op::Le => a <= b,
        Op::Gt => a > b,
        Op::Ge => a >= b,
        _ => false,
    }
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

fn combine(how: Combine, results: impl Iterator<Item = bool>) -> bool {
    let mut results = results;
    match how {
        Combine::Any => results.any(|r| r),
        Combine::One => {
            let mut n = 0usize;
            for r in results {
                n += r as usize;
                if n > 1 {
                    return false;
                }
            }
            n == 1
        }
        Combine::All => {
            let mut seen = false;
            for r in results {
                if !r {
                    return false;
                }
                seen = true;
            }
            seen
        }
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

    /// Tests one extracted value.
    fn test_value(&self, v: Value<'_>) -> bool {
        let op = self.op;
        match (&self.test, v) {
            (Test::Exists, _) => true,
            (Test::Str(ts), Value::Str(s)) => combine(self.all, ts.iter().map(|t| t.test(op, s))),
            (Test::StrSet(set), Value::Str(s)) => set.contains(s),
            (Test::PMatch(p), Value::Str(s)) => p.matches(s),
            (Test::Num(ns), Value::Int(i)) => {
                combine(self.all, ns.iter().map(|&n| num_cmp(op, i as i128, n)))
            }
            (Test::Num(ns), Value::Uint(u)) => {
                combine(self.all, ns.iter().map(|&n| num_cmp(op, u as i128, n)))
            }
            (Test::NumSet(set), Value::Int(i)) => set.contains(&(i as i128)),
            (Test::NumSet(set), Value::Uint(u)) => set.contains(&(u as i128)),
            (Test::Float(fs), Value::Double(d)) => {
                combine(self.all, fs.iter().map(|&f| float_cmp(op, d, f)))
            }
            (Test::Bool(bs), Value::Bool(b)) => {
                if op.is_list_op() {
                    bs.contains(&b)
                } else {
                    combine(self.all, bs.iter().map(|&x| (x == b) != (op == Op::Ne)))
                }
            }
            (Test::Ip(nets), Value::Ipv4(a)) => self.ip(nets, false, &a),
            (Test::Ip(nets), Value::Ipv6(a)) => self.ip(nets, true, &a),
            _ => false,
        }
    }

    fn ip(&self, nets: &[IpNet], v6: bool, a: &[u8]) -> bool {
        if self.op.is_list_op() {
            return nets.iter().any(|n| n.contains(v6, a));
        }
        combine(
            self.all,
            nets.iter()
                .map(|n| n.contains(v6, a) != (self.op == Op::Ne)),
        )
    }

    fn test_owned(&self, v: &Owned) -> bool {
        match v {
            Owned::Bytes(b) => self.test_value(Value::Str(b)),
            Owned::Num(n) => self.test_value(Value::Int(*n as i64)),
            Owned::Other => false,
        }
    }

    fn eval(&self, fields: &mut dyn EventFields) -> bool {
        if let Some(bits) = &self.by_evtype {
            let id = fields.event_type() as usize;
            if (GENERIC_IDS..EVENT_COUNT).contains(&id) {
                return bits[id / 64] & (1 << (id % 64)) != 0;
            }
        }
        if let Test::Dynamic(rhs) = &self.test {
            return self.eval_dynamic(rhs, fields);
        }
        // `in` on a list field wants every value in the set; on fd.ip/net/port/proto (the two
        // ends of a connection) either end is enough, as libs' fd compare does.
        let list_in = self.lhs_is_list && self.op == Op::In && !self.either_end;
        if let Some(built) = &self.lhs.value {
            let Some(values) = built.eval_multi(fields) else {
                return false;
            };
            if self.op == Op::Exists {
                return true;
            }
            return values.into_iter().any(|b| {
                apply(&self.lhs.steps, Owned::Bytes(b)).is_some_and(|o| self.test_owned(&o))
            });
        }
        if self.lhs.field.is_list && self.lhs.steps == [TransformerKind::Len] {
            // libs: len() of a list field is the number of its values.
            let mut n = 0u64;
            if !fields.extract(&self.lhs.field, &mut |_| n += 1) {
                return false;
            }
            return self.op == Op::Exists || self.test_value(Value::Uint(n));
        }
        let mut any = false;
        let mut all = true;
        let mut count = 0usize;
        let present = if self.lhs.steps.is_empty() {
            fields.extract(&self.lhs.field, &mut |v| {
                count += 1;
                let r = self.test_value(v);
                any |= r;
                all &= r;
            })
        } else {
            let steps = &self.lhs.steps;
            fields.extract(&self.lhs.field, &mut |v| {
                if let Some(o) = apply(steps, own(v)) {
                    count += 1;
                    let r = self.test_owned(&o);
                    any |= r;
                    all &= r;
                }
            })
        };
        if !present {
            return false;
        }
        if self.op == Op::Exists {
            return true;
        }
        if list_in || (self.either_end && self.op == Op::Ne) {
            count > 0 && all
        } else {
            any
        }
    }

    fn eval_dynamic(&self, rhs: &Side, fields: &mut dyn EventFields) -> bool {
        let right = match &rhs.value {
            Some(b) => b
                .eval(fields)
                .and_then(|x| apply(&rhs.steps, Owned::Bytes(x))),
            None => {
                let mut right: Option<Owned> = None;
                let ok = fields.extract(&rhs.field, &mut |v| {
                    if right.is_none() {
                        right = apply(&rhs.steps, own(v));
                    }
                });
                right.filter(|_| ok)
            }
        };
        let Some(right) = right else {
            return false;
        };
        let mut left = Vec::new();
        let steps = &self.lhs.steps;
        if let Some(b) = &self.lhs.value {
            match b.eval(fields).and_then(|x| apply(steps, Owned::Bytes(x))) {
                Some(o) => left.push(o),
                None => return false,
            }
        } else if !fields.extract(&self.lhs.field, &mut |v| {
            if let Some(o) = apply(steps, own(v)) {
                left.push(o)
            }
        }) {
            return false;
        }
        left.iter().any(|l| match (l, &right) {
            (Owned::Num(a), Owned::Num(b)) => num_cmp(self.op, *a, *b),
            (Owned::Bytes(a), Owned::Bytes(b)) => match self.op {
                Op::Eq | Op::EqEq | Op::In | Op::Intersects => a == b,
                Op::Ne => a != b,
                Op::Contains => memchr::memmem::find(a, b).is_some(),
                Op::IContains => {
                    memchr::memmem::find(&a.to_ascii_lowercase(), &b.to_ascii_lowercase()).is_some()
                }
                Op::StartsWith | Op::BStartsWith => a.starts_with(b),
                Op::EndsWith => a.ends_with(b),
                Op::Glob => Glob::new(b, false).matches(a),
                Op::IGlob => Glob::new(b, true).matches(a),
                Op::PMatch => PathPrefixes::new([b.as_slice()]).matches(a),
                Op::Lt => a < b,
                Op::Le => a <= b,
                Op::Gt => a > b,
                Op::Ge => a >= b,
                _ => false,
            },
            _ => false,
        })
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

impl Node {
    fn eval(&self, fields: &mut dyn EventFields) -> bool {
        match self {
            Node::And(c) => c.iter().all(|n| n.eval(fields)),
            Node::Or(c) => c.iter().any(|n| n.eval(fields)),
            Node::Not(c) => !c.eval(fields),
            Node::Const(b) => *b,
            Node::Check(c) => c.eval(fields),
            Node::Keyed(_, c) => c.eval(fields),
            Node::Memo(slot, c) => {
                if let Some(v) = fields.memo_get(*slot) {
                    return v;
                }
                let v = c.eval(fields);
                fields.memo_set(*slot, v);
                v
            }
        }
    }

    /// Counts the `Keyed` ids under this node.
    fn count_keys(&self, counts: &mut HashMap<u32, u32>) {
        match self {
            Node::And(c) | Node::Or(c) => c.iter().for_each(|n| n.count_keys(counts)),
            Node::Not(c) | Node::Memo(_, c) => c.count_keys(counts),
            Node::Keyed(k, c) => {
                *counts.entry(*k).or_insert(0) += 1;
                c.count_keys(counts);
            }
            Node::Const(_) | Node::Check(_) => {}
        }
    }

    /// Replaces each `Keyed` node by a `Memo` of its subtree when its id has a slot in
    /// `slots`, or by the subtree itself, spliced into its parent as [`flatten`] does.
    fn share(self, slots: &HashMap<u32, u32>) -> Node {
        match self {
            Node::Keyed(k, c) => {
                let inner = c.share(slots);
                match slots.get(&k) {
                    Some(&slot) => Node::Memo(slot, Box::new(inner)),
                    None => inner,
                }
            }
            Node::And(c) => flatten(
                c.into_vec().into_iter().map(|n| n.share(slots)).collect(),
                true,
            ),
            Node::Or(c) => flatten(
                c.into_vec().into_iter().map(|n| n.share(slots)).collect(),
                false,
            ),
            Node::Not(c) => Node::Not(Box::new(c.share(slots))),
            Node::Memo(s, c) => Node::Memo(s, Box::new(c.share(slots))),
            n => n,
        }
    }
}

/// Turns the subtree ids left by a [`Compiler::sharing`] compiler into per-event memos:
/// an `and`/`or` subtree found more than once among `filters` (a macro used by several
/// rules, such as `open_read`) gets a memo slot, so that it is evaluated once per event
/// whatever the number of rules that test it; the others are spliced back as if compiled
/// without ids. Returns the number of slots.
pub fn share_subtrees<'f>(filters: impl IntoIterator<Item = &'f mut CompiledFilter>) -> u32 {
    let filters: Vec<&mut CompiledFilter> = filters.into_iter().collect();
    let mut counts = HashMap::default();
    for f in &filters {
        f.root.count_keys(&mut counts);
    }
    let mut shared: Vec<u32> = counts
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(k, _)| k)
        .collect();
    shared.sort_unstable();
    let slots: HashMap<u32, u32> = shared
        .iter()
        .enumerate()
        .map(|(slot, &k)| (k, slot as u32))
        .collect();
    for f in filters {
        let root = std::mem::replace(&mut f.root, Node::Const(false));
        f.root = root.share(&slots);
    }
    slots.len() as u32
}

impl CompiledFilter {
    /// Evaluates the filter for the current event.
    pub fn eval(&self, fields: &mut dyn EventFields) -> bool {
        self.root.eval(fields)
    }

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
    use super::*;
    use crate::field::{FieldClass, FieldError};

    /// `l.x`: a list of three strings; `s.x`: one string.
    struct ListCatalog;

    impl FieldCatalog for ListCatalog {
        fn resolve(&self, name: &str, _: Option<&FieldArg>) -> Result<ResolvedField, FieldError> {
            Ok(ResolvedField {
                id: 0,
                name: name.to_string(),
                arg: None,
                ftype: FieldType::Charbuf,
                is_list: name == "l.x",
            })
        }
        fn classes(&self) -> &[FieldClass] {
            &[]
        }
    }

    struct ListFields;

    impl EventFields for ListFields {
        fn extract(&mut self, f: &ResolvedField, sink: &mut dyn FnMut(Value<'_>)) -> bool {
            if f.is_list {
                for v in [&b"file"[..], b"ipv4", b"pipe"] {
                    sink(Value::Str(v));
                }
            } else {
                sink(Value::Str(b"abcdef"));
            }
            true
        }
        fn event_type(&self) -> u16 {
            0
        }
    }

    fn eval(cond: &str) -> bool {
        let ast = crate::parser::parse(cond).expect("parses");
        Compiler::new(&ListCatalog)
            .compile(&ast)
            .expect("compiles")
            .eval(&mut ListFields)
    }

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

    #[test]
    fn len_counts_list_values_and_string_bytes() {
        assert!(eval("len(l.x) = 3"));
        assert!(!eval("len(l.x) = 4"));
        assert!(eval("len(s.x) = 6"));
    }

    #[test]
    fn modifiers_combine_like_libs() {
        assert!(eval("s.x startswith oneof (ab, zz)"));
        assert!(!eval("s.x startswith oneof (ab, abc)"));
        assert!(eval("s.x startswith allof (ab, abc)"));
        assert!(!eval("s.x = allof ()"));
        assert!(!eval("s.x = oneof ()"));
    }

    /// `ListFields` with a memo store for one event, counting the field extractions.
    #[derive(Default)]
    struct MemoFields {
        extracted: usize,
        memo: HashMap<u32, bool>,
    }

    impl EventFields for MemoFields {
        fn extract(&mut self, f: &ResolvedField, sink: &mut dyn FnMut(Value<'_>)) -> bool {
            self.extracted += 1;
            ListFields.extract(f, sink)
        }
        fn event_type(&self) -> u16 {
            0
        }
        fn memo_get(&self, slot: u32) -> Option<bool> {
            self.memo.get(&slot).copied()
        }
        fn memo_set(&mut self, slot: u32, value: bool) {
            self.memo.insert(slot, value);
        }
    }

    #[test]
    fn shared_subtrees_are_evaluated_once_per_event() {
        // (conditions of the rules, memo slots, results, extractions without and with the
        // memo for one event). Subtrees are equal when their checks are, spans included: the
        // shared ones below start at the same offset, as a macro's body does wherever it is
        // expanded.
        type Case<'a> = (&'a [&'a str], u32, &'a [bool], usize, usize);
        let cases: &[Case] = &[
            // The same `and` in two rules: 2 checks once, plus each rule's own check.
            (
                &[
                    "(s.x = abcdef and s.y = abcdef) and s.z = abcdef",
                    "(s.x = abcdef and s.y = abcdef) or s.w = q",
                ],
                1,
                &[true, true],
                5,
                3,
            ),
            // A false shared subtree short-circuits both rules the same way.
            (
                &[
                    "(s.x = q and s.y = abcdef) and s.z = abcdef",
                    "(s.x = q and s.y = abcdef) and s.w = abcdef",
                ],
                1,
                &[false, false],
                2,
                1,
            ),
            // The same text at another offset is not known to be the same subtree.
            (
                &[
                    "(s.x = abcdef and s.y = abcdef) and s.z = abcdef",
                    "s.w = abcdef and (s.x = abcdef and s.y = abcdef)",
                ],
                0,
                &[true, true],
                6,
                6,
            ),
        ];
        for &(conds, slots, want, plain, memo) in cases {
            let asts: Vec<Expr> = conds
                .iter()
                .map(|c| crate::parser::parse(c).expect("parses"))
                .collect();
            let unshared: Vec<CompiledFilter> = asts
                .iter()
                .map(|a| Compiler::new(&ListCatalog).compile(a).expect("compiles"))
                .collect();
            let mut keys = SubtreeKeys::default();
            let mut shared: Vec<CompiledFilter> = asts
                .iter()
                .map(|a| {
                    let mut comp = Compiler::sharing(&ListCatalog, std::mem::take(&mut keys));
                    let f = comp.compile(a).expect("compiles");
                    keys = comp.into_keys();
                    f
                })
                .collect();
            assert_eq!(share_subtrees(shared.iter_mut()), slots, "{conds:?}");
            let mut a = MemoFields::default();
            let got: Vec<bool> = unshared.iter().map(|f| f.eval(&mut a)).collect();
            assert_eq!(got, want, "{conds:?}");
            assert_eq!(a.extracted, plain, "{conds:?}");
            let mut b = MemoFields::default();
            let got: Vec<bool> = shared.iter().map(|f| f.eval(&mut b)).collect();
            assert_eq!(got, want, "{conds:?}");
            assert_eq!(b.extracted, memo, "{conds:?}");
            // Without a memo store the shared filters still give the same results.
            let mut c = ListFields;
            let got: Vec<bool> = shared.iter().map(|f| f.eval(&mut c)).collect();
            assert_eq!(got, want, "{conds:?}");
        }
    }

    #[test]
    fn a_macro_used_by_two_rules_is_shared_by_the_loader() {
        let yaml = "- macro: m\n  condition: (s.x = abcdef and s.y = abcdef)\n\
- rule: r1\n  desc: d\n  condition: s.z = abcdef and m\n  output: o\n  priority: WARNING\n\
- rule: r2\n  desc: d\n  condition: m and s.w = abcdef\n  output: o\n  priority: WARNING\n";
        let files = [crate::load::RulesFile {
            name: "t.yaml".into(),
            content: yaml.into(),
        }];
        let (rs, res) =
            crate::load::load(&files, &ListCatalog, &crate::load::LoadOptions::default());
        assert!(res.successful(), "{}", res.to_text());
        let mut f = MemoFields::default();
        let got: Vec<bool> = rs.rules().iter().map(|r| r.filter.eval(&mut f)).collect();
        assert_eq!(got, [true, true]);
        // r1: s.z, s.x, s.y; r2: the macro from the memo, then s.w.
        assert_eq!(f.extracted, 4);
    }
}
