#!/bin/sh
# The shmem_swapin trace events in use, for docs/observability.md: raw tracefs (enable,
# trace, trace_pipe, a filter, a hist trigger if the kernel has them), then perf (list,
# stat, record + script, trace) over swapin_bench and the shmem_swapin_trace selftest.
# Every command is echoed with "$ " before its output. Needs a kernel with the series'
# patch 0010 and CONFIG_TRACEPOINTS (the test kernel: make kernel KCONF=test).
# Parameters (job.env): DEMO_MB=16 (the swapin_bench file)
. "$TOP/guest/setup.sh"
: "${DEMO_MB:=16}"
ZRAM_SIZE=${ZRAM_SIZE:-512M} TMPFS_SIZE=${TMPFS_SIZE:-256M}
B=$TOP/bench/bin/swapin_bench
T=$TOP/selftests/bin/shmem_swapin_trace
setup_zram || exit 1
setup_tmpfs || exit 1
set_swapin_mode bypass || exit 1
fail=0
run() {
	echo "\$ $*"
	sh -c "$*" 2>&1 || { echo "# (exit status $?)"; }
}

TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs nodev $TR || { echo "# no tracefs"; exit 1; }
[ -d $TR/events/shmem_swapin ] || { echo "# no shmem_swapin events"; exit 1; }
cd $TR || exit 1
echo "## raw tracefs"
run "ls events/shmem_swapin/"
run "cat events/shmem_swapin/shmem_swapin_fallback/format"
run "echo 1 > events/shmem_swapin/enable"
run "cat trace_pipe > /tmp/pipe.txt & echo \$! > /tmp/pipe.pid"
run "$B seq-mmap $TMPFS_DIR $DEMO_MB | cut -c1-120"
run "sleep 1; kill \$(cat /tmp/pipe.pid)"
run "echo 0 > events/shmem_swapin/enable"
run "head -n 12 /tmp/pipe.txt"
run "awk '{print \$5}' /tmp/pipe.txt | sort | uniq -c"
echo "## a filter: only batches that installed fewer neighbours than they claimed"
run "echo > trace"
run "echo 'installed < claimed' > events/shmem_swapin/shmem_swapin_batch/filter"
run "echo 1 > events/shmem_swapin/shmem_swapin_batch/enable"
run "$B seq-mmap $TMPFS_DIR $DEMO_MB > /dev/null"
run "echo 0 > events/shmem_swapin/shmem_swapin_batch/enable"
run "echo 0 > events/shmem_swapin/shmem_swapin_batch/filter"
run "grep -vc '^#' trace"
echo "## hist triggers"
run "ls events/shmem_swapin/shmem_swapin_fallback/"
run "echo 'hist:keys=reason' > events/shmem_swapin/shmem_swapin_fallback/trigger"
run "cat events/shmem_swapin/shmem_swapin_fallback/hist"
cd / || exit 1

echo "## perf"
command -v perf >/dev/null || { echo "# no perf on the host root"; exit 1; }
run "perf --version"
run "perf list 'shmem_swapin:*' 2>/dev/null | grep shmem_swapin"
run "perf stat -e 'shmem_swapin:*' -a -- $B seq-mmap $TMPFS_DIR $DEMO_MB > /dev/null"
# the selftest makes every event fire: waits, handoffs, a fallback, batches
run "perf record -q -e 'shmem_swapin:*' -a -o /tmp/perf.data -- $T > /tmp/selftest.txt 2>&1; tail -n 2 /tmp/selftest.txt"
run "perf script -i /tmp/perf.data -F comm,pid,event,trace | grep -v '^ *perf' | head -n 24"
# fallbacks by reason, and marker waits per file, from perf script's output
run "perf script -i /tmp/perf.data -F event,trace | awk '/shmem_swapin_fallback/ { for (i = 1; i <= NF; i++) if (\$i ~ /^reason=/) n[\$i]++ } END { for (r in n) print n[r], r }'"
run "perf script -i /tmp/perf.data -F event,trace | awk '/shmem_swapin_wait_end/ { for (i = 1; i <= NF; i++) { if (\$i ~ /^ino=/) f = \$i; if (\$i ~ /^waited_ns=/) { split(\$i, w, \"=\"); t[f] += w[2]; n[f]++ } } } END { for (f in n) printf \"%s waits=%d total_ms=%.1f\\n\", f, n[f], t[f] / 1e6 }'"
run "perf trace --no-syscalls -e 'shmem_swapin:*' -- $B seq-mmap $TMPFS_DIR 1 2>&1 >/dev/null | head -n 8"
exit $fail
