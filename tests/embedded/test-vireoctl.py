#!/usr/bin/python3
# test-vireoctl.py: vireoctl as people and scripts use it, on vireo:///session
# with real vireo-vmm processes, and on libvirt's test driver (any
# connection kind).  Private XDG directories; TAP on stdout.
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

VIREOCTL = os.environ['VIREOCTL']
VMM = os.environ['VIREO_VMM']
GUESTS = os.environ['VIREO_TEST_GUESTS']
COMMANDS = ['list', 'start', 'shutdown', 'reboot', 'destroy', 'suspend', 'resume', 'define',
            'undefine', 'dumpxml', 'dominfo', 'console', 'domstats']

n = 0
failed = 0
tmp = tempfile.mkdtemp(prefix='vctl-')
env = dict(os.environ)
for key, sub in (('XDG_CONFIG_HOME', 'config'), ('XDG_STATE_HOME', 'state'),
                 ('XDG_RUNTIME_DIR', 'run'), ('XDG_CACHE_HOME', 'cache'), ('HOME', 'home')):
    env[key] = os.path.join(tmp, sub)
    os.makedirs(env[key], mode=0o700, exist_ok=True)
env.pop('VIREO_DEFAULT_URI', None)


def ok(cond, what, detail=''):
    global n, failed
    n += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, what), flush=True)
    if not cond:
        failed += 1
        for line in str(detail).splitlines():
            print('# ' + line, flush=True)
    return cond


