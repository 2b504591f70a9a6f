/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <ogg/ogg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/oggfile.h"

/* RFC 3533: a page is at most 27 + 255 + 255 * 255 bytes; the last whole
 * page starts within twice that of the end. */
#define TAIL_BYTES (2 * (27 + 255 + 255 * 255))
#define OPUS_RATE 48000

/* Feeds size bytes from offset into sync; the pages found go to cb. */
static int read_pages(int fd, off_t offset, size_t size, void (*cb)(ogg_page *page, void *userdata),
                      void *userdata) {
        ogg_sync_state sync;
        ogg_page page;
        char *buffer;
        ssize_t n;

        ogg_sync_init(&sync);
        buffer = ogg_sync_buffer(&sync, (long) size);
        if (!buffer) {
                ogg_sync_clear(&sync);
                return -ENOMEM;
        }
        n = pread(fd, buffer, size, offset);
        if (n < 0) {
                ogg_sync_clear(&sync);
                return -errno;
        }
        ogg_sync_wrote(&sync, (long) n);
        /* pageout skips what is not a page whose CRC holds: a page cut by
         * a crash, or the middle of one where the tail begins. */
        for (int rc; (rc = ogg_sync_pageout(&sync, &page)) != 0;)
                if (rc > 0)
                        cb(&page, userdata);
        ogg_sync_clear(&sync);
        return 0;
}

typedef struct scan {
        bool has_head;
        unsigned pre_skip;
        bool has_granule;
        int64_t granule;
} scan;

static void find_head(ogg_page *page, void *userdata) {
        scan *s = userdata;

        /* The first page holds only the OpusHead packet: "OpusHead",
         * version, channels, pre-skip (16 bits, little-endian). */
        if (s->has_head || !ogg_page_bos(page) || page->body_len < 19 || memcmp(page->body, "OpusHead", 8) != 0)
                return;
        s->pre_skip = (unsigned) page->body[10] | (unsigned) page->body[11] << 8;
        s->has_head = true;
}

static void find_last_granule(ogg_page *page, void *userdata) {
        scan *s = userdata;
        int64_t granule = ogg_page_granulepos(page);

        if (granule >= 0 && page->header_len && !ogg_page_bos(page)) {
                s->granule = granule;
                s->has_granule = true;
        }
}

int cw_oggfile_duration_ms(int fd, int64_t *ret) {
        scan s = { .has_head = false };
        struct stat st;
        off_t tail;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        r = read_pages(fd, 0, st.st_size < 4096 ? (size_t) st.st_size : 4096, find_head, &s);
        if (r < 0)
                return r;
        if (!s.has_head)
                return -EBADMSG;
        tail = st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
        r = read_pages(fd, tail, (size_t) (st.st_size - tail), find_last_granule, &s);
        if (r < 0)
                return r;
        if (!s.has_granule || s.granule < s.pre_skip)
                return -EBADMSG;
        *ret = (s.granule - s.pre_skip) * 1000 / OPUS_RATE;
        return 0;
}
