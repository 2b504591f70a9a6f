/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/text.h"
#include "calls-model.h"
#include "format.h"

/* What the list needs of one entry of the catalog, computed once a load. */
typedef struct entry {
        int64_t id;
        cw_record_kind kind;
        bool tagged, missed, warnings;
        char *title, *subtitle, *day, *haystack;
        const char *icon_name;
        char **tags;
} entry;

struct _CwCallItem {
        GObject parent;
        int64_t id;
        char *title, *subtitle, *day;
        const char *icon_name;
        char **tags;
        gboolean has_warnings, starts_day;
};

G_DEFINE_TYPE(CwCallItem, cw_call_item, G_TYPE_OBJECT)

static void cw_call_item_finalize(GObject *object) {
        CwCallItem *item = CW_CALL_ITEM(object);

        g_free(item->title);
        g_free(item->subtitle);
        g_free(item->day);
        g_strfreev(item->tags);
        G_OBJECT_CLASS(cw_call_item_parent_class)->finalize(object);
}

static void cw_call_item_class_init(CwCallItemClass *klass) {
        G_OBJECT_CLASS(klass)->finalize = cw_call_item_finalize;
}

static void cw_call_item_init(CwCallItem *item) {
}

int64_t cw_call_item_get_id(CwCallItem *item) {
        return item->id;
}

const char *cw_call_item_get_title(CwCallItem *item) {
        return item->title;
}

const char *cw_call_item_get_subtitle(CwCallItem *item) {
        return item->subtitle;
}

const char *cw_call_item_get_day(CwCallItem *item) {
        return item->day;
}

const char *cw_call_item_get_icon_name(CwCallItem *item) {
        return item->icon_name;
}

const char *const *cw_call_item_get_tags(CwCallItem *item) {
        return (const char *const *) item->tags;
}

gboolean cw_call_item_get_has_warnings(CwCallItem *item) {
        return item->has_warnings;
}

gboolean cw_call_item_get_starts_day(CwCallItem *item) {
        return item->starts_day;
}

struct _CwCallsModel {
        GObject parent;
        entry *entries;              /* newest first */
        guint n_entries;
        guint *visible;              /* indices into entries */
        guint n_visible;
        CwCallsFilter filter;
        char *search;                /* casefolded; NULL: none */
        GHashTable *items;           /* id -> CwCallItem, the ones made */
};

static void list_model_init(GListModelInterface *iface);

G_DEFINE_TYPE_WITH_CODE(CwCallsModel, cw_calls_model, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_init))

static void free_entries(entry *entries, guint n) {
        for (guint i = 0; i < n; i++) {
                g_free(entries[i].title);
                g_free(entries[i].subtitle);
                g_free(entries[i].day);
                g_free(entries[i].haystack);
                g_strfreev(entries[i].tags);
        }
        g_free(entries);
}

static void cw_calls_model_finalize(GObject *object) {
        CwCallsModel *model = CW_CALLS_MODEL(object);

        free_entries(model->entries, model->n_entries);
        g_free(model->visible);
        g_free(model->search);
        g_hash_table_unref(model->items);
        G_OBJECT_CLASS(cw_calls_model_parent_class)->finalize(object);
}

static void cw_calls_model_class_init(CwCallsModelClass *klass) {
        G_OBJECT_CLASS(klass)->finalize = cw_calls_model_finalize;
}

static void cw_calls_model_init(CwCallsModel *model) {
        model->items = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_object_unref);
}

static GType get_item_type(GListModel *list) {
        return CW_TYPE_CALL_ITEM;
}

static guint get_n_items(GListModel *list) {
        return CW_CALLS_MODEL(list)->n_visible;
}

static gboolean row_starts_day(const entry *entries, const guint *visible, guint position) {
        return position == 0 || strcmp(entries[visible[position]].day, entries[visible[position - 1]].day) != 0;
}

static gboolean starts_day(CwCallsModel *model, guint position) {
        return row_starts_day(model->entries, model->visible, position);
}

/* A row shows the same in both lists: the same call, words, tags, sign and
 * day heading. */
static bool same_row(const entry *old_entries, const guint *old_visible, guint a, const entry *entries,
                     const guint *visible, guint b) {
        const entry *x = &old_entries[old_visible[a]], *y = &entries[visible[b]];

        return x->id == y->id && strcmp(x->title, y->title) == 0 && strcmp(x->subtitle, y->subtitle) == 0 &&
               x->warnings == y->warnings && g_strv_equal((const char *const *) x->tags, (const char *const *) y->tags) &&
               row_starts_day(old_entries, old_visible, a) == row_starts_day(entries, visible, b);
}

