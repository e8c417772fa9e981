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
#include "nx_md5.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NX_POP3_CLIENT_ID 0x504F5033u /* "POP3" */

/* POP3 status codes (NetX values). */
#define NX_POP3_CLIENT_ERROR_CONSTANT        0xB0u
#define NX_POP3_PARAM_ERROR                  0xB1u /* bad create argument */
#define NX_POP3_INVALID_MAIL_ITEM            0xB2u /* a message number that can never be valid */
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
#define NX_POP3_UNEXPECTED_DATA              0xBEu /* bytes no command asked for: a stray reply,
                                                      or data after a reply or a body's end */
#define NX_POP3_TLS_FAILED                   0xBFu /* TLS could not be started: the handshake
                                                      failed or the server's certificate or
                                                      name was not verified; the connection
                                                      is closed and nothing else was sent */
#define NX_POP3_INVALID_CHALLENGE            0xC0u /* a protocol violation in SASL: a challenge
                                                      not valid base64, over NX_POP3_MAX_CHALLENGE,
                                                      malformed for the mechanism, or where none
                                                      may come; cancelled with "*", the
                                                      connection is closed */
#define NX_POP3_SERVER_NOT_VERIFIED          0xC1u /* SCRAM: the server did not prove that it
                                                      knows the password (a wrong or missing
                                                      signature); the connection is closed */
#define NX_POP3_MECHANISM_NOT_OFFERED        0xC2u /* the last CAPA did not offer the SASL
                                                      mechanism; nothing was sent */
/* The range of the protocol-violation codes, for a caller that tells them apart
 * (NX_POP3_INVALID_CHALLENGE, outside it, is one too). */
#define NX_POP3_PROTOCOL_ERROR_FIRST         NX_POP3_REPLY_TOO_LONG
#define NX_POP3_PROTOCOL_ERROR_LAST          NX_POP3_UNEXPECTED_DATA

/* Session states (nx_pop3_client_state), RFC 1939's AUTHORIZATION and
 * TRANSACTION plus the client's own. */
#define NX_POP3_STATE_CLOSED         0u /* no connection */
#define NX_POP3_STATE_TRANSACTION    1u /* logged in, ready for a command */
#define NX_POP3_STATE_DOWNLOADING    2u /* a multi-line body (RETR) is being read */
#define NX_POP3_STATE_QUIT           3u /* QUIT answered; only delete remains */
#define NX_POP3_STATE_AUTHORIZATION  4u /* greeting read, not logged in yet */

/* What the last exchange was (nx_pop3_client_last_command), so a caller can tell
 * a refused login from a refused command. From NX_POP3_FIRST_COMMAND on, each
 * code is a row of the command table (nx_pop3_command.c), in this order. */
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
#define NX_POP3_COMMAND_CAPA     12u
#define NX_POP3_COMMAND_UIDL     13u
#define NX_POP3_COMMAND_TOP      14u
#define NX_POP3_COMMAND_UTF8     15u
#define NX_POP3_COMMAND_STLS     16u
#define NX_POP3_COMMAND_AUTH     17u
#define NX_POP3_FIRST_COMMAND    NX_POP3_COMMAND_USER

/* What the server's last CAPA listed (nx_pop3_client_capabilities), RFC 2449 and
 * RFC 6856. NX_POP3_CAPABILITY_ASKED: CAPA was answered (a -ERR leaves it alone:
 * an old server with no capabilities). */
#define NX_POP3_CAPABILITY_ASKED          0x0001u
#define NX_POP3_CAPABILITY_TOP            0x0002u
#define NX_POP3_CAPABILITY_UIDL           0x0004u
#define NX_POP3_CAPABILITY_USER           0x0008u
#define NX_POP3_CAPABILITY_SASL           0x0010u
#define NX_POP3_CAPABILITY_STLS           0x0020u
#define NX_POP3_CAPABILITY_PIPELINING     0x0040u
#define NX_POP3_CAPABILITY_RESP_CODES     0x0080u
#define NX_POP3_CAPABILITY_AUTH_RESP_CODE 0x0100u
#define NX_POP3_CAPABILITY_UTF8           0x0200u
#define NX_POP3_CAPABILITY_LOGIN_DELAY    0x0400u
#define NX_POP3_CAPABILITY_EXPIRE         0x0800u
#define NX_POP3_CAPABILITY_IMPLEMENTATION 0x1000u

/* SASL mechanisms (RFC 5034), for nx_pop3_client_auth(); bit (1u << code) of
 * nx_pop3_client_sasl_mechanisms is set when the last CAPA offered it. */
