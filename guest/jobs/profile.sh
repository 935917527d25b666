#!/bin/sh
# scripts/profile.sh, in the guest: perf record (software cpu-clock event, kernel callchains) of
# the timed part only of each sequential swapin workload, per mode; meant for an icount boot,
# where the clock counts instructions, so samples fall in proportion to instructions.
# Parameters (job.env): PROF_MB=512 PROF_MODES="swapcache bypass poll" PROF_TESTS="seq-mmap
#   seq-read anon-seq" PROF_PERIOD=1000000 (ns of guest time between samples; 50000 made the runs 5-7x slower) FAULT_AROUND_BYTES
# Output: perf-<test>-<mode>.data, kallsyms, bench.jsonl, in the results folder.
. "$TOP/guest/setup.sh"
: "${PROF_MB:=512}" "${PROF_MODES:=swapcache bypass poll}" "${PROF_TESTS:=seq-mmap seq-read anon-seq}"
: "${PROF_PERIOD:=1000000}"
ZRAM_SIZE=${ZRAM_SIZE:-2G} TMPFS_SIZE=${TMPFS_SIZE:-3G}
B=$TOP/bench/bin/swapin_bench
setup_zram || exit 1
setup_tmpfs || exit 1
if [ -n "${FAULT_AROUND_BYTES:-}" ]; then
	echo "$FAULT_AROUND_BYTES" > /sys/kernel/debug/fault_around_bytes || exit 1
fi
command -v perf >/dev/null || { echo "# no perf on the host root"; exit 1; }
cp /proc/kallsyms kallsyms
mkfifo /tmp/perf.ctl /tmp/perf.ack
export SWAPIN_BENCH_CTL=/tmp/perf.ctl SWAPIN_BENCH_ACK=/tmp/perf.ack
fail=0
r=1
prof() {
	name=$1
	shift
	out=$(perf record -q -e cpu-clock -c "$PROF_PERIOD" -g -D -1 \
		--control fifo:/tmp/perf.ctl,/tmp/perf.ack -o "perf-$name.data" -- "$@") ||
		{ echo "# FAILED: perf record $*"; fail=1; }
	[ -n "$out" ] && echo "$out" | sed "s/^{/{\"round\": $r, /" >> bench.jsonl
	echo "$out" | cut -c1-200
}
for t in $PROF_TESTS; do
	if [ "$t" = anon-seq ]; then
		mode=anon
		prof "$t" "$B" anon-seq "$PROF_MB"
		continue
	fi
	for mode in $PROF_MODES; do
		set_swapin_mode "$mode" || { fail=1; continue; }
		prof "$t-$mode" "$B" "$t" "$TMPFS_DIR" "$PROF_MB"
	done
done
exit $fail
