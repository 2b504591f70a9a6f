/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pulse/context.h>
#include <pulse/error.h>
#include <pulse/introspect.h>
#include <pulse/subscribe.h>
#include <pulse/timeval.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/card-plan.h"
#include "callwitness/log.h"
#include "card-switch.h"

/* A program that switches the card back every time we switch it (a call
 * audio daemon that owns the card) is not fought for long. */
#define MAX_SWITCHES 5
/* Putting back waits this long for the server at most. */
#define RELEASE_BOUND_USEC (5 * PA_USEC_PER_SEC)
/* While a call goes on, a server that went away is asked again this
 * often: it comes back with its cards in their default profiles. */
#define RECONNECT_USEC PA_USEC_PER_SEC
/* A state file is three short lines. */
#define MAX_STATE_BYTES 1024

struct cw_card_switch {
        pa_mainloop_api *api;
        pa_context *context;
        char *pattern, *want;
        char *card, *previous;     /* the card switched and the profile it had; NULL: not switched */
        char *state_path;
        cw_card_switch_problem problem;
        void *userdata;
        bool releasing, done;
        bool listing, list_again, found;
        unsigned switches;
        char *told;                /* the last problem told */
        bool standing;             /* and it holds: the card is not in want (yet) */
        pa_time_event *bound;
        pa_time_event *reconnect;
};

static void connect_server(cw_card_switch *s);
static void schedule_reconnect(cw_card_switch *s);
static void list_cards(cw_card_switch *s);

static void tell(cw_card_switch *s, const char *message) {
        if (!message || (s->told && strcmp(s->told, message) == 0))
                return;
        free(s->told);
        s->told = strdup(message);
        s->standing = true;
        if (s->problem && !s->releasing)
                s->problem(message, s->userdata);
        else
                cw_log_warning("Card profile: %s", message);
}

static void drop_context(cw_card_switch *s) {
        if (s->reconnect) {
                s->api->time_free(s->reconnect);
                s->reconnect = NULL;
        }
        if (!s->context)
                return;
        pa_context_set_state_callback(s->context, NULL, NULL);
        pa_context_set_subscribe_callback(s->context, NULL, NULL);
        pa_context_disconnect(s->context);
        pa_context_unref(s->context);
        s->context = NULL;
        s->listing = false;
}

/* Released and put back (or nothing to put back): the state file goes. */
static void finish(cw_card_switch *s) {
        if (s->previous)
                unlink(s->state_path);
        s->done = true;
        if (s->bound) {
                s->api->time_free(s->bound);
                s->bound = NULL;
        }
        drop_context(s);
}

static int save_state(const cw_card_switch *s) {
        char *tmp;
        FILE *f;
        int fd, r = 0;

        if (asprintf(&tmp, "%s.tmp", s->state_path) < 0)
                return -ENOMEM;
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        f = fd < 0 ? NULL : fdopen(fd, "w");
        if (!f) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
        }
        else {
                fprintf(f, "%s\n%s\n%s\n", s->card, s->previous, s->want);
                if (fflush(f) != 0 || fsync(fileno(f)) < 0)
                        r = -errno;
                if (fclose(f) != 0 && r == 0)
                        r = -errno;
        }
        if (r == 0 && rename(tmp, s->state_path) < 0)
                r = -errno;
        if (r < 0) {
                cw_log_warning("Cannot keep %s (what to put back if callwitnessd stops mid-call): %s",
                               s->state_path, strerror(-r));
                unlink(tmp);
        }
        free(tmp);
        return r;
}

static void on_switched(pa_context *context, int success, void *userdata) {
        cw_card_switch *s = userdata;
        char *message;

        if (success) {
                cw_log_info("Card %s switched to %s for the call (was %s)", s->card, s->want, s->previous);
                /* A call told it could not be switched is told it is now
                 * (the profile became available once the call was up). */
                if (s->told && asprintf(&message, "the card %s is in %s from here on", s->card, s->want) >= 0) {
                        tell(s, message);
                        free(message);
                }
                s->standing = false;
                return;
        }
        if (asprintf(&message, "the card %s could not be switched to %s: %s; the call may not be captured",
                     s->card, s->want, pa_strerror(pa_context_errno(context))) >= 0) {
                tell(s, message);
                free(message);
        }
}

