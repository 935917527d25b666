#!/bin/sh
# make bench-host, tested in the guest (a machine booted with our kernel, as far as
# make bench-host can tell; scripts/bench-host-check.sh boots it).
#   BH_PHASE=refuse: only the refusals (a stock kernel: no /sys/kernel/mm/shmem_swapin;
#                    and not root), each must exit non-zero and say why.
#   otherwise: snapshot the state make bench-host touches; run it (small sizes), snapshot;
#   run it again, snapshot; run it and send SIGINT to its process group mid-run (Ctrl-C),
#   snapshot; run it and send SIGTERM to the script alone mid-run, snapshot. Every snapshot
#   must equal the first (the diff is printed otherwise), every whole run must pass. Last,
#   with zram0 swapped on at priority 200 by the job, it must refuse and leave zram0's swap
#   as it was.
# The state: swapon --show, /proc/swaps, /proc/sys/vm/*, /sys/kernel/mm/shmem_swapin/*,
# the THP and khugepaged knobs, zswap's parameters, fault_around_bytes, the cgroup tree and
# the root's subtree_control, the zram devices, /proc/mounts, /tmp.
set -u
export BENCH_HOST_RESULTS=/mnt/results
# small sizes: QUICK, one round, fewer parts (loop, multi and large for the knobs they change)
export QUICK=1 ROUNDS=${ROUNDS:-1}
export PARTS=${PARTS:-seq half large rand contend multi loop anon fio}
export SEQ_MB=${SEQ_MB:-16} RAND_MB=${RAND_MB:-8} CONT_THREADS=${CONT_THREADS:-4}
export CONT_PAGES=${CONT_PAGES:-10} ANON_MB=${ANON_MB:-16} FIO_MB=${FIO_MB:-16}
export FIO_RUNTIME=${FIO_RUNTIME:-1} LARGE_MB=${LARGE_MB:-16} MULTI_PAGES=${MULTI_PAGES:-5}
export LOOP_MB=${LOOP_MB:-16} LOOP_CG_MB=${LOOP_CG_MB:-8} LOOP_N=${LOOP_N:-1}
export LOOP_MODES=${LOOP_MODES:-bypass} LOOP_KINDS=${LOOP_KINDS:-64k}
fail=0

# exec a command with SIGINT and SIGQUIT at their defaults, as the leader of a process group
# of its own (sh ignores them in what it starts with &, and a shell cannot trap a signal ignored
# when it started); exec: so that $! of "dfl ... &" is the command's pid and process group
dfl() {
	exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

snap() {
	{
		echo "== swapon --show"; swapon --show
		echo "== /proc/swaps"; cat /proc/swaps
		echo "== sysctl vm"
		for f in /proc/sys/vm/*; do v=$(cat "$f" 2>/dev/null) && echo "${f#/proc/sys/}=$v" | tr '\t\n' '  '; echo; done | grep .
		echo "== shmem_swapin"
		for f in /sys/kernel/mm/shmem_swapin/*; do echo "${f##*/}=$(cat "$f")"; done
		echo "== THP, khugepaged (counters left out)"
		find /sys/kernel/mm/transparent_hugepage -type f ! -path '*/stats/*' \
			! -name full_scans ! -name pages_collapsed | sort | while read -r f; do
			echo "${f#/sys/kernel/mm/transparent_hugepage/}=$(cat "$f")"
		done
		echo "== zswap"
		for f in /sys/module/zswap/parameters/*; do [ -r "$f" ] && echo "${f##*/}=$(cat "$f")"; done
		echo "== fault_around_bytes=$(cat /sys/kernel/debug/fault_around_bytes 2>/dev/null)"
		echo "== cgroups"; find /sys/fs/cgroup -type d | sort
		echo "subtree_control=$(cat /sys/fs/cgroup/cgroup.subtree_control)"
		echo "== zram"; ls /sys/class/zram-control 2>/dev/null
		for d in /sys/block/zram*; do
			[ -e "$d" ] && echo "${d##*/} disksize=$(cat "$d/disksize") algo=$(cat "$d/comp_algorithm")"
		done
		echo "== mounts"; cat /proc/mounts
		echo "== /tmp"; ls -A /tmp
	} > "snap-$1.txt" 2>&1
}

# same N WHAT: snapshot N equals the first?
same() {
	if cmp -s snap-0.txt "snap-$1.txt"; then
		echo "SNAPSHOT $1 ($2): equal to the first"
	else
		echo "SNAPSHOT $1 ($2): DIFFERS from the first:"
		diff -u snap-0.txt "snap-$1.txt"
		fail=1
	fi
}

