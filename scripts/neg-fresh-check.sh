#!/usr/bin/env bash
# scripts/neg-fresh-check.sh [A] [B]
#
# Show that make negative builds each variant from clean sources whatever ran before it:
# build variant A, then variant B in a separate run (B after A), then B again in a fresh
# build/neg (moved aside, then removed); the objects under mm/ of the two B builds must be
# the same, byte for byte. A and B change different files by default (handoff-no-wake:
# mm/shmem/swapin.c; install-unchecked: mm/shmem.c), so a B build that kept A's object
# shows as a difference in mm/shmem/swapin.o. Builds only, boots nothing (NEG_BUILD_ONLY).
# NEG_OLD_SYNC=1: the same with the harness's old copy (rsync -a, mtimes carried over), which
# is expected to FAIL: the B built after A then still carries A's object.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
a=${1:-handoff-no-wake}
b=${2:-install-unchecked}
out=$BUILD/negative
run() { NEG_BUILD_ONLY=1 NEG_VARIANTS="$1" "$TOP/scripts/negative.sh" >/dev/null ||
	die "building variant $1 failed (see $out/$1.build.log)"; }

note "variant $a, then variant $b in a separate run"
run "$a"
run "$b"
cp "$out/$b.objsums" "$out/$b.after-$a.objsums"
note "variant $b in a fresh build/neg"
rm -rf "$BUILD/neg.old" && mv "$BUILD/neg" "$BUILD/neg.old"
run "$b"
rm -rf "$BUILD/neg.old"
cp "$out/$b.objsums" "$out/$b.fresh.objsums"
n=$(wc -l < "$out/$b.fresh.objsums")
if diff <(awk '{print $2, $1}' "$out/$b.after-$a.objsums") \
	<(awk '{print $2, $1}' "$out/$b.fresh.objsums") > "$out/$b.objsums.diff"; then
	echo "ok: $b built after $a and $b built fresh: the same $n objects under mm/"
else
	echo "FAIL: $b built after $a differs from $b built fresh:"
	sed 's/^/  /' "$out/$b.objsums.diff"
	exit 1
fi
