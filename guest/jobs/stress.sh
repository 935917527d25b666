#!/bin/sh
# make stress, in the guest, until DURATION seconds have passed (a round takes about five
# minutes, so DURATION=600 makes two). Round k:
#  - vm.page-cluster 3 (the default: swap readahead and batches on) in odd rounds, 0 in even ones;
#    zswap on in rounds that start in the last quarter of the run (6.12's zswap cannot load
#    large folios: once enabled, large swapins fall back for the rest of the boot, so it
#    comes last). A 600 s run (two rounds) has neither; with both on, in the fsx cgroup's
#    16 MiB memory.high, every operation crawls in both modes (about 25 fsx operations a
#    minute) and the round overran the guest's timeout (docs/testing.md): use
#    DURATION=1800 or more for those rounds, with STRESS_TIMEOUT to match;
#  - the randomized checker (selftests/shmem_swapin_fsx) for FSX_SECS in bypass mode,
#    then FSX_SECS in swapcache mode (both modes every round): tmpfs files (one
#    directory huge=always) and memfds, FSX_THREADS threads, in a memory cgroup whose
#    memory.high keeps most of the data in swap, with swapoff/swapon cycles beside it;
#    the seed is printed and replays the op sequence (-t 1 replays exactly);
#  - every race and handoff selftest once;
#  - fio with verification over tmpfs, and stress-ng's tmpfs/memfd/shm stressors.
# Ends with a "stress:" line: rounds, fsx ops per minute, swapins by path, marker waits,
# handoffs, failed rounds and mismatches.
. "$TOP/guest/setup.sh"
: "${DURATION:=600}" "${FIO_MB:=128}" "${FSX_SECS:=60}" "${FSX_THREADS:=4}"
: "${FSX_FILES:=6}" "${FSX_PAGES:=2048}" "${FSX_HIGH:=16M}" "${CYCLE_SECS:=20}"
CG=stress CG_HIGH=$((FIO_MB / 2))M
setup_zram || exit 1
setup_cgroup || exit 1
setup_tmpfs || exit 1
HUGE_DIR=/mnt/tmpfs-huge
mkdir -p "$HUGE_DIR" && mount -t tmpfs -o size=512M,huge=always shmbp-huge "$HUGE_DIR" || exit 1
mkdir -p /sys/fs/cgroup/fsx
echo "$FSX_HIGH" > /sys/fs/cgroup/fsx/memory.high
set_swapin_mode bypass || exit 1
vm() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }
cp /proc/vmstat /tmp/vm.start
start=$(date +%s)
end=$((start + DURATION))
zswap_from=$((start + DURATION * 3 / 4))
rounds=0 fails=0 mism=0 fsx_ops=0 fsx_secs=0 cycles=0
while [ "$(date +%s)" -lt "$end" ]; do
	rounds=$((rounds + 1))
	mode=bypass
	pc=3; [ $((rounds % 2)) = 0 ] && pc=0
	zs=N; [ "$(date +%s)" -ge "$zswap_from" ] && zs=Y
	echo "$pc" > /proc/sys/vm/page-cluster
	set_zswap "$zs"
	echo "# stress round $rounds ($(( $(date +%s) - start ))s of ${DURATION}s): page-cluster $pc, zswap $zs"

	# 1. the randomized checker in each mode, with swapoff/swapon cycles beside it
	for mode in bypass swapcache; do
	set_swapin_mode "$mode"
	seed=$(( ($(date +%s) * 7919 + rounds) % 1000000007 ))
	echo "# fsx in mode $mode, seed $seed"
	touch /tmp/cycling
	(
		while [ -f /tmp/cycling ]; do
			sleep "$CYCLE_SECS"
			[ -f /tmp/cycling ] || break
			if swapoff /dev/zram0; then echo x >> /tmp/cycles; else echo "# swapoff failed"; fi
			swapon -p 100 /dev/zram0 || echo "# swapon failed"
		done
	) &
	cyc=$!
	"$TOP/selftests/bin/shmem_swapin_fsx" -d "$TMPFS_DIR" -H "$HUGE_DIR" -f "$FSX_FILES" \
		-s "$FSX_PAGES" -t "$FSX_THREADS" -D "$FSX_SECS" -S "$seed" \
		-c /sys/fs/cgroup/fsx > /tmp/fsx.log 2>&1
	frc=$?
	rm -f /tmp/cycling
	wait "$cyc"
	grep -q '^/dev/zram0' /proc/swaps || swapon -p 100 /dev/zram0
	tail -n 1 /tmp/fsx.log
	line=$(grep '^fsx: ' /tmp/fsx.log | tail -n 1)
	if [ "$frc" != 0 ] || [ -z "$line" ]; then
		fails=$((fails + 1))
		echo "# fsx FAILED (exit $frc, seed $seed); first lines of its report:"
		grep -v '^progress' /tmp/fsx.log | head -n 40
	fi
	m=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) mismatches.*/\1/p')
	mism=$((mism + ${m:-0}))
	o=$(echo "$line" | sed -n 's/^fsx: \([0-9][0-9]*\) ops in \([0-9.]*\) s.*/\1 \2/p')
	fsx_ops=$((fsx_ops + ${o%% *}))
	fsx_secs=$(awk -v a="$fsx_secs" -v b="${o##* }" 'BEGIN {print a + b}')
	done
	mode=bypass

	# 2. every race and handoff scenario
	for p in shmem_swapin_race shmem_swapin_handoff; do
		[ -x "$TOP/selftests/bin/$p" ] || continue
		SELFTEST_PROGS=$p SELFTEST_BIN_DIR=$TOP/selftests/bin \
			sh "$TOP/selftests/run_guest.sh" > /tmp/race.log 2>&1 || {
			fails=$((fails + 1)); echo "# $p FAILED:"; grep -E '^(not ok|# .*(FAIL|expected|wrong|mismatch))' /tmp/race.log | head -n 8; }
	done
	set_swapin_mode "$mode"

	# 3. fio verify and stress-ng
	in_cgroup fio --name=verify --directory="$TMPFS_DIR" --filename=v.data --size="${FIO_MB}M" \
		--rw=randwrite --bs=4k --ioengine=psync --fallocate=none --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --buffer_compress_percentage=50 --output=/tmp/fio.log > /dev/null 2>&1 || {
		fails=$((fails + 1)); mism=$((mism + 1)); echo "# fio verify FAILED"; tail -n 5 /tmp/fio.log; }
	rm -f "$TMPFS_DIR/v.data"
	in_cgroup stress-ng --tmpfs 2 --memfd 2 --shm 1 --verify --timeout 20s \
		--temp-path "$TMPFS_DIR" --metrics-brief > /tmp/sng.log 2>&1 || {
		fails=$((fails + 1)); echo "# stress-ng FAILED"; tail -n 5 /tmp/sng.log; }
	m=$(grep -c -i -E 'verif.*fail|mismatch|unexpected value' /tmp/sng.log); mism=$((mism + m))
done
cycles=$(wc -l < /tmp/cycles 2>/dev/null || echo 0)
d() { echo $(( $(vm "$1") - $(awk -v k="$1" '$1 == k {print $2}' /tmp/vm.start) )); }
opm=$(awk -v o="$fsx_ops" -v s="$fsx_secs" 'BEGIN {printf "%d", (s > 0 ? o * 60 / s : 0)}')
echo "stress: $rounds rounds in $(( $(date +%s) - start ))s; fsx $fsx_ops ops in ${fsx_secs}s" \
	"($opm ops/min), $cycles swapoff/swapon cycles; swapins bypass $(d shmem_swapin_bypass)," \
	"swapcache $(d shmem_swapin_swapcache), fallback $(d shmem_swapin_fallback);" \
	"batched $(d shmem_swapin_batch); marker waits $(d shmem_swapin_marker_wait)," \
	"handoffs $(d shmem_swapin_handoff);" \
	"pswpin $(d pswpin); failed rounds $fails; mismatches $mism"
[ "$fails" = 0 ] && [ "$mism" = 0 ]
