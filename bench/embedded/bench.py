#!/usr/bin/python3
# bench/embedded/bench.py: Vireo's own hypervisor against libvirt + QEMU, on
# the same guest, on this machine.
#
#   /usr/bin/python3 bench/embedded/bench.py [--runs N] [--vms N] [--batches N]
#                                             [--no-libvirt]
#
# 1. First serial byte: from the exec of `vireoctl start --console VM` (and
#    of `virsh start --console VM`) to the first byte of the guest's own
#    output ("Hello from…") on its stdout.  Median of --runs.
# 2. Many at once: --vms tiny VMs started at the same moment (one
#    vireoctl start / virsh start each), timed until every guest has said
#    "waiting" on its serial port: VMs per second; then, idle, the memory
#    per VM (PSS and RSS of its vireo-vmm or qemu process).  Median of
#    --batches.
#
# The guest is tests/guests/hello.elf with wait=1: it prints two lines and
# halts, the same ELF (PVH) file for both.  QEMU runs it as libvirt starts it
# here: <domain type='qemu'> (TCG; this machine's /dev/kvm is too slow for
# QEMU, see RECIPES), machine pc.  libvirtd comes from the test harness
# (tests/libvirt/harness.py), which this script re-runs itself under.
import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.path.join(TOP, 'build')
VIREOCTL = os.path.join(BUILD, 'src', 'cli', 'vireoctl')
VMM = os.path.join(BUILD, 'src', 'vmm', 'vireo-vmm')
GUEST = os.path.join(BUILD, 'tests', 'guests', 'hello.elf')
MEMORY_MIB = 32
MARK = b'Hello from'


def first_output(argv, env, timeout=120):
    """Seconds from exec of @argv until MARK shows on its output; the process
    is then told to leave its console (Ctrl+]) and waited for.  It runs on a
    pseudo-terminal, as in a person's terminal (virsh console needs one)."""
    import pty
    master, slave = pty.openpty()
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdin=slave, stdout=slave,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(slave)
    seen = b''
    t = None
    while time.monotonic() - t0 < timeout:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if MARK in seen:
            t = time.monotonic() - t0
            break
    try:
        os.write(master, b'\x1d')
    except OSError:
        pass
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    os.close(master)
    return t


def memory_of(pid):
    """(PSS, RSS) of @pid in KiB."""
    pss = rss = 0
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            if line.startswith('Pss:'):
                pss = int(line.split()[1])
            elif line.startswith('Rss:'):
                rss = int(line.split()[1])
    return pss, rss


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# -- vireo:///session ------------------------------------------------------------

