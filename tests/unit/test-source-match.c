/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "source-match.h"
#include "tap.h"

int main(void) {
        ok(!cw_source_is_pattern(NULL), "no name is not a pattern (it means the default)");
        ok(!cw_source_is_pattern("alsa_input.platform-sound.HiFi__Mic__source"), "a name");
        ok(cw_source_is_pattern("alsa_input.*Modem*"), "* makes a pattern");
        ok(cw_source_is_pattern("alsa_input.usb-?"), "? makes a pattern");
        ok(cw_source_is_pattern("hw[01]"), "[ makes a pattern");

        ok(cw_source_matches("alsa_input.*Modem*", "alsa_input.usb-Quectel_Modem-00.mono-fallback"),
           "a pattern matches a device name with its serial");
        ok(!cw_source_matches("alsa_input.*Modem*", "alsa_input.platform-sound.HiFi__Mic__source"),
           "a pattern does not match another device");
        ok(cw_source_matches("mic", "mic"), "a name matches itself");
        ok(!cw_source_matches("mic", "mic.monitor"), "a name is not a prefix");
        ok(!cw_source_matches("mic", "MIC"), "names are case-sensitive, as the server's are");
        ok(!cw_source_matches(NULL, "mic"), "no name matches nothing here: the caller picks the default");
        ok(!cw_source_matches("mic", NULL), "nothing matches no source");
        return tap_done();
}
