#ifndef CNCF_HTTP_H
#define CNCF_HTTP_H

#include <stddef.h>
#include <stdint.h>

/// A thin layer over libmicrohttpd that keeps its variadic start call and its enums out of Swift.

struct MHD_Daemon;
struct MHD_Connection;

/// Called for every step of a request, exactly like an MHD access handler. Returns 1 to go on, 0 to
/// close the connection.
typedef int (*cncf_http_request_fn)(void *server_context, struct MHD_Connection *connection, const char *url,
                                    const char *method, const char *upload_data, size_t *upload_data_size,
                                    void **request_context);

/// Called once a request is finished (answered or aborted), so its context can be released.
typedef void (*cncf_http_completed_fn)(void *server_context, void *request_context);

/// Called once per header or query argument by `cncf_http_collect`; `kind` is 0 for a header, 1 for a query
/// argument.
typedef void (*cncf_http_value_fn)(void *context, int kind, const char *key, const char *value);

/// Starts a daemon on `host:port` (IPv4 dotted address) with an internal thread pool of `threads` epoll threads.
/// Returns NULL and sets `errno` when the daemon cannot start.
struct MHD_Daemon *cncf_http_start(const char *host, uint16_t port, unsigned int threads,
                                   unsigned int connection_limit, unsigned int connection_timeout_seconds,
                                   cncf_http_request_fn on_request, cncf_http_completed_fn on_completed,
                                   void *server_context);

/// Stops the daemon and releases it. All suspended connections must have been resumed first.
void cncf_http_stop(struct MHD_Daemon *daemon);

/// Queues a response with a copy of `body`. Up to `header_count` extra headers come as name/value pairs.
/// Returns 1 when MHD accepted the response.
int cncf_http_respond(struct MHD_Connection *connection, unsigned int status, const char *content_type,
                      const void *body, size_t length, const char *const *headers, size_t header_count);

/// Reports every request header and query argument to `fn`.
void cncf_http_collect(struct MHD_Connection *connection, cncf_http_value_fn fn, void *context);

/// Parks a connection until `cncf_http_resume`; only valid inside the request callback.
void cncf_http_suspend(struct MHD_Connection *connection);

/// Wakes a parked connection; MHD calls the request callback again for it. Safe from any thread.
void cncf_http_resume(struct MHD_Connection *connection);

#endif
