/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/profile.h"
#include "ini-file.h"

#define MAX_DEVICE_COMPATIBLE 16

static int handle_key(cw_ini *ini, const char *section, const char *key, const char *value, void *userdata) {
        cw_profile *p = userdata;

        if (strcmp(section, "device") == 0) {
                if (strcmp(key, "name") == 0)
                        return cw_ini_set_text(&p->name, value);
                /* Compatible strings hold commas ("pine64,pinephone") and
                 * never blanks. */
                if (strcmp(key, "compatible") == 0)
                        return cw_ini_set_list(ini, section, key, value, " \t", &p->compatible, &p->n_compatible);
                if (strcmp(key, "dmi_product") == 0)
                        return cw_ini_set_text(&p->dmi_product, value);
                if (strcmp(key, "confirmed") == 0) {
                        if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
                                return cw_ini_fail(ini, section, key, "'%s' is not yes or no", value);
                        p->confirmed = strcmp(value, "yes") == 0;
                        return 1;
                }
                if (strcmp(key, "notes") == 0)
                        return cw_ini_set_text(&p->notes, value);
                if (strcmp(key, "present") == 0)
                        return cw_ini_set_list(ini, section, key, value, " \t", &p->present, &p->n_present);
        } else if (strcmp(section, "capture") == 0) {
                if (strcmp(key, "mode") == 0) {
                        if (cw_capture_mode_from_string(value, &p->mode) < 0)
                                return cw_ini_fail(ini, section, key, "'%s' is not one of separate, mixed, local-only", value);
                        return 1;
                }
                if (strcmp(key, "local_source") == 0)
                        return cw_ini_set_text(&p->local_source, value);
                if (strcmp(key, "remote_source") == 0)
                        return cw_ini_set_text(&p->remote_source, value);
        } else if (strcmp(section, "mixer") == 0) {
                if (strcmp(key, "card") == 0)
                        return cw_ini_set_text(&p->mixer_card, value);
                if (strcmp(key, "controls") == 0)
                        return cw_ini_set_list(ini, section, key, value, ",", &p->mixer_controls, &p->n_mixer_controls);
        } else if (strcmp(section, "card") == 0) {
                if (strcmp(key, "name") == 0)
                        return cw_ini_set_text(&p->card_name, value);
                if (strcmp(key, "profile") == 0)
                        return cw_ini_set_text(&p->card_profile, value);
        } else
                return cw_ini_fail(ini, section, key, "unknown section (known: device, capture, mixer, card)");
        return cw_ini_fail(ini, section, key, "unknown key");
}

int cw_profile_load(const char *path, cw_profile *ret, char **error_message) {
        cw_profile p = { .mode = CW_CAPTURE_SEPARATE };
        int r;

        r = cw_ini_parse(path, handle_key, &p, error_message);
        if (r == 0 && !(p.id = cw_ini_id_from_path(path)))
                r = -ENOMEM;
        if (r < 0) {
                cw_profile_clear(&p);
                return r;
        }
        *ret = p;
        return 0;
}

void cw_profile_clear(cw_profile *p) {
        free(p->id);
        free(p->name);
        cw_ini_free_list(p->compatible, p->n_compatible);
        free(p->dmi_product);
        free(p->local_source);
        free(p->remote_source);
        free(p->mixer_card);
        cw_ini_free_list(p->mixer_controls, p->n_mixer_controls);
        free(p->card_name);
        free(p->card_profile);
        cw_ini_free_list(p->present, p->n_present);
        free(p->notes);
        *p = (cw_profile) { .mode = CW_CAPTURE_SEPARATE };
}

static int load_profile(const char *path, void *ret, char **error_message) {
        return cw_profile_load(path, ret, error_message);
}

int cw_profile_load_id(const char *dir, const char *id, cw_profile *ret, char **error_message) {
        return cw_ini_load_id(dir, id, "profile", load_profile, ret, error_message);
}

static bool profile_has_compatible(const cw_profile *p, const char *compatible) {
        for (size_t i = 0; i < p->n_compatible; i++)
                if (strcmp(p->compatible[i], compatible) == 0)
                        return true;
        return false;
}

