#!/usr/bin/env python3
"""Fill in the cover letter that 'git format-patch --cover-letter' leaves with placeholders.

    cover-letter.py COVER BENCH_JSON DESIGN_MD BASE_NAME

COVER is rewritten in place: '*** SUBJECT HERE ***' becomes the series' title and
'*** BLURB HERE ***' the text below: the problem, the design in one paragraph, the numbers of
BENCH_JSON (the newest results/bench-*.json of 'make bench'; may be empty: then no numbers),
what was tested, and the known limits, taken from section 10 of DESIGN_MD. BASE_NAME says
which source the base commit is. Output depends on the inputs only (no clock, no host names).
"""
import json
import os
import re
import sys
import textwrap

TITLE = "mm/shmem: swapin bypassing the swap cache, synchronised by markers"
WIDTH = 72
MODES = ("swapcache", "bypass", "bypass-nobatch", "poll")


def para(text, indent="", first=None):
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=first or indent,
                         subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False)


def ascii_only(text):
    for a, b in (("\u00a7", "section "), ("\u2014", "--"), ("\u2013", "-"), ("\u2019", "'"),
                 ("\u201c", '"'), ("\u201d", '"'), ("\u2264", "<="), ("\u2265", ">="),
                 ("\u00d7", "x"), ("\u2192", "->"), ("\u2026", "...")):
        text = text.replace(a, b)
    return text.encode("ascii", "replace").decode("ascii")


def strip_md(text):
    text = text.replace("**", "").replace("`", "")
    return re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", text)


