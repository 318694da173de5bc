//! Rule output formats: `text %field text %field[arg]` compiled into segments.

use crate::ast::FieldRef;
use crate::compile::Compiler;
use crate::field::{FieldCatalog, ResolvedField};

/// One piece of an output format.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputSegment {
    /// Literal text.
    Text(String),
    /// A field to print (`<NA>` when it has no value).
    Field(ResolvedField),
}

/// A field reference in a format: byte offset of its `%`, field name, optional argument.
pub type FieldToken = (usize, String, Option<String>);

/// Splits a format into text and field references (`%name`, `%name[arg]`, `%(name)`).
/// Returns `(byte offset of the field, name, arg)` for the fields.
pub fn tokenize(fmt: &str) -> Vec<Result<String, FieldToken>> {
    let b = fmt.as_bytes();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 1 < b.len() && (b[i + 1].is_ascii_alphabetic() || b[i + 1] == b'(') {
            let start = i;
            let paren = b[i + 1] == b'(';
            let mut j = if paren { i + 2 } else { i + 1 };
            let name_start = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                j += 1;
            }
            let mut name = fmt[name_start..j].trim_end_matches('.').to_string();
            j = name_start + name.len();
            let mut arg = None;
            if j < b.len() && b[j] == b'[' {
                if let Some(close) = fmt[j..].find(']') {
                    arg = Some(fmt[j + 1..j + close].to_string());
                    j += close + 1;
                }
            }
            if paren && j < b.len() && b[j] == b')' {
                j += 1;
            }
            if !text.is_empty() {
                out.push(Ok(std::mem::take(&mut text)));
            }
            if name.is_empty() {
                name = "%".into();
            }
            out.push(Err((start, name, arg)));
            i = j;
            continue;
        }
        let ch = fmt[i..].chars().next().unwrap_or(' ');
        text.push(ch);
        i += ch.len_utf8();
    }
    if !text.is_empty() {
        out.push(Ok(text));
    }
    out
}

/// Compiles an output format.
///
/// # Errors
/// `(offset, message)` for the first field the catalog does not know.
pub fn compile_output(
    fmt: &str,
    catalog: &dyn FieldCatalog,
) -> Result<Vec<OutputSegment>, (usize, String)> {
    let compiler = Compiler::new(catalog);
    let mut segs = Vec::new();
    for t in tokenize(fmt) {
        match t {
            Ok(text) => segs.push(OutputSegment::Text(text)),
            Err((offset, name, arg)) => {
                let f = FieldRef {
                    name: name.clone(),
                    arg,
                    span: Default::default(),
                };
                match compiler.resolve(&f) {
                    Ok(r) => segs.push(OutputSegment::Field(r)),
                    Err(e) => {
                        return Err((
                            offset,
                            format!("invalid formatting token %{name}: {}", e.message),
                        ))
                    }
                }
            }
        }
    }
    Ok(segs)
}
