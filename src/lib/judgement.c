/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-db.h"
#include "callwitness/judgement.h"
#include "callwitness/number.h"
#include "callwitness/text.h"
#include "catalog-db.h"

#define _(text) gettext(text)

#define DAY_MS (24LL * 60 * 60 * 1000)
#define COLLECTOR_PREFIX "collector:"

/* --- who calls ------------------------------------------------------------- */

typedef struct collector_number {
        char *number;           /* canonical */
        char *name;
} collector_number;

typedef struct collectors {
        collector_number *items;
        size_t n;
        char **never;           /* numbers never recorded: the user's own people, not judged */
        size_t n_never;
} collectors;

static void collectors_clear(collectors *cs) {
        for (size_t i = 0; i < cs->n; i++) {
                free(cs->items[i].number);
                free(cs->items[i].name);
        }
        free(cs->items);
        for (size_t i = 0; i < cs->n_never; i++)
                free(cs->never[i]);
        free(cs->never);
        *cs = (collectors) { 0 };
}

static int load_collectors(cw_catalog *c, collectors *ret) {
        collectors cs = { 0 };
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(c, &stmt,
                      "SELECT collector_numbers.number, collectors.name FROM collector_numbers"
                      " JOIN collectors ON collectors.id = collector_numbers.collector_id ORDER BY collector_numbers.number",
                      "");
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                collector_number *items = realloc(cs.items, (cs.n + 1) * sizeof *items);

                if (!items) {
                        r = -ENOMEM;
                        break;
                }
                cs.items = items;
                items[cs.n].number = strdup(cw_db_column_text(stmt, 0));
                items[cs.n].name = strdup(cw_db_column_text(stmt, 1));
                cs.n++;
                if (!items[cs.n - 1].number || !items[cs.n - 1].name) {
                        r = -ENOMEM;
                        break;
                }
        }
        sqlite3_finalize(stmt);
        if (r == 0 && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        if (r == 0 && (r = cw_db_run(c, &stmt, "SELECT number FROM number_rules WHERE record = 'never' ORDER BY number",
                                     "")) == 0) {
                while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                        char **never = realloc(cs.never, (cs.n_never + 1) * sizeof *never);

                        if (!never) {
                                r = -ENOMEM;
                                break;
                        }
                        cs.never = never;
                        if (!(never[cs.n_never] = strdup(cw_db_column_text(stmt, 0)))) {
                                r = -ENOMEM;
                                break;
                        }
                        cs.n_never++;
                }
                sqlite3_finalize(stmt);
                if (r == 0 && rc != SQLITE_DONE)
                        r = cw_db_errno(rc);
        }
        if (r < 0) {
                collectors_clear(&cs);
                return r;
        }
        *ret = cs;
        return 0;
}

static int compare_text(const void *key, const void *item) {
        return strcmp(key, *(char *const *) item);
}

/* The user's own people (a never-record rule) are not judged. */
static bool trusted(const collectors *cs, const cw_contact *contact) {
        return cs->n_never && bsearch(contact->number, cs->never, cs->n_never, sizeof cs->never[0], compare_text);
}

static int compare_number(const void *key, const void *item) {
        return strcmp(key, ((const collector_number *) item)->number);
}

static const char *collector_of(const collectors *cs, const char *canonical) {
        const collector_number *found = cs->n ? bsearch(canonical, cs->items, cs->n, sizeof cs->items[0],
                                                        compare_number) : NULL;

        return found ? found->name : NULL;
}

/* --- history ------------------------------------------------------------------ */

typedef struct history {
        cw_contact *contacts;
        char **owned;           /* caller, label and number strings, 3 per contact */
        size_t n;
} history;

static void history_clear(history *h) {
        for (size_t i = 0; i < 3 * h->n; i++)
                free(h->owned[i]);
        free(h->owned);
        free(h->contacts);
        *h = (history) { 0 };
}

