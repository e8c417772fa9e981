/**
 * @file nx_pop3_config.h
 * @brief Every tunable of the POP3 client, each with its unit, range and
 *        default (the NetX reference's defaults where it has the macro).
 *
 * Override any of them with -D, or define NX_POP3_USER_CONFIG_FILE to the name
 * of a header of yours that defines them; this file only fills in what is left.
 * Times are in ticks of NX_IP_PERIODIC_RATE per second (nx_api.h, default 100).
 *
 * The reference's NX_POP3_CLIENT_TCP_WINDOW_SIZE is not here: over this shim
 * the receive window belongs to the transport (the host's socket buffers,
 * lwIP's TCP_WND), so the macro could have no effect.
 */
#ifndef NX_POP3_CONFIG_H
#define NX_POP3_CONFIG_H

#ifdef NX_POP3_USER_CONFIG_FILE
#include NX_POP3_USER_CONFIG_FILE
#endif

#include "nx_api.h"

/* Wait for a free packet to build a command in, ticks. 0 (NX_NO_WAIT) ..
 * NX_WAIT_FOREVER. Default: 1 s. */
#ifndef NX_POP3_CLIENT_PACKET_TIMEOUT
#define NX_POP3_CLIENT_PACKET_TIMEOUT (1u * NX_IP_PERIODIC_RATE)
#endif

/* Wait for the stack to take a command, ticks. 0 .. NX_WAIT_FOREVER. Default: 10 s. */
#ifndef NX_POP3_TCP_SOCKET_SEND_WAIT
#define NX_POP3_TCP_SOCKET_SEND_WAIT (10u * NX_IP_PERIODIC_RATE)
#endif

/* Connect wait of nx_pop3_client_create() and nxd_pop3_client_create(), ticks.
 * 1 .. NX_WAIT_FOREVER. Default: 30 s. nxd_pop3_client_create_ext() and
 * nxd_pop3_client_connect() take their own. */
#ifndef NX_POP3_CLIENT_CONNECTION_TIMEOUT
#define NX_POP3_CLIENT_CONNECTION_TIMEOUT (30u * NX_IP_PERIODIC_RATE)
#endif

/* Wait for a disconnect (after QUIT, and in nx_pop3_client_delete()), ticks.
 * 0 .. NX_WAIT_FOREVER. Default: 10 s. */
#ifndef NX_POP3_CLIENT_DISCONNECT_TIMEOUT
#define NX_POP3_CLIENT_DISCONNECT_TIMEOUT (10u * NX_IP_PERIODIC_RATE)
#endif

/* Reply wait, ticks: bounds a whole status line and each body packet.
 * 1 .. NX_WAIT_FOREVER. Default: 10 s. nxd_pop3_client_create_ext(),
 * nxd_pop3_client_connect() and nx_pop3_client_reply_timeout_set() override it
 * per client. */
#ifndef NX_POP3_SERVER_REPLY_TIMEOUT
#define NX_POP3_SERVER_REPLY_TIMEOUT (10u * NX_IP_PERIODIC_RATE)
#endif

/* Longest user name, characters (no NUL). 1 .. 200 (the name and the keyword
 * must fit NX_POP3_MAX_COMMAND_LINE). Default: 40 (RFC 1939's argument limit). */
#ifndef NX_POP3_MAX_USERNAME
#define NX_POP3_MAX_USERNAME 40u
#endif

/* Longest password of USER/PASS and APOP, characters (no NUL). 1 .. 200.
 * Default: 20 (as NetX). SASL secrets have their own limit, NX_POP3_MAX_SASL_SECRET. */
#ifndef NX_POP3_MAX_PASSWORD
#define NX_POP3_MAX_PASSWORD 20u
#endif

/* Longest status line accepted, octets including CRLF. 16 .. 65535.
 * Default: 512 (RFC 1939, RFC 2449). A longer line is NX_POP3_REPLY_TOO_LONG. */
#ifndef NX_POP3_MAX_REPLY_LINE
#define NX_POP3_MAX_REPLY_LINE 512u
#endif

/* Longest command line sent, octets including CRLF. 16 .. 65535.
 * Default: 255 (RFC 2449). A longer one is NX_POP3_INSUFFICIENT_PACKET_PAYLOAD. */
#ifndef NX_POP3_MAX_COMMAND_LINE
#define NX_POP3_MAX_COMMAND_LINE 255u
#endif

/* Bytes of the last status line's text kept in the control block
 * (nx_pop3_client_reply_text), NUL included. 1 .. NX_POP3_MAX_REPLY_LINE.
 * Default: 96. Longer text is cut and nx_pop3_client_reply_truncated says so. */
