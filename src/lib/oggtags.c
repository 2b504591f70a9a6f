/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <ogg/ogg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callwitness/oggtags.h"

/* RFC 3533: 27 fixed header bytes, then the segment table. */
#define OGG_HEADER_FIXED 27
#define OGG_PAGE_MAX (OGG_HEADER_FIXED + 255 + 255 * 255)

typedef struct ogg_page_at {
        off_t offset;
        unsigned char header[OGG_HEADER_FIXED + 255];
        size_t header_len;
        unsigned char *body;
        size_t body_len;
} ogg_page_at;

static int read_exact(int fd, void *buffer, size_t size, off_t offset) {
        size_t done = 0;

        while (done < size) {
                ssize_t n = pread(fd, (char *) buffer + done, size - done, offset + (off_t) done);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EBADMSG;   /* the file ends inside a page */
                done += (size_t) n;
        }
        return 0;
}

static int read_page(int fd, off_t offset, ogg_page_at *page) {
        unsigned char *h = page->header;
        size_t segments;
        int r;

        r = read_exact(fd, h, OGG_HEADER_FIXED, offset);
        if (r < 0)
                return r;
        if (memcmp(h, "OggS", 4) != 0 || h[4] != 0)
                return -EBADMSG;
        segments = h[26];
        r = read_exact(fd, h + OGG_HEADER_FIXED, segments, offset + OGG_HEADER_FIXED);
        if (r < 0)
                return r;
        page->offset = offset;
        page->header_len = OGG_HEADER_FIXED + segments;
        page->body_len = 0;
        for (size_t i = 0; i < segments; i++)
                page->body_len += h[OGG_HEADER_FIXED + i];
        page->body = malloc(page->body_len ? page->body_len : 1);
        if (!page->body)
                return -ENOMEM;
        r = read_exact(fd, page->body, page->body_len, offset + (off_t) page->header_len);
        if (r < 0) {
                free(page->body);
                page->body = NULL;
        }
        return r;
}

static uint32_t le32(const unsigned char *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v) {
        p[0] = (unsigned char) v;
        p[1] = (unsigned char) (v >> 8);
        p[2] = (unsigned char) (v >> 16);
        p[3] = (unsigned char) (v >> 24);
}

/* Finds page 2 and checks that it holds exactly the whole OpusTags packet:
 * not continued from page 1, and its last lacing value below 255 (the packet
 * ends here). Then the packet is the page body. */
static int read_tags_page(int fd, ogg_page_at *page) {
        ogg_page_at head = { 0 };
        size_t segments;
        int r;

        r = read_page(fd, 0, &head);
        if (r < 0)
                return r;
        r = head.body_len >= 8 && memcmp(head.body, "OpusHead", 8) == 0 ? 0 : -EBADMSG;
        free(head.body);
        if (r < 0)
                return r;

        r = read_page(fd, (off_t) (head.header_len + head.body_len), page);
        if (r < 0)
                return r;
        segments = page->header[26];
        if ((page->header[5] & 0x01) || segments == 0 ||
            page->header[OGG_HEADER_FIXED + segments - 1] == 255 ||
            page->body_len < 16 || memcmp(page->body, "OpusTags", 8) != 0) {
                free(page->body);
                page->body = NULL;
                return -EBADMSG;
        }
        return 0;
}

/* Walks the comment list; returns the offset just past it (where padding
 * starts), or -EBADMSG for a packet whose lengths run off its end. */
static long walk_comments(const unsigned char *packet, size_t len,
                          void (*cb)(const char *comment, void *userdata), void *userdata) {
        size_t pos = 8, vendor_len, count;

        vendor_len = le32(packet + pos);
        pos += 4;
        if (vendor_len > len - pos || len - pos - vendor_len < 4)
                return -EBADMSG;
        pos += vendor_len;
        count = le32(packet + pos);
        pos += 4;
        for (size_t i = 0; i < count; i++) {
                size_t comment_len;

                if (len - pos < 4)
                        return -EBADMSG;
                comment_len = le32(packet + pos);
                pos += 4;
                if (comment_len > len - pos)
                        return -EBADMSG;
                if (cb) {
                        char *comment = strndup((const char *) packet + pos, comment_len);

                        if (!comment)
                                return -ENOMEM;
                        cb(comment, userdata);
                        free(comment);
                }
                pos += comment_len;
        }
        return (long) pos;
}

int cw_oggtags_read(int fd, void (*cb)(const char *comment, void *userdata), void *userdata) {
        ogg_page_at page = { 0 };
        long r;

        r = read_tags_page(fd, &page);
        if (r < 0)
                return (int) r;
        r = walk_comments(page.body, page.body_len, cb, userdata);
        free(page.body);
        return r < 0 ? (int) r : 0;
}

int cw_oggtags_rewrite(int fd, const char *const *comments, size_t n_comments) {
        ogg_page_at page = { 0 };
        unsigned char *packet = NULL;
        size_t vendor_len, needed, pos;
        ogg_page crc_view;
        long end;
        int r;

        r = read_tags_page(fd, &page);
        if (r < 0)
                return r;
        end = walk_comments(page.body, page.body_len, NULL, NULL);
        if (end < 0) {
                r = (int) end;
                goto finish;
        }

        vendor_len = le32(page.body + 8);
        needed = 8 + 4 + vendor_len + 4;
        for (size_t i = 0; i < n_comments; i++)
                needed += 4 + strlen(comments[i]);
        if (needed > page.body_len) {
                r = -ENOSPC;
                goto finish;
        }

        /* Same length as before, zero-filled past the comments: RFC 7845
         * §5.2 lets padding follow the list, and a leading zero bit marks it
         * as discardable. */
        packet = calloc(1, page.body_len);
        if (!packet) {
                r = -ENOMEM;
                goto finish;
        }
        pos = 8 + 4 + vendor_len;
        memcpy(packet, page.body, pos);
        put_le32(packet + pos, (uint32_t) n_comments);
        pos += 4;
        for (size_t i = 0; i < n_comments; i++) {
                size_t len = strlen(comments[i]);

                put_le32(packet + pos, (uint32_t) len);
                memcpy(packet + pos + 4, comments[i], len);
                pos += 4 + len;
        }

        crc_view = (ogg_page) {
                .header = page.header,
                .header_len = (long) page.header_len,
                .body = packet,
                .body_len = (long) page.body_len,
        };
        ogg_page_checksum_set(&crc_view);

        /* Body first, then the header with its new CRC: a crash in between
         * leaves a page whose CRC fails, which players skip, rather than a
         * header that vouches for a half-written body. */
        errno = 0;
        if (pwrite(fd, packet, page.body_len, page.offset + (off_t) page.header_len) != (ssize_t) page.body_len ||
            pwrite(fd, page.header, page.header_len, page.offset) != (ssize_t) page.header_len)
                r = errno ? -errno : -EIO;   /* a short write without errno: disk full */

finish:
        free(packet);
        free(page.body);
        return r;
}
