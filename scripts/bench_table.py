#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench_table.py - the figures of scripts/bench.sh's boots, as tables.

Usage: bench_table.py --runs TSV --boots FILE --seconds N [--repeat N] --icount ARGS
                      --series HEAD --md OUT.md --json OUT.json

Each line of --runs: bench, run, kernel (before|series), repetition, kernel
log.  What is read from a log:
  nodm      "@@BENCH vmbench nr_pages=<n>" and test_vmalloc's Summary lines
            (of one test or both: figures of the same size and init_on_free
            are pooled over the boots),
            "@@BENCH test_vmalloc <test> passed: .. failed: <f> ...
            loops: <l> avg: <usec> usec", of fix_size_alloc_test (plain
            vmalloc()) and no_direct_map_alloc_test, and whether the page
            allocator clears freed pages ("mem auto-init: ... heap
            free:on", init_on_free=1: then both tests clear every page,
            otherwise only VM_NO_DIRECT_MAP's vfree() does);
  nodmfl    the same boots with kprobe events: "@@BENCH flushes test=<t>
            flush_tlb_kernel_range=<n> flush_tlb_all=<m>" per test;
  mmap      "@@BENCH mmap_munmap rounds=<r> total_us=<t> ns_per_round=<n>".
Per figure: min/median/max over the repetitions; ratios are of medians.
Exit status 1 when a log lacks its figures.
"""
import argparse
import json
import re
import statistics
import sys

NR_PAGES = re.compile(r'@@BENCH vmbench nr_pages=(\d+)')
SUMMARY = re.compile(r'@@BENCH test_vmalloc (\w+) passed: (\d+) failed: (\d+) .*loops: (\d+) avg: (\d+) usec')
FLUSHES = re.compile(r'@@BENCH flushes test=(\w+) flush_tlb_kernel_range=(\d+) flush_tlb_all=(\d+)')
TESTS = {'fix_size_alloc_test': 'plain', 'no_direct_map_alloc_test': 'nodm'}
INIT_ON_FREE = re.compile(r'mem auto-init: .*heap free:(on|off)')
MMAP = re.compile(r'@@BENCH mmap_munmap rounds=(\d+) total_us=(\d+) ns_per_round=(\d+)$', re.M)
NODM_GOAL_RATIO = 1.5
NODM_GOAL_FROM_KIB = 1024
MMAP_GOAL = 1.01


def mmm(values):
    return {'min': min(values), 'median': statistics.median(values), 'max': max(values),
            'runs': values}


def fmt(s):
    return '%s / %s / %s' % tuple('{:,.0f}'.format(s[k]) for k in ('min', 'median', 'max'))


def spread(s):
    return (s['max'] - s['min']) / s['median'] * 100 if s['median'] else 0.0


def read_log(bench, path):
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    if bench in ('nodm', 'nodmfl'):
        m = NR_PAGES.search(text)
        fig = {'kib': int(m[1]) * 4 if m else None, 'usec': {}, 'loops': {}, 'failed': 0, 'flushes': {}}
        m = INIT_ON_FREE.search(text)
        fig['init_on_free'] = bool(m and m[1] == 'on')
        for m in SUMMARY.finditer(text):
            if m[1] in TESTS:
                fig['usec'][TESTS[m[1]]] = int(m[5])
                fig['loops'][TESTS[m[1]]] = int(m[4])
                fig['failed'] += int(m[3]) + (int(m[2]) == 0)
        for m in FLUSHES.finditer(text):
            fig['flushes'][m[1]] = (int(m[2]), int(m[3]))
        # a nodm boot runs one test or both; a nodmfl boot runs both
        ok = fig['kib'] and fig['usec'] and not fig['failed']
        if bench == 'nodmfl':
            ok = ok and len(fig['usec']) == 2 and len(fig['flushes']) == 2
        return fig if ok else None
    if bench == 'mmap':
        m = MMAP.search(text)
        return {'ns_per_round': int(m[3]), 'rounds': int(m[1])} if m else None
    raise ValueError('unknown bench ' + bench)


def main():
    ap = argparse.ArgumentParser()
    for opt in ('runs', 'boots', 'icount', 'series', 'md', 'json'):
        ap.add_argument('--' + opt, required=True)
    ap.add_argument('--seconds', type=int, required=True)
    ap.add_argument('--repeat', type=int, default=0)
    args = ap.parse_args()

    data, missing = {}, []
    with open(args.runs, encoding='utf-8') as f:
        for raw in f:
            bench, run, kernel, rep, path = raw.rstrip('\n').split('\t')
            fig = read_log(bench, path)
            if fig is None:
                missing.append('%s %s %s #%s: no figures in %s' % (bench, run, kernel, rep, path))
                continue
            data.setdefault((bench, run), {}).setdefault(kernel, []).append(fig)
    boots = []
    with open(args.boots, encoding='utf-8') as f:
        for line in f:
            if line.strip():
                name, secs = line.split()
                boots.append({'name': name, 'seconds': int(secs)})

    out = {'series_head': args.series, 'qemu': args.icount, 'seconds': args.seconds,
           'repeat': args.repeat,
           'boots': boots, 'problems': missing, 'benches': []}
    md = ['# Benchmarks (guest-side, QEMU `%s`)' % args.icount, '',
          '- series head %s; every figure min / median / max over the repetitions; ratios of medians'
          % args.series,
          '- %d boots, %d s in all' % (len(boots), args.seconds), '']
    for (bench, run), kernels in data.items():
        if bench == 'nodm':
            rows, goals = [], []
            for kib, iof in sorted({(r['kib'], r['init_on_free']) for r in kernels['series']}):
                runs = [r for r in kernels['series'] if r['kib'] == kib and r['init_on_free'] == iof]
                usec = {k: [r['usec'][k] for r in runs if k in r['usec']] for k in ('plain', 'nodm')}
                if not usec['plain'] or not usec['nodm']:
                    missing.append('nodm %s %d KiB: no plain or no VM_NO_DIRECT_MAP figure' % (run, kib))
                    continue
                t = {k: mmm(v) for k, v in usec.items()}
                ratio = t['nodm']['median'] / t['plain']['median']
                # flush counts do not depend on who clears the pages
                fl = [r for r in data.get(('nodmfl', run), {}).get('series', []) if r['kib'] == kib]
                per_op = None
                if fl:
                    r0 = fl[0]
                    per_op = {k: [v / r0['loops'][k] for v in r0['flushes'][k]] for k in ('plain', 'nodm')}
                # The time goal compares like with like: without
                # init_on_free only VM_NO_DIRECT_MAP clears the pages, and
                # such a row shows what that clearing costs on top.
                time_judged = iof and kib >= NODM_GOAL_FROM_KIB
                ok = ratio <= NODM_GOAL_RATIO or not time_judged
                if per_op:
                    ok = ok and per_op['nodm'][0] == 1.0
                rows.append({'kib': kib, 'init_on_free': iof, 'usec': t, 'nodm_over_plain': ratio,
                             'flushes_per_op': per_op, 'goal_met': ok, 'time_judged': time_judged,
                             'spread_pct': max(spread(t[k]) for k in t)})
                goals.append(ok)
            out['benches'].append({'bench': bench, 'run': run, 'rows': rows,
                                   'goal': '<= %.1fx plain from %d MiB when both clear the pages at free '
                                   '(init_on_free=1), one vmalloc flush per allocation'
                                   % (NODM_GOAL_RATIO, NODM_GOAL_FROM_KIB // 1024), 'goal_met': all(goals)})
            md += ['## VM_NO_DIRECT_MAP alloc+free on %s (test_vmalloc, %d boots)' % (run, len(kernels['series'])), '',
                   '| size | pages cleared at free by | plain vmalloc() usec | VM_NO_DIRECT_MAP usec | nodm/plain '
                   '| flush_tlb_kernel_range() per alloc+free, plain / nodm | flush_tlb_all() (CPA splits) per alloc+free, nodm '
                   '| spread | goal |',
                   '|---|---|---|---|---|---|---|---|---|']
            for r in rows:
                f = r['flushes_per_op']
                md.append('| %d KiB | %s | %s | %s | %.2fx | %s | %s | %.1f %% | %s |'
                          % (r['kib'],
                             'both: page allocator (init_on_free=1)' if r['init_on_free']
                             else 'VM_NO_DIRECT_MAP only: its vfree()',
                             fmt(r['usec']['plain']), fmt(r['usec']['nodm']), r['nodm_over_plain'],
                             '%.3f / %.3f' % (f['plain'][0], f['nodm'][0]) if f else 'not countable here',
                             '%.3f' % f['nodm'][1] if f else '-', r['spread_pct'],
                             ('met' if r['goal_met'] else '**missed**') if r['time_judged']
                             else 'time not judged (clearing on one side only)%s'
                             % ('' if not f else '; flushes met' if r['goal_met'] else '; flushes **missed**')))
            md += ['', 'Goal: %s.' % out['benches'][-1]['goal'], '']
        elif bench == 'nodmfl':
            continue
        elif bench == 'mmap':
            b = mmm([r['ns_per_round'] for r in kernels['before']])
            s = mmm([r['ns_per_round'] for r in kernels['series']])
            ratio = s['median'] / b['median']
            out['benches'].append({'bench': bench, 'run': run, 'before': b, 'series': s,
                                   'ratio': ratio, 'goal': 'series/base <= %.2f' % MMAP_GOAL,
                                   'goal_met': ratio <= MMAP_GOAL})
            md += ['## munmap/mmap on %s (ns per round of mmap_round(), %d runs each, alternating)'
                   % (run, len(kernels['series'])), '',
                   '| kernel | min / median / max | spread |', '|---|---|---|',
                   '| before (base + test patch) | %s | %.3f %% |' % (fmt(b), spread(b)),
                   '| series | %s | %.3f %% |' % (fmt(s), spread(s)), '',
                   'series/base: **%.5f** (%+.3f %%); goal <= %.2f: %s' %
                   (ratio, (ratio - 1) * 100, MMAP_GOAL, 'met' if ratio <= MMAP_GOAL else '**missed**'), '']
    if missing:
        md += ['## Missing figures', ''] + ['- ' + m for m in missing]
    with open(args.json, 'w', encoding='utf-8') as f:
        json.dump(out, f, indent=1)
    with open(args.md, 'w', encoding='utf-8') as f:
        f.write('\n'.join(md) + '\n')
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
