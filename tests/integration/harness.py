# SPDX-License-Identifier: GPL-3.0-or-later
'''A simulated phone for integration tests: private D-Bus buses, a real sound
server (PulseAudio, or PipeWire with pipewire-pulse and WirePlumber) with
null devices, mock modems from python3-dbusmock, and callwitnessd under
libfaketime. Everything listens on Unix sockets inside one temporary
directory, and every wait is bounded.'''

import bisect
import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import struct
import subprocess
import tempfile
import time
import zlib

import dbus

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.environ.get('CW_BUILD_DIR', os.path.join(HERE, '..', '..', 'build'))
DAEMON = os.path.join(BUILD_DIR, 'src', 'daemon', 'callwitnessd')
CLI = os.path.join(BUILD_DIR, 'src', 'cli', 'callwitness')
MM_TEMPLATE = os.path.join(HERE, 'modemmanager_template.py')
PROFILES_DIR = os.path.abspath(os.path.join(HERE, '..', '..', 'data', 'profiles'))
PRESETS_DIR = os.path.abspath(os.path.join(HERE, '..', '..', 'data', 'presets'))
FAULTINJECT = os.path.join(BUILD_DIR, 'tests', 'faults', 'libcwfaultinject.so')
LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1'
MOCK_IFACE = 'org.freedesktop.DBus.Mock'

LOCAL_TONE_HZ = 440
REMOTE_TONE_HZ = 1000
BEEP_PERIOD_S = 0.25
BEEP_S = 0.05


def wait_for(predicate, timeout=15.0, what='a condition'):
    '''Polls predicate until it returns something true; bounded in time.'''
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout:.0f} s waiting for {what}')
        time.sleep(0.05)


def sanitizer_reports(text):
    return re.findall(r'(ERROR: AddressSanitizer.*|ERROR: LeakSanitizer.*|runtime error:.*)', text)


