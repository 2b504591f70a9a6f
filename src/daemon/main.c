/* SPDX-License-Identifier: GPL-3.0-or-later */
/* callwitnessd: records every call. One pa_mainloop runs D-Bus and audio;
 * with no call in progress nothing in it wakes up. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libintl.h>
#include <locale.h>
#include <pulse/mainloop-signal.h>
#include <pulse/mainloop.h>
#include <pulse/timeval.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/catalog.h"
#include "callwitness/config.h"
#include "callwitness/hash.h"
#include "callwitness/log.h"
#include "callwitness/oggfile.h"
#include "callwitness/paths.h"
#include "callwitness/profile.h"
#include "callwitness/rules.h"
#include "catalog-writer.h"
#include "dbus-glue.h"
#include "modem.h"
#include "notifier.h"
#include "recorder-api.h"
#include "tracker.h"

typedef struct daemon_state {
        pa_mainloop *loop;
        cw_config cfg;
        cw_rulebook *rules;      /* NULL: calls are not judged (no presets installed) */
        bool config_loaded;      /* a configuration is in force: a reload keeps it on any error */
        int lock_fd;
        char *config_path;
        char *data_dir;
        cw_catalog *catalog;
        DBusConnection *system_bus;
        cw_dbus_glue *glue;
        DBusConnection *session_bus;   /* NULL when there is none */
        cw_dbus_glue *session_glue;
        cw_recorder_api *recorder_api;
        cw_notifier *notifier;
        cw_tracker *tracker;
        char *journal;           /* catalog writes an earlier run could not make */
        int64_t earlier_calls;   /* calls up to this id are an earlier run's */
        pa_time_event *catch_up; /* while the catalog was locked at start */
        bool catching_up;
        const cw_modem_backend_ops *backend_ops[2];
        void *backends[2];
} daemon_state;

/* The rules the configuration names (or the zone's), else the default's
 * alone; NULL when not even those are installed. */
static cw_rulebook *load_rules(const cw_config *cfg, bool keep_on_error) {
        cw_rulebook_settings settings = {
                .preset = cfg->preset, .country_code = cfg->country_code,
                .night = cfg->night, .n_night = cfg->n_night, .night_set = cfg->night_set,
        };
        cw_rulebook *rules = NULL;
        char *error = NULL, *zone = cw_local_time_zone_name();
        int r;

        settings.zone = zone;
        r = cw_rulebook_load(cw_paths_presets_dir(), &settings, &rules, &error);
        if (r < 0) {
                cw_log_error("Rule preset: %s%s", error ? error : strerror(-r),
                             keep_on_error ? "" : "; calls are judged by callwitness's default rules alone");
                free(error);
                error = NULL;
                if (!keep_on_error) {
                        settings.preset = CW_PRESET_GENERIC;
                        if (cw_rulebook_load(cw_paths_presets_dir(), &settings, &rules, &error) < 0) {
                                cw_log_error("No rules at all (%s): calls are recorded but not tagged",
                                             error ? error : "no presets");
                                free(error);
                                rules = NULL;
                        }
                }
        }
        if (rules)
                cw_log_info("Rules: preset %s (time zone %s), country code %s", cw_rulebook_preset(rules),
                            zone ? zone : "not known", cw_rulebook_country_code(rules) ? cw_rulebook_country_code(rules)
                                                                                       : "none");
        free(zone);
        return rules;
}

