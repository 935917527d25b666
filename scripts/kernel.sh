#!/usr/bin/env bash
# Build a kernel out of tree with ccache.
#
#   scripts/kernel.sh FLAVOUR [stock]
#
# FLAVOUR is test or bench: configs/base.config + configs/FLAVOUR.config over tinyconfig;
# coverage: the test config plus configs/coverage.config (gcov); trace: the bench config plus
# configs/trace.config (ftrace, hist triggers, BPF), built from the bench kernel's tree.
# "stock" builds the pristine 6.12.117 tree (no series) with the same config, for comparisons;
# "negative" builds NEG_TREE (build/neg/linux, make negative) in build/neg/obj-FLAVOUR;
# "fix" builds build/linux-fix (pristine + the series' first patch alone, make check-fix);
# "notrace" builds TRACE_SRC (build/linux-notrace: the events compiled out, make trace-cost).
# Prints the path of the bzImage on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: kernel.sh test|bench [stock]}
variant=${2:-patched}
[ -f "$TOP/configs/$flavour.config" ] || die "no configs/$flavour.config"

if [ "$variant" = negative ]; then
	# make negative: a copy of the series' tree with one broken variant applied
	src=${NEG_TREE:-$BUILD/neg/linux}
	obj=$BUILD/neg/obj-$flavour
elif [ "$variant" = notrace ]; then
	# make trace-cost: the bench tree with the events compiled out (TRACE_SRC)
	src=${TRACE_SRC:-$BUILD/linux-notrace}
	obj=$BUILD/obj-notrace-$flavour
	[ -f "$src/Makefile" ] || die "no prepared tree at $src: run 'make trace-cost'"
elif [ "$variant" = fix ]; then
	src=$BUILD/linux-fix
	obj=$BUILD/obj-fix-$flavour
	[ -f "$src/Makefile" ] || die "no prepared tree at $src: run 'make check-fix'"
elif [ "$variant" = stock ]; then
	src=$("$TOP/scripts/tree.sh" pristine >/dev/null && \
		if [ -n "${KSRC:-}" ]; then echo "$BUILD/pristine/ksrc"; else echo "$BUILD/pristine/linux-$KVER"; fi)
	obj=$BUILD/obj-stock-$flavour
else
	# the bench kernel carries the benchmark-only peer patches (patches/peer/)
	src=$BUILD/linux
	[ "$flavour" = bench ] || [ "$flavour" = trace ] && src=$BUILD/linux-peer
	obj=$BUILD/obj-$flavour
	[ -f "$src/Makefile" ] || die "no prepared tree at $src: run 'make tree' (bench: scripts/tree.sh prepare peer)"
fi

for t in gcc:gcc make:make flex:flex bison:bison bc:bc ccache:ccache cpio:cpio; do
	need "${t%%:*}" "${t##*:}"
done
[ -e /usr/include/libelf.h ] || die "libelf.h missing: install Debian package libelf-dev"
[ -e /usr/include/openssl/ssl.h ] || die "openssl headers missing: install Debian package libssl-dev"

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/shmbp-ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-10G}
export KBUILD_BUILD_TIMESTAMP='2026-01-01'
export KBUILD_BUILD_USER=shmbp KBUILD_BUILD_HOST=rig
mkdir -p "$obj"
jobs=${JOBS:-$(nproc)}
# KMAKE_EXTRA: more make variables (make coverage: GCOV_PROFILE_<object>=y)
# shellcheck disable=SC2086
kmake() { make -C "$src" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs" ${KMAKE_EXTRA:-} "$@"; }

# Config: regenerate when the fragments changed.
frags=("$TOP/configs/base.config" "$TOP/configs/$flavour.config")
# the coverage kernel is the test kernel with gcov (make coverage)
[ "$flavour" = coverage ] && frags=("$TOP/configs/base.config" "$TOP/configs/test.config" \
	"$TOP/configs/coverage.config")
[ "$flavour" = trace ] && frags=("$TOP/configs/base.config" "$TOP/configs/bench.config" \
	"$TOP/configs/trace.config")
cstamp=$(hash_files "${frags[@]}")
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.shmbp-config" 2>/dev/null)" != "$cstamp" ]; then
	note "configuring $obj (tinyconfig + ${frags[*]##*/})"
	kmake -s tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" > "$obj/merge.log" 2>&1 ||
		{ cat "$obj/merge.log" >&2; die "merge_config failed"; }
	kmake -s olddefconfig >/dev/null
	# Every option we ask for must have been taken.
	missing=$(cat "${frags[@]}" | sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=\(.*\)$/\1 \2/p' | while read -r k v; do
		if [ "$v" = n ]; then
			grep -qx "$k=y" "$obj/.config" && echo "$k (wanted n)"
		else
			grep -qx "$k=$v" "$obj/.config" || echo "$k=$v"
		fi
	done || true)
	if [ -n "$missing" ]; then
		echo "error: options not taken by Kconfig (dependency missing?):" >&2
		echo "$missing" | sed 's/^/  /' >&2
		exit 1
	fi
	echo "$cstamp" > "$obj/.shmbp-config"
fi

note "building $variant $flavour kernel in $obj (log: $obj/build.log)"
start=$(date +%s)
if ! run_with_progress "$obj/build.log" kmake bzImage; then
	echo "error: the $variant $flavour kernel failed to build; first error:" >&2
	grep -n -m1 -B2 -A6 -E '(error|Error [0-9]+|undefined reference|\*\*\*)' "$obj/build.log" >&2 || tail -n 30 "$obj/build.log" >&2
	echo "(full log: $obj/build.log)" >&2
	exit 1
fi
if grep -E 'warning:' "$obj/build.log" > "$obj/warnings.log"; then
	note "$(wc -l < "$obj/warnings.log") compiler warnings, see $obj/warnings.log"
fi
note "built in $(( $(date +%s) - start )) s"
echo "$obj/arch/x86/boot/bzImage"
