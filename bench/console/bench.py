#!/usr/bin/python3
# bench/console/bench.py: time to the first guest frame, Vireo against
# virt-manager and virt-viewer/remote-viewer, locally and over qemu+ssh://
# to loopback, and the SSH logins each makes.  Run by bench/console/run
# (inside tests/libvirt/harness.py, which provides libvirtd, sshd and the
# Linux test guest).
#
# One guest boots to its tty1 shell (light grey VGA text on black).  For
# each tool, transport and run: a fresh Xvfb with openbox, a private HOME,
# the tool started; the clock stops when the guest's text is on the screen
# (read back from the X server every few milliseconds, the same way for
# every tool).  Two measures:
#   open    from starting the tool's "show this VM's console" command line
#           (vireo --show-domain-console, virt-manager --show-domain-console,
#           virt-viewer DOMAIN, remote-viewer vnc://…) to the first frame;
#   click   Vireo only: from double-clicking the VM in its running main
#           window to the first frame (the measure; virt-manager's
#           list is not reachable the same way here, see the report).
# SSH logins are counted in sshd's log ("Accepted publickey") per run.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ENV = os.environ.get
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
BUILD = ENV('VIREO_BUILD_ROOT', os.path.join(SRC, 'build'))
VIREO = os.path.join(BUILD, 'src', 'app', 'vireo')
RUNS = int(ENV('VIREO_BENCH_RUNS', '5'))
TIMEOUT = 90
SSH_BIN = None
# Byte maps for Display.grey_pixels(): 1 where a channel difference is
# zero, 1 where a level is the VGA text grey.
IS_ZERO = bytes([1] + [0] * 255)
TEXT_GREY = bytes(1 if v == 0xa8 else 0 for v in range(256))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Display:
    """A private Xvfb + openbox + D-Bus session for the whole bench (GDK in
    this process cannot follow an X server that goes away)."""

    def __init__(self):
        r, w = os.pipe()
        self.xvfb = subprocess.Popen(['Xvfb', '-displayfd', str(w), '-screen', '0',
                                      '1280x800x24', '-nolisten', 'tcp', '-noreset'],
                                     pass_fds=(w,), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(w)
        data = b''
        while not data.endswith(b'\n'):
            chunk = os.read(r, 16)
            if not chunk:
                break
            data += chunk
        os.close(r)
        self.name = ':' + data.decode().strip()
        self.env = dict(os.environ, DISPLAY=self.name, GDK_BACKEND='x11')
        self.env.pop('WAYLAND_DISPLAY', None)
        out = subprocess.run(['dbus-launch', '--sh-syntax'], env=self.env, capture_output=True,
                             text=True).stdout
        self.dbus_pid = None
        for line in out.splitlines():
            key, _, value = line.partition('=')
            value = value.rstrip(';').strip("'")
            if key == 'DBUS_SESSION_BUS_ADDRESS':
                self.env[key] = value
            elif key == 'DBUS_SESSION_BUS_PID':
                self.dbus_pid = int(value)
        self.wm = subprocess.Popen(['openbox', '--sm-disable'], env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        import gi
        gi.require_version('Gdk', '3.0')
        from gi.repository import Gdk
        self.gdk = Gdk
        self.display = Gdk.Display.open(self.name)
        self.root = self.display.get_default_screen().get_root_window()

    def grab(self):
        return self.gdk.pixbuf_get_from_window(self.root, 0, 0, 1280, 800)

    def grey_pixels(self, pb=None):
        """How many pixels are exactly the VGA text grey (0xa8a8a8).  The
        guest's tty1 shows some 3000 of them pixel for pixel, and still
        thousands when a viewer scales it (glyph cores keep the colour); the
        viewers' own windows show at most a few hundred of any one grey."""
        pb = pb or self.grab()
        if pb is None:
            return 0
        data = pb.get_pixels()
        r, g, b = data[0::3], data[1::3], data[2::3]
        n = len(r)

        def as_int(x):
            return int.from_bytes(x, 'little')
        equal_rg = (as_int(r) ^ as_int(g)).to_bytes(n, 'little').translate(IS_ZERO)
        equal_rb = (as_int(r) ^ as_int(b)).to_bytes(n, 'little').translate(IS_ZERO)
        in_range = r.translate(TEXT_GREY)
        both = as_int(equal_rg) & as_int(equal_rb) & as_int(in_range)
        return both.to_bytes(n, 'little').count(1)

    def close(self):
        # GDK is not told (closing its display crashes it, and it exits the
        # process when it next talks to the server): the process ends with
        # os._exit() right after this.
        for proc in (self.wm, self.xvfb):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.dbus_pid:
            try:
                os.kill(self.dbus_pid, 15)
            except ProcessLookupError:
                pass


def home_for(tmp):
    """A private HOME (settings, caches) for one run of one tool."""
    home = tempfile.mkdtemp(prefix='home-', dir=tmp)
    os.makedirs(os.path.join(home, 'run'), mode=0o700)
    return home


def ssh_bin(tmp):
    """A directory with an `ssh` that knows the harness's host key and user
    key.  The other tools run plain `ssh` for their tunnels (without the
    URI's keyfile= or command=), and ssh reads ~/.ssh from the password
    database, not $HOME: this is what a user's configured ~/.ssh gives them,
    without touching the real one."""
    d = os.path.join(tmp, 'bin')
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(os.path.dirname(ENV('VIREO_TEST_SSH_COMMAND')), 'ssh_config')
    with open(os.path.join(d, 'ssh'), 'w') as f:
        f.write('#!/bin/sh\nexec /usr/bin/ssh -F %s -i %s "$@"\n' % (cfg, ENV('VIREO_TEST_SSH_KEY')))
    os.chmod(os.path.join(d, 'ssh'), 0o755)
    return d


def tool_env(disp, home):
    env = dict(disp.env)
    env.update({'HOME': home, 'XDG_CONFIG_HOME': os.path.join(home, '.config'),
                'XDG_CACHE_HOME': os.path.join(home, '.cache'),
                'XDG_DATA_HOME': os.path.join(home, '.local', 'share'),
                'XDG_RUNTIME_DIR': os.path.join(home, 'run'),
                'GSETTINGS_SCHEMA_DIR': os.path.join(BUILD, 'data'),
                'GSETTINGS_BACKEND': 'memory', 'GTK_THEME': 'Adwaita', 'NO_AT_BRIDGE': '1',
                'PATH': SSH_BIN + ':' + os.environ['PATH']})
    return env


def logins():
    with open(ENV('VIREO_TEST_SSH_LOG'), errors='replace') as f:
        return f.read().count('Accepted publickey')


def wait_frame(disp, proc, start, baseline, shot=None):
    """Seconds from @start until the guest's text shows, or None.  @shot:
    where to save the frame that stopped the clock, to check by eye."""
    while time.monotonic() - start < TIMEOUT:
        pb = disp.grab()
        if disp.grey_pixels(pb) > baseline + 1000:
            seconds = time.monotonic() - start
            if shot and pb:
                pb.savev(shot, 'png', [], [])
            return seconds
        if proc is not None and proc.poll() is not None:
            log('  the tool exited with status %s before a frame showed' % proc.returncode)
            return None
        time.sleep(0.01)
    log('  no frame within %d s (grey pixels: %d, before: %d)' % (TIMEOUT, disp.grey_pixels(),
                                                                  baseline))
    return None


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fresh(disp):
    """Every run starts as cold as the first: GTK caches its GL probe on the
    root window (RECIPES.md)."""
    subprocess.run(['xprop', '-root', '-remove', 'GDK_VISUALS'], env=disp.env)
    time.sleep(0.3)


def run_open(disp, tool, uri, name, vnc_uri, tmp):
    fresh(disp)
    home = home_for(tmp)
    baseline = disp.grey_pixels()
    argv = {
        'vireo': [VIREO, '--connect', uri, '--show-domain-console', name],
        'virt-manager': ['virt-manager', '--no-fork', '--connect', uri,
                         '--show-domain-console', name],
        'virt-viewer': ['virt-viewer', '--connect', uri, name],
        'remote-viewer': ['remote-viewer', vnc_uri],
    }[tool]
    before = logins()
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=tool_env(disp, home), stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, '%s.log' % tool), 'a'))
    seconds = wait_frame(disp, proc, start, baseline,
                         os.path.join(tmp, 'first-frame-%s-%s.png' % (tool, uri.split(':')[0])))
    time.sleep(0.5)  # let tunnels settle before counting logins
    used = logins() - before
    stop(proc)
    return seconds, used


