#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''callwitnessd against a ModemManager mock, on PulseAudio or PipeWire
(CW_AUDIO). Audio, files and catalog are checked with opus-tools, sox and
sqlite.'''

import hashlib
import json
import os
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Phone, decode, opus_tags, tone_levels, wait_for  # noqa: E402

AUDIO = os.environ.get('CW_AUDIO', 'pulseaudio')
MODEM = '/org/freedesktop/ModemManager1/Modem/0'
CALL_IFACE = 'org.freedesktop.ModemManager1.Call'
VOICE_IFACE = 'org.freedesktop.ModemManager1.Modem.Voice'
ACTIVE, TERMINATED = 4, 7
REASON_ACCEPTED, REASON_TERMINATED, REASON_UNKNOWN = 3, 4, 0


class ModemManagerCalls(unittest.TestCase):

    def setUp(self):
        self.phone = Phone(AUDIO)
        self.addCleanup(self.phone.close)

    def answered_call(self, number='+8613800138000', ring_s=1.5, talk_s=4.0):
        '''An incoming call that rings, is answered, talks, and is hung up.'''
        phone = self.phone
        phone.play_tones()
        call = phone.mm_call('AddIncomingCall', MODEM, number)
        phone.wait_call(0, lambda c: c['number'] == number, 'the ringing call in the catalog')
        time.sleep(ring_s)
        phone.mm_object(call, CALL_IFACE).Accept()
        phone.wait_call(0, lambda c: c['answered_at_ms'], 'answered_at')
        time.sleep(talk_s)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(0, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        return row

    def check_recording(self, row, talk_s):
        path = os.path.join(self.phone.data_dir, row['path'])
        wav = os.path.join(self.phone.dir, 'decoded.wav')
        active_s = (row['ended_at_ms'] - row['answered_at_ms']) / 1000
        self.assertAlmostEqual(active_s, talk_s, delta=1.0)

        file_s = decode(path, wav)
        self.assertLess(abs(file_s - active_s), 0.1,
                        f'file lasts {file_s:.3f} s, the call was active {active_s:.3f} s')
        left_local, left_remote = tone_levels(wav, 1)
        right_local, right_remote = tone_levels(wav, 2)
        self.assertGreater(left_local, 0.15, 'the left channel carries the local tone')
        self.assertLess(left_remote, left_local / 5, 'and not the remote one')
        self.assertGreater(right_remote, 0.2, 'the right channel carries the remote tone')
        self.assertLess(right_local, right_remote / 5, 'and not the local one')

        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(self.phone.data_dir).st_mode), 0o700)
        return path

    def test_night_call_recorded_both_sides_and_tagged(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai')
        row = self.answered_call(talk_s=4.0)
        path = self.check_recording(row, 4.0)

        self.assertEqual(row['direction'], 'incoming')
        self.assertEqual(row['backend'], 'modemmanager')
        self.assertEqual(row['started_offset_s'], 8 * 3600)
        self.assertRegex(row['path'], r'^recordings/2026/11/2026-11-24_23-40-0\d_in_\+8613800138000\.opus$')
        with phone.catalog() as db:
            tags = db.execute('SELECT tag, reason, origin FROM tags WHERE call_id = ?', (row['id'],)).fetchall()
            states = [r[0] for r in db.execute('SELECT state FROM call_states WHERE call_id = ? ORDER BY id',
                                               (row['id'],))]
        self.assertEqual(len(tags), 1)
        self.assertEqual(tags[0]['tag'], 'night')
        self.assertIn('23:40', tags[0]['reason'])
        self.assertIn('21:00\u201308:00', tags[0]['reason'])
        self.assertEqual(states, ['ringing', 'active', 'ended'])

        tags_in_file, info = opus_tags(path)
        self.assertEqual(tags_in_file.get('CALLWITNESS_DIRECTION'), 'incoming')
        self.assertEqual(tags_in_file.get('CALLWITNESS_NUMBER'), '+8613800138000')
        self.assertRegex(tags_in_file.get('CALLWITNESS_STARTED_AT', ''), r'^2026-11-24T23:40:0\d\+08:00$')
        self.assertIn('CALLWITNESS_ANSWERED_AT', tags_in_file)
        self.assertRegex(tags_in_file.get('CALLWITNESS_ENDED_AT', ''), r'^2026-11-24T23:40:\d\d\+08:00$')
        self.assertEqual(tags_in_file.get('CALLWITNESS_END_REASON'), 'hangup')
        self.assertTrue(tags_in_file.get('CALLWITNESS_TAG', '').startswith('night: started at 23:40'))
        self.assertIn('Channels: 2', info)

        with open(path, 'rb') as f:
            self.assertEqual(row['sha256'], hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(row['size'], os.path.getsize(path))

        listed = json.loads(phone.cli('list', '--json').stdout)
        self.assertEqual(len(listed), 1)
        call = listed[0]
        self.assertEqual(call['direction'], 'incoming')
        self.assertEqual(call['number'], '+8613800138000')
        self.assertRegex(call['started_at'], r'^2026-11-24T23:40:0\d\+08:00$')
        self.assertTrue(call['answered_at'].endswith('+08:00'))
        self.assertTrue(call['ended_at'].endswith('+08:00'))
        self.assertEqual(call['duration_ms'], row['ended_at_ms'] - row['answered_at_ms'])
        self.assertEqual(call['file'], row['path'])
        self.assertEqual(call['sha256'], row['sha256'])
        self.assertEqual([t['tag'] for t in call['tags']], ['night'])
        self.assertIn('23:40', call['tags'][0]['reason'])
        text = phone.cli('list').stdout
        self.assertRegex(text, r'2026-11-24 23:40:0\d\s+in\s+\+8613800138000\s+0:0[45]\s+\[night\]')
        self.assertEqual(len(json.loads(phone.cli('list', '--tagged', '--json').stdout)), 1)
        phone.stop_daemon()


if __name__ == '__main__':
    unittest.main(verbosity=2)