static int history_add(history *h, const cw_rulebook *rules, const collectors *cs, int64_t id, const cw_timestamp *at,
                       bool attempt, bool conversation, bool message, const char *number) {
        char canonical[CW_NUMBER_MAX];
        const char *collector;
        cw_contact *contacts = realloc(h->contacts, (h->n + 1) * sizeof *contacts);
        char **owned;
        size_t k = 3 * h->n;

        if (!contacts)
                return -ENOMEM;
        h->contacts = contacts;
        owned = realloc(h->owned, (k + 3) * sizeof *owned);
        if (!owned)
                return -ENOMEM;
        h->owned = owned;
        cw_number_canonical(number, cw_rulebook_country_code(rules), canonical);
        collector = strcmp(canonical, CW_NUMBER_WITHHELD) == 0 ? NULL : collector_of(cs, canonical);
        if (collector) {
                if (asprintf(&owned[k], COLLECTOR_PREFIX "%s", collector) < 0)
                        return -ENOMEM;
                owned[k + 1] = strdup(collector);
        } else {
                owned[k] = strdup(canonical);
                owned[k + 1] = strdup(strcmp(canonical, CW_NUMBER_WITHHELD) == 0 ? _("withheld callers") : canonical);
        }
        owned[k + 2] = strdup(canonical);
        h->n++;
        if (!owned[k] || !owned[k + 1] || !owned[k + 2])
                return -ENOMEM;
        contacts[h->n - 1] = (cw_contact) { .id = id, .at = *at, .attempt = attempt, .conversation = conversation,
                                            .message = message,
                                            .caller = owned[k], .caller_label = owned[k + 1], .number = owned[k + 2] };
        return 0;
}

static int compare_callers(const void *a, const void *b) {
        return strcmp((*(cw_contact *const *) a)->caller, (*(cw_contact *const *) b)->caller);
}

/* One key per caller: judging compares callers of hundreds of calls for
 * each call. */
static int assign_caller_keys(history *h) {
        cw_contact **sorted = malloc((h->n ? h->n : 1) * sizeof *sorted);
        unsigned key = 0;

        if (!sorted)
                return -ENOMEM;
        for (size_t i = 0; i < h->n; i++)
                sorted[i] = &h->contacts[i];
        qsort(sorted, h->n, sizeof *sorted, compare_callers);
        for (size_t i = 0; i < h->n; i++) {
                if (i == 0 || strcmp(sorted[i - 1]->caller, sorted[i]->caller) != 0)
                        key++;
                sorted[i]->caller_key = key;
        }
        free(sorted);
        return 0;
}

/* The calls that started in [from_ms, until_ms], oldest first. */
static int load_history(cw_catalog *c, const cw_rulebook *rules, const collectors *cs, int64_t from_ms,
                        int64_t until_ms, history *h) {
        sqlite3_stmt *stmt;
        int r, rc;

        r = cw_db_run(c, &stmt,
                      "SELECT id, direction = 'incoming', number, started_at_ms, started_offset_s,"
                      " answered_at_ms IS NOT NULL, kind = 'message' FROM calls"
                      " WHERE started_at_ms BETWEEN ? AND ? AND kind IN ('call', 'message')"
                      " ORDER BY started_at_ms, id",
                      "ii", from_ms, until_ms);
        if (r < 0)
                return r;
        while (r == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                cw_timestamp at;

                cw_db_column_timestamp(stmt, 3, &at);
                r = history_add(h, rules, cs, sqlite3_column_int64(stmt, 0), &at, sqlite3_column_int(stmt, 1),
                                sqlite3_column_int(stmt, 5), sqlite3_column_int(stmt, 6), cw_db_column_text(stmt, 2));
        }
        sqlite3_finalize(stmt);
        if (r == 0 && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        if (r == 0)
                r = assign_caller_keys(h);
        return r;
}

int cw_catalog_judge_call(cw_catalog *c, const cw_rulebook *rules, int64_t id, const cw_timestamp *at, bool attempt,
                          bool conversation, const char *number, cw_tag *tags, size_t max) {
        collectors cs = { 0 };
        history h = { 0 };
        size_t n_tags = 0;
        int r;

        r = load_collectors(c, &cs);
        if (r == 0)
                r = load_history(c, rules, &cs, at->utc_ms - (int64_t) cw_rulebook_span_days(rules) * DAY_MS,
                                 at->utc_ms, &h);
        /* The call itself, as it is now, whether its row is written or not. */
        for (size_t i = 0; r == 0 && id > 0 && i < h.n; i++)
                if (h.contacts[i].id == id) {
                        free(h.owned[3 * i]);
                        free(h.owned[3 * i + 1]);
                        free(h.owned[3 * i + 2]);
                        memmove(&h.owned[3 * i], &h.owned[3 * i + 3], 3 * (h.n - i - 1) * sizeof h.owned[0]);
                        memmove(&h.contacts[i], &h.contacts[i + 1], (h.n - i - 1) * sizeof h.contacts[0]);
                        h.n--;
                        break;
                }
        if (r == 0)
                r = history_add(&h, rules, &cs, id, at, attempt, conversation, false, number);
        if (r == 0 && !trusted(&cs, &h.contacts[h.n - 1]))
                n_tags = cw_judge_contact(cw_rulebook_judge(rules), h.contacts, h.n - 1, tags, max);
        history_clear(&h);
        collectors_clear(&cs);
        return r < 0 ? r : (int) n_tags;
}

int cw_catalog_caller_of(cw_catalog *c, const cw_rulebook *rules, const char *number, char **ret) {
        collectors cs = { 0 };
        history h = { 0 };
        cw_timestamp now = { 0 };
        int r = load_collectors(c, &cs);

        if (r == 0)
                r = history_add(&h, rules, &cs, 0, &now, true, false, false, number);
        if (r == 0 && !(*ret = strdup(h.contacts[0].caller_label)))
                r = -ENOMEM;
        history_clear(&h);
        collectors_clear(&cs);
        return r;
}

/* --- re-judging ------------------------------------------------------------- */

static int audit_tag_change(cw_catalog *c, const cw_tag_change *change, const char *because, const cw_timestamp *at,
                            cw_tag_change_fn cb, void *userdata) {
        json_object *body = json_object_new_object();
        int r;

        if (!body)
                return -ENOMEM;
        json_object_object_add(body, "tag", json_object_new_string(change->tag));
        json_object_object_add(body, "change", json_object_new_string(change->change));
        json_object_object_add(body, "reason", json_object_new_string(change->reason));
        json_object_object_add(body, "because", json_object_new_string(because));
        r = cw_audit_append_in_transaction(c, "policy-tag", change->call_id,
                                           json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), at);
        json_object_put(body);
        if (r == 0 && cb)
                cb(change, userdata);
        return r;
}

