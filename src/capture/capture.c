/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <pulse/context.h>
#include <pulse/error.h>
#include <pulse/introspect.h>
#include <pulse/rtclock.h>
#include <pulse/stream.h>
#include <pulse/subscribe.h>
#include <pulse/timeval.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "callwitness/log.h"
#include "capture.h"
#include "source-match.h"

enum { SIDE_LOCAL, SIDE_REMOTE, N_SIDES };

/* Per side: room for what one side can run ahead of the other while the
 * loop catches up after a stall (the rest waits in the server). */
#define SIDE_CAPACITY (4 * CW_CAPTURE_RATE)
/* Before the recording starts, only this much is kept. */
#define UNMARKED_KEEP (CW_CAPTURE_RATE / 2)
/* Frames handed to the sink per call. */
#define CHUNK 4800
/* While a call rings, small fragments: the instant of the answer is placed
 * within one of them. Once recording, large ones: a recorder has no
 * latency to meet, and two streams at 500 ms wake the daemon about four
 * times a second while the audio still reaches the file within one. */
#define RINGING_FRAGMENT_MS 50
#define RECORDING_FRAGMENT_MS 500
/* What the server sends: 16-bit, as the cards and the modem's voice path
 * deliver it. pipewire-pulse sends a fragment through the socket in pieces
 * of at most 64 KiB, each a wake-up: 500 ms of float is 96 kB (two), of
 * 16-bit 48 kB (one). */
typedef int16_t stream_sample;
/* A side that delivered nothing for this long before the answer had not
 * started (a source waking late): it is placed by its first audio. */
#define NOT_DELIVERING_USEC (250 * PA_USEC_PER_MSEC)
#define RECONNECT_USEC PA_USEC_PER_SEC
/* Reads more than this apart mean the loop stalled (a slow disk, SIGSTOP):
 * then every stream has a backlog, handed over one stream after another,
 * and a stream that has not caught up yet is not a stream that stopped. */
#define STALL_USEC PA_USEC_PER_SEC
#define SETTLE_USEC PA_USEC_PER_SEC
/* A sound card runs on its own clock, a little fast or slow against the
 * phone's monotonic clock that the timeline follows; two cards (the codec's
 * microphone, the modem's audio) drift apart by their difference, 0.1 %
 * being 0.6 s in ten minutes. How late a stream's newest sample arrives
 * varies with every read, but its lowest lateness over a window moves only
 * with the stream's clock: against the first window's, it is the drift. Each
 * side is resampled to the timeline by what its drift says: the rate of the
 * drift so far, plus what is still off since the side was placed, spread
 * over the next window. */
#define DRIFT_WINDOW_USEC (5 * PA_USEC_PER_SEC)
#define DRIFT_WINDOW_FRAMES (5 * CW_CAPTURE_RATE)
/* At most this much stretch (a card 5 % off is broken, not drifting). */
#define MAX_STRETCH 0.05
/* A drift worth telling the person reviewing the call. */
#define DRIFT_TELL 0.0005
/* A window whose lateness moved this much more than the drift says is no
 * clock: a stream that paused (audio that never came) or a delivery delay
 * that changed. Its step is not drift. */
#define DRIFT_STEP_FRAMES (CW_CAPTURE_RATE / 5)
/* The drift rate is the median of the last windows' rates: one odd window
 * does not move it. */
#define DRIFT_HISTORY 7
/* A source that loses audio (an overrun in the card, a sound server starved
 * of the CPU) goes on with audio captured later than the frames before it
 * say: read as if continuous, everything after the loss would be early by
 * its length. A read whose newest sample comes more than DRIFT_STEP_FRAMES
 * later than the median of the last deliveries on time is held back, not
 * written. A later delivery on time says it was only delivered late (after
 * a stall the backlog comes at once, and the next fragment on time). Still
 * late after PAUSE_CONFIRM_USEC and at least LOSS_READS deliveries, the
 * last of them as late as each other, it followed a loss: silence of the
 * loss's length goes in before it. Lateness that keeps moving (a server
 * settling its latency) is held at most HOLD_MAX_USEC, then taken as
 * delivered late. The median, not the lowest: a monitor hands out audio
 * early, by as much as its sink's latency, which changes when a stream's
 * does. */
#define PAUSE_CONFIRM_USEC (1200 * PA_USEC_PER_MSEC)
/* The server hands a fragment over in pieces, each a read of its own, back
 * to back: all but the last look late by what the later ones bring. Reads
 * this close are one delivery, and only its last read says how late the
 * stream is; that is what is remembered and judged (a delivery split by a
 * slow moment of ours only looks late once, never as a loss). */
#define DELIVERY_GAP_USEC (10 * PA_USEC_PER_MSEC)
/* A server that sends small pieces without pause still ends a delivery
 * this often: each is judged. */
#define DELIVERY_MAX_USEC (100 * PA_USEC_PER_MSEC)
#define HOLD_MAX_USEC (2 * PA_USEC_PER_SEC)
/* A side placed anew asks the server when its newest sample was captured
 * (on_clock); the answer is awaited this long, and believed within these
 * bounds: a monitor hands out audio up to its sink's latency before it is
 * played, and a backlog is never older than the ring and the server's
 * queue hold. */
#define CLOCK_WAIT_USEC PA_USEC_PER_SEC
#define CLOCK_EARLY_MS 1000.0
#define CLOCK_LATE_MS 30000.0
#define CLOCK_BACKLOG_MS 200.0
#define LOSS_READS 3
#define ON_TIME_READS 8
/* A card switching to its call profile (WirePlumber's modem module,
 * callaudiod) removes its sources and makes them anew under other names,
 * within a few hundred milliseconds: a side whose source went away follows
 * one like it (its name or pattern, or the default that appeared with the
 * switch), and is told lost only if none came within this long. */
#define FOLLOW_GRACE_USEC (2 * PA_USEC_PER_SEC)
/* The sources and sinks that appeared lately, by name, kept this long: a
 * side that records the default follows only to a default that is new,
 * never to a device that was there before (the speaker's monitor when the
 * call sink went away, or the microphone for the other party). At most
 * MAX_APPEARED, the oldest going first. */
#define APPEARED_KEEP_USEC (10 * PA_USEC_PER_SEC)
#define MAX_APPEARED 256
/* Sources a side tried to follow to that refused its stream (or went at
 * once), each loss: then it gives up until another appears. */
#define MAX_REFUSED 4
/* A stream its source ends this soon after it started, this many times in
 * a row (a policy daemon killing it, a source that comes and goes): the
 * side is followed again only after a wait, doubled each time up to the
 * last. */
#define QUICK_LOSS_USEC PA_USEC_PER_SEC
#define MAX_QUICK_LOSSES 3
#define RETRY_FIRST_USEC PA_USEC_PER_SEC
#define RETRY_MAX_USEC (4 * PA_USEC_PER_SEC)

static const char *const side_names[N_SIDES] = { "the phone's own side", "the other party's side" };
static const char *const stream_names[N_SIDES] = { "local", "remote" };

