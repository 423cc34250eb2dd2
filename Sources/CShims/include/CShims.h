// Typed wrappers for what Swift cannot import from the C libraries: function-like macros and
// variadic functions. Nothing else belongs here.
#ifndef DMARC_CSHIMS_H
#define DMARC_CSHIMS_H

#include <gmime/gmime.h>
#include <zlib.h>

// GMIME_IS_* are G_TYPE_CHECK_INSTANCE_TYPE macros.
int cshim_gmime_is_multipart(GMimeObject *object);
int cshim_gmime_is_message_part(GMimeObject *object);
int cshim_gmime_is_part(GMimeObject *object);

// inflateInit2/deflateInit2 are macros that pass the zlib version and struct size.
// windowBits 15+32: accept gzip or zlib headers (auto-detect).
int cshim_inflate_init_auto(z_stream *stream);
// windowBits 15+16: write a gzip member.
int cshim_deflate_init_gzip(z_stream *stream, int level);

// glibc's resolver: res_ninit, res_nmkquery, res_nsend and res_nclose are macros naming
// __res_* functions, which Swift does not import.
#include <resolv.h>
// A zeroed resolver state on the heap (Swift sees `__res_state` as glibc's function of that name).
res_state cshim_res_alloc(void);
void cshim_res_free(res_state state);
int cshim_res_ninit(res_state state);
void cshim_res_nclose(res_state state);
int cshim_res_nmkquery(res_state state, const char *name, int type, unsigned char *buffer, int length);
int cshim_res_nsend(res_state state, const unsigned char *query, int query_length, unsigned char *answer, int answer_length);
// Points the resolver at one IPv4 nameserver and port (sockaddr_in set-up), with a timeout per
// try in seconds and a number of tries. Returns 0, or -1 when the address is not IPv4.
int cshim_res_set_nameserver(res_state state, const char *ipv4, int port, int timeout_seconds, int tries);

// SQLite: sqlite3_config is variadic. Turns off the memory statistics, whose global mutex is
// taken on every allocation; call before the first connection opens.
int cshim_sqlite_disable_memstatus(void);

// Linux: starts writing a file's dirty pages to disk without waiting for them
// (sync_file_range with SYNC_FILE_RANGE_WRITE, which glibc declares only under _GNU_SOURCE).
// Returns 0, or -1 with errno set.
int cshim_start_writeback(int fd);

// libcurl: curl_easy_setopt and curl_easy_getinfo are variadic.
#include <curl/curl.h>
CURLcode cshim_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode cshim_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode cshim_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode cshim_curl_setopt_write_function(CURL *handle, curl_write_callback callback);
CURLcode cshim_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);

// libmicrohttpd: MHD_start_daemon and MHD_get_daemon_info are variadic. Starts a daemon with an
// internal thread pool on one IPv4 address, with connection, per-address connection (0: none),
// timeout and per-connection memory limits, and a completion callback that runs however a
// request ends.
#include <sys/socket.h>
#include <stdint.h>
#include <stdarg.h>
#include <microhttpd.h>
struct MHD_Daemon *cshim_mhd_start(const char *host, uint16_t port, unsigned int threads, unsigned int connection_limit,
    unsigned int per_address_limit, unsigned int timeout_seconds, size_t memory_limit, MHD_AccessHandlerCallback handler,
    void *handler_cls, MHD_RequestCompletedCallback completed, void *completed_cls);
// The port the daemon is bound to (for port 0).
uint16_t cshim_mhd_bound_port(struct MHD_Daemon *daemon);
// MHD_get_connection_info is variadic: the client's address as text into `buffer` (0 on success).
int cshim_mhd_client_address(struct MHD_Connection *connection, char *buffer, size_t length);

#endif
