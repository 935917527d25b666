#!/usr/bin/env bash
# make check-older: the exported series (make series) on the other 6.12.y sources Debian ships.
#
#   scripts/older.sh [VERSION...]     default: every build/older/linux-source-6.12_*_all.deb
#                                     (VERSION: 6.12.113, or a package's 6.12.115-2~deb12u1)
#
# For each Debian source package in OLDER_DIR (build/older; OLDER_VERSIONS are fetched there
# with 'apt-get download linux-source-6.12=<version>' when missing, nothing is installed): the kernel
# tarball is extracted (once) to OLDER_DIR/<version>/pristine and copied to
# OLDER_DIR/<version>/tree. Every exported patch is tried with 'git apply --check' and
# 'patch -p1 --dry-run', then applied with patch: per version the result is "applies",
# "applies with offset" or "applies with fuzz" (naming the hunks), or "fails" (naming the patch
# and the hunk). Then mm/vmstat.o, mm/shmem.o, mm/shmem/ (and mm/memcontrol.o, mm/page_io.o, mm/swapfile.o) are compiled with W=1 and a small
# config (tinyconfig + configs/base.config + configs/bench.config, as scripts/kernel.sh merges
# them), and no warning may be new against that version's pristine files.
# Prints KTAP lines, a markdown table (also in OLDER_TABLE, default OLDER_DIR/table.md) and
# 'N passed, N failed'.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

odir=${OLDER_DIR:-$BUILD/older}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/shmbp-ccache} CCACHE_BASEDIR=$BUILD
# git apply must not take the trees for subdirectories of the repository around them
export GIT_CEILING_DIRECTORIES=$odir GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
jobs=${JOBS:-$(nproc)}
for t in gcc:gcc make:make flex:flex bison:bison bc:bc ccache:ccache rsync:rsync patch:patch \
	git:git dpkg-deb:dpkg xz:xz-utils; do
	need "${t%%:*}" "${t##*:}"
done

n=0 passed=0 failed=0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then passed=$((passed + 1)); echo "ok $n $2"
	else failed=$((failed + 1)); echo "not ok $n $2"; [ -n "${3:-}" ] && sed 's/^/# /' "$3" | head -n 12; fi
}

# The export, made afresh from patches/ (cheap once the base commit exists).
series=$odir/series
mkdir -p "$odir" || die "cannot create $odir"
"$TOP/scripts/series.sh" "$series" > "$odir/series.log" 2>&1 ||
	{ cat "$odir/series.log" >&2; die "make series failed"; }
