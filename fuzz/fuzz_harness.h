/**
 * @file fuzz_harness.h
 * @brief What the fuzz targets share: an input format that lets the fuzzer pick
 *        the server's bytes and where the segments break, and a scripted
 *        transport that plays it.
 *
 * Input: a flags byte, then records [length L (1..255)][L bytes]; each record
 * reaches the client as one segment (a receive may take less, if its buffer is
 * smaller). When the records run out the server closes the connection. A look
 * without waiting (the client's check for unsolicited bytes before a command)
 * finds the rest of the current record, never the next one.
 */
#ifndef FUZZ_HARNESS_H
#define FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "nx_transport_scripted.h"
#include "nxd_pop3_client.h"

typedef struct FUZZ_SERVER_STRUCT
{
    const uint8_t *data;
    size_t size;
    size_t next;        /* next unread byte of data */
    size_t segment_left; /* bytes left of the current record */
} FUZZ_SERVER;

static INT fuzz_connect(VOID *user)
{
    (VOID)user;
    return NX_TRANSPORT_OK;
}

static LONG fuzz_send(VOID *user, const UCHAR *data, ULONG length)
{
    (VOID)user;
    (VOID)data;
    return (LONG)length;
}

/* The server's side of a TLS handshake is not played: it always succeeds, so
 * what comes after STLS is read as if through TLS (the plain-text injection
 * check before it is what the fuzzer can reach). */
static INT fuzz_tls_start(VOID *user, ULONG wait_ticks)
{
    (VOID)user;
    (VOID)wait_ticks;
    return NX_TRANSPORT_OK;
}

static LONG fuzz_receive(VOID *user, UCHAR *buffer, ULONG size, ULONG wait_ticks)
{
    FUZZ_SERVER *server = (FUZZ_SERVER *)user;
    size_t take;

    if ((server->segment_left == 0u) && (wait_ticks == NX_NO_WAIT))
    {
        return 0; /* a look between commands: the next record is the next reply, not sent yet */
    }
    if (server->segment_left == 0u)
    {
        if (server->next >= server->size)
        {
            return NX_TRANSPORT_CLOSED;
        }
        server->segment_left = server->data[server->next];
        server->next++;
        if (server->segment_left == 0u)
        {
            return 0; /* a zero-length record: this receive times out */
        }
    }
    take = server->segment_left;
    if (take > server->size - server->next)
    {
        take = server->size - server->next;
    }
    if (take > size)
    {
        take = size;
    }
    if (take == 0u)
    {
        return NX_TRANSPORT_CLOSED;
    }
    memcpy(buffer, server->data + server->next, take);
    server->next += take;
    server->segment_left -= take;
    return (LONG)take;
}

/* A status the documentation promises for a client call. */
static int fuzz_documented(UINT status)
{
    switch (status)
    {
    case NX_SUCCESS:
    case NX_NO_PACKET:
    case NX_NOT_CONNECTED:
    case NX_WINDOW_OVERFLOW:
    case NX_POP3_INVALID_MAIL_ITEM:
    case NX_POP3_SERVER_ERROR_STATUS:
    case NX_POP3_CLIENT_INVALID_STATE:
    case NX_POP3_REPLY_TOO_LONG:
    case NX_POP3_INVALID_REPLY:
    case NX_POP3_NUMBER_OVERFLOW:
    case NX_POP3_NEGATIVE_NUMBER:
    case NX_POP3_INDEX_MISMATCH:
    case NX_POP3_UNEXPECTED_DATA:
    case NX_POP3_TLS_FAILED:
    case NX_NOT_SUPPORTED:
        return 1;
    default:
        return 0;
    }
}

/* Everything one session needs, on the caller's stack or in statics. */
typedef struct FUZZ_SESSION_STRUCT
{
    NX_PACKET_POOL pool;
    NX_IP ip;
    NX_TRANSPORT transport;
    NX_TRANSPORT_SCRIPTED scripted;
    NX_POP3_CLIENT client;
    FUZZ_SERVER server;
    ULONG64 memory[(NX_PACKET_POOL_ELEMENT_SIZE(256) * 8u) / 8u + 1u];
} FUZZ_SESSION;

static void fuzz_session_start(FUZZ_SESSION *session, const uint8_t *data, size_t size)
{
    memset(session, 0, sizeof(*session));
    session->server.data = data;
    session->server.size = size;
    session->scripted.on_connect = fuzz_connect;
    session->scripted.on_send = fuzz_send;
    session->scripted.on_receive = fuzz_receive;
    session->scripted.on_tls_start = fuzz_tls_start;
    session->scripted.user = &session->server;
    nx_transport_scripted_init(&session->transport, &session->scripted);
    FUZZ_CHECK(nx_packet_pool_create(&session->pool, "fuzz", 256, session->memory,
                                     sizeof(session->memory)) == NX_SUCCESS);
    FUZZ_CHECK(nx_ip_create(&session->ip, "fuzz", 0, 0, &session->pool, &session->transport,
                            NX_NULL, 0, 0) == NX_SUCCESS);
    FUZZ_CHECK(nx_tcp_enable(&session->ip) == NX_SUCCESS);
}

/* After the session: a clean delete, nothing bound, connected or leaked. */
static void fuzz_session_end(FUZZ_SESSION *session, int created)
{
    if (created)
    {
        UINT status = nx_pop3_client_delete(&session->client);
        FUZZ_CHECK((status == NX_SUCCESS) || (status == NX_NOT_CONNECTED));
    }
    FUZZ_CHECK(nx_ip_delete(&session->ip) == NX_SUCCESS);
    FUZZ_CHECK(session->scripted.connected == 0u);
    FUZZ_CHECK(session->pool.nx_packet_pool_available == session->pool.nx_packet_pool_total);
}

#endif /* FUZZ_HARNESS_H */
