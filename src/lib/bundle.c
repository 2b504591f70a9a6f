/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writing an evidence bundle: staged in a hidden folder next to the
 * output, moved into place (or zipped) at the end, so a failure leaves
 * nothing behind. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit-db.h"
#include "bundle-private.h"
#include "callwitness/audit.h"
#include "callwitness/bundle.h"
#include "callwitness/text.h"
#include "callwitness/call-json.h"
#include "callwitness/contact-reports.h"
#include "callwitness/hash.h"
#include "callwitness/judgement.h"
#include "callwitness/paths.h"
#include "callwitness/report.h"

#define MAX_FILES 4096

static const char *base_name(const char *path);
static bool ends_with(const char *s, const char *suffix);

typedef struct exported_call {
        int64_t id;
        char *file;              /* relpath in the data dir, or NULL */
        char *sha256;
        json_object *json;       /* the manifest's entry */
} exported_call;

typedef struct bundle_file {
        char *name;              /* relative to the bundle */
        char sha256[CW_SHA256_HEX_LEN + 1];
        uint64_t size;
} bundle_file;

typedef struct exporter {
        cw_catalog *catalog;
        const cw_export_request *request;
        exported_call *calls;
        size_t n_calls;
        char *staging;
        char *zip;               /* the finished zip, until it is moved to output */
        bundle_file files[MAX_FILES];
        size_t n_files;
        char *error;
} exporter;

static int fail(exporter *x, int r, const char *format, ...) __attribute__((format(printf, 3, 4)));

static int fail(exporter *x, int r, const char *format, ...) {
        va_list ap;

        if (!x->error) {
                va_start(ap, format);
                if (vasprintf(&x->error, format, ap) < 0)
                        x->error = NULL;
                va_end(ap);
        }
        return r;
}

/* --- choosing the calls ---------------------------------------------------- */

static int collect_call(const cw_call_record *call, void *userdata) {
        exporter *x = userdata;
        exported_call *grown, *e;
        json_object *timeline, *audit;

        if (!(grown = realloc(x->calls, (x->n_calls + 1) * sizeof *grown)))
                return -ENOMEM;
        x->calls = grown;
        e = &x->calls[x->n_calls];
        *e = (exported_call) {
                .id = call->id,
                .file = call->file && call->sha256 ? strdup(call->file) : NULL,
                .sha256 = call->file && call->sha256 ? strdup(call->sha256) : NULL,
                .json = cw_call_json(call),
        };
        if (!e->json || (call->file && call->sha256 && (!e->file || !e->sha256)))
                return -ENOMEM;
        x->n_calls++;
        timeline = json_object_new_array();
        cw_catalog_foreach_state(x->catalog, call->id, cw_json_append_state, timeline);
        json_object_object_add(e->json, "timeline", timeline);
        audit = json_object_new_array();
        cw_audit_foreach(x->catalog, call->id, cw_json_append_audit_entry, audit);
        json_object_object_add(e->json, "audit", audit);
        return 0;
}

static int choose_calls(exporter *x) {
        const cw_export_request *req = x->request;
        int r;

        if (req->n_ids == 0) {
                r = cw_catalog_find_calls(x->catalog, req->filter, collect_call, x);
                if (r < 0)
                        return fail(x, r, "reading the catalog failed: %s", cw_catalog_last_error(x->catalog));
                return x->n_calls ? 0 : fail(x, -ENODATA, "no call matches; nothing to export");
        }
        for (size_t i = 0; i < req->n_ids; i++) {
                size_t before = x->n_calls;
                bool again = false;

                /* "export 1 1" names call 1 once. */
                for (size_t j = 0; j < i; j++)
                        again |= req->ids[j] == req->ids[i];
                if (again)
                        continue;

                r = cw_catalog_find_calls(x->catalog, &(cw_call_filter) { .id = req->ids[i] }, collect_call, x);
                if (r < 0)
                        return fail(x, r, "reading the catalog failed: %s", cw_catalog_last_error(x->catalog));
                if (x->n_calls == before)
                        return fail(x, -ENOENT, "there is no call %lld", (long long) req->ids[i]);
        }
        return 0;
}

/* --- files ----------------------------------------------------------------- */

static char *staged(const exporter *x, const char *name) {
        char *path;

        return asprintf(&path, "%s/%s", x->staging, name) < 0 ? NULL : path;
}

