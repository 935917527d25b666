#!/usr/bin/env bash
# make negative: show the tests can fail. Builds the test kernel with a broken protocol
# (patches/negative/: the owner installs without checking its marker) in a tree of its own
# (build/linux-neg), boots it with the selftests and expects failures. Prints which tests
# caught it; exits 0 only if the suite failed as it must.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
neg=$BUILD/linux-neg
series=$BUILD/series-neg
{ cat "$TOP/patches/series"; cat "$TOP/patches/negative/series"; } > "$series"
"$TOP/scripts/tree.sh" pristine >/dev/null || exit 1
stamp=$(hash_files "$series" "$TOP"/patches/*.patch "$TOP"/patches/negative/*.patch $(owned_files | sed "s|^|$TOP/|"))
if [ "$(cat "$neg/.shmbp-stamp" 2>/dev/null)" != "$stamp" ]; then
	note "preparing $neg (series + negative control)"
	rm -rf "$neg"
	cp -a "$BUILD/pristine/linux-$KVER" "$neg"
	for f in $(owned_files); do mkdir -p "$neg/$(dirname "$f")"; cp "$TOP/$f" "$neg/$f"; done
	ln -sfn "$TOP/patches" "$neg/patches"
	(cd "$neg" && QUILT_SERIES=$series quilt --quiltrc "$TOP/scripts/quiltrc" push -a -q >/dev/null) ||
		die "negative series does not apply"
	echo "$stamp" > "$neg/.shmbp-stamp"
fi
# Build with the test config in its own object directory.
obj=$BUILD/obj-neg
mkdir -p "$obj"
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/shmbp-ccache} CCACHE_BASEDIR=$BUILD
if [ ! -f "$obj/.config" ]; then
	cp "$BUILD/obj-test/.config" "$obj/.config" 2>/dev/null ||
		die "build the test kernel first (make kernel)"
fi
make -C "$neg" O="$obj" CC="ccache gcc" -j"$(nproc)" olddefconfig bzImage > "$obj/build.log" 2>&1 ||
	{ grep -m1 -A5 error "$obj/build.log"; die "negative kernel failed to build"; }
make -s -C "$TOP/selftests" KTREE="$BUILD/linux" >/dev/null || exit 1
GUEST_DEBUG=1 GUEST_QUIET=1 "$TOP/scripts/guest.sh" "$obj/arch/x86/boot/bzImage" \
	"$TOP/guest/jobs/test.sh" negative "${TEST_TIMEOUT:-1500}"
rc=$?
out=$(cat "$TOP/results/.last-negative")
echo "negative control kernel: guest exit $rc; tests that failed (they caught the broken protocol):"
grep -a -E '^[[:space:]]*not ok' "$out/ktap.log" 2>/dev/null | sed 's/^/  /'
"$TOP/scripts/console-check.sh" "$out/console.log" 2>&1 | head -n 8
if [ $rc -eq 0 ]; then
	echo "FAIL: the suite passed on a kernel with a broken protocol"
	exit 1
fi
echo "ok: the suite fails on the negative control (results: $out)"
