#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench_table.py - the figures of scripts/bench.sh's boots, as tables.

Usage: bench_table.py --runs TSV --boots FILE --seconds N [--repeat N] --icount ARGS
                      --series HEAD --md OUT.md --json OUT.json

Each line of --runs: bench, run, kernel (before|series), repetition, kernel
log.  What is read from a log:
  nodm      "nodm_test_bench: <KiB> KiB x<n> alloc+free: plain <ns> ns,
            reset_perms <ns> ns (...), no_direct_map <ns> ns (...)" and
            "nodm_test_bench: <KiB> KiB <mode> direct-map flushes: <a> at
            alloc, <f> at free";
  mmap      "@@BENCH mmap_munmap rounds=<r> total_us=<t> ns_per_round=<n>".
Per figure: min/median/max over the repetitions; ratios are of medians.
Exit status 1 when a log lacks its figures.
"""
import argparse
import json
import re
import statistics
import sys

NODM_T = re.compile(r'nodm_test_bench: +(\d+) KiB x(\d+) +alloc\+free: plain (\d+) ns, '
                    r'reset_perms (\d+) ns .*no_direct_map (\d+) ns')
NODM_F = re.compile(r'nodm_test_bench: +(\d+) KiB (\S+) +direct-map flushes: (\d+) at alloc, '
                    r'(\d+) at free')
MMAP = re.compile(r'@@BENCH mmap_munmap rounds=(\d+) total_us=(\d+) ns_per_round=(\d+)$', re.M)
MODES = ('plain', 'reset_perms', 'no_direct_map')
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
    if bench == 'nodm':
        times = {int(m[1]): dict(zip(MODES, map(int, m.groups()[2:]))) for m in NODM_T.finditer(text)}
        flushes = {}
        for m in NODM_F.finditer(text):
            flushes.setdefault(int(m[1]), {})[m[2]] = (int(m[3]), int(m[4]))
        return {'times': times, 'flushes': flushes} if times else None
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
            runs = kernels['series']
            rows, goals = [], []
            for kib in sorted(runs[0]['times']):
                t = {mode: mmm([r['times'][kib][mode] for r in runs if kib in r['times']])
                     for mode in MODES}
                fl = runs[0]['flushes'].get(kib, {})
                ratio = t['no_direct_map']['median'] / t['plain']['median']
                rp = t['reset_perms']['median'] / t['plain']['median']
                ok_fl = fl.get('no_direct_map', (None,))[0] == 1
                ok = ok_fl and (kib < NODM_GOAL_FROM_KIB or ratio <= NODM_GOAL_RATIO)
                rows.append({'kib': kib, 'times_ns': t, 'nodm_over_plain': ratio,
                             'reset_perms_over_plain': rp, 'flushes': fl, 'goal_met': ok,
                             'spread_pct': max(spread(t[m]) for m in MODES)})
                goals.append(ok)
            out['benches'].append({'bench': bench, 'run': run, 'rows': rows,
                                   'goal': '<= %.1fx plain from %d MiB, one flush per allocation'
                                   % (NODM_GOAL_RATIO, NODM_GOAL_FROM_KIB // 1024), 'goal_met': all(goals)})
            md += ['## VM_NO_DIRECT_MAP alloc+free on %s (%d runs)' % (run, len(runs)), '',
                   '| size | plain ns | VM_FLUSH_RESET_PERMS ns | VM_NO_DIRECT_MAP ns | reset/plain | nodm/plain '
                   '| flushes alloc/free (plain, reset, nodm) | spread | goal |',
                   '|---|---|---|---|---|---|---|---|---|']
            for r in rows:
                fl = ', '.join('%d/%d' % r['flushes'].get(m, (-1, -1)) for m in MODES)
                md.append('| %d KiB | %s | %s | %s | %.2fx | %.2fx | %s | %.1f %% | %s |'
                          % (r['kib'], fmt(r['times_ns']['plain']), fmt(r['times_ns']['reset_perms']),
                             fmt(r['times_ns']['no_direct_map']), r['reset_perms_over_plain'],
                             r['nodm_over_plain'], fl, r['spread_pct'],
                             'met' if r['goal_met'] else '**missed**'))
            md.append('')
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