typedef struct side {
        cw_capture *capture;
        pa_stream *stream;
        float *samples;
        size_t fill;
        uint64_t appended;         /* frames put into samples since the stream began */
        uint64_t read_frames;      /* stream frames read (the stream's clock counts them) */
        pa_usec_t last_arrival;    /* monotonic; 0: nothing yet */
        bool placed;
        int64_t offset;            /* timeline frame = appended frame + offset */
        /* The drift watch, since the side was placed: the lowest lateness
         * (frames) of the current window and of the first (the baseline),
         * each with when it was seen and the stretch made up by then; the
         * drift at the previous window; steps taken out of it. */
        pa_usec_t placed_at, window_start, lowest_at, baseline_at, previous_at;
        int64_t lowest, baseline;
        double lowest_stretched, baseline_stretched, previous_drift, steps;
        unsigned windows;          /* complete windows */
        /* The stream's clock, kept when it is placed again: the last
         * windows' drift rates, the stretch (frames added per frame). */
        double rates[DRIFT_HISTORY];
        unsigned n_rates;
        double stretch, stretched, fraction;
        bool drift_told;           /* since the mark */
        /* The last reads' lateness (frames) found on time; audio held back
         * as late: from which stream frame, since when, the lateness of its
         * last reads. */
        double on_time[ON_TIME_READS];
        unsigned n_on_time;
        bool held;
        uint64_t held_from;
        pa_usec_t held_since;
        double held_lateness[LOSS_READS];
        unsigned n_held;
        /* The delivery in progress: its first and last read's arrival (0:
         * none yet), the lateness at its last read; placed by its first
         * delivery, which is not written before it is complete. */
        pa_usec_t delivery_first, delivery_at;
        double delivery_lateness;
        bool placing;
        /* While placing: the stream's own clock asked when its newest
         * sample was captured (NULL: not asked, or answered). */
        pa_operation *clock_asked;
        pa_usec_t clock_asked_at;
        /* Placed at now by unblock() while it sent nothing: when its audio
         * comes back, that audio is placed by when it comes, not right
         * after the moment unblock() chose. */
        bool stopped;
        /* The stream reached READY; the source it records (or recorded
         * last). Following: no stream, waiting for a source like it, since
         * lost_at (0: it never had one); grace: the loss not told yet. */
        bool ready;
        pa_usec_t connected_at, ready_at;
        uint64_t appended_at_connect;
        char *device;
        bool following;
        pa_usec_t lost_at;
        pa_time_event *grace;
        /* A query for a source in flight (and another wanted after it); the
         * best candidate of the list being read (one that appeared since the
         * loss first); the sources that refused the stream since the loss. */
        bool asking, ask_again, best_new;
        char *best;
        char *refused[MAX_REFUSED];
        unsigned n_refused;
        unsigned quick_losses;
        pa_time_event *retry;
        /* The switch to a new source, told once the new stream is placed:
         * where the old one's audio ended on the timeline (INT64_MIN:
         * unknown) and what it recorded from. */
        int64_t lost_frame;
        bool switch_pending;
        pa_usec_t switch_lost_at;
        char *switched_from;
} side;

/* A failure that lasts until something comes back (the sound server, a
 * source): a call that starts while it lasts is told it too, not only the
 * calls there were when it began. */
typedef struct standing {
        unsigned sides;            /* CW_CAPTURE_SIDE_*; 0: none */
        char kind[16];
        char message[512];
} standing;

/* The standing failures: one per side, and the sound server's. */
enum { STANDING_SERVER = N_SIDES, N_STANDING };

struct cw_capture {
        pa_mainloop_api *api;
        pa_context *context;
        cw_capture_mode mode;
        unsigned n_sides;          /* 2 for separate, 1 for mixed and local-only */
        char *configured[N_SIDES]; /* as configured: name, pattern or NULL */
        char *source_names[N_SIDES];
        side sides[N_SIDES];
        cw_capture_sink sink;
        void *userdata;
        float interleaved[CHUNK * N_SIDES];
        bool marked;
        pa_usec_t mark_usec;       /* monotonic time of timeline frame 0 */
        uint64_t delivered;        /* timeline frames handed to the sink */
        pa_time_event *reconnect;
        /* When the server went away; 0 once a stream captures again (the
         * gap's end), which may come after the server is back. */
        pa_usec_t lost_usec;
        standing standing[N_STANDING];
        pa_usec_t last_pump;       /* monotonic */
        pa_usec_t settle_until;    /* after a stall: no stream is judged stopped before */
        struct appearance {
                char *name;
                pa_usec_t at;
                bool sink;
        } *appeared;
        size_t n_appeared;
};

static void connect_context(cw_capture *c);
static void follow(cw_capture *c);
static void follow_side(side *s);
static void settle_switch(side *s);
static void tell_loss(side *s);

/* A time event usec from now (NULL: none could be made). */
static pa_time_event *time_event_in(pa_mainloop_api *api, pa_usec_t usec, pa_time_event_cb_t callback,
                                    void *userdata) {
        struct timeval tv;

        pa_gettimeofday(&tv);
        pa_timeval_add(&tv, usec);
        return api->time_new(api, &tv, callback, userdata);
}

static int64_t timeline_now(const cw_capture *c) {
        return c->marked ? (int64_t) ((pa_rtclock_now() - c->mark_usec) * CW_CAPTURE_RATE / PA_USEC_PER_SEC) : 0;
}

__attribute__((format(printf, 4, 5)))
static void report(cw_capture *c, unsigned sides, const char *kind, const char *format, ...) {
        char message[512];
        va_list ap;

        va_start(ap, format);
        vsnprintf(message, sizeof message, format, ap);
        va_end(ap);
        c->sink.problem(sides, kind, message, c->userdata);
}

/* The same failure again (a pattern that matches nothing after every
 * reconnect) is not told twice; tell false: kept for the calls to come
 * only, the calls there are knew. */
__attribute__((format(printf, 6, 7)))
static void keep_standing(cw_capture *c, bool tell, unsigned which, unsigned sides, const char *kind,
                          const char *format, ...) {
        standing *now = &c->standing[which], was = *now;
        va_list ap;

        va_start(ap, format);
        vsnprintf(now->message, sizeof now->message, format, ap);
        va_end(ap);
        snprintf(now->kind, sizeof now->kind, "%s", kind);
        now->sides = sides;
        if (!tell || (was.sides == sides && strcmp(was.kind, now->kind) == 0 && strcmp(was.message, now->message) == 0))
                return;
        c->sink.problem(sides, now->kind, now->message, c->userdata);
}

static void clear_standing(cw_capture *c, unsigned which) {
        c->standing[which].sides = 0;
}

void cw_capture_tell_standing(const cw_capture *c, void (*problem)(unsigned sides, const char *kind,
                                                                   const char *message, void *userdata),
                              void *userdata) {
        for (unsigned i = 0; i < N_STANDING; i++)
                if (c->standing[i].sides)
                        problem(c->standing[i].sides, c->standing[i].kind, c->standing[i].message, userdata);
}

static bool stream_live(const side *s) {
        return s->stream && pa_stream_get_state(s->stream) == PA_STREAM_READY;
}

static void take_frames(side *s, size_t n) {
        memmove(s->samples, s->samples + n, (s->fill - n) * sizeof s->samples[0]);
        s->fill -= n;
}

/* Places the side so that its newest sample is at the timeline's frame
 * at_frame (it was captured then). */
static void place_newest_at(side *s, int64_t at_frame) {
        cw_capture *c = s->capture;
        int64_t oldest = at_frame - (int64_t) s->fill, born;

        cw_log_debug("capture: %s stream placed: newest sample at frame %lld, %zu frames buffered",
                     stream_names[s - c->sides], (long long) at_frame, s->fill);
        /* A stream holds nothing captured before it was made: what its
         * first delivery has from before is the server's filling (seen:
         * pipewire-pulse hands a new stream of a new source almost a second,
         * part of it out of step), and would overwrite the time before.
         * Placed a few ms off (as a server's clock may say), a few ms of the
         * stream's first audio are lost, and the time before it is silence
         * as told. */
        if (c->marked && s->connected_at > c->mark_usec) {
                born = (int64_t) ((s->connected_at - c->mark_usec) * CW_CAPTURE_RATE / PA_USEC_PER_SEC);
                if (oldest < born) {
                        size_t before = (size_t) (born - oldest) < s->fill ? (size_t) (born - oldest) : s->fill;

                        cw_log_debug("capture: %s stream: %zu frames from before it was made dropped",
                                     stream_names[s - c->sides], before);
                        take_frames(s, before);
                }
        }
        s->offset = at_frame - (int64_t) s->appended;
        s->placed = true;
        s->placed_at = pa_rtclock_now();
        s->window_start = 0;
        s->windows = 0;
        s->stretched = s->steps = 0;
        /* The placement is on time by definition: the first deliveries are
         * judged against it. Taken as on time whatever they were, the
         * backlog after a stall at the answer made seconds of lateness
         * usual, and a loss in it went untold. */
        s->on_time[0] = (double) (timeline_now(s->capture) - at_frame);
        s->n_on_time = 1;
        s->held = false;
        s->placing = false;
        s->delivery_at = 0;
}

/* At the answer: a side delivering until now is continuous; the sample
 * captured now is the one after its newest, as many frames on as time has
 * passed since it arrived (never more than a fragment: the server would
 * have sent it). A side that was not delivering is placed by its first
 * audio instead: its first delivery's newest sample is now (read_side()). */
static void place_at_mark(side *s) {
        cw_capture *c = s->capture;
        pa_usec_t since;
        int64_t ahead;

        s->placed = false;
        s->stopped = false;
        if (!s->last_arrival || (since = c->mark_usec - s->last_arrival) > NOT_DELIVERING_USEC)
                return;
        ahead = (int64_t) (since * CW_CAPTURE_RATE / PA_USEC_PER_SEC);
        if (ahead > CW_CAPTURE_RATE * RINGING_FRAGMENT_MS / 1000)
                ahead = CW_CAPTURE_RATE * RINGING_FRAGMENT_MS / 1000;
        place_newest_at(s, -ahead);
}

