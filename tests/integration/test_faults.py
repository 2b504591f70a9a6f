#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''Faults a recording must survive or name: forged and malformed D-Bus
signals, a sink that goes away mid-call, call waiting. One simulated phone
for the whole module; each test starts its own ModemManager mock and
daemon on a fresh catalog.'''

import hashlib
import math
import os
import signal
import sqlite3
import struct
import subprocess
import threading
import sys
import time
import unittest

import dbus
import dbus.lowlevel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (DAEMON, beep_onsets, check_beeps_regular, check_recording, decode,  # noqa: E402
                     misalignment, opus_tags, power_cut, tone_levels, band_rms, wait_for, whole_beeps)
from phonecase import ACTIVE, CALL_IFACE, MODEM, REASON_ACCEPTED, SharedPhoneTestCase  # noqa: E402

HELD = 5

MM_NAME = 'org.freedesktop.ModemManager1'
MM_PATH = '/org/freedesktop/ModemManager1'
MOCK_IFACE = 'org.freedesktop.DBus.Mock'


def send_signal(bus, path, interface, member, signature, args, destination=None):
    message = dbus.lowlevel.SignalMessage(path, interface, member)
    if destination:
        message.set_destination(destination)
    message.append(*args, signature=signature)
    bus.send_message(message)
    bus.flush()


class Faults(SharedPhoneTestCase):

    def setUp(self):
        self.addCleanup(self.reset_phone)

    def reset_phone(self):
        self.phone.stop_calls_machinery()
        self.phone.forget_data()

    def daemon_bus_name(self):
        '''The daemon's unique name on the phone's system bus.'''
        bus = self.phone.system_bus
        proxy = dbus.Interface(bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus'),
                               'org.freedesktop.DBus')

        def find():
            for name in proxy.ListNames():
                if name.startswith(':') and proxy.GetConnectionUnixProcessID(name) == self.phone.daemon.pid:
                    return str(name)
            return None
        return wait_for(find, 15, "the daemon's bus name")

    def answer(self, number, ring_s=0.5):
        '''An incoming call from number, answered. Returns its modem path
        and its index among the catalog's calls.'''
        phone = self.phone
        index = len(phone.calls())
        call = phone.mm_call('AddIncomingCall', MODEM, number)
        phone.wait_call(index, lambda c: c['number'] == number, f'call {number} in the catalog')
        time.sleep(ring_s)
        phone.mm_object(call, CALL_IFACE).Accept()
        phone.wait_call(index, lambda c: c['answered_at_ms'], f'call {number} answered')
        return call, index

    def test_forged_and_malformed_signals_change_nothing(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        call, index = self.answer('+8613800138000')
        daemon = self.daemon_bus_name()
        mm_owner = phone.system_bus.get_name_owner(MM_NAME)

        # Another program on the system bus claims ModemManager left, then
        # that it owns the name, then announces a modem of the wrong shape,
        # each sent straight to the daemon (a unicast signal needs no match).
        forger = dbus.bus.BusConnection(phone.env['DBUS_SYSTEM_BUS_ADDRESS'])
        send_signal(forger, '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameOwnerChanged', 'sss',
                    [MM_NAME, mm_owner, ''], destination=daemon)
        send_signal(forger, '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameOwnerChanged', 'sss',
                    [MM_NAME, mm_owner, forger.get_unique_name()], destination=daemon)
        send_signal(forger, MM_PATH, 'org.freedesktop.DBus.ObjectManager', 'InterfacesAdded', 'oa{ia{sv}}',
                    [dbus.ObjectPath(MM_PATH + '/Modem/9'), {1: {'x': dbus.String('y', variant_level=1)}}],
                    destination=daemon)
        send_signal(forger, call, CALL_IFACE, 'StateChanged', 'iiu', [4, 7, 4], destination=daemon)

        # ModemManager itself (or whatever owns its name) sends every signal
        # the backend reads in a shape the interface files do not allow.
        main = phone.system_bus.get_object(MM_NAME, MM_PATH)
        modem = phone.system_bus.get_object(MM_NAME, MODEM)
        call_object = phone.system_bus.get_object(MM_NAME, call)
        empty_sv = dbus.Dictionary({}, signature='sv')
        no_strings = dbus.Array([], signature='s')
        emit = [
            (main, 'org.freedesktop.DBus.ObjectManager', 'InterfacesAdded', 'oa{ia{sv}}',
             [dbus.ObjectPath(MM_PATH + '/Modem/9'), dbus.Dictionary({1: empty_sv}, signature='ia{sv}')]),
            (main, 'org.freedesktop.DBus.ObjectManager', 'InterfacesAdded', 's', ['x']),
            (main, 'org.freedesktop.DBus.ObjectManager', 'InterfacesRemoved', 'oai', [dbus.ObjectPath(MODEM), [1]]),
            (main, 'org.freedesktop.DBus.ObjectManager', 'InterfacesRemoved', '', []),
            (modem, 'org.freedesktop.ModemManager1.Modem.Voice', 'CallAdded', 's', ['/x']),
            (modem, 'org.freedesktop.ModemManager1.Modem.Voice', 'CallDeleted', 's', [call]),
            (modem, 'org.freedesktop.ModemManager1.Modem.Voice', 'CallDeleted', 'i', [7]),
            (call_object, CALL_IFACE, 'StateChanged', 'sss', ['a', 'b', 'c']),
            (call_object, CALL_IFACE, 'StateChanged', 'ii', [4, 7]),
            (call_object, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}', [CALL_IFACE, empty_sv]),
            (call_object, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'si', [CALL_IFACE, 3]),
            (call_object, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{iv}as',
             [CALL_IFACE, dbus.Dictionary({1: dbus.String('x', variant_level=1)}, signature='iv'), no_strings]),
            (call_object, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}as',
             [CALL_IFACE, dbus.Dictionary({'Number': dbus.Int32(5, variant_level=1)}, signature='sv'), no_strings]),
        ]
        for obj, interface, member, signature, args in emit:
            obj.EmitSignal(interface, member, signature, args, dbus_interface=MOCK_IFACE)
        time.sleep(2)
        self.assertIsNone(phone.daemon.poll(), 'callwitnessd is still running')
        self.assertNotIn('ModemManager left the bus', phone.daemon_log())
        self.assertIsNone(phone.calls()[index]['ended_at_ms'], 'the call is still in progress')

        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the finished recording')
        self.assertEqual(row['end_reason'], 'hangup')
        self.assertEqual(row['number'], '+8613800138000')
        check_recording(self, phone, row, (row['ended_at_ms'] - row['answered_at_ms']) / 1000)

        # The real ModemManager still speaks for the modem: the next call
        # is recorded.
        call, index = self.answer('+8613900139000')
        time.sleep(1)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the second recording')
        self.assertEqual(row['end_reason'], 'hangup')
        forger.close()

    # --- timing under stalls ------------------------------------------------

    def beeping_call(self, number, talk_s, during=None, faults=None):
        '''A call with beeps on both sides (440 Hz local, 1000 Hz remote,
        every 250 ms); during(phone) runs in the middle of it. Returns the
        finished row and the decoded file.'''
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai', faults=faults)
        phone.play_tones(local=phone.beeps(440), remote=phone.beeps(1000))
        self.references = phone.record_references()
        # Rings long enough for the capture to run before the answer, slow
        # disk or not.
        call, index = self.answer(number, ring_s=2.5)
        time.sleep(talk_s / 2)
        if during:
            during(phone)
        time.sleep(talk_s / 2)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the finished recording', timeout=40)
        phone.stop_references()
        phone.stop_tones()
        wav = os.path.join(phone.dir, f'decoded-{row["id"]}.wav')
        return row, wav, decode(os.path.join(phone.data_dir, row['path']), wav)

    def check_in_time(self, row, wav, file_s, first_beep_by=0.3):
        active_s = (row['ended_at_ms'] - row['answered_at_ms']) / 1000
        self.assertLess(abs(file_s - active_s), 0.1, f'file lasts {file_s:.3f} s, the call was active {active_s:.3f} s')
        for channel, hz in ((1, 440), (2, 1000)):
            onsets = beep_onsets(wav, channel, hz)
            played = beep_onsets(self.references[channel], 1, hz)
            wrong = misalignment(onsets, played)
            if wrong:
                # Rare, and seen in CI, whose files are gone: the message
                # carries the beeps and what the capture did meanwhile.
                with self.phone.catalog() as db:
                    warnings = db.execute('SELECT kind, message FROM call_warnings WHERE call_id = ?',
                                          (row['id'],)).fetchall()
                capture = [line for line in self.phone.daemon_log().splitlines() if 'capture' in line]
                self.fail(f'channel {channel}: {wrong}\nfile: {[round(t, 3) for t in onsets]}\n'
                          f'played: {[round(t, 3) for t in played]}\nwarnings: {warnings}\n'
                          + '\n'.join(capture[-60:]))
            self.assertGreater(onsets[-1], file_s - 0.4, f'channel {channel}: beeps up to the hang-up ({onsets[-1]:.3f} s '
                                                         f'of {file_s:.3f} s)')
            self.assertLess(onsets[0], first_beep_by, f'channel {channel}: beeps from the answer on')

    def test_slow_disk_at_the_answer_moves_no_audio(self):
        # Every fsync (the catalog's commits at the answer among them) takes
        # 700 ms: audio arrives late, and must still be placed where it was
        # captured.
        row, wav, file_s = self.beeping_call('+8613800138001', 5.0, faults={'CW_FAULT_SLOW_FSYNC_MS': '700'})
        self.check_in_time(row, wav, file_s)

    def test_answered_at_once_on_a_slow_disk_the_backlog_is_placed_where_it_was_captured(self):
        # Answered as it rings, every fsync 700 ms slow: the daemon is stuck
        # in the catalog's commits while its streams start, and reads their
        # first seconds at once, long after they were captured. Placed as if
        # captured when they arrived, the whole recording came out seconds
        # late, its end cut; the stream's clock says when they were.
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai',
                           faults={'CW_FAULT_SLOW_FSYNC_MS': '700'})
        phone.play_tones(local=phone.beeps(440), remote=phone.beeps(1000))
        self.references = phone.record_references()
        call, index = self.answer('+8613800138003', ring_s=0)
        time.sleep(5)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the finished recording', timeout=40)
        phone.stop_references()
        phone.stop_tones()
        wav = os.path.join(phone.dir, f'decoded-{row["id"]}.wav')
        # The streams are asked for at the ringing, and the server makes
        # them once the stalled daemon's request reaches it: one may start
        # after the answer (seen in CI: 0.3 s), and its file is silent until
        # then, truly. Placed by arrival, the audio came seconds late.
        self.check_in_time(row, wav, decode(os.path.join(phone.data_dir, row['path']), wav), first_beep_by=1.5)

    def test_stalled_daemon_moves_no_audio(self):
        def stall(phone):
            phone.daemon.send_signal(signal.SIGSTOP)
            time.sleep(2)
            phone.daemon.send_signal(signal.SIGCONT)
        row, wav, file_s = self.beeping_call('+8613800138002', 6.0, during=stall)
        self.check_in_time(row, wav, file_s)

    def lock_catalog(self):
        '''Another program takes the catalog's write lock and holds it (until
        its ROLLBACK).'''
        phone = self.phone
        wait_for(lambda: os.path.exists(os.path.join(phone.data_dir, 'catalog.db')), 15, 'the catalog')
        locker = sqlite3.connect(os.path.join(phone.data_dir, 'catalog.db'), isolation_level=None, timeout=10)
        self.addCleanup(locker.close)
        locker.execute('BEGIN IMMEDIATE')
        return locker

    def test_catalog_locked_for_a_whole_call_loses_nothing(self):
        # Another program (an sqlite3 shell, a CLI in a long transaction)
        # holds the catalog's write lock for 10 s, from before the call rings
        # until after it ended: the daemon keeps every change in memory,
        # records the call in time, and writes it all once the lock goes.
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones(local=phone.beeps(440), remote=phone.beeps(1000))
        self.references = phone.record_references()
        locker = self.lock_catalog()
        locked_at = time.monotonic()
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613800138060')
        time.sleep(2.5)
        phone.mm_object(call, CALL_IFACE).Accept()
        time.sleep(4)
        phone.mm_object(call, CALL_IFACE).Hangup()
        # The hang-up's audio is in the file before the lock goes.
        wait_for(lambda: 'recording finished' in phone.daemon_log(), 15, 'the sealed file')
        self.assertEqual(phone.calls(), [], 'the lock kept the daemon out')
        time.sleep(max(0, 10 - (time.monotonic() - locked_at)))
        locker.execute('ROLLBACK')

        row = phone.wait_call(0, lambda c: c['sha256'], 'the call written once the lock went', timeout=20)
        self.assertEqual(row['number'], '+8613800138060')
        with phone.catalog() as db:
            states = [s for s, in db.execute('SELECT state FROM call_states WHERE call_id = ? ORDER BY id',
                                              (row['id'],))]
        self.assertEqual(states, ['ringing', 'active', 'ended'])
        phone.stop_references()
        phone.stop_tones()
        wav = os.path.join(phone.dir, 'locked.wav')
        self.check_in_time(row, wav, decode(os.path.join(phone.data_dir, row['path']), wav))
        self.assertEqual(phone.cli('verify', '--catalog', check=False).returncode, 0)
        log = phone.daemon_log()
        self.assertIn('kept in memory', log)
        self.assertIn('nothing was lost', log)

    # --- two clocks -----------------------------------------------------------

    def feed_slow_source(self, fifo, rate, stop, pause=None, limit_s=120):
        '''A microphone whose sound card runs at `rate` frames per second of
        real time (48000 nominal), paced by the monotonic clock in 50 ms
        steps, until stop is set (bounded by limit_s): 50 ms beeps of 440 Hz
        every 250 ms of real time, in step with the other party's beeps.
        pause: (from_s, seconds) during which it writes nothing, or a list
        of them.'''
        step = 0.05
        frames = round(rate * step)
        beep = b''.join(struct.pack('<h', int(12000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(frames))
        silence = bytes(2 * frames)
        pauses = pause if isinstance(pause, list) else [pause] if pause else []
        with open(fifo, 'wb', buffering=0) as f:
            started = time.monotonic()
            for n in range(int(limit_s / step)):
                if stop.is_set():
                    break
                if not any(start <= n * step < start + length for start, length in pauses):
                    f.write(beep if n % 5 == 0 else silence)
                delay = started + (n + 1) * step - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    def call_with_microphone_fed(self, rate, pause=None, talk_s=32):
        '''A talk_s call (32 s) whose microphone is a module-pipe-source fed at `rate`
        frames per second of real time. Returns the row, the decoded file,
        its length, the beep onsets of both channels and the warnings.'''
        phone = self.phone
        if phone.audio == 'pipewire':
            self.skipTest("pipewire-pulse's module-pipe-source is paced by PipeWire's own clock: a slow writer "
                          "gives it dropouts, not a slow clock")
        fifo = os.path.join(phone.dir, 'slow-mic.fifo')
        # The server makes the fifo.
        result = phone.pactl('load-module', 'module-pipe-source', 'source_name=slow_mic', f'file={fifo}',
                             'format=s16le', 'rate=48000', 'channels=1', check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.addCleanup(phone.pactl, 'unload-module', result.stdout.strip(), check=False)
        phone.wait_object('sources', 'slow_mic')
        stop = threading.Event()
        feeder = threading.Thread(target=self.feed_slow_source, args=(fifo, rate, stop, pause, talk_s + 90),
                                  daemon=True)
        self.fed_since = time.monotonic()
        feeder.start()
        self.addCleanup(feeder.join, 10)
        self.addCleanup(stop.set)
        phone.write_config('[audio]\nlocal_source = slow_mic\n')
        self.addCleanup(phone.write_config, '')
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones(remote=phone.beeps(1000))
        call, index = self.answer('+8613800138080', ring_s=1.0)
        self.answered_at = time.monotonic()
        time.sleep(talk_s)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the recording')
        phone.stop_tones()
        wav = os.path.join(phone.dir, 'drift.wav')
        file_s = decode(os.path.join(phone.data_dir, row['path']), wav)
        with phone.catalog() as db:
            warnings = dict(db.execute('SELECT kind, message FROM call_warnings WHERE call_id = ?', (row['id'],)))
        return row, wav, file_s, beep_onsets(wav, 1, 440), beep_onsets(wav, 2, 1000), warnings

    def check_in_step_at_the_end(self, local, remote, file_s, tolerance_s=0.02, last_s=8):
        def offset(onset):
            '''How far the microphone's beep is from the other party's, in
            (-125, 125] ms: the beeps come every 250 ms.'''
            return (onset - remote[0] + 0.125) % 0.25 - 0.125
        local = whole_beeps(local)
        first = sorted(offset(l) for l in local if l < 1.0)
        first = first[len(first) // 2]
        end = [offset(l) for l in local if file_s - last_s <= l]
        self.assertLess(local[0], 0.5)
        worst = max(abs((o - first + 0.125) % 0.25 - 0.125) for o in end)
        self.assertLess(worst, tolerance_s, f'in step with the first second ({first:.3f} s) at the end: {end}')
        return worst

    def test_a_slow_sound_card_is_resampled_into_step(self):
        # The microphone's card runs 2 % slow against the phone's clock: in
        # 30 s its channel would fall 0.6 s behind the other party's (what
        # 0.1 % does in ten minutes). It is measured and resampled.
        # bench/drift runs this test as the issue names it, 0.1 % slow for
        # ten minutes, within 20 ms (CW_DRIFT_RATE, _TALK_S, _TOLERANCE_S).
        rate = int(os.environ.get('CW_DRIFT_RATE', '47040'))
        tolerance_s = float(os.environ.get('CW_DRIFT_TOLERANCE_S', '0.04'))
        row, wav, file_s, local, remote, warnings = self.call_with_microphone_fed(
            rate, talk_s=float(os.environ.get('CW_DRIFT_TALK_S', '32')))
        check_beeps_regular(self, local, 'the slow channel, stretched')
        # Uncorrected, the slow channel's beeps come 5 ms earlier each; the
        # first seconds drift before the drift is measured (10 s at most),
        # then that is made up and the channels stay in step: within 2 ms on
        # an idle machine; the first window's lowest lateness, the baseline,
        # can be late by tens of ms when the daemon starts the call starved
        # (30 ms seen under ASan with the suite's load), and the channels
        # then stay in step that far from the first second.
        worst = self.check_in_step_at_the_end(local, remote, file_s, tolerance_s=tolerance_s)
        self.assertIn('clock-drift', warnings, warnings)
        percent = float(warnings['clock-drift'].split('running ')[1].split(' %')[0])
        slow = (48000 - rate) / 480
        print(f'\ndrift: a card {slow:.2f} % slow, told {percent:.2f} %, over a {file_s:.1f} s file; the slow '
              f'channel at most {worst * 1000:.1f} ms out of step in its last 8 s; {len(whole_beeps(local))} beeps, '
              f'none inserted or lost', file=sys.stderr)
        self.assertAlmostEqual(percent, slow, delta=0.15 * slow + 0.02, msg=warnings['clock-drift'])
        self.assertIn("the phone's own side was captured by a clock running", warnings['clock-drift'])
        self.assertIn('% slow', warnings['clock-drift'])
        self.assertNotIn("the other party's side was captured", warnings['clock-drift'])

    def test_a_stream_that_pauses_is_not_taken_for_a_slow_clock(self):
        # A microphone on time that delivers nothing for 2 s mid-call: the
        # gap is silence of its length, told, and nothing is resampled.
        row, wav, file_s, local, remote, warnings = self.call_with_microphone_fed(48000, pause=(9, 2), talk_s=18)
        self.assertNotIn('clock-drift', warnings, warnings)
        self.assertIn('capture-gap', warnings, warnings)
        gap_ms = float(warnings['capture-gap'].split('about ')[1].split(' ms')[0])
        self.assertAlmostEqual(gap_ms, 2000, delta=150, msg=warnings['capture-gap'])
        # Placed from the first audio after it on, not once a window of
        # early audio told: every beep after the gap is in step.
        self.check_in_step_at_the_end(local, remote, file_s, tolerance_s=0.04, last_s=file_s - 11.3)
        late = [l for l in local if l > 11.3]
        check_beeps_regular(self, late, 'the microphone after the gap')

    def test_a_short_loss_early_in_a_call_is_silence_not_a_shift(self):
        # A source that loses 400 ms (what a starved sound server does to a
        # monitor) two seconds into a 7 s call, before any drift window is
        # complete: the audio after the loss is where it was captured, and
        # the loss is told.
        row, wav, file_s, local, remote, warnings = self.call_with_microphone_fed(48000, pause=(3, 0.4), talk_s=7)
        self.assertIn('capture-gap', warnings, warnings)
        gap_ms = float(warnings['capture-gap'].split('about ')[1].split(' ms')[0])
        self.assertAlmostEqual(gap_ms, 400, delta=60, msg=warnings['capture-gap'])
        self.check_in_step_at_the_end(local, remote, file_s, tolerance_s=0.03, last_s=file_s)

    def test_a_source_silent_after_a_late_read_holds_nothing_back(self):
        # The microphone loses 0.4 s, sends one late fragment, then nothing
        # for 12 s: the late fragment is held to be judged, and must not hold
        # back the file (nor, past the server's buffer, lose the other
        # party's audio) while no later read comes to judge it.
        sizes = []
        stop = threading.Event()

        def sample():
            started = time.monotonic()
            while not stop.is_set() and time.monotonic() - started < 60:
                files = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(self.phone.data_dir, 'recordings'))
                         for f in fs if f.endswith('.opus')]
                sizes.append((time.monotonic(), os.path.getsize(files[0]) if files else 0))
                time.sleep(0.5)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        self.addCleanup(sampler.join, 5)
        self.addCleanup(stop.set)
        row, wav, file_s, local, remote, warnings = self.call_with_microphone_fed(
            48000, pause=[(3.0, 0.4), (3.45, 12)], talk_s=16)
        stop.set()
        answered = next(t for t, size in sizes if size > 0)
        during = [size for t, size in sizes if answered + 6 <= t <= answered + 12]
        self.assertGreater(len(during), 5)
        self.assertGreater(during[-1], during[0], f'the file grew while the microphone was silent: {sizes}')
        check_beeps_regular(self, [r for r in remote if r > 0.3], "the other party's side")
        # When it speaks again, its audio is where it was captured: not right
        # after the moment the capture stopped waiting for it, seconds early.
        # (A file second is a second after the answer; the feeder's times
        # count from its start.)
        resumed = self.fed_since + 3.45 + 12 - self.answered_at
        after = [l for l in local if l > resumed - 1.0]
        self.assertGreaterEqual(len(after), 3, f'the microphone heard again after {resumed:.2f} s: {local}')
        self.assertGreater(after[0], resumed - 0.3, f'the microphone\'s first beep after its silence, due at '
                           f'{resumed:.2f} s: {local}')

    # --- power cuts ------------------------------------------------------------

    def start_daemon_logging_syncs(self, **faults):
        phone = self.phone
        self.sync_log = os.path.join(phone.dir, 'sync.log')
        if os.path.exists(self.sync_log):
            os.unlink(self.sync_log)
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai',
                           faults=dict(CW_FAULT_SYNC_LOG=self.sync_log, **faults))
        phone.play_tones()

    def cut_power_and_restart(self, boot_time='2026-11-24 20:00:00'):
        '''The phone loses power: the daemon dies and every write it did not
        sync is gone. It boots eight hours later.'''
        phone = self.phone
        phone.daemon.kill()
        phone.daemon.wait(10)
        lost = power_cut(self.sync_log, phone.data_dir)
        phone.start_daemon(local_time=boot_time, tz='Asia/Shanghai')
        return lost

    def check_catalog_verifies(self):
        result = self.phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_power_cut_while_ringing_ends_the_call_when_last_seen(self):
        phone = self.phone
        self.start_daemon_logging_syncs()
        phone.mm_call('AddIncomingCall', MODEM, '+8613800138070')
        row = phone.wait_call(0, lambda c: c['number'], 'the ringing call')
        time.sleep(1)
        # No clock battery: the phone boots in 2000.
        lost = self.cut_power_and_restart(boot_time='2000-01-01 00:00:00')
        row = phone.wait_call(0, lambda c: c['ended_at_ms'], 'the orphan closed at start')
        self.assertEqual(row['end_reason'], 'daemon-stopped')
        # Neither before it began nor at the boot: the last moment known.
        self.assertEqual(row['ended_at_ms'], row['started_at_ms'], lost)
        self.assertIsNone(row['answered_at_ms'])
        self.assertIn('it is ended at the last moment known', phone.cli('show', str(row['id'])).stdout)
        self.check_catalog_verifies()

    def test_power_cut_mid_call_loses_at_most_the_unsynced_seconds(self):
        phone = self.phone
        self.start_daemon_logging_syncs()
        call, index = self.answer('+8613800138071')
        time.sleep(7.5)
        lost = self.cut_power_and_restart()
        self.assertTrue(any(what.startswith('truncated') and '.opus to ' in what for what in lost), lost)
        row = phone.wait_call(index, lambda c: c['sha256'], 'the orphan sealed at start')
        path = os.path.join(phone.data_dir, row['path'])
        on_disk_s = decode(path, os.path.join(phone.dir, 'cut.wav'))
        # Synced every 5 s of audio: what the cut took is under that.
        self.assertGreater(on_disk_s, 7.5 - 5.5, f'{on_disk_s:.2f} s survived the cut: {lost}')
        self.assertLess(on_disk_s, 8.0)
        self.assertEqual(row['end_reason'], 'daemon-stopped')
        self.assertAlmostEqual((row['ended_at_ms'] - row['answered_at_ms']) / 1000, on_disk_s, delta=0.1)
        with open(path, 'rb') as f:
            self.assertEqual(row['sha256'], hashlib.sha256(f.read()).hexdigest())
        self.check_catalog_verifies()

    def test_power_cut_while_sealing_keeps_the_synced_audio_and_says_so(self):
        phone = self.phone
        # The seal's fsync hangs long enough for the power to go meanwhile.
        self.start_daemon_logging_syncs(CW_FAULT_PAUSE_FSYNC='.opus', CW_FAULT_PAUSE_MS='8000')
        call, index = self.answer('+8613800138072')
        time.sleep(6)
        phone.mm_object(call, CALL_IFACE).Hangup()
        phone.wait_call(index, lambda c: c['ended_at_ms'], 'the end in the catalog')
        time.sleep(3)   # past the 2 s wait for the last audio: inside the seal's fsync
        self.assertNotIn('recording finished', phone.daemon_log())
        lost = self.cut_power_and_restart()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the recording sealed at start')
        self.assertEqual(row['end_reason'], 'hangup')
        path = os.path.join(phone.data_dir, row['path'])
        on_disk_s = decode(path, os.path.join(phone.dir, 'sealing.wav'))
        self.assertGreater(on_disk_s, 4.0, f'the first 5 s were synced mid-call: {lost}')
        with open(path, 'rb') as f:
            self.assertEqual(row['sha256'], hashlib.sha256(f.read()).hexdigest())
        self.assertIn('callwitnessd stopped while sealing this recording', phone.cli('show', str(row['id'])).stdout)
        self.check_catalog_verifies()

    def test_catalog_locked_through_the_stop_keeps_the_call_for_the_next_start(self):
        # The catalog is locked from before the call until after callwitnessd
        # stopped (SIGTERM mid-call): it waits 10 s in all, keeps what it
        # could not write in its journal, and the next start writes it.
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        locker = self.lock_catalog()
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613800138061')
        time.sleep(1.5)
        phone.mm_object(call, CALL_IFACE).Accept()
        time.sleep(4)
        started = time.monotonic()
        phone.stop_daemon()
        self.assertLess(time.monotonic() - started, 16, 'one 10 s wait in all, not one per write')
        journal = os.path.join(phone.data_dir, 'catalog-pending.jsonl')
        self.assertTrue(os.path.exists(journal), phone.daemon_log()[-2000:])
        self.assertIn('written at the next start', phone.daemon_log())
        locker.execute('ROLLBACK')
        self.assertEqual(phone.calls(), [])

        phone.start_daemon(local_time='2026-11-24 12:10:00', tz='Asia/Shanghai')
        row = phone.wait_call(0, lambda c: c['sha256'], 'the call from the journal')
        self.assertEqual(row['number'], '+8613800138061')
        self.assertEqual(row['end_reason'], 'daemon-stopped')
        self.assertFalse(os.path.exists(journal))
        with phone.catalog() as db:
            states = [s for s, in db.execute('SELECT state FROM call_states WHERE call_id = ? ORDER BY id',
                                              (row['id'],))]
        self.assertEqual(states, ['ringing', 'active', 'ended'])
        path = os.path.join(phone.data_dir, row['path'])
        file_s = decode(path, os.path.join(phone.dir, 'journal.wav'))
        self.assertGreater(file_s, 3.0)
        with open(path, 'rb') as f:
            self.assertEqual(row['sha256'], hashlib.sha256(f.read()).hexdigest())
        self.check_catalog_verifies()

    def killed_mid_call(self, number):
        '''A call answered, then callwitnessd killed (SIGKILL) 2 s into it.
        Returns the modem's call and its index in the catalog.'''
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        call, index = self.answer(number)
        time.sleep(2)
        phone.daemon.kill()
        phone.daemon.wait(10)
        return call, index

    def test_catalog_locked_at_start_closes_the_earlier_calls_later_and_only_those(self):
        # A daemon killed mid-call; the next one starts while the catalog is
        # locked: it records a new call meanwhile, and closes the earlier
        # call (not the new one) once the lock goes.
        phone = self.phone
        first, index = self.killed_mid_call('+8613800138063')
        phone.mm_object(first, CALL_IFACE).Hangup()
        locker = self.lock_catalog()
        phone.start_daemon(local_time='2026-11-24 12:05:00', tz='Asia/Shanghai')
        phone.wait_log('closed as soon as it can be')
        second = phone.mm_call('AddIncomingCall', MODEM, '+8613800138064')
        time.sleep(1)
        phone.mm_object(second, CALL_IFACE).Accept()
        time.sleep(2)
        locker.execute('ROLLBACK')
        phone.wait_log('What an earlier run left open is closed')
        earlier = phone.wait_call(index, lambda c: c['sha256'], 'the earlier call sealed')
        self.assertEqual(earlier['end_reason'], 'daemon-stopped')
        current = phone.wait_call(index + 1, lambda c: c['answered_at_ms'], 'the new call')
        self.assertIsNone(current['ended_at_ms'], 'the call in progress is not an orphan')
        phone.mm_object(second, CALL_IFACE).Hangup()
        current = phone.wait_call(index + 1, lambda c: c['sha256'], 'the new call sealed')
        self.assertEqual(current['end_reason'], 'hangup')
        self.check_catalog_verifies()

    def test_an_unreadable_recording_is_told_once_and_left_alone(self):
        # A daemon killed mid-call; at the next start its file is no longer
        # a file (a fifo: reading it would block the start forever).
        phone = self.phone
        call, index = self.killed_mid_call('+8613800138062')
        row = phone.calls()[index]
        path = os.path.join(phone.data_dir, row['path'])
        os.unlink(path)
        os.mkfifo(path)
        for boot in ('2026-11-24 13:00:00', '2026-11-24 14:00:00'):
            phone.start_daemon(local_time=boot, tz='Asia/Shanghai')
            phone.wait_log('ready')
            row = phone.wait_call(index, lambda c: c['ended_at_ms'], 'the orphan ended')
            phone.stop_daemon()
        with phone.catalog() as db:
            unreadable = [m for m, in db.execute("SELECT message FROM call_warnings WHERE call_id = ? AND"
                                                 " kind = 'file-unreadable'", (row['id'],))]
        self.assertEqual(len(unreadable), 1, unreadable)
        self.assertIn('cannot be read to be hashed', unreadable[0])
        self.assertIsNone(row['sha256'])
        self.assertEqual(row['end_reason'], 'daemon-stopped')

    # --- call waiting -------------------------------------------------------

    def test_call_waiting_keeps_each_conversation_in_its_own_file(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones(remote=phone.tone(1000))
        first, first_index = self.answer('+8613800138010')
        time.sleep(2)
        # A second caller; the user holds the first and takes the second,
        # who sounds different.
        second_index = len(phone.calls())
        second = phone.mm_call('AddIncomingCall', MODEM, '+8613900139020')
        phone.wait_call(second_index, lambda c: c['number'] == '+8613900139020', 'the waiting call')
        # Each switch has a second of quiet on either side: what the sound
        # server still holds of one caller must not be taken for the other's.
        phone.stop_tones()
        time.sleep(1)
        phone.mm_call('SetCallState', first, HELD, REASON_ACCEPTED)
        phone.mm_object(second, CALL_IFACE).Accept()
        time.sleep(1)
        phone.play_tones(remote=phone.tone(2500))
        time.sleep(3)
        phone.stop_tones()
        time.sleep(1)
        phone.mm_object(second, CALL_IFACE).Hangup()
        phone.mm_call('SetCallState', first, ACTIVE, REASON_ACCEPTED)
        time.sleep(1)
        phone.play_tones(remote=phone.tone(1000))
        time.sleep(2)
        phone.mm_object(first, CALL_IFACE).Hangup()
        first_row = phone.wait_call(first_index, lambda c: c['sha256'], 'the first recording')
        second_row = phone.wait_call(second_index, lambda c: c['sha256'], 'the second recording')
        phone.stop_tones()

        for row, own, other in ((first_row, 1000, 2500), (second_row, 2500, 1000)):
            wav = os.path.join(phone.dir, f'decoded-{row["id"]}.wav')
            decode(os.path.join(phone.data_dir, row['path']), wav)
            own_level = band_rms(wav, 2, own * 0.8, own * 1.25)
            other_level = band_rms(wav, 2, other * 0.8, other * 1.25)
            self.assertGreater(own_level, 0.05, f'call {row["id"]} holds its own caller ({own} Hz)')
            self.assertLess(other_level, own_level / 20, f'call {row["id"]} holds nothing of the other call '
                                                         f'({other} Hz: {other_level} vs {own_level})')
        # The first call's file spans its hold as silence, on both sides.
        wav = os.path.join(phone.dir, f'decoded-{first_row["id"]}.wav')
        held = os.path.join(phone.dir, 'held.wav')
        subprocess.run(['sox', wav, held, 'trim', '4.5', '3.0'], check=True, timeout=30)
        self.assertLess(max(tone_levels(held, 1) + tone_levels(held, 2)), 0.01, 'silence while held')

    # --- devices and servers going away ---------------------------------------

    def test_call_sink_going_away_is_not_replaced_by_the_microphone(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        call, index = self.answer('+8613800138030')
        time.sleep(2)
        phone.pactl('unload-module', phone.call_sink_module)
        self.addCleanup(self.restore_call_sink)
        time.sleep(3)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        wav = os.path.join(phone.dir, f'decoded-{row["id"]}.wav')
        file_s = decode(os.path.join(phone.data_dir, row['path']), wav)
        after = os.path.join(phone.dir, 'after-unload.wav')
        subprocess.run(['sox', wav, after, 'trim', '3.0', str(file_s - 3.5)], check=True, timeout=30)
        local_in_right, _ = tone_levels(after, 2)
        self.assertLess(local_in_right, 0.02, 'the right channel does not carry the microphone')
        self.assertGreater(tone_levels(after, 1)[0], 0.1, 'the microphone is still recorded')
        with phone.catalog() as db:
            kinds = [r[0] for r in db.execute('SELECT kind FROM call_warnings WHERE call_id = ?', (row['id'],))]
        self.assertIn('side-lost', kinds)
        self.assertIn("the other party's side stopped being captured", phone.daemon_log())
        self.assertIn("side-lost: the other party's side stopped being captured",
                      opus_tags(os.path.join(phone.data_dir, row['path']))[0].get('CALLWITNESS_WARNING', ''))

    def restore_call_sink(self):
        phone = self.phone
        if 'call_sink' not in phone.pactl('list', 'short', 'sinks').stdout.split():
            phone.call_sink_module = phone.load_null_sink('call_sink')
        phone.set_default('sink', 'call_sink')

    def check_both_sides_heard_at_the_end(self, row, when):
        '''The file lasts as long as the call was active (within 0.5 s) and
        both tones are in its last seconds. Returns its path.'''
        phone = self.phone
        path = os.path.join(phone.data_dir, row['path'])
        wav = os.path.join(phone.dir, f'decoded-{row["id"]}.wav')
        file_s = decode(path, wav)
        active_s = (row['ended_at_ms'] - row['answered_at_ms']) / 1000
        self.assertLess(abs(file_s - active_s), 0.5, f'file lasts {file_s:.3f} s, the call was active {active_s:.3f} s')
        tail = os.path.join(phone.dir, 'tail.wav')
        subprocess.run(['sox', wav, tail, 'trim', str(file_s - 2.5), '2.0'], check=True, timeout=30)
        self.assertGreater(tone_levels(tail, 1)[0], 0.1, f'the microphone {when}')
        self.assertGreater(tone_levels(tail, 2)[1], 0.1, f'the other party {when}')
        return path

    def test_sound_server_restart_mid_call_is_recorded_with_the_gap_told(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_notification_daemon()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        call, index = self.answer('+8613800138040')
        time.sleep(2)
        restarted = time.monotonic()
        phone.restart_audio()
        phone.play_tones()
        gap_s = time.monotonic() - restarted
        time.sleep(4)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        path = self.check_both_sides_heard_at_the_end(row, 'after the restart')
        with phone.catalog() as db:
            warnings = dict(db.execute('SELECT kind, message FROM call_warnings WHERE call_id = ?', (row['id'],)))
        self.assertIn('capture-failed', warnings)
        told_s = float(warnings['capture-gap'].split('no audio was captured for ')[1].split(' s')[0])
        self.assertLess(told_s, gap_s + 2.5)
        self.assertGreater(told_s, 0.1)
        self.assertIn('no audio was captured for', phone.daemon_log())
        self.assertIn('capture-gap: no audio was captured for', opus_tags(path)[0].get('CALLWITNESS_WARNING', '')
                      + ''.join(opus_tags(path)[1]))
        wait_for(lambda: 'no audio was captured for' in phone.notifications_log(), 10, 'the notification')

    def test_a_call_that_starts_while_the_sound_server_is_away_is_told_and_recorded_once_it_is_back(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_notification_daemon()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.kill_audio()
        away = time.monotonic()
        call, index = self.answer('+8613800138041')
        row_id = phone.calls()[index]['id']

        def warnings():
            with phone.catalog() as db:
                return dict(db.execute('SELECT kind, message FROM call_warnings WHERE call_id = ?', (row_id,)))
        failed = wait_for(lambda: warnings().get('capture-failed'), 15, 'the capture failure told')
        self.assertIn('not being recorded until the sound server is back', failed)
        time.sleep(1)
        phone.start_audio_again()
        phone.play_tones()
        away_s = time.monotonic() - away
        time.sleep(4)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()
        self.check_both_sides_heard_at_the_end(row, 'once the server is back')
        told_s = float(warnings()['capture-gap'].split('no audio was captured for ')[1].split(' s')[0])
        self.assertGreater(told_s, 0.5)
        self.assertLess(told_s, away_s + 2.5)
        wait_for(lambda: 'not being recorded until the sound server is back' in phone.notifications_log(), 10,
                 'the notification')

    def call_warnings(self, call_id):
        with self.phone.catalog() as db:
            return [tuple(r) for r in db.execute('SELECT kind, message FROM call_warnings WHERE call_id = ? ORDER BY id',
                                                 (call_id,))]

    def test_a_call_waiting_while_no_source_can_be_captured_is_told_what_is_true_now(self):
        # Neither configured source exists: the first call's sides are lost
        # from its start. The sound server restarts mid-call and is back,
        # and still nothing can be captured. A second caller then is told
        # that its sides are lost, not that the server is away, and the
        # first call is told each failure once.
        phone = self.phone
        phone.write_config('[audio]\nlocal_source = no_such_mic\nremote_source = no_such_monitor\n')
        self.addCleanup(phone.write_config, '')
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        first, first_index = self.answer('+8613800138043')
        first_id = phone.calls()[first_index]['id']
        wait_for(lambda: [k for k, _ in self.call_warnings(first_id)].count('side-lost') == 2, 15,
                 'both sides told lost')
        # Twice: still nothing captured in between, so one gap, told once.
        for restart in (2, 3):
            phone.restart_audio()
            wait_for(lambda: phone.daemon_log().count('capture: connected to the sound server') >= restart, 20,
                     'the daemon back on the sound server')
        second_index = len(phone.calls())
        second = phone.mm_call('AddIncomingCall', MODEM, '+8613900139043')
        second_row = phone.wait_call(second_index, lambda c: c['number'] == '+8613900139043', 'the waiting call')
        wait_for(lambda: len(self.call_warnings(second_row['id'])) >= 2, 15, "the waiting call's warnings")
        time.sleep(1)
        second_warnings = self.call_warnings(second_row['id'])
        self.assertEqual(sorted(k for k, _ in second_warnings), ['side-lost', 'side-lost'], second_warnings)
        self.assertFalse([m for _, m in second_warnings if 'until the sound server is back' in m], second_warnings)
        phone.mm_object(second, CALL_IFACE).Hangup()
        phone.mm_object(first, CALL_IFACE).Hangup()
        phone.wait_call(first_index, lambda c: c['sha256'], 'the first recording')
        first_kinds = [k for k, _ in self.call_warnings(first_id)]
        self.assertEqual(first_kinds.count('side-lost'), 2, first_kinds)
        self.assertEqual(first_kinds.count('capture-failed'), 1, first_kinds)

    def test_a_capture_that_cannot_start_is_told_to_the_call_and_the_next_call_is_recorded(self):
        # The capture's 768 kB rings cannot be mapped (the phone is out of
        # memory): the call is told it is not recorded, in its row and a
        # notification; once memory is back the next call is recorded.
        phone = self.phone
        phone.start_notification_daemon()
        short = self.start_daemon_short_of_memory()
        phone.play_tones()
        call, index = self.answer('+8613800138044')
        row_id = phone.calls()[index]['id']
        failed = wait_for(lambda: dict(self.call_warnings(row_id)).get('capture-failed'), 15, 'the failure told')
        self.assertEqual(failed, 'the call is not being recorded: the capture could not start (Cannot allocate memory)')
        wait_for(lambda: 'the capture could not start' in phone.notifications_log(), 10, 'the notification')
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['ended_at_ms'], 'the first call ended')
        os.unlink(short)
        call, index = self.answer('+8613800138045')
        time.sleep(3)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the second recording')
        phone.stop_tones()
        self.assertEqual(self.call_warnings(row['id']), [])
        self.check_both_sides_heard_at_the_end(row, 'once memory is back')

    def start_daemon_short_of_memory(self):
        '''callwitnessd whose capture rings cannot be mapped while the
        returned flag file exists (it does at first).'''
        phone = self.phone
        short = os.path.join(phone.dir, 'memory-short')
        open(short, 'w').close()
        self.addCleanup(lambda: os.path.exists(short) and os.unlink(short))
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai',
                           faults={'CW_FAULT_ENOMEM_WHILE': short, 'CW_FAULT_ENOMEM_BYTES': str(4 * 48000 * 4)})
        return short

    def test_a_call_without_a_capture_stays_silent_as_told_and_a_waiting_call_is_recorded(self):
        # The first call has no capture and an empty file, as told. Memory
        # comes back, a second caller is taken while the first is held:
        # its capture starts its own timeline (the first call's empty file
        # does not stop it), and it is recorded whole.
        phone = self.phone
        short = self.start_daemon_short_of_memory()
        phone.play_tones()
        first, first_index = self.answer('+8613800138046')
        first_id = phone.calls()[first_index]['id']
        wait_for(lambda: dict(self.call_warnings(first_id)).get('capture-failed'), 15, 'the failure told')
        os.unlink(short)
        second_index = len(phone.calls())
        second = phone.mm_call('AddIncomingCall', MODEM, '+8613900139046')
        phone.wait_call(second_index, lambda c: c['number'] == '+8613900139046', 'the waiting call')
        phone.mm_call('SetCallState', first, HELD, REASON_ACCEPTED)
        phone.mm_object(second, CALL_IFACE).Accept()
        time.sleep(4)
        phone.mm_object(second, CALL_IFACE).Hangup()
        second_row = phone.wait_call(second_index, lambda c: c['sha256'], 'the second recording')
        phone.mm_call('SetCallState', first, ACTIVE, REASON_ACCEPTED)
        time.sleep(1)
        phone.mm_object(first, CALL_IFACE).Hangup()
        first_row = phone.wait_call(first_index, lambda c: c['sha256'], 'the first recording')
        phone.stop_tones()
        self.check_both_sides_heard_at_the_end(second_row, 'on the waiting call')
        self.assertEqual(self.call_warnings(second_row['id']), [])
        self.assertEqual([k for k, _ in self.call_warnings(first_id)], ['capture-failed'])
        self.assertEqual(first_row['file_duration_ms'], 0)

    def test_a_ringing_call_told_it_has_no_capture_is_told_when_the_capture_starts(self):
        phone = self.phone
        short = self.start_daemon_short_of_memory()
        phone.play_tones()
        index = len(phone.calls())
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613800138047')
        row_id = phone.wait_call(index, lambda c: c['number'] == '+8613800138047', 'the ringing call')['id']
        wait_for(lambda: dict(self.call_warnings(row_id)).get('capture-failed'), 15, 'the failure told')
        os.unlink(short)
        # Another call rings while the first still does: its capture
        # starts, and the first is told it will be recorded after all.
        other = phone.mm_call('AddIncomingCall', MODEM, '+8613900139047')
        started = wait_for(lambda: dict(self.call_warnings(row_id)).get('capture-started'), 15, 'the start told')
        self.assertEqual(started, 'the capture could start after all: this call is recorded from its answer')
        phone.mm_object(other, CALL_IFACE).Hangup()
        phone.mm_object(call, CALL_IFACE).Accept()
        phone.wait_call(index, lambda c: c['answered_at_ms'], 'the answer')
        time.sleep(3)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the recording')
        phone.stop_tones()
        self.check_both_sides_heard_at_the_end(row, 'recorded after all')
        self.assertEqual([k for k, _ in self.call_warnings(row_id)], ['capture-failed', 'capture-started'])

    # --- a second daemon ------------------------------------------------------

    def test_second_daemon_refuses_to_start_and_closes_nothing(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        call, index = self.answer('+8613800138070')
        second = subprocess.run([DAEMON, '--verbose'], env=dict(phone.env, TZ='Asia/Shanghai'), capture_output=True,
                                text=True, timeout=20)
        self.assertNotEqual(second.returncode, 0)
        self.assertIn('Another callwitnessd is already recording to', second.stderr)
        self.assertNotIn('was in progress when callwitnessd stopped', second.stderr)
        time.sleep(1)
        self.assertIsNone(phone.calls()[index]['ended_at_ms'], 'the call in progress was not closed')
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the recording')
        self.assertEqual(row['end_reason'], 'hangup')
        check_recording(self, phone, row, (row['ended_at_ms'] - row['answered_at_ms']) / 1000)

    # --- the phone's time zone -----------------------------------------------

    def test_time_zone_change_between_calls_is_followed(self):
        phone = self.phone
        localtime = os.path.join(phone.dir, 'localtime')
        with open('/usr/share/zoneinfo/Asia/Shanghai', 'rb') as f, open(localtime, 'wb') as g:
            g.write(f.read())
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 23:40:00', localtime=localtime)
        call, index = self.answer('+8613800138060')
        phone.mm_object(call, CALL_IFACE).Hangup()
        first = phone.wait_call(index, lambda c: c['sha256'], 'the first recording')
        # The owner flies to London: the zone file changes in place, as
        # timedatectl set-timezone changes what /etc/localtime names.
        with open('/usr/share/zoneinfo/Europe/London', 'rb') as f, open(localtime, 'r+b') as g:
            g.write(f.read())
            g.truncate()
        os.utime(localtime, (time.time() + 5, time.time() + 5))
        call, index = self.answer('+8613800138061')
        phone.mm_object(call, CALL_IFACE).Hangup()
        second = phone.wait_call(index, lambda c: c['sha256'], 'the second recording')
        self.assertEqual(first['started_offset_s'], 8 * 3600)
        self.assertEqual(second['started_offset_s'], 0)
        self.assertRegex(second['path'], r'2026-11-24_15-4\d-\d\d_in_')
        self.assertTrue(opus_tags(os.path.join(phone.data_dir, second['path']))[0]['CALLWITNESS_STARTED_AT']
                        .endswith('+00:00'))

    # --- a full disk ------------------------------------------------------------

    def test_full_disk_mid_call_keeps_a_playable_file_and_says_so(self):
        phone = self.phone
        full = os.path.join(phone.dir, 'disk-full')
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai',
                           faults={'CW_FAULT_ENOSPC_WHILE': full, 'CW_FAULT_ENOSPC_SUFFIX': '.opus'})
        phone.play_tones()
        call, index = self.answer('+8613800138050')
        time.sleep(3)
        open(full, 'w').close()
        time.sleep(2)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['ended_at_ms'], 'the call to end')
        row = phone.wait_call(index, lambda c: c['size'], 'the recording sealed')
        path = os.path.join(phone.data_dir, row['path'])
        file_s = decode(path, os.path.join(phone.dir, 'full.wav'))
        self.assertGreater(file_s, 1.5, 'what was written before the disk filled plays')
        with open(path, 'rb') as f:
            self.assertEqual(row['sha256'], hashlib.sha256(f.read()).hexdigest())
        with phone.catalog() as db:
            warnings = dict(db.execute('SELECT kind, message FROM call_warnings WHERE call_id = ?', (row['id'],)))
        self.assertIn('No space left on device', warnings.get('write-failed', ''))
        self.assertIn('writing the recording failed (No space left on device)', phone.daemon_log())
        shown = phone.cli('show', str(row['id'])).stdout
        self.assertIn('write-failed', shown)
        self.assertNotIn('never answered', shown)

        # Space again: the next call is recorded whole.
        os.unlink(full)
        call, index = self.answer('+8613800138051')
        time.sleep(2)
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(index, lambda c: c['sha256'], 'the next recording')
        check_recording(self, phone, row, (row['ended_at_ms'] - row['answered_at_ms']) / 1000)


if __name__ == '__main__':
    unittest.main(verbosity=2)
