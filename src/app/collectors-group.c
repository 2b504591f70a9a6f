/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <adwaita.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/config.h"
#include "callwitness/judgement.h"
#include "catalog-change.h"
#include "collectors-group.h"
#include "removable-rows.h"

typedef struct collectors_group {
        GtkWidget *box;                /* the widget made, holding both groups */
        GtkWidget *list;               /* AdwPreferencesGroup of the collectors */
        GPtrArray *rows;               /* in it, made by the last load */
        AdwEntryRow *name, *numbers;
        AdwActionRow *outcome;
        char *catalog_path;            /* NULL: no data directory */
} collectors_group;

static collectors_group *group_of(GtkWidget *widget) {
        return g_object_get_data(G_OBJECT(widget), "collectors-group");
}

static void remove_collector(const char *name, gpointer userdata);

static int add_row(const cw_collector_record *collector, void *userdata) {
        collectors_group *g = userdata;
        GString *numbers = g_string_new(NULL);
        char *label = g_strdup_printf(_("Remove the collector %s"), collector->name);

        for (size_t i = 0; i < collector->n_numbers; i++)
                g_string_append_printf(numbers, "%s%s", i ? ", " : "", collector->numbers[i]);
        g_string_append(numbers, " · ");
        g_string_append_printf(numbers, g_dngettext(GETTEXT_PACKAGE, "%lld call", "%lld calls", collector->calls),
                               (long long) collector->calls);
        cw_removable_row_add(g->list, g->rows, collector->name, numbers->str, label, remove_collector, g);
        g_string_free(numbers, TRUE);
        g_free(label);
        return 0;
}

void cw_collectors_group_load(GtkWidget *widget) {
        collectors_group *g = group_of(widget);
        cw_catalog *catalog = NULL;
        cw_rulebook *rules = NULL;
        char *error = NULL;
        int r;

        cw_removable_rows_clear(g->list, g->rows);
        if (!g->catalog_path)
                r = -ENOENT;
        else if ((r = cw_config_user_rulebook(&rules, &error)) == 0 &&
                 (r = cw_catalog_open_readonly(g->catalog_path, &catalog)) == 0)
                r = cw_collector_foreach(catalog, rules, add_row, g);
        /* No catalog yet: nobody has called, and nobody is named. */
        if (r < 0 && r != -ENOENT) {
                cw_outcome_row_show(g->outcome, _("The collectors cannot be read"), error ? error : g_strerror(-r));
                g_message("collectors: not read: %s", error ? error : g_strerror(-r));
        } else
                g_message("collectors: read %u", g->rows->len);
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(g->list),
                                              g->rows->len ? NULL : _("None named yet."));
        cw_catalog_free(catalog);
        cw_rulebook_free(rules);
        free(error);
}

static void count_change(const cw_tag_change *change, void *userdata) {
        (*(size_t *) userdata)++;
}

/* The catalog and the rules for one change; on failure says why on the
 * page and returns -errno. */
static int open_for_change(collectors_group *g, cw_catalog **catalog, cw_rulebook **rules) {
        char *error = NULL;
        int r = cw_app_open_for_change(g->catalog_path, catalog, rules, &error);

        if (r < 0) {
                cw_outcome_row_show(g->outcome, _("Not saved"), error);
                g_message("collectors: not saved: %s", error);
                g_free(error);
        }
        return r;
}

static void tell(collectors_group *g, int r, bool added, const char *name, size_t changes) {
        char *detail;

        if (r == 0) {
                detail = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "Every call was judged again: %zu tag changed.",
                                                     "Every call was judged again: %zu tags changed.", changes),
                                         changes);
                cw_outcome_row_show(g->outcome, added ? _("Added") : _("Removed"), detail);
                g_message("collectors: %s %s, %zu tag(s) changed", added ? "added" : "removed", name, changes);
                g_free(detail);
                cw_collectors_group_load(g->box);
                return;
        }
        cw_outcome_row_show(g->outcome, _("Not saved"),
                     r == -EINVAL   ? _("A collector needs a name (one line) and numbers, not a withheld caller or "
                                        "a code.")
                     : r == -ENOENT ? _("There is no such collector.")
                     : r == -EBUSY  ? _("The catalog is busy; try again.")
                                    : g_strerror(-r));
        g_message("collectors: refused %s: %s", name, g_strerror(-r));
}

