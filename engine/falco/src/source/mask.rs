//! Which event ids the driver must produce: the rules' event types plus what the state tables
//! need (Falco's `base_syscalls` idea), or every event with `base_syscalls.all`.

use crate::config::model::BaseSyscalls;
use falco_rules::ruleset::RuleSet;
use ringbuf_abi::ioctl::EventMask;
use ringbuf_abi::schema::flags;
use ringbuf_abi::EVENT_TABLE;

/// Syscall names whose events keep the thread, fd and user tables right.
const STATE_SYSCALLS: &[&str] = &[
    "clone",
    "clone3",
    "fork",
    "vfork",
    "execve",
    "execveat",
    "procexit",
    "open",
    "openat",
    "openat2",
    "creat",
    "close",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "socket",
    "socketpair",
    "connect",
    "accept",
    "accept4",
    "bind",
    "listen",
    "pipe",
    "pipe2",
    "eventfd",
    "eventfd2",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "inotify_init",
    "inotify_init1",
    "memfd_create",
    "epoll_create",
    "epoll_create1",
    "chdir",
    "fchdir",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "setreuid",
    "setregid",
    "setsid",
    "prctl",
    "capset",
    "chroot",
    "userfaultfd",
    "io_uring_setup",
    "pidfd_open",
    "pidfd_getfd",
    "bpf",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
];

fn set_by_name(mask: &mut EventMask, name: &str, on: bool) {
    for e in EVENT_TABLE
        .iter()
        .filter(|e| e.name == name && e.flags & flags::EF_OLD_VERSION == 0)
    {
        if on {
            mask.set(e.id);
        } else if let Some(w) = mask.words.get_mut(e.id as usize / 64) {
            *w &= !(1u64 << (e.id % 64));
        }
    }
}

/// The event mask for a ruleset and the `base_syscalls` configuration.
pub fn event_mask(ruleset: &RuleSet, base: &BaseSyscalls) -> EventMask {
    if base.all {
        return EventMask::all();
    }
    let mut mask = EventMask::default();
    for r in ruleset.rules().iter().filter(|r| r.enabled) {
        for &t in &r.evttypes {
            mask.set(t);
        }
    }
    if base.custom_set.is_empty() || base.repair {
        for name in STATE_SYSCALLS {
            set_by_name(&mut mask, name, true);
        }
    }
    for entry in &base.custom_set {
        match entry.strip_prefix('!') {
            Some(name) => set_by_name(&mut mask, name, false),
            None => set_by_name(&mut mask, entry, true),
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_set_adds_and_removes() {
        let rs = RuleSet::new(Vec::new(), Vec::new(), Vec::new());
        let base = BaseSyscalls {
            custom_set: vec!["kill".into(), "!close".into()],
            repair: true,
            all: false,
        };
        let m = event_mask(&rs, &base);
        let id = |n: &str, exit: bool| {
            EVENT_TABLE
                .iter()
                .find(|e| {
                    e.name == n && e.flags & flags::EF_OLD_VERSION == 0 && (e.id % 2 == 1) == exit
                })
                .map(|e| e.id)
                .expect("event")
        };
        assert!(m.contains(id("kill", true)));
        assert!(m.contains(id("execve", true)));
        assert!(!m.contains(id("close", true)));
        assert!(!m.contains(id("mkdir", true)));
        assert!(event_mask(
            &rs,
            &BaseSyscalls {
                all: true,
                ..BaseSyscalls::default()
            }
        )
        .contains(id("mkdir", true)));
    }
}
