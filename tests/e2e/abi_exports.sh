#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The ABI of libflowtap.so is exactly the public API (issue 11): its dynamic
# symbol table (nm -D --defined-only) holds every function declared in
# include/flowtap/*.h and nothing else (no test hook, no ft__ internal, no
# symbol of a static dependency). Every function those headers declare is
# FT_EXPORT or static inline. The version script is generated from the
# headers, so to add a public function: declare it FT_EXPORT in a public
# header, define it FT_EXPORT in src/. To keep one out of the ABI: declare it
# in a header under src/ with an ft__ name.
set -uo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}"
command -v nm >/dev/null || { echo "SKIP: nm not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
lib=$(ls "$FT_BUILD"/libflowtap.so.* 2>/dev/null | head -1)
[ -n "$lib" ] || { echo "FAIL: no libflowtap.so in $FT_BUILD"; exit 1; }

nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | grep -v '^FLOWTAP_' | sort -u \
	>"$FT_BUILD/abi-exported.txt"
python3 - "$FT_SRC/include/flowtap" "$FT_BUILD/abi-exported.txt" <<'PY'
import glob, os, re, sys
hdr_dir, exported_file = sys.argv[1], sys.argv[2]
exported = set(open(exported_file).read().split())
declared, unmarked = {}, []
for path in sorted(glob.glob(os.path.join(hdr_dir, '*.h'))):
    text = open(path).read()
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)   # comments
    text = re.sub(r'//[^\n]*', ' ', text)
    lines, cont = [], False
    for line in text.split('\n'):                      # preprocessor lines
        if cont or line.lstrip().startswith('#'):
            cont = line.endswith('\\')
            continue
        lines.append(line)
    text = '\n'.join(lines).replace('extern "C" {', ' ')
    name = os.path.basename(path)
    # Top-level statements: split on ';' and '}' (bodies of static inline
    # functions and struct definitions are dropped with their braces).
    depth, stmt, stmts = 0, '', []
    for ch in text:
        if ch == '{':
            if depth == 0:
                stmts.append(stmt + '{')
                stmt = ''
            depth += 1
        elif ch == '}':
            depth = max(depth - 1, 0)  # the '}' of extern "C" too
        elif depth == 0:
            if ch == ';':
                stmts.append(stmt)
                stmt = ''
            else:
                stmt += ch
    for st in stmts:
        st = ' '.join(st.split())
        m = re.search(r'\b(ft_[a-z0-9_]+)\s*\(', st)
        if not m or st.startswith('typedef') or '(*' in st.split(m.group(1))[0][-3:]:
            continue
        if re.match(r'^(extern "C" )?static\b', st) or 'static inline' in st:
            continue
        if st.endswith('{'):
            unmarked.append((name, m.group(1), 'defined in a public header without static inline'))
            continue
        declared[m.group(1)] = name
        if not st.startswith('FT_EXPORT') and 'FT_EXPORT' not in st.split(m.group(1))[0]:
            unmarked.append((name, m.group(1), 'declared without FT_EXPORT'))

bad = 0
for f in sorted(set(declared) - exported):
    print('FAIL: %s (include/flowtap/%s) is not exported by libflowtap.so: define it with '
          'FT_EXPORT in src/ (the version script is generated from the headers)' % (f, declared[f]))
    bad += 1
for f in sorted(exported - set(declared)):
    print('FAIL: libflowtap.so exports %s, which no public header declares: declare it '
          'FT_EXPORT in include/flowtap/*.h if it is API, else drop FT_EXPORT from its '
          'definition and name it ft__%s in an internal header' % (f, f[3:] if f.startswith('ft_') else f))
    bad += 1
for h, f, why in unmarked:
    print('FAIL: %s in include/flowtap/%s is %s: mark it FT_EXPORT (or make it static inline)' % (f, h, why))
    bad += 1
# The test hooks of issue 11 stay out of the ABI, and so does every ft__ name.
hooks = ['ft_filter_render', 'ft_flowlog_classify', 'ft_psample_decode', 'ft_psample_scale',
         'ft_psample_l3', 'ft_psample_seq_gap', 'ft_nflog_decode', 'ft_frame_ip']
for f in sorted(set(hooks) & (exported | set(declared))) + sorted(
        x for x in exported if x.startswith('ft__')):
    print('FAIL: %s is internal (tests and fuzzers link flowtap_internal) but is in the ABI' % f)
    bad += 1
print('abi: %d functions declared in include/flowtap, %d exported, %d problems'
      % (len(declared), len(exported), bad))
sys.exit(1 if bad else 0)
PY