#ifndef NX_POP3_REPLY_TEXT_SIZE
#define NX_POP3_REPLY_TEXT_SIZE 96u
#endif

/* Words after the status that the reply parser records (position, and value
 * when a decimal number), words. 2 .. 16. Default: 3 ("+OK n uid", "+OK n m"). */
#ifndef NX_POP3_REPLY_WORDS
#define NX_POP3_REPLY_WORDS 3u
#endif

/* The extensions, each 1 (built, the default) or 0 (compiled out; its services
 * do not exist). With all of them 0 the client is NetX's API (with the
 * AUTHORIZATION split and the 64-bit calls) and nothing more. */
#ifndef NX_POP3_CLIENT_ENABLE_CAPA           /* CAPA (RFC 2449) */
#define NX_POP3_CLIENT_ENABLE_CAPA 1
#endif
#ifndef NX_POP3_CLIENT_ENABLE_LISTINGS       /* LIST, UIDL, UIDL n (RFC 1939) */
#define NX_POP3_CLIENT_ENABLE_LISTINGS 1
#endif
#ifndef NX_POP3_CLIENT_ENABLE_TOP            /* TOP n lines (RFC 1939) */
#define NX_POP3_CLIENT_ENABLE_TOP 1
#endif
#ifndef NX_POP3_CLIENT_ENABLE_UTF8           /* UTF8 (RFC 6856) */
#define NX_POP3_CLIENT_ENABLE_UTF8 1
#endif
#ifndef NX_POP3_CLIENT_ENABLE_PIPELINING     /* batches of RETR (RFC 2449 PIPELINING) */
#define NX_POP3_CLIENT_ENABLE_PIPELINING 1
#endif
#ifndef NX_POP3_CLIENT_ENABLE_STLS           /* STLS (RFC 2595), over a transport with TLS */
#define NX_POP3_CLIENT_ENABLE_STLS 1
#endif
#ifndef NX_POP3_CLIENT_ENABLE_RESPONSE_CODES /* [IN-USE], [SYS/TEMP], ... (RFC 2449, 3206) */
#define NX_POP3_CLIENT_ENABLE_RESPONSE_CODES 1
#endif
/* nxpop3's own additions to the NetX API, each 1 (the default) or 0. */
#ifndef NX_POP3_CLIENT_ENABLE_MESSAGE_READ   /* nx_pop3_client_message_read (the Python binding needs it) */
#define NX_POP3_CLIENT_ENABLE_MESSAGE_READ 1
#endif
#ifndef NX_POP3_CLIENT_ENABLE_CONTINUATIONS  /* the parser's SASL "+" lines (RFC 5034) */
#define NX_POP3_CLIENT_ENABLE_CONTINUATIONS 1
#endif

/* SASL mechanisms (RFC 5034 AUTH), each 1 (built) or 0 (compiled out); the
 * default is NX_POP3_CLIENT_ENABLE_CONTINUATIONS (SASL needs the parser's "+"
 * lines), so 1. With all of them 0 there is no AUTH, and neither
 * nx_pop3_client_apop() nor nx_pop3_client_user_pass() (the login services
 * without NetX's fallback, for a login policy): the client is no larger than
 * without SASL. */
#ifndef NX_POP3_CLIENT_ENABLE_SASL_PLAIN          /* PLAIN (RFC 4616): the password in base64 */
#define NX_POP3_CLIENT_ENABLE_SASL_PLAIN NX_POP3_CLIENT_ENABLE_CONTINUATIONS
#endif
#ifndef NX_POP3_CLIENT_ENABLE_SASL_LOGIN          /* LOGIN: the same, in two steps */
#define NX_POP3_CLIENT_ENABLE_SASL_LOGIN NX_POP3_CLIENT_ENABLE_CONTINUATIONS
#endif
#ifndef NX_POP3_CLIENT_ENABLE_SASL_CRAM_MD5       /* CRAM-MD5 (RFC 2195): HMAC-MD5 of a challenge */
#define NX_POP3_CLIENT_ENABLE_SASL_CRAM_MD5 NX_POP3_CLIENT_ENABLE_CONTINUATIONS
#endif
#ifndef NX_POP3_CLIENT_ENABLE_SASL_SCRAM_SHA_256  /* SCRAM-SHA-256 (RFC 5802, 7677) */
#define NX_POP3_CLIENT_ENABLE_SASL_SCRAM_SHA_256 NX_POP3_CLIENT_ENABLE_CONTINUATIONS
#endif
#ifndef NX_POP3_CLIENT_ENABLE_SASL_XOAUTH2        /* XOAUTH2: an OAuth 2.0 bearer token */
#define NX_POP3_CLIENT_ENABLE_SASL_XOAUTH2 NX_POP3_CLIENT_ENABLE_CONTINUATIONS
#endif
#ifndef NX_POP3_CLIENT_ENABLE_SASL_OAUTHBEARER    /* OAUTHBEARER (RFC 7628) */
#define NX_POP3_CLIENT_ENABLE_SASL_OAUTHBEARER NX_POP3_CLIENT_ENABLE_CONTINUATIONS
#endif
/* Derived, not to be set: 1 when any mechanism is built. */
#if NX_POP3_CLIENT_ENABLE_SASL_PLAIN || NX_POP3_CLIENT_ENABLE_SASL_LOGIN || \
    NX_POP3_CLIENT_ENABLE_SASL_CRAM_MD5 || NX_POP3_CLIENT_ENABLE_SASL_SCRAM_SHA_256 || \
    NX_POP3_CLIENT_ENABLE_SASL_XOAUTH2 || NX_POP3_CLIENT_ENABLE_SASL_OAUTHBEARER