def run_click(disp, uri, name, tmp):
    """Vireo's main window is up with the VM listed; double-click it."""
    fresh(disp)
    home = home_for(tmp)
    env = tool_env(disp, home)
    env.pop('NO_AT_BRIDGE')
    env['GTK_MODULES'] = 'gail:atk-bridge'
    baseline = disp.grey_pixels()
    before = logins()
    proc = subprocess.Popen([VIREO, '--connect', uri], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, 'vireo-click.log'), 'a'))
    os.environ['DISPLAY'] = disp.name
    os.environ['DBUS_SESSION_BUS_ADDRESS'] = env['DBUS_SESSION_BUS_ADDRESS']
    # The row must sit still before it is clicked: the list grows as hosts
    # connect, and the embedded host's KVM notice pushes it down once
    # measured; a double-click on a row that moved opens nothing.
    deadline = time.monotonic() + 60
    xy, seen, still = None, None, 0
    while still < 4 and time.monotonic() < deadline:
        xy = find_row(proc.pid, name)
        still = still + 1 if xy is not None and xy == seen else 0
        seen = xy
        time.sleep(0.25)
    if still < 4:
        stop(proc)
        return None, None
    subprocess.run(['xdotool', 'mousemove', str(xy[0]), str(xy[1])], env=env)
    start = time.monotonic()
    subprocess.run(['xdotool', 'click', '--repeat', '2', '--delay', '60', '1'], env=env)
    seconds = wait_frame(disp, proc, start, baseline,
                         os.path.join(tmp, 'first-frame-vireo-click-%s.png' % uri.split(':')[0]))
    time.sleep(0.5)
    used = logins() - before
    stop(proc)
    return seconds, used


