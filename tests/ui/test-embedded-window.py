#!/usr/bin/python3
# The main window on Vireo's own hypervisor (vireo:///session), with real
# vireo-vmm processes running the test guests: the connection is there on
# first run and says how KVM serves this machine; a VM is run, its screen
# and keyboard work in the VM window, it is paused and resumed; the app
# quits and comes back with the VM still running and its console opening;
# ACPI shutdown, a guest that ignores the power button (the window offers to
# force it off), a VMM killed with SIGKILL (crashed, with its log), delete.
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vireoui  # noqa: E402
from vireoui import double_click_row, find, press, row_of, select_row, wait_for  # noqa: E402

BUILD = vireoui.BUILD_ROOT
VIREOCTL = os.path.join(BUILD, 'src', 'cli', 'vireoctl')
VMM = os.path.join(BUILD, 'src', 'vmm', 'vireo-vmm')
GUESTS = os.path.join(BUILD, 'tests', 'guests')


def state_of(table, name):
    cells = row_of(table, name)
    return cells[1] if cells else None


def wait_state(t, table, name, state, what, timeout=60):
    got = wait_for(lambda: state_of(table, name) == state, timeout=timeout)
    if not got:
        t.diag('%s is %r' % (name, state_of(table, name)))
    return t.ok(got, what)


