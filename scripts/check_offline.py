#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""check_offline.py [--fix] [ROOT] - every tcpdump and tshark call in the
tests, benchmarks and scripts passes -n (no name resolution).

A `tcpdump -r` without -n resolves every address it prints and hangs where
the DNS resolver does not answer (issue 11 and 13: `make bench` hung). A
call is the command word followed by an option or "$@" (in a shell line,
a C string, a Python list), backslash-continued lines joined; comments and
messages (echo, ok, fail, print ...) are not calls, nor are package lists;
a line marked "offline-ok" resolves names on purpose.
--fix inserts "-n" after the command word where it is missing.
Exit 0 when every call has it, 1 otherwise (each listed as file:line).
"""
import os
import re
import sys

TOOLS = r'(?:tcpdump|tshark)'
# A call has options or arguments passed on: "tshark tcpdump nfdump" in a
# package list is not one.
CALL = re.compile(r'(?<![/\w.-])(?P<tool>' + TOOLS + r')(?P<q>["\']?)'
                  r'(?=\s+(?:-|"\$@"|\$@|\$\w)|\s*$|\s*,\s*["\']-)(?P<rest>.*)')
HAS_N = re.compile(r'(?:^|[\s\'",])-[A-Za-z]*n[A-Za-z]*(?=[\s\'",]|$)')
# Not calls: the program checks for the tool, or asks its version.
SKIP = re.compile(r'offline-ok|command\s+-v|\bwhich\b|\bneed\b|_require\b|--version|\s-v\s*$|\bfor\s+\w+\s+in\b')
# Messages to the reader that name a command are not calls.
MESSAGE = re.compile(r'\b(?:ok|echo|fail|skip|printf|print|log|check|errors\.append)\b\s*\(?\s*'
                     r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\')')
EXTS = ('.sh', '.bash', '.py', '.c', '.h', '.mk', '.cmake')
DIRS = ('tests', 'bench', 'scripts', 'examples', 'fuzz', '.ci', 'integrations')
FILES = ('Makefile', 'CMakeLists.txt')


def is_comment(line):
    s = line.lstrip()
    return s.startswith(('#', '//', '/*', '* ')) or s == '*'


def files(root):
    for f in FILES:
        p = os.path.join(root, f)
        if os.path.isfile(p):
            yield p
    for d in DIRS:
        for dp, dn, fn in os.walk(os.path.join(root, d)):
            dn[:] = [x for x in dn if not x.startswith('build')]
            for f in sorted(fn):
                p = os.path.join(dp, f)
                if f.endswith(EXTS) or (d in ('.ci', 'scripts') and '.' not in f):
                    yield p


def logical_lines(text):
    """(first line number, joined text) with backslash continuations joined."""
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        start, cur = i + 1, lines[i]
        while cur.endswith('\\') and i + 1 < len(lines):
            i += 1
            cur = cur[:-1] + ' ' + lines[i].strip()
        yield start, cur
        i += 1


def calls(text):
    for no, line in logical_lines(text):
        if is_comment(line) or SKIP.search(line):
            continue
        line = MESSAGE.sub(' ', line)
        for m in CALL.finditer(line):
            # Up to the end of this command: a pipe, ;, && or ) ends it.
            rest = re.split(r'\s\|\s|;\s|&&|\|\||\)\s*[|;&]', m.group('rest'))[0]
            yield no, m, HAS_N.search(rest) is not None


def main(argv):
    fix = '--fix' in argv
    args = [a for a in argv if a != '--fix']
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    me = os.path.abspath(__file__)
    bad = total = 0
    for path in files(root):
        if os.path.abspath(path) == me:
            continue
        try:
            text = open(path, encoding='utf-8', errors='replace').read()
        except OSError:
            continue
        missing = []
        for no, m, ok in calls(text):
            total += 1
            if not ok:
                missing.append((no, m))
                rel = os.path.relpath(path, root)
                print('%s:%d: %s without -n: %s' % (rel, no, m.group('tool'),
                                                    m.group(0).strip()[:100]))
        bad += len(missing)
        if fix and missing:
            lines = text.split('\n')
            for no, m in missing:
                tool, q = m.group('tool'), m.group('q')
                # ['tshark', '-r', ...] gets ', '-n''; anything else " -n".
                ins = (q + ", '-n'") if q and m.group('rest').lstrip().startswith(',') else ' -n'
                pat = re.compile(r'(?<![/\w.-])' + tool + (re.escape(q) if q and ins != ' -n' else ''))
                lines[no - 1] = pat.sub(lambda mm: tool + ins if ins == ' -n' else tool + ins,
                                        lines[no - 1], count=1)
            open(path, 'w').write('\n'.join(lines))
    print('offline: %d tcpdump/tshark calls, %d without -n' % (total, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
