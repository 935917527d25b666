#!/usr/bin/env bash
# make run: boot the bench kernel once, run the same fio job over tmpfs under memory pressure
# in every swapin mode it has (swapcache, bypass, and the peer's poll), print the rows side by
# side with the ratio against swapcache.
# Environment: FILE_MB RUNTIME RW BS ENGINE ZRAM_ALGO TMPFS_HUGE, RUN_MODES (default
# "swapcache bypass poll"), RUN_TIMEOUT (s, default 900).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=${1:?kernel image}
export JOB_ENV="FILE_MB=${FILE_MB:-256}
RUNTIME=${RUNTIME:-20}
RW=${RW:-randread}
BS=${BS:-4k}
ENGINE=${ENGINE:-psync}
RUN_MODES=${RUN_MODES:-swapcache bypass poll}
SWAPIN_MODE=swapcache
ZRAM_ALGO=${ZRAM_ALGO:-lz4}
TMPFS_HUGE=${TMPFS_HUGE:-never}"
GUEST_QUIET=${GUEST_QUIET:-1} "$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/run.sh" run "${RUN_TIMEOUT:-900}"
rc=$?
out=$(cat "$TOP/results/.last-run")
if [ $rc -ne 0 ] || [ ! -s "$out/modes" ]; then
	echo "make run failed (exit $rc); console: $out/console.log" >&2
	grep -a -E '^(#|setup:|fio:|error)' "$out/console.log" | tail -n 20 >&2
	exit 1
fi
python3 "$TOP/scripts/fio-table.py" "$out" || exit 1
echo "full fio JSON and console log: $out"
