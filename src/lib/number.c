/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "callwitness/hash.h"
#include "callwitness/number.h"

#define SERVICE_CODE_MAX_DIGITS 6

bool cw_number_is_withheld(const char *number) {
        static const char *const words[] = { "withheld", "anonymous", "private", "unknown", "restricted",
                                             "unavailable" };

        if (!number || !number[strspn(number, " \t")])
                return true;
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
                if (strcasecmp(number, words[i]) == 0)
                        return true;
        return false;
}

/* Something that is not a phone number, kept as written when it is plain
 * printable ASCII that fits ("*31#", "Private Caller"), else by its hash:
 * one key per text, nothing that could pass for a line or turn text around
 * in a reason. */
static void copy(char out[static CW_NUMBER_MAX], const char *text) {
        char hex[CW_SHA256_HEX_LEN + 1];
        bool plain = strlen(text) < CW_NUMBER_MAX;

        for (const char *p = text; plain && *p; p++)
                plain = *p >= 0x20 && *p < 0x7f;
        if (plain) {
                snprintf(out, CW_NUMBER_MAX, "%s", text);
                return;
        }
        if (cw_sha256_buffer(text, strlen(text), hex) < 0)
                hex[0] = '\0';
        snprintf(out, CW_NUMBER_MAX, "not-a-number:%.40s", hex);
}

void cw_number_canonical(const char *number, const char *country_code, char out[static CW_NUMBER_MAX]) {
        char digits[CW_NUMBER_MAX];
        size_t n = 0, len;
        bool plus = false;
        const char *national;

        if (cw_number_is_withheld(number)) {
                copy(out, CW_NUMBER_WITHHELD);
                return;
        }
        for (const char *p = number; *p; p++) {
                if (*p >= '0' && *p <= '9') {
                        /* E.164 numbers have 15 digits at most. */
                        if (n + 1 >= sizeof digits || n >= 20) {
                                copy(out, number);
                                return;
                        }
                        digits[n++] = *p;
                } else if (*p == '+' && n == 0 && !plus)
                        plus = true;
                else if (!strchr(" \t-.()/", *p)) {
                        copy(out, number);   /* "*31#", letters: not a number to rewrite */
                        return;
                }
        }
        digits[n] = '\0';
        len = n;
        if (len == 0) {
                copy(out, number);
                return;
        }
        if (plus) {
                snprintf(out, CW_NUMBER_MAX, "+%s", digits);
                return;
        }
        if (country_code && strcmp(country_code, "1") == 0 && strncmp(digits, "011", 3) == 0 && len > 3) {
                snprintf(out, CW_NUMBER_MAX, "+%s", digits + 3);
                return;
        }
        if (strncmp(digits, "00", 2) == 0 && len > 2 + SERVICE_CODE_MAX_DIGITS) {
                snprintf(out, CW_NUMBER_MAX, "+%s", digits + 2);
                return;
        }
        if (!country_code || !country_code[0] || len <= SERVICE_CODE_MAX_DIGITS) {
                copy(out, digits);
                return;
        }
        if (strcmp(country_code, "1") == 0 && len == 11 && digits[0] == '1') {
                snprintf(out, CW_NUMBER_MAX, "+%s", digits);
                return;
        }
        national = digits[0] == '0' ? digits + 1 : digits;
        snprintf(out, CW_NUMBER_MAX, "+%s%s", country_code, national);
}
