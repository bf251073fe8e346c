#!/usr/bin/python3
# The add-connection dialog: the URI it generates for each choice (SSH
# included), bad input, adding a test-driver host, and that the connection
# and its autoconnect flag are saved and reopened on the next start.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vireoui  # noqa: E402
from vireoui import find, row_of, wait_for  # noqa: E402


def choose(t, app, combo, item):
    combo.click()
    entry = find(app, item, 'menu item')
    t.require(entry is not None, 'the hypervisor list offers %s' % item)
    entry.click()


def main(t):
    app = t.start_app()
    table = find(app, 'Virtual machines', 'tree table')
    t.require(table is not None, 'the main window shows an empty list')
    t.ok(wait_for(lambda: (row_of(table, 'Vireo') or [None] * 3)[2] == 'vireo:///session')
         and table.queryTable().nRows == 1,
         "at first, the one saved connection is Vireo's own hypervisor, vireo:///session")

    find(app, 'Add Connection', 'push button').click()
    dialog = find(app, 'Add Connection', 'dialog')
    t.require(dialog is not None, 'the + button opens the Add Connection dialog')
    uri = find(dialog, 'Generated URI', 'label')
    t.ok(uri.text == 'qemu:///system', 'QEMU/KVM system is the default (%r)' % uri.text)

    combo = find(dialog, 'Hypervisor', 'combo box')
    choose(t, app, combo, 'QEMU/KVM (user session)')
    t.ok(wait_for(lambda: uri.text == 'qemu:///session'), 'user session: %r' % uri.text)

    choose(t, app, combo, 'QEMU/KVM (system)')
    find(dialog, 'Connect to a remote host over SSH', 'check box').click()
    connect = find(dialog, 'Connect', 'push button')
    problem = find(dialog, 'Problem', 'label')
    t.ok(wait_for(lambda: not connect.sensitive),
         'with SSH and no host, Connect is disabled')
    t.ok('host' in problem.text, 'and the dialog asks for the host (%r)' % problem.text)
    find(dialog, 'User name', 'text').text = 'alice'
    find(dialog, 'Host name', 'text').text = 'server.example:2222'
    t.ok(wait_for(lambda: uri.text == 'qemu+ssh://alice@server.example:2222/system'),
         'SSH URI shown live: %r' % uri.text)
    find(dialog, 'Host name', 'text').text = 'bad host/name'
    t.ok(wait_for(lambda: not connect.sensitive and 'cannot contain' in problem.text),
         'a host name with a space or slash is refused with a reason (%r)' % problem.text)
    t.screenshot('add-connection-ssh')

    choose(t, app, combo, 'Custom URI')
    custom = find(dialog, 'Custom URI', 'text')
    t.require(custom is not None, 'Custom URI shows a URI field')
    custom.text = 'nonsense'
    t.ok(wait_for(lambda: not connect.sensitive and problem.text != ''),
         'a text that is no URI is refused with a reason (%r)' % problem.text)
    bad_uri = 'qemu+ssh://[bad/system'
    custom.text = bad_uri
    t.ok(wait_for(lambda: connect.sensitive), 'a URI-shaped text enables Connect')
    connect.click()
    t.ok(wait_for(lambda: bad_uri in problem.text),
         'a URI libvireo rejects keeps the dialog open with its reason (%r)' % problem.text)
    t.ok(custom.text == bad_uri, 'and what was typed is kept')

    custom.text = t.host_uri
    autoconnect = find(dialog, 'Connect when Vireo starts', 'check box')
    t.ok(autoconnect.checked, 'autoconnect is on by default')
    connect.click()
    t.ok(wait_for(lambda: find(app, 'Add Connection', 'dialog', timeout=0.3) is None),
         'Connect closes the dialog')
    t.ok(wait_for(lambda: row_of(table, 'charlie-off'), timeout=15),
         'the new connection opens and lists its VMs')
    t.screenshot('connection-added')

    find(app, 'Main Menu', 'toggle button').click()
    find(app, 'Quit', 'push button').click()
    t.ok(t.wait_exit() == 0, 'Quit in the main menu quits')

    app = t.start_app()
    table = find(app, 'Virtual machines', 'tree table')
    t.ok(wait_for(lambda: row_of(table, 'alpha-running'), timeout=15),
         'after a restart the saved connection opens by itself with its VMs')
    conn = row_of(table, 'Test')
    t.ok(conn is not None and conn[2] == t.host_uri, 'its row shows the URI (%r)' % conn)


vireoui.run(main)
