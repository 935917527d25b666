#!/usr/bin/env bash
# make check-newest: the exported series on the newest linux-source-6.12 the archive offers.
#
#   scripts/newest.sh
#
# Asks apt for the versions of linux-source-6.12 the configured archives offer (apt-cache
# madison; run 'apt-get update' first for today's list), takes the highest (dpkg
# --compare-versions) and says in one line how it compares with the pin of make test
# (DEB_VER in lib.sh, which this leaves alone: nothing is installed). Then the check of make
# check-older (scripts/older.sh) on that version alone: the package fetched into build/older
# with 'apt-get download' when missing, the export applied, mm/ compiled with W=1, no new
# warning. The table goes to build/older/newest.md. Exits non-zero when apt offers no version,
# or when the export does not apply or build there.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

odir=${OLDER_DIR:-$BUILD/older}
command -v apt-cache >/dev/null 2>&1 ||
	die "apt-cache not found: make check-newest asks apt which $DEB_PKG versions the archive offers (Debian package 'apt')"
need dpkg dpkg

mapfile -t versions < <(apt-cache madison "$DEB_PKG" 2>/dev/null |
	awk -F'|' -v p="$DEB_PKG" '{gsub(/ /, "", $1); gsub(/ /, "", $2)} $1 == p {print $2}')
[ ${#versions[@]} -gt 0 ] ||
	die "apt-cache madison $DEB_PKG lists no version: apt-get update first, and the apt sources need Debian's bookworm-security (where $DEB_PKG is)"
newest=
for v in "${versions[@]}"; do
	if [ -z "$newest" ] || dpkg --compare-versions "$v" gt "$newest"; then newest=$v; fi
done
if [ "$newest" = "$DEB_VER" ]; then how=same
elif dpkg --compare-versions "$newest" gt "$DEB_VER"; then how=newer
else how=older
fi
echo "pin $DEB_VER, newest $newest: $how"

OLDER_VERSIONS=$newest OLDER_TABLE=$odir/newest.md exec "$TOP/scripts/older.sh" "$newest"
