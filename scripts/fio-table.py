#!/usr/bin/env python3
"""Print the comparison of 'make run': one row per swapin mode, side by side.

    fio-table.py [icount=]DIR [[wall=]DIR]

Each DIR is a results folder of guest/jobs/run.sh: job.env, modes (the modes run, in order),
rounds (how many), and per mode and round fio-<mode>.r<round>.json and
vmstat-<mode>.r<round>.before/.after. Folders of the older layouts (fio-<mode>.json, or one
fio.json) are read as one round. A folder named icount=... comes from the boot under -icount
(deterministic); wall=... (or none) from the wall-clock boot. Ratios are against swapcache in
the same folder; on the wall clock, per round (modes of one round ran next to each other),
then the median of those and their range. IOPS and MiB/s: mode / swapcache, above 1 is better;
latencies likewise, below 1 is better.
"""
import json
import os
import statistics
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


def files(d, env):
    """{mode: [(fio json, vmstat before, vmstat after) per round]}, and the modes in order."""
    j = lambda *p: os.path.join(d, *p)
    if not os.path.exists(j("modes")):
        m = env.get("SWAPIN_MODE", "?")
        return [m], {m: [(j("fio.json"), j("vmstat.before"), j("vmstat.after"))]}
    with open(j("modes")) as f:
        modes = [m for m in f.read().split() if m]
    out = {}
    if os.path.exists(j("rounds")):
        with open(j("rounds")) as f:
            n = int(f.read().strip() or 1)
        for m in modes:
            out[m] = [(j("fio-%s.r%d.json" % (m, r)), j("vmstat-%s.r%d.before" % (m, r)),
                       j("vmstat-%s.r%d.after" % (m, r))) for r in range(1, n + 1)]
    else:
        for m in modes:
            out[m] = [(j("fio-%s.json" % m), j("vmstat-%s.before" % m), j("vmstat-%s.after" % m))]
    return modes, out


def one(fio_path, vb, va):
    with open(fio_path) as f:
        text = f.read()
    # fio may print notes before its JSON
    fio = json.loads(text[text.index("{"):])
    job = fio["jobs"][0]
    r = {}
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


def load(spec):
    kind, d = ("wall", spec)
    if "=" in spec and spec.split("=", 1)[0] in ("icount", "wall"):
        kind, d = spec.split("=", 1)
    env = read_env(d)
    modes, fl = files(d, env)
    runs = {m: [one(*x) for x in fl[m]] for m in modes}
    return {"kind": kind, "dir": d, "env": env, "modes": modes, "runs": runs}


def ratios(res, op, key):
    """per mode: [mode/swapcache per round] (rounds where both ran)."""
    base = res["runs"].get("swapcache")
    out = {}
    for m in res["modes"]:
        vals = []
        for i, r in enumerate(res["runs"][m]):
            if base and i < len(base) and op in r and op in base[i] and base[i][op][key]:
                vals.append(r[op][key] / base[i][op][key])
        out[m] = vals
    return out


def fmt_range(vals):
    if not vals:
        return "-"
    if len(vals) == 1:
        return "%.2f" % vals[0]
    return "%.2f (%.2f-%.2f)" % (statistics.median(vals), min(vals), max(vals))


def med(res, m, op, key):
    v = [r[op][key] for r in res["runs"][m] if op in r]
    return statistics.median(v) if v else None


