#!/usr/bin/python3
# Check po/POTFILES: every file with translatable strings is listed, and
# every listed file exists.  Prints TAP.
import os
import re
import sys

root = os.environ.get('VIREO_SOURCE_ROOT') or sys.argv[1]
potfiles_path = os.path.join(root, 'po', 'POTFILES')

listed = []
with open(potfiles_path, encoding='utf-8') as f:
    for line in f:
        line = line.split('#', 1)[0].strip()
        if line:
            listed.append(line)

C_MARK = re.compile(r'\b[NCQ]?_\(|\bg_dngettext\b|\bngettext\(')
UI_MARK = re.compile(r'translatable="yes"')
# Files whose strings xgettext extracts through its ITS rules.
ITS_SUFFIXES = ('.desktop.in', '.metainfo.xml.in', '.gschema.xml')

wanted = []
for top in ('src', 'ui', 'data'):
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if name.endswith(ITS_SUFFIXES):
                wanted.append(rel)
                continue
            if name.endswith(('.c', '.h')):
                mark = C_MARK
            elif name.endswith(('.ui', '.xml')):
                mark = UI_MARK
            else:
                continue
            with open(path, encoding='utf-8', errors='replace') as f:
                if mark.search(f.read()):
                    wanted.append(rel)

checks = []
for rel in wanted:
    checks.append((rel in listed, 'translatable strings of %s are in po/POTFILES' % rel))
for rel in listed:
    checks.append((os.path.isfile(os.path.join(root, rel)), 'po/POTFILES entry %s exists' % rel))
checks.append((len(listed) == len(set(listed)), 'po/POTFILES lists no file twice'))

print('1..%d' % len(checks))
failed = 0
for i, (ok, what) in enumerate(checks, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', i, what))
    failed += not ok
if failed:
    print('# %d file(s) missing or wrong in po/POTFILES' % failed)
sys.exit(1 if failed else 0)
