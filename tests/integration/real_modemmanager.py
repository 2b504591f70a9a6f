# SPDX-License-Identifier: GPL-3.0-or-later
'''Debian's ModemManager daemon, in its test mode, on a simulated phone's
"system" bus, with a fake AT modem (at_modem.py) as its only modem. What
callwitnessd sees is what it would see on a phone: ModemManager's own
objects, signals and timing, driven by AT traffic.'''

import os
import signal
import subprocess

import dbus

from at_modem import FakeATModem
from harness import wait_for

MM_NAME = 'org.freedesktop.ModemManager1'
MM_PATH = '/org/freedesktop/ModemManager1'
MODEM_IFACE = MM_NAME + '.Modem'
VOICE_IFACE = MM_NAME + '.Modem.Voice'
CALL_IFACE = MM_NAME + '.Call'
MESSAGING_IFACE = MM_NAME + '.Modem.Messaging'
TEST_IFACE = MM_NAME + '.Test'
PROPS_IFACE = 'org.freedesktop.DBus.Properties'

# MMModemState, MMCallState (ModemManager-enums.h)
MODEM_DISABLED, MODEM_ENABLED = 3, 6
CALL_RINGING_IN, CALL_ACTIVE, CALL_WAITING, CALL_TERMINATED = 3, 4, 6, 7


