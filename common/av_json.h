/*
 * av_json.h: jansson for the untrusted documents the core reads (callbacks,
 * Telesign's answers, JSON request bodies), with no malloc per document.
 *
 * jansson builds a tree of small allocations for every document, and the
 * worker's malloc and free were a fifth of a callback's cost.  Between
 * av_json_load and av_json_done its allocations come from an arena of the
 * calling thread (nginx's worker, one of httpd's threads), released at
 * once by av_json_done; a document larger than the arena takes the rest
 * from malloc.  Outside those calls jansson's allocator is malloc's, so
 * another module in the same process that uses jansson sees no change.
 */
#ifndef AV_JSON_H
#define AV_JSON_H

#include <stddef.h>
#include <jansson.h>

#define AV_JSON_ARENA  (64 * 1024)

/* json_loadb with JSON_REJECT_DUPLICATES, in the arena; NULL when the
 * text is not one JSON document.  Every load is ended by av_json_done,
 * also when it failed. */
json_t *av_json_load(const char *s, size_t len);

/* Releases root (may be NULL) and whatever the load took. */
void    av_json_done(json_t *root);

#endif /* AV_JSON_H */
