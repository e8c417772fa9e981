/**
 * @file nxd_pop3_client.h
 * @brief The NetX Duo POP3 client API (RFC 1939), with nxpop3's extensions.
 *
 * Each public name maps to a checking wrapper (_nxe_/_nxde_) that validates its
 * arguments and then calls the core (_nx_/_nxd_); defining NX_DISABLE_ERROR_CHECKING
 * maps the public names straight to the core.
 *
 * Packet ownership is NetX's: on NX_SUCCESS from nx_pop3_client_mail_item_message_get()
 * the caller owns *recv_packet_ptr and releases it, even when it holds 0 bytes.
 */
#ifndef NXD_POP3_CLIENT_H
#define NXD_POP3_CLIENT_H

#include "nx_api.h"
#include "nx_pop3_config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NX_POP3_CLIENT_ID 0x504F5033u /* "POP3" */

/* POP3 status codes (NetX values). */
#define NX_POP3_CLIENT_ERROR_CONSTANT        0xB0u
#define NX_POP3_PARAM_ERROR                  0xB1u /* bad create argument */
#define NX_POP3_INVALID_MAIL_ITEM            0xB2u /* index above the last STAT count */
#define NX_POP3_APOP_FAILED_MD5_DIGEST       0xB3u /* digest could not be computed */
#define NX_POP3_SERVER_ERROR_STATUS          0xB4u /* the server answered -ERR */
#define NX_POP3_MAIL_BUFFER_OVERFLOW         0xB5u /* (reserved, as in NetX) */
#define NX_POP3_INSUFFICIENT_PACKET_PAYLOAD  0xB6u /* a command does not fit one packet */
#define NX_POP3_CLIENT_INVALID_STATE         0xB7u /* not possible in this session state */
#define NX_POP3_CLIENT_INVALID_INDEX         0xB8u /* index 0 */
/* nxpop3's protocol-violation codes: the connection is closed after each of these,
 * since the byte stream can no longer be trusted. */
#define NX_POP3_REPLY_TOO_LONG               0xB9u /* status line over NX_POP3_MAX_REPLY_LINE octets */
#define NX_POP3_INVALID_REPLY                0xBAu /* not exactly +OK/-ERR, NUL, bare CR or LF,
                                                      or a required field missing or not a number */
#define NX_POP3_NUMBER_OVERFLOW              0xBBu /* a number too large for 64 bits, or for the
                                                      ULONG/UINT the caller asked for */
#define NX_POP3_NEGATIVE_NUMBER              0xBCu /* a count or size given as negative */
#define NX_POP3_INDEX_MISMATCH               0xBDu /* "LIST n" answered for another index */

/* Session states (nx_pop3_client_state). */
#define NX_POP3_STATE_CLOSED         0u /* no connection */
#define NX_POP3_STATE_TRANSACTION    1u /* logged in, ready for a command */
#define NX_POP3_STATE_DOWNLOADING    2u /* a RETR body is being read */
#define NX_POP3_STATE_QUIT           3u /* QUIT answered; only delete remains */

/* What the last exchange was (nx_pop3_client_last_command), so a caller can tell
 * a refused login from a refused command. */
#define NX_POP3_COMMAND_NONE     0u
#define NX_POP3_COMMAND_GREETING 1u
#define NX_POP3_COMMAND_USER     2u
#define NX_POP3_COMMAND_PASS     3u
#define NX_POP3_COMMAND_APOP     4u
#define NX_POP3_COMMAND_STAT     5u
#define NX_POP3_COMMAND_LIST     6u
#define NX_POP3_COMMAND_RETR     7u
#define NX_POP3_COMMAND_DELE     8u
#define NX_POP3_COMMAND_NOOP     9u
#define NX_POP3_COMMAND_RSET     10u
#define NX_POP3_COMMAND_QUIT     11u

/** The client control block; memory from the caller, no heap behind it. */
typedef struct NX_POP3_CLIENT_STRUCT
{
    ULONG nx_pop3_client_id;
    NX_IP *nx_pop3_client_ip_ptr;
    NX_PACKET_POOL *nx_pop3_client_packet_pool_ptr;
    NX_TCP_SOCKET nx_pop3_client_tcp_socket;
    NX_PACKET *nx_pop3_client_rx_packet;        /* received bytes not yet consumed */
    ULONG nx_pop3_client_connect_wait;          /* ticks */
    ULONG nx_pop3_client_reply_wait;            /* ticks */
    UINT nx_pop3_client_state;
    UINT nx_pop3_client_socket_created;
    UINT nx_pop3_client_mail_count;             /* from the last STAT */
    UINT nx_pop3_client_mail_count_valid;
    UINT nx_pop3_client_body_state;             /* message-body decoder state */
    UINT nx_pop3_client_enable_APOP_authentication; /* APOP was used for this login */
    UINT nx_pop3_client_last_command;           /* NX_POP3_COMMAND_* of the last exchange */
    CHAR nx_pop3_client_reply_text[NX_POP3_REPLY_TEXT_SIZE]; /* text of the last status line */
} NX_POP3_CLIENT;

