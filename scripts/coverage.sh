#!/usr/bin/env bash
# make coverage: which lines the series adds to mm/shmem.c, and which lines of the owned
# files (mm/shmem/*.c), the test suite executes.
#
# Builds the test kernel with gcov (configs/coverage.config; only mm/shmem.o and
# mm/shmem/swapin.o are profiled), boots it with the make test job, copies the counters out
# (guest/jobs/coverage.sh), runs gcov on the host and prints every added line that ran
# zero times, then the percentage. The report stays in results/coverage-<stamp>/.
# Exit: non-zero if the suite failed in the guest (the figures are printed all the same).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need gcov gcc

objs="GCOV_PROFILE_shmem.o=y GCOV_PROFILE_swapin.o=y"
kernel=$(KMAKE_EXTRA="$objs" "$TOP/scripts/kernel.sh" coverage) || exit 1
obj=$BUILD/obj-coverage
make -s -C "$TOP/selftests" KTREE="$BUILD/linux" >/dev/null || exit 1
"$TOP/scripts/upstream.sh" build || exit 1

note "booting the coverage kernel with the make test job"
GUEST_DEBUG=1 GUEST_QUIET=${GUEST_QUIET:-1} "$TOP/scripts/guest.sh" "$kernel" \
	"$TOP/guest/jobs/coverage.sh" coverage "${TEST_TIMEOUT:-2400}"
grc=$?
out=$(cat "$TOP/results/.last-coverage")
[ -f "$out/ktap.log" ] && grep -a -E '^(ok|not ok) ' "$out/ktap.log" | grep -c '^not ok' |
	xargs -I{} echo "suite in the coverage boot: {} failed result line(s) (ktap.log)"

# the counters next to their notes files, then gcov from a scratch folder
work=$out/gcov
mkdir -p "$work"
n=0
while read -r f; do
	rel=${f#"$out/gcda"}
	dst=$obj/${rel#"$obj"/}
	[ -f "${dst%.gcda}.gcno" ] || { note "no notes file for $rel"; continue; }
	cp "$f" "$dst"
	n=$((n + 1))
done < <(find "$out/gcda" -name '*.gcda' 2>/dev/null)
[ "$n" -gt 0 ] || die "no gcov counters came back from the guest (see $out/console.log)"
(cd "$work" && gcov -b -o "$obj/mm" "$BUILD/linux/mm/shmem.c" > gcov-shmem.log 2>&1 &&
	gcov -b -o "$obj/mm/shmem" "$BUILD/linux/mm/shmem/swapin.c" > gcov-swapin.log 2>&1) ||
	die "gcov failed: $work/gcov-*.log"

python3 "$TOP/scripts/coverage-report.py" "$BUILD/pristine/linux-$KVER" "$BUILD/linux" "$work" |
	tee "$out/report.txt"
echo "report: $out/report.txt"
[ "$grc" = 0 ]
