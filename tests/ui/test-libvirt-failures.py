#!/usr/bin/python3
# Bad input and failures through the window (run by tests/libvirt/harness.py:
# a real libvirtd, an sshd on loopback): an address libvirt cannot use, a
# host that refuses, an SSH key the host refuses, a VM that cannot start,
# the daemon killed under an open connection.  Each says what happened and
# what to do (in the connection's row, and whole in the error bar), the
# window goes on working (a VM of another host runs and pauses), and
# nothing is lost (connections stay saved, the VM stays defined, and once
# the daemon is back, Connect Again shows its VMs again).
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vireoui  # noqa: E402
from vireoui import find, press, row_of, select_row, wait_for  # noqa: E402

ENV = os.environ.get
PREFIX = ENV('VIREO_TEST_NAME_PREFIX', 'vireo-test-')
TMP = ENV('VIREO_TEST_TMPDIR')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def connection_row(table, *needles):
    """The cells of the connection row whose reason contains all @needles."""
    for cells in vireoui.table_rows(table):
        if len(cells) > 2 and cells[1] == 'Disconnected' and all(n in cells[2] for n in needles):
            return cells
    return None


def saved_uris(t):
    """The connections the app saved (GSettings, its keyfile backend)."""
    out = subprocess.run(['gsettings', 'get', 'org.vireo.Vireo', 'connections'],
                         env=t.app_env(), capture_output=True, text=True).stdout
    return out


def error_bar(app):
    title = find(app, 'Error', 'label', timeout=1)
    detail = find(app, 'Error details', 'label', timeout=1)
    return (title.text if title else ''), (detail.text if detail else '')


def wait_error(t, app, title_part, *detail_parts, timeout=60):
    got = wait_for(lambda: (lambda b: b if title_part in b[0] and
                            all(p in b[1] for p in detail_parts) else None)(error_bar(app)),
                   timeout=timeout)
    bar = got or error_bar(app)
    t.diag('error bar: %s / %s' % bar)
    return got is not None, bar


def add_custom(t, app, uri):
    """Adds @uri in the Add Connection dialog as a custom URI, as a person would."""
    press(find(app, 'Add Connection', 'push button'))
    dialog = find(app, 'Add Connection', 'dialog')
    t.require(dialog is not None, 'the Add Connection dialog opens')
    find(dialog, 'Hypervisor', 'combo box').click()
    item = find(app, 'Custom URI', 'menu item')
    t.require(item is not None, 'it offers Custom URI')
    item.click()
    entry = find(dialog, 'Custom URI', 'text')
    t.require(entry is not None, 'Custom URI shows a URI field')
    entry.text = uri
    t.require(wait_for(lambda: find(dialog, 'Generated URI', 'label').text == uri),
              'the dialog takes %s' % uri)
    press(find(dialog, 'Connect', 'push button'))
    t.ok(wait_for(lambda: find(app, 'Add Connection', 'dialog', timeout=0.3) is None),
         'Connect closes the dialog')


def still_works(t, app, table, when):
    """A VM of the test host changes state from the toolbar."""
    cells = row_of(table, 'charlie-off')
    state = cells[1] if cells else None
    button, want = {'Shut off': ('Run', 'Running'), 'Running': ('Pause', 'Paused'),
                    'Paused': ('Resume', 'Running')}.get(state, ('Run', 'Running'))
    details = find(app, 'Selection details', 'label')
    select_row(table, 'charlie-off')  # False when it is selected already
    node = find(app, button, 'push button')
    ok = (details is not None and node is not None and
          wait_for(lambda: details.text.startswith('charlie-off:') and node.sensitive))
    if ok:
        press(node)
        ok = wait_for(lambda: (row_of(table, 'charlie-off') or [None] * 2)[1] == want,
                      timeout=20)
    t.ok(ok, 'after %s, the window still works: %s on charlie-off of the test host makes it %s'
         % (when, button, want))