mapfile -t exported < <(find "$series" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | LC_ALL=C sort)
[ ${#exported[@]} -gt 0 ] || die "the export in $series has no patches"

# The versions checked by default, as Debian ships them (bookworm-security), older and newer
# than the pin of make test (DEB_VER in lib.sh); missing packages are fetched with 'apt-get
# download' (OLDER_VERSIONS overrides the list, '' uses what is there).
OLDER_VERSIONS=${OLDER_VERSIONS-6.12.107-1~deb12u1 6.12.111-1~deb12u1 6.12.113-1~deb12u1 6.12.115-2~deb12u1 6.12.118-1~deb12u1}
for v in $OLDER_VERSIONS; do
	[ -f "$odir/linux-source-6.12_${v}_all.deb" ] && continue
	note "apt-get download linux-source-6.12=$v (into $odir)"
	(cd "$odir" && apt-get download -q "linux-source-6.12=$v") > "$odir/download.log" 2>&1 ||
		die "apt-get download linux-source-6.12=$v failed (apt-get update first?): $(tail -n 1 "$odir/download.log")"
done

debs=()
if [ $# -gt 0 ]; then
	for v in "$@"; do
		case $v in
		*-*) d=$odir/linux-source-6.12_${v}_all.deb; [ -f "$d" ] || d= ;;
		*) d=$(find "$odir" -maxdepth 1 -name "linux-source-6.12_${v}-*_all.deb" | LC_ALL=C sort | tail -n 1) ;;
		esac
		[ -n "$d" ] || die "no linux-source-6.12 package of $v in $odir: there run 'apt-get download linux-source-6.12=<version>' (apt-cache policy linux-source-6.12 lists them)"
		debs+=("$d")
	done
else
	mapfile -t debs < <(find "$odir" -maxdepth 1 -name 'linux-source-6.12_*_all.deb' | LC_ALL=C sort -V)
	[ ${#debs[@]} -gt 0 ] || die "no linux-source-6.12_*_all.deb in $odir: there run 'apt-get download linux-source-6.12=<version>' for the versions wanted"
fi

# extract DEB DIR: the kernel tarball of a linux-source-6.12 package, without installing it
extract() {
	local deb=$1 dir=$2
	[ -f "$dir/.shmbp-pristine" ] && [ "$(cat "$dir/.shmbp-pristine")" = "$(basename "$deb")" ] && return 0
	note "extracting $(basename "$deb") to $dir"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz | xz -dc |
		tar -x --strip-components=1 -C "$dir.tmp" || { rm -rf "$dir.tmp"; return 1; }
	basename "$deb" > "$dir.tmp/.shmbp-pristine"
	mv "$dir.tmp" "$dir"
}

kmake() { local t=$1; shift; make -C "$t" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs" "$@"; }
compile_mm() {
	local t=$1 log=$2 what="mm/vmstat.o mm/shmem.o"
	grep -q 'shmem/' "$t/mm/Makefile" && [ -f "$t/mm/shmem/Makefile" ] && what="$what mm/shmem/"
	# patch 0009 touches mm/memcontrol.c, 0011 mm/page_io.c, 0013-0014 mm/swapfile.c
	grep -q '^CONFIG_MEMCG=y' "$obj/.config" && what="$what mm/memcontrol.o"
	grep -q '^CONFIG_SWAP=y' "$obj/.config" && what="$what mm/page_io.o mm/swapfile.o"
	# shellcheck disable=SC2086
	kmake "$t" W=1 $what > "$log" 2>&1
}
warnings() { grep -E 'warning:' "$1" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u; }

rows=()
for deb in "${debs[@]}"; do
	pkgver=$(basename "$deb" _all.deb); pkgver=${pkgver#linux-source-6.12_}
	ver=${pkgver%%-*}
	vdir=$odir/$ver
	tree=$vdir/tree
	obj=$vdir/obj
	mkdir -p "$vdir"
	if ! extract "$deb" "$vdir/pristine"; then
		result 1 "$ver: extract $(basename "$deb")"
		rows+=("| $ver | $pkgver | not extracted | | | |")
		continue
	fi
	# the tree to patch: pristine again, unchanged files keep their mtime (incremental builds)
	rsync -a --checksum --delete --exclude=/.shmbp-pristine "$vdir/pristine"/ "$tree"/ ||
		die "rsync to $tree failed"

	# Config and the pristine warnings, before anything is applied.
	build="ok"
	mkdir -p "$obj"
	if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.shmbp-config" 2>/dev/null)" != "$(hash_files "$TOP/configs/base.config" "$TOP/configs/bench.config")" ]; then
		{ kmake "$tree" -s tinyconfig &&
		  "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
			"$TOP/configs/base.config" "$TOP/configs/bench.config" &&
		  kmake "$tree" -s olddefconfig; } > "$obj/config.log" 2>&1 &&
			hash_files "$TOP/configs/base.config" "$TOP/configs/bench.config" > "$obj/.shmbp-config"
	fi
	kmake "$tree" -s prepare > "$obj/prepare.log" 2>&1
	result $? "$ver: configure and prepare (tinyconfig + base + bench)" "$obj/prepare.log"
	compile_mm "$tree" "$obj/w1-pristine.log"
	result $? "$ver: pristine mm/vmstat.o mm/shmem.o compile (W=1)" "$obj/w1-pristine.log"
	warnings "$obj/w1-pristine.log" > "$obj/w1-pristine.warn"

	# Apply, patch by patch.
	status=applies notes=() fail=
	for p in "${exported[@]}"; do
		pn=$(basename "$p")
		(cd "$tree" && git apply --check "$p") > "$vdir/gitapply.log" 2>&1
		git_ok=$?
		if ! (cd "$tree" && patch -p1 -N --dry-run < "$p") > "$vdir/patch.log" 2>&1; then
			hunks=$(grep -E 'FAILED|malformed|Reversed|can.t find file' "$vdir/patch.log" | tr '\n' ' ')
			fail="$pn: ${hunks:-$(head -n 3 "$vdir/gitapply.log" | tr '\n' ' ')}"
			status=fails
			break
		fi
		# "Hunk #2 succeeded at 2286 (offset 12 lines)." / "... with fuzz 1 ..."
		while read -r line; do
			notes+=("${pn%%-*} $line")
		done < <(awk '/^(patching|checking) file / {f = $3} /^Hunk #[0-9]+ succeeded/ {sub(/\.$/, ""); print f ": " $0}' "$vdir/patch.log")
		[ $git_ok = 0 ] || notes+=("${pn%%-*}: git apply --check refuses: $(grep -m1 '^error' "$vdir/gitapply.log")")
		if grep -q 'with fuzz' "$vdir/patch.log"; then
			status="applies with fuzz"
		elif grep -q 'offset' "$vdir/patch.log" && [ "$status" = applies ]; then
			status="applies with offset"
		fi
		(cd "$tree" && patch -p1 -N -s --no-backup-if-mismatch < "$p") > "$vdir/patch.log" 2>&1 ||
			{ fail="$pn: patch failed after a clean dry run"; status=fails; break; }
	done
	if [ "$status" = fails ]; then
		echo "$fail" > "$vdir/fail.log"
		result 1 "$ver: the series applies" "$vdir/fail.log"
		rows+=("| $ver | $pkgver | fails: $fail | | not built | |")
		continue
	fi
	result 0 "$ver: the series $status"
	for x in "${notes[@]}"; do echo "# $x"; done

	compile_mm "$tree" "$obj/w1-series.log"
	rc=$?
	result $rc "$ver: with the series, mm/vmstat.o mm/shmem.o mm/shmem/ compile (W=1)" "$obj/w1-series.log"
	[ $rc = 0 ] || build="fails"
	warnings "$obj/w1-series.log" > "$obj/w1-series.warn"
	new=$(comm -13 "$obj/w1-pristine.warn" "$obj/w1-series.warn")
	[ -z "$new" ]
	result $? "$ver: no W=1 warning new against $ver's pristine files"
	[ -n "$new" ] && echo "$new" | head -n 5 | sed 's/^/# /'
	[ -n "$new" ] && build="$build, $(echo "$new" | wc -l) new warnings"
	# compact: "0003 mm/shmem.c hunks 2,3,4,5 offset +13..+14 lines" per patch and file, and
	# the hunks applied with fuzz apart: "0001 mm/shmem.c hunk 3 fuzz 2"
	hunks=$(printf '%s\n' "${notes[@]}" | awk '
		function range(a, b, sign) {
			if (a == b) return sprintf(sign ? "%+d" : "%d", a)
			return sprintf(sign ? "%+d..%+d" : "%d..%d", a, b)
		}
		/Hunk #/ {
			key = $1 " " $2; sub(/:$/, "", key)
			h = $4; sub(/^#/, "", h)
			v = 0; f = 0
			if (match($0, /offset -?[0-9]+/)) v = substr($0, RSTART + 7, RLENGTH - 7)
			if (match($0, /fuzz [0-9]+/)) { f = substr($0, RSTART + 5, RLENGTH - 5); key = key " fuzz" }
			if (!(key in list)) { order[++n] = key; lo[key] = v; hi[key] = v; flo[key] = f; fhi[key] = f }
			list[key] = list[key] (list[key] == "" ? "" : ",") h
			if (v + 0 < lo[key] + 0) lo[key] = v
			if (v + 0 > hi[key] + 0) hi[key] = v
			if (f + 0 < flo[key] + 0) flo[key] = f
			if (f + 0 > fhi[key] + 0) fhi[key] = f
			next
		}
		{ other[++m] = $0 }
		END {
			for (i = 1; i <= n; i++) {
				k = order[i]
				r = range(lo[k], hi[k], 1)
				w = (list[k] ~ /,/) ? "hunks" : "hunk"
				if (k ~ / fuzz$/)
					printf "%s%s %s %s fuzz %s%s", (i > 1 ? "; " : ""), substr(k, 1, length(k) - 5),
						w, list[k], range(flo[k], fhi[k], 0), (r == "+0" ? "" : ", offset " r " lines")
				else
					printf "%s%s %s %s offset %s lines", (i > 1 ? "; " : ""), k, w, list[k], r
			}
			for (i = 1; i <= m; i++) printf "%s%s", (n + i > 1 ? "; " : ""), other[i]
		}')
	rows+=("| $ver | $pkgver | $status | ${hunks:--} | $build | $(wc -l < "$obj/w1-pristine.warn") / $(wc -l < "$obj/w1-series.warn") |")
done

{
	echo "| 6.12.y | Debian package | export applies | hunks not at their place (patch: file: hunk) | W=1 build of mm/vmstat.o mm/shmem.o mm/shmem/ mm/memcontrol.o mm/page_io.o | W=1 warnings pristine / with series |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} > "${OLDER_TABLE:-$odir/table.md}"
cat "${OLDER_TABLE:-$odir/table.md}"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
