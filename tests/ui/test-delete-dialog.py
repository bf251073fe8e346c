#!/usr/bin/python3
# The delete dialog: it names the VM and what is lost, lists its disks, lets
# the user cancel, and deletes the VM from the list when confirmed.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vireoui  # noqa: E402
from vireoui import find, row_of, select_row, wait_for  # noqa: E402

DISK = '/var/lib/vireo-tests/delta-doomed.qcow2'


def open_dialog(t, app, table):
    select_row(table, 'delta-doomed')
    find(app, 'Delete', 'push button').click()
    return find(app, 'Delete Virtual Machine', 'dialog')


def main(t):
    app = t.start_app('--connect', t.host_uri)
    table = find(app, 'Virtual machines', 'tree table')
    t.require(table is not None and wait_for(lambda: row_of(table, 'delta-doomed')),
              'delta-doomed is listed')

    dialog = open_dialog(t, app, table)
    t.require(dialog is not None, 'Delete opens the delete dialog')
    question = find(dialog, 'Question', 'label')
    t.ok(question is not None and question.text == 'Delete “delta-doomed”?',
         'the dialog names the VM (%r)' % (question.text if question else None))
    loss = find(dialog, 'What is lost', 'label')
    t.ok(loss is not None and 'definition' in loss.text,
         'the dialog says what is lost (%r)' % (loss.text if loss else None))
    disks = find(dialog, 'Disks', 'label')
    t.ok(wait_for(lambda: DISK in disks.text),
         'the dialog lists the disk %s (%r)' % (DISK, disks.text))
    check = find(dialog, 'Also delete the disks listed below', 'check box')
    t.ok(check is not None and not check.checked, 'deleting the disks is not chosen by default')
    t.ok(wait_for(lambda: check.sensitive), 'but it can be chosen once the disks are known')
    t.screenshot('delete-dialog')

    find(dialog, 'Cancel', 'push button').click()
    t.ok(wait_for(lambda: find(app, 'Delete Virtual Machine', 'dialog', timeout=0.3) is None),
         'Cancel closes the dialog')
    t.ok(row_of(table, 'delta-doomed') is not None, 'and delta-doomed is still there')

    dialog = open_dialog(t, app, table)
    t.require(dialog is not None, 'Delete opens the dialog again')
    find(dialog, 'Delete', 'push button').click()
    t.ok(wait_for(lambda: row_of(table, 'delta-doomed') is None, timeout=15),
         'confirming deletes delta-doomed from the list')
    t.ok(row_of(table, 'charlie-off') is not None, 'the other VMs stay')
    error = find(app, 'Error', 'label', timeout=1)
    t.ok(error is None, 'no error is shown')


vireoui.run(main)
