#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''Faults a recording must survive or name: forged and malformed D-Bus
signals, a sink that goes away mid-call, call waiting. One simulated phone
for the whole module; each test starts its own ModemManager mock and
daemon on a fresh catalog.'''

import os
import sys
import time
import unittest

import dbus
import dbus.lowlevel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Phone, check_recording, wait_for  # noqa: E402
from phonecase import AUDIO, CALL_IFACE, MODEM  # noqa: E402

MM_NAME = 'org.freedesktop.ModemManager1'
MM_PATH = '/org/freedesktop/ModemManager1'
MOCK_IFACE = 'org.freedesktop.DBus.Mock'


def send_signal(bus, path, interface, member, signature, args, destination=None):
    message = dbus.lowlevel.SignalMessage(path, interface, member)
    if destination:
        message.set_destination(destination)
    message.append(*args, signature=signature)
    bus.send_message(message)
    bus.flush()


class Faults(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.phone = Phone(AUDIO)

    @classmethod
    def tearDownClass(cls):
        cls.phone.close()

    def setUp(self):
        self.addCleanup(self.reset_phone)

    def reset_phone(self):
        phone = self.phone
        phone.stop_tones()
        if phone.daemon:
            phone.stop_daemon()
        if getattr(phone, 'mm', None) and phone.mm.poll() is None:
            phone.stop_modemmanager()
        phone.forget_data()

    def daemon_bus_name(self):
        '''The daemon's unique name on the phone's system bus.'''
        bus = self.phone.system_bus
        proxy = dbus.Interface(bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus'),
                               'org.freedesktop.DBus')

        def find():
            for name in proxy.ListNames():
                if name.startswith(':') and proxy.GetConnectionUnixProcessID(name) == self.phone.daemon.pid:
                    return str(name)
            return None
        return wait_for(find, 15, "the daemon's bus name")

    def answer(self, number):
        '''An incoming call from number, answered. Returns its modem path
        and its index among the catalog's calls.'''
        phone = self.phone
        index = len(phone.calls())
        call = phone.mm_call('AddIncomingCall', MODEM, number)
        phone.wait_call(index, lambda c: c['number'] == number, f'call {number} in the catalog')
        time.sleep(0.5)
        phone.mm_object(call, CALL_IFACE).Accept()
        phone.wait_call(index, lambda c: c['answered_at_ms'], f'call {number} answered')
        return call, index

    def test_forged_and_malformed_signals_change_nothing(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        call, index = self.answer('+8613800138000')
        daemon = self.daemon_bus_name()
        mm_owner = phone.system_bus.get_name_owner(MM_NAME)

        # Another program on the system bus claims ModemManager left, then
        # that it owns the name, then announces a modem of the wrong shape,
        # each sent straight to the daemon (a unicast signal needs no match).
        forger = dbus.bus.BusConnection(phone.env['DBUS_SYSTEM_BUS_ADDRESS'])
        send_signal(forger, '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameOwnerChanged', 'sss',
                    [MM_NAME, mm_owner, ''], destination=daemon)
        send_signal(forger, '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameOwnerChanged', 'sss',
                    [MM_NAME, mm_owner, forger.get_unique_name()], destination=daemon)
        send_signal(forger, MM_PATH, 'org.freedesktop.DBus.ObjectManager', 'InterfacesAdded', 'oa{ia{sv}}',
                    [dbus.ObjectPath(MM_PATH + '/Modem/9'), {1: {'x': dbus.String('y', variant_level=1)}}],
                    destination=daemon)
        send_signal(forger, call, CALL_IFACE, 'StateChanged', 'iiu', [4, 7, 4], destination=daemon)

        # ModemManager itself (or whatever owns its name) sends every signal
        # the backend reads in a shape the interface files do not allow.
        main = phone.system_bus.get_object(MM_NAME, MM_PATH)
        modem = phone.system_bus.get_object(MM_NAME, MODEM)
        call_object = phone.system_bus.get_object(MM_NAME, call)
        empty_sv = dbus.Dictionary({}, signature='sv')
        no_strings = dbus.Array([], signature='s')
        emit = [
            (main, 'org.freedesktop.DBus.ObjectManager', 'InterfacesAdded', 'oa{ia{sv}}',
             [dbus.ObjectPath(MM_PATH + '/Modem/9'), dbus.Dictionary({1: empty_sv}, signature='ia{sv}')]),
            (main, 'org.freedesktop.DBus.ObjectManager', 'InterfacesAdded', 's', ['x']),
            (main, 'org.freedesktop.DBus.ObjectManager', 'InterfacesRemoved', 'oai', [dbus.ObjectPath(MODEM), [1]]),
            (main, 'org.freedesktop.DBus.ObjectManager', 'InterfacesRemoved', '', []),
            (modem, 'org.freedesktop.ModemManager1.Modem.Voice', 'CallAdded', 's', ['/x']),
            (modem, 'org.freedesktop.ModemManager1.Modem.Voice', 'CallDeleted', 's', [call]),
            (modem, 'org.freedesktop.ModemManager1.Modem.Voice', 'CallDeleted', 'i', [7]),
            (call_object, CALL_IFACE, 'StateChanged', 'sss', ['a', 'b', 'c']),
            (call_object, CALL_IFACE, 'StateChanged', 'ii', [4, 7]),
            (call_object, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}', [CALL_IFACE, empty_sv]),
            (call_object, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'si', [CALL_IFACE, 3]),
            (call_object, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{iv}as',
             [CALL_IFACE, dbus.Dictionary({1: dbus.String('x', variant_level=1)}, signature='iv'), no_strings]),
            (call_object, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}as',
             [CALL_IFACE, dbus.Dictionary({'Number': dbus.Int32(5, variant_level=1)}, signature='sv'), no_strings]),
        ]
        for obj, interface, member, signature, args in emit:
            obj.EmitSignal(interface, member, signature, args, dbus_interface=MOCK_IFACE)
        time.sleep(2)
        self.assertIsNone(phone.daemon.poll(), 'callwitnessd is still running')
        self.assertNotIn('ModemManager left the bus', phone.daemon_log())
        self.assertIsNone(phone.calls()[index]['ended_at_ms'], 'the call is still in progress')

        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the finished recording')
        self.assertEqual(row['end_reason'], 'hangup')
        self.assertEqual(row['number'], '+8613800138000')
        check_recording(self, phone, row, (row['ended_at_ms'] - row['answered_at_ms']) / 1000)

        # The real ModemManager still speaks for the modem: the next call
        # is recorded.
        call, index = self.answer('+8613900139000')
        time.sleep(1)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the second recording')
        self.assertEqual(row['end_reason'], 'hangup')
        forger.close()


if __name__ == '__main__':
    unittest.main(verbosity=2)
