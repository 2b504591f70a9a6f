/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <alsa/asoundlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/log.h"
#include "callwitness/paths.h"
#include "mixer.h"

#define MAX_CHANNELS 32

typedef struct saved_control {
        char *name;
        bool boolean;
        unsigned channels;
        long before[MAX_CHANNELS];
} saved_control;

struct cw_mixer {
        snd_ctl_t *ctl;
        saved_control *saved;
        size_t n_saved;
        char *state_path;
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

/* Reads one control's current value into saved. */
static int read_control(snd_ctl_t *ctl, const char *name, saved_control *saved) {
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
        saved->boolean = type == SND_CTL_ELEM_TYPE_BOOLEAN;
        saved->channels = snd_ctl_elem_info_get_count(info);
        if (saved->channels > MAX_CHANNELS)
                saved->channels = MAX_CHANNELS;
        snd_ctl_elem_value_alloca(&value);
        snd_ctl_elem_value_set_interface(value, SND_CTL_ELEM_IFACE_MIXER);
        snd_ctl_elem_value_set_name(value, name);
        r = snd_ctl_elem_read(ctl, value);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < saved->channels; i++)
                saved->before[i] = saved->boolean ? snd_ctl_elem_value_get_boolean(value, i)
                                                  : snd_ctl_elem_value_get_integer(value, i);
        saved->name = strdup(name);
        return saved->name ? 0 : -ENOMEM;
}

/* Sets every channel of a control: to on (1), or to values. */
static int write_control(snd_ctl_t *ctl, const saved_control *c, const long *values) {
        snd_ctl_elem_value_t *value;

        snd_ctl_elem_value_alloca(&value);
        snd_ctl_elem_value_set_interface(value, SND_CTL_ELEM_IFACE_MIXER);
        snd_ctl_elem_value_set_name(value, c->name);
        for (unsigned i = 0; i < c->channels; i++) {
                long v = values ? values[i] : 1;

                if (c->boolean)
                        snd_ctl_elem_value_set_boolean(value, i, v);
                else
                        snd_ctl_elem_value_set_integer(value, i, v);
        }
        return snd_ctl_elem_write(ctl, value);
}

/* The state file: the card on the first line, then one control a line,
 * "b|i<TAB>value,value…<TAB>name", the values as read before the call.
 * Written (and synced) before any control is switched, removed once all
 * are back: a daemon that dies mid-call leaves it for its next start,
 * which must not take "on" for the value to restore. */
static int save_state(const char *path, const char *card, const cw_mixer *m) {
        char *tmp;
        FILE *f;
        int r = 0;

        if (asprintf(&tmp, "%s.new", path) < 0)
                return -ENOMEM;
        f = fopen(tmp, "we");
        if (!f) {
                r = -errno;
                free(tmp);
                return r;
        }
        fprintf(f, "%s\n", card);
        for (size_t i = 0; i < m->n_saved; i++) {
                fprintf(f, "%c\t", m->saved[i].boolean ? 'b' : 'i');
                for (unsigned ch = 0; ch < m->saved[i].channels; ch++)
                        fprintf(f, "%s%ld", ch ? "," : "", m->saved[i].before[ch]);
                fprintf(f, "\t%s\n", m->saved[i].name);
        }
        if (fflush(f) != 0 || fsync(fileno(f)) < 0)
                r = -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        else
                r = cw_paths_sync_parent(path);
        free(tmp);
        return r;
}

static void append_problem(char **problems, const char *card, const char *control, const char *what) {
        char *more;

        if (asprintf(&more, "%s%s'%s' on '%s': %s", *problems ? *problems : "", *problems ? "; " : "", control, card,
                     what) >= 0) {
                free(*problems);
                *problems = more;
        }
}

static cw_mixer *mixer_free(cw_mixer *m) {
        for (size_t i = 0; i < m->n_saved; i++)
                free(m->saved[i].name);
        if (m->ctl)
                snd_ctl_close(m->ctl);
        free(m->saved);
        free(m->state_path);
        free(m);
        return NULL;
}

