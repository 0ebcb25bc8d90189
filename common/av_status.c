/*
 * av_status.c: Telesign status codes -> verification state.
 *
 * Sources: the App Verify Android SDK page (18xx, Get Status and callbacks)
 * and the App Verify API description (24xx, initiate/finalize), see
 * telesign-protocol.md sections 4 and 5.  A code missing from this table is
 * AV_STATE_UNKNOWN, which the gate never lets through: being strict about
 * codes we have not seen is the safe default.
 *
 * Each code belongs to the API that documents it, and only there does it
 * mean its state: the two APIs both have a "Success", and an answer of one
 * carrying the other's is a confused or forged answer, not a verification.
 */

#include <stddef.h>

#include "av_status.h"


typedef struct {
    int              code;
    av_status_api_t  api;
    av_state_t       state;
    const char      *description;
} av_status_entry_t;


static const av_status_entry_t  av_status_table[] = {

    /*
     * App Verify SDK: Get Status and Verify Transaction Callback.  The
     * seed's "Get Status by XID Codes"; its shorter "Status Codes" table
     * leaves out 1806 and 1808.  (Its table headed "for Get Status and
     * Verify Transaction Callback", 300 ... 599, is PhoneID's.)
     */
    { 1800, AV_STATUS_API_SDK,  AV_STATE_VERIFIED, "Success" },
    { 1803, AV_STATUS_API_SDK,  AV_STATE_FAILED,   "Failed" },
    { 1805, AV_STATUS_API_SDK,  AV_STATE_FAILED,   "Not supported" },
    { 1806, AV_STATUS_API_SDK,  AV_STATE_FAILED,   "Invalid phone" },
    { 1807, AV_STATUS_API_SDK,  AV_STATE_FAILED,   "Caller ID unknown" },
    { 1808, AV_STATUS_API_SDK,  AV_STATE_FAILED,   "Timeout" },
    { 1829, AV_STATUS_API_SDK,  AV_STATE_BLOCKED,  "Blocked by customer" },
    { 1830, AV_STATUS_API_SDK,  AV_STATE_BLOCKED,  "Blocked by Telesign" },
    { 1890, AV_STATUS_API_SDK,  AV_STATE_PENDING,  "Pending" },

    /* App Verify API: server-initiated missed call */
    { 2400, AV_STATUS_API_CALL, AV_STATE_PENDING,  "Pending" },
    { 2401, AV_STATUS_API_CALL, AV_STATE_VERIFIED, "Success" },
    { 2402, AV_STATUS_API_CALL, AV_STATE_FAILED,   "Failure" },
    { 2403, AV_STATUS_API_CALL, AV_STATE_FAILED,   "Not attempted" },
    { 2404, AV_STATUS_API_CALL, AV_STATE_FAILED,   "Invalid phone number" },
    { 2405, AV_STATUS_API_CALL, AV_STATE_FAILED,   "Not supported" },
    { 2407, AV_STATUS_API_CALL, AV_STATE_FAILED,
      "Caller ID prefix did not match" },
    { 2408, AV_STATUS_API_CALL, AV_STATE_FAILED,   "Unsupported phone type" },
    { 2409, AV_STATUS_API_CALL, AV_STATE_FAILED,   "Call not received" },

    /*
     * "Please retry" tells the user to finalize again (e.g. a mistyped
     * code); the transaction is still open, so it is not terminal.
     */
    { 2410, AV_STATUS_API_CALL, AV_STATE_PENDING,  "Please retry" },

    { 2411, AV_STATUS_API_CALL, AV_STATE_FAILED,   "Call failed" },
    { 2429, AV_STATUS_API_CALL, AV_STATE_BLOCKED,  "Blocked by customer" },
    { 2430, AV_STATUS_API_CALL, AV_STATE_BLOCKED,  "Blocked by Telesign" },
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


int
av_status_in_api(av_status_api_t api, int code)
{
    const av_status_entry_t  *e;

    e = av_status_find(code);

    return e != NULL && e->api == api;
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
