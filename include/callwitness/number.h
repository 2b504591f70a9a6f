/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Phone numbers compared as one caller: "+86 138-0013-8000",
 * "008613800138000" and "13800138000" (dialled in China) are one number.
 * What the modem reported is kept as evidence; this form is only for
 * counting. */

#include <stdbool.h>

#define CW_NUMBER_MAX 64
/* The caller key of every withheld number: counted together as one. */
#define CW_NUMBER_WITHHELD "withheld"

/* True for no number, an empty one, or a word a network sends instead
 * ("withheld", "anonymous", "private", "unknown", "restricted"). */
bool cw_number_is_withheld(const char *number);

/* The canonical form: blanks, dashes, dots and brackets dropped; "+" kept;
 * an international prefix ("00", or "011" in country code 1) becomes "+";
 * a national number of 7 digits or more gets "+" and country_code, less a
 * leading trunk "0" (in country code 1, an 11-digit number starting with 1
 * is already international); shorter ones (service codes) stay as digits.
 * Without a country code a national number stays as digits. Anything with
 * other characters ("*31#", letters) or more than 20 digits is kept as
 * written if it is printable ASCII of under 64 bytes, else as
 * "not-a-number:" and 40 hex digits of its SHA-256. Withheld numbers
 * (nothing, blanks, the words above) give CW_NUMBER_WITHHELD. */
void cw_number_canonical(const char *number, const char *country_code, char out[static CW_NUMBER_MAX]);
