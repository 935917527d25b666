#!/usr/bin/env bash
# Test make bench-host in guests (guest/jobs/benchhost.sh says what is checked):
#   scripts/bench-host-check.sh [BENCH_KERNEL [STOCK_KERNEL]]
# boots BENCH_KERNEL (default build/obj-bench's) and runs make bench-host in it four times
# (twice whole, once Ctrl-C'd, once TERM'd), with state snapshots around each; then boots
# STOCK_KERNEL (default build/obj-stock-test's: stock 6.12.117) where it must refuse.
# STOCK=0 skips the second boot. Results: results/benchhost-*/ and results/benchhost-stock-*/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=${1:-$BUILD/obj-bench/arch/x86/boot/bzImage}
stock=${2:-$BUILD/obj-stock-test/arch/x86/boot/bzImage}
make -s -C "$TOP/bench" || exit 1
rc=0
GUEST_MEM=${GUEST_MEM:-3072} GUEST_QUIET=${GUEST_QUIET:-1} \
	"$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/benchhost.sh" benchhost "${BH_TIMEOUT:-3600}" || rc=1
d=$(cat "$TOP/results/.last-benchhost")
grep -a -E '^(SNAPSHOT|FAIL|make bench-host run|setup:)' "$d/console.log"
if [ "${STOCK:-1}" = 1 ]; then
	JOB_ENV="BH_PHASE=refuse" GUEST_MEM=2048 GUEST_QUIET=${GUEST_QUIET:-1} \
		"$TOP/scripts/guest.sh" "$stock" "$TOP/guest/jobs/benchhost.sh" benchhost-stock 900 || rc=1
	d=$(cat "$TOP/results/.last-benchhost-stock")
	grep -a -E '^(SNAPSHOT|FAIL|as |  \|)' "$d/console.log"
fi
[ $rc = 0 ] && echo "bench-host check: passed" || echo "bench-host check: FAILED (console logs in results/)"
exit $rc