/* false: refused, the configuration in force kept (the reason logged). */
static bool load_config(daemon_state *d) {
        cw_config cfg;
        cw_profile profile = { 0 };
        cw_rulebook *rules;
        char *error = NULL;
        int r;

        cw_config_init_defaults(&cfg);
        if (cw_config_load(d->config_path, &cfg, &error) < 0) {
                cw_log_error("%s; keeping the previous configuration", error ? error : "Bad configuration");
                free(error);
                return false;
        }
        r = cw_profile_select(cw_paths_profiles_dir(), cfg.profile, "/", &profile, &error);
        if (r < 0 && d->config_loaded) {
                /* A mistyped profile must not silently change how calls are
                 * captured: the configuration in force stays, whole. */
                cw_log_error("No device profile (%s); keeping the previous configuration", error ? error : strerror(-r));
                free(error);
                cw_config_clear(&cfg);
                return false;
        }
        if (r < 0) {
                /* At start, recording with the defaults beats not recording. */
                cw_log_error("No device profile (%s); capturing with the defaults", error ? error : strerror(-r));
                free(error);
        } else {
                if (cw_config_apply_profile(&cfg, &profile) < 0) {
                        cw_profile_clear(&profile);
                        cw_config_clear(&cfg);
                        return false;
                }
                cw_log_info("Device profile %s (%s; %s)", profile.id, profile.name ? profile.name : profile.id,
                            profile.confirmed ? "confirmed on hardware" : "not yet confirmed on hardware");
                if (profile.notes)
                        cw_log_info("Device profile note: %s", profile.notes);
        }
        rules = load_rules(&cfg, d->config_loaded);
        if (!rules && d->config_loaded) {
                cw_log_error("Keeping the previous configuration");
                cw_profile_clear(&profile);
                cw_config_clear(&cfg);
                return false;
        }
        /* The backends follow their services from the start on; changing
         * them in a running daemon would end calls in progress. */
        if (d->config_loaded && (cfg.backend_modemmanager != d->cfg.backend_modemmanager ||
                                 cfg.backend_ofono != d->cfg.backend_ofono)) {
                cw_log_warning("[modem] backends changed: this takes effect when callwitnessd starts again "
                               "(systemctl --user restart callwitnessd)");
                cfg.backend_modemmanager = d->cfg.backend_modemmanager;
                cfg.backend_ofono = d->cfg.backend_ofono;
        }
        cw_config_clear(&d->cfg);
        d->cfg = cfg;
        /* The tracker takes the new rules before the old ones go. */
        if (d->tracker)
                cw_tracker_set_rules(d->tracker, rules, "the configuration was reloaded");
        cw_rulebook_free(d->rules);
        d->rules = rules;
        d->config_loaded = true;
        cw_profile_clear(&profile);
        cw_log_info("Configuration from %s: capture %s, %d bit/s, %zu night window(s)", d->config_path,
                    cw_capture_mode_to_string(d->cfg.capture_mode), d->cfg.bitrate, d->cfg.n_night);
        return true;
}

static bool reload_config(void *userdata) {
        return load_config(userdata);
}

static void on_signal(pa_mainloop_api *api, pa_signal_event *e, int sig, void *userdata) {
        daemon_state *d = userdata;

        if (sig == SIGHUP) {
                (void) load_config(d);
                return;
        }
        cw_log_info("Stopping on signal %d", sig);
        api->quit(api, 0);
}

static void orphan_warning(daemon_state *d, const cw_orphan *orphan, const char *kind, const char *message,
                           const cw_timestamp *at) {
        cw_log_warning("call %lld: %s", (long long) orphan->id, message);
        if (cw_catalog_add_warning(d->catalog, orphan->id, kind, message, at) < 0)
                cw_log_error("call %lld: catalog: %s", (long long) orphan->id, cw_catalog_last_error(d->catalog));
}

/* A daemon that died mid-call (or while sealing) left a row without an end
 * or a file without final tags and hash: the call ends where its audio on
 * disk ends (not at this start, hours later perhaps), said as such, and the
 * file is hashed as it is. */