static void add_collector(collectors_group *g) {
        cw_timestamp now = cw_timestamp_now();
        char *name = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(g->name))));
        char **words = g_regex_split_simple("[\\s,;]+", gtk_editable_get_text(GTK_EDITABLE(g->numbers)), 0, 0);
        GPtrArray *numbers = g_ptr_array_new();
        cw_catalog *catalog = NULL;
        cw_rulebook *rules = NULL;
        size_t changes = 0;
        int r = -EINVAL;

        for (char **w = words; *w; w++)
                if (**w)
                        g_ptr_array_add(numbers, *w);
        if (name[0] && numbers->len && (r = open_for_change(g, &catalog, &rules)) < 0)
                goto finish;
        if (name[0] && numbers->len)
                r = cw_collector_add(catalog, rules, name, (const char *const *) numbers->pdata, numbers->len, &now,
                                     count_change, &changes);
        tell(g, r, true, name, changes);
        if (r == 0) {
                gtk_editable_set_text(GTK_EDITABLE(g->name), "");
                gtk_editable_set_text(GTK_EDITABLE(g->numbers), "");
        }
finish:
        cw_catalog_free(catalog);
        cw_rulebook_free(rules);
        g_ptr_array_unref(numbers);
        g_strfreev(words);
        g_free(name);
}

static void remove_collector(const char *name, gpointer userdata) {
        collectors_group *g = userdata;
        cw_timestamp now = cw_timestamp_now();
        cw_catalog *catalog = NULL;
        cw_rulebook *rules = NULL;
        size_t changes = 0;
        int r = open_for_change(g, &catalog, &rules);

        if (r == 0) {
                r = cw_collector_remove(catalog, rules, name, NULL, 0, &now, count_change, &changes);
                tell(g, r, false, name, changes);
        }
        cw_catalog_free(catalog);
        cw_rulebook_free(rules);
}

static void on_add(AdwEntryRow *row, gpointer userdata) {
        add_collector(userdata);
}

gboolean cw_collectors_group_type(GtkWidget *widget, const char *field, const char *text) {
        collectors_group *g = group_of(widget);
        AdwEntryRow *row = strcmp(field, "collector") == 0           ? g->name
                         : strcmp(field, "collector-numbers") == 0 ? g->numbers
                                                                   : NULL;

        if (!row)
                return FALSE;
        gtk_widget_grab_focus(GTK_WIDGET(row));
        gtk_editable_set_text(GTK_EDITABLE(row), text);
        return TRUE;
}

gboolean cw_collectors_group_apply(GtkWidget *widget, const char *what) {
        collectors_group *g = group_of(widget);

        if (strcmp(what, "add-collector") == 0) {
                add_collector(g);
                return TRUE;
        }
        if (!g_str_has_prefix(what, "remove-collector "))
                return FALSE;
        if (!cw_removable_rows_has(g->rows, what + strlen("remove-collector ")))
                return FALSE;
        remove_collector(what + strlen("remove-collector "), g);
        return TRUE;
}

static void collectors_group_free(gpointer data) {
        collectors_group *g = data;

        g_ptr_array_unref(g->rows);
        g_free(g->catalog_path);
        g_free(g);
}

static AdwEntryRow *entry_row(GtkWidget *group, const char *title) {
        GtkWidget *row = adw_entry_row_new();

        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        return ADW_ENTRY_ROW(row);
}

GtkWidget *cw_collectors_group_new(void) {
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18), *add;
        collectors_group *g = g_new0(collectors_group, 1);

        g->box = box;
        g->rows = g_ptr_array_new();
        g->catalog_path = cw_app_catalog_path();
        g_object_set_data_full(G_OBJECT(box), "collectors-group", g, collectors_group_free);

        g->list = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(g->list), _("Collectors"));
        gtk_box_append(GTK_BOX(box), g->list);

        add = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(add), _("Name a collector"));
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(add),
                                              _("A company that calls from several numbers: its calls are counted "
                                                "together by the rules on how often a collector may call. A "
                                                "number added here leaves any other collector. Every call is "
                                                "judged again."));
        g->name = entry_row(add, _("Company"));
        g->numbers = entry_row(add, _("Its numbers, separated by commas"));
        adw_entry_row_set_show_apply_button(g->numbers, TRUE);
        g_signal_connect(g->numbers, "apply", G_CALLBACK(on_add), g);
        g_signal_connect(g->numbers, "entry-activated", G_CALLBACK(on_add), g);
        g->outcome = cw_outcome_row_new(add);
        gtk_box_append(GTK_BOX(box), add);

        cw_collectors_group_load(box);
        return box;
}
