/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/config.h"
#include "callwitness/paths.h"
#include "callwitness/timestamp.h"
#include "ini-file.h"

void cw_config_init_defaults(cw_config *cfg) {
        *cfg = (cw_config) {
                .bitrate = CW_BITRATE_DEFAULT,
                /* 21:00-08:00: outside 08:00-21:00, the hours collection
                 * rules in China (NIFA), the US (FDCPA) and the UK (FCA)
                 * treat as the limit. */
                .night = { { .start_min = 21 * 60, .end_min = 8 * 60 } },
                .n_night = 1,
                .backend_modemmanager = true,
                .backend_ofono = true,
        };
}

void cw_config_clear(cw_config *cfg) {
        free(cfg->profile);
        free(cfg->preset);
        free(cfg->country_code);
        free(cfg->local_source);
        free(cfg->remote_source);
        free(cfg->mixer_card);
        cw_ini_free_list(cfg->mixer_controls, cfg->n_mixer_controls);
        free(cfg->card_name);
        free(cfg->card_profile);
        cw_config_init_defaults(cfg);
}

static int set_string(char **field, const char *value) {
        char *copy = NULL;

        if (value[0] != '\0' && !(copy = strdup(value)))
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static int parse_backends(cw_ini *ini, cw_config *cfg, const char *section, const char *key, const char *value) {
        char *copy = strdup(value), *save = NULL;
        bool mm = false, ofono = false;
        int ok = 1;

        if (!copy)
                return 0;
        for (char *word = strtok_r(copy, ", \t", &save); word; word = strtok_r(NULL, ", \t", &save)) {
                if (strcmp(word, "modemmanager") == 0)
                        mm = true;
                else if (strcmp(word, "ofono") == 0)
                        ofono = true;
                else {
                        ok = cw_ini_fail(ini, section, key, "unknown backend '%s' (known: modemmanager, ofono)", word);
                        break;
                }
        }
        free(copy);
        if (ok && !mm && !ofono)
                ok = cw_ini_fail(ini, section, key, "names no backend; use modemmanager, ofono or both");
        if (ok) {
                cfg->backend_modemmanager = mm;
                cfg->backend_ofono = ofono;
        }
        return ok;
}

static int handle_key(cw_ini *ini, const char *section, const char *key, const char *value, void *userdata) {
        cw_config *cfg = userdata;

        if (strcmp(section, "audio") == 0) {
                if (strcmp(key, "mode") == 0) {
                        if (cw_capture_mode_from_string(value, &cfg->capture_mode) < 0)
                                return cw_ini_fail(ini, section, key, "'%s' is not one of separate, mixed, local-only", value);
                        cfg->capture_mode_set = true;
                        return 1;
                }
                if (strcmp(key, "local_source") == 0) {
                        cfg->local_source_set = true;
                        return set_string(&cfg->local_source, value) == 0;
                }
                if (strcmp(key, "remote_source") == 0) {
                        cfg->remote_source_set = true;
                        return set_string(&cfg->remote_source, value) == 0;
                }
                if (strcmp(key, "bitrate") == 0) {
                        char *end;
                        long v;

                        errno = 0;
                        v = strtol(value, &end, 10);
                        if (errno || end == value || *end || v < CW_BITRATE_MIN || v > CW_BITRATE_MAX)
                                return cw_ini_fail(ini, section, key,
                                            "'%s' is not a whole number of bit/s from %d to %d",
                                            value, CW_BITRATE_MIN, CW_BITRATE_MAX);
                        cfg->bitrate = (int) v;
                        return 1;
                }
        } else if (strcmp(section, "tagging") == 0) {
                if (strcmp(key, "preset") == 0) {
                        if (strchr(value, '/') || value[0] == '.')
                                return cw_ini_fail(ini, section, key, "'%s' is not a preset name", value);
                        return set_string(&cfg->preset, strcmp(value, "auto") == 0 ? "" : value) == 0;
                }
                if (strcmp(key, "country_code") == 0) {
                        if (value[0] == '+')
                                value++;
                        if (!value[0] || strspn(value, "0123456789") != strlen(value) || strlen(value) > 4)
                                return cw_ini_fail(ini, section, key, "'%s' is not a calling code like 86 or 1", value);
                        return set_string(&cfg->country_code, value) == 0;
                }
                if (strcmp(key, "night") == 0) {
                        cfg->night_set = true;
                        if (value[0] == '\0') {
                                cfg->n_night = 0;   /* night tagging switched off */
                                return 1;
                        }
                        if (cw_windows_parse(value, cfg->night, CW_WINDOWS_MAX, &cfg->n_night) < 0)
                                return cw_ini_fail(ini, section, key,
                                            "'%s' is not a list of up to %d windows like 21:00-08:00",
                                            value, CW_WINDOWS_MAX);
                        return 1;
                }
        } else if (strcmp(section, "modem") == 0) {
                if (strcmp(key, "backends") == 0)
                        return parse_backends(ini, cfg, section, key, value);
        } else if (strcmp(section, "device") == 0) {
                if (strcmp(key, "profile") == 0)
                        return set_string(&cfg->profile, value) == 0;
        } else if (strcmp(section, "mixer") == 0) {
                if (strcmp(key, "card") == 0) {
                        cfg->mixer_card_set = true;
                        return set_string(&cfg->mixer_card, value) == 0;
                }
                if (strcmp(key, "controls") == 0) {
                        cfg->mixer_controls_set = true;
                        return cw_ini_set_list(ini, section, key, value, ",", &cfg->mixer_controls,
                                               &cfg->n_mixer_controls);
                }
        } else if (strcmp(section, "card") == 0) {
                if (strcmp(key, "name") == 0) {
                        cfg->card_name_set = true;
                        return set_string(&cfg->card_name, value) == 0;
                }
                if (strcmp(key, "profile") == 0) {
                        cfg->card_profile_set = true;
                        return set_string(&cfg->card_profile, value) == 0;
                }
        } else
                return cw_ini_fail(ini, section, key,
                                   "unknown section (known: audio, tagging, modem, device, mixer, card)");

        return cw_ini_fail(ini, section, key, "unknown key");
}

int cw_config_load(const char *path, cw_config *cfg, char **error_message) {
        cw_config parsed;
        char *error = NULL;
        int r;

        /* Parse into a fresh copy so that a bad file leaves *cfg as it was:
         * the daemon keeps running on the last good configuration. */
        cw_config_init_defaults(&parsed);
        r = cw_ini_parse(path, handle_key, &parsed, &error);
        if (r == -ENOENT) {   /* every key has a default */
                free(error);
                r = 0;
        }
        if (r < 0) {
                if (error_message)
                        *error_message = error;
                else
                        free(error);
                cw_config_clear(&parsed);
                return r;
        }
        cw_config_clear(cfg);
        *cfg = parsed;
        return 0;
}

static int copy_unless_set(char **field, bool set, const char *profile_value) {
        char *copy;

        if (set)
                return 0;
        copy = profile_value ? strdup(profile_value) : NULL;
        if (profile_value && !copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

int cw_config_apply_profile(cw_config *cfg, const cw_profile *profile) {
        if (!cfg->capture_mode_set)
                cfg->capture_mode = profile->mode;
        if (copy_unless_set(&cfg->local_source, cfg->local_source_set, profile->local_source) < 0 ||
            copy_unless_set(&cfg->remote_source, cfg->remote_source_set, profile->remote_source) < 0 ||
            copy_unless_set(&cfg->mixer_card, cfg->mixer_card_set, profile->mixer_card) < 0 ||
            copy_unless_set(&cfg->card_name, cfg->card_name_set, profile->card_name) < 0 ||
            copy_unless_set(&cfg->card_profile, cfg->card_profile_set, profile->card_profile) < 0)
                return -ENOMEM;
        if (!cfg->mixer_controls_set && profile->n_mixer_controls > 0) {
                char **controls = calloc(profile->n_mixer_controls, sizeof *controls);

                for (size_t i = 0; controls && i < profile->n_mixer_controls; i++)
                        if (!(controls[i] = strdup(profile->mixer_controls[i]))) {
                                cw_ini_free_list(controls, i);
                                controls = NULL;
                        }
                if (!controls)
                        return -ENOMEM;
                cw_ini_free_list(cfg->mixer_controls, cfg->n_mixer_controls);
                cfg->mixer_controls = controls;
                cfg->n_mixer_controls = profile->n_mixer_controls;
        }
        return 0;
}

int cw_config_user_rulebook(cw_rulebook **ret, char **error_message) {
        cw_config cfg;
        char *path = NULL, *zone = NULL;
        int r;

        cw_config_init_defaults(&cfg);
        r = cw_paths_config_file(&path);
        if (r == 0)
                r = cw_config_load(path, &cfg, error_message);
        if (r == 0) {
                zone = cw_local_time_zone_name();
                r = cw_rulebook_load(cw_paths_presets_dir(), &(cw_rulebook_settings) {
                        .preset = cfg.preset, .zone = zone, .country_code = cfg.country_code,
                        .night = cfg.night, .n_night = cfg.n_night, .night_set = cfg.night_set,
                }, ret, error_message);
        }
        free(zone);
        free(path);
        cw_config_clear(&cfg);
        return r;
}
