#!/usr/bin/env bash
# make deb: a Debian kernel package (make bindeb-pkg) of the patched tree.
#
#   scripts/deb.sh [KCONFIG]      KCONFIG: a .config file, or bench|test for the rig's configs
#
# The source is a copy of build/linux (the series' tree, made by 'make tree') in build/deb/linux;
# DEB_TREE=/path takes another tree with the whole series applied. The config is Debian's own
# (linux-config-6.12, config.amd64_none_amd64.xz) unless KCONFIG names a .config; then
# olddefconfig, the feature's options forced on, LOCALVERSION=-shmem-marker (DEB_LOCALVERSION),
# and what a local build cannot satisfy handled: the signing and certificate options point at
# nothing or at a key the build generates, and debug info is off (DEB_DEBUG_INFO=1 keeps
# Debian's DWARF + BTF, which needs pahole and about doubles the build).
# Packages land in build/deb/<debian|kconfig>/; the script prints their paths.
# Environment: JOBS, CCACHE_DIR (as scripts/kernel.sh), DEB_NICE=19 (nice level of the build),
# DEB_CONFIG_ONLY=1 (stop after writing the config), DEB_TREE, DEB_LOCALVERSION, DEB_DEBUG_INFO.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kconfig=${1:-${KCONFIG:-}}
localversion=${DEB_LOCALVERSION:--shmem-marker}
debcfg_pkg=linux-config-6.12
debcfg=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz

"$TOP/scripts/deps.sh" dpkg-dev debhelper kmod openssl || exit 1
for t in gcc:gcc make:make flex:flex bison:bison bc:bc ccache:ccache cpio:cpio rsync:rsync \
	dpkg-buildpackage:dpkg-dev depmod:kmod openssl:openssl xz:xz-utils; do
	need "${t%%:*}" "${t##*:}"
done
[ -e /usr/include/libelf.h ] || die "libelf.h missing: install Debian package libelf-dev"
[ -e /usr/include/openssl/ssl.h ] || die "openssl headers missing: install Debian package libssl-dev"

