/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gi18n.h>
#include <pulse/error.h>
#include <pulse/simple.h>
#include <sndfile.h>
#include <string.h>

#include "player.h"

/* 50 ms per write: a pause or a seek is heard within about that. */
#define CHUNK_FRAMES 2400

/* One thread decodes and writes to the sound server (pa_simple blocks);
 * the main loop only sets what it should do, under the lock, and hears
 * back through an idle callback. */
struct cw_player {
        GMutex lock;
        GCond wake;
        GThread *thread;
        SNDFILE *file;
        SF_INFO info;
        char *path;
        /* Under the lock. */
        gboolean playing, quit, seek_pending;
        sf_count_t seek_to, position;   /* frames of the file heard up to now */
        CwPlayerSides sides;
        char *error;
        void (*changed)(void *userdata);
        void *userdata;
        guint notify_source;
};

static gboolean notify_in_main_loop(gpointer userdata) {
        cw_player *p = userdata;

        g_mutex_lock(&p->lock);
        p->notify_source = 0;
        g_mutex_unlock(&p->lock);
        if (p->changed)
                p->changed(p->userdata);
        return G_SOURCE_REMOVE;
}

/* Under the lock. */
static void notify(cw_player *p) {
        if (!p->notify_source)
                p->notify_source = g_idle_add(notify_in_main_loop, p);
}

/* Left and right as the file has them, or one side on both speakers. */
static void choose_sides(CwPlayerSides sides, unsigned channels, float *frames, sf_count_t n) {
        if (channels != 2 || sides == CW_PLAYER_BOTH)
                return;
        for (sf_count_t i = 0; i < n; i++) {
                float sample = frames[2 * i + (sides == CW_PLAYER_OTHER_PARTY ? 1 : 0)];

                frames[2 * i] = frames[2 * i + 1] = sample;
        }
}

static gpointer run(gpointer userdata) {
        cw_player *p = userdata;
        pa_sample_spec spec = { .format = PA_SAMPLE_FLOAT32NE, .rate = (uint32_t) p->info.samplerate,
                                .channels = (uint8_t) p->info.channels };
        float *frames = g_new(float, CHUNK_FRAMES * (size_t) p->info.channels);
        pa_simple *out = NULL;
        sf_count_t read_at = 0;   /* frames of the file decoded and written */
        int error = 0;

        g_mutex_lock(&p->lock);
        while (!p->quit) {
                sf_count_t n;
                pa_usec_t latency;
                CwPlayerSides sides;

                if (p->seek_pending) {
                        p->seek_pending = FALSE;
                        read_at = sf_seek(p->file, p->seek_to, SEEK_SET) < 0 ? read_at : p->seek_to;
                        p->position = read_at;
                        if (out) {
                                g_mutex_unlock(&p->lock);
                                pa_simple_flush(out, NULL);
                                g_mutex_lock(&p->lock);
                        }
                        notify(p);
                }
                if (!p->playing) {
                        if (out) {   /* nothing is held open while paused */
                                /* What the server held is dropped: the file
                                 * goes on from what was heard. */
                                if (sf_seek(p->file, p->position, SEEK_SET) >= 0)
                                        read_at = p->position;
                                g_mutex_unlock(&p->lock);
                                pa_simple_flush(out, NULL);
                                pa_simple_free(out);
                                out = NULL;
                                g_mutex_lock(&p->lock);
                        }
                        g_cond_wait(&p->wake, &p->lock);
                        continue;
                }
                sides = p->sides;
                g_mutex_unlock(&p->lock);
                if (!out)
                        out = pa_simple_new(NULL, "Call Witness", PA_STREAM_PLAYBACK, NULL, _("Recorded call"), &spec,
                                            NULL, NULL, &error);
                n = out ? sf_readf_float(p->file, frames, CHUNK_FRAMES) : -1;
                if (n > 0) {
                        choose_sides(sides, (unsigned) p->info.channels, frames, n);
                        if (pa_simple_write(out, frames, (size_t) n * sizeof(float) * (size_t) p->info.channels,
                                            &error) < 0)
                                n = -1;
                        else
                                read_at += n;
                }
                latency = out ? pa_simple_get_latency(out, NULL) : 0;
                g_mutex_lock(&p->lock);
                if (n == 0 && sf_error(p->file) != SF_ERR_NO_ERROR && !p->error)
                        p->error = g_strdup_printf(_("Cannot play %s: %s"), p->path, sf_strerror(p->file));
                /* The end of the file: what the server holds plays out,
                 * while a pause, a seek or a stop is still heard at once
                 * (pa_simple_drain would not let go before it is done). */
                while (n == 0 && p->playing && !p->seek_pending && !p->quit && latency > 0) {
                        g_cond_wait_until(&p->wake, &p->lock, g_get_monotonic_time() + 50 * G_TIME_SPAN_MILLISECOND);
                        g_mutex_unlock(&p->lock);
                        latency = pa_simple_get_latency(out, NULL);
                        g_mutex_lock(&p->lock);
                }
                if (n == 0 && (!p->playing || p->seek_pending || p->quit))
                        continue;   /* paused or moved before the end was heard */
                if (n < 0 && !p->error)
                        p->error = g_strdup_printf(_("Cannot play %s: %s"), p->path, pa_strerror(error));
                if (n <= 0) {   /* the end, or the sound server refused */
                        p->playing = FALSE;
                        p->position = n == 0 ? p->info.frames : read_at;
                        notify(p);
                        continue;
                }
                if (!p->seek_pending) {
                        sf_count_t queued = (sf_count_t) ((double) latency * p->info.samplerate / 1e6);

                        p->position = read_at > queued ? read_at - queued : 0;
                }
        }
        g_mutex_unlock(&p->lock);
        if (out) {
                pa_simple_flush(out, NULL);
                pa_simple_free(out);
        }
        g_free(frames);
        return NULL;
}

