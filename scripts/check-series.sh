#!/usr/bin/env bash
# Build checks of the series, compile level, in build/linux (restored afterwards):
#   prefixes  every prefix of the series compiles the files the series touches or owns
#             (mm/vmstat.o, mm/shmem.o, mm/shmem/, mm/memcontrol.o, mm/page_io.o, mm/swapfile.o) with W=1, and no W=1 warning is new
#             against the pristine files
#   configs   the whole series compiles them without CONFIG_SWAP, CONFIG_TRANSPARENT_HUGEPAGE,
#             CONFIG_MEMCG, CONFIG_ZSWAP (and CONFIG_SHMEM)
#   export    the export of 'make series' (scripts/series.sh): git am of it onto the base commit
#             in a scratch clone (build/series/am) applies; every commit compiles the same files
#             with W=1 and no new warning against the pristine ones; the result is identical to
#             build/linux (the files the series touches or owns, and the whole tree). Works in
#             build/series/ only: no quilt, nothing written in build/linux.
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
if [ "$what" != export ]; then
	[ -z "$(q diff -z 2>/dev/null)" ] || die "build/linux has unrefreshed edits: make refresh first"
fi
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
	# patch 0009 adds mem_cgroup_swapin_has_room() (only built with CONFIG_MEMCG)
	grep -q '^CONFIG_MEMCG=y' "$obj/.config" && t="$t mm/memcontrol.o"
	# patch 0011 adds swap_read_folios(), 0013-0014 swap_free_nr_pinned() and
	# swap_cluster_room() (mm/page_io.c and mm/swapfile.c are only built with CONFIG_SWAP)
	grep -q '^CONFIG_SWAP=y' "$obj/.config" && t="$t mm/page_io.o mm/swapfile.o"
	# shellcheck disable=SC2086
	make -C "$tree" O="$obj" CC="ccache gcc" -j"$jobs" W=1 $t > "$log" 2>&1
}
warnings() { grep -E 'warning:' "$1" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u; }

