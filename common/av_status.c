/*
 * av_status.c: Telesign status codes -> verification state.
 *
 * Sources: the App Verify Android SDK page (18xx, Get Status and callbacks)
 * and the App Verify API description (24xx, initiate/finalize), see
 * telesign-protocol.md sections 4 and 5.  A code missing from this table is
 * AV_STATE_UNKNOWN, which the gate never lets through: being strict about
 * codes we have not seen is the safe default.
 */

#include <stddef.h>

#include "av_status.h"


typedef struct {
    int          code;
    av_state_t   state;
    const char  *description;
} av_status_entry_t;


static const av_status_entry_t  av_status_table[] = {

    /* App Verify SDK: Get Status and Verify Transaction Callback */
    { 1800, AV_STATE_VERIFIED, "Success" },
    { 1803, AV_STATE_FAILED,   "Failed" },
    { 1805, AV_STATE_FAILED,   "Not supported" },
    { 1806, AV_STATE_FAILED,   "Invalid phone" },
    { 1807, AV_STATE_FAILED,   "Caller ID unknown" },
    { 1808, AV_STATE_FAILED,   "Timeout" },
    { 1829, AV_STATE_BLOCKED,  "Blocked by customer" },
    { 1830, AV_STATE_BLOCKED,  "Blocked by Telesign" },
    { 1890, AV_STATE_PENDING,  "Pending" },

    /* App Verify API: server-initiated missed call */
    { 2400, AV_STATE_PENDING,  "Pending" },
    { 2401, AV_STATE_VERIFIED, "Success" },
    { 2402, AV_STATE_FAILED,   "Failure" },
    { 2403, AV_STATE_FAILED,   "Not attempted" },
    { 2404, AV_STATE_FAILED,   "Invalid phone number" },
    { 2405, AV_STATE_FAILED,   "Not supported" },
    { 2407, AV_STATE_FAILED,   "Caller ID prefix did not match" },
    { 2408, AV_STATE_FAILED,   "Unsupported phone type" },
    { 2409, AV_STATE_FAILED,   "Call not received" },

    /*
     * "Please retry" tells the user to finalize again (e.g. a mistyped
     * code); the transaction is still open, so it is not terminal.
     */
    { 2410, AV_STATE_PENDING,  "Please retry" },

    { 2411, AV_STATE_FAILED,   "Call failed" },
    { 2429, AV_STATE_BLOCKED,  "Blocked by customer" },
    { 2430, AV_STATE_BLOCKED,  "Blocked by Telesign" },
};


static const av_status_entry_t *
av_status_find(int code)
{
    size_t  i;

    for (i = 0; i < sizeof(av_status_table) / sizeof(av_status_table[0]);
         i++)
    {
        if (av_status_table[i].code == code) {
            return &av_status_table[i];
        }
    }

    return NULL;
}


av_state_t
av_status_state(int code)
{
    const av_status_entry_t  *e;

    e = av_status_find(code);

    return e ? e->state : AV_STATE_UNKNOWN;
}


const char *
av_status_description(int code)
{
    const av_status_entry_t  *e;

    e = av_status_find(code);

    return e ? e->description : "Unknown";
}


const char *
av_state_name(av_state_t state)
{
    switch (state) {
    case AV_STATE_PENDING:
        return "pending";
    case AV_STATE_VERIFIED:
        return "verified";
    case AV_STATE_FAILED:
        return "failed";
    case AV_STATE_BLOCKED:
        return "blocked";
    case AV_STATE_UNKNOWN:
    default:
        return "unknown";
    }
}


int
av_state_is_terminal(av_state_t state)
{
    return state == AV_STATE_VERIFIED
           || state == AV_STATE_FAILED
           || state == AV_STATE_BLOCKED;
}
