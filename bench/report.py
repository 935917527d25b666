#!/usr/bin/env python3
"""Summarise 'make bench' results folders: JSON with every raw number, a Markdown report,
and gnuplot PNGs.

usage: report.py TOP [--out DIR [--docs]] LABEL=RESULTS_DIR [LABEL=RESULTS_DIR ...]

Without --out (make bench): results/bench-<stamp>.json, docs/benchmarks-results.md,
docs/img/*.png. With --out DIR (make bench-host): DIR/bench.json, DIR/report.md and
DIR/img/*.png, and docs/benchmarks-results.md (with docs/img) only with --docs.
"""
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

MODES = ["swapcache", "bypass", "bypass-nobatch", "poll", "poll-wq", "poll-nosleep"]
SIZES = [("4K", "seq-mmap"), ("64K", "seq-mmap-64k"), ("2M", "seq-mmap-2m")]
SIZE_TARGET = {"64K": 0.40, "2M": 0.30}
CDF_TEST = ["contend-slow"]


def load_dir(d):
    runs = []
    path = os.path.join(d, "bench.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    r = json.loads(line)
                    if r["test"] == "anon-seq":
                        r["mode"] = "n/a"  # no shmem mode involved
                    runs.append(r)
    meta = {}
    if os.path.exists(os.path.join(d, "meta.json")):
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)["meta"]
    fio = []
    for p in sorted(glob.glob(os.path.join(d, "fio-*.json"))):
        name = os.path.basename(p)[4:-5]
        # fio-RW-ENGINE-MODE-ROUND; a mode may hold a dash (bypass-nobatch)
        parts = name.split("-")
        rw, eng, mode, rnd = parts[0], parts[1], "-".join(parts[2:-1]), parts[-1]
        try:
            with open(p) as f:
                j = json.load(f)["jobs"][0]
        except (ValueError, KeyError, IndexError):
            continue
        rec = {"rw": rw, "engine": eng, "mode": mode, "round": int(rnd)}
        for op in ("read", "write"):
            o = j[op]
            if not o["io_bytes"]:
                continue
            pct = o["clat_ns"].get("percentile", {})
            rec[op] = {"iops": o["iops"], "bw_mib_s": o["bw_bytes"] / 2**20,
                       "clat_p50_us": pct.get("50.000000", 0) / 1000,
                       "clat_p99_us": pct.get("99.000000", 0) / 1000}
        v0 = read_vmstat(p[:-5] + ".vmstat0")
        v1 = read_vmstat(p[:-5] + ".vmstat1")
        rec["counters"] = {k: v1[k] - v0.get(k, 0) for k in v1
                           if k.startswith("shmem_swapin") or k in ("pswpin", "pswpout")}
        fio.append(rec)
    return {"dir": d, "meta": meta, "runs": runs, "fio": fio}


def read_vmstat(p):
    out = {}
    if os.path.exists(p):
        with open(p) as f:
            for line in f:
                k, v = line.split()
                out[k] = int(v)
    return out


def stats(vals):
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def fmt(x, nd=3):
    return "-" if x is None else ("%.*f" % (nd, x))