#define NX_POP3_SASL_PLAIN          1u /* RFC 4616 */
#define NX_POP3_SASL_LOGIN          2u /* draft-murchison-sasl-login */
#define NX_POP3_SASL_CRAM_MD5       3u /* RFC 2195 */
#define NX_POP3_SASL_SCRAM_SHA_256  4u /* RFC 5802, RFC 7677 */
#define NX_POP3_SASL_XOAUTH2        5u /* Google's and Microsoft's OAuth 2.0 bearer */
#define NX_POP3_SASL_OAUTHBEARER    6u /* RFC 7628 */
#define NX_POP3_SASL_LAST           NX_POP3_SASL_OAUTHBEARER

/* The SCRAM client nonce: printable characters (0x21..0x7E but ','), from a
 * CSPRNG, this many. */
#define NX_POP3_SCRAM_NONCE_MIN     16u
#define NX_POP3_SCRAM_NONCE_MAX     64u

/* The response code (RFC 2449, 3206, 6856) of the last -ERR, case-insensitive and
 * hierarchical ("SYS/TEMP/anything" is SYS_TEMP): nx_pop3_client_response_code. */
#define NX_POP3_RESPONSE_NONE         0u /* no code, or the last reply was not -ERR */
#define NX_POP3_RESPONSE_OTHER        1u /* a code this client does not know */
#define NX_POP3_RESPONSE_IN_USE       2u /* [IN-USE]: the maildrop is locked */
#define NX_POP3_RESPONSE_LOGIN_DELAY  3u /* [LOGIN-DELAY]: logged in too recently */
#define NX_POP3_RESPONSE_SYS_TEMP     4u /* [SYS/TEMP]: try again later */
#define NX_POP3_RESPONSE_SYS_PERM     5u /* [SYS/PERM]: do not retry */
#define NX_POP3_RESPONSE_AUTH         6u /* [AUTH]: the credentials were wrong */
#define NX_POP3_RESPONSE_UTF8         7u /* [UTF8]: the account needs UTF8 mode */

/* Longest unique-id (RFC 1939: 1 to 70 characters 0x21..0x7E). */
#define NX_POP3_MAX_UID 70u

/** One line of a CAPA listing: the capability's name (upper-cased) and the
 *  rest of the line (its arguments, "" when none), both NUL-terminated. */
typedef VOID (*NX_POP3_CAPA_CALLBACK)(VOID *context, const CHAR *name, const CHAR *arguments);
/** One line of a LIST listing. */
typedef VOID (*NX_POP3_LIST_CALLBACK)(VOID *context, UINT mail_item, ULONG64 size);
/** One line of a UIDL listing; uid is NUL-terminated, 1 to NX_POP3_MAX_UID characters. */
typedef VOID (*NX_POP3_UIDL_CALLBACK)(VOID *context, UINT mail_item, const CHAR *uid);

/** A pipelined batch of RETRs (caller memory, alive until the batch ends): see
 *  nx_pop3_client_pipeline_start(). */
typedef struct NX_POP3_PIPELINE_STRUCT
{
    const UINT *nx_pop3_pipeline_items;  /* the message numbers, the caller's array */
    UINT nx_pop3_pipeline_count;
    UINT nx_pop3_pipeline_sent;          /* RETRs sent */
    UINT nx_pop3_pipeline_read;          /* replies whose status line was read */
    UINT nx_pop3_pipeline_window;        /* most RETRs unanswered at once */
} NX_POP3_PIPELINE;

/** The APOP timestamp of the greeting, hashed as it arrived (nx_pop3_auth.c).
 *  Memory from the caller, only when APOP is wanted: given to
 *  nxd_pop3_client_connect(), kept until nx_pop3_client_login(), which wipes it
 *  (the secret goes through its MD5 block). */
typedef struct NX_POP3_APOP_STAMP_STRUCT
{
    NX_MD5 nx_pop3_apop_md5;
    UINT nx_pop3_apop_state;
} NX_POP3_APOP_STAMP;

/** The client control block; memory from the caller, no heap behind it. */
typedef struct NX_POP3_CLIENT_STRUCT
{
    ULONG nx_pop3_client_id;
    NX_IP *nx_pop3_client_ip_ptr;
    NX_PACKET_POOL *nx_pop3_client_packet_pool_ptr;
    NX_TCP_SOCKET nx_pop3_client_tcp_socket;
    NX_PACKET *nx_pop3_client_rx_packet;        /* received bytes not yet consumed */
    ULONG nx_pop3_client_reply_wait;            /* ticks */
    UINT nx_pop3_client_state;                  /* NX_POP3_STATE_* */
    UINT nx_pop3_client_resume_state;           /* the state a body returns to */
    UINT nx_pop3_client_socket_created;
    UINT nx_pop3_client_body_state;             /* message-body decoder state */
    UINT nx_pop3_client_enable_APOP_authentication; /* APOP was used for this login */
    UINT nx_pop3_client_last_command;           /* NX_POP3_COMMAND_* of the last exchange */
    UINT nx_pop3_client_reply_truncated;        /* the last text did not fit reply_text */
    UINT nx_pop3_client_unexpected_data;        /* bytes came after a body's end */
    UINT nx_pop3_client_capabilities;           /* NX_POP3_CAPABILITY_* of the last CAPA */
    UINT nx_pop3_client_response_code;          /* NX_POP3_RESPONSE_* of the last reply */
    NX_POP3_PIPELINE *nx_pop3_client_pipeline;  /* the batch in progress, or NX_NULL */
#if NX_POP3_CLIENT_ENABLE_SASL
    UINT nx_pop3_client_sasl_mechanisms;        /* (1u << NX_POP3_SASL_*) the last CAPA offered */
#endif
    CHAR nx_pop3_client_reply_text[NX_POP3_REPLY_TEXT_SIZE]; /* text of the last status line */
} NX_POP3_CLIENT;

