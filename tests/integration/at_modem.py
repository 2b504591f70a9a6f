# SPDX-License-Identifier: GPL-3.0-or-later
'''A fake AT modem for the real ModemManager daemon. ModemManager's test
interface (SetProfile) opens it as a serial port on a Unix socket (the
port's name is the socket's path); this answers the generic plugin's probing and plays a 3GPP voice
modem (27.007): RING and +CLIP for incoming calls, +CCWA for a waiting
one, +CLCC for the list of calls, ATD, ATA, ATH, +CHUP and +CHLD.

With messaging ('pdu' or 'text'), it is also an SMS modem (27.005): a
message from the network is stored in "SM" and announced with +CMTI;
+CMGR and +CMGL read it back, in PDU mode (SMS-DELIVER in UCS-2, with a
concatenation header for a message in parts) or in text mode, and +CMGD
deletes it.

It runs in a thread of the test. Every command it was sent is kept, so a
test can see what ModemManager did to the "network".'''

import re
import select
import socket
import threading
import time

# +CLCC <stat> (27.007 7.18)
ACTIVE, HELD, DIALING, ALERTING, INCOMING, WAITING = range(6)
# +CLCC <dir>
MOBILE_ORIGINATED, MOBILE_TERMINATED = 0, 1

OK = 'OK'
ERROR = 'ERROR'

# What the generic plugin asks while probing and enabling, and what an
# unremarkable GSM modem with a SIM, registered at home, answers. Anything
# not listed (and not handled below) gets ERROR, as from a modem without
# that feature.
FIXED_REPLIES = {
    'AT': [],
    'ATE0': [],
    'ATV1': [],
    'AT+CMEE=1': [],
    'ATX4': [],
    'AT&C1': [],
    'AT+GCAP': ['+GCAP: +CGSM'],
    'ATI': ['callwitness test modem'],
    'AT+CGMI': ['callwitness'],
    'AT+CGMM': ['fake voice modem'],
    'AT+CGMR': ['1.0'],
    'AT+CGSN': ['357000000000001'],
    'AT+CIMI': ['460001234567890'],
    'AT+CCID': ['+CCID: 89860000000000000001'],
    'AT+CPIN?': ['+CPIN: READY'],
    'AT+CFUN?': ['+CFUN: 1'],
    'AT+CFUN=1': [],
    'AT+CSCS=?': ['+CSCS: ("IRA","GSM","UCS2")'],
    'AT+CSCS?': ['+CSCS: "IRA"'],
    'AT+WS46=?': ['+WS46: (12)'],
    'AT+CREG?': ['+CREG: 2,1,"1234","001122BB"'],
    'AT+CGREG?': ['+CGREG: 2,1,"1234","001122BB"'],
    'AT+CSQ': ['+CSQ: 20,99'],
    'AT+COPS=3,2': [],
    'AT+COPS=3,0': [],
    'AT+CNUM': ['+CNUM: ,"+8613900000000",145'],
    'AT+CLCC=?': [],
    'AT+CLIP=1': [],
    'AT+CLIP=0': [],
    'AT+CCWA=1': [],
    'AT+CCWA=0': [],
    'AT+CRC=1': [],
    'AT+CRC=0': [],
    'AT+CVHU=0': [],
}
REGEX_REPLIES = [
    (re.compile(r'AT\+CSCS="\w+"'), []),
    (re.compile(r'AT\+C(G)?REG=\d'), []),
    (re.compile(r'AT\+CMER=.*'), []),
]


SMSC = '+8613800250500'
# The SMS-related answers of a modem that stores messages on its SIM.
MESSAGING_REPLIES = {
    'AT+CNMI=?': ['+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)'],
    'AT+CPMS=?': ['+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")'],
    'AT+CSCA?': [f'+CSCA: "{SMSC}",145'],
    'AT+CSMS?': ['+CSMS: 0,1,1,1'],
    'AT+CSMS=?': ['+CSMS: (0,1)'],
}


def semi_octets(digits):
    '''Digits as swapped BCD (23.040 9.1.2.3), F-padded.'''
    if len(digits) % 2:
        digits += 'F'
    return ''.join(digits[i + 1] + digits[i] for i in range(0, len(digits), 2))


