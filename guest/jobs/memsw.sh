#!/bin/sh
# make test, second boot: the cgroup v1 memory+swap tests. The memory controller is mounted on
# a v1 hierarchy by the test itself, which it can only be while no cgroup v2 group uses it:
# so nothing here enables +memory on cgroup v2, and the test runs in a boot of its own.
. "$TOP/guest/setup.sh"
setup_zram || exit 1
set_swapin_mode bypass
SELFTEST_PROGS=shmem_swapin_memsw SELFTEST_BIN_DIR=$TOP/selftests/bin \
	sh "$TOP/selftests/run_guest.sh" 2>&1 | tee ktap.log
grep -q "^# 0 skipped" ktap.log && grep -q "^[1-9][0-9]* passed, 0 failed" ktap.log
