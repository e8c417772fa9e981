/**
 * @file nx_pop3_config.h
 * @brief Every tunable of the POP3 client, with the NetX defaults. Override any
 *        of them with -D, or define NX_POP3_USER_CONFIG_FILE to a header of yours.
 */
#ifndef NX_POP3_CONFIG_H
#define NX_POP3_CONFIG_H

#ifdef NX_POP3_USER_CONFIG_FILE
#include NX_POP3_USER_CONFIG_FILE
#endif

#include "nx_api.h"

/* Packet allocate wait for a command packet, ticks. */
#ifndef NX_POP3_CLIENT_PACKET_TIMEOUT
#define NX_POP3_CLIENT_PACKET_TIMEOUT (1u * NX_IP_PERIODIC_RATE)
#endif

/* Wait for the stack to take a command, ticks. */
#ifndef NX_POP3_TCP_SOCKET_SEND_WAIT
#define NX_POP3_TCP_SOCKET_SEND_WAIT (10u * NX_IP_PERIODIC_RATE)
#endif

/* Connect wait, ticks; nxd_pop3_client_create_ext() overrides it per client. */
#ifndef NX_POP3_CLIENT_CONNECTION_TIMEOUT
#define NX_POP3_CLIENT_CONNECTION_TIMEOUT (30u * NX_IP_PERIODIC_RATE)
#endif

/* Wait for the disconnect to complete, ticks. */
#ifndef NX_POP3_CLIENT_DISCONNECT_TIMEOUT
#define NX_POP3_CLIENT_DISCONNECT_TIMEOUT (10u * NX_IP_PERIODIC_RATE)
#endif

/* Reply wait, ticks: bounds a whole status line and each body packet;
 * nxd_pop3_client_create_ext() and nx_pop3_client_reply_timeout_set() override it. */
#ifndef NX_POP3_SERVER_REPLY_TIMEOUT
#define NX_POP3_SERVER_REPLY_TIMEOUT (10u * NX_IP_PERIODIC_RATE)
#endif

/* Longest user name and password, characters (RFC 1939 allows 40 per argument). */
#ifndef NX_POP3_MAX_USERNAME
#define NX_POP3_MAX_USERNAME 40u
#endif
#ifndef NX_POP3_MAX_PASSWORD
#define NX_POP3_MAX_PASSWORD 20u
#endif

/* Receive window offered by the client socket, bytes. */
#ifndef NX_POP3_CLIENT_TCP_WINDOW_SIZE
#define NX_POP3_CLIENT_TCP_WINDOW_SIZE 1460u
#endif

/* Longest status line, octets including CRLF (RFC 1939: 512). Range 16..65535. */
#ifndef NX_POP3_MAX_REPLY_LINE
#define NX_POP3_MAX_REPLY_LINE 512u
#endif

/* Bytes of the last reply's text kept for the application (NUL included), 1..512. */
#ifndef NX_POP3_REPLY_TEXT_SIZE
#define NX_POP3_REPLY_TEXT_SIZE 96u
#endif

#endif /* NX_POP3_CONFIG_H */
