#!/bin/sh
# make bench, in the guest: every workload in every mode, interleaved, ROUNDS times.
# Parameters (job.env): ROUNDS=5 MODES="swapcache bypass poll" SEQ_MB=512 RAND_MB=128
#   CONT_THREADS=16 CONT_PAGES=300 ANON_MB=512 FIO=1 FIO_MB=256 FIO_RUNTIME=5 PARTS=all
#   Large folios and the polling peers (issue 10), each part with its own modes:
#   large: LARGE_MB=256 LARGE_MODES="swapcache poll bypass" (seq-mmap-64k, seq-mmap-2m)
#   multi: MULTI_MODES="bypass poll poll-wq" MULTI_GROUPS=8 MULTI_THREADS=4 MULTI_PAGES=100
#          MULTI_DELAY_US=500
#   loop:  LOOP_MODES="swapcache bypass poll poll-nosleep poll-wq" LOOP_KINDS="64k 2m"
#          LOOP_MB=96 LOOP_CG_MB=48 LOOP_N=3 LOOP_ROUNDS=1 LOOP_TIMEOUT=300 LOOP_PAGE_CLUSTER=3
#   half:  seq-mmap-half (a half-resident file: fault-around has neighbours to map), in MODES
#   FAULT_AROUND_BYTES: written to /sys/kernel/debug/fault_around_bytes first, if set
#   inv:   INV_MODES="poll-nosleep poll poll-wq bypass" INV_KINDS="2m 64k" INV_ROUNDS=10
#          INV_DELAY_US=5000 INV_OFFSET_US=2000 INV_TIMEOUT=300
#   limit: LIMIT_MODES="swapcache bypass poll" LIMIT_THREADS=16 LIMIT_ENTRIES=4
#          LIMIT_HEADROOM_KB=1024 LIMIT_TIMEOUT=300 (many threads on one 2M entry whose
#          large charge cannot fit under memory.max)
# zswap is never written (6.12: any write sets it up and disables large swapin for the boot).
# Output: bench.jsonl (one JSON object per run), fio-*.json, in the results folder.
# The workload is guest/bench-workload.sh, its environment (zram, cgroup, tmpfs, sysctls,
# THP knobs, journalled and restored) guest/benchenv.sh: make bench-host runs the same two
# on a real machine.
. "$TOP/guest/setup.sh"
. "$TOP/guest/benchenv.sh"
. "$TOP/guest/bench-workload.sh"
trap 'benchenv_restore' EXIT
trap 'benchenv_restore; exit 130' INT
trap 'benchenv_restore; exit 143' TERM
benchenv_setup
bench_workload
rc=$?
benchenv_restore || rc=1
exit $rc
