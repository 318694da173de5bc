//! Expansion of lists and macros, linear in the size of what it produces.
//!
//! Lists are Falco's textual substitution, done in one pass per list over a condition and only
//! for the lists whose name is one of the condition's words. Macros are expanded from a
//! summary computed once per macro by one depth-first walk with colours (height, size, the
//! last-defined macro it reaches, or that it cannot expand without error): a reference whose
//! summary proves it fits is expanded (or, when only checking, skipped) without re-checking
//! it, and only the path to an error is walked with the checks. The result is the same as the
//! naive recursive expansion, error for error, at a cost proportional to the output.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use crate::ast::{Expr, Rhs};

/// The deepest an expanded condition may be (operators and macros; Falco's own rules nest a
/// few dozen levels).
pub(crate) const MAX_EXPANDED_DEPTH: usize = 500;

/// The most nodes and list values that the expanded conditions of one load may hold together
/// (the official rules expand to about 30,000; a 1,000-item list used 2,000 times in one
/// condition to about 2,000,000). Macros that use each other twice double at each level: the
/// limit keeps such a file from taking the machine's memory.
pub(crate) const MAX_EXPANDED_SIZE: usize = 4_000_000;

/// Spans of an expanded macro body are shifted by `(k + 1) * MACRO_SPAN_STRIDE`, `k` being
/// the macro's index: far above any condition's length, so an offset names its text.
pub(crate) const MACRO_SPAN_STRIDE: usize = 1 << 40;

/// An expansion error: the message and the offset in the expanded condition's text.
pub(crate) type ExpandError = (String, usize);

fn depth_error(at: usize) -> ExpandError {
    (
        format!(
            "the condition is nested more than {MAX_EXPANDED_DEPTH} levels deep once its macros are expanded"
        ),
        at,
    )
}

fn size_error(at: usize) -> ExpandError {
    (
        format!(
            "the condition expands to more than {MAX_EXPANDED_SIZE} nodes and list values once its macros are expanded (a limit on all the rules' conditions together)"
        ),
        at,
    )
}

/// Bytes that end a list name in a condition (Falco's `resolve_list`).
const DELIMS: &[u8] = b" \t\n\r(),=";
const BLANKS: &[u8] = b" \t\n\r";

