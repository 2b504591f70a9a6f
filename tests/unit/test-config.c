/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/config.h"
#include "tap.h"

static char path[] = "/tmp/test-config-XXXXXX";

static void write_config(const char *text) {
        FILE *f = fopen(path, "we");

        fputs(text, f);
        fclose(f);
}

/* Loads text over a configuration that already holds a good value, and
 * checks the error names file, line and key. */
static void bad_config_names_line_and_key(const char *name, const char *text, int line, const char *key) {
        cw_config cfg;
        char *error = NULL, expected_prefix[256];
        int r;

        cw_config_init_defaults(&cfg);
        cfg.bitrate = 24000;
        write_config(text);
        r = cw_config_load(path, &cfg, &error);
        snprintf(expected_prefix, sizeof expected_prefix, "%s:%d: ", path, line);
        ok(r < 0 && error && strncmp(error, expected_prefix, strlen(expected_prefix)) == 0 &&
           (!key || strstr(error, key)), "%s: %s", name, error ? error : "(no error)");
        ok(cfg.bitrate == 24000, "%s: the last good configuration is kept", name);
        free(error);
        cw_config_clear(&cfg);
}

static void good_config(void) {
        cw_config cfg;
        char *error = NULL;
        int r;

        cw_config_init_defaults(&cfg);
        write_config("# comment\n"
                     "[audio]\n"
                     "mode = mixed\n"
                     "local_source = alsa_input.mic\n"
                     "remote_source = modem.monitor\n"
                     "bitrate = 48000\n"
                     "\n"
                     "[tagging]\n"
                     "night = 22:00-07:00, 12:00-13:00\n"
                     "[modem]\n"
                     "backends = ofono\n");
        r = cw_config_load(path, &cfg, &error);
        ok(r == 0, "good file loads%s%s", error ? ": " : "", error ? error : "");
        ok(cfg.capture_mode == CW_CAPTURE_MIXED, "mode");
        ok(cfg.local_source && strcmp(cfg.local_source, "alsa_input.mic") == 0, "local_source");
        ok(cfg.remote_source && strcmp(cfg.remote_source, "modem.monitor") == 0, "remote_source");
        ok(cfg.bitrate == 48000, "bitrate");
        ok(cfg.n_night == 2 && cfg.night[0].start_min == 22 * 60 && cfg.night[1].end_min == 13 * 60,
           "two night windows");
        ok(!cfg.backend_modemmanager && cfg.backend_ofono, "only oFono");
        cw_config_clear(&cfg);
}

static void defaults_without_file(void) {
        cw_config cfg;

        cw_config_init_defaults(&cfg);
        ok(cw_config_load("/nonexistent/callwitness.conf", &cfg, NULL) == 0, "missing file is fine");
        ok(cfg.bitrate == 32000 && cfg.n_night == 1 && cfg.night[0].start_min == 21 * 60 &&
           cfg.night[0].end_min == 8 * 60 && cfg.backend_modemmanager && cfg.backend_ofono &&
           !cfg.local_source && !cfg.remote_source, "defaults: 32 kbit/s, 21:00-08:00, both backends");
        cw_config_clear(&cfg);
}

static void empty_night_switches_tagging_off(void) {
        cw_config cfg;

        cw_config_init_defaults(&cfg);
        write_config("[tagging]\nnight =\n");
        ok(cw_config_load(path, &cfg, NULL) == 0 && cfg.n_night == 0, "night = (empty) means no windows");
        cw_config_clear(&cfg);
}

/* The README's example configuration is what users copy: it must parse, and
 * say the defaults. */
static void readme_example_parses(const char *readme_path) {
        FILE *readme = fopen(readme_path, "re"), *out;
        char line[512];
        bool inside = false;
        cw_config cfg;
        char *error = NULL;
        int r;

        ok(readme != NULL, "README found at %s", readme_path);
        if (!readme)
                return;
        out = fopen(path, "we");
        while (fgets(line, sizeof line, readme)) {
                if (strncmp(line, "```", 3) == 0) {
                        if (inside)
                                break;
                        inside = strncmp(line, "```ini", 6) == 0;
                        continue;
                }
                if (inside)
                        fputs(line, out);
        }
        fclose(out);
        fclose(readme);
        cw_config_init_defaults(&cfg);
        r = cw_config_load(path, &cfg, &error);
        ok(r == 0, "README example parses%s%s", error ? ": " : "", error ? error : "");
        ok(cfg.bitrate == CW_BITRATE_DEFAULT && cfg.n_night == 1 && cfg.night[0].start_min == 21 * 60 &&
           !cfg.local_source && !cfg.remote_source && cfg.backend_modemmanager && cfg.backend_ofono,
           "README example states the defaults");
        free(error);
        cw_config_clear(&cfg);
}

static void reload_starts_from_the_defaults(void) {
        cw_config cfg;

        cw_config_init_defaults(&cfg);
        write_config("[audio]\nbitrate = 48000\nlocal_source = mic\n");
        cw_config_load(path, &cfg, NULL);
        write_config("[audio]\n");
        ok(cw_config_load(path, &cfg, NULL) == 0 && cfg.bitrate == CW_BITRATE_DEFAULT && !cfg.local_source,
           "a key removed from the file goes back to its default on reload");
        cw_config_clear(&cfg);
}