#if !defined(NX_POP3_SOURCE_CODE)
#ifdef NX_DISABLE_ERROR_CHECKING
#define nx_pop3_client_create                 _nx_pop3_client_create
#define nxd_pop3_client_create                _nxd_pop3_client_create
#define nxd_pop3_client_create_ext            _nxd_pop3_client_create_ext
#define nxd_pop3_client_connect               _nxd_pop3_client_connect
#define nx_pop3_client_login                  _nx_pop3_client_login
#define nx_pop3_client_delete                 _nx_pop3_client_delete
#define nx_pop3_client_mail_items_get         _nx_pop3_client_mail_items_get
#define nx_pop3_client_mail_items_get64       _nx_pop3_client_mail_items_get64
#define nx_pop3_client_mail_item_size_get     _nx_pop3_client_mail_item_size_get
#define nx_pop3_client_mail_item_size_get64   _nx_pop3_client_mail_item_size_get64
#define nx_pop3_client_mail_item_get          _nx_pop3_client_mail_item_get
#define nx_pop3_client_mail_item_get64        _nx_pop3_client_mail_item_get64
#define nx_pop3_client_mail_item_message_get  _nx_pop3_client_mail_item_message_get
#define nx_pop3_client_message_read           _nx_pop3_client_message_read
#define nx_pop3_client_mail_item_delete       _nx_pop3_client_mail_item_delete
#define nx_pop3_client_noop                   _nx_pop3_client_noop
#define nx_pop3_client_reset                  _nx_pop3_client_reset
#define nx_pop3_client_quit                   _nx_pop3_client_quit
#define nx_pop3_client_reply_timeout_set      _nx_pop3_client_reply_timeout_set
#define nx_pop3_client_capabilities_get        _nx_pop3_client_capabilities_get
#define nx_pop3_client_mail_items_list         _nx_pop3_client_mail_items_list
#define nx_pop3_client_mail_items_uidl         _nx_pop3_client_mail_items_uidl
#define nx_pop3_client_mail_item_uid_get       _nx_pop3_client_mail_item_uid_get
#define nx_pop3_client_mail_item_top_get       _nx_pop3_client_mail_item_top_get
#define nx_pop3_client_utf8                    _nx_pop3_client_utf8
#define nx_pop3_client_pipeline_start          _nx_pop3_client_pipeline_start
#define nx_pop3_client_pipeline_next           _nx_pop3_client_pipeline_next
#define nx_pop3_client_stls                    _nx_pop3_client_stls
#define nx_pop3_client_tls_verify_result_get   _nx_pop3_client_tls_verify_result_get
#define nx_pop3_client_apop                    _nx_pop3_client_apop
#define nx_pop3_client_user_pass               _nx_pop3_client_user_pass
#define nx_pop3_client_auth                    _nx_pop3_client_auth
#else
#define nx_pop3_client_create                 _nxe_pop3_client_create
#define nxd_pop3_client_create                _nxde_pop3_client_create
#define nxd_pop3_client_create_ext            _nxde_pop3_client_create_ext
#define nxd_pop3_client_connect               _nxde_pop3_client_connect
#define nx_pop3_client_login                  _nxe_pop3_client_login
#define nx_pop3_client_delete                 _nxe_pop3_client_delete
#define nx_pop3_client_mail_items_get         _nxe_pop3_client_mail_items_get
#define nx_pop3_client_mail_items_get64       _nxe_pop3_client_mail_items_get64
#define nx_pop3_client_mail_item_size_get     _nxe_pop3_client_mail_item_size_get
#define nx_pop3_client_mail_item_size_get64   _nxe_pop3_client_mail_item_size_get64
#define nx_pop3_client_mail_item_get          _nxe_pop3_client_mail_item_get
#define nx_pop3_client_mail_item_get64        _nxe_pop3_client_mail_item_get64
#define nx_pop3_client_mail_item_message_get  _nxe_pop3_client_mail_item_message_get
#define nx_pop3_client_message_read           _nxe_pop3_client_message_read
#define nx_pop3_client_mail_item_delete       _nxe_pop3_client_mail_item_delete
#define nx_pop3_client_noop                   _nxe_pop3_client_noop
#define nx_pop3_client_reset                  _nxe_pop3_client_reset
#define nx_pop3_client_quit                   _nxe_pop3_client_quit
#define nx_pop3_client_reply_timeout_set      _nxe_pop3_client_reply_timeout_set
#define nx_pop3_client_capabilities_get        _nxe_pop3_client_capabilities_get
#define nx_pop3_client_mail_items_list         _nxe_pop3_client_mail_items_list
#define nx_pop3_client_mail_items_uidl         _nxe_pop3_client_mail_items_uidl
#define nx_pop3_client_mail_item_uid_get       _nxe_pop3_client_mail_item_uid_get
#define nx_pop3_client_mail_item_top_get       _nxe_pop3_client_mail_item_top_get
#define nx_pop3_client_utf8                    _nxe_pop3_client_utf8
#define nx_pop3_client_pipeline_start          _nxe_pop3_client_pipeline_start
#define nx_pop3_client_pipeline_next           _nxe_pop3_client_pipeline_next
#define nx_pop3_client_stls                    _nxe_pop3_client_stls
#define nx_pop3_client_tls_verify_result_get   _nxe_pop3_client_tls_verify_result_get
#define nx_pop3_client_apop                    _nxe_pop3_client_apop
#define nx_pop3_client_user_pass               _nxe_pop3_client_user_pass
#define nx_pop3_client_auth                    _nxe_pop3_client_auth
#endif
#endif