static void on_put_back(pa_context *context, int success, void *userdata) {
        cw_card_switch *s = userdata;

        if (!s->releasing) {   /* a call came meanwhile: switched again */
                list_cards(s);
                return;
        }
        if (success)
                cw_log_info("Card %s put back in %s", s->card, s->previous);
        else
                cw_log_warning("Card %s could not be put back in %s: %s", s->card, s->previous,
                               pa_strerror(pa_context_errno(context)));
        finish(s);
}

/* The card as card-plan.h sees it: the profiles available now. */
static void decide(cw_card_switch *s, const pa_card_info *info) {
        const char **profiles = calloc(info->n_profiles + 1, sizeof *profiles);
        cw_card card = { .name = info->name, .active = info->active_profile2 ? info->active_profile2->name : NULL,
                         .profiles = profiles };
        char *message = NULL;
        pa_operation *o = NULL;
        cw_card_step step;

        if (!profiles)
                return;
        for (uint32_t i = 0; i < info->n_profiles; i++)
                if (info->profiles2[i]->available)   /* 0: it makes no sense to try it */
                        profiles[card.n_profiles++] = info->profiles2[i]->name;
        if (s->releasing) {
                step = cw_card_release(&card, s->want, s->previous, &message);
                if (step == CW_CARD_SET)
                        o = pa_context_set_card_profile_by_name(s->context, info->name, s->previous, on_put_back, s);
                else {
                        if (message)
                                cw_log_warning("Card profile: %s", message);
                        finish(s);
                }
        } else {
                step = cw_card_engage(&card, s->want, &message);
                if (step == CW_CARD_NOTHING)
                        s->standing = false;   /* in it already */
                else if (step == CW_CARD_REFUSED)
                        tell(s, message);
                else if (step == CW_CARD_SET && s->switches >= MAX_SWITCHES) {
                        free(message);
                        if (asprintf(&message, "another program keeps switching the card %s away from %s; it is "
                                               "left in %s, and the call may not be captured",
                                     info->name, s->want, card.active ? card.active : "no profile") < 0)
                                message = NULL;
                        tell(s, message);
                } else if (step == CW_CARD_SET) {
                        if (!s->previous) {
                                s->card = strdup(info->name);
                                s->previous = strdup(card.active ? card.active : "off");
                                if (!s->card || !s->previous) {
                                        free(s->card);
                                        free(s->previous);
                                        s->card = s->previous = NULL;
                                        free(profiles);
                                        return;
                                }
                                save_state(s);
                        }
                        s->switches++;
                        o = pa_context_set_card_profile_by_name(s->context, info->name, s->want, on_switched, s);
                }
        }
        if (o)
                pa_operation_unref(o);
        free(message);
        free(profiles);
}


static void on_card(pa_context *context, const pa_card_info *info, int eol, void *userdata) {
        cw_card_switch *s = userdata;
        char *message;

        if (eol == 0) {
                /* Once switched, that card and no other: a pattern may match
                 * another card once the first goes. */
                cw_card one = { .name = info->name };

                if (!s->found && info->name &&
                    (s->card ? strcmp(s->card, info->name) == 0 : cw_card_find(&one, 1, s->pattern) != NULL)) {
                        s->found = true;
                        decide(s, info);
                }
                return;
        }
        s->listing = false;
        if (s->done)
                return;
        if (!s->found) {
                if (s->releasing)
                        finish(s);   /* the card is gone: nothing to put back */
                else if ((s->card ? asprintf(&message, "the card %s went away; the call is captured from the "
                                                       "sources as they are", s->card)
                                  : asprintf(&message, "no sound card matches '%s', so it cannot be switched to %s; "
                                                       "the call is captured from the sources as they are",
                                             s->pattern, s->want)) >= 0) {
                        tell(s, message);
                        free(message);
                }
        }
        if (s->list_again) {
                s->list_again = false;
                list_cards(s);
        }
}