typedef struct stored_tag {
        char name[CW_TAG_NAME_MAX];
        char *reason;
        bool manual, kept;
} stored_tag;

/* Makes the call's policy tags the judged ones. */
static int apply_tags(cw_catalog *c, int64_t call_id, const cw_tag *tags, size_t n_tags, const char *because,
                      const cw_timestamp *at, cw_tag_change_fn cb, void *userdata) {
        stored_tag stored[32];
        size_t n_stored = 0;
        sqlite3_stmt *stmt;
        int r, rc;

        /* A tag a person took off counts as theirs: it stays off. */
        r = cw_db_run(c, &stmt,
                      "SELECT tag, reason, origin = 'manual' FROM tags WHERE call_id = ?1"
                      " UNION ALL SELECT tag, '', 1 FROM dismissed_tags WHERE call_id = ?1",
                      "i", call_id);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && n_stored < sizeof stored / sizeof stored[0]) {
                stored_tag *s = &stored[n_stored++];

                snprintf(s->name, sizeof s->name, "%s", cw_db_column_text(stmt, 0));
                s->reason = strdup(cw_db_column_text(stmt, 1) ? cw_db_column_text(stmt, 1) : "");
                s->manual = sqlite3_column_int(stmt, 2);
                s->kept = false;
                if (!s->reason)
                        r = -ENOMEM;
        }
        sqlite3_finalize(stmt);
        for (size_t i = 0; r == 0 && i < n_tags; i++) {
                stored_tag *s = NULL;

                for (size_t k = 0; k < n_stored && !s; k++)
                        if (strcmp(stored[k].name, tags[i].name) == 0)
                                s = &stored[k];
                if (s)
                        s->kept = true;
                if (s && (s->manual || strcmp(s->reason, tags[i].reason) == 0))
                        continue;   /* a person's tag stays; an unchanged one is no change */
                r = cw_db_run(c, NULL,
                              s ? "UPDATE tags SET reason = ? WHERE call_id = ? AND tag = ?"
                                : "INSERT INTO tags (reason, call_id, tag, origin) VALUES (?, ?, ?, 'policy')",
                              "tit", tags[i].reason, call_id, tags[i].name);
                if (r == 0)
                        r = audit_tag_change(c, &(cw_tag_change) { call_id, tags[i].name, s ? "changed" : "added",
                                                                   tags[i].reason }, because, at, cb, userdata);
        }
        for (size_t k = 0; r == 0 && k < n_stored; k++) {
                if (stored[k].kept || stored[k].manual)
                        continue;
                r = cw_db_run(c, NULL, "DELETE FROM tags WHERE call_id = ? AND tag = ?", "it", call_id, stored[k].name);
                if (r == 0)
                        r = audit_tag_change(c, &(cw_tag_change) { call_id, stored[k].name, "removed", stored[k].reason },
                                             because, at, cb, userdata);
        }
        for (size_t k = 0; k < n_stored; k++)
                free(stored[k].reason);
        return r;
}