/* Hashes a file just written into the bundle and lists it. */
static int list_file(exporter *x, const char *name) {
        char *path = staged(x, name);
        bundle_file *f = &x->files[x->n_files];
        int fd, r;

        if (!path)
                return -ENOMEM;
        if (x->n_files == MAX_FILES) {
                free(path);
                return fail(x, -E2BIG, "more than %d files in one bundle", MAX_FILES);
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
        free(path);
        if (fd < 0)
                return fail(x, -errno, "%s: %s", name, strerror(errno));
        r = cw_sha256_fd(fd, f->sha256, &f->size);
        close(fd);
        if (r < 0)
                return fail(x, r, "%s: %s", name, strerror(-r));
        if (!(f->name = strdup(name)))
                return -ENOMEM;
        x->n_files++;
        return 0;
}

static int write_text(exporter *x, const char *name, const char *text) {
        char *path = staged(x, name);
        FILE *f;
        int r = 0;

        if (!path)
                return -ENOMEM;
        f = fopen(path, "wx");
        free(path);
        if (!f)
                return fail(x, -errno, "%s: %s", name, strerror(errno));
        if (fputs(text, f) < 0)
                r = -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r < 0)
                return fail(x, r, "%s: %s", name, strerror(-r));
        return list_file(x, name);
}

static int copy_recording(exporter *x, const exported_call *call, const char *name) {
        char *source = NULL, *target = staged(x, name), buffer[64 * 1024];
        int in = -1, out = -1, r = 0;
        ssize_t n;

        if (!target || asprintf(&source, "%s/%s", x->request->data_dir, call->file) < 0) {
                free(target);
                return -ENOMEM;
        }
        in = open(source, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                r = fail(x, -errno, "call %lld: %s: %s", (long long) call->id, call->file, strerror(errno));
        else if ((out = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
                r = fail(x, -errno, "%s: %s", name, strerror(errno));
        while (r == 0 && (n = read(in, buffer, sizeof buffer)) != 0) {
                if (n < 0 || write(out, buffer, (size_t) n) != n)
                        r = fail(x, errno ? -errno : -EIO, "%s: %s", name, strerror(errno ? errno : EIO));
        }
        if (out >= 0 && r == 0 && fsync(out) < 0)
                r = fail(x, -errno, "%s: %s", name, strerror(errno));
        if (in >= 0)
                close(in);
        if (out >= 0)
                close(out);
        free(source);
        free(target);
        if (r < 0)
                return r;
        if ((r = list_file(x, name)) < 0)
                return r;
        /* Byte for byte what the daemon hashed, or not evidence at all. */
        if (strcmp(x->files[x->n_files - 1].sha256, call->sha256) != 0)
                return fail(x, -EBADMSG, "call %lld: %s no longer matches the SHA-256 recorded when it was made; "
                            "run callwitness verify --catalog", (long long) call->id, call->file);
        return 0;
}

int cw_bundle_copies_from_string(const char *text, cw_bundle_copies *ret) {
        static const char *const names[] = { [CW_COPIES_MP3] = "mp3", [CW_COPIES_WAV] = "wav",
                                             [CW_COPIES_NONE] = "none" };

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(text, names[i]) == 0) {
                        *ret = (cw_bundle_copies) i;
                        return 0;
                }
        return -EINVAL;
}

/* 32 kbit/s, constant: the lowest MPEG-1 Layer III rate at 48 kHz, plenty
 * for one voice at a time on a phone line (narrower than 4 kHz, or 8 kHz
 * for HD voice), and 14 MB per call-hour. libsndfile maps its compression
 * level 0..1 onto 320..32 kbit/s. */
#define MP3_COMPRESSION 1.0

static SNDFILE *open_copy(const char *target, cw_bundle_copies copies, const SF_INFO *in) {
        SF_INFO info = { .samplerate = in->samplerate, .channels = copies == CW_COPIES_MP3 ? 1 : in->channels,
                         .format = copies == CW_COPIES_MP3 ? SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III
                                                           : SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
        int mode = SF_BITRATE_MODE_CONSTANT;
        double level = MP3_COMPRESSION;
        SNDFILE *out = sf_open(target, SFM_WRITE, &info);

        if (!out || copies != CW_COPIES_MP3)
                return out;
        /* libsndfile 1.2 answers SF_FALSE to the mode and keeps it (its
         * writer is constant-rate by default); the level must hold. */
        sf_command(out, SFC_SET_BITRATE_MODE, &mode, sizeof mode);
        if (sf_command(out, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level) != SF_TRUE) {
                sf_close(out);
                return NULL;
        }
        return out;
}

/* A copy for players without Opus, decoded by libsndfile: an MP3 holds
 * both sides mixed into one (a person listens to the conversation; the
 * original keeps them apart), a WAV both as they are. 0, 1 when the
 * recording holds no audio (no copy is made), or -errno. */
static int write_copy(exporter *x, const exported_call *call, const char *opus_name, const char *copy_name) {
        char *source = staged(x, opus_name), *target = staged(x, copy_name);
        cw_bundle_copies copies = x->request->copies;
        SF_INFO in_info = { 0 };
        SNDFILE *in = NULL, *out = NULL;
        float frames[4096 * 2];
        sf_count_t n;
        int r = 0;

        if (!source || !target) {
                r = -ENOMEM;
                goto finish;
        }
        if (!(in = sf_open(source, SFM_READ, &in_info))) {
                r = fail(x, -EIO, "call %lld: cannot decode %s: %s", (long long) call->id, call->file,
                         sf_strerror(NULL));
                goto finish;
        }
        if (in_info.frames == 0) {
                r = 1;   /* nothing to play: no copy (an empty MP3 plays nowhere) */
                goto finish;
        }
        if (in_info.channels < 1 || in_info.channels > 2 || !(out = open_copy(target, copies, &in_info))) {
                r = fail(x, -EIO, "%s: %s", copy_name, sf_strerror(NULL));
                goto finish;
        }
        while ((n = sf_readf_float(in, frames, 4096)) > 0) {
                /* The two sides seldom speak at once: summed, each keeps
                 * its level; where they do, the sum is held within range. */
                if (copies == CW_COPIES_MP3 && in_info.channels == 2)
                        for (sf_count_t i = 0; i < n; i++) {
                                float both = frames[2 * i] + frames[2 * i + 1];

                                frames[i] = both > 1.0f ? 1.0f : both < -1.0f ? -1.0f : both;
                        }
                if (sf_writef_float(out, frames, n) != n) {
                        r = fail(x, -EIO, "%s: %s", copy_name, sf_strerror(out));
                        break;
                }
        }
finish:
        if (in)
                sf_close(in);
        if (out && sf_close(out) != 0 && r == 0)
                r = fail(x, -EIO, "%s: cannot be written", copy_name);
        free(source);
        free(target);
        return r != 0 ? r : list_file(x, copy_name);
}

static json_object *file_json(const bundle_file *f, const char *role) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "name", json_object_new_string(f->name));
        json_object_object_add(o, "role", json_object_new_string(role));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) f->size));
        json_object_object_add(o, "sha256", json_object_new_string(f->sha256));
        return o;
}

