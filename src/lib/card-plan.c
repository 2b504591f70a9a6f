/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/card-plan.h"

static bool same(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

const cw_card *cw_card_find(const cw_card *cards, size_t n_cards, const char *pattern) {
        if (!pattern)
                return NULL;
        for (size_t i = 0; i < n_cards; i++)
                if (cards[i].name && fnmatch(pattern, cards[i].name, 0) == 0)
                        return &cards[i];
        return NULL;
}

cw_card_step cw_card_engage(const cw_card *card, const char *want, char **message) {
        *message = NULL;
        if (same(card->active, want))
                return CW_CARD_NOTHING;
        for (size_t i = 0; i < card->n_profiles; i++)
                if (same(card->profiles[i], want))
                        return CW_CARD_SET;
        if (asprintf(message, "the card %s has no profile %s available now (it is in %s)", card->name, want,
                     card->active ? card->active : "no profile") < 0)
                *message = NULL;
        return CW_CARD_REFUSED;
}

cw_card_step cw_card_release(const cw_card *card, const char *ours, const char *previous, char **message) {
        *message = NULL;
        if (!previous || !same(card->active, ours) || same(previous, ours))
                return CW_CARD_NOTHING;
        for (size_t i = 0; i < card->n_profiles; i++)
                if (same(card->profiles[i], previous))
                        return CW_CARD_SET;
        if (asprintf(message, "the card %s cannot be put back in %s (not available now); it is left in %s",
                     card->name, previous, ours) < 0)
                *message = NULL;
        return CW_CARD_REFUSED;
}