class Phone:
    '''One simulated phone. audio is "pulseaudio" or "pipewire".'''

    def __init__(self, audio='pulseaudio', session_bus_for_others=False):
        '''session_bus_for_others: the session bus also lets other users in,
        through an abstract socket (self.session_address_for_others), as a
        misconfigured or forwarded bus would.'''
        self.audio = audio
        self.dir = tempfile.mkdtemp(prefix='callwitness-test-')
        self.runtime_dir = os.path.join(self.dir, 'run')
        os.mkdir(self.runtime_dir, 0o700)
        self.home = os.path.join(self.dir, 'home')
        self.data_home = os.path.join(self.home, 'data')
        self.config_home = os.path.join(self.home, 'config')
        self.data_dir = os.path.join(self.data_home, 'callwitness')
        os.makedirs(self.config_home)
        self.processes = []
        self.daemon = None
        self.daemon_log_path = None
        self.players = []
        self.env = {
            'PATH': '/usr/sbin:/usr/bin:/sbin:/bin',
            'HOME': self.home,
            'XDG_RUNTIME_DIR': self.runtime_dir,
            'XDG_DATA_HOME': self.data_home,
            'XDG_CONFIG_HOME': self.config_home,
            'LANG': 'C.UTF-8',
            'CALLWITNESS_PROFILES_DIR': PROFILES_DIR,
            'CALLWITNESS_PRESETS_DIR': PRESETS_DIR,
            'CALLWITNESS_LOCALEDIR': os.path.join(BUILD_DIR, 'po'),
        }
        for name in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
            if name in os.environ:
                self.env[name] = os.environ[name]
        try:
            self.env['DBUS_SYSTEM_BUS_ADDRESS'] = self._start_bus('system')
            self.env['DBUS_SESSION_BUS_ADDRESS'] = self._start_bus('session', session_bus_for_others)
            self.system_bus = dbus.bus.BusConnection(self.env['DBUS_SYSTEM_BUS_ADDRESS'])
            self._start_audio()
        except BaseException:
            self.close()
            raise

    # --- processes ---------------------------------------------------------

    def _spawn(self, name, argv, env=None, **kwargs):
        log = open(os.path.join(self.dir, name + '.log'), 'wb')
        process = subprocess.Popen(argv, env=env or self.env, stdout=kwargs.pop('stdout', log), stderr=log,
                                   stdin=subprocess.DEVNULL, cwd=self.dir, **kwargs)
        process.log = log
        process.name = name
        self.processes.append(process)
        return process

    def _stop(self, process, timeout=10):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        process.log.close()
        if process.stdout:
            process.stdout.close()
        if process in self.processes:
            self.processes.remove(process)

    def _start_bus(self, name, for_others=False):
        socket = os.path.join(self.dir, name + '-bus')
        argv = ['dbus-daemon', '--session', '--nofork', '--nopidfile', f'--address=unix:path={socket}',
                '--print-address=1']
        if for_others:
            # The test directory is private to root: others reach the bus
            # through an abstract socket, which has no file permissions.
            self.session_address_for_others = 'unix:abstract=' + os.path.basename(self.dir)
            config = os.path.join(self.dir, name + '-bus.conf')
            with open(config, 'w') as f:
                f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"'
                        ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                        f'<busconfig><type>session</type><listen>unix:path={socket}</listen>'
                        f'<listen>{self.session_address_for_others}</listen><auth>EXTERNAL</auth>'
                        '<policy context="default"><allow user="*"/><allow send_destination="*"/>'
                        '<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>\n')
            argv = ['dbus-daemon', f'--config-file={config}', '--nofork', '--nopidfile', '--print-address=1']
        process = self._spawn(name + '-bus', argv, stdout=subprocess.PIPE)
        address = process.stdout.readline().decode().strip()
        if not address:
            raise AssertionError(f'dbus-daemon for the {name} bus did not start')
        return address.split(';')[0]

    def _start_audio(self):
        self.env['PULSE_SERVER'] = 'unix:' + os.path.join(self.runtime_dir, 'pulse', 'native')
        if self.audio == 'pulseaudio':
            os.makedirs(os.path.join(self.runtime_dir, 'pulse'), 0o700, exist_ok=True)
            script = os.path.join(self.dir, 'default.pa')
            with open(script, 'w') as f:
                f.write(f'load-module module-native-protocol-unix auth-anonymous=1 '
                        f'socket={self.runtime_dir}/pulse/native\n')
            self._spawn('pulseaudio', ['pulseaudio', '-n', '-F', script, '--daemonize=no', '--exit-idle-time=-1',
                                       '--use-pid-file=no', '--disallow-module-loading=no', '--log-target=stderr'])
        elif self.audio == 'pipewire':
            self._spawn('pipewire', ['pipewire'])
            wait_for(lambda: os.path.exists(os.path.join(self.runtime_dir, 'pipewire-0')), 15, 'pipewire')
            self._spawn('wireplumber', ['wireplumber'])
            self._spawn('pipewire-pulse', ['pipewire-pulse'])
        else:
            raise ValueError(self.audio)
        wait_for(lambda: self.pactl('info', check=False).returncode == 0, 20, f'{self.audio} to answer')
        # The call sink carries the other party; the microphone is the monitor
        # of a second sink, remapped into a source, so a test can "speak" into
        # it with paplay.
        self.call_sink_module, _ = self.load_null_sinks('call_sink', 'mic_sink')
        self.mic_module = self.load_remap_source('mic', 'mic_sink.monitor')
        self.set_default('sink', 'call_sink')
        self.set_default('source', 'mic')

    def load_null_sink(self, name):
        '''A null sink, returned (its module's index) once the server lists it
        and its monitor: pipewire-pulse answers load-module before the node is
        registered, and using the name earlier fails (seen: set-default-sink
        exited 1).'''
        return self.load_null_sinks(name)[0]

    def load_null_sinks(self, *names):
        '''Null sinks made together, as a card's profile makes them, and
        waited for together: one at a time, on a busy machine, took longer
        than a profile switch does.'''
        indexes = [self.pactl('load-module', 'module-null-sink', f'sink_name={name}', 'rate=48000').stdout.strip()
                   for name in names]
        self.wait_objects('sinks', names)
        self.wait_objects('sources', [name + '.monitor' for name in names])
        return indexes

    def load_remap_source(self, name, master):
        '''A source named name carrying master (a monitor), returned (its
        module's index) once the server lists it.'''
        index = self.pactl('load-module', 'module-remap-source', f'source_name={name}',
                           f'master={master}').stdout.strip()
        self.wait_object('sources', name)
        return index

    def wait_object(self, kind, name, timeout=15):
        self.wait_objects(kind, [name], timeout)

    def wait_objects(self, kind, names, timeout=15):
        def listed():
            return set(names) <= set(self.pactl('list', 'short', kind, check=False).stdout.split())
        wait_for(listed, timeout, f'{self.audio} to list the {kind} {", ".join(names)}')

    def set_default(self, kind, name, timeout=15):
        '''Sets the default sink or source and waits until the server reports
        it: both servers apply it asynchronously (WirePlumber stores it).'''
        field = 'Default Sink' if kind == 'sink' else 'Default Source'

        def applied():
            self.pactl(f'set-default-{kind}', name, check=False)
            info = self.pactl('info', check=False).stdout
            return f'{field}: {name}\n' in info
        wait_for(applied, timeout, f'{name} as the default {kind}')

    def kill_audio(self):
        '''Kills the sound server, every process of it, as a crash would.'''
        self.stop_tones()
        names = ('pulseaudio',) if self.audio == 'pulseaudio' else ('pipewire-pulse', 'wireplumber', 'pipewire')
        for process in [p for p in self.processes if p.name in names]:
            process.kill()
            process.wait(10)
            self._stop(process)
        wait_for(lambda: self.pactl('info', check=False).returncode != 0, 15, f'{self.audio} to be gone')
        for leftover in ('pipewire-0', 'pipewire-0.lock', os.path.join('pulse', 'native')):
            path = os.path.join(self.runtime_dir, leftover)
            if os.path.lexists(path):
                os.unlink(path)

    def restart_audio(self):
        '''Kills the sound server and starts it again with the same
        devices, as a phone's session restarts it.'''
        self.kill_audio()
        self._start_audio()

    def start_audio_again(self):
        '''The sound server back after kill_audio(), with the same devices.'''
        self._start_audio()

    def pactl(self, *args, check=True):
        return subprocess.run(['pactl', *args], env=self.env, capture_output=True, text=True, timeout=20,
                              check=check)

    # --- modems -------------------------------------------------------------

    def start_modemmanager(self, **parameters):
        argv = ['/usr/bin/python3', '-m', 'dbusmock', '--system', '--template', MM_TEMPLATE]
        if parameters:
            argv += ['--parameters', json.dumps(parameters)]
        self.mm = self._spawn('modemmanager-mock', argv)
        self._wait_name('org.freedesktop.ModemManager1')
        self.mm_main = self.system_bus.get_object('org.freedesktop.ModemManager1', '/org/freedesktop/ModemManager1')
        return self.mm

    def stop_modemmanager(self):
        self._stop(self.mm)

    def start_ofono(self):
        self.ofono = self._spawn('ofono-mock', ['/usr/bin/python3', '-m', 'dbusmock', '--system',
                                                '--template', 'ofono'])
        self._wait_name('org.ofono')
        return self.ofono

    def start_notification_daemon(self):
        '''dbusmock's notification_daemon on the session bus; its log records
        every Notify call.'''
        self.notifications = self._spawn('notification-daemon', ['/usr/bin/python3', '-m', 'dbusmock',
                                                                  '--template', 'notification_daemon'])
        session_bus = dbus.bus.BusConnection(self.env['DBUS_SESSION_BUS_ADDRESS'])
        wait_for(lambda: session_bus.name_has_owner('org.freedesktop.Notifications'), 20,
                 'the notification daemon')
        session_bus.close()

    def notifications_log(self):
        with open(os.path.join(self.dir, 'notification-daemon.log'), errors='replace') as f:
            return f.read()

    def _wait_name(self, name):
        wait_for(lambda: self.system_bus.name_has_owner(name), 20, f'{name} on the system bus')

    def mm_call(self, method, *args):
        return self.mm_main.get_dbus_method(method, MOCK_IFACE)(*args)

    def mm_object(self, path, interface):
        return dbus.Interface(self.system_bus.get_object('org.freedesktop.ModemManager1', path), interface)

    def ofono_object(self, path, interface=MOCK_IFACE):
        return dbus.Interface(self.system_bus.get_object('org.ofono', path), interface)

    # --- the daemon ---------------------------------------------------------

    def write_config(self, text):
        os.makedirs(os.path.join(self.config_home, 'callwitness'), exist_ok=True)
        with open(os.path.join(self.config_home, 'callwitness', 'callwitness.conf'), 'w') as f:
            f.write(text)

    def start_daemon(self, local_time='2026-11-24 23:40:00', tz='Asia/Shanghai', faults=None, localtime=None,
                     extra_env=None):
        '''Starts callwitnessd with its wall clock starting at local_time in tz,
        and the faults of the machine given (tests/faults/faultinject.c).
        localtime: a zone file the daemon sees as /etc/localtime (in a mount
        namespace of its own), with TZ unset, as on a phone.'''
        env = dict(self.env, TZ=tz, **(faults or {}), **(extra_env or {}))
        wrapper = []
        if localtime:
            del env['TZ']
            wrapper = ['unshare', '--mount', 'sh', '-c', 'mount --bind "$0" /etc/localtime && exec "$@"', localtime]
        if local_time:
            # libfaketime: "@" starts the clock at that local time and lets it
            # run; the monotonic clock stays real so the main loop's timers do.
            env.update(LD_PRELOAD=LIBFAKETIME, FAKETIME='@' + local_time, FAKETIME_DONT_FAKE_MONOTONIC='1',
                       FAKETIME_DONT_RESET='1')
            # Preloading libfaketime puts it before an ASan build's runtime,
            # which ASan refuses unless told this order is intended.
            env['ASAN_OPTIONS'] = ':'.join(filter(None, [env.get('ASAN_OPTIONS'), 'verify_asan_link_order=0']))
        if faults:
            env['LD_PRELOAD'] = ':'.join(filter(None, [FAULTINJECT, env.get('LD_PRELOAD')]))
            env['ASAN_OPTIONS'] = ':'.join(filter(None, [env.get('ASAN_OPTIONS'), 'verify_asan_link_order=0']))
        log_name = f'callwitnessd-{len([p for p in os.listdir(self.dir) if p.startswith("callwitnessd")])}'
        self.daemon_log_path = os.path.join(self.dir, log_name + '.log')
        self.daemon = self._spawn(log_name, wrapper + [DAEMON, '--verbose'], env=env)
        wait_for(lambda: 'ready' in self.daemon_log() or self.daemon.poll() is not None, 15, 'callwitnessd')
        if self.daemon.poll() is not None:
            raise AssertionError('callwitnessd exited at start:\n' + self.daemon_log())
        return self.daemon

    def daemon_log(self):
        with open(self.daemon_log_path, errors='replace') as f:
            return f.read()

    def wait_log(self, text, timeout=15):
        wait_for(lambda: text in self.daemon_log(), timeout, f"'{text}' in the daemon's log")

    def stop_daemon(self):
        '''Stops the daemon, and fails on a bad exit or a sanitizer report.'''
        daemon, self.daemon = self.daemon, None
        daemon.send_signal(signal.SIGTERM)
        try:
            code = daemon.wait(20)
        except subprocess.TimeoutExpired:
            daemon.kill()
            raise AssertionError('callwitnessd did not stop on SIGTERM')
        finally:
            self._stop(daemon)
        log = self.daemon_log()
        reports = sanitizer_reports(log)
        if reports or code != 0:
            raise AssertionError(f'callwitnessd exited with {code}; sanitizer reports: {reports}\n{log[-4000:]}')

    # --- audio --------------------------------------------------------------

    def tone(self, hz, seconds=60):
        path = os.path.join(self.dir, f'tone-{hz}.wav')
        if not os.path.exists(path):
            subprocess.run(['sox', '-n', '-r', '48000', '-c', '1', '-b', '16', path, 'synth', str(seconds),
                            'sine', str(hz), 'vol', '0.5'], check=True, timeout=30)
        return path

    def beeps(self, hz, period_s=BEEP_PERIOD_S, seconds=60):
        '''50 ms beeps of hz, one every period_s: a signal whose timing shows
        any gap inserted into or audio dropped from a recording.'''
        path = os.path.join(self.dir, f'beeps-{hz}.wav')
        if not os.path.exists(path):
            subprocess.run(['sox', '-n', '-r', '48000', '-c', '1', '-b', '16', path, 'synth', str(BEEP_S), 'sine',
                            str(hz), 'vol', '0.5', 'pad', '0', str(period_s - BEEP_S),
                            'repeat', str(int(seconds / period_s) - 1)],
                           check=True, timeout=30)
        return path

    def play_tones(self, local_sink='mic_sink', remote_sink='call_sink', local=None, remote=None):
        '''The user speaks a 440 Hz tone; the other party a 1000 Hz one (or
        the files given). Returns once both play, as a phone's microphone and
        call audio would.'''
        self.players.append(self._spawn('play-local', ['paplay', f'--device={local_sink}',
                                                       local or self.tone(LOCAL_TONE_HZ)]))
        if remote_sink:
            self.players.append(self._spawn('play-remote', ['paplay', f'--device={remote_sink}',
                                                            remote or self.tone(REMOTE_TONE_HZ)]))
        wait_for(lambda: len(self.pactl('list', 'short', 'sink-inputs').stdout.strip().splitlines())
                 >= len(self.players), 15, 'the tones playing')
        time.sleep(1.0)   # the remapped microphone starts delivering after its master sink runs

    def record_references(self):
        """What the sound server itself has on the microphone and the call
        sink's monitor, recorded by parecord beside the daemon until
        stop_references(): a glitch of the server's own (a player starved on
        a busy machine) is in these too, one of the capture's only in the
        call's file. Returns {channel: wav path}."""
        paths = {}
        for channel, (name, device) in {1: ('local', 'mic'), 2: ('remote', 'call_sink.monitor')}.items():
            paths[channel] = os.path.join(self.dir, f'reference-{name}.wav')
            self._spawn(f'reference-{name}', ['parecord', f'--device={device}', '--latency-msec=50',
                                              '--file-format=wav', paths[channel]])
        return paths

    def stop_references(self):
        for process in [p for p in self.processes if p.name.startswith('reference-')]:
            self._stop(process)

    def stop_tones(self):
        for player in self.players:
            self._stop(player)
        self.players = []

    # --- results ------------------------------------------------------------

    @contextlib.contextmanager
    def catalog(self):
        '''The catalog, read-only, closed at the end of the with block: a
        connection left open keeps SQLite's lock and shared-memory state for
        its file's inode, which a catalog copied in later may reuse.'''
        db = sqlite3.connect(f'file:{self.data_dir}/catalog.db?mode=ro', uri=True, timeout=10)
        try:
            db.row_factory = sqlite3.Row
            yield db
        finally:
            db.close()

    def calls(self):
        if not os.path.exists(os.path.join(self.data_dir, 'catalog.db')):
            return []
        with self.catalog() as db:
            return [dict(row) for row in db.execute(
                'SELECT calls.*, recordings.path, recordings.duration_ms AS file_duration_ms,'
                ' recordings.size, recordings.sha256 FROM calls'
                ' LEFT JOIN recordings ON recordings.call_id = calls.id ORDER BY calls.id')]

    def wait_call(self, index, condition, what, timeout=20):
        def check():
            calls = self.calls()
            return len(calls) > index and condition(calls[index]) and calls[index]
        return wait_for(check, timeout, what)

    def cli(self, *args, check=True, input='', env=None):
        result = self.cli_start(*args, env=env, stdin=subprocess.PIPE)
        stdout, stderr = result.communicate(input, timeout=30)
        result = subprocess.CompletedProcess(result.args, result.returncode, stdout, stderr)
        # A sanitizer report fails the test even where the command is
        # expected to fail.
        reports = sanitizer_reports(result.stderr)
        if reports:
            raise AssertionError(f'callwitness {" ".join(args)}: {reports}\n{result.stderr[-4000:]}')
        if check:
            result.check_returncode()
        return result

    def cli_start(self, *args, env=None, **kwargs):
        '''The CLI running in the background. env may name faults of the
        machine (tests/faults/faultinject.c), preloaded when given.'''
        env = dict(self.env, TZ='Asia/Shanghai', **(env or {}))
        if any(name.startswith('CW_FAULT_') for name in env):
            env['LD_PRELOAD'] = FAULTINJECT
            env['ASAN_OPTIONS'] = ':'.join(filter(None, [env.get('ASAN_OPTIONS'), 'verify_asan_link_order=0']))
        return subprocess.Popen([CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                **kwargs)

    def stop_calls_machinery(self):
        '''Tones, daemon and modem stopped, for the next test on the same
        phone.'''
        self.stop_tones()
        if self.daemon:
            self.stop_daemon()
        if getattr(self, 'mm', None) and self.mm.poll() is None:
            self.stop_modemmanager()

    def forget_data(self):
        '''A fresh catalog and no recordings, for the next test on the same
        phone. The daemon must be stopped.'''
        assert self.daemon is None, 'forget_data with callwitnessd running'
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def close(self):
        self.stop_tones()
        if self.daemon:
            self._stop(self.daemon)
        for process in reversed(list(self.processes)):
            self._stop(process)
        if os.environ.get('CW_KEEP_TEST_DIR'):
            print('# test directory kept:', self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def kernel_clock_synchronized():
    '''What adjtimex(2) says, asked here as callwitnessd asks it.'''
    class Timex(ctypes.Structure):
        _fields_ = [('modes', ctypes.c_uint), ('rest', ctypes.c_byte * 204)]
    libc = ctypes.CDLL(None, use_errno=True)
    buf = Timex()
    state = libc.adjtimex(ctypes.byref(buf))
    status = int.from_bytes(bytes(buf.rest)[4 * 8 + 4:4 * 8 + 8], 'little')   # after offset, freq, maxerror, esterror
    return state != 5 and not status & 0x40   # TIME_ERROR, STA_UNSYNC


def power_cut(sync_log, under):
    '''What a power cut keeps of the files under `under`, replayed from the
    sync log a process wrote through faultinject (CW_FAULT_SYNC_LOG), after
    that process was killed: a file keeps what its last fsync or fdatasync
    covered (nothing if it never synced); a new file or directory, or a
    rename, keeps its name only if its directory was synced after it.
    Returns what it did, for the test's messages.'''
    durable = {}     # path -> whether its name is on disk
    synced = {}      # path -> size at its last sync
    with open(sync_log) as f:
        lines = f.read().splitlines()
    for line in lines:
        what, _, rest = line.partition(' ')
        if what == 'create':
            durable[rest] = False
            synced.pop(rest, None)
        elif what == 'sync':
            size, _, path = rest.partition(' ')
            synced[path] = int(size)
            durable.setdefault(path, True)
        elif what == 'dirsync':
            for path in durable:
                if os.path.dirname(path) == rest:
                    durable[path] = True
        elif what == 'rename':
            old, new = rest.split(' ')
            durable[new] = False
            if old in synced:
                synced[new] = synced.pop(old)
            durable.pop(old, None)
    done = []
    for path in sorted(durable, key=len, reverse=True):
        if not path.startswith(under + '/') or not os.path.lexists(path):
            continue
        if not durable[path]:
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
            done.append(f'lost {path}')
        elif os.path.isfile(path) and os.path.getsize(path) > synced.get(path, 0):
            os.truncate(path, synced.get(path, 0))
            done.append(f'truncated {path} to {synced.get(path, 0)}')
    return done


def band_rms(path, channel, low_hz, high_hz):
    '''RMS amplitude of one channel within a frequency band, by sox.'''
    out = subprocess.run(['sox', path, '-n', 'remix', str(channel), 'sinc', f'{low_hz}-{high_hz}', 'stat'],
                         capture_output=True, text=True, timeout=60).stderr
    return float(re.search(r'RMS\s+amplitude:\s+([\d.]+)', out).group(1))


def tone_levels(path, channel):
    '''(energy in the local tone's band, energy in the remote tone's band).
    Bands an octave wide: sox's default sinc attenuates narrower ones; a pure
    0.5-amplitude tone reads 0.22 (440 Hz) and 0.34 (1000 Hz) here, and
    leaks 0.02 into the other band through the filter alone.'''
    return band_rms(path, channel, 300, 600), band_rms(path, channel, 700, 1400)


def beep_onsets(wav_path, channel, hz, min_s=0):
    '''Times (s) at which beeps of hz start in one channel (1 or 2) of a
    decoded recording: sox keeps the band, Python finds where its 2 ms
    envelope crosses a third of its peak. min_s: a sound shorter than this
    (a click) is no beep.'''
    raw = subprocess.run(['sox', wav_path, '-t', 's16', '-r', '48000', '-', 'remix', str(channel),
                          'sinc', f'{hz * 0.7:.0f}-{hz * 1.4:.0f}'], capture_output=True, timeout=60, check=True).stdout
    samples = struct.unpack(f'<{len(raw) // 2}h', raw)
    block = 96
    envelope = [max(abs(v) for v in samples[i:i + block]) for i in range(0, len(samples) - block, block)]
    threshold = max(envelope) / 3 if envelope else 1
    onsets, above, start = [], False, 0
    for index, level in enumerate(envelope + [0]):
        if level > threshold and not above:
            start = index
        elif above and level <= threshold and (index - start) * block / 48000 >= min_s:
            onsets.append(start * block / 48000)
        above = level > threshold
    return onsets


def whole_beeps(onsets):
    '''The onsets of beeps that the start of the file did not cut: a beep
    already sounding when the recording starts is found at 0 s, late by
    however much of it came before.'''
    return [t for t in onsets if t > 0.01]


def check_beeps_regular(test, onsets, what, period_s=BEEP_PERIOD_S, tolerance_s=0.015):
    '''Every beep follows the one before by one period: nothing was inserted
    into or cut out of the recording between them.'''
    onsets = whole_beeps(onsets)
    test.assertGreater(len(onsets), 4, f'{what}: beeps found')
    for before, after in zip(onsets, onsets[1:]):
        step = after - before
        if abs(step - period_s) > tolerance_s:
            test.fail(f'{what}: beep at {after:.3f} s follows the one at {before:.3f} s')


def misalignment(onsets, played, period_s=BEEP_PERIOD_S, tolerance_s=0.025, drift=0.001, complete=True):
    '''None when the beeps of a recording are the ones the sound server
    played (record_references), each where it was played: one offset moves
    every onset onto a played beep (within tolerance_s, and drift of the
    time since the first: a resampled side may be a little off), and every
    beep played in that span is in the file. Else where the file first
    leaves the reference. A glitch of the server's own (a player starved on
    a busy machine) is in both and moves nothing; audio the capture lost or
    inserted moves every beep after it. complete=False: beeps the file
    misses are no fault (a gap told as silence), beeps moved still are. A
    second onset inside one beep (its
    sound dipping under the detector's threshold: seen once in CI, at 40 ms
    into the last beep of a file) moves nothing and is not a beep.'''
    # A beep cut by the start of the file (or of its stream: pipewire-pulse
    # begins a stream with a few ms of silence) starts nowhere it was played.
    onsets = [t for t in onsets if t > BEEP_S + 0.01]
    onsets = [t for i, t in enumerate(onsets) if i == 0 or t - onsets[i - 1] > BEEP_S + tolerance_s]
    played = sorted(played)
    if len(onsets) < 5 or not played:
        return f'{len(onsets)} beeps in the file, {len(played)} played'

    def nearest(t):
        i = bisect.bisect_left(played, t)
        return min((played[j] for j in (i - 1, i) if 0 <= j < len(played)), key=lambda p: abs(p - t))

    def misses(offset):
        return [(t, nearest(t + offset) - (t + offset)) for t in onsets
                if abs(nearest(t + offset) - (t + offset)) > tolerance_s + drift * (t - onsets[0])]

    # The beeps are periodic: the offset is found among those that put one
    # of the first onsets on a played beep, as the one that fits the most.
    best = min({round(p - t, 4) for t in onsets[:3] for p in played}, key=lambda o: (len(misses(o)), abs(o)))
    missed = misses(best)
    if missed:
        t, off = missed[0]
        return (f'the beep at {t:.3f} s is {off * 1000:+.0f} ms from where the sound server played it '
                f'({len(missed)} of {len(onsets)} beeps off)')
    span = [p for p in played if onsets[0] + best - period_s / 2 < p < onsets[-1] + best + period_s / 2]
    if complete and len(span) != len(onsets):
        return f'the sound server played {len(span)} beeps in that time, the file has {len(onsets)}'
    return None


def png_rows(path, step=1):
    '''The pixels of an 8-bit RGB or RGBA PNG (what Chromium and GTK
    write), as (width, height, rows of (r, g, b) tuples): enough to look at
    a screenshot without an imaging library. step > 1 keeps every step-th
    row and pixel of it (every row is still decoded: each is filtered
    against the one before).'''
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', path
    pos, idat = 8, b''
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, color, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and color in (2, 6) and not interlace, f'{path}: not 8-bit RGB(A)'
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    channels = 3 if color == 2 else 4
    stride = width * channels
    raw, rows, previous = zlib.decompress(idat), [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        if y % step == 0:
            rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels * step)])
        previous = line
    return width, height, rows


