#ifndef CNCF_CURL_CLIENT_H
#define CNCF_CURL_CLIENT_H

#include <stddef.h>

/// A minimal blocking HTTP client over one reusable libcurl easy handle (keep-alive), for the benchmark.
/// Not thread-safe: one client per thread.
typedef struct cncf_curl_client cncf_curl_client;

cncf_curl_client *cncf_curl_create(void);
void cncf_curl_destroy(cncf_curl_client *client);

/// Performs one request; returns the HTTP status, or -1 when the transfer failed.
long cncf_curl_perform(cncf_curl_client *client, const char *method, const char *url, const char *body,
                       size_t body_length);

/// The body of the last response; valid until the next request.
const char *cncf_curl_body(cncf_curl_client *client, size_t *length);

#endif
