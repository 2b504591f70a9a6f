/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The card switch's decisions, against fake cards: the test's sound servers
 * have no card with profiles (null sinks are not cards), and a phone's
 * droid card is not here. */
#include <stdlib.h>
#include <string.h>

#include "callwitness/card-plan.h"
#include "tap.h"

static const char *const droid_profiles[] = { "default", "voicecall", "voicecall-record" };
static const char *const droid_without_record[] = { "default", "voicecall" };

static void finds_the_card(void) {
        const cw_card cards[] = {
                { .name = "alsa_card.platform-sound" },
                { .name = "droid_card.primary" },
        };

        ok(cw_card_find(cards, 2, "droid_card.*") == &cards[1], "a glob finds the droid card");
        ok(cw_card_find(cards, 2, "droid_card.primary") == &cards[1], "so does its name");
        ok(!cw_card_find(cards, 2, "droid_card"), "a name is not a prefix");
        ok(!cw_card_find(cards, 0, "droid_card.*"), "no cards, no card");
        ok(!cw_card_find(cards, 2, NULL), "no pattern, no card");
}

static void engages(void) {
        cw_card card = { "droid_card.primary", "voicecall", droid_profiles, 3 };
        char *message;

        ok(cw_card_engage(&card, "voicecall-record", &message) == CW_CARD_SET && !message,
           "in voicecall, the record profile is set");
        card.active = "voicecall-record";
        ok(cw_card_engage(&card, "voicecall-record", &message) == CW_CARD_NOTHING && !message,
           "already in it: nothing to do");
        card.active = "default";
        card.profiles = droid_without_record;
        card.n_profiles = 2;
        ok(cw_card_engage(&card, "voicecall-record", &message) == CW_CARD_REFUSED && message &&
           strstr(message, "droid_card.primary has no profile voicecall-record available now (it is in default)"),
           "not available (before the call audio daemon set voicecall): refused, said why");
        free(message);
        card.active = NULL;
        ok(cw_card_engage(&card, "voicecall-record", &message) == CW_CARD_REFUSED && message &&
           strstr(message, "(it is in no profile)"), "a card with no active profile is named so");
        free(message);
}

static void puts_back_only_its_own(void) {
        cw_card card = { "droid_card.primary", "voicecall-record", droid_profiles, 3 };
        char *message;

        ok(cw_card_release(&card, "voicecall-record", "voicecall", &message) == CW_CARD_SET && !message,
           "still in ours: the previous profile goes back");
        card.active = "default";
        ok(cw_card_release(&card, "voicecall-record", "voicecall", &message) == CW_CARD_NOTHING && !message,
           "switched by another program since (the call ended): left as it is");
        card.active = "voicecall-record";
        ok(cw_card_release(&card, "voicecall-record", "voicecall-record", &message) == CW_CARD_NOTHING,
           "it was in ours already before the call: left");
        ok(cw_card_release(&card, "voicecall-record", NULL, &message) == CW_CARD_NOTHING,
           "never switched: nothing to put back");
        card.profiles = (const char *const[]) { "voicecall-record" };
        card.n_profiles = 1;
        ok(cw_card_release(&card, "voicecall-record", "voicecall", &message) == CW_CARD_REFUSED && message &&
           strstr(message, "cannot be put back in voicecall (not available now); it is left in voicecall-record"),
           "the previous profile gone: said so");
        free(message);
}

int main(void) {
        finds_the_card();
        engages();
        puts_back_only_its_own();
        return tap_done();
}
