//! Which optional parts of an [`EventSnapshot`](crate::state::EventSnapshot) a field reads.

use super::table::{FdField, FieldId, ProcField};
use crate::state::snapshot::SnapshotNeeds;

impl SnapshotNeeds {
    /// The parts field `id` (a `ResolvedField::id` of this crate's catalog) reads; an id the
    /// catalog does not know needs every part.
    pub fn of_field(id: u32) -> SnapshotNeeds {
        match FieldId::from_raw(id) {
            Some(FieldId::Fd(FdField::Types)) => SnapshotNeeds::PROCESS_FDS,
            Some(FieldId::Proc(ProcField::Nthreads | ProcField::Nchilds)) => {
                SnapshotNeeds::THREAD_COUNT
            }
            Some(_) => SnapshotNeeds::NONE,
            None => SnapshotNeeds::ALL,
        }
    }

    /// The parts any of the fields `ids` reads.
    pub fn of_fields(ids: impl IntoIterator<Item = u32>) -> SnapshotNeeds {
        ids.into_iter().fold(SnapshotNeeds::NONE, |n, id| {
            n.union(SnapshotNeeds::of_field(id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::SyscallCatalog;
    use falco_rules::field::FieldCatalog;

    fn needs(name: &str) -> SnapshotNeeds {
        let f = SyscallCatalog::new()
            .resolve(name, None)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        SnapshotNeeds::of_field(f.id)
    }

    #[test]
    fn parts_by_field() {
        let (fds, threads) = (SnapshotNeeds::PROCESS_FDS, SnapshotNeeds::THREAD_COUNT);
        for (name, want) in [
            ("fd.types", fds),
            ("proc.nthreads", threads),
            ("proc.nchilds", threads),
            ("fd.name", SnapshotNeeds::NONE),
            ("proc.aname", SnapshotNeeds::NONE),
            ("proc.fdopencount", SnapshotNeeds::NONE),
            ("user.name", SnapshotNeeds::NONE),
        ] {
            assert_eq!(needs(name), want, "{name}");
        }
        assert_eq!(SnapshotNeeds::of_field(u32::MAX), SnapshotNeeds::ALL);
        assert_eq!(SnapshotNeeds::of_fields([]), SnapshotNeeds::NONE);
        let both = [needs("fd.types"), needs("proc.nchilds")];
        assert_eq!(both[0].union(both[1]), SnapshotNeeds::ALL);
    }
}
