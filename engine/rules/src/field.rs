//! The contract between the rules language and the code that knows fields.
//!
//! The rules crate parses and compiles conditions and outputs; it knows field *names* only
//! through a [`FieldCatalog`] (resolution at compile time: name, argument, type) and field
//! *values* only through [`EventFields`] (extraction at evaluation time, one event at a time).
//! `falco-sinsp` implements both over its thread/fd/user/container state; tests implement
//! them with mocks (e.g. `c.true`/`c.false`).

pub use ringbuf_abi::ParamType as FieldType;

/// A field argument as written in a condition: `proc.aname[2]`, `evt.arg[0]`,
/// `evt.arg.name` / `evt.arg[name]`, `evt.arg["x"]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FieldArg {
    /// A numeric argument, `[2]`.
    Index(u64),
    /// A key argument, `.name`, `[name]` or `["name"]`.
    Key(String),
}

impl std::fmt::Display for FieldArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldArg::Index(i) => write!(f, "[{i}]"),
            FieldArg::Key(k) => write!(f, "[{k}]"),
        }
    }
}

/// How a field accepts an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgSpec {
    /// No argument allowed.
    None,
    /// An argument may be given (e.g. `proc.aname` and `proc.aname[2]`).
    Optional,
    /// An argument is required (e.g. `evt.arg[...]`).
    Required,
}

/// The static description of one field, for resolution and for `--list`.
#[derive(Clone, Copy, Debug)]
pub struct FieldInfo {
    /// Full name, e.g. `proc.name`.
    pub name: &'static str,
    /// Value type, using libs' parameter types as Falco does (`PT_CHARBUF`, `PT_UINT64`, ...).
    pub ftype: FieldType,
    /// True when the field yields a list of values (e.g. `proc.args` is not; `evt.arg.*` is not;
    /// `container.mounts` style fields are).
    pub is_list: bool,
    /// Argument acceptance.
    pub arg: ArgSpec,
    /// Whether an index argument (`[2]`) is accepted, when `arg` is not `None`.
    pub arg_index: bool,
    /// Whether a key argument (`[name]`, `.name`) is accepted, when `arg` is not `None`.
    pub arg_key: bool,
    /// One-line description printed by `--list`.
    pub desc: &'static str,
}

/// A group of fields with a common prefix (`evt`, `proc`, `fd`, ...), for `--list`.
#[derive(Clone, Copy, Debug)]
pub struct FieldClass {
    /// Class name as Falco prints it, e.g. `Field Class: process`.
    pub name: &'static str,
    /// Event source the class belongs to (`syscall`).
    pub source: &'static str,
    /// What the class covers.
    pub desc: &'static str,
    /// The fields.
    pub fields: &'static [FieldInfo],
}

/// A field reference resolved by a catalog: what the compiled filter keeps and hands back to
/// [`EventFields::extract`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResolvedField {
    /// Catalog-specific identifier (opaque to the rules crate).
    pub id: u32,
    /// The field's full name, for messages and output keys (`proc.aname[2]` prints with arg).
    pub name: String,
    /// The argument, if any.
    pub arg: Option<FieldArg>,
    /// Value type.
    pub ftype: FieldType,
    /// True when the field yields several values.
    pub is_list: bool,
}

/// Why a field reference cannot be resolved. The text is shown to users next to the
/// position of the field in the condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldError {
    /// No field with this name (`filter_check called with nonexistent field proc.nme`).
    Unknown(String),
    /// The field needs an argument and none was given, or got one it does not accept.
    BadArgument {
        /// Field name.
        field: String,
        /// What is wrong, in Falco's words where known.
        reason: String,
    },
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldError::Unknown(name) => {
                write!(f, "filter_check called with nonexistent field {name}")
            }
            FieldError::BadArgument { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

impl std::error::Error for FieldError {}

/// Resolves field names at compile time. Implementations are immutable and shareable.
pub trait FieldCatalog: Send + Sync {
    /// Resolves `name` with its optional argument.
    fn resolve(&self, name: &str, arg: Option<&FieldArg>) -> Result<ResolvedField, FieldError>;
    /// Every field class, for `--list` and for diagnostics.
    fn classes(&self) -> &[FieldClass];
}

/// One value of a field for the current event, borrowed from the event or the state.
///
/// Strings carry no terminating NUL. IP addresses are in network byte order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// `PT_CHARBUF`, `PT_FSPATH`, `PT_FSRELPATH`, `PT_BYTEBUF` and other text.
    Str(&'a [u8]),
    /// Signed integers (`PT_INT*`, `PT_ERRNO`, `PT_FD`, `PT_PID`).
    Int(i64),
    /// Unsigned integers (`PT_UINT*`, `PT_FLAGS*`, `PT_UID`, `PT_GID`, `PT_PORT`, `PT_RELTIME`,
    /// `PT_ABSTIME`, `PT_MODE`, ...).
    Uint(u64),
    /// `PT_BOOL`.
    Bool(bool),
    /// `PT_DOUBLE`.
    Double(f64),
    /// An IPv4 address.
    Ipv4([u8; 4]),
    /// An IPv6 address.
    Ipv6([u8; 16]),
}

/// Extracts field values for the event being evaluated.
pub trait EventFields {
    /// Calls `sink` once per value of `field` for the current event (once for scalar fields,
    /// zero or more times for list fields). Returns `false` when the field has no value for
    /// this event (Falco prints `<NA>` and comparisons other than `exists`-style checks fail).
    fn extract(&mut self, field: &ResolvedField, sink: &mut dyn FnMut(Value<'_>)) -> bool;

    /// The current event's type id (for rules indexed by event type and for `evt.type`).
    fn event_type(&self) -> u16;

    /// The result kept for the current event in memo slot `slot` (a condition subtree that
    /// several rules share, see [`crate::compile::share_subtrees`]), if any. Without a
    /// store (the default) every subtree is evaluated each time.
    fn memo_get(&self, slot: u32) -> Option<bool> {
        let _ = slot;
        None
    }

    /// Keeps `value` as the current event's result for memo slot `slot`.
    fn memo_set(&mut self, slot: u32, value: bool) {
        let _ = (slot, value);
    }
}
