#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''Text messages through Debian's real ModemManager and a fake AT modem
(at_modem.py): a message announced with +CMTI and read with +CMGR in PDU
mode (UCS-2, Chinese included), one of two parts, messages a client
deletes 200 ms after they appear (as Chatty does) and one it deletes
before callwitnessd could read it, a restart that stores nothing twice,
and, on a second modem in text mode, a message found stored on the SIM
(+CMGL). Each stored message must give the SHA-256 it carries, computed
here from the documented canonical text; the catalog, an export and its
report must hold it.'''

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Phone, kernel_clock_synchronized, wait_for  # noqa: E402
from phonecase import AUDIO  # noqa: E402
from real_modemmanager import MESSAGING_IFACE, MessageDeleter, RealModemManager  # noqa: E402

COLLECTOR = '+8613800138000'
THREAT = '明天我们三个人去你家 — pay today or we come to your home tomorrow'
LONG_THREAT = ('This is Quick Collect. You ignored eleven calls. Tomorrow at 9 we go to your employer and tell '
               'your manager and colleagues that you do not pay your debts. Last warning.')
NETWORK_TIME = '2026-11-24T23:40:05+08'   # 26/11/24,23:40:05 and +32 quarters, as ModemManager writes it


def canonical_sha256(sender, sent, smsc, text, data=b''):
    '''README, "Text messages": the canonical text of a message.'''
    fields = [('sender', sender), ('sent', sent), ('smsc', smsc), ('text', text), ('data', data.hex())]
    canonical = b'callwitness-message-v1\n' + b''.join(
        name.encode() + b':' + str(len(value.encode())).encode() + b':' + value.encode() + b'\n'
        for name, value in fields)
    return hashlib.sha256(canonical).hexdigest()


class MessagesCase(unittest.TestCase):
    '''One phone and one ModemManager for the module's tests of a mode.'''
    MODE = 'pdu'
    STORED = ()
    NETWORK_TIME = None

    @classmethod
    def setUpClass(cls):
        cls.phone = Phone(AUDIO)
        try:
            cls.mm = RealModemManager(cls.phone, messaging=cls.MODE, stored=cls.STORED, network_time=cls.NETWORK_TIME)
        except BaseException:
            cls.phone.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.mm.close()
        cls.phone.close()

    def setUp(self):
        self.mm.ensure_ready()
        self.commands_before = len(self.mm.at.commands)
        self.phone.start_daemon(local_time='2026-11-24 23:40:00')
        self.phone.wait_log('messaging support', 20)

    def tearDown(self):
        try:
            if self.phone.daemon:
                self.phone.stop_daemon()
            self.clear_messages()
        finally:
            self.phone.forget_data()

    def clear_messages(self):
        '''No message left in ModemManager (its storage may be locked a
        moment while it reads one: tried again, a bounded number of times).'''
        messaging = self.mm.modem(MESSAGING_IFACE)

        def cleared():
            try:
                for path in messaging.List():
                    messaging.Delete(path)
                return not messaging.List()
            except dbus.exceptions.DBusException as e:
                if 'Retry' not in e.get_dbus_name():
                    raise
                return False
        wait_for(cleared, 20, 'ModemManager to delete every message')

    def messages(self):
        with self.phone.catalog() as db:
            return [dict(row) for row in db.execute(
                'SELECT calls.id, calls.kind, calls.number, calls.started_at_ms, calls.end_reason, messages.*'
                ' FROM calls JOIN messages ON messages.call_id = calls.id ORDER BY calls.id')]

    def wait_messages(self, n, what):
        return wait_for(lambda: len(self.messages()) >= n and self.messages(), 20, what)

    def deliver_two(self):
        '''A message, then one of two parts once the first is in: a real
        network does not announce two messages within a millisecond (and
        ModemManager 1.20 reads only the first of two +CMTI that arrive
        together).'''
        self.mm.at.deliver_sms(COLLECTOR, THREAT)
        self.wait_messages(1, 'the first message in the catalog')
        self.mm.at.deliver_sms(COLLECTOR, LONG_THREAT, parts=2)

    def show(self, id):
        return json.loads(self.phone.cli('show', str(id), '--json').stdout)