def table(results):
    ic = next((r for r in results if r["kind"] == "icount"), None)
    wl = next((r for r in results if r["kind"] == "wall"), None)
    modes = []
    for r in results:
        modes += [m for m in r["modes"] if m not in modes]
    lines = []
    for op in ("read", "write"):
        if not any(op in x for r in results for rs in r["runs"].values() for x in rs):
            continue
        head, sep = ["mode"], ["---"]
        if ic:
            head += ["icount IOPS", "vs swapcache", "icount p99 us", "vs swapcache"]
        if wl:
            n = max(len(v) for v in wl["runs"].values())
            head += ["wall IOPS (median of %d)" % n, "vs swapcache: median (range)",
                     "wall p99 us", "vs swapcache: median (range)"]
        sep += ["---"] * (len(head) - 1)
        lines += ["%s:" % op, "| " + " | ".join(head) + " |", "|" + "|".join(sep) + "|"]
        for m in modes:
            cells = [m]
            if ic:
                if m in ic["runs"] and op in ic["runs"][m][0]:
                    x = ic["runs"][m][0][op]
                    cells += ["%.0f" % x["iops"], fmt_range(ratios(ic, op, "iops")[m]),
                              "%.1f" % x["p99"], fmt_range(ratios(ic, op, "p99")[m])]
                else:
                    cells += ["-"] * 4
            if wl:
                if m in wl["runs"] and med(wl, m, op, "iops") is not None:
                    cells += ["%.0f" % med(wl, m, op, "iops"), fmt_range(ratios(wl, op, "iops")[m]),
                              "%.1f" % med(wl, m, op, "p99"), fmt_range(ratios(wl, op, "p99")[m])]
                else:
                    cells += ["-"] * 4
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    src = ic or wl
    lines.append("| swapins by path (%s, %s) | " % (src["kind"], "one run" if src is ic else
                                                  "median per round") +
                 " | ".join(src["modes"]) + " |")
    lines.append("|---|" + "---|" * len(src["modes"]))
    for k in COUNTERS:
        vals = []
        for m in src["modes"]:
            v = [r["counters"][k] for r in src["runs"][m] if r["counters"][k] is not None]
            vals.append("%.0f" % statistics.median(v) if v else "n/a")
        lines.append("| %s | %s |" % (k, " | ".join(vals)))
    return lines


def verdict(results):
    ic = next((r for r in results if r["kind"] == "icount"), None)
    wl = next((r for r in results if r["kind"] == "wall"), None)
    spread = None
    if wl:
        r = ratios(wl, "read", "iops") if any("read" in x for rs in wl["runs"].values()
                                                  for x in rs) else ratios(wl, "write", "iops")
        others = [v for m, v in r.items() if m != "swapcache" and len(v) > 1]
        if others:
            spread = max(max(v) / min(v) - 1 for v in others)
    if ic and wl:
        s = ("Believe the icount column: one vCPU under -icount runs the same instructions in "
             "the same guest time every run (it repeats to about 0.2%); the wall-clock column is "
             "real time on TCG vCPUs sharing this host")
        if spread is not None:
            s += (", and its per-round ratios spread by up to %.0f%% here: a wall-clock "
                  "difference inside that is noise" % (100 * spread))
        return s + "."
    if ic:
        return ("icount only (RUN_WALL=0): deterministic, it repeats to about 0.2%; no real-time "
                "figure.")
    s = "Wall clock only (RUN_ICOUNT=0): no deterministic figure to go by"
    if spread is not None:
        s += "; the per-round ratios spread by up to %.0f%%" % (100 * spread)
    return s + ". Run with the icount boot (the default) before drawing a conclusion."


def main(specs):
    results = [load(s) for s in specs]
    env = results[0]["env"]
    parts = []
    for r in results:
        n = max(len(v) for v in r["runs"].values())
        parts.append("%s: %d round%s" % (r["kind"], n, "" if n == 1 else "s"))
    print("fio %s %s %s over a %s MiB tmpfs file, memory.max half of it, %s s per mode and "
          "round (%s; modes %s)" % (env.get("RW"), env.get("BS"), env.get("ENGINE"),
                                    env.get("FILE_MB"), env.get("RUNTIME"), ", ".join(parts),
                                    ", ".join(results[0]["modes"])))
    print("\n".join(table(results)))
    print(verdict(results))


if __name__ == "__main__":
    if not 2 <= len(sys.argv) <= 3:
        sys.exit("usage: fio-table.py [icount=]DIR [[wall=]DIR]")
    main(sys.argv[1:])
