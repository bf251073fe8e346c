#!/usr/bin/python3
# The main window: the VMs of a test-driver host with their states, search,
# and the lifecycle actions from the toolbar, the keyboard and the context
# menu, with and without confirmations (Preferences).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vireoui  # noqa: E402
from vireoui import find, press, row_of, select_row, wait_for  # noqa: E402


def state_of(table, name):
    cells = row_of(table, name)
    return cells[1] if cells else None


def wait_state(t, table, name, state, what):
    got = wait_for(lambda: state_of(table, name) == state, timeout=15)
    if not got:
        t.diag('%s is %r' % (name, state_of(table, name)))
    return t.ok(got, what)


def main(t):
    from dogtail import rawinput

    app = t.start_app('--connect', t.host_uri)
    table = find(app, 'Virtual machines', 'tree table')
    t.require(table is not None, 'the list of virtual machines is there')

    expected = {
        'alpha-running': ('Running', 'Alpha, running'),
        'bravo-paused': ('Paused', 'Bravo, paused'),
        'charlie-off': ('Shut off', 'Charlie, shut off'),
        'delta-doomed': ('Shut off', 'Delta, to be deleted'),
    }
    t.require(wait_for(lambda: row_of(table, 'delta-doomed')),
              'the VMs of the test host are listed')
    for name, (state, title) in sorted(expected.items()):
        cells = row_of(table, name)
        t.ok(cells is not None and cells[1] == state and cells[2] == title,
             '%s shows state %s and title %r (%r)' % (name, state, title, cells))
    conn = row_of(table, 'Test')
    t.ok(conn is not None and conn[1] == 'Connected', 'the connection row says Connected')
    t.screenshot('main-window')

    # Type-to-search selects the first VM whose name or title matches.
    details = find(app, 'Selection details', 'label')
    table.grabFocus()
    rawinput.typeText('doomed')
    t.ok(wait_for(lambda: details.text.startswith('delta-doomed:')),
         'typing "doomed" in the list selects delta-doomed (%r)' % details.text)
    rawinput.pressKey('Escape')

    # Run from the toolbar.
    t.require(select_row(table, 'charlie-off'), 'charlie-off can be selected')
    t.ok(wait_for(lambda: details.text.startswith('charlie-off:')),
         'the details strip names the selection')
    run = find(app, 'Run', 'push button')
    t.ok(run.sensitive, 'Run is enabled for a shut-off VM')
    t.ok(not find(app, 'Pause', 'push button').sensitive, 'Pause is disabled for a shut-off VM')
    press(run)
    wait_state(t, table, 'charlie-off', 'Running', 'Run starts charlie-off')

    # Shut down asks first (default setting), then the VM stops.
    press(find(app, 'Shut Down', 'push button'))
    alert = find(app, None, 'alert')
    t.ok(alert is not None and find(alert, 'Shut down “charlie-off”?', 'label') is not None,
         'Shut Down asks for confirmation, naming the VM')
    press(find(alert, 'Shut Down', 'push button'))
    wait_state(t, table, 'charlie-off', 'Shut off', 'after confirming, charlie-off shuts down')

    # Keyboard: Ctrl+R runs, Ctrl+P pauses (no confirmation by default),
    # Ctrl+Shift+P resumes.
    select_row(table, 'charlie-off')
    table.grabFocus()
    rawinput.keyCombo('<Control>r')
    wait_state(t, table, 'charlie-off', 'Running', 'Ctrl+R runs charlie-off')
    rawinput.keyCombo('<Control>p')
    wait_state(t, table, 'charlie-off', 'Paused', 'Ctrl+P pauses charlie-off')
    rawinput.keyCombo('<Control><Shift>p')
    wait_state(t, table, 'charlie-off', 'Running', 'Ctrl+Shift+P resumes charlie-off')

    # Context menu: Force Off, confirmed in the dialog.
    select_row(table, 'alpha-running')
    table.grabFocus()
    rawinput.keyCombo('<Shift>F10')
    item = find(app, 'Force Off', 'menu item')
    t.require(item is not None, 'Shift+F10 opens the context menu with Force Off')
    item.click()
    alert = find(app, None, 'alert')
    t.ok(alert is not None and find(alert, 'Force “alpha-running” off?', 'label') is not None,
         'Force Off asks for confirmation, naming the VM')
    press(find(alert, 'Force Off', 'push button'))
    wait_state(t, table, 'alpha-running', 'Shut off', 'after confirming, alpha-running is off')

    # Preferences: no more confirmation for Force Off.
    find(app, 'Main Menu', 'toggle button').click()
    press(find(app, 'Preferences', 'push button'))
    prefs = find(app, 'Preferences', 'dialog')
    t.require(prefs is not None, 'the main menu opens Preferences')
    check = find(prefs, 'Forcing a virtual machine off', 'check box')
    t.ok(check is not None and check.checked, 'Force Off is confirmed by default')
    check.click()
    t.ok(wait_for(lambda: not check.checked), 'the confirmation can be turned off')
    press(find(prefs, 'Close', 'push button'))
    t.ok(wait_for(lambda: find(app, 'Preferences', 'dialog', timeout=0.5) is None),
         'its Close button closes Preferences')

    select_row(table, 'charlie-off')
    press(find(app, 'Force Off', 'push button'))
    wait_state(t, table, 'charlie-off', 'Shut off',
               'with the confirmation off, Force Off stops charlie-off at once')
    t.ok(find(app, None, 'alert', timeout=1) is None, 'and no question was asked')

    # Bravo is paused: Resume is the enabled one.
    select_row(table, 'bravo-paused')
    t.ok(wait_for(lambda: find(app, 'Resume', 'push button').sensitive),
         'Resume is enabled for a paused VM')
    press(find(app, 'Resume', 'push button'))
    wait_state(t, table, 'bravo-paused', 'Running', 'Resume resumes bravo-paused')
    t.screenshot('after-actions')

    # Quit from the keyboard.
    rawinput.keyCombo('<Control>q')
    t.ok(t.wait_exit() == 0, 'Ctrl+Q quits with status 0')


vireoui.run(main)
