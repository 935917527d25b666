#!/bin/sh
# The limit workload of make bench (16 threads on each of 4 swapped-out 2M shmem entries, the
# program limiting its own cgroup to usage + HEADROOM KiB with memory.swap.max 0), many times
# in one boot, to catch the bypass hang seen once in bench-20261205-022445.
#   JOB_ENV: LH_RUNS=30 LH_MODE=bypass LH_THREADS=16 LH_ENTRIES=4 LH_HEADROOM_KB=1024
#            LH_KIND=light|hugepage LH_TIMEOUT=60 LH_PRE="" (e.g. "loop": a loop-2m run in
#            an 8M cgroup before each run, as the bench does before the limit part)
#            LH_PROBE=1 (after a hang, read the file from another process first)
#            LH_CONTINUE=0 (after a hang: 1 goes on with a fresh cgroup if the hung process
#            could be freed)
#   scripts/guest.sh build/img/old-bench-bzImage guest/jobs/limithang.sh limithang 600
# When a run is still going after LH_TIMEOUT s: every thread's state, wchan and kernel
# stack (three samples), sysrq w (blocked tasks) and l (running CPUs), the shmem_swapin_*
# counters, the cgroup's memory.events/current/max; then kill -9 and the same again; then
# memory.max lifted to max, to see whether that frees the process (a charge loop).
# Prints "LH i ok <s>|OOM|HANG" per run and "LH summary: ...".
. "$TOP/guest/setup.sh"
: "${LH_RUNS:=30}" "${LH_MODE:=bypass}" "${LH_THREADS:=16}" "${LH_ENTRIES:=4}"
: "${LH_HEADROOM_KB:=1024}" "${LH_KIND:=light}" "${LH_TIMEOUT:=60}" "${LH_PRE:=}"
: "${LH_CONTINUE:=0}" "${LH_PROBE:=1}"
HUGE_DIR=/mnt/tmpfs-huge
ZRAM_SIZE=${ZRAM_SIZE:-2G} TMPFS_SIZE=${TMPFS_SIZE:-3G}
B=$TOP/bench/bin/swapin_bench
setup_zram || exit 1
setup_cgroup || exit 1
setup_tmpfs || exit 1
mkdir -p "$HUGE_DIR"
mount -t tmpfs -o "size=$TMPFS_SIZE,huge=always" shmbp-huge "$HUGE_DIR" || exit 1
# as guest/jobs/bench.sh: 2048kB stays at inherit, 64kB always, every other size never
for d in /sys/kernel/mm/transparent_hugepage/hugepages-*; do
	case $d in *-2048kB) continue ;; esac
	[ -w "$d/shmem_enabled" ] && echo never > "$d/shmem_enabled"
done
echo always > /sys/kernel/mm/transparent_hugepage/hugepages-64kB/shmem_enabled
set_swapin_mode "$LH_MODE" || exit 1
echo "# kernel $(uname -a)"
echo "# mode $(cat /sys/kernel/mm/shmem_swapin/mode) batch $(cat /sys/kernel/mm/shmem_swapin/batch 2>/dev/null || echo -)"
echo "# thp defrag $(cat /sys/kernel/mm/transparent_hugepage/defrag) shmem_enabled $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled)"
charge_program_to_root "$B"