/* A text message as a plain-text file anyone can open: who sent it, when,
 * its hash, then the text exactly as the network delivered it. */
static int write_message(exporter *x, const exported_call *call, json_object *files) {
        json_object *message;
        char *name = NULL, *text = NULL, *sender, *sent;
        size_t size = 0;
        FILE *f;
        int r;

        if (!json_object_object_get_ex(call->json, "message", &message))
                return 0;
        /* Only a bundle with messages has the folder. */
        if (!(name = staged(x, "messages")))
                return -ENOMEM;
        r = mkdir(name, 0700) < 0 && errno != EEXIST ? fail(x, -errno, "messages: %s", strerror(errno)) : 0;
        free(name);
        name = NULL;
        if (r < 0)
                return r;
        if (asprintf(&name, "messages/message-%lld.txt", (long long) call->id) < 0 ||
            !(f = open_memstream(&text, &size))) {
                free(name);
                return -ENOMEM;
        }
        /* The header's fields come from the network: one line each, with
         * nothing that could forge a line of the header (text.h). */
        sender = cw_text_visible_line(cw_json_get_string(message, "sender") ? cw_json_get_string(message, "sender")
                                                                            : "not known");
        sent = cw_text_visible_line(cw_json_get_string(message, "sent_reported")
                                    ? cw_json_get_string(message, "sent_reported") : "not given");
        fprintf(f, "Text message %lld\nFrom: %s\nSent (the network's time): %s\nRead by callwitnessd: %s\n"
                   "SHA-256 of its canonical text: %s\n",
                (long long) call->id, sender ? sender : "?", sent ? sent : "?",
                cw_json_get_string(message, "read_at") ? cw_json_get_string(message, "read_at") : "",
                cw_json_get_string(message, "sha256") ? cw_json_get_string(message, "sha256") : "");
        free(sender);
        free(sent);
        if (json_object_get_boolean(json_object_object_get(message, "deleted_before_read")))
                fprintf(f, "Deleted by another program before callwitnessd read all of it.\n");
        if (cw_json_get_string(message, "data"))
                fprintf(f, "Data (a binary message, as hex): %s\n", cw_json_get_string(message, "data"));
        fprintf(f, "\n%s\n", cw_json_get_string(message, "text") ? cw_json_get_string(message, "text") : "");
        if (fclose(f) != 0) {
                free(name);
                free(text);
                return -ENOMEM;
        }
        r = write_text(x, name, text);
        if (r == 0)
                json_object_array_add(files, file_json(&x->files[x->n_files - 1], "message-text"));
        free(name);
        free(text);
        return r;
}

