#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report_html.py - build/results/report.md as one offline HTML page.

Usage: report_html.py REPORT.md OUT.html

Markdown with tables (Debian's python3-markdown); every image that is a
local SVG file is put inline, so the page needs no other file and no
network.
"""
import os
import re
import sys

import markdown

STYLE = """body { font-family: sans-serif; max-width: 80em; margin: 1em auto; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 90%; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: left; }
th { background: #eee; }
code { background: #f4f4f4; }
svg { max-width: 100%; height: auto; }"""


def main():
    if len(sys.argv) != 3 or sys.argv[1] in ('-h', '--help'):
        print(__doc__.strip())
        sys.exit(0 if sys.argv[1:2] in (['-h'], ['--help']) else 2)
    src, dst = sys.argv[1], sys.argv[2]
    base = os.path.dirname(os.path.abspath(src))
    with open(src, encoding='utf-8') as f:
        text = f.read()
    body = markdown.markdown(text, extensions=['tables'])

    def inline(m):
        path = os.path.join(base, m.group(1))
        if not path.endswith('.svg') or not os.path.isfile(path):
            return m.group(0)
        with open(path, encoding='utf-8') as f:
            svg = f.read()
        return svg[svg.find('<svg'):]
    body = re.sub(r'<img alt="[^"]*" src="([^"]+)" ?/?>', inline, body)
    title = text.splitlines()[0].lstrip('# ') if text else 'report'
    with open(dst, 'w', encoding='utf-8') as f:
        f.write('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>%s</title>\n'
                '<style>%s</style></head><body>\n%s\n</body></html>\n' % (title, STYLE, body))


if __name__ == '__main__':
    main()
