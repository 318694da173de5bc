//! The compiled rules: indexed by event type, selectable by name and tag.

use std::collections::BTreeSet;

use crate::ast::Expr;
use crate::compile::CompiledFilter;
use crate::output::OutputSegment;
use crate::priority::Priority;
use ringbuf_abi::EVENT_COUNT;

/// Index of a rule in [`RuleSet::rules`].
pub type RuleIndex = u32;

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Name.
    pub name: String,
    /// Description.
    pub desc: String,
    /// Priority.
    pub priority: Priority,
    /// Tags.
    pub tags: BTreeSet<String>,
    /// Event source (`syscall`).
    pub source: String,
    /// The condition as written (with appends), before expansion.
    pub condition_text: String,
    /// The expanded condition (lists, macros, exceptions), printable as Falco does.
    pub condition: Expr,
    /// The output format text.
    pub output: String,
    /// The output format compiled into text and fields.
    pub output_format: Vec<OutputSegment>,
    /// The filter.
    pub filter: CompiledFilter,
    /// Event ids the rule can match.
    pub evttypes: Vec<u16>,
    /// Enabled state (from the file, then from selection).
    pub enabled: bool,
    /// Fields used by the rule's exceptions.
    pub exception_fields: BTreeSet<String>,
    /// `capture`.
    pub capture: bool,
    /// `capture_duration` (ms).
    pub capture_duration: u64,
}

/// Names and items of a list, for `-L`/describe.
#[derive(Clone, Debug, PartialEq)]
pub struct ListDescription {
    /// Name.
    pub name: String,
    /// Items after expanding referenced lists.
    pub items: Vec<String>,
    /// Referenced by a rule, macro or list.
    pub used: bool,
}

/// A macro, for describe.
#[derive(Clone, Debug, PartialEq)]
pub struct MacroDescription {
    /// Name.
    pub name: String,
    /// Condition as written.
    pub condition: String,
    /// Referenced by a rule or macro.
    pub used: bool,
}

/// The set of loaded rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_evtype: Vec<Vec<RuleIndex>>,
    /// The enabled rules of each source other than `syscall`, in load order.
    by_source: Vec<(String, Vec<RuleIndex>)>,
    /// Lists, in definition order.
    pub lists: Vec<ListDescription>,
    /// Macros, in definition order.
    pub macros: Vec<MacroDescription>,
}

impl RuleSet {
    /// Builds the set and its event-type index.
    pub fn new(
        rules: Vec<Rule>,
        lists: Vec<ListDescription>,
        macros: Vec<MacroDescription>,
    ) -> Self {
        let mut s = RuleSet {
            rules,
            by_evtype: Vec::new(),
            by_source: Vec::new(),
            lists,
            macros,
        };
        s.reindex();
        s
    }

    fn reindex(&mut self) {
        let mut idx = vec![Vec::new(); EVENT_COUNT];
        let mut by_source: Vec<(String, Vec<RuleIndex>)> = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            if !r.enabled {
                continue;
            }
            if r.source != "syscall" {
                match by_source.iter_mut().find(|(s, _)| *s == r.source) {
                    Some((_, v)) => v.push(i as RuleIndex),
                    None => by_source.push((r.source.clone(), vec![i as RuleIndex])),
                }
                continue;
            }
            for &t in &r.evttypes {
                if let Some(v) = idx.get_mut(t as usize) {
                    v.push(i as RuleIndex);
                }
            }
        }
        self.by_evtype = idx;
        self.by_source = by_source;
    }

    /// The enabled rules of `source` (not `syscall`: see [`RuleSet::candidates`]), in load
    /// order.
    pub fn source_rules(&self, source: &str) -> &[RuleIndex] {
        self.by_source
            .iter()
            .find(|(s, _)| s == source)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// Every rule, enabled or not, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Replaces a rule's output (`append_output` in the engine's configuration): the text
    /// and its compiled form, which the caller compiled against the same catalog.
    pub fn set_output(&mut self, i: RuleIndex, output: String, format: Vec<OutputSegment>) {
        if let Some(r) = self.rules.get_mut(i as usize) {
            r.output = output;
            r.output_format = format;
        }
    }

    /// A rule by index.
    pub fn rule(&self, i: RuleIndex) -> Option<&Rule> {
        self.rules.get(i as usize)
    }

    /// A rule by name.
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// The enabled rules that can match events of type `evtype`, in load order.
    pub fn candidates(&self, evtype: u16) -> &[RuleIndex] {
        self.by_evtype
            .get(evtype as usize)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    /// Number of enabled rules.
    pub fn num_enabled(&self) -> usize {
        self.rules.iter().filter(|r| r.enabled).count()
    }

    /// Enables or disables the rules whose name matches `pattern` (`*` wildcards allowed, as
    /// in Falco's `rules:` config and `-D`). Returns how many rules matched.
    pub fn set_enabled_by_name(&mut self, pattern: &str, enabled: bool) -> usize {
        let g = crate::matchers::Glob::new(pattern.as_bytes(), false);
        let mut n = 0;
        for r in self.rules.iter_mut() {
            let hit = if pattern.contains('*') {
                g.matches(r.name.as_bytes())
            } else {
                r.name == pattern
            };
            if hit {
                r.enabled = enabled;
                n += 1;
            }
        }
        self.reindex();
        n
    }

    /// Enables or disables the rules having any of `tags` (`-t`/`-T`). Returns how many matched.
    pub fn set_enabled_by_tags(&mut self, tags: &[&str], enabled: bool) -> usize {
        let mut n = 0;
        for r in self.rules.iter_mut() {
            if tags.iter().any(|t| r.tags.contains(*t)) {
                r.enabled = enabled;
                n += 1;
            }
        }
        self.reindex();
        n
    }

    /// Enables or disables the rules `pred` selects, reindexing once. Returns how many matched.
    pub fn set_enabled_where(&mut self, enabled: bool, pred: impl Fn(&Rule) -> bool) -> usize {
        let mut n = 0;
        for r in self.rules.iter_mut().filter(|r| pred(r)) {
            r.enabled = enabled;
            n += 1;
        }
        self.reindex();
        n
    }

    /// Enables or disables every rule.
    pub fn set_all_enabled(&mut self, enabled: bool) {
        self.rules.iter_mut().for_each(|r| r.enabled = enabled);
        self.reindex();
    }
}