def address(number):
    digits = number.lstrip('+')
    return f'{len(digits):02X}{"91" if number.startswith("+") else "81"}{semi_octets(digits)}'


def scts(sent, quarters):
    '''The service centre time stamp: "26/11/24,23:40:05" and the zone in
    quarters of an hour east of UTC.'''
    digits = re.sub(r'\D', '', sent)
    zone = semi_octets(f'{abs(quarters):02d}')
    if quarters < 0:   # the sign is bit 3 of the swapped first octet
        zone = f'{int(zone[0], 16) | 8:X}{zone[1]}'
    return semi_octets(digits) + zone


def deliver_pdu(sender, text, sent, quarters, part=None):
    '''An SMS-DELIVER with its SMSC: text in UCS-2; part (reference, total,
    sequence) adds the concatenation header. Returns (pdu hex, TPDU length).'''
    body = text.encode('utf-16-be')
    header = b''
    if part:
        header = bytes([5, 0, 3, *part])
    smsc_digits = SMSC.lstrip('+')
    smsc = f'{(len(smsc_digits) + 1) // 2 + 1:02X}91{semi_octets(smsc_digits)}'
    tpdu = (f'{0x44 if header else 0x04:02X}' + address(sender) + '00' + '08' + scts(sent, quarters) +
            f'{len(header) + len(body):02X}' + (header + body).hex().upper())
    return smsc + tpdu, len(tpdu) // 2


class StoredSms:
    def __init__(self, index, sender, text, sent, quarters, part):
        self.index, self.sender, self.text, self.sent, self.quarters, self.part = (index, sender, text, sent,
                                                                                   quarters, part)
        self.read = False


class Call:
    def __init__(self, index, direction, state, number):
        self.index, self.direction, self.state, self.number = index, direction, state, number

    def clcc(self):
        kind = 145 if self.number.startswith('+') else 129
        return f'+CLCC: {self.index},{self.direction},{self.state},0,0,"{self.number}",{kind}'


