#!/usr/bin/env bash
# Seeds the fuzz corpora from the shared reference captures:
#   corpus/capture_reader: every capture, decompressed (the big ones cut to their first 256 KiB)
#   corpus/record_parse:   individual event records extracted from those captures
#   corpus/rules_loader:   the official rules files, the repository's rules and the broken-rules
#                          corpus (engine/rules/tests/broken), each whole and each item alone
#   corpus/condition:      every condition and macro of those files
#   corpus/config:         falco.yaml, its top-level sections alone, and -o override samples
# Usage: fuzz/seed.sh   (from anywhere; needs python3 with PyYAML, Debian's python3-yaml)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# The same location and override as the tests (engine/testdata).
ref="${FALCO_SHARED_REFERENCE:-$here/../../shared/reference}"
[ -d "$ref" ] || { echo "seed.sh: the shared reference folder is missing: $ref (set FALCO_SHARED_REFERENCE)" >&2; exit 1; }
mkdir -p "$here/corpus/capture_reader" "$here/corpus/record_parse"
python3 - "$ref" "$here/corpus" <<'PY'
import gzip, hashlib, os, struct, sys
ref, corpus = sys.argv[1], sys.argv[2]
files = [os.path.join(ref, "scap/libs", f) for f in sorted(os.listdir(os.path.join(ref, "scap/libs"))) if f.endswith(".scap")]
files += [os.path.join(ref, "captures", f) for f in sorted(os.listdir(os.path.join(ref, "captures"))) if f.endswith(".scap.gz")]
seen = set()
def put(kind, data):
    h = hashlib.sha1(data).hexdigest()
    open(os.path.join(corpus, kind, h), "wb").write(data)
for f in files:
    raw = open(f, "rb").read()
    data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    put("capture_reader", data[:256 * 1024])
    off = 0
    while off + 8 <= len(data):
        bt, bl = struct.unpack_from("<II", data, off)
        if bl < 12:
            break
        if bt in (0x216, 0x217, 0x221, 0x222):
            pre = 2 if bt in (0x216, 0x221) else 6
            rec = data[off + 8 + pre: off + bl - 4]
            rlen, etype = struct.unpack_from("<IH", rec, 16)
            key = (etype, struct.unpack_from("<I", rec, 22)[0])
            if key not in seen:
                seen.add(key)
                put("record_parse", rec[:rlen])
        off += bl
print("seeded", len(os.listdir(os.path.join(corpus, "capture_reader"))), "captures,",
      len(os.listdir(os.path.join(corpus, "record_parse"))), "records")
PY

mkdir -p "$here/corpus/rules_loader" "$here/corpus/condition" "$here/corpus/config"
python3 - "$ref" "$here/.." "$here/corpus" <<'PY'
import glob, hashlib, os, sys, yaml
ref, repo, corpus = sys.argv[1], sys.argv[2], sys.argv[3]
def put(kind, data):
    if isinstance(data, str):
        data = data.encode()
    open(os.path.join(corpus, kind, hashlib.sha1(data).hexdigest()), "wb").write(data)
rules = sorted(glob.glob(os.path.join(ref, "rules", "*.yaml")))
rules += sorted(glob.glob(os.path.join(repo, "rules", "*.yaml")))
rules += sorted(glob.glob(os.path.join(repo, "engine/rules/tests/broken", "*.yaml")))
for f in rules:
    text = open(f, encoding="utf-8", errors="replace").read()
    put("rules_loader", text)
    try:
        docs = yaml.safe_load(text)
    except Exception:
        continue
    if not isinstance(docs, list):
        continue
    for item in docs:
        if not isinstance(item, dict):
            continue
        put("rules_loader", yaml.safe_dump([item], sort_keys=False))
        cond = item.get("condition")
        if isinstance(cond, str):
            put("condition", cond)
conf = open(os.path.join(repo, "falco.yaml"), encoding="utf-8").read()
put("config", conf)
top = yaml.safe_load(conf)
for k, v in top.items():
    put("config", yaml.safe_dump({k: v}, sort_keys=False))
for o in ["stdout_output.enabled=false", "file_output={enabled: true, filename: /tmp/x}",
          "rules_files[0]=/etc/falco/x.yaml", "a\\.b=1", "metrics.interval=15m",
          "outputs_queue.capacity=10", "syscall_event_drops.actions=[log, alert]",
          "file_output.filename=\"+name", "engine.kind=replay", "json_output=true"]:
    put("config", conf.encode() + b"\0" + o.encode())
    put("config", b"\0" + o.encode())
print("seeded", *(f"{len(os.listdir(os.path.join(corpus, k)))} {k}" for k in ("rules_loader", "condition", "config")))
PY
