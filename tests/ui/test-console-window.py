#!/usr/bin/python3
# The VM window on real QEMU guests (run by tests/libvirt/harness.py): open
# a console by double-clicking, see the guest's screen, type into it, send
# keys from the menu (Ctrl+Alt+Del reboots the guest), full screen and its
# toolbar, a screenshot to PNG, the serial console in VTE, the clipboard
# typed into the guest, a VNC password, a VM forced off and run again, a VM
# without a display, a host whose SSH login fails.
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vireoui  # noqa: E402
from vireoui import double_click_row, find, wait_for  # noqa: E402

ENV = os.environ.get
PREFIX = ENV('VIREO_TEST_NAME_PREFIX', 'vireo-test-')
TMP = ENV('VIREO_TEST_TMPDIR')


def domain_xml(name, kernel=False, graphics="<graphics type='vnc' listen='127.0.0.1' "
               "autoport='yes'/>", log=None):
    os_extra = ''
    if kernel:
        os_extra = ('<kernel>%s</kernel><initrd>%s</initrd><cmdline>console=ttyS0 quiet'
                    '</cmdline>' % (ENV('VIREO_TEST_GUEST_KERNEL'), ENV('VIREO_TEST_GUEST_INITRD')))
    serial = "<serial type='pty'>%s</serial>" % (
        "<log file='%s' append='off'/>" % log if log else '')
    return ("<domain type='qemu'><name>%s</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type>%s</os>"
            "<features><acpi/><apic/></features>"
            "<devices>%s%s<video><model type='vga'/></video></devices></domain>"
            % (name, os_extra, serial, graphics or ''))