def ctl(*args, stdin=None):
    """Runs vireoctl; returns (status, stdout, stderr)."""
    p = subprocess.run([VIREOCTL] + list(args), env=env, input=stdin, capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def expect(args, status, out=None, err=None, what=None):
    code, stdout, stderr = ctl(*args)
    good = code == status and (out is None or out in stdout) and (err is None or err in stderr)
    ok(good, what or 'vireoctl %s exits %d' % (' '.join(args), status),
       'status %d\nstdout:\n%s\nstderr:\n%s' % (code, stdout, stderr))
    return stdout


def definition(name, guest, cmdline='', extra=''):
    path = os.path.join(tmp, name + '.xml')
    with open(path, 'w') as f:
        f.write("""<domain type='kvm'>
  <name>%s</name>
  <memory unit='MiB'>16</memory>
  <os><type arch='x86_64'>hvm</type><kernel>%s</kernel><cmdline>%s</cmdline></os>
  <features><acpi/></features>
  <devices><serial type='pty'/></devices>
%s</domain>
""" % (name, os.path.join(GUESTS, guest + '.elf'), cmdline, extra))
    return path


class Console:
    """vireoctl console NAME (or start --console) on pipes."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([VIREOCTL] + list(args), env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.seen = b''

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_for(self, needle, timeout=60):
        deadline = time.monotonic() + timeout
        while needle not in self.seen and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                self.seen += chunk
        return needle in self.seen

    def leave(self):
        self.send(b'\x1d')
        try:
            status = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = None
        return status, self.proc.stderr.read().decode()


def main():
    check = subprocess.run([VMM, '--check-kvm'], capture_output=True, text=True)
    kvm = check.returncode == 0

    # --help everywhere
    code, out, _ = ctl('--help')
    ok(code == 0 and all(c in out for c in COMMANDS), 'vireoctl --help lists every command', out)
    for command in COMMANDS:
        code, out, err = ctl(command, '--help')
        ok(code == 0 and 'Usage:' in out and command in out, 'vireoctl %s --help' % command,
           out + err)
    expect(['help', 'start'], 0, out='Start a virtual machine')
    expect(['frobnicate'], 1, err='unknown command', what='an unknown command fails')
    expect(['list', '--bogus'], 1, err='--bogus', what='an unknown option fails')
    expect(['-c', 'nonsense', 'list'], 1, err='not a valid connection address',
           what='a bad URI fails clearly')
    expect(['--version'], 0, out='vireoctl ')

    # any connection kind: libvirt's test driver
    out = expect(['-c', 'test:///default', 'list'], 0, out='test', what='list on test:///default')
    ok('running' in out, 'the test driver VM is listed as running', out)
    expect(['-c', 'test:///default', 'dominfo', 'test'], 0, out='Persistent:')
    expect(['-c', 'test:///default', 'suspend', 'test'], 0, out="Domain 'test' suspended")

    if not kvm:
        print('# KVM cannot run guests here, skipping the rest: ' + check.stdout.strip())
        return

    card = definition('card', 'testcard', extra="  <clock offset='utc'/>\n")
    expect(['define', card], 0, out="Domain 'card' defined from " + card)
    clash = os.path.join(tmp, 'clash.xml')
    with open(clash, 'w') as f:
        f.write("<domain><name>card</name><uuid>11111111-2222-4333-8444-555555555555</uuid>"
                "<memory>4096</memory></domain>")
    expect(['define', clash], 1, err="“card” already exists", what='a clashing name is refused')
    expect(['define', os.path.join(tmp, 'none.xml')], 1, err='cannot read',
           what='a missing file is refused')
    out = expect(['list', '--all'], 0, out='card')
    ok('shut off' in out, 'a defined VM is shut off', out)
    expect(['list'], 0, what='list without --all')

    out = expect(['start', 'card'], 0, out="Domain 'card' started", err='<clock>',
                 what='start names what it leaves out')
    expect(['start', 'card'], 1, err='already running', what='a second start fails clearly')
    out = expect(['list', '--name'], 0)
    ok(out.split() == ['card'], 'list --name prints the running VM only', out)

    console = Console('console', 'card')
    ok(console.wait_for(b'testcard ready'), 'the console shows the boot', console.seen)
    console.send(b'hello\r')
    ok(console.wait_for(b'hello\r\n'), 'what is typed is echoed', console.seen)
    status, err = console.leave()
    ok(status == 0 and 'Escape character is ^]' in err, 'Ctrl+] leaves the console', err)

    expect(['suspend', 'card'], 0, out="Domain 'card' suspended")
    expect(['list'], 0, out='paused')
    expect(['resume', 'card'], 0, out="Domain 'card' resumed")
    out = expect(['domstats', 'card'], 0, out="Domain: 'card'")
    ok('cpu.time=' in out and 'vcpu.current=1' in out, 'domstats has CPU figures', out)
    out = expect(['dominfo', 'card'], 0, out='running')
    ok('Log:' in out and 'Process:' in out, 'dominfo shows the process and its log', out)
    out = expect(['dumpxml', 'card'], 0, out='<name>card</name>')
    ok('<clock offset="utc"/>' in out, 'dumpxml keeps what vireo-vmm ignores', out)
    expect(['reboot', 'card'], 0, out="Domain 'card' is being rebooted")
    console = Console('console', 'card')
    ok(console.wait_for(b'testcard ready'), 'the guest came back after the reboot', console.seen)
    console.leave()
    expect(['shutdown', '--timeout', '60', 'card'], 0, out="Domain 'card' is shut off",
           what='shutdown --timeout waits for the guest to power off')

    expect(['start', 'card'], 0)
    expect(['destroy', 'card'], 0, out="Domain 'card' destroyed")
    expect(['dominfo', 'card'], 0, out='shut off')

    # a guest that ignores the power button
    deaf = definition('deaf', 'hello', 'wait=1')
    expect(['define', deaf], 0)
    console = Console('start', '--console', 'deaf')
    ok(console.wait_for(b'Hello from a vireo test guest'), 'start --console shows the boot',
       console.seen)
    console.leave()
    expect(['shutdown', '--timeout', '2', 'deaf'], 1, err='vireoctl destroy deaf',
           what='a shutdown that does not happen says how to force it off')
    expect(['destroy', 'deaf'], 0)

    # bad input
    missing = os.path.join(tmp, 'missing.xml')
    with open(missing, 'w') as f:
        f.write("<domain><name>missing</name><memory>4096</memory><os><type>hvm</type>"
                "<kernel>/nonexistent/vmlinuz</kernel></os></domain>")
    expect(['define', missing], 0)
    expect(['start', 'missing'], 1, err='/nonexistent/vmlinuz', what='a missing kernel is named')
    expect(['start', 'nosuchvm'], 1, err="failed to get domain 'nosuchvm'")
    expect(['start'], 1, err='needs one virtual machine')

    for name in ('card', 'deaf', 'missing'):
        expect(['undefine', name], 0, out="Domain '%s' has been undefined" % name)
    out = expect(['list', '--all', '--name'], 0)
    ok(out.strip() == '', 'nothing is left defined', out)
    expect(['dumpxml', 'card'], 1, err="failed to get domain 'card'")


try:
    main()
finally:
    # nothing may outlive the test: VMMs are found by their runtime folders
    run = os.path.join(env['XDG_RUNTIME_DIR'], 'vireo')
    if os.path.isdir(run):
        for name in os.listdir(run):
            if os.path.exists(os.path.join(run, name, 'control.sock')):
                subprocess.run([VIREOCTL, 'destroy', name], env=env, capture_output=True)
    shutil.rmtree(tmp, ignore_errors=True)
    print('1..%d' % n)
sys.exit(1 if failed else 0)
