#!/usr/bin/env bash
# Install the Debian packages the rig needs, or, as non-root, say which command to run.
#   scripts/deps.sh PKG[=VERSION]...
set -uo pipefail
. "$(dirname "$0")/lib.sh"

missing=()
for spec in "$@"; do
	pkg=${spec%%=*}
	want=${spec#*=}
	[ "$want" = "$spec" ] && want=
	have=$(dpkg-query -W -f='${Status} ${Version}' "$pkg" 2>/dev/null)
	case "$have" in
	"install ok installed "*)
		if [ -n "$want" ] && [ "${have##* }" != "$want" ]; then
			missing+=("$spec")
		fi
		;;
	*) missing+=("$spec") ;;
	esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "error: missing Debian packages: ${missing[*]}" >&2
	echo "run first, as root:" >&2
	echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi
note "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || note "apt-get update failed; trying the install anyway"
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" > "${TMPDIR:-/tmp}/shmbp-apt.log" 2>&1; then
	grep -E '^(E:|Unable|Package)' "${TMPDIR:-/tmp}/shmbp-apt.log" >&2
	die "apt-get install failed for: ${missing[*]} (log: ${TMPDIR:-/tmp}/shmbp-apt.log)"
fi
