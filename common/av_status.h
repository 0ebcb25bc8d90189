/*
 * av_status.h: Telesign's status codes and what they mean for the gate.
 *
 * 18xx: App Verify SDK flow (Get Status and callbacks);
 * 24xx: App Verify API missed-call flow (initiate/finalize).
 * Every code is mapped to one state; codes we have never heard of are
 * AV_STATE_UNKNOWN, which the gate treats as not verified.
 *
 * A code means something only in the API that documents it: 2401 is the
 * missed call's "Success", and a Get Status answer carrying it is no
 * success at all.  av_status_in_api() is that rule; what reads an answer
 * or a callback asks it before a code goes anywhere near a record.
 */
#ifndef AV_STATUS_H
#define AV_STATUS_H

typedef enum {
    AV_STATE_UNKNOWN = 0,
    AV_STATE_PENDING,
    AV_STATE_VERIFIED,
    AV_STATE_FAILED,
    AV_STATE_BLOCKED
} av_state_t;

typedef enum {
    AV_STATUS_API_SDK = 0,  /* Get Status and the Verify Transaction
                               Callback: 1800, 1803, ... 1890 */
    AV_STATUS_API_CALL      /* the missed call's initiate, finalize and
                               call status: 2400 ... 2430 */
} av_status_api_t;

av_state_t  av_status_state(int code);

/* 1 when api documents code, 0 for another API's code or an unknown one */
int         av_status_in_api(av_status_api_t api, int code);

/* Telesign's own short description ("Success", "Pending", ...), or
 * "Unknown" for codes not in the table. */
const char *av_status_description(int code);

/* "unknown", "pending", "verified", "failed", "blocked" */
const char *av_state_name(av_state_t state);

/* verified, failed and blocked are terminal; pending and unknown are not */
int         av_state_is_terminal(av_state_t state);

#define AV_CODE_PENDING        1890   /* what a freshly minted token starts at */
#define AV_CODE_SUCCESS        1800
#define AV_CODE_AV_PENDING     2400
#define AV_CODE_AV_SUCCESS     2401

#endif /* AV_STATUS_H */
