#include "curl_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct cncf_curl_client {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t length;
    size_t capacity;
};

static size_t cncf_curl_collect(char *data, size_t size, size_t count, void *context) {
    struct cncf_curl_client *client = context;
    size_t bytes = size * count;
    if (client->length + bytes + 1 > client->capacity) {
        size_t capacity = (client->length + bytes + 1) * 2;
        char *grown = realloc(client->body, capacity);
        if (grown == NULL) {
            return 0;
        }
        client->body = grown;
        client->capacity = capacity;
    }
    memcpy(client->body + client->length, data, bytes);
    client->length += bytes;
    client->body[client->length] = 0;
    return bytes;
}

cncf_curl_client *cncf_curl_create(void) {
    struct cncf_curl_client *client = calloc(1, sizeof(*client));
    if (client == NULL) {
        return NULL;
    }
    client->easy = curl_easy_init();
    client->headers = curl_slist_append(NULL, "Content-Type: application/json");
    client->headers = curl_slist_append(client->headers, "Expect:");
    curl_easy_setopt(client->easy, CURLOPT_WRITEFUNCTION, cncf_curl_collect);
    curl_easy_setopt(client->easy, CURLOPT_WRITEDATA, client);
    curl_easy_setopt(client->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(client->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(client->easy, CURLOPT_TIMEOUT, 330L);
    return client;
}

void cncf_curl_destroy(cncf_curl_client *client) {
    curl_slist_free_all(client->headers);
    curl_easy_cleanup(client->easy);
    free(client->body);
    free(client);
}

long cncf_curl_perform(cncf_curl_client *client, const char *method, const char *url, const char *body,
                       size_t body_length) {
    client->length = 0;
    curl_easy_setopt(client->easy, CURLOPT_URL, url);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(client->easy, CURLOPT_POST, 1L);
        curl_easy_setopt(client->easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(client->easy, CURLOPT_POSTFIELDSIZE, (long)body_length);
        curl_easy_setopt(client->easy, CURLOPT_HTTPHEADER, client->headers);
    } else {
        curl_easy_setopt(client->easy, CURLOPT_HTTPGET, 1L);
    }
    if (curl_easy_perform(client->easy) != CURLE_OK) {
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(client->easy, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

const char *cncf_curl_body(cncf_curl_client *client, size_t *length) {
    *length = client->length;
    return client->body == NULL ? "" : client->body;
}
