#!/usr/bin/python3
# Hosts that refuse or never answer: their rows say so, and the window keeps
# answering (dialogs open, other connections work) meanwhile.
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vireoui  # noqa: E402
from vireoui import find, row_of, select_row, wait_for  # noqa: E402


def main(t):
    # A listener that accepts and never says a word: libvirt's handshake hangs.
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(('127.0.0.1', 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    refused_uri = 'qemu+tcp://127.0.0.1:1/system'
    silent_uri = 'qemu+tcp://127.0.0.1:%d/system' % port

    app = t.start_app('--connect', refused_uri, '--connect', silent_uri,
                      '--connect', t.host_uri)
    table = find(app, 'Virtual machines', 'tree table')
    t.require(table is not None, 'the window is up')

    def row_with_uri_or_state(state):
        for cells in vireoui.table_rows(table):
            if len(cells) > 1 and cells[1] == state:
                return cells
        return None

    refused = wait_for(lambda: row_with_uri_or_state('Disconnected'), timeout=20)
    t.ok(refused is not None and refused[2] not in ('', refused_uri),
         'the refused host shows Disconnected with the reason (%r)' % (refused,))
    if refused:
        t.diag('reason shown: %s' % refused[2])

    hanging = row_with_uri_or_state('Connecting…')
    t.ok(hanging is not None and hanging[2] == silent_uri,
         'the silent host shows Connecting… (%r)' % (hanging,))
    t.ok(wait_for(lambda: row_of(table, 'alpha-running'), timeout=15),
         'the test host beside them opens and lists its VMs')
    t.screenshot('dead-hosts')

    # The window answers while the silent host hangs.
    start = time.monotonic()
    find(app, 'Add Connection', 'push button').click()
    dialog = find(app, 'Add Connection', 'dialog')
    t.ok(dialog is not None, 'the Add Connection dialog opens while a host hangs')
    find(dialog, 'Cancel', 'push button').click()
    t.ok(wait_for(lambda: find(app, 'Add Connection', 'dialog', timeout=0.3) is None),
         'and closes again')
    select_row(table, 'charlie-off')
    find(app, 'Run', 'push button').click()
    t.ok(wait_for(lambda: row_of(table, 'charlie-off')[1] == 'Running', timeout=10),
         'a VM of the working host starts while the other host hangs')
    t.diag('dialog and action round trip: %.1f s' % (time.monotonic() - start))
    still = row_with_uri_or_state('Connecting…')
    t.ok(still is not None, 'the silent host is still shown as Connecting…')

    # Reconnecting the refused host from its context menu fails again, cleanly.
    details = find(app, 'Selection details', 'label')
    for r, cells in enumerate(vireoui.table_rows(table)):
        if cells[1] == 'Disconnected':
            table.queryTable().addRowSelection(r)
    t.ok(wait_for(lambda: refused_uri in details.text), 'the refused host can be selected')
    find(app, 'Virtual machines', 'tree table').grabFocus()
    from dogtail import rawinput
    rawinput.keyCombo('<Shift>F10')
    item = find(app, 'Connect', 'menu item')
    t.require(item is not None and item.sensitive, 'its context menu offers Connect')
    item.click()
    t.ok(wait_for(lambda: row_with_uri_or_state('Disconnected'), timeout=20),
         'connecting again ends Disconnected with the reason again')
    silent.close()


vireoui.run(main)