def find_row(pid, name):
    """Screen position of the VM's row in Vireo's main window, through AT-SPI."""
    code = r'''
import sys
import pyatspi
desk = pyatspi.Registry.getDesktop(0)
for app in desk:
    if app is None or app.get_process_id() != %d:
        continue
    def walk(node, depth=0):
        if depth > 30 or node is None:
            return None
        if node.getRole() == pyatspi.ROLE_TABLE_CELL and node.name == %r:
            ext = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            return ext.x + min(ext.width // 2, 60), ext.y + ext.height // 2
        for i in range(node.childCount):
            found = walk(node.getChildAtIndex(i), depth + 1)
            if found:
                return found
        return None
    found = walk(app)
    if found:
        print('%%d %%d' %% found)
''' % (pid, name)
    out = subprocess.run(['/usr/bin/python3', '-c', code], capture_output=True, text=True,
                         timeout=30).stdout.split()
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


def main():
    import libvirt
    # Per-run homes and the tools' own logs, kept for reading afterwards.
    tmp = os.path.join(BUILD, 'bench', 'console')
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    log('tool logs in %s' % tmp)
    global SSH_BIN
    SSH_BIN = ssh_bin(tmp)
    conn = libvirt.open(ENV('VIREO_TEST_LIBVIRT_URI'))
    name = ENV('VIREO_TEST_NAME_PREFIX', 'vireo-test-') + 'bench-console'
    serial_log = os.path.join(ENV('VIREO_TEST_TMPDIR'), 'bench-serial.log')
    xml = ("<domain type='qemu'><name>%s</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>"
           "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel>"
           "<initrd>%s</initrd><cmdline>console=ttyS0 quiet</cmdline></os>"
           "<features><acpi/><apic/></features><devices>"
           "<serial type='pty'><log file='%s' append='off'/></serial>"
           "<graphics type='vnc' listen='127.0.0.1' autoport='yes'/>"
           "<video><model type='vga'/></video></devices></domain>"
           % (name, ENV('VIREO_TEST_GUEST_KERNEL'), ENV('VIREO_TEST_GUEST_INITRD'), serial_log))
    dom = conn.defineXML(xml)
    dom.create()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if os.path.exists(serial_log) and 'VIREO-GUEST-READY' in open(serial_log).read():
            break
        time.sleep(0.5)
    time.sleep(3)  # tty1's prompt is drawn
    port = subprocess.run(['virsh', '-c', ENV('VIREO_TEST_LIBVIRT_URI'), 'domdisplay', name],
                          capture_output=True, text=True).stdout.strip()
    # domdisplay gives a display number; remote-viewer wants the TCP port.
    host, _, display_number = port.replace('vnc://', '').rpartition(':')
    vnc_uri = 'vnc://%s:%d' % (host or '127.0.0.1', 5900 + int(display_number or 0))
    log('guest %s booted, display %s' % (name, vnc_uri))

    disp = Display()
    transports = [('local', ENV('VIREO_TEST_LIBVIRT_URI')), ('ssh', ENV('VIREO_TEST_SSH_URI'))]
    rows = []
    for transport, uri in transports:
        tools = ['vireo', 'virt-manager', 'virt-viewer']
        if transport == 'local':
            tools.append('remote-viewer')
        only = ENV('VIREO_BENCH_TOOLS')
        if only:
            tools = [tool for tool in tools if tool in only.split(',')]
        for tool in tools:
            times, counts, failed = [], [], 0
            for i in range(RUNS):
                seconds, used = run_open(disp, tool, uri, name, vnc_uri, tmp)
                log('%-6s %-13s open  run %d: %s s, %s ssh logins' % (
                    transport, tool, i + 1, 'failed' if seconds is None else '%.3f' % seconds,
                    used))
                if seconds is None:
                    failed += 1
                else:
                    times.append(seconds)
                counts.append(used)
            rows.append((transport, tool, 'open', times, counts, failed))
        if only and 'vireo-click' not in only.split(','):
            continue
        times, counts, failed = [], [], 0
        for i in range(RUNS):
            seconds, used = run_click(disp, uri, name, tmp)
            log('%-6s %-13s click run %d: %s s, %s ssh logins' % (
                transport, 'vireo', i + 1, 'failed' if seconds is None else '%.3f' % seconds,
                used))
            if seconds is None:
                failed += 1
            else:
                times.append(seconds)
            counts.append(used)
        rows.append((transport, 'vireo', 'click', times, counts, failed))

    print('| transport | tool | measure | median s | min s | max s | runs ok | ssh logins '
          '(median) |')
    print('|---|---|---|---|---|---|---|---|')
    for transport, tool, measure, times, counts, failed in rows:
        med = '%.2f' % statistics.median(times) if times else '—'
        lo = '%.2f' % min(times) if times else '—'
        hi = '%.2f' % max(times) if times else '—'
        logins_med = statistics.median(counts) if counts and transport == 'ssh' else '—'
        print('| %s | %s | %s | %s | %s | %s | %d/%d | %s |' % (
            transport, tool, measure, med, lo, hi, len(times), len(times) + failed, logins_med))
    sys.stdout.flush()
    dom.destroy()
    dom.undefine()
    disp.close()
    return 0


if __name__ == '__main__':
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # GDK's finalizers would talk to the X server that is gone and exit(1).
    os._exit(status)