def read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def pixbuf_colours(path):
    """(width, height, distinct colours up to 8) of a PNG."""
    import gi
    gi.require_version('GdkPixbuf', '2.0')
    from gi.repository import GdkPixbuf
    pb = GdkPixbuf.Pixbuf.new_from_file(path)
    data = pb.get_pixels()
    n = pb.get_n_channels()
    seen = set()
    step = max(1, len(data) // (n * 200000))
    for i in range(0, len(data) - n, n * step):
        seen.add(bytes(data[i:i + 3]))
        if len(seen) >= 8:
            break
    return pb.get_width(), pb.get_height(), len(seen)


# What a US keyboard types with Shift held, and the key it is on.
SHIFTED = {'!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7', '*': '8',
           '(': '9', ')': '0', '_': 'minus', '+': 'equal', '>': 'period', '<': 'comma',
           '?': 'slash', ':': 'semicolon', '"': 'apostrophe', '|': 'backslash', '~': 'grave',
           '{': 'bracketleft', '}': 'bracketright'}
PLAIN = {' ': 'space', '\n': 'Return', '-': 'minus', '=': 'equal', '.': 'period', ',': 'comma',
         '/': 'slash', ';': 'semicolon', "'": 'apostrophe', '\\': 'backslash', '`': 'grave',
         '[': 'bracketleft', ']': 'bracketright'}


def type_keys(text):
    """Types @text with real Shift presses, as a person on a US keyboard.
    (dogtail's typeText latches Shift instead of pressing it, which a VNC
    console, sending raw key codes, cannot see.)"""
    from dogtail import rawinput
    for ch in text:
        shifted = ch in SHIFTED or ch.isupper()
        key = SHIFTED.get(ch) or PLAIN.get(ch) or ch.lower()
        if shifted:
            rawinput.holdKey('Shift_L')
        rawinput.pressKey(key)
        if shifted:
            rawinput.releaseKey('Shift_L')


def release_grab(win):
    """Takes keyboard and pointer back from a console that holds them."""
    from dogtail import rawinput
    if find(win, 'Grab hint', 'label', timeout=0.5) is not None:
        rawinput.holdKey('Control_L')
        rawinput.holdKey('Alt_L')
        rawinput.releaseKey('Alt_L')
        rawinput.releaseKey('Control_L')
        wait_for(lambda: find(win, 'Grab hint', 'label', timeout=0.3) is None, timeout=5)


def front(title):
    """Raises the X window titled @title and gives it the keyboard (there is
    no window manager to do it)."""
    import re
    import subprocess
    # xdotool matches without case: anchor both ends.
    ids = subprocess.run(['xdotool', 'search', '--onlyvisible', '--name',
                          '^%s$' % re.escape(title)],
                         capture_output=True, text=True).stdout.split()
    for wid in ids:
        subprocess.run(['xdotool', 'windowraise', wid])
        subprocess.run(['xdotool', 'windowfocus', '--sync', wid])
    time.sleep(0.3)
    return bool(ids)


def point_at(node):
    """Moves the pointer to the middle of @node."""
    from dogtail import rawinput
    x, y = node.queryComponent().getPosition(0)
    w, h = node.queryComponent().getSize()
    rawinput.absoluteMotion(x + w // 2, y + h // 2)


def open_by_double_click(app, table, name):
    """Double-clicks @name's row until its window shows (rows may move under
    the pointer while the main window fills in, e.g. an info bar appears)."""
    for _ in range(3):
        if not double_click_row(table, name):
            return None
        win = find(app, '%s on QEMU/KVM' % name, 'frame', timeout=8)
        if win is not None:
            return win
    return None


def main(t):
    import libvirt
    from dogtail import rawinput

    t.require(ENV('VIREO_TEST_LIBVIRT_URI') and TMP, 'runs under tests/libvirt/harness.py')
    conn = libvirt.open(ENV('VIREO_TEST_LIBVIRT_URI'))
    guest_name = PREFIX + 'ui-guest'
    pw_name = PREFIX + 'ui-password'
    bare_name = PREFIX + 'ui-nodisplay'
    serial_log = os.path.join(TMP, 'ui-guest-serial.log')
    guest = conn.defineXML(domain_xml(guest_name, kernel=True, log=serial_log))
    guest.create()
    pw = conn.defineXML(domain_xml(pw_name, graphics="<graphics type='vnc' listen='127.0.0.1' "
                                   "autoport='yes' passwd='vireo-pw'/>"))
    pw.create()
    bare = conn.defineXML(domain_xml(bare_name, graphics=None))
    bare.create()

    # Full screen is the window manager's business: run one, as desktops do.
    import subprocess
    wm = subprocess.Popen(['openbox', '--sm-disable'], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    t.procs.append(wm)
    t.ok(wait_for(lambda: subprocess.run(['xprop', '-root', '_NET_SUPPORTING_WM_CHECK'],
                                         capture_output=True, text=True).stdout.find('window id')
                  >= 0, timeout=20), 'a window manager (openbox) runs')

    app = t.start_app('--connect', ENV('VIREO_TEST_LIBVIRT_URI'))
    table = find(app, 'Virtual machines', 'tree table')
    t.require(wait_for(lambda: vireoui.row_of(table, guest_name), timeout=30),
              'the main window lists the test guest')

    title = '%s on QEMU/KVM' % guest_name
    win = open_by_double_click(app, table, guest_name)
    t.require(win is not None, 'double-clicking the row opens the VM window "%s"' % title)
    display = find(win, 'Graphical console', timeout=60)
    t.require(display is not None, 'the window shows the graphical console')
    t.ok(wait_for(lambda: 'VIREO-GUEST-READY' in read(serial_log), timeout=240),
         'the guest booted (its serial log says so)')
    t.screenshot('console-booted')

    # Keys typed into the window reach the guest's tty1 shell.
    front(title)
    point_at(display)
    display.grabFocus()
    time.sleep(0.5)
    marker = 'VIREO-TYPED-42'

    def typed():
        return marker in read(serial_log)
    for _ in range(5):
        type_keys('echo VIREO-TYPED-$((6*7)) >/dev/ttyS0\n')
        if wait_for(typed, timeout=20):
            break
    t.ok(typed(), 'keys typed into the console run a command in the guest (%s)' % marker)

    # A click hands the pointer to the guest (a relative PS/2 mouse); the
    # hint says how to get it back, and Ctrl+Alt does.
    point_at(display)
    rawinput.click(*[c + d // 2 for c, d in zip(display.queryComponent().getPosition(0),
                                                 display.queryComponent().getSize())])
    hint = find(win, 'Grab hint', 'label', timeout=10)
    t.ok(hint is not None and 'Ctrl+Alt' in hint.text,
         'a click grabs the pointer and the window says how to release it (%r)'
         % (hint.text if hint else None))
    t.screenshot('grabbed')
    rawinput.holdKey('Control_L')
    rawinput.holdKey('Alt_L')
    rawinput.releaseKey('Alt_L')
    rawinput.releaseKey('Control_L')
    t.ok(wait_for(lambda: find(win, 'Grab hint', 'label', timeout=0.3) is None, timeout=10),
         'Ctrl+Alt releases it and the hint goes away')

    # Screenshot to PNG, through the file chooser.
    shots = vireoui.SCREENSHOT_DIR
    os.makedirs(shots, exist_ok=True)
    png = os.path.join(shots, 'test-console-window-guest.png')
    if os.path.exists(png):
        os.unlink(png)
    find(win, 'Take Screenshot', 'push button').click()
    chooser = find(app, 'Save Screenshot', 'file chooser', timeout=10) or \
        find(app, 'Save Screenshot', 'dialog', timeout=5)
    t.require(chooser is not None, 'Take Screenshot asks where to save')
    name_entry = find(chooser, 'Name', 'text', timeout=3) or find(chooser, None, 'text')
    t.ok(name_entry is not None and name_entry.text.startswith(guest_name) and
         name_entry.text.endswith('.png'),
         'it proposes "<vm>-<date>.png" (%r)' % (name_entry.text if name_entry else None))
    name_entry.text = png
    find(chooser, 'Save', 'push button').click()
    t.ok(wait_for(lambda: os.path.exists(png) and os.path.getsize(png) > 0, timeout=10),
         'the screenshot is saved as %s' % png)
    if os.path.exists(png):
        w, h, colours = pixbuf_colours(png)
        t.ok(w >= 640 and h >= 400 and colours >= 2,
             'it holds the guest screen at its own size with text on it (%dx%d, %d colours)'
             % (w, h, colours))

    # The clipboard, typed as keystrokes.
    import gi
    gi.require_version('Gtk', '3.0')
    from gi.repository import Gtk, Gdk
    clipboard = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)
    clipboard.set_text('echo VIREO-CLIP-$((6*7)) >/dev/ttyS0\n', -1)
    clipboard.store()
    for _ in range(20):
        Gtk.main_iteration_do(False)
    find(win, 'View Menu', 'toggle button').click()
    item = find(app, 'Type the Clipboard')
    t.require(item is not None, 'the view menu offers Type the Clipboard')
    item.click()

    def clip_typed():
        while Gtk.events_pending():
            Gtk.main_iteration_do(False)
        return 'VIREO-CLIP-42' in read(serial_log)
    t.ok(wait_for(clip_typed, timeout=30), 'Type the Clipboard types the host clipboard')

    # Send Key: Ctrl+Alt+Del reboots the guest once it is told to.
    front(title)
    point_at(display)
    display.grabFocus()
    type_keys('echo 1 >/proc/sys/kernel/ctrl-alt-del; echo VIREO-CAD-ARMED >/dev/ttyS0\n')
    t.ok(wait_for(lambda: 'VIREO-CAD-ARMED' in read(serial_log), timeout=30),
         'the guest reboots on Ctrl+Alt+Del from now on')
    boots = read(serial_log).count('VIREO-GUEST-READY')
    find(win, 'Send Key', 'toggle button').click()
    cad = find(app, 'Ctrl+Alt+Del')
    t.require(cad is not None, 'the Send Key menu offers Ctrl+Alt+Del')
    t.ok(find(app, 'Ctrl+Alt+F12') is not None and find(app, 'Print Screen') is not None,
         'and Ctrl+Alt+F1…F12 and Print Screen')
    cad.click()
    t.ok(wait_for(lambda: read(serial_log).count('VIREO-GUEST-READY') > boots, timeout=240),
         'Ctrl+Alt+Del from the menu rebooted the guest')
    t.ok(find(win, 'Graphical console', timeout=30) is not None,
         'the console is shown again after the reboot')
    t.screenshot('console-after-reboot')

    # Full screen: the header hides, the toolbar slides in at the top edge,
    # F11 leaves.
    find(win, 'Full Screen', 'push button').click()
    t.ok(wait_for(lambda: find(win, 'Full screen toolbar', showing=True, timeout=1)),
         'full screen shows its toolbar first')
    t.ok(wait_for(lambda: find(win, 'Take Screenshot', 'push button', timeout=0.5) is not None
                  and find(win, 'Full Screen', 'push button', timeout=0.5) is None, timeout=10),
         'the header bar is hidden in full screen')
    t.screenshot('fullscreen')
    # The click left the pointer where the toolbar is now: move it away.
    rawinput.absoluteMotion(640, 500)
    t.ok(wait_for(lambda: find(win, 'Leave Full Screen', timeout=0.3) is None, timeout=10),
         'the toolbar hides by itself once the pointer is elsewhere')
    rawinput.absoluteMotion(640, 300)
    rawinput.absoluteMotion(640, 0)
    t.ok(wait_for(lambda: find(win, 'Leave Full Screen', timeout=0.3), timeout=10),
         'touching the top edge brings the toolbar back')
    find(win, 'Leave Full Screen').click()
    t.ok(wait_for(lambda: find(win, 'Full Screen', 'push button', timeout=0.5), timeout=10),
         'Leave Full Screen brings the header bar back')
    find(win, 'Full Screen', 'push button').click()
    time.sleep(1)
    front(title)
    rawinput.pressKey('F11')
    t.ok(wait_for(lambda: find(win, 'Full Screen', 'push button', timeout=0.5), timeout=10),
         'F11 leaves full screen too')

    # The serial console, in VTE.
    find(win, 'View Menu', 'toggle button').click()
    find(app, 'Serial Console').click()
    term = find(win, 'Serial console', 'terminal', timeout=30)
    t.require(term is not None, 'the view menu switches to the serial console')
    front(title)
    point_at(term)
    term.grabFocus()
    for _ in range(5):
        rawinput.typeText('echo VIREO-VTE-$((6*7))\n')
        if wait_for(lambda: 'VIREO-VTE-42' in (term.text or ''), timeout=15):
            break
    t.ok('VIREO-VTE-42' in (term.text or ''),
         'typing into the terminal runs a command whose output it shows')
    t.screenshot('serial-console')

    # Forced off under the console: the page says so and offers Run.
    find(win, 'View Menu', 'toggle button').click()
    find(app, 'Graphical Console').click()
    t.ok(find(win, 'Graphical console', timeout=60) is not None,
         'the view menu switches back to the graphical console')
    guest.destroy()
    status = find(win, 'Console status', 'label', timeout=30)
    t.ok(wait_for(lambda: status.text == '“%s” is shut off.' % guest_name, timeout=30),
         'a VM forced off under its console shows "is shut off" (%r)' % status.text)
    t.screenshot('forced-off')
    run = find(win, 'Run', 'push button')
    t.require(run is not None, 'with a Run button')
    run.click()
    t.ok(find(win, 'Graphical console', timeout=120) is not None,
         'Run starts it and the console comes back')

    # A VNC password: asked for, a wrong one refused, the right one works.
    release_grab(win)
    front('Vireo')
    pw_win = open_by_double_click(app, table, pw_name)
    t.require(pw_win is not None, 'double-clicking the password VM opens its window')
    entry = find(pw_win, 'VNC password', 'password text', timeout=30) or \
        find(pw_win, 'VNC password', timeout=5)
    t.require(entry is not None, 'the window asks for the VNC password')
    front('%s on QEMU/KVM' % pw_name)
    entry.grabFocus()
    rawinput.typeText('wrong')
    rawinput.pressKey('Return')
    problem = find(pw_win, 'Password problem', 'label', timeout=30)
    t.ok(problem is not None and 'refused' in problem.text,
         'a wrong password is refused with a clear message (%r)'
         % (problem.text if problem else None))
    t.screenshot('password-refused')
    entry = find(pw_win, 'VNC password')
    entry.grabFocus()
    rawinput.typeText('vireo-pw')
    rawinput.pressKey('Return')
    t.ok(find(pw_win, 'Graphical console', timeout=30) is not None,
         'the right password shows the screen')
    t.ok(find(win, 'Graphical console', timeout=5) is not None,
         'and the first VM window still shows its console (several at once)')

    # A VM without a display.
    release_grab(pw_win)
    release_grab(win)
    front('Vireo')
    bare_win = open_by_double_click(app, table, bare_name)
    t.require(bare_win is not None, 'double-clicking the VM without a display opens its window')
    detail = bare_win and find(bare_win, 'Console status details', 'label', timeout=30)
    t.ok(detail is not None and 'no graphical display' in detail.text,
         'a VM without a display says so (%r)' % (detail.text if detail else None))
    t.screenshot('no-display')
    t.stop_app()

    # SSH that cannot log in: straight into the console window, which says why.
    wrong = 'qemu+ssh://root@127.0.0.1:%s/system?keyfile=%s&command=%s&no_tty=1' % (
        ENV('VIREO_TEST_SSH_PORT'), ENV('VIREO_TEST_SSH_WRONG_KEY'),
        ENV('VIREO_TEST_SSH_COMMAND'))
    app = t.start_app('--connect', wrong, '--show-domain-console', guest_name)
    ssh_win = find(app, None, 'frame', timeout=20)
    detail = ssh_win and find(ssh_win, 'Console status details', 'label', timeout=60)
    t.ok(detail is not None and 'Permission denied' in detail.text,
         'a refused SSH login is named in the console window (%r)'
         % (detail.text if detail else None))
    t.ok(find(ssh_win, 'Connect', 'push button') is not None, 'with a Connect button')
    t.screenshot('ssh-refused')
    t.stop_app()

    for dom in (guest, pw, bare):
        try:
            if dom.isActive():
                dom.destroy()
            dom.undefine()
        except libvirt.libvirtError:
            pass


vireoui.run(main)
