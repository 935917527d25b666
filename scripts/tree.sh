#!/usr/bin/env bash
# Prepare the kernel tree: pristine 6.12.117 + owned files (mm/, include/) + quilt series.
#
#   scripts/tree.sh prepare   build/linux from the inputs (no-op when up to date)
#   scripts/tree.sh refresh   bring edits made in build/linux back into patches/ and owned files
#   scripts/tree.sh pristine  only make sure the pristine source is there
#
# Environment: KSRC=/path/to/6.12.y tree replaces Debian's linux-source-6.12 as the pristine
# source; FORCE=1 lets prepare discard edits made in build/linux that were not refreshed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Variant "peer": the series plus the benchmark-only patches in patches/peer/, in its own
# tree (build/linux-peer), used by the bench kernel.
VARIANT=${2:-}
if [ "$VARIANT" = peer ]; then
	TREE=$BUILD/linux-peer
	export QUILT_SERIES=$BUILD/series-peer
	mkdir -p "$BUILD"
	{ cat "$TOP/patches/series"; cat "$TOP/patches/peer/series"; } > "$QUILT_SERIES.tmp"
	cmp -s "$QUILT_SERIES.tmp" "$QUILT_SERIES" || mv "$QUILT_SERIES.tmp" "$QUILT_SERIES"
	rm -f "$QUILT_SERIES.tmp"
else
	TREE=$BUILD/linux
fi
QRC=$TOP/scripts/quiltrc
MIN_FREE_GB=${MIN_FREE_GB:-8}

q() { (cd "$1" && shift && quilt --quiltrc "$QRC" "$@"); }

check_disk() {
	mkdir -p "$BUILD"
	local avail_kb
	avail_kb=$(df -Pk "$BUILD" | awk 'NR==2 {print $4}')
	if [ "$avail_kb" -lt $((MIN_FREE_GB * 1024 * 1024)) ]; then
		die "only $((avail_kb / 1024)) MiB free under $BUILD; the kernel tree and two builds need about ${MIN_FREE_GB} GiB. Free some space (or set MIN_FREE_GB) before 'make tree'."
	fi
}

# The pristine source: Debian's tarball, pinned, or KSRC.
pristine_dir() {
	if [ -n "${KSRC:-}" ]; then
		echo "$BUILD/pristine/ksrc"
	else
		echo "$BUILD/pristine/linux-$KVER"
	fi
}

source_id() {
	if [ -n "${KSRC:-}" ]; then
		echo "ksrc:$(cd "$KSRC" && pwd)"
	else
		echo "deb:$DEB_PKG=$DEB_VER"
	fi
}

