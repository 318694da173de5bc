//! Subtrees that several rules share (a macro such as `open_read` expanded in each): a
//! [`Compiler::sharing`] compiler gives every `and`/`or` subtree an id that only equal
//! subtrees share, and [`share_subtrees`] turns the ids found more than once into memo slots,
//! so that such a subtree is evaluated once per event (see `Node::Memo` in `eval`).

use foldhash::HashMap;

use super::{flatten, CompileError, CompiledFilter, Compiler, Node};
use crate::ast::Expr;
use crate::field::FieldCatalog;

/// Ids of the subtrees compiled so far, by a key that only equal subtrees share (see
/// [`Compiler::node_keyed`]): the same macro expanded in several rules gets the same id.
#[derive(Debug, Default)]
pub struct SubtreeKeys {
    ids: HashMap<Key, u32>,
}

/// What identifies a subtree: a leaf by its full `Debug` form (quoted values, spans: a macro's
/// body has the same spans wherever it is expanded; more compact than a copy of a check with a
/// long list), an `and`/`or`/`not` by its children's ids.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Key {
    And(Box<[u32]>),
    Or(Box<[u32]>),
    Not(u32),
    Leaf(String),
}

impl<'a> Compiler<'a> {
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

    /// [`Compiler::node`] for a sharing compiler, with the id of `e`. Ids are built bottom
    /// up, so that equal ids mean equal subtrees (see [`Key`]).
    pub(super) fn node_keyed(&mut self, e: &Expr) -> Result<(Node, u32), CompileError> {
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
                let ids = ids.into_boxed_slice();
                (node, if and { Key::And(ids) } else { Key::Or(ids) })
            }
            Expr::Not(c) => {
                let (n, id) = self.node_keyed(c)?;
                (Node::Not(Box::new(n)), Key::Not(id))
            }
            leaf => {
                let node = self.node_unkeyed(leaf)?;
                if self.keys.is_none() {
                    return Ok((node, 0));
                }
                (node, Key::Leaf(format!("{leaf:?}")))
            }
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
}

impl Node {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::fixtures::{ListCatalog, ListFields, MemoFields};

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
