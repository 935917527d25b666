#!/usr/bin/env bash
# make bench: boot the bench kernel (series + peer, no debugging) and run every workload in
# every mode, interleaved, in one boot; then, unless ICOUNT=0, the sequential workloads
# again under QEMU -icount (deterministic guest time). Writes results/bench-<stamp>.json,
# docs/benchmarks-results.md and docs/img/*.png.
# Knobs: ROUNDS, MODES, SEQ_MB, RAND_MB, CONT_THREADS, CONT_PAGES, ANON_MB, FIO, FIO_MB,
# FIO_RUNTIME, PARTS, GUEST_SMP, GUEST_MEM, ICOUNT=1, ICOUNT_ROUNDS=1, ICOUNT_SEQ_MB=256,
# ICOUNT_PARTS="seq half large anon", WALL=0 (the icount boot only), REPORT=0 (no report), FAULT_AROUND_BYTES,
# QUICK=1 (small sizes); large folios and the polling peers
# (guest/jobs/bench.sh says what each does): LARGE_MB, LARGE_MODES, MULTI_*, LOOP_*, INV_*.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=${1:?kernel image}
need gnuplot gnuplot-nox
make -s -C "$TOP/bench" || exit 1
if [ "${QUICK:-0}" = 1 ]; then
	: "${ROUNDS:=3}" "${SEQ_MB:=64}" "${RAND_MB:=32}" "${CONT_PAGES:=50}" "${ANON_MB:=64}"
	: "${FIO_MB:=64}" "${FIO_RUNTIME:=3}" "${LARGE_MB:=64}" "${MULTI_PAGES:=30}" "${LOOP_MB:=64}"
	: "${LOOP_CG_MB:=32}" "${LOOP_N:=2}" "${INV_ROUNDS:=4}"
fi
env_for() {
	cat <<EOV
ROUNDS=${ROUNDS:-5}
MODES="${MODES:-swapcache bypass poll}"
SEQ_MB=${SEQ_MB:-512}
RAND_MB=${RAND_MB:-128}
CONT_THREADS=${CONT_THREADS:-16}
CONT_PAGES=${CONT_PAGES:-300}
CONT_DELAY_US=${CONT_DELAY_US:-500}
ANON_MB=${ANON_MB:-512}
FIO=${FIO:-1}
FIO_MB=${FIO_MB:-128}
FIO_RUNTIME=${FIO_RUNTIME:-5}
ZRAM_ALGO=${ZRAM_ALGO:-lz4}
PAGE_CLUSTER=${PAGE_CLUSTER:-3}
LARGE_MB=${2:-${LARGE_MB:-256}}
LARGE_MODES="${LARGE_MODES:-swapcache poll bypass}"
MULTI_MODES="${MULTI_MODES:-bypass poll poll-wq}"
MULTI_GROUPS=${MULTI_GROUPS:-8}
MULTI_THREADS=${MULTI_THREADS:-4}
MULTI_PAGES=${MULTI_PAGES:-100}
MULTI_DELAY_US=${MULTI_DELAY_US:-500}
LOOP_MODES="${LOOP_MODES:-swapcache bypass poll poll-nosleep poll-wq}"
LOOP_KINDS="${LOOP_KINDS:-64k 2m}"
LOOP_MB=${LOOP_MB:-96}
LOOP_CG_MB=${LOOP_CG_MB:-48}
LOOP_N=${LOOP_N:-3}
LOOP_ROUNDS=${LOOP_ROUNDS:-1}
LOOP_TIMEOUT=${LOOP_TIMEOUT:-300}
LOOP_PAGE_CLUSTER=${LOOP_PAGE_CLUSTER:-3}
INV_MODES="${INV_MODES:-poll-nosleep poll poll-wq bypass}"
INV_KINDS="${INV_KINDS:-2m 64k}"
INV_ROUNDS=${INV_ROUNDS:-10}
INV_DELAY_US=${INV_DELAY_US:-5000}
INV_OFFSET_US=${INV_OFFSET_US:-2000}
INV_TIMEOUT=${INV_TIMEOUT:-300}
FAULT_AROUND_BYTES=${FAULT_AROUND_BYTES:-}
PARTS="$1"
EOV
}
dirs=()
[ "${WALL:-1}" = 1 ] && {
JOB_ENV=$(env_for "${PARTS:-seq half large rand contend multi inv loop limit anon fio}") GUEST_MEM=${GUEST_MEM:-3072} \
	GUEST_SMP=${GUEST_SMP:-2} GUEST_QUIET=${GUEST_QUIET:-1} \
	"$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/bench.sh" bench "${BENCH_TIMEOUT:-5400}" ||
	{ echo "bench run failed: $(cat "$TOP/results/.last-bench")/console.log" >&2; exit 1; }
dirs+=("wall=$(cat "$TOP/results/.last-bench")")
}
if [ "${ICOUNT:-1}" = 1 ]; then
	JOB_ENV=$(ROUNDS=${ICOUNT_ROUNDS:-1} SEQ_MB=${ICOUNT_SEQ_MB:-256} ANON_MB=${ICOUNT_SEQ_MB:-256} \
		env_for "${ICOUNT_PARTS:-seq half large anon}" "${ICOUNT_SEQ_MB:-256}") GUEST_MEM=${GUEST_MEM:-3072} GUEST_SMP=1 \
		QEMU_ACCEL="-accel tcg -icount shift=3,sleep=off" GUEST_QUIET=${GUEST_QUIET:-1} \
		"$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/bench.sh" bench-icount "${BENCH_TIMEOUT:-5400}" ||
		{ echo "icount bench run failed: $(cat "$TOP/results/.last-bench-icount")/console.log" >&2; exit 1; }
	dirs+=("icount=$(cat "$TOP/results/.last-bench-icount")")
fi
# REPORT=0: leave docs/benchmarks-results.md and results/bench-*.json alone (exploratory runs)
[ "${REPORT:-1}" = 1 ] || { printf '%s\n' "${dirs[@]}"; exit 0; }
python3 "$TOP/bench/report.py" "$TOP" "${dirs[@]}"
