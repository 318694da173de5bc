//! Event-type analysis: the set of event ids a condition can match (Falco/libs' `ppm_event_codes`).
//!
//! `and` intersects, `or` unites; negation is pushed down to the leaves (De Morgan), where only
//! `evt.type` checks are inverted: other checks are neutral and match every event type.

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
