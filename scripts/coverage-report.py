#!/usr/bin/env python3
"""Which lines the series adds were executed: make coverage's report.

coverage-report.py PRISTINE TREE GCOVDIR

Added lines: the '+' lines of a diff of PRISTINE/mm/shmem.c against TREE/mm/shmem.c, and
every line of the owned files (mm/shmem/*.c). Executed: gcov's count for the line (the
.gcov files in GCOVDIR). Lines gcov does not count (declarations, comments, braces) are left
out of the figure. Prints each added executable line that never ran, per file, then the
totals and the percentage.
"""
import difflib
import glob
import os
import sys

pristine, tree, gdir = sys.argv[1:4]


def gcov_counts(src):
    """line number -> count (-1: not executed), for executable lines only"""
    name = os.path.basename(src) + '.gcov'
    path = os.path.join(gdir, name)
    counts = {}
    if not os.path.exists(path):
        return None
    with open(path, errors='replace') as f:
        for line in f:
            parts = line.split(':', 2)
            if len(parts) < 3:
                continue
            c, n = parts[0].strip(), parts[1].strip()
            if not n.isdigit() or n == '0':
                continue
            if c == '-':
                continue
            if c.startswith('#####') or c.startswith('====='):
                counts[int(n)] = 0
            else:
                try:
                    counts[int(n)] = int(c.rstrip('*'))
                except ValueError:
                    pass
    return counts


def added_lines(rel):
    old_path = os.path.join(pristine, rel)
    new = open(os.path.join(tree, rel), errors='replace').read().splitlines()
    if not os.path.exists(old_path):
        return new, set(range(1, len(new) + 1))
    old = open(old_path, errors='replace').read().splitlines()
    added = set()
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag in ('replace', 'insert'):
            added.update(range(j1 + 1, j2 + 1))
    return new, added


files = ['mm/shmem.c'] + sorted(os.path.relpath(p, tree)
                                for p in glob.glob(os.path.join(tree, 'mm/shmem/*.c')))
tot_exec = tot_run = 0
missing = []
for rel in files:
    src, added = added_lines(rel)
    counts = gcov_counts(rel)
    if counts is None:
        print(f'{rel}: no gcov data')
        continue
    execl = sorted(n for n in added if n in counts)
    ran = [n for n in execl if counts[n] > 0]
    tot_exec += len(execl)
    tot_run += len(ran)
    pct = 100.0 * len(ran) / len(execl) if execl else 100.0
    print(f'{rel}: {len(ran)} of {len(execl)} added executable lines ran ({pct:.1f}%)')
    for n in execl:
        if counts[n] == 0:
            missing.append((rel, n, src[n - 1].strip()))
            print(f'  never ran: {rel}:{n}: {src[n - 1].strip()}')
pct = 100.0 * tot_run / tot_exec if tot_exec else 0.0
print(f'total: {tot_run} of {tot_exec} added executable lines ran: {pct:.1f}%')
