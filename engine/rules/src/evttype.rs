//! Event-type analysis: the set of event ids a condition can match (Falco/libs' `ppm_event_codes`).
//!
//! `and` intersects, `or` unites; negation is pushed down to the leaves (De Morgan), where only
//! `evt.type` checks are inverted: other checks are neutral and match every event type. Checks
//! on `evt.num`, which starts at 1, can be statically false (`evt.num = 0`: no event type, as
//! the `never_true` macro of the official rules) or true (`evt.num > 0`: every event type),
//! as libs' `evaluate_field_invariant` decides.

use crate::ast::{Expr, Op, Operand, Rhs};
use ringbuf_abi::{EVENT_COUNT, EVENT_TABLE};

/// A set of event ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSet(Vec<bool>);

impl EventSet {
    /// Every event id.
    pub fn all() -> Self {
        EventSet(vec![true; EVENT_COUNT])
    }
    /// No event id.
    pub fn none() -> Self {
        EventSet(vec![false; EVENT_COUNT])
    }
    /// Every event id whose name is `name` (enter and exit); unknown names map to the generic
    /// syscall events, which carry syscalls without a dedicated event.
    pub fn from_name(name: &str) -> Self {
        let mut s = Self::none();
        let mut found = false;
        for e in EVENT_TABLE.iter() {
            if e.name == name {
                s.0[e.id as usize] = true;
                found = true;
            }
        }
        if !found {
            s.0[0] = true;
            s.0[1] = true;
        }
        s
    }
    fn invert(&mut self) {
        self.0.iter_mut().for_each(|b| *b = !*b);
    }
    fn and(&mut self, o: &Self) {
        self.0.iter_mut().zip(&o.0).for_each(|(a, b)| *a &= *b);
    }
    fn or(&mut self, o: &Self) {
        self.0.iter_mut().zip(&o.0).for_each(|(a, b)| *a |= *b);
    }
    /// Number of ids in the set.
    pub fn len(&self) -> usize {
        self.0.iter().filter(|b| **b).count()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The ids, ascending.
    pub fn ids(&self) -> Vec<u16> {
        self.0
            .iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| i as u16)
            .collect()
    }
}

/// The event ids `e` can match.
pub fn event_types(e: &Expr) -> EventSet {
    visit(e, false)
}

fn visit(e: &Expr, neg: bool) -> EventSet {
    match e {
        Expr::And(c) | Expr::Or(c) => {
            let conj = matches!(e, Expr::And(_)) != neg;
            let mut acc = if conj {
                EventSet::all()
            } else {
                EventSet::none()
            };
            for x in c {
                let s = visit(x, neg);
                if conj {
                    acc.and(&s)
                } else {
                    acc.or(&s)
                }
            }
            acc
        }
        Expr::Not(c) => visit(c, !neg),
        Expr::Identifier { .. } => EventSet::all(),
        Expr::Check(c) => {
            if let Some(known) = evt_num_invariant(c) {
                let mut s = if known {
                    EventSet::all()
                } else {
                    EventSet::none()
                };
                if neg {
                    s.invert();
                }
                return s;
            }
            let is_evttype =
                matches!(&c.lhs, Operand::Field(f) if f.name == "evt.type" && f.arg.is_none());
            if !is_evttype {
                return EventSet::all();
            }
            if c.op == Op::Exists {
                let mut s = EventSet::all();
                if neg {
                    s.invert();
                }
                return s;
            }
            if !matches!(c.op, Op::Eq | Op::EqEq | Op::Ne | Op::In) {
                return EventSet::all();
            }
            let mut s = EventSet::none();
            match &c.rhs {
                Some(Rhs::Value(v, _)) => s.or(&EventSet::from_name(v)),
                Some(Rhs::List(l, _)) => l.iter().for_each(|v| s.or(&EventSet::from_name(v))),
                _ => return EventSet::all(),
            }
            if neg {
                s.invert();
            }
            if c.op == Op::Ne {
                s.invert();
            }
            s
        }
    }
}

/// `Some(false)` when `c` is a check on a bare `evt.num` that no event can satisfy (every event
/// number is at least 1), `Some(true)` when every event satisfies it, `None` otherwise. Values
/// are read as unsigned decimals, as libs' `tryparseu64`: a negative, hexadecimal or fractional
/// literal is not reasoned about.
fn evt_num_invariant(c: &crate::ast::Check) -> Option<bool> {
    let is_evt_num = matches!(&c.lhs, Operand::Field(f) if f.name == "evt.num" && f.arg.is_none());
    if !is_evt_num {
        return None;
    }
    let num = |v: &str| {
        if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() {
            v.parse::<u64>().ok()
        } else {
            None
        }
    };
    if c.op == Op::In {
        return match &c.rhs {
            Some(Rhs::List(l, _)) if l.iter().all(|v| num(v) == Some(0)) => Some(false),
            _ => None,
        };
    }
    let n = match &c.rhs {
        Some(Rhs::Value(v, _)) => num(v)?,
        _ => return None,
    };
    match c.op {
        Op::Eq | Op::EqEq if n == 0 => Some(false),
        Op::Ne if n == 0 => Some(true),
        Op::Lt if n <= 1 => Some(false),
        Op::Le if n == 0 => Some(false),
        Op::Gt if n == 0 => Some(true),
        Op::Ge if n <= 1 => Some(true),
        _ => None,
    }
}
