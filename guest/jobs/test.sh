#!/bin/sh
# make test, in the guest: smoke tests in both modes, our selftests, then a bounded subset
# of the kernel's own selftests (memfd, mm: cow, madv_populate).
# KTAP goes to the console and to ktap.log in the results folder.
run() {
	echo "KTAP version 1"
	sh "$TOP/guest/smoke.sh" swapcache 32 || echo smoke-swapcache >> rc
	sh "$TOP/guest/smoke.sh" bypass 32 || echo smoke-bypass >> rc
	if [ -x "$TOP/selftests/run_guest.sh" ]; then
		. "$TOP/guest/setup.sh"
		setup_zram
		echo +memory > /sys/fs/cgroup/cgroup.subtree_control
		set_swapin_mode bypass
		SELFTEST_BIN_DIR=$TOP/selftests/bin sh "$TOP/selftests/run_guest.sh" || echo selftests >> rc
	fi
	# a bounded subset of the kernel's own selftests (built by scripts/upstream.sh build)
	if [ -x "$TOP/build/kst/mm/cow" ]; then
		UPSTREAM_SET=bounded sh "$TOP/guest/jobs/upstream.sh" || echo upstream >> rc
	fi
}
run 2>&1 | tee ktap.log
[ ! -s rc ]
