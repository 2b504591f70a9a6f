#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''Evidence bundles from calls recorded through the whole stack, checked
with tools nobody here wrote (sha256sum -c, minisign -V, opusinfo, soxi,
python3 -m json.tool, Python's zipfile) and with callwitness verify; then
tampered with, one file at a time, and refused inputs.'''

import filecmp
import glob
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import sqlite3
import struct
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import png_rows, tone_levels, wait_for  # noqa: E402
from phonecase import MODEM, REASON_UNKNOWN, TERMINATED, RecordedPhoneTestCase  # noqa: E402

CALLER = '+8613800138000'
OUTPUT_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', 'output'))


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def run(*argv, cwd=None):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)


class Export(RecordedPhoneTestCase):

    def record_fixture(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai')
        self.answered_call(CALLER, talk_s=2.0)
        call = phone.mm_call('AddIncomingCall', MODEM, CALLER)
        phone.wait_call(1, lambda c: c['number'] == CALLER, 'the second call')
        time.sleep(0.3)
        phone.mm_call('SetCallState', call, TERMINATED, REASON_UNKNOWN)
        phone.wait_call(1, lambda c: c['ended_at_ms'], 'the missed call to end')
        phone.stop_daemon()
        phone.cli('note', '1', 'Said the whole family would hear about the debt')
        phone.cli('identify', '1', '--company', 'Quick Collect Ltd', '--employee-id', 'QC-0417')

    def setUp(self):
        super().setUp()
        self.key = self.phone.cli('key').stdout.strip()

    def export(self, *args):
        return self.phone.cli('export', *args, check=False)

    def verify(self, path):
        return self.phone.cli('verify', path, check=False)

    def test_folder_bundle_checks_with_outside_tools(self):
        phone = self.phone
        bundle = os.path.join(self.out, 'evidence')
        result = self.export('1', '2', '-o', bundle)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('Exported 2 calls', result.stdout)

        sums = run('sha256sum', '-c', 'SHA256SUMS', cwd=bundle)
        self.assertEqual(sums.returncode, 0, sums.stdout + sums.stderr)
        listed = sorted(line.split('  ', 1)[1] for line in read(os.path.join(bundle, 'SHA256SUMS')).splitlines())
        on_disk = sorted(os.path.relpath(os.path.join(d, f), bundle) for d, _, fs in os.walk(bundle) for f in fs
                         if f not in ('SHA256SUMS', 'SHA256SUMS.minisig'))
        self.assertEqual(listed, on_disk)
        signed = run('minisign', '-Vm', 'SHA256SUMS', '-P', self.key, cwd=bundle)
        self.assertEqual(signed.returncode, 0, signed.stdout + signed.stderr)
        self.assertEqual(run('python3', '-m', 'json.tool', 'manifest.json', cwd=bundle).returncode, 0)

        row = phone.calls()[0]
        original = os.path.join(phone.data_dir, row['path'])
        copy = os.path.join(bundle, 'recordings', os.path.basename(row['path']))
        self.assertTrue(filecmp.cmp(original, copy, shallow=False), 'the recording byte for byte')
        self.assertIn('Channels: 2', run('opusinfo', copy).stdout)
        # The playable copy: an MP3, both sides mixed into one channel.
        mp3 = copy[:-len('.opus')] + '.mp3'
        self.assertEqual(run('soxi', '-c', mp3).stdout.strip(), '1')
        self.assertAlmostEqual(float(run('soxi', '-D', mp3).stdout), row['file_duration_ms'] / 1000, delta=0.1)
        decoded = os.path.join(self.out, 'copy.wav')
        self.assertEqual(run('sox', mp3, decoded).returncode, 0)
        local, remote = tone_levels(decoded, 1)
        self.assertGreater(local, 0.1, "the phone's side in the MP3")
        self.assertGreater(remote, 0.1, "the other party's side in the MP3")

        manifest = json.loads(read(os.path.join(bundle, 'manifest.json')))
        self.assertEqual(manifest['format'], 'callwitness-evidence-1')
        self.assertEqual(manifest['device_public_key'], self.key)
        self.assertEqual(manifest['time_zone'], 'Asia/Shanghai')
        self.assertTrue(manifest['exported_at'].endswith('+00:00') or manifest['exported_at'].endswith('Z'))
        calls = {c['id']: c for c in manifest['calls']}
        self.assertEqual(set(calls), {1, 2})
        first = calls[1]
        self.assertRegex(first['started_at'], r'^2026-11-24T23:40:0\d\+08:00$')
        self.assertEqual(first['caller']['employee_id'], 'QC-0417')
        self.assertEqual(first['notes'][0]['text'], 'Said the whole family would hear about the debt')
        self.assertEqual(first['tags'][0]['tag'], 'night')
        self.assertEqual([f['role'] for f in first['files']], ['original', 'mp3-copy'])
        self.assertEqual(first['files'][0]['sha256'], row['sha256'])
        self.assertEqual(sorted(e['kind'] for e in first['audit'][:4]), ['call', 'clock', 'policy-tag', 'recording'])
        self.assertEqual(calls[2]['outcome'], 'missed')
        self.assertEqual(calls[2]['files'], [])
        self.assertEqual(manifest['summary']['calls'], 2)
        self.assertEqual(manifest['summary']['night_calls'], 2)
        self.assertEqual(manifest['summary']['numbers'], [{'number': CALLER, 'calls': 2, 'messages': 0, 'night': 2}])

        report = read(os.path.join(bundle, 'report.txt'))
        self.assertIn('Calls: 2. Numbers: 1. At night: 2.', report)
        self.assertIn('Quick Collect Ltd', report)
        html = read(os.path.join(bundle, 'report.html'))
        self.assertIn('<svg', html)
        self.assertIn('Quick Collect Ltd', html)

        result = self.verify(bundle)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn('every file and the manifest match, and the signature was made with the key the manifest '
                      f'names ({self.key})', result.stdout)
        self.assertIn('That key was not checked against one you trust', result.stdout)
        with_key = self.phone.cli('verify', bundle, '--key', self.key, check=False)
        self.assertEqual(with_key.returncode, 0)
        self.assertIn(f'the signature was made with the key you gave ({self.key})', with_key.stdout)

        # An exported call is evidence: delete refuses it without --force.
        refused = phone.cli('delete', '2', '--yes', check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn('exported evidence bundle', refused.stderr)
        with phone.catalog() as db:
            body = json.loads(db.execute("SELECT body FROM audit_log WHERE kind = 'export'").fetchone()[0])
        self.assertEqual(body['calls'], [1, 2])
        self.assertEqual(phone.cli('verify', '--catalog', check=False).returncode, 0)

    def check_night_cards_tinted_across(self, png):
        '''At phone width each call of the timeline is a card; a night
        call's is tinted across its whole width, its header lines too (they
        were tinted only as far as their text, a white block beside the
        number).'''
        tint = (0xfb, 0xea, 0xea)
        _, _, rows = png_rows(png)
        tinted = [(y, max(x for x, p in enumerate(row) if p == tint)) for y, row in enumerate(rows) if tint in row]
        self.assertGreater(len(tinted), 100, f'{png}: no night call card')
        right = max(x for _, x in tinted)
        short = [y for y, x in tinted if x < right - 4]
        self.assertEqual(short, [], f'{png}: tinted only part way across at y = {short[:5]}…')

    def test_report_in_each_language_renders_at_phone_width(self):
        # The report a person reads on a phone: rendered by headless Chromium
        # at 360 px in each shipped language; the PNGs stay in tests/output/
        # for a person to look at. Each language is asked for with --lang,
        # against a phone that speaks another (an English report for a US
        # regulator from a Spanish phone), or none (the C locale).
        os.makedirs(OUTPUT_DIR, exist_ok=True)
        expected = {'en': ('Record of phone calls', 'lang="en"', 'en', {'LANGUAGE': 'es', 'LC_ALL': 'es_ES.UTF-8'},
                           'Exported 2 calls'),
                    'es': ('Registro de llamadas telefónicas', 'lang="es"', 'es', {'LANG': 'C'}, 'Se exportaron 2'),
                    'zh_CN': ('通话记录', 'lang="zh-CN"', 'zh-CN', {'LANGUAGE': 'es'}, '已将 2 通电话导出到')}
        for language, (title, lang_attribute, option, phone_locale, said) in expected.items():
            bundle = os.path.join(self.out, 'bundle-' + language)
            result = self.phone.cli('export', '1', '2', '--lang', option, '-o', bundle, check=False, env=phone_locale)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn(said, result.stdout)
            html = read(os.path.join(bundle, 'report.html'))
            self.assertIn(title, html)
            self.assertIn(lang_attribute, html)
            self.assertIn(title, read(os.path.join(bundle, 'report.txt')))
            # Numbers are written alike in every language (a phone whose
            # locale writes 1,5 too): SVG takes no decimal comma.
            self.assertNotRegex(html, r'fill-opacity="\d,')
            self.assertNotRegex(html, r'\d,\d (kB|MB)')
            # Each recording named with its size and hash, and its copy
            # playable in the page from the unpacked folder.
            manifest = json.loads(read(os.path.join(bundle, 'manifest.json')))
            for f in manifest['calls'][0]['files']:
                self.assertIn(f'<a href="{f["name"]}">{f["name"]}</a>', html)
                self.assertIn(f'SHA-256 <code>{f["sha256"]}</code>', html)
                self.assertIn(f['name'], read(os.path.join(bundle, 'report.txt')))
                self.assertIn(f['sha256'], read(os.path.join(bundle, 'report.txt')))
            mp3 = next(f['name'] for f in manifest['calls'][0]['files'] if f['role'] == 'mp3-copy')
            self.assertIn(f'<audio controls preload="none" src="{mp3}"></audio>', html)
            self.assertTrue(os.path.exists(os.path.join(bundle, mp3)))

            png = os.path.join(OUTPUT_DIR, f'report-{language}-360.png')
            if os.path.exists(png):
                os.unlink(png)
            shot = subprocess.run(['chromium', '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
                                   f'--user-data-dir={self.phone.dir}/chromium-{language}',
                                   '--window-size=360,3600', f'--screenshot={png}',
                                   'file://' + os.path.join(bundle, 'report.html')],
                                  capture_output=True, text=True, timeout=120)
            self.assertTrue(os.path.exists(png), f'no screenshot for {language}: {shot.stderr[-2000:]}')
            with open(png, 'rb') as f:
                header = f.read(24)
            self.assertEqual(header[:8], b'\x89PNG\r\n\x1a\n')
            width, height = struct.unpack('>II', header[16:24])
            self.assertEqual((width, height), (360, 3600))
            # A blank page compresses to almost nothing; text, tables and
            # the SVG picture do not.
            self.assertGreater(os.path.getsize(png), 20000, f'{png} looks blank')
            self.check_night_cards_tinted_across(png)
        self.assertEqual(sorted(os.path.basename(p) for p in glob.glob(os.path.join(OUTPUT_DIR, 'report-*.png'))),
                         ['report-en-360.png', 'report-es-360.png', 'report-zh_CN-360.png'])

        # A language there is no report in is refused, saying which there
        # are, before anything is written.
        before = sorted(os.listdir(self.out))
        refused = self.phone.cli('export', '1', '--lang', 'fr', '-o', os.path.join(self.out, 'fr'), check=False)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("there is no translation into 'fr'; there is: en, es, zh_CN", refused.stderr)
        refused = self.phone.cli('export', '1', '--lang', '../../es', '-o', os.path.join(self.out, 'x'), check=False)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("'../../es' is not a language", refused.stderr)
        self.assertEqual(sorted(os.listdir(self.out)), before)

        # The help is in the language asked for too, before or after --lang.
        for argv in (['--lang', 'es', '--help'], ['--help', '--lang', 'es']):
            helped = self.phone.cli('export', *argv, check=False, env={'LANG': 'C'})
            self.assertEqual(helped.returncode, 0, helped.stderr)
            self.assertIn('Guarda las llamadas elegidas', helped.stdout, argv)
        helped = self.phone.cli('export', '--help', '--lang', 'en', check=False,
                                env={'LANGUAGE': 'es', 'LC_ALL': 'es_ES.UTF-8'})
        self.assertIn('Writes the chosen calls', helped.stdout)

    def test_every_call_with_an_answer_a_program_reads(self):
        # What the app runs: --all chooses every call (nothing chosen is
        # still refused), --json says where, how many and with which key.
        bundle = os.path.join(self.out, 'all')
        result = self.phone.cli('export', '--all', '--json', '-o', bundle)
        answer = json.loads(result.stdout)
        self.assertEqual(answer, {'path': bundle, 'calls': len(self.phone.calls()), 'files': answer['files'],
                                  'public_key': self.key})
        with open(os.path.join(bundle, 'SHA256SUMS')) as f:
            self.assertEqual(answer['files'], len(f.read().splitlines()) + 2)
        self.assertEqual(self.verify(bundle).returncode, 0)

    def test_the_playable_copy_is_chosen(self):
        # WAV: both sides as they are, 16-bit; none: the originals alone.
        for copies, roles in (('wav', ['original', 'wav-copy']), ('none', ['original'])):
            bundle = os.path.join(self.out, 'copies-' + copies)
            self.phone.cli('export', '1', '--copies', copies, '-o', bundle)
            manifest = json.loads(read(os.path.join(bundle, 'manifest.json')))
            self.assertEqual([f['role'] for f in manifest['calls'][0]['files']], roles)
            self.assertEqual(len(glob.glob(os.path.join(bundle, 'recordings', '*'))), len(roles))
            self.assertEqual(self.verify(bundle).returncode, 0)
        wav = glob.glob(os.path.join(self.out, 'copies-wav', 'recordings', '*.wav'))[0]
        self.assertEqual(run('soxi', '-c', wav).stdout.strip(), '2')
        refused = self.phone.cli('export', '1', '--copies', 'flac', '-o', os.path.join(self.out, 'x'), check=False)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("--copies takes mp3, wav or none, not 'flac'", refused.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.out, 'x')))

    def test_zip_bundle(self):
        bundle = os.path.join(self.out, 'evidence.zip')
        result = self.export('--tagged', '-o', bundle)
        self.assertEqual(result.returncode, 0, result.stderr)
        with zipfile.ZipFile(bundle) as z:
            self.assertIsNone(z.testzip())
            self.assertIn('evidence/manifest.json', z.namelist())
            z.extractall(self.out)
        unpacked = os.path.join(self.out, 'evidence')
        self.assertEqual(run('sha256sum', '-c', 'SHA256SUMS', cwd=unpacked).returncode, 0)
        self.assertEqual(run('minisign', '-Vm', 'SHA256SUMS', '-P', self.key, cwd=unpacked).returncode, 0)
        self.assertEqual(self.verify(bundle).returncode, 0)

        # Cut short, a zip is refused with a reason.
        truncated = os.path.join(self.out, 'truncated.zip')
        with open(bundle, 'rb') as f, open(truncated, 'wb') as g:
            g.write(f.read()[:os.path.getsize(bundle) // 2])
        result = self.verify(truncated)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stdout, r'truncated.zip (is damaged or cut short|cannot be read as a zip)')

    def test_zip_export_leaves_the_catalog_writable_while_it_zips(self):
        phone = self.phone
        bundle = os.path.join(self.out, 'slow.zip')
        # The zip's file opens 4 s late, as a slow card would make zipping
        # a long call slow.
        export = phone.cli_start('export', '1', '-o', bundle,
                                 env={'CW_FAULT_PAUSE_OPEN': '.zip', 'CW_FAULT_PAUSE_MS': '4000'})
        staged = lambda: [f for f in os.listdir(self.out) if '.partial-' in f and not f.endswith('.zip')
                          and os.path.exists(os.path.join(self.out, f, 'SHA256SUMS.minisig'))]
        wait_for(lambda: staged() or export.poll() is not None, 15, 'the bundle staged')
        time.sleep(0.5)
        self.assertIsNone(export.poll(), 'the export is still zipping')
        # A writer with a short busy timeout, as the daemon's writes are.
        db = sqlite3.connect(os.path.join(phone.data_dir, 'catalog.db'), timeout=1)
        try:
            db.execute('BEGIN IMMEDIATE')
            db.execute('ROLLBACK')
        finally:
            db.close()
        stdout, stderr = export.communicate(timeout=30)
        self.assertEqual(export.returncode, 0, stderr)
        self.assertEqual(self.verify(bundle).returncode, 0)
        with phone.catalog() as db:
            self.assertEqual(db.execute('SELECT COUNT(*) FROM exports').fetchone()[0], 1)

    def test_the_same_call_named_twice_is_exported_once(self):
        bundle = os.path.join(self.out, 'twice')
        result = self.export('1', '1', '-o', bundle)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('Exported 1 call', result.stdout)
        self.assertEqual([c['id'] for c in json.loads(read(os.path.join(bundle, 'manifest.json')))['calls']], [1])
        self.assertEqual(self.verify(bundle).returncode, 0)

    def test_a_deleted_exported_call_lends_its_id_to_no_new_call(self):
        # The second review's scenario: the newest call exported, deleted,
        # then a new call. Before ids were kept from reuse, the new call
        # became call 2, said it was exported, listed the deleted call's
        # audit entries and was exported with its number.
        phone = self.phone
        other = '+8613900139000'
        first = os.path.join(self.out, 'first')
        self.assertEqual(self.export('2', '-o', first).returncode, 0)
        self.assertIn('deleted', phone.cli('delete', '2', '--force', '--yes').stdout.lower())
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-25 23:50:00', tz='Asia/Shanghai')
        phone.wait_log('has voice support')
        call = phone.mm_call('AddIncomingCall', MODEM, other)
        phone.wait_call(1, lambda c: c['number'] == other, 'the new call')
        time.sleep(0.3)
        phone.mm_call('SetCallState', call, TERMINATED, REASON_UNKNOWN)
        row = phone.wait_call(1, lambda c: c['ended_at_ms'], 'the new call to end')
        phone.stop_daemon()
        self.assertEqual(row['id'], 3)
        shown = phone.cli('show', '3').stdout
        self.assertIn(other, shown)
        self.assertNotIn('Exported:  yes', shown)
        self.assertIn('there is no call 2', phone.cli('show', '2', check=False).stderr)
        with phone.catalog() as db:
            kinds = [r[0] for r in db.execute('SELECT kind FROM audit_log WHERE call_id = 3 ORDER BY seq')]
        self.assertNotIn('export', kinds)
        self.assertNotIn('delete', kinds)
        verified = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        second = os.path.join(self.out, 'second')
        self.assertEqual(self.export('3', '-o', second).returncode, 0)
        manifest = json.loads(read(os.path.join(second, 'manifest.json')))
        self.assertEqual([(c['id'], c['number']) for c in manifest['calls']], [(3, other)])

    def test_where_rename_noreplace_is_refused_bundles_are_made_and_replace_nothing(self):
        # FUSE and some network filesystems refuse renameat2's
        # RENAME_NOREPLACE with EINVAL: the export falls back to link and
        # unlink (a file) or a check and rename (a folder).
        phone = self.phone
        fault = {'CW_FAULT_NO_RENAME_NOREPLACE': '1'}
        folder, zipped = os.path.join(self.out, 'folder'), os.path.join(self.out, 'bundle.zip')
        for path in (folder, zipped):
            made = phone.cli('export', '1', '-o', path, env=fault, check=False)
            self.assertEqual(made.returncode, 0, made.stderr)
            self.assertEqual(self.verify(path).returncode, 0, path)
        manifest = read(os.path.join(folder, 'manifest.json'))
        with open(zipped, 'rb') as f:
            zip_bytes = f.read()
        for path in (folder, zipped):
            again = phone.cli('export', '2', '-o', path, env=fault, check=False)
            self.assertEqual(again.returncode, 1, again.stdout)
        self.assertEqual(read(os.path.join(folder, 'manifest.json')), manifest)
        with open(zipped, 'rb') as f:
            self.assertEqual(f.read(), zip_bytes)
        self.assertEqual(sorted(os.listdir(self.out)), ['bundle.zip', 'folder'])   # nothing left behind

    def test_tampering_is_named(self):
        bundle = os.path.join(self.out, 'evidence')
        self.assertEqual(self.export('1', '2', '-o', bundle).returncode, 0)
        recording = [f for f in os.listdir(os.path.join(bundle, 'recordings')) if f.endswith('.opus')][0]

        def tampered(name, change):
            copy = os.path.join(self.out, f'copy-{len(os.listdir(self.out))}-' + name.replace('/', '-'))
            shutil.copytree(bundle, copy)
            change(os.path.join(copy, name))
            result = self.verify(copy)
            self.assertEqual(result.returncode, 1, result.stdout)
            return result.stdout

        def flip(path):
            with open(path, 'r+b') as f:
                f.seek(os.path.getsize(path) // 2)
                byte = f.read(1)
                f.seek(-1, os.SEEK_CUR)
                f.write(bytes([byte[0] ^ 0x01]))

        self.assertIn(f'recordings/{recording} was altered', tampered(f'recordings/{recording}', flip))
        self.assertIn('manifest.json was altered', tampered('manifest.json', flip))
        self.assertIn('SHA256SUMS.minisig does not match SHA256SUMS', tampered('SHA256SUMS', flip))
        self.assertIn('report.html is listed in SHA256SUMS but missing', tampered('report.html', os.unlink))
        def plant(path):
            with open(path, 'w') as f:
                f.write('planted')

        self.assertIn('extra.txt is in the bundle but not in SHA256SUMS', tampered('extra.txt', plant))
        other_key = subprocess.run(['minisign', '-G', '-W', '-p', os.path.join(self.out, 'o.pub'), '-s',
                                    os.path.join(self.out, 'o.key')], capture_output=True, timeout=30)
        self.assertEqual(other_key.returncode, 0)
        stranger = read(os.path.join(self.out, 'o.pub')).splitlines()[1]
        result = self.phone.cli('verify', bundle, '--key', stranger, check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn('made with another key', result.stdout)

        # A manifest of the wrong shape is a finding, not a crash.
        def null_format(path):
            manifest = json.loads(read(path))
            manifest['format'] = None
            manifest['calls'][0]['files'][0]['name'] = None
            manifest['calls'].append('not a call')
            with open(path, 'w') as f:
                json.dump(manifest, f)
        out = tampered('manifest.json', null_format)
        self.assertIn('not a callwitness-evidence-1 manifest', out)
        self.assertIn('lists a file without a name', out)
        self.assertIn('entry 3 of calls is not a call', out)

    def test_doctored_zips_are_refused(self):
        zipped = os.path.join(self.out, 'evidence.zip')
        self.assertEqual(self.export('1', '-o', zipped).returncode, 0)

        def doctored(name, add):
            path = os.path.join(self.out, name)
            shutil.copy(zipped, path)
            with zipfile.ZipFile(path, 'a', compression=zipfile.ZIP_DEFLATED) as z:
                add(z)
            result = self.verify(path)
            self.assertEqual(result.returncode, 1, result.stdout)
            return result.stdout

        # Beside the bundle's folder: shown to whoever opens the zip, never checked.
        self.assertIn("'READ-ME-FIRST.html' is outside the bundle's folder evidence",
                      doctored('beside.zip', lambda z: z.writestr('READ-ME-FIRST.html', '<h1>forged</h1>')))
        self.assertIn("'other/fake.opus' is outside the bundle's folder evidence",
                      doctored('other.zip', lambda z: z.writestr('other/fake.opus', 'OggS')))
        # A bomb: 300 MB of zeros in a zip of a few hundred kB is refused
        # before it fills the disk.
        out = doctored('bomb.zip', lambda z: z.writestr('evidence/recordings/zeros.wav', bytes(300 << 20)))
        self.assertIn('unpacks to more than', out)
        self.assertEqual(glob.glob(os.path.join(os.environ.get('TMPDIR', '/tmp'), 'callwitness-verify-*', '**',
                                                'zeros.wav'), recursive=True), [], 'nothing left unpacked')
        # Thousands of empty entries: each costs a file and an inode when
        # unpacked, so there is a limit on their number, not only on size.
        out = doctored('many.zip', lambda z: [z.writestr(f'evidence/notes/{i}.txt', '') for i in range(4100)])
        self.assertIn('holds more than 4096 entries: refused', out)
        self.assertEqual(glob.glob(os.path.join(os.environ.get('TMPDIR', '/tmp'), 'callwitness-verify-*')), [],
                         'nothing left unpacked')

    def test_bad_requests_change_nothing(self):
        phone = self.phone
        before = sorted(os.listdir(self.out))
        result = self.export('1', '99', '-o', os.path.join(self.out, 'x'))
        self.assertEqual(result.returncode, 1)
        self.assertIn('there is no call 99; nothing was written', result.stderr)

        existing = os.path.join(self.out, 'exists')
        os.mkdir(existing)
        result = self.export('1', '-o', existing)
        self.assertIn('already exists', result.stderr)

        result = self.export('1', '-o', os.path.join(self.out, 'no', 'such', 'dir', 'x.zip'))
        self.assertEqual(result.returncode, 1)
        self.assertIn('cannot write in', result.stderr)

        # A read-only place (root writes into any 0500 folder; /proc is
        # read-only even for root).
        result = self.export('1', '-o', '/proc/callwitness-evidence')
        self.assertEqual(result.returncode, 1)
        self.assertIn('cannot write in /proc/', result.stderr)
        self.assertEqual(self.export('--number', '+1', '-o', os.path.join(self.out, 'y')).returncode, 1)
        self.assertEqual(self.export('1').returncode, 2)
        self.assertEqual(sorted(os.listdir(self.out)), sorted(before + ['exists']))
        self.assertEqual(os.listdir(existing), [])
        with phone.catalog() as db:
            self.assertEqual(db.execute('SELECT COUNT(*) FROM exports').fetchone()[0], 0)

        # A recording changed on the phone is not exported as evidence.
        row = phone.calls()[0]
        with open(os.path.join(phone.data_dir, row['path']), 'ab') as f:
            f.write(b'x')
        result = self.export('1', '-o', os.path.join(self.out, 'z'))
        self.assertEqual(result.returncode, 1)
        self.assertIn('no longer matches the SHA-256', result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.out, 'z')))
        self.assertEqual([f for f in os.listdir(self.out) if f.startswith('.')], [])


if __name__ == '__main__':
    unittest.main(verbosity=2)
