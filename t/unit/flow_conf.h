/*
 * flow_conf.h: the configuration the flows' unit tests start from (a test
 * key, its derived session secret, the defaults of a token location);
 * each test then sets what it is about.  Include after unit.h.
 */
#ifndef AV_FLOW_CONF_H
#define AV_FLOW_CONF_H

#include "av_flow.h"

#define CID  "FFFFFFFF-EEEE-DDDD-1234-AB1234567890"

static av_key_t        api_key, session_key;
static av_flow_conf_t  fc;

static void
flow_conf_reset(void)
{
    memset(&fc, 0, sizeof(fc));
    CHECK(av_key_decode(&api_key, "VGVzdCBLZXk=", 12) == 0);
    av_key_derive_session(&session_key, &api_key);

    fc.api_key = &api_key;
    fc.customer_id = CID;
    fc.session_key = &session_key;
    fc.token_lifetime = 300;
    fc.session_lifetime = 86400;
    fc.start.phone.rate = 100;
    fc.start.phone.burst = 3;
    fc.start.pending_ms = 60000;
    fc.signature = 1;
}

#endif /* AV_FLOW_CONF_H */
