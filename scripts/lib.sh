# Shared helpers for the rig scripts. Sourced, not run.
# shellcheck shell=bash

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
KVER=6.12.117
DEB_PKG=linux-source-6.12
DEB_VER=6.12.117-1~deb12u1

die() { echo "error: $*" >&2; exit 1; }
note() { echo ">> $*" >&2; }

# need CMD PACKAGE: fail with the package to install when CMD is missing.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	die "'$1' not found: install Debian package '$2' (sudo apt-get install $2, or 'make deps' as root)"
}

# Hash of a list of files (contents and names), for stamps.
hash_files() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || continue
		printf '%s\n' "${f#"$TOP"/}"
		cat "$f"
	done | sha256sum | cut -c1-16
}

owned_files() {
	local d dirs=()
	for d in mm include; do [ -d "$TOP/$d" ] && dirs+=("$d"); done
	[ ${#dirs[@]} -gt 0 ] || return 0
	(cd "$TOP" && find "${dirs[@]}" -type f | LC_ALL=C sort)
}

series_patches() {
	[ -f "$TOP/patches/series" ] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/patches/series" | awk '{print $1}'
}
