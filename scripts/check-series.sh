#!/usr/bin/env bash
# Build checks of the series, compile level, in build/linux (restored afterwards):
#   prefixes  every prefix of the series compiles the files the series touches or owns
#             (mm/vmstat.o, mm/shmem.o, mm/shmem/) with W=1, and no W=1 warning is new
#             against the pristine files
#   configs   the whole series compiles them without CONFIG_SWAP, CONFIG_TRANSPARENT_HUGEPAGE,
#             CONFIG_MEMCG, CONFIG_ZSWAP (and CONFIG_SHMEM)
# Full links are exercised by the test and bench kernels. Prints KTAP lines and
# 'N passed, N failed'.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
what=${1:-all}
tree=$BUILD/linux
QRC=$TOP/scripts/quiltrc
q() { (cd "$tree" && quilt --quiltrc "$QRC" "$@"); }
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/shmbp-ccache} CCACHE_BASEDIR=$BUILD
jobs=${JOBS:-$(nproc)}
base_cfg=$BUILD/obj-bench/.config
[ -f "$base_cfg" ] || base_cfg=$BUILD/obj-test/.config
[ -f "$base_cfg" ] || die "build a kernel first (make kernel KCONF=bench)"
[ -z "$(q diff -z 2>/dev/null)" ] || die "build/linux has unrefreshed edits: make refresh first"
n=0 passed=0 failed=0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then passed=$((passed + 1)); echo "ok $n $2"
	else failed=$((failed + 1)); echo "not ok $n $2"; [ -n "${3:-}" ] && sed 's/^/# /' "$3" | head -n 12; fi
}
# configure OBJ [OPTION=n ...]
configure() {
	local obj=$1 o
	shift
	mkdir -p "$obj"
	cp "$base_cfg" "$obj/.config"
	for o in "$@"; do "$tree/scripts/config" --file "$obj/.config" --disable "${o%%=*}"; done
	make -s -C "$tree" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" olddefconfig >/dev/null 2>&1 &&
	make -s -C "$tree" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs" prepare > "$obj/prepare.log" 2>&1
}
compile() {
	local obj=$1 log=$2 t
	t="mm/vmstat.o mm/shmem.o"
	grep -q 'shmem/' "$tree/mm/Makefile" && [ -f "$tree/mm/shmem/Makefile" ] && t="$t mm/shmem/"
	# shellcheck disable=SC2086
	make -C "$tree" O="$obj" CC="ccache gcc" -j"$jobs" W=1 $t > "$log" 2>&1
}
warnings() { grep -E 'warning:' "$1" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u; }

restore() { q push -a -q >/dev/null 2>&1; }
trap restore EXIT

if [ "$what" = all ] || [ "$what" = prefixes ]; then
	obj=$BUILD/obj-series
	q pop -a -q >/dev/null 2>&1
	configure "$obj" || { result 1 "configure pristine" "$obj/prepare.log"; exit 1; }
	compile "$obj" "$obj/w1-0.log"
	result $? "pristine + owned files compile" "$obj/w1-0.log"
	warnings "$obj/w1-0.log" > "$obj/w1-0.warn"
	i=0
	for p in $(series_patches); do
		i=$((i + 1))
		q push -q >/dev/null || { result 1 "patch $i ($p) applies"; break; }
		compile "$obj" "$obj/w1-$i.log"
		result $? "prefix 1-$i compiles ($p)" "$obj/w1-$i.log"
		warnings "$obj/w1-$i.log" > "$obj/w1-$i.warn"
		new=$(comm -13 "$obj/w1-0.warn" "$obj/w1-$i.warn")
		[ -z "$new" ]
		result $? "prefix 1-$i: no new W=1 warning in mm/shmem.c, mm/shmem/, mm/vmstat.c"
		[ -n "$new" ] && echo "$new" | head -n 5 | sed 's/^/# /'
	done
	restore
fi

if [ "$what" = all ] || [ "$what" = configs ]; then
	restore
	for v in SWAP TRANSPARENT_HUGEPAGE MEMCG ZSWAP SHMEM; do
		obj=$BUILD/obj-cfg-no-$v
		opts=("CONFIG_$v=n")
		[ $v = SWAP ] && opts+=(CONFIG_ZSWAP=n CONFIG_ZRAM=n)
		configure "$obj" "${opts[@]}" || { result 1 "configure without CONFIG_$v" "$obj/prepare.log"; continue; }
		if grep -q "^CONFIG_$v=y" "$obj/.config"; then
			result 1 "CONFIG_$v could not be turned off"
			continue
		fi
		compile "$obj" "$obj/w1.log"
		result $? "series compiles without CONFIG_$v" "$obj/w1.log"
	done
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