/** What nx_pop3_client_message_read() keeps between calls: the packet a call
 *  could not copy whole. Zero it before the first call; release it with
 *  nx_pop3_client_message_reader_release() if you stop before the end. */
typedef struct NX_POP3_READER_STRUCT
{
    NX_PACKET *nx_pop3_reader_packet; /* partly copied packet, or NX_NULL */
    ULONG nx_pop3_reader_offset;      /* bytes of it already copied */
    UINT nx_pop3_reader_final;        /* it was the message's last piece */
} NX_POP3_READER;

/*
 * The services. Each comment says what goes on the wire, what comes back,
 * who owns each packet, and the statuses. Common to all:
 *  - NX_PTR_ERROR: a NULL pointer, or a client not created (checking layer);
 *  - NX_NOT_CONNECTED: no connection (closed by the peer, by a protocol
 *    violation, or never made); nothing is sent;
 *  - NX_POP3_CLIENT_INVALID_STATE: the command is not allowed in this state
 *    (a body is being read, QUIT was sent, or not logged in yet); nothing sent;
 *  - NX_NO_PACKET / NX_POOL_ERROR: no packet for the command (nothing sent), or
 *    NX_NO_PACKET: no reply within the reply wait (the connection is closed);
 *  - NX_POP3_INSUFFICIENT_PACKET_PAYLOAD: the command does not fit one packet;
 *  - NX_POP3_SERVER_ERROR_STATUS: the server answered -ERR; its text is in
 *    nx_pop3_client_reply_text and the session stays usable;
 *  - NX_POP3_REPLY_TOO_LONG, NX_POP3_INVALID_REPLY, NX_POP3_NUMBER_OVERFLOW,
 *    NX_POP3_NEGATIVE_NUMBER, NX_POP3_INDEX_MISMATCH: the server broke the
 *    protocol; the connection is closed.
 * Every command packet comes from the client's pool and belongs to the stack
 * once sent; received packets are released by the client, except the body
 * packets that nx_pop3_client_mail_item_message_get() hands over.
 */

/** Connects, reads the greeting and logs in (NetX's all-in-one create):
 *  nxd_pop3_client_connect() then nx_pop3_client_login(). server_ip_address is
 *  IPv4 in host byte order. NX_POP3_PARAM_ERROR: zero address or port, a name
 *  over NX_POP3_MAX_USERNAME or a password over NX_POP3_MAX_PASSWORD
 *  characters, or either holding CR or LF. On any failure everything created
 *  is torn down again. */
UINT _nx_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                            NX_PACKET_POOL *packet_pool_ptr, ULONG server_ip_address,
                            ULONG server_port, CHAR *client_name, CHAR *client_password);

/** As nx_pop3_client_create(), to an IPv4 or IPv6 address (NX_IP_ADDRESS_ERROR
 *  for another version). */
UINT _nxd_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                             NX_PACKET_POOL *packet_pool_ptr, NXD_ADDRESS *server_ip_address,
                             ULONG server_port, CHAR *client_name, CHAR *client_password);

