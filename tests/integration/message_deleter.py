#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''A ModemManager client that deletes each received message DELAY_MS after
it is whole (State RECEIVED: at once for a message of one part), the way
Chatty stores a message and then deletes it from ModemManager
(src/mm/chatty-mm-account.c). Usage: message_deleter.py
MODEM_PATH DELAY_MS. Prints "ready" once it listens; logs each deletion
to stderr.'''

import sys

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

SMS = 'org.freedesktop.ModemManager1.Sms'
PROPERTIES = 'org.freedesktop.DBus.Properties'
RECEIVED = 3   # MMSmsState


def main():
    modem_path, delay_ms = sys.argv[1], int(sys.argv[2])
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    messaging = dbus.Interface(bus.get_object('org.freedesktop.ModemManager1', modem_path),
                               'org.freedesktop.ModemManager1.Modem.Messaging')

    def delete(path):
        messaging.Delete(path, reply_handler=lambda: print('deleted', path, file=sys.stderr, flush=True),
                         error_handler=lambda e: print('failed', path, e, file=sys.stderr, flush=True))
        return False

    def whole(path):
        GLib.timeout_add(delay_ms, delete, path)

    def state_changed(interface, changed, invalidated, path=None):
        if interface == SMS and changed.get('State') == RECEIVED:
            whole(path)

    def added(path, received):
        if not received:
            return
        if delay_ms == 0:   # as fast as a client can: without a look at it
            delete(path)
        elif bus.get_object('org.freedesktop.ModemManager1', path).Get(SMS, 'State',
                                                                       dbus_interface=PROPERTIES) == RECEIVED:
            whole(path)

    bus.add_signal_receiver(state_changed, signal_name='PropertiesChanged', dbus_interface=PROPERTIES,
                            bus_name='org.freedesktop.ModemManager1', path_keyword='path')

    bus.add_signal_receiver(added, signal_name='Added', dbus_interface='org.freedesktop.ModemManager1.Modem.Messaging',
                            bus_name='org.freedesktop.ModemManager1')
    # A round trip, so the match rule is in place before the test goes on.
    bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus').GetId(dbus_interface='org.freedesktop.DBus')
    print('ready', flush=True)
    GLib.MainLoop().run()


if __name__ == '__main__':
    main()
