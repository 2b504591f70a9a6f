/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What to do with a sound card's profile for the length of a call: a
 * device profile may name a card and a profile that makes its source carry
 * the call (Droidian's droid card, "voicecall-record"). Decided here from
 * what the sound server says of its cards; the daemon's card switch asks
 * the server and does it. */

#include <stddef.h>

typedef struct cw_card {
        const char *name;
        const char *active;             /* the active profile; NULL: none */
        const char *const *profiles;    /* the profiles it has, available now */
        size_t n_profiles;
} cw_card;

typedef enum cw_card_step {
        CW_CARD_NOTHING,    /* as it should be, or not ours to change */
        CW_CARD_SET,        /* set the profile named */
        CW_CARD_REFUSED,    /* cannot: the message says why */
} cw_card_step;

/* The first card whose name matches pattern (a name or a glob), or NULL. */
const cw_card *cw_card_find(const cw_card *cards, size_t n_cards, const char *pattern);

/* When a call starts, and whenever the card changes while one goes on
 * (another program switched it, or the profile became available): CW_CARD_SET
 * to switch to want; CW_CARD_REFUSED when the card does not have it or it is
 * not available now, with *message (malloc'ed) saying so. */
cw_card_step cw_card_engage(const cw_card *card, const char *want, char **message);

/* When the last call ends: CW_CARD_SET to put previous back, only if the
 * card still has ours (a program that switched it since owns it now);
 * CW_CARD_REFUSED, with *message, when previous is not available. */
cw_card_step cw_card_release(const cw_card *card, const char *ours, const char *previous, char **message);