# alive PID: some thread of PID is not a zombie (after kill -9 the group leader is a
# zombie while a thread stuck in the kernel lives on: /proc/PID/stat alone says "gone")
alive() {
	for _t in /proc/$1/task/*/stat; do
		_st=$(sed 's/.*) //' "$_t" 2>/dev/null | cut -c1)
		[ -n "$_st" ] && [ "$_st" != Z ] && return 0
	done
	return 1
}
counters() {
	grep -E '^(shmem_swapin|thp_swpin|thp_swpout|thp_file_fallback|pswp|oom_kill)' /proc/vmstat |
		tr '\n' ' '
	echo
}
cgstate() {
	cg=/sys/fs/cgroup/$CG
	echo "## memory.current $(cat $cg/memory.current) memory.max $(cat $cg/memory.max) swap.max $(cat $cg/memory.swap.max)"
	echo "## memory.events $(tr '\n' ' ' < $cg/memory.events)"
	echo "## cgroup.procs $(tr '\n' ' ' < $cg/cgroup.procs)"
	grep -E '^(anon|file|kernel|kernel_stack|pagetables|shmem|file_thp|shmem_thp|sock|slab) ' $cg/memory.stat |
		tr '\n' ' ' | sed 's/^/## memory.stat /'
	echo
}
threads() {
	for t in /proc/$1/task/*; do
		[ -d "$t" ] || continue
		tid=${t##*/}
		st=$(sed 's/.*) //' "$t/stat" 2>/dev/null | cut -d' ' -f1)
		echo "### tid $tid state $st wchan $(cat "$t/wchan" 2>/dev/null) sig $(grep -E '^(SigPnd|ShdPnd)' "$t/status" 2>/dev/null | tr '\n' ' ')"
		sed 's/^/###   /' "$t/stack" 2>/dev/null
	done
}
dump() {
	echo "## --- $1"
	echo "## counters: $(counters)"
	cgstate
	for s in 1 2 3; do
		echo "## sample $s"
		threads "$2"
		sleep 1
	done
	echo w > /proc/sysrq-trigger
	echo l > /proc/sysrq-trigger
	# the task dumps are KERN_INFO, below the console's level: from the log buffer
	dmesg > "dmesg-$i-$(echo "$1" | tr -c 'a-z0-9\n' '_').txt"
	echo "## dmesg saved"
}

