/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <pulse/context.h>
#include <pulse/error.h>
#include <pulse/introspect.h>
#include <pulse/subscribe.h>
#include <pulse/timeval.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/card-plan.h"
#include "callwitness/log.h"
#include "card-switch.h"

/* A program that switches the card back every time we switch it (a call
 * audio daemon that owns the card) is not fought for long. */
#define MAX_SWITCHES 5
/* Putting back waits this long for the server at most. */
#define RELEASE_BOUND_USEC (5 * PA_USEC_PER_SEC)

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
        pa_time_event *bound;
};

static void connect_server(cw_card_switch *s);

static void tell(cw_card_switch *s, const char *message) {
        if (!message || (s->told && strcmp(s->told, message) == 0))
                return;
        free(s->told);
        s->told = strdup(message);
        if (s->problem && !s->releasing)
                s->problem(message, s->userdata);
        else
                cw_log_warning("Card profile: %s", message);
}

static void drop_context(cw_card_switch *s) {
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
        int r = 0;

        if (asprintf(&tmp, "%s.tmp", s->state_path) < 0)
                return -ENOMEM;
        f = fopen(tmp, "we");
        if (!f)
                r = -errno;
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
                if (step == CW_CARD_REFUSED)
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

static void list_cards(cw_card_switch *s);

static void on_card(pa_context *context, const pa_card_info *info, int eol, void *userdata) {
        cw_card_switch *s = userdata;
        char *message;

        if (eol == 0) {
                cw_card one = { .name = info->name };

                if (!s->found && cw_card_find(&one, 1, s->releasing && s->card ? s->card : s->pattern)) {
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
                else if (asprintf(&message, "no sound card matches '%s', so it cannot be switched to %s; the "
                                            "call is captured from the sources as they are", s->pattern, s->want) >= 0) {
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
                 * switch not put back stays in its state file. */
                cw_log_warning("Card profile: the sound server went away");
                drop_context(s);
                if (s->releasing) {
                        s->done = true;
                        if (s->bound) {
                                s->api->time_free(s->bound);
                                s->bound = NULL;
                        }
                }
                break;
        default:
                break;
        }
}

static void connect_server(cw_card_switch *s) {
        s->context = pa_context_new(s->api, "callwitness card switch");
        if (!s->context) {
                cw_log_warning("Card profile: cannot create a sound server connection");
                return;
        }
        pa_context_set_state_callback(s->context, on_context_state, s);
        if (pa_context_connect(s->context, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
                drop_context(s);
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

cw_card_switch *cw_card_switch_restore_saved(pa_mainloop_api *api, const char *state_path) {
        char card[256] = "", previous[256] = "", want[256] = "";
        cw_card_switch *s;
        FILE *f = fopen(state_path, "re");

        if (!f)
                return NULL;
        if (!fgets(card, sizeof card, f) || !fgets(previous, sizeof previous, f) || !fgets(want, sizeof want, f)) {
                fclose(f);
                cw_log_warning("%s is damaged; the card it names is left as it is", state_path);
                unlink(state_path);
                return NULL;
        }
        fclose(f);
        card[strcspn(card, "\n")] = previous[strcspn(previous, "\n")] = want[strcspn(want, "\n")] = '\0';
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

bool cw_card_switch_done(const cw_card_switch *s) {
        return !s || s->done;
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
