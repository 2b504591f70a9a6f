/* SPDX-License-Identifier: GPL-3.0-or-later */
/* callwitness doctor: what a user runs on a new phone. Which device and
 * profile, which sources exist, and a short test capture with the level of
 * each side and a plain verdict. */

#include <errno.h>
#include <getopt.h>
#include <libintl.h>
#include <locale.h>
#include <math.h>
#include <pulse/mainloop.h>
#include <pulse/timeval.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/config.h"
#include "callwitness/paths.h"
#include "callwitness/profile.h"
#include "capture.h"
#include "doctor.h"
#include "sources.h"

#define _(text) gettext(text)

typedef struct levels {
        pa_mainloop *loop;
        unsigned channels;
        uint64_t frames;
        double sum_squares[2];
        float peak[2];
        char *failure;
} levels;

static void on_frames(const float *frames, size_t n_frames, unsigned channels, uint64_t first_frame,
                      void *userdata) {
        levels *l = userdata;

        l->channels = channels;
        for (size_t i = 0; i < n_frames * channels; i++) {
                float v = frames[i] < 0 ? -frames[i] : frames[i];

                l->sum_squares[i % channels] += (double) v * v;
                if (v > l->peak[i % channels])
                        l->peak[i % channels] = v;
        }
        l->frames += n_frames;
}

/* The first problem ends the test: a capture that lost a side or the
 * server has its answer. */
static void on_problem(unsigned sides, const char *kind, const char *message, void *userdata) {
        levels *l = userdata;

        if (l->failure)
                return;
        l->failure = strdup(message);
        pa_mainloop_quit(l->loop, 1);
}

static void on_timeout(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        api->quit(api, 0);
}

static void print_device(const cw_device *device) {
        if (device->n_compatible)
                printf(_("Device:    %s (device tree)\n"), device->compatible[0]);
        else if (device->dmi_product)
                printf(_("Device:    %s (DMI)\n"), device->dmi_product);
        else
                printf(_("Device:    unknown (no device tree, no DMI)\n"));
}

static void print_side(const char *what, const levels *l, unsigned channel) {
        double rms = l->frames ? sqrt(l->sum_squares[channel] / (double) l->frames) : 0;

        printf(_("  %-22s level %6.1f dBFS, peak %6.1f dBFS%s\n"), what, rms > 0 ? 20 * log10(rms) : -INFINITY,
               l->peak[channel] > 0 ? 20 * log10(l->peak[channel]) : -INFINITY,
               l->peak[channel] > CW_SILENCE_LEVEL ? "" : _("  (silent)"));
}

/* One plain sentence per problem; returns how many there were. */
static int verdict(const cw_config *cfg, const levels *l) {
        bool first = l->peak[0] > CW_SILENCE_LEVEL, second = l->channels > 1 && l->peak[1] > CW_SILENCE_LEVEL;
        int problems = 0;

        printf("\n");
        switch (cfg->capture_mode) {
        case CW_CAPTURE_SEPARATE:
                if (!first) {
                        printf(_("The microphone side is silent: nothing was heard from '%s'. Check that the "
                                 "microphone is unmuted and that local_source names it.\n"),
                               cfg->local_source ? cfg->local_source : _("the default source"));
                        problems++;
                }
                if (!second) {
                        printf(_("The other party's side is silent: nothing was heard from '%s'. Outside a "
                                 "call that is expected; run this again during a test call. If it stays "
                                 "silent in a call, this phone does not route call audio through the sound "
                                 "server there: set remote_source, or mode = mixed or local-only.\n"),
                               cfg->remote_source ? cfg->remote_source : _("the default sink's monitor"));
                        problems++;
                }
                if (!problems)
                        printf(_("Both sides can be captured: recordings will hold the microphone on the left "
                                 "and the other party on the right.\n"));
                break;
        case CW_CAPTURE_MIXED:
                if (!first) {
                        printf(_("The capture is silent: the source that should carry both voices gave "
                                 "nothing. During a call, check the codec's mixer controls.\n"));
                        problems++;
                } else
                        printf(_("The capture has sound: recordings will hold both voices mixed (mono).\n"));
                break;
        default:
                if (!first) {
                        printf(_("The microphone side is silent.\n"));
                        problems++;
                }
                printf(_("Only the microphone is captured on this phone: recordings will say that the other "
                         "party's side is missing.\n"));
                break;
        }
        return problems;
}

/* "0.5" whatever the locale: a decimal comma would make the same command
 * line fail under one LANG and work under another. */
static double parse_seconds(const char *text, char **end) {
        locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
        double value;

        if (c_locale == (locale_t) 0)
                return strtod(text, end);
        value = strtod_l(text, end, c_locale);
        freelocale(c_locale);
        return value;
}