/** As nxd_pop3_client_create(), with this client's connect and reply waits
 *  (ticks, not 0: NX_OPTION_ERROR) instead of the configured defaults. */
UINT _nxd_pop3_client_create_ext(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication,
                                 NX_IP *ip_ptr, NX_PACKET_POOL *packet_pool_ptr,
                                 NXD_ADDRESS *server_ip_address, ULONG server_port,
                                 CHAR *client_name, CHAR *client_password,
                                 ULONG connect_wait, ULONG reply_wait);

/** Creates the socket, connects within connect_wait ticks and reads the
 *  greeting within reply_wait ticks (neither 0: NX_OPTION_ERROR); on NX_SUCCESS
 *  the client is created and in NX_POP3_STATE_AUTHORIZATION, ready for
 *  nx_pop3_client_login() (or QUIT). apop_stamp (NX_NULL when APOP is not
 *  wanted) receives the greeting's timestamp, hashed as it passes. A -ERR
 *  greeting is NX_POP3_SERVER_ERROR_STATUS; a transport with implicit TLS
 *  (POP3S) that connected but could not have TLS: NX_POP3_TLS_FAILED. On any failure everything created
 *  is torn down again and the client is not created. */
UINT _nxd_pop3_client_connect(NX_POP3_CLIENT *client_ptr, NX_IP *ip_ptr,
                              NX_PACKET_POOL *packet_pool_ptr, NXD_ADDRESS *server_ip_address,
                              ULONG server_port, ULONG connect_wait, ULONG reply_wait,
                              NX_POP3_APOP_STAMP *apop_stamp);

/** Logs in from NX_POP3_STATE_AUTHORIZATION: "APOP name digest" when
 *  apop_stamp (the one given to connect) holds the greeting's timestamp,
 *  falling back to "USER name" / "PASS password" when the server answers -ERR
 *  (the reference's behaviour); USER/PASS when apop_stamp is NX_NULL or holds
 *  no timestamp. The stamp is wiped. NX_SUCCESS: the client is in
 *  NX_POP3_STATE_TRANSACTION and nx_pop3_client_enable_APOP_authentication says
 *  whether APOP was used. -ERR to the last step: NX_POP3_SERVER_ERROR_STATUS,
 *  still in AUTHORIZATION (a retry or QUIT may follow). NX_POP3_PARAM_ERROR:
 *  the credentials as for create; nothing sent. */
UINT _nx_pop3_client_login(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                           CHAR *client_name, CHAR *client_password);

#if NX_POP3_CLIENT_ENABLE_SASL
/* The login services without NetX's fallback, built with SASL (a login policy
 * chooses among them and nx_pop3_client_auth()). */
/** "APOP name digest" only, from NX_POP3_STATE_AUTHORIZATION: never falls
 *  back to USER/PASS. NX_POP3_APOP_FAILED_MD5_DIGEST, nothing sent, when
 *  apop_stamp is NX_NULL or the greeting had no timestamp (the server does not
 *  offer APOP). Otherwise as nx_pop3_client_login(); the stamp is wiped. */
UINT _nx_pop3_client_apop(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                          CHAR *client_name, CHAR *client_password);
/** "USER name" then "PASS password" only, from NX_POP3_STATE_AUTHORIZATION:
 *  the password goes in clear (only over TLS, or to a host you trust). -ERR to
 *  either: NX_POP3_SERVER_ERROR_STATUS, still in AUTHORIZATION. */
UINT _nx_pop3_client_user_pass(NX_POP3_CLIENT *client_ptr, CHAR *client_name,
                               CHAR *client_password);
/** "AUTH mechanism" (RFC 5034) from NX_POP3_STATE_AUTHORIZATION, the whole
 *  exchange in one call, each step within the reply wait. mechanism: an
 *  NX_POP3_SASL_* built into this client (else NX_OPTION_ERROR). secret: the
 *  password (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256) or the OAuth access token
 *  (XOAUTH2, OAUTHBEARER), at most NX_POP3_MAX_SASL_SECRET characters; name at
 *  most NX_POP3_MAX_USERNAME; neither holding CR or LF (NX_POP3_PARAM_ERROR,
 *  nothing sent). nonce: SCRAM's client nonce, NX_POP3_SCRAM_NONCE_MIN ..
 *  _MAX printable characters but ',', fresh from a CSPRNG for each call
 *  (NX_POP3_PARAM_ERROR otherwise); NX_NULL for the other mechanisms.
 *  An initial response goes with the command when the last CAPA listed SASL
 *  and the line fits NX_POP3_MAX_COMMAND_LINE; otherwise it follows the first
 *  "+". A response of any length (a token of kilobytes) goes over as many
 *  packets as it takes.
 *  NX_SUCCESS: logged in, NX_POP3_STATE_TRANSACTION; with SCRAM only once the
 *  server's signature was verified. NX_POP3_SERVER_ERROR_STATUS: the server
 *  refused (-ERR, with nx_pop3_client_response_code; or a SCRAM "e=" or OAuth
 *  error, answered as the mechanism says), still in AUTHORIZATION.
 *  NX_POP3_MECHANISM_NOT_OFFERED: the last CAPA did not offer it (nothing
 *  sent; without a CAPA the server is asked). NX_POP3_INVALID_CHALLENGE,
 *  NX_POP3_SERVER_NOT_VERIFIED: see their definitions; the connection is
 *  closed. Secrets and the keys derived from them are wiped from the stack. */