static int add_recordings(exporter *x) {
        for (size_t i = 0; i < x->n_calls; i++) {
                exported_call *call = &x->calls[i];
                json_object *files = json_object_new_array();
                char *base, *opus_name = NULL, *copy_name = NULL;
                cw_bundle_copies copies = x->request->copies;
                int r = 0;

                json_object_object_add(call->json, "files", files);
                if ((r = write_message(x, call, files)) < 0)
                        return r;
                if (!call->file)
                        continue;   /* never answered, still recording, or a message */
                base = strdup(strrchr(call->file, '/') ? strrchr(call->file, '/') + 1 : call->file);
                if (!base || asprintf(&opus_name, "recordings/%s", base) < 0)
                        r = -ENOMEM;
                if (r == 0 && copies != CW_COPIES_NONE) {
                        /* foo.opus → foo.mp3 */
                        char *dot = strrchr(base, '.');

                        if (dot)
                                *dot = '\0';
                        if (asprintf(&copy_name, "recordings/%s.%s", base, copies == CW_COPIES_MP3 ? "mp3" : "wav") < 0)
                                r = -ENOMEM;
                }
                if (r == 0 && (r = copy_recording(x, call, opus_name)) == 0)
                        json_object_array_add(files, file_json(&x->files[x->n_files - 1], "original"));
                if (r == 0 && copy_name && (r = write_copy(x, call, opus_name, copy_name)) == 0)
                        json_object_array_add(files, file_json(&x->files[x->n_files - 1],
                                                               copies == CW_COPIES_MP3 ? "mp3-copy" : "wav-copy"));
                if (r > 0)
                        r = 0;
                free(base);
                free(opus_name);
                free(copy_name);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- manifest, sums, signature --------------------------------------------- */

static int head_entry(const cw_audit_entry *e, void *userdata) {
        json_object **head = userdata;

        json_object_put(*head);
        *head = json_object_new_object();
        json_object_object_add(*head, "seq", json_object_new_int64(e->seq));
        json_object_object_add(*head, "hash", json_object_new_string(e->hash));
        return 0;
}

/* What the rules say, as data for the report: the presets' rules in words
 * with their sources, and per caller (a collector, a number, withheld
 * callers) its calls and how many carry each policy tag. */
static int add_rule(const char *tag, const char *rule, const char *source, void *userdata) {
        json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "tag", json_object_new_string(tag));
        json_object_object_add(o, "rule", json_object_new_string(rule));
        json_object_object_add(o, "source", json_object_new_string(source));
        json_object_array_add(userdata, o);
        return 0;
}

static json_object *preset_json(const cw_preset *p) {
        json_object *o = json_object_new_object(), *rules = json_object_new_array();

        json_object_object_add(o, "id", json_object_new_string(p->id));
        json_object_object_add(o, "name", json_object_new_string(p->name));
        json_object_object_add(o, "force", p->force ? json_object_new_string(p->force) : NULL);
        cw_preset_foreach_rule(p, add_rule, rules);
        json_object_object_add(o, "rules", rules);
        return o;
}

static json_object *caller_entry(json_object *callers, const char *label) {
        json_object *entry;

        for (size_t i = 0; i < json_object_array_length(callers); i++) {
                entry = json_object_array_get_idx(callers, i);
                if (strcmp(cw_json_get_string(entry, "caller"), label) == 0)
                        return entry;
        }
        entry = json_object_new_object();
        json_object_object_add(entry, "caller", json_object_new_string(label));
        json_object_object_add(entry, "numbers", json_object_new_array());
        json_object_object_add(entry, "calls", json_object_new_int64(0));
        json_object_object_add(entry, "tags", json_object_new_object());
        json_object_array_add(callers, entry);
        return entry;
}

static void count_call(json_object *entry, json_object *call) {
        json_object *numbers, *tags, *call_tags, *count;
        const char *number = cw_json_get_string(call, "number");
        bool known = !number;

        json_object_object_get_ex(entry, "numbers", &numbers);
        for (size_t i = 0; !known && i < json_object_array_length(numbers); i++)
                known = strcmp(json_object_get_string(json_object_array_get_idx(numbers, i)), number) == 0;
        if (!known)
                json_object_array_add(numbers, json_object_new_string(number));
        json_object_object_add(entry, "calls", json_object_new_int64(cw_json_get_int64(entry, "calls") + 1));
        json_object_object_get_ex(entry, "tags", &tags);
        if (!json_object_object_get_ex(call, "tags", &call_tags))
                return;
        for (size_t i = 0; i < json_object_array_length(call_tags); i++) {
                json_object *tag = json_object_array_get_idx(call_tags, i);
                const char *name = cw_json_get_string(tag, "tag"), *origin = cw_json_get_string(tag, "origin");

                if (!name || !origin || strcmp(origin, "policy") != 0)
                        continue;
                json_object_object_add(tags, name, json_object_new_int64(
                        (json_object_object_get_ex(tags, name, &count) ? json_object_get_int64(count) : 0) + 1));
        }
}

/* A reported call to someone else goes into the bundle when it came from a
 * caller of the exported calls (the same collector or number), or from a
 * number nobody knows. */
typedef struct report_pick {
        exporter *x;
        json_object *reports, *callers;
} report_pick;

static int pick_report(const cw_contact_report *report, void *userdata) {
        report_pick *pick = userdata;
        const char *label = NULL;
        char *caller = NULL;
        json_object *o, *entry = NULL, *tags, *count;

        if (report->number) {
                if (!pick->x->request->rules ||
                    cw_catalog_caller_of(pick->x->catalog, pick->x->request->rules, report->number, &caller) < 0)
                        return 0;
                for (size_t i = 0; i < json_object_array_length(pick->callers) && !entry; i++)
                        if (strcmp(cw_json_get_string(json_object_array_get_idx(pick->callers, i), "caller"), caller) == 0)
                                entry = json_object_array_get_idx(pick->callers, i);
                label = caller;
                if (!entry) {
                        free(caller);
                        return 0;
                }
        }
        o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64(report->id));
        json_object_object_add(o, "contact", json_object_new_string(report->contact));
        json_object_object_add(o, "number", report->number ? json_object_new_string(report->number) : NULL);
        json_object_object_add(o, "caller", label ? json_object_new_string(label) : NULL);
        json_object_object_add(o, "at", cw_json_timestamp(true, &report->at));
        json_object_object_add(o, "note", report->note ? json_object_new_string(report->note) : NULL);
        json_object_object_add(o, "reported_at", cw_json_timestamp(true, &report->reported_at));
        json_object_array_add(pick->reports, o);
        if (entry && json_object_object_get_ex(entry, "tags", &tags))
                json_object_object_add(tags, "third-party", json_object_new_int64(
                        (json_object_object_get_ex(tags, "third-party", &count) ? json_object_get_int64(count) : 0) + 1));
        free(caller);
        return 0;
}

