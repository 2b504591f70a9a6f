#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''callwitness doctor on a simulated phone, on PulseAudio or PipeWire
(CW_AUDIO): device, profile, and a test capture with a plain verdict.'''

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Phone  # noqa: E402

AUDIO = os.environ.get('CW_AUDIO', 'pulseaudio')


class Doctor(unittest.TestCase):

    def setUp(self):
        self.phone = Phone(AUDIO)
        self.addCleanup(self.phone.close)

    def test_both_sides_heard(self):
        self.phone.play_tones()
        result = self.phone.cli('doctor', '--seconds', '2', check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn('Profile:   generic', result.stdout)
        self.assertIn('not yet confirmed on hardware', result.stdout)
        self.assertRegex(result.stdout, r'microphone \(left\):\s+level\s+-\d+\.\d dBFS')
        self.assertIn('Both sides can be captured', result.stdout)
        self.assertNotIn('(silent)', result.stdout)
        # Which sources exist, and what each side resolves to.
        self.assertRegex(result.stdout, r'(Sources:|\n) +mic \(default source\)\n')
        self.assertIn('call_sink.monitor (monitor of the default sink)', result.stdout)
        self.assertIn('mic_sink.monitor\n', result.stdout)
        self.assertRegex(result.stdout, r'Local:\s+the default source: mic\n')
        self.assertRegex(result.stdout, r"Remote:\s+the default sink's monitor: call_sink.monitor\n")

    def test_silent_other_party_is_explained(self):
        self.phone.play_tones(remote_sink=None)
        result = self.phone.cli('doctor', '--seconds', '2', check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r'other party \(right\):.*\(silent\)')
        self.assertIn("The other party's side is silent", result.stdout)
        self.assertIn('run this again during a test call', result.stdout)

    def test_profile_from_configuration_and_local_only_verdict(self):
        self.phone.write_config('[device]\nprofile = qcom-sdm845\n')
        self.phone.play_tones(remote_sink=None)
        result = self.phone.cli('doctor', '--seconds', '1', check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn('Profile:   qcom-sdm845', result.stdout)
        self.assertIn('named in the configuration', result.stdout)
        self.assertIn('note: the other party', result.stdout)
        self.assertIn("recordings will say that the other party's side is missing", result.stdout)

    def test_profile_patterns_that_match_nothing_are_named(self):
        # A Librem 5 profile on a phone without its modem card.
        self.phone.write_config('[device]\nprofile = purism-librem5\n')
        result = self.phone.cli('doctor', '--seconds', '1', check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r'Local:\s+alsa_output.\*Modem\*.monitor: no source matches this pattern')
        self.assertRegex(result.stdout, r'Remote:\s+alsa_input.\*Modem\*: no source matches this pattern')
        self.assertIn('The capture failed', result.stdout)

    def test_patterns_resolve_to_the_sources_that_exist(self):
        self.phone.write_config('[audio]\nlocal_source = mi?\nremote_source = call_*.monitor\n')
        self.phone.play_tones()
        result = self.phone.cli('doctor', '--seconds', '1', check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r'Local:\s+mi\?: mic\n')
        self.assertRegex(result.stdout, r'Remote:\s+call_\*.monitor: call_sink.monitor\n')

    def test_bad_configuration_is_named(self):
        self.phone.write_config('[audio]\nmode = stereo\n')
        result = self.phone.cli('doctor', check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn('callwitness.conf:2: [audio] mode', result.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
