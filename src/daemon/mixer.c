/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <alsa/asoundlib.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/log.h"
#include "mixer.h"

typedef struct saved_control {
        snd_ctl_elem_value_t *before;   /* also holds the element id */
} saved_control;

struct cw_mixer {
        snd_ctl_t *ctl;
        saved_control *saved;
        size_t n_saved;
};

static int open_card(const char *card, snd_ctl_t **ret) {
        char *device;
        int r;

        /* A control device name ("pulse", "hw:0") first, then a card id. */
        if (snd_ctl_open(ret, card, 0) == 0)
                return 0;
        if (asprintf(&device, "hw:CARD=%s", card) < 0)
                return -ENOMEM;
        r = snd_ctl_open(ret, device, 0);
        free(device);
        return r;
}

/* Switches one control on; on success its previous value goes to saved. */
static int engage_one(snd_ctl_t *ctl, const char *name, saved_control *saved) {
        snd_ctl_elem_info_t *info;
        snd_ctl_elem_value_t *value;
        snd_ctl_elem_type_t type;
        int r;

        snd_ctl_elem_info_alloca(&info);
        snd_ctl_elem_info_set_interface(info, SND_CTL_ELEM_IFACE_MIXER);
        snd_ctl_elem_info_set_name(info, name);
        r = snd_ctl_elem_info(ctl, info);
        if (r < 0)
                return r;
        type = snd_ctl_elem_info_get_type(info);
        if (type != SND_CTL_ELEM_TYPE_BOOLEAN && type != SND_CTL_ELEM_TYPE_INTEGER)
                return -EMEDIUMTYPE;

        r = snd_ctl_elem_value_malloc(&saved->before);
        if (r < 0)
                return r;
        snd_ctl_elem_value_set_interface(saved->before, SND_CTL_ELEM_IFACE_MIXER);
        snd_ctl_elem_value_set_name(saved->before, name);
        r = snd_ctl_elem_read(ctl, saved->before);
        if (r < 0)
                goto fail;

        snd_ctl_elem_value_alloca(&value);
        snd_ctl_elem_value_copy(value, saved->before);
        for (unsigned i = 0; i < snd_ctl_elem_info_get_count(info); i++) {
                if (type == SND_CTL_ELEM_TYPE_BOOLEAN)
                        snd_ctl_elem_value_set_boolean(value, i, 1);
                else
                        snd_ctl_elem_value_set_integer(value, i, 1);
        }
        r = snd_ctl_elem_write(ctl, value);
        if (r >= 0)
                return 0;
fail:
        snd_ctl_elem_value_free(saved->before);
        saved->before = NULL;
        return r;
}

int cw_mixer_engage(const char *card, char *const *controls, size_t n_controls, cw_mixer **ret,
                    char **error_message) {
        cw_mixer *m = calloc(1, sizeof *m);
        char *problems = NULL;
        int r;

        if (!m || !(m->saved = calloc(n_controls ? n_controls : 1, sizeof *m->saved))) {
                free(m);
                return -ENOMEM;
        }
        r = open_card(card, &m->ctl);
        if (r < 0) {
                if (error_message && asprintf(error_message, "cannot open ALSA card '%s': %s", card,
                                              snd_strerror(r)) < 0)
                        *error_message = NULL;
                free(m->saved);
                free(m);
                return r;
        }
        for (size_t i = 0; i < n_controls; i++) {
                r = engage_one(m->ctl, controls[i], &m->saved[m->n_saved]);
                if (r == 0) {
                        m->n_saved++;
                        continue;
                }
                /* Control names vary between kernels; say which one is
                 * missing and switch the rest. */
                char *more;

                if (asprintf(&more, "%s%s'%s' on '%s': %s", problems ? problems : "", problems ? "; " : "",
                             controls[i], card, r == -EMEDIUMTYPE ? "not a switch" : snd_strerror(r)) >= 0) {
                        free(problems);
                        problems = more;
                }
        }
        if (error_message)
                *error_message = problems;
        else
                free(problems);
        *ret = m;
        return 0;
}

cw_mixer *cw_mixer_restore(cw_mixer *m) {
        if (!m)
                return NULL;
        /* In reverse: a later control may depend on an earlier route. */
        for (size_t i = m->n_saved; i-- > 0;) {
                int r = snd_ctl_elem_write(m->ctl, m->saved[i].before);

                if (r < 0)
                        cw_log_warning("Could not restore mixer control '%s': %s",
                                       snd_ctl_elem_value_get_name(m->saved[i].before), snd_strerror(r));
                snd_ctl_elem_value_free(m->saved[i].before);
        }
        snd_ctl_close(m->ctl);
        free(m->saved);
        free(m);
        return NULL;
}