#if !defined(NX_POP3_SOURCE_CODE)
#ifdef NX_DISABLE_ERROR_CHECKING
#define nx_pop3_client_create                 _nx_pop3_client_create
#define nxd_pop3_client_create                _nxd_pop3_client_create
#define nxd_pop3_client_create_ext            _nxd_pop3_client_create_ext
#define nx_pop3_client_delete                 _nx_pop3_client_delete
#define nx_pop3_client_mail_items_get         _nx_pop3_client_mail_items_get
#define nx_pop3_client_mail_items_get64       _nx_pop3_client_mail_items_get64
#define nx_pop3_client_mail_item_size_get     _nx_pop3_client_mail_item_size_get
#define nx_pop3_client_mail_item_size_get64   _nx_pop3_client_mail_item_size_get64
#define nx_pop3_client_mail_item_get          _nx_pop3_client_mail_item_get
#define nx_pop3_client_mail_item_get64        _nx_pop3_client_mail_item_get64
#define nx_pop3_client_mail_item_message_get  _nx_pop3_client_mail_item_message_get
#define nx_pop3_client_mail_item_delete       _nx_pop3_client_mail_item_delete
#define nx_pop3_client_noop                   _nx_pop3_client_noop
#define nx_pop3_client_reset                  _nx_pop3_client_reset
#define nx_pop3_client_quit                   _nx_pop3_client_quit
#define nx_pop3_client_reply_timeout_set      _nx_pop3_client_reply_timeout_set
#else
#define nx_pop3_client_create                 _nxe_pop3_client_create
#define nxd_pop3_client_create                _nxde_pop3_client_create
#define nxd_pop3_client_create_ext            _nxde_pop3_client_create_ext
#define nx_pop3_client_delete                 _nxe_pop3_client_delete
#define nx_pop3_client_mail_items_get         _nxe_pop3_client_mail_items_get
#define nx_pop3_client_mail_items_get64       _nxe_pop3_client_mail_items_get64
#define nx_pop3_client_mail_item_size_get     _nxe_pop3_client_mail_item_size_get
#define nx_pop3_client_mail_item_size_get64   _nxe_pop3_client_mail_item_size_get64
#define nx_pop3_client_mail_item_get          _nxe_pop3_client_mail_item_get
#define nx_pop3_client_mail_item_get64        _nxe_pop3_client_mail_item_get64
#define nx_pop3_client_mail_item_message_get  _nxe_pop3_client_mail_item_message_get
#define nx_pop3_client_mail_item_delete       _nxe_pop3_client_mail_item_delete
#define nx_pop3_client_noop                   _nxe_pop3_client_noop
#define nx_pop3_client_reset                  _nxe_pop3_client_reset
#define nx_pop3_client_quit                   _nxe_pop3_client_quit
#define nx_pop3_client_reply_timeout_set      _nxe_pop3_client_reply_timeout_set
#endif
#endif

/* Core services. */
UINT _nx_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                            NX_PACKET_POOL *packet_pool_ptr, ULONG server_ip_address,
                            ULONG server_port, CHAR *client_name, CHAR *client_password);
UINT _nxd_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                             NX_PACKET_POOL *packet_pool_ptr, NXD_ADDRESS *server_ip_address,
                             ULONG server_port, CHAR *client_name, CHAR *client_password);
UINT _nxd_pop3_client_create_ext(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication,
                                 NX_IP *ip_ptr, NX_PACKET_POOL *packet_pool_ptr,
                                 NXD_ADDRESS *server_ip_address, ULONG server_port,
                                 CHAR *client_name, CHAR *client_password,
                                 ULONG connect_wait, ULONG reply_wait);
