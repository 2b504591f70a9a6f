#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''callwitnessd against python3-dbusmock's own "ofono" template, extended here
with incoming calls, state changes and DisconnectReason, on PulseAudio or
PipeWire (CW_AUDIO).'''

import json
import os
import sys
import time
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Phone, check_recording, opus_tags  # noqa: E402

AUDIO = os.environ.get('CW_AUDIO', 'pulseaudio')
MODEM = '/ril_0'
VCM = 'org.ofono.VoiceCallManager'
VOICECALL = 'org.ofono.VoiceCall'


class OfonoCalls(unittest.TestCase):

    def setUp(self):
        self.phone = Phone(AUDIO)
        self.addCleanup(self.phone.close)
        self.phone.write_config('[modem]\nbackends = ofono\n')
        self.phone.start_ofono()

    def incoming(self, name, line_identification):
        '''What oFono does on an incoming call: a VoiceCall object, then
        VoiceCallManager.CallAdded on the modem.'''
        path = f'{MODEM}/{name}'
        props = {
            'State': dbus.String('incoming', variant_level=1),
            'LineIdentification': dbus.String(line_identification, variant_level=1),
            'Name': dbus.String('', variant_level=1),
            'Multiparty': dbus.Boolean(False, variant_level=1),
            'RemoteHeld': dbus.Boolean(False, variant_level=1),
            'RemoteMultiparty': dbus.Boolean(False, variant_level=1),
            'Emergency': dbus.Boolean(False, variant_level=1),
        }
        self.phone.ofono_object('/').AddObject(path, VOICECALL, props, [])
        self.phone.ofono_object(MODEM).EmitSignal(VCM, 'CallAdded', 'oa{sv}', [dbus.ObjectPath(path), props])
        return path

    def set_state(self, path, state):
        self.phone.ofono_object(path).EmitSignal(VOICECALL, 'PropertyChanged', 'sv',
                                                 ['State', dbus.String(state, variant_level=1)])

    def remove(self, path, reason):
        '''Ends a call as oFono does; reason None: oFono knew none and sent
        no DisconnectReason.'''
        if reason:
            self.phone.ofono_object(path).EmitSignal(VOICECALL, 'DisconnectReason', 's', [reason])
        self.set_state(path, 'disconnected')
        self.phone.ofono_object(MODEM).EmitSignal(VCM, 'CallRemoved', 'o', [dbus.ObjectPath(path)])

    def test_incoming_night_call_recorded_and_tagged(self):
        phone = self.phone
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai')
        phone.wait_log('oFono modem /ril_0 has voice support')
        phone.play_tones()
        call = self.incoming('voicecall01', '+8613800138000')
        phone.wait_call(0, lambda c: c['number'] == '+8613800138000', 'the ringing call')
        time.sleep(1)
        self.set_state(call, 'active')
        # Signals of shapes oFono's API documents never: ignored, not read.
        empty = dbus.Dictionary({}, signature='iv')
        for path, interface, member, signature, args in [
                (call, VOICECALL, 'PropertyChanged', 'si', ['State', 7]),
                (call, VOICECALL, 'PropertyChanged', 'ss', ['State', 'disconnected']),
                (call, VOICECALL, 'DisconnectReason', 'i', [3]),
                (MODEM, VCM, 'CallAdded', 'o', [dbus.ObjectPath('/ril_0/voicecall09')]),
                (MODEM, VCM, 'CallAdded', 'oa{iv}', [dbus.ObjectPath('/ril_0/voicecall09'), empty]),
                (MODEM, VCM, 'CallRemoved', 's', [call]),
                (MODEM, 'org.ofono.Modem', 'PropertyChanged', 'ss', ['Interfaces', 'none']),
                ('/', 'org.ofono.Manager', 'ModemAdded', 'oa{iv}', [dbus.ObjectPath('/ril_9'), empty]),
                ('/', 'org.ofono.Manager', 'ModemRemoved', 's', [MODEM])]:
            phone.ofono_object(path).EmitSignal(interface, member, signature, args)
        time.sleep(3)
        self.assertIsNone(phone.calls()[0]['ended_at_ms'], 'malformed signals ended nothing')
        self.remove(call, 'remote')
        row = phone.wait_call(0, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()

        self.assertEqual(row['backend'], 'ofono')
        self.assertEqual(row['direction'], 'incoming')
        self.assertEqual(row['end_reason'], 'hangup')
        path = check_recording(self, phone, row, 3.0)
        tags, _ = opus_tags(path)
        self.assertEqual(tags.get('CALLWITNESS_BACKEND'), 'ofono')
        listed = json.loads(phone.cli('list', '--json').stdout)[0]
        self.assertEqual([t['tag'] for t in listed['tags']], ['night'])
        phone.stop_daemon()

    def test_withheld_missed_call_is_logged(self):
        phone = self.phone
        phone.start_daemon(local_time='2026-11-25 06:10:00', tz='Asia/Shanghai')
        phone.wait_log('oFono modem /ril_0 has voice support')
        call = self.incoming('voicecall01', 'withheld')
        phone.wait_call(0, lambda c: c['number'] == 'withheld', 'the withheld call')
        time.sleep(1)
        self.remove(call, 'remote')
        row = phone.wait_call(0, lambda c: c['ended_at_ms'], 'the call to end')
        self.assertIsNone(row['path'])
        listed = json.loads(phone.cli('list', '--json').stdout)[0]
        self.assertEqual(listed['outcome'], 'missed')
        self.assertEqual(listed['number'], 'withheld')
        self.assertEqual([t['tag'] for t in listed['tags']], ['night'])
        phone.stop_daemon()

    def test_outgoing_call_through_the_templates_dial(self):
        phone = self.phone
        phone.start_daemon(local_time='2026-11-24 15:00:00', tz='Asia/Shanghai')
        phone.wait_log('oFono modem /ril_0 has voice support')
        phone.play_tones()
        call = phone.ofono_object(MODEM, VCM).Dial('10086', 'default')
        phone.wait_call(0, lambda c: c['direction'] == 'outgoing', 'the dialing call')
        self.set_state(call, 'alerting')
        time.sleep(0.5)
        self.set_state(call, 'active')
        time.sleep(2)
        # Not the template's VoiceCall.Hangup: it emits CallRemoved from the
        # call object after taking that object off the bus, so the signal
        # never leaves. Real oFono: State "disconnected", then CallRemoved
        # from the modem.
        self.remove(call, 'local')
        row = phone.wait_call(0, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        self.assertRegex(row['path'], r'_out_10086\.opus$')
        self.assertEqual(row['number'], '10086')
        self.assertEqual(json.loads(phone.cli('list', '--json').stdout)[0]['tags'], [])
        self.assertEqual(row['end_reason'], 'hangup')

        # oFono sends DisconnectReason only when it knows one.
        call = self.incoming('voicecall02', '+8613800138000')
        phone.wait_call(1, lambda c: c['number'] == '+8613800138000', 'the second call')
        self.set_state(call, 'active')
        time.sleep(1)
        self.remove(call, None)
        row = phone.wait_call(1, lambda c: c['sha256'], 'the second recording')
        self.assertEqual(row['end_reason'], 'unknown')
        phone.stop_daemon()


    def test_a_text_message_is_kept(self):
        phone = self.phone
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai')
        phone.wait_log('oFono modem /ril_0 has voice support')
        # MessageManager.IncomingMessage(s message, a{sv} info) on the modem,
        # as oFono sends it (doc/messagemanager-api.txt).
        # SentTime: the network's stamp in its zone; LocalSentTime: the same
        # instant in the phone's (here set to UTC).
        info = {'Sender': dbus.String('+8613800138000', variant_level=1),
                'SentTime': dbus.String('2026-11-24T23:40:05+0800', variant_level=1),
                'LocalSentTime': dbus.String('2026-11-24T15:40:05+0000', variant_level=1)}
        phone.ofono_object(MODEM).EmitSignal('org.ofono.MessageManager', 'IncomingMessage', 'sa{sv}',
                                             ['We know where you live. 我们知道你住哪里', info])
        # A shape oFono never sends: not read.
        phone.ofono_object(MODEM).EmitSignal('org.ofono.MessageManager', 'IncomingMessage', 's', ['forged'])
        # The same text again: a second delivery, kept (oFono lists nothing
        # twice; each signal is a message).
        phone.ofono_object(MODEM).EmitSignal('org.ofono.MessageManager', 'IncomingMessage', 'sa{sv}',
                                             ['We know where you live. 我们知道你住哪里', info])
        row = phone.wait_call(1, lambda c: c['kind'] == 'message', 'both messages in the catalog')
        row = phone.calls()[0]
        self.assertEqual((row['number'], row['end_reason']), ('+8613800138000', 'received'))
        shown = json.loads(phone.cli('show', '1', '--json').stdout)
        self.assertEqual(shown['message']['text'], 'We know where you live. 我们知道你住哪里')
        self.assertEqual(shown['message']['sent_reported'], '2026-11-24T23:40:05+0800')   # the network's
        self.assertEqual(shown['message']['sent_at'], '2026-11-24T23:40:05+08:00')
        self.assertEqual([t['tag'] for t in shown['tags']], ['night'])
        time.sleep(0.5)
        self.assertEqual(len(phone.calls()), 2, 'the forged signal stored nothing')
        phone.cli('verify', '--catalog')
        phone.stop_daemon()

if __name__ == '__main__':
    unittest.main(verbosity=2)
