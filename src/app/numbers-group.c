/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <adwaita.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/config.h"
#include "callwitness/judgement.h"
#include "catalog-change.h"
#include "numbers-group.h"
#include "removable-rows.h"

/* The form's choices, in the order it lists them. */
static const struct {
        const char *name;             /* for the tests' "type" */
        const char *label;
        cw_record_rule record;        /* CW_RECORD_DEFAULT: a label */
} kinds[] = {
        { "never-record", N_("Never record"), CW_RECORD_NEVER },
        { "always-record", N_("Always record"), CW_RECORD_ALWAYS },
        { "label", N_("Give it a label"), CW_RECORD_DEFAULT },
};

typedef struct numbers_group {
        GtkWidget *box;                /* the widget made, holding both groups */
        GtkWidget *list;               /* AdwPreferencesGroup of the rules */
        GPtrArray *rows;               /* in it, made by the last load */
        AdwEntryRow *number, *label;
        AdwComboRow *kind;
        AdwActionRow *outcome;
        char *catalog_path;            /* NULL: no data directory */
} numbers_group;

static numbers_group *group_of(GtkWidget *widget) {
        return g_object_get_data(G_OBJECT(widget), "numbers-group");
}

static void remove_rule(const char *number, gpointer userdata);

static int add_row(const cw_number_rule *rule, void *userdata) {
        numbers_group *g = userdata;
        char *what = rule->record == CW_RECORD_NEVER    ? g_strdup(_("Never recorded"))
                   : rule->record == CW_RECORD_ALWAYS   ? g_strdup(_("Always recorded"))
                   : rule->label                        ? g_strdup_printf(_("Label: %s"), rule->label)
                                                        : g_strdup("");
        char *label = g_strdup_printf(_("Remove the rule for %s"), rule->number);

        cw_removable_row_add(g->list, g->rows, rule->number, what, label, remove_rule, g);
        g_free(what);
        g_free(label);
        return 0;
}

void cw_numbers_group_load(GtkWidget *widget) {
        numbers_group *g = group_of(widget);
        cw_catalog *catalog = NULL;
        int r;

        cw_removable_rows_clear(g->list, g->rows);
        r = g->catalog_path ? cw_catalog_open_readonly(g->catalog_path, &catalog) : -ENOENT;
        if (r == 0)
                r = cw_number_rule_foreach(catalog, add_row, g);
        /* No catalog yet: no rule either. */
        if (r < 0 && r != -ENOENT) {
                cw_outcome_row_show(g->outcome, _("The rules for numbers cannot be read"), g_strerror(-r));
                g_message("number rules: not read: %s", g_strerror(-r));
        } else
                g_message("number rules: read %u", g->rows->len);
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(g->list),
                                              g->rows->len ? NULL : _("None yet: every call is recorded."));
        cw_catalog_free(catalog);
}

static void count_change(const cw_tag_change *change, void *userdata) {
        (*(size_t *) userdata)++;
}

/* Sets (or with remove, takes away) the rule for number, as `callwitness
 * rule` does, and says how it went. */
static int change_rule(numbers_group *g, const char *number, bool remove, cw_record_rule record, const char *label) {
        cw_timestamp now = cw_timestamp_now();
        cw_catalog *catalog = NULL;
        cw_rulebook *rules = NULL;
        char *error = NULL, *detail;
        size_t changes = 0;
        int r = cw_app_open_for_change(g->catalog_path, &catalog, &rules, &error);

        if (r == 0)
                r = cw_number_rule_change(catalog, rules, number, remove, record, label, &now, count_change, &changes);
        if (r == 0) {
                detail = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "Every call was judged again: %zu tag changed.",
                                                     "Every call was judged again: %zu tags changed.", changes),
                                         changes);
                cw_outcome_row_show(g->outcome, remove ? _("Removed") : _("Saved"), detail);
                g_message("number rules: %s %s, %zu tag(s) changed", remove ? "removed" : "saved", number, changes);
                g_free(detail);
        } else {
                cw_outcome_row_show(g->outcome, _("Not saved"),
                             error          ? error
                             : r == -EINVAL ? _("A rule needs a number (not a withheld caller or a code) and a label "
                                                "of one line.")
                             : r == -ENOENT ? _("That number has no rule.")
                             : r == -EBUSY  ? _("The catalog is busy; try again.")
                                            : g_strerror(-r));
                g_message("number rules: refused %s: %s", number, error ? error : g_strerror(-r));
        }
        g_free(error);
        cw_catalog_free(catalog);
        cw_rulebook_free(rules);
        cw_numbers_group_load(g->box);
        return r;
}

