/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/text.h"

/* Decodes one character at s (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF). Returns its length, or 0 when s does not start
 * with a valid UTF-8 sequence. */
static size_t utf8_decode(const unsigned char *s, uint32_t *ret) {
        uint32_t c;
        size_t n;

        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                c = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                c = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                c = s[0] & 0x07;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *ret = c;
        return n;
}

/* Unicode's bidirectional formatting characters (UAX #9): embeddings,
 * overrides, isolates and marks. */
static bool is_bidi_control(uint32_t c) {
        return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
               (c >= 0x2066 && c <= 0x2069);
}

int cw_text_check(const char *text, cw_text_kind kind, size_t max_bytes, const char **problem) {
        const unsigned char *s = (const unsigned char *) text;
        uint32_t c;
        size_t n;

        if (!text || !*text) {
                *problem = "the text is empty";
                return -EINVAL;
        }
        if (strlen(text) > max_bytes) {
                *problem = "the text is too long";
                return -EINVAL;
        }
        for (; *s; s += n) {
                if (!(n = utf8_decode(s, &c))) {
                        *problem = "the text is not valid UTF-8";
                        return -EINVAL;
                }
                if ((c == '\n' || c == '\t') && kind == CW_TEXT_LINES)
                        continue;
                /* Unicode's line and paragraph separators break a line
                 * as a newline does. */
                if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (kind == CW_TEXT_LINE && (c == 0x2028 || c == 0x2029))) {
                        *problem = kind == CW_TEXT_LINE ? "the text holds a control character or a line break"
                                                        : "the text holds a control character";
                        return -EINVAL;
                }
                if (is_bidi_control(c)) {
                        *problem = "the text holds a character that reorders how text is shown "
                                   "(bidirectional override)";
                        return -EINVAL;
                }
        }
        return 0;
}

static char *visible(const char *text, bool keep_newlines) {
        const unsigned char *s = (const unsigned char *) (text ? text : "");
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        uint32_t c;
        size_t n;

        if (!f)
                return NULL;
        for (; *s; s += n) {
                if (!(n = utf8_decode(s, &c))) {
                        fprintf(f, "\\x%02x", *s);
                        n = 1;
                } else if ((c < 0x20 && (c != '\n' || !keep_newlines)) || (c >= 0x7f && c <= 0x9f) ||
                           is_bidi_control(c) || c == 0x2028 || c == 0x2029)
                        fprintf(f, "\\u{%x}", (unsigned) c);
                else
                        fwrite(s, 1, n, f);
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

char *cw_text_visible(const char *text) {
        return visible(text, true);
}

char *cw_text_visible_line(const char *text) {
        return visible(text, false);
}

size_t cw_utf8_fit(const char *text, size_t max_bytes) {
        size_t n = strlen(text);

        if (n <= max_bytes)
                return n;
        /* Back off continuation bytes so the cut falls before a character. */
        n = max_bytes;
        while (n > 0 && ((unsigned char) text[n] & 0xc0) == 0x80)
                n--;
        return n;
}

void cw_text_write_indented(FILE *out, const char *text, const char *indent) {
        for (const char *line = text; line;) {
                const char *end = strchr(line, '\n');

                if (line != text)
                        fputs(indent, out);
                fwrite(line, 1, end ? (size_t) (end - line) : strlen(line), out);
                if (end)
                        fputc('\n', out);
                line = end ? end + 1 : NULL;
        }
}
