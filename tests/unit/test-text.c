/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/text.h"
#include "tap.h"

static bool refused(const char *text, cw_text_kind kind, size_t max) {
        const char *problem = NULL;

        return cw_text_check(text, kind, max, &problem) == -EINVAL && problem && *problem;
}

static bool accepted(const char *text, cw_text_kind kind) {
        const char *problem = NULL;

        return cw_text_check(text, kind, 1000, &problem) == 0;
}

static void hostile_text_is_refused(void) {
        ok(accepted("Zhang San, employee 4471", CW_TEXT_LINE), "plain text");
        ok(accepted("催收员说明天上门", CW_TEXT_LINE), "Chinese");
        ok(accepted("مرحبا", CW_TEXT_LINE), "Arabic, which is right-to-left by itself");
        ok(accepted("said he would come\nwith two others", CW_TEXT_LINES), "a note of two lines");
        ok(refused("said he would come\nwith two others", CW_TEXT_LINE, 1000), "a line break in one-line text");
        ok(refused("2026-11-24 23:59  in  +861380000  [night]\r", CW_TEXT_LINES, 1000), "a carriage return");
        ok(refused("bell\a", CW_TEXT_LINES, 1000), "a C0 control");
        ok(refused("esc\x1b[2J", CW_TEXT_LINES, 1000), "a terminal escape");
        ok(refused("del\x7f", CW_TEXT_LINE, 1000), "DEL");
        ok(refused("c1\xc2\x85" "", CW_TEXT_LINE, 1000), "a C1 control (NEL)");
        ok(refused("caf\xe9", CW_TEXT_LINE, 1000), "Latin-1, not UTF-8");
        ok(refused("\xc0\xae", CW_TEXT_LINE, 1000), "an overlong form");
        ok(refused("\xed\xa0\x80", CW_TEXT_LINE, 1000), "a UTF-16 surrogate");
        ok(refused("\xf4\x90\x80\x80", CW_TEXT_LINE, 1000), "past U+10FFFF");
        ok(refused("cut \xe5\x82", CW_TEXT_LINE, 1000), "a character cut short");
        ok(refused("invoice \xe2\x80\xae" "exe.txt", CW_TEXT_LINE, 1000), "a right-to-left override (U+202E)");
        ok(refused("x\xe2\x81\xa6y", CW_TEXT_LINE, 1000), "a bidi isolate (U+2066)");
        ok(refused("", CW_TEXT_LINE, 1000), "empty");
        ok(refused("12345", CW_TEXT_LINE, 4), "longer than the limit");
        ok(accepted("1234", CW_TEXT_LINE), "at the limit");
}

static void cutting_keeps_characters_whole(void) {
        const char *chinese = "催收员";   /* three characters of three bytes */

        ok(cw_utf8_fit(chinese, 9) == 9, "fits whole");
        ok(cw_utf8_fit(chinese, 8) == 6, "8 bytes keep two characters, not two and a half");
        ok(cw_utf8_fit(chinese, 2) == 0, "2 bytes keep none");
        ok(cw_utf8_fit("abc", 2) == 2, "ASCII is cut anywhere");
}

static void later_lines_are_indented(void) {
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);

        cw_text_write_indented(out, "first\n2026-11-24 23:59 in +86 [night]\nlast", "  | ");
        fclose(out);
        ok(strcmp(text, "first\n  | 2026-11-24 23:59 in +86 [night]\n  | last") == 0, "later lines indented");
        free(text);
}

static void outside_text_is_shown_safely(void) {
        char *shown = cw_text_visible("pay\u202e yadot\x07\nline two\xff");

        ok(shown && strcmp(shown, "pay\\u{202e} yadot\\u{7}\nline two\\xff") == 0,
           "overrides, controls and bytes that are not UTF-8 are written out, line breaks kept");
        free(shown);
}

static void separators_break_lines(void) {
        const char *problem;

        ok(cw_text_check("one\u2028two", CW_TEXT_LINE, 100, &problem) < 0, "U+2028 is a line break");
        ok(cw_text_check("one\u2029two", CW_TEXT_LINE, 100, &problem) < 0, "U+2029 is one too");
}

int main(void) {
        hostile_text_is_refused();
        outside_text_is_shown_safely();
        separators_break_lines();
        cutting_keeps_characters_whole();
        later_lines_are_indented();
        return tap_done();
}
