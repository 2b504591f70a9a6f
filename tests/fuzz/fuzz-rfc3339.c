/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RFC 3339 times come back from the catalog, OpusTags and bundles. What
 * parses must format and parse back to the same instant. */
#include <stdlib.h>
#include <string.h>

#include "callwitness/timestamp.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), formatted[CW_RFC3339_MAX];
        cw_timestamp ts, again;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        if (cw_timestamp_parse_rfc3339(text, &ts) == 0 && cw_timestamp_format_rfc3339(&ts, formatted) == 0) {
                if (cw_timestamp_parse_rfc3339(formatted, &again) < 0 || again.utc_offset_s != ts.utc_offset_s ||
                    again.utc_ms / 1000 != ts.utc_ms / 1000)
                        abort();
        }
        free(text);
        return 0;
}