ensure_pristine() {
	local dir
	dir=$(pristine_dir)
	if [ -f "$dir/.shmbp-pristine" ] && [ "$(cat "$dir/.shmbp-pristine")" = "$(source_id)" ]; then
		return 0
	fi
	check_disk
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	if [ -n "${KSRC:-}" ]; then
		[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC is not a kernel tree (no Makefile)"
		local v p
		v=$(awk '/^VERSION =/ {print $3; exit}' "$KSRC/Makefile")
		p=$(awk '/^PATCHLEVEL =/ {print $3; exit}' "$KSRC/Makefile")
		[ "$v.$p" = "6.12" ] || die "KSRC=$KSRC is Linux $v.$p, the series is for 6.12.y"
		note "copying KSRC=$KSRC (without .git and build products) as the pristine source"
		need rsync rsync
		rsync -a --exclude=.git --exclude='*.o' --exclude='*.cmd' --exclude='.pc' \
			"$KSRC"/ "$dir.tmp"/
	else
		local have tarball=/usr/src/linux-source-6.12.tar.xz
		have=$(dpkg-query -W -f='${Version}' "$DEB_PKG" 2>/dev/null || true)
		if [ "$have" != "$DEB_VER" ]; then
			die "Debian package $DEB_PKG $DEB_VER is needed (found: ${have:-none}). As root: apt-get install $DEB_PKG=$DEB_VER (or 'make deps')"
		fi
		[ -f "$tarball" ] || die "$tarball missing: reinstall $DEB_PKG"
		note "extracting $tarball"
		tar -C "$dir.tmp" -xf "$tarball" --strip-components=1
	fi
	source_id > "$dir.tmp/.shmbp-pristine"
	mv "$dir.tmp" "$dir"
}

all_patches() {
	series_patches
	if [ "$VARIANT" = peer ]; then
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/patches/peer/series" | awk '{print $1}'
	fi
}

inputs_stamp() {
	local files=("$TOP/patches/series") p f
	for p in $(all_patches); do files+=("$TOP/patches/$p"); done
	for f in $(owned_files); do files+=("$TOP/$f"); done
	{ source_id; echo "$VARIANT"; hash_files "${files[@]}"; } | sha256sum | cut -c1-16
}

# Files the manifest covers: everything a patch touches, and the owned files.
manifest_files() {
	local t=$1
	{
		owned_files
		if [ -d "$t/.pc" ]; then
			q "$t" files -a 2>/dev/null | sed 's|^\./||' || true
		fi
		# Files created in mm/shmem/ by hand belong to us too.
		(cd "$t" && find mm/shmem -type f 2>/dev/null) || true
	} | LC_ALL=C sort -u
}

write_manifest() {
	local t=$1
	(cd "$t" && manifest_files "$t" | while read -r f; do
		if [ -e "$f" ]; then sha256sum "$f"; else echo "absent  $f"; fi
	done) > "$t/.shmbp-manifest"
}

# 0 when the tree still matches its manifest (no unrefreshed edits).
tree_clean() {
	local t=$1 sum f
	[ -f "$t/.shmbp-manifest" ] || return 1
	while read -r sum f; do
		if [ "$sum" = absent ]; then
			[ ! -e "$t/$f" ] || return 1
		else
			[ -e "$t/$f" ] || return 1
			[ "$(sha256sum < "$t/$f" | cut -d' ' -f1)" = "$sum" ] || return 1
		fi
	done < "$t/.shmbp-manifest"
	# a file created by hand in mm/shmem is an edit too
	for f in $(cd "$t" && find mm/shmem -type f 2>/dev/null); do
		grep -q -F "  $f" "$t/.shmbp-manifest" || return 1
	done
	return 0
}

copy_owned_into() {
	local t=$1 f
	for f in $(owned_files); do
		mkdir -p "$t/$(dirname "$f")"
		cp --remove-destination "$TOP/$f" "$t/$f"
	done
}

prepare() {
	need quilt quilt
	ensure_pristine
	local stamp
	stamp=$(inputs_stamp)
	if [ -d "$TREE" ] && [ "$(cat "$TREE/.shmbp-stamp" 2>/dev/null)" = "$stamp" ] && tree_clean "$TREE"; then
		note "kernel tree up to date ($TREE)"
		return 0
	fi

	check_disk
	local new=$TREE.new
	rm -rf "$new"
	note "preparing $TREE: pristine + owned files + $(all_patches | wc -l) patches"
	cp -a "$(pristine_dir)" "$new"
	rm -f "$new/.shmbp-pristine"
	copy_owned_into "$new"
	ln -sfn "$TOP/patches" "$new/patches"
	if [ -n "$(all_patches)" ]; then
		local log=$BUILD/quilt-push.log
		if ! q "$new" push -a > "$log" 2>&1; then
			echo "error: the series does not apply to $(source_id):" >&2
			grep -E '^(Applying patch|Hunk|patching file|Patch .* does not apply|.*FAILED|.*rej)' "$log" | tail -n 12 >&2
			echo "(full quilt output: $log; the existing tree $TREE was left as it was)" >&2
			rm -rf "$new"
			exit 1
		fi
	fi

	if [ -d "$TREE" ]; then
		if ! tree_clean "$TREE"; then
			# Edits in the tree: fine if they are exactly what the inputs give
			# (someone ran quilt refresh by hand), otherwise refuse.
			local f diff=0
			for f in $(manifest_files "$TREE") $(manifest_files "$new"); do
				cmp -s "$TREE/$f" "$new/$f" || { diff=1; echo "  edited: $f" >&2; }
			done
			if [ "$diff" = 1 ] && [ "${FORCE:-0}" != 1 ]; then
				rm -rf "$new"
				die "$TREE has edits not brought back into the repo (files above). Run 'make refresh' to keep them, or 'make tree FORCE=1' to discard them."
			fi
		fi
		need rsync rsync
		# Copy only what changed, so unchanged files keep their mtime and the
		# kernel build stays incremental.
		rsync -rlpD --checksum --delete "$new"/ "$TREE"/
		# deleting 80k files takes a while on a busy disk: do it in the background
		mv "$new" "$BUILD/.trash.$$"
		(rm -rf "$BUILD/.trash.$$" &)
	else
		mv "$new" "$TREE"
	fi
	write_manifest "$TREE"
	echo "$stamp" > "$TREE/.shmbp-stamp"
	note "kernel tree ready: $TREE ($(q "$TREE" applied 2>/dev/null | wc -l) patches applied)"
}

refresh() {
	[ "$VARIANT" = peer ] && die "refresh works on build/linux, the series' tree"
	[ -d "$TREE" ] || die "no prepared tree at $TREE: run 'make tree' first"
	need quilt quilt
	local top
	top=$(q "$TREE" top 2>/dev/null || true)
	if [ -n "$top" ]; then
		if [ -n "$(q "$TREE" diff -z 2>/dev/null)" ]; then
			q "$TREE" refresh
			note "refreshed $top"
		else
			note "top patch $top has no unrefreshed changes"
		fi
	fi
	# Owned files: everything in mm/shmem/, and the include/ files we own. The manifest
	# holds each one as the tree got it at prepare: a tree copy still equal to that was
	# not edited there (the repo's copy, if it differs, is newer: make tree takes it);
	# a file edited on both sides is a conflict, and nothing is overwritten.
	local f n=0 was conflict=0 repo_newer=0
	for f in $( (cd "$TREE" && find mm/shmem -type f 2>/dev/null); (cd "$TOP" && find include -type f 2>/dev/null) ); do
		cmp -s "$TREE/$f" "$TOP/$f" && continue
		was=$(awk -v f="$f" '$2 == f {print $1}' "$TREE/.shmbp-manifest" 2>/dev/null)
		if [ -n "$was" ] && [ "$(sha256sum < "$TREE/$f" | cut -d' ' -f1)" = "$was" ]; then
			note "owned file $f: edited in the repo, not in the tree (make tree takes the repo's)"
			repo_newer=1
			continue
		fi
		if [ -n "$was" ] && [ -e "$TOP/$f" ] && [ "$(sha256sum < "$TOP/$f" | cut -d' ' -f1)" != "$was" ]; then
			echo "error: owned file $f was edited both in the repo and in $TREE; not copied" >&2
			conflict=1
			continue
		fi
		mkdir -p "$TOP/$(dirname "$f")"
		cp "$TREE/$f" "$TOP/$f"
		note "owned file updated from the tree: $f"
		n=$((n + 1))
	done
	[ "$conflict" = 0 ] || die "resolve the conflicting owned files (diff them), then run make refresh again"
	# Edits outside any patch are lost on the next prepare: say so.
	write_manifest "$TREE"
	if [ "$repo_newer" = 1 ]; then
		rm -f "$TREE/.shmbp-stamp"	# the next make tree brings the repo's copies in
	else
		echo "$(inputs_stamp)" > "$TREE/.shmbp-stamp"
	fi
	note "refresh done ($n owned files copied back); review with: git -C $TOP diff"
}

case "${1:-prepare}" in
prepare) prepare ;;
refresh) refresh ;;
pristine) ensure_pristine ;;
*) die "usage: $0 prepare|refresh|pristine" ;;
esac