static int compare_names(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_profile_file(const struct dirent *entry) {
        size_t len = strlen(entry->d_name);

        return entry->d_name[0] != '.' && len > 5 && strcmp(entry->d_name + len - 5, ".conf") == 0;
}

/* A file that only this kind of phone's system has (the module that makes
 * Droidian's droid card), under root. */
static bool has_present_file(const cw_profile *p, const char *root) {
        bool found = false;

        for (size_t i = 0; i < p->n_present && !found; i++) {
                char *pattern;
                glob_t g;

                if (asprintf(&pattern, "%s%s", !root || strcmp(root, "/") == 0 ? "" : root, p->present[i]) < 0)
                        return false;
                found = glob(pattern, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
                if (found || g.gl_pathv)
                        globfree(&g);
                free(pattern);
        }
        return found;
}

int cw_profile_detect(const char *dir, const cw_device *device, cw_profile *ret, char **error_message) {
        struct dirent **entries = NULL;
        cw_profile best = { 0 };
        size_t best_rank = (size_t) -1;   /* index into device->compatible; lower is more specific */
        bool best_by_dmi = false, best_by_present = false;
        int n, r = 0;

        n = scandir(dir, &entries, is_profile_file, compare_names);
        if (n < 0) {
                r = -errno;
                if (error_message && asprintf(error_message, "%s: %s", dir, strerror(-r)) < 0)
                        *error_message = NULL;
                return r;
        }
        for (int i = 0; i < n; i++) {
                cw_profile p;
                char *path;
                size_t rank = (size_t) -1;
                bool by_dmi, by_present;

                if (asprintf(&path, "%s/%s", dir, entries[i]->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = cw_profile_load(path, &p, error_message);
                free(path);
                if (r < 0)
                        break;   /* a broken installed profile is a bug worth hearing about */
                for (size_t c = 0; c < device->n_compatible && rank == (size_t) -1; c++)
                        if (profile_has_compatible(&p, device->compatible[c]))
                                rank = c;
                by_dmi = rank == (size_t) -1 && p.dmi_product && device->dmi_product &&
                         fnmatch(p.dmi_product, device->dmi_product, 0) == 0;
                by_present = rank == (size_t) -1 && !by_dmi && has_present_file(&p, device->root);
                if (rank < best_rank || (by_dmi && best_rank == (size_t) -1 && !best_by_dmi) ||
                    (by_present && best_rank == (size_t) -1 && !best_by_dmi && !best_by_present)) {
                        cw_profile_clear(&best);
                        best = p;
                        best_rank = rank;
                        best_by_dmi = by_dmi;
                        best_by_present = by_present;
                } else
                        cw_profile_clear(&p);
        }
        for (int i = 0; i < n; i++)
                free(entries[i]);
        free(entries);
        if (r < 0) {
                cw_profile_clear(&best);
                return r;
        }
        if (best_rank == (size_t) -1 && !best_by_dmi && !best_by_present) {
                cw_profile_clear(&best);
                return cw_profile_load_id(dir, CW_PROFILE_GENERIC, ret, error_message);
        }
        *ret = best;
        return 0;
}

static char *read_text_file(const char *root, const char *path, size_t *len_ret) {
        char *full, *text = NULL;
        size_t len = 0;
        FILE *f;

        if (asprintf(&full, "%s%s", strcmp(root, "/") == 0 ? "" : root, path) < 0)
                return NULL;
        f = fopen(full, "re");
        free(full);
        if (!f)
                return NULL;
        text = malloc(4096);
        if (text)
                len = fread(text, 1, 4095, f);
        fclose(f);
        if (text)
                text[len] = '\0';
        if (len_ret)
                *len_ret = len;
        return text;
}

int cw_device_read(const char *root, cw_device *ret) {
        cw_device d = { 0 };
        size_t len = 0;
        char *compatible = read_text_file(root, "/proc/device-tree/compatible", &len);

        /* NUL-separated strings, most specific first. */
        if (compatible) {
                d.compatible = calloc(MAX_DEVICE_COMPATIBLE, sizeof *d.compatible);
                for (size_t pos = 0; d.compatible && pos < len && d.n_compatible < MAX_DEVICE_COMPATIBLE;
                     pos += strlen(compatible + pos) + 1)
                        if (compatible[pos])
                                d.compatible[d.n_compatible++] = strdup(compatible + pos);
                free(compatible);
                if (!d.compatible)
                        return -ENOMEM;
        }
        d.dmi_product = read_text_file(root, "/sys/class/dmi/id/product_name", NULL);
        if (d.dmi_product)
                d.dmi_product[strcspn(d.dmi_product, "\n")] = '\0';
        d.root = strdup(root);
        if (!d.root) {
                cw_device_clear(&d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}

void cw_device_clear(cw_device *d) {
        cw_ini_free_list(d->compatible, d->n_compatible);
        free(d->dmi_product);
        free(d->root);
        *d = (cw_device) { 0 };
}

int cw_profile_select(const char *dir, const char *configured_id, const char *root, cw_profile *ret,
                      char **error_message) {
        cw_device device;
        int r;

        if (configured_id)
                return cw_profile_load_id(dir, configured_id, ret, error_message);
        r = cw_device_read(root, &device);
        if (r < 0)
                return r;
        r = cw_profile_detect(dir, &device, ret, error_message);
        cw_device_clear(&device);
        return r;
}