class Vireo:
    def __init__(self, tmp):
        self.env = dict(os.environ)
        for key, sub in (('XDG_CONFIG_HOME', 'config'), ('XDG_STATE_HOME', 'state'),
                         ('XDG_RUNTIME_DIR', 'run'), ('XDG_CACHE_HOME', 'cache')):
            self.env[key] = os.path.join(tmp, 'vireo', sub)
            os.makedirs(self.env[key], mode=0o700, exist_ok=True)
        self.env.pop('VIREO_DEFAULT_URI', None)
        self.tmp = tmp

    def ctl(self, *args):
        return subprocess.run([VIREOCTL] + list(args), env=self.env, capture_output=True,
                              text=True, timeout=300)

    def define(self, name):
        path = os.path.join(self.tmp, name + '.xml')
        with open(path, 'w') as f:
            f.write("<domain type='kvm'><name>%s</name><memory unit='MiB'>%d</memory>"
                    "<os><type arch='x86_64'>hvm</type><kernel>%s</kernel>"
                    "<cmdline>wait=1</cmdline></os><features><acpi/></features>"
                    "<devices><serial type='pty'/></devices></domain>"
                    % (name, MEMORY_MIB, GUEST))
        assert self.ctl('define', path).returncode == 0

    def first_byte(self, name):
        t = first_output([VIREOCTL, 'start', '--console', name], self.env)
        self.ctl('destroy', name)
        return t

    def pid(self, name):
        for line in self.ctl('dominfo', name).stdout.splitlines():
            if line.startswith('Process:'):
                return int(line.split()[1])
        return None

    def batch(self, names):
        t0 = time.monotonic()
        procs = [subprocess.Popen([VIREOCTL, 'start', n], env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for n in names]
        failed = [p.stderr.read().decode() for p in procs if p.wait() != 0]
        if failed:
            raise RuntimeError('vireoctl start failed: %s' % failed[0])
        # the guests' banners wait for their first reader (the serial backlog)
        import socket
        socks = {}
        for n in names:
            s = socket.socket(socket.AF_UNIX)
            s.connect(os.path.join(self.env['XDG_RUNTIME_DIR'], 'vireo', n, 'serial.sock'))
            socks[s] = b''
        while socks and time.monotonic() - t0 < 600:
            ready, _, _ = select.select(list(socks), [], [], 1)
            for s in ready:
                socks[s] += s.recv(4096)
                if b'waiting' in socks[s]:
                    del socks[s]
                    s.close()
        elapsed = time.monotonic() - t0
        time.sleep(2)  # idle
        mem = [memory_of(self.pid(n)) for n in names]
        for n in names:
            self.ctl('destroy', n)
        return elapsed, mem


# -- libvirt + QEMU ------------------------------------------------------------------

class Libvirt:
    def __init__(self, tmp):
        self.uri = os.environ['VIREO_TEST_LIBVIRT_URI']
        self.prefix = os.environ.get('VIREO_TEST_NAME_PREFIX', 'vireo-bench-')
        self.dir = os.environ.get('VIREO_TEST_TMPDIR', tmp)
        self.guest = os.path.join(self.dir, 'hello.elf')
        shutil.copy(GUEST, self.guest)
        os.chmod(self.guest, 0o644)
        self.env = dict(os.environ)

    def virsh(self, *args):
        return subprocess.run(['virsh', '-c', self.uri] + list(args), capture_output=True,
                              text=True, timeout=300)

    def name(self, n):
        return self.prefix + n

    def log(self, name):
        return os.path.join(self.dir, name + '.serial.log')

    def define(self, n, log):
        name = self.name(n)
        serial = ("<serial type='pty'><log file='%s' append='off'/></serial>" % self.log(name)
                  if log else "<serial type='pty'/>")
        path = os.path.join(self.dir, name + '.xml')
        with open(path, 'w') as f:
            f.write("<domain type='qemu'><name>%s</name><memory unit='MiB'>%d</memory>"
                    "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type>"
                    "<kernel>%s</kernel><cmdline>wait=1</cmdline></os>"
                    "<features><acpi/><apic/></features><devices>%s"
                    "<video><model type='none'/></video><memballoon model='none'/>"
                    "</devices></domain>" % (name, MEMORY_MIB, self.guest, serial))
        r = self.virsh('define', path)
        assert r.returncode == 0, r.stderr

    def first_byte(self, n):
        name = self.name(n)
        t = first_output(['virsh', '-c', self.uri, 'start', '--console', name], self.env)
        self.virsh('destroy', name)
        return t

    def pid(self, name):
        with open('/run/libvirt/qemu/%s.pid' % name) as f:
            return int(f.read().strip())

    def batch(self, ns):
        names = [self.name(n) for n in ns]
        for name in names:
            if os.path.exists(self.log(name)):
                os.unlink(self.log(name))
        t0 = time.monotonic()
        procs = [subprocess.Popen(['virsh', '-c', self.uri, 'start', name],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for name in names]
        failed = [p.stderr.read().decode() for p in procs if p.wait() != 0]
        if failed:
            raise RuntimeError('virsh start failed: %s' % failed[0])

        def says(name):
            try:
                with open(self.log(name), 'rb') as f:
                    return b'waiting' in f.read()
            except OSError:
                return False
        pending = set(names)
        while pending and time.monotonic() - t0 < 900:
            pending = {n for n in pending if not says(n)}
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        time.sleep(2)
        mem = [memory_of(self.pid(n)) for n in names]
        for name in names:
            self.virsh('destroy', name)
        return elapsed, mem


def report(label, first, batches, vms):
    rates = [vms / e for e, _ in batches]
    pss = [statistics.mean(p for p, _ in mem) / 1024 for _, mem in batches]
    rss = [statistics.mean(r for _, r in mem) / 1024 for _, mem in batches]
    print('%-22s first serial byte %7.3f s (median of %d; all: %s)'
          % (label, median(first) or float('nan'), len(first),
             ', '.join('%.3f' % v if v is not None else 'none' for v in first)))
    print('%-22s %d VMs at once      %7.2f VMs/s (median of %d; all: %s)'
          % (label, vms, median(rates), len(rates), ', '.join('%.2f' % r for r in rates)))
    print('%-22s idle memory per VM  %7.1f MiB PSS, %.1f MiB RSS (medians; guest RAM %d MiB)'
          % (label, median(pss), median(rss), MEMORY_MIB))
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description="Vireo's own hypervisor against libvirt + QEMU.")
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--vms', type=int, default=20)
    parser.add_argument('--batches', type=int, default=3)
    parser.add_argument('--no-libvirt', action='store_true')
    args = parser.parse_args()

    if not args.no_libvirt and 'VIREO_TEST_LIBVIRT_URI' not in os.environ:
        harness = os.path.join(TOP, 'tests', 'libvirt', 'harness.py')
        os.execv('/usr/bin/python3', ['/usr/bin/python3', harness, '--', '/usr/bin/python3']
                 + sys.argv)

    for path in (VIREOCTL, VMM, GUEST):
        if not os.path.exists(path):
            sys.exit('bench: %s is missing; run ./tools/build first' % path)
    check = subprocess.run([VMM, '--check-kvm'], capture_output=True, text=True)
    print('# ' + check.stdout.replace('\n', '\n# ').rstrip('# \n'))
    print('# %d CPUs, load %s' % (os.cpu_count(), open('/proc/loadavg').read().split()[0]))

    tmp = tempfile.mkdtemp(prefix='vireo-bench-')
    try:
        vireo = Vireo(tmp)
        vireo.define('first')
        first = [vireo.first_byte('first') for _ in range(args.runs)]
        names = ['vm%02d' % i for i in range(args.vms)]
        for n in names:
            vireo.define(n)
        batches = [vireo.batch(names) for _ in range(args.batches)]
        report('vireo:///session', first, batches, args.vms)

        if not args.no_libvirt:
            lv = Libvirt(tmp)
            lv.define('first', log=False)
            first = [lv.first_byte('first') for _ in range(args.runs)]
            for n in names:
                lv.define(n, log=True)
            batches = [lv.batch(names) for _ in range(args.batches)]
            report('libvirt + QEMU (TCG)', first, batches, args.vms)
            for n in ['first'] + names:
                lv.virsh('undefine', lv.name(n))
    finally:
        run = os.path.join(tmp, 'vireo', 'run', 'vireo')
        if os.path.isdir(run):
            for name in os.listdir(run):
                subprocess.run([VIREOCTL, 'destroy', name], env=vireo.env, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