static gpointer get_item(GListModel *list, guint position) {
        CwCallsModel *model = CW_CALLS_MODEL(list);
        const entry *e;
        CwCallItem *item;

        if (position >= model->n_visible)
                return NULL;
        e = &model->entries[model->visible[position]];
        item = g_hash_table_lookup(model->items, &e->id);
        if (!item) {
                item = g_object_new(CW_TYPE_CALL_ITEM, NULL);
                item->id = e->id;
                item->title = g_strdup(e->title);
                item->subtitle = g_strdup(e->subtitle);
                item->day = g_strdup(e->day);
                item->icon_name = e->icon_name;
                item->tags = g_strdupv(e->tags);
                item->has_warnings = e->warnings;
                item->starts_day = starts_day(model, position);
                g_hash_table_insert(model->items, &item->id, item);
        }
        return g_object_ref(item);
}

static void list_model_init(GListModelInterface *iface) {
        iface->get_item_type = get_item_type;
        iface->get_n_items = get_n_items;
        iface->get_item = get_item;
}

CwCallsModel *cw_calls_model_new(void) {
        return g_object_new(CW_TYPE_CALLS_MODEL, NULL);
}

static const char *icon_for(const cw_call_record *call) {
        switch (call->kind) {
        case CW_KIND_MESSAGE:
                return "mail-unread-symbolic";
        case CW_KIND_ENCOUNTER:
                return "audio-input-microphone-symbolic";
        default:
                break;
        }
        if (call->direction == CW_DIRECTION_OUTGOING)
                return "call-outgoing-symbolic";
        if (call->ended && !call->answered)
                return "call-missed-symbolic";
        return "call-incoming-symbolic";
}

/* Numbers come from the network: shown with any control character or
 * bidirectional override written out, never obeyed. */
static char *title_for(const cw_call_record *call) {
        const char *who = call->caller_company ? call->caller_company : call->caller_name;
        char *number = call->number ? cw_text_visible_line(call->number) : NULL, *title;

        if (call->kind == CW_KIND_ENCOUNTER)
                title = g_strdup(call->label ? call->label : _("A visit"));
        else if (who && number)
                title = g_strdup_printf("%s (%s)", who, number);
        else if (who)
                title = g_strdup(who);
        else
                title = g_strdup(number ? number : _("Withheld number"));
        free(number);
        return title;
}

static char *subtitle_for(const cw_call_record *call, GDateTime *local) {
        char *time = local ? g_date_time_format(local, "%H:%M") : g_strdup("?");
        char *text;

        if (call->kind == CW_KIND_MESSAGE)
                text = g_strdup_printf(_("%s · text message"), time);
        else if (call->answered && call->ended) {
                char *duration = cw_app_format_duration(call->duration_ms);

                text = g_strdup_printf("%s · %s", time, duration);
                g_free(duration);
        } else
                text = g_strdup_printf("%s · %s", time, cw_app_outcome_words(call->outcome));
        g_free(time);
        return text;
}

static char *haystack_for(const cw_call_record *call, const char *title) {
        GString *s = g_string_new(title);
        char *folded;

        if (call->number)
                g_string_append_printf(s, "\n%s", call->number);
        if (call->caller_name)
                g_string_append_printf(s, "\n%s", call->caller_name);
        if (call->caller_employee_id)
                g_string_append_printf(s, "\n%s", call->caller_employee_id);
        for (size_t i = 0; i < call->n_notes; i++)
                g_string_append_printf(s, "\n%s", call->notes[i].text);
        if (call->message && call->message->text)
                g_string_append_printf(s, "\n%s", call->message->text);
        folded = g_utf8_casefold(s->str, -1);
        g_string_free(s, TRUE);
        return folded;
}

typedef struct loading {
        GArray *entries;
} loading;

static int add_entry(const cw_call_record *call, void *userdata) {
        loading *l = userdata;
        GDateTime *local = cw_app_local_time(&call->started);
        entry e = {
                .id = call->id,
                .kind = call->kind,
                .tagged = call->n_tags > 0,
                .missed = call->kind == CW_KIND_CALL && call->direction == CW_DIRECTION_INCOMING && call->ended &&
                          !call->answered,
                .warnings = call->n_warnings > 0,
                .icon_name = icon_for(call),
                .tags = g_new0(char *, call->n_tags + 1),
        };

        e.title = title_for(call);
        e.subtitle = subtitle_for(call, local);
        /* TRANSLATORS: a day heading in the list of calls, as in strftime. */
        e.day = local ? g_date_time_format(local, _("%A, %-d %B %Y")) : g_strdup("?");
        e.haystack = haystack_for(call, e.title);
        for (size_t i = 0; i < call->n_tags; i++)
                e.tags[i] = g_strdup(call->tags[i].name);
        if (local)
                g_date_time_unref(local);
        g_array_append_val(l->entries, e);
        return 0;
}

