#!/usr/bin/env bash
# make negative [NEG_VARIANTS="name ..."] [NEG_PROGS="shmem_swapin_handoff ..."] [NEG_FULL=1]
#               [NEG_BUILD_ONLY=1]
#
# Show the suite catches every broken protocol variant in patches/negative/ (one test-only
# patch per class, listed in patches/negative/series). For each variant: apply it to a copy
# of build/linux (build/neg/linux, built incrementally in build/neg/obj-test), build the
# debug kernel, boot it with our selftests, and report what caught it: the tests that failed,
# and a kernel splat (WARN, hang, KASAN...) with the test that was running; by default the
# guest stops after the first binary that fails (NEG_FULL=1 runs them all). Exits non-zero
# if any variant was not caught (or did not apply or build).
# NEG_BUILD_ONLY=1 builds each variant's kernel and boots nothing: with it, the md5 sums of
# the objects under mm/ of each build go to build/negative/<variant>.objsums, to compare a
# variant built after another with the same variant built from a fresh tree
# (scripts/neg-fresh-check.sh).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
src=$BUILD/linux
# build/neg/linux and build/neg/obj-test sit as build/linux and build/obj-test do, so that
# the relative paths ccache sees are the same and the first variant build hits the cache
ntree=$BUILD/neg/linux
negdir=$TOP/patches/negative
out=$BUILD/negative
QRC=$TOP/scripts/quiltrc
mkdir -p "$out"

q() { (cd "$src" && quilt --quiltrc "$QRC" "$@"); }
[ "$(q top 2>/dev/null)" = "$(series_patches | tail -n 1)" ] ||
	die "build/linux is not at the top of the series: run make tree"
[ -z "$(q diff -z 2>/dev/null)" ] || die "build/linux has unrefreshed edits: make refresh first"

variants=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$negdir/series" | awk '{print $1}')
if [ -n "${NEG_VARIANTS:-}" ]; then
	sel=
	for v in $variants; do
		for w in $NEG_VARIANTS; do case $v in *"$w"*) sel+=" $v" ;; esac; done
	done
	variants=$sel
fi
[ -n "$variants" ] || die "no variant selected (patches/negative/series, NEG_VARIANTS)"

# The variant tree: a copy of build/linux. Files a variant changes are put back with
# patch -R afterwards, which gives them a new mtime, so the next build recompiles them.
# The copy compares contents (--checksum) and does not carry build/linux's mtimes over
# (no -t): rsync -a would give a file the previous run left changed (or put back) the
# older mtime of build/linux, older than the object built from the variant, and make
# would keep that object, so the next kernels silently carried the earlier variant.
# NEG_OLD_SYNC=1 copies the old way, for scripts/neg-fresh-check.sh to show the difference.
nsync() {
	if [ "${NEG_OLD_SYNC:-0}" = 1 ]; then
		rsync -a --delete --exclude=/.pc --exclude=/patches "$src"/ "$ntree"/
	else
		rsync -rlpD --checksum --delete --exclude=/.pc --exclude=/patches "$src"/ "$ntree"/
	fi
}
note "syncing $ntree from build/linux"
mkdir -p "$ntree"
nsync || die "cannot copy build/linux to $ntree"

make -s -C "$TOP/selftests" KTREE="$src" >/dev/null || die "selftests do not build"

