#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''A ModemManager client that deletes each call as soon as it ends, the way
GNOME Calls does. Usage: call_deleter.py MODEM_PATH. Prints "ready" once
it listens; logs each deletion to stderr.'''

import sys

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

CALL_TERMINATED = 7


def main():
    modem_path = sys.argv[1]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    voice = dbus.Interface(bus.get_object('org.freedesktop.ModemManager1', modem_path),
                           'org.freedesktop.ModemManager1.Modem.Voice')

    def state_changed(old, new, reason, path=None):
        if new == CALL_TERMINATED:
            voice.DeleteCall(path, reply_handler=lambda: print('deleted', path, file=sys.stderr, flush=True),
                             error_handler=lambda e: print('failed', path, e, file=sys.stderr, flush=True))

    bus.add_signal_receiver(state_changed, signal_name='StateChanged',
                            dbus_interface='org.freedesktop.ModemManager1.Call',
                            bus_name='org.freedesktop.ModemManager1', path_keyword='path')
    # A round trip, so the match rule is in place before the test goes on.
    bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus').GetId(
        dbus_interface='org.freedesktop.DBus')
    print('ready', flush=True)
    GLib.MainLoop().run()


if __name__ == '__main__':
    main()