static bool entry_visible(const CwCallsModel *model, const entry *e) {
        switch (model->filter) {
        case CW_CALLS_TAGGED:
                if (!e->tagged)
                        return false;
                break;
        case CW_CALLS_MISSED:
                if (!e->missed)
                        return false;
                break;
        case CW_CALLS_MESSAGES:
                if (e->kind != CW_KIND_MESSAGE)
                        return false;
                break;
        case CW_CALLS_ENCOUNTERS:
                if (e->kind != CW_KIND_ENCOUNTER)
                        return false;
                break;
        case CW_CALLS_ALL:
                break;
        }
        return !model->search || strstr(e->haystack, model->search);
}

/* Recomputes which entries show and tells the list what changed: only the
 * rows between the unchanged head and tail (a new call is one row at the
 * top). Items made for rows that changed are made again. */
static void refilter(CwCallsModel *model, const entry *old_entries, const guint *old_visible, guint old_n) {
        guint n = 0, head = 0, tail = 0;
        guint *visible = g_new(guint, model->n_entries ? model->n_entries : 1);

        for (guint i = 0; i < model->n_entries; i++)
                if (entry_visible(model, &model->entries[i]))
                        visible[n++] = i;
#define SAME(a, b) same_row(old_entries, old_visible, a, model->entries, visible, b)
        while (head < old_n && head < n && SAME(head, head))
                head++;
        while (tail < old_n - head && tail < n - head && SAME(old_n - 1 - tail, n - 1 - tail))
                tail++;
#undef SAME
        g_free(model->visible);
        model->visible = visible;
        model->n_visible = n;
        /* Tags, day headings and whatever else changed: made again. */
        g_hash_table_remove_all(model->items);
        if (head == old_n && head == n)
                return;
        g_list_model_items_changed(G_LIST_MODEL(model), head, old_n - head - tail, n - head - tail);
}

int cw_calls_model_load(CwCallsModel *model, cw_catalog *catalog) {
        loading l = { .entries = g_array_new(FALSE, FALSE, sizeof(entry)) };
        entry *old_entries, *entries;
        guint *old_visible, old_n, old_n_entries, n;
        int r;

        r = cw_catalog_find_calls(catalog, &(cw_call_filter) { 0 }, add_entry, &l);
        n = l.entries->len;
        entries = (entry *) (void *) g_array_free(l.entries, FALSE);
        if (r < 0) {
                free_entries(entries, n);
                return r;
        }
        /* Newest first. */
        for (guint i = 0; i < n / 2; i++) {
                entry t = entries[i];

                entries[i] = entries[n - 1 - i];
                entries[n - 1 - i] = t;
        }
        old_entries = model->entries;
        old_n_entries = model->n_entries;
        old_visible = model->visible;
        old_n = model->n_visible;
        model->entries = entries;
        model->n_entries = n;
        model->visible = NULL;
        refilter(model, old_entries, old_visible, old_n);
        free_entries(old_entries, old_n_entries);
        g_free(old_visible);
        return 0;
}

void cw_calls_model_set_filter(CwCallsModel *model, CwCallsFilter filter) {
        guint *old_visible = model->visible;
        guint old_n = model->n_visible;

        if (model->filter == filter)
                return;
        model->filter = filter;
        model->visible = NULL;
        refilter(model, model->entries, old_visible, old_n);
        g_free(old_visible);
}

void cw_calls_model_set_search(CwCallsModel *model, const char *text) {
        guint *old_visible = model->visible;
        guint old_n = model->n_visible;
        char *folded = text && *text ? g_utf8_casefold(text, -1) : NULL;

        if (g_strcmp0(folded, model->search) == 0) {
                g_free(folded);
                return;
        }
        g_free(model->search);
        model->search = folded;
        model->visible = NULL;
        refilter(model, model->entries, old_visible, old_n);
        g_free(old_visible);
}

guint cw_calls_model_find(CwCallsModel *model, int64_t id) {
        for (guint i = 0; i < model->n_visible; i++)
                if (model->entries[model->visible[i]].id == id)
                        return i;
        return G_MAXUINT;
}

guint cw_calls_model_get_total(CwCallsModel *model) {
        return model->n_entries;
}