summary=$out/summary.txt
: > "$summary"
uncaught=0
for v in $variants; do
	name=${v%.patch}
	short=$(echo "$name" | sed -E 's/^[0-9]+-//; s/^NEGATIVE-//')
	note "variant $name"
	if ! (cd "$ntree" && patch -p1 --forward --batch < "$negdir/$v") > "$out/$short.patch.log" 2>&1; then
		echo "FAIL: negative variant $v does not apply to the series:" >&2
		grep -E 'Hunk|FAILED|patching file|malformed' "$out/$short.patch.log" | sed 's/^/  /' >&2
		(cd "$ntree" && patch -p1 -R --batch --silent < "$negdir/$v") >/dev/null 2>&1
		nsync
		printf '%-34s DOES NOT APPLY\n' "$short" >> "$summary"
		uncaught=$((uncaught + 1))
		continue
	fi
	img=$out/$short.bzImage
	if ! NEG_TREE=$ntree "$TOP/scripts/kernel.sh" test negative > "$out/$short.build.log" 2>&1; then
		echo "FAIL: the kernel with variant $v does not build:" >&2
		tail -n 15 "$out/$short.build.log" >&2
		printf '%-34s DOES NOT BUILD\n' "$short" >> "$summary"
		uncaught=$((uncaught + 1))
	else
		cp "$BUILD/neg/obj-test/arch/x86/boot/bzImage" "$img"
	fi
	(cd "$ntree" && patch -p1 -R --batch < "$negdir/$v") >/dev/null 2>&1 ||
		die "cannot take variant $v back out of $ntree"
	[ -f "$img" ] || continue
	if [ "${NEG_BUILD_ONLY:-0}" = 1 ]; then
		(cd "$BUILD/neg/obj-test" && find mm -name '*.o' ! -name '*.mod.o' -print0 |
			sort -z | xargs -0 md5sum) > "$out/$short.objsums"
		printf '%-34s built (NEG_BUILD_ONLY)\n' "$short" | tee -a "$summary"
		continue
	fi

	# memsw-* variants break cgroup v1 accounting: the v1 boot of make test catches them
	job=$TOP/guest/jobs/negative.sh
	case $short in memsw-*) job=$TOP/guest/jobs/memsw.sh ;; esac
	# NEG_FULL=1: every binary even after one caught the variant (all catching tests listed)
	JOB_ENV=$(printf '%s\n' "SELFTEST_PROGS=\"${NEG_PROGS:-}\"" \
		"SELFTEST_STOP_ON_FAIL=$([ "${NEG_FULL:-0}" = 1 ] && echo 0 || echo 1)") \
		GUEST_DEBUG=1 GUEST_QUIET=1 \
		"$TOP/scripts/guest.sh" "$img" "$job" "neg-$short" \
		"${TEST_TIMEOUT:-1500}" 2> "$out/$short.guest.log"
	rc=$?
	res=$(cat "$TOP/results/.last-neg-$short")
	fails=$(grep -a -E '^[[:space:]]*not ok [0-9]+ ' "$res/ktap.log" 2>/dev/null |
		sed -E 's/^[[:space:]]*not ok [0-9]+ //; s/ #.*//' | sort -u | paste -sd, -)
	splat=
	if ! "$TOP/scripts/console-check.sh" "$res/console.log" 2>/dev/null; then
		# the report's own words only: test output interleaves with the console
		line=$(grep -a -o -m1 -E 'WARNING: CPU: [0-9]+ PID: [0-9]+ at [^ ]+ [^ ]+|BUG: [A-Za-z][^[]*|KASAN: [^[]*|blocked for more than [0-9]+ seconds|Bad swap[^[]*|Kernel panic[^[]*' \
			"$res/console.log" | head -n 1 | cut -c1-150)
		lw=$(grep -a -o -m1 -E 'shmem: lost wake-up[^[]*' "$res/console.log" | cut -c1-60)
		line="$line${lw:+ ($lw)}"
		[ -n "$line" ] || line=$("$TOP/scripts/console-check.sh" "$res/console.log" 2>&1 | sed -n 2,12p |
			grep -a -m1 -E 'WARNING|BUG|KASAN|panic|blocked for|lost wake-up|Bad' |
			sed -E 's/^  \| //; s/^\[ *[0-9.]+\] //' | cut -c1-150)
		first=$("$TOP/scripts/console-check.sh" "$res/console.log" 2>&1 | sed -n 's/.*(line \([0-9]*\)).*/\1/p')
		during=$(head -n "${first:-1}" "$res/console.log" | grep -a -E '^#[[:space:]]+RUN' | tail -n 1 |
			sed -E 's/^#[[:space:]]+RUN[[:space:]]+//; s/ \.\.\.//')
		splat="kernel: ${line:-see console} (during ${during:-?})"
	fi
	if [ $rc -eq 0 ] && [ -z "$fails" ] && [ -z "$splat" ]; then
		verdict="NOT CAUGHT"
		uncaught=$((uncaught + 1))
	else
		verdict="caught by: ${fails:-}${fails:+${splat:+; }}${splat}"
		[ -n "$fails$splat" ] || verdict="caught: guest exit $rc (hang or no report)"
	fi
	printf '%-34s %s\n' "$short" "$verdict" | tee -a "$summary"
	echo "  results: $res"
done
echo
echo "make negative: $(wc -l < "$summary") variants"
cat "$summary"
if [ "$uncaught" -ne 0 ]; then
	echo "FAIL: $uncaught variant(s) not caught (or not applied/built)"
	exit 1
fi
echo "ok: every broken variant was caught"
