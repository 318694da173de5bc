//! Evaluating a compiled filter for one event: the `and`/`or`/`not` walk, shared subtrees
//! read from their memo slots, and each check's extraction, matchers, comparisons and
//! modifiers. This is the per-event path: it allocates nothing for a plain field check.

use super::{
    CheckNode, Combine, CompiledFilter, IpNet, Node, Owned, Side, StrTest, Test, GENERIC_IDS,
};
use crate::ast::{Op, TransformerKind};
use crate::field::{EventFields, Value};
use crate::matchers::{Glob, PathPrefixes};
use ringbuf_abi::EVENT_COUNT;

impl CompiledFilter {
    /// Evaluates the filter for the current event.
    pub fn eval(&self, fields: &mut dyn EventFields) -> bool {
        self.root.eval(fields)
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
}

impl CheckNode {
    /// Tests one extracted value.
    pub(super) fn test_value(&self, v: Value<'_>) -> bool {
        let op = self.op;
        match (&self.test, v) {
            (Test::Exists, _) => true,
            (Test::Str(ts), Value::Str(s)) => self.all.combine(ts.iter().map(|t| t.test(op, s))),
            (Test::StrSet(set), Value::Str(s)) => set.contains(s),
            (Test::PMatch(p), Value::Str(s)) => p.matches(s),
            (Test::Num(ns), Value::Int(i)) => self
                .all
                .combine(ns.iter().map(|&n| num_cmp(op, i as i128, n))),
            (Test::Num(ns), Value::Uint(u)) => self
                .all
                .combine(ns.iter().map(|&n| num_cmp(op, u as i128, n))),
            (Test::NumSet(set), Value::Int(i)) => set.contains(&(i as i128)),
            (Test::NumSet(set), Value::Uint(u)) => set.contains(&(u as i128)),
            (Test::Float(fs), Value::Double(d)) => {
                self.all.combine(fs.iter().map(|&f| float_cmp(op, d, f)))
            }
            (Test::Bool(bs), Value::Bool(b)) => {
                if op.is_list_op() {
                    bs.contains(&b)
                } else {
                    self.all
                        .combine(bs.iter().map(|&x| (x == b) != (op == Op::Ne)))
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
        self.all.combine(
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
                Owned::apply(&self.lhs.steps, Owned::Bytes(b)).is_some_and(|o| self.test_owned(&o))
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
                if let Some(o) = Owned::apply(steps, Owned::of(v)) {
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
                .and_then(|x| Owned::apply(&rhs.steps, Owned::Bytes(x))),
            None => {
                let mut right: Option<Owned> = None;
                let ok = fields.extract(&rhs.field, &mut |v| {
                    if right.is_none() {
                        right = Owned::apply(&rhs.steps, Owned::of(v));
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
            match b
                .eval(fields)
                .and_then(|x| Owned::apply(steps, Owned::Bytes(x)))
            {
                Some(o) => left.push(o),
                None => return false,
            }
        } else if !fields.extract(&self.lhs.field, &mut |v| {
            if let Some(o) = Owned::apply(steps, Owned::of(v)) {
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

impl Combine {
    /// Combines the results of the comparison with each constant.
    fn combine(self, results: impl Iterator<Item = bool>) -> bool {
        let mut results = results;
        match self {
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
}

#[cfg(test)]
mod tests {
    use crate::compile::fixtures::{ListCatalog, ListFields};
    use crate::compile::Compiler;

    fn eval(cond: &str) -> bool {
        let ast = crate::parser::parse(cond).expect("parses");
        Compiler::new(&ListCatalog)
            .compile(&ast)
            .expect("compiles")
            .eval(&mut ListFields)
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
}
