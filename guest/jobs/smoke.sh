#!/bin/sh
# A small job: the smoke test of one mode (guest/smoke.sh), for a kernel built elsewhere, e.g.
# the bzImage of 'make deb'. Parameters (job.env): SMOKE_MODE=bypass SMOKE_MB=32, and
# EXPECT_RELEASE: when set, uname -r must end with it (the package's LOCALVERSION).
echo "# kernel $(uname -r)"
if [ -n "${EXPECT_RELEASE:-}" ]; then
	case "$(uname -r)" in
	*"$EXPECT_RELEASE") echo "ok 0 kernel release ends with $EXPECT_RELEASE" ;;
	*) echo "not ok 0 kernel release $(uname -r) does not end with $EXPECT_RELEASE"; exit 1 ;;
	esac
fi
sh "$TOP/guest/smoke.sh" "${SMOKE_MODE:-bypass}" "${SMOKE_MB:-32}"
