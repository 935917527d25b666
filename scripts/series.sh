#!/usr/bin/env bash
# make series: the series as kernel people take it, git-am-able, in one folder.
#
#   scripts/series.sh [OUTDIR]        (default: SERIES_OUT, else build/series/out)
#
# A bare git repository (build/series/git) holds the pristine tree as one base commit, made
# with a fixed identity and date so that its id depends on the tree only; it is made once per
# pristine source and reused. Each patch of patches/series becomes one commit on top, applied
# with 'git apply --cached' (no work tree is checked out), with the author, date, subject and
# body of the patch's own header (git mailinfo reads them, as git am does). The patch that
# adds shmem/ to mm/Makefile also adds the owned files (mm/shmem/*, include/*), so the export
# creates them. Then 'git format-patch --cover-letter --base --zero-commit --no-signature', and
# the cover letter's placeholders are replaced by scripts/cover-letter.py (problem, design,
# numbers of the newest results/bench-*.json, tests, known limits of docs/design.md §10).
#
# The output depends only on the inputs (patches, owned files, the bench JSON, docs/design.md,
# the pristine source): running it twice gives byte-identical files. Prints the output folder.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$(realpath -m "${1:-${SERIES_OUT:-$BUILD/series/out}}")
sdir=$BUILD/series
repo=$sdir/git
need git git
need python3 python3

# git as the export sees it: no user or system configuration, fixed diff settings.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_DIR=$repo
unset GIT_WORK_TREE GIT_INDEX_FILE
g() {
	git -c core.abbrev=12 -c diff.renames=true -c diff.algorithm=myers -c core.autocrlf=false \
		-c core.fileMode=true -c format.signature= -c i18n.commitEncoding=UTF-8 "$@"
}

# The identity and date of the base commit: fixed, so the base id is reproducible.
BASE_NAME="Shmem Bypass Rig"
BASE_EMAIL="rig@shmem-bypass.invalid"
BASE_DATE="2025-01-01T00:00:00+0000"

pristine_dir() {
	if [ -n "${KSRC:-}" ]; then echo "$BUILD/pristine/ksrc"; else echo "$BUILD/pristine/linux-$KVER"; fi
}

# base_commit: prints the id of the base commit, making it when the pristine source changed.
base_commit() {
	local src sid id
	"$TOP/scripts/tree.sh" pristine >/dev/null || die "no pristine source (see scripts/tree.sh)"
	src=$(pristine_dir)
	sid=$(cat "$src/.shmbp-pristine")
	if [ -f "$sdir/base.id" ] && [ "$(sed -n 1p "$sdir/base.id")" = "$sid" ]; then
		id=$(sed -n 2p "$sdir/base.id")
		if g cat-file -e "$id^{commit}" 2>/dev/null; then
			echo "$id"
			return 0
		fi
	fi
	note "importing $src as the base commit (once per pristine source; a minute or two)"
	rm -rf "$repo" "$sdir/base.id"
	mkdir -p "$sdir"
	git init -q --bare "$repo" || die "git init $repo failed"
	local idx=$sdir/base.index tree
	rm -f "$idx"
	# -f: the tree's own .gitignore files must not hide files of the tarball
	GIT_INDEX_FILE=$idx GIT_WORK_TREE=$src g add -A -f -- . ':(exclude).shmbp-pristine' ||
		die "git add of $src failed"
	tree=$(GIT_INDEX_FILE=$idx g write-tree) || die "git write-tree failed"
	rm -f "$idx"
	local v
	v=$(awk '/^VERSION =/ {v=$3} /^PATCHLEVEL =/ {p=$3} /^SUBLEVEL =/ {s=$3} END {print v "." p "." s}' "$src/Makefile")
	id=$(printf 'Linux %s\n\nImport of %s, the base of the series.\n' "$v" "$sid" |
		GIT_AUTHOR_NAME=$BASE_NAME GIT_AUTHOR_EMAIL=$BASE_EMAIL GIT_AUTHOR_DATE=$BASE_DATE \
		GIT_COMMITTER_NAME=$BASE_NAME GIT_COMMITTER_EMAIL=$BASE_EMAIL GIT_COMMITTER_DATE=$BASE_DATE \
		g commit-tree "$tree") || die "git commit-tree of the base failed"
	g update-ref refs/heads/base "$id"
	printf '%s\n%s\n' "$sid" "$id" > "$sdir/base.id"
	echo "$id"
}

