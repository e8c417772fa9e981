/* The TLS transport: Mbed TLS over any other transport. Mbed TLS runs
 * non-blocking: its I/O callbacks call the wrapped transport with what is left
 * of the running call's deadline, and answer WANT_READ/WANT_WRITE when that
 * transport has nothing within it, so a call never waits past its deadline.
 * A record cut by a deadline stays in Mbed TLS's buffers for the next call. */
#include "nx_transport_tls.h"

#include <string.h>

#include "mbedtls/net_sockets.h" /* the I/O error codes only; no sockets are used */

/* Connection states. */
#define TLS_PLAIN  0u /* no TLS yet: bytes pass through (STLS not sent or not answered) */
#define TLS_FAILED 1u /* a handshake failed: the connection is unusable */
#define TLS_ON     2u /* the handshake is done and the peer verified */

static const UCHAR tls_personalization[] = "nxpop3 transport tls";

/* What is left of the running call's wait, in the wrapped transport's ticks
 * (which may wrap: the difference is taken unsigned). */
static ULONG tls_wait_left(const NX_TRANSPORT_TLS_CONNECTION *connection)
{
    const NX_TRANSPORT *inner = connection->owner->inner;
    ULONG elapsed;

    if (connection->wait == NX_WAIT_FOREVER)
    {
        return NX_WAIT_FOREVER;
    }
    elapsed = inner->ops->ticks(inner->context) - connection->start;
    return (elapsed >= connection->wait) ? 0u : (connection->wait - elapsed);
}

/* Taken once when a call starts; every wait of the call runs against it. */
static VOID tls_deadline(NX_TRANSPORT_TLS_CONNECTION *connection, ULONG wait_ticks)
{
    const NX_TRANSPORT *inner = connection->owner->inner;

    connection->start = inner->ops->ticks(inner->context);
    connection->wait = wait_ticks;
}

static ULONG tls_io_size(size_t size)
{
    return (size > (size_t)NX_TRANSPORT_IO_MAX) ? NX_TRANSPORT_IO_MAX : (ULONG)size;
}