static void profile_fills_what_the_file_left_unset(void) {
        cw_profile pinephone = {
                .mode = CW_CAPTURE_MIXED,
                .local_source = (char *) "alsa_input.platform-sound*",
                .remote_source = (char *) "modem.monitor",
                .mixer_card = (char *) "PinePhone",
                .mixer_controls = (char *[]) { (char *) "AIF1 AD0 Mixer AIF2 DAC Capture Switch",
                                               (char *) "AIF2 ADC Mixer ADC Capture Switch" },
                .n_mixer_controls = 2,
        };
        cw_config cfg;

        cw_config_init_defaults(&cfg);
        write_config("[device]\nprofile = pine64-pinephone\n[audio]\nremote_source = my.monitor\n");
        ok(cw_config_load(path, &cfg, NULL) == 0 && cfg.profile && strcmp(cfg.profile, "pine64-pinephone") == 0,
           "[device] profile");
        ok(cw_config_apply_profile(&cfg, &pinephone) == 0, "profile applied");
        ok(cfg.capture_mode == CW_CAPTURE_MIXED && cfg.local_source &&
           strcmp(cfg.local_source, "alsa_input.platform-sound*") == 0,
           "mode and local source come from the profile");
        ok(cfg.remote_source && strcmp(cfg.remote_source, "my.monitor") == 0, "the file's remote_source wins");

        write_config("[audio]\nmode = separate\nlocal_source =\n");
        cw_config_load(path, &cfg, NULL);
        cw_config_apply_profile(&cfg, &pinephone);
        ok(cfg.capture_mode == CW_CAPTURE_SEPARATE && !cfg.local_source,
           "an explicit mode and an explicitly empty source win too");
        ok(cfg.mixer_card && strcmp(cfg.mixer_card, "PinePhone") == 0 && cfg.n_mixer_controls == 2 &&
           strcmp(cfg.mixer_controls[1], "AIF2 ADC Mixer ADC Capture Switch") == 0,
           "mixer card and controls come from the profile");

        /* Another kernel names the control differently: the file says so. */
        write_config("[mixer]\ncontrols = AIF1 AD0 Mixer AIF2 Capture Switch , Line Out Playback Switch\n");
        cw_config_load(path, &cfg, NULL);
        cw_config_apply_profile(&cfg, &pinephone);
        ok(cfg.n_mixer_controls == 2 && strcmp(cfg.mixer_controls[0], "AIF1 AD0 Mixer AIF2 Capture Switch") == 0 &&
           strcmp(cfg.mixer_controls[1], "Line Out Playback Switch") == 0 && strcmp(cfg.mixer_card, "PinePhone") == 0,
           "the file's [mixer] controls win, the profile's card stays");

        write_config("[mixer]\ncontrols =\n");
        cw_config_load(path, &cfg, NULL);
        cw_config_apply_profile(&cfg, &pinephone);
        ok(cfg.n_mixer_controls == 0, "an empty [mixer] controls switches the profile's off");
        cw_config_clear(&cfg);
}

static void card_profile_from_the_profile_or_the_file(void) {
        cw_profile droid = { .card_name = (char *) "droid_card.*", .card_profile = (char *) "voicecall-record" };
        cw_config cfg;

        cw_config_init_defaults(&cfg);
        write_config("[audio]\n");
        cw_config_load(path, &cfg, NULL);
        cw_config_apply_profile(&cfg, &droid);
        ok(cfg.card_name && strcmp(cfg.card_name, "droid_card.*") == 0 && cfg.card_profile &&
           strcmp(cfg.card_profile, "voicecall-record") == 0, "the card and its profile come from the profile");
        write_config("[card]\nprofile = voicecall\n");
        cw_config_load(path, &cfg, NULL);
        cw_config_apply_profile(&cfg, &droid);
        ok(strcmp(cfg.card_name, "droid_card.*") == 0 && strcmp(cfg.card_profile, "voicecall") == 0,
           "the file's [card] profile wins, the profile's card stays");
        write_config("[card]\nname =\n");
        cw_config_load(path, &cfg, NULL);
        cw_config_apply_profile(&cfg, &droid);
        ok(!cfg.card_name, "an empty [card] name switches no card");
        write_config("[card]\nslot = 1\n");
        ok(cw_config_load(path, &cfg, NULL) == -EINVAL, "an unknown [card] key is refused");
        cw_config_clear(&cfg);
}

int main(int argc, char **argv) {
        int fd = mkstemp(path);

        if (fd < 0)
                return 1;
        close(fd);

        good_config();
        defaults_without_file();
        card_profile_from_the_profile_or_the_file();
        empty_night_switches_tagging_off();
        reload_starts_from_the_defaults();
        profile_fills_what_the_file_left_unset();
        bad_config_names_line_and_key("bitrate not a number", "[audio]\n\nbitrate = 32k\n", 3, "[audio] bitrate");
        bad_config_names_line_and_key("bitrate too high", "[audio]\nbitrate=900000\n", 2, "[audio] bitrate");
        bad_config_names_line_and_key("bad night window", "[tagging]\nnight = 21:00-25:00\n", 2, "[tagging] night");
        /* A good line before the bad one must not stay in force either:
         * the whole file is refused, the earlier configuration kept. */
        bad_config_names_line_and_key("bad capture mode", "[audio]\nbitrate = 16000\nmode = both\n", 3, "[audio] mode");
        bad_config_names_line_and_key("unknown key", "[audio]\nbitrate = 16000\nvolume = 3\n", 3, "[audio] volume");
        bad_config_names_line_and_key("unknown section", "[video]\nfps = 3\n", 2, "[video] fps");
        bad_config_names_line_and_key("unknown backend", "[modem]\nbackends = hayes\n", 2, "[modem] backends");
        bad_config_names_line_and_key("line without =", "[audio]\nbitrate\n", 2, NULL);
        bad_config_names_line_and_key("first of two errors", "[audio]\nfoo = 1\nbitrate = x\n", 2, "[audio] foo");
        if (argc > 1)
                readme_example_parses(argv[1]);

        unlink(path);
        return tap_done();
}
