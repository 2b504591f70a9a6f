/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A sound card's profile switched for the length of a call, through
 * libpulse (PulseAudio or pipewire-pulse): Droidian's droid card records
 * the call only in its "voicecall-record" profile. What to do is decided
 * by card-plan.h; this asks the server and does it. */

#include <pulse/mainloop-api.h>
#include <stdbool.h>

typedef struct cw_card_switch cw_card_switch;

/* Something the calls in progress must carry (a sentence). */
typedef void (*cw_card_switch_problem)(const char *message, void *userdata);

/* Switches the first card matching card_pattern (a name or glob) to
 * profile, remembering the profile it had, in memory and in state_path (a
 * daemon that stops mid-call puts it back at its next start). While it
 * lives, a card that another program switches away (the call audio daemon
 * setting "voicecall" after us), or that appears later, is switched again,
 * a few times at most. Problems (no such card, no such profile available)
 * are told once each. Connects asynchronously. 0 or -ENOMEM. */
int cw_card_switch_engage(pa_mainloop_api *api, const char *card_pattern, const char *profile,
                          const char *state_path, cw_card_switch_problem problem, void *userdata,
                          cw_card_switch **ret);

/* The call is over: the card is put back in the profile it had, if it
 * still has ours. Asynchronous, bounded by a few seconds; a switch freed
 * before it is done keeps its state file for the next start. */
void cw_card_switch_release(cw_card_switch *s);

/* Puts back what state_path says a daemon that stopped mid-call left
 * switched, asynchronously; NULL when there is nothing to put back. */
cw_card_switch *cw_card_switch_restore_saved(pa_mainloop_api *api, const char *state_path);

/* A call came while s was putting the card back (or before a state file
 * left by a daemon that stopped mid-call was dealt with): s goes on as the
 * call's switch, so that the profile the card had before the first call is
 * still what goes back. false (and nothing done) when s cannot: finished,
 * never switched, or for another profile. */
bool cw_card_switch_resume(cw_card_switch *s, const char *profile, cw_card_switch_problem problem, void *userdata);

/* The problem told last, if the card is not in the profile yet (a call
 * answered now is told it); NULL when it is, or nothing was told, or s is
 * NULL. malloc'ed. */
char *cw_card_switch_standing_problem(const cw_card_switch *s);

/* Frees at once; a switch not put back yet keeps its state file for the
 * next start. NULL is fine. */
cw_card_switch *cw_card_switch_free(cw_card_switch *s);