def summarise(data):
    s = {}
    runs = data["runs"]
    tests = sorted({r["test"] for r in runs})
    for t in tests:
        s[t] = {}
        for m in MODES + ["n/a"]:
            allrs = [r for r in runs if r["test"] == t and r["mode"] == m]
            rs = [r for r in allrs if not r.get("hang")]
            if not allrs:
                continue
            if not rs:
                s[t][m] = {"hangs": len(allrs), "runs": len(allrs)}
                continue
            e = {"hangs": len(allrs) - len(rs), "runs": len(allrs),
                 "seconds": stats([r["seconds"] for r in rs]),
                 "mib_s": stats([r["mib_s"] for r in rs]),
                 "bad_pages": sum(r["bad_pages"] for r in rs),
                 "peak_shmem_kb": stats([r["peak_shmem_kb"] for r in rs]),
                 "peak_zram_bytes": stats([r["peak_zram_bytes"] for r in rs]),
                 "counters": {k: sum(r["counters"][k] for r in rs if r["counters"][k] >= 0)
                              for k in rs[0]["counters"]}}
            e["counters_per_run"] = {k: v / len(rs) for k, v in e["counters"].items()}
            for k in ("large_out", "large_alloc", "folio_pages"):
                if k in rs[0]:
                    e[k] = stats([r[k] for r in rs])
            if t.startswith("loop"):
                e["loop_s"] = stats([x for r in rs for x in r.get("loop_s", [])])
                e["loops_done"] = sum(len(r.get("loop_s", [])) for r in rs)
            if t.startswith("inversion"):
                w = [x for r in rs for x in r.get("waiter_us", [])]
                e["waiter_us"] = stats(w)
                e["worst_us"] = max(w) if w else None
                e["worst_per_run_us"] = stats([r["worst_us"] for r in rs])
                e["hung_rounds"] = sum(r.get("hung_rounds", 0) for r in rs)
                e["stuck"] = sum(r.get("stuck", 0) for r in rs)
                e["inv_rounds"] = sum(r.get("rounds", 0) for r in rs)
                e["owner_us"] = stats([x for r in rs for x in r.get("owner_us", [])])
                e["watchdog_s"] = rs[0].get("watchdog_s")
                e["rt_runtime_us"] = rs[0].get("rt_runtime_us")
            if t.startswith("limit"):
                e["entry_s"] = stats([x for r in rs for x in r.get("entry_s", [])])
                e["entries"] = sum(len(r.get("entry_s", [])) for r in rs)
                e["limit_max_events"] = sum(r.get("limit_max_events", 0) for r in rs)
                e["limit_desc"] = "%d threads, headroom %d KiB" % (rs[0]["threads"], rs[0]["headroom_kb"])
            if t.startswith("contend") or t.startswith("limit"):
                lat = sorted(x for r in rs for x in r.get("lat_all_us", []))
                e["lat_us"] = {"p50": lat[len(lat) // 2], "p99": lat[len(lat) * 99 // 100],
                               "p999": lat[len(lat) * 999 // 1000],
                               "max": lat[-1], "faults": len(lat)}
                e["p99_per_round"] = stats([r["lat_us"]["p99"] for r in rs])
            s[t][m] = e
    fio = {}
    for rec in data["fio"]:
        key = "%s-%s" % (rec["rw"], rec["engine"])
        fio.setdefault(key, {}).setdefault(rec["mode"], []).append(rec)
    fs = {}
    for key, bymode in fio.items():
        fs[key] = {}
        for m, recs in bymode.items():
            e = {}
            for op in ("read", "write"):
                xs = [r[op] for r in recs if op in r]
                if xs:
                    e[op] = {k: stats([x[k] for x in xs]) for k in xs[0]}
            e["counters"] = {k: sum(r["counters"].get(k, 0) for r in recs)
                             for k in recs[0]["counters"]}
            fs[key][m] = e
    return s, fs


def ratio(s, t, m, key="seconds"):
    try:
        return s[t][m][key]["median"] / s[t]["swapcache"][key]["median"]
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def machine(meta):
    mem = meta.get("mem_kb", 0) // 1024
    if meta.get("machine") == "bare metal":
        d = "bare metal (`make bench-host`), CPU %s, %s CPUs, %d MiB, kernel %s" % (
            meta.get("cpu_model") or "unknown", meta.get("cpus"), mem, meta.get("kernel"))
        if meta.get("hypervisor"):
            d += " (the CPU reports a hypervisor: this machine is itself a virtual machine)"
        return d
    return "QEMU TCG guest on a 2-core host, %s vCPU(s), %d MiB, kernel %s" % (
        meta.get("cpus"), mem, meta.get("kernel"))


def markdown(label, data, s, fs):
    meta = data["meta"]
    out = []
    out.append("### %s run (`%s`)\n" % (label, os.path.relpath(data["dir"])))
    out.append("Machine: %s; "
               "zram %s (%s), vm.page-cluster=%s, clocksource %s; %s rounds, modes "
               "interleaved per round.\n" % (
                   machine(meta),
                   meta.get("zram_algo"), meta.get("zram_size"), meta.get("page_cluster"),
                   meta.get("clocksource"), meta.get("rounds")))
    if label == "icount":
        out.append("Times are guest time under `-icount shift=3,sleep=off` (one vCPU): an "
                   "instruction count, deterministic across boots.\n")
    out.append("| workload | mode | median s | min s | max s | MiB/s | ratio to swapcache | "
               "bad pages | peak Shmem MiB | peak zram MiB |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for t in ("seq-mmap", "seq-mmap-64k", "seq-mmap-2m", "seq-mmap-half", "seq-read", "rand-mmap", "contend",
              "contend-slow", "contend-multi", "anon-seq"):
        if t not in s:
            continue
        for m in MODES + ["n/a"]:
            e = s[t].get(m)
            if not e or "seconds" not in e:
                continue
            r = ratio(s, t, m)
            out.append("| %s | %s | %s | %s | %s | %s | %s | %d | %s | %s |" % (
                t, m if m != "n/a" else "anon", fmt(e["seconds"]["median"]),
                fmt(e["seconds"]["min"]), fmt(e["seconds"]["max"]),
                fmt(e["mib_s"]["median"], 1), fmt(r, 3), e["bad_pages"],
                fmt(e["peak_shmem_kb"]["median"] / 1024, 1),
                fmt(e["peak_zram_bytes"]["median"] / 2**20, 1)))
    out.append("")
    for ct, what in (("contend", "as the machine gives it"),
                     ("contend-slow", "with a slow device emulated: the owner holds its "
                      "marker (poll: its pin) 500 us longer via debug_delay_us")):
        if ct not in s:
            continue
        out.append("Contention `%s` (16 threads fault the same swapped-out page, page after "
                   "page; every fault's latency, all rounds pooled), %s:\n" % (ct, what))
        out.append("| mode | faults | p50 us | p99 us | p99.9 us | max us | median per-round p99 us | "
                   "bypass | marker waits | poll waits | fallbacks | wasted allocs |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for m in MODES:
            e = s[ct].get(m)
            if not e:
                continue
            c = e["counters"]
            out.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                m, e["lat_us"]["faults"], fmt(e["lat_us"]["p50"], 1), fmt(e["lat_us"]["p99"], 1),
                fmt(e["lat_us"]["p999"], 1),
                fmt(e["lat_us"]["max"], 1), fmt(e["p99_per_round"]["median"], 1),
                c.get("shmem_swapin_bypass"), c.get("shmem_swapin_marker_wait"),
                c.get("shmem_swapin_poll_wait"), c.get("shmem_swapin_fallback"),
                c.get("shmem_swapin_wasted")))
        out.append("")
    out.extend(large_tables(label, s))
    out.extend(multi_table(s))
    out.extend(loop_table(s))
    out.extend(inversion_table(s))
    out.extend(limit_table(s))
    if fs:
        out.append("fio over tmpfs, file in a memory cgroup limited to half its size (4 KiB, "
                   "medians over rounds):\n")
        out.append("| job | mode | read IOPS | ratio | read MiB/s | clat p50 us | clat p99 us | "
                   "write IOPS | bypass | swapcache |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for key in sorted(fs):
            base = fs[key].get("swapcache", {}).get("read", {}).get("iops", {}).get("median")
            for m in MODES:
                e = fs[key].get(m)
                if not e or "read" not in e:
                    continue
                rd = e["read"]
                wr = e.get("write", {}).get("iops", {}).get("median")
                out.append("| %s | %s | %.0f | %s | %.1f | %.1f | %.1f | %s | %s | %s |" % (
                    key, m, rd["iops"]["median"],
                    fmt(rd["iops"]["median"] / base if base else None, 3),
                    rd["bw_mib_s"]["median"], rd["clat_p50_us"]["median"],
                    rd["clat_p99_us"]["median"], "-" if wr is None else "%.0f" % wr,
                    e["counters"].get("shmem_swapin_bypass"),
                    e["counters"].get("shmem_swapin_swapcache")))
        out.append("")
    return "\n".join(out)


def med(s, t, m, key="seconds"):
    try:
        return s[t][m][key]["median"]
    except (KeyError, TypeError):
        return None


def div(a, b):
    return None if a is None or not b else a / b


def large_tables(label, s):
    if not any(t in s for _, t in SIZES[1:]):
        return []
    out = ["Sequential swapin by folio size (%s; 4K: tmpfs file, huge=never; 64K: anonymous shared "
           "mapping, hugepages-64kB/shmem_enabled=always, other sizes never; 2M: huge=always tmpfs "
           "file; every page touched once through the mapping, medians over rounds):\n" % label,
           "| size | swapcache s | poll s | bypass s | bypass / swapcache | bypass / poll | "
           "poll / swapcache | large folios swapped out whole | large swapins per run (bypass) | "
           "large swapins per run (poll) | large fallbacks (bypass, poll) | bad pages |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size, t in SIZES:
        if t not in s:
            continue
        sc, po, by = (med(s, t, m) for m in ("swapcache", "poll", "bypass"))

        def lg(m):
            try:
                c = s[t][m]["counters_per_run"]
                return "%.0f" % (c.get("shmem_swapin_bypass_mthp", 0) + c.get("shmem_swapin_bypass_pmd", 0))
            except KeyError:
                return "-"

        def fb(m):
            try:
                return "%.0f" % s[t][m]["counters_per_run"].get("shmem_swapin_large_fallback", 0)
            except KeyError:
                return "-"
        lo = "-"
        try:
            lo = "%.0f" % s[t]["bypass"]["large_out"]["median"]
        except KeyError:
            pass
        bad = sum(s[t][m].get("bad_pages", 0) for m in s[t])
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s, %s | %d |" % (
            size, fmt(sc), fmt(po), fmt(by), fmt(div(by, sc)), fmt(div(by, po)), fmt(div(po, sc)),
            lo, lg("bypass"), lg("poll"), fb("bypass"), fb("poll"), bad))
    out.append("")
    return out


def multi_table(s):
    t = "contend-multi"
    if t not in s:
        return []
    out = ["Multi-page contention `contend-multi` (8 groups of 4 threads, each group faults its own "
           "swapped-out page, all groups at once, page after page; 500 us device delay via "
           "debug_delay_us; medians over rounds, counters per run):\n",
           "| mode | median s | ratio to bypass | p50 us | p99 us | max us | marker waits | poll sleeps | "
           "poll wakes | poll retries | wasted allocs | swapins |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    base = med(s, t, "bypass")
    for m in MODES:
        e = s[t].get(m)
        if not e or "seconds" not in e:
            continue
        c = e["counters_per_run"]
        out.append("| %s | %s | %s | %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |" % (
            m, fmt(e["seconds"]["median"]), fmt(div(e["seconds"]["median"], base)),
            fmt(e["lat_us"]["p50"], 1), fmt(e["lat_us"]["p99"], 1), fmt(e["lat_us"]["max"], 1),
            c.get("shmem_swapin_marker_wait", 0), c.get("shmem_swapin_poll_wait", 0),
            c.get("shmem_swapin_poll_wake", 0), c.get("shmem_swapin_poll_retry", 0),
            c.get("shmem_swapin_wasted", 0),
            c.get("shmem_swapin_bypass", 0) + c.get("shmem_swapin_swapcache", 0)))
    out.append("")
    return out


def loop_table(s):
    rows = []
    for t in ("loop-64k", "loop-2m"):
        for m in MODES:
            e = s.get(t, {}).get(m)
            if not e:
                continue
            if "seconds" not in e:
                rows.append("| %s | %s | - | - | 0 | %d | - | - | - | - |" % (t, m, e["hangs"]))
                continue
            c = e["counters_per_run"]
            rows.append("| %s | %s | %s | %s | %d | %d | %.0f | %.0f | %.0f | %.0f |" % (
                t, m, fmt(e["loop_s"]["median"]), fmt(e["loop_s"]["max"]), e["loops_done"], e["hangs"],
                c.get("shmem_swapin_bypass_mthp", 0) + c.get("shmem_swapin_bypass_pmd", 0),
                c.get("shmem_swapin_large_fallback", 0), c.get("shmem_swapin_swapcache", 0),
                c.get("shmem_swapin_poll_retry", 0)))
    if not rows:
        return []
    return ["Upstream's softlockup loop, scaled down (`loop-*`: write a file larger than its memory "
            "cgroup's limit in 64K or 2M folios, read it back, delete; swap readahead on, "
            "vm.page-cluster=3; a run still going after its timeout counts as a hang):\n",
            "| loop | mode | median s per loop | max s per loop | loops done | hangs | "
            "large swapins per run | large fallbacks per run | swap cache swapins per run | "
            "poll retries per run |",
            "|---|---|---|---|---|---|---|---|---|---|"] + rows + [""]


def limit_table(s):
    rows = []
    desc = ""
    for t in ("limit-2m", "limit-2m-hugepage"):
        for m in MODES:
            e = s.get(t, {}).get(m)
            if not e:
                continue
            if "seconds" not in e:
                rows.append("| %s | %s | hang (run timed out) | - | - | - | - | - | - | - | - | %d | - |"
                            % (t, m, e["hangs"]))
                continue
            desc = e["limit_desc"]
            c = e["counters"]
            n = max(e["entries"], 1)
            rows.append("| %s | %s | %s | %s | %s | %s | %.1f | %.2f | %.2f | %.1f | %.1f | %d | %d |" % (
                t, m, fmt(e["entry_s"]["median"]), fmt(e["entry_s"]["max"]),
                fmt(e["lat_us"]["p99"] / 1000.0), fmt(e["lat_us"]["max"] / 1000.0),
                e["limit_max_events"] / n,
                c.get("shmem_swapin_bypass_pmd", 0) / n,
                c.get("shmem_swapin_large_fallback", 0) / n,
                (c.get("shmem_swapin_bypass", 0) + c.get("shmem_swapin_swapcache", 0)) / n,
                (c.get("shmem_swapin_marker_wait", 0) + c.get("shmem_swapin_poll_retry", 0)) / n,
                e["hangs"], e["bad_pages"]))
    if not rows:
        return []
    return ["Many threads on one large entry near memory.max (`limit-2m*`: %s; the memory cgroup "
            "limited to its usage plus the headroom, no swap, so a 2M charge cannot fit; the "
            "threads fault pages spread over one swapped-out 2M entry at once, entry after "
            "entry. `limit-2m`: the mapping as it is (THP defrag `madvise`: the 2M charge does not "
            "reclaim, it fails at once); `limit-2m-hugepage`: MADV_HUGEPAGE on it, so each 2M "
            "charge reclaims before it fails. \"limit events\" is memory.events max (charges "
            "that reclaimed at the limit); \"large fallbacks\" counts large entries split to be "
            "swapped in page by page; per entry, all runs):\n" % desc,
            "| workload | mode | median s per entry | max s per entry | p99 fault ms | max fault ms | "
            "limit events | 2M swapins | large fallbacks | order 0 swapins | "
            "marker waits + poll retries | hangs | bad pages |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"] + rows + [""]


def inversion_table(s):
    rows = []
    for t in ("inversion-2m", "inversion-64k"):
        for m in MODES:
            e = s.get(t, {}).get(m)
            if not e:
                continue
            if "seconds" not in e:
                rows.append("| %s | %s | hang (run timed out) | - | - | - | - | - | - | - |" % (t, m))
                continue
            c = e["counters"]
            rows.append("| %s | %s | %s | %s | %s | %s | %d of %d | %d | %d | %d |" % (
                t, m, fmt(e["worst_us"], 0), fmt(e["worst_per_run_us"]["median"], 0),
                fmt(e["waiter_us"]["median"], 0), fmt(e["owner_us"]["median"], 0),
                e["hung_rounds"], e["inv_rounds"],
                c.get("shmem_swapin_marker_wait", 0), c.get("shmem_swapin_poll_retry", 0),
                c.get("shmem_swapin_wasted", 0)))
    if not rows:
        return []
    return ["Priority inversion (`inversion-*`: on CPU 0, a SCHED_OTHER owner faults a swapped-out "
            "large entry, the device held 5 ms longer via debug_delay_us; 2 ms later a SCHED_FIFO "
            "waiter on the same CPU faults the middle of the same entry; a watchdog demotes a waiter "
            "still waiting after 5 s and counts the round as hung; all rounds of all runs):\n",
            "| workload | mode | worst waiter us | median of per-run worst us | median waiter us | "
            "median owner us | rounds hung (watchdog) | marker waits | poll retries | wasted allocs |",
            "|---|---|---|---|---|---|---|---|---|---|"] + rows + [""]


def targets(s, fs):
    rows = []

    def row(name, target, value, ok):
        rows.append("| %s | %s | %s | %s |" % (name, target, value,
                                              "met" if ok else "not met" if ok is not None else "-"))
    for t, name in (("seq-mmap", "sequential swapin, mmap"), ("seq-read", "sequential swapin, read()"),
                    ("rand-mmap", "random 4 KiB swapin")):
        r = ratio(s, t, "bypass")
        row(name + ": bypass time / swapcache time", "<= 0.90", fmt(r, 3),
            None if r is None else r <= 0.90)
    # issue 16: order 0 at the default page-cluster 3, with batches (bypass-nobatch is the
    # bypass with /sys/kernel/mm/shmem_swapin/batch 0, when the run has it)
    for t, name, goal in (("seq-mmap", "sequential mmap", 0.60), ("seq-read", "sequential read()", 0.75),
                          ("seq-mmap-half", "half-resident mmap", 0.70),
                          ("rand-mmap", "random 4 KiB mmap", 0.91)):
        r = ratio(s, t, "bypass")
        if r is not None:
            row("%s, order 0, page-cluster 3 (issue 16): bypass time / swapcache time" % name,
                "<= %.2f" % goal, fmt(r, 3), r <= goal)
    for t in ("seq-mmap", "seq-read", "seq-mmap-half", "rand-mmap"):
        try:
            c, b = s[t]["swapcache"]["counters"], s[t]["bypass"]["counters"]
            row("%s: pages read (pswpin) bypass / swapcache" % t, "<= 1.00",
                fmt(div(b["pswpin"], c["pswpin"]), 3), b["pswpin"] <= c["pswpin"])
            row("%s: pages written (pswpout) bypass - swapcache" % t, "<= 0",
                "%d" % (b["pswpout"] - c["pswpout"]), b["pswpout"] <= c["pswpout"])
        except KeyError:
            pass
    r, q = med(s, "seq-mmap", "bypass"), med(s, "seq-mmap", "poll")
    if r is not None and q:
        row("sequential mmap, order 0: bypass time / poll time", "<= 1.00", fmt(r / q, 3), r <= q)
    for ct in ("contend", "contend-slow"):
        try:
            p = s[ct]["bypass"]["lat_us"]["p99"]
            q = s[ct]["poll"]["lat_us"]["p99"]
            row("%s p99, all rounds pooled: bypass / poll" % ct, "<= 0.10",
                fmt(p / q if q else None, 3), None if not q else p / q <= 0.10)
            p = s[ct]["bypass"]["p99_per_round"]["median"]
            q = s[ct]["poll"]["p99_per_round"]["median"]
            row("%s p99, median of rounds: bypass / poll" % ct, "<= 0.10",
                fmt(p / q if q else None, 3), None if not q else p / q <= 0.10)
            p = s[ct]["bypass"]["lat_us"]["p999"]
            q = s[ct]["poll"]["lat_us"]["p999"]
            row("%s p99.9 (context): bypass / poll" % ct, "-", fmt(p / q if q else None, 3), None)
        except KeyError:
            pass
    for key in ("read-psync", "read-mmap"):
        try:
            a = fs[key]["bypass"]["read"]["iops"]["median"]
            b = fs[key]["swapcache"]["read"]["iops"]["median"]
            row("fio %s IOPS: bypass / swapcache" % key, ">= 1.30", fmt(a / b, 3), a / b >= 1.30)
        except KeyError:
            pass
    for key in ("randread-psync", "randread-mmap"):
        try:
            a = fs[key]["bypass"]["read"]["iops"]["median"]
            b = fs[key]["swapcache"]["read"]["iops"]["median"]
            row("fio %s IOPS: bypass / swapcache" % key, ">= 1.10", fmt(a / b, 3), a / b >= 1.10)
        except KeyError:
            pass
    for size, t in SIZES:
        by, sc, po = med(s, t, "bypass"), med(s, t, "swapcache"), med(s, t, "poll")
        if size in SIZE_TARGET and by is not None and sc:
            row("%s sequential swapin: bypass time / swapcache time" % size,
                "<= %.2f" % SIZE_TARGET[size], fmt(by / sc, 3), by / sc <= SIZE_TARGET[size])
        if by is not None and po:
            row("%s sequential swapin: bypass time / poll time" % size, "<= 1.00",
                fmt(by / po, 3), by / po <= 1.0)
    try:
        a = s["seq-mmap"]["bypass"]["peak_shmem_kb"]["median"]
        b = s["seq-mmap"]["swapcache"]["peak_shmem_kb"]["median"]
        row("peak Shmem during seq-mmap: bypass / swapcache", "<= 1.00", fmt(a / b, 3), a <= b * 1.01)
    except KeyError:
        pass
    return ["| target | goal | measured | |", "|---|---|---|---|"] + rows


def plots(img, datdir, label, s, stamp):
    os.makedirs(img, exist_ok=True)
    dat = os.path.join(datdir, "plot-%s-%s" % (label, stamp))
    os.makedirs(dat, exist_ok=True)
    tests = [t for t in ("seq-mmap", "seq-read", "rand-mmap", "anon-seq") if t in s]
    with open(os.path.join(dat, "times.dat"), "w") as f:
        f.write("test swapcache bypass poll anon\n")
        for t in tests:
            vals = []
            for m in ("swapcache", "bypass", "poll", "n/a"):
                e = s[t].get(m)
                vals.append("%.4f" % e["seconds"]["median"] if e and "seconds" in e else "0")
            f.write("%s %s\n" % (t, " ".join(vals)))
    large = [(size, t) for size, t in SIZES if t in s]
    with open(os.path.join(dat, "large.dat"), "w") as f:
        f.write("size swapcache poll bypass\n")
        for size, t in large:
            f.write("%s %s\n" % (size, " ".join("%.4f" % (med(s, t, m) or 0)
                                              for m in ("swapcache", "poll", "bypass"))))
    gp = """set terminal pngcairo size 900,500
set output '%s/bench-%s-swapin-time.png'
set title 'Swapin time per mode (%s, median of rounds)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'seconds'
set key top left
plot '%s/times.dat' using 2:xtic(1) title 'swapcache', '' using 3 title 'bypass (marker)', '' using 4 title 'poll (peer)', '' using 5 title 'anonymous'
""" % (img, label, label, dat)
    if len(large) > 1:
        gp += """set output '%s/bench-%s-large-time.png'
set title 'Sequential swapin by folio size (%s, median of rounds)'
plot '%s/large.dat' using 2:xtic(1) title 'swapcache', '' using 3 title 'poll (peer)', '' using 4 title 'bypass (marker)'
""" % (img, label, label, dat)
    CDF_TEST[0] = "contend-slow" if "contend-slow" in s else "contend"
    if CDF_TEST[0] in s:
        for m in MODES:
            e = s["contend"].get(m)
            if not e:
                continue
        gp += "set output '%s/bench-%s-contention-cdf.png'\n" % (img, label)
        gp += "set title 'Per-fault latency, 16 threads on one swapped-out page (%s, %s)'\n" % (CDF_TEST[0], label)
        gp += "set style data lines\nset logscale x\nset xlabel 'latency (us)'\nset ylabel 'fraction of faults'\nset key bottom right\n"
        parts = []
        for m in MODES:
            # recompute the CDF from the pooled latencies
            pass
        gp += "plot " + ", ".join("'%s/cdf-%s.dat' using 1:2 with lines lw 2 title '%s'" % (dat, m, m)
                                  for m in MODES if os.path.exists(os.path.join(dat, "cdf-%s.dat" % m))) + "\n"
    with open(os.path.join(dat, "plot.gp"), "w") as f:
        f.write(gp)
    return dat, gp


def write_cdfs(dat, data):
    for m in MODES:
        lat = sorted(x for r in data["runs"] if r["test"] == CDF_TEST[0] and r["mode"] == m
                     for x in r.get("lat_all_us", []))
        if not lat:
            continue
        with open(os.path.join(dat, "cdf-%s.dat" % m), "w") as f:
            n = len(lat)
            step = max(1, n // 2000)
            for i in range(0, n, step):
                f.write("%.2f %.5f\n" % (max(lat[i], 0.1), (i + 1) / n))
            f.write("%.2f 1.0\n" % max(lat[-1], 0.1))


def main():
    top = sys.argv[1]
    args = sys.argv[2:]
    outdir, docs = None, True
    if args and args[0] == "--out":
        outdir, args = args[1], args[2:]
        docs = bool(args) and args[0] == "--docs"
        if docs:
            args = args[1:]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    everything = {"generated": stamp, "runs": {}}
    what = "make bench-host" if outdir else "make bench"
    md = ["<!-- generated by bench/report.py from %s; do not edit by hand -->" % what,
          "## Results of the last `%s` (%s)\n" % (what, stamp)]
    # the images next to the Markdown that links them
    img = os.path.join(outdir, "img") if outdir else os.path.join(top, "docs", "img")
    datdir = outdir or os.path.join(top, "results")
    for arg in args:
        label, d = arg.split("=", 1)
        data = load_dir(d)
        s, fs = summarise(data)
        everything["runs"][label] = {"dir": d, "meta": data["meta"], "raw": data["runs"],
                                     "fio_raw": data["fio"], "summary": s, "fio_summary": fs}
        md.append(markdown(label, data, s, fs))
        md.append("Targets (%s run):\n" % label)
        md.extend(targets(s, fs))
        md.append("")
        dat, _ = plots(img, datdir, label, s, stamp)
        write_cdfs(dat, data)
        _, gp = plots(img, datdir, label, s, stamp)
        try:
            subprocess.run(["gnuplot", os.path.join(dat, "plot.gp")], check=True,
                           stderr=subprocess.DEVNULL)
            md.append("![swapin time, %s](img/bench-%s-swapin-time.png)\n" % (label, label))
            if sum(t in s for _, t in SIZES) > 1:
                md.append("![swapin time by folio size, %s](img/bench-%s-large-time.png)\n" % (label, label))
            if CDF_TEST[0] in s:
                md.append("![contention latency CDF, %s](img/bench-%s-contention-cdf.png)\n" % (label, label))
        except (OSError, subprocess.CalledProcessError) as e:
            md.append("(plots failed: %s)\n" % e)
    if outdir:
        out = os.path.join(outdir, "bench.json")
        mds = [os.path.join(outdir, "report.md")]
    else:
        out = os.path.join(top, "results", "bench-%s.json" % stamp)
        mds = []
    if docs:
        mds.append(os.path.join(top, "docs", "benchmarks-results.md"))
        if outdir:
            os.makedirs(os.path.join(top, "docs", "img"), exist_ok=True)
            for png in glob.glob(os.path.join(img, "*.png")):
                shutil.copy(png, os.path.join(top, "docs", "img"))
    with open(out, "w") as f:
        json.dump(everything, f, indent=1)
    for p in mds:
        with open(p, "w") as f:
            f.write("\n".join(md) + "\n")
    print("\n".join(md))
    print("raw numbers: %s" % out)
    if outdir:
        print("report: %s" % " and ".join(mds))


if __name__ == "__main__":
    main()
