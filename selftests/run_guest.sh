#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side runner of the shmem swapin selftests.
#
# Runs each test binary, passes its KTAP output through, and ends with the
# line "N passed, N failed" (skipped tests count as passed; their number is
# printed on the line before as "# N skipped").  Exits non-zero if any test
# failed, a binary is missing, crashed, or hit its time budget.
#
# Environment:
#   SELFTEST_BIN_DIR      directory of the binaries (default: ./bin next to
#                         this script)
#   SELFTEST_PROGS        binaries to run (default: all ten, in this order: basic, batch, race, handoff,
#                         large, giveup, twodev, truncate_large_swap, trace, zswap; zswap last, as enabling
#                         zswap ends large swapins for the rest of the boot)
#   SELFTEST_BIN_TIMEOUT  seconds per binary before it is killed (default
#                         1500; each test also has its own harness timeout)
#   SELFTEST_STOP_ON_FAIL if 1, run no further binary after one with a
#                         failure (make negative: the first binary that
#                         catches a broken variant names it; saves time)
#   SHMEM_SWAPIN_SCALE, SHMEM_SWAPIN_DELAY_US, SHMEM_SWAPIN_SWAPDEV,
#   SHMEM_SWAPIN_CGROUP   passed through to the tests (see
#                         docs/testing.md)
# Arguments are passed to every binary (kselftest harness filters, e.g.
# "-t same_page_many_threads"; "-l" lists the tests).

set -u

here=$(cd "$(dirname "$0")" && pwd)
bindir=${SELFTEST_BIN_DIR:-$here/bin}
progs=${SELFTEST_PROGS:-"shmem_swapin_basic shmem_swapin_batch shmem_swapin_race shmem_swapin_handoff shmem_swapin_large shmem_swapin_giveup shmem_swapin_twodev shmem_truncate_large_swap shmem_swapin_trace shmem_swapin_zswap"}
budget=${SELFTEST_BIN_TIMEOUT:-1500}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmem_swapin_run.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# listing or help: no results to count
case " $* " in
*" -l "*|*" -h "*)
	for p in $progs; do
		echo "# ==== $p ===="
		"$bindir/$p" "$@"
	done
	exit 0
	;;
esac

passed=0
failed=0
skipped=0

count() {	# count PATTERN FILE
	grep -cE "$1" "$2" 2>/dev/null || true
}

for p in $progs; do
	exe=$bindir/$p
	out=$tmp/$p.out
	rcf=$tmp/$p.rc
	echo "# ==== $p ===="
	if [ ! -x "$exe" ]; then
		echo "not ok - $p: binary $exe missing (build with make -C selftests KTREE=...)"
		failed=$((failed + 1))
		continue
	fi
	if command -v timeout >/dev/null 2>&1; then
		{ timeout -s KILL "$budget" "$exe" "$@" 2>&1; echo $? >"$rcf"; } | tee "$out"
	else
		{ "$exe" "$@" 2>&1; echo $? >"$rcf"; } | tee "$out"
	fi
	rc=$(cat "$rcf" 2>/dev/null || echo 255)

	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	ok=$(count '^ok [0-9]+ ' "$out")
	skip=$(count '^ok [0-9]+ .*# SKIP' "$out")
	notok=$(count '^not ok [0-9]+ ' "$out")
	missing=0
	if [ -n "$plan" ] && [ "$plan" -gt $((ok + notok)) ]; then
		missing=$((plan - ok - notok))
		echo "# $p: $missing of $plan results missing (crashed or killed after ${budget}s?): counted as failed"
	fi
	extra=0
	if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ] && [ "$missing" -eq 0 ]; then
		# the harness exits non-zero on failure; 4 is "all skipped"
		if [ "$rc" -ne 4 ] || [ "$skip" -ne "$ok" ]; then
			echo "# $p: exit status $rc without a failed result: counted as one failure"
			extra=1
		fi
	fi
	if [ -z "$plan" ] && [ "$ok" -eq 0 ] && [ "$notok" -eq 0 ]; then
		echo "# $p: no KTAP results at all (exit status $rc)"
		extra=1
	fi
	passed=$((passed + ok))
	skipped=$((skipped + skip))
	failed=$((failed + notok + missing + extra))
	if [ "${SELFTEST_STOP_ON_FAIL:-0}" = 1 ] && [ "$failed" -gt 0 ]; then
		echo "# stopping after $p: SELFTEST_STOP_ON_FAIL=1 and a test failed"
		break
	fi
done

echo "# $skipped skipped (counted as passed)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
