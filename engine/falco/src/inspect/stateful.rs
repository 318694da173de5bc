//! A capture read event by event with the engine's state, for viewers and tests: stored
//! events are numbered as sysdig numbers them (one per stored record), while the state is fed
//! the converted stream it needs (old layouts upgraded, old enter events folded into their
//! exits). Each stored event is then shown with the tables as they are after it.

use crate::capture::bootstrap;
use falco_rules::compile::{CompiledFilter, Compiler};
use falco_rules::field::FieldCatalog;
use falco_rules::load::{load, LoadOptions, RulesFile};
use falco_scap::convert::Converter;
use falco_scap::{CaptureReader, ScapError};
use falco_sinsp::fields::{EventContext, Scratch};
use falco_sinsp::state::{State, StateLimits};
use std::path::{Path, PathBuf};

/// A capture with the replay path's state: bootstrap from the capture's metadata, then
/// [`State::process`] on every converted event.
pub struct StatefulCapture {
    reader: CaptureReader,
    converter: Converter,
    state: State,
    scratch: Scratch,
    num: u64,
    converted_view: bool,
}

impl StatefulCapture {
    /// Opens `path` and bootstraps the state from its process, fd and user lists.
    ///
    /// # Errors
    /// The file cannot be opened or its header blocks are invalid.
    pub fn open(path: &Path) -> Result<StatefulCapture, ScapError> {
        let reader = CaptureReader::open(path)?;
        let state = State::bootstrap(
            bootstrap::from_capture(reader.metadata()),
            StateLimits::default(),
        );
        Ok(StatefulCapture {
            reader,
            converter: Converter::new(),
            state,
            scratch: Scratch::default(),
            num: 0,
            converted_view: false,
        })
    }

    /// Shows the converted stream instead of the stored one: events the converter drops are
    /// skipped (and not numbered), like `falco-inspect --convert`.
    pub fn set_converted_view(&mut self, on: bool) {
        self.converted_view = on;
    }

    /// Reads the next stored event, updates the state, and calls `f` with its number (1 for
    /// the first stored event) and a field context on it. Returns `Ok(false)` at the end.
    ///
    /// An event the converter rewrites is shown in its converted layout; one it drops (an
    /// old enter event) is shown as stored, over the tables as they are before its exit.
    ///
    /// # Errors
    /// Any read error of the capture.
    pub fn next_event(
        &mut self,
        f: &mut dyn FnMut(u64, &mut EventContext<'_>),
    ) -> Result<bool, ScapError> {
        loop {
            let Some(ev) = self.reader.next_event()? else {
                return Ok(false);
            };
            let raw = ev.record;
            let cpu = ev.cpu;
            let shown = match self.converter.convert(raw) {
                Some(rec) => {
                    self.state.process(rec, cpu);
                    rec
                }
                None if self.converted_view => continue,
                None => {
                    self.state.describe(raw);
                    raw
                }
            };
            self.num += 1;
            self.state.meta.num = self.num;
            let mut ctx = EventContext::new(&self.state, shown, cpu, &mut self.scratch);
            f(self.num, &mut ctx);
            return Ok(true);
        }
    }

    /// The state after the events read so far.
    pub fn state(&self) -> &State {
        &self.state
    }
}

/// Compiles a filter `expr` in the full condition language, with the lists and macros of
/// `rules_files` (loaded in order, as `falco -r` does) available to it.
///
/// # Errors
/// The rules files' or the expression's diagnostics, as text.
pub fn compile_filter(
    expr: &str,
    rules_files: &[PathBuf],
    catalog: &dyn FieldCatalog,
) -> Result<CompiledFilter, String> {
    const NAME: &str = "falco-inspect filter";
    // Syntax errors first, with the column in the filter itself.
    if let Err(e) = falco_rules::parser::parse(expr) {
        return Err(format!(
            "filter error at column {}: {}",
            expr[..e.offset.min(expr.len())].chars().count() + 1,
            e.message
        ));
    }
    let (mut files, read_errors) = falco_rules::load::read_paths(rules_files);
    if let Some(e) = read_errors.first() {
        return Err(e.short());
    }
    // The filter becomes the condition of one rule after the user's files, so the loader
    // expands their lists and macros exactly as it does for rules.
    let mut yaml = format!("- rule: {NAME}\n  desc: filter\n  condition: |-\n");
    for line in expr.lines() {
        yaml.push_str("    ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    yaml.push_str("  output: filter\n  priority: INFO\n");
    files.push(RulesFile {
        name: "<filter>".into(),
        content: yaml,
    });
    let (rs, res) = load(&files, catalog, &LoadOptions::default());
    if !res.successful() {
        let msgs: Vec<String> = res.errors.iter().map(|d| d.short()).collect();
        return Err(msgs.join("\n"));
    }
    let rule = rs
        .get(NAME)
        .ok_or_else(|| format!("the filter `{expr}` did not compile"))?;
    Compiler::new(catalog)
        .compile(&rule.condition)
        .map_err(|e| e.message)
}