int cw_mixer_engage(const char *card, char *const *controls, size_t n_controls, const char *state_path,
                    cw_mixer **ret, char **error_message) {
        cw_mixer *m = calloc(1, sizeof *m);
        char *problems = NULL;
        int r;

        if (!m || !(m->saved = calloc(n_controls ? n_controls : 1, sizeof *m->saved)) ||
            !(m->state_path = strdup(state_path))) {
                if (m)
                        mixer_free(m);
                return -ENOMEM;
        }
        r = open_card(card, &m->ctl);
        if (r < 0) {
                if (error_message && asprintf(error_message, "cannot open ALSA card '%s': %s", card,
                                              snd_strerror(r)) < 0)
                        *error_message = NULL;
                mixer_free(m);
                return r;
        }
        for (size_t i = 0; i < n_controls; i++) {
                r = read_control(m->ctl, controls[i], &m->saved[m->n_saved]);
                if (r == 0)
                        m->n_saved++;
                else    /* names vary between kernels: say which one is missing, switch the rest */
                        append_problem(&problems, card, controls[i], r == -EMEDIUMTYPE ? "not a switch" : snd_strerror(r));
        }
        r = save_state(m->state_path, card, m);
        if (r < 0)
                append_problem(&problems, card, m->state_path, "cannot keep what to restore after a crash");
        for (size_t i = 0; i < m->n_saved; i++)
                if ((r = write_control(m->ctl, &m->saved[i], NULL)) < 0)
                        append_problem(&problems, card, m->saved[i].name, snd_strerror(r));
        if (error_message)
                *error_message = problems;
        else
                free(problems);
        *ret = m;
        return 0;
}

cw_mixer *cw_mixer_restore(cw_mixer *m) {
        bool all_back = true;

        if (!m)
                return NULL;
        /* In reverse: a later control may depend on an earlier route. */
        for (size_t i = m->n_saved; i-- > 0;) {
                int r = write_control(m->ctl, &m->saved[i], m->saved[i].before);

                if (r < 0) {
                        all_back = false;
                        cw_log_warning("Could not restore mixer control '%s': %s", m->saved[i].name, snd_strerror(r));
                }
        }
        if (all_back)
                unlink(m->state_path);
        return mixer_free(m);
}

int cw_mixer_restore_saved(const char *state_path, char **error_message) {
        char *line = NULL, *card = NULL, *problems = NULL;
        size_t size = 0;
        cw_mixer *m;
        ssize_t n;
        struct stat st;
        /* Not a FIFO that would hold the start, nor a link elsewhere. */
        int fd = open(state_path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC), r = 0;
        FILE *f = NULL;

        *error_message = NULL;
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
                close(fd);
                unlink(state_path);
                return -EBADMSG;
        }
        if ((n = getline(&card, &size, f)) <= 1 || !(m = calloc(1, sizeof *m))) {
                fclose(f);
                free(card);
                unlink(state_path);   /* unreadable: nothing it says can be restored */
                return -EBADMSG;
        }
        card[n - 1] = '\0';
        r = open_card(card, &m->ctl);
        size = 0;
        while (r >= 0 && (n = getline(&line, &size, f)) > 0) {
                saved_control c = { .channels = 0 };
                char *values, *name, *end;

                line[strcspn(line, "\n")] = '\0';
                if ((line[0] != 'b' && line[0] != 'i') || line[1] != '\t' || !(name = strchr(line + 2, '\t')))
                        continue;
                *name++ = '\0';
                c.boolean = line[0] == 'b';
                c.name = name;
                for (values = line + 2; *values && c.channels < MAX_CHANNELS; values = end + (*end == ',')) {
                        c.before[c.channels++] = strtol(values, &end, 10);
                        if (end == values)
                                break;
                }
                if (write_control(m->ctl, &c, c.before) < 0)
                        append_problem(&problems, card, name, "cannot be restored");
        }
        fclose(f);
        free(line);
        if (r < 0)
                append_problem(&problems, card, "(card)", snd_strerror(r));
        else
                r = 1;
        mixer_free(m);
        free(card);
        if (!problems)
                unlink(state_path);
        *error_message = problems;
        return problems ? -EIO : r;
}