/* Inside the caller's write transaction. */
static int retag_in_transaction(cw_catalog *c, const cw_rulebook *rules, int64_t since_ms, const char *because,
                                const cw_timestamp *at, cw_tag_change_fn cb, void *userdata) {
        int64_t span_ms = (int64_t) cw_rulebook_span_days(rules) * DAY_MS;
        collectors cs = { 0 };
        history h = { 0 };
        size_t start = 0;
        int r;

        r = load_collectors(c, &cs);
        if (r == 0)
                r = load_history(c, rules, &cs, since_ms - span_ms, INT64_MAX, &h);
        for (size_t i = 0; r == 0 && i < h.n; i++) {
                cw_tag tags[CW_JUDGE_TAGS_MAX];
                size_t n_tags;

                if (h.contacts[i].at.utc_ms < since_ms)
                        continue;
                while (h.contacts[start].at.utc_ms < h.contacts[i].at.utc_ms - span_ms)
                        start++;
                n_tags = trusted(&cs, &h.contacts[i]) ? 0
                         : cw_judge_contact(cw_rulebook_judge(rules), h.contacts + start, i - start, tags,
                                            CW_JUDGE_TAGS_MAX);
                r = apply_tags(c, h.contacts[i].id, tags, n_tags, because, at, cb, userdata);
        }
        history_clear(&h);
        collectors_clear(&cs);
        return r;
}

int cw_catalog_retag(cw_catalog *c, const cw_rulebook *rules, int64_t since_ms, const char *because,
                     const cw_timestamp *at, cw_tag_change_fn cb, void *userdata) {
        int r = cw_db_exec(c, "BEGIN IMMEDIATE");

        if (r < 0)
                return r;
        return cw_db_commit_or_rollback(c, retag_in_transaction(c, rules, since_ms, because, at, cb, userdata));
}

/* The fingerprint in the last "rules" entry, or "" when none. */
static int last_rules_fingerprint(cw_catalog *c, char out[static CW_RULES_FINGERPRINT_LEN + 1]) {
        sqlite3_stmt *stmt;
        int r, rc;

        out[0] = '\0';
        r = cw_db_run(c, &stmt, "SELECT body FROM audit_log WHERE kind = 'rules' ORDER BY seq DESC LIMIT 1", "");
        if (r < 0)
                return r;
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
                json_object *body = json_tokener_parse(cw_db_column_text(stmt, 0) ? cw_db_column_text(stmt, 0) : "");
                json_object *fingerprint;

                if (body && json_object_object_get_ex(body, "fingerprint", &fingerprint) &&
                    json_object_is_type(fingerprint, json_type_string))
                        snprintf(out, CW_RULES_FINGERPRINT_LEN + 1, "%s", json_object_get_string(fingerprint));
                json_object_put(body);
        } else if (rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);
        return r;
}

int cw_catalog_retag_all(cw_catalog *c, const cw_rulebook *rules, const char *because, bool only_if_changed,
                         const cw_timestamp *at, cw_tag_change_fn cb, void *userdata, bool *done) {
        char fingerprint[CW_RULES_FINGERPRINT_LEN + 1], last[CW_RULES_FINGERPRINT_LEN + 1];
        json_object *body;
        int r;

        *done = false;
        if ((r = cw_rulebook_fingerprint(rules, fingerprint)) < 0 || (r = cw_db_exec(c, "BEGIN IMMEDIATE")) < 0)
                return r;
        r = last_rules_fingerprint(c, last);
        if (r == 0 && only_if_changed && strcmp(last, fingerprint) == 0)
                return cw_db_commit_or_rollback(c, 0);
        if (r == 0)
                r = retag_in_transaction(c, rules, INT64_MIN / 2, because, at, cb, userdata);
        body = json_object_new_object();
        if (r == 0 && !body)
                r = -ENOMEM;
        if (r == 0) {
                json_object_object_add(body, "preset", json_object_new_string(cw_rulebook_preset(rules)));
                json_object_object_add(body, "country_code", cw_rulebook_country_code(rules)
                                       ? json_object_new_string(cw_rulebook_country_code(rules)) : NULL);
                json_object_object_add(body, "fingerprint", json_object_new_string(fingerprint));
                json_object_object_add(body, "because", json_object_new_string(because));
                r = cw_audit_append_in_transaction(c, "rules", 0,
                                                   json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), at);
        }
        json_object_put(body);
        r = cw_db_commit_or_rollback(c, r);
        *done = r == 0;
        return r;
}

