#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''Judging calls the way collection rules do, through the daemon and the
CLI: one collector behind two numbers, bursts, daily and weekly counts
with reasons that name the company, the count and the rule, and calls
judged again (and audited) when a collector is named afterwards.'''

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import opus_tags, wait_for  # noqa: E402
from phonecase import CALL_IFACE, MODEM, REASON_UNKNOWN, TERMINATED, PhoneTestCase  # noqa: E402

FIRST, SECOND = '+8613800138000', '+8613900139000'
COMPANY = 'Quick Collect Ltd'


class Rules(PhoneTestCase):

    def setUp(self):
        super().setUp()
        self.phone.start_modemmanager()
        self.calls = 0

    def missed_call(self, number):
        phone = self.phone
        index = self.calls
        call = phone.mm_call('AddIncomingCall', MODEM, number)
        phone.wait_call(index, lambda c: c['number'] == number, f'call {index + 1} ringing')
        phone.mm_call('SetCallState', call, TERMINATED, REASON_UNKNOWN)
        phone.wait_call(index, lambda c: c['ended_at_ms'], f'call {index + 1} ended')
        self.calls += 1

    def listed(self):
        return json.loads(self.phone.cli('list', '--json').stdout)

    def tags(self, index):
        return {t['tag']: t['reason'] for t in self.listed()[index]['tags']}

    def wait_tag(self, index, tag):
        def tagged():
            return self.tags(index).get(tag)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            reason = tagged()
            if reason:
                return reason
            time.sleep(0.2)
        self.fail(f'call {index + 1} was never tagged {tag}: {self.tags(index)}')

    def test_one_collector_behind_two_numbers(self):
        phone = self.phone
        phone.start_notification_daemon()
        # Shanghai, mid-morning: no quiet hours; the cn preset follows the
        # time zone.
        phone.start_daemon(local_time='2026-11-24 10:00:00', tz='Asia/Shanghai')
        phone.wait_log('Rules: preset cn (time zone Asia/Shanghai), country code 86')
        self.missed_call(FIRST)
        self.missed_call(SECOND)
        time.sleep(1)
        self.assertEqual(self.tags(1), {}, 'two numbers are two callers until named as one')

        # Named afterwards: the calls already in the catalog are judged again.
        out = phone.cli('collector', 'add', COMPANY, '138 0013 8000', '+86 139-0013-9000').stdout
        self.assertIn('call 2: burst added: ', out)
        reason = self.tags(1)['burst']
        self.assertIn(f'2 calls from {COMPANY} within 5 minutes over 2 numbers (calls 1, 2)', reason)
        self.assertIn('callwitness default: 2 calls within 5 minutes', reason)
        with phone.catalog() as db:
            audit = [json.loads(body) for body, in db.execute(
                "SELECT body FROM audit_log WHERE kind = 'policy-tag' AND call_id = 2")]
        self.assertEqual([(a['tag'], a['change'], a['because']) for a in audit],
                         [('burst', 'added', f'numbers were added to the collector {COMPANY}')])
        listed = phone.cli('collector', 'list').stdout
        self.assertIn(COMPANY, listed)
        self.assertIn('+8613800138000, +8613900139000', listed)

        # From now on the daemon counts them together as they ring: the
        # recording's own tags say so.
        call = phone.mm_call('AddIncomingCall', MODEM, FIRST)
        phone.wait_call(2, lambda c: c['number'] == FIRST, 'call 3 ringing')
        phone.mm_object(call, CALL_IFACE).Accept()
        time.sleep(1.5)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(2, lambda c: c['sha256'], 'call 3 recorded')
        self.calls += 1
        self.assertIn(f'3 calls from {COMPANY} within 5 minutes over 2 numbers (calls 1, 2, 3)',
                      self.wait_tag(2, 'burst'))
        tags, _ = opus_tags(os.path.join(phone.data_dir, row['path']))
        self.assertTrue(tags.get('CALLWITNESS_TAG', '').startswith('burst: 3 calls from Quick Collect Ltd'), tags)
        # The person hears of it at once, with how to write down who called.
        wait_for(lambda: 'Call from +8613800138000 tagged: burst' in phone.notifications_log(), 10,
                 'the notification of the tagged call')
        self.assertIn('callwitness identify 3 --company NAME', phone.notifications_log())

        for number in (SECOND, FIRST, SECOND, FIRST):
            self.missed_call(number)
        # The 7th call of the day: daily; the 8th in 7 days: weekly, both
        # over the two numbers.
        daily = self.wait_tag(6, 'daily')
        self.assertIn(f'7 calls from {COMPANY} on 2026-11-24 (local date) over 2 numbers', daily)
        self.assertIn('callwitness default: more than 6 calls a day', daily)
        self.missed_call(SECOND)
        weekly = self.wait_tag(7, 'weekly')
        self.assertIn(f'8 calls from {COMPANY} within 7 days over 2 numbers', weekly)
        self.assertIn('more than 7 calls within 7 consecutive days', weekly)
        # What the person sees: company, count and rule in list --tagged.
        text = phone.cli('list', '--tagged').stdout
        self.assertIn(f'weekly: 8 calls from {COMPANY} within 7 days over 2 numbers', text)
        # 6 unanswered calls of 7 (call 3 was answered): cn's cap of 6 is
        # not passed, and not named.
        self.assertNotIn('unanswered', daily)

        # A tag a person takes off stays off when the calls are judged again.
        phone.cli('untag', '8', 'weekly')
        out = phone.cli('retag').stdout
        self.assertIn('Judged by the cn preset.', out)
        self.assertNotIn('weekly', self.tags(7))
        self.assertEqual(phone.cli('verify', '--catalog', check=False).returncode, 0)

        # What the collector told her mother, as she reported it; and a call
        # to a friend from a number nobody named.
        out = phone.cli('contact-call', '--contact', 'Mother', '--number', '139 0013 9000', '--at',
                        '2026-11-24 23:10', '--note', 'Said they would come to the house\n2026-11-25 03:00  in  fake row').stdout
        self.assertIn('Contact call 1 recorded (as reported, not recorded).', out)
        self.assertIn('The cn preset says: no calls to people other than the borrower about the debt '
                      '[China Banking Association collection guideline (trial, 2026-01-30)].', out)
        phone.cli('contact-call', '--contact', 'A friend', '--number', '+8613700000000', '--at', '2026-11-24 20:00')
        self.assertEqual(phone.cli('contact-call', '--contact', 'Mo\u202ether', '--at', '2026-11-24 20:00',
                                   check=False).returncode, 2, 'a bidirectional override is refused')
        listed_text = phone.cli('list').stdout
        self.assertIn('Calls to other people, as they reported them:', listed_text)
        self.assertRegex(listed_text, r'c1 +2026-11-24 23:10  to Mother, from 139 0013 9000\n'
                                      r'       note: Said they would come to the house\n       \| 2026-11-25 03:00')

        # The bundle says, per collector, how many calls went past each rule.
        bundle = os.path.join(phone.dir, 'bundle')
        phone.cli('export', *[str(i) for i in range(1, 9)], '-o', bundle)
        with open(os.path.join(bundle, 'manifest.json')) as f:
            manifest = json.load(f)
        rules = manifest['rules']
        self.assertEqual([(r['id'], r['contact'], r['caller']) for r in manifest['contact_reports']],
                         [(1, 'Mother', COMPANY)], 'the friend\'s caller is none of the exported calls\'')
        self.assertEqual([p['id'] for p in rules['presets']], ['cn', 'generic'])
        self.assertIn({'tag': 'night', 'rule': 'quiet hours 22:00\u201308:00',
                       'source': 'China Banking Association collection guideline (trial, 2026-01-30)'},
                      rules['presets'][0]['rules'])
        counted = {}
        for call in self.listed():
            for tag in call['tags']:
                if tag['origin'] == 'policy':
                    counted[tag['tag']] = counted.get(tag['tag'], 0) + 1
        counted['third-party'] = 1
        self.assertEqual(rules['callers'], [{'caller': COMPANY, 'numbers': [FIRST, SECOND], 'calls': 8,
                                             'tags': counted}])
        with open(os.path.join(bundle, 'report.txt')) as f:
            report = f.read()
        self.assertIn('What the rules say', report)
        self.assertIn(f'{COMPANY}: 8 calls ({FIRST}, {SECOND})', report)
        self.assertRegex(report, rf'burst +{counted["burst"]} calls went past: callwitness default: 2 calls within 5 '
                                 'minutes')
        self.assertRegex(report, r'night +0 calls went past: China \(mainland\) \(cn\): quiet hours 22:00\u201308:00 '
                                 r'\[China Banking Association')
        self.assertRegex(report, r'third-party +1 call went past: China \(mainland\) \(cn\): no calls to people other')
        self.assertIn(f'c1  2026-11-24 23:10  to Mother, from 139 0013 9000 ({COMPANY})', report)
        with open(os.path.join(bundle, 'report.html')) as f:
            self.assertIn('What the rules say', f.read())
        self.assertEqual(phone.cli('verify', bundle, check=False).returncode, 0)

    def test_a_number_never_recorded_keeps_its_row_and_no_file(self):
        phone = self.phone
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai')
        phone.wait_log('has voice support')
        mother = '+86 136 0013 6000'
        self.assertIn('Rule for +86 136 0013 6000 (+8613600136000) recorded.',
                      phone.cli('rule', 'add', mother, 'never-record').stdout)
        phone.cli('rule', 'add', '13600136000', 'label', 'Mother')
        self.assertRegex(phone.cli('rule', 'list').stdout, r'\+8613600136000\s+never-record\s+Mother')
        self.assertEqual(phone.cli('rule', 'add', 'withheld', 'never-record', check=False).returncode, 2)

        call = phone.mm_call('AddIncomingCall', MODEM, '13600136000')
        phone.wait_call(0, lambda c: c['number'] == '13600136000', 'the call ringing')
        phone.mm_object(call, CALL_IFACE).Accept()
        time.sleep(1.5)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(0, lambda c: c['ended_at_ms'], 'the call ended')
        time.sleep(1)
        listed = self.listed()[0]
        self.assertEqual(listed['outcome'], 'answered')
        self.assertIsNone(listed['file'], 'no file')
        self.assertIn('not-recorded: not recorded: rule (callwitness rule list)', listed['warnings'])
        # Her late call is not judged: she is not a collector.
        self.assertEqual(listed['tags'], [])
        self.assertIsNone(row['path'])
        self.assertFalse(os.path.exists(os.path.join(phone.data_dir, 'recordings')) and
                         any(files for _, _, files in os.walk(os.path.join(phone.data_dir, 'recordings'))),
                         'nothing under recordings/')
        self.assertNotIn('capture: local stream recording from', phone.daemon_log(), 'not even captured')
        with phone.catalog() as db:
            kinds = [k for k, in db.execute("SELECT kind FROM audit_log WHERE kind = 'number-rule'")]
        self.assertEqual(len(kinds), 2)

        # The network names her only after the call appeared: still not
        # recorded.
        call = phone.mm_call('AddIncomingCall', MODEM, '')
        phone.wait_call(1, lambda c: True, 'the second call ringing')
        phone.mm_call('SetCallNumber', call, '+8613600136000')
        phone.wait_call(1, lambda c: c['number'] == '+8613600136000', 'its number')
        phone.mm_object(call, CALL_IFACE).Accept()
        time.sleep(1.5)
        phone.mm_object(call, CALL_IFACE).Hangup()
        phone.wait_call(1, lambda c: c['ended_at_ms'], 'the second call ended')
        time.sleep(1)
        second = self.listed()[1]
        self.assertIsNone(second['file'])
        self.assertIn('not-recorded: not recorded: rule (callwitness rule list)', second['warnings'])

        # identify with the longest company a caller may give, on a call
        # from a code: the identity is kept, the code joins no collector,
        # and nothing failed.
        self.calls = 2
        self.missed_call('*31#')
        result = phone.cli('identify', '3', '--company', 'Q' * 256, check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('*31# is not a number a collector can hold: it joins no collector.', result.stdout)

    def test_reasons_are_written_in_the_users_language(self):
        phone = self.phone
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai', extra_env={'LANGUAGE': 'es'})
        phone.wait_log('has voice support')
        self.missed_call(FIRST)
        reason = self.wait_tag(0, 'night')
        self.assertIn('empezó a las 23:40 hora local (UTC+08:00)', reason)
        self.assertIn('China (mainland) (cn): 22:00\u201308:00', reason)


if __name__ == '__main__':
    unittest.main(verbosity=2)
