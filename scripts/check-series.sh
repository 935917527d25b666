#!/usr/bin/env bash
# Build checks of the series, in a scratch tree of its own (build/series):
#   prefixes  every prefix of the series builds (bench config), with W=1 on mm/shmem*
#   configs   the whole series builds without CONFIG_SWAP, THP, MEMCG, ZSWAP, SHMEM
# Default: both. Prints one KTAP line per build and 'N passed, N failed'.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
what=${1:-all}
QRC=$TOP/scripts/quiltrc
src=$BUILD/series
pristine=$BUILD/pristine/linux-$KVER
[ -n "${KSRC:-}" ] && pristine=$BUILD/pristine/ksrc
"$TOP/scripts/tree.sh" pristine >/dev/null || exit 1
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/shmbp-ccache} CCACHE_BASEDIR=$BUILD
export KBUILD_BUILD_TIMESTAMP='2026-01-01' KBUILD_BUILD_USER=shmbp KBUILD_BUILD_HOST=rig
jobs=${JOBS:-$(nproc)}
n=0 passed=0 failed=0

fresh_tree() {
	rm -rf "$src"
	cp -a "$pristine" "$src"
	for f in $(owned_files); do
		mkdir -p "$src/$(dirname "$f")"
		cp "$TOP/$f" "$src/$f"
	done
	ln -sfn "$TOP/patches" "$src/patches"
}

# build OBJDIR FRAGMENT... : configure (tinyconfig + fragments) and build bzImage
build() {
	local obj=$1
	shift
	mkdir -p "$obj"
	make -s -C "$src" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" tinyconfig >/dev/null 2>&1 &&
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$@" >/dev/null 2>&1 &&
	make -s -C "$src" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" olddefconfig >/dev/null 2>&1 &&
	make -C "$src" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs" bzImage > "$obj/build.log" 2>&1
}

result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		passed=$((passed + 1))
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		echo "not ok $n $2"
		grep -n -m1 -B2 -A6 -E '(error|undefined reference)' "$3" | sed 's/^/# /'
	fi
}

new_warnings() {
	# W=1 warnings in the files the series touches or owns
	grep -E '^(\.\./)*[^ ]*(mm/shmem|mm/vmstat|mm/shmem/)[^ ]*:[0-9]+:[0-9]+: warning' "$1" || true
}

if [ "$what" = all ] || [ "$what" = prefixes ]; then
	fresh_tree
	obj=$BUILD/obj-series
	i=0
	build "$obj" "$TOP/configs/base.config" "$TOP/configs/bench.config"
	result $? "pristine + owned files builds" "$obj/build.log"
	for p in $(series_patches); do
		i=$((i + 1))
		if ! (cd "$src" && quilt --quiltrc "$QRC" push -q >/dev/null); then
			result 1 "patch $i $p applies" /dev/null
			break
		fi
		make -C "$src" O="$obj" CC="ccache gcc" -j"$jobs" bzImage > "$obj/build.log" 2>&1
		rc=$?
		result $rc "prefix 1-$i builds ($p)" "$obj/build.log"
		make -C "$src" O="$obj" CC="ccache gcc" W=1 mm/shmem.o mm/vmstat.o > "$obj/w1.log" 2>&1
		if [ -d "$src/mm/shmem" ] && grep -q 'shmem/' "$src/mm/Makefile"; then
			make -C "$src" O="$obj" CC="ccache gcc" W=1 mm/shmem/ >> "$obj/w1.log" 2>&1
		fi
		w=$(new_warnings "$obj/w1.log")
		[ -z "$w" ]
		result $? "prefix 1-$i: no W=1 warnings in mm/shmem*, mm/vmstat.c" "$obj/w1.log"
		[ -n "$w" ] && echo "$w" | head -n 5 | sed 's/^/# /'
	done
fi

if [ "$what" = all ] || [ "$what" = configs ]; then
	[ -d "$src/.pc" ] && [ "$(cd "$src" && quilt --quiltrc "$QRC" unapplied 2>/dev/null | wc -l)" = 0 ] || {
		fresh_tree
		(cd "$src" && quilt --quiltrc "$QRC" push -a -q >/dev/null) || { result 1 "series applies" /dev/null; }
	}
	for v in SWAP TRANSPARENT_HUGEPAGE MEMCG ZSWAP SHMEM; do
		frag=$(mktemp)
		echo "CONFIG_$v=n" > "$frag"
		[ $v = SWAP ] && printf 'CONFIG_ZSWAP=n\nCONFIG_ZRAM=n\nCONFIG_ZSMALLOC=n\n' >> "$frag"
		[ $v = TRANSPARENT_HUGEPAGE ] && echo "CONFIG_THP_SWAP=n" >> "$frag"
		obj=$BUILD/obj-cfg-no-$v
		build "$obj" "$TOP/configs/base.config" "$TOP/configs/bench.config" "$frag"
		rc=$?
		if [ $rc = 0 ] && grep -q "^CONFIG_$v=y" "$obj/.config"; then rc=1; echo "# CONFIG_$v still set"; fi
		result $rc "series builds with CONFIG_$v=n" "$obj/build.log"
		rm -f "$frag"
	done
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