static json_object *rules_json(exporter *x) {
        const cw_rulebook *rules = x->request->rules;
        json_object *o = json_object_new_object(), *presets = json_object_new_array(), *callers = json_object_new_array();

        if (strcmp(cw_rulebook_jurisdiction(rules)->id, cw_rulebook_generic(rules)->id) != 0)
                json_object_array_add(presets, preset_json(cw_rulebook_jurisdiction(rules)));
        json_object_array_add(presets, preset_json(cw_rulebook_generic(rules)));
        json_object_object_add(o, "presets", presets);
        for (size_t i = 0; i < x->n_calls; i++) {
                json_object *call = x->calls[i].json;
                const char *kind = cw_json_get_string(call, "kind");
                char *label = NULL;

                if (kind && strcmp(kind, "call") != 0)
                        continue;   /* the rules count calls: not encounters, not messages */
                if (cw_catalog_caller_of(x->catalog, rules, cw_json_get_string(call, "number"), &label) == 0)
                        count_call(caller_entry(callers, label), call);
                free(label);
        }
        json_object_object_add(o, "callers", callers);
        return o;
}

static json_object *contact_reports_json(exporter *x, json_object *rules) {
        report_pick pick = { x, json_object_new_array(), NULL };
        json_object *empty = json_object_new_array();

        if (!rules || !json_object_object_get_ex(rules, "callers", &pick.callers))
                pick.callers = empty;
        cw_contact_report_foreach(x->catalog, pick_report, &pick);
        json_object_put(empty);
        return pick.reports;
}

