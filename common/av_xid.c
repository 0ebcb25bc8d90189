/*
 * av_xid.c: transaction ids and random UUIDs.
 */

#include <string.h>

#include <openssl/rand.h>

#include "av_xid.h"


/* 1 for A-Z a-z 0-9 - _ . : */
static const unsigned char av_xid_chars[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, [':'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};


int
av_xid_valid(const char *xid, size_t len)
{
    size_t  i;

    if (xid == NULL || len == 0 || len > AV_XID_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!av_xid_chars[(unsigned char) xid[i]]) {
            return 0;
        }
    }

    return 1;
}


void
av_uuid_format(const unsigned char rnd[16], char out[AV_UUID_LEN + 1])
{
    static const char  hex[] = "0123456789abcdef";
    unsigned char      b[16];
    size_t             i;
    char              *p;

    memcpy(b, rnd, 16);

    /* RFC 9562: version 4 in the high nibble of byte 6, variant 10xx */
    b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);

    p = out;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }

        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 0x0f];
    }

    *p = '\0';
}


int
av_uuid_random(char out[AV_UUID_LEN + 1])
{
    unsigned char  rnd[16];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        out[0] = '\0';
        return -1;
    }

    av_uuid_format(rnd, out);

    return 0;
}