static void finish_orphan(const cw_orphan *orphan, cw_timestamp *ended, void *userdata) {
        daemon_state *d = userdata;
        char sha256[CW_SHA256_HEX_LEN + 1], when[CW_RFC3339_MAX], *path, *message;
        const char *known_by;
        int64_t audio_ms;
        uint64_t size = 0;
        int fd = -1, open_error = ENOENT, r;
        struct stat st;

        if (orphan->relpath && asprintf(&path, "%s/%s", d->data_dir, orphan->relpath) >= 0) {
                /* Not blocking on a fifo planted in its place. */
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
                open_error = errno;
                free(path);
        }
        if (!orphan->ended) {
                /* Nothing is known after the call's last state change, or
                 * after the last audio its file holds, if later; whatever
                 * the clock says now (a phone without a clock battery boots
                 * in the past). */
                *ended = orphan->last_known;
                known_by = "the last moment known";
                if (fd >= 0 && orphan->answered && cw_oggfile_duration_ms(fd, &audio_ms) == 0 &&
                    orphan->answered_at.utc_ms + audio_ms > ended->utc_ms) {
                        *ended = cw_timestamp_from_utc_ms(orphan->answered_at.utc_ms + audio_ms);
                        known_by = "the last audio that reached the disk";
                }
                cw_timestamp_format_rfc3339(ended, when);
                if (asprintf(&message, "callwitnessd stopped during this call; it is ended at %s (%s), the real "
                                       "end is not known", known_by, when) >= 0) {
                        orphan_warning(d, orphan, "daemon-stopped", message, ended);
                        free(message);
                }
        }
        if (!orphan->relpath)
                return;
        if (fd < 0) {
                /* A power cut before the file's first sync. */
                if (asprintf(&message, "the recording %s is missing (%s): callwitnessd stopped before it reached "
                                       "the disk", orphan->relpath, strerror(open_error)) >= 0) {
                        orphan_warning(d, orphan, "file-missing", message, ended);
                        free(message);
                }
                return;
        }
        r = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EISDIR : cw_sha256_fd(fd, sha256, &size);
        if (r < 0 || cw_oggfile_duration_ms(fd, &audio_ms) < 0)
                audio_ms = 0;
        close(fd);
        if (r < 0) {
                /* A damaged card: said once (the orphan is not offered
                 * again), the file left as it is for a person to look at. */
                if (asprintf(&message, "the recording %s cannot be read to be hashed (%s); it is not sealed",
                             orphan->relpath, strerror(-r)) >= 0) {
                        orphan_warning(d, orphan, "file-unreadable", message, ended);
                        free(message);
                }
                return;
        }
        if (orphan->ended)
                orphan_warning(d, orphan, "daemon-stopped", "callwitnessd stopped while sealing this recording; "
                               "it is hashed as found, its last moments may be missing", ended);
        if (audio_ms == 0 && asprintf(&message, "no audio of this call reached the disk: the recording %s holds "
                                                "none", orphan->relpath) >= 0) {
                orphan_warning(d, orphan, "file-empty", message, ended);
                free(message);
        }
        if (cw_catalog_seal_recording(d->catalog, orphan->id, size, sha256, audio_ms, ended) < 0)
                cw_log_error("call %lld: catalog: %s", (long long) orphan->id, cw_catalog_last_error(d->catalog));
}

/* While the catalog is locked at start, closing the earlier run's calls is
 * tried again this often. */
#define CATCH_UP_RETRY_USEC (2 * PA_USEC_PER_SEC)

static void schedule_catch_up(daemon_state *d);

/* What an earlier run left: its writes kept in the journal, then its calls
 * without an end or a seal. Before this run writes anything, or, if the
 * catalog is locked, from the loop until it is done (only the earlier
 * run's calls: this run's are in progress, not orphans). */
static int catch_up(daemon_state *d) {
        cw_timestamp now = cw_timestamp_now();
        int r;

        r = cw_catalog_writer_replay(d->catalog, d->rules, d->journal);
        if (r == 0)
                r = cw_catalog_end_orphans(d->catalog, &now, d->earlier_calls, finish_orphan, d);
        return r;
}

static void try_catch_up(daemon_state *d) {
        int r = catch_up(d);

        if (r == -EBUSY || r == -ENOSPC) {
                if (!d->catching_up)
                        cw_log_warning("The catalog cannot be written now (%s); what an earlier run left open is "
                                       "closed as soon as it can be", cw_catalog_last_error(d->catalog));
                d->catching_up = true;
                schedule_catch_up(d);
        } else if (r < 0)
                cw_log_warning("Could not close calls left open by an earlier run: %s",
                               cw_catalog_last_error(d->catalog));
        else if (d->catching_up)
                cw_log_info("What an earlier run left open is closed");
}

static void on_catch_up(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv, void *userdata) {
        daemon_state *d = userdata;

        api->time_free(e);
        d->catch_up = NULL;
        try_catch_up(d);
}

static void schedule_catch_up(daemon_state *d) {
        pa_mainloop_api *api = pa_mainloop_get_api(d->loop);
        struct timeval when;

        pa_gettimeofday(&when);
        pa_timeval_add(&when, CATCH_UP_RETRY_USEC);
        d->catch_up = api->time_new(api, &when, on_catch_up, d);
}

