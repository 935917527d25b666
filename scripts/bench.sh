#!/usr/bin/env bash
# make bench: boot the bench kernel (series + peer, no debugging) and run every workload in
# every mode, interleaved, in one boot; then, unless ICOUNT=0, the sequential workloads
# again under QEMU -icount (deterministic guest time). Writes results/bench-<stamp>.json,
# docs/benchmarks-results.md and docs/img/*.png.
# Knobs: ROUNDS, MODES, SEQ_MB, RAND_MB, CONT_THREADS, CONT_PAGES, ANON_MB, FIO, FIO_MB,
# FIO_RUNTIME, PARTS, GUEST_SMP, GUEST_MEM, ICOUNT=1, ICOUNT_ROUNDS=1, ICOUNT_SEQ_MB=256, QUICK=1 (small sizes).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=${1:?kernel image}
need gnuplot gnuplot-nox
make -s -C "$TOP/bench" || exit 1
if [ "${QUICK:-0}" = 1 ]; then
	: "${ROUNDS:=3}" "${SEQ_MB:=64}" "${RAND_MB:=32}" "${CONT_PAGES:=50}" "${ANON_MB:=64}"
	: "${FIO_MB:=64}" "${FIO_RUNTIME:=3}"
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
PAGE_CLUSTER=${PAGE_CLUSTER:-0}
PARTS="$1"
EOV
}
dirs=()
JOB_ENV=$(env_for "${PARTS:-seq rand contend anon fio}") GUEST_MEM=${GUEST_MEM:-3072} \
	GUEST_SMP=${GUEST_SMP:-2} GUEST_QUIET=${GUEST_QUIET:-1} \
	"$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/bench.sh" bench "${BENCH_TIMEOUT:-5400}" ||
	{ echo "bench run failed: $(cat "$TOP/results/.last-bench")/console.log" >&2; exit 1; }
dirs+=("wall=$(cat "$TOP/results/.last-bench")")
if [ "${ICOUNT:-1}" = 1 ]; then
	JOB_ENV=$(ROUNDS=${ICOUNT_ROUNDS:-1} SEQ_MB=${ICOUNT_SEQ_MB:-256} ANON_MB=${ICOUNT_SEQ_MB:-256} env_for "seq anon") GUEST_MEM=${GUEST_MEM:-3072} GUEST_SMP=1 \
		QEMU_ACCEL="-accel tcg -icount shift=3,sleep=off" GUEST_QUIET=${GUEST_QUIET:-1} \
		"$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/bench.sh" bench-icount "${BENCH_TIMEOUT:-5400}" ||
		{ echo "icount bench run failed: $(cat "$TOP/results/.last-bench-icount")/console.log" >&2; exit 1; }
	dirs+=("icount=$(cat "$TOP/results/.last-bench-icount")")
fi
python3 "$TOP/bench/report.py" "$TOP" "${dirs[@]}"