static void list_cards(cw_card_switch *s) {
        pa_operation *o;

        if (s->listing) {
                s->list_again = true;   /* changed while we were asking */
                return;
        }
        s->found = false;
        o = pa_context_get_card_info_list(s->context, on_card, s);
        if (o) {
                s->listing = true;
                pa_operation_unref(o);
        }
}

static void on_card_event(pa_context *context, pa_subscription_event_type_t event, uint32_t index, void *userdata) {
        cw_card_switch *s = userdata;

        if ((event & PA_SUBSCRIPTION_EVENT_FACILITY_MASK) == PA_SUBSCRIPTION_EVENT_CARD &&
            (event & PA_SUBSCRIPTION_EVENT_TYPE_MASK) != PA_SUBSCRIPTION_EVENT_REMOVE && !s->releasing)
                list_cards(s);
}

static void on_context_state(pa_context *context, void *userdata) {
        cw_card_switch *s = userdata;
        pa_operation *o;

        switch (pa_context_get_state(context)) {
        case PA_CONTEXT_READY:
                if (!s->releasing) {
                        pa_context_set_subscribe_callback(context, on_card_event, s);
                        if ((o = pa_context_subscribe(context, PA_SUBSCRIPTION_MASK_CARD, NULL, NULL)))
                                pa_operation_unref(o);
                }
                list_cards(s);
                break;
        case PA_CONTEXT_FAILED:
        case PA_CONTEXT_TERMINATED:
                /* The capture tells the calls when the server is away; a
                 * switch not put back stays in its state file. While the
                 * call goes on, the card is switched again once the server
                 * is back. */
                cw_log_warning("Card profile: the sound server went away");
                drop_context(s);
                if (s->releasing) {
                        s->done = true;
                        if (s->bound) {
                                s->api->time_free(s->bound);
                                s->bound = NULL;
                        }
                } else
                        schedule_reconnect(s);
                break;
        default:
                break;
        }
}

static void on_reconnect(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        cw_card_switch *s = userdata;

        api->time_free(e);
        s->reconnect = NULL;
        connect_server(s);
}

static void schedule_reconnect(cw_card_switch *s) {
        struct timeval tv;

        if (s->reconnect)
                return;
        pa_gettimeofday(&tv);
        pa_timeval_add(&tv, RECONNECT_USEC);
        s->reconnect = s->api->time_new(s->api, &tv, on_reconnect, s);
}