/* --- collectors ----------------------------------------------------------------- */

static int audit_collector(cw_catalog *c, const char *name, const char *change, const char *const *numbers,
                           size_t n, const cw_timestamp *at) {
        json_object *body = json_object_new_object(), *list = json_object_new_array();
        int r;

        if (!body || !list) {
                json_object_put(body);
                json_object_put(list);
                return -ENOMEM;
        }
        json_object_object_add(body, "collector", json_object_new_string(name));
        json_object_object_add(body, "change", json_object_new_string(change));
        for (size_t i = 0; i < n; i++)
                json_object_array_add(list, json_object_new_string(numbers[i]));
        json_object_object_add(body, "numbers", list);
        r = cw_audit_append_in_transaction(c, "collector", 0, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
                                           at);
        json_object_put(body);
        return r;
}

static int collector_id(cw_catalog *c, const char *name, int64_t *ret) {
        sqlite3_stmt *stmt;
        int r = cw_db_run(c, &stmt, "SELECT id FROM collectors WHERE name = ?", "t", name), rc;

        if (r < 0)
                return r;
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : cw_db_errno(rc);
}

/* The canonical forms of numbers the user typed, and a list of them. */
typedef struct number_list {
        char (*canonical)[CW_NUMBER_MAX];
        const char **items;
} number_list;

static void number_list_clear(number_list *l) {
        free(l->canonical);
        free(l->items);
}

/* -EINVAL for a withheld or not-a-number one. */
static int number_list_make(const cw_rulebook *rules, const char *const *numbers, size_t n, number_list *ret) {
        number_list l = { calloc(n ? n : 1, sizeof *l.canonical), calloc(n ? n : 1, sizeof *l.items) };

        if (!l.canonical || !l.items) {
                number_list_clear(&l);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                cw_number_canonical(numbers[i], cw_rulebook_country_code(rules), l.canonical[i]);
                if (strcmp(l.canonical[i], CW_NUMBER_WITHHELD) == 0 ||
                    l.canonical[i][strspn(l.canonical[i], "+0123456789")] != '\0') {
                        number_list_clear(&l);
                        return -EINVAL;
                }
                l.items[i] = l.canonical[i];
        }
        *ret = l;
        return 0;
}

static bool valid_name(const char *name) {
        const char *problem;

        return name && name[0] && cw_text_check(name, CW_TEXT_LINE, CW_COLLECTOR_NAME_MAX, &problem) == 0;
}

/* After a change r reports on: its audit entry, the calls judged again,
 * and the commit (or the rollback of all of it). */
static int finish_collector_change(cw_catalog *c, const cw_rulebook *rules, int r, const char *name, const char *change,
                                   const number_list *numbers, size_t n_numbers, const char *because,
                                   const cw_timestamp *at, cw_tag_change_fn cb, void *userdata) {
        if (r == 0)
                r = audit_collector(c, name, change, numbers->items, n_numbers, at);
        if (r == 0)
                r = retag_in_transaction(c, rules, INT64_MIN / 2, because, at, cb, userdata);
        return cw_db_commit_or_rollback(c, r);
}

int cw_collector_add(cw_catalog *c, const cw_rulebook *rules, const char *name, const char *const *numbers,
                     size_t n_numbers, const cw_timestamp *at, cw_tag_change_fn cb, void *userdata) {
        number_list l;
        char *because = NULL;
        int64_t id = 0;
        int r;

        if (!valid_name(name))
                return -EINVAL;
        if ((r = number_list_make(rules, numbers, n_numbers, &l)) < 0)
                return r;
        if (asprintf(&because, "numbers were added to the collector %s", name) < 0)
                r = -ENOMEM;
        if (r == 0 && (r = cw_db_exec(c, "BEGIN IMMEDIATE")) == 0) {
                r = cw_db_run(c, NULL, "INSERT INTO collectors (name, at_ms, offset_s) VALUES (?, ?, ?)"
                                       " ON CONFLICT (name) DO NOTHING",
                              "tii", name, at->utc_ms, (int64_t) at->utc_offset_s);
                if (r == 0)
                        r = collector_id(c, name, &id);
                for (size_t i = 0; r == 0 && i < n_numbers; i++)
                        r = cw_db_run(c, NULL,
                                      "INSERT INTO collector_numbers (number, collector_id, as_given, at_ms, offset_s)"
                                      " VALUES (?, ?, ?, ?, ?) ON CONFLICT (number) DO UPDATE SET"
                                      " collector_id = excluded.collector_id, as_given = excluded.as_given,"
                                      " at_ms = excluded.at_ms, offset_s = excluded.offset_s",
                                      "titii", l.canonical[i], id, numbers[i], at->utc_ms, (int64_t) at->utc_offset_s);
                r = finish_collector_change(c, rules, r, name, "added", &l, n_numbers, because, at, cb, userdata);
        }
        free(because);
        number_list_clear(&l);
        return r;
}