restore() { q push -a -q >/dev/null 2>&1; }
[ "$what" = export ] || trap restore EXIT

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
		result $? "prefix 1-$i: no new W=1 warning in the files it compiles (mm/shmem.c, mm/shmem/, mm/vmstat.c, mm/memcontrol.c, mm/page_io.c, mm/swapfile.c)"
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
if [ "$what" = all ] || [ "$what" = export ]; then
	# git and identities of the check: no user configuration, a fixed committer for git am
	export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
	export GIT_COMMITTER_NAME="Shmem Bypass Rig" GIT_COMMITTER_EMAIL=rig@shmem-bypass.invalid
	sdir=$BUILD/series
	out=$sdir/check-out
	clone=$sdir/am
	obj=$sdir/obj-am
	linux_tree=$(cd "$tree" && pwd -P)	# a symlinked build/linux too
	ga() { git -C "$clone" "$@"; }
	exported_series=$(series_patches)
	mkdir -p "$sdir"	# a fresh clone has no build/series yet
	rm -rf "$out"	# never check an older export
	"$TOP/scripts/series.sh" "$out" > "$sdir/check-series.log" 2>&1
	result $? "make series exports patches/series ($(series_patches | wc -l) patches) to $out" "$sdir/check-series.log"
	# same inputs, same bytes: a second export must be identical file by file
	rm -rf "$sdir/check-out2"
	"$TOP/scripts/series.sh" "$sdir/check-out2" >> "$sdir/check-series.log" 2>&1 &&
		diff -r -q "$out" "$sdir/check-out2" > "$sdir/check-cmp.log" 2>&1
	result $? "a second export is byte-identical (diff -r of the two folders)" "$sdir/check-cmp.log"
	base=$(sed -n 2p "$sdir/base.id" 2>/dev/null)
	mapfile -t exported < <(find "$out" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | LC_ALL=C sort)
	if [ -z "$base" ] || [ ${#exported[@]} = 0 ]; then
		result 1 "export present (base commit and patches)"
	else
		# the scratch clone shares the export repository's objects; its work tree is kept between
		# runs so that a checkout only touches the series' files and the builds stay incremental
		if [ ! -d "$clone/.git" ]; then
			rm -rf "$clone"
			git clone -q --shared --no-checkout "$sdir/git" "$clone" > "$sdir/am.log" 2>&1
		fi
		ga am --abort >/dev/null 2>&1
		if ! ga checkout -q -f -B check-am "$base" > "$sdir/am.log" 2>&1; then
			# the export repository was made anew (new pristine source): clone it again
			rm -rf "$clone"
			git clone -q --shared --no-checkout "$sdir/git" "$clone" >> "$sdir/am.log" 2>&1
			ga checkout -q -f -B check-am "$base" >> "$sdir/am.log" 2>&1
		fi && ga clean -q -f -d -x >> "$sdir/am.log" 2>&1
		result $? "scratch clone at the base commit ${base:0:12}" "$sdir/am.log"
		ga am --no-3way "${exported[@]}" >> "$sdir/am.log" 2>&1
		rc=$?
		result $rc "git am of the ${#exported[@]} exported patches onto the base applies (git am: no fuzz)" "$sdir/am.log"
		if [ $rc != 0 ]; then
			grep -E '^(Applying|error|Patch failed)' "$sdir/am.log" | head -n 6 | sed 's/^/# /'
			ga am --abort >/dev/null 2>&1
		else
			[ "$(ga rev-parse 'HEAD^{tree}')" = "$(git --git-dir="$sdir/git" rev-parse 'series^{tree}')" ]
			result $? "the am'd tree is the export's own tree"
			tree=$clone
			mapfile -t commits < <(ga rev-list --reverse "$base..HEAD")
			ga checkout -q --detach "$base"
			if configure "$obj"; then
				compile "$obj" "$obj/w1-0.log"
				result $? "export: base (pristine) compiles mm/vmstat.o mm/shmem.o" "$obj/w1-0.log"
				warnings "$obj/w1-0.log" > "$obj/w1-0.warn"
				i=0
				for c in "${commits[@]}"; do
					i=$((i + 1))
					subj=$(ga log -1 --format=%s "$c")
					ga checkout -q --detach "$c"
					compile "$obj" "$obj/w1-$i.log"
					result $? "export: commit $i compiles ($subj)" "$obj/w1-$i.log"
					warnings "$obj/w1-$i.log" > "$obj/w1-$i.warn"
					new=$(comm -13 "$obj/w1-0.warn" "$obj/w1-$i.warn")
					[ -z "$new" ]
					result $? "export: commit $i: no new W=1 warning in the files it compiles (mm/shmem.c, mm/shmem/, mm/vmstat.c, mm/memcontrol.c, mm/page_io.c, mm/swapfile.c)"
					[ -n "$new" ] && echo "$new" | head -n 5 | sed 's/^/# /'
				done
			else
				result 1 "export: configure $obj" "$obj/prepare.log"
			fi
			ga checkout -q check-am
			tree=$linux_tree
			# the result against build/linux: every file the series touches or owns, then all
			files=$({ ga diff --name-only "$base" HEAD; owned_files; } | LC_ALL=C sort -u)
			bad=$(for f in $files; do cmp -s "$clone/$f" "$linux_tree/$f" || echo "$f"; done)
			[ -z "$bad" ]
			result $? "export: the $(echo "$files" | wc -l) files the series touches or owns equal build/linux's"
			[ -n "$bad" ] && echo "$bad" | head -n 10 | sed 's/^/# differs: /'
			# build products: files only build/linux has that the kernel's own .gitignore
			# files ignore (e.g. the upstream selftests built in tools/testing/selftests).
			# Debian's top-level .gitignore ignores everything ('/*'): the check uses a copy
			# of all .gitignore files without that rule.
			diff -r -q --no-dereference -x .git -x .pc -x patches -x '.shmbp-*' \
				"$clone" "$linux_tree" > "$sdir/tree.diff.all" 2>&1
			ign=$sdir/ignore-rules
			rm -rf "$ign" && mkdir -p "$ign" && git init -q "$ign"
			(cd "$clone" && find . -name .gitignore -not -path './.git/*' -print0 |
				xargs -0 cp --parents -t "$ign")
			sed -i -e '/^\/\*$/d' -e '/^!\/debian\/$/d' "$ign/.gitignore"
			while IFS= read -r line; do
				case "$line" in
				"Only in $linux_tree"*": "*)
					rel=${line#"Only in $linux_tree"}; rel=${rel#/}; rel=${rel%%: *}
					rel=${rel:+$rel/}${line##*: }
					git -C "$ign" check-ignore -q --no-index -- "$rel" && continue ;;
				esac
				echo "$line"
			done < "$sdir/tree.diff.all" > "$sdir/tree.diff"
			[ ! -s "$sdir/tree.diff" ]
			result $? "export: the whole tree equals build/linux (without .pc, patches, and build products as the kernel's .gitignore names them)" "$sdir/tree.diff"
			if [ -n "$bad" ] || [ -s "$sdir/tree.diff" ]; then
				applied=$(cat "$linux_tree/.pc/applied-patches" 2>/dev/null)
				if [ "$applied" != "$exported_series" ]; then
					echo "# build/linux has $(echo "$applied" | grep -c .) patches applied, the export was made from $(echo "$exported_series" | grep -c .): patches/ changed during the check, or build/linux needs make tree"
				fi
			fi
		fi
	fi
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