static void add_rule(numbers_group *g) {
        guint kind = adw_combo_row_get_selected(g->kind);
        char *number = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(g->number))));
        char *label = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(g->label))));
        bool labelled = kind < G_N_ELEMENTS(kinds) && kinds[kind].record == CW_RECORD_DEFAULT;

        /* An empty label would be a rule that says nothing. */
        if (kind >= G_N_ELEMENTS(kinds) || !number[0] || (labelled && !label[0])) {
                cw_outcome_row_show(g->outcome, _("Not saved"), _("A rule needs a number (not a withheld caller or a code) and a "
                                                  "label of one line."));
                g_message("number rules: refused %s: nothing to save", number);
        } else if (change_rule(g, number, false, kinds[kind].record, labelled ? label : NULL) == 0) {
                gtk_editable_set_text(GTK_EDITABLE(g->number), "");
                gtk_editable_set_text(GTK_EDITABLE(g->label), "");
        }
        g_free(number);
        g_free(label);
}

static void remove_rule(const char *number, gpointer userdata) {
        change_rule(userdata, number, true, CW_RECORD_DEFAULT, NULL);
}

static void on_add_clicked(GtkButton *button, gpointer userdata) {
        add_rule(userdata);
}

gboolean cw_numbers_group_type(GtkWidget *widget, const char *field, const char *text) {
        numbers_group *g = group_of(widget);
        AdwEntryRow *row = strcmp(field, "rule-number") == 0 ? g->number
                         : strcmp(field, "rule-label") == 0  ? g->label
                                                             : NULL;

        if (row) {
                gtk_widget_grab_focus(GTK_WIDGET(row));
                gtk_editable_set_text(GTK_EDITABLE(row), text);
                return TRUE;
        }
        if (strcmp(field, "rule-kind") != 0)
                return FALSE;
        for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
                if (strcmp(kinds[i].name, text) == 0) {
                        adw_combo_row_set_selected(g->kind, i);
                        return TRUE;
                }
        return FALSE;
}

gboolean cw_numbers_group_apply(GtkWidget *widget, const char *what) {
        numbers_group *g = group_of(widget);

        if (strcmp(what, "add-rule") == 0) {
                add_rule(g);
                return TRUE;
        }
        if (!g_str_has_prefix(what, "remove-rule "))
                return FALSE;
        if (!cw_removable_rows_has(g->rows, what + strlen("remove-rule ")))
                return FALSE;
        remove_rule(what + strlen("remove-rule "), g);
        return TRUE;
}

static void numbers_group_free(gpointer data) {
        numbers_group *g = data;

        g_ptr_array_unref(g->rows);
        g_free(g->catalog_path);
        g_free(g);
}

GtkWidget *cw_numbers_group_new(void) {
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18), *form, *button, *button_box;
        GtkStringList *choices = gtk_string_list_new(NULL);
        numbers_group *g = g_new0(numbers_group, 1);

        g->box = box;
        g->rows = g_ptr_array_new();
        g->catalog_path = cw_app_catalog_path();
        g_object_set_data_full(G_OBJECT(box), "numbers-group", g, numbers_group_free);

        g->list = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(g->list), _("Numbers"));
        gtk_box_append(GTK_BOX(box), g->list);

        form = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(form), _("A rule for a number"));
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(form),
                                              _("Never record a number whose calls are nobody else's business "
                                                "(family, a doctor): its calls are listed, without a recording, "
                                                "and are not judged. Or give a number a label, shown with its "
                                                "calls."));
        g->number = ADW_ENTRY_ROW(adw_entry_row_new());
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(g->number), _("Number"));
        gtk_accessible_update_property(GTK_ACCESSIBLE(g->number), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Number"), -1);
        g_object_set(g->number, "input-purpose", GTK_INPUT_PURPOSE_PHONE, NULL);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(form), GTK_WIDGET(g->number));
        for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
                gtk_string_list_append(choices, _(kinds[i].label));
        g->kind = ADW_COMBO_ROW(adw_combo_row_new());
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(g->kind), _("Rule"));
        gtk_accessible_update_property(GTK_ACCESSIBLE(g->kind), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Rule"), -1);
        adw_combo_row_set_model(g->kind, G_LIST_MODEL(choices));
        g_object_unref(choices);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(form), GTK_WIDGET(g->kind));
        g->label = ADW_ENTRY_ROW(adw_entry_row_new());
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(g->label), _("Label (for “Give it a label”)"));
        gtk_accessible_update_property(GTK_ACCESSIBLE(g->label), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Label"), -1);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(form), GTK_WIDGET(g->label));
        g->outcome = cw_outcome_row_new(form);
        gtk_box_append(GTK_BOX(box), form);

        button_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
        gtk_widget_set_halign(button_box, GTK_ALIGN_CENTER);
        button = gtk_button_new_with_mnemonic(_("Save the _rule"));
        gtk_widget_add_css_class(button, "pill");
        g_signal_connect(button, "clicked", G_CALLBACK(on_add_clicked), g);
        gtk_box_append(GTK_BOX(button_box), button);
        gtk_box_append(GTK_BOX(box), button_box);

        cw_numbers_group_load(box);
        return box;
}
