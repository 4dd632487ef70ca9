#!/usr/bin/env python3
"""Per-function instructions per frame between two callgrind runs (see callgrind_frame_cost.sh).
usage: callgrind_diff.py SHORT LONG FRAMES yes|no [ROWS]   (yes = inclusive, no = self)"""
import re
import subprocess
import sys


def load(path, inclusive):
    out = subprocess.run(["callgrind_annotate", "--inclusive=" + inclusive, "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    costs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)", line)
        if m and "PROGRAM TOTALS" not in line and not m.group(2).startswith("=>"):
            key = m.group(2)[:150]
            costs[key] = costs.get(key, 0) + int(m.group(1).replace(",", ""))
    return costs


short, long_, frames, inclusive = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
rows = int(sys.argv[5]) if len(sys.argv) > 5 else 40
a, b = load(short, inclusive), load(long_, inclusive)
diff = sorted(((b.get(k, 0) - a.get(k, 0)) / frames, k) for k in set(a) | set(b))
for cost, name in reversed(diff[-rows:]):
    print("%8.0f  %s" % (cost, name))
