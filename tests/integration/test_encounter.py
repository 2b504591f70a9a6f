#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''Encounters (callwitness record / stop: the microphone recorded by the
daemon), marks (during a recording and after it), and the daemon's
session-bus API org.callwitness.Recorder1 that the CLI uses: its
introspection against doc/, its properties and signals, its errors, and
its refusal of another user.'''

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Phone, check_recording, kernel_clock_synchronized, opus_tags, wait_for  # noqa: E402
from phonecase import AUDIO, CALL_IFACE, MODEM  # noqa: E402

DOC_XML = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'doc', 'org.callwitness.Recorder1.xml')
NAME, PATH, IFACE = 'org.callwitness.Recorder', '/org/callwitness/Recorder1', 'org.callwitness.Recorder1'
MIC = (('local',),)


class SignalLog:
    '''dbus-monitor watching the daemon's signals on the session bus.'''

    def __init__(self, phone):
        self.path = os.path.join(phone.dir, f'signals-{time.monotonic_ns()}.log')
        self.log = open(self.path, 'wb')
        self.process = subprocess.Popen(
            ['dbus-monitor', '--address', phone.env['DBUS_SESSION_BUS_ADDRESS'],
             f"type='signal',path='{PATH}'"], stdout=self.log, stderr=subprocess.STDOUT, env=phone.env)
        wait_for(lambda: 'NameAcquired' in self.text() or 'BecomeMonitor' in self.text() or os.path.getsize(self.path),
                 10, 'dbus-monitor')

    def text(self):
        with open(self.path, errors='replace') as f:
            return f.read()

    def signals(self, member):
        '''The arguments of each signal member seen, as the monitor printed them.'''
        found = []
        for block in re.split(r'\n(?=signal )', self.text()):
            if f'member={member}\n' in block + '\n':
                found.append(re.findall(r'^\s+(?:variant\s+)?(?:int64|string) "?(.*?)"?$', block, re.M))
        return found

    def wait(self, member, condition=lambda args: True, timeout=15):
        return wait_for(lambda: next((a for a in self.signals(member) if condition(a)), None), timeout,
                        f'the {member} signal')

    def close(self):
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


