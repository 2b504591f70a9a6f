# SPDX-License-Identifier: GPL-3.0-or-later
'''A test case with a simulated phone and a ModemManager mock, and the
call steps the integration tests share.'''

import os
import shutil
import time
import unittest

from harness import SEPARATE, Phone, check_recording

AUDIO = os.environ.get('CW_AUDIO', 'pulseaudio')
MODEM = '/org/freedesktop/ModemManager1/Modem/0'
CALL_IFACE = 'org.freedesktop.ModemManager1.Call'
VOICE_IFACE = 'org.freedesktop.ModemManager1.Modem.Voice'
# MMCallState, MMCallStateReason (ModemManager-enums.h)
ACTIVE, TERMINATED = 4, 7
REASON_ACCEPTED, REASON_TERMINATED, REASON_UNKNOWN = 3, 4, 0


class PhoneTestCase(unittest.TestCase):

    def setUp(self):
        self.phone = Phone(AUDIO)
        self.addCleanup(self.phone.close)

    def ring_and_answer(self, number='+8613800138000', ring_s=1.5, tones=True):
        '''Tones on, an incoming call rings and is answered. Returns its path.'''
        phone = self.phone
        if tones:
            phone.play_tones()
        call = phone.mm_call('AddIncomingCall', MODEM, number)
        phone.wait_call(0, lambda c: c['number'] == number, 'the ringing call in the catalog')
        time.sleep(ring_s)
        phone.mm_object(call, CALL_IFACE).Accept()
        phone.wait_call(0, lambda c: c['answered_at_ms'], 'answered_at')
        return call

    def answered_call(self, number='+8613800138000', talk_s=4.0, tones=True):
        '''An incoming call that rings, is answered, talks, and is hung up.'''
        phone = self.phone
        call = self.ring_and_answer(number, tones=tones)
        time.sleep(talk_s)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(0, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        return row

    def check_recording(self, row, talk_s, channels=SEPARATE):
        return check_recording(self, self.phone, row, talk_s, channels)



class SharedPhoneTestCase(PhoneTestCase):
    """One phone (buses, sound server) for all the tests of a class: each
    test leaves it as it found it."""

    @classmethod
    def setUpClass(cls):
        cls.phone = Phone(AUDIO)

    @classmethod
    def tearDownClass(cls):
        cls.phone.close()

    def setUp(self):
        pass


class RecordedPhoneTestCase(SharedPhoneTestCase):
    """And the calls its record_fixture() makes recorded once: every test
    starts from a copy of the home they left (catalog, recordings, device
    key, configuration), with no daemon, modem or tones running, and an
    empty self.out."""

    pristine = None

    def record_fixture(self):
        raise NotImplementedError

    def setUp(self):
        phone = self.phone
        self.addCleanup(self.leave_phone)
        if type(self).pristine is None:
            self.record_fixture()
            self.leave_phone()
            type(self).pristine = os.path.join(phone.dir, 'pristine-home')
            shutil.copytree(phone.home, type(self).pristine, symlinks=True)
        else:
            shutil.rmtree(phone.home)
            shutil.copytree(type(self).pristine, phone.home, symlinks=True)
        self.out = os.path.join(phone.dir, 'out')
        shutil.rmtree(self.out, ignore_errors=True)
        os.mkdir(self.out)

    def leave_phone(self):
        self.phone.stop_calls_machinery()
