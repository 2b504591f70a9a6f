#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''Calls back to back through the ModemManager mock (CW_SOAK_CALLS, 70 in
the suite; bench/soak runs 1000): every row and file verifies, and the
daemon's open file descriptors and memory stay flat once warmed up.'''

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DAEMON  # noqa: E402
from phonecase import CALL_IFACE, MODEM, PhoneTestCase  # noqa: E402

CALLS = int(os.environ.get('CW_SOAK_CALLS', '70'))
WARM_UP = min(100, CALLS // 5)


def open_fds(pid):
    return len(os.listdir(f'/proc/{pid}/fd'))


def rss_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith('VmRSS:'))


def sanitized():
    '''ASan keeps freed memory in quarantine: its RSS grows by design.'''
    return 'libasan' in subprocess.run(['ldd', DAEMON], capture_output=True, text=True, timeout=30).stdout


class Soak(PhoneTestCase):

    def test_calls_back_to_back_verify_and_leak_nothing(self):
        phone = self.phone
        phone.start_modemmanager()
        daemon = phone.start_daemon(local_time='2026-11-24 12:00:00', tz='Asia/Shanghai')
        phone.play_tones()
        started = time.monotonic()
        for index in range(CALLS):
            number = f'+86138{index:08d}'
            call = phone.mm_call('AddIncomingCall', MODEM, number)
            phone.wait_call(index, lambda c: c['number'] == number, f'call {index}')
            phone.mm_object(call, CALL_IFACE).Accept()
            time.sleep(0.3)
            phone.mm_object(call, CALL_IFACE).Hangup()
            phone.wait_call(index, lambda c: c['sha256'], f'recording {index}')
            # Once the capture is released between calls (nothing to wake
            # for), count what the daemon holds.
            if index + 1 == WARM_UP:
                time.sleep(0.5)
                fds_warm, rss_warm = open_fds(daemon.pid), rss_kib(daemon.pid)
        time.sleep(0.5)
        fds_end, rss_end = open_fds(daemon.pid), rss_kib(daemon.pid)
        elapsed = time.monotonic() - started
        print(f'# {CALLS} calls in {elapsed:.0f} s; fds {fds_warm} -> {fds_end}; RSS {rss_warm} -> {rss_end} KiB',
              flush=True)
        phone.stop_tones()
        self.assertEqual(fds_end, fds_warm, 'open file descriptors after the warm-up calls and at the end')
        if not sanitized():
            self.assertLess(rss_end - rss_warm, 1024, 'memory grows by less than 1 MiB')
        calls = phone.calls()
        self.assertEqual(len(calls), CALLS)
        self.assertTrue(all(c['sha256'] and c['end_reason'] == 'hangup' for c in calls))
        self.assertEqual(len({c['path'] for c in calls}), CALLS, 'a file per call')
        phone.stop_daemon()
        result = phone.cli('verify', '--catalog', check=False)
        self.assertEqual(result.returncode, 0, result.stdout[-2000:])


if __name__ == '__main__':
    unittest.main(verbosity=2)
