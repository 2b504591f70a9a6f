/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/paths.h"
#include "callwitness/profile.h"
#include "source-match.h"
#include "tap.h"

static char root[] = "/tmp/test-profile-XXXXXX";

/* A fake device: the device tree's compatible is NUL-separated. */
static void make_device(const char *compatible, size_t len, const char *dmi) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof path, "%s/proc/device-tree", root);
        cw_paths_mkdir_p(path, 0700);
        snprintf(path, sizeof path, "%s/proc/device-tree/compatible", root);
        if (compatible) {
                f = fopen(path, "we");
                fwrite(compatible, 1, len, f);
                fclose(f);
        } else
                unlink(path);
        snprintf(path, sizeof path, "%s/sys/class/dmi/id", root);
        cw_paths_mkdir_p(path, 0700);
        snprintf(path, sizeof path, "%s/sys/class/dmi/id/product_name", root);
        if (dmi) {
                f = fopen(path, "we");
                fprintf(f, "%s\n", dmi);
                fclose(f);
        } else
                unlink(path);
}

static void detected_is(const char *profiles, const char *what, const char *expected_id) {
        cw_device device;
        cw_profile profile = { 0 };
        char *error = NULL;
        int r;

        cw_device_read(root, &device);
        r = cw_profile_detect(profiles, &device, &profile, &error);
        ok(r == 0 && profile.id && strcmp(profile.id, expected_id) == 0, "%s -> %s (got %s%s%s)", what,
           expected_id, profile.id ? profile.id : "nothing", error ? ": " : "", error ? error : "");
        free(error);
        cw_profile_clear(&profile);
        cw_device_clear(&device);
}

static void shipped_profiles_are_detected(const char *profiles) {
        static const char pinephone[] = "pine64,pinephone-1.2\0allwinner,sun50i-a64";
        static const char librem5[] = "purism,librem5r4\0purism,librem5\0fsl,imx8mq";
        static const char oneplus6[] = "oneplus,enchilada\0qcom,sdm845";
        static const char unknown_sdm845[] = "acme,phone\0qcom,sdm845";
        static const char laptop[] = "acme,board";

        make_device(pinephone, sizeof pinephone, NULL);
        detected_is(profiles, "PinePhone 1.2", "pine64-pinephone");
        make_device(librem5, sizeof librem5, NULL);
        detected_is(profiles, "Librem 5 r4", "purism-librem5");
        make_device(oneplus6, sizeof oneplus6, NULL);
        detected_is(profiles, "OnePlus 6", "qcom-sdm845");
        make_device(unknown_sdm845, sizeof unknown_sdm845, NULL);
        detected_is(profiles, "an unlisted sdm845 phone, by its SoC", "qcom-sdm845");
        make_device(laptop, sizeof laptop, NULL);
        detected_is(profiles, "an unknown board", "generic");
        make_device(NULL, 0, "ThinkPad X230");
        detected_is(profiles, "x86 without a device tree", "generic");
}

/* Droidian's droid card comes from pulseaudio-modules-droid: its module
 * file picks the profile, after the device tree (an FLX1 runs it too). */
static void droid_phones_are_detected(const char *profiles) {
        static const char halium[] = "qcom,sm7225\0qcom,lagoon";
        static const char flx1[] = "furilabs,flx1\0mediatek,mt6877";
        char path[512];
        cw_profile p;
        FILE *f;

        make_device(halium, sizeof halium, NULL);
        detected_is(profiles, "a Halium phone without the droid module", "generic");
        snprintf(path, sizeof path, "%s/usr/lib/pulse-16.1+dfsg1/modules", root);
        cw_paths_mkdir_p(path, 0700);
        snprintf(path, sizeof path, "%s/usr/lib/pulse-16.1+dfsg1/modules/module-droid-card.so", root);
        f = fopen(path, "we");
        fclose(f);
        detected_is(profiles, "a phone with module-droid-card installed", "droidian-generic");
        make_device(flx1, sizeof flx1, NULL);
        detected_is(profiles, "the FLX1, by its device tree, droid module or not", "furilabs-flx1");
        unlink(path);

        ok(cw_profile_load_id(profiles, "droidian-generic", &p, NULL) == 0 && p.mode == CW_CAPTURE_MIXED &&
           p.card_name && strcmp(p.card_name, "droid_card.*") == 0 && p.card_profile &&
           strcmp(p.card_profile, "voicecall-record") == 0 && !p.confirmed,
           "droidian-generic: mixed, the droid card in voicecall-record for the call, not confirmed");
        cw_profile_clear(&p);
        ok(cw_profile_load_id(profiles, "furilabs-flx1", &p, NULL) == 0 && p.mode == CW_CAPTURE_SEPARATE &&
           p.remote_source && strcmp(p.remote_source, "audio-manager-call-downlink*") == 0 && !p.card_name &&
           !p.confirmed, "furilabs-flx1: separate, the other party from audio-manager's downlink, not confirmed");
        cw_profile_clear(&p);
}

