#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''What a call's capture holds, on PulseAudio or PipeWire (CW_AUDIO):
capture modes, device profiles, ALSA mixer controls, the silence watchdog
and late audio.'''

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import beep_onsets, decode, misalignment, opus_tags, tone_levels, wait_for  # noqa: E402
from phonecase import CALL_IFACE, MODEM, PhoneTestCase  # noqa: E402


class Capture(PhoneTestCase):

    def call_configured(self, config):
        '''A 2.5 s call answered by callwitnessd started with config.'''
        phone = self.phone
        phone.write_config(config)
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        return self.answered_call(talk_s=2.5)

    def test_local_only_mode_says_the_other_side_is_missing(self):
        phone = self.phone
        row = self.call_configured('[audio]\nmode = local-only\n')
        path = self.check_recording(row, 2.5, channels=(('local',),))
        tags, _ = opus_tags(path)
        self.assertEqual(tags.get('CALLWITNESS_CAPTURE_MODE'), 'local-only')
        self.assertIn('not captured', tags.get('CALLWITNESS_WARNING', ''))
        listed = json.loads(phone.cli('list', '--json').stdout)[0]
        self.assertEqual(listed['capture_mode'], 'local-only')
        self.assertEqual(len(listed['warnings']), 1)
        self.assertTrue(listed['warnings'][0].startswith("local-only: the other party's side was not captured"))
        text = phone.cli('list').stdout
        self.assertIn('(local-only)', text)
        self.assertIn("warning: local-only: the other party's side was not captured", text)
        phone.stop_daemon()

    def test_mixed_mode_records_one_source_with_both_voices(self):
        phone = self.phone
        # A codec that mixes both voices into its capture (the PinePhone's
        # with its mixer switched on): one sink both tones play into, whose
        # monitor is the only source.
        phone.load_null_sink('codec_mix')
        phone.write_config('[audio]\nmode = mixed\nlocal_source = codec_mix.monitor\n')
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones(local_sink='codec_mix', remote_sink='codec_mix')
        row = self.answered_call(talk_s=2.5, tones=False)
        path = self.check_recording(row, 2.5, channels=(('local', 'remote'),))
        self.assertEqual(opus_tags(path)[0].get('CALLWITNESS_CAPTURE_MODE'), 'mixed')
        listed = json.loads(phone.cli('list', '--json').stdout)[0]
        self.assertEqual((listed['capture_mode'], listed['warnings']), ('mixed', []))
        self.assertIn('(mixed)', phone.cli('list').stdout)
        phone.stop_daemon()

    def test_silent_other_side_raises_a_warning_and_a_notification(self):
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones(remote_sink=None)   # call audio never reaches the sound server

        # No notification daemon yet: the warning still reaches log and catalog.
        row = self.answered_call(number='+8613800138000', talk_s=11, tones=False)
        listed = json.loads(phone.cli('list', '--json').stdout)[0]
        self.assertEqual(len(listed['warnings']), 1, listed['warnings'])
        self.assertTrue(listed['warnings'][0].startswith("silent-remote: the other party's side stayed silent"))
        self.assertIn("call 1: the other party's side stayed silent", phone.daemon_log())
        self.assertIsNotNone(row['sha256'])

        phone.start_notification_daemon()
        phone.play_tones(remote_sink=None)   # answered_call() stopped them
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613900139000')
        phone.wait_call(1, lambda c: c['number'] == '+8613900139000', 'the second call')
        phone.mm_object(call, CALL_IFACE).Accept()
        wait_for(lambda: 'stayed silent' in phone.notifications_log(), 20, 'the notification')
        phone.mm_object(call, CALL_IFACE).Hangup()
        phone.wait_call(1, lambda c: c['sha256'], 'the second recording')
        log = phone.notifications_log()
        self.assertIn('Notify "callwitness"', log)
        self.assertIn('"Call recording problem"', log)
        self.assertNotIn('microphone stayed silent', log, 'the local side was heard')
        phone.stop_tones()
        phone.stop_daemon()

    def test_consecutive_calls_keep_audio_up_to_the_hang_up(self):
        # A fresh capture's first audio can arrive over a second after the
        # answer (PulseAudio's null sink wakes on its old period); the gap
        # belongs at the start of the file, not as silence at the end.
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        for index, number in enumerate(('+8613800138001', '+8613800138002')):
            call = phone.mm_call('AddIncomingCall', MODEM, number)
            phone.wait_call(index, lambda c: c['number'] == number, f'call {number}')
            time.sleep(0.3)
            phone.mm_object(call, CALL_IFACE).Accept()
            time.sleep(3)
            phone.mm_object(call, CALL_IFACE).Hangup()
            row = phone.wait_call(index, lambda c: c['sha256'], f'recording {number}')
            self.check_recording(row, 3.0)
            tail = os.path.join(phone.dir, f'tail-{index}.wav')
            wav = os.path.join(phone.dir, f'decoded-{row["id"]}.wav')
            subprocess.run(['sox', wav, tail, 'trim', '-0.5'], check=True, timeout=30)
            self.assertGreater(tone_levels(tail, 1)[0], 0.1, f'call {number}: the local side up to the hang-up')
            self.assertGreater(tone_levels(tail, 2)[1], 0.1, f'call {number}: the remote side up to the hang-up')
        phone.stop_tones()
        phone.stop_daemon()

    def test_profile_named_in_config_with_source_patterns(self):
        phone = self.phone
        profiles = os.path.join(phone.dir, 'profiles')
        os.mkdir(profiles)
        with open(os.path.join(profiles, 'test-phone.conf'), 'w') as f:
            f.write('[device]\nname = Test phone\nconfirmed = yes\n'
                    '[capture]\nmode = separate\nlocal_source = mi?\nremote_source = call_sink.mon*\n')
        phone.env['CALLWITNESS_PROFILES_DIR'] = profiles
        phone.write_config('[device]\nprofile = test-phone\n')
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        self.assertIn('Device profile test-phone (Test phone; confirmed on hardware)', phone.daemon_log())
        row = self.answered_call(talk_s=2.5)
        self.check_recording(row, 2.5)
        self.assertIn('local stream recording from mic', phone.daemon_log())
        self.assertIn('remote stream recording from call_sink.monitor', phone.daemon_log())
        phone.stop_daemon()

    def test_shipped_sdm845_profile_records_local_only(self):
        phone = self.phone
        phone.write_config('[device]\nprofile = qcom-sdm845\n')
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        self.assertIn('not yet confirmed on hardware', phone.daemon_log())
        row = self.answered_call(talk_s=2.0)
        self.check_recording(row, 2.0, channels=(('local',),))
        self.assertEqual(json.loads(phone.cli('list', '--json').stdout)[0]['capture_mode'], 'local-only')
        phone.stop_daemon()

    def test_source_pattern_matching_nothing_is_a_clear_warning(self):
        phone = self.phone
        phone.write_config('[audio]\nremote_source = alsa_input.*Modem*\n')
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        call = self.ring_and_answer(ring_s=0.5)
        phone.wait_log("No source matches 'alsa_input.*Modem*'")
        phone.mm_object(call, CALL_IFACE).Hangup()
        phone.wait_call(0, lambda c: c['ended_at_ms'], 'the call to end')
        phone.stop_tones()
        warnings = json.loads(phone.cli('list', '--json').stdout)[0]['warnings']
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn("capture-failed: the other party's side is not being recorded: No source matches 'alsa_input.*Modem*'",
                      warnings[0])
        phone.stop_daemon()

    def test_a_microphone_pattern_matching_nothing_still_records_the_other_party(self):
        phone = self.phone
        row = self.call_configured('[audio]\nlocal_source = alsa_input.*NoSuchMic*\n')
        wav = os.path.join(phone.dir, f'decoded-{row["id"]}.wav')
        decode(os.path.join(phone.data_dir, row['path']), wav)
        self.assertGreater(tone_levels(wav, 2)[1], 0.1, "the other party's side is recorded")
        self.assertLess(max(tone_levels(wav, 1)), 0.01, 'the unmatched microphone is silence')
        warnings = json.loads(phone.cli('list', '--json').stdout)[0]['warnings']
        self.assertEqual(warnings, ["capture-failed: the phone's own side is not being recorded: No source matches "
                                    "'alsa_input.*NoSuchMic*'"])
        phone.stop_daemon()

    def replace_sources(self, verb):
        '''The phone's microphone and modem sources removed and made anew,
        named for the UCM verb, as a card does when WirePlumber switches it
        to its "Voice Call" profile and back.'''
        phone = self.phone
        for module in getattr(self, 'source_modules', []):
            phone.pactl('unload-module', module)
        self.source_modules = [
            phone.load_remap_source(f'alsa_input.test.{verb}__Mic__source', 'mic_sink.monitor'),
            phone.load_remap_source(f'alsa_input.test.{verb}__Modem__source', 'call_sink.monitor')]

    def hang_up(self, call):
        '''The call hung up, its recording finished, tones and references
        stopped: its row and its warnings, (kind, message) each.'''
        phone = self.phone
        phone.mm_object(call, CALL_IFACE).Hangup()
        row = phone.wait_call(0, lambda c: c['sha256'], 'the finished recording')
        phone.stop_references()
        phone.stop_tones()
        with phone.catalog() as db:
            return row, [tuple(w) for w in db.execute('SELECT kind, message FROM call_warnings WHERE call_id = ?',
                                                      (row['id'],))]

    def start_with_sources_by_pattern(self):
        '''The daemon, configured with patterns that match the sources
        under either verb, and the HiFi sources.'''
        self.replace_sources('HiFi')
        self.phone.write_config('[audio]\nmode = separate\nlocal_source = alsa_input.test.*__Mic__source\n'
                                'remote_source = alsa_input.test.*__Modem__source\n')
        self.phone.start_modemmanager()
        self.phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')

    def test_sources_a_call_profile_makes_anew_are_followed_in_step(self):
        phone = self.phone
        self.start_with_sources_by_pattern()
        phone.play_tones(local=phone.beeps(440), remote=phone.beeps(1000))
        references = phone.record_references()
        call = self.ring_and_answer(tones=False)
        self.replace_sources('Voice_Call')   # at the answer
        time.sleep(3)
        self.replace_sources('Voice_Call_2')   # and again mid-call
        time.sleep(3)
        row, warnings = self.hang_up(call)
        kinds = [kind for kind, _ in warnings]
        self.assertNotIn('side-lost', kinds, warnings)
        switched = [message for kind, message in warnings if kind == 'source-switched']
        for side, verb in (("The phone's own side", 'Voice_Call'), ("The other party's side", 'Voice_Call_2')):
            self.assertTrue(any(m.startswith(side.lower()) and f'.{verb}__' in m for m in switched), switched)
        self.assertEqual(len(switched), 4, switched)
        self.assertIn('source-switched', opus_tags(os.path.join(phone.data_dir, row['path']))[1])
        # Both sides are recorded after each switch, each beep where the
        # server played it: the time between sources is silence, not a shift.
        # (pipewire-pulse starts a stream of a new remap source with a click
        # of a few ms: no beep.)
        wav = os.path.join(phone.dir, 'decoded.wav')
        file_s = decode(os.path.join(phone.data_dir, row['path']), wav)
        for channel, hz in ((1, 440), (2, 1000)):
            onsets = beep_onsets(wav, channel, hz, min_s=0.03)
            self.assertGreater(len([t for t in onsets if t > file_s - 2]), 5, f'channel {channel} at the end')
            wrong = misalignment(onsets, beep_onsets(references[channel], 1, hz), complete=False)
            self.assertIsNone(wrong, f'channel {channel}: {[round(t, 3) for t in onsets]}')

    def test_the_defaults_a_call_profile_makes_anew_are_followed(self):
        # No sources configured (the generic profile): the default source
        # and the default sink's monitor. The card's profile switch removes
        # both, the server falls back to devices that were there (which are
        # not followed: the microphone's sink is no other party), then new
        # ones appear and become the defaults: the sink first, as
        # module-alsa-card makes them, with other devices (more than a
        # short list of what appeared would hold). Until the microphone
        # comes, PulseAudio's default source is the new sink's monitor:
        # new, and never the phone's own side.
        phone = self.phone
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        call = self.ring_and_answer(tones=False)
        time.sleep(1)
        phone.stop_tones()
        phone.pactl('unload-module', phone.call_sink_module)
        phone.pactl('unload-module', phone.mic_module)
        lost = time.monotonic()
        phone.load_null_sinks('voice_sink', *(f'other_sink_{other}' for other in range(5)))
        phone.set_default('sink', 'voice_sink')
        time.sleep(0.3)
        phone.load_remap_source('voice_mic', 'mic_sink.monitor')
        phone.set_default('source', 'voice_mic')
        switch_s = time.monotonic() - lost
        phone.play_tones(remote_sink='voice_sink')
        time.sleep(2.5)
        row, warnings = self.hang_up(call)
        # A switch slower than the daemon's grace (2 s) is told as a loss.
        self.assertNotIn('side-lost', [kind for kind, _ in warnings], f'{warnings}; the switch took {switch_s:.1f} s')
        switched = sorted(message for kind, message in warnings if kind == 'source-switched')
        self.assertEqual(len(switched), 2, warnings)
        self.assertTrue(switched[0].startswith("the other party's side is recorded from voice_sink.monitor "),
                        switched)
        self.assertTrue(switched[1].startswith("the phone's own side is recorded from voice_mic "), switched)
        wav = os.path.join(phone.dir, 'decoded.wav')
        file_s = decode(os.path.join(phone.data_dir, row['path']), wav)
        end = os.path.join(phone.dir, 'end.wav')
        subprocess.run(['sox', wav, end, 'trim', str(file_s - 1.5)], check=True, timeout=30)
        local_left, remote_left = tone_levels(end, 1)
        local_right, remote_right = tone_levels(end, 2)
        self.assertGreater(local_left, 0.1, 'the new microphone recorded')
        self.assertGreater(remote_right, 0.1, 'the new call sink recorded')
        self.assertLess(remote_left, 0.05, "the other party on the phone's own side")
        self.assertLess(local_right, 0.05)

    def test_a_source_that_comes_and_goes_is_tried_less_often_and_followed_once_it_stays(self):
        # The microphone's source is removed and made again every 0.3 s for
        # 2 s (a profile switching back and forth; a policy daemon ending
        # the stream would look the same): after three streams ended within
        # a second of their start, the side is told lost and tried again
        # only after a wait that doubles, so the call's warnings do not
        # grow with every flap; once the source stays, it is recorded again.
        phone = self.phone
        self.start_with_sources_by_pattern()
        call = self.ring_and_answer()
        mic = 'alsa_input.test.HiFi__Mic__source'
        deadline = time.monotonic() + 2
        for _ in range(20):
            if time.monotonic() > deadline:
                break
            phone.pactl('unload-module', self.source_modules[0])
            self.source_modules[0] = phone.load_remap_source(mic, 'mic_sink.monitor')
            time.sleep(0.3)
        time.sleep(8)   # the longest wait (4 s), the stream's start, its first audio, with room
        row, warnings = self.hang_up(call)
        lost = [m for k, m in warnings if k == 'side-lost']
        self.assertIn("the phone's own side stopped being captured: its source ends the stream within a second of "
                      "its start, again and again; it is tried again less and less often", lost, warnings)
        self.assertLess(len(warnings), 10, [tuple(w) for w in warnings])
        wav = os.path.join(phone.dir, 'decoded.wav')
        file_s = decode(os.path.join(phone.data_dir, row['path']), wav)
        end = os.path.join(phone.dir, 'end.wav')
        subprocess.run(['sox', wav, end, 'trim', str(file_s - 1.0)], check=True, timeout=30)
        self.assertGreater(tone_levels(end, 1)[0], 0.1, 'the microphone recorded again once its source stayed')

    def test_a_card_profile_that_cannot_be_switched_is_told_and_the_call_recorded(self):
        # The droid card's profile for the length of the call: the test's
        # servers have no card with profiles (the decisions are unit-tested
        # against fake cards, tests/unit/test-card-plan.c), so what is shown
        # here is the path through the real server: no card matches, which
        # every call is told, and the call is recorded all the same. Before
        # it, what a daemon that stopped mid-call left switched is put back
        # at the start: its card is gone, so its state file just goes.
        phone = self.phone
        os.makedirs(phone.data_dir, 0o700)
        left = os.path.join(phone.data_dir, 'card-restore.state')
        with open(left, 'w') as f:
            f.write('droid_card.primary\nvoicecall\nvoicecall-record\n')
        row = self.call_configured('[card]\nname = droid_card.*\nprofile = voicecall-record\n')
        self.check_recording(row, 2.5)
        log = phone.daemon_log()
        self.assertIn('Card droid_card.primary was left in voicecall-record by a callwitnessd that stopped during '
                      'a call; putting it back in voicecall', log)
        self.assertFalse(os.path.exists(left), 'the state file went once nothing was left to put back')
        with phone.catalog() as db:
            warnings = db.execute('SELECT kind, message FROM call_warnings WHERE call_id = ?', (row['id'],)).fetchall()
        self.assertEqual([(kind, message) for kind, message in warnings],
                         [('card-profile', "no sound card matches 'droid_card.*', so it cannot be switched to "
                                           "voicecall-record; the call is captured from the sources as they are")])
        doctor = phone.cli('doctor', '--seconds', '0.5', check=False).stdout
        self.assertIn('Card:      droid_card.* is switched to its profile voicecall-record for each call', doctor)
        phone.stop_daemon()
        # A FIFO where the state file goes holds no start (nor a link, a
        # file elsewhere): it is named as damaged, and the daemon runs.
        os.mkfifo(left)
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        self.assertIn(f'{left} is damaged; the card it names is left as it is', phone.daemon_log())
        self.assertFalse(os.path.exists(left))
        phone.stop_daemon()

    def test_profile_mixer_controls_are_on_during_the_call_and_restored(self):
        # ctl.pulse (alsa-plugins) is a real ALSA control device backed by
        # this test's PulseAudio: its "Capture Switch" is the default
        # source's mute, as a codec's capture route switch would be.
        phone = self.phone
        profiles = os.path.join(phone.dir, 'profiles')
        os.mkdir(profiles)
        with open(os.path.join(profiles, 'codec-phone.conf'), 'w') as f:
            f.write('[device]\nname = Codec phone\n[capture]\nmode = separate\n'
                    '[mixer]\ncard = pulse\ncontrols = Capture Switch, AIF9 Route Switch\n')
        phone.env['CALLWITNESS_PROFILES_DIR'] = profiles
        phone.write_config('[device]\nprofile = codec-phone\n')
        phone.pactl('set-source-mute', 'mic', '1')
        phone.start_modemmanager()
        phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        row = self.answered_call(talk_s=2.5)
        self.check_recording(row, 2.5)   # the local tone is in: the source was unmuted
        wait_for(lambda: 'Mute: yes' in phone.pactl('list', 'sources').stdout.split('Name: mic\n')[1].split('Name:')[0],
                 10, 'the mic muted again after the call')
        self.assertIn("Mixer for the call: 'AIF9 Route Switch' on 'pulse'", phone.daemon_log())

        # Killed mid-call with the route switched on: the next start puts
        # it back as it was before the call, not as the dead daemon left it.
        mic_muted = lambda: 'Mute: yes' in phone.pactl('list', 'sources').stdout.split('Name: mic\n')[1].split('Name:')[0]
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613900139000')
        phone.wait_call(1, lambda c: c['number'] == '+8613900139000', 'the second call')
        wait_for(lambda: not mic_muted(), 10, 'the route switched on')
        phone.daemon.kill()
        phone.daemon.wait(10)
        phone.daemon = None
        self.assertFalse(mic_muted(), 'the dead daemon left it on')
        phone.mm_call('SetCallState', call, 7, 0)   # the call ends while no daemon runs
        short = os.path.join(phone.dir, 'memory-short')
        phone.start_daemon(local_time='2026-11-24 12:05:00', tz='Asia/Shanghai',
                           faults={'CW_FAULT_ENOMEM_WHILE': short, 'CW_FAULT_ENOMEM_BYTES': str(4 * 48000 * 4)})
        self.assertTrue(mic_muted(), 'restored at the next start')
        self.assertIn('Mixer controls left on by a callwitnessd that stopped during a call were restored',
                      phone.daemon_log())

        # No capture at all (its rings cannot be mapped): the route is
        # switched on for the call all the same, and put back at its end.
        open(short, 'w').close()
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613900139001')
        phone.wait_call(2, lambda c: c['number'] == '+8613900139001', 'the third call')
        wait_for(lambda: not mic_muted(), 10, 'the route switched on without a capture')
        phone.mm_object(call, CALL_IFACE).Hangup()
        phone.wait_call(2, lambda c: c['ended_at_ms'], 'the third call ended')
        wait_for(mic_muted, 10, 'the route put back without a capture')
        self.assertIn('Cannot start capture: Cannot allocate memory', phone.daemon_log())
        phone.stop_daemon()

if __name__ == '__main__':
    unittest.main(verbosity=2)