UINT _nx_pop3_client_auth(NX_POP3_CLIENT *client_ptr, UINT mechanism, CHAR *client_name,
                          CHAR *secret, CHAR *nonce);
#endif
/** Disconnects (without QUIT), unbinds and deletes the socket: everything that
 *  exists is torn down, the first failure is returned. Releases any packet the
 *  client holds; not the pool. */
UINT _nx_pop3_client_delete(NX_POP3_CLIENT *client_ptr);

/** "STAT": the message count and the maildrop size in octets.
 *  NX_POP3_NUMBER_OVERFLOW: the size needs more than 32 bits (use _get64; the
 *  session stays usable) or the count more than a UINT (connection closed). */
UINT _nx_pop3_client_mail_items_get(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                    ULONG *maildrop_total_size);
/** As nx_pop3_client_mail_items_get(), with the size in 64 bits. */
UINT _nx_pop3_client_mail_items_get64(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                      ULONG64 *maildrop_total_size);

/** "LIST n": the size of message n in octets. NX_POP3_CLIENT_INVALID_INDEX for
 *  0 (checking layer, nothing sent); any other number goes to the server, which
 *  answers -ERR for one that does not exist (numbers never change in a
 *  session, whatever STAT says after a DELE). NX_POP3_INDEX_MISMATCH when the
 *  server answers for another message. */
UINT _nx_pop3_client_mail_item_size_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *size);
/** As nx_pop3_client_mail_item_size_get(), with the size in 64 bits. */
UINT _nx_pop3_client_mail_item_size_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                          ULONG64 *size);

/** "RETR n": starts the download of message n; *item_size is the size the
 *  server announced ("+OK 1234 octets"; 0 if absent; advisory only, the body
 *  ends at its terminator). The client is then in NX_POP3_STATE_DOWNLOADING
 *  until nx_pop3_client_mail_item_message_get() returns the final piece.
 *  Indexes as for LIST. A size over 32 bits reads as 0xFFFFFFFF. */
UINT _nx_pop3_client_mail_item_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *item_size);
/** As nx_pop3_client_mail_item_get(), with the size in 64 bits. */
UINT _nx_pop3_client_mail_item_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                     ULONG64 *item_size);

/** The next piece of the message being downloaded, as it is to be stored:
 *  dot-unstuffed, the terminator removed, whatever the segment boundaries.
 *  *final_packet is set on the piece that ends the message (possibly 0 bytes).
 *  On NX_SUCCESS the caller owns *recv_packet_ptr and releases it, even when
 *  *bytes_retrieved is 0. NX_NO_PACKET: nothing arrived within the reply wait,
 *  nothing consumed, the download may go on. NX_POP3_CLIENT_INVALID_STATE: no
 *  download in progress. NX_INVALID_PACKET: a packet with no room to decode
 *  into (the connection is closed). Other receive failures close the
 *  connection. */
UINT _nx_pop3_client_mail_item_message_get(NX_POP3_CLIENT *client_ptr, NX_PACKET **recv_packet_ptr,
                                           ULONG *bytes_retrieved, UINT *final_packet);

#if NX_POP3_CLIENT_ENABLE_MESSAGE_READ
/** nxpop3 extension: copies up to size bytes of the message being downloaded
 *  into buffer, over as many packets as fit, so that a binding need not cross
 *  into C once per packet. *final_read is set when the message ended with this
 *  call. Statuses are those of nx_pop3_client_mail_item_message_get(); the
 *  bytes copied before a failure are in *bytes_read. The packet a call could
 *  not copy whole stays in reader (see NX_POP3_READER). */
UINT _nx_pop3_client_message_read(NX_POP3_CLIENT *client_ptr, NX_POP3_READER *reader,
                                  UCHAR *buffer, ULONG size, ULONG *bytes_read,
                                  UINT *final_read);
/** Releases the packet a reader holds, if any. */
VOID nx_pop3_client_message_reader_release(NX_POP3_READER *reader);
#endif

/** "DELE n": marks message n deleted; the server applies it at QUIT. Indexes
 *  as for LIST. */
UINT _nx_pop3_client_mail_item_delete(NX_POP3_CLIENT *client_ptr, UINT mail_index);

