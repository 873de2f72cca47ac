"""Print where the demo's pickles are, a per-client summary, and one pickle as JSON."""

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from pxstats.store import pickles

root = Path(sys.argv[1])
base = root / "data" / "pickles"
print(f"== Pickles are in {base}/<client>/<YYYYMMDD>/<tx|rx>/<machine>_<HH>")
totals = defaultdict(lambda: [0, 0, 0, 0.0])  # pickles, files, errors, bytes
for path in sorted(base.rglob("*_[0-9][0-9]")):
    client, file_type = path.parts[-4], path.parts[-2]
    collector = pickles.load_collector(path)
    entry = totals[(file_type, client)]
    entry[0] += 1
    for bucket in collector.buckets:
        entry[1] += bucket.nb_files
        entry[2] += int(bucket.totals.get("errors", 0))
        entry[3] += bucket.totals.get("bytecount", 0.0)
print(f"{'type':<5}{'client/source':<16}{'pickles':>8}{'files':>9}{'errors':>8}{'MB':>10}")
for (file_type, client), (count, files, errors, nbytes) in sorted(totals.items()):
    print(f"{file_type:<5}{client:<16}{count:>8}{files:>9}{errors:>8}{nbytes / 1e6:>10.1f}")

example = max(base.rglob("*_[0-9][0-9]"), key=lambda p: p.stat().st_size)
print(f"\n== pickleViewer --json {example}  (non-empty buckets, first 3)")
out = subprocess.run(
    ["pickleViewer", "--json", str(example)], capture_output=True, text=True, check=True
)
document = json.loads(out.stdout)
busy = [b for b in document["buckets"] if b["rows"]]
print(f"{len(busy)} of {len(document['buckets'])} buckets hold rows")
for bucket in busy[:3]:
    print(
        json.dumps(
            {
                k: bucket[k]
                for k in (
                    "startTime",
                    "endTime",
                    "rows",
                    "nbFiles",
                    "filesOverMaxLatency",
                    "totals",
                    "means",
                )
            }
        )
    )
