#include "cncf_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

struct cncf_http_callbacks {
    cncf_http_request_fn on_request;
    cncf_http_completed_fn on_completed;
    void *server_context;
};

static enum MHD_Result cncf_access(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                   const char *version, const char *upload_data, size_t *upload_data_size,
                                   void **request_context) {
    (void)version;
    struct cncf_http_callbacks *callbacks = cls;
    int go_on = callbacks->on_request(callbacks->server_context, connection, url, method, upload_data,
                                      upload_data_size, request_context);
    return go_on ? MHD_YES : MHD_NO;
}

static void cncf_completed(void *cls, struct MHD_Connection *connection, void **request_context,
                           enum MHD_RequestTerminationCode code) {
    (void)connection;
    (void)code;
    struct cncf_http_callbacks *callbacks = cls;
    if (*request_context != NULL) {
        callbacks->on_completed(callbacks->server_context, *request_context);
        *request_context = NULL;
    }
}

struct MHD_Daemon *cncf_http_start(const char *host, uint16_t port, unsigned int threads,
                                   unsigned int connection_limit, unsigned int connection_timeout_seconds,
                                   cncf_http_request_fn on_request, cncf_http_completed_fn on_completed,
                                   void *server_context) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        errno = EINVAL;
        return NULL;
    }

    /* The callbacks live as long as the process: a daemon is started once per service. */
    struct cncf_http_callbacks *callbacks = malloc(sizeof(*callbacks));
    if (callbacks == NULL) {
        return NULL;
    }
    callbacks->on_request = on_request;
    callbacks->on_completed = on_completed;
    callbacks->server_context = server_context;

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    return MHD_start_daemon(flags, port, NULL, NULL, &cncf_access, callbacks,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            /* One client address may hold at most a quarter of the connections. */
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, connection_limit / 4 > 0 ? connection_limit / 4 : 1u,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_NOTIFY_COMPLETED, &cncf_completed, callbacks,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
                            MHD_OPTION_END);
}

void cncf_http_stop(struct MHD_Daemon *daemon) {
    MHD_stop_daemon(daemon);
}

int cncf_http_respond(struct MHD_Connection *connection, unsigned int status, const char *content_type,
                      const void *body, size_t length, const char *const *headers, size_t header_count) {
    struct MHD_Response *response = MHD_create_response_from_buffer(length, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (response == NULL) {
        return 0;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    for (size_t index = 0; index + 1 < header_count * 2; index += 2) {
        MHD_add_response_header(response, headers[index], headers[index + 1]);
    }
    enum MHD_Result queued = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return queued == MHD_YES;
}

struct cncf_collect_context {
    cncf_http_value_fn fn;
    void *context;
    int kind;
};

static enum MHD_Result cncf_collect_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    struct cncf_collect_context *collect = cls;
    collect->fn(collect->context, collect->kind, key, value == NULL ? "" : value);
    return MHD_YES;
}

void cncf_http_collect(struct MHD_Connection *connection, cncf_http_value_fn fn, void *context) {
    struct cncf_collect_context headers = {fn, context, 0};
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &cncf_collect_one, &headers);
    struct cncf_collect_context arguments = {fn, context, 1};
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &cncf_collect_one, &arguments);
}

void cncf_http_suspend(struct MHD_Connection *connection) {
    MHD_suspend_connection(connection);
}

void cncf_http_resume(struct MHD_Connection *connection) {
    MHD_resume_connection(connection);
}
