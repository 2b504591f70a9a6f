# SPDX-License-Identifier: GPL-3.0-or-later
'''ModemManager mock for python3-dbusmock.

Follows Debian's modemmanager-dev interface files
(/usr/share/dbus-1/interfaces/org.freedesktop.ModemManager1.*.xml) and the
enums of ModemManager-enums.h. Like the real daemon, modems are announced
through the ObjectManager and calls only through Modem.Voice (CallAdded,
CallDeleted, ListCalls).

Test controls on the dbusmock interface (org.freedesktop.DBus.Mock):
  AddVoiceModem() -> o
  RemoveModem(o modem)
  AddIncomingCall(o modem, s number) -> o call        (RINGING_IN)
  SetCallState(o call, i state, u reason)
  SetCallNumber(o call, s number)
Clients use Modem.Voice.CreateCall / Call.Start / Accept / Hangup as usual.
'''

import dbus

from dbusmock import MOCK_IFACE, mockobject

BUS_NAME = 'org.freedesktop.ModemManager1'
MAIN_OBJ = '/org/freedesktop/ModemManager1'
MAIN_IFACE = 'org.freedesktop.ModemManager1'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

MODEM_IFACE = 'org.freedesktop.ModemManager1.Modem'
VOICE_IFACE = 'org.freedesktop.ModemManager1.Modem.Voice'
MESSAGING_IFACE = 'org.freedesktop.ModemManager1.Modem.Messaging'
TIME_IFACE = 'org.freedesktop.ModemManager1.Modem.Time'
SMS_IFACE = 'org.freedesktop.ModemManager1.Sms'
# MMSmsState, MMSmsPduType, MMSmsStorage
SMS_STATE_RECEIVING, SMS_STATE_RECEIVED, SMS_PDU_DELIVER, SMS_STORAGE_SM = 2, 3, 1, 1
CALL_IFACE = 'org.freedesktop.ModemManager1.Call'

# MMCallState
STATE_UNKNOWN, STATE_DIALING, STATE_RINGING_OUT, STATE_RINGING_IN = 0, 1, 2, 3
STATE_ACTIVE, STATE_HELD, STATE_WAITING, STATE_TERMINATED = 4, 5, 6, 7
# MMCallStateReason
REASON_UNKNOWN, REASON_OUTGOING_STARTED, REASON_INCOMING_NEW = 0, 1, 2
REASON_ACCEPTED, REASON_TERMINATED, REASON_REFUSED_OR_BUSY = 3, 4, 5
# MMCallDirection
DIRECTION_INCOMING, DIRECTION_OUTGOING = 1, 2
# MMModemState
MODEM_STATE_REGISTERED = 8


_main_object = None


def load(mock, parameters):
    global _main_object  # pylint: disable=global-statement
    _main_object = mock
    mock.modem_count = 0
    mock.call_count = 0
    mock.sms_count = 0
    # The parameter network_time gives the modem Modem.Time, whose
    # GetNetworkTime says that (a fixed moment: the daemon's clock is fake).
    mock.network_time = parameters.get('network_time')
    mock.AddProperties(MAIN_IFACE, {'Version': dbus.String('1.20.4', variant_level=1)})
    mock.AddMethods(MAIN_IFACE, [
        ('ScanDevices', '', '', ''),
        ('SetLogging', 's', '', ''),
    ])
    if not parameters.get('no_modem', False):
        mock.AddVoiceModem()


def _main():
    # Template methods are bound on every mock object (calls call
    # self.SetCallState); state lives on the main object.
    return _main_object