/* Mbed TLS's send callback: the wrapped transport with the time left. */
static int tls_bio_send(void *context, const unsigned char *data, size_t length)
{
    NX_TRANSPORT_TLS_CONNECTION *connection = (NX_TRANSPORT_TLS_CONNECTION *)context;
    const NX_TRANSPORT *inner = connection->owner->inner;
    LONG sent = inner->ops->send(inner->context, connection->inner, data, tls_io_size(length),
                                 tls_wait_left(connection));

    if (sent > 0)
    {
        return (int)sent;
    }
    if (sent == 0)
    {
        connection->idle = NX_TRUE;
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    connection->failure = (sent == NX_TRANSPORT_CLOSED) ? NX_TRANSPORT_CLOSED :
                                                                NX_TRANSPORT_ERROR;
    return (sent == NX_TRANSPORT_CLOSED) ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

/* Mbed TLS's receive callback: 0 is the peer's end of the stream. */
static int tls_bio_receive(void *context, unsigned char *buffer, size_t size)
{
    NX_TRANSPORT_TLS_CONNECTION *connection = (NX_TRANSPORT_TLS_CONNECTION *)context;
    const NX_TRANSPORT *inner = connection->owner->inner;
    LONG received = inner->ops->receive(inner->context, connection->inner, buffer,
                                        tls_io_size(size), tls_wait_left(connection));

    if (received > 0)
    {
        return (int)received;
    }
    if (received == 0)
    {
        connection->idle = NX_TRUE;
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    if (received == NX_TRANSPORT_CLOSED)
    {
        connection->failure = NX_TRANSPORT_CLOSED;
        return 0;
    }
    connection->failure = NX_TRANSPORT_ERROR;
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

static int tls_want(int result)
{
    return (result == MBEDTLS_ERR_SSL_WANT_READ) || (result == MBEDTLS_ERR_SSL_WANT_WRITE);
}

/* A failed Mbed TLS call in the contract's terms, kept for the connection's
 * later calls: the peer's end of the stream (or its close_notify) is _CLOSED,
 * anything else _ERROR. */
static INT tls_failure(NX_TRANSPORT_TLS_CONNECTION *connection, int result)
{
    connection->owner->last_error = result;
    if ((connection->failure == NX_TRANSPORT_CLOSED) ||
        (result == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) || (result == MBEDTLS_ERR_SSL_CONN_EOF))
    {
        connection->failure = NX_TRANSPORT_CLOSED;
    }
    else
    {
        connection->failure = NX_TRANSPORT_ERROR;
    }
    return connection->failure;
}

/* One pass of a call came back with WANT_*: 1 to try again, 0 when the
 * deadline has passed (or the wrapped transport keeps answering "nothing"
 * before it: it broke its contract; we give up rather than spin). */
static int tls_again(NX_TRANSPORT_TLS_CONNECTION *connection, ULONG *spurious)
{
    if (tls_wait_left(connection) == 0u)
    {
        return 0;
    }
    if (connection->idle)
    {
        (*spurious)++;
    }
    return *spurious < NX_TRANSPORT_TLS_SPURIOUS_LIMIT;
}

/* Sets up the session and runs the handshake against the deadline already
 * taken. Bounded: a pass that does not finish either used up the deadline,
 * consumed the peer's bytes, or counted one spurious "nothing". */
static INT tls_handshake(NX_TRANSPORT_TLS_CONNECTION *connection)
{
    NX_TRANSPORT_TLS *tls = connection->owner;
    ULONG spurious = 0u;
    int result;

    mbedtls_ssl_init(&connection->ssl);
    connection->state = TLS_FAILED; /* until the handshake is done: the session needs freeing */
    connection->failure = 0;
    tls->last_verify = 0xFFFFFFFFu;
    result = mbedtls_ssl_setup(&connection->ssl, &tls->config);
    if (result == 0)
    {
        result = mbedtls_ssl_set_hostname(&connection->ssl, tls->server_name);
    }
    if (result != 0)
    {
        tls->last_error = result;
        return NX_TRANSPORT_ERROR;
    }
    mbedtls_ssl_set_bio(&connection->ssl, connection, tls_bio_send, tls_bio_receive, NX_NULL);

    for (;;)
    {
        connection->idle = NX_FALSE;
        result = mbedtls_ssl_handshake(&connection->ssl);
        if (!tls_want(result) || !tls_again(connection, &spurious))
        {
            break;
        }
    }
    tls->last_verify = (ULONG)mbedtls_ssl_get_verify_result(&connection->ssl);
    if (result == 0)
    {
        connection->state = TLS_ON;
        tls->last_error = 0;
        return NX_TRANSPORT_OK;
    }
    if (tls_want(result))
    {
        tls->last_error = result;
        return NX_TRANSPORT_TIMEOUT;
    }
    return tls_failure(connection, result);
}

/* Ends the session (if any) and the wrapped connection; frees the slot. */
static VOID tls_release(NX_TRANSPORT_TLS_CONNECTION *connection)
{
    const NX_TRANSPORT *inner = connection->owner->inner;

    if (connection->state == TLS_ON)
    {
        /* The close_notify alert, if it goes out at once: closing never waits. */
        tls_deadline(connection, NX_NO_WAIT);
        (void)mbedtls_ssl_close_notify(&connection->ssl);
    }
    if (connection->state != TLS_PLAIN)
    {
        mbedtls_ssl_free(&connection->ssl);
    }
    inner->ops->close(inner->context, connection->inner);
    connection->inner = NX_NULL;
    connection->state = TLS_PLAIN;
    connection->used = NX_FALSE;
}

static INT tls_connect(VOID *context, VOID **connection_out, const NXD_ADDRESS *server, UINT port,
                       ULONG wait_ticks)
{
    NX_TRANSPORT_TLS *tls = (NX_TRANSPORT_TLS *)context;
    NX_TRANSPORT_TLS_CONNECTION *connection = NX_NULL;
    VOID *inner_connection = NX_NULL;
    INT result;
    UINT i;

    for (i = 0u; (i < NX_TRANSPORT_TLS_CONNECTIONS) && (connection == NX_NULL); i++)
    {
        if (!tls->connection[i].used)
        {
            connection = &tls->connection[i];
        }
    }
    if (connection == NX_NULL)
    {
        return NX_TRANSPORT_ERROR;
    }

    /* One deadline for the TCP connect and the handshake together. */
    tls_deadline(connection, wait_ticks);
    result = tls->inner->ops->connect(tls->inner->context, &inner_connection, server, port,
                                      wait_ticks);
    if (result != NX_TRANSPORT_OK)
    {
        return result;
    }
    connection->used = NX_TRUE;
    connection->inner = inner_connection;
    connection->state = TLS_PLAIN;
    if (tls->implicit)
    {
        result = tls_handshake(connection);
        if (result != NX_TRANSPORT_OK)
        {
            tls_release(connection);
            return NX_TRANSPORT_TLS_FAILED; /* TCP connected; TLS could not be had */
        }
    }
    *connection_out = connection;
    return NX_TRANSPORT_OK;
}

static INT tls_start(VOID *context, VOID *connection_in, ULONG wait_ticks)
{
    NX_TRANSPORT_TLS_CONNECTION *connection = (NX_TRANSPORT_TLS_CONNECTION *)connection_in;

    (void)context;
    if (connection->state != TLS_PLAIN)
    {
        return NX_TRANSPORT_ERROR; /* TLS twice, or after a failure */
    }
    tls_deadline(connection, wait_ticks);
    return (tls_handshake(connection) == NX_TRANSPORT_OK) ? NX_TRANSPORT_OK :
           NX_TRANSPORT_TLS_FAILED;
}

static LONG tls_send(VOID *context, VOID *connection_in, const UCHAR *data, ULONG length,
                     ULONG wait_ticks)
{
    NX_TRANSPORT_TLS_CONNECTION *connection = (NX_TRANSPORT_TLS_CONNECTION *)connection_in;
    ULONG spurious = 0u;
    int result;

    (void)context;
    if (connection->state == TLS_PLAIN)
    {
        const NX_TRANSPORT *inner = connection->owner->inner;
        return inner->ops->send(inner->context, connection->inner, data, length, wait_ticks);
    }
    if (connection->state != TLS_ON)
    {
        return NX_TRANSPORT_ERROR;
    }
    if (connection->failure != 0)
    {
        return connection->failure;
    }
    if (length == 0u)
    {
        return 0;
    }
    /* Mbed TLS takes at most one record's worth; after WANT_WRITE it expects
     * the same data again, which is what the shim's retry gives it. */
    tls_deadline(connection, wait_ticks);
    for (;;)
    {
        connection->idle = NX_FALSE;
        result = mbedtls_ssl_write(&connection->ssl, data, (size_t)length);
        if (result > 0)
        {
            return (LONG)result;
        }
        if (!tls_want(result))
        {
            return tls_failure(connection, result);
        }
        if (!tls_again(connection, &spurious))
        {
            return 0;
        }
    }
}

static LONG tls_receive(VOID *context, VOID *connection_in, UCHAR *buffer, ULONG size,
                        ULONG wait_ticks)
{
    NX_TRANSPORT_TLS_CONNECTION *connection = (NX_TRANSPORT_TLS_CONNECTION *)connection_in;
    ULONG spurious = 0u;
    int result;

    (void)context;
    if (connection->state == TLS_PLAIN)
    {
        const NX_TRANSPORT *inner = connection->owner->inner;
        return inner->ops->receive(inner->context, connection->inner, buffer, size, wait_ticks);
    }
    if (connection->state != TLS_ON)
    {
        return NX_TRANSPORT_ERROR;
    }
    if (connection->failure != 0)
    {
        return connection->failure;
    }
    if (size == 0u)
    {
        return 0;
    }
    /* Bytes Mbed TLS already decrypted come out without a wait. A record
     * without application data (an empty one, an alert it handles) comes back
     * as WANT_READ with time left: read on. */
    tls_deadline(connection, wait_ticks);
    for (;;)
    {
        connection->idle = NX_FALSE;
        result = mbedtls_ssl_read(&connection->ssl, buffer, (size_t)size);
        if (result > 0)
        {
            return (LONG)result;
        }
        if (result == 0)
        {
            connection->failure = NX_TRANSPORT_CLOSED; /* the stream ended */
            return NX_TRANSPORT_CLOSED;
        }
        if (!tls_want(result))
        {
            return tls_failure(connection, result);
        }
        if (!tls_again(connection, &spurious))
        {
            return 0;
        }
    }
}

static VOID tls_close(VOID *context, VOID *connection_in)
{
    (void)context;
    tls_release((NX_TRANSPORT_TLS_CONNECTION *)connection_in);
}

static ULONG tls_ticks(VOID *context)
{
    const NX_TRANSPORT *inner = ((NX_TRANSPORT_TLS *)context)->inner;

    return inner->ops->ticks(inner->context);
}

static ULONG tls_verify_result(VOID *context, VOID *connection_in)
{
    NX_TRANSPORT_TLS_CONNECTION *connection = (NX_TRANSPORT_TLS_CONNECTION *)connection_in;

    (void)context;
    if (connection->state == TLS_PLAIN)
    {
        return NX_TRANSPORT_TLS_OFF;
    }
    return (ULONG)mbedtls_ssl_get_verify_result(&connection->ssl);
}

static const NX_TRANSPORT_OPS tls_ops = {
    tls_connect, tls_send, tls_receive, tls_close, tls_ticks, tls_start, tls_verify_result
};

/* Frees what init made, in any state init can leave (each was initialised). */
static VOID tls_free_config(NX_TRANSPORT_TLS *context)
{
    mbedtls_ssl_config_free(&context->config);
    mbedtls_x509_crt_free(&context->ca);
    mbedtls_ctr_drbg_free(&context->drbg);
#if NX_TRANSPORT_TLS_PLATFORM_ENTROPY
    mbedtls_entropy_free(&context->entropy);
#endif
}

UINT nx_transport_tls_init(NX_TRANSPORT *transport, NX_TRANSPORT_TLS *context,
                           const NX_TRANSPORT *inner, const NX_TRANSPORT_TLS_CONFIG *config)
{
    NX_TRANSPORT_TLS_ENTROPY entropy;
    VOID *entropy_context;
    int result;
    UINT i;

    if ((transport == NX_NULL) || (context == NX_NULL) || (inner == NX_NULL) ||
        (inner->ops == NX_NULL) || (config == NX_NULL) || (config->ca_chain == NX_NULL) ||
        (config->ca_chain_length == 0u) || (config->server_name == NX_NULL) ||
        (config->server_name[0] == '\0'))
    {
        return NX_PTR_ERROR;
    }
    entropy = config->entropy;
    entropy_context = config->entropy_context;
#if !NX_TRANSPORT_TLS_PLATFORM_ENTROPY
    if (entropy == NX_NULL)
    {
        return NX_PTR_ERROR; /* no platform entropy in this configuration: the hook is required */
    }
#endif

    memset(context, 0, sizeof(*context));
    context->inner = inner;
    context->server_name = config->server_name;
    context->implicit = (config->implicit != NX_FALSE) ? NX_TRUE : NX_FALSE;
    context->last_verify = NX_TRANSPORT_TLS_OFF;
    for (i = 0u; i < NX_TRANSPORT_TLS_CONNECTIONS; i++)
    {
        context->connection[i].owner = context;
    }
    mbedtls_ssl_config_init(&context->config);
    mbedtls_x509_crt_init(&context->ca);
    mbedtls_ctr_drbg_init(&context->drbg);
#if NX_TRANSPORT_TLS_PLATFORM_ENTROPY
    mbedtls_entropy_init(&context->entropy);
    if (entropy == NX_NULL)
    {
        entropy = mbedtls_entropy_func;
        entropy_context = &context->entropy;
    }
#endif

    result = mbedtls_ctr_drbg_seed(&context->drbg, entropy, entropy_context, tls_personalization,
                                   sizeof(tls_personalization) - 1u);
    if (result == 0)
    {
        /* A bundle may hold certificates Mbed TLS cannot read (> 0: skipped);
         * one usable CA is enough, none is an error. */
        result = mbedtls_x509_crt_parse(&context->ca, config->ca_chain,
                                        (size_t)config->ca_chain_length);
        if (result >= 0)
        {
            result = (context->ca.version != 0) ? 0 : MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT;
        }
    }
    if (result == 0)
    {
        result = mbedtls_ssl_config_defaults(&context->config, MBEDTLS_SSL_IS_CLIENT,
                                             MBEDTLS_SSL_TRANSPORT_STREAM,
                                             MBEDTLS_SSL_PRESET_DEFAULT);
    }
    if (result != 0)
    {
        tls_free_config(context);
        context->last_error = result;
        return NX_NOT_SUCCESSFUL;
    }
    mbedtls_ssl_conf_authmode(&context->config, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&context->config, &context->ca, NX_NULL);
    mbedtls_ssl_conf_rng(&context->config, mbedtls_ctr_drbg_random, &context->drbg);
    mbedtls_ssl_conf_min_version(&context->config, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 */

    transport->ops = &tls_ops;
    transport->context = context;
    return NX_SUCCESS;
}

VOID nx_transport_tls_delete(NX_TRANSPORT_TLS *context)
{
    if (context != NX_NULL)
    {
        tls_free_config(context);
    }
}

ULONG nx_transport_tls_last_verify_result(const NX_TRANSPORT_TLS *context)
{
    return context->last_verify;
}

INT nx_transport_tls_last_error(const NX_TRANSPORT_TLS *context)
{
    return context->last_error;
}
