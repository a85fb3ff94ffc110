#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""proof_table.py - the before/after table of scripts/proof.sh.

Usage: proof_table.py --rows TSV --builds FILE --boots FILE --seconds N
                      --series HEAD --base DESC --md OUT.md --json OUT.json

Each line of --rows is: suite, run, proves, before state, before result,
after result.  A result is a boot directory (kunit.json from kunit.py
parse, qemu_exit, splat_count) or "ERROR: why" when the before tree did not
apply or build.  --builds and --boots hold "name seconds" lines.

Per test case of the suite, the verdict is:
  proven          FAIL or ERROR before, PASS after;
  proven (no before tree)  the before tree does not apply or build (ERROR),
                  PASS after: a suite of a new interface;
  PASSES BEFORE   PASS before and after: flagged, proves nothing by itself;
  SKIPS BEFORE    SKIP before, PASS after: flagged likewise;
  n/a here        SKIP after (the case does not apply to this run);
  FAILS AFTER     anything but PASS or SKIP after;
  NO BEFORE RESULT  the before run has no result for the case (and did not
                  crash before it): the before run proves nothing.
Exit status 1 when a case FAILS AFTER or has NO BEFORE RESULT, a line proves
no case, or an after run has splat lines, crashed or timed out; else 0.
"""
import argparse
import json
import os
import sys


def read_result(where, suite):
    """({case: status}, note) of one suite in one result."""
    if where.startswith('ERROR:'):
        return None, where[len('ERROR:'):].strip()
    note = []
    rc = read_int(where, 'qemu_exit')
    if rc:
        note.append({124: 'timed out', 125: 'crashed, hung'}.get(rc, 'qemu exit %d' % rc))
    splats = read_int(where, 'splat_count')
    if splats:
        note.append('%d splat lines' % splats)
    try:
        with open(os.path.join(where, 'kunit.json'), encoding='utf-8') as f:
            top = json.load(f)
    except (OSError, ValueError):
        return {}, '; '.join(note + ['no KTAP'])
    for group in top.get('sub_groups', []):
        if group.get('name') == suite:
            return ({c['name']: c['status'] for c in group.get('test_cases', [])},
                    '; '.join(note))
    return {}, '; '.join(note + ['suite did not run'])


def read_int(where, name):
    """The number in the file NAME of a boot directory (qemu_exit,
    splat_count); 0 when there is none."""
    try:
        with open(os.path.join(where, name), encoding='utf-8') as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def verdict(before, after, no_tree):
    if after == 'SKIP':
        return 'n/a here'
    if after != 'PASS':
        return 'FAILS AFTER'
    if no_tree:
        return 'proven (no before tree)'
    if before in ('FAIL', 'ERROR'):
        return 'proven'
    return 'PASSES BEFORE' if before == 'PASS' else 'SKIPS BEFORE'


def pairs(path):
    out = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.strip():
                name, secs = line.split()
                out.append({'name': name, 'seconds': int(secs)})
    return out


def main():
    ap = argparse.ArgumentParser()
    for opt in ('rows', 'builds', 'boots', 'series', 'base', 'md', 'json'):
        ap.add_argument('--' + opt, required=True)
    ap.add_argument('--seconds', type=int, required=True)
    args = ap.parse_args()

    lines, bad = [], []
    with open(args.rows, encoding='utf-8') as f:
        for raw in f:
            suite, run, proves, state, bres, ares = raw.rstrip('\n').split('\t')
            bcases, bnote = read_result(bres, suite)
            acases, anote = read_result(ares, suite)
            # a case missing before counts as ERROR only after a crash that
            # kunit.py recorded (a nameless ERROR entry): the cases after it
            # never ran; a before run without the suite proves nothing
            crashed = bcases is not None and bcases.get('') == 'ERROR'
            cases = []
            for name, astat in acases.items():
                if name == '':
                    continue
                if bcases is None:
                    bstat = 'ERROR'
                else:
                    bstat = bcases.get(name, 'ERROR' if crashed else 'NO RESULT')
                v = verdict(bstat, astat, bcases is None)
                if bstat == 'NO RESULT' and v != 'n/a here':
                    v = 'NO BEFORE RESULT'
                    bad.append('%s.%s on %s: no result before (%s)' % (suite, name, run,
                                                                      bnote or 'not in its KTAP'))
                cases.append({'case': name, 'before': bstat, 'after': astat, 'verdict': v})
            if acases.get('') == 'ERROR':
                bad.append('%s on %s: the suite crashed with the series' % (suite, run))
            proven = sum(c['verdict'].startswith('proven') for c in cases)
            line = {'suite': suite, 'run': run, 'proves': proves, 'before_tree': state,
                    'before_note': bnote, 'after_note': anote, 'cases': cases,
                    'proven': proven}
            if not cases:
                bad.append('%s on %s: the suite did not run after (%s)' % (suite, run, anote))
            elif proven == 0:
                bad.append('%s on %s: no case fails before and passes after' % (suite, run))
            for c in cases:
                if c['verdict'] == 'FAILS AFTER':
                    bad.append('%s.%s on %s: %s with the series' % (suite, c['case'], run, c['after']))
            splats, rc = read_int(ares, 'splat_count'), read_int(ares, 'qemu_exit')
            if splats:
                bad.append('%s: %d splat lines with the series' % (run, splats))
            if rc:
                bad.append('%s: the series\' guest run ended with QEMU exit %d (124: timeout, '
                           '125: crashed and hung)' % (run, rc))
            lines.append(line)
    bad = list(dict.fromkeys(bad))
    builds, boots = pairs(args.builds), pairs(args.boots)
    allc = [c for line in lines for c in line['cases']]
    count = {v: sum(c['verdict'] == v for c in allc)
             for v in ('proven', 'proven (no before tree)', 'PASSES BEFORE', 'SKIPS BEFORE', 'n/a here',
                       'FAILS AFTER', 'NO BEFORE RESULT')}

    with open(args.json, 'w', encoding='utf-8') as f:
        json.dump({'base': args.base, 'series_head': args.series, 'lines': lines,
                   'counts': count, 'builds': builds, 'boots': boots,
                   'seconds': args.seconds, 'problems': bad}, f, indent=1)

    md = ['# Proof: each test before and after the patches it proves', '',
          '- base: %s; series head %s' % (args.base, args.series),
          '- before = the base + the listed patches (`configs/proof.conf`); after = the whole series',
          '- cases: %d proven by a run (FAIL/ERROR before, PASS after); %d proven only because the '
          'before tree does not apply or build (ERROR; a new interface); %d pass before, %d skip '
          'before (flagged: prove nothing by themselves); %d n/a on that run; %d fail after'
          % (count['proven'], count['proven (no before tree)'], count['PASSES BEFORE'],
             count['SKIPS BEFORE'], count['n/a here'], count['FAILS AFTER']),
          '- time: %d s in all; %d builds (%s s), %d boots (%s s)'
          % (args.seconds, len(builds), sum(b['seconds'] for b in builds), len(boots),
             sum(b['seconds'] for b in boots)),
          '',
          '| suite | run | proves | before tree | case | before | after | verdict |',
          '|---|---|---|---|---|---|---|---|']
    for line in lines:
        for c in line['cases']:
            v = c['verdict'] if c['verdict'].startswith(('proven', 'n/a')) else '**%s**' % c['verdict']
            md.append('| %s | %s | %s | %s | %s | %s | %s | %s |'
                      % (line['suite'], line['run'], line['proves'], line['before_tree'],
                         c['case'], c['before'], c['after'], v))
    md += ['', '| suite | run | before tree | before run | after run |', '|---|---|---|---|---|']
    for line in lines:
        md.append('| %s | %s | %s | %s | %s |' % (line['suite'], line['run'], line['before_tree'],
                                                 line['before_note'] or 'ok',
                                                 line['after_note'] or 'ok'))
    if builds:
        md += ['', 'Builds (s): ' + ', '.join('%s %d' % (b['name'], b['seconds']) for b in builds)]
    if bad:
        md += ['', '## The proof does not hold', ''] + ['- ' + b for b in bad]
    with open(args.md, 'w', encoding='utf-8') as f:
        f.write('\n'.join(md) + '\n')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
