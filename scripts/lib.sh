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

# run_with_progress LOG CMD...: run CMD with its output in LOG; while it runs, print every
# PROGRESS_S seconds (30) the elapsed time and the directory of the last object the build log
# names, to stderr. Returns CMD's exit status.
run_with_progress() {
	local log=$1 pid start last
	shift
	start=$(date +%s)
	"$@" > "$log" 2>&1 &
	pid=$!
	while :; do
		for _ in $(seq "${PROGRESS_S:-30}"); do
			kill -0 "$pid" 2>/dev/null || break 2
			sleep 1
		done
		last=$(tail -n 300 "$log" 2>/dev/null | grep -a -E '^  [A-Z0-9_]+ ' | tail -n 1 | awk '{print $NF}' || true)
		if [ -n "$last" ]; then
			note "still building: $(( $(date +%s) - start )) s, in $(dirname "$last")/ (last: $last)"
		else
			note "still building: $(( $(date +%s) - start )) s"
		fi
	done
	wait "$pid"
}