class FakeATModem:
    '''Listens on a Unix socket at path; ModemManager connects to it when a
    test profile names that path as a port.'''

    def __init__(self, path, messaging=None, network_time=None):
        '''network_time: what +CCLK? says the network's time is
        ("26/11/24,23:40:05+32"), or None for a modem without a clock.'''
        self.path = path
        self.messaging = messaging
        self.network_time = network_time
        self.stored = []
        self._reference = 0
        self.calls = []
        self.commands = []
        self._lock = threading.Lock()
        self._clients = []
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(4)
        self._wake_r, self._wake_w = socket.socketpair()
        self._running = True
        self._hung = False
        self._thread = threading.Thread(target=self._serve, name='at-modem', daemon=True)
        self._thread.start()

    # --- the network's side, driven by the test -----------------------------

    def ring(self, number):
        '''An incoming call: RING and +CLIP, as a modem with CLIP enabled
        sends them, until answered or hung up. A number of '' is withheld.'''
        with self._lock:
            waiting = any(c.state in (ACTIVE, HELD) for c in self.calls)
            call = Call(self._free_index(), MOBILE_TERMINATED, WAITING if waiting else INCOMING, number)
            self.calls.append(call)
        if waiting:
            self.send_urc(f'+CCWA: "{number}",{145 if number.startswith("+") else 129},1')
        else:
            self.send_urc('RING')
            self.send_urc(f'+CLIP: "{number}",{145 if number.startswith("+") else 129},,,,{0 if number else 1}')
        return call

    def remote_answers(self, call=None):
        '''The other party picks up the call we dialled.'''
        with self._lock:
            for c in self.calls:
                if c.direction == MOBILE_ORIGINATED and c.state in (DIALING, ALERTING) and call in (None, c):
                    c.state = ACTIVE

    def remote_hangs_up(self, call=None):
        '''The other party ends a call (all of them by default): the call
        leaves +CLCC and the modem says NO CARRIER.'''
        with self._lock:
            self.calls = [c for c in self.calls if call not in (None, c)]
        self.send_urc('NO CARRIER')

    def deliver_sms(self, sender, text, sent='26/11/24,23:40:05', quarters=32, parts=1, announce=True):
        '''A message from the network, stored and announced (+CMTI) part by
        part: a text of several parts arrives as a concatenated message.'''
        assert self.messaging, 'a modem without messaging'
        size = -(-len(text) // parts)
        chunks = [text[i * size:(i + 1) * size] for i in range(parts)]
        with self._lock:
            self._reference = (self._reference + 1) % 256
            reference = self._reference
        for sequence, chunk in enumerate(chunks, start=1):
            with self._lock:
                used = {m.index for m in self.stored}
                index = min(i for i in range(0, 30) if i not in used)
                self.stored.append(StoredSms(index, sender, chunk, sent, quarters,
                                             (reference, parts, sequence) if parts > 1 else None))
            if announce:
                self.send_urc(f'+CMTI: "SM",{index}')
            if sequence < parts:
                time.sleep(0.3)   # the parts come one by one

    def call_states(self):
        with self._lock:
            return [(c.index, c.direction, c.state, c.number) for c in self.calls]

    def send_urc(self, text):
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            try:
                client.sendall(f'\r\n{text}\r\n'.encode())
            except OSError:
                pass

    def hang(self, hung=True):
        '''The modem's firmware wedges: the port stays open, and commands
        go unanswered, which is how modems on phones usually fail.'''
        self._hung = hung

    def disconnect(self):
        '''The modem goes away: every connection to it closes, as a USB
        serial port would vanish.'''
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        self._wake_w.send(b'x')

    def close(self):
        self._running = False
        self.disconnect()
        self._thread.join(5)
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()

    # --- the modem's side ---------------------------------------------------

    def _free_index(self):
        used = {c.index for c in self.calls}
        return min(i for i in range(1, 8) if i not in used)

    def _serve(self):
        buffers = {}
        while self._running:
            with self._lock:
                clients = list(self._clients)
            readable, _, _ = select.select([self._listener, self._wake_r, *clients], [], [], 0.5)
            for sock in readable:
                if sock is self._listener:
                    client, _ = self._listener.accept()
                    with self._lock:
                        self._clients.append(client)
                    buffers[client] = b''
                elif sock is self._wake_r:
                    sock.recv(64)
                else:
                    try:
                        data = sock.recv(4096)
                    except OSError:
                        data = b''
                    if not data:
                        with self._lock:
                            if sock in self._clients:
                                self._clients.remove(sock)
                        sock.close()
                        buffers.pop(sock, None)
                        continue
                    buffers[sock] = buffers.get(sock, b'') + data
                    while re.search(rb'[\r\n]', buffers[sock]):
                        line, buffers[sock] = re.split(rb'[\r\n]+', buffers[sock], maxsplit=1)
                        command = line.decode(errors='replace').strip()
                        if command:
                            self._reply(sock, command)

    def _reply(self, sock, command):
        self.commands.append((time.monotonic(), command))
        if self._hung:
            return
        lines, status = self._execute(command)
        text = ''.join(f'\r\n{line}\r\n' for line in lines) + f'\r\n{status}\r\n'
        try:
            sock.sendall(text.encode())
        except OSError:
            pass

    def _sms_lines(self, sms, listing):
        '''+CMGR (or, listing, +CMGL) for one stored message, as the mode gives it.'''
        unread = not sms.read
        sms.read = True
        if self.messaging == 'pdu':
            pdu, length = deliver_pdu(sms.sender, sms.text, sms.sent, sms.quarters, sms.part)
            head = f'+CMGL: {sms.index},{0 if unread else 1},,{length}' if listing else \
                f'+CMGR: {0 if unread else 1},,{length}'
            return [f'{head}\r\n{pdu}']
        zone = f'{"+" if sms.quarters >= 0 else "-"}{abs(sms.quarters):02d}'
        stat = '"REC UNREAD"' if unread else '"REC READ"'
        head = f'+CMGL: {sms.index},{stat},"{sms.sender}",,"{sms.sent}{zone}"' if listing else \
            f'+CMGR: {stat},"{sms.sender}",,"{sms.sent}{zone}"'
        # A message's lines follow its header directly, as modems send them.
        return [f'{head}\r\n{sms.text}']

    def _messaging(self, command, upper):
        '''The answer to an SMS command, or None for one that is not.'''
        if upper == 'AT+CMGF=?':
            return ['+CMGF: (0,1)' if self.messaging == 'pdu' else '+CMGF: (1)'], OK
        if re.fullmatch(r'AT\+CMGF=[01]', upper):
            return [], OK if (upper[-1] == '0') == (self.messaging == 'pdu') else ERROR
        if command in MESSAGING_REPLIES:
            return MESSAGING_REPLIES[command], OK
        if re.fullmatch(r'AT\+CPMS=.*', upper):
            n = len(self.stored)
            return [f'+CPMS: {n},30,{n},30,{n},30'], OK
        if upper == 'AT+CPMS?':
            n = len(self.stored)
            return [f'+CPMS: "SM",{n},30,"SM",{n},30,"SM",{n},30'], OK
        if re.fullmatch(r'AT\+CNMI=.*', upper):
            return [], OK
        if re.fullmatch(r'AT\+CMGL(=.*)?', upper):
            return [line for sms in sorted(self.stored, key=lambda m: m.index)
                    for line in self._sms_lines(sms, True)], OK
        match = re.fullmatch(r'AT\+CMGR=(\d+)', upper)
        if match:
            sms = next((m for m in self.stored if m.index == int(match.group(1))), None)
            return (self._sms_lines(sms, False), OK) if sms else ([], '+CMS ERROR: 321')
        match = re.fullmatch(r'AT\+CMGD=(\d+)(,\d+)?', upper)
        if match:
            self.stored = [m for m in self.stored if m.index != int(match.group(1))]
            return [], OK
        return None

    def _execute(self, command):
        upper = command.upper()
        with self._lock:
            answer = self._messaging(command, upper) if self.messaging else None
            if answer:
                return answer
            if upper == 'AT+CCLK?' and self.network_time:
                return [f'+CCLK: "{self.network_time}"'], OK
            if re.fullmatch(r'AT\+CTZ[UR]=\d', upper) and self.network_time:
                return [], OK
            if upper == 'AT+COPS?':
                # The format is the one last set with AT+COPS=3,<format>.
                numeric = any(c == 'AT+COPS=3,2' for _, c in reversed(self.commands[-3:]))
                return ['+COPS: 0,2,"46000",7' if numeric else '+COPS: 0,0,"Test Mobile",7'], OK
            if upper == 'AT+CLCC':
                return [c.clcc() for c in self.calls], OK
            if upper.startswith('ATD') and upper.endswith(';'):
                self.calls.append(Call(self._free_index(), MOBILE_ORIGINATED, ALERTING, command[3:-1]))
                return [], OK
            if upper == 'ATA':
                ringing = [c for c in self.calls if c.state == INCOMING]
                if not ringing:
                    return [], 'NO CARRIER'
                ringing[0].state = ACTIVE
                return [], OK
            if upper in ('ATH', 'AT+CHUP'):
                # Ends the calls in progress; a waiting call keeps waiting.
                self.calls = [c for c in self.calls if c.state == WAITING] if any(
                    c.state != WAITING for c in self.calls) else []
                return [], OK
            if upper.startswith('AT+CHLD='):
                return [], self._chld(upper[len('AT+CHLD='):])
        if command in FIXED_REPLIES:
            return FIXED_REPLIES[command], OK
        for pattern, lines in REGEX_REPLIES:
            if pattern.fullmatch(command):
                return lines, OK
        return [], ERROR

    def _chld(self, argument):
        '''Call hold and multiparty (22.030 6.5.5.1), the parts a phone uses.'''
        waiting = [c for c in self.calls if c.state in (WAITING, HELD)]
        if argument == '0':           # release held or waiting calls
            self.calls = [c for c in self.calls if c.state not in (WAITING, HELD)]
        elif argument == '1':         # release active calls, accept the other
            self.calls = [c for c in self.calls if c.state != ACTIVE]
            for c in waiting[:1]:
                c.state = ACTIVE
        elif argument == '2':         # hold active calls, accept the other
            for c in self.calls:
                if c.state == ACTIVE:
                    c.state = HELD
            for c in waiting[:1]:
                c.state = ACTIVE
        elif re.fullmatch(r'1\d', argument):
            self.calls = [c for c in self.calls if c.index != int(argument[1])]
        else:
            return ERROR
        return OK