/** "NOOP". */
UINT _nx_pop3_client_noop(NX_POP3_CLIENT *client_ptr);

/** "RSET": unmarks every deletion of the session. */
UINT _nx_pop3_client_reset(NX_POP3_CLIENT *client_ptr);

/** "QUIT", from AUTHORIZATION or TRANSACTION: the server applies the deletions
 *  (+OK) or says it could not (-ERR: NX_POP3_SERVER_ERROR_STATUS); either way
 *  the connection is then closed and the client is in NX_POP3_STATE_QUIT,
 *  where only nx_pop3_client_delete() remains. */
UINT _nx_pop3_client_quit(NX_POP3_CLIENT *client_ptr);

/** Sets the reply wait (ticks, not 0: NX_OPTION_ERROR) for later commands. */
UINT _nx_pop3_client_reply_timeout_set(NX_POP3_CLIENT *client_ptr, ULONG reply_wait);

/* The extensions (RFC 2449, 6856): each can be compiled out (nx_pop3_config.h). */

/** "CAPA", in AUTHORIZATION or TRANSACTION: the server's capabilities, one call
 *  of callback (may be NX_NULL) per line, and their summary in
 *  nx_pop3_client_capabilities (NX_POP3_CAPABILITY_*). A -ERR is an old server
 *  with none: NX_SUCCESS, no line, only NX_POP3_CAPABILITY_ASKED set. More than
 *  NX_POP3_MAX_CAPA_LINES lines, or one over NX_POP3_MAX_LISTING_LINE octets:
 *  NX_POP3_REPLY_TOO_LONG (connection closed). */
UINT _nx_pop3_client_capabilities_get(NX_POP3_CLIENT *client_ptr, NX_POP3_CAPA_CALLBACK callback,
                                      VOID *context);

/** "LIST": every message's size, one call of callback per line, in the order the
 *  server sends them, in constant memory whatever their number. A line that is
 *  not two numbers, or a number beyond a UINT index or 64 bits: a protocol
 *  violation (NX_POP3_INVALID_REPLY, _NUMBER_OVERFLOW, _NEGATIVE_NUMBER). */
UINT _nx_pop3_client_mail_items_list(NX_POP3_CLIENT *client_ptr, NX_POP3_LIST_CALLBACK callback,
                                     VOID *context);

/** "UIDL": every message's unique-id, one call of callback per line, as LIST. A
 *  uid that is empty, longer than NX_POP3_MAX_UID or holds a character outside
 *  0x21..0x7E: NX_POP3_INVALID_REPLY (connection closed). */
UINT _nx_pop3_client_mail_items_uidl(NX_POP3_CLIENT *client_ptr, NX_POP3_UIDL_CALLBACK callback,
                                     VOID *context);

/** "UIDL n": message n's unique-id into uid (uid_size at least NX_POP3_MAX_UID + 1:
 *  NX_SIZE_ERROR), NUL-terminated. The uid rules and NX_POP3_INDEX_MISMATCH as
 *  for LIST n. */
UINT _nx_pop3_client_mail_item_uid_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, CHAR *uid,
                                       UINT uid_size);

/** "TOP n lines": the headers, the blank line and the first lines of the body
 *  of message n, read like RETR's body (nx_pop3_client_mail_item_message_get or
 *  _message_read, to the final piece). */
UINT _nx_pop3_client_mail_item_top_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, UINT lines);

/** "UTF8" (RFC 6856), in AUTHORIZATION only: from now on the server may send
 *  UTF-8 in replies and messages. */
UINT _nx_pop3_client_utf8(NX_POP3_CLIENT *client_ptr);

/** Starts a batch of "RETR n" for the count message numbers in mail_items (the
 *  caller's array; pipeline is the caller's too, both alive until the batch
 *  ends). When the last CAPA listed PIPELINING, up to NX_POP3_PIPELINE_WINDOW
 *  RETRs are sent without waiting for their answers, and more as answers
 *  arrive, so that neither side's buffers fill; otherwise one at a time. Reply
 *  bytes that belong to the next message are kept, never dropped. Nothing is
 *  sent here: see nx_pop3_client_pipeline_next(). */
UINT _nx_pop3_client_pipeline_start(NX_POP3_CLIENT *client_ptr, NX_POP3_PIPELINE *pipeline,
                                    const UINT *mail_items, UINT count);

/** Sends what the window allows and reads the status line of the next message
 *  of the batch: *mail_item is its number. NX_SUCCESS: its body follows, to be
 *  read as RETR's to the final piece before the next call.
 *  NX_POP3_SERVER_ERROR_STATUS: -ERR for that message (the batch goes on with
 *  the next call). NX_NO_MORE_ENTRIES: the batch is over (the client is back in
 *  TRANSACTION and other commands are allowed again). Other failures close the
 *  connection. */