static json_object *build_manifest(exporter *x) {
        const cw_export_request *req = x->request;
        char public_key[CW_PUBLIC_KEY_BASE64_LEN + 1], key_id[17];
        json_object *m = json_object_new_object(), *calls = json_object_new_array(), *head = NULL;
        cw_timestamp utc = { .utc_ms = req->now.utc_ms };

        cw_device_key_public(req->key, public_key);
        cw_device_key_id(req->key, key_id);
        cw_audit_foreach(x->catalog, 0, head_entry, &head);
        json_object_object_add(m, "format", json_object_new_string(CW_BUNDLE_FORMAT));
        json_object_object_add(m, "generator", json_object_new_string("callwitness " CW_VERSION));
        json_object_object_add(m, "exported_at", cw_json_timestamp(true, &utc));
        json_object_object_add(m, "exported_at_local", cw_json_timestamp(true, &req->now));
        json_object_object_add(m, "time_zone", json_object_new_string(req->time_zone));
        json_object_object_add(m, "device_public_key", json_object_new_string(public_key));
        json_object_object_add(m, "device_key_id", json_object_new_string(key_id));
        json_object_object_add(m, "audit_head", head);
        for (size_t i = 0; i < x->n_calls; i++)
                json_object_array_add(calls, json_object_get(x->calls[i].json));
        json_object_object_add(m, "calls", calls);
        json_object_object_add(m, "summary", cw_report_summary_json(calls));
        json_object *rules = req->rules ? rules_json(x) : NULL;

        json_object_object_add(m, "contact_reports", contact_reports_json(x, rules));
        if (rules)
                json_object_object_add(m, "rules", rules);
        return m;
}

static int compare_files(const void *a, const void *b) {
        return strcmp(((const bundle_file *) a)->name, ((const bundle_file *) b)->name);
}

static int write_sums_and_signature(exporter *x, char sums_sha256[static CW_SHA256_HEX_LEN + 1]) {
        char *sums = NULL, *signature = NULL, *comment = NULL;
        size_t size = 0;
        FILE *text = open_memstream(&sums, &size);
        int r;

        if (!text)
                return -ENOMEM;
        qsort(x->files, x->n_files, sizeof *x->files, compare_files);
        for (size_t i = 0; i < x->n_files; i++)
                fprintf(text, "%s  %s\n", x->files[i].sha256, x->files[i].name);
        if (fclose(text) != 0) {
                free(sums);
                return -ENOMEM;
        }
        if (asprintf(&comment, "timestamp:%lld\tfile:SHA256SUMS\tcallwitness evidence bundle, %zu call(s)",
                     (long long) (x->request->now.utc_ms / 1000), x->n_calls) < 0)
                comment = NULL;
        r = comment ? cw_minisign_sign(x->request->key, sums, size, comment, &signature) : -ENOMEM;
        if (r == 0)
                r = write_text(x, "SHA256SUMS", sums);
        if (r == 0) {
                snprintf(sums_sha256, CW_SHA256_HEX_LEN + 1, "%s", x->files[x->n_files - 1].sha256);
                r = write_text(x, "SHA256SUMS.minisig", signature);
        }
        free(sums);
        free(signature);
        free(comment);
        return r;
}

