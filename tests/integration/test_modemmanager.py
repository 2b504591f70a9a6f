#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''callwitnessd against a ModemManager mock, on PulseAudio or PipeWire
(CW_AUDIO): how calls come and go. Audio, files and catalog are checked
with opus-tools, sox and sqlite.'''

import hashlib
import json
import os
import signal
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import decode, opus_tags, wait_for  # noqa: E402
from phonecase import (ACTIVE, CALL_IFACE, MODEM, REASON_ACCEPTED, REASON_UNKNOWN, TERMINATED,  # noqa: E402
                       VOICE_IFACE, PhoneTestCase)


class ModemManagerCalls(PhoneTestCase):

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
        self.assertEqual(tags_in_file.get('CALLWITNESS_CAPTURE_MODE'), 'separate')
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


    def test_catalog_verifies_and_tampering_is_named(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai')
        row = self.answered_call(talk_s=2.0)
        phone.stop_daemon()
        result = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r'audit log \(\d+ entries\) and every recording match')
        with phone.catalog() as db:
            kinds = [r[0] for r in db.execute('SELECT kind FROM audit_log WHERE call_id = ? ORDER BY seq',
                                              (row['id'],))]
        self.assertEqual(sorted(kinds), ['call', 'clock', 'policy-tag', 'recording'])

        path = os.path.join(phone.data_dir, row['path'])
        with open(path, 'r+b') as f:       # one flipped byte in the audio
            f.seek(os.path.getsize(path) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
        result = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"call {row['id']}: {row['path']} was altered", result.stdout)
        self.assertIn('1 problem found.', result.stdout)

        db = sqlite3.connect(os.path.join(phone.data_dir, 'catalog.db'))
        db.execute('PRAGMA foreign_keys = OFF')
        db.execute('DELETE FROM calls WHERE id = ?', (row['id'],))
        db.commit()
        db.close()
        result = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"call {row['id']}: in the audit log, but its catalog row is gone", result.stdout)

    def test_catalog_tampering_found_in_review_is_named(self):
        # What a review did to a catalog that verify --catalog called
        # clean: one call's recording row and file deleted; another call's
        # end erased, its number changed, its file overwritten and its
        # SHA-256 erased.
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai')
        phone.play_tones()
        rows = []
        for index, number in enumerate(('+8613800138000', '+8613900139000')):
            call = phone.mm_call('AddIncomingCall', MODEM, number)
            phone.wait_call(index, lambda c: c['number'] == number, f'call {number}')
            phone.mm_object(call, CALL_IFACE).Accept()
            time.sleep(1)
            phone.mm_object(call, CALL_IFACE).Hangup()
            rows.append(phone.wait_call(index, lambda c: c['sha256'], f'recording {number}'))
        phone.stop_tones()
        phone.stop_daemon()
        first, second = rows
        os.unlink(os.path.join(phone.data_dir, first['path']))
        with open(os.path.join(phone.data_dir, second['path']), 'wb') as f:
            f.write(b'OggS overwritten')
        db = sqlite3.connect(os.path.join(phone.data_dir, 'catalog.db'))
        db.execute('DELETE FROM recordings WHERE call_id = ?', (first['id'],))
        db.execute("UPDATE calls SET ended_at_ms = NULL, ended_offset_s = NULL, number = '+10000000000' WHERE id = ?",
                   (second['id'],))
        db.execute('UPDATE recordings SET sha256 = NULL WHERE call_id = ?', (second['id'],))
        db.commit()
        db.close()
        result = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn(f"call {first['id']}: the audit log records its recording {first['path']}, but the catalog's "
                      'recording row is gone', result.stdout)
        self.assertIn(f"call {first['id']}: {first['path']}: the recording is missing", result.stdout)
        self.assertIn(f"call {second['id']}: ended according to the audit log, but the catalog says it is in "
                      'progress', result.stdout)
        self.assertIn(f"call {second['id']}: {second['path']} is finished according to the audit log, but the "
                      'catalog lost its SHA-256', result.stdout)
        self.assertIn(f"call {second['id']}: {second['path']} was altered", result.stdout)
        self.assertIn(f"call {second['id']}: number in the catalog ('+10000000000') differs from the audit log "
                      "('+8613900139000')", result.stdout)

    def test_afternoon_call_not_tagged(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 14:00:00', tz='Asia/Shanghai')
        row = self.answered_call(talk_s=2.0)
        self.check_recording(row, 2.0)
        with phone.catalog() as db:
            self.assertEqual(db.execute('SELECT count(*) FROM tags').fetchone()[0], 0)
        self.assertEqual(json.loads(phone.cli('list', '--json').stdout)[0]['tags'], [])
        self.assertEqual(json.loads(phone.cli('list', '--tagged', '--json').stdout), [])
        phone.stop_daemon()

    def test_missed_call_leaves_row_and_no_file(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-25 06:10:00', tz='Asia/Shanghai')
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613900139000')
        phone.wait_call(0, lambda c: c['number'] == '+8613900139000', 'the ringing call')
        time.sleep(1)
        # The caller gives up: ModemManager reports RINGING_IN -> TERMINATED.
        phone.mm_call('SetCallState', call, TERMINATED, REASON_UNKNOWN)
        row = phone.wait_call(0, lambda c: c['ended_at_ms'], 'the call to end')
        self.assertIsNone(row['answered_at_ms'])
        self.assertIsNone(row['path'])
        listed = json.loads(phone.cli('list', '--json').stdout)[0]
        self.assertEqual(listed['outcome'], 'missed')
        self.assertIsNone(listed['answered_at'])
        self.assertIsNone(listed['file'])
        self.assertEqual(listed['duration_ms'], 0)
        self.assertEqual([t['tag'] for t in listed['tags']], ['night'], '06:10 is in the quiet hours')
        self.assertIn('06:10', listed['tags'][0]['reason'])
        recordings = os.path.join(phone.data_dir, 'recordings')
        self.assertFalse(os.path.exists(recordings) and any(files for _, _, files in os.walk(recordings)))
        self.assertIn('missed', phone.cli('list').stdout)
        phone.stop_daemon()

    def test_outgoing_call_recorded(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 10:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        voice = phone.mm_object(MODEM, VOICE_IFACE)
        call = voice.CreateCall({'number': '10086'})
        phone.mm_object(call, CALL_IFACE).Start()
        phone.wait_call(0, lambda c: c['direction'] == 'outgoing', 'the outgoing call')
        phone.mm_call('SetCallState', call, 2, 0)   # RINGING_OUT
        time.sleep(1)
        phone.mm_call('SetCallState', call, ACTIVE, REASON_ACCEPTED)
        time.sleep(2.5)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(0, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        self.check_recording(row, 2.5)
        self.assertRegex(row['path'], r'_out_10086\.opus$')
        self.assertEqual(json.loads(phone.cli('list', '--json').stdout)[0]['outcome'], 'answered')
        phone.stop_daemon()

    def test_held_then_resumed_keeps_one_file(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        call = self.ring_and_answer(ring_s=0.5)
        time.sleep(1.5)
        phone.mm_call('SetCallState', call, 5, 0)   # HELD
        time.sleep(1)
        phone.mm_call('SetCallState', call, ACTIVE, 0)
        time.sleep(1.5)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(0, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        self.check_recording(row, 4.0)
        with phone.catalog() as db:
            states = [r[0] for r in db.execute('SELECT state FROM call_states WHERE call_id = ? ORDER BY id',
                                               (row['id'],))]
        self.assertEqual(states, ['ringing', 'active', 'held', 'active', 'ended'])
        files = [f for _, _, fs in os.walk(os.path.join(phone.data_dir, 'recordings')) for f in fs]
        self.assertEqual(len(files), 1)
        phone.stop_daemon()

    def test_modemmanager_starts_after_daemon_and_vanishes_mid_call(self):
        phone = self.phone
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.wait_log('org.freedesktop.ModemManager1 is not running')
        phone.start_modemmanager()
        phone.wait_log('has voice support')
        call = self.ring_and_answer(ring_s=0.5)
        time.sleep(2)
        phone.stop_modemmanager()
        row = phone.wait_call(0, lambda c: c['sha256'], 'the recording finished when ModemManager left')
        phone.stop_tones()
        self.assertEqual(row['end_reason'], 'modem-gone')
        self.check_recording(row, 2.0)
        # ModemManager back: calls are recorded again.
        phone.start_modemmanager()
        phone.wait_log('has voice support')
        phone.mm_call('AddIncomingCall', MODEM, '+8613700137000')
        phone.wait_call(1, lambda c: c['number'] == '+8613700137000', 'a call after the restart')
        phone.stop_daemon()

    def test_call_in_progress_when_daemon_starts_is_recorded_from_then(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.play_tones()
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613800138000')
        phone.mm_object(call, CALL_IFACE).Accept()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        row = phone.wait_call(0, lambda c: c['answered_at_ms'], 'the active call found at start')
        time.sleep(2.5)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(0, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        self.assertEqual(row['number'], '+8613800138000')
        self.check_recording(row, 2.5)
        phone.stop_daemon()

    def test_daemon_stopped_mid_call_leaves_a_playable_file(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        call = self.ring_and_answer(ring_s=0.5)
        time.sleep(2.5)
        phone.daemon.kill()   # SIGKILL: no chance to finish anything
        phone.daemon.wait(10)
        row = phone.calls()[0]
        path = os.path.join(phone.data_dir, row['path'])
        self.assertGreater(decode(path, os.path.join(phone.dir, 'killed.wav')), 1.0,
                           'at least the pages flushed before the kill play')
        # The next start, eight hours later, closes the orphaned call where
        # its audio on disk ends, says so, and hashes its file.
        phone.start_daemon(local_time='2026-11-24 20:00:00', tz='Asia/Shanghai')
        row = phone.wait_call(0, lambda c: c['sha256'], 'the orphan closed at start')
        self.assertEqual(row['end_reason'], 'daemon-stopped')
        on_disk_s = decode(path, os.path.join(phone.dir, 'orphan.wav'))
        self.assertAlmostEqual((row['ended_at_ms'] - row['answered_at_ms']) / 1000, on_disk_s, delta=0.1)
        with phone.catalog() as db:
            warning = db.execute("SELECT message FROM call_warnings WHERE kind = 'daemon-stopped'").fetchone()
        self.assertIn('it is ended at the last audio that reached the disk (2026-11-24T12:00:0', warning[0])
        with open(path, 'rb') as f:
            self.assertEqual(row['sha256'], hashlib.sha256(f.read()).hexdigest())
        phone.stop_tones()
        phone.stop_daemon()
        # The sealed orphan is in the audit log like any finished recording.
        result = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def missed_call(self, index, number):
        call = self.phone.mm_call('AddIncomingCall', MODEM, number)
        self.phone.wait_call(index, lambda c: c['number'] == number, f'call {number}')
        self.phone.mm_call('SetCallState', call, TERMINATED, REASON_UNKNOWN)
        return self.phone.wait_call(index, lambda c: c['ended_at_ms'], f'call {number} to end')

    def test_bad_config_is_named_and_reload_applies_a_good_one(self):
        phone = self.phone
        phone.write_config('[tagging]\nnight = 21:00-25:00\n')
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:30:00', tz='Asia/Shanghai')
        self.assertIn('callwitness.conf:2: [tagging] night', phone.daemon_log())
        self.assertNotIn('Configuration from', phone.daemon_log())
        phone.wait_log('has voice support')
        # The defaults stay in force: 12:30 is not night.
        self.missed_call(0, '111')

        phone.write_config('[tagging]\nnight = 12:00-14:00\n')
        phone.daemon.send_signal(signal.SIGHUP)
        wait_for(lambda: 'Configuration from' in phone.daemon_log(), 10, 'the reload')
        self.missed_call(1, '222')

        listed = json.loads(phone.cli('list', '--json').stdout)
        self.assertEqual([t['tag'] for t in listed[1]['tags']], ['night'])
        self.assertIn('12:00\u201314:00', listed[1]['tags'][0]['reason'])
        # The reload judged the earlier call again by the new hours, and
        # the audit log says when and why its tag appeared.
        self.assertEqual([t['tag'] for t in listed[0]['tags']], ['night'])
        with phone.catalog() as db:
            because = [json.loads(b)['because'] for b, in db.execute(
                "SELECT body FROM audit_log WHERE kind = 'policy-tag' AND call_id = ?", (listed[0]['id'],))]
        self.assertEqual(because, ['the configuration was reloaded'])

        # A broken file on reload: named, and the last good one stays.
        phone.write_config('[audio]\nbitrate = loud\n')
        phone.daemon.send_signal(signal.SIGHUP)
        phone.wait_log("callwitness.conf:2: [audio] bitrate: 'loud'")
        self.missed_call(2, '333')
        self.assertEqual([t['tag'] for t in json.loads(phone.cli('list', '--json').stdout)[2]['tags']], ['night'])

        # A mistyped profile on reload: the whole previous configuration
        # stays (the night window of 12:00-14:00 with it), not the rest of
        # the new file without its profile. Backends change only at a start.
        phone.write_config('[device]\nprofile = pinephone-typo\n[modem]\nbackends = ofono\n')
        phone.daemon.send_signal(signal.SIGHUP)
        phone.wait_log('pinephone-typo')
        self.assertRegex(phone.daemon_log(), r'No device profile \(.*pinephone-typo.*\); keeping the previous configuration')
        self.missed_call(3, '444')
        self.assertEqual([t['tag'] for t in json.loads(phone.cli('list', '--json').stdout)[3]['tags']], ['night'])
        phone.write_config('[tagging]\nnight = 12:00-14:00\n[modem]\nbackends = ofono\n')
        phone.daemon.send_signal(signal.SIGHUP)
        phone.wait_log('[modem] backends changed: this takes effect when callwitnessd starts again')
        self.missed_call(4, '555')
        phone.stop_daemon()

    # ModemManager as it really behaves (seen on ModemManager 1.20): calls
    # arrive already RINGING_IN, the number may come later through
    # PropertiesChanged or never (withheld), a remote hang-up is ACTIVE ->
    # TERMINATED with reason UNKNOWN, and GNOME Calls deletes ended calls at
    # once.

    def test_withheld_number_is_stored_as_withheld(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 23:50:00', tz='Asia/Shanghai')
        phone.wait_log('has voice support')
        call = phone.mm_call('AddIncomingCall', MODEM, '')
        phone.wait_call(0, lambda c: True, 'the ringing call')
        time.sleep(0.5)
        phone.mm_call('SetCallState', call, TERMINATED, REASON_UNKNOWN)
        row = phone.wait_call(0, lambda c: c['ended_at_ms'], 'the call to end')
        self.assertEqual(row['number'], 'withheld')
        listed = json.loads(phone.cli('list', '--json').stdout)[0]
        self.assertEqual((listed['number'], listed['outcome']), ('withheld', 'missed'))
        self.assertEqual([t['tag'] for t in listed['tags']], ['night'])
        phone.stop_daemon()

    def test_number_arriving_late_names_the_file(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        call = phone.mm_call('AddIncomingCall', MODEM, '')
        phone.wait_call(0, lambda c: True, 'the ringing call')
        time.sleep(0.3)
        phone.mm_call('SetCallNumber', call, '+8613500135000')   # +CLIP after RING
        phone.wait_call(0, lambda c: c['number'] == '+8613500135000', 'the late number')
        phone.mm_object(call, CALL_IFACE).Accept()
        time.sleep(2)
        # The other party hangs up: ACTIVE -> TERMINATED, reason UNKNOWN, and
        # the client deletes the call at once (as GNOME Calls does).
        phone.mm_call('SetCallState', call, TERMINATED, REASON_UNKNOWN)
        phone.mm_object(MODEM, VOICE_IFACE).DeleteCall(call)
        row = phone.wait_call(0, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        self.assertEqual(row['number'], '+8613500135000')
        self.assertRegex(row['path'], r'_in_\+8613500135000\.opus$')
        self.assertEqual(row['end_reason'], 'unknown')
        self.check_recording(row, 2.0)
        self.assertEqual(json.loads(phone.cli('list', '--json').stdout)[0]['outcome'], 'answered')
        phone.stop_daemon()

    def test_call_deleted_while_ringing_is_a_missed_call(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613800138000')
        phone.wait_call(0, lambda c: c['number'], 'the ringing call')
        phone.mm_object(MODEM, VOICE_IFACE).DeleteCall(call)
        row = phone.wait_call(0, lambda c: c['ended_at_ms'], 'the call to end')
        self.assertIsNone(row['path'])
        self.assertEqual(json.loads(phone.cli('list', '--json').stdout)[0]['outcome'], 'missed')
        phone.stop_daemon()

if __name__ == '__main__':
    unittest.main(verbosity=2)