def decode(opus_path, wav_path):
    subprocess.run(['opusdec', '--quiet', '--rate', '48000', opus_path, wav_path], check=True, timeout=60)
    return float(subprocess.run(['soxi', '-D', wav_path], capture_output=True, text=True, check=True,
                                timeout=30).stdout)


def opus_tags(opus_path):
    out = subprocess.run(['opusinfo', opus_path], capture_output=True, text=True, timeout=30).stdout
    return dict(re.findall(r'^\s+(\w+)=(.*)$', out, re.M)), out


SEPARATE = (('local',), ('remote',))


def check_recording(test, phone, row, talk_s, channels=SEPARATE):
    '''The finished recording of a catalog row: as long as the active
    period (within 100 ms), each channel carrying the tones listed for it
    and not the others (default: local tone left, remote tone right), and
    private modes. Returns the file's path.'''
    path = os.path.join(phone.data_dir, row['path'])
    wav = os.path.join(phone.dir, f'decoded-{row["id"]}.wav')
    active_s = (row['ended_at_ms'] - row['answered_at_ms']) / 1000
    test.assertAlmostEqual(active_s, talk_s, delta=1.0)

    file_s = decode(path, wav)
    test.assertLess(abs(file_s - active_s), 0.1, f'file lasts {file_s:.3f} s, the call was active {active_s:.3f} s')
    _, info = opus_tags(path)
    test.assertIn(f'Channels: {len(channels)}', info)
    for channel, expected in enumerate(channels, start=1):
        levels = dict(zip(('local', 'remote'), tone_levels(wav, channel)))
        for side, level in levels.items():
            if side in expected:
                test.assertGreater(level, 0.1, f'channel {channel} carries the {side} tone ({levels})')
        for side, level in levels.items():
            if side not in expected:
                test.assertLess(level, min(levels[e] for e in expected) / 5,
                                f'channel {channel} does not carry the {side} tone ({levels})')

    test.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
    test.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
    test.assertEqual(stat.S_IMODE(os.stat(phone.data_dir).st_mode), 0o700)
    return path