if [ "${BH_PHASE:-}" = refuse ]; then
	echo "kernel $(uname -r); /sys/kernel/mm/shmem_swapin: $(ls -d /sys/kernel/mm/shmem_swapin 2>&1)"
	snap 0
	for who in root nobody; do
		if [ $who = root ]; then
			make -s -C "$TOP" bench-host > refuse-$who.log 2>&1
		else
			setpriv --reuid=65534 --regid=65534 --clear-groups make -s -C "$TOP" bench-host > refuse-$who.log 2>&1
		fi
		rc=$?
		echo "as $who: make bench-host exit $rc:"
		sed 's/^/  | /' refuse-$who.log
		[ $rc != 0 ] || { echo "FAIL: make bench-host as $who did not refuse"; fail=1; }
	done
	snap 1
	same 1 "after the refusals"
	exit $fail
fi

echo "kernel $(uname -r); mode: $(cat /sys/kernel/mm/shmem_swapin/mode)"
snap 0
echo "--- first snapshot:"
cat snap-0.txt
for n in 1 2; do
	echo "--- make bench-host, run $n"
	make -s -C "$TOP" bench-host > run$n.log 2>&1
	rc=$?
	grep -a -E '^(bench-env|bench-host|>>|error)|FAILED|HANG|STUCK' run$n.log
	echo "make bench-host run $n: exit $rc"
	[ $rc = 0 ] || fail=1
	snap $n
	same $n "after run $n"
done

# interrupt N SIGNAL GROUP: run it and send SIGNAL once the workload has run a while, to the
# process group (Ctrl-C) or to bench-host.sh alone
interrupt() {
	n=$1 sig=$2 whom=$3
	echo "--- make bench-host, run $n, $sig to the $whom mid-run"
	if [ "$whom" = group ]; then
		dfl make -s -C "$TOP" bench-host > run$n.log 2>&1 &
	else
		dfl "$TOP/scripts/bench-host.sh" > run$n.log 2>&1 &
	fi
	p=$!
	t=0
	# mid-run: the second mode of the first round has begun
	while [ $t -lt 600 ] && [ "$(grep -c '^# round 1 mode' run$n.log)" -lt 2 ] && kill -0 $p 2>/dev/null; do
		sleep 1; t=$((t + 1))
	done
	sleep 2
	kill -0 $p 2>/dev/null || { echo "FAIL: run $n ended before the signal"; fail=1; }
	echo "sending $sig after ${t}s (+2), during: $(grep -a -E '^(# round|\{)' run$n.log | tail -n 1 | cut -c1-80)"
	if [ "$whom" = group ]; then kill -s "$sig" -- -$p; else kill -s "$sig" $p; fi
	wait $p
	rc=$?
	grep -a -E '^(bench-env|bench-host|>>|error)|FAILED|HANG|STUCK' run$n.log
	echo "make bench-host run $n: exit $rc after $sig"
	[ $rc != 0 ] || { echo "FAIL: an interrupted run exited 0"; fail=1; }
	snap $n
	same $n "after run $n, interrupted by $sig ($whom)"
}
interrupt 3 INT group
interrupt 4 TERM script

# a swap of another's, on an existing zram device at a priority above bench-host's: it must
# refuse (after undoing what it had begun) and leave that swap and device as they were
echo "--- make bench-host, run 5, with /dev/zram0 swapped on at priority 200 (not its own)"
echo lz4 > /sys/block/zram0/comp_algorithm
echo 64M > /sys/block/zram0/disksize
mkswap /dev/zram0 > /dev/null && swapon -p 200 /dev/zram0
snap 5a
make -s -C "$TOP" bench-host > run5.log 2>&1
rc=$?
grep -a -E '^(bench-env|bench-host|>>|error|setup)|FAILED' run5.log
echo "make bench-host run 5: exit $rc"
[ $rc != 0 ] || { echo "FAIL: make bench-host used a machine with a higher-priority swap"; fail=1; }
snap 5b
if cmp -s snap-5a.txt snap-5b.txt; then
	echo "SNAPSHOT 5 (after the refusal, zram0 swap on): equal to the one before it"
else
	echo "SNAPSHOT 5 (after the refusal, zram0 swap on): DIFFERS:"; diff -u snap-5a.txt snap-5b.txt; fail=1
fi
swapoff /dev/zram0 && echo 1 > /sys/block/zram0/reset
snap 6
same 6 "zram0 swapped off and reset by the job"

ls -d /mnt/results/bench-host-*/
for d in /mnt/results/bench-host-*/; do
	printf '%s: %s\n' "$d" "$(ls "$d" | tr '\n' ' ')"
done
d=$(ls -d /mnt/results/bench-host-*/ | head -n 1)
grep -a '^Machine:' "$d/report.md"
exit $fail
