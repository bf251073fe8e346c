#!/usr/bin/python3
# Harness for Vireo's UI tests: a private Xvfb and D-Bus session per test
# file, the built app with private settings, dogtail over AT-SPI, TAP out.
#
# A test file does:
#     import vireoui
#     def main(t):
#         app = t.start_app('--connect', t.host_uri)
#         ...t.ok(cond, 'what')...
#     vireoui.run(main)
#
# A broken display fails the test (never a skip).
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

SOURCE_ROOT = os.environ.get('VIREO_SOURCE_ROOT',
                             os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))
BUILD_ROOT = os.environ.get('VIREO_BUILD_ROOT', os.path.join(SOURCE_ROOT, 'build'))
VIREO = os.path.join(BUILD_ROOT, 'src', 'app', 'vireo')
SCHEMA_DIR = os.path.join(BUILD_ROOT, 'data')
SCREENSHOT_DIR = os.path.join(BUILD_ROOT, 'tests', 'ui', 'screenshots')
HOST_XML = os.path.join(SOURCE_ROOT, 'tests', 'ui', 'hosts.xml')
INNER = 'VIREO_UI_TEST_INNER'


def _start_xvfb():
    """Starts Xvfb on a free display; returns (process, ':N')."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ['Xvfb', '-displayfd', str(write_fd), '-screen', '0', '1280x800x24',
         '-nolisten', 'tcp', '-noreset'],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    data = b''
    deadline = time.monotonic() + 20
    while not data.endswith(b'\n') and time.monotonic() < deadline:
        chunk = os.read(read_fd, 16)
        if not chunk:
            break
        data += chunk
    os.close(read_fd)
    if not data.strip():
        proc.kill()
        return None, None
    return proc, ':' + data.decode().strip()


def run(main):
    """Entry point of a test file."""
    if os.environ.get(INNER) != '1':
        sys.exit(_outer())
    sys.exit(_inner(main))


def _outer():
    """Stage 1: an X server, then this script again inside dbus-run-session."""
    xvfb, display = _start_xvfb()
    if xvfb is None:
        print('1..1')
        print('not ok 1 - Xvfb started and gave a display')
        return 1
    try:
        env = dict(os.environ)
        env[INNER] = '1'
        env['DISPLAY'] = display
        env.pop('WAYLAND_DISPLAY', None)
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        # dogtail checks this to believe accessibility is on; the app gets a
        # clean environment in start_app().
        env['GTK_MODULES'] = 'gail:atk-bridge'
        env['NO_AT_BRIDGE'] = '0'
        # Daemons that D-Bus starts write to the same stdout: keep TAP clean.
        proc = subprocess.Popen(['dbus-run-session', '--', sys.executable] + sys.argv, env=env,
                                stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            tap = line.startswith(('ok ', 'not ok ', '1..', '#', 'Bail out!'))
            (sys.stdout if tap else sys.stderr).write(line)
            (sys.stdout if tap else sys.stderr).flush()
        return proc.wait()
    finally:
        xvfb.terminate()
        try:
            xvfb.wait(5)
        except subprocess.TimeoutExpired:
            xvfb.kill()


class Tap:
    """TAP output plus what a test needs: the app, screenshots, waiting."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.tmp = tempfile.mkdtemp(prefix='vireo-ui-')
        self.procs = []
        self.host_uri = 'test://' + HOST_XML
        self.name = os.path.splitext(os.path.basename(sys.argv[0]))[0]

    # -- TAP --
    def ok(self, cond, what):
        self.n += 1
        print('%s %d - %s' % ('ok' if cond else 'not ok', self.n, what), flush=True)
        if not cond:
            self.failed += 1
            self.screenshot('failure-%d' % self.n)
        return cond

    def diag(self, text):
        for line in str(text).splitlines():
            print('# ' + line, flush=True)

    def require(self, cond, what):
        """Like ok(), but stops the test file when it fails."""
        if not self.ok(cond, what):
            raise Abort(what)

    # -- the app --
    def app_env(self):
        env = dict(os.environ)
        for key in ('GTK_MODULES', INNER, 'NO_AT_BRIDGE'):
            env.pop(key, None)
        home = os.path.join(self.tmp, 'home')
        run_dir = os.path.join(self.tmp, 'run')
        for d in (home, run_dir):
            os.makedirs(d, mode=0o700, exist_ok=True)
        env.update({
            'HOME': home,
            'XDG_CONFIG_HOME': os.path.join(home, '.config'),
            'XDG_CACHE_HOME': os.path.join(home, '.cache'),
            'XDG_DATA_HOME': os.path.join(home, '.local', 'share'),
            'XDG_RUNTIME_DIR': run_dir,
            'GSETTINGS_SCHEMA_DIR': SCHEMA_DIR,
            # Saved connections must survive a restart within a test.
            'GSETTINGS_BACKEND': 'keyfile',
            'GDK_BACKEND': 'x11',
            'GTK_THEME': 'Adwaita',
        })
        return env

    def start_app(self, *args):
        """Starts vireo and returns its dogtail node once its window shows."""
        log = open(os.path.join(self.tmp, 'vireo-%d.log' % len(self.procs)), 'w')
        proc = subprocess.Popen([VIREO] + list(args), env=self.app_env(),
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self.app_proc = proc
        shown = subprocess.run(['timeout', '30', 'xdotool', 'search', '--sync', '--onlyvisible',
                                '--pid', str(proc.pid)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL).returncode == 0
        self.require(shown, 'the main window of vireo %s is shown' % ' '.join(args))
        from dogtail import tree
        app = None
        deadline = time.monotonic() + 20
        while app is None and time.monotonic() < deadline:
            try:
                for candidate in tree.root.applications():
                    if candidate.name == 'vireo' and candidate.get_process_id() == proc.pid:
                        app = candidate
            except Exception:  # the registry is still starting
                pass
            if app is None:
                time.sleep(0.2)
        self.require(app is not None, 'vireo is on the accessibility bus')
        return app

    def stop_app(self, timeout=10):
        proc = self.app_proc
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def wait_exit(self, timeout=10):
        try:
            return self.app_proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def screenshot(self, label):
        os.makedirs(SCREENSHOT_DIR, exist_ok=True)
        path = os.path.join(SCREENSHOT_DIR, '%s-%s.png' % (self.name, label))
        subprocess.run(['import', '-window', 'root', path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return path

    def cleanup(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for name in sorted(os.listdir(self.tmp)):
            if name.endswith('.log'):
                with open(os.path.join(self.tmp, name), errors='replace') as f:
                    text = f.read().strip()
                if text:
                    self.diag('%s:\n%s' % (name, text[-3000:]))
        shutil.rmtree(self.tmp, ignore_errors=True)


class Abort(Exception):
    pass


def wait_for(predicate, timeout=10, interval=0.1):
    """Polls @predicate until it returns a true value or @timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:
            value = None
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def _display_works():
    return subprocess.run(['xdpyinfo'], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def _inner(main):
    """Stage 2: inside the private X and D-Bus session."""
    t = Tap()
    try:
        t.require(_display_works(), 'the X display %s answers' % os.environ.get('DISPLAY'))
        from dogtail.config import config
        config.searchCutoffCount = 40
        config.searchBackoffDuration = 0.25
        config.actionDelay = 0.3
        config.typingDelay = 0.02
        config.defaultDelay = 0.3
        config.logDebugToStdOut = False
        config.logDebugToFile = False
        main(t)
    except Abort:
        pass
    except Exception:
        t.ok(False, 'the test ran to its end without an exception')
        t.diag(traceback.format_exc())
    finally:
        t.cleanup()
    print('1..%d' % t.n, flush=True)
    return 1 if t.failed or t.n == 0 else 0


# ---- helpers on dogtail nodes ----

def find(node, name=None, role=None, timeout=10, showing=True):
    """The first descendant of @node with @name and @role, or None."""
    from dogtail.predicate import GenericPredicate

    def look():
        for n in node.findChildren(GenericPredicate(name=name, roleName=role), showingOnly=showing):
            return n
        return None
    return wait_for(look, timeout)


def table_rows(table):
    """The rows of a GtkTreeView's accessible table as lists of cell texts."""
    t = table.queryTable()
    rows = []
    for r in range(t.nRows):
        cells = []
        for c in range(t.nColumns):
            cell = t.getAccessibleAt(r, c)
            name = cell.name if cell is not None else ''
            if not name and cell is not None:
                # A column with several renderers is a container cell.
                name = ' '.join(filter(None, (cell.getChildAtIndex(i).name
                                              for i in range(cell.childCount))))
            cells.append(name)
        rows.append(cells)
    return rows


def row_of(table, name):
    """The cells of the row whose first column reads @name, or None."""
    for cells in table_rows(table):
        if cells and cells[0] == name:
            return cells
    return None


def first_cell(table, name):
    """(row index, first cell) of the row whose first column reads @name, or (-1, None)."""
    t = table.queryTable()
    for r in range(t.nRows):
        cell = t.getAccessibleAt(r, 0)
        if cell is None:
            continue
        text = cell.name or ' '.join(filter(None, (cell.getChildAtIndex(i).name
                                                   for i in range(cell.childCount))))
        if text == name:
            return r, cell
    return -1, None


def press(node):
    """Activates a button through AT-SPI rather than a synthesized mouse
    click, which a loaded machine or a window lying over it can lose."""
    node.doActionNamed('click')


def select_row(table, name):
    """Selects the row whose first column reads @name; returns True on success."""
    r, cell = first_cell(table, name)
    if cell is None:
        return False
    t = table.queryTable()
    return t.addRowSelection(r) or bool(table.querySelection().selectChild(t.getIndexAt(r, 0)))


def double_click_row(table, name):
    """Double-clicks the row whose first column reads @name, as a person would
    (the pointer moves there); returns True on success."""
    from dogtail import rawinput
    r, cell = first_cell(table, name)
    if cell is None:
        return False
    x, y = cell.queryComponent().getPosition(0)
    w, h = cell.queryComponent().getSize()
    rawinput.doubleClick(x + min(w // 2, 60), y + h // 2)
    return True