# adds_shmem_dir PATCH: 0 when PATCH adds a line naming shmem/ to mm/Makefile.
adds_shmem_dir() {
	awk '/^\+\+\+ / { f = $2; sub(/^b\//, "", f); next }
	     f == "mm/Makefile" && /^\+/ && /shmem\// { found = 1 }
	     END { exit !found }' "$1"
}

base=$(base_commit) || exit 1
[ -n "$(series_patches)" ] || die "patches/series lists no patch"
for p in $(series_patches); do
	[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which is not in patches/"
done

work=$(mktemp -d "$sdir/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GIT_INDEX_FILE=$work/index
g read-tree "$base" || die "git read-tree $base failed"

# The owned files go in with the patch that builds them.
carrier=
for p in $(series_patches); do
	if adds_shmem_dir "$TOP/patches/$p"; then carrier=$p; break; fi
done
owned=$(owned_files)
if [ -n "$owned" ] && [ -z "$carrier" ]; then
	die "no patch in patches/series adds shmem/ to mm/Makefile: the owned files ($(echo "$owned" | tr '\n' ' ')) would be in no patch"
fi

tip=$base
i=0
last_date=
for p in $(series_patches); do
	i=$((i + 1))
	pf=$TOP/patches/$p
	# mailinfo: the header above '---' (author, date, subject, body), as git am reads it
	g mailinfo -u "$work/msg" "$work/diff" < "$pf" > "$work/info" ||
		die "patch $i ($p): git mailinfo cannot read its header"
	author=$(sed -n 's/^Author: //p' "$work/info")
	email=$(sed -n 's/^Email: //p' "$work/info")
	date=$(sed -n 's/^Date: //p' "$work/info")
	subject=$(sed -n 's/^Subject: //p' "$work/info")
	if [ -z "$author" ] || [ -z "$email" ] || [ -z "$date" ] || [ -z "$subject" ]; then
		die "patch $i ($p): its header lacks From:, Date: or Subject: (format-patch style needed)"
	fi
	if ! g apply --cached --whitespace=nowarn "$work/diff" 2> "$work/apply.err"; then
		echo "error: patch $i ($p) does not apply to the export's tree with git apply:" >&2
		sed 's/^/  /' "$work/apply.err" >&2
		exit 1
	fi
	if [ "$p" = "$carrier" ]; then
		for f in $owned; do
			blob=$(g hash-object -w -- "$TOP/$f") || die "git hash-object $f failed"
			mode=100644
			[ -x "$TOP/$f" ] && mode=100755
			g update-index --add --cacheinfo "$mode,$blob,$f" || die "git update-index $f failed"
		done
	fi
	tree=$(g write-tree) || die "patch $i ($p): git write-tree failed"
	{ printf '%s\n\n' "$subject"; cat "$work/msg"; } > "$work/message"
	tip=$(GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email GIT_AUTHOR_DATE=$date \
		GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email GIT_COMMITTER_DATE=$date \
		g commit-tree "$tree" -p "$tip" -F "$work/message") || die "patch $i ($p): git commit-tree failed"
	last_date=$date
	[ -z "${first_author:-}" ] && first_author=$author first_email=$email
done
g update-ref refs/heads/series "$tip"

# The cover letter is dated like the last patch and signed by the first patch's author.
mkdir -p "$work/out"
GIT_COMMITTER_NAME=$first_author GIT_COMMITTER_EMAIL=$first_email GIT_COMMITTER_DATE=$last_date \
GIT_AUTHOR_NAME=$first_author GIT_AUTHOR_EMAIL=$first_email GIT_AUTHOR_DATE=$last_date \
	g format-patch -q --cover-letter --base="$base" --zero-commit --no-signature \
	--subject-prefix=PATCH --no-numbered-files --numbered -o "$work/out" "$base..$tip" ||
	die "git format-patch failed"

bench=$(find "$TOP/results" -maxdepth 1 -name 'bench-*.json' 2>/dev/null | LC_ALL=C sort | tail -n 1)
python3 "$TOP/scripts/cover-letter.py" "$work/out/0000-cover-letter.patch" "${bench:-}" \
	"$TOP/docs/design.md" "$(sed -n 1p "$sdir/base.id")" || die "cover letter generation failed"

# Replace the folder's patches (and only them) by the new ones.
mkdir -p "$out" || die "cannot create $out"
rm -f "$out"/*.patch
cp "$work/out"/*.patch "$out"/ || die "cannot write $out"
note "series of $i patches + cover letter in $out (base $base, tip $tip)"
echo "$out"
