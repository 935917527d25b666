#!/usr/bin/env bash
# make negative: show the tests can fail. Pushes the test-only patch in patches/negative/
# (the owner installs without checking its marker) on top of the series in build/linux,
# builds the test kernel incrementally, pops the patch again (and rebuilds), then boots the
# broken kernel with the whole test job and expects failures. Prints which tests caught it;
# exits 0 only if the suite failed as it must.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
tree=$BUILD/linux
QRC=$TOP/scripts/quiltrc
export QUILT_SERIES=$BUILD/series-neg
{ cat "$TOP/patches/series"; cat "$TOP/patches/negative/series"; } > "$QUILT_SERIES"
neg=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/patches/negative/series" | head -n 1)
q() { (cd "$tree" && quilt --quiltrc "$QRC" "$@"); }
# quilt remembers its series file in .pc/.quilt_series: point it at the combined one while
# the negative patch is pushed, and back afterwards
qs=$tree/.pc/.quilt_series
orig_qs=$(cat "$qs" 2>/dev/null || echo series)
[ "$(q top 2>/dev/null)" = "$(tail -n 1 "$TOP/patches/series")" ] ||
	die "build/linux is not at the top of the series: run make tree"
[ -z "$(q diff -z 2>/dev/null)" ] || die "build/linux has unrefreshed edits: make refresh first"

restore() {
	if [ "$(q top 2>/dev/null)" = "$neg" ]; then
		q pop -q >/dev/null
		echo "$orig_qs" > "$qs"
		note "negative patch popped; rebuilding the test kernel"
		"$TOP/scripts/kernel.sh" test >/dev/null
	fi
}
trap restore EXIT
echo "$QUILT_SERIES" > "$qs"
q push -q "$neg" >/dev/null || die "the negative patch does not apply"
"$TOP/scripts/kernel.sh" test >/dev/null || die "negative kernel failed to build"
img=$BUILD/negative-bzImage
cp "$BUILD/obj-test/arch/x86/boot/bzImage" "$img"
restore
echo "$orig_qs" > "$qs"
trap - EXIT

make -s -C "$TOP/selftests" KTREE="$tree" >/dev/null || exit 1
GUEST_DEBUG=1 GUEST_QUIET=1 "$TOP/scripts/guest.sh" "$img" "$TOP/guest/jobs/test.sh" negative \
	"${TEST_TIMEOUT:-1500}"
rc=$?
out=$(cat "$TOP/results/.last-negative")
echo "negative control ($neg): guest exit $rc; tests that failed, i.e. caught it:"
grep -a -E '^[[:space:]]*not ok' "$out/ktap.log" 2>/dev/null | sed 's/^/  /'
"$TOP/scripts/console-check.sh" "$out/console.log" 2>&1 | head -n 6
if [ $rc -eq 0 ]; then
	echo "FAIL: the suite passed on a kernel with a broken protocol"
	exit 1
fi
echo "ok: the suite fails on the negative control (results: $out)"