class Encounters(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.phone = Phone(AUDIO, session_bus_for_others=True)
        try:
            cls.phone.start_modemmanager()
        except BaseException:
            cls.phone.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.phone.close()

    def setUp(self):
        phone = self.phone
        phone.start_daemon(local_time='2026-11-24 23:40:00')
        phone.wait_log('has voice support')
        self.bus = dbus.bus.BusConnection(phone.env['DBUS_SESSION_BUS_ADDRESS'])
        wait_for(lambda: self.bus.name_has_owner(NAME), 10, 'the API on the session bus')
        self.recorder = dbus.Interface(self.bus.get_object(NAME, PATH, introspect=False), IFACE)
        self.properties = dbus.Interface(self.bus.get_object(NAME, PATH, introspect=False),
                                         'org.freedesktop.DBus.Properties')
        self.signals = SignalLog(phone)

    def tearDown(self):
        phone = self.phone
        self.signals.close()
        self.bus.close()
        phone.stop_tones()
        if phone.daemon:
            phone.stop_daemon()
        phone.forget_data()

    def property(self, name):
        return self.properties.Get(IFACE, name)

    def dbus_error(self, call, *args):
        with self.assertRaises(dbus.exceptions.DBusException) as caught:
            call(*args)
        return caught.exception.get_dbus_name(), caught.exception.get_dbus_message()

    def show(self, id):
        result = self.phone.cli('show', str(id), '--json', check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def test_the_api_is_what_doc_says_and_refuses_what_it_must(self):
        phone = self.phone
        introspectable = dbus.Interface(self.bus.get_object(NAME, PATH, introspect=False),
                                        'org.freedesktop.DBus.Introspectable')
        with open(DOC_XML) as f:
            self.assertEqual(introspectable.Introspect(), f.read().rstrip('\n') + '\n')
        everything = self.properties.GetAll(IFACE)
        self.assertEqual(everything['State'], 'idle')
        self.assertEqual(list(everything['CurrentCalls']), [])
        self.assertEqual(everything['CaptureMode'], 'separate')
        self.assertEqual(list(everything['Warnings']), [])
        self.assertEqual(self.dbus_error(self.properties.Set, IFACE, 'State', 'recording')[0],
                         'org.freedesktop.DBus.Error.PropertyReadOnly')
        self.assertEqual(self.dbus_error(self.properties.Get, IFACE, 'Nothing')[0],
                         'org.freedesktop.DBus.Error.UnknownProperty')
        self.assertEqual(self.dbus_error(self.recorder.Stop, dbus.Int64(0))[0], IFACE + '.Error.UnknownId')
        self.assertEqual(self.dbus_error(self.recorder.Stop, dbus.Int64(4711))[0], IFACE + '.Error.UnknownId')
        self.assertEqual(self.dbus_error(self.recorder.Mark, dbus.Int64(0), 'x')[0], IFACE + '.Error.UnknownId')
        self.assertEqual(self.dbus_error(self.recorder.StartEncounter, 'two\nlines')[0],
                         'org.freedesktop.DBus.Error.InvalidArgs')
        self.assertIn('is not a call id', phone.cli('stop', 'x', check=False).stderr)

        # Another user that reaches the bus is refused, and nothing starts.
        other = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'gdbus', 'call',
                                '--address', phone.session_address_for_others, '--dest', NAME, '--object-path', PATH,
                                '--method', IFACE + '.StartEncounter', 'intruder'],
                               capture_output=True, text=True, timeout=30, env={'PATH': phone.env['PATH']})
        self.assertNotEqual(other.returncode, 0, other.stdout)
        self.assertIn('org.freedesktop.DBus.Error.AccessDenied', other.stderr)
        self.assertIn('serves only the user it runs as', other.stderr)
        self.assertEqual(self.property('State'), 'idle')
        self.assertEqual(phone.calls(), [])

        # The session's own user, through gdbus as through the CLI.
        mine = subprocess.run(['gdbus', 'call', '--session', '--dest', NAME, '--object-path', PATH,
                               '--method', IFACE + '.StartEncounter', 'from gdbus'],
                              capture_output=True, text=True, timeout=30, env=phone.env)
        self.assertEqual(mine.returncode, 0, mine.stderr)
        self.assertEqual(mine.stdout.strip(), '(int64 1,)')
        self.assertEqual(self.property('State'), 'recording')
        # A call id is not an encounter to stop; the encounter is.
        phone.cli('stop', '1')
        self.signals.wait('RecordingFinished')

        # Reload reads callwitness.conf before it replies: a good one is in
        # force at once; one the daemon refuses (a profile that does not
        # exist) is an error, and the configuration in force stays.
        mark = len(phone.daemon_log())
        phone.write_config('[audio]\nbitrate = 40000\n')
        self.recorder.Reload()
        self.assertIn(': capture separate, 40000 bit/s', phone.daemon_log()[mark:])
        mark = len(phone.daemon_log())
        phone.write_config('[audio]\nbitrate = 24000\n[device]\nprofile = no-such-phone\n')
        name, message = self.dbus_error(self.recorder.Reload)
        self.assertEqual(name, 'org.freedesktop.DBus.Error.Failed')
        self.assertIn('keeps the one in force', message)
        self.assertIn('keeping the previous configuration', phone.daemon_log()[mark:])
        self.assertNotIn('24000 bit/s', phone.daemon_log()[mark:])
        os.unlink(os.path.join(phone.config_home, 'callwitness', 'callwitness.conf'))
        self.recorder.Reload()
        self.assertEqual(self.dbus_error(self.recorder.Reload, 'x')[0], 'org.freedesktop.DBus.Error.InvalidArgs')

        # Without the daemon, one sentence.
        phone.stop_daemon()
        for args in (('record',), ('stop',), ('mark', 'x')):
            result = phone.cli(*args, check=False)
            self.assertEqual(result.returncode, 1)
            self.assertEqual(result.stderr.strip().count('\n'), 0, result.stderr)
            self.assertIn('callwitnessd is not running', result.stderr)

    def test_an_encounter_with_marks_is_kept_and_exported(self):
        phone = self.phone
        phone.play_tones()
        started = time.monotonic()
        out = phone.cli('record', '--label', 'door visit, three men').stdout
        self.assertIn('Recording encounter 1', out)
        self.assertEqual(self.property('State'), 'recording')
        self.assertEqual(list(self.property('CurrentCalls')), [1])
        self.signals.wait('PropertiesChanged', lambda args: 'recording' in args)
        self.assertIn('already being recorded', phone.cli('record', check=False).stderr)

        time.sleep(2.0)
        marked_after = time.monotonic() - started
        out = phone.cli('mark', 'threatened to come to my home').stdout
        self.assertRegex(out, r'Marked at 00:0[1-3] of the recording in progress')
        self.assertIn('is refused', phone.cli('mark', 'two\nlines', check=False).stderr)
        time.sleep(2.0)
        phone.cli('stop')
        finished = self.signals.wait('RecordingFinished')
        row = phone.wait_call(0, lambda c: c['sha256'], 'the sealed encounter')
        self.assertEqual((row['kind'], row['label'], row['end_reason']), ('encounter', 'door visit, three men', 'stopped'))
        path = check_recording(self, phone, row, 4.0, MIC)
        with open(path, 'rb') as f:
            self.assertEqual(finished, ['1', path, hashlib.sha256(f.read()).hexdigest()])
        self.assertEqual(row['sha256'], finished[2])
        wait_for(lambda: self.property('State') == 'idle', 10, 'the API back to idle')

        # After the fact: within the file, not past its end.
        self.assertIn('Marked 00:01', phone.cli('mark', '1', '--at', '00:01', 'he showed a badge').stdout)
        self.assertIn('past the end', phone.cli('mark', '1', '--at', '10:00', 'x', check=False).stderr)
        for bad in ('1:75', '0:0:5:9', '0:0:5:', '-1:00', '99999999999:00'):
            self.assertIn('not a time', phone.cli('mark', '1', '--at', bad, 'x', check=False).stderr, bad)

        shown = self.show(1)
        self.assertEqual((shown['kind'], shown['label']), ('encounter', 'door visit, three men'))
        marks = shown['marks']
        self.assertEqual([m['text'] for m in marks], ['he showed a badge', 'threatened to come to my home'])
        self.assertEqual([m['live'] for m in marks], [False, True])
        # No modem here tells the network's time: only the phone's clock state.
        self.assertEqual(shown['clock']['network_time'], None)
        self.assertEqual(shown['clock']['synchronized'], kernel_clock_synchronized())
        self.assertAlmostEqual(marks[1]['offset_ms'] / 1000, marked_after, delta=0.6)
        self.assertEqual(marks[0]['in_file'], '00:01')
        self.assertEqual([e['kind'] for e in shown['audit'] if e['kind'] == 'mark'], ['mark', 'mark'])
        text = phone.cli('show', '1').stdout
        self.assertIn('Encounter 1: door visit, three men', text)
        self.assertRegex(text, r'mark at 00:0[1-3] in the file: threatened to come to my home')
        self.assertIn('enc', phone.cli('list', '--encounters').stdout)
        self.assertIn('No calls.', phone.cli('list', '--calls').stdout)
        phone.cli('verify', '--catalog')

        bundle = os.path.join(phone.dir, 'bundle')
        phone.cli('export', '1', '-o', bundle)
        subprocess.run(['sha256sum', '--quiet', '-c', 'SHA256SUMS'], cwd=bundle, check=True, timeout=60)
        subprocess.run(['minisign', '-Vm', 'SHA256SUMS', '-P', phone.cli('key').stdout.strip()], cwd=bundle,
                       check=True, timeout=60, capture_output=True)
        phone.cli('verify', bundle)
        with open(os.path.join(bundle, 'manifest.json')) as f:
            exported = json.load(f)['calls'][0]
        self.assertEqual((exported['kind'], exported['label']), ('encounter', 'door visit, three men'))
        self.assertEqual(len(exported['marks']), 2)
        with open(os.path.join(bundle, 'report.txt')) as f:
            report = f.read()
        self.assertIn('door visit, three men', report)
        self.assertIn('threatened to come to my home', report)
        with open(os.path.join(bundle, 'report.html')) as f:
            self.assertIn('threatened to come to my home', f.read())

        # The file says what it is: a catalog rebuilt from the files alone
        # keeps it an encounter, with its label.
        tags, _ = opus_tags(path)
        self.assertEqual((tags['TITLE'], tags['CALLWITNESS_KIND'], tags['CALLWITNESS_LABEL']),
                         ('Encounter: door visit, three men', 'encounter', 'door visit, three men'))
        phone.stop_daemon()
        for name in os.listdir(phone.data_dir):
            if name.startswith('catalog.db'):
                os.unlink(os.path.join(phone.data_dir, name))
        result = phone.cli('recover', check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn('door visit, three men', phone.cli('list', '--encounters').stdout)

    def test_a_call_during_an_encounter_is_recorded_as_usual(self):
        phone = self.phone
        phone.play_tones()
        phone.cli('record', '--label', 'at the door')
        time.sleep(1.0)
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613800138000')
        phone.wait_call(1, lambda c: c['number'], 'the call in the catalog')
        time.sleep(1.0)
        phone.mm_object(call, CALL_IFACE).Accept()
        phone.wait_call(1, lambda c: c['answered_at_ms'], 'the answer')
        wait_for(lambda: sorted(self.property('CurrentCalls')) == [1, 2], 10, 'both in CurrentCalls')
        time.sleep(1.5)
        # Without an id the mark goes to the call that has the line.
        phone.cli('mark', 'said he knows where my parents live')
        time.sleep(1.5)
        phone.mm_object(call, CALL_IFACE).Hangup()
        call_row = phone.wait_call(1, lambda c: c['sha256'], 'the call recording')
        self.assertEqual(self.signals.wait('CallTagged', lambda a: a[0] == '2'), ['2', 'night'])
        check_recording(self, phone, call_row, 3.0)
        self.assertEqual(self.show(2)['marks'][0]['text'], 'said he knows where my parents live')
        self.assertAlmostEqual(self.show(2)['marks'][0]['offset_ms'], 1500, delta=600)
        self.assertEqual(self.property('State'), 'recording')   # the encounter goes on
        time.sleep(1.0)
        phone.cli('stop')
        row = phone.wait_call(0, lambda c: c['sha256'], 'the encounter sealed')
        check_recording(self, phone, row, (row['ended_at_ms'] - row['answered_at_ms']) / 1000, MIC)
        self.assertEqual(self.show(1)['marks'], [])
        phone.cli('verify', '--catalog')

    def test_an_encounter_survives_a_killed_daemon_as_far_as_it_got(self):
        phone = self.phone
        phone.play_tones()
        phone.cli('record')
        time.sleep(6.5)   # past the first 5 s sync
        phone.daemon.send_signal(signal.SIGKILL)
        phone.daemon.wait(10)
        phone._stop(phone.daemon)
        phone.daemon = None
        phone.start_daemon(local_time='2026-11-24 23:41:00')
        row = phone.wait_call(0, lambda c: c['sha256'], 'the encounter sealed at the next start')
        self.assertEqual((row['kind'], row['end_reason']), ('encounter', 'daemon-stopped'))
        self.assertGreater(row['file_duration_ms'], 4000)
        info = subprocess.run(['opusinfo', os.path.join(phone.data_dir, row['path'])], capture_output=True,
                              text=True, timeout=30)
        self.assertIn('Channels: 1', info.stdout)
        self.assertIn('daemon-stopped', ' '.join(self.show(1)['warnings']))
        # And the next one starts.
        wait_for(lambda: self.bus.name_has_owner(NAME), 10, 'the API back')
        self.assertIn('Recording encounter 2', phone.cli('record').stdout)
        phone.cli('stop')
        phone.wait_call(1, lambda c: c['sha256'], 'the second encounter')


    def test_an_encounter_that_cannot_be_recorded_says_so_and_blocks_nothing(self):
        phone = self.phone
        # Where its file would go is a file: nothing can be created there.
        os.makedirs(os.path.join(phone.data_dir, 'recordings'), exist_ok=True)
        with open(os.path.join(phone.data_dir, 'recordings', '2026'), 'w') as f:
            f.write('in the way')
        result = phone.cli('record', check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn('could not be recorded', result.stderr)
        self.assertEqual(self.property('State'), 'idle')
        row = phone.wait_call(0, lambda c: c['ended_at_ms'], 'the failed encounter ended')
        self.assertEqual((row['kind'], row['end_reason']), ('encounter', 'error'))
        self.assertIn('write-failed', ' '.join(self.show(1)['warnings']))
        os.unlink(os.path.join(phone.data_dir, 'recordings', '2026'))
        self.assertIn('Recording encounter 2', phone.cli('record').stdout)
        phone.cli('stop')
        phone.wait_call(1, lambda c: c['sha256'], 'the next encounter')

    def test_text_that_is_not_utf8_is_written_out_not_fatal(self):
        phone = self.phone
        phone.stop_daemon()
        # A source pattern with a byte that is not UTF-8 ends up in a
        # warning, which D-Bus carries only as UTF-8.
        os.makedirs(os.path.join(phone.config_home, 'callwitness'), exist_ok=True)
        with open(os.path.join(phone.config_home, 'callwitness', 'callwitness.conf'), 'wb') as f:
            f.write(b'[audio]\nlocal_source = nomatch-\xff*\n')
        try:
            phone.start_daemon(local_time='2026-11-24 23:40:00')
            phone.wait_log('has voice support')
            phone.cli('record')
            warning = self.signals.wait('Warning')
            self.assertIn('nomatch-\\xff*', warning[2])
            phone.cli('stop')
            self.signals.wait('RecordingFinished')
            phone.stop_daemon()   # a clean exit: no abort
        finally:
            os.unlink(os.path.join(phone.config_home, 'callwitness', 'callwitness.conf'))

    def test_a_name_held_by_another_user_gets_nothing(self):
        phone = self.phone
        phone.stop_daemon()
        impostor = subprocess.Popen(
            ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/python3', '-c',
             'import dbus, sys, time\n'
             f'bus = dbus.bus.BusConnection("{phone.session_address_for_others}")\n'
             f'bus.request_name("{NAME}")\n'
             'print("ready", flush=True)\n'
             'time.sleep(60)\n'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={'PATH': phone.env['PATH']})
        try:
            self.assertEqual(impostor.stdout.readline().strip(), b'ready')
            phone.start_daemon(local_time='2026-11-24 23:40:00')
            phone.wait_log('another program holds the name')
            result = phone.cli('record', '--label', 'police at the door', check=False)
            self.assertEqual(result.returncode, 1)
            self.assertIn('held by a program of another user (uid 65534)', result.stderr)
        finally:
            impostor.kill()
            impostor.wait(10)
            impostor.stdout.close()
            impostor.stderr.close()
        # The bus hands the name to the daemon that waited for it.
        wait_for(lambda: phone.cli('record', check=False).returncode == 0, 10, 'the daemon to have its name')
        phone.cli('stop')

if __name__ == '__main__':
    unittest.main(verbosity=2)
