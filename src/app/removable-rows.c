/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "removable-rows.h"

typedef struct remove_tap {
        char *title;
        void (*on_remove)(const char *title, gpointer userdata);
        gpointer userdata;
} remove_tap;

static void remove_tap_free(gpointer data, GClosure *closure) {
        remove_tap *tap = data;

        g_free(tap->title);
        g_free(tap);
}

static void on_clicked(GtkButton *button, gpointer data) {
        remove_tap *tap = data;
        /* The change reloads the list, and the row with this button goes. */
        char *title = g_strdup(tap->title);

        tap->on_remove(title, tap->userdata);
        g_free(title);
}

void cw_removable_row_add(GtkWidget *group, GPtrArray *rows, const char *title, const char *subtitle,
                          const char *remove_label, void (*on_remove)(const char *title, gpointer userdata),
                          gpointer userdata) {
        GtkWidget *row = adw_action_row_new(), *remove = gtk_button_new_from_icon_name("user-trash-symbolic");
        remove_tap *tap = g_new0(remove_tap, 1);

        *tap = (remove_tap) { g_strdup(title), on_remove, userdata };
        /* What the person typed: never markup. */
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
        gtk_widget_set_valign(remove, GTK_ALIGN_CENTER);
        gtk_widget_add_css_class(remove, "flat");
        gtk_widget_set_tooltip_text(remove, remove_label);
        gtk_accessible_update_property(GTK_ACCESSIBLE(remove), GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
        g_signal_connect_data(remove, "clicked", G_CALLBACK(on_clicked), tap, remove_tap_free, 0);
        adw_action_row_add_suffix(ADW_ACTION_ROW(row), remove);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        g_ptr_array_add(rows, row);
}

void cw_removable_rows_clear(GtkWidget *group, GPtrArray *rows) {
        for (guint i = 0; i < rows->len; i++)
                adw_preferences_group_remove(ADW_PREFERENCES_GROUP(group), g_ptr_array_index(rows, i));
        g_ptr_array_set_size(rows, 0);
}

gboolean cw_removable_rows_has(GPtrArray *rows, const char *title) {
        for (guint i = 0; i < rows->len; i++)
                if (strcmp(adw_preferences_row_get_title(g_ptr_array_index(rows, i)), title) == 0)
                        return TRUE;
        return FALSE;
}

AdwActionRow *cw_outcome_row_new(GtkWidget *group) {
        AdwActionRow *row = ADW_ACTION_ROW(adw_action_row_new());

        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_action_row_set_subtitle_lines(row, 0);
        gtk_widget_set_visible(GTK_WIDGET(row), FALSE);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), GTK_WIDGET(row));
        return row;
}

void cw_outcome_row_show(AdwActionRow *row, const char *title, const char *detail) {
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_action_row_set_subtitle(row, detail ? detail : "");
        gtk_widget_set_visible(GTK_WIDGET(row), TRUE);
}