static float to_float(stream_sample sample) {
        return (float) sample * (1.0f / 32768.0f);
}

/* Appends n stream frames; NULL: a hole in the stream, silence. */
static void append(side *s, const stream_sample *samples, size_t n) {
        float *out = s->samples + s->fill;

        for (size_t i = 0; i < n; i++)
                out[i] = samples ? to_float(samples[i]) : 0.0f;
        s->fill += n;
        s->appended += n;
}

/* How many frames n stream frames become on the timeline. */
static size_t stretched_length(const side *s, size_t n) {
        double m = (double) n * (1.0 + s->stretch) + s->fraction;

        return m < 1 ? 1 : (size_t) m;
}

/* Appends n stream frames as m timeline frames, by linear interpolation:
 * a 0.1 % stretch moves a sample by a few of its neighbours' distance. */
static void append_stretched(side *s, const stream_sample *samples, size_t n, size_t m) {
        float *out = s->samples + s->fill;

        if (!samples || m == n || n < 2) {
                if (samples)
                        m = n;
                append(s, samples, m);
        } else {
                for (size_t j = 0; j < m; j++) {
                        double x = (double) j * (double) (n - 1) / (double) (m > 1 ? m - 1 : 1);
                        size_t i = (size_t) x;
                        double f = x - (double) i;

                        out[j] = i + 1 < n ? (float) ((1 - f) * to_float(samples[i]) + f * to_float(samples[i + 1]))
                                           : to_float(samples[n - 1]);
                }
                s->fill += m;
                s->appended += m;
        }
        s->fraction = (double) n * (1.0 + s->stretch) + s->fraction - (double) m;
        s->stretched += (double) m - (double) n;
}

static size_t room(const side *s) {
        return SIDE_CAPACITY - s->fill;
}

