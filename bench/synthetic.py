# SPDX-License-Identifier: GPL-3.0-or-later
'''A large synthetic catalog for the benches: `calls` incoming calls from
500 numbers, one every 10 minutes, each answered, 60 s long, with a
recording row and the clock check callwitnessd writes for every call; a
third tagged night. The schema is callwitness's own (made
by `callwitness recover` on an empty data directory).'''

import os
import sqlite3
import subprocess


def make_catalog(cli, env, data, calls):
    # An empty catalog of the current schema, made by callwitness itself.
    subprocess.run([cli, 'recover'], env=env, stdout=subprocess.DEVNULL, check=True, timeout=60)
    db = sqlite3.connect(os.path.join(data, 'catalog.db'))
    start_ms = 1732460400000
    with db:
        for first in range(1, calls + 1, 10000):
            batch = range(first, min(first + 10000, calls + 1))
            db.executemany('INSERT INTO calls (id, backend, modem_call_id, direction, number, started_at_ms,'
                           ' started_offset_s, answered_at_ms, answered_offset_s, ended_at_ms, ended_offset_s,'
                           ' end_reason) VALUES (?, "modemmanager", "/Call/1", "incoming", ?, ?, 28800, ?, 28800,'
                           ' ?, 28800, "hangup")',
                           [(i, f'+86138{i % 500:08d}', start_ms + i * 600000, start_ms + i * 600000 + 5000,
                             start_ms + i * 600000 + 65000) for i in batch])
            db.executemany('INSERT INTO call_states (call_id, state, reason, at_ms, offset_s) VALUES (?, ?, ?, ?, 28800)',
                           [(i, state, reason, start_ms + i * 600000 + offset) for i in batch
                            for state, reason, offset in (('ringing', None, 0), ('active', None, 5000),
                                                          ('ended', 'hangup', 65000))])
            db.executemany('INSERT INTO recordings (call_id, path, duration_ms, size, sha256) VALUES (?, ?, 60000,'
                           ' 240000, ?)', [(i, f'recordings/2026/11/{i}.opus', f'{i:064x}') for i in batch])
            db.executemany('INSERT INTO clock_checks (call_id, synced, at_ms, offset_s) VALUES (?, 1, ?, 28800)',
                           [(i, start_ms + i * 600000) for i in batch])
            db.executemany('INSERT INTO tags (call_id, tag, reason, origin) VALUES (?, "night", ?, "policy")',
                           [(i, 'started at 23:40 local time (UTC+08:00), inside the quiet hours 21:00–08:00')
                            for i in batch if i % 3 == 0])
    db.close()
    return os.path.join(data, 'catalog.db')
