#!/usr/bin/env python3
"""Print the table of a 'make run' results folder: one row per swapin mode, side by side.

    fio-table.py RESULTS_DIR

RESULTS_DIR holds job.env, modes (the modes run, in order) and per mode fio-<mode>.json and
vmstat-<mode>.before/.after (guest/jobs/run.sh). A folder of the older layout (one fio.json,
vmstat.before/.after) is read as one row. Ratios are against the swapcache row, when there is
one: IOPS and MiB/s as mode / swapcache (above 1 is better), latencies likewise (below 1 is
better).
"""
import json
import os
import sys

COUNTERS = ("shmem_swapin_bypass", "shmem_swapin_swapcache", "shmem_swapin_fallback",
            "shmem_swapin_marker_wait", "shmem_swapin_handoff", "pswpin", "pswpout")


def vmstat(path):
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                out[parts[0]] = int(parts[1])
    return out


def read_env(d):
    env = {}
    try:
        with open(os.path.join(d, "job.env")) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    env[k] = v
    except OSError:
        pass
    return env


def runs(d, env):
    """[(mode, fio json, vmstat before, vmstat after)] in the order they ran."""
    modes_file = os.path.join(d, "modes")
    if os.path.exists(modes_file):
        with open(modes_file) as f:
            modes = [m for m in f.read().split() if m]
        return [(m, os.path.join(d, "fio-%s.json" % m), os.path.join(d, "vmstat-%s.before" % m),
                 os.path.join(d, "vmstat-%s.after" % m)) for m in modes]
    return [(env.get("SWAPIN_MODE", "?"), os.path.join(d, "fio.json"),
             os.path.join(d, "vmstat.before"), os.path.join(d, "vmstat.after"))]


def row(mode, fio_path, vb, va):
    with open(fio_path) as f:
        text = f.read()
    # fio may print notes before its JSON
    fio = json.loads(text[text.index("{"):])
    job = fio["jobs"][0]
    r = {"mode": mode}
    for op in ("read", "write"):
        x = job[op]
        if not x["io_bytes"]:
            continue
        pct = x["clat_ns"].get("percentile", {})
        r[op] = {"iops": x["iops"], "mib_s": x["bw_bytes"] / 2**20,
                 "p50": pct.get("50.000000", 0) / 1000, "p99": pct.get("99.000000", 0) / 1000}
    before, after = vmstat(vb), vmstat(va)
    r["counters"] = {k: (after[k] - before.get(k, 0)) if k in after else None for k in COUNTERS}
    return r


def ratio(v, base, fmt="%.2f"):
    if v is None or not base:
        return "-"
    return fmt % (v / base)


def table(rows):
    base = next((r for r in rows if r["mode"] == "swapcache"), None)
    lines = []
    for op in ("read", "write"):
        if not any(op in r for r in rows):
            continue
        lines.append("%s:" % op)
        lines.append("| mode | IOPS | vs swapcache | MiB/s | clat p50 us | vs swapcache "
                     "| clat p99 us | vs swapcache |")
        lines.append("|---|---|---|---|---|---|---|---|")
        b = base.get(op, {}) if base else {}
        for r in rows:
            x = r.get(op)
            if not x:
                continue
            lines.append("| %s | %.0f | %s | %.1f | %.1f | %s | %.1f | %s |" % (
                r["mode"], x["iops"], ratio(x["iops"], b.get("iops")), x["mib_s"],
                x["p50"], ratio(x["p50"], b.get("p50")), x["p99"], ratio(x["p99"], b.get("p99"))))
        lines.append("")
    lines.append("| swapins by path | " + " | ".join(r["mode"] for r in rows) + " |")
    lines.append("|---|" + "---|" * len(rows))
    for k in COUNTERS:
        vals = [r["counters"][k] for r in rows]
        lines.append("| %s | %s |" % (k, " | ".join("n/a" if v is None else str(v) for v in vals)))
    return lines


def main(d):
    env = read_env(d)
    rows = [row(*x) for x in runs(d, env)]
    print("fio %s %s %s over a %s MiB tmpfs file, memory.max half of it, %s s per mode, "
          "one boot (%s)" % (env.get("RW"), env.get("BS"), env.get("ENGINE"),
                             env.get("FILE_MB"), env.get("RUNTIME"),
                             ", ".join(r["mode"] for r in rows)))
    print("\n".join(table(rows)))
    print("One run per mode: differences of a few percent are noise here; make bench gives "
          "medians over interleaved rounds.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fio-table.py RESULTS_DIR")
    main(sys.argv[1])
