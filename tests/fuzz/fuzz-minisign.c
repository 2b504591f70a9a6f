/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SHA256SUMS.minisig comes with a bundle from anywhere: callwitness verify
 * parses it. Must never accept a signature it cannot check. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/devicekey.h"
#include "fuzz.h"

/* The public key of the seed signatures (tests/fuzz/corpus/minisign). */
#define KEY "RWStTj44IFR8cLVqDCW5foH8etlYdG9PvdGZwAvvAKDYPTEzzsCCihZY"
#define VALID_SIGNATURE "RUStTj44IFR8cL8lLLARn4s0lhgS9I45i/atpa7/7hIci1cg0Pn8txEriDCkaUP9/u3WIM5MS6E6Y+GCyxbbFpxm/8TBDEExggs="
#define VALID_COMMENT "trusted comment: timestamp:1795534800"
#define VALID_GLOBAL_SIGNATURE "lHIfMa/6Y/83fgZJrhPK3IO7aMi+hXiKP3f3EDyPJXrqQqJnudDhbwPXbiJ9qLHhw5WsuMkXZh+Eagf5wDFdBA=="

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char sums[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  call.opus\n";
        char *text = malloc(size + 1);
        int r;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        r = cw_minisign_verify(KEY, sums, strlen(sums), text);
        if (r != 0 && r != -EBADMSG && r != -EKEYREJECTED && r != -EBADE && r != -ENOMEM)
                abort();
        /* Only the real signature (valid.minisig's lines; Ed25519 is
         * deterministic, and the trusted comment is signed) is accepted. */
        if (r == 0 && (!strstr(text, VALID_SIGNATURE) || !strstr(text, VALID_COMMENT) ||
                       !strstr(text, VALID_GLOBAL_SIGNATURE)))
                abort();
        free(text);
        return 0;
}
