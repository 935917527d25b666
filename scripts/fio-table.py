#!/usr/bin/env python3
"""Print the table of a 'make run' results folder: fio numbers and swapins by path."""
import json
import os
import sys


def vmstat(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, v = line.split()
            out[k] = int(v)
    return out


def main(d):
    with open(os.path.join(d, "fio.json")) as f:
        fio = json.load(f)
    job = fio["jobs"][0]
    env = {}
    with open(os.path.join(d, "job.env")) as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                env[k] = v
    before = vmstat(os.path.join(d, "vmstat.before"))
    after = vmstat(os.path.join(d, "vmstat.after"))

    def delta(k):
        if k not in after:
            return "n/a"
        return str(after[k] - before.get(k, 0))

    rows = []
    for op in ("read", "write"):
        r = job[op]
        if not r["io_bytes"]:
            continue
        pct = r["clat_ns"].get("percentile", {})
        p50 = pct.get("50.000000", 0) / 1000
        p99 = pct.get("99.000000", 0) / 1000
        rows.append((op, "%.0f" % r["iops"], "%.1f" % (r["bw_bytes"] / 2**20),
                     "%.1f" % p50, "%.1f" % p99))
    print("fio %s %s %s, %s MiB file, memory.max half of it, mode %s" % (
        env.get("RW"), env.get("BS"), env.get("ENGINE"), env.get("FILE_MB"),
        env.get("SWAPIN_MODE")))
    print("| op | IOPS | MiB/s | clat p50 us | clat p99 us |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print("| swapins | count |")
    print("|---|---|")
    for k in ("shmem_swapin_bypass", "shmem_swapin_swapcache", "shmem_swapin_fallback",
              "shmem_swapin_marker_wait", "shmem_swapin_handoff", "pswpin", "pswpout"):
        print("| %s | %s |" % (k, delta(k)))


if __name__ == "__main__":
    main(sys.argv[1])