def limits(design):
    """Bullets of the 'Known limitations' section (## 10.) of docs/design.md."""
    try:
        with open(design, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out, inside, cur = [], False, None
    for line in lines:
        if line.startswith("## "):
            if inside:
                break
            inside = line.startswith("## 10.")
            continue
        if not inside:
            continue
        if line.startswith("- "):
            if cur:
                out.append(cur)
            cur = line[2:]
        elif line.strip() and cur is not None:
            cur += " " + line.strip()
        elif not line.strip() and cur:
            out.append(cur)
            cur = None
    if cur:
        out.append(cur)
    return [strip_md(b) for b in out]


def med(e, *keys):
    try:
        for k in keys:
            e = e[k]
        return e["median"] if isinstance(e, dict) else e
    except (KeyError, TypeError):
        return None


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: "  " + "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                     for i, (c, w) in enumerate(zip(r, widths)))
    return [fmt(header).rstrip()] + [fmt(r).rstrip() for r in rows]


def section(caption, header, rows):
    """A captioned table, or nothing when there are no rows."""
    if not rows:
        return []
    return ["", para(caption), ""] + table(header, rows)


def machine(label, meta):
    accel = meta.get("accel")
    if not accel:
        accel = ("TCG, -icount: times are guest time from an instruction count"
                 if label == "icount" else "accelerator not recorded; make bench runs TCG")
    return ("%s run: QEMU guest (%s), %s vCPU(s), %d MiB, kernel %s, zram %s %s, "
            "vm.page-cluster=%s, %s round(s), modes %s interleaved in one boot" % (
                label, accel, meta.get("cpus"), int(meta.get("mem_kb", 0)) // 1024,
                meta.get("kernel"), meta.get("zram_algo"), meta.get("zram_size"),
                meta.get("page_cluster"), meta.get("rounds"), meta.get("modes")))


def numbers(path):
    if not path or not os.path.exists(path):
        return ["No make bench results were found when this letter was generated."]
    with open(path) as f:
        data = json.load(f)
    out = [para("From make bench (results/%s, generated %s); the kernel is the series plus a "
                "benchmark-only patch that adds the polling peer as mode \"poll\" "
                "(swapcache_prepare() and a one-tick retry, the design of the anonymous "
                "bypass), so that all modes run in one boot; bypass-nobatch, where a run has "
                "it, is the bypass with batches (patch 9) switched off." % (
                    os.path.basename(path), data.get("generated", "?")))]
    for label, run in sorted(data.get("runs", {}).items(), key=lambda kv: kv[0] != "wall"):
        meta, s, fs = run.get("meta", {}), run.get("summary", {}), run.get("fio_summary", {})
        out += ["", para(machine(label, meta) + ".")]
        rows = []
        for t in ("seq-mmap", "seq-read", "rand-mmap", "seq-mmap-half", "seq-mmap-64k",
                  "seq-mmap-2m"):
            base = med(s.get(t, {}), "swapcache", "seconds")
            for m in MODES:
                v = med(s.get(t, {}), m, "seconds")
                if v is None:
                    continue
                rows.append((t, m, "%.3f" % v, "%.3f" % (v / base) if base else "-"))
        out += section("Swapin of a swapped-out tmpfs file (median seconds; -half: every "
                       "other 32 KiB block resident and unmapped; -64k: mTHP of an anonymous "
                       "shared mapping; -2m: huge=always tmpfs):",
                       ("workload", "mode", "s", "vs swapcache"), rows)
        rows = []
        for job in sorted(fs):
            base = med(fs[job], "swapcache", "read", "iops")
            for m in MODES:
                v = med(fs[job], m, "read", "iops")
                if v is None:
                    continue
                rows.append((job, m, "%.0f" % v, "%.3f" % (v / base) if base else "-",
                             "%.1f" % (med(fs[job], m, "read", "clat_p99_us") or 0)))
        out += section("fio over a tmpfs file in a memory cgroup limited to half of it, "
                       "4 KiB blocks (median read IOPS):",
                       ("job", "mode", "IOPS", "vs swapcache", "p99 us"), rows)
        for t, what in (("contend", "16 threads fault the same swapped-out page"),
                        ("contend-slow", "the same with the read held 500 us longer")):
            rows = []
            for m in MODES:
                lat = s.get(t, {}).get(m, {}).get("lat_us")
                if lat:
                    rows.append((m, lat["p50"], lat["p99"], lat["p999"], lat["max"]))
            out += section("Contention '%s' (%s), fault latency in us, all rounds pooled:"
                           % (t, what), ("mode", "p50", "p99", "p99.9", "max"), rows)
        rows = []
        for m in ("bypass", "poll", "poll-wq"):
            e = s.get("contend-multi", {}).get(m)
            if e:
                c = e.get("counters_per_run", {})
                rows.append((m, "%.3f" % med(e, "seconds"), e.get("lat_us", {}).get("p99", "-"),
                             med(c, "shmem_swapin_wasted") if "shmem_swapin_wasted" in c else "-"))
        out += section("Contention 'contend-multi' (8 groups of 4 threads, each group on its "
                       "own page, 500 us device delay; poll-wq sleeps on a wait queue every "
                       "unpin wakes, as the anonymous bypass does):",
                       ("mode", "median s", "p99 us", "folios wasted per run"), rows)
        rows = []
        for t in ("inversion-2m", "inversion-64k"):
            for m in ("bypass", "poll", "poll-wq", "poll-nosleep"):
                e = s.get(t, {}).get(m)
                if e and e.get("worst_us") is not None:
                    rows.append((t, m, "%.0f" % e["worst_us"], e.get("hung_rounds", "-")))
        out += section("Priority inversion on one CPU (a SCHED_FIFO task faults inside a "
                       "large entry whose SCHED_OTHER owner is reading, device held 5 ms "
                       "longer; poll-nosleep retries at once, as upstream v6.14 did), worst "
                       "waiter latency in us:",
                       ("workload", "mode", "worst us", "rounds hung"), rows)
    return out


def blurb(bench, design, base_name):
    b = []
    b.append(para(
        "On swap devices with SWP_SYNCHRONOUS_IO (zram, brd, pmem) anonymous memory is swapped "
        "in without the swap cache, but shmem and tmpfs still take the whole swap cache path: "
        "allocate a folio, add it to the swap cache, read into it, move it to the page cache "
        "and delete it from the swap cache again. The anonymous bypass keeps two swapins of "
        "one entry apart with swapcache_prepare(): the task that loses the race cannot know "
        "when the winner is done, so it sleeps a tick and tries again (the same polling "
        "design has been proposed for shmem). Its tail latency under contention is a "
        "multiple of the tick, and a retry without the sleep can livelock against a "
        "preempted winner."))
    b.append("")
    b.append(para(
        "This series skips the swap cache for shmem too and synchronises in the mapping "
        "itself. The task that swaps in (the owner) replaces the swap entry in the shmem "
        "mapping's xarray with a marker: a non-swap value entry that names the swap entry "
        "it stands for, so no later marker at that index can be taken for it. It then reads "
        "into a private folio and replaces the marker with the folio. Everyone else who "
        "meets the marker (faults, read(), splice, fallocate, swapoff, ...) sleeps on a "
        "hashed wait queue keyed by (mapping, index), as fs/dax.c does for its locked "
        "entries, and is woken when the marker goes. Truncation and hole punch remove a "
        "marker and hand the swap slot to its owner, which frees it after its read and "
        "drops its folio: each slot is freed exactly once and no stale data reaches a "
        "hole. /sys/kernel/mm/shmem_swapin/mode switches between \"bypass\" (default) and "
        "\"swapcache\" at run time; /proc/vmstat gains shmem_swapin_{bypass,swapcache,"
        "fallback,marker_wait,handoff}."))
    b.append("")
    b.append(para(
        "Patch 1 is a fix for 6.12.y as it is, and can be taken alone: truncating a tmpfs "
        "file to a page boundary inside a large swap entry never returns (shmem_undo_range() "
        "skips the crossing entry and starts over for ever, holding i_rwsem); it splits the "
        "entry instead, reading nothing. Of the bypass, "
        "the counters come first, then the marker encoding, the wait queues and the mode "
        "switch (mm/shmem/swapin.[ch]), then what every shmem site that can meet a marker "
        "does with it, and only then the bypass that creates markers; the shortlog below "
        "lists every patch. The protocol was model-checked with spin (slot freed once, no install "
        "after marker loss, one reader per slot, no lost wake-up, no deadlock)."))
    b.append("")
    b.append(para(
        "Patch 7 swaps a large swap entry (an mTHP of an anonymous shared mapping, a PMD "
        "folio of a huge= tmpfs or memfd) in whole, as one folio of the entry's order, under "
        "one marker of that order: whoever meets it at any index inside waits on its first "
        "index. Whether the large attempt can be made (no userfaultfd, zswap never enabled, "
        "no slot in the swap cache, every count the shmem count, the folio and its charge "
        "obtained) is decided before the claim; otherwise the entry is split and swapped in "
        "page by page as before, so a cached slot inside the entry never makes the swapin "
        "retry. A large owner that fails after its claim replaces its marker by the order-0 "
        "entries of its slots under the same lock, before it wakes anyone, so nobody tries "
        "the large swapin again; a truncation that meets a large marker across its new size "
        "waits on it. Patch 8, independent of the marker, lets a fault on a swapped-out "
        "page skip fault-around when no neighbour can be mapped."))
    b.append("")
    b.append(para(
        "Patch 9 lets an order 0 swapin that continues a sequential run (or a VM_SEQ_READ "
        "vma) take the rest of its swap readahead window (2^page-cluster pages, at most 16, "
        "inside the vma) with it, where the neighbours sit on the slots that follow its own: "
        "one marker each, claimed in one walk, every marker rule holding per page; a read "
        "fault then maps them, so their faults never come. Random access never batches, "
        "and no batch is charged to a cgroup that could not reclaim it "
        "(/sys/kernel/mm/shmem_swapin/batch, counter shmem_swapin_batch). Patch 10 adds "
        "trace events: claim, install, wait with the time waited, handoff, fallback with "
        "its reason, batch. Patch 11 adds swap_read_folios(), which reads folios for "
        "consecutive slots of a synchronous device with one bio per run; patch 12 reads a "
        "batch with it and installs the batch under one xarray lock. Patch 13 adds "
        "swap_free_nr_pinned(), which drops a slot's reference and the swapin's "
        "SWAP_HAS_CACHE pin under one cluster lock, for every bypass swapin; patch 14 "
        "pins a batch's slots with one swapcache_prepare() when they lie in one swap "
        "cluster, and frees each run of installed neighbours in one go."))
    b.append("")
    b.append("Numbers")
    b.append("-------")
    b.append("")
    b += numbers(bench)
    b.append("")
    b.append("Testing")
    b.append("-------")
    b.append("")
    for item in (
            "make test: the debug kernel (lockdep, KASAN, DEBUG_VM, panic_on_warn) under QEMU "
            "with swap on zram: the spin model check, a smoke test in both modes, our "
            "kselftests (races of faults, read() and splice against each other, truncation, "
            "hole punch, eviction and swapoff; memcg charge failure; SysV shm; zswap "
            "writeback; large swap entries), each checking data, accounting and that the "
            "path under test ran, and a bounded subset of the kernel's memfd and mm "
            "selftests;",
            "make negative: the same suite fails on kernels with a deliberately broken "
            "protocol;",
            "make stress: the race selftests, fio with verify and stress-ng over tmpfs "
            "under memory pressure, for a given duration;",
            "make check-series: every prefix of the series compiles with W=1 and no new "
            "warning, and the whole series without CONFIG_SWAP, CONFIG_TRANSPARENT_HUGEPAGE, "
            "CONFIG_MEMCG, CONFIG_ZSWAP and CONFIG_SHMEM; these very patches were git am'd "
            "onto the base and each commit built;",
            "make upstream: the kernel's memfd, mm and cgroup selftests give the same "
            "results on the stock kernel and with the series."):
        b.append(para(item, indent="  ", first="- "))
    b.append(para("(docs/testing.md of the development repository has the details and the "
                  "results.)"))
    lim = limits(design)
    if lim:
        b.append("")
        b.append("Known limits")
        b.append("------------")
        b.append("")
        for item in lim:
            b.append(para(item, indent="  ", first="- "))
    b.append("")
    m = re.match(r"deb:([^=]+)=(.*)", base_name)
    if m:
        base_name = ("Linux %s as Debian ships it in %s %s (stable plus Debian's patches)" % (
            m.group(2).split("-")[0], m.group(1), m.group(2)))
    else:
        base_name = "the 6.12.y tree given as KSRC (%s)" % base_name.split(":", 1)[-1]
    b.append(para("Based on %s; the base-commit below is that tree imported as one commit, "
                  "not a commit of the stable tree (docs/series.md of the development repository "
                  "lists the other 6.12.y versions the series was tried on)." % base_name))
    return ascii_only("\n".join(b))


def main():
    cover, bench, design, base_name = sys.argv[1:5]
    with open(cover, encoding="utf-8") as f:
        text = f.read()
    if "*** SUBJECT HERE ***" not in text or "*** BLURB HERE ***" not in text:
        sys.exit("cover-letter.py: %s has no format-patch placeholders" % cover)
    text = text.replace("*** SUBJECT HERE ***", TITLE, 1)
    text = text.replace("*** BLURB HERE ***", blurb(bench, design, base_name), 1)
    with open(cover, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
