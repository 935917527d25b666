#!/bin/sh
# make stress, in the guest: rounds of our race selftests, fio with verification over tmpfs
# in a memory cgroup, and stress-ng's tmpfs/memfd/shm stressors with --verify, until
# DURATION seconds have passed. Reports rounds, swapins by path, waits, handoffs, mismatches.
. "$TOP/guest/setup.sh"
: "${DURATION:=600}" "${FIO_MB:=128}"
CG=stress CG_HIGH=$((FIO_MB / 2))M
setup_zram || exit 1
setup_cgroup || exit 1
setup_tmpfs || exit 1
set_swapin_mode bypass || exit 1
vm() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }
cp /proc/vmstat /tmp/vm.start
start=$(date +%s)
end=$((start + DURATION))
rounds=0 fails=0 mism=0
while [ "$(date +%s)" -lt "$end" ]; do
	rounds=$((rounds + 1))
	echo "# stress round $rounds ($(( $(date +%s) - start ))s of ${DURATION}s)"
	if [ -x "$TOP/selftests/bin/shmem_swapin_race" ]; then
		SELFTEST_PROGS=shmem_swapin_race SELFTEST_BIN_DIR=$TOP/selftests/bin \
			sh "$TOP/selftests/run_guest.sh" > /tmp/race.log 2>&1 || {
			fails=$((fails + 1)); grep -E '^(not ok|#.*(mismatch|expected))' /tmp/race.log | head -n 5; }
		m=$(grep -c -i 'mismatch' /tmp/race.log); mism=$((mism + m))
	fi
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
d() { echo $(( $(vm "$1") - $(awk -v k="$1" '$1 == k {print $2}' /tmp/vm.start) )); }
echo "stress: $rounds rounds in $(( $(date +%s) - start ))s; swapins bypass $(d shmem_swapin_bypass)," \
	"swapcache $(d shmem_swapin_swapcache), fallback $(d shmem_swapin_fallback);" \
	"marker waits $(d shmem_swapin_marker_wait), handoffs $(d shmem_swapin_handoff);" \
	"pswpin $(d pswpin); failed rounds $fails; mismatches $mism"
[ "$fails" = 0 ] && [ "$mism" = 0 ]
