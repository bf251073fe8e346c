#!/usr/bin/python3
# bench/startup/bench.py: Vireo against virt-manager on one libvirt
# test-driver host with many running VMs (issue 2, "Measured").  Run by
# bench/startup/run, which installs virt-manager and builds Vireo first.
#
# The host is generated here: a test-driver XML file with --vms domains
# (500 by default), all running, opened by both apps as test:///PATH
# (vireo --connect URI; virt-manager --connect URI --no-fork).  Each launch
# gets a fresh Xvfb, a fresh HOME and XDG directories and its own D-Bus
# session bus (what dbus-run-session gives; started before the clock, with
# the app's settings written through it), so that neither settings nor
# single-instance activation leak between launches.  A GTK 3 client runs
# on the fresh X server first, as on a desktop where one has run before
# (it caches GL-capable visuals on the root window; --cold leaves that to
# the app measured, which then loads Mesa's GL driver).  Both apps poll
# statistics at the same interval (--interval, 1 s by default): Vireo's
# org.vireo.Vireo stats-interval, virt-manager's
# org.virt-manager.virt-manager.stats update-interval.  AT-SPI is off for
# both (NO_AT_BRIDGE=1), so that the accessibility bus's activation is not
# timed.  For each launch:
#   start  from exec (virt-manager's is its Python interpreter's) to the
#          first top-level window mapped, seen as a MapNotify on the root
#          window by `xev -root -event substructure` (no window manager);
#   RSS    VmRSS from /proc/PID/status --settle seconds (10) after exec,
#          and PSS from /proc/PID/smaps_rollup;
#   CPU    utime+stime from /proc/PID/stat over the --idle seconds (30)
#          that follow, as a percentage of one CPU.
# The two apps alternate within each run (the order swaps every run) and one
# unrecorded launch of each warms the page cache first.  Medians go to
# stdout as a Markdown table, each launch to stderr.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get('VIREO_BUILD_ROOT', os.path.join(SRC, 'build'))
VIREO = os.path.join(BUILD, 'src', 'app', 'vireo')
SCHEMA_DIR = os.path.join(BUILD, 'data')
CLK_TCK = os.sysconf('SC_CLK_TCK')
MAP_TIMEOUT = 60
PRIME_GDK = 'import gi; gi.require_version("Gtk", "3.0"); from gi.repository import Gtk; Gtk.init([])'
GOALS = {'start': 1 / 10, 'rss': 1 / 4, 'cpu': 1 / 10}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def write_host(path, n_vms):
    """A test-driver host with @n_vms running domains."""
    ns = 'http://libvirt.org/schemas/domain/test/1.0'
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<node>',
             '  <cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes>'
             '<sockets>2</sockets><cores>16</cores><threads>2</threads></cpu>',
             '  <memory>%d</memory>' % (n_vms * 2 * 1024 * 1024)]
    for i in range(n_vms):
        lines.append(
            '  <domain type="test" xmlns:test="%s"><name>vm-%03d</name><uuid>%s</uuid>'
            '<memory unit="MiB">1024</memory><vcpu>%d</vcpu>'
            '<os><type arch="x86_64">hvm</type></os>'
            '<devices><disk type="file" device="disk">'
            '<source file="/var/lib/libvirt/images/vm-%03d.qcow2"/>'
            '<target dev="vda" bus="virtio"/></disk></devices>'
            '<test:runstate>1</test:runstate></domain>'
            % (ns, i, uuid.UUID(int=0x5eed0000 + i), 1 + i % 4, i))
    lines.append('</node>')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def start_with_fd(argv, env):
    """Start a daemon that writes one line (display, bus address) to fd 3."""
    r, w = os.pipe()
    proc = subprocess.Popen([a.replace('FD', str(w)) for a in argv], pass_fds=(w,), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    data = b''
    while not data.endswith(b'\n'):
        chunk = os.read(r, 256)
        if not chunk:
            break
        data += chunk
    os.close(r)
    return proc, data.decode().strip()


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_ticks(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])     # utime, stime


