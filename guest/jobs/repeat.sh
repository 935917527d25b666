#!/bin/sh
# One selftest, many times in one boot: how often does it fail on a correct kernel?
#   JOB_ENV: REPEAT_PROG=shmem_swapin_zswap REPEAT_TEST=large_zswap.mthp64k.faults_inside_entry
#            REPEAT_N=30 [REPEAT_FIRST="prog test"]: run once before (e.g. a test that sets up
#            state the repeated one needs)
#   scripts/guest.sh build/obj-test/arch/x86/boot/bzImage guest/jobs/repeat.sh repeat 3000
# Prints "REPEAT i ok|FAIL" per run and a summary; the full output is in ktap.log.
. "$TOP/guest/setup.sh"
setup_zram || exit 1
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
set_swapin_mode bypass
bin=$TOP/selftests/bin
fails=0
{
	if [ -n "${REPEAT_FIRST:-}" ]; then
		set -- $REPEAT_FIRST
		"$bin/$1" -r "$2"
	fi
	i=1
	while [ "$i" -le "${REPEAT_N:-30}" ]; do
		snap() {
			grep -E '^(thp_|nr_shmem|pswp)' /proc/vmstat
			for d in /sys/kernel/mm/transparent_hugepage/hugepages-*kB; do
				for f in "$d"/stats/*; do echo "${d##*-}.${f##*/} $(cat "$f")"; done
			done
		}
		snap > /tmp/rep.0
		if "$bin/$REPEAT_PROG" -r "$REPEAT_TEST"; then
			echo "REPEAT $i ok"
		else
			echo "REPEAT $i FAIL"
			snap > /tmp/rep.1
			# what moved during the failed run (large folio events)
			paste -d' ' /tmp/rep.0 /tmp/rep.1 | awk '$2 != $4 {print "# moved: " $1, $4 - $2}' 
			fails=$((fails + 1))
		fi
		i=$((i + 1))
	done
	echo "REPEAT summary: $fails of ${REPEAT_N:-30} runs of $REPEAT_TEST failed"
} 2>&1 | tee ktap.log
grep -q 'REPEAT summary: 0 of' ktap.log
