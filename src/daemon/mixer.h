/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* ALSA mixer controls a device profile switches on for the length of a call
 * (the PinePhone codec's route of the call into its capture), through
 * alsa-lib's control interface, and restores afterwards. */

#include <stddef.h>

typedef struct cw_mixer cw_mixer;

/* card: an ALSA control device ("pulse", "hw:0") or a card id
 * ("PinePhone", opened as "hw:CARD=PinePhone"). Turns every channel of each
 * named boolean or integer control on (1), remembering what it was, in
 * memory and in state_path (so that a daemon that dies mid-call can put
 * them back at its next start). A control that does not exist is skipped
 * and named in *error_message (the others are still switched). 0, or
 * -errno when the card cannot be opened. */
int cw_mixer_engage(const char *card, char *const *controls, size_t n_controls, const char *state_path,
                    cw_mixer **ret, char **error_message);

/* Puts every control back as it was, removes the state file and frees.
 * NULL is fine. */
cw_mixer *cw_mixer_restore(cw_mixer *m);

/* Puts back what state_path says a daemon that stopped mid-call left
 * switched on, and removes the file. 0 when there was nothing, 1 when
 * controls were restored, -errno (with *error_message) when not. */
int cw_mixer_restore_saved(const char *state_path, char **error_message);