/* --- putting it in place ----------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

void cw_bundle_remove_tree(const char *path) {
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int add_to_zip(struct archive *zip, const char *top, const char *dir, const bundle_file *f) {
        struct archive_entry *entry = archive_entry_new();
        char *path = NULL, *name = NULL, buffer[64 * 1024];
        int fd = -1, r = 0;
        ssize_t n;

        if (!entry || asprintf(&path, "%s/%s", dir, f->name) < 0 || asprintf(&name, "%s/%s", top, f->name) < 0) {
                r = -ENOMEM;
                goto finish;
        }
        archive_entry_set_pathname(entry, name);
        archive_entry_set_size(entry, (la_int64_t) f->size);
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_perm(entry, 0644);
        if (archive_write_header(zip, entry) != ARCHIVE_OK || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
                r = -EIO;
                goto finish;
        }
        while ((n = read(fd, buffer, sizeof buffer)) > 0)
                if (archive_write_data(zip, buffer, (size_t) n) != n) {
                        r = -EIO;
                        break;
                }
        if (n < 0)
                r = -errno;
finish:
        if (fd >= 0)
                close(fd);
        archive_entry_free(entry);
        free(path);
        free(name);
        return r;
}

/* Zips the staged folder into a new file at zip_path (never through a
 * link someone put there); its name without ".zip" is the folder the zip
 * unpacks into. */