static void shipped_profiles_say_what_they_hold(const char *profiles) {
        cw_profile p;
        char *error = NULL;

        ok(cw_profile_load_id(profiles, "pine64-pinephone", &p, &error) == 0, "PinePhone profile loads");
        ok(p.mode == CW_CAPTURE_MIXED && p.mixer_card && strcmp(p.mixer_card, "PinePhone") == 0 &&
           p.n_mixer_controls == 1 && strcmp(p.mixer_controls[0], "AIF1 AD0 Mixer AIF2 DAC Capture Switch") == 0 &&
           !p.confirmed, "PinePhone: mixed, its codec switch, not confirmed on hardware");
        cw_profile_clear(&p);
        ok(cw_profile_load_id(profiles, "qcom-sdm845", &p, NULL) == 0 && p.mode == CW_CAPTURE_LOCAL_ONLY,
           "sdm845: local-only");
        cw_profile_clear(&p);
        ok(cw_profile_load_id(profiles, "../etc/passwd", &p, NULL) == -EINVAL, "a path is not a profile name");
        ok(cw_profile_load_id(profiles, "nokia-3310", &p, NULL) == -ENOENT, "an unknown profile: -ENOENT");
        free(error);
}

/* WirePlumber (and callaudiod) switch the card to its "Voice Call" UCM
 * verb for a call, and the sources are made anew with the verb in their
 * name: a profile's pattern must match the source under either verb. */
static void shipped_patterns_match_under_both_verbs(const char *profiles) {
        /* Each name is its prefix, the verb, its suffix. */
        static const struct {
                const char *profile, *local[2], *remote[2];
        } devices[] = {
                { "pine64-pinephone", { "alsa_input.platform-sound.", "__hw_PinePhone_0__source" }, { NULL } },
                { "pine64-pinephone-pro", { "alsa_input.platform-sound.", "__hw_PinePhonePro_0__source" }, { NULL } },
                { "purism-librem5", { "alsa_output.platform-sound-wwan.", "__hw_Modem_0__sink.monitor" },
                  { "alsa_input.platform-sound-wwan.", "__hw_Modem_0__source" } },
        };
        static const char *const verbs[] = { "HiFi", "Voice_Call" };

        for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
                cw_profile p;

                if (cw_profile_load_id(profiles, devices[i].profile, &p, NULL) < 0) {
                        ok(false, "%s loads", devices[i].profile);
                        continue;
                }
                for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++) {
                        char name[256];

                        snprintf(name, sizeof name, "%s%s%s", devices[i].local[0], verbs[v], devices[i].local[1]);
                        ok(cw_source_matches(p.local_source, name), "%s: local pattern matches %s",
                           devices[i].profile, name);
                        if (!devices[i].remote[0])
                                continue;
                        snprintf(name, sizeof name, "%s%s%s", devices[i].remote[0], verbs[v], devices[i].remote[1]);
                        ok(cw_source_matches(p.remote_source, name), "%s: remote pattern matches %s",
                           devices[i].profile, name);
                }
                cw_profile_clear(&p);
        }
}

static void dmi_and_errors(void) {
        char dir[512], path[600];
        cw_profile p;
        char *error = NULL;
        FILE *f;
        int r;

        snprintf(dir, sizeof dir, "%s/profiles", root);
        cw_paths_mkdir_p(dir, 0700);
        snprintf(path, sizeof path, "%s/generic.conf", dir);
        f = fopen(path, "we");
        fputs("[device]\nname = generic\n", f);
        fclose(f);
        snprintf(path, sizeof path, "%s/tablet.conf", dir);
        f = fopen(path, "we");
        fputs("[device]\nname = Tablet\ndmi_product = Surface*\n[capture]\nmode = mixed\n", f);
        fclose(f);
        make_device(NULL, 0, "Surface Go 3");
        detected_is(dir, "DMI glob", "tablet");

        f = fopen(path, "we");
        fputs("[device]\nname = Tablet\n[capture]\nmode = stereo\n", f);
        fclose(f);
        r = cw_profile_load(path, &p, &error);
        ok(r == -EINVAL && error && strstr(error, "tablet.conf:4: [capture] mode"), "bad profile named: %s",
           error ? error : "");
        free(error);
}

int main(int argc, char **argv) {
        if (argc < 2 || !mkdtemp(root))
                return 1;
        shipped_profiles_are_detected(argv[1]);
        shipped_profiles_say_what_they_hold(argv[1]);
        droid_phones_are_detected(argv[1]);
        shipped_patterns_match_under_both_verbs(argv[1]);
        dmi_and_errors();
        return tap_done();
}
