#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''The demo behind scripts/demo: one night-time call on a simulated phone.'''

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
os.environ.setdefault('CW_BUILD_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'build'))
from harness import Phone  # noqa: E402

MODEM = '/org/freedesktop/ModemManager1/Modem/0'
CALL = 'org.freedesktop.ModemManager1.Call'


def say(text):
    print(f'\n== {text}', flush=True)


def main():
    say('Starting a simulated phone: private system bus, ModemManager mock, PulseAudio with null devices')
    phone = Phone('pulseaudio')
    try:
        phone.start_modemmanager()
        say('Starting callwitnessd; its clock reads 2026-11-24 23:40 in Asia/Shanghai')
        phone.start_daemon(local_time='2026-11-24 23:40:00', tz='Asia/Shanghai')
        phone.play_tones()

        say('First a text from the collector, at 23:39: "we are coming to your home tomorrow"')
        phone.mm_call('AddIncomingMessage', MODEM, '+8613800138000',
                      'Quick Collect: pay today or we are coming to your home tomorrow', '2026-11-24T23:39:58+08')
        phone.wait_call(0, lambda c: c['kind'] == 'message', 'the message in the catalog')

        say('A collector calls: +86 138 0013 8000 rings, is answered, talks for 5 s, hangs up;'
            ' 3 s in, the user marks the threat: callwitness mark "threatened to tell my employer"')
        call = phone.mm_call('AddIncomingCall', MODEM, '+8613800138000')
        time.sleep(2)
        phone.mm_object(call, CALL).Accept()
        time.sleep(3)
        print(phone.cli('mark', 'threatened to tell my employer').stdout, end='')
        time.sleep(2)
        phone.mm_object(call, CALL).Hangup()
        row = phone.wait_call(1, lambda c: c['sha256'], 'the finished recording')
        phone.stop_tones()

        say('callwitness list')
        print(phone.cli('list').stdout, end='')
        say('callwitness list --tagged --json')
        print(phone.cli('list', '--tagged', '--json').stdout, end='')

        path = os.path.join(phone.data_dir, row['path'])
        say(f'The recording: {row["path"]} (opusinfo)')
        info = subprocess.run(['opusinfo', path], capture_output=True, text=True).stdout
        print('\n'.join(line for line in info.splitlines()
                        if 'CALLWITNESS' in line or 'Channels' in line or 'Playback length' in line))
        say('sha256sum of the file (the catalog holds the same)')
        subprocess.run(['sha256sum', path])
        phone.stop_daemon()

        say('The user notes who called, then exports the call as evidence')
        phone.cli('identify', '2', '--company', 'Quick Collect Ltd', '--employee-id', 'QC-0417')
        phone.cli('note', '2', 'Called at 23:40 and threatened to tell my employer')
        bundle = os.path.join(phone.dir, 'evidence.zip')
        print(phone.cli('export', '--tagged', '-o', bundle).stdout, end='')
        key = phone.cli('key').stdout.strip()
        unpacked = os.path.join(phone.dir, 'unpacked')
        subprocess.run([sys.executable, '-m', 'zipfile', '-e', bundle, unpacked], check=True)
        folder = os.path.join(unpacked, 'evidence')
        say('Anyone checks it: sha256sum -c SHA256SUMS, minisign -Vm SHA256SUMS -P <key>, callwitness verify')
        subprocess.run(['sha256sum', '-c', 'SHA256SUMS'], cwd=folder)
        subprocess.run(['minisign', '-Vm', 'SHA256SUMS', '-P', key], cwd=folder)
        print(phone.cli('verify', bundle, '--key', key).stdout, end='')
        say('report.txt')
        with open(os.path.join(folder, 'report.txt'), encoding='utf-8') as f:
            print(f.read(), end='')
        say('Done. The daemon log was:')
        print(phone.daemon_log(), end='')
    finally:
        phone.close()


if __name__ == '__main__':
    main()