def main(t):
    import libvirt

    t.require(ENV('VIREO_TEST_LIBVIRT_URI') and TMP and ENV('VIREO_TEST_LIBVIRTD_START'),
              'runs under tests/libvirt/harness.py')
    system_uri = ENV('VIREO_TEST_LIBVIRT_URI')
    conn = libvirt.open(system_uri)
    broken_name = PREFIX + 'ui-no-kernel'
    missing_kernel = os.path.join(TMP, 'no-such-vmlinuz')
    conn.defineXML(
        "<domain type='qemu'><name>%s</name><memory unit='MiB'>32</memory>"
        "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel></os>"
        "<features><acpi/><apic/></features><devices/></domain>" % (broken_name, missing_kernel))

    app = t.start_app('--connect', t.host_uri)
    table = find(app, 'Virtual machines', 'tree table')
    t.require(table is not None and wait_for(lambda: row_of(table, 'charlie-off'), timeout=20),
              'the window lists the VMs of the test host')

    wrong_key_uri = 'qemu+ssh://root@127.0.0.1:%s/system?keyfile=%s&command=%s&no_tty=1' % (
        ENV('VIREO_TEST_SSH_PORT'), ENV('VIREO_TEST_SSH_WRONG_KEY'),
        ENV('VIREO_TEST_SSH_COMMAND'))
    # (what, URI, what its row and the error bar's detail must say, screenshot)
    cases = [
        ('an address libvirt cannot use', 'qemu:///nonsense',
         ['qemu:///nonsense', 'Check it', 'qemu:///system'], 'invalid-uri'),
        # nothing listens on that libvirt TCP port
        ('a host that refuses', 'qemu+tcp://127.0.0.1:%d/system' % free_port(),
         ['Connection refused', 'libvirtd runs on it', 'connect again'], 'refused'),
        ('an SSH key the host refuses', wrong_key_uri,
         ['SSH could not log in', 'Permission denied', 'Check the user name and the key'],
         'ssh-auth'),
    ]
    for what, uri, says, shot in cases:
        add_custom(t, app, uri)
        row = wait_for(lambda: connection_row(table, *says), timeout=60)
        t.ok(row is not None, 'the row of %s says what happened and what to do (%r)'
             % (what, row))
        ok, bar = wait_error(t, app, 'Could not connect', *says)
        t.ok(ok, 'so does the error bar, whole (%r)' % (bar,))
        t.ok(find(app, 'Connect Again', 'push button') is not None,
             'and it offers to connect again')
        t.screenshot(shot)
        still_works(t, app, table, what)
        t.ok(wait_for(lambda: uri in saved_uris(t)),
             '%s stays in the saved connections (%s)' % (uri, saved_uris(t)))

    # The local daemon, from the dialog's default choice.
    press(find(app, 'Add Connection', 'push button'))
    dialog = find(app, 'Add Connection', 'dialog')
    t.require(dialog is not None and find(dialog, 'Generated URI', 'label').text == system_uri,
              'the dialog offers %s by default' % system_uri)
    press(find(dialog, 'Connect', 'push button'))
    t.require(wait_for(lambda: row_of(table, broken_name), timeout=60),
              'the local daemon connects and lists %s' % broken_name)

    # A VM that cannot start: its kernel is missing.
    t.require(select_row(table, broken_name), '%s can be selected' % broken_name)
    run = find(app, 'Run', 'push button')
    t.require(wait_for(lambda: run.sensitive), 'Run is enabled for it')
    press(run)
    ok, bar = wait_error(t, app, 'Could not start “%s”.' % broken_name, missing_kernel,
                         'missing', 'start it again')
    t.ok(ok, 'the error bar names the VM, the missing file and what to do (%r)' % (bar,))
    t.ok(find(app, 'Connect Again', 'push button', timeout=1) is None,
         'and offers no reconnection for it')
    t.screenshot('start-fails')
    t.ok((row_of(table, broken_name) or [None] * 2)[1] == 'Shut off',
         'the VM stays listed, shut off')
    try:
        kept = conn.lookupByName(broken_name).XMLDesc(0)
    except libvirt.libvirtError:
        kept = ''
    t.ok(missing_kernel in kept, 'and stays defined as it was')
    still_works(t, app, table, 'a VM that failed to start')

    # The daemon dies under the open connection.
    pid = int(open('/run/libvirtd.pid').read().strip())
    t.diag('killing libvirtd pid %d' % pid)
    os.kill(pid, 9)
    ok, bar = wait_error(t, app, 'The connection to QEMU/KVM was lost.', 'closed the connection',
                         'daemon stopped', 'Connect again')
    t.ok(ok, 'the error bar says the connection was lost, why and what to do (%r)' % (bar,))
    row = wait_for(lambda: connection_row(table, 'closed the connection'), timeout=10)
    t.ok(row is not None, 'the row says so too (%r)' % (row,))
    t.ok(row_of(table, broken_name) is None, 'the VMs it can no longer see are not shown')
    t.screenshot('daemon-died')
    still_works(t, app, table, 'the daemon died')
    t.ok(system_uri in saved_uris(t), 'the local connection stays saved')

    r = subprocess.run([ENV('VIREO_TEST_LIBVIRTD_START')], capture_output=True, text=True)
    t.require(r.returncode == 0, 'libvirtd runs again (pid %s)' % r.stdout.strip())
    again = find(app, 'Connect Again', 'push button')
    t.require(again is not None, 'the error bar offers Connect Again')
    press(again)
    t.ok(wait_for(lambda: row_of(table, broken_name), timeout=60),
         'Connect Again lists %s again: nothing was lost' % broken_name)
    t.ok(wait_for(lambda: find(app, 'Error', 'label', timeout=0.3) is None, timeout=10),
         'and the error bar goes away')
    t.screenshot('reconnected')
    t.stop_app()

    try:
        libvirt.open(system_uri).lookupByName(broken_name).undefine()
    except libvirt.libvirtError:
        pass  # the harness removes what is left


vireoui.run(main)