int cw_collector_remove(cw_catalog *c, const cw_rulebook *rules, const char *name, const char *const *numbers,
                        size_t n_numbers, const cw_timestamp *at, cw_tag_change_fn cb, void *userdata) {
        number_list l;
        char *because = NULL;
        int64_t id = 0;
        int r;

        if ((r = number_list_make(rules, numbers, n_numbers, &l)) < 0)
                return r == -EINVAL ? -ENOENT : r;
        if (asprintf(&because, n_numbers ? "numbers were removed from the collector %s"
                                         : "the collector %s was removed", name) < 0)
                r = -ENOMEM;
        if (r == 0 && (r = cw_db_exec(c, "BEGIN IMMEDIATE")) == 0) {
                r = collector_id(c, name, &id);
                for (size_t i = 0; r == 0 && i < n_numbers; i++) {
                        r = cw_db_run(c, NULL, "DELETE FROM collector_numbers WHERE number = ? AND collector_id = ?",
                                      "ti", l.canonical[i], id);
                        if (r == 0 && sqlite3_changes(c->db) == 0)
                                r = -ENOENT;
                }
                if (r == 0 && n_numbers == 0) {
                        r = cw_db_run(c, NULL, "DELETE FROM collector_numbers WHERE collector_id = ?", "i", id);
                        if (r == 0)
                                r = cw_db_run(c, NULL, "DELETE FROM collectors WHERE id = ?", "i", id);
                }
                r = finish_collector_change(c, rules, r, name, n_numbers ? "numbers removed" : "removed", &l, n_numbers,
                                            because, at, cb, userdata);
        }
        free(because);
        number_list_clear(&l);
        return r;
}

int cw_collector_foreach(cw_catalog *c, const cw_rulebook *rules,
                         int (*cb)(const cw_collector_record *collector, void *userdata), void *userdata) {
        collectors cs = { 0 };
        history h = { 0 };
        sqlite3_stmt *stmt;
        int r, rc;

        r = load_collectors(c, &cs);
        if (r == 0)
                r = load_history(c, rules, &cs, INT64_MIN / 2, INT64_MAX, &h);
        if (r == 0)
                r = cw_db_run(c, &stmt, "SELECT id, name, at_ms, offset_s FROM collectors ORDER BY name", "");
        if (r < 0)
                goto out;
        while (r == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                const char *name = cw_db_column_text(stmt, 1);
                const char *numbers[64];
                cw_collector_record record = { .name = name, .numbers = numbers };
                char *caller;

                cw_db_column_timestamp(stmt, 2, &record.added);
                for (size_t i = 0; i < cs.n && record.n_numbers < 64; i++)
                        if (strcmp(cs.items[i].name, name) == 0)
                                numbers[record.n_numbers++] = cs.items[i].number;
                if (asprintf(&caller, COLLECTOR_PREFIX "%s", name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                for (size_t i = 0; i < h.n; i++)
                        record.calls += strcmp(h.contacts[i].caller, caller) == 0;
                free(caller);
                r = cb(&record, userdata);
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = cw_db_errno(rc);
        sqlite3_finalize(stmt);
out:
        history_clear(&h);
        collectors_clear(&cs);
        return r;
}

int cw_number_rule_change(cw_catalog *c, const cw_rulebook *rules, const char *number, bool remove,
                          cw_record_rule record, const char *label, const cw_timestamp *at, cw_tag_change_fn cb,
                          void *userdata) {
        const char *country_code = cw_rulebook_country_code(rules);
        char *because;
        int r;

        r = remove ? cw_number_rule_remove(c, number, country_code, at)
                   : cw_number_rule_set(c, number, country_code, record, label, at);
        if (r < 0 || (!remove && label))
                return r;
        if (asprintf(&because, "the rule for %s changed", number) < 0)
                return -ENOMEM;
        r = cw_catalog_retag(c, rules, INT64_MIN / 2, because, at, cb, userdata);
        free(because);
        return r;
}