class RealModemManager:
    '''ModemManager with one enabled voice modem. The modem's network side
    is self.at; the user's side (what GNOME Calls would do) goes through
    ModemManager's D-Bus API, as on a phone.'''

    def __init__(self, phone, messaging=None, stored=(), network_time=None):
        '''messaging: 'pdu' or 'text' makes the modem an SMS modem too
        (at_modem.py); stored: messages (sender, text) already on its SIM
        when ModemManager first reads it; network_time: what its clock
        (+CCLK?) says, which gives the modem ModemManager's Modem.Time.'''
        self.phone = phone
        self.bus = phone.system_bus
        self.at = FakeATModem(os.path.join(phone.dir, 'at-modem'), messaging, network_time)
        for sender, text in stored:
            self.at.deliver_sms(sender, text, announce=False)
        self.process = None
        self.starts = 0
        self.modems_added = 0
        self.modem_path = None
        try:
            self.start()
        except BaseException:
            self.close()
            raise

    # --- the daemon ---------------------------------------------------------

    def start(self):
        '''Starts ModemManager and brings the modem up to ENABLED.'''
        self.starts += 1
        # --test-session puts ModemManager on the session bus; here that is
        # the bus callwitnessd uses as its system bus.
        env = dict(self.phone.env, DBUS_SESSION_BUS_ADDRESS=self.phone.env['DBUS_SYSTEM_BUS_ADDRESS'])
        self.process = self.phone._spawn(f'ModemManager-{self.starts}',
                                         ['ModemManager', '--test-session', '--test-enable', '--no-auto-scan',
                                          '--test-no-udev', '--debug'], env=env)
        wait_for(lambda: self.bus.name_has_owner(MM_NAME) or self.process.poll() is not None, 20,
                 'ModemManager on the bus')
        if self.process.poll() is not None:
            raise AssertionError(f'ModemManager exited with {self.process.returncode}')
        self.add_modem()

    def ensure_ready(self):
        '''Running with an enabled modem, whatever a test before left.'''
        self.at.hang(False)
        if self.process is None or self.process.poll() is not None or not self.bus.name_has_owner(MM_NAME):
            if self.process is not None:
                self.phone._stop(self.process)
            self.start()
        elif self.modem_path is None:
            self.add_modem()

    def stop(self):
        self.phone._stop(self.process)
        wait_for(lambda: not self.bus.name_has_owner(MM_NAME), 10, 'ModemManager to leave the bus')
        self.modem_path = None

    def add_modem(self):
        '''Plugs the fake modem in: ModemManager probes it with the generic
        plugin; then it is enabled, as a phone's call app does.'''
        self.modems_added += 1
        manager = self.bus.get_object(MM_NAME, MM_PATH)
        manager.SetProfile(f'callwitness-{self.modems_added}', 'generic', [self.at.path],
                           dbus_interface=TEST_IFACE)
        objects = dbus.Interface(manager, 'org.freedesktop.DBus.ObjectManager')
        self.modem_path = str(wait_for(lambda: next(iter(objects.GetManagedObjects()), None), 30,
                                       'ModemManager to create the modem'))
        wait_for(lambda: self.modem_property('State') >= MODEM_DISABLED, 30, 'the modem to be probed')
        self.modem().Enable(True, timeout=60)
        wait_for(lambda: self.modem_property('State') >= MODEM_ENABLED, 30, 'the modem to be enabled')

    def wedge_modem(self):
        '''The modem's firmware stops answering; ModemManager gives up on a
        modem after ten AT commands in a row time out, and drops it. Its
        own polls come every 30 s, so the test sends the commands (with a
        1 s timeout, through the debug-mode Command method) to get there
        in seconds.'''
        self.at.hang()
        objects = dbus.Interface(self.bus.get_object(MM_NAME, MM_PATH), 'org.freedesktop.DBus.ObjectManager')
        for _ in range(20):
            if not objects.GetManagedObjects():
                break
            try:
                self.modem().Command('AT+CSQ', dbus.UInt32(1), timeout=10)
            except dbus.DBusException:
                pass
        wait_for(lambda: not objects.GetManagedObjects(), 10, 'ModemManager to drop the wedged modem')
        self.modem_path = None
        self.at.hang(False)

    def close(self):
        if self.process:
            self.phone._stop(self.process)
        self.at.close()

    # --- the user's side, through ModemManager -----------------------------

    def modem(self, interface=MODEM_IFACE):
        return dbus.Interface(self.bus.get_object(MM_NAME, self.modem_path), interface)

    def modem_property(self, name):
        return self.modem(PROPS_IFACE).Get(MODEM_IFACE, name)

    def voice(self):
        return self.modem(VOICE_IFACE)

    def call(self, path):
        return dbus.Interface(self.bus.get_object(MM_NAME, path), CALL_IFACE)

    def call_property(self, path, name):
        return dbus.Interface(self.bus.get_object(MM_NAME, path), PROPS_IFACE).Get(CALL_IFACE, name)

    def wait_call(self, number, states, what):
        '''The path of ModemManager's call object for number, once in one of states.'''
        def find():
            for path in self.voice().ListCalls():
                if self.call_property(path, 'Number') == number and self.call_property(path, 'State') in states:
                    return path
            return None
        return wait_for(find, 20, what)

    def wait_call_state(self, path, state, what):
        wait_for(lambda: self.call_property(path, 'State') == state, 20, what)

    def dial(self, number):
        '''An outgoing call, as a dialer places it: CreateCall, then Start (ATD).'''
        path = self.voice().CreateCall({'number': number})
        self.call(path).Start()
        return path

    def clear_calls(self):
        '''No call left on the network or in ModemManager, which never
        deletes ended calls itself.'''
        self.at.hang(False)
        if self.at.call_states():
            self.at.remote_hangs_up()
        if self.modem_path is None:
            return
        voice = self.voice()
        wait_for(lambda: all(self.call_property(p, 'State') == CALL_TERMINATED for p in voice.ListCalls()), 20,
                 'every call to end')
        for path in voice.ListCalls():
            voice.DeleteCall(path)

    # --- faults -------------------------------------------------------------

    def kill(self):
        '''ModemManager crashes.'''
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.stop()


class Deleter:
    '''A client of ModemManager that deletes what it is told to, in a
    separate process with its own main loop, so that it races callwitnessd
    as a real client would.'''

    def __init__(self, phone, name, script, *args):
        self.phone, self.name = phone, name
        self.process = phone._spawn(name, ['/usr/bin/python3', os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                            script), *args],
                                    stdout=subprocess.PIPE)
        if self.process.stdout.readline().strip() != b'ready':
            raise AssertionError(f'{name} did not start')

    def deleted(self):
        with open(os.path.join(self.phone.dir, self.name + '.log')) as f:
            return [line.split()[-1] for line in f if line.startswith('deleted ')]

    def close(self):
        self.phone._stop(self.process)


class CallDeleter(Deleter):
    '''Deletes every call the moment it ends, as GNOME Calls does.'''

    def __init__(self, phone, modem_path):
        super().__init__(phone, 'call-deleter', 'call_deleter.py', modem_path)


class MessageDeleter(Deleter):
    '''Deletes every received message delay_ms after it appears, as Chatty
    does once it has stored it.'''

    def __init__(self, phone, modem_path, delay_ms):
        super().__init__(phone, 'message-deleter', 'message_deleter.py', modem_path, str(delay_ms))
