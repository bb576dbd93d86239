/*
 * el6_poison.h - force-included in the EL6_COMPAT_CHECK build (CI only): include the system,
 * libevent and jansson headers first, then poison every symbol newer than the EL6 floor
 * (glibc 2.12, libevent 2.0.21, jansson 2.4-era), so using one is a compile error on Debian.
 * Code guarded by LIBEVENT_VERSION_NUMBER / JANSSON_VERSION_HEX must be compiled out here:
 * the version macros are lowered to the floor below.
 */
#ifndef PGW_EL6_POISON_H
#define PGW_EL6_POISON_H

#include <malloc.h>   /* declares reallocarray (poisoned below) */
#include <fcntl.h>    /* declares fcntl64 (poisoned below) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h> /* declares statx (poisoned below) */
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>
#include <crypt.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <yaml.h>

/* Pretend to be the EL6 floor so version-guarded code takes its fallback path. */
#undef LIBEVENT_VERSION_NUMBER
#define LIBEVENT_VERSION_NUMBER 0x02001500
#undef JANSSON_VERSION_HEX
#define JANSSON_VERSION_HEX 0x020400

/* glibc > 2.12 */
#pragma GCC poison prlimit syncfs setns sendmmsg getauxval aligned_alloc timespec_get
#pragma GCC poison secure_getenv explicit_bzero getrandom getentropy reallocarray preadv2
#pragma GCC poison memfd_create copy_file_range statx renameat2 fcntl64 gettid close_range
#pragma GCC poison closefrom arc4random pidfd_open strlcpy strlcat

/* libevent 2.1-only (rhel-compat.md §2.3) */
#pragma GCC poison evhttp_set_timeout_tv evhttp_set_bevcb evhttp_request_get_response_code_line
#pragma GCC poison evhttp_request_set_error_cb evhttp_set_default_content_type
#pragma GCC poison evhttp_request_set_on_complete_cb evhttp_send_reply_chunk_with_cb
#pragma GCC poison evhttp_connection_get_server evhttp_connection_get_addr evhttp_set_flags
#pragma GCC poison evhttp_request_set_header_cb evhttp_foreach_bound_socket
#pragma GCC poison evhttp_connection_base_bufferevent_new evhttp_connection_free_on_completion
#pragma GCC poison evhttp_connection_set_family evhttp_connection_set_flags
#pragma GCC poison evhttp_connection_set_initial_retry_tv evhttp_connection_set_timeout_tv
#pragma GCC poison libevent_global_shutdown event_base_loopcontinue event_finalize
#pragma GCC poison event_free_finalize event_base_free_nofinalize event_del_block
#pragma GCC poison event_del_noblock event_remove_timer event_self_cbarg event_get_priority
#pragma GCC poison event_gettime_monotonic event_base_update_cache_time
#pragma GCC poison event_base_get_running_event event_base_foreach_event
#pragma GCC poison event_base_active_by_fd event_base_active_by_signal
#pragma GCC poison event_base_get_npriorities event_base_get_num_events
#pragma GCC poison event_base_get_max_events event_config_set_max_dispatch_interval
#pragma GCC poison event_enable_debug_logging evbuffer_add_file_segment
#pragma GCC poison evbuffer_file_segment_new evbuffer_file_segment_free
#pragma GCC poison evbuffer_add_buffer_reference evbuffer_add_iovec evbuffer_copyout_from
#pragma GCC poison bufferevent_incref bufferevent_decref bufferevent_getcb
#pragma GCC poison bufferevent_getwatermark bufferevent_get_priority bufferevent_trigger
#pragma GCC poison bufferevent_trigger_event evutil_date_rfc1123 evutil_monotonic_timer_new
#pragma GCC poison evutil_gettime_monotonic evutil_make_listen_socket_reuseable_port
#pragma GCC poison evutil_make_tcp_listen_socket_deferred evutil_make_listen_socket_ipv6only
#undef EVHTTP_SERVER_LINGERING_CLOSE
#pragma GCC poison EVHTTP_SERVER_LINGERING_CLOSE
#undef LEV_OPT_DEFERRED_ACCEPT
#pragma GCC poison LEV_OPT_DEFERRED_ACCEPT
#undef LEV_OPT_REUSEABLE_PORT
#pragma GCC poison LEV_OPT_REUSEABLE_PORT
/* libevent_openssl 2.1-only */
#pragma GCC poison bufferevent_openssl_set_allow_dirty_shutdown
#pragma GCC poison bufferevent_openssl_get_allow_dirty_shutdown

/* OpenSSL 1.1.0+ (EL6 has 1.0.1e, EL7 1.0.2k): only the TLS code (libevent 2.1 only) uses them. */
#pragma GCC poison TLS_server_method OPENSSL_init_ssl ASN1_STRING_get0_data

/* libxcrypt-only (glibc 2.12's libcrypt has crypt and crypt_r) */
#pragma GCC poison crypt_gensalt crypt_gensalt_rn crypt_gensalt_ra crypt_rn crypt_ra
#pragma GCC poison crypt_checksalt crypt_preferred_method

/* jansson newer than 2.4 (2.5 json_array_foreach is a macro and allowed with a fallback) */
#pragma GCC poison json_dumpb json_dumpfd json_loadfd json_stringn json_stringn_nocheck
#pragma GCC poison json_string_length json_string_setn json_string_setn_nocheck
#pragma GCC poison json_object_update_recursive json_object_getn json_object_setn
#pragma GCC poison json_object_setn_new json_object_deln json_object_iter_key_len
#pragma GCC poison json_error_code json_sprintf json_vsprintf jansson_version_str
#pragma GCC poison jansson_version_cmp json_object_seed
#undef JSON_REAL_PRECISION
#pragma GCC poison JSON_REAL_PRECISION

#endif
