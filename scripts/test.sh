#!/usr/bin/env bash
# make test: the model check on the host, then the debug kernel in QEMU running the smoke
# test and our selftests. KTAP on the console; ends with 'N passed, N failed'.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kernel=${1:?kernel image}
tmo=${TEST_TIMEOUT:-1500}
passed=0
failed=0
log=$(mktemp)

count_ktap() {
	# count top-level and subtest 'ok'/'not ok' result lines of a KTAP stream
	local p f
	p=$(grep -a -E '^[[:space:]]*ok [0-9]+' "$1" | grep -c -v -E '# (SKIP|skip)' || true)
	f=$(grep -a -c -E '^[[:space:]]*not ok [0-9]+' "$1" || true)
	passed=$((passed + p))
	failed=$((failed + f))
}

# 1. Model check of the protocol (spin), if the model is there.
if [ -f "$TOP/model/Makefile" ]; then
	note "model check (spin)"
	if make -s -C "$TOP/model" check > "$log" 2>&1; then
		cat "$log"
		count_ktap "$log"
	else
		cat "$log"
		count_ktap "$log"
		grep -q -E '^[[:space:]]*not ok' "$log" || failed=$((failed + 1))
	fi
fi

# 2. The guest: smoke test in both modes, then the selftests.
job=$TOP/guest/jobs/test.sh
note "booting the test kernel (timeout ${tmo}s)"
GUEST_DEBUG=1 "$TOP/scripts/guest.sh" "$kernel" "$job" test "$tmo"
grc=$?
out=$(cat "$TOP/results/.last-test")
[ -f "$out/ktap.log" ] && count_ktap "$out/ktap.log"
case $grc in
0) ;;
1) grep -q -a -E '^[[:space:]]*not ok' "$out/ktap.log" 2>/dev/null || failed=$((failed + 1)) ;;
*) failed=$((failed + 1)); echo "not ok - guest: kernel splat, hang or no report (exit $grc), see $out/console.log" ;;
esac

# 3. The cgroup v1 memory+swap test, in a boot of its own (the memory controller cannot be
#    on a v1 hierarchy while the v2 run uses it).
if [ -x "$TOP/selftests/bin/shmem_swapin_memsw" ]; then
	note "booting the test kernel for the cgroup v1 test"
	GUEST_DEBUG=1 GUEST_QUIET=1 "$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/memsw.sh" test-memsw 300
	mrc=$?
	mout=$(cat "$TOP/results/.last-test-memsw")
	if [ -f "$mout/ktap.log" ]; then
		cat "$mout/ktap.log"
		count_ktap "$mout/ktap.log"
	fi
	case $mrc in
	0) ;;
	1) grep -q -a -E '^[[:space:]]*not ok' "$mout/ktap.log" 2>/dev/null ||
		{ failed=$((failed + 1)); echo "not ok - memsw boot: the test did not run (skipped?), see $mout/ktap.log"; } ;;
	*) failed=$((failed + 1)); echo "not ok - memsw boot: kernel splat, hang or no report (exit $mrc), see $mout/console.log" ;;
	esac
	echo "results (cgroup v1): $mout"
fi
rm -f "$log"
echo "results: $out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
