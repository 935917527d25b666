#!/usr/bin/env bash
# Prove a package of 'make deb': it installs into a Debian chroot with dpkg -i, and the kernel
# it installs boots in the rig's guest and passes the smoke test.
#
#   scripts/deb-prove.sh [DEBDIR]      default: build/deb/rig-bench (make deb KCONFIG=bench)
#
# The chroot is Debian bookworm, minbase, made once with debootstrap in build/deb/chroot
# (DEB_MIRROR, default http://deb.debian.org/debian). The package's /boot/vmlinuz-<release>
# is then booted with scripts/guest.sh and guest/jobs/smoke.sh (bypass, 32 MiB): this needs a
# config the rig's guest can boot (virtio 9p root, zram, cgroups: KCONFIG=bench has them;
# Debian's own config builds 9p and zram as modules, which a guest without an initramfs
# cannot load). KTAP lines and 'N passed, N failed'.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

debdir=$(realpath -m "${1:-$BUILD/deb/rig-bench}")
chroot_dir=$BUILD/deb/chroot
mirror=${DEB_MIRROR:-http://deb.debian.org/debian}
need debootstrap debootstrap
need dpkg-deb dpkg
[ "$(id -u)" = 0 ] || die "dpkg -i into a chroot needs root"

n=0 passed=0 failed=0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then passed=$((passed + 1)); echo "ok $n $2"
	else failed=$((failed + 1)); echo "not ok $n $2"; [ -n "${3:-}" ] && tail -n 12 "$3" | sed 's/^/# /'; fi
}
finish() { echo "$passed passed, $failed failed"; [ $failed = 0 ]; exit $?; }

image=$(find "$debdir" -maxdepth 1 -name 'linux-image-*.deb' ! -name '*-dbg_*' | LC_ALL=C sort | tail -n 1)
[ -n "$image" ] || die "no linux-image-*.deb in $debdir: run 'make deb KCONFIG=bench' first"
echo "# package: $(basename "$image")"

if [ ! -x "$chroot_dir/usr/bin/dpkg" ]; then
	note "debootstrap --variant=minbase bookworm $chroot_dir ($mirror)"
	rm -rf "$chroot_dir.tmp"
	if nice -n 19 ionice -c3 debootstrap --variant=minbase bookworm "$chroot_dir.tmp" "$mirror" \
		> "$BUILD/deb/debootstrap.log" 2>&1; then
		rm -rf "$chroot_dir" && mv "$chroot_dir.tmp" "$chroot_dir"
	fi
fi
[ -x "$chroot_dir/usr/bin/dpkg" ]
result $? "Debian bookworm chroot (debootstrap, minbase) at ${chroot_dir#"$TOP"/}" "$BUILD/deb/debootstrap.log"
[ -x "$chroot_dir/usr/bin/dpkg" ] || finish

pkg=$(dpkg-deb -f "$image" Package)
cp "$image" "$chroot_dir/tmp/"
chroot "$chroot_dir" dpkg --purge "$pkg" > /dev/null 2>&1
chroot "$chroot_dir" dpkg -i "/tmp/$(basename "$image")" > "$debdir/dpkg-i.log" 2>&1
result $? "dpkg -i $(basename "$image") in the chroot" "$debdir/dpkg-i.log"
rm -f "$chroot_dir/tmp/$(basename "$image")"
# shellcheck disable=SC2016
status=$(chroot "$chroot_dir" dpkg-query -W -f='${Status} ${Version}' "$pkg" 2>/dev/null)
echo "# dpkg-query: $pkg $status"
case "$status" in "install ok installed"*) r=0 ;; *) r=1 ;; esac
result $r "dpkg reports $pkg installed"

release=${pkg#linux-image-}
kernel=$chroot_dir/boot/vmlinuz-$release
[ -f "$kernel" ]
result $? "the package installed /boot/vmlinuz-$release"
[ -f "$kernel" ] || finish

lv=$(sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' "$chroot_dir/boot/config-$release" 2>/dev/null)
JOB_ENV="SMOKE_MODE=bypass
SMOKE_MB=32
EXPECT_RELEASE=${lv:-$release}" GUEST_QUIET=${GUEST_QUIET:-1} \
	"$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/smoke.sh" deb-smoke "${DEB_SMOKE_TIMEOUT:-600}"
grc=$?
res=$(cat "$TOP/results/.last-deb-smoke" 2>/dev/null)
grep -a -E '^(ok|not ok|#)' "$res/console.log" 2>/dev/null | sed 's/^/# guest: /'
result $grc "the packaged kernel boots in the guest and passes the smoke test (exit $grc, ${res#"$TOP"/})"
finish
