#!/usr/bin/env bash
# make trace-cost: what the shmem_swapin trace events cost while disabled, under -icount
# (deterministic guest time). Two kernels of the trace config (configs/trace.config: the
# bench kernel with CONFIG_TRACEPOINTS, ftrace, BPF), built from the same tree:
#   events:   the series as it is: the events compiled in, and off (nobody enabled them)
#   noevents: the same tree with NOTRACE defined at the top of mm/shmem.c and
#             mm/shmem/swapin.c: every trace_shmem_swapin_*() is an empty inline there, as
#             if the series had no events; everything else is the same kernel
# Each kernel boots TC_BOOTS times (default 2) and runs the sequential (mmap faults, pread)
# and random workloads in swapcache and bypass mode; prints seconds per boot and the ratio of
# the means. Parameters: TC_BOOTS=2, TC_SEQ_MB=256, TC_RAND_MB=64.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
boots=${TC_BOOTS:-2}
peer=$BUILD/linux-peer
nt=$BUILD/linux-notrace
[ -f "$peer/Makefile" ] || die "no prepared tree at $peer: run 'make tree-peer'"

# the noevents tree: hard links to the bench tree, the two files copied and changed
stamp=$(cat "$peer/.shmbp-stamp" 2>/dev/null || echo none)
if [ "$(cat "$nt/.shmbp-notrace" 2>/dev/null)" != "$stamp" ]; then
	note "preparing $nt (hard links to $peer; NOTRACE in mm/shmem.c, mm/shmem/swapin.c)"
	rm -rf "$nt"
	cp -al "$peer" "$nt"
	for f in mm/shmem.c mm/shmem/swapin.c; do
		rm "$nt/$f"
		{ echo '#define NOTRACE	/* make trace-cost: the events compiled out */'; cat "$peer/$f"; } > "$nt/$f"
	done
	echo "$stamp" > "$nt/.shmbp-notrace"
fi
ev=$("$TOP/scripts/kernel.sh" trace)
noev=$(TRACE_SRC=$nt "$TOP/scripts/kernel.sh" trace notrace)
# the events are there, and not in the other
grep -q __tracepoint_shmem_swapin_claim "$(dirname "$ev")/../../../System.map" ||
	die "the trace kernel has no shmem_swapin events"
if grep -q __tracepoint_shmem_swapin_claim "$(dirname "$noev")/../../../System.map"; then
	die "the noevents kernel still has the shmem_swapin tracepoints"
fi

out=$TOP/results/trace-cost-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
for b in $(seq 1 "$boots"); do
	for k in events noevents; do
		img=$ev
		[ "$k" = noevents ] && img=$noev
		note "boot $b of $boots: $k"
		d=$(WALL=0 REPORT=0 MODES="swapcache bypass" ICOUNT_PARTS="seq rand" \
			RAND_MB=${TC_RAND_MB:-64} ICOUNT_SEQ_MB=${TC_SEQ_MB:-256} \
			"$TOP/scripts/bench.sh" "$img" | sed -n 's/^icount=//p')
		[ -f "$d/bench.jsonl" ] || die "no bench.jsonl from the $k boot ($d)"
		cp "$d/bench.jsonl" "$out/$k-$b.jsonl"
	done
done
python3 - "$out" <<'PY'
import glob, json, os, sys, statistics
out = sys.argv[1]
runs = {}
for p in sorted(glob.glob(os.path.join(out, "*.jsonl"))):
    kernel = os.path.basename(p).rsplit("-", 1)[0]
    for line in open(p):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r.get("bad_pages"):
            sys.exit("bad pages in %s" % p)
        runs.setdefault((r["test"], r["mode"]), {}).setdefault(kernel, []).append(r["seconds"])
lines = ["| workload | mode | events compiled in, off (s) | compiled out (s) | in / out |",
         "|---|---|---|---|---|"]
worst = 0
for (test, mode), k in sorted(runs.items()):
    a, b = k.get("events", []), k.get("noevents", [])
    if not a or not b:
        continue
    ratio = statistics.mean(a) / statistics.mean(b)
    worst = max(worst, ratio)
    lines.append("| %s | %s | %s | %s | %.4f |" % (test, mode, ", ".join("%.4f" % x for x in a),
                                                  ", ".join("%.4f" % x for x in b), ratio))
lines.append("")
lines.append("largest ratio of means: %.4f" % worst)
text = "\n".join(lines)
print(text)
open(os.path.join(out, "summary.md"), "w").write(text + "\n")
PY
echo "results: $out"
