/* What cffi needs to know that the C headers cannot tell it: the types, the
 * struct fields Python reads ("...;" lets the compiler lay out the rest) and the
 * Python callbacks. The constants and the prototypes are read from the headers
 * by generate.py. API mode: the compiler checks all of it against the headers. */

typedef char CHAR;
typedef unsigned char UCHAR;
typedef int INT;
typedef unsigned int UINT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint64_t ULONG64;

/* The NetX types, with the fields Python reads; "...;" lets the compiler lay out the rest. */
typedef struct NXD_ADDRESS_STRUCT
{
    ULONG nxd_ip_version;
    union
    {
        ULONG v4;
        ULONG v6[4];
    } nxd_ip_address;
} NXD_ADDRESS;

typedef struct NX_PACKET_STRUCT
{
    struct NX_PACKET_STRUCT *nx_packet_next;
    UCHAR *nx_packet_prepend_ptr;
    UCHAR *nx_packet_append_ptr;
    UCHAR *nx_packet_data_start;
    UCHAR *nx_packet_data_end;
    ULONG nx_packet_length;
    ...;
} NX_PACKET;

typedef struct NX_PACKET_POOL_STRUCT
{
    ULONG nx_packet_pool_available;
    ULONG nx_packet_pool_total;
    ULONG nx_packet_pool_payload_size;
    ULONG nx_packet_pool_empty_requests;
    ULONG nx_packet_pool_invalid_releases;
    ULONG nx_packet_pool_fail_countdown;
    ...;
} NX_PACKET_POOL;

typedef struct NX_IP_STRUCT { ...; } NX_IP;

typedef struct NX_TCP_SOCKET_STRUCT
{
    UINT nx_tcp_socket_state;
    UINT nx_tcp_socket_bound;
    ...;
} NX_TCP_SOCKET;

/* The transport contract (nx_transport.h), so tests can call a transport directly. */
typedef struct NX_TRANSPORT_OPS_STRUCT
{
    INT  (*connect)(void *context, void **connection, const NXD_ADDRESS *server, UINT port,
                    ULONG wait_ticks);
    LONG (*send)(void *context, void *connection, const UCHAR *data, ULONG length,
                 ULONG wait_ticks);
    LONG (*receive)(void *context, void *connection, UCHAR *buffer, ULONG size,
                    ULONG wait_ticks);
    void (*close)(void *context, void *connection);
    ULONG (*ticks)(void *context);
    INT  (*tls_start)(void *context, void *connection, ULONG wait_ticks);
    ULONG (*tls_verify_result)(void *context, void *connection);
} NX_TRANSPORT_OPS;
typedef struct NX_TRANSPORT_STRUCT { const NX_TRANSPORT_OPS *ops; void *context; } NX_TRANSPORT;
typedef struct NX_TRANSPORT_POSIX_STRUCT { ...; } NX_TRANSPORT_POSIX;

typedef struct NX_TRANSPORT_SCRIPTED_STRUCT
{
    INT  (*on_connect)(void *user);
    LONG (*on_send)(void *user, const UCHAR *data, ULONG length);
    LONG (*on_receive)(void *user, UCHAR *buffer, ULONG size, ULONG wait_ticks);
    INT  (*on_tls_start)(void *user, ULONG wait_ticks);
    void *user;
    ULONG tls_verify;
    UINT tls_active;
    ULONG now;
    UINT connected;
    UINT connects;
    UINT closes;
    ...;
} NX_TRANSPORT_SCRIPTED;

typedef struct NX_POP3_APOP_STAMP_STRUCT { ...; } NX_POP3_APOP_STAMP;

/* The listings' callbacks and a pipelined batch (nxd_pop3_client.h). */
typedef void (*NX_POP3_CAPA_CALLBACK)(void *context, const CHAR *name, const CHAR *arguments);
typedef void (*NX_POP3_LIST_CALLBACK)(void *context, UINT mail_item, ULONG64 size);
typedef void (*NX_POP3_UIDL_CALLBACK)(void *context, UINT mail_item, const CHAR *uid);
typedef struct NX_POP3_PIPELINE_STRUCT
{
    UINT nx_pop3_pipeline_count;
    UINT nx_pop3_pipeline_sent;
    UINT nx_pop3_pipeline_read;
    UINT nx_pop3_pipeline_window;
    ...;
} NX_POP3_PIPELINE;