def memory_kib(pid):
    """(RSS, PSS) of @pid; the rollup's Rss is /proc/PID/status's VmRSS."""
    found = {}
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            key, _, value = line.partition(':')
            if key in ('Rss', 'Pss'):
                found[key] = int(value.split()[0])
    return found['Rss'], found['Pss']


class Launch:
    """One app in its own X server, home and session bus."""

    def __init__(self, app, uri, interval, cold=False):
        self.app = app
        self.tmp = tempfile.mkdtemp(prefix='vireo-bench-startup-')
        home = os.path.join(self.tmp, 'home')
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('XDG_', 'DBUS_', 'WAYLAND_', 'GSETTINGS_', 'DISPLAY'))}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, '.config'),
                   XDG_CACHE_HOME=os.path.join(home, '.cache'),
                   XDG_DATA_HOME=os.path.join(home, '.local', 'share'),
                   XDG_STATE_HOME=os.path.join(home, '.local', 'state'),
                   XDG_RUNTIME_DIR=os.path.join(self.tmp, 'run'),
                   GDK_BACKEND='x11', NO_AT_BRIDGE='1', LC_ALL='C.UTF-8')
        for d in ('XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME',
                  'XDG_RUNTIME_DIR'):
            os.makedirs(env[d], mode=0o700, exist_ok=True)
        self.xvfb = self.bus = self.xev = self.proc = None
        self.xvfb, display = start_with_fd(
            ['Xvfb', '-displayfd', 'FD', '-screen', '0', '1280x800x24', '-nolisten', 'tcp',
             '-noreset'], env)
        env['DISPLAY'] = ':' + display
        if not cold:
            # As on a desktop where a GTK 3 client has run before: the first
            # one on an X server probes GL (loading Mesa and LLVM, ~50 MiB)
            # and caches the visuals it found on the root window (GDK_VISUALS).
            subprocess.run(['/usr/bin/python3', '-c', PRIME_GDK], env=env, check=True)
        self.bus, address = start_with_fd(
            ['dbus-daemon', '--session', '--nofork', '--print-address=FD'], env)
        env['DBUS_SESSION_BUS_ADDRESS'] = address
        if app == 'vireo':
            env['GSETTINGS_SCHEMA_DIR'] = SCHEMA_DIR
            self.settings = [('org.vireo.Vireo', 'first-run', 'false'),
                             ('org.vireo.Vireo', 'stats-interval', str(interval))]
            self.argv = [VIREO, '--connect', uri]
        else:
            self.settings = [('org.virt-manager.virt-manager.stats', 'update-interval',
                              str(interval))]
            self.argv = ['/usr/bin/virt-manager', '--connect', uri, '--no-fork']
        for schema, key, value in self.settings:
            subprocess.run(['gsettings', 'set', schema, key, value], env=env, check=True)
            got = subprocess.run(['gsettings', 'get', schema, key], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip()
            assert got.split()[-1] == value, (schema, key, got)
        self.env = env
        self.mapped = threading.Event()
        self.map_time = None

    def _watch(self):
        for line in self.xev.stdout:
            # Top-level windows only; menus and tooltips are override-redirect.
            if line.startswith('MapNotify event'):
                detail = next(self.xev.stdout, '')
                if 'override NO' in detail and self.map_time is None:
                    self.map_time = time.monotonic()
                    self.mapped.set()

    def run(self, settle, idle):
        self.xev = subprocess.Popen(['stdbuf', '-oL', 'xev', '-root', '-event', 'substructure'],
                                    env=self.env, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._watch, daemon=True).start()
        time.sleep(0.3)         # xev has selected its events
        self.log = open(os.path.join(self.tmp, 'app.log'), 'w')
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        if not self.mapped.wait(MAP_TIMEOUT) or self.proc.poll() is not None:
            raise RuntimeError('%s: no window within %d s (exit %s); see %s'
                               % (self.app, MAP_TIMEOUT, self.proc.poll(), self.log.name))
        result = {'start': self.map_time - t0}
        if settle is None:
            return result
        time.sleep(max(0.0, t0 + settle - time.monotonic()))
        rss, pss = memory_kib(self.proc.pid)
        ticks0, c0 = cpu_ticks(self.proc.pid), time.monotonic()
        time.sleep(idle)
        ticks1, c1 = cpu_ticks(self.proc.pid), time.monotonic()
        if self.proc.poll() is not None:
            raise RuntimeError('%s exited; see %s' % (self.app, self.log.name))
        result.update(rss=rss / 1024, pss=pss / 1024,
                      cpu=100.0 * (ticks1 - ticks0) / CLK_TCK / (c1 - c0))
        return result

    def close(self, keep=False):
        stop(self.proc)
        stop(self.xev)
        stop(self.bus)
        stop(self.xvfb)
        if getattr(self, 'log', None):
            self.log.close()
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def measure(app, uri, args, settle=None, idle=None):
    launch = Launch(app, uri, args.interval, args.cold)
    ok = False
    try:
        result = launch.run(settle, idle)
        ok = True
        return result
    finally:
        launch.close(keep=not ok)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=int(os.environ.get('VIREO_BENCH_RUNS', 5)))
    parser.add_argument('--vms', type=int, default=500)
    parser.add_argument('--interval', type=int, default=1, help='stats polling, seconds')
    parser.add_argument('--settle', type=float, default=10.0, help='RSS taken at, seconds')
    parser.add_argument('--idle', type=float, default=30.0, help='CPU measured over, seconds')
    parser.add_argument('--apps', default='vireo,virt-manager')
    parser.add_argument('--cold', action='store_true',
                        help='each app is the first GTK client on its X server')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    # Leave through the finally clauses, which stop what a launch started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    apps = args.apps.split(',')
    if not os.access(VIREO, os.X_OK):
        sys.exit('bench/startup: build Vireo first (./tools/build)')

    tmp = tempfile.mkdtemp(prefix='vireo-bench-host-')
    try:
        host = os.path.join(tmp, 'host.xml')
        write_host(host, args.vms)
        uri = 'test://' + host
        for app in apps:
            log('warm-up %s: start %.3f s' % (app, measure(app, uri, args)['start']))
        results = {app: [] for app in apps}
        for i in range(args.runs):
            for app in (apps if i % 2 == 0 else apps[::-1]):
                r = measure(app, uri, args, args.settle, args.idle)
                results[app].append(r)
                log('run %d %-12s start %.3f s  RSS %.1f MiB  PSS %.1f MiB  CPU %.2f %%'
                    % (i + 1, app, r['start'], r['rss'], r['pss'], r['cpu']))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    keys = ('start', 'rss', 'pss', 'cpu')
    medians = {app: {k: statistics.median(r[k] for r in results[app]) for k in keys}
               for app in apps}
    if args.json:
        json.dump({'runs': results, 'medians': medians, 'vms': args.vms,
                   'interval': args.interval}, sys.stdout, indent=1)
        print()
        return
    print('%d running VMs, stats every %d s, %s X server, medians of %d runs:\n'
          % (args.vms, args.interval, 'cold' if args.cold else 'warm', args.runs))
    print('| app          | start s | RSS MiB | PSS MiB | idle CPU % |')
    print('|--------------|--------:|--------:|--------:|-----------:|')
    for app in apps:
        m = medians[app]
        print('| %-12s | %7.3f | %7.1f | %7.1f | %10.2f |'
              % (app, m['start'], m['rss'], m['pss'], m['cpu']))
    if len(apps) == 2:
        a, b = (medians[x] for x in apps)
        ratio = {k: a[k] / b[k] if b[k] else float('nan') for k in keys}
        print('| ratio        | %7.3f | %7.3f | %7.3f | %10.3f |'
              % (ratio['start'], ratio['rss'], ratio['pss'], ratio['cpu']))
        print()
        for k, goal in GOALS.items():
            print('%s: %.3f of %s (goal <= %.2f: %s)'
                  % (k, ratio[k], apps[1], goal, 'met' if ratio[k] <= goal else 'NOT met'))


if __name__ == '__main__':
    main()