class PduMode(MessagesCase):
    # The modem's clock, a minute and five seconds ahead of the phone's
    # (callwitnessd's clock starts at 23:40:00).
    NETWORK_TIME = '26/11/24,23:41:05+32'

    def test_messages_are_kept_whole_hashed_and_exported(self):
        phone = self.phone
        self.deliver_two()
        rows = self.wait_messages(2, 'both messages in the catalog')
        self.assertEqual(len(rows), 2, 'a message of two parts is one message')
        for row, text in zip(rows, (THREAT, LONG_THREAT)):
            self.assertEqual((row['kind'], row['number'], row['text'], row['complete'], row['end_reason']),
                             ('message', COLLECTOR, text, 1, 'received'))
            self.assertEqual(row['sent_reported'], NETWORK_TIME)
            self.assertEqual(row['sent_at_ms'], 1795534805000)
            self.assertEqual(row['sent_offset_s'], 8 * 3600)
            self.assertEqual(row['smsc'], '+8613800250500')
            self.assertEqual(row['sha256'], canonical_sha256(COLLECTOR, NETWORK_TIME, '+8613800250500', text))
        # callwitnessd never deletes one: ModemManager and the SIM keep both.
        self.assertEqual(len(self.mm.modem(MESSAGING_IFACE).List()), 2)
        self.assertFalse(any('CMGD' in c for _, c in self.mm.at.commands[self.commands_before:]))

        shown = self.show(1)
        clock = shown['clock']
        self.assertEqual(clock['network_time'], '2026-11-24T23:41:05+08')
        self.assertAlmostEqual(clock['network_offset_ms'] / 1000, 65, delta=10)
        self.assertEqual(clock['synchronized'], kernel_clock_synchronized())
        self.assertIn('clock-off', ' '.join(shown['warnings']))
        self.assertIn('behind the network', phone.cli('show', '1').stdout)
        self.assertEqual([t['tag'] for t in shown['tags']], ['night'])
        self.assertIn('arrived at 23:40', shown['tags'][0]['reason'])
        self.assertEqual(shown['message']['text'], THREAT)
        self.assertEqual([e['kind'] for e in shown['audit']], ['call', 'message', 'policy-tag', 'clock'])
        listing = phone.cli('list', '--messages').stdout
        self.assertIn('sms  +8613800138000', listing)
        self.assertIn('明天我们三个人去你家', listing)
        self.assertIn('No messages.', phone.cli('list', '--messages', '--until', '2026-01-01').stdout)
        self.assertIn('match', phone.cli('verify', '--catalog').stdout)

        bundle = os.path.join(phone.dir, 'messages-bundle')
        phone.cli('export', '--tagged', '-o', bundle)
        subprocess.run(['sha256sum', '--quiet', '-c', 'SHA256SUMS'], cwd=bundle, check=True, timeout=60)
        subprocess.run(['minisign', '-Vm', 'SHA256SUMS', '-P', phone.cli('key').stdout.strip()], cwd=bundle,
                       check=True, timeout=60, capture_output=True)
        phone.cli('verify', bundle)
        with open(os.path.join(bundle, 'manifest.json')) as f:
            manifest = json.load(f)
        self.assertEqual(manifest['summary']['messages'], 2)
        self.assertEqual(manifest['summary']['numbers'][0]['messages'], 2)
        exported = manifest['calls'][0]
        self.assertEqual(exported['message']['sha256'], rows[0]['sha256'])
        self.assertEqual([f['role'] for f in exported['files']], ['message-text'])
        with open(os.path.join(bundle, exported['files'][0]['name']), encoding='utf-8') as f:
            self.assertTrue(f.read().endswith('\n\n' + THREAT + '\n'))
        for report in ('report.txt', 'report.html'):
            with open(os.path.join(bundle, report), encoding='utf-8') as f:
                self.assertIn('明天我们三个人去你家', f.read())

        # Altered in the catalog: verify says which and how.
        db = sqlite3.connect(os.path.join(phone.data_dir, 'catalog.db'))
        db.execute("UPDATE messages SET text = 'friendly reminder' WHERE call_id = 1")
        db.commit()
        db.close()
        result = phone.cli('verify', '--catalog', check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn('message 1: its text in the catalog differs from the audit log', result.stdout + result.stderr)
        self.assertIn('message 1: its content does not give the SHA-256 it carries', result.stdout + result.stderr)

    def test_a_client_deleting_messages_loses_nothing(self):
        phone = self.phone
        deleter = MessageDeleter(phone, self.mm.modem_path, 200)
        try:
            self.deliver_two()
            wait_for(lambda: len(deleter.deleted()) == 2, 20, 'the client to delete both messages')
        finally:
            deleter.close()
        rows = self.wait_messages(2, 'both messages in the catalog')
        self.assertEqual([r['text'] for r in rows], [THREAT, LONG_THREAT])
        self.assertEqual([r['deleted_before_read'] for r in rows], [0, 0])

        # Deleted before callwitnessd could ask: the daemon is stopped while
        # the client deletes at once.
        deleter = MessageDeleter(phone, self.mm.modem_path, 0)
        try:
            phone.daemon.send_signal(signal.SIGSTOP)
            self.mm.at.deliver_sms('+8613700137000', 'you will regret this')
            wait_for(lambda: len(deleter.deleted()) == 1, 20, 'the client to delete the message')
        finally:
            phone.daemon.send_signal(signal.SIGCONT)
            deleter.close()
        rows = self.wait_messages(3, 'the deleted message in the catalog')
        third = rows[2]
        self.assertEqual((third['deleted_before_read'], third['complete'], third['text']), (1, 0, None))
        shown = phone.cli('show', str(third['id'])).stdout
        self.assertIn('deleted-unread', shown)
        self.assertIn('before callwitnessd could read it', shown)
        self.assertIn('could not be read', phone.daemon_log())

    def test_a_restart_stores_nothing_twice(self):
        phone = self.phone
        self.mm.at.deliver_sms(COLLECTOR, THREAT)
        self.wait_messages(1, 'the message in the catalog')
        phone.stop_daemon()
        phone.start_daemon(local_time='2026-11-24 23:45:00')
        phone.wait_log('in the catalog already', 20)
        time.sleep(0.5)
        self.assertEqual(len(self.messages()), 1)
        with phone.catalog() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM audit_log WHERE kind = 'message'").fetchone()[0], 1)


class TextMode(MessagesCase):
    MODE = 'text'
    STORED = ((COLLECTOR, 'pay today or we visit your family'),)

    def test_a_message_found_stored_is_kept_with_the_network_time(self):
        rows = self.wait_messages(1, 'the stored message in the catalog')
        row = rows[0]
        self.assertEqual((row['text'], row['receipt_known']), ('pay today or we visit your family', 0))
        # In text mode ModemManager passes 27.005's time stamp on as it is.
        self.assertEqual(row['sent_reported'], '26/11/24,23:40:05+32')
        self.assertEqual((row['sent_at_ms'], row['sent_offset_s']), (1795534805000, 8 * 3600))
        # Found stored: when it arrived is not known, the network's time stands for it.
        self.assertEqual(row['started_at_ms'], 1795534805000)
        self.assertEqual(row['sha256'], canonical_sha256(COLLECTOR, row['sent_reported'], row['smsc'] or '',
                                                         row['text'], row['data'] or b''))
        self.assertIn('when it arrived is not known', self.phone.cli('show', '1').stdout)
        self.assertIn('match', self.phone.cli('verify', '--catalog').stdout)

    def clear_messages(self):
        '''ModemManager 1.20 keeps the storage of a text-mode modem locked
        after listing it: nothing to clear for this class's one test.'''



class ForgedMessages(unittest.TestCase):
    '''What the real modem path cannot produce cheaply, through the
    ModemManager mock: a sender's name built to forge lines, messages
    without a network time stamp, a message whose last part never comes.'''

    @classmethod
    def setUpClass(cls):
        cls.phone = Phone(AUDIO)
        try:
            # A modem with Modem.Time: what callwitnessd reports as it
            # stops asks the network's time of a backend going away.
            cls.phone.start_modemmanager(network_time='2026-11-24T23:40:00+08')
        except BaseException:
            cls.phone.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.phone.close()

    def test_hostile_senders_identical_texts_and_a_lost_part(self):
        phone = self.phone
        modem = '/org/freedesktop/ModemManager1/Modem/0'
        phone.start_daemon(local_time='2026-11-24 23:40:00')
        phone.wait_log('messaging support')
        hostile = '\x1b[31mPOLICE\x1b[0m\n    9  2026-11-24 23:41:00  in   +86110  1:00'
        phone.mm_call('AddIncomingMessage', modem, hostile, 'pay now', '')
        # The same text twice, without a stamp: two deliveries, both kept.
        phone.mm_call('AddIncomingMessage', modem, '+8613800138000', 'we are outside', '')
        phone.mm_call('AddIncomingMessage', modem, '+8613800138000', 'we are outside', '')
        # A message whose second part never comes.
        phone.mm_call('AddMessageInState', modem, '+8613800138000', 'tomorrow we', '2026-11-24T23:40:30+08', 2)
        wait_for(lambda: len(phone.calls()) == 3, 20, 'three messages in the catalog')
        time.sleep(0.5)
        phone.stop_daemon()   # the incomplete one is kept as far as it was read
        rows = phone.calls()
        self.assertEqual(len(rows), 4, [r['number'] for r in rows])
        with phone.catalog() as db:
            complete = [r[0] for r in db.execute('SELECT complete FROM messages ORDER BY call_id')]
            partial = db.execute('SELECT text, deleted_before_read FROM messages WHERE complete = 0').fetchone()
        self.assertEqual(complete, [1, 1, 1, 0])
        self.assertEqual(tuple(partial), ('tomorrow we', 0))
        self.assertIn('last part had not arrived', phone.cli('show', '4').stdout)
        self.assertIn('tells the network', phone.daemon_log())
        shown = json.loads(phone.cli('show', '2', '--json').stdout)
        self.assertEqual(shown['clock']['network_time'], '2026-11-24T23:40:00+08')
        self.assertLess(abs(shown['clock']['network_offset_ms']), 30000)

        listing = phone.cli('list').stdout
        self.assertNotIn('\x1b', listing)
        self.assertFalse(any(line.startswith('    9') for line in listing.splitlines()), listing)
        self.assertIn('\\u{1b}[31mPOLICE\\u{1b}[0m\\u{a}', listing)
        shown = phone.cli('show', '1').stdout
        self.assertNotIn('\x1b', shown)
        self.assertEqual(shown.count('\n    9  '), 0)
        bundle = os.path.join(phone.dir, 'forged-bundle')
        phone.cli('export', '1', '2', '3', '4', '-o', bundle)
        phone.cli('verify', bundle)
        for name in ['report.txt', 'report.html', 'messages/message-1.txt']:
            with open(os.path.join(bundle, name), encoding='utf-8') as f:
                text = f.read()
            self.assertNotIn('\x1b', text, name)
            self.assertFalse(any(line.startswith('    9  2026') for line in text.splitlines()), name)
        phone.cli('verify', '--catalog')

if __name__ == '__main__':
    unittest.main(verbosity=2)
