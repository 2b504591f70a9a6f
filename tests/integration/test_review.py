#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''Reviewing recorded calls with the callwitness CLI: list filters, show,
notes, caller identity, manual tags, deletion, and the audit log that
records every change (checked by verify --catalog and by recomputing the
hashes here, with Python's hashlib).'''

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CLI, HERE, tone_levels  # noqa: E402
from phonecase import MODEM, REASON_UNKNOWN, TERMINATED, RecordedPhoneTestCase  # noqa: E402

NIGHT_CALLER = '+8613800138000'
DAY_CALLER = '+8613700137000'


COMPLETION = os.path.join(HERE, '..', '..', 'data', 'callwitness.bash-completion')


class Review(RecordedPhoneTestCase):

    def record_fixture(self):
        phone = self.phone
        phone.start_modemmanager()
        # Three calls, each with the daemon's clock set to when it came.
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai')
        self.answered_call(NIGHT_CALLER, talk_s=1.5)
        phone.stop_daemon()
        phone.start_daemon(local_time='2026-11-25 14:00:00', tz='Asia/Shanghai')
        phone.wait_log('has voice support')
        call = phone.mm_call('AddIncomingCall', MODEM, DAY_CALLER)
        phone.wait_call(1, lambda c: c['number'] == DAY_CALLER, 'the day call')
        time.sleep(0.5)
        phone.mm_object(call, 'org.freedesktop.ModemManager1.Call').Accept()
        time.sleep(1.5)
        phone.mm_object(call, 'org.freedesktop.ModemManager1.Call').Hangup()
        phone.wait_call(1, lambda c: c['sha256'], 'the day recording')
        phone.stop_daemon()
        phone.start_daemon(local_time='2026-11-25 06:10:00', tz='Asia/Shanghai')
        phone.wait_log('has voice support')
        call = phone.mm_call('AddIncomingCall', MODEM, NIGHT_CALLER)
        phone.wait_call(2, lambda c: c['number'] == NIGHT_CALLER, 'the missed call')
        phone.mm_call('SetCallState', call, TERMINATED, REASON_UNKNOWN)
        phone.wait_call(2, lambda c: c['ended_at_ms'], 'the missed call to end')
        phone.stop_daemon()

    def listed(self, *args):
        return [c['id'] for c in json.loads(self.phone.cli('list', '--json', *args).stdout)]

    def cli_fails(self, *args):
        result = self.phone.cli(*args, check=False)
        self.assertNotEqual(result.returncode, 0, f'{args} should fail: {result.stdout}')
        return result

    def test_list_filters(self):
        self.assertEqual(self.listed(), [1, 3, 2])          # oldest first
        self.assertEqual(self.listed('--tagged'), [1, 3])   # both at night
        self.assertEqual(self.listed('--tag', 'night'), [1, 3])
        self.assertEqual(self.listed('--number', DAY_CALLER), [2])
        self.assertEqual(self.listed('--since', '2026-11-25'), [3, 2])
        self.assertEqual(self.listed('--until', '2026-11-24'), [1])   # the whole of the 24th
        self.assertEqual(self.listed('--since', '2026-11-25 06:00', '--until', '2026-11-25 07:00'), [3])
        self.assertEqual(self.listed('--missed'), [3])
        self.assertEqual(self.listed('--limit', '2'), [3, 2])         # the newest two
        result = self.cli_fails('list', '--since', 'yesterday')
        self.assertIn("'yesterday' is not a date", result.stderr)

    def test_show_note_identify_tag_and_the_audit_log(self):
        phone = self.phone
        self.assertIn('Note added.', phone.cli('note', '1', 'He threatened to visit my parents').stdout)
        phone.cli('identify', '1', '--company', 'Quick Collect Ltd', '--employee-id', 'QC-0417', '--name', 'Mr Wang')
        phone.cli('tag', '2', 'threat', 'said he would come to my work')
        phone.cli('tag', '1', 'insult')
        phone.cli('untag', '1', 'insult')

        text = phone.cli('show', '1').stdout
        self.assertIn(f'Call 1: incoming from {NIGHT_CALLER}', text)
        self.assertRegex(text, r'2026-11-24 23:40:0\d UTC\+08:00  ringing')
        self.assertRegex(text, r'\d\d:\d\d:\d\d UTC\+08:00  ended \(hangup\)')
        self.assertIn('Tag:       night (policy): started at 23:40', text)
        self.assertIn('Caller:    company Quick Collect Ltd, employee id QC-0417, name Mr Wang', text)
        self.assertIn('Note:      He threatened to visit my parents', text)
        self.assertRegex(text, r'SHA-256:   [0-9a-f]{64}')
        self.assertNotIn('insult', text)

        shown = json.loads(phone.cli('show', '2', '--json').stdout)
        self.assertEqual(shown['tags'], [{'tag': 'threat', 'reason': 'said he would come to my work',
                                          'origin': 'manual'}])
        self.assertEqual([s['state'] for s in shown['timeline']], ['ringing', 'active', 'ended'])
        shown = json.loads(phone.cli('show', '1', '--json').stdout)
        self.assertEqual(shown['caller'], {'company': 'Quick Collect Ltd', 'employee_id': 'QC-0417',
                                           'name': 'Mr Wang'})
        self.assertEqual(shown['notes'][0]['text'], 'He threatened to visit my parents')
        kinds = [e['kind'] for e in shown['audit']]
        # The clock check comes when the network's time is answered: its
        # place among the first entries may vary.
        self.assertEqual(kinds.count('clock'), 1)
        self.assertEqual([k for k in kinds if k != 'clock'],
                         ['policy-tag', 'call', 'recording', 'note', 'identity', 'tag', 'untag'])
        # Each entry's hash is SHA-256 of the documented text; each links to the one before.
        for entry in shown['audit']:
            text = (f"callwitness-audit-v1\n{entry['seq']}\n{entry['at_ms']}\n{entry['offset_s']}\n{entry['kind']}\n"
                    f"{entry['call_id'] or ''}\n{entry['prev']}\n{entry['body']}")
            self.assertEqual(hashlib.sha256(text.encode()).hexdigest(), entry['hash'])
        identity = next(e for e in shown['audit'] if e['kind'] == 'identity')
        self.assertEqual(json.loads(identity['body'])['employee_id'], 'QC-0417')

        result = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_hostile_text_is_refused_or_kept_in_its_place(self):
        phone = self.phone
        fake_row = '2026-11-25 03:00:00  in   +8613900000000   0:42  [night]'
        refused = [
            ('note', '1', 'caf\udce9'),                                  # Latin-1 é, not UTF-8
            ('note', '1', 'see file \u202etxt.exe'),                     # right-to-left override
            ('note', '1', 'bell\x07'),
            ('identify', '1', '--company', 'Quick\nCollect'),
            ('identify', '1', '--name', 'Wang\u2066'),
            ('tag', '1', 'threat', 'line one\nline two'),
            ('tag', '1', 'threat', '\u5a01' * 400),                     # 1200 bytes: longer than a reason holds
        ]
        for args in refused:
            result = self.cli_fails(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertRegex(result.stderr, r'not valid UTF-8|control character|bidirectional|too long', args)
        shown = json.loads(phone.cli('show', '1', '--json').stdout)
        self.assertEqual((shown['notes'], shown.get('caller')), ([], None), 'nothing refused was stored')
        self.assertEqual(sorted(e['kind'] for e in shown['audit']), ['call', 'clock', 'policy-tag', 'recording'])

        # A note of several lines; a long Chinese reason (361 bytes, more
        # than the 255 that were cut mid-character before).
        phone.cli('note', '1', f'He said:\n{fake_row}\nwas his next call')
        reason = '\u50ac\u6536\u5458\u5a01\u80c1\u8bf4\u660e\u5929\u4e0a\u95e8' * 12 + '\u3002'
        self.assertEqual(len(reason.encode()), 363)
        phone.cli('tag', '1', 'threat', reason)

        text = phone.cli('show', '1').stdout
        self.assertIn(f'           | {fake_row}', text)
        self.assertNotIn(f'\n{fake_row}', text)
        self.assertEqual([t['reason'] for t in json.loads(phone.cli('show', '1', '--json').stdout)['tags']
                          if t['tag'] == 'threat'], [reason])
        listed = json.loads(phone.cli('list', '--json').stdout)
        self.assertIn(reason, [t['reason'] for t in listed[0]['tags']])

        bundle = os.path.join(phone.dir, 'hostile-bundle')
        phone.cli('export', '1', '-o', bundle)
        with open(os.path.join(bundle, 'manifest.json'), encoding='utf-8') as f:
            manifest = json.load(f)
        call = manifest['calls'][0]
        self.assertIn(reason, [t['reason'] for t in call['tags']])
        self.assertEqual(call['notes'][0]['text'], f'He said:\n{fake_row}\nwas his next call')
        with open(os.path.join(bundle, 'report.txt'), encoding='utf-8') as f:
            report = f.read()
        self.assertIn(reason, report)
        self.assertIn(f'       | {fake_row}', report)
        self.assertNotIn(f'\n{fake_row}', report, 'a line of a note cannot pass for a row')
        with open(os.path.join(bundle, 'report.html'), encoding='utf-8') as f:
            self.assertIn(reason, f.read())
        result = phone.cli('verify', bundle, check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_recover_rebuilds_a_lost_or_damaged_catalog(self):
        phone = self.phone
        before = {c['file']: c for c in json.loads(phone.cli('list', '--json').stdout) if c['file']}
        self.assertEqual(len(before), 2)
        result = phone.cli('recover', check=False)
        self.assertEqual(result.returncode, 1, 'a catalog that opens is left alone')
        self.assertIn('opens fine; nothing was changed', result.stderr)

        # Lost: the catalog is gone, the recordings are there.
        for suffix in ('', '-wal', '-shm'):
            path = os.path.join(phone.data_dir, 'catalog.db' + suffix)
            if os.path.exists(path):
                os.unlink(path)
        result = phone.cli('recover')
        self.assertIn('Rebuilt 2 call(s) from their recordings; 0 file(s) could not be used.', result.stdout)
        after = {c['file']: c for c in json.loads(phone.cli('list', '--json').stdout)}
        self.assertEqual(sorted(after), sorted(before))
        for path, call in before.items():
            rebuilt = after[path]
            for field in ('number', 'direction', 'started_at', 'answered_at', 'ended_at', 'end_reason', 'sha256',
                          'capture_mode'):
                self.assertEqual(rebuilt[field], call[field], f'{path}: {field}')
            self.assertEqual([t['tag'] for t in rebuilt['tags']], [t['tag'] for t in call['tags']])
            self.assertTrue(any(w.startswith('recovered: this call was rebuilt from its recording') for w in
                                rebuilt['warnings']), rebuilt['warnings'])
        result = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 0, result.stdout)
        with phone.catalog() as db:
            self.assertEqual(db.execute('SELECT kind FROM audit_log ORDER BY seq LIMIT 1').fetchone()[0], 'recover')

        # Damaged: kept aside byte for byte, never deleted.
        damaged = b'SQLite format 3\x00' + b'\xff' * 4000
        for suffix in ('-wal', '-shm'):
            path = os.path.join(phone.data_dir, 'catalog.db' + suffix)
            if os.path.exists(path):
                os.unlink(path)
        with open(os.path.join(phone.data_dir, 'catalog.db'), 'wb') as f:
            f.write(damaged)
        result = phone.cli('recover')
        aside = re.search(r'The old catalog was kept as (\S+)\.\n', result.stdout).group(1)
        with open(aside, 'rb') as f:
            self.assertEqual(f.read(), damaged)
        self.assertEqual(len(json.loads(phone.cli('list', '--json').stdout)), 2)

        # Never under a running daemon.
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-25 15:00:00', tz='Asia/Shanghai')
        result = phone.cli('recover', '--force', check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn('stop callwitnessd first', result.stderr)
        phone.stop_daemon()

    def test_play_sends_both_sides_to_the_sound_server(self):
        # What play sends to the default sink, recorded from its monitor:
        # the user's tone on the left, the caller's on the right.
        phone = self.phone
        heard = os.path.join(phone.dir, 'heard.wav')
        recorder = phone._spawn('parecord', ['parecord', '--device=call_sink.monitor', '--channels=2',
                                             '--file-format=wav', heard])
        time.sleep(0.5)
        result = phone.cli('play', '1')
        self.assertIn('Playing', result.stdout)
        time.sleep(0.3)
        phone._stop(recorder)
        local_left, remote_left = tone_levels(heard, 1)
        local_right, remote_right = tone_levels(heard, 2)
        self.assertGreater(local_left, 0.05, (local_left, remote_left))
        self.assertGreater(remote_right, 0.05, (local_right, remote_right))
        self.assertLess(remote_left, local_left / 3)
        self.assertLess(local_right, remote_right / 3)
        self.assertIn('has no recording', self.cli_fails('play', '3').stderr)
        self.assertIn('there is no call 9', self.cli_fails('play', '9').stderr)

    def test_the_media_commands_run_in_their_helper_and_say_so_when_it_is_missing(self):
        # export, verify, recover, doctor and play run in callwitness-media,
        # found beside callwitness (a build tree) or in libexecdir.
        phone = self.phone
        verified = phone.cli('verify', '--catalog')
        self.assertEqual(verified.returncode, 0, verified.stderr)
        installed = glob.glob('/usr/*/callwitness/callwitness-media') + glob.glob(
            '/usr/local/*/callwitness/callwitness-media')
        if installed:
            self.skipTest(f'callwitness is installed on this machine ({installed[0]}): a copy would find it')
        alone = os.path.join(phone.dir, 'alone')
        os.makedirs(alone)
        shutil.copy(CLI, alone)
        env = dict(phone.env, TZ='Asia/Shanghai')
        result = subprocess.run([os.path.join(alone, 'callwitness'), 'verify', '--catalog'], env=env,
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1, result)
        self.assertRegex(result.stderr, r'cannot run /\S*/libexec/callwitness/callwitness-media \(it does verify\)')
        shown = subprocess.run([os.path.join(alone, 'callwitness'), 'show', '1'], env=env, capture_output=True,
                               text=True, timeout=30)
        self.assertEqual(shown.returncode, 0, shown)     # the review commands need no helper
        self.assertIn(NIGHT_CALLER, shown.stdout)

    def complete(self, *words):
        '''What bash offers after `callwitness WORDS` (the last word being
        typed), from the completion meson installs.'''
        script = ('source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _callwitness; '
                  'printf "%s\\n" "${COMPREPLY[@]}"')
        result = subprocess.run(['bash', '-c', script, COMPLETION, CLI, *words], env=self.phone.env,
                                capture_output=True, text=True, timeout=30, check=True)
        return [line for line in result.stdout.splitlines() if line]

    def test_bash_completes_commands_options_and_call_ids(self):
        usage = self.phone.cli('--help').stdout
        commands = {m.group(1) for m in re.finditer(r'^  ([a-z][a-z-]+)', usage, re.MULTILINE)}
        self.assertGreater(len(commands), 15, usage)
        offered = set(self.complete(''))
        self.assertEqual(commands - offered, set(), 'every command in --help is completed')
        with open(os.path.join(HERE, '..', '..', 'doc', 'man', 'callwitness.1.scd')) as f:
            manual = f.read()
        self.assertEqual({c for c in commands if f'*{c}' not in manual}, set(), 'every command in callwitness(1)')
        self.assertEqual(self.complete('ex'), ['export'])
        ids = [str(c['id']) for c in self.phone.calls()]
        self.assertEqual(sorted(self.complete('show', ''), key=int), ids)
        self.assertEqual(self.complete('show', ids[-1]), [ids[-1]])
        self.assertIn('--tagged', self.complete('export', '--'))
        self.assertIn(ids[0], self.complete('export', ids[-1], ''))
        # The languages offered are those the CLI has a report in.
        refused = self.phone.cli('export', '1', '--lang', 'xx', '-o', '/nonexistent', check=False).stderr
        self.assertIn('there is: ' + ', '.join(self.complete('export', '--lang', '')), refused)
        self.assertEqual(self.complete('rule', 'add', '+8613800138000', 'n'), ['never-record'])
        self.assertEqual(self.complete('show', '1', '--'), ['--json'])

    def test_bad_input_is_refused_clearly(self):
        phone = self.phone
        self.assertIn('there is no call 99', self.cli_fails('show', '99').stderr)
        self.assertIn('there is no call 99', self.cli_fails('note', '99', 'x').stderr)
        self.assertIn("'abc' is not a call id", self.cli_fails('show', 'abc').stderr)
        self.assertIn('the note is empty', self.cli_fails('note', '1', '').stderr)
        self.assertIn("is not a tag", self.cli_fails('tag', '1', 'two words').stderr)
        self.assertIn("call 2 has no tag 'night'", self.cli_fails('untag', '2', 'night').stderr)
        self.assertEqual(self.cli_fails('identify', '1').returncode, 2)
        self.assertEqual(phone.cli('verify', '--catalog', check=False).returncode, 0)

    def test_delete_asks_refuses_evidence_and_is_logged(self):
        phone = self.phone
        day_file = os.path.join(phone.data_dir, phone.calls()[1]['path'])
        self.assertTrue(os.path.exists(day_file))

        # No answer at the prompt: nothing happens.
        result = phone.cli('delete', '2', check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn('Nothing deleted.', result.stdout)
        self.assertEqual(len(phone.calls()), 3)

        # Tagged calls are evidence.
        result = self.cli_fails('delete', '1', '--yes')
        self.assertIn('call 1 is tagged', result.stderr)

        self.assertIn('Deleted', phone.cli('delete', '2', input='y\n').stdout)
        self.assertEqual([c['id'] for c in phone.calls()], [1, 3])
        self.assertFalse(os.path.exists(day_file))

        self.assertIn('Deleted', phone.cli('delete', '1', '--yes', '--force').stdout)
        self.assertEqual([c['id'] for c in phone.calls()], [3])
        with phone.catalog() as db:
            deletes = [json.loads(r[0]) for r in db.execute(
                "SELECT body FROM audit_log WHERE kind = 'delete' ORDER BY seq")]
        self.assertEqual([d['forced'] for d in deletes], [False, True])
        self.assertEqual(deletes[1]['number'], NIGHT_CALLER)
        self.assertRegex(deletes[1]['sha256'], r'^[0-9a-f]{64}$')
        result = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 0, result.stdout)


if __name__ == '__main__':
    unittest.main(verbosity=2)
