#!/usr/bin/python3
# `vireo --version` prints "vireo VERSION" and exits 0, without a display.
import os
import subprocess
import sys

vireo, version = sys.argv[1], sys.argv[2]
env = dict(os.environ)
env.pop('DISPLAY', None)
proc = subprocess.run([vireo, '--version'], capture_output=True, text=True, env=env, timeout=30)
expected = 'vireo %s\n' % version
print('1..2')
print('%s 1 - exit status 0 (got %d)' % ('ok' if proc.returncode == 0 else 'not ok', proc.returncode))
print('%s 2 - prints %r (got %r)' % ('ok' if proc.stdout == expected else 'not ok', expected,
                                      proc.stdout))
sys.exit(0 if proc.returncode == 0 and proc.stdout == expected else 1)
