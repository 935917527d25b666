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
. "$TOP/scripts/bench-params.sh"
dirs=()
[ "${WALL:-1}" = 1 ] && {
JOB_ENV=$(env_for "${PARTS:-$BENCH_ALL_PARTS}") GUEST_MEM=${GUEST_MEM:-3072} \
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
