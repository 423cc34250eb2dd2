#define _GNU_SOURCE
#include "CShims.h"
#include <fcntl.h>
#include <sqlite3.h>
#include <arpa/inet.h>
#include <string.h>
#include <stdlib.h>

int cshim_gmime_is_multipart(GMimeObject *object) { return GMIME_IS_MULTIPART(object); }
int cshim_gmime_is_message_part(GMimeObject *object) { return GMIME_IS_MESSAGE_PART(object); }
int cshim_gmime_is_part(GMimeObject *object) { return GMIME_IS_PART(object); }

int cshim_inflate_init_auto(z_stream *stream) { return inflateInit2(stream, 15 + 32); }

int cshim_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

res_state cshim_res_alloc(void) { return calloc(1, sizeof(struct __res_state)); }
void cshim_res_free(res_state state) { free(state); }
int cshim_res_ninit(res_state state) { return res_ninit(state); }
void cshim_res_nclose(res_state state) { res_nclose(state); }

int cshim_res_nmkquery(res_state state, const char *name, int type, unsigned char *buffer, int length) {
    return res_nmkquery(state, QUERY, name, C_IN, type, NULL, 0, NULL, buffer, length);
}

int cshim_res_nsend(res_state state, const unsigned char *query, int query_length, unsigned char *answer, int answer_length) {
    return res_nsend(state, query, query_length, answer, answer_length);
}

int cshim_res_set_nameserver(res_state state, const char *ipv4, int port, int timeout_seconds, int tries) {
    if (ipv4 != NULL) {
        struct sockaddr_in address;
        memset(&address, 0, sizeof address);
        address.sin_family = AF_INET;
        address.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, ipv4, &address.sin_addr) != 1) return -1;
        state->nsaddr_list[0] = address;
        state->nscount = 1;
    }
    state->retrans = timeout_seconds;
    state->retry = tries;
    return 0;
}

CURLcode cshim_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode cshim_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode cshim_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode cshim_curl_setopt_write_function(CURL *handle, curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

CURLcode cshim_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

struct MHD_Daemon *cshim_mhd_start(const char *host, uint16_t port, unsigned int threads, unsigned int connection_limit,
    unsigned int per_address_limit, unsigned int timeout_seconds, size_t memory_limit, MHD_AccessHandlerCallback handler,
    void *handler_cls, MHD_RequestCompletedCallback completed, void *completed_cls) {
    // An IPv4 or IPv6 address literal; MHD reads the address only while it starts.
    struct sockaddr_storage address;
    memset(&address, 0, sizeof address);
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        flags |= MHD_USE_IPv6;
    } else {
        return NULL;
    }
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_address_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory_limit,
        MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
        MHD_OPTION_END);
}

int cshim_mhd_client_address(struct MHD_Connection *connection, char *buffer, size_t length) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL || length == 0) return -1;
    const struct sockaddr *sa = info->client_addr;
    const void *raw = sa->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                                                : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    return inet_ntop(sa->sa_family, raw, buffer, (socklen_t)length) == NULL ? -1 : 0;
}

uint16_t cshim_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

int cshim_sqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int cshim_start_writeback(int fd) { return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); }
