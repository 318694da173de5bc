//! Load diagnostics: every error and warning with file, line, column and a snippet, and their
//! text and JSON renderings (the shapes of Falco's `falco_load_result`).

use serde_json::{json, Value as Json};

use crate::yaml::Pos;

/// Error classes, as Falco names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ErrorCode {
    FileRead,
    YamlParse,
    YamlValidate,
    CompileCondition,
    CompileOutput,
    Validate,
    Extension,
}

impl ErrorCode {
    /// `LOAD_ERR_...`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FileRead => "LOAD_ERR_FILE_READ",
            ErrorCode::YamlParse => "LOAD_ERR_YAML_PARSE",
            ErrorCode::YamlValidate => "LOAD_ERR_YAML_VALIDATE",
            ErrorCode::CompileCondition => "LOAD_ERR_COMPILE_CONDITION",
            ErrorCode::CompileOutput => "LOAD_ERR_COMPILE_OUTPUT",
            ErrorCode::Validate => "LOAD_ERR_VALIDATE",
            ErrorCode::Extension => "LOAD_ERR_EXTENSION",
        }
    }

    /// Short description.
    pub fn description(self) -> &'static str {
        match self {
            ErrorCode::FileRead => "File read error",
            ErrorCode::YamlParse => "YAML parse error",
            ErrorCode::YamlValidate => "Error validating internal structure of YAML file",
            ErrorCode::CompileCondition => "Error compiling condition",
            ErrorCode::CompileOutput => "Error compiling output",
            ErrorCode::Validate => "Error validating rule/macro/list/exception objects",
            ErrorCode::Extension => "Error in extension item",
        }
    }
}

/// Warning classes, as Falco names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum WarningCode {
    UnknownSource,
    UnsafeNaCheck,
    NoEvttype,
    UnknownFilter,
    UnusedMacro,
    UnusedList,
    UnknownItem,
    DeprecatedItem,
    Extension,
    AppendNoValues,
    ExceptionNameNotUnique,
    InvalidMacroName,
    InvalidListName,
    CompileCondition,
    UnknownKey,
}

impl WarningCode {
    /// `LOAD_...`.
    pub fn as_str(self) -> &'static str {
        use WarningCode::*;
        match self {
            UnknownSource => "LOAD_UNKNOWN_SOURCE",
            UnsafeNaCheck => "LOAD_UNSAFE_NA_CHECK",
            NoEvttype => "LOAD_NO_EVTTYPE",
            UnknownFilter => "LOAD_UNKNOWN_FILTER",
            UnusedMacro => "LOAD_UNUSED_MACRO",
            UnusedList => "LOAD_UNUSED_LIST",
            UnknownItem => "LOAD_UNKNOWN_ITEM",
            DeprecatedItem => "LOAD_DEPRECATED_ITEM",
            Extension => "LOAD_WARNING_EXTENSION",
            AppendNoValues => "LOAD_APPEND_NO_VALUES",
            ExceptionNameNotUnique => "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
            InvalidMacroName => "LOAD_INVALID_MACRO_NAME",
            InvalidListName => "LOAD_INVALID_LIST_NAME",
            CompileCondition => "LOAD_COMPILE_CONDITION",
            UnknownKey => "LOAD_UNKNOWN_KEY",
        }
    }

    /// Short description.
    pub fn description(self) -> &'static str {
        use WarningCode::*;
        match self {
            UnknownSource => "Unknown event source",
            UnsafeNaCheck => "Unsafe <NA> comparison in condition",
            NoEvttype => "Condition has no event-type restriction",
            UnknownFilter => "Unknown field or event-type in condition or output",
            UnusedMacro => "Unused macro",
            UnusedList => "Unused list",
            UnknownItem => "Unknown rules file item",
            DeprecatedItem => "Used deprecated item",
            Extension => "Warning in extension item",
            AppendNoValues => "Overriding/appending with no values",
            ExceptionNameNotUnique => "Multiple exceptions defined with the same name",
            InvalidMacroName => "Invalid macro name",
            InvalidListName => "Invalid list name",
            CompileCondition => "Warning in rule condition",
            UnknownKey => "Unknown key in item definition",
        }
    }
}

