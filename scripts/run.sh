#!/usr/bin/env bash
# make run: boot the bench kernel, run fio over tmpfs under memory pressure, print a table.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=${1:?kernel image}
export JOB_ENV="FILE_MB=${FILE_MB:-256}
RUNTIME=${RUNTIME:-20}
RW=${RW:-randread}
BS=${BS:-4k}
ENGINE=${ENGINE:-psync}
SWAPIN_MODE=${SWAPIN_MODE:-bypass}
ZRAM_ALGO=${ZRAM_ALGO:-lz4}
TMPFS_HUGE=${TMPFS_HUGE:-never}"
GUEST_QUIET=${GUEST_QUIET:-1} "$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/run.sh" run "${RUN_TIMEOUT:-600}"
rc=$?
out=$(cat "$TOP/results/.last-run")
if [ $rc -ne 0 ] || [ ! -s "$out/fio.json" ]; then
	echo "make run failed (exit $rc); console: $out/console.log" >&2
	grep -a -E '^(#|setup:|fio:|error)' "$out/console.log" | tail -n 20 >&2
	exit 1
fi
python3 "$TOP/scripts/fio-table.py" "$out"
echo "full fio JSON and console log: $out"