cg=/sys/fs/cgroup/$CG
ok=0 oom=0 hang=0 failed=0
i=1
while [ "$i" -le "$LH_RUNS" ]; do
	echo max > $cg/memory.max
	echo max > $cg/memory.swap.max
	if [ "$LH_PRE" = loop ]; then
		echo 8M > $cg/memory.max
		in_cgroup "$B" loop 2m "$HUGE_DIR" 16 1 > /dev/null 2>&1
		echo max > $cg/memory.max
	fi
	c0=$(counters)
	ev0=$(tr '\n' ' ' < $cg/memory.events)
	t0=$(date +%s)
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" \
		"$B" limit "$HUGE_DIR" "$cg" "$LH_THREADS" "$LH_ENTRIES" "$LH_HEADROOM_KB" "$LH_KIND" \
		> /tmp/lh.out 2> /tmp/lh.err &
	pid=$!
	t=0
	while alive "$pid" && [ "$t" -lt "$((LH_TIMEOUT * 5))" ]; do sleep 0.2; t=$((t + 1)); done
	if alive "$pid"; then
		hang=$((hang + 1))
		echo "LH $i HANG after ${LH_TIMEOUT}s, pid $pid, progress: $(tr '\n' ' ' < /tmp/lh.err)"
		echo "## counters before the run: $c0"
		echo "## memory.events before the run: $ev0"
		dump "hung, before kill -9" "$pid"
		# Probe, from another process in the root cgroup, with the limit lifted (the
		# pages are charged to the swap entries' cgroup, ours): read every page of the
		# file but the first of each 2M entry, page by page, batch off: each read is an
		# order 0 swapin at index j that wakes key (mapping, j) only, never a 2M entry's
		# base. If that unsticks the run, its waiter slept keyed on a non-base index.
		# Then, if still stuck, read the whole file (a read that meets a marker would
		# sleep on it too; one that completes found none).
		fd=
		for f in /proc/$pid/fd/*; do
			case $(readlink "$f") in *swapin_bench_huge*) fd=${f##*/} ;; esac
		done
		if [ -n "$fd" ] && [ "$LH_PROBE" = 1 ]; then
			echo max > $cg/memory.max
			echo max > $cg/memory.swap.max
			[ -w /sys/kernel/mm/shmem_swapin/batch ] && echo 0 > /sys/kernel/mm/shmem_swapin/batch
			w0=$(grep '^shmem_swapin_marker_wait ' /proc/vmstat)
			e=0 probe=ok
			while [ "$e" -lt "$LH_ENTRIES" ]; do
				timeout 20 dd if=/proc/$pid/fd/$fd of=/dev/null bs=4096 skip=$((e * 512 + 1)) count=511 2>/tmp/lh.dd ||
					{ probe="stuck or failed at entry $((e + 1)): $(tail -n 1 /tmp/lh.dd)"; break; }
				e=$((e + 1))
			done
			echo "LH $i: probe 1 (every page but the 2M bases): $probe; $w0 -> $(grep '^shmem_swapin_marker_wait ' /proc/vmstat)"
			sleep 2
			if ! alive "$pid"; then
				wait "$pid"
				echo "LH $i: probe 1 UNSTUCK the hung run (rc $?): $(tr '\n' ' ' < /tmp/lh.err)"
				[ -w /sys/kernel/mm/shmem_swapin/batch ] && echo 1 > /sys/kernel/mm/shmem_swapin/batch
				i=$((i + 1))
				continue
			fi
			echo "LH $i: still hung after probe 1"
			timeout 20 dd if=/proc/$pid/fd/$fd of=/dev/null bs=4096 2>/tmp/lh.dd
			echo "LH $i: probe 2 (whole file) rc $?: $(tail -n 1 /tmp/lh.dd)"
			sleep 2
			if ! alive "$pid"; then
				wait "$pid"
				echo "LH $i: probe 2 UNSTUCK the hung run (rc $?): $(tr '\n' ' ' < /tmp/lh.err)"
				[ -w /sys/kernel/mm/shmem_swapin/batch ] && echo 1 > /sys/kernel/mm/shmem_swapin/batch
				i=$((i + 1))
				continue
			fi
			echo "LH $i: still hung after probe 2"
		fi
		kill -9 "$pid"
		sleep 10
		if alive "$pid"; then
			dump "10 s after kill -9, still there" "$pid"
			echo max > $cg/memory.max
			sleep 10
			if alive "$pid"; then
				echo "LH $i: memory.max max did not free it either"
				dump "10 s after memory.max max" "$pid"
			else
				echo "LH $i: freed by lifting memory.max"
			fi
		else
			echo "LH $i: kill -9 freed it"
		fi
		if alive "$pid" || [ "$LH_CONTINUE" != 1 ]; then
			break
		fi
	else
		wait "$pid"
		rc=$?
		el=$(( $(date +%s) - t0 ))
		if grep -q '"test"' /tmp/lh.out; then
			ok=$((ok + 1))
			echo "LH $i ok ${el}s $(grep -o '"entry_s": \[[^]]*\]' /tmp/lh.out) $(grep -o '"limit_max_events": [0-9-]*' /tmp/lh.out)"
		elif [ "$rc" = 137 ]; then
			oom=$((oom + 1))
			echo "LH $i OOM (rc $rc, ${el}s) progress: $(tr '\n' ' ' < /tmp/lh.err)"
		else
			failed=$((failed + 1))
			echo "LH $i FAILED rc $rc: $(tail -n 2 /tmp/lh.err | tr '\n' ' ')"
		fi
		echo "## delta events: $ev0 -> $(tr '\n' ' ' < $cg/memory.events)"
	fi
	i=$((i + 1))
done
echo "## counters at the end: $(counters)"
echo "LH summary: mode $LH_MODE kind $LH_KIND headroom $LH_HEADROOM_KB KiB: $ok ok, $oom OOM, $failed failed, $hang hung, of $((i > LH_RUNS ? LH_RUNS : i)) runs"
[ "$hang" = 0 ]
