/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Text a person types into the evidence (notes, the caller's identity, tag
 * reasons) ends up in JSON, in reports and on screens. It must be valid
 * UTF-8 and hold nothing that changes how the text around it reads:
 * control characters (a newline where one line is expected could start a
 * fake timeline row) and bidirectional overrides (which reorder what is
 * shown). */

#include <stddef.h>
#include <stdio.h>

typedef enum cw_text_kind {
        CW_TEXT_LINE,    /* one line: no control characters at all */
        CW_TEXT_LINES,   /* newlines and tabs allowed */
} cw_text_kind;

/* 0 when text is fine; -EINVAL with *problem (a static English sentence)
 * when it is empty, longer than max_bytes, not UTF-8, or holds a
 * character its kind refuses. */
int cw_text_check(const char *text, cw_text_kind kind, size_t max_bytes, const char **problem);

/* Text that came from outside (a text message) as it may be shown: line
 * breaks kept, every other control character and bidirectional control
 * written as \u{202e}, bytes that are not UTF-8 as \xff. The stored text
 * stays as it came; this is only for showing it. NULL when out of memory. */
char *cw_text_visible(const char *text);
/* The same on one line: line breaks written out too (a sender's name, a
 * field of a header). */
char *cw_text_visible_line(const char *text);

/* How many bytes of text fit in max_bytes without cutting a character. */
size_t cw_utf8_fit(const char *text, size_t max_bytes);

/* Writes text with every line after the first preceded by indent, so that
 * text of several lines stays visibly inside the item it belongs to. */
void cw_text_write_indented(FILE *out, const char *text, const char *indent);
