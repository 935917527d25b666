#!/usr/bin/env python3
"""Counter evidence per selftest from a ktap.log: a test's last '# total:' line if it prints
one, else the sum of the '# ... bypass=N ...' lines it prints for its phases."""
import re
import sys

KEYS = ("bypass", "swapcache", "fallback", "marker_wait", "handoff")
cur = None
ev = {}
tot = {}
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"#\s+RUN\s+(\S+)", line)
    if m:
        cur = m.group(1)
        ev[cur] = {}
        tot[cur] = None
        continue
    m = re.match(r"(ok|not ok) \d+ (\S+)", line)
    if m and m.group(2) in ev:
        ev[m.group(2)]["result"] = m.group(1)
        cur = None
        continue
    if cur and "bypass=" in line:
        d = dict(re.findall(r"(\w+)=(\d+)", line))
        if line.startswith("# total"):
            tot[cur] = {k: int(d.get(k, 0)) for k in KEYS}
        else:
            for k in KEYS:
                ev[cur][k] = ev[cur].get(k, 0) + int(d.get(k, 0))
print("| test | result | bypass | swapcache | fallback | marker waits | handoffs |")
print("|---|---|---|---|---|---|---|")
for t, e in ev.items():
    if tot.get(t):
        e.update(tot[t])
    print("| %s | %s | %s |" % (t, e.get("result", "?"), " | ".join(
        str(e.get(k, 0)) for k in ("bypass", "swapcache", "fallback", "marker_wait", "handoff"))))
