#!/bin/sh
# The shmem_swapin trace events in use, for docs/observability.md: raw tracefs (enable,
# trace, trace_pipe, a filter, hist triggers if the kernel has them), perf (list, stat,
# record + script, trace), trace-cmd (list, record + report) and bpftrace
# one-liners (histograms of wait time per file, fallbacks by reason, handoffs, batches),
# over a mix of swapin_bench workloads that makes every event fire without debug knobs.
# Every command is echoed with "$ " before its output. Needs a kernel with the series'
# patch 0010 and CONFIG_TRACEPOINTS; hist triggers and bpftrace need the trace kernel
# (configs/trace.config: make trace-demo). trace-cmd, bpftrace and perf come from the host
# root (Debian packages trace-cmd, bpftrace, linux-perf).
# Parameters (job.env): DEMO_MB=16 (the swapin_bench file)
. "$TOP/guest/setup.sh"
: "${DEMO_MB:=16}"
ZRAM_SIZE=${ZRAM_SIZE:-512M} TMPFS_SIZE=${TMPFS_SIZE:-256M}
B=$TOP/bench/bin/swapin_bench
setup_zram || exit 1
setup_tmpfs || exit 1
set_swapin_mode bypass || exit 1
fail=0
run() {
	echo "\$ $*"
	sh -c "$*" 2>&1 || { echo "# (exit status $?)"; }
}