/// Quotes an item containing a space, as Falco's `quote_item`.
pub(crate) fn quote_item(s: &str) -> String {
    if s.contains([' ', ',', '(', ')']) && !s.starts_with('"') && !s.starts_with('\'') {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

/// The words of a condition as list substitution sees them: the text between delimiters.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_ascii() && DELIMS.contains(&(c as u8)))
        .filter(|w| !w.is_empty())
}

/// Falco's textual list substitution: every whole-word occurrence of the list name, delimited
/// by blanks, parentheses, commas or `=`, is replaced by its quoted items (`sub`). With
/// `origins` (one entry per byte of `cnd` plus one for its end), the inserted text takes the
/// origin of the list name it replaces, so positions in the result map back to the written
/// condition. One pass over `cnd`: the text before each occurrence is copied once.
fn resolve_list(cnd: &mut String, name: &str, sub: &str, origins: Option<&mut Vec<usize>>) -> bool {
    if name.is_empty() || !name.as_bytes()[0].is_ascii() || BLANKS.contains(&name.as_bytes()[0]) {
        return resolve_list_in_place(cnd, name, sub, origins);
    }
    let src = cnd.as_str();
    let b = src.as_bytes();
    // The text so far is `out` followed by `src[pos..]`; the search goes on at `search`.
    let mut out = String::new();
    let mut o_out: Vec<usize> = Vec::new();
    let (mut pos, mut search) = (0, 0);
    let mut used = false;
    while let Some(found) = src.get(search..).and_then(|s| s.find(name)) {
        let name_at = search + found;
        let end0 = name_at + name.len();
        let left = if name_at > pos {
            Some(b[name_at - 1])
        } else {
            out.as_bytes().last().copied()
        };
        let ok_left = left.is_none_or(|c| DELIMS.contains(&c));
        let ok_right = end0 >= b.len() || DELIMS.contains(&b[end0]);
        if !(ok_left && ok_right) {
            search = name_at + 1;
            continue;
        }
        let at = origins
            .as_deref()
            .and_then(|o| o.get(name_at))
            .copied()
            .unwrap_or(0);
        // Blanks before the name go.
        let mut start = name_at;
        while start > pos && BLANKS.contains(&b[start - 1]) {
            start -= 1;
        }
        let mut end = end0;
        while end < b.len() && BLANKS.contains(&b[end]) {
            end += 1;
        }
        out.push_str(&src[pos..start]);
        if let Some(o) = origins.as_deref() {
            o_out.extend_from_slice(&o[pos..start]);
        }
        // Blanks before the name in the text already copied (after an earlier list) go too.
        while out.as_bytes().last().is_some_and(|c| BLANKS.contains(c)) {
            out.pop();
            o_out.pop();
        }
        if sub.is_empty() {
            if out.ends_with(',') {
                out.pop();
                o_out.pop();
            } else if end < b.len() && b[end] == b',' {
                end += 1;
            }
        }
        let before = out.len();
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(sub);
        out.push(' ');
        if origins.is_some() {
            o_out.extend(std::iter::repeat_n(at, out.len() - before));
        }
        pos = end;
        search = end;
        used = true;
    }
    if !used {
        return false;
    }
    out.push_str(&src[pos..]);
    if let Some(o) = origins {
        o_out.extend_from_slice(o.get(pos..).unwrap_or_default());
        *o = o_out;
    }
    *cnd = out;
    true
}

/// [`resolve_list`] as Falco writes it, rebuilding the text at each occurrence: kept for names
/// the one-pass version does not handle (empty, or starting with a blank or a non-ASCII
/// character), which no real list has.
fn resolve_list_in_place(
    cnd: &mut String,
    name: &str,
    sub: &str,
    mut origins: Option<&mut Vec<usize>>,
) -> bool {
    let mut used = false;
    let mut from = 0;
    while let Some(found) = cnd.get(from..).and_then(|s| s.find(name)) {
        let name_at = from + found;
        let mut start = name_at;
        let mut end = start + name.len();
        let b = cnd.as_bytes();
        let ok_left = start == 0 || DELIMS.contains(&b[start - 1]);
        let ok_right = end >= b.len() || DELIMS.contains(&b[end]);
        if !(ok_left && ok_right) {
            from = start + 1;
            continue;
        }
        while start > 0 && BLANKS.contains(&b[start - 1]) {
            start -= 1;
        }
        while end < b.len() && BLANKS.contains(&b[end]) {
            end += 1;
        }
        if sub.is_empty() {
            if start > 0 && b[start - 1] == b',' {
                start -= 1;
            } else if end < b.len() && b[end] == b',' {
                end += 1;
            }
        }
        let end = end.min(cnd.len());
        let mut new = String::with_capacity(cnd.len() + sub.len());
        if start > 0 {
            new.push_str(&cnd[..start]);
            new.push(' ');
        }
        new.push_str(sub);
        new.push(' ');
        new.push_str(&cnd[end..]);
        if let Some(o) = origins.as_deref_mut() {
            let at = o.get(name_at).copied().unwrap_or(0);
            let inserted = new.len() - start - (cnd.len() - end);
            let tail: Vec<usize> = o.get(end..).map(|t| t.to_vec()).unwrap_or_default();
            o.truncate(start);
            o.extend(std::iter::repeat_n(at, inserted));
            o.extend(tail);
        }
        *cnd = new;
        from = start + sub.len() + 1;
        used = true;
    }
    used
}

/// The lists of a load, in definition order, ready for substitution.
pub(crate) struct ListTable {
    names: Vec<String>,
    /// Each list's items joined as Falco inserts them.
    subs: Vec<String>,
    /// Lists by name, for names that are one word.
    by_word: HashMap<String, usize>,
    /// Lists whose name is not one word (empty, or with a delimiter): always tried.
    odd: Vec<usize>,
}

impl ListTable {
    /// `lists`: each list's name and its items (referenced lists expanded), in order.
    pub(crate) fn new(lists: Vec<(String, Vec<String>)>) -> ListTable {
        let mut t = ListTable {
            names: Vec::with_capacity(lists.len()),
            subs: Vec::with_capacity(lists.len()),
            by_word: HashMap::with_capacity(lists.len()),
            odd: Vec::new(),
        };
        for (i, (name, items)) in lists.into_iter().enumerate() {
            let sub = items
                .iter()
                .map(|i| quote_item(i))
                .collect::<Vec<_>>()
                .join(", ");
            let one_word = !name.is_empty()
                && !name.bytes().any(|c| DELIMS.contains(&c))
                && words(&name).count() == 1;
            if one_word {
                t.by_word.entry(name.clone()).or_insert(i);
            } else {
                t.odd.push(i);
            }
            t.names.push(name);
            t.subs.push(sub);
        }
        t
    }

    /// Substitutes every list, in definition order, into `text` (a list's items may name a
    /// later list, which is then substituted too, as Falco's sequential replacement does).
    /// Returns the indexes of the lists substituted.
    pub(crate) fn substitute(
        &self,
        text: &mut String,
        mut origins: Option<&mut Vec<usize>>,
    ) -> Vec<usize> {
        let mut pending: BTreeSet<usize> = self.odd.iter().copied().collect();
        pending.extend(words(text).filter_map(|w| self.by_word.get(w).copied()));
        let mut used = Vec::new();
        while let Some(i) = pending.pop_first() {
            let name = &self.names[i];
            if !text.contains(name.as_str()) {
                continue;
            }
            if resolve_list(text, name, &self.subs[i], origins.as_deref_mut()) {
                used.push(i);
                // Words the items brought in: later lists they name come next.
                pending.extend(
                    words(&self.subs[i])
                        .filter_map(|w| self.by_word.get(w).copied())
                        .filter(|&j| j > i),
                );
            }
        }
        used
    }

    /// The name of list `i`.
    pub(crate) fn name(&self, i: usize) -> &str {
        &self.names[i]
    }
}

/// What expanding a macro's reference yields when every macro is visible.
#[derive(Clone, Copy, Debug)]
enum Summary {
    /// Not computed yet.
    Unknown,
    /// On the walk's path.
    InProgress,
    /// Expands without error: levels it takes (the reference's own included), nodes and list
    /// values, and the greatest definition index among the macros it reaches.
    Fits {
        height: usize,
        size: usize,
        last_def: usize,
    },
    /// Cannot expand without error (loop, undefined macro, too deep): the checking walk goes
    /// through it to find which error comes first.
    Fails,
}

/// The macros of a load, parsed, by index in the collector.
pub(crate) struct MacroTable {
    by_name: HashMap<String, usize>,
    /// Each macro's body after list substitution; `None` when it did not parse.
    bodies: Vec<Option<Rc<Expr>>>,
    /// The index of each macro's definition (for visibility).
    def_index: Vec<usize>,
    /// Macros each body refers to, in order (`None`: no such macro).
    refs: Vec<Vec<Option<usize>>>,
    summary: Vec<Summary>,
    /// Whether every macro reachable from this one is marked used.
    closure_used: Vec<bool>,
    on_path: Vec<bool>,
    /// Referred to by a rule or a macro.
    pub(crate) used: Vec<bool>,
    /// [`MAX_EXPANDED_DEPTH`] and [`MAX_EXPANDED_SIZE`] (smaller in tests).
    max_depth: usize,
    max_size: usize,
}

/// Nodes and list values of one node, not counting its children.
fn weight(e: &Expr) -> usize {
    match e {
        Expr::And(_) | Expr::Or(_) | Expr::Not(_) => 1,
        Expr::Identifier { .. } => 0,
        Expr::Check(c) => match &c.rhs {
            Some(Rhs::List(l, _)) => 1 + l.len(),
            _ => 1,
        },
    }
}

impl MacroTable {
    /// `bodies[k]` is macro `k`'s parsed body, `def_index[k]` where it was first defined.
    pub(crate) fn new(
        by_name: HashMap<String, usize>,
        bodies: Vec<Option<Expr>>,
        def_index: Vec<usize>,
    ) -> MacroTable {
        let n = bodies.len();
        let refs = bodies
            .iter()
            .map(|b| {
                let mut r = Vec::new();
                if let Some(b) = b {
                    b.walk(&mut |e| {
                        if let Expr::Identifier { name, .. } = e {
                            r.push(by_name.get(name).copied());
                        }
                    });
                }
                r
            })
            .collect();
        MacroTable {
            by_name,
            def_index,
            bodies: bodies.into_iter().map(|b| b.map(Rc::new)).collect(),
            refs,
            summary: vec![Summary::Unknown; n],
            closure_used: vec![false; n],
            on_path: vec![false; n],
            used: vec![false; n],
            max_depth: MAX_EXPANDED_DEPTH,
            max_size: MAX_EXPANDED_SIZE,
        }
    }

    /// Macro `k`'s body as written (spans into its own condition).
    pub(crate) fn body(&self, k: usize) -> Option<&Expr> {
        self.bodies.get(k)?.as_deref()
    }

    /// Computes the summary of `k` and of every macro it reaches: one depth-first walk, a
    /// macro met again while on the walk's path being a loop.
    fn summarise(&mut self, k: usize) -> Summary {
        if !matches!(self.summary[k], Summary::Unknown) {
            return self.summary[k];
        }
        let mut stack: Vec<(usize, usize)> = vec![(k, 0)];
        self.summary[k] = Summary::InProgress;
        while let Some(top) = stack.last_mut() {
            let (m, i) = *top;
            if let Some(r) = self.refs[m].get(i) {
                top.1 += 1;
                if let Some(c) = *r {
                    if matches!(self.summary[c], Summary::Unknown) && self.bodies[c].is_some() {
                        self.summary[c] = Summary::InProgress;
                        stack.push((c, 0));
                    }
                }
                continue;
            }
            stack.pop();
            self.summary[m] = self.measure_macro(m);
        }
        self.summary[k]
    }

    /// Summary of `m` once every macro it refers to has one (or is on the path: a loop).
    fn measure_macro(&self, m: usize) -> Summary {
        let Some(body) = &self.bodies[m] else {
            return Summary::Fails;
        };
        let mut last_def = self.def_index[m];
        for r in &self.refs[m] {
            match r.map(|c| self.summary[c]) {
                Some(Summary::Fits { last_def: l, .. }) => last_def = last_def.max(l),
                _ => return Summary::Fails,
            }
        }
        match self.measure(body, 1) {
            Some((h, size)) if h < self.max_depth => Summary::Fits {
                height: h + 1,
                size,
                last_def,
            },
            _ => Summary::Fails,
        }
    }

    /// Height and size of `e` at `depth` levels below a reference, every reference in it
    /// summarised as fitting; `None` when deeper than the limit.
    fn measure(&self, e: &Expr, depth: usize) -> Option<(usize, usize)> {
        if depth > self.max_depth {
            return None;
        }
        let w = weight(e);
        Some(match e {
            Expr::And(c) | Expr::Or(c) => {
                let (mut h, mut s) = (0, w);
                for x in c {
                    let (xh, xs) = self.measure(x, depth + 1)?;
                    h = h.max(xh);
                    s = s.saturating_add(xs);
                }
                (h + 1, s)
            }
            Expr::Not(x) => {
                let (xh, xs) = self.measure(x, depth + 1)?;
                (xh + 1, xs.saturating_add(w))
            }
            Expr::Check(_) => (1, w),
            Expr::Identifier { name, .. } => {
                let k = *self.by_name.get(name)?;
                match self.summary[k] {
                    Summary::Fits { height, size, .. } => (height, size),
                    _ => return None,
                }
            }
        })
    }

    /// Marks `k` and every macro it reaches as used.
    fn mark_closure(&mut self, k: usize) {
        let mut stack = vec![k];
        while let Some(m) = stack.pop() {
            if self.closure_used[m] {
                continue;
            }
            self.closure_used[m] = true;
            self.used[m] = true;
            stack.extend(self.refs[m].iter().flatten().copied());
        }
    }

    /// Checks that `e` (spans shifted by `shift`), `depth` levels down, expands with the
    /// macros defined before `visible`, adding its size to `count`; the first error in the
    /// order of the expanded condition, as libsinsp's resolver finds it, with the offset of
    /// the outermost reference it comes through.
    pub(crate) fn check(
        &mut self,
        e: &Expr,
        shift: usize,
        depth: usize,
        visible: usize,
        count: &mut usize,
    ) -> Result<(), ExpandError> {
        if depth >= self.max_depth {
            let at = match e {
                Expr::Identifier { span, .. } => span.start + shift,
                _ => 0,
            };
            return Err(depth_error(at));
        }
        *count = count.saturating_add(weight(e));
        if *count > self.max_size {
            return Err(size_error(0));
        }
        match e {
            Expr::And(c) | Expr::Or(c) => {
                for x in c {
                    self.check(x, shift, depth + 1, visible, count)?;
                }
                Ok(())
            }
            Expr::Not(x) => self.check(x, shift, depth + 1, visible, count),
            Expr::Check(_) => Ok(()),
            Expr::Identifier { name, span } => {
                let at = span.start + shift;
                let k = self
                    .by_name
                    .get(name)
                    .copied()
                    .filter(|&k| self.def_index[k] < visible && self.bodies[k].is_some());
                let Some(k) = k else {
                    return Err((format!("Undefined macro '{name}' used in filter."), at));
                };
                // libsinsp's filter_macro_resolver message.
                if self.on_path[k] {
                    return Err((format!("reference loop in macro '{name}'"), at));
                }
                if let Summary::Fits {
                    height,
                    size,
                    last_def,
                } = self.summarise(k)
                {
                    if depth + height <= self.max_depth
                        && last_def < visible
                        && count.saturating_add(size) <= self.max_size
                    {
                        self.mark_closure(k);
                        *count += size;
                        return Ok(());
                    }
                }
                self.used[k] = true;
                self.on_path[k] = true;
                let body = self.bodies[k].clone();
                let r = match &body {
                    Some(b) => self.check(b, stride(k), depth + 1, visible, count),
                    None => Ok(()),
                };
                self.on_path[k] = false;
                r.map_err(|(m, _)| (m, at))
            }
        }
    }

    /// `e` with every macro reference replaced by the macro's body, its spans shifted to name
    /// the macro; `e` has passed [`MacroTable::check`].
    pub(crate) fn expand(&self, e: &Expr, shift: usize) -> Expr {
        match e {
            Expr::And(c) => Expr::And(c.iter().map(|x| self.expand(x, shift)).collect()),
            Expr::Or(c) => Expr::Or(c.iter().map(|x| self.expand(x, shift)).collect()),
            Expr::Not(x) => Expr::Not(Box::new(self.expand(x, shift))),
            Expr::Check(_) => {
                let mut c = e.clone();
                if shift != 0 {
                    c.shift_spans(shift);
                }
                c
            }
            Expr::Identifier { name, .. } => {
                match self
                    .by_name
                    .get(name)
                    .and_then(|&k| Some((k, self.body(k)?)))
                {
                    Some((k, body)) => self.expand(body, stride(k)),
                    // PANIC-free: check() refused undefined references; keep it as written.
                    None => e.clone(),
                }
            }
        }
    }
}

/// The span shift of macro `k`'s body.
pub(crate) fn stride(k: usize) -> usize {
    MACRO_SPAN_STRIDE * (k + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expansion as libsinsp's resolver does it (and this crate did before the summaries):
    /// every reference re-walked with every check, the path searched linearly for loops.
    struct Naive<'a> {
        t: &'a MacroTable,
        used: Vec<bool>,
        depth: usize,
    }

    impl Naive<'_> {
        fn resolve(
            &mut self,
            e: &Expr,
            shift: usize,
            visible: usize,
            path: &mut Vec<usize>,
            count: &mut usize,
        ) -> Result<Expr, ExpandError> {
            if self.depth >= self.t.max_depth {
                let at = match e {
                    Expr::Identifier { span, .. } => span.start + shift,
                    _ => 0,
                };
                return Err(depth_error(at));
            }
            self.depth += 1;
            let r = self.resolve_at(e, shift, visible, path, count);
            self.depth -= 1;
            r
        }

        fn resolve_at(
            &mut self,
            e: &Expr,
            shift: usize,
            visible: usize,
            path: &mut Vec<usize>,
            count: &mut usize,
        ) -> Result<Expr, ExpandError> {
            *count += weight(e);
            if *count > self.t.max_size {
                return Err(size_error(0));
            }
            let mut all = |c: &[Expr], s: &mut Self| -> Result<Vec<Expr>, ExpandError> {
                c.iter()
                    .map(|x| s.resolve(x, shift, visible, path, count))
                    .collect()
            };
            Ok(match e {
                Expr::And(c) => Expr::And(all(c, self)?),
                Expr::Or(c) => Expr::Or(all(c, self)?),
                Expr::Not(x) => Expr::Not(Box::new(self.resolve(x, shift, visible, path, count)?)),
                Expr::Check(_) => {
                    let mut c = e.clone();
                    if shift != 0 {
                        c.shift_spans(shift);
                    }
                    c
                }
                Expr::Identifier { name, span } => {
                    let at = span.start + shift;
                    let k =
                        self.t.by_name.get(name).copied().filter(|&k| {
                            self.t.def_index[k] < visible && self.t.bodies[k].is_some()
                        });
                    let Some(k) = k else {
                        return Err((format!("Undefined macro '{name}' used in filter."), at));
                    };
                    if path.contains(&k) {
                        return Err((format!("reference loop in macro '{name}'"), at));
                    }
                    self.used[k] = true;
                    path.push(k);
                    let body = self.t.bodies[k].clone().expect("checked");
                    let r = self
                        .resolve(&body, stride(k), visible, path, count)
                        .map_err(|(m, _)| (m, at));
                    path.pop();
                    r?
                }
            })
        }
    }

    /// Random macro graphs (loops, undefined and later-defined macros, bodies that do not
    /// parse) with small limits: the summarised expansion finds the same first error, marks
    /// the same macros used and builds the same condition as the naive one.
    #[test]
    fn summarised_expansion_matches_the_naive_one() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        fn text(next: &mut dyn FnMut(usize) -> usize, n: usize, depth: usize) -> String {
            let leaf = depth == 0 || next(3) == 0;
            if leaf {
                return match next(4) {
                    0 => "proc.name = x".to_string(),
                    1 => format!("fd.name in ({})", vec!["a"; next(4) + 1].join(", ")),
                    2 => "zz".to_string(),
                    _ => format!("m{}", next(n)),
                };
            }
            match next(3) {
                0 => format!("not {}", text(next, n, depth - 1)),
                k => {
                    let op = if k == 1 { "and" } else { "or" };
                    let parts: Vec<String> =
                        (0..next(3) + 1).map(|_| text(next, n, depth - 1)).collect();
                    format!("({})", parts.join(&format!(" {op} ")))
                }
            }
        }
        let mut checked = 0;
        let mut kinds = [0usize; 5];
        for _ in 0..4000 {
            let n = next(6) + 1;
            let by_name: HashMap<String, usize> = (0..n).map(|k| (format!("m{k}"), k)).collect();
            let bodies: Vec<Option<Expr>> = (0..n)
                .map(|_| match next(10) {
                    0 => None,
                    _ => Some(crate::parser::parse(&text(&mut next, n, 3)).expect("parses")),
                })
                .collect();
            let mut t = MacroTable::new(by_name, bodies, (0..n).collect());
            t.max_depth = next(12) + 2;
            t.max_size = next(80) + 3;
            let mut naive_used = vec![false; n];
            let mut conditions: Vec<(Expr, usize)> = Vec::new();
            for k in 0..n {
                if let Some(b) = t.body(k).cloned() {
                    conditions.push((b, next(n + 2)));
                }
            }
            for _ in 0..3 {
                let e = crate::parser::parse(&text(&mut next, n, 3)).expect("parses");
                conditions.push((e, usize::MAX));
            }
            for (e, visible) in conditions {
                let mut naive = Naive {
                    t: &t,
                    used: naive_used.clone(),
                    depth: 0,
                };
                let mut naive_count = 0;
                let want = naive.resolve(&e, 0, visible, &mut Vec::new(), &mut naive_count);
                naive_used = naive.used;
                let mut count = 0;
                let got = t
                    .check(&e, 0, 0, visible, &mut count)
                    .map(|()| t.expand(&e, 0));
                let kind = match &got {
                    Ok(_) => 0,
                    Err((m, _)) if m.starts_with("Undefined") => 1,
                    Err((m, _)) if m.starts_with("reference loop") => 2,
                    Err((m, _)) if m.contains("nested") => 3,
                    Err(_) => 4,
                };
                kinds[kind] += 1;
                assert_eq!(got, want, "{e:?} visible {visible}");
                assert_eq!(t.used, naive_used, "{e:?} visible {visible}");
                if got.is_ok() {
                    assert_eq!(count, naive_count);
                }
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
        // Successes and each error: undefined, loop, too deep, too large.
        assert!(kinds.iter().all(|&k| k > 200), "{kinds:?}");
    }

    /// The one-pass substitution gives Falco's rebuilt-at-each-occurrence result, origins
    /// included, over conditions made of list names, near-names, blanks, commas and brackets.
    #[test]
    fn one_pass_list_substitution_matches_falcos() {
        let pieces = [
            "L", "L", "xL", "Lx", " ", "  ", "\t", ",", ", ", "(", ")", "=", "a", "\"L\"", "\n",
        ];
        let subs = ["", "a, b", "\"x y\"", "L"];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = next(12);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            let sub = subs[next(subs.len())];
            let mut a = text.clone();
            let mut oa: Vec<usize> = (0..=text.len()).collect();
            let ua = resolve_list(&mut a, "L", sub, Some(&mut oa));
            let mut b = text.clone();
            let mut ob: Vec<usize> = (0..=text.len()).collect();
            let ub = resolve_list_in_place(&mut b, "L", sub, Some(&mut ob));
            assert_eq!((ua, &a, &oa), (ub, &b, &ob), "{text:?} with {sub:?}");
        }
    }

    /// Substituting only the lists a condition names, in definition order with the lists
    /// their items name, gives what trying every list in order gives.
    #[test]
    fn word_indexed_substitution_matches_trying_every_list() {
        let mut seed: u64 = 0x1234_5678_9abc_def1;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let names = ["a", "b", "ab", "c", "a b", "x=y"];
        let words = ["a", "b", "ab", "c", "x", "y", "q", "\"a b\""];
        let seps = [" ", ", ", "(", ")", "=", " in (", ""];
        for _ in 0..20_000 {
            let n = next(names.len()) + 1;
            let lists: Vec<(String, Vec<String>)> = (0..n)
                .map(|i| {
                    let items = (0..next(3)).map(|_| words[next(words.len())].to_string());
                    (names[i].to_string(), items.collect())
                })
                .collect();
            let mut text = String::new();
            for _ in 0..next(8) {
                text.push_str(words[next(words.len())]);
                text.push_str(seps[next(seps.len())]);
            }
            let table = ListTable::new(lists.clone());
            let mut got = text.clone();
            let mut got_origins: Vec<usize> = (0..=text.len()).collect();
            let mut used = table.substitute(&mut got, Some(&mut got_origins));
            used.sort_unstable();
            let mut want = text.clone();
            let mut want_origins: Vec<usize> = (0..=text.len()).collect();
            let mut want_used = Vec::new();
            for (i, (name, _)) in lists.iter().enumerate() {
                if want.contains(name.as_str())
                    && resolve_list_in_place(
                        &mut want,
                        name,
                        &table.subs[i],
                        Some(&mut want_origins),
                    )
                {
                    want_used.push(i);
                }
            }
            assert_eq!(
                (&got, &got_origins, &used),
                (&want, &want_origins, &want_used),
                "{text:?} with {lists:?}"
            );
        }
    }
}