cw_player *cw_player_new(const char *path, void (*changed)(void *userdata), void *userdata, GError **error) {
        cw_player *p = g_new0(cw_player, 1);

        g_mutex_init(&p->lock);
        g_cond_init(&p->wake);
        p->file = sf_open(path, SFM_READ, &p->info);
        if (!p->file || p->info.channels < 1 || p->info.channels > 2 || p->info.samplerate <= 0) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("Cannot play %s: %s"), path,
                            p->file ? _("not a recording of one or two channels") : sf_strerror(NULL));
                cw_player_free(p);
                return NULL;
        }
        p->path = g_strdup(path);
        p->changed = changed;
        p->userdata = userdata;
        p->thread = g_thread_new("player", run, p);
        return p;
}

void cw_player_free(cw_player *p) {
        if (!p)
                return;
        if (p->thread) {
                g_mutex_lock(&p->lock);
                p->quit = TRUE;
                g_cond_signal(&p->wake);
                g_mutex_unlock(&p->lock);
                g_thread_join(p->thread);
        }
        if (p->notify_source)
                g_source_remove(p->notify_source);
        if (p->file)
                sf_close(p->file);
        g_free(p->path);
        g_free(p->error);
        g_mutex_clear(&p->lock);
        g_cond_clear(&p->wake);
        g_free(p);
}

static void set_playing(cw_player *p, gboolean playing) {
        g_mutex_lock(&p->lock);
        if (playing && p->position >= p->info.frames) {   /* again from the start */
                p->seek_to = 0;
                p->seek_pending = TRUE;
        }
        p->playing = playing;
        g_cond_signal(&p->wake);
        notify(p);
        g_mutex_unlock(&p->lock);
}

void cw_player_play(cw_player *p) {
        set_playing(p, TRUE);
}

void cw_player_pause(cw_player *p) {
        set_playing(p, FALSE);
}

gboolean cw_player_is_playing(cw_player *p) {
        gboolean playing;

        g_mutex_lock(&p->lock);
        playing = p->playing;
        g_mutex_unlock(&p->lock);
        return playing;
}

void cw_player_seek(cw_player *p, double seconds) {
        sf_count_t frame = (sf_count_t) (seconds * p->info.samplerate);

        g_mutex_lock(&p->lock);
        p->seek_to = CLAMP(frame, 0, p->info.frames);
        p->position = p->seek_to;
        p->seek_pending = TRUE;
        g_cond_signal(&p->wake);
        g_mutex_unlock(&p->lock);
}

double cw_player_get_position(cw_player *p) {
        sf_count_t position;

        g_mutex_lock(&p->lock);
        position = p->position;
        g_mutex_unlock(&p->lock);
        return (double) position / p->info.samplerate;
}

double cw_player_get_duration(cw_player *p) {
        return (double) p->info.frames / p->info.samplerate;
}

void cw_player_set_sides(cw_player *p, CwPlayerSides sides) {
        g_mutex_lock(&p->lock);
        p->sides = sides;
        g_mutex_unlock(&p->lock);
}

char *cw_player_take_error(cw_player *p) {
        char *error;

        g_mutex_lock(&p->lock);
        error = p->error;
        p->error = NULL;
        g_mutex_unlock(&p->lock);
        return error;
}