static int open_data(daemon_state *d) {
        char *db_path = NULL;
        cw_timestamp now = cw_timestamp_now();
        int r;

        r = cw_paths_data_dir(&d->data_dir);
        if (r < 0) {
                cw_log_error("Cannot tell where to keep recordings: set HOME or XDG_DATA_HOME");
                return r;
        }
        r = cw_paths_mkdir_p(d->data_dir, 0700);
        if (r < 0) {
                cw_log_error("Cannot create '%s': %s", d->data_dir, strerror(-r));
                return r;
        }
        /* One daemon per data directory: a second one would take the
         * first's calls in progress for orphans and close them. The lock
         * goes with the process, however it ends. */
        if (asprintf(&db_path, "%s/callwitnessd.lock", d->data_dir) < 0)
                return -ENOMEM;
        d->lock_fd = open(db_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        free(db_path);
        if (d->lock_fd < 0 || flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                r = -errno;
                cw_log_error(r == -EWOULDBLOCK ? "Another callwitnessd is already recording to '%s'; not starting"
                                               : "Cannot lock '%s': %m", d->data_dir);
                return r;
        }
        if (asprintf(&db_path, "%s/catalog.db", d->data_dir) < 0)
                return -ENOMEM;
        r = cw_catalog_open(db_path, &now, &d->catalog);
        if (r < 0)
                cw_log_error("Cannot open the catalog '%s': %s%s", db_path, strerror(-r),
                             r == -EPROTONOSUPPORT ? " (written by a newer callwitness)" : "");
        free(db_path);
        if (r < 0)
                return r;
        if (asprintf(&d->journal, "%s/%s", d->data_dir, CW_CATALOG_JOURNAL) < 0)
                return -ENOMEM;
        r = cw_catalog_last_call_id(d->catalog, &d->earlier_calls);
        if (r < 0) {
                cw_log_error("Cannot read the catalog: %s", cw_catalog_last_error(d->catalog));
                return r;
        }
        /* A locked catalog must not hold the start (and the calls ringing
         * meanwhile) for 5 s per write: the rest is retried from the loop. */
        cw_catalog_set_busy_timeout(d->catalog, CW_CATALOG_WRITER_BUSY_MS);
        try_catch_up(d);
        return 0;
}

/* The network's time from the first backend whose modem tells it. */
static int ask_network_time(void *data, cw_network_time_fn fn, void *userdata, void (*free_userdata)(void *)) {
        daemon_state *d = data;

        for (size_t i = 0; i < 2; i++)
                if (d->backends[i] && d->backend_ops[i]->network_time &&
                    d->backend_ops[i]->network_time(d->backends[i], fn, userdata, free_userdata) == 0)
                        return 0;
        return -ENODEV;
}

static int start_backends(daemon_state *d) {
        pa_mainloop_api *api = pa_mainloop_get_api(d->loop);
        char *error = NULL;
        size_t n = 0;
        int r;

        r = cw_dbus_open_bus(DBUS_BUS_SYSTEM, &d->system_bus, &error);
        if (r < 0) {
                cw_log_error("Cannot connect to the system bus: %s", error ? error : strerror(-r));
                free(error);
                return r;
        }
        r = cw_dbus_glue_attach(d->system_bus, api, &d->glue);
        if (r < 0)
                return r;
        if (cw_dbus_open_bus(DBUS_BUS_SESSION, &d->session_bus, &error) < 0) {
                cw_log_info("No session bus (%s); no notifications, and callwitness record, stop and mark cannot "
                            "reach this daemon", error ? error : "unknown error");
                free(error);
                error = NULL;
        } else if ((r = cw_dbus_glue_attach(d->session_bus, api, &d->session_glue)) < 0)
                return r;
        r = cw_notifier_new(d->session_bus, &d->notifier);
        if (r < 0)
                return r;
        r = cw_tracker_new(api, &d->cfg, d->catalog, d->notifier, d->data_dir, &d->tracker);
        if (r < 0)
                return r;
        cw_tracker_set_rules(d->tracker, d->rules, "callwitnessd started");
        cw_tracker_set_time_source(d->tracker, ask_network_time, d);
        /* Recording goes on without the API: a second daemon's name, a bus
         * that refuses us, are logged. */
        if (d->session_bus)
                if (cw_recorder_api_new(api, d->session_bus, d->tracker, d->data_dir, &d->recorder_api) >= 0)
                        cw_recorder_api_set_reload(d->recorder_api, reload_config, d);

        if (d->cfg.backend_modemmanager)
                d->backend_ops[n++] = &cw_modem_mm_ops;
        if (d->cfg.backend_ofono)
                d->backend_ops[n++] = &cw_modem_ofono_ops;
        for (size_t i = 0; i < n; i++) {
                r = d->backend_ops[i]->start(d->system_bus, &cw_tracker_modem_events, d->tracker, &d->backends[i]);
                if (r < 0) {
                        cw_log_error("Cannot start the %s backend: %s", d->backend_ops[i]->name, strerror(-r));
                        return r;
                }
        }
        return 0;
}

static void stop(daemon_state *d) {
        /* Calls ended below check the clock: not with backends gone. */
        if (d->tracker)
                cw_tracker_set_time_source(d->tracker, NULL, NULL);
        for (size_t i = 0; i < 2; i++)
                if (d->backends[i]) {
                        d->backend_ops[i]->stop(d->backends[i]);
                        d->backends[i] = NULL;
                }
        cw_recorder_api_free(d->recorder_api);
        cw_tracker_free(d->tracker);
        if (d->catch_up)
                pa_mainloop_get_api(d->loop)->time_free(d->catch_up);
        free(d->journal);
        cw_notifier_free(d->notifier);
        cw_dbus_glue_free(d->session_glue);
        if (d->session_bus) {
                dbus_connection_close(d->session_bus);
                dbus_connection_unref(d->session_bus);
        }
        cw_dbus_glue_free(d->glue);
        if (d->system_bus) {
                dbus_connection_close(d->system_bus);
                dbus_connection_unref(d->system_bus);
        }
        cw_catalog_free(d->catalog);
        if (d->lock_fd >= 0)
                close(d->lock_fd);
        cw_config_clear(&d->cfg);
        cw_rulebook_free(d->rules);
        free(d->config_path);
        free(d->data_dir);
        if (d->loop) {
                pa_signal_done();
                pa_mainloop_free(d->loop);
        }
        dbus_shutdown();
}

static void usage(FILE *out) {
        fprintf(out,
                "Usage: callwitnessd [OPTIONS]\n"
                "Records every phone call (ModemManager or oFono) to Ogg Opus.\n\n"
                "  -v, --verbose   log debug messages (phone numbers included)\n"
                "  -h, --help      show this help\n"
                "      --version   show the version\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        daemon_state d = { .lock_fd = -1 };
        pa_mainloop_api *api;
        int opt, r, ret = 1;

        setlocale(LC_ALL, "");
        /* Warnings and reasons go into the catalog and the file's tags:
         * "8.2 s" in every language, as a program reading them expects. */
        setlocale(LC_NUMERIC, "C");
        /* Tag reasons are written in the user's language (the session's
         * LANGUAGE / LC_MESSAGES); CALLWITNESS_LOCALEDIR: a build's own
         * translations, not installed. */
        bindtextdomain(GETTEXT_PACKAGE, getenv("CALLWITNESS_LOCALEDIR") && getenv("CALLWITNESS_LOCALEDIR")[0] == '/'
                                        ? getenv("CALLWITNESS_LOCALEDIR") : LOCALEDIR);
        /* The catalog, the file's tags and D-Bus hold UTF-8, whatever the
         * locale's character set. */
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        textdomain(GETTEXT_PACKAGE);
        while ((opt = getopt_long(argc, argv, "vh", options, NULL)) >= 0)
                switch (opt) {
                case 'v':
                        cw_log_set_max_level(CW_LOG_DEBUG);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("callwitnessd %s\n", CW_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }

        /* Recordings and the catalog are private whatever the caller's umask. */
        umask(0077);
        cw_config_init_defaults(&d.cfg);
        if (cw_paths_config_file(&d.config_path) < 0) {
                cw_log_error("Cannot tell where the configuration is: set HOME or XDG_CONFIG_HOME");
                return 1;
        }
        load_config(&d);
        /* A configuration that did not load leaves the defaults in force,
         * and their rules. */
        if (!d.rules)
                d.rules = load_rules(&d.cfg, false);

        d.loop = pa_mainloop_new();
        if (!d.loop)
                goto finish;
        api = pa_mainloop_get_api(d.loop);
        if (pa_signal_init(api) < 0 || !pa_signal_new(SIGTERM, on_signal, &d) ||
            !pa_signal_new(SIGINT, on_signal, &d) || !pa_signal_new(SIGHUP, on_signal, &d))
                goto finish;
        signal(SIGPIPE, SIG_IGN);

        if (open_data(&d) < 0 || start_backends(&d) < 0)
                goto finish;

        cw_log_info("callwitnessd %s ready; recording to %s", CW_VERSION, d.data_dir);
        if (pa_mainloop_run(d.loop, &r) < 0)
                cw_log_error("Main loop failed");
        else
                ret = r;
finish:
        stop(&d);
        return ret;
}