int cw_cli_doctor(int argc, char **argv) {
        static const struct option options[] = {
                { "seconds", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        static const cw_capture_sink sink = { .frames = on_frames, .problem = on_problem };
        char *config_path = NULL, *error = NULL, *end;
        double seconds = 3;
        cw_config cfg;
        cw_device device = { 0 };
        cw_profile profile = { 0 };
        cw_capture *capture = NULL;
        levels l = { 0 };
        struct timeval deadline;
        int opt, r, ret = 1;

        while ((opt = getopt_long(argc, argv, "s:h", options, NULL)) >= 0)
                switch (opt) {
                case 's':
                        seconds = parse_seconds(optarg, &end);
                        if (*end || seconds < 0.5 || seconds > 60) {
                                fprintf(stderr, _("callwitness doctor: --seconds takes 0.5 to 60\n"));
                                return 2;
                        }
                        break;
                case 'h':
                        printf(_("Usage: callwitness doctor [--seconds N]\n"));
                        return 0;
                default:
                        return 2;
                }

        cw_config_init_defaults(&cfg);
        if (cw_paths_config_file(&config_path) < 0 || cw_config_load(config_path, &cfg, &error) < 0) {
                fprintf(stderr, "callwitness doctor: %s\n", error ? error : _("cannot find the configuration"));
                goto finish;
        }
        cw_device_read("/", &device);
        print_device(&device);
        r = cw_profile_select(cw_paths_profiles_dir(), cfg.profile, "/", &profile, &error);
        if (r < 0) {
                printf(_("Profile:   none (%s); using the defaults\n"), error ? error : strerror(-r));
                free(error);
                error = NULL;
        } else {
                cw_config_apply_profile(&cfg, &profile);
                printf(_("Profile:   %s, %s (%s%s)\n"), profile.id, profile.name ? profile.name : "",
                       profile.confirmed ? _("confirmed on hardware") : _("not yet confirmed on hardware"),
                       cfg.profile ? _(", named in the configuration") : "");
                if (profile.notes)
                        printf(_("           note: %s\n"), profile.notes);
        }
        printf(_("Capture:   %s; local source %s; remote source %s\n"), cw_capture_mode_to_string(cfg.capture_mode),
               cfg.local_source ? cfg.local_source : _("(default source)"),
               cfg.capture_mode != CW_CAPTURE_SEPARATE ? _("(none)")
               : cfg.remote_source ? cfg.remote_source : _("(monitor of the default sink)"));
        if (cfg.card_name && cfg.card_profile)
                printf(_("Card:      %s is switched to its profile %s for each call, and put back after (run this "
                         "during a call to hear what that profile captures)\n"), cfg.card_name, cfg.card_profile);

        if (cw_sources_report(cfg.capture_mode, cfg.local_source, cfg.remote_source) < 0) {
                printf(_("\nCannot reach the sound server: is PulseAudio or pipewire-pulse running in this "
                         "session?\n"));
                goto finish;
        }

        l.loop = pa_mainloop_new();
        if (!l.loop)
                goto finish;
        r = cw_capture_new(pa_mainloop_get_api(l.loop), cfg.capture_mode, cfg.local_source, cfg.remote_source,
                           &sink, &l, &capture);
        if (r < 0) {
                printf(_("\nCannot reach the sound server: %s\n"), strerror(-r));
                goto finish;
        }
        cw_capture_start_now(capture);
        pa_gettimeofday(&deadline);
        pa_timeval_add(&deadline, (pa_usec_t) (seconds * PA_USEC_PER_SEC));
        pa_mainloop_get_api(l.loop)->time_new(pa_mainloop_get_api(l.loop), &deadline, on_timeout, NULL);
        printf(_("\nListening for %.1f s…\n"), seconds);
        fflush(stdout);
        pa_mainloop_run(l.loop, &r);
        cw_capture_flush(capture, cw_capture_frame_now(capture));

        if (l.failure) {
                printf(_("The capture failed: %s\n"), l.failure);
                goto finish;
        }
        if (cfg.capture_mode == CW_CAPTURE_SEPARATE) {
                print_side(_("microphone (left):"), &l, 0);
                print_side(_("other party (right):"), &l, 1);
        } else
                print_side(cfg.capture_mode == CW_CAPTURE_MIXED ? _("both voices (mono):") : _("microphone (mono):"),
                           &l, 0);
        ret = verdict(&cfg, &l) ? 1 : 0;

finish:
        cw_capture_free(capture);
        if (l.loop)
                pa_mainloop_free(l.loop);
        free(l.failure);
        free(error);
        free(config_path);
        cw_device_clear(&device);
        cw_profile_clear(&profile);
        cw_config_clear(&cfg);
        return ret;
}
