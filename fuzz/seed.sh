#!/usr/bin/env bash
# Seeds the fuzz corpora from the shared reference captures:
#   corpus/capture_reader: every capture, decompressed (the big ones cut to their first 256 KiB)
#   corpus/record_parse:   individual event records extracted from those captures
# Usage: fuzz/seed.sh   (from anywhere; needs python3)
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