def _new_call(main, modem_path, direction, state, reason, number):
    main.call_count += 1
    path = f'{MAIN_OBJ}/Call/{main.call_count}'
    main.AddObject(path, CALL_IFACE, {
        'State': dbus.Int32(state, variant_level=1),
        'StateReason': dbus.Int32(reason, variant_level=1),
        'Direction': dbus.Int32(direction, variant_level=1),
        'Number': dbus.String(number, variant_level=1),
        'Multiparty': dbus.Boolean(False, variant_level=1),
        'AudioPort': dbus.String('', variant_level=1),
        'AudioFormat': dbus.Dictionary({}, signature='sv', variant_level=1),
    }, [
        ('Start', '', '', f'self.SetCallState("{path}", {STATE_DIALING}, {REASON_OUTGOING_STARTED})'),
        ('Accept', '', '', f'self.SetCallState("{path}", {STATE_ACTIVE}, {REASON_ACCEPTED})'),
        ('Hangup', '', '', f'self.SetCallState("{path}", {STATE_TERMINATED}, {REASON_TERMINATED})'),
        ('Deflect', 's', '', ''),
        ('JoinMultiparty', '', '', ''),
        ('LeaveMultiparty', '', '', ''),
        ('SendDtmf', 's', '', ''),
    ])
    modem = mockobject.objects[modem_path]
    calls = list(modem.Get(VOICE_IFACE, 'Calls')) + [dbus.ObjectPath(path)]
    modem.Set(VOICE_IFACE, 'Calls', dbus.Array(calls, signature='o'))
    modem.EmitSignal(VOICE_IFACE, 'CallAdded', 'o', [dbus.ObjectPath(path)])
    mockobject.objects[path].modem_path = modem_path
    return path


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='o')
def AddVoiceModem(self):
    main = _main()
    path = f'{MAIN_OBJ}/Modem/{main.modem_count}'
    main.modem_count += 1
    main.AddObject(path, MODEM_IFACE, {
        'State': dbus.Int32(MODEM_STATE_REGISTERED, variant_level=1),
        'Manufacturer': dbus.String('callwitness', variant_level=1),
        'Model': dbus.String('mock voice modem', variant_level=1),
        'EquipmentIdentifier': dbus.String('000000000000000', variant_level=1),
    }, [])
    modem = mockobject.objects[path]
    modem.AddProperties(VOICE_IFACE, {
        'Calls': dbus.Array([], signature='o', variant_level=1),
        'EmergencyOnly': dbus.Boolean(False, variant_level=1),
    })
    modem.AddMethods(VOICE_IFACE, [
        ('ListCalls', '', 'ao', f'ret = self.Get("{VOICE_IFACE}", "Calls")'),
        ('DeleteCall', 'o', '', 'self.DeleteCallObject(self._object_path, args[0])'),
        ('CreateCall', 'a{sv}', 'o', 'ret = self.CreateOutgoingCall(self._object_path, args[0])'),
        ('HangupAll', '', '', f'[self.SetCallState(c, {STATE_TERMINATED}, {REASON_TERMINATED}) '
                              f'for c in self.Get("{VOICE_IFACE}", "Calls")]'),
        ('HoldAndAccept', '', '', ''),
        ('HangupAndAccept', '', '', ''),
        ('Transfer', '', '', ''),
        ('CallWaitingSetup', 'b', '', ''),
        ('CallWaitingQuery', '', 'b', 'ret = True'),
    ])
    modem.AddProperties(MESSAGING_IFACE, {
        'Messages': dbus.Array([], signature='o', variant_level=1),
        'SupportedStorages': dbus.Array([dbus.UInt32(SMS_STORAGE_SM)], signature='u', variant_level=1),
        'DefaultStorage': dbus.UInt32(SMS_STORAGE_SM, variant_level=1),
    })
    if main.network_time:
        modem.AddProperties(TIME_IFACE, {'NetworkTimezone': dbus.Dictionary({}, signature='sv', variant_level=1)})
        modem.AddMethods(TIME_IFACE, [('GetNetworkTime', '', 's', f'ret = "{main.network_time}"')])
    modem.AddMethods(MESSAGING_IFACE, [
        ('List', '', 'ao', f'ret = self.Get("{MESSAGING_IFACE}", "Messages")'),
        ('Delete', 'o', '', 'self.DeleteMessageObject(self._object_path, args[0])'),
    ])
    main.object_manager_emit_added(path)
    return path


@dbus.service.method(MOCK_IFACE, in_signature='osss', out_signature='o')
def AddIncomingMessage(self, modem_path, number, text, timestamp):
    '''A message received whole, as ModemManager announces it.'''
    return self.AddMessageInState(modem_path, number, text, timestamp, SMS_STATE_RECEIVED)


