#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
'''Walks the accessibility tree (AT-SPI, as a screen reader reads it) of the
applications on the session bus's accessibility bus, and prints as JSON
every control a person can act on, with the name a screen reader would say:
its accessible name, or else the text inside it (a button's label); a
widget's type name (GtkToggleButton), which GTK gives one with no name, is
no name. A control inside a named combo box (GtkDropDown's own button) is
that combo box's. Run by test_app.py in a process of its own, with a time
limit.

Usage: a11y_walk.py APP_NAME'''

import json
import re
import sys

import gi

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi  # noqa: E402

INTERACTIVE = {'push-button', 'toggle-button', 'check-box', 'radio-button', 'entry', 'password-text',
               'spin-button', 'slider', 'combo-box', 'switch', 'link', 'menu-item', 'check-menu-item',
               'radio-menu-item', 'list-item', 'text'}
MAX_DEPTH, MAX_NODES = 80, 20000


def said(name):
    return '' if re.fullmatch(r'(Gtk|Adw)[A-Z]\w*', name or '') else (name or '')


def text_inside(node, depth=0):
    words = [said(node.get_name())] if depth else []
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child and depth < 20:
            words.append(text_inside(child, depth + 1))
    return ' '.join(w for w in words if w).strip()


def main():
    wanted = sys.argv[1]
    desktop = Atspi.get_desktop(0)
    controls, seen = [], 0
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if not app or app.get_name() != wanted:
            continue
        stack = [(app, [], False)]
        while stack and seen < MAX_NODES:
            node, path, in_combo = stack.pop()
            seen += 1
            role = node.get_role().value_nick
            name = said(node.get_name())
            if role in INTERACTIVE and not in_combo and node.get_state_set().contains(Atspi.StateType.VISIBLE):
                controls.append({'role': role, 'name': name or text_inside(node), 'path': ' > '.join(path[-4:])})
            in_combo = in_combo or (role == 'combo-box' and bool(name))
            if len(path) < MAX_DEPTH:
                for j in range(node.get_child_count() - 1, -1, -1):
                    child = node.get_child_at_index(j)
                    if child:
                        stack.append((child, path + [f'{role} {name!r}' if name else role], in_combo))
    print(json.dumps({'nodes': seen, 'controls': controls}))


if __name__ == '__main__':
    main()
