/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Plays a recording through the sound server (PulseAudio or PipeWire's
 * pipewire-pulse), decoded with libsndfile in a thread of its own: play,
 * pause, seek, and which side to hear. A separate recording has the
 * phone's user on the left channel and the other party on the right. */

#include <glib.h>

typedef enum {
        CW_PLAYER_BOTH,
        CW_PLAYER_OTHER_PARTY,   /* the right channel, on both speakers */
        CW_PLAYER_YOU,           /* the left channel, on both speakers */
} CwPlayerSides;

typedef struct cw_player cw_player;

/* changed: called from the main loop when playing starts or stops (the
 * end included) and after a seek. */
cw_player *cw_player_new(const char *path, void (*changed)(void *userdata), void *userdata, GError **error);
void cw_player_free(cw_player *p);
void cw_player_play(cw_player *p);
void cw_player_pause(cw_player *p);
gboolean cw_player_is_playing(cw_player *p);
/* Seconds from the start of the file. */
void cw_player_seek(cw_player *p, double seconds);
double cw_player_get_position(cw_player *p);
double cw_player_get_duration(cw_player *p);
/* From the next 50 ms on. */
void cw_player_set_sides(cw_player *p, CwPlayerSides sides);
/* What went wrong while playing (the sound server refused), once; NULL if
 * nothing. */
char *cw_player_take_error(cw_player *p);