impl WarningCode {
    /// Falco's long description (`warning_desc`), the `codedesc` of the JSON form.
    pub fn long_description(self) -> &'static str {
        use WarningCode::*;
        match self {
            UnknownSource => "A rule has a unknown event source. This can occur when reading rules content without having a corresponding plugin loaded, etc. The rule will be silently ignored.",
            UnsafeNaCheck => "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.",
            NoEvttype => "A rule condition matches too many evt.type values. This has a significant performance penalty. Make the condition more specific by adding an evt.type field or further restricting the number of evt.type values in the condition.",
            UnknownFilter => "A rule condition or output refers to a field or evt.type that does not exist. This is normally an error, but if a rule has a skip-if-unknown-filter property, the error is downgraded to a warning.",
            UnusedMacro => "A macro is defined in the rules content but is not used by any other macro or rule.",
            UnusedList => "A list is defined in the rules content but is not used by any other list, macro, or rule.",
            UnknownItem => "An unknown top-level object is in the rules content. It will be ignored.",
            DeprecatedItem => "A deprecated item is employed by lists, macros, or rules.",
            Extension => "An extension item has a warning",
            AppendNoValues => "A rule exception is overriding/appending with no values",
            ExceptionNameNotUnique => "A rule is defining multiple exceptions with the same name",
            InvalidMacroName => "A macro is defined with an invalid name",
            InvalidListName => "A list is defined with an invalid name",
            CompileCondition => "A rule condition or output have been parsed with a warning",
            UnknownKey => "An item in the rules content contains an unrecognized key. The key will be ignored. This may indicate a typo or a property placed on the wrong item type.",
        }
    }
}

/// Error or warning code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// An error: the file does not load.
    Error(ErrorCode),
    /// A warning.
    Warning(WarningCode),
}

/// One step of the context chain: `rule 'x'`, `exception 'e'`, `condition expression`.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    /// Falco's item type words (`rule`, `macro`, `list`, `rules content item`, ...).
    pub item_type: &'static str,
    /// The item's name, if known.
    pub item_name: String,
    /// Where the item is.
    pub pos: Pos,
}

/// One diagnostic.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Error or warning code.
    pub code: Code,
    /// The message.
    pub message: String,
    /// The file's name, as given to the loader.
    pub file: String,
    /// Context chain, outermost first; the last location is the precise position.
    pub locations: Vec<Location>,
    /// The offending line followed by a line with a caret under the position.
    pub snippet: String,
}

impl Diagnostic {
    /// The precise position (the last location).
    pub fn pos(&self) -> Pos {
        self.locations.last().map(|l| l.pos).unwrap_or_default()
    }

    /// `file:line:col: message`, for one-line displays and snapshots.
    pub fn short(&self) -> String {
        let p = self.pos();
        format!("{}:{}:{}: {}", self.file, p.line, p.col, self.message)
    }
}

/// At most this many characters of the offending line are shown, around the column.
pub const SNIPPET_MAX_CHARS: usize = 200;

/// The offending line of `text` at `pos`, and a caret under the column. A line longer than
/// [`SNIPPET_MAX_CHARS`] is cut to that many characters around the column, with `...` where
/// it was cut, so that a diagnostic on a 200 KB line stays readable.
pub fn snippet(text: &str, pos: Pos) -> String {
    let mut offset = pos.offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map(|p| p + 1).unwrap_or(0);
    let end = text[offset..]
        .find('\n')
        .map(|p| p + offset)
        .unwrap_or(text.len());
    let (before, after) = (&text[start..offset], &text[offset..end]);
    let half = SNIPPET_MAX_CHARS / 2;
    let n_before = before.chars().count();
    let n_after = after.chars().count();
    if n_before + n_after <= SNIPPET_MAX_CHARS {
        return format!("{before}{after}\n{}^\n", " ".repeat(n_before));
    }
    // Characters kept before the column: half, more when the line ends soon after it.
    let keep_before = n_before.min(SNIPPET_MAX_CHARS - n_after.min(half));
    let keep_after = n_after.min(SNIPPET_MAX_CHARS - keep_before);
    let head: String = before.chars().skip(n_before - keep_before).collect();
    let tail: String = after.chars().take(keep_after).collect();
    let (open, close) = (
        if keep_before < n_before { "..." } else { "" },
        if keep_after < n_after { "..." } else { "" },
    );
    let caret = open.len() + keep_before;
    format!("{open}{head}{tail}{close}\n{}^\n", " ".repeat(caret))
}