static double median(const double *values, unsigned n) {
        double sorted[ON_TIME_READS > DRIFT_HISTORY ? ON_TIME_READS : DRIFT_HISTORY];

        if (n == 0)
                return 0;
        memcpy(sorted, values, n * sizeof sorted[0]);
        for (unsigned i = 1; i < n; i++)
                for (unsigned j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
                        double t = sorted[j];

                        sorted[j] = sorted[j - 1];
                        sorted[j - 1] = t;
                }
        return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static double median_rate(const side *s) {
        return median(s->rates, s->n_rates < DRIFT_HISTORY ? s->n_rates : DRIFT_HISTORY);
}

static double usec_to_frames(pa_usec_t usec) {
        return (double) usec * CW_CAPTURE_RATE / PA_USEC_PER_SEC;
}

/* Once a window is complete: the stream's drift since the baseline is what
 * the lateness still shows plus what the stretch made up meanwhile, less
 * the steps. Its rate is the median of the windows'; the stretch from now on
 * is that rate, plus what is still off (extrapolated to now, and from the
 * placement on: the clock was as slow before the baseline) spread over the
 * next window. */
static void correct_drift(side *s, pa_usec_t now) {
        cw_capture *c = s->capture;
        double dt, drift, step, rate, off, shift = 0;

        if (s->windows++ == 0) {
                s->baseline = s->lowest;
                s->baseline_at = s->previous_at = s->lowest_at;
                s->baseline_stretched = s->lowest_stretched;
                s->previous_drift = 0;
                return;
        }
        dt = usec_to_frames(s->lowest_at - s->previous_at);
        if (dt < CW_CAPTURE_RATE)
                return;
        drift = (double) (s->lowest - s->baseline) + (s->lowest_stretched - s->baseline_stretched) - s->steps;
        step = drift - s->previous_drift - median_rate(s) * dt;
        if (step > DRIFT_STEP_FRAMES) {
                /* Audio that never came: the stream goes on that much later,
                 * what it holds unsent included; the time is silence. */
                shift = step;
                s->offset += (int64_t) shift;
                drift -= shift;
                report(c, 1u << (s - c->sides), "capture-gap", "%s delivered no audio for about %.0f ms; that time is silence in the "
                                         "recording, and up to %d s of audio before this was noticed may be early "
                                         "by as much", side_names[s - c->sides], shift * 1000 / CW_CAPTURE_RATE,
                       (int) (DRIFT_WINDOW_USEC / PA_USEC_PER_SEC));
        } else if (step < -DRIFT_STEP_FRAMES) {
                s->steps += step;   /* earlier all at once: not a clock */
                drift -= step;
        } else
                s->rates[s->n_rates++ % DRIFT_HISTORY] = (drift - s->previous_drift) / dt;
        s->previous_drift = drift;
        s->previous_at = s->lowest_at;
        rate = median_rate(s);
        off = drift - (s->stretched - s->baseline_stretched) +
              rate * usec_to_frames(now - s->lowest_at + s->baseline_at - s->placed_at);
        s->stretch = rate + off / DRIFT_WINDOW_FRAMES;
        if (s->stretch > MAX_STRETCH)
                s->stretch = MAX_STRETCH;
        else if (s->stretch < -MAX_STRETCH)
                s->stretch = -MAX_STRETCH;
        cw_log_debug("capture: %s stream drifts %.3f %%, %.0f frames off; stretched by %.3f %%",
                     stream_names[s - c->sides], 100 * rate, off, 100 * s->stretch);
        if (!s->drift_told && fabs(rate) > DRIFT_TELL && s->n_rates >= 3) {
                s->drift_told = true;
                report(c, 1u << (s - c->sides), "clock-drift", "%s was captured by a clock running %.2f %% %s: its audio is resampled "
                                         "to the phone's clock, in step again within a few milliseconds after "
                                         "the first %.0f s of the call",
                       side_names[s - c->sides], 100 * fabs(rate), rate > 0 ? "slow" : "fast",
                       (double) (now - c->mark_usec) / PA_USEC_PER_SEC);
        }
}

/* The stream frames from `from` on come `gap` frames later: silence goes
 * in before them. They are still buffered (held back); if the ring has no
 * room, the whole buffer moves instead, what came before them included. */
static void insert_silence(side *s, uint64_t from, size_t gap) {
        uint64_t first = s->appended - s->fill;
        size_t at = from > first ? (size_t) (from - first) : 0;

        if (at > s->fill)
                at = s->fill;
        if (gap > room(s)) {
                s->offset += (int64_t) gap;
                return;
        }
        memmove(s->samples + at + gap, s->samples + at, (s->fill - at) * sizeof s->samples[0]);
        memset(s->samples + at, 0, gap * sizeof s->samples[0]);
        s->fill += gap;
        s->appended += gap;
}

static void remember_on_time(side *s, double lateness) {
        s->on_time[s->n_on_time++ % ON_TIME_READS] = lateness;
}

static double lateness_now(const side *s) {
        return (double) (timeline_now(s->capture) - ((int64_t) s->appended + s->offset));
}

static double usual_lateness(const side *s, unsigned *n) {
        *n = s->n_on_time < ON_TIME_READS ? s->n_on_time : ON_TIME_READS;
        return median(s->on_time, *n);
}

/* A delivery is complete (the next one began): its last read says how late
 * the stream is. On time, it is remembered; still late, it counts towards a
 * loss (see PAUSE_CONFIRM_USEC). */
static void judge_delivery(side *s, double lateness, pa_usec_t at) {
        cw_capture *c = s->capture;
        unsigned n;
        double usual = usual_lateness(s, &n), lowest = INFINITY, highest = -INFINITY, gap;

        if (n == 0 || lateness <= usual + DRIFT_STEP_FRAMES) {
                remember_on_time(s, lateness);
                return;
        }
        if (!s->held)   /* already taken as delivered late */
                return;
        s->held_lateness[s->n_held++ % LOSS_READS] = lateness;
        if (at - s->held_since > HOLD_MAX_USEC) {
                cw_log_debug("capture: %s stream's lateness does not settle; taken as delivered late",
                             stream_names[s - c->sides]);
                s->held = false;
                return;
        }
        if (at - s->held_since < PAUSE_CONFIRM_USEC || s->n_held < LOSS_READS)
                return;
        for (unsigned i = 0; i < LOSS_READS; i++) {
                if (s->held_lateness[i] < lowest)
                        lowest = s->held_lateness[i];
                if (s->held_lateness[i] > highest)
                        highest = s->held_lateness[i];
        }
        if (highest - lowest > DRIFT_STEP_FRAMES / 2)
                return;
        gap = lowest - usual;
        s->held = false;
        insert_silence(s, s->held_from, (size_t) gap);
        remember_on_time(s, lateness - gap);
        report(c, 1u << (s - c->sides), "capture-gap", "%s delivered no audio for about %.0f ms; that time is silence in the recording",
               side_names[s - c->sides], gap * 1000 / CW_CAPTURE_RATE);
}

/* After each read from stream frame `from` on. The reads of one delivery
 * judge the one before; this read only decides whether what the stream has
 * now may be written: not while its newest sample is later than usual, which
 * it is for every read of a delivery but its last. */
static void judge_lateness(side *s, uint64_t from, pa_usec_t now, bool new_delivery) {
        cw_capture *c = s->capture;
        double lateness;
        unsigned n;
        double usual;

        if (new_delivery && s->delivery_at)
                judge_delivery(s, s->delivery_lateness, s->delivery_at);
        lateness = lateness_now(s);
        s->delivery_lateness = lateness;
        usual = usual_lateness(s, &n);
        if (n == 0 || lateness <= usual + DRIFT_STEP_FRAMES) {
                if (s->held && s->n_held)
                        cw_log_debug("capture: %s stream was only delivered late", stream_names[s - c->sides]);
                s->held = false;
                return;
        }
        if (!s->held) {
                s->held = true;
                s->held_from = from;
                s->held_since = now;
                s->n_held = 0;
        }
}

static void watch_drift(side *s) {
        pa_usec_t now = s->last_arrival;
        int64_t lateness = timeline_now(s->capture) - ((int64_t) s->appended + s->offset);

        if (!s->window_start)
                s->window_start = now;
        if (s->window_start == now || lateness < s->lowest) {
                s->lowest = lateness;
                s->lowest_at = now;
                s->lowest_stretched = s->stretched;
        }
        if (now - s->window_start < DRIFT_WINDOW_USEC)
                return;
        s->window_start = 0;
        correct_drift(s, now);
}

static void forget_clock_question(side *s) {
        if (!s->clock_asked)
                return;
        pa_operation_cancel(s->clock_asked);
        pa_operation_unref(s->clock_asked);
        s->clock_asked = NULL;
}

/* The server's answer, stamped when it gave it: how much the stream has
 * captured by now (pa_stream_get_time: the server's queue, the source's
 * buffer, less a monitor's sink's, carried to now) against what was read
 * says when the newest sample read was captured, however late it arrived.
 * A side that starts during a stall (a slow commit at the answer) hands
 * over seconds of backlog whose newest sample is not "now". */
static void on_clock(pa_stream *stream, int success, void *userdata) {
        side *s = userdata;
        cw_capture *c = s->capture;
        pa_usec_t stream_time;
        double age_ms;

        pa_operation_unref(s->clock_asked);
        s->clock_asked = NULL;
        if (!s->placing)
                return;
        s->placing = false;
        if (!success || pa_stream_get_time(stream, &stream_time) < 0) {
                settle_switch(s);
                return;   /* placed by its arrival */
        }
        age_ms = ((double) stream_time - (double) s->read_frames * PA_USEC_PER_SEC / CW_CAPTURE_RATE) / 1000;
        if (age_ms < -CLOCK_EARLY_MS || age_ms > CLOCK_LATE_MS) {
                settle_switch(s);
                return;   /* a clock that says nonsense is not believed */
        }
        cw_log_debug("capture: %s stream placed by its clock: newest sample captured %.0f ms ago (arrival said %.0f)",
                     stream_names[s - c->sides], age_ms, lateness_now(s) * 1000.0 / CW_CAPTURE_RATE);
        place_newest_at(s, timeline_now(c) - (int64_t) (age_ms * CW_CAPTURE_RATE / 1000));
        settle_switch(s);
        /* A backlog in the server: the other sides have theirs too, and a
         * side with nothing read yet has not stopped. */
        if (age_ms > CLOCK_BACKLOG_MS && c->settle_until < pa_rtclock_now() + SETTLE_USEC)
                c->settle_until = pa_rtclock_now() + SETTLE_USEC;
}

/* Takes what the stream has, as far as there is room. */
static void read_side(side *s) {
        cw_capture *c = s->capture;
        bool got = false;
        const void *data;
        size_t nbytes, n, m;
        uint64_t from = s->appended;
        pa_usec_t now;
        bool new_delivery;

        while (stream_live(s) && pa_stream_readable_size(s->stream) > 0) {
                if (pa_stream_peek(s->stream, &data, &nbytes) < 0) {
                        cw_log_warning("capture: reading %s failed: %s", side_names[s - c->sides],
                                       pa_strerror(pa_context_errno(c->context)));
                        return;
                }
                if (nbytes == 0)
                        break;
                if (!c->marked && nbytes / sizeof(stream_sample) + s->fill > UNMARKED_KEEP) {
                        size_t excess = nbytes / sizeof(stream_sample) + s->fill - UNMARKED_KEEP;

                        take_frames(s, excess < s->fill ? excess : s->fill);
                }
                n = nbytes / sizeof(stream_sample);
                m = s->placed && c->marked ? stretched_length(s, n) : n;
                if (m > room(s))
                        return;   /* stays in the stream until the other side catches up */
                append_stretched(s, data, n, m);
                s->read_frames += n;
                pa_stream_drop(s->stream);
                got = true;
        }
        if (!got)
                return;
        now = s->last_arrival = pa_rtclock_now();
        if (!c->marked)
                return;
        new_delivery = !s->delivery_at || now - s->delivery_at >= DELIVERY_GAP_USEC ||
                       now - s->delivery_first >= DELIVERY_MAX_USEC;
        if (new_delivery)
                s->delivery_first = now;
        if (s->clock_asked && now - s->clock_asked_at > CLOCK_WAIT_USEC)
                forget_clock_question(s);   /* placed by its arrival */
        if (!s->placed || s->stopped || (s->placing && (!new_delivery || s->clock_asked))) {
                /* Its first audio since the answer (or since it stopped):
                 * until the stream's clock says otherwise, the newest
                 * sample of the whole delivery is now. */
                place_newest_at(s, timeline_now(c));
                s->placing = true;
                s->stopped = false;
                s->delivery_lateness = lateness_now(s);
                if (!s->clock_asked && (s->clock_asked = pa_stream_update_timing_info(s->stream, on_clock, s)))
                        s->clock_asked_at = now;
        } else {
                s->placing = false;
                settle_switch(s);
                watch_drift(s);
                judge_lateness(s, from, now, new_delivery);
        }
        s->delivery_at = now;
}

/* Where the side's audio that may be written ends on the timeline. */
static int64_t writable_end(const side *s) {
        return (int64_t) (s->held ? s->held_from : s->appended) + s->offset;
}

/* Fills channel of c->interleaved for timeline frames [from, from + n). */
static void take_channel(cw_capture *c, unsigned channel, uint64_t from, size_t n) {
        side *s = &c->sides[channel];
        size_t lead = n, taken = 0;

        if (s->placed) {
                int64_t first = (int64_t) (s->appended - s->fill) + s->offset;

                if (first < (int64_t) from) {   /* captured before the timeline reached it: not ours */
                        uint64_t stale = from - (uint64_t) first;

                        if (s->fill)
                                cw_log_debug("capture: %s stream: %llu frames before frame %llu dropped (%zu buffered)",
                                             stream_names[channel], (unsigned long long) stale, (unsigned long long) from,
                                             s->fill);
                        take_frames(s, stale < s->fill ? stale : s->fill);
                        first = (int64_t) (s->appended - s->fill) + s->offset;
                }
                lead = first > (int64_t) from ? (size_t) ((uint64_t) first - from) : 0;
                if (lead > n)
                        lead = n;
                taken = n - lead < s->fill ? n - lead : s->fill;
        }
        for (size_t i = 0; i < n; i++) {
                float sample = 0.0f;

                if (i >= lead && i < lead + taken)
                        sample = s->samples[i - lead];
                c->interleaved[i * c->n_sides + channel] = sample;
        }
        if (taken)
                take_frames(s, taken);
}

/* Hands the sink every timeline frame all live sides have, up to limit
 * (UINT64_MAX: no limit; then a side not yet placed holds the rest back,
 * and nothing past now goes out: a sink's monitor hands out what the sink
 * will play, ahead of its time, and a call that ends now must not get it). */
static void deliver(cw_capture *c, uint64_t limit) {
        uint64_t end = limit;
        bool any_live = false;

        if (!c->marked)
                return;
        if (limit == UINT64_MAX)
                end = (uint64_t) timeline_now(c);
        for (unsigned i = 0; i < c->n_sides; i++) {
                side *s = &c->sides[i];
                int64_t side_end;

                if (!stream_live(s))
                        continue;
                any_live = true;
                if (!s->placed || s->placing) {
                        if (limit == UINT64_MAX)
                                end = c->delivered;
                        continue;
                }
                side_end = writable_end(s);
                if (side_end < (int64_t) c->delivered)
                        side_end = (int64_t) c->delivered;
                if (limit == UINT64_MAX && (uint64_t) side_end < end)
                        end = (uint64_t) side_end;
        }
        if (!any_live && limit == UINT64_MAX)
                return;   /* nothing to go by until a stream is back */
        while (c->delivered < end) {
                size_t n = end - c->delivered < CHUNK ? (size_t) (end - c->delivered) : CHUNK;

                for (unsigned i = 0; i < c->n_sides; i++)
                        take_channel(c, i, c->delivered, n);
                c->delivered += n;
                c->sink.frames(c->interleaved, n, c->n_sides, c->delivered - n, c->userdata);
        }
}

/* A side whose ring is full waits for the others; one that has nothing
 * while another is full has stopped delivering: it is placed again at now,
 * its silence until then told. */
static void unblock(cw_capture *c) {
        bool full = false;

        if (pa_rtclock_now() < c->settle_until)
                return;

        for (unsigned i = 0; i < c->n_sides; i++)
                full |= room(&c->sides[i]) < CW_CAPTURE_RATE / 2;
        if (!full)
                return;
        for (unsigned i = 0; i < c->n_sides; i++) {
                side *s = &c->sides[i];

                if (s->fill == 0 && stream_live(s) && c->marked) {
                        place_newest_at(s, timeline_now(c));
                        s->stopped = true;
                        report(c, 1u << i, "capture-gap", "%s delivered no audio for over %d seconds; that time is silence "
                                                 "in the recording", side_names[i], SIDE_CAPACITY / CW_CAPTURE_RATE - 1);
                }
        }
}

/* A held side that sends nothing more is never judged by its next read:
 * after HOLD_MAX_USEC its audio goes in as it came, and a side that stays
 * silent is left to unblock(). */
static void release_stale_holds(cw_capture *c, pa_usec_t now) {
        for (unsigned i = 0; i < c->n_sides; i++) {
                side *s = &c->sides[i];

                if (s->held && now - s->delivery_at > HOLD_MAX_USEC) {
                        cw_log_debug("capture: %s stream sent nothing after a late read; taken as delivered late",
                                     stream_names[i]);
                        s->held = false;
                }
        }
}

static void pump(cw_capture *c) {
        pa_usec_t now = pa_rtclock_now();

        if (c->last_pump && now - c->last_pump > STALL_USEC)
                c->settle_until = now + SETTLE_USEC;
        c->last_pump = now;
        release_stale_holds(c, now);
        for (int round = 0; round < 4; round++) {
                for (unsigned i = 0; i < c->n_sides; i++)
                        read_side(&c->sides[i]);
                deliver(c, UINT64_MAX);
                unblock(c);
        }
}

static void on_read(pa_stream *stream, size_t nbytes, void *userdata) {
        side *s = userdata;

        pump(s->capture);
}

static void drop_stream(side *s) {
        forget_clock_question(s);
        if (!s->stream)
                return;
        pa_stream_set_state_callback(s->stream, NULL, NULL);
        pa_stream_set_read_callback(s->stream, NULL, NULL);
        pa_stream_set_overflow_callback(s->stream, NULL, NULL);
        pa_stream_disconnect(s->stream);
        pa_stream_unref(s->stream);
        s->stream = NULL;
}

static void stop_grace(side *s) {
        if (s->grace) {
                s->capture->api->time_free(s->grace);
                s->grace = NULL;
        }
}

static void stop_retry(side *s) {
        if (s->retry) {
                s->capture->api->time_free(s->retry);
                s->retry = NULL;
        }
}

static void forget_refused(side *s) {
        for (unsigned i = 0; i < s->n_refused; i++)
                free(s->refused[i]);
        s->n_refused = 0;
}

/* The queries in flight are cancelled with the context, or answered and
 * found not wanted. */
static void stop_following(side *s) {
        stop_grace(s);
        s->following = false;
        s->lost_at = 0;
        s->asking = s->ask_again = false;
        free(s->best);
        s->best = NULL;
        forget_refused(s);
}

static void drop_context(cw_capture *c) {
        /* Each side is resolved anew, its history of quick losses forgotten:
         * it is another server. */
        for (int i = 0; i < N_SIDES; i++) {
                side *s = &c->sides[i];

                drop_stream(s);
                stop_following(s);
                stop_retry(s);
                s->ready = false;
                s->quick_losses = 0;
        }
        if (c->context) {
                pa_context_set_state_callback(c->context, NULL, NULL);
                pa_context_disconnect(c->context);
                pa_context_unref(c->context);
                c->context = NULL;
        }
}

static void on_reconnect(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        cw_capture *c = userdata;

        api->time_free(e);
        c->reconnect = NULL;
        connect_context(c);
}

/* The sound server is gone or refused us: what it had is delivered, the
 * rest is silence until it is back; try again every second while the
 * capture lives (only while a call is in progress). */
static void lose_server(cw_capture *c, const char *why) {
        for (unsigned i = 0; i < c->n_sides; i++) {
                read_side(&c->sides[i]);
                /* What happened before the server went is told as it was:
                 * a side lost just before, a switch not placed yet. */
                if (c->sides[i].grace)
                        tell_loss(&c->sides[i]);
                settle_switch(&c->sides[i]);
        }
        drop_context(c);
        /* Lost again before any stream captured: the same gap goes on,
         * and the calls were told when it began. */
        if (!c->standing[STANDING_SERVER].sides)
                keep_standing(c, !c->lost_usec, STANDING_SERVER, CW_CAPTURE_SIDES_ALL, "capture-failed",
                              "%s: the call is not being recorded until the sound server is back", why);
        if (!c->lost_usec)
                c->lost_usec = pa_rtclock_now();
        if (!c->reconnect)
                c->reconnect = time_event_in(c->api, RECONNECT_USEC, on_reconnect, c);
}

static unsigned side_bits(const cw_capture *c, unsigned index) {
        return c->n_sides == 1 ? CW_CAPTURE_SIDES_ALL : 1u << index;
}

/* No source like the lost one came: from here on the side is silence,
 * until one does. */
static void tell_loss(side *s) {
        cw_capture *c = s->capture;
        unsigned index = (unsigned) (s - c->sides);

        stop_grace(s);
        keep_standing(c, true, index, side_bits(c, index), "side-lost", "%s stopped being captured: its source went away",
                      c->n_sides == 1 ? "this call" : side_names[index]);
}

static void on_grace_over(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        tell_loss(userdata);
}

static void on_retry(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        side *s = userdata;

        stop_retry(s);
        follow_side(s);
}

/* After MAX_QUICK_LOSSES in a row: RETRY_FIRST_USEC, doubled with each
 * quick loss after, up to RETRY_MAX_USEC. */
static void start_retry(side *s) {
        cw_capture *c = s->capture;
        unsigned doublings = s->quick_losses - MAX_QUICK_LOSSES;
        pa_usec_t wait = doublings >= 2 ? RETRY_MAX_USEC : RETRY_FIRST_USEC << doublings;

        stop_retry(s);
        s->retry = time_event_in(c->api, wait, on_retry, s);
}

static void start_grace(side *s) {
        cw_capture *c = s->capture;

        stop_grace(s);
        s->grace = time_event_in(c->api, FOLLOW_GRACE_USEC, on_grace_over, s);
        if (!s->grace)
                tell_loss(s);
}

/* The side records again: the source it follows, or the first one it
 * found. The calls are told what it records from, and, once its first
 * audio is placed, how long it was silent (settle_switch()); a ringing call
 * only if it was told it would not be recorded. */
static void tell_recording_again(side *s, const char *device) {
        cw_capture *c = s->capture;
        unsigned index = (unsigned) (s - c->sides);
        bool told_failure = c->standing[index].sides != 0;

        if (!c->marked && !told_failure) {
                cw_log_debug("capture: %s stream follows its source to %s", stream_names[index], device);
                return;
        }
        if (s->lost_at && s->device) {
                free(s->switched_from);
                s->switched_from = s->device;
                s->device = NULL;
                s->switch_pending = true;
                s->switch_lost_at = s->lost_at;
                return;
        }
        report(c, side_bits(c, index), "source-found", "%s is recorded from here on, from %s",
               c->n_sides == 1 ? "this call" : side_names[index], device);
}

/* The first frame of the side's new stream is placed: the silence between
 * the old source's last audio and the new one's first is what the file
 * has; told with the switch. Without a placement (the call ended first),
 * the time between losing the old stream and the new one starting. */
static void settle_switch(side *s) {
        cw_capture *c = s->capture;
        unsigned index = (unsigned) (s - c->sides);
        const char *device = s->device ? s->device : "?";
        double silent_s = (double) (s->ready_at - s->switch_lost_at) / PA_USEC_PER_SEC;
        int64_t first;

        if (!s->switch_pending)
                return;
        s->switch_pending = false;
        if (s->placed && !s->placing && s->lost_frame != INT64_MIN) {
                first = (int64_t) s->appended_at_connect + s->offset;
                if (s->connected_at > c->mark_usec) {
                        int64_t born = (int64_t) ((s->connected_at - c->mark_usec) * CW_CAPTURE_RATE / PA_USEC_PER_SEC);

                        if (first < born)
                                first = born;
                }
                silent_s = first > s->lost_frame ? (double) (first - s->lost_frame) / CW_CAPTURE_RATE : 0;
        }
        if (s->switched_from && strcmp(s->switched_from, device) == 0)
                report(c, side_bits(c, index), "capture-gap",
                       "%s stopped for about %.*f %s and is recorded again from the same source, %s",
                       c->n_sides == 1 ? "this call" : side_names[index], silent_s < 1 ? 0 : 1,
                       silent_s < 1 ? silent_s * 1000 : silent_s, silent_s < 1 ? "ms" : "s", device);
        else
                report(c, side_bits(c, index), "source-switched",
                       "%s is recorded from %s from here on: %s went away, and about %.*f %s between them is silence",
                       c->n_sides == 1 ? "this call" : side_names[index], device,
                       s->switched_from ? s->switched_from : "?", silent_s < 1 ? 0 : 1,
                       silent_s < 1 ? silent_s * 1000 : silent_s, silent_s < 1 ? "ms" : "s");
        free(s->switched_from);
        s->switched_from = NULL;
}

static void on_stream_state(pa_stream *stream, void *userdata) {
        side *s = userdata;
        cw_capture *c = s->capture;
        int index = (int) (s - c->sides);
        const char *device;
        bool carry_loss = false;
        char *copy;

        switch (pa_stream_get_state(stream)) {
        case PA_STREAM_READY:
                device = pa_stream_get_device_name(stream);
                cw_log_debug("capture: %s stream recording from %s", stream_names[index], device ? device : "?");
                s->ready_at = pa_rtclock_now();
                if (s->following)
                        tell_recording_again(s, device ? device : "?");
                stop_following(s);
                s->ready = true;
                if (device && (copy = strdup(device))) {
                        free(s->device);
                        s->device = copy;
                }
                clear_standing(c, (unsigned) index);
                if (c->lost_usec) {
                        report(c, CW_CAPTURE_SIDES_ALL, "capture-gap", "no audio was captured for %.1f s while the sound server was away",
                               (double) (pa_rtclock_now() - c->lost_usec) / PA_USEC_PER_SEC);
                        c->lost_usec = 0;
                }
                break;
        case PA_STREAM_FAILED:
        case PA_STREAM_TERMINATED:
                /* Its source went away: the stream is not moved elsewhere
                 * (PA_STREAM_DONT_MOVE), it ends. What it had still goes into the
                 * recording; from here on that side is silence, until a
                 * source like it appears. */
                read_side(s);
                drop_stream(s);
                if (s->switch_pending && (!s->placed || s->placing)) {
                        /* Gone before its first audio was placed: the side
                         * has been silent since the loss before, which the
                         * next switch tells. */
                        free(s->device);
                        s->device = s->switched_from;
                        s->switched_from = NULL;
                        s->switch_pending = false;
                        carry_loss = true;
                }
                settle_switch(s);
                if (s->ready) {
                        pa_usec_t now = pa_rtclock_now();

                        s->ready = false;
                        s->following = true;
                        s->lost_at = carry_loss ? s->switch_lost_at : now;
                        if (!carry_loss)
                                s->lost_frame = s->placed && c->marked ? (int64_t) s->appended + s->offset : INT64_MIN;
                        s->quick_losses = now - s->ready_at < QUICK_LOSS_USEC ? s->quick_losses + 1 : 0;
                        if (s->quick_losses >= MAX_QUICK_LOSSES) {
                                stop_grace(s);
                                keep_standing(c, true, (unsigned) index, side_bits(c, (unsigned) index), "side-lost",
                                              "%s stopped being captured: its source ends the stream within a second "
                                              "of its start, again and again; it is tried again less and less often",
                                              c->n_sides == 1 ? "this call" : side_names[index]);
                                start_retry(s);
                        } else {
                                start_grace(s);
                                follow_side(s);
                        }
                } else {
                        /* Refused, or its source gone before it began (the
                         * one first found, or one it followed to): another
                         * like it is tried, a few at most; told lost if none
                         * comes within the grace. */
                        if (!s->following) {
                                s->following = true;
                                start_grace(s);
                        }
                        if (s->n_refused < MAX_REFUSED && c->source_names[index] &&
                            (s->refused[s->n_refused] = strdup(c->source_names[index]))) {
                                s->n_refused++;
                                follow_side(s);
                        }
                }
                pump(c);
                break;
        default:
                break;
        }
}

static pa_buffer_attr buffer_attr(unsigned fragment_ms) {
        return (pa_buffer_attr) {
                .maxlength = (uint32_t) -1,
                .fragsize = (uint32_t) (CW_CAPTURE_RATE * fragment_ms / 1000 * sizeof(stream_sample)),
        };
}

/* The server dropped audio we did not read in time (a stall longer than
 * its buffer): what comes next no longer follows on; it is placed as new
 * audio, and the loss told. */
static void on_overflow(pa_stream *stream, void *userdata) {
        side *s = userdata;
        cw_capture *c = s->capture;

        if (!c->marked)
                return;
        s->placed = false;
        report(c, 1u << (s - c->sides), "capture-gap", "%s lost audio: the sound server dropped what callwitness could not read in time",
               side_names[s - c->sides]);
}

static int connect_side(cw_capture *c, int index, const char *name) {
        static const pa_sample_spec spec = { .format = PA_SAMPLE_S16NE, .rate = CW_CAPTURE_RATE, .channels = 1 };
        pa_buffer_attr attr = buffer_attr(c->marked ? RECORDING_FRAGMENT_MS : RINGING_FRAGMENT_MS);
        side *s = &c->sides[index];

        s->stream = pa_stream_new(c->context, name, &spec, NULL);
        if (!s->stream)
                return -ENOMEM;
        s->read_frames = 0;   /* a new stream's clock starts at 0 */
        s->placed = false;
        s->stopped = false;
        s->ready = false;
        s->connected_at = pa_rtclock_now();
        s->appended_at_connect = s->appended;
        pa_stream_set_state_callback(s->stream, on_stream_state, s);
        pa_stream_set_read_callback(s->stream, on_read, s);
        pa_stream_set_overflow_callback(s->stream, on_overflow, s);
        /* DONT_MOVE: a "remote" stream the server moved to the microphone
         * when the call sink went away carried the user's voice as the other
         * party's. */
        if (pa_stream_connect_record(s->stream, c->source_names[index], &attr,
                                     PA_STREAM_ADJUST_LATENCY | PA_STREAM_DONT_MOVE |
                                     PA_STREAM_INTERPOLATE_TIMING) < 0)
                return -EIO;
        return 0;
}

static const char *stream_label(const cw_capture *c, unsigned index) {
        if (index == SIDE_REMOTE)
                return "call: remote side";
        return c->mode == CW_CAPTURE_MIXED ? "call: both sides" : "call: local side";
}

/* The side has no stream: told, and followed when a source for it
 * appears. */
static void unavailable(cw_capture *c, unsigned index, const char *why) {
        drop_stream(&c->sides[index]);
        c->sides[index].following = true;
        keep_standing(c, true, index, 1u << index, "side-lost", "%s cannot be captured: %s", side_names[index], why);
}

static void on_default_sink(pa_context *context, const pa_sink_info *info, int eol, void *userdata) {
        cw_capture *c = userdata;
        char *monitor;

        if (eol < 0)
                unavailable(c, SIDE_REMOTE, "the default sink went away");
        if (eol)
                return;
        if (!info->monitor_source_name || !(monitor = strdup(info->monitor_source_name))) {
                unavailable(c, SIDE_REMOTE, "the default sink has no monitor");
                return;
        }
        free(c->source_names[SIDE_REMOTE]);
        c->source_names[SIDE_REMOTE] = monitor;
        if (connect_side(c, SIDE_REMOTE, stream_label(c, SIDE_REMOTE)) < 0)
                unavailable(c, SIDE_REMOTE, "the stream was refused");
}

static void on_server_info(pa_context *context, const pa_server_info *info, void *userdata) {
        cw_capture *c = userdata;
        pa_operation *o;

        if (!info || !info->default_sink_name) {
                unavailable(c, SIDE_REMOTE, "the sound server names no default sink");
                return;
        }
        /* Ask the sink for its monitor rather than trusting
         * "@DEFAULT_MONITOR@": pipewire-pulse 0.3.65 resolves that to the
         * default source, which would record the user twice and the other
         * party never. */
        o = pa_context_get_sink_info_by_name(context, info->default_sink_name, on_default_sink, c);
        if (o)
                pa_operation_unref(o);
}

static void connect_sides(cw_capture *c) {
        pa_operation *o;

        /* A pattern that matched nothing was told; that side stays silent
         * until a source matching it appears, the other is still captured. */
        if (!cw_source_is_pattern(c->source_names[SIDE_LOCAL]) &&
            connect_side(c, SIDE_LOCAL, stream_label(c, SIDE_LOCAL)) < 0)
                unavailable(c, SIDE_LOCAL, "the stream was refused");
        if (c->n_sides == 1)
                return;
        if (cw_source_is_pattern(c->source_names[SIDE_REMOTE]))
                return;
        if (c->source_names[SIDE_REMOTE]) {
                if (connect_side(c, SIDE_REMOTE, stream_label(c, SIDE_REMOTE)) < 0)
                        unavailable(c, SIDE_REMOTE, "the stream was refused");
                return;
        }
        o = pa_context_get_server_info(c->context, on_server_info, c);
        if (o)
                pa_operation_unref(o);
}

/* Following. A side that records a configured name or pattern follows to
 * any source of that name or matching it; one that records the default
 * follows only to a default that appeared since shortly before the loss. */

static void remember_appeared(cw_capture *c, const char *name, bool sink) {
        pa_usec_t now = pa_rtclock_now();
        size_t kept = 0;
        struct appearance *grown;
        char *copy;

        for (size_t i = 0; i < c->n_appeared; i++) {
                if (now - c->appeared[i].at > APPEARED_KEEP_USEC || (c->n_appeared == MAX_APPEARED && i == 0))
                        free(c->appeared[i].name);
                else
                        c->appeared[kept++] = c->appeared[i];
        }
        c->n_appeared = kept;
        if (!(copy = strdup(name)))
                return;
        grown = realloc(c->appeared, (c->n_appeared + 1) * sizeof *grown);
        if (!grown) {
                free(copy);
                return;
        }
        c->appeared = grown;
        c->appeared[c->n_appeared++] = (struct appearance) { copy, now, sink };
}

static bool appeared_since(const cw_capture *c, const char *name, bool sink, pa_usec_t since) {
        if (!name)
                return false;
        for (size_t i = 0; i < c->n_appeared; i++)
                if (c->appeared[i].sink == sink && strcmp(c->appeared[i].name, name) == 0 &&
                    c->appeared[i].at + FOLLOW_GRACE_USEC >= since)
                        return true;
        return false;
}

static bool was_refused(const side *s, const char *name) {
        for (unsigned i = 0; i < s->n_refused; i++)
                if (strcmp(s->refused[i], name) == 0)
                        return true;
        return false;
}

static bool wants_source(const side *s) {
        return s->following && !s->retry && !s->stream && s->capture->context;
}

static void adopt(side *s, const char *name) {
        cw_capture *c = s->capture;
        unsigned index = (unsigned) (s - c->sides);
        char *copy;

        if (!wants_source(s) || was_refused(s, name) || !(copy = strdup(name)))
                return;
        cw_log_info("capture: %s side follows to %s", stream_names[index], name);
        free(c->source_names[index]);
        c->source_names[index] = copy;
        /* Another source may run on another clock. */
        s->n_rates = 0;
        s->stretch = 0;
        if (connect_side(c, (int) index, stream_label(c, index)) < 0)
                drop_stream(s);   /* the next source to appear is tried */
}

/* The question answered: one asked meanwhile goes now. */
static void asked(side *s) {
        s->asking = false;
        if (s->ask_again) {
                s->ask_again = false;
                follow_side(s);
        }
}

/* Of the sources matching the side's name or pattern, one that appeared
 * since the loss (the one the switch made) before one that was there. */
static void on_follow_source(pa_context *context, const pa_source_info *info, int eol, void *userdata) {
        side *s = userdata;
        cw_capture *c = s->capture;
        char *best;

        if (eol == 0) {
                bool fresh;

                if (!wants_source(s) || was_refused(s, info->name) ||
                    !cw_source_matches(c->configured[s - c->sides], info->name))
                        return;
                fresh = appeared_since(c, info->name, false, s->lost_at);
                if (!s->best || (fresh && !s->best_new)) {
                        free(s->best);
                        s->best = strdup(info->name);
                        s->best_new = fresh;
                }
                return;
        }
        best = s->best;
        s->best = NULL;
        if (best)
                adopt(s, best);
        free(best);
        asked(s);
}

static void on_follow_sink(pa_context *context, const pa_sink_info *info, int eol, void *userdata) {
        if (eol == 0) {
                if (info->monitor_source_name)
                        adopt(userdata, info->monitor_source_name);
                return;
        }
        asked(userdata);
}

/* The default, if it appeared since the loss: never a monitor for the
 * microphone (a new call sink's monitor becomes the default source for a
 * moment when the card's sources are made after its sinks). */
static void on_follow_default(pa_context *context, const pa_server_info *info, void *userdata) {
        side *s = userdata;
        cw_capture *c = s->capture;
        pa_operation *o;

        if (info && wants_source(s)) {
                if (s == &c->sides[SIDE_LOCAL]) {
                        if (appeared_since(c, info->default_source_name, false, s->lost_at))
                                adopt(s, info->default_source_name);
                } else if (appeared_since(c, info->default_sink_name, true, s->lost_at) &&
                           (o = pa_context_get_sink_info_by_name(context, info->default_sink_name, on_follow_sink, s))) {
                        pa_operation_unref(o);
                        return;   /* asked() when the sink answers */
                }
        }
        asked(s);
}

/* Asks the server for a source for a side that follows, one question at a
 * time; the answer comes back after this returns. */
static void follow_side(side *s) {
        cw_capture *c = s->capture;
        const char *configured = c->configured[s - c->sides];
        pa_operation *o;

        if (!wants_source(s))
                return;
        if (s->asking) {
                s->ask_again = true;
                return;
        }
        if (cw_source_is_pattern(configured))
                o = pa_context_get_source_info_list(c->context, on_follow_source, s);
        else if (configured)
                o = pa_context_get_source_info_by_name(c->context, configured, on_follow_source, s);
        else
                o = pa_context_get_server_info(c->context, on_follow_default, s);
        if (o) {
                s->asking = true;
                pa_operation_unref(o);
        }
}

static void follow(cw_capture *c) {
        for (unsigned i = 0; i < c->n_sides; i++)
                follow_side(&c->sides[i]);
}

static void on_appeared_source(pa_context *context, const pa_source_info *info, int eol, void *userdata) {
        if (eol == 0) {
                if (info->monitor_of_sink == PA_INVALID_INDEX)
                        remember_appeared(userdata, info->name, false);
                follow(userdata);
        }
}

static void on_appeared_sink(pa_context *context, const pa_sink_info *info, int eol, void *userdata) {
        if (eol == 0) {
                remember_appeared(userdata, info->name, true);
                follow(userdata);
        }
}

static void on_server_event(pa_context *context, pa_subscription_event_type_t event, uint32_t index, void *userdata) {
        cw_capture *c = userdata;
        unsigned facility = event & PA_SUBSCRIPTION_EVENT_FACILITY_MASK;
        unsigned type = event & PA_SUBSCRIPTION_EVENT_TYPE_MASK;
        pa_operation *o = NULL;

        if (type == PA_SUBSCRIPTION_EVENT_NEW && facility == PA_SUBSCRIPTION_EVENT_SOURCE)
                o = pa_context_get_source_info_by_index(context, index, on_appeared_source, c);
        else if (type == PA_SUBSCRIPTION_EVENT_NEW && facility == PA_SUBSCRIPTION_EVENT_SINK)
                o = pa_context_get_sink_info_by_index(context, index, on_appeared_sink, c);
        else if (facility == PA_SUBSCRIPTION_EVENT_SERVER)
                follow(c);   /* a new default */
        if (o)
                pa_operation_unref(o);
}

/* A pattern (source-match.h) takes the first source of the server's list
 * that matches. */
static void on_source(pa_context *context, const pa_source_info *info, int eol, void *userdata) {
        cw_capture *c = userdata;

        if (eol < 0) {
                lose_server(c, "Cannot list the sound server's sources");
                return;
        }
        if (!eol) {
                for (unsigned i = 0; i < c->n_sides; i++)
                        if (cw_source_is_pattern(c->source_names[i]) &&
                            cw_source_matches(c->source_names[i], info->name)) {
                                char *name = strdup(info->name);

                                if (name) {
                                        free(c->source_names[i]);
                                        c->source_names[i] = name;
                                }
                        }
                return;
        }
        for (unsigned i = 0; i < c->n_sides; i++)
                if (cw_source_is_pattern(c->source_names[i])) {
                        c->sides[i].following = true;
                        keep_standing(c, true, i, side_bits(c, i), "capture-failed",
                                      "%s is not being recorded: No source matches '%s'",
                                      c->n_sides == 1 ? "this call" : side_names[i], c->source_names[i]);
                }
        connect_sides(c);
}

static void on_context_state(pa_context *context, void *userdata) {
        cw_capture *c = userdata;
        pa_operation *o;

        switch (pa_context_get_state(context)) {
        case PA_CONTEXT_READY:
                /* The server is back; the gap it left ends when a stream
                 * captures again. */
                clear_standing(c, STANDING_SERVER);
                cw_log_debug("capture: connected to the sound server");
                pa_context_set_subscribe_callback(context, on_server_event, c);
                o = pa_context_subscribe(context, PA_SUBSCRIPTION_MASK_SOURCE | PA_SUBSCRIPTION_MASK_SINK |
                                                 PA_SUBSCRIPTION_MASK_SERVER, NULL, NULL);
                if (o)
                        pa_operation_unref(o);
                if (!cw_source_is_pattern(c->source_names[SIDE_LOCAL]) &&
                    !cw_source_is_pattern(c->source_names[SIDE_REMOTE])) {
                        connect_sides(c);
                        break;
                }
                o = pa_context_get_source_info_list(context, on_source, c);
                if (o)
                        pa_operation_unref(o);
                else
                        lose_server(c, "Cannot list the sound server's sources");
                break;
        case PA_CONTEXT_FAILED:
                lose_server(c, "Cannot reach the sound server");
                break;
        case PA_CONTEXT_TERMINATED:
                lose_server(c, "The sound server closed the connection");
                break;
        default:
                break;
        }
}

/* Names are resolved anew for every connection: after a restart a pattern
 * may match another device. */
static void connect_context(cw_capture *c) {
        for (int i = 0; i < N_SIDES; i++) {
                free(c->source_names[i]);
                c->source_names[i] = c->configured[i] ? strdup(c->configured[i]) : NULL;
        }
        c->context = pa_context_new(c->api, "callwitness");
        if (!c->context) {
                lose_server(c, "Cannot create a sound server connection");
                return;
        }
        pa_context_set_state_callback(c->context, on_context_state, c);
        /* No autospawn: a phone's sound server is started by the session,
         * and a daemon spawning its own would record nothing useful. */
        if (pa_context_connect(c->context, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
                lose_server(c, "Cannot reach the sound server");
}

int cw_capture_new(pa_mainloop_api *api, cw_capture_mode mode, const char *local_source, const char *remote_source,
                   const cw_capture_sink *sink, void *userdata, cw_capture **ret) {
        cw_capture *c = calloc(1, sizeof *c);

        if (!c)
                return -ENOMEM;
        c->api = api;
        c->mode = mode;
        c->n_sides = mode == CW_CAPTURE_SEPARATE ? 2 : 1;
        c->sink = *sink;
        c->userdata = userdata;
        c->configured[SIDE_LOCAL] = local_source ? strdup(local_source) : NULL;
        c->configured[SIDE_REMOTE] = remote_source && c->n_sides == 2 ? strdup(remote_source) : NULL;
        for (int i = 0; i < N_SIDES; i++) {
                c->sides[i].capture = c;
                /* Mapped, not malloc'ed: a capture lives for one call, and
                 * its memory goes back to the system when it ends (malloc
                 * keeps freed blocks of this size in the heap). Pages the
                 * ring never reaches are never resident. */
                c->sides[i].samples = mmap(NULL, SIDE_CAPACITY * sizeof(float), PROT_READ | PROT_WRITE,
                                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (c->sides[i].samples == MAP_FAILED) {
                        c->sides[i].samples = NULL;
                        goto fail;
                }
        }
        if ((local_source && !c->configured[SIDE_LOCAL]) ||
            (remote_source && c->n_sides == 2 && !c->configured[SIDE_REMOTE]))
                goto fail;
        connect_context(c);
        *ret = c;
        return 0;
fail:
        cw_capture_free(c);
        return -ENOMEM;
}

cw_capture *cw_capture_free(cw_capture *c) {
        if (!c)
                return NULL;
        drop_context(c);
        if (c->reconnect)
                c->api->time_free(c->reconnect);
        for (int i = 0; i < N_SIDES; i++) {
                if (c->sides[i].samples)
                        munmap(c->sides[i].samples, SIDE_CAPACITY * sizeof(float));
                free(c->source_names[i]);
                free(c->configured[i]);
                free(c->sides[i].device);
                free(c->sides[i].switched_from);
        }
        for (size_t i = 0; i < c->n_appeared; i++)
                free(c->appeared[i].name);
        free(c->appeared);
        free(c);
        return NULL;
}

cw_capture_mode cw_capture_get_mode(const cw_capture *c) {
        return c->mode;
}

void cw_capture_start_now(cw_capture *c) {
        /* What the server has sent so far is read before the mark: its
         * newest sample is the one before the answer (read after it, it
         * arrived after the mark and said nothing of where it belongs). */
        for (unsigned i = 0; i < c->n_sides; i++)
                read_side(&c->sides[i]);
        c->marked = true;
        for (unsigned i = 0; i < N_SIDES; i++)
                c->sides[i].drift_told = false;
        c->mark_usec = pa_rtclock_now();
        c->delivered = 0;
        for (unsigned i = 0; i < c->n_sides; i++) {
                side *s = &c->sides[i];
                pa_buffer_attr attr = buffer_attr(RECORDING_FRAGMENT_MS);
                pa_operation *o;

                /* What arrives from here on may still hold audio from before
                 * the answer: placed, it is dropped as such. */
                place_at_mark(s);
                if (stream_live(s) && (o = pa_stream_set_buffer_attr(s->stream, &attr, NULL, NULL)))
                        pa_operation_unref(o);
        }
}

uint64_t cw_capture_frame_now(const cw_capture *c) {
        return (uint64_t) timeline_now(c);
}

void cw_capture_flush(cw_capture *c, uint64_t end) {
        /* No time is left to tell a loss from a late delivery: audio held
         * back goes in as it came. */
        for (unsigned i = 0; i < c->n_sides; i++) {
                /* A recording that ends while a side waits for its source
                 * must still carry the loss. */
                if (c->sides[i].grace)
                        tell_loss(&c->sides[i]);
                read_side(&c->sides[i]);
                settle_switch(&c->sides[i]);
                c->sides[i].held = false;
                c->sides[i].placing = false;
                forget_clock_question(&c->sides[i]);
        }
        deliver(c, end);
}