# a mix that makes every event fire on any kernel with the series (no debug knobs needed):
# sequential faults (claims, installs, batches), threads on one page (waits), 2M entries
# under a memory.max that leaves no room for them (fallbacks: charge; order 0 after the
# split), and holes punched just ahead of a sequential reader (handoffs, when the race
# is met: it is not forced)
HUGE_DIR=/mnt/tmpfs-huge
mkdir -p $HUGE_DIR
mount -t tmpfs -o size=256M,huge=always shmbp-huge $HUGE_DIR || exit 1
setup_cgroup || exit 1
# the mix as a script, for the tools that run a command (bpftrace -c)
cat > /tmp/mix.sh <<MIX
cg=/sys/fs/cgroup/$CG
# waits: batches off, or the first fault of a window takes its neighbours
echo 0 > /sys/kernel/mm/shmem_swapin/batch
$B contend $TMPFS_DIR 4 64 > /dev/null
echo 1 > /sys/kernel/mm/shmem_swapin/batch
$B seq-mmap $TMPFS_DIR $DEMO_MB > /dev/null
# the limit workload runs in the cgroup it limits, and leaves the limit set
sh -c 'echo \$\$ > \$0/cgroup.procs && exec "\$@"' \$cg $B limit $HUGE_DIR \$cg 4 4 1024 light > /dev/null
echo max > \$cg/memory.max
echo max > \$cg/memory.swap.max
$B punchrace $TMPFS_DIR 4 4 > /dev/null
MIX
mix() {
	sh /tmp/mix.sh
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
echo "## a filter: only waits longer than 100 us"
run "echo > trace"
run "echo 'waited_ns > 100000' > events/shmem_swapin/shmem_swapin_wait_end/filter"
run "echo 1 > events/shmem_swapin/shmem_swapin_wait_end/enable"
run "$B contend $TMPFS_DIR 4 64 > /dev/null"
run "echo 0 > events/shmem_swapin/shmem_swapin_wait_end/enable"
run "echo 0 > events/shmem_swapin/shmem_swapin_wait_end/filter"
run "grep -v '^#' trace | head -n 4"
run "grep -vc '^#' trace"
echo "## hist triggers"
run "ls events/shmem_swapin/shmem_swapin_fallback/"
if [ -e events/shmem_swapin/shmem_swapin_fallback/hist ]; then
	run "echo 'hist:keys=reason,order' > events/shmem_swapin/shmem_swapin_fallback/trigger"
	run "echo 'hist:keys=i_ino,waited_ns.log2:sort=i_ino' > events/shmem_swapin/shmem_swapin_wait_end/trigger"
	run "echo 'hist:keys=common_pid.execname:vals=hitcount,claimed,installed' > events/shmem_swapin/shmem_swapin_batch/trigger"
	mix
	run "cat events/shmem_swapin/shmem_swapin_fallback/hist"
	run "cat events/shmem_swapin/shmem_swapin_wait_end/hist"
	run "cat events/shmem_swapin/shmem_swapin_batch/hist"
	run "echo '!hist:keys=reason,order' > events/shmem_swapin/shmem_swapin_fallback/trigger"
	run "echo '!hist:keys=i_ino,waited_ns.log2:sort=i_ino' > events/shmem_swapin/shmem_swapin_wait_end/trigger"
	run "echo '!hist:keys=common_pid.execname:vals=hitcount,claimed,installed' > events/shmem_swapin/shmem_swapin_batch/trigger"
else
	echo "# no hist file: this kernel has no CONFIG_HIST_TRIGGERS (the trace kernel has: make trace-demo)"
	run "echo 'hist:keys=reason' > events/shmem_swapin/shmem_swapin_fallback/trigger"
fi
cd / || exit 1

if command -v trace-cmd >/dev/null; then
	echo "## trace-cmd"
	run "trace-cmd --version 2>&1 | grep -m1 version"
	run "trace-cmd list -e shmem_swapin"
	# batches off: four threads on each page in turn, the three that lose wait
	run "echo 0 > /sys/kernel/mm/shmem_swapin/batch"
	run "trace-cmd record -q -e shmem_swapin -o /tmp/trace.dat -- $B contend $TMPFS_DIR 4 16 > /dev/null"
	run "echo 1 > /sys/kernel/mm/shmem_swapin/batch"
	run "trace-cmd report -i /tmp/trace.dat 2>/dev/null | grep -E 'claim|wait_begin|wait_end|install' | head -n 12"
	run "trace-cmd report -i /tmp/trace.dat 2>/dev/null | grep -E 'fallback|wait_end' | awk '{print \$4, \$NF}' | sort | uniq -c"
	# the whole mix: fallbacks and handoffs by reason, from the report
	run "trace-cmd record -q -e shmem_swapin:shmem_swapin_fallback -e shmem_swapin:shmem_swapin_handoff -o /tmp/mix.dat -- sh /tmp/mix.sh > /dev/null"
	run "trace-cmd report -i /tmp/mix.dat 2>/dev/null | grep -E 'fallback|handoff' | head -n 6"
	# the punched pages read back as zeros, the others as their data
	run "$B punchrace $TMPFS_DIR 4 4 | grep -oE '\"(bad_pages|shmem_swapin_handoff)\": [0-9]+'"
	run "trace-cmd report -i /tmp/mix.dat 2>/dev/null | grep -oE '(fallback|handoff):.*(reason|by)=[a-z_]+' | sed -E 's/:.*(reason|by)=/ /' | sort | uniq -c"
else
	echo "# no trace-cmd on the host root (Debian package trace-cmd)"
fi

if command -v bpftrace >/dev/null; then
	echo "## bpftrace"
	run "bpftrace --version"
	# each one-liner traces the whole system while the mix runs (-c), and prints its maps
	# when the mix is over
	# This kernel has no BTF: bpftrace learns the events' fields from tracefs but not the
	# kernel types they are declared with; a distro kernel with CONFIG_DEBUG_INFO_BTF needs
	# no --include
	run "printf 'typedef unsigned int dev_t;\\ntypedef unsigned long long u64;\\ntypedef unsigned long pgoff_t;\\n' > /tmp/ktypes.h; cat /tmp/ktypes.h"
	bt() {
		echo "\$ bpftrace --include /tmp/ktypes.h -c '/bin/sh /tmp/mix.sh' -e '$1'"
		bpftrace --include /tmp/ktypes.h -c '/bin/sh /tmp/mix.sh' -e "$1" 2>&1 | grep -v '^$'
	}
	bt 'tracepoint:shmem_swapin:shmem_swapin_wait_end { @wait_us[args->i_ino] = hist(args->waited_ns / 1000); }'
	bt 'tracepoint:shmem_swapin:shmem_swapin_fallback { @[args->reason, args->order] = count(); }'
	bt 'tracepoint:shmem_swapin:shmem_swapin_handoff { @[comm, args->by] = count(); }'
	bt 'tracepoint:shmem_swapin:shmem_swapin_batch { @claimed = hist(args->claimed); @short[args->claimed - args->installed] = count(); }'
else
	echo "# no bpftrace on the host root (Debian package bpftrace)"
fi

echo "## perf"
command -v perf >/dev/null || { echo "# no perf on the host root"; exit 1; }
run "perf --version"
run "perf list 'shmem_swapin:*' 2>/dev/null | grep shmem_swapin"
run "perf stat -e 'shmem_swapin:*' -a -- $B seq-mmap $TMPFS_DIR $DEMO_MB > /dev/null"
# the mix makes every event fire: waits, batches, fallbacks, handoffs (when met)
run "perf record -q -e 'shmem_swapin:*' -a -o /tmp/perf.data -- sh /tmp/mix.sh"
run "perf script -i /tmp/perf.data -F comm,pid,event,trace 2>/dev/null | grep -v '^ *perf' | head -n 24"
# fallbacks by reason, and marker waits per file, from perf script's output
run "perf script -i /tmp/perf.data -F event,trace 2>/dev/null | awk '/shmem_swapin_fallback/ { for (i = 1; i <= NF; i++) if (\$i ~ /^reason=/) n[\$i]++ } END { for (r in n) print n[r], r }'"
run "perf script -i /tmp/perf.data -F event,trace 2>/dev/null | awk '/shmem_swapin_wait_end/ { for (i = 1; i <= NF; i++) { if (\$i ~ /^ino=/) f = \$i; if (\$i ~ /^waited_ns=/) { split(\$i, w, \"=\"); t[f] += w[2]; n[f]++ } } } END { for (f in n) printf \"%s waits=%d total_ms=%.1f\\n\", f, n[f], t[f] / 1e6 }'"
run "perf trace --no-syscalls -e 'shmem_swapin:*' -- $B seq-mmap $TMPFS_DIR 1 2>&1 >/dev/null | head -n 8"
exit $fail