/// The result of loading one or more rules files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadResult {
    /// Name shown in renderings (the file name, or the names joined).
    pub name: String,
    /// Errors, in the order found.
    pub errors: Vec<Diagnostic>,
    /// Warnings, in the order found.
    pub warnings: Vec<Diagnostic>,
}

impl LoadResult {
    /// True when there is no error.
    pub fn successful(&self) -> bool {
        self.errors.is_empty()
    }

    /// True when there is a warning.
    pub fn has_warnings(&self) -> bool {
        !self.warnings.is_empty()
    }

    /// Falco's one-line summary: `name: Ok, with warnings` plus code lists.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        if !self.name.is_empty() {
            s.push_str(&self.name);
            s.push_str(": ");
        }
        s.push_str(if self.successful() { "Ok" } else { "Invalid" });
        if self.successful() && self.has_warnings() {
            s.push_str(", with warnings");
        }
        if !self.errors.is_empty() {
            let codes: Vec<String> = self
                .errors
                .iter()
                .map(|e| match e.code {
                    Code::Error(c) => format!("{} ({})", c.as_str(), c.description()),
                    Code::Warning(c) => c.as_str().to_string(),
                })
                .collect();
            s.push_str(&format!(
                "\n {} errors: [{}]",
                self.errors.len(),
                codes.join(" ")
            ));
        }
        if !self.warnings.is_empty() {
            let codes: Vec<String> = self
                .warnings
                .iter()
                .map(|e| match e.code {
                    Code::Warning(c) => format!("{} ({})", c.as_str(), c.description()),
                    Code::Error(c) => c.as_str().to_string(),
                })
                .collect();
            s.push_str(&format!(
                "\n {} warnings: [{}]",
                self.warnings.len(),
                codes.join(" ")
            ));
        }
        s
    }

    /// Falco's verbose rendering (`as_verbose_string`): `name: Ok` (no newline) or the status
    /// line followed by each error, then each warning, with its context chain, snippet and
    /// caret; an empty line separates the status, the errors and the warnings.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if !self.name.is_empty() {
            s.push_str(&self.name);
            s.push_str(": ");
        }
        s.push_str(if self.successful() { "Ok" } else { "Invalid" });
        if self.successful() && self.has_warnings() {
            s.push_str(", with warnings");
        }
        if !self.errors.is_empty() {
            s.push('\n');
        }
        for (title, list) in [("Errors", &self.errors), ("Warnings", &self.warnings)] {
            if list.is_empty() {
                continue;
            }
            if title == "Warnings" {
                s.push('\n');
            }
            s.push_str(&format!("{} {title}:\n", list.len()));
            for d in list.iter() {
                for (i, l) in d.locations.iter().enumerate() {
                    s.push_str(if i == 0 { "In " } else { "    " });
                    s.push_str(l.item_type);
                    if !l.item_name.is_empty() {
                        s.push_str(&format!(" '{}'", l.item_name));
                    }
                    s.push_str(&format!(": ({}:{}:{})\n", d.file, l.pos.line, l.pos.col));
                }
                s.push_str("------\n");
                s.push_str(&d.snippet);
                s.push_str("------\n");
                let (code, desc) = match d.code {
                    Code::Error(c) => (c.as_str(), c.description()),
                    Code::Warning(c) => (c.as_str(), c.description()),
                };
                s.push_str(&format!("{code} ({desc}): {}\n", d.message));
            }
        }
        s
    }

    /// The JSON form (`falco -V` with `json_output: true`).
    pub fn to_json(&self) -> Json {
        let item = |d: &Diagnostic| {
            // Falco's `error_desc` returns the short text; `warning_desc` the long one.
            let (code, desc) = match d.code {
                Code::Error(c) => (c.as_str(), c.description()),
                Code::Warning(c) => (c.as_str(), c.long_description()),
            };
            let locations: Vec<Json> = d
                .locations
                .iter()
                .map(|l| {
                    json!({
                        "item_type": l.item_type,
                        "item_name": l.item_name,
                        "position": {"name": d.file, "line": l.pos.line, "column": l.pos.col, "offset": l.pos.offset},
                    })
                })
                .collect();
            json!({
                "context": {"locations": locations, "snippet": d.snippet},
                "code": code,
                "codedesc": desc,
                "message": d.message,
            })
        };
        json!({
            "name": self.name,
            "successful": self.successful(),
            "errors": self.errors.iter().map(item).collect::<Vec<_>>(),
            "warnings": self.warnings.iter().map(item).collect::<Vec<_>>(),
        })
    }
}
