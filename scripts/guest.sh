#!/usr/bin/env bash
# Boot a kernel under QEMU with the host's root filesystem (read-only, 9p) and run a job.
#
#   scripts/guest.sh KERNEL JOB NAME [TIMEOUT_S]
#
# JOB is a shell script run as root in the guest from a fresh results folder
# results/NAME-<stamp>/ (its working directory), which is writable and lands on the host.
# Environment: GUEST_MEM (MiB, 2048), GUEST_SMP (2), GUEST_DEBUG=1 adds panic_on_warn and
# friends (test kernels), QEMU_EXTRA, KCMDLINE_EXTRA, GUEST_QUIET=1 hides the live console.
# Exit: 0 job passed; 1 job failed; 2 kernel splat; 3 guest hung or never reported.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kernel=${1:?kernel}
job=${2:?job script}
name=${3:?name}
tmo=${4:-900}
[ -f "$kernel" ] || die "no kernel image $kernel"
[ -f "$job" ] || die "no job script $job"
need qemu-system-x86_64 qemu-system-x86

mem=${GUEST_MEM:-2048}
smp=${GUEST_SMP:-2}
out=$TOP/results/$name-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
cp "$job" "$out/job.sh"
# Parameters for the job: JOB_ENV holds VAR=value lines, sourced before the job runs.
printf '%s\n' "${JOB_ENV:-}" > "$out/job.env"
ln -sfn "$(basename "$out")" "$TOP/results/$name-latest"
echo "$out" > "$TOP/results/.last-$name"

cmdline="console=ttyS0 root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro"
cmdline+=" init=$TOP/guest/init.sh panic=-1 oops=panic loglevel=${GUEST_LOGLEVEL:-5} nokaslr"
cmdline+=" transparent_hugepage=madvise"
if [ "${GUEST_DEBUG:-0}" = 1 ]; then
	cmdline+=" panic_on_warn=1 softlockup_panic=1 hung_task_panic=1 kasan.fault=panic"
fi
cmdline+=" ${KCMDLINE_EXTRA:-}"

# KVM only if a short probe boot of this very kernel reaches its banner under KVM; the answer
# (and why) is cached per host kernel in build/kvm-probe-<uname -r>. One line says what was
# chosen and why.
accel=${QEMU_ACCEL:-"-accel tcg,thread=multi"}
probe=$BUILD/kvm-probe-$(uname -r)
if [ -n "${QEMU_ACCEL:-}" ]; then
	why="accelerator given by QEMU_ACCEL"
elif [ "${TRY_KVM:-1}" != 1 ]; then
	why="KVM not tried (TRY_KVM=0), using TCG"
elif [ ! -w /dev/kvm ]; then
	why="KVM probe: no writable /dev/kvm, using TCG"
else
	if [ ! -f "$probe" ]; then
		mkdir -p "$BUILD"
		plog=$(mktemp)
		# in a subshell whose stderr is discarded: a QEMU that dies of a signal (SIGABRT
		# when KVM cannot run the guest) is reported there, not on our terminal
		(timeout -k 2 15 qemu-system-x86_64 -accel kvm -cpu host -m 512 -smp 1 \
			-nographic -no-reboot -kernel "$kernel" \
			-append "console=ttyS0 panic=-1 root=/dev/nonexistent" </dev/null >"$plog" 2>&1
		 echo $? > "$plog.rc") 2>/dev/null
		prc=$(cat "$plog.rc" 2>/dev/null || echo '?')
		if grep -q "Linux version" "$plog"; then
			printf 'kvm\nthe probe boot reached the kernel banner\n' > "$probe"
		elif [ "$prc" = 124 ] || [ "$prc" = 137 ]; then
			printf 'tcg\nthe probe guest did not reach the kernel banner in 15 s\n' > "$probe"
		else
			msg=$(grep -a -v '^[[:space:]]*$' "$plog" | head -n 1 | cut -c1-120)
			printf 'tcg\nQEMU with -accel kvm exited (status %s%s)%s\n' "$prc" \
				"$([ "$prc" -gt 128 ] 2>/dev/null && echo ", signal $((prc - 128))")" \
				"${msg:+: $msg}" > "$probe"
		fi
		rm -f "$plog" "$plog.rc"
	fi
	reason=$(sed -n 2p "$probe")
	if [ "$(sed -n 1p "$probe")" = kvm ]; then
		accel="-accel kvm -cpu host"
		why="KVM probe: ${reason:-an earlier probe booted under KVM}, using KVM"
	else
		why="KVM probe: ${reason:-an earlier probe failed under KVM}, using TCG"
	fi
	why="$why (cached in ${probe#"$TOP"/}; delete it to probe again)"
fi
note "$why"

note "booting $(basename "$kernel") ($accel, $smp cpus, $mem MiB), results: $out"
console=$out/console.log
start=$(date +%s)
# shellcheck disable=SC2086
timeout -k 10 "$tmo" qemu-system-x86_64 $accel -smp "$smp" -m "$mem" \
	-nographic -no-reboot -monitor none -serial stdio \
	-kernel "$kernel" -append "$cmdline" \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	-fsdev local,id=top,path="$TOP",security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=top,mount_tag=top \
	-fsdev local,id=res,path="$out",security_model=none \
	-device virtio-9p-pci,fsdev=res,mount_tag=results \
	${QEMU_EXTRA:-} </dev/null 2>&1 |
	if [ "${GUEST_QUIET:-0}" = 1 ]; then cat > "$console"; else tee "$console"; fi
qrc=${PIPESTATUS[0]}
elapsed=$(( $(date +%s) - start ))
echo "$elapsed" > "$out/elapsed"

"$TOP/scripts/console-check.sh" "$console"
crc=$?
if [ $crc -ne 0 ]; then
	echo "FAIL: kernel problem in the console log ($console)" >&2
	exit 2
fi
rcline=$(grep -a -o 'SHMBP-GUEST-DONE rc=[0-9]*' "$console" | tail -n 1)
if [ -z "$rcline" ]; then
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		echo "FAIL: guest timed out after ${tmo}s without reporting; last console lines:" >&2
	else
		echo "FAIL: guest exited (qemu rc=$qrc) without reporting; last console lines:" >&2
	fi
	tail -n 25 "$console" | sed 's/^/  | /' >&2
	exit 3
fi
grc=${rcline##*=}
note "guest finished in ${elapsed}s, job rc=$grc"
[ "$grc" = 0 ] || exit 1
exit 0