UINT _nx_pop3_client_pipeline_next(NX_POP3_CLIENT *client_ptr, UINT *mail_item,
                                   ULONG64 *item_size);

/** "STLS" (RFC 2595), in AUTHORIZATION: then TLS on the same connection through
 *  the transport (nx_transport.h, tls_start), verified as the transport is
 *  configured (certificate chain, host name). NX_SUCCESS: the session is
 *  encrypted; the capabilities are forgotten (CAPA again: RFC 2595). Nothing is
 *  sent and NX_NOT_SUPPORTED is returned when the transport has no TLS or the
 *  last CAPA did not list STLS. -ERR: NX_POP3_SERVER_ERROR_STATUS, still plain
 *  text (never log in on it unless plain text is what you want). Bytes after
 *  the +OK, before the handshake (an injection): NX_POP3_UNEXPECTED_DATA. A
 *  handshake that fails, is cut, runs out of time or does not verify:
 *  NX_POP3_TLS_FAILED. After either, the connection is closed. */
UINT _nx_pop3_client_stls(NX_POP3_CLIENT *client_ptr);

/** The transport's verification result of the server (0: TLS on and the peer
 *  verified; NX_TRANSPORT_TLS_OFF: no TLS on this connection; otherwise the
 *  transport's flags). NX_NOT_SUPPORTED when the transport has no TLS. */
UINT _nx_pop3_client_tls_verify_result_get(NX_POP3_CLIENT *client_ptr, ULONG *result);

/* The checking wrappers (NULL pointers, creation, index 0, waits), then the core. */
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
UINT _nxde_pop3_client_connect(NX_POP3_CLIENT *client_ptr, NX_IP *ip_ptr,
                               NX_PACKET_POOL *packet_pool_ptr, NXD_ADDRESS *server_ip_address,
                               ULONG server_port, ULONG connect_wait, ULONG reply_wait,
                               NX_POP3_APOP_STAMP *apop_stamp);
UINT _nxe_pop3_client_login(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                            CHAR *client_name, CHAR *client_password);
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
UINT _nxe_pop3_client_message_read(NX_POP3_CLIENT *client_ptr, NX_POP3_READER *reader,
                                   UCHAR *buffer, ULONG size, ULONG *bytes_read,
                                   UINT *final_read);
UINT _nxe_pop3_client_mail_item_delete(NX_POP3_CLIENT *client_ptr, UINT mail_index);
UINT _nxe_pop3_client_noop(NX_POP3_CLIENT *client_ptr);
UINT _nxe_pop3_client_reset(NX_POP3_CLIENT *client_ptr);
UINT _nxe_pop3_client_quit(NX_POP3_CLIENT *client_ptr);
UINT _nxe_pop3_client_reply_timeout_set(NX_POP3_CLIENT *client_ptr, ULONG reply_wait);
UINT _nxe_pop3_client_capabilities_get(NX_POP3_CLIENT *client_ptr,
                                       NX_POP3_CAPA_CALLBACK callback, VOID *context);
UINT _nxe_pop3_client_mail_items_list(NX_POP3_CLIENT *client_ptr, NX_POP3_LIST_CALLBACK callback,
                                      VOID *context);
UINT _nxe_pop3_client_mail_items_uidl(NX_POP3_CLIENT *client_ptr, NX_POP3_UIDL_CALLBACK callback,
                                      VOID *context);
UINT _nxe_pop3_client_mail_item_uid_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, CHAR *uid,
                                        UINT uid_size);
UINT _nxe_pop3_client_mail_item_top_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, UINT lines);
UINT _nxe_pop3_client_utf8(NX_POP3_CLIENT *client_ptr);
UINT _nxe_pop3_client_pipeline_start(NX_POP3_CLIENT *client_ptr, NX_POP3_PIPELINE *pipeline,
                                     const UINT *mail_items, UINT count);
UINT _nxe_pop3_client_pipeline_next(NX_POP3_CLIENT *client_ptr, UINT *mail_item,
                                    ULONG64 *item_size);
UINT _nxe_pop3_client_stls(NX_POP3_CLIENT *client_ptr);
UINT _nxe_pop3_client_tls_verify_result_get(NX_POP3_CLIENT *client_ptr, ULONG *result);
UINT _nxe_pop3_client_apop(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                           CHAR *client_name, CHAR *client_password);
UINT _nxe_pop3_client_user_pass(NX_POP3_CLIENT *client_ptr, CHAR *client_name,
                                CHAR *client_password);
UINT _nxe_pop3_client_auth(NX_POP3_CLIENT *client_ptr, UINT mechanism, CHAR *client_name,
                           CHAR *secret, CHAR *nonce);

#ifdef __cplusplus
}
#endif

#endif /* NXD_POP3_CLIENT_H */
