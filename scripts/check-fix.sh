#!/usr/bin/env bash
# make check-fix: the series' first patch (the truncation fix) on its own.
#
# It must apply to pristine 6.12.117 with none of the other patches, build, and make the
# truncation selftest (selftests/shmem_truncate_large_swap.c) pass, while stock 6.12.117
# fails it: there the ftruncate() into a large swap entry never returns. Two debug kernels
# (configs/test.config), one boot each. Ends with 'N passed, N failed'.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

first=$(series_patches | head -n 1)
[ -n "$first" ] || die "patches/series is empty"
tree=$BUILD/linux-fix
stamp=$(hash_files "$TOP/patches/$first")

"$TOP/scripts/tree.sh" pristine || exit 1
pristine=$BUILD/pristine/linux-$KVER
[ -z "${KSRC:-}" ] || pristine=$BUILD/pristine/ksrc
if [ "$(cat "$tree/.shmbp-stamp" 2>/dev/null)" != "$stamp" ]; then
	note "preparing $tree: pristine + $first"
	new=$tree.new
	rm -rf "$new"
	cp -a "$pristine" "$new"
	rm -f "$new/.shmbp-pristine"
	if ! (cd "$new" && patch -p1 --no-backup-if-mismatch -s < "$TOP/patches/$first") > "$BUILD/check-fix-patch.log" 2>&1; then
		echo "error: $first does not apply to pristine $KVER on its own:" >&2
		cat "$BUILD/check-fix-patch.log" >&2
		rm -rf "$new"
		exit 1
	fi
	if [ -d "$tree" ]; then
		rsync -rlpD --checksum --delete "$new"/ "$tree"/
		rm -rf "$new"
	else
		mv "$new" "$tree"
	fi
	echo "$stamp" > "$tree/.shmbp-stamp"
fi

"$TOP/scripts/tree.sh" prepare >/dev/null || exit 1	# selftests build against build/linux
make -s -C "$TOP/selftests" KTREE="$BUILD/linux" || exit 1
kstock=$("$TOP/scripts/kernel.sh" test stock) || exit 1
kfix=$("$TOP/scripts/kernel.sh" test fix) || exit 1

passed=0
failed=0
run() {	# run NAME KERNEL EXPECT(pass|hang) WHAT
	local out rc
	note "$4"
	JOB_ENV="EXPECT=$3" GUEST_DEBUG=1 GUEST_QUIET=1 \
		"$TOP/scripts/guest.sh" "$2" "$TOP/guest/jobs/truncfix.sh" "$1" 300
	rc=$?
	out=$(cat "$TOP/results/.last-$1")
	grep -a -E '^(#|ok|not ok)' "$out/ktap.log" 2>/dev/null | sed 's/^/    /'
	if [ $rc -eq 0 ]; then
		echo "ok - $4"
		passed=$((passed + 1))
	else
		echo "not ok - $4 (guest exit $rc, see $out/console.log)"
		failed=$((failed + 1))
	fi
}
run truncfix-stock "$kstock" hang "stock $KVER: ftruncate() into a large swap entry does not return"
run truncfix-fix "$kfix" pass "$KVER + $first alone: the truncation selftest passes"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