UINT _nx_pop3_client_delete(NX_POP3_CLIENT *client_ptr);
UINT _nx_pop3_client_mail_items_get(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                    ULONG *maildrop_total_size);
UINT _nx_pop3_client_mail_items_get64(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                      ULONG64 *maildrop_total_size);
UINT _nx_pop3_client_mail_item_size_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *size);
UINT _nx_pop3_client_mail_item_size_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                          ULONG64 *size);
UINT _nx_pop3_client_mail_item_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *item_size);
UINT _nx_pop3_client_mail_item_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                     ULONG64 *item_size);
UINT _nx_pop3_client_mail_item_message_get(NX_POP3_CLIENT *client_ptr, NX_PACKET **recv_packet_ptr,
                                           ULONG *bytes_retrieved, UINT *final_packet);
UINT _nx_pop3_client_mail_item_delete(NX_POP3_CLIENT *client_ptr, UINT mail_index);
UINT _nx_pop3_client_noop(NX_POP3_CLIENT *client_ptr);
UINT _nx_pop3_client_reset(NX_POP3_CLIENT *client_ptr);
UINT _nx_pop3_client_quit(NX_POP3_CLIENT *client_ptr);
UINT _nx_pop3_client_reply_timeout_set(NX_POP3_CLIENT *client_ptr, ULONG reply_wait);

/* Checking wrappers. */
UINT _nxe_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                             NX_PACKET_POOL *packet_pool_ptr, ULONG server_ip_address,
                             ULONG server_port, CHAR *client_name, CHAR *client_password);
UINT _nxde_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                              NX_PACKET_POOL *packet_pool_ptr, NXD_ADDRESS *server_ip_address,
                              ULONG server_port, CHAR *client_name, CHAR *client_password);
UINT _nxde_pop3_client_create_ext(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication,
                                  NX_IP *ip_ptr, NX_PACKET_POOL *packet_pool_ptr,
                                  NXD_ADDRESS *server_ip_address, ULONG server_port,
                                  CHAR *client_name, CHAR *client_password,
                                  ULONG connect_wait, ULONG reply_wait);
UINT _nxe_pop3_client_delete(NX_POP3_CLIENT *client_ptr);
UINT _nxe_pop3_client_mail_items_get(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                     ULONG *maildrop_total_size);
UINT _nxe_pop3_client_mail_items_get64(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                       ULONG64 *maildrop_total_size);
UINT _nxe_pop3_client_mail_item_size_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *size);
UINT _nxe_pop3_client_mail_item_size_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                           ULONG64 *size);
UINT _nxe_pop3_client_mail_item_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *item_size);
UINT _nxe_pop3_client_mail_item_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                      ULONG64 *item_size);
UINT _nxe_pop3_client_mail_item_message_get(NX_POP3_CLIENT *client_ptr,
                                            NX_PACKET **recv_packet_ptr,
                                            ULONG *bytes_retrieved, UINT *final_packet);
UINT _nxe_pop3_client_mail_item_delete(NX_POP3_CLIENT *client_ptr, UINT mail_index);
UINT _nxe_pop3_client_noop(NX_POP3_CLIENT *client_ptr);
UINT _nxe_pop3_client_reset(NX_POP3_CLIENT *client_ptr);
UINT _nxe_pop3_client_quit(NX_POP3_CLIENT *client_ptr);
UINT _nxe_pop3_client_reply_timeout_set(NX_POP3_CLIENT *client_ptr, ULONG reply_wait);

/* nxpop3 extension: copy the current RETR body into a caller buffer, many
 * packets per call, so a binding need not cross into C once per packet. The
 * reader keeps the packet a call could not fully copy; release it with
 * nx_pop3_client_message_reader_release() if you stop before the end. */
typedef struct NX_POP3_READER_STRUCT
{
    NX_PACKET *nx_pop3_reader_packet; /* partly copied packet, or NX_NULL */
    ULONG nx_pop3_reader_offset;      /* bytes of it already copied */
    UINT nx_pop3_reader_final;        /* it was the message's last piece */
} NX_POP3_READER;

/** Fills buffer with up to size bytes of the message. *final_read is set when
 *  the message ended with this call. Errors are those of message_get; the bytes
 *  copied before an error are in *bytes_read. */
UINT nx_pop3_client_message_read(NX_POP3_CLIENT *client_ptr, NX_POP3_READER *reader,
                                 UCHAR *buffer, ULONG size, ULONG *bytes_read, UINT *final_read);
VOID nx_pop3_client_message_reader_release(NX_POP3_READER *reader);

#ifdef __cplusplus
}
#endif

#endif /* NXD_POP3_CLIENT_H */