@dbus.service.method(MOCK_IFACE, in_signature='osssu', out_signature='o')
def AddMessageInState(self, modem_path, number, text, timestamp, state):
    '''A message as ModemManager announces it: RECEIVING while parts of it
    are still to come.'''
    main = _main()
    main.sms_count += 1
    path = f'{MAIN_OBJ}/SMS/{main.sms_count}'
    main.AddObject(path, SMS_IFACE, {
        'State': dbus.UInt32(state, variant_level=1),
        'PduType': dbus.UInt32(SMS_PDU_DELIVER, variant_level=1),
        'Number': dbus.String(number, variant_level=1),
        'Text': dbus.String(text, variant_level=1),
        'Data': dbus.Array([], signature='y', variant_level=1),
        'SMSC': dbus.String('+8613800250500', variant_level=1),
        'Timestamp': dbus.String(timestamp, variant_level=1),
        'Storage': dbus.UInt32(SMS_STORAGE_SM, variant_level=1),
    }, [])
    modem = mockobject.objects[modem_path]
    messages = list(modem.Get(MESSAGING_IFACE, 'Messages')) + [dbus.ObjectPath(path)]
    modem.Set(MESSAGING_IFACE, 'Messages', dbus.Array(messages, signature='o'))
    modem.EmitSignal(MESSAGING_IFACE, 'Added', 'ob', [dbus.ObjectPath(path), True])
    return path


@dbus.service.method(MOCK_IFACE, in_signature='oo', out_signature='')
def DeleteMessageObject(self, modem_path, path):
    modem = mockobject.objects[modem_path]
    messages = [m for m in modem.Get(MESSAGING_IFACE, 'Messages') if m != path]
    modem.Set(MESSAGING_IFACE, 'Messages', dbus.Array(messages, signature='o'))
    _main().RemoveObject(path)
    modem.EmitSignal(MESSAGING_IFACE, 'Deleted', 'o', [dbus.ObjectPath(path)])


@dbus.service.method(MOCK_IFACE, in_signature='o', out_signature='')
def RemoveModem(self, path):
    main = _main()
    main.object_manager_emit_removed(path)
    main.RemoveObject(path)


@dbus.service.method(MOCK_IFACE, in_signature='oa{sv}', out_signature='o')
def CreateOutgoingCall(self, modem_path, properties):
    return _new_call(_main(), modem_path, DIRECTION_OUTGOING, STATE_UNKNOWN, REASON_UNKNOWN,
                     str(properties.get('number', '')))


@dbus.service.method(MOCK_IFACE, in_signature='os', out_signature='o')
def AddIncomingCall(self, modem_path, number):
    # Real ModemManager creates the call already in RINGING_IN and sends no
    # StateChanged for it.
    return _new_call(_main(), modem_path, DIRECTION_INCOMING, STATE_RINGING_IN, REASON_INCOMING_NEW, number)


@dbus.service.method(MOCK_IFACE, in_signature='oiu', out_signature='')
def SetCallState(self, path, state, reason):
    call = mockobject.objects[path]
    old = int(call.Get(CALL_IFACE, 'State'))
    call.UpdateProperties(CALL_IFACE, {
        'State': dbus.Int32(state, variant_level=1),
        'StateReason': dbus.Int32(reason, variant_level=1),
    })
    call.EmitSignal(CALL_IFACE, 'StateChanged', 'iiu', [dbus.Int32(old), dbus.Int32(state), dbus.UInt32(reason)])


@dbus.service.method(MOCK_IFACE, in_signature='os', out_signature='')
def SetCallNumber(self, path, number):
    mockobject.objects[path].UpdateProperties(CALL_IFACE, {'Number': dbus.String(number, variant_level=1)})


@dbus.service.method(MOCK_IFACE, in_signature='oo', out_signature='')
def DeleteCallObject(self, modem_path, path):
    modem = mockobject.objects[modem_path]
    calls = [c for c in modem.Get(VOICE_IFACE, 'Calls') if c != path]
    modem.Set(VOICE_IFACE, 'Calls', dbus.Array(calls, signature='o'))
    _main().RemoveObject(path)
    modem.EmitSignal(VOICE_IFACE, 'CallDeleted', 'o', [dbus.ObjectPath(path)])