#define NX_POP3_CLIENT_ENABLE_SASL 1
#else
#define NX_POP3_CLIENT_ENABLE_SASL 0
#endif
#if NX_POP3_CLIENT_ENABLE_SASL && !NX_POP3_CLIENT_ENABLE_CONTINUATIONS
#error "SASL needs the parser's continuations: NX_POP3_CLIENT_ENABLE_CONTINUATIONS 1"
#endif

/* Longest SASL secret (a password, or an OAuth access token), characters (no
 * NUL). 1 .. 65535. Default: 4096 (a token can be several kilobytes). The
 * response it goes into is sent over as many packets as it takes. */
#ifndef NX_POP3_MAX_SASL_SECRET
#define NX_POP3_MAX_SASL_SECRET 4096u
#endif

/* Longest SASL challenge kept, octets once decoded from base64. 64 .. 4096.
 * Default: 512 (a SCRAM server-first message is about 100, an OAuth error
 * 200). On the stack during nx_pop3_client_auth(). A longer challenge is read
 * to its end (up to 64 KB of base64: beyond, NX_POP3_REPLY_TOO_LONG), cancelled
 * with "*" and reported as NX_POP3_INVALID_CHALLENGE. */
#ifndef NX_POP3_MAX_CHALLENGE
#define NX_POP3_MAX_CHALLENGE 512u
#endif

/* Fewest SCRAM iterations accepted from a server, iterations. 1 .. 4096.
 * Default: 4096 (RFC 7677's minimum): a server that asks fewer makes a
 * captured exchange cheap to attack offline, so it is refused
 * (NX_POP3_INVALID_CHALLENGE). */
#ifndef NX_POP3_SCRAM_MIN_ITERATIONS
#define NX_POP3_SCRAM_MIN_ITERATIONS 4096u
#endif

/* Most SCRAM iterations accepted from a server, iterations. 4096 .. 10000000.
 * Default: 65536 (RFC 7677 asks at least 4096; each costs two SHA-256 blocks,
 * so a server cannot make the client hash for minutes). More is
 * NX_POP3_INVALID_CHALLENGE. */
#ifndef NX_POP3_SCRAM_MAX_ITERATIONS
#define NX_POP3_SCRAM_MAX_ITERATIONS 65536u
#endif

/* Longest response code kept ("[SYS/TEMP]" without brackets), characters.
 * 8 .. 64. Default: 23. A longer code is NX_POP3_RESPONSE_OTHER. */
#ifndef NX_POP3_MAX_RESPONSE_CODE
#define NX_POP3_MAX_RESPONSE_CODE 23u
#endif

/* Longest line of a CAPA, LIST or UIDL listing, octets including CRLF.
 * 80 .. 1024. Default: 256 (a UIDL line is at most 83). On the stack while a
 * listing is read. A longer line is NX_POP3_REPLY_TOO_LONG. */
#ifndef NX_POP3_MAX_LISTING_LINE
#define NX_POP3_MAX_LISTING_LINE 256u
#endif

/* Most lines of a CAPA listing, lines. 1 .. 65535. Default: 64. */
#ifndef NX_POP3_MAX_CAPA_LINES
#define NX_POP3_MAX_CAPA_LINES 64u
#endif

/* Most RETRs of a pipelined batch unanswered at once, commands. 2 .. 255.
 * Default: 64 (under 1 KB of commands: never enough to fill a buffer, and
 * enough to keep the server busy; the window is refilled in one packet once
 * half of it has been answered). */
#ifndef NX_POP3_PIPELINE_WINDOW
#define NX_POP3_PIPELINE_WINDOW 64u
#endif

#endif /* NX_POP3_CONFIG_H */
