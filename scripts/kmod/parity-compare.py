#!/usr/bin/env python3
"""Compare two captures of the parity workload (tests/parity/workload.c) event by event.

usage: parity-compare.py FALCO_INSPECT A.scap A_ROOTPID B.scap B_ROOTPID [--names A,B] [--strict EXPLAINED]

Each capture is printed with falco-inspect (type, direction and every parameter, as sysdig prints
them), cut down to the workload's process tree (ROOTPID and its descendants, from the engine's
process state), and split per process (the n-th process of the tree in A is compared with the n-th
in B, since processes interleave differently from run to run). Values that differ between any two
runs are normalised first and said so: pids/tids (mapped to P1, P2, ... in order of appearance),
user-space addresses and memory sizes, page-fault counts, timestamps, inode numbers, kernel
socket addresses (unix socket tuples).

Prints every difference: events only in A or only in B, and for events present in both, each
parameter whose value differs. With --strict FILE, exits 1 when a difference is not explained in
FILE (lines "<evt.type> <dir> <param>" or "<evt.type> <dir> *", # comments).
"""
import collections
import difflib
import re
import subprocess
import sys

SEP = " \x1f "
FMT = SEP.join(["%proc.pid", "%proc.ppid", "%thread.tid", "%evt.type", "%evt.dir", "%evt.args"])


def load(inspect, cap, root):
    out = subprocess.run([inspect, "-r", cap, "-p", FMT], capture_output=True, text=True, check=True).stdout
    tree = {root}
    per = collections.OrderedDict()
    ids = {}
    for line in out.splitlines():
        f = line.split(SEP)
        if len(f) != 6:
            continue
        pid, ppid, tid, ty, d, args = f
        try:
            pid, ppid, tid = int(pid), int(ppid), int(tid)
        except ValueError:
            continue
        if pid not in tree:
            if ppid in tree:
                tree.add(pid)
            else:
                continue
        for x in (pid, tid):
            ids.setdefault(x, "P%d" % (len(ids) + 1))
        per.setdefault(ids[pid], []).append((ty, d, args))
    return per, ids


PARAM = re.compile(r"(\w+)=")


def split_args(args):
    """'fd=3(<f>/tmp/x) size=4' -> [('fd', '3(<f>/tmp/x)'), ('size', '4')]"""
    out = []
    starts = [m.start() for m in PARAM.finditer(args) if m.start() == 0 or args[m.start() - 1] == " "]
    for i, s in enumerate(starts):
        e = starts[i + 1] - 1 if i + 1 < len(starts) else len(args)
        k, _, v = args[s:e].partition("=")
        out.append((k, v))
    return out


def normalise(args, ids):
    kv = []
    for k, v in split_args(args):
        m = re.match(r"\d+", v)
        if k in ("ptid", "pid", "tid", "vtid", "vpid", "pgid", "vpgid", "sid", "reaper_tid") or (
            k == "res" and m and int(m.group()) in ids
        ):
            v = re.sub(r"\d+", lambda m: ids.get(int(m.group()), "PID?"), v, count=1)
        if k in ("pgft_maj", "pgft_min"):
            v = "<faults>"
        if k in ("addr", "brk", "vm_rss", "vm_swap") or re.fullmatch(r"(0x)?[0-9A-Fa-f]{9,}", v):
            v = "<addr>"
        if k in ("pidns_init_start_ts", "start_ts", "ts", "req", "rem") or k.endswith("_ts"):
            v = "<time>"
        if k == "ino":
            v = "<ino>"
        # Unix socket tuples and fd names carry the kernel addresses of the two sockets.
        v = re.sub(r"\b[0-9a-f]{16}\b", "<kptr>", v)
        kv.append((k, v))
    return kv


def main():
    a = sys.argv[1:]
    names = ["A", "B"]
    explained = None
    if "--names" in a:
        i = a.index("--names")
        names = a[i + 1].split(",")
        del a[i : i + 2]
    if "--strict" in a:
        i = a.index("--strict")
        explained = set()
        for line in open(a[i + 1]):
            line = line.split("#")[0].strip()
            if line:
                explained.add(tuple(line.split()[:3]))
        del a[i : i + 2]
    inspect, ca, ra, cb, rb = a[0], a[1], int(a[2]), a[3], int(a[4])
    A, ida = load(inspect, ca, ra)
    B, idb = load(inspect, cb, rb)
    na, nb = sum(map(len, A.values())), sum(map(len, B.values()))
    print("parity: %s %d events in %d processes, %s %d events in %d processes" % (names[0], na, len(A), names[1], nb, len(B)))
    if na == 0 or nb == 0:
        print("parity: FAIL: a capture has no event of the workload")
        return 1
    same = 0
    diffs = []  # (type, dir, param, detail)
    for proc in sorted(set(A) | set(B), key=lambda p: int(p[1:])):
        ea, eb = A.get(proc, []), B.get(proc, [])
        ka = [(t, d) for t, d, _ in ea]
        kb = [(t, d) for t, d, _ in eb]
        sm = difflib.SequenceMatcher(None, ka, kb, autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "equal":
                for x, y in zip(ea[i1:i2], eb[j1:j2]):
                    pa, pb = normalise(x[2], ida), normalise(y[2], idb)
                    if pa == pb:
                        same += 1
                        continue
                    da, db = dict(pa), dict(pb)
                    names_a, names_b = [k for k, _ in pa], [k for k, _ in pb]
                    if names_a != names_b:
                        diffs.append((x[0], x[1], "*", "%s: params %s: %s / %s: %s" % (proc, names[0], names_a, names[1], names_b)))
                        continue
                    for k in names_a:
                        if da[k] != db[k]:
                            diffs.append((x[0], x[1], k, "%s: %s=%s / %s=%s" % (proc, names[0], da[k][:120], names[1], db[k][:120])))
            else:
                for x in ea[i1:i2]:
                    diffs.append((x[0], x[1], "*", "%s: only in %s: %s %s %s" % (proc, names[0], x[1], x[0], x[2][:160])))
                for y in eb[j1:j2]:
                    diffs.append((y[0], y[1], "*", "%s: only in %s: %s %s %s" % (proc, names[1], y[1], y[0], y[2][:160])))
    print("parity: %d events identical after normalisation, %d differences" % (same, len(diffs)))
    unexplained = 0
    for t, d, k, detail in diffs:
        ok = explained is not None and ((t, d, k) in explained or (t, d, "*") in explained)
        if explained is not None and not ok:
            unexplained += 1
        print("parity-diff %s %s %s%s: %s" % (t, d, k, "" if ok or explained is None else " UNEXPLAINED", detail))
    if explained is not None:
        print("parity: %d differences not explained in the list" % unexplained)
        return 1 if unexplained else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