static void connect_server(cw_card_switch *s) {
        s->context = pa_context_new(s->api, "callwitness card switch");
        if (!s->context) {
                cw_log_warning("Card profile: cannot create a sound server connection");
                return;
        }
        pa_context_set_state_callback(s->context, on_context_state, s);
        if (pa_context_connect(s->context, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0) {
                drop_context(s);
                if (!s->releasing)
                        schedule_reconnect(s);
        }
}

static cw_card_switch *new_switch(pa_mainloop_api *api, const char *pattern, const char *want,
                                  const char *state_path) {
        cw_card_switch *s = calloc(1, sizeof *s);

        if (!s)
                return NULL;
        s->api = api;
        s->pattern = strdup(pattern);
        s->want = strdup(want);
        s->state_path = strdup(state_path);
        if (!s->pattern || !s->want || !s->state_path)
                return cw_card_switch_free(s);
        return s;
}

int cw_card_switch_engage(pa_mainloop_api *api, const char *card_pattern, const char *profile,
                          const char *state_path, cw_card_switch_problem problem, void *userdata,
                          cw_card_switch **ret) {
        cw_card_switch *s = new_switch(api, card_pattern, profile, state_path);

        if (!s)
                return -ENOMEM;
        s->problem = problem;
        s->userdata = userdata;
        connect_server(s);
        *ret = s;
        return 0;
}

static void on_bound(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        cw_card_switch *s = userdata;

        cw_log_warning("Card profile: the sound server did not answer; %s is put back at the next start",
                       s->card ? s->card : "the card");
        api->time_free(e);
        s->bound = NULL;
        drop_context(s);
        s->done = true;
}

static void start_release(cw_card_switch *s) {
        struct timeval tv;

        s->releasing = true;
        if (!s->previous) {
                finish(s);   /* never switched */
                return;
        }
        pa_gettimeofday(&tv);
        pa_timeval_add(&tv, RELEASE_BOUND_USEC);
        s->bound = s->api->time_new(s->api, &tv, on_bound, s);
        if (s->context && pa_context_get_state(s->context) == PA_CONTEXT_READY)
                list_cards(s);
        else if (!s->context)
                connect_server(s);
        /* else: connecting; listed once ready */
}

void cw_card_switch_release(cw_card_switch *s) {
        if (s && !s->releasing)
                start_release(s);
}

/* One line of a state file: printable, ending in a newline. */
static char *state_line(char **pos) {
        char *line = *pos, *end = strchr(line, '\n');

        if (!end || end == line)
                return NULL;
        *end = '\0';
        for (char *p = line; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return NULL;
        *pos = end + 1;
        return line;
}

cw_card_switch *cw_card_switch_restore_saved(pa_mainloop_api *api, const char *state_path) {
        char text[MAX_STATE_BYTES + 1], *pos = text, *card, *previous, *want;
        cw_card_switch *s;
        struct stat st;
        ssize_t n = -1;
        int fd;

        /* Not a FIFO that would hold the start, nor a link elsewhere. */
        fd = open(state_path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT)
                        cw_log_warning("%s cannot be read (%s); the card it names is left as it is", state_path,
                                       strerror(errno));
                return NULL;
        }
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= MAX_STATE_BYTES)
                n = read(fd, text, MAX_STATE_BYTES);
        close(fd);
        if (n >= 0)
                text[n] = '\0';
        if (n < 0 || (size_t) n != strlen(text) || !(card = state_line(&pos)) || !(previous = state_line(&pos)) ||
            !(want = state_line(&pos))) {
                cw_log_warning("%s is damaged; the card it names is left as it is", state_path);
                unlink(state_path);
                return NULL;
        }
        cw_log_warning("Card %s was left in %s by a callwitnessd that stopped during a call; putting it back in %s",
                       card, want, previous);
        s = new_switch(api, card, want, state_path);
        if (!s)
                return NULL;
        s->card = strdup(card);
        s->previous = strdup(previous);
        if (!s->card || !s->previous)
                return cw_card_switch_free(s);
        start_release(s);
        return s;
}

/* A call came while the card was being put back: it stays switched, and
 * what it had before the first call is still what goes back. */
bool cw_card_switch_resume(cw_card_switch *s, const char *profile, cw_card_switch_problem problem, void *userdata) {
        pa_operation *o;

        if (!s || s->done || !s->previous || strcmp(s->want, profile) != 0)
                return false;
        s->releasing = false;
        s->problem = problem;
        s->userdata = userdata;
        s->switches = 0;
        if (s->bound) {
                s->api->time_free(s->bound);
                s->bound = NULL;
        }
        if (s->context && pa_context_get_state(s->context) == PA_CONTEXT_READY) {
                pa_context_set_subscribe_callback(s->context, on_card_event, s);
                if ((o = pa_context_subscribe(s->context, PA_SUBSCRIPTION_MASK_CARD, NULL, NULL)))
                        pa_operation_unref(o);
                list_cards(s);
        } else if (!s->context)
                connect_server(s);
        return true;
}

char *cw_card_switch_standing_problem(const cw_card_switch *s) {
        return s && s->standing && s->told && !s->releasing ? strdup(s->told) : NULL;
}

cw_card_switch *cw_card_switch_free(cw_card_switch *s) {
        if (!s)
                return NULL;
        drop_context(s);
        if (s->bound)
                s->api->time_free(s->bound);
        free(s->pattern);
        free(s->want);
        free(s->card);
        free(s->previous);
        free(s->state_path);
        free(s->told);
        free(s);
        return NULL;
}