if [ -n "$kconfig" ] && [[ "$kconfig" != */* ]] && [ -f "$TOP/configs/$kconfig.config" ]; then
	# KCONFIG=bench|test: the rig's own config (tinyconfig + base + that fragment)
	name=rig-$kconfig
	rigcfg=$kconfig
	kconfig=
elif [ -n "$kconfig" ]; then
	[ -f "$kconfig" ] || die "KCONFIG=$kconfig: no such file (nor configs/$kconfig.config)"
	kconfig=$(realpath "$kconfig")
	name=kconfig
else
	rigcfg=
	if [ ! -f "$debcfg" ]; then
		"$TOP/scripts/deps.sh" "$debcfg_pkg" || exit 1
	fi
	[ -f "$debcfg" ] || die "$debcfg missing: install Debian package $debcfg_pkg"
	name=debian
fi
[ "${DEB_DEBUG_INFO:-0}" = 1 ] && need pahole dwarves

# The source: a copy of the series' tree, never a build inside it.
src_in=${DEB_TREE:-$BUILD/linux}
[ -f "$src_in/Makefile" ] || die "no prepared tree at $src_in: run 'make tree'"
if [ -z "${DEB_TREE:-}" ]; then
	applied=$(cat "$src_in/.pc/applied-patches" 2>/dev/null)
	[ "$applied" = "$(series_patches)" ] ||
		die "$src_in does not have exactly the patches of patches/series applied: run 'make tree'"
fi
src=$BUILD/deb/linux
out=$BUILD/deb/$name
obj=$out/obj
mkdir -p "$src" "$obj"
note "copying $src_in to $src"
# --checksum: unchanged files keep their mtime, so a second build is incremental
rsync -a --checksum --delete --exclude=/.pc --exclude=/patches --exclude='/.shmbp-*' \
	--exclude=/.git "$src_in"/ "$src"/ || die "rsync of $src_in failed"

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/shmbp-ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-10G}
export KBUILD_BUILD_TIMESTAMP='2026-01-01' KBUILD_BUILD_USER=shmbp KBUILD_BUILD_HOST=rig
export KDEB_CHANGELOG_DIST=${KDEB_CHANGELOG_DIST:-bookworm}
jobs=${JOBS:-$(nproc)}
kmake() {
	nice -n "${DEB_NICE:-19}" ionice -c3 make -C "$src" O="$obj" CC="ccache gcc" \
		HOSTCC="ccache gcc" LOCALVERSION= -j"$jobs" "$@"
}

# Config: the base, then our settings, then olddefconfig; checked afterwards.
if [ -n "${rigcfg:-}" ]; then
	kmake -s tinyconfig >/dev/null || die "make tinyconfig failed"
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$TOP/configs/base.config" \
		"$TOP/configs/$rigcfg.config" > "$out/merge.log" 2>&1 ||
		{ cat "$out/merge.log" >&2; die "merge_config of configs/base.config configs/$rigcfg.config failed"; }
	kconfig="tinyconfig + configs/base.config + configs/$rigcfg.config"
	cp "$obj/.config" "$obj/.config.in"
elif [ -n "$kconfig" ]; then
	cp "$kconfig" "$obj/.config.in"
else
	xz -dc "$debcfg" > "$obj/.config.in" || die "cannot read $debcfg"
fi
cp "$obj/.config.in" "$obj/.config"
cfg() { "$src/scripts/config" --file "$obj/.config" "$@"; }
# the feature: shmem swapin with a synchronous swap device (zram), its counters and switch
for o in SHMEM TMPFS SWAP SYSFS VM_EVENT_COUNTERS; do cfg --enable "$o"; done
grep -q '^CONFIG_ZRAM=[ym]' "$obj/.config" || cfg --enable ZSMALLOC --enable ZRAM
grep -q '^CONFIG_ZRAM_BACKEND_[A-Z0-9]*=y' "$obj/.config" || cfg --enable ZRAM_BACKEND_LZ4
cfg --set-str LOCALVERSION "$localversion" --disable LOCALVERSION_AUTO
# signing and certificates: nothing a local build does not have
cfg --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
	--disable SYSTEM_EXTRA_CERTIFICATE
if grep -q '^CONFIG_MODULE_SIG=y' "$obj/.config"; then
	# the build generates certs/signing_key.pem with openssl
	cfg --set-str MODULE_SIG_KEY certs/signing_key.pem
fi
if [ "${DEB_DEBUG_INFO:-0}" != 1 ]; then
	cfg --disable DEBUG_INFO --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
		--disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5 --disable DEBUG_INFO_BTF \
		--enable DEBUG_INFO_NONE
fi
kmake -s olddefconfig > "$out/config.log" 2>&1 || { cat "$out/config.log" >&2; die "olddefconfig failed"; }
bad=
for o in SHMEM TMPFS SWAP SYSFS VM_EVENT_COUNTERS; do
	grep -qx "CONFIG_$o=y" "$obj/.config" || bad="$bad CONFIG_$o"
done
grep -q '^CONFIG_ZRAM=[ym]' "$obj/.config" || bad="$bad CONFIG_ZRAM"
[ -z "$bad" ] || die "the config does not take what the feature needs:$bad (dependencies missing in $obj/.config)"
grep -qx "CONFIG_LOCALVERSION=\"$localversion\"" "$obj/.config" || die "LOCALVERSION was not taken"
note "config: ${kconfig:-$debcfg} + feature options, LOCALVERSION $localversion ($obj/.config)"

if [ "${DEB_CONFIG_ONLY:-0}" = 1 ]; then
	note "DEB_CONFIG_ONLY=1: stopping after the config"
	exit 0
fi

# Old packages of this flavour go, so that what is printed is what was built.
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
log=$out/build.log
note "make bindeb-pkg in $obj (log: $log); $jobs jobs, nice ${DEB_NICE:-19}"
start=$(date +%s)
# DPKG_FLAGS=-d: the tools were checked above (debian/rules uses debhelper's dh_* tools;
# the generated debian/control also names a cross-compiler package a native build does not use)
PROGRESS_S=${PROGRESS_S:-60} run_with_progress "$log" kmake DPKG_FLAGS=-d bindeb-pkg
rc=$?
secs=$(( $(date +%s) - start ))
echo "$secs" > "$out/build.seconds"
if [ $rc -ne 0 ]; then
	echo "error: make bindeb-pkg failed after $secs s; first error:" >&2
	grep -n -m1 -B2 -A6 -E '(error|Error [0-9]+|undefined reference|\*\*\*)' "$log" >&2 || tail -n 30 "$log" >&2
	echo "(full log: $log)" >&2
	exit 1
fi
# dpkg-buildpackage writes the packages next to the object tree, in $out
ls "$out"/linux-image-*.deb >/dev/null 2>&1 || die "no linux-image .deb in $out after the build (log: $log)"
note "built $(cat "$obj/include/config/kernel.release" 2>/dev/null) in $secs s"
ls "$out"/*.deb
