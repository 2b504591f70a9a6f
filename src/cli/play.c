/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Plays a recording: decoded by libsndfile (Ogg Opus), written to the
 * sound server with libpulse's simple API; PipeWire's pipewire-pulse
 * serves it the same way. */
#include <errno.h>
#include <libintl.h>
#include <pulse/error.h>
#include <pulse/simple.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "play.h"

typedef struct chosen_file {
        char *relpath;
        bool found;
} chosen_file;

static int choose(const cw_call_record *call, void *userdata) {
        chosen_file *f = userdata;

        f->found = true;
        f->relpath = call->file ? strdup(call->file) : NULL;
        return 1;
}

static int play_file(const char *path) {
        SF_INFO info = { 0 };
        SNDFILE *in = sf_open(path, SFM_READ, &info);
        pa_simple *out = NULL;
        short frames[4800 * 2];
        sf_count_t n;
        int error = 0, status = 1;

        if (!in) {
                fprintf(stderr, _("callwitness play: cannot decode %s: %s\n"), path, sf_strerror(NULL));
                return 1;
        }
        pa_sample_spec spec = { .format = PA_SAMPLE_S16NE, .rate = (uint32_t) info.samplerate,
                                .channels = (uint8_t) info.channels };
        if (info.channels < 1 || info.channels > 2 || !pa_sample_spec_valid(&spec)) {
                fprintf(stderr, _("callwitness play: %s has an unexpected format\n"), path);
                goto finish;
        }
        out = pa_simple_new(NULL, "callwitness", PA_STREAM_PLAYBACK, NULL, _("recorded call"), &spec, NULL, NULL,
                            &error);
        if (!out) {
                fprintf(stderr, _("callwitness play: cannot reach the sound server: %s\n"), pa_strerror(error));
                goto finish;
        }
        printf(_("Playing %s (%.1f s)…\n"), path, (double) info.frames / info.samplerate);
        fflush(stdout);
        while ((n = sf_readf_short(in, frames, 4800)) > 0)
                if (pa_simple_write(out, frames, (size_t) n * info.channels * sizeof *frames, &error) < 0) {
                        fprintf(stderr, _("callwitness play: %s\n"), pa_strerror(error));
                        goto finish;
                }
        if (pa_simple_drain(out, &error) < 0)
                fprintf(stderr, _("callwitness play: %s\n"), pa_strerror(error));
        else
                status = 0;
finish:
        if (out)
                pa_simple_free(out);
        sf_close(in);
        return status;
}

int cw_cli_play(int argc, char **argv) {
        chosen_file file = { 0 };
        cw_catalog *catalog = NULL;
        char *data_dir = NULL, *path = NULL;
        int64_t id;
        int status = 1;

        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf(_("Usage: callwitness play ID\n\nPlays a call's recording through the sound server "
                         "(PulseAudio or PipeWire).\nIn separate mode you hear yourself on the left, the other "
                         "party on the right.\n"));
                return 0;
        }
        if (argc != 2) {
                fprintf(stderr, _("Usage: callwitness play ID\n"));
                return 2;
        }
        if (cw_cli_parse_id(argv[1], &id) < 0)
                return 2;
        if (cw_cli_open_catalog(false, &catalog, &data_dir) < 0)
                return 1;
        if (cw_catalog_find_calls(catalog, &(cw_call_filter) { .id = id }, choose, &file) < 0)
                fprintf(stderr, _("callwitness: reading the catalog failed: %s\n"), cw_catalog_last_error(catalog));
        else if (!file.found)
                fprintf(stderr, _("callwitness: there is no call %lld\n"), (long long) id);
        else if (!file.relpath)
                fprintf(stderr, _("callwitness play: call %lld has no recording (it was never answered)\n"),
                        (long long) id);
        else if (asprintf(&path, "%s/%s", data_dir, file.relpath) >= 0)
                status = play_file(path);
        free(path);
        free(file.relpath);
        free(data_dir);
        cw_catalog_free(catalog);
        return status;
}
