#!/bin/sh
# make negative, in the guest: our selftests on a kernel with a broken protocol variant.
# SELFTEST_PROGS (from job.env) narrows the binaries; empty runs all.
. "$TOP/guest/setup.sh"
setup_zram || exit 1
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
set_swapin_mode bypass
[ -n "${SELFTEST_PROGS:-}" ] || unset SELFTEST_PROGS
# psi_thrash_both_modes under memory.max alone: sees a bypass that charges before its claim
export SHMEM_SWAPIN_PSI_STRICT=1
SELFTEST_BIN_DIR=$TOP/selftests/bin sh "$TOP/selftests/run_guest.sh" 2>&1 | tee ktap.log
