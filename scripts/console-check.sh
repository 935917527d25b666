#!/usr/bin/env bash
# Read a guest console log; exit 1 and show the lines that matter if the kernel complained
# (panic, oops, BUG, WARN, lockdep, KASAN, UBSAN, soft lockup, hung task, RCU stall, list
# corruption, bad page state, refcount).
set -uo pipefail
log=${1:?console log}
pat='Kernel panic|BUG:|WARNING:|Oops|general protection fault|------------\[ cut here \]|'
pat+='possible circular locking|possible recursive locking|inconsistent lock state|'
pat+='DEBUG_LOCKS_WARN|KASAN:|UBSAN:|soft lockup -|INFO: task .* blocked for more than|'
pat+='rcu_sched self-detected|rcu: INFO|detected stall|list_add corruption|list_del corruption|'
pat+='Bad page state|Bad swap|refcount_t:|VM_BUG_ON|kernel BUG at|Call Trace:'
# An OOM kill report (from "invoked oom-killer" to "Killed process") is memory pressure doing
# its job, not a kernel bug: its Call Trace does not count. Line numbers stay those of the log.
first=$(awk '/invoked oom-killer/ {oom = 1} {print (oom ? "" : $0)} /Killed process [0-9]+/ {oom = 0}' "$log" |
	grep -a -n -E "$pat" | grep -v -E 'Command line:|Kernel command line:' | head -n 1 | cut -d: -f1)
[ -z "$first" ] && exit 0
echo "kernel problem in $log (line $first):" >&2
# The report's header and its stack: from the first match, at most 60 lines.
sed -n "$((first > 3 ? first - 3 : 1)),$((first + 60))p" "$log" | sed 's/^/  | /' >&2
exit 1
