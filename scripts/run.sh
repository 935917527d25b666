#!/usr/bin/env bash
# make run: boot the bench kernel and run the same fio job over tmpfs under memory pressure in
# every swapin mode it has (swapcache, bypass, and the peer's poll), twice over:
#   1. under -icount (one vCPU; fio's clock is guest time): deterministic, one round;
#   2. on the wall clock (2 vCPUs), RUN_ROUNDS rounds of the modes interleaved.
# Prints both side by side with the ratio against swapcache (wall: the median of the per-round
# ratios and their range) and one line saying which to believe.
# Environment: FILE_MB RUNTIME RW BS ENGINE ZRAM_ALGO TMPFS_HUGE, RUN_MODES (default
# "swapcache bypass poll"), RUN_ROUNDS (wall rounds, default 3), RUN_ICOUNT=0 (wall only),
# RUN_WALL=0 (icount only), RUN_TIMEOUT (s per boot, default 900).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=${1:?kernel image}
env_for() {
	cat <<EOV
FILE_MB=${FILE_MB:-256}
RUNTIME=${RUNTIME:-10}
RW=${RW:-randread}
BS=${BS:-4k}
ENGINE=${ENGINE:-psync}
RUN_MODES=${RUN_MODES:-swapcache bypass poll}
ROUNDS=$1
SWAPIN_MODE=swapcache
ZRAM_ALGO=${ZRAM_ALGO:-lz4}
TMPFS_HUGE=${TMPFS_HUGE:-never}
EOV
}
# run NAME ROUNDS [guest.sh environment...]: one boot; prints its results folder
boot() {
	local name=$1 rounds=$2 rc out
	shift 2
	JOB_ENV=$(env_for "$rounds") GUEST_QUIET=${GUEST_QUIET:-1} env "$@" \
		"$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/run.sh" "$name" "${RUN_TIMEOUT:-900}" >&2
	rc=$?
	out=$(cat "$TOP/results/.last-$name")
	if [ $rc -ne 0 ] || [ ! -s "$out/modes" ]; then
		echo "make run failed in the $name boot (exit $rc); console: $out/console.log" >&2
		grep -a -E '^(#|setup:|fio:|error)' "$out/console.log" | tail -n 20 >&2
		return 1
	fi
	echo "$out"
}
dirs=()
if [ "${RUN_ICOUNT:-1}" = 1 ]; then
	note "icount boot: one vCPU, deterministic (fio's clock is guest time)"
	d=$(boot run-icount 1 GUEST_SMP=1 QEMU_ACCEL="-accel tcg -icount shift=3,sleep=off") || exit 1
	dirs+=("icount=$d")
fi
if [ "${RUN_WALL:-1}" = 1 ]; then
	note "wall-clock boot: ${GUEST_SMP:-2} vCPUs, ${RUN_ROUNDS:-3} rounds of the modes interleaved"
	d=$(boot run "${RUN_ROUNDS:-3}") || exit 1
	dirs+=("wall=$d")
fi
[ ${#dirs[@]} -gt 0 ] || die "RUN_ICOUNT=0 and RUN_WALL=0: nothing to run"
python3 "$TOP/scripts/fio-table.py" "${dirs[@]}" || exit 1
for d in "${dirs[@]}"; do echo "fio JSON and console log (${d%%=*}): ${d#*=}"; done
