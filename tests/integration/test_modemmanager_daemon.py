#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''callwitnessd against the real ModemManager daemon (Debian's, in test
mode) driving a fake AT modem: what ModemManager really sends for calls
that ring, are answered, missed, placed, hung up from either end, wait,
get deleted at once, and for a ModemManager that restarts or a modem that
goes away. One ModemManager and one modem serve the whole module; each
test starts callwitnessd on an empty catalog.'''

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Phone, check_recording  # noqa: E402
from real_modemmanager import (CALL_ACTIVE, CALL_RINGING_IN, CALL_TERMINATED, CALL_WAITING,  # noqa: E402
                               CallDeleter, RealModemManager)

AUDIO = os.environ.get('CW_AUDIO', 'pulseaudio')
CALLER = '+8613800138000'


class RealModemManagerCalls(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.phone = Phone(AUDIO)
        cls.addClassCleanup(cls.phone.close)
        cls.mm = RealModemManager(cls.phone)
        cls.addClassCleanup(cls.mm.close)

    def setUp(self):
        self.mm.ensure_ready()
        self.phone.forget_data()
        self.addCleanup(self._tidy)
        self.phone.start_daemon(local_time='2026-11-24 23:30:00', tz='Asia/Shanghai')
        self.phone.wait_log('has voice support')

    def _tidy(self):
        '''Whatever the test did, the next one starts on a quiet modem.'''
        self.phone.stop_tones()
        try:
            if self.phone.daemon:
                self.phone.stop_daemon()
        finally:
            self.mm.clear_calls()

    def states(self, call_id):
        with self.phone.catalog() as db:
            return [r[0] for r in db.execute('SELECT state FROM call_states WHERE call_id = ? ORDER BY id',
                                             (call_id,))]

    def incoming_answered(self, number=CALLER, talk_s=3.0):
        '''The network rings; the user answers through ModemManager. Returns
        ModemManager's call path once the call is active and talking.'''
        phone, mm = self.phone, self.mm
        phone.play_tones()
        mm.at.ring(number)
        path = mm.wait_call(number, (CALL_RINGING_IN,), 'the incoming call in ModemManager')
        phone.wait_call(0, lambda c: c['number'] == number, 'the ringing call in the catalog')
        time.sleep(1.0)
        mm.call(path).Accept()
        phone.wait_call(0, lambda c: c['answered_at_ms'], 'the answer in the catalog')
        time.sleep(talk_s)
        return path

    def finished(self, index=0):
        row = self.phone.wait_call(index, lambda c: c['sha256'], 'the finished recording', timeout=30)
        return row

    # --- the scenarios ------------------------------------------------------

    def test_incoming_answered_then_remote_hangup(self):
        path = self.incoming_answered(talk_s=3.0)
        self.mm.at.remote_hangs_up()      # NO CARRIER
        self.mm.wait_call_state(path, CALL_TERMINATED, 'ModemManager to end the call')
        row = self.finished()
        self.phone.stop_tones()
        check_recording(self, self.phone, row, 3.0)
        self.assertEqual((row['direction'], row['number'], row['backend']), ('incoming', CALLER, 'modemmanager'))
        # What ModemManager 1.20 reports for a remote hang-up: reason UNKNOWN.
        self.assertEqual(row['end_reason'], 'unknown')
        self.assertEqual(self.states(row['id']), ['ringing', 'active', 'ended'])
        listed = json.loads(self.phone.cli('list', '--json').stdout)[0]
        self.assertEqual(listed['outcome'], 'answered')
        self.assertEqual([t['tag'] for t in listed['tags']], ['night'])

    def test_incoming_answered_then_local_hangup(self):
        path = self.incoming_answered(talk_s=2.5)
        self.mm.call(path).Hangup()
        row = self.finished()
        self.phone.stop_tones()
        check_recording(self, self.phone, row, 2.5)
        self.assertEqual(row['end_reason'], 'hangup')
        self.assertIn('AT+CHUP', [c for _, c in self.mm.at.commands])

    def test_daemon_restarted_after_a_call_does_not_count_it_again(self):
        # ModemManager keeps the ended call object until a client deletes it.
        path = self.incoming_answered(talk_s=1.0)
        self.mm.at.remote_hangs_up()
        self.mm.wait_call_state(path, CALL_TERMINATED, 'ModemManager to end the call')
        self.finished()
        self.phone.stop_tones()
        self.phone.stop_daemon()
        self.assertIn(path, [str(p) for p in self.mm.voice().ListCalls()])
        self.phone.start_daemon(local_time='2026-11-24 23:50:00', tz='Asia/Shanghai')
        self.phone.wait_log('ended before callwitnessd saw it')
        self.assertEqual(len(self.phone.calls()), 1)

    def test_missed_call_rings_out(self):
        self.mm.at.ring(CALLER)
        path = self.mm.wait_call(CALLER, (CALL_RINGING_IN,), 'the incoming call in ModemManager')
        self.phone.wait_call(0, lambda c: c['number'] == CALLER, 'the ringing call in the catalog')
        time.sleep(1.5)
        self.mm.at.remote_hangs_up()      # the caller gives up
        self.mm.wait_call_state(path, CALL_TERMINATED, 'ModemManager to end the call')
        row = self.phone.wait_call(0, lambda c: c['ended_at_ms'], 'the call to end')
        self.assertIsNone(row['answered_at_ms'])
        self.assertIsNone(row['path'])
        self.assertEqual(self.states(row['id']), ['ringing', 'ended'])
        listed = json.loads(self.phone.cli('list', '--json').stdout)[0]
        self.assertEqual((listed['number'], listed['outcome']), (CALLER, 'missed'))
        recordings = [f for _, _, files in os.walk(self.phone.data_dir) for f in files if f.endswith('.opus')]
        self.assertEqual(recordings, [])

    def test_withheld_number(self):
        # +CLIP with an empty number and validity 1: ModemManager's Number is ''.
        self.mm.at.ring('')
        path = self.mm.wait_call('', (CALL_RINGING_IN,), 'the withheld call in ModemManager')
        self.phone.wait_call(0, lambda c: True, 'the ringing call in the catalog')
        self.mm.at.remote_hangs_up()
        self.mm.wait_call_state(path, CALL_TERMINATED, 'ModemManager to end the call')
        row = self.phone.wait_call(0, lambda c: c['ended_at_ms'], 'the call to end')
        self.assertEqual(row['number'], 'withheld')
        self.assertIn('withheld', self.phone.daemon_log())
        listed = json.loads(self.phone.cli('list', '--json').stdout)[0]
        self.assertEqual((listed['number'], listed['outcome']), ('withheld', 'missed'))

    def test_outgoing_answered_then_local_hangup(self):
        phone, mm = self.phone, self.mm
        phone.play_tones()
        number = '+8613912345678'
        path = mm.dial(number)
        phone.wait_call(0, lambda c: c['number'] == number, 'the dialled call in the catalog')
        time.sleep(1.0)
        mm.at.remote_answers()            # ModemManager sees it through +CLCC
        mm.wait_call_state(path, CALL_ACTIVE, 'ModemManager to see the answer')
        phone.wait_call(0, lambda c: c['answered_at_ms'], 'the answer in the catalog')
        time.sleep(3.0)
        mm.call(path).Hangup()
        row = self.finished()
        phone.stop_tones()
        # The answer is only known at the next +CLCC poll, so the active
        # period the catalog holds may start up to a poll late.
        check_recording(self, phone, row, 3.0)
        self.assertEqual((row['direction'], row['number']), ('outgoing', number))
        self.assertEqual(row['end_reason'], 'hangup')
        self.assertIn(f'ATD{number};', [c for _, c in mm.at.commands])
        self.assertRegex(row['path'], r'_out_\+8613912345678\.opus$')

    def test_call_waiting_hangup_and_accept(self):
        phone, mm = self.phone, self.mm
        first = self.incoming_answered(talk_s=2.0)
        second_number = '+8613700137000'
        mm.at.ring(second_number)          # +CCWA
        second = mm.wait_call(second_number, (CALL_WAITING,), 'the waiting call in ModemManager')
        phone.wait_call(1, lambda c: c['number'] == second_number, 'the waiting call in the catalog')
        time.sleep(1.0)
        mm.voice().HangupAndAccept()      # AT+CHLD=1
        mm.wait_call_state(first, CALL_TERMINATED, 'the first call to end')
        mm.wait_call_state(second, CALL_ACTIVE, 'the second call to become active')
        first_row = self.finished(0)
        phone.wait_call(1, lambda c: c['answered_at_ms'], 'the second call answered in the catalog')
        time.sleep(2.0)
        mm.at.remote_hangs_up()
        second_row = self.finished(1)
        phone.stop_tones()
        self.assertEqual(first_row['number'], CALLER)
        self.assertEqual(second_row['number'], second_number)
        self.assertNotEqual(first_row['path'], second_row['path'])
        check_recording(self, phone, first_row, 3.0)
        check_recording(self, phone, second_row, 2.0)
        self.assertEqual(self.states(second_row['id']), ['waiting', 'active', 'ended'])
        self.assertIn('AT+CHLD=1', [c for _, c in mm.at.commands])

    def test_client_deleting_ended_calls_at_once(self):
        deleter = CallDeleter(self.phone, self.mm.modem_path)
        self.addCleanup(deleter.close)
        path = self.incoming_answered(talk_s=2.5)
        self.mm.at.remote_hangs_up()
        row = self.finished()
        self.phone.stop_tones()
        self.assertEqual(deleter.deleted(), [path])
        self.assertEqual((row['direction'], row['number']), ('incoming', CALLER))
        self.assertEqual(row['end_reason'], 'unknown')
        check_recording(self, self.phone, row, 2.5)

    def test_modemmanager_restarted_mid_call(self):
        phone, mm = self.phone, self.mm
        self.incoming_answered(talk_s=2.0)
        mm.kill()
        row = self.finished()
        phone.stop_tones()
        self.assertEqual(row['end_reason'], 'modem-gone')
        check_recording(self, phone, row, 2.0)
        # The network dropped the call while nothing drove the modem.
        mm.at.remote_hangs_up()
        mm.start()
        phone.wait_log('has voice support')
        mm.at.ring('+8613600136000')
        phone.wait_call(1, lambda c: c['number'] == '+8613600136000', 'a call after the restart')

    def test_modem_dropped_mid_call(self):
        phone, mm = self.phone, self.mm
        self.incoming_answered(talk_s=2.0)
        answered = phone.calls()[0]['answered_at_ms']
        mm.wedge_modem()
        row = self.finished()
        phone.stop_tones()
        self.assertEqual(row['end_reason'], 'modem-gone')
        # The call lasts until ModemManager gives up on the modem.
        talked_s = (row['ended_at_ms'] - answered) / 1000
        self.assertGreater(talked_s, 4.0)
        check_recording(self, phone, row, talked_s)
        mm.at.remote_hangs_up()
        mm.add_modem()
        phone.wait_log('has voice support')
        mm.at.ring('+8613600136000')
        phone.wait_call(1, lambda c: c['number'] == '+8613600136000', 'a call on the modem brought back')


if __name__ == '__main__':
    unittest.main(verbosity=2)