static int write_zip(exporter *x, const char *zip_path) {
        struct archive *zip = archive_write_new();
        char *top = strdup(base_name(x->request->output)), *dot;
        int fd = -1, r = 0;

        if (!zip || !top) {
                archive_write_free(zip);
                free(top);
                return -ENOMEM;
        }
        if ((dot = strrchr(top, '.')) && strcmp(dot, ".zip") == 0)
                *dot = '\0';
        fd = open(zip_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                r = fail(x, -errno, "%s: %s", zip_path, strerror(errno));
        else if (archive_write_set_format_zip(zip) != ARCHIVE_OK || archive_write_open_fd(zip, fd) != ARCHIVE_OK)
                r = fail(x, -EIO, "%s: %s", zip_path, archive_error_string(zip));
        for (size_t i = 0; r == 0 && i < x->n_files; i++)
                if ((r = add_to_zip(zip, top, x->staging, &x->files[i])) < 0)
                        r = fail(x, r, "%s: cannot add %s: %s", x->request->output, x->files[i].name,
                                 archive_error_string(zip) ? archive_error_string(zip) : strerror(-r));
        if (fd >= 0 && archive_write_close(zip) != ARCHIVE_OK && r == 0)
                r = fail(x, -EIO, "%s: %s", x->request->output, archive_error_string(zip));
        archive_write_free(zip);
        if (fd >= 0 && r == 0 && fsync(fd) < 0)
                r = fail(x, -errno, "%s: %s", zip_path, strerror(errno));
        if (fd >= 0)
                close(fd);
        free(top);
        return r;
}

static const char *base_name(const char *path) {
        const char *slash = strrchr(path, '/');

        return slash ? slash + 1 : path;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The bundle as it will be moved to output: the staged folder itself, or
 * a zip of it written beside it. Slow work, done before the catalog is
 * locked for the export's record. */
static int finish_bundle(exporter *x) {
        if (!ends_with(x->request->output, ".zip"))
                return 0;
        if (asprintf(&x->zip, "%s.zip", x->staging) < 0) {
                x->zip = NULL;
                return -ENOMEM;
        }
        return write_zip(x, x->zip);
}

/* Moves the finished bundle to output, never over something there. */
static int put_in_place(exporter *x) {
        const char *from = x->zip ? x->zip : x->staging;
        int r = cw_paths_rename_noreplace(from, x->request->output);

        if (r < 0)
                return fail(x, r, "%s: %s", x->request->output, strerror(-r));
        if (x->zip) {
                free(x->zip);
                x->zip = NULL;
        } else {
                free(x->staging);
                x->staging = NULL;
        }
        return 0;
}

/* --- the export as a whole ----------------------------------------------------- */

static int record_export(exporter *x, const char *sums_sha256) {
        int64_t *ids = calloc(x->n_calls, sizeof *ids);
        int r;

        if (!ids)
                return -ENOMEM;
        for (size_t i = 0; i < x->n_calls; i++)
                ids[i] = x->calls[i].id;
        r = cw_catalog_record_export(x->catalog, x->request->output, ids, x->n_calls, sums_sha256, &x->request->now);
        free(ids);
        return r;
}

static int make_staging(exporter *x) {
        const char *name = base_name(x->request->output);
        char *parent = strndup(x->request->output, (size_t) (name - x->request->output)), *copy = parent;
        struct stat st;
        int r = 0;

        if (!parent)
                return -ENOMEM;
        if (!*parent)
                parent = ".";
        if (lstat(x->request->output, &st) == 0)
                r = fail(x, -EEXIST, "%s already exists; choose a new name", x->request->output);
        if (r == 0 && (asprintf(&x->staging, "%s.%s.partial-XXXXXX", *copy ? copy : "", name) < 0 ||
                       !mkdtemp(x->staging))) {
                r = -errno;
                free(x->staging);
                x->staging = NULL;
                fail(x, r, "cannot write in %s: %s", parent, strerror(-r));
        }
        free(copy);
        if (r == 0) {
                char *recordings = staged(x, "recordings");

                if (!recordings || mkdir(recordings, 0700) < 0)
                        r = fail(x, -errno, "cannot write in %s: %s", x->staging, strerror(errno));
                free(recordings);
        }
        return r;
}

static char *report(exporter *x, json_object *manifest, int (*write)(json_object *, FILE *)) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return NULL;
        if (write(manifest, f) < 0) {
                fclose(f);
                free(text);
                return NULL;
        }
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

int cw_export(cw_catalog *c, const cw_export_request *request, cw_export_result *result, char **error_message) {
        exporter *x = calloc(1, sizeof *x);
        char sums_sha256[CW_SHA256_HEX_LEN + 1] = "";
        json_object *manifest = NULL;
        char *text = NULL;
        bool in_transaction = false;
        mode_t old_umask;
        int r;

        if (!x)
                return -ENOMEM;
        /* Recordings are private: the bundle is too, until its owner hands
         * it on (permissions do not travel with a copy anyway). */
        old_umask = umask(077);
        x->catalog = c;
        x->request = request;
        /* One snapshot for everything the bundle says of the catalog: a
         * call ending meanwhile is in it wholly or not at all. */
        r = cw_catalog_begin_read(c);
        if (r < 0)
                fail(x, r, "reading the catalog failed: %s", cw_catalog_last_error(c));
        else {
                r = choose_calls(x);
                if (r == 0)
                        r = make_staging(x);
                if (r == 0)
                        r = add_recordings(x);
                if (r == 0 && !(manifest = build_manifest(x)))
                        r = -ENOMEM;
                cw_catalog_end_read(c);
        }
        if (r == 0)
                r = write_text(x, "manifest.json", json_object_to_json_string_ext(manifest, JSON_C_TO_STRING_PRETTY |
                                                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
        if (r == 0)
                r = (text = report(x, manifest, cw_report_text)) ? write_text(x, "report.txt", text) : -ENOMEM;
        free(text);
        text = NULL;
        if (r == 0)
                r = (text = report(x, manifest, cw_report_html)) ? write_text(x, "report.html", text) : -ENOMEM;
        free(text);
        if (r == 0)
                r = write_sums_and_signature(x, sums_sha256);
        if (r == 0)
                r = finish_bundle(x);
        /* The catalog learns of the export only if the bundle is in place,
         * and the bundle stays only if the catalog learned of it. Only a
         * rename happens while the catalog is locked. */
        if (r == 0 && (r = cw_catalog_begin_write(c)) == 0) {
                in_transaction = true;
                r = record_export(x, sums_sha256);
        }
        if (r == 0)
                r = put_in_place(x);
        if (in_transaction) {
                if (r == 0 && (r = cw_catalog_commit(c)) < 0) {
                        fail(x, r, "the catalog could not record the export: %s", cw_catalog_last_error(c));
                        if (ends_with(request->output, ".zip"))
                                unlink(request->output);
                        else
                                cw_bundle_remove_tree(request->output);
                }
                if (r < 0)
                        cw_catalog_rollback(c);
        }
        if (x->zip)
                unlink(x->zip);
        if (x->staging)
                cw_bundle_remove_tree(x->staging);
        if (r == 0 && result)
                *result = (cw_export_result) { .n_calls = x->n_calls, .n_files = x->n_files };
        if (r < 0 && error_message)
                *error_message = x->error ? x->error : strdup(strerror(-r));
        else
                free(x->error);
        json_object_put(manifest);
        for (size_t i = 0; i < x->n_calls; i++) {
                free(x->calls[i].file);
                free(x->calls[i].sha256);
                json_object_put(x->calls[i].json);
        }
        for (size_t i = 0; i < x->n_files; i++)
                free(x->files[i].name);
        free(x->calls);
        free(x->zip);
        free(x->staging);
        free(x);
        umask(old_umask);
        return r;
}