def ctl(t, *args):
    p = subprocess.run([VIREOCTL] + list(args), env=t.app_env(), capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def define(t, name, guest, cmdline='', devices=''):
    path = os.path.join(t.tmp, name + '.xml')
    with open(path, 'w') as f:
        f.write("<domain type='kvm'><name>%s</name><title>%s guest</title>"
                "<memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type>"
                "<kernel>%s</kernel><cmdline>%s</cmdline></os><features><acpi/></features>"
                "<devices><serial type='pty'/>%s</devices></domain>"
                % (name, guest, os.path.join(GUESTS, guest + '.elf'), cmdline, devices))
    return ctl(t, 'define', path)[0] == 0


def running(pid):
    """Whether process @pid still runs (a zombie has ended: whoever adopted
    it may not have reaped it yet)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def pid_of(t, name):
    code, out = ctl(t, 'dominfo', name)
    for line in out.splitlines():
        if line.startswith('Process:'):
            return int(line.split()[1])
    return 0


def screenshot_of(t, app, win, label):
    """Saves the graphical console through its Take Screenshot button; the
    PNG holds the guest's pixels at the guest's size."""
    png = os.path.join(vireoui.SCREENSHOT_DIR, 'test-embedded-window-%s.png' % label)
    os.makedirs(vireoui.SCREENSHOT_DIR, exist_ok=True)
    if os.path.exists(png):
        os.unlink(png)
    find(win, 'Take Screenshot', 'push button').click()
    chooser = find(app, 'Save Screenshot', 'file chooser', timeout=10) or \
        find(app, 'Save Screenshot', 'dialog', timeout=5)
    if chooser is None:
        return None
    entry = find(chooser, 'Name', 'text', timeout=3) or find(chooser, None, 'text')
    entry.text = png
    find(chooser, 'Save', 'push button').click()
    if not wait_for(lambda: os.path.exists(png) and os.path.getsize(png) > 0, timeout=10):
        return None
    import gi
    gi.require_version('GdkPixbuf', '2.0')
    from gi.repository import GdkPixbuf
    return GdkPixbuf.Pixbuf.new_from_file(png)


def pixel(pb, x, y):
    n = pb.get_n_channels()
    data = pb.get_pixels()
    i = y * pb.get_rowstride() + x * n
    return (data[i] << 16) | (data[i + 1] << 8) | data[i + 2]


BARS = [0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x000000]


def shows_testcard(pb):
    return (pb is not None and pb.get_width() == 640 and pb.get_height() == 480 and
            all(pixel(pb, i * 80 + 40, 60) == c for i, c in enumerate(BARS)))


def main_window(table):
    """The frame that holds the VM list (the VM windows have buttons of the
    same names)."""
    node = table
    while node is not None and node.roleName != 'frame':
        node = node.parent
    return node


def open_console(t, app, table, name):
    t.require(double_click_row(table, name), '%s can be double-clicked' % name)
    win = find(app, '%s on Vireo' % name, 'frame', timeout=20)
    t.require(win is not None, 'a double click opens the VM window "%s on Vireo"' % name)
    display = find(win, 'Graphical console', timeout=60)
    t.require(display is not None, 'the VM window shows the graphical console')
    return win, display


def main(t):
    from dogtail import rawinput

    # The shutdown offer comes quickly here (the default is a minute).
    env = t.app_env()
    subprocess.run(['gsettings', 'set', 'org.vireo.Vireo', 'shutdown-timeout', '5'], env=env,
                   check=True)
    check = subprocess.run([VMM, '--check-kvm'], capture_output=True, text=True)
    if check.returncode != 0:
        t.diag('KVM cannot run guests here: ' + check.stdout)
        t.ok(True, 'skipped: no usable KVM')
        return

    app = t.start_app()
    table = find(app, 'Virtual machines', 'tree table')
    t.require(table is not None, 'the main window is up')
    top = main_window(table)
    t.ok(wait_for(lambda: (row_of(table, 'Vireo') or [None, None])[1] == 'Connected',
                  timeout=30),
         'on first run the Vireo connection is there and connects by itself')
    if 'status: slow' in check.stdout:
        notice = find(app, 'Notice details', 'label', timeout=10)
        t.ok(notice is not None and 'emulates' in notice.text and 'times slower' in notice.text,
             'the window says KVM is emulated here, and how slow (%r)'
             % (notice.text if notice else None))
        t.screenshot('kvm-notice')

    # VMs defined from the command line appear in the window by themselves.
    t.require(define(t, 'card', 'testcard',
                     devices="<graphics type='vnc'/><video><model type='bochs'/></video>"
                             "<sound model='ich9'/>"),
              'vireoctl defines the testcard VM')
    t.require(define(t, 'deaf', 'hello', 'wait=1'), 'and one that ignores the power button')
    t.ok(wait_state(t, table, 'card', 'Shut off', 'card appears, shut off', timeout=20),
         'the list follows what vireoctl did')

    t.require(select_row(table, 'card'), 'card can be selected')
    press(find(top, 'Run', 'push button'))
    wait_state(t, table, 'card', 'Running', 'Run starts card on vireo-vmm')
    notice = find(app, 'Notice details', 'label', timeout=10)
    t.ok(wait_for(lambda: notice is not None and '<sound>' in notice.text),
         'the window names what vireo-vmm leaves out (%r)' % (notice.text if notice else None))

    win, display = open_console(t, app, table, 'card')
    pb = None
    for _ in range(3):
        pb = screenshot_of(t, app, win, 'card')
        if shows_testcard(pb):
            break
    t.ok(shows_testcard(pb), 'the console shows the test card, pixel for pixel')

    # Keys typed into the console are drawn by the guest: 'h' lights the
    # left column of its first glyph.
    subprocess.run(['xdotool', 'search', '--name', '^card on Vireo$', 'windowfocus', '--sync'],
                   capture_output=True)
    display.grabFocus()
    x, y = display.queryComponent().getPosition(0)
    w, h = display.queryComponent().getSize()
    rawinput.absoluteMotion(x + w // 2, y + h // 2)
    typed = False
    for _ in range(5):
        rawinput.pressKey('h')
        pb = screenshot_of(t, app, win, 'card-typed')
        if pb is not None and pixel(pb, 17, 377) == 0xffffff:
            typed = True
            break
    t.ok(typed, 'a key typed into the console reaches the guest and shows on its screen')

    # Pause and resume from the main window.
    select_row(table, 'card')
    save = find(top, 'Save', 'push button')
    t.ok(save is not None and wait_for(lambda: not save.sensitive),
         'Save is not offered for a VM on vireo-vmm, which cannot save its state')
    press(find(top, 'Pause', 'push button'))
    wait_state(t, table, 'card', 'Paused', 'Pause pauses card')
    press(find(top, 'Resume', 'push button'))
    wait_state(t, table, 'card', 'Running', 'Resume resumes card')

    # Quit: the VM runs on; a new Vireo finds it running, console and all.
    pid = pid_of(t, 'card')
    press(find(top, 'Main Menu', 'toggle button'))
    find(app, 'Quit', 'push button').click()
    t.ok(t.wait_exit() == 0, 'Vireo quits')
    t.ok(pid > 0 and running(pid), 'the VM kept running (vireo-vmm %d)' % pid)
    app = t.start_app()
    table = find(app, 'Virtual machines', 'tree table')
    top = main_window(table)
    wait_state(t, table, 'card', 'Running', 'after a restart card is listed as running')
    win, display = open_console(t, app, table, 'card')
    pb = screenshot_of(t, app, win, 'card-again')
    t.ok(shows_testcard(pb), 'and its console opens on the same screen')
    t.screenshot('console-after-restart')

    # The serial console, in the same window: the boot was kept for it, and
    # what is typed comes back.
    press(find(win, 'View Menu', 'toggle button'))
    find(app, 'Serial Console').click()
    term = find(win, 'Serial console', 'terminal', timeout=30)
    t.require(term is not None, 'the view menu switches to the serial console')
    t.ok(wait_for(lambda: 'testcard ready' in (term.text or ''), timeout=30),
         'the serial console shows what the guest printed at boot')
    subprocess.run(['xdotool', 'search', '--name', '^card on Vireo$', 'windowraise',
                    'windowfocus', '--sync'], capture_output=True)
    term.grabFocus()
    for _ in range(5):
        rawinput.typeText('serial ok\n')
        if wait_for(lambda: 'serial ok' in (term.text or ''), timeout=15):
            break
    t.ok('serial ok' in (term.text or ''), 'what is typed there is echoed by the guest')
    t.screenshot('serial-console')

    # ACPI shutdown, confirmed.
    select_row(table, 'card')
    press(find(top, 'Shut Down', 'push button'))
    alert = find(app, None, 'alert')
    t.require(alert is not None, 'Shut Down asks first')
    press(find(alert, 'Shut Down', 'push button'))
    wait_state(t, table, 'card', 'Shut off', 'the guest powers off on the ACPI power button')
    t.ok(wait_for(lambda: not running(pid)), 'and its vireo-vmm has ended')

    # A guest that ignores the power button: the window offers to force it off.
    select_row(table, 'deaf')
    press(find(top, 'Run', 'push button'))
    wait_state(t, table, 'deaf', 'Running', 'deaf runs')
    press(find(top, 'Shut Down', 'push button'))
    press(find(find(app, None, 'alert'), 'Shut Down', 'push button'))
    offer = find(app, 'Shutdown is taking long', 'label', timeout=30)
    t.ok(offer is not None and 'has not shut down after 5 seconds' in offer.text,
         'after the timeout the window says the shutdown is taking long (%r)'
         % (offer.text if offer else None))
    t.screenshot('shutdown-offer')
    bar = offer
    while bar is not None and bar.roleName not in ('info bar', 'frame'):
        bar = bar.parent
    force = find(bar, 'Force Off', 'push button') if bar is not None else None
    t.require(force is not None and find(bar, 'Keep Waiting', 'push button') is not None,
              'and offers Force Off or Keep Waiting')
    press(force)
    wait_state(t, table, 'deaf', 'Shut off', 'Force Off in the offer stops deaf')

    # A VMM killed with SIGKILL: crashed, and the log is named.
    select_row(table, 'card')
    press(find(top, 'Run', 'push button'))
    wait_state(t, table, 'card', 'Running', 'card runs again')
    pid = pid_of(t, 'card')
    os.kill(pid, signal.SIGKILL)
    wait_state(t, table, 'card', 'Crashed', 'a killed vireo-vmm shows as Crashed')
    select_row(table, 'card')
    details = find(app, 'Selection details', 'label')
    t.ok(wait_for(lambda: details is not None and 'signal 9' in details.text and
                  'card.log' in details.text),
         'the details say it was killed and where its log is (%r)'
         % (details.text if details else None))
    t.screenshot('crashed')
    press(find(top, 'Run', 'push button'))
    wait_state(t, table, 'card', 'Running', 'a crashed VM runs again')
    press(find(top, 'Force Off', 'push button'))
    alert = find(app, None, 'alert', timeout=5)
    if alert is not None:
        press(find(alert, 'Force Off', 'push button'))
    wait_state(t, table, 'card', 'Shut off', 'Force Off (confirmed) forces it off')

    # Delete, confirmed: gone from the window and from disk.
    select_row(table, 'deaf')
    press(find(top, 'Delete', 'push button'))
    dialog = find(app, 'Delete Virtual Machine', 'dialog', timeout=10)
    t.require(dialog is not None, 'Delete asks first')
    press(find(dialog, 'Delete', 'push button'))
    t.ok(wait_for(lambda: row_of(table, 'deaf') is None, timeout=20),
         'the deleted VM leaves the list')
    code, out = ctl(t, 'list', '--all', '--name')
    t.ok(code == 0 and 'deaf' not in out.split(), 'and its definition is gone (%r)' % out)


def run(t):
    try:
        main(t)
    finally:
        # nothing outlives the test
        run_dir = os.path.join(t.app_env()['XDG_RUNTIME_DIR'], 'vireo')
        if os.path.isdir(run_dir):
            for name in os.listdir(run_dir):
                if os.path.exists(os.path.join(run_dir, name, 'control.sock')):
                    ctl(t, 'destroy', name)


vireoui.run(run)