typedef struct NX_POP3_CLIENT_STRUCT
{
    NX_TCP_SOCKET nx_pop3_client_tcp_socket;
    NX_PACKET *nx_pop3_client_rx_packet;
    ULONG nx_pop3_client_reply_wait;
    UINT nx_pop3_client_state;
    UINT nx_pop3_client_enable_APOP_authentication;
    UINT nx_pop3_client_last_command;
    UINT nx_pop3_client_reply_truncated;
    UINT nx_pop3_client_capabilities;
    UINT nx_pop3_client_response_code;
    UINT nx_pop3_client_sasl_mechanisms;
    UINT nx_pop3_client_socket_created;
    CHAR nx_pop3_client_reply_text[...];
    ...;
} NX_POP3_CLIENT;

typedef struct NX_POP3_READER_STRUCT
{
    NX_PACKET *nx_pop3_reader_packet;
    ...;
} NX_POP3_READER;

typedef struct NX_MD5_STRUCT { ...; } NX_MD5;
typedef struct NX_SHA256_STRUCT { ...; } NX_SHA256;
typedef struct NX_HMAC_SHA256_STRUCT { ...; } NX_HMAC_SHA256;
typedef struct NX_HMAC_MD5_STRUCT { ...; } NX_HMAC_MD5;
typedef struct NX_BASE64_DECODER_STRUCT { ULONG length; UINT invalid; UINT overflow; ...; } NX_BASE64_DECODER;
typedef void (*NX_POP3_REPLY_SINK)(void *context, UCHAR c);

typedef struct NX_POP3_REPLY_STRUCT
{
    UINT state;
    UINT length;
    UINT status;
    UINT error;
    UINT text_length;
    UINT text_truncated;
    ...;
} NX_POP3_REPLY;

typedef struct NX_TRANSPORT_CALLBACK_STRUCT
{
    INT  (*on_connect)(void *user, const NXD_ADDRESS *server, UINT port, ULONG wait_ticks);
    LONG (*on_send)(void *user, const UCHAR *data, ULONG length, ULONG wait_ticks);
    LONG (*on_receive)(void *user, UCHAR *buffer, ULONG size, ULONG wait_ticks);
    void (*on_close)(void *user);
    INT  (*on_tls_start)(void *user, ULONG wait_ticks);
    ULONG (*on_tls_verify_result)(void *user);
    void *user;
    ...;
} NX_TRANSPORT_CALLBACK;

/* The socket transport's callbacks, written in Python (nxpop3/tls.py). */
extern "Python" INT nxpop3_socket_connect(void *user, const NXD_ADDRESS *server, UINT port,
                                          ULONG wait_ticks);
extern "Python" LONG nxpop3_socket_send(void *user, const UCHAR *data, ULONG length,
                                        ULONG wait_ticks);
extern "Python" LONG nxpop3_socket_receive(void *user, UCHAR *buffer, ULONG size,
                                           ULONG wait_ticks);
extern "Python" void nxpop3_socket_close(void *user);
extern "Python" INT nxpop3_socket_tls_start(void *user, ULONG wait_ticks);
extern "Python" ULONG nxpop3_socket_tls_verify_result(void *user);

/* The listings' callbacks, written in Python (nxpop3/client.py). */
extern "Python" void nxpop3_capa_line(void *context, const CHAR *name, const CHAR *arguments);
extern "Python" void nxpop3_list_entry(void *context, UINT mail_item, ULONG64 size);
extern "Python" void nxpop3_uidl_entry(void *context, UINT mail_item, const CHAR *uid);

/* The scripted transport's callbacks, written in Python (nxpop3/transport.py). */
extern "Python" INT nxpop3_scripted_connect(void *user);
extern "Python" LONG nxpop3_scripted_send(void *user, const UCHAR *data, ULONG length);
extern "Python" LONG nxpop3_scripted_receive(void *user, UCHAR *buffer, ULONG size,
                                              ULONG wait_ticks);
extern "Python" INT nxpop3_scripted_tls_start(void *user, ULONG wait_ticks);
