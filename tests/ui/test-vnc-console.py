#!/usr/bin/python3
# The graphical console against a VNC server the test controls
# (tests/ui/vnc-test-server.c), reached the way the app reaches any libvirt
# display: a test:/// domain whose <graphics type='vnc' socket=.../> is that
# server's socket.  No test guest runs a clipboard agent, so the server stands
# in for one.
#
# Clipboard: what the host copies reaches the server as ClientCutText, what
# the server cuts lands on the host clipboard and is not echoed back; text
# outside ASCII travels as Latin-1, as RFB says.
#
# Scaling: the server's screen (1600x1000) is bigger than the window; its
# pixels encode their own coordinates, so a screenshot tells which guest
# pixel each screen pixel shows.  "Always" shows the whole screen scaled
# down, "Never" 1:1 with scroll bars for the rest, "Only in Full Screen" 1:1
# in the window and scaled in full screen; the choice is kept in GSettings.
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vireoui  # noqa: E402
from vireoui import find, wait_for  # noqa: E402

SERVER = os.path.join(vireoui.BUILD_ROOT, 'tests', 'ui', 'vnc-test-server')
NAME = 'vnc-test-guest'
GUEST_W, GUEST_H = 1600, 1000


class Server:
    """vnc-test-server in the background, its output collected."""

    def __init__(self, t, socket):
        self.lines = []
        self.proc = subprocess.Popen([SERVER, socket, '%dx%d' % (GUEST_W, GUEST_H)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        t.procs.append(self.proc)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip('\n'))

    def send(self, command):
        self.proc.stdin.write(command + '\n')
        self.proc.stdin.flush()

    def cut(self, data):
        """Sends ServerCutText with the bytes @data."""
        self.send('cut ' + data.hex())

    def received(self):
        """The ClientCutText payloads so far, as bytes."""
        return [bytes.fromhex(line.split(' ', 1)[1] if ' ' in line else '')
                for line in self.lines if line.startswith('client-cut')]


def host_xml(t, socket):
    path = os.path.join(t.tmp, 'vnc-host.xml')
    with open(path, 'w') as f:
        f.write('<node><cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes>'
                '<sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>'
                '<memory>8388608</memory>'
                '<domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">'
                '<name>%s</name><memory unit="MiB">256</memory><vcpu>1</vcpu>'
                '<os><type arch="x86_64">hvm</type></os>'
                "<devices><graphics type='vnc' socket='%s'/></devices>"
                '<test:runstate>1</test:runstate></domain></node>' % (NAME, socket))
    return path


def pump():
    from gi.repository import Gtk
    while Gtk.events_pending():
        Gtk.main_iteration_do(False)


def copy_on_host(clipboard, text):
    """Copies @text as a host application does; we stay its owner."""
    clipboard.set_text(text, -1)
    clipboard.store()
    pump()


def host_text(clipboard):
    pump()
    return clipboard.wait_for_text()


def decode(pixel):
    """The guest coordinates the test picture encodes in (r, g, b)."""
    r, g, b = pixel
    return (b >> 4) << 8 | r, (b & 0xf) << 8 | g


class Shot:
    """The screen's pixels, from a screenshot saved under the build dir."""

    def __init__(self, t, label):
        import gi
        gi.require_version('GdkPixbuf', '2.0')
        from gi.repository import GdkPixbuf
        path = t.screenshot(label)
        pb = GdkPixbuf.Pixbuf.new_from_file(path)
        self.width, self.height = pb.get_width(), pb.get_height()
        self.stride, self.n = pb.get_rowstride(), pb.get_n_channels()
        self.data = pb.get_pixels()

    def at(self, x, y):
        i = y * self.stride + x * self.n
        return tuple(self.data[i:i + 3])


def extents(node):
    x, y = node.queryComponent().getPosition(0)
    w, h = node.queryComponent().getSize()
    return x, y, w, h


def scroll_offset(win):
    """Where the screen is scrolled to, from its scroll bars' values."""
    import pyatspi
    from dogtail.predicate import GenericPredicate
    view = find(win, 'Guest screen', 'scroll pane', timeout=5)
    offset = [0, 0]
    for bar in view.findChildren(GenericPredicate(roleName='scroll bar'), showingOnly=False):
        vertical = bar.getState().contains(pyatspi.STATE_VERTICAL)
        offset[1 if vertical else 0] = round(bar.queryValue().currentValue)
    return tuple(offset)


def check_one_to_one(t, win, display, label):
    """Every sampled pixel of the visible screen is the guest pixel at the
    same offset from the scrolled-to corner: 1:1, the rest scrolled to."""
    view = find(win, 'Guest screen', 'scroll pane', timeout=5)
    x0, y0, w, h = extents(view)
    dw, dh = extents(display)[2:]
    sx, sy = scroll_offset(win)
    shot = Shot(t, label)
    bad = []
    # Scroll bars may show over the right and bottom edges: stay clear.
    points = [(i * (w - 16) // 15, j * (h - 16) // 11) for i in range(16) for j in range(12)]
    for dx, dy in points:
        want = (sx + dx, sy + dy)
        got = decode(shot.at(x0 + dx, y0 + dy))
        if got != want:
            bad.append((want, got))
    if bad:
        t.diag('%s: screen shown at %d,%d %dx%d scrolled to %d,%d; first mismatches '
               '(guest, shown): %r' % (label, x0, y0, w, h, sx, sy, bad[:5]))
    return not bad and w < GUEST_W and h < GUEST_H and (dw, dh) == (GUEST_W, GUEST_H), \
        (w, h, sx, sy)


def scroll_to_end(win):
    """Moves the scroll bars of the screen to their ends, as a person drags them."""
    from dogtail.predicate import GenericPredicate
    view = find(win, 'Guest screen', 'scroll pane', timeout=5)
    bars = view.findChildren(GenericPredicate(roleName='scroll bar'), showingOnly=False)
    for bar in bars:
        value = bar.queryValue()
        value.currentValue = value.maximumValue
    return len(bars) == 2 and all(
        abs(b.queryValue().currentValue - b.queryValue().maximumValue) < 1 for b in bars)


def check_scaled(t, display, label):
    """The whole guest screen fits in the console, scaled with its aspect
    ratio kept: sampled pixels show the guest pixel at the same fraction of
    the screen, the corners included."""
    x0, y0, w, h = extents(display)
    # As gtk-vnc places it: centred on whole pixels.
    scale = min(w / GUEST_W, h / GUEST_H)
    iw, ih = int(GUEST_W * scale), int(GUEST_H * scale)
    ox, oy = x0 + (w - iw) // 2, y0 + (h - ih) // 2
    shot = Shot(t, label)
    tolerance = 2 / scale + 2
    bad = []
    checked = 0
    for i in range(17):
        for j in range(13):
            # Three pixels in from the edges, which blend with the border.
            u, v = (3 + (iw - 7) * i / 16) / iw, (3 + (ih - 7) * j / 12) / ih
            gx, gy = u * (GUEST_W - 1), v * (GUEST_H - 1)
            # Smoothing blends neighbours; where the low byte wraps the
            # blend decodes to nothing near: look elsewhere.
            if min(gx % 256, 256 - gx % 256) < 6 or min(gy % 256, 256 - gy % 256) < 6:
                if not (i in (0, 16) and j in (0, 12)):
                    continue
            px, py = int(ox + u * iw), int(oy + v * ih)
            got = decode(shot.at(px, py))
            checked += 1
            if abs(got[0] - gx) > tolerance or abs(got[1] - gy) > tolerance:
                bad.append(((round(gx), round(gy)), got))
    if bad:
        t.diag('%s: console at %d,%d %dx%d, scale %.3f; first mismatches (guest, shown): %r'
               % (label, x0, y0, w, h, scale, bad[:5]))
    return not bad and checked > 100 and scale < 1, (w, h, round(scale, 3))


def view_menu(app, win, item):
    """Chooses @item in the VM window's view menu, as a person does."""
    from dogtail.predicate import GenericPredicate
    button = find(win, 'View Menu', 'toggle button')

    def item_node():
        for n in app.findChildren(GenericPredicate(name=item), showingOnly=True):
            if n.roleName in ('radio button', 'check box', 'push button', 'radio menu item',
                              'toggle button', 'check menu item', 'menu item'):
                return n
        return None
    node = wait_for(item_node, timeout=1)
    if node is None:
        button.click()
        node = wait_for(item_node, timeout=10)
    if node is None:
        return False
    node.click()
    # Radio items leave the menu open: close it.
    if not wait_for(lambda: item_node() is None, timeout=1):
        button.click()
        wait_for(lambda: item_node() is None, timeout=5)
    return True


def setting(t, key):
    env = t.app_env()
    return subprocess.run(['gsettings', 'get', 'org.vireo.Vireo', key], env=env,
                          capture_output=True, text=True).stdout.strip()


def window_id(title):
    ids = subprocess.run(['xdotool', 'search', '--onlyvisible', '--name', '^%s$' % title],
                         capture_output=True, text=True).stdout.split()
    return ids[0] if ids else None


def main(t):
    import gi
    gi.require_version('Gtk', '3.0')
    gi.require_version('Gdk', '3.0')
    from gi.repository import Gdk, Gtk
    from dogtail import rawinput

    t.require(os.access(SERVER, os.X_OK), 'the test VNC server is built (%s)' % SERVER)
    socket = os.path.join(t.tmp, 'vnc.sock')
    server = Server(t, socket)
    t.require(wait_for(lambda: any(line.startswith('listening') for line in server.lines),
                       timeout=20), 'the test VNC server listens on %s' % socket)

    # Full screen is the window manager's business: run one, as desktops do.
    wm = subprocess.Popen(['openbox', '--sm-disable'], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    t.procs.append(wm)
    t.ok(wait_for(lambda: 'window id' in subprocess.run(
        ['xprop', '-root', '_NET_SUPPORTING_WM_CHECK'], capture_output=True, text=True).stdout,
        timeout=20), 'a window manager (openbox) runs')

    app = t.start_app('--connect', 'test://' + host_xml(t, socket),
                      '--show-domain-console', NAME)

    def vm_window():
        for w in app.children:
            if w.roleName == 'frame' and w.name.startswith(NAME + ' on '):
                return w
        return None
    win = wait_for(vm_window, timeout=30)
    t.require(win is not None, 'the console window of %s opens' % NAME)
    title = win.name
    display = find(win, 'Graphical console', timeout=60)
    t.require(display is not None, 'it shows the graphical console of the test server')
    t.ok(wait_for(lambda: 'client' in server.lines, timeout=30),
         'the app connected to the server through the domain\'s VNC socket')

    # ---- the clipboard ----
    clipboard = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)

    def server_got(data):
        def check():
            pump()
            return data in server.received()
        return wait_for(check, timeout=20)

    copy_on_host(clipboard, 'copied on the host')
    t.ok(server_got(b'copied on the host'),
         'text copied on the host reaches the guest as ClientCutText (%r)' % server.received())

    server.cut(b'cut in the guest')
    t.ok(wait_for(lambda: host_text(clipboard) == 'cut in the guest', timeout=20),
         'text cut in the guest lands on the host clipboard (%r)' % host_text(clipboard))
    # Whatever the app sends next comes after an echo, if there were one.
    copy_on_host(clipboard, 'copied on the host again')
    t.ok(server_got(b'copied on the host again'), 'a second host copy reaches the guest')
    t.ok(b'cut in the guest' not in server.received(),
         'the guest\'s own text is not sent back to it (%r)' % server.received())
    # Once the host copied something else, the guest's old text is new to it.
    copy_on_host(clipboard, 'cut in the guest')
    t.ok(server_got(b'cut in the guest'),
         'copying the guest\'s earlier text again on the host sends it (%r)'
         % server.received()[-2:])

    # RFB cut text is Latin-1.
    copy_on_host(clipboard, 'café crème')
    t.ok(server_got('café crème'.encode('latin-1')),
         'host text with é reaches the guest in Latin-1 (%r)' % server.received()[-1:])
    copy_on_host(clipboard, 'price: 5 € or £4')
    t.ok(server_got(b'price: 5 ? or \xa34'),
         'a character Latin-1 lacks (€) becomes "?" and the rest stays (%r)'
         % server.received()[-1:])
    server.cut('Ærø, señor'.encode('latin-1'))
    t.ok(wait_for(lambda: host_text(clipboard) == 'Ærø, señor', timeout=20),
         'Latin-1 text cut in the guest arrives on the host as the same letters (%r)'
         % host_text(clipboard))
    t.ok(b'\xc6r\xf8, se\xf1or' not in server.received(),
         'and is not sent back either')
    server.cut('naïve €'.encode('utf-8'))
    t.ok(wait_for(lambda: host_text(clipboard) == 'naïve €', timeout=20),
         'a server that cuts UTF-8 anyway is understood too (%r)' % host_text(clipboard))
    t.ok(t.app_proc.poll() is None and find(win, 'Graphical console', timeout=5) is not None,
         'the app and its console are still there')

    # ---- scaling ----
    wid = window_id(title)
    t.require(wid is not None, 'the console window is on the X display')

    def shrink():
        subprocess.run(['xdotool', 'windowsize', wid, '900', '640'])
        return wait_for(lambda: extents(view)[2] < 900 and extents(view)[3] < 640, timeout=10)

    view = find(win, 'Guest screen', 'scroll pane')

    def settled(size):
        """Waits until the visible screen keeps one size for a moment (redrawn)."""
        last = [None, 0]

        def check():
            now = extents(view)[2:]
            last[1] = last[1] + 1 if now == last[0] else 0
            last[0] = now
            return last[1] >= 3 and (size is None or size(now))
        return wait_for(check, timeout=15, interval=0.2)

    t.ok(view_menu(app, win, 'Always'), 'View ▸ Scale the Screen ▸ Always')
    t.ok(wait_for(lambda: setting(t, 'console-scaling') == "'always'"),
         'is kept in GSettings (%s)' % setting(t, 'console-scaling'))
    t.ok(shrink(), 'the window is made smaller than the guest screen (%r)'
         % (extents(view)[2:],))
    settled(None)
    ok, got = check_scaled(t, display, 'scaling-always')
    t.ok(ok, '"Always" shows the whole guest screen scaled down (console %r)' % (got,))

    t.ok(view_menu(app, win, 'Never'), 'View ▸ Scale the Screen ▸ Never')
    t.ok(wait_for(lambda: setting(t, 'console-scaling') == "'never'"),
         'is kept in GSettings (%s)' % setting(t, 'console-scaling'))
    shrink()
    settled(lambda s: s[0] < GUEST_W)
    ok, got = check_one_to_one(t, win, display, 'scaling-never')
    t.ok(ok, '"Never" shows the guest 1:1 from its top-left corner (visible %r)' % (got,))
    t.ok(scroll_to_end(win), 'the rest of the guest screen is scrolled to with scroll bars')
    ok, got = check_one_to_one(t, win, display, 'scaling-never-scrolled')
    t.ok(ok and (got[0] + got[2], got[1] + got[3]) == (GUEST_W, GUEST_H),
         'which show its bottom-right corner 1:1 (visible %r)' % (got,))

    t.ok(view_menu(app, win, 'Only in Full Screen'), 'View ▸ Scale the Screen ▸ Only in Full '
         'Screen')
    t.ok(wait_for(lambda: setting(t, 'console-scaling') == "'fullscreen'"),
         'is kept in GSettings (%s)' % setting(t, 'console-scaling'))
    shrink()
    settled(lambda s: s[0] < GUEST_W)
    ok, got = check_one_to_one(t, win, display, 'scaling-fullscreen-windowed')
    t.ok(ok, '"Only in Full Screen" is 1:1 in the window (console %r)' % (got,))

    find(win, 'Full Screen', 'push button').click()
    geometry = Gdk.Display.get_default().get_monitor(0).get_geometry()
    full = (geometry.width, geometry.height)
    t.ok(settled(lambda s: tuple(s) == full),
         'full screen gives the console the whole screen %r (%r)' % (full, extents(view)[2:]))
    # The toolbar shows where it is, then slides away from the pointer.
    rawinput.absoluteMotion(full[0] // 2, full[1] // 2)
    t.ok(wait_for(lambda: find(win, 'Leave Full Screen', timeout=0.3) is None, timeout=10),
         'the full-screen toolbar slides away')
    ok, got = check_scaled(t, display, 'scaling-fullscreen-full')
    t.ok(ok, '"Only in Full Screen" scales the guest screen to fit in full screen (%r)'
         % (got,))
    rawinput.pressKey('F11')
    t.ok(wait_for(lambda: find(win, 'Full Screen', 'push button', timeout=0.5), timeout=10),
         'F11 leaves full screen')
    settled(lambda s: s[0] < full[0])
    shrink()
    settled(lambda s: s[0] < GUEST_W)
    ok, got = check_one_to_one(t, win, display, 'scaling-fullscreen-back')
    t.ok(ok, 'and the window is 1:1 again (console %r)' % (got,))

    # The choice outlives the app.
    t.stop_app()
    t.ok(setting(t, 'console-scaling') == "'fullscreen'",
         'the scaling choice is still in GSettings after the app quit (%s)'
         % setting(t, 'console-scaling'))
    server.send('quit')


vireoui.run(main)
