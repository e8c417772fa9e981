/* The checking layer (_nxe_/_nxde_): pointers, indexes and create arguments are
 * validated here, then the core runs. NX_DISABLE_ERROR_CHECKING maps the public
 * names straight to the core and leaves this layer unused. */
#define NX_POP3_SOURCE_CODE
#include "nxd_pop3_client.h"

static UINT pop3_client_valid(const NX_POP3_CLIENT *client_ptr)
{
    return (client_ptr != NX_NULL) && (client_ptr->nx_pop3_client_id == NX_POP3_CLIENT_ID);
}

static UINT pop3_address_check(const NXD_ADDRESS *server_ip_address, ULONG server_port)
{
    UINT status = NX_IP_ADDRESS_ERROR;

    if (server_ip_address->nxd_ip_version == NX_IP_VERSION_V4)
    {
        status = (server_ip_address->nxd_ip_address.v4 == 0u) ? NX_POP3_PARAM_ERROR : NX_SUCCESS;
    }
    else if (server_ip_address->nxd_ip_version == NX_IP_VERSION_V6)
    {
        const ULONG *v6 = server_ip_address->nxd_ip_address.v6;
        status = ((v6[0] | v6[1] | v6[2] | v6[3]) == 0u) ? NX_POP3_PARAM_ERROR : NX_SUCCESS;
    }
    if ((status == NX_SUCCESS) && (server_port == 0u))
    {
        status = NX_POP3_PARAM_ERROR;
    }
    return status;
}

/* What connect and every create check: pointers, a client not yet created, the
 * server's address and port, and waits that are not 0. */
static UINT pop3_connect_check(const NX_POP3_CLIENT *client_ptr, const NX_IP *ip_ptr,
                               const NX_PACKET_POOL *packet_pool_ptr,
                               const NXD_ADDRESS *server_ip_address, ULONG server_port,
                               ULONG connect_wait, ULONG reply_wait)
{
    UINT status = NX_PTR_ERROR;

    if ((client_ptr != NX_NULL) && (ip_ptr != NX_NULL) && (packet_pool_ptr != NX_NULL) &&
        (server_ip_address != NX_NULL) && (client_ptr->nx_pop3_client_id != NX_POP3_CLIENT_ID))
    {
        status = pop3_address_check(server_ip_address, server_port);
    }
    if ((status == NX_SUCCESS) && ((connect_wait == 0u) || (reply_wait == 0u)))
    {
        status = NX_OPTION_ERROR;
    }
    return status;
}

UINT _nxde_pop3_client_create_ext(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication,
                                  NX_IP *ip_ptr, NX_PACKET_POOL *packet_pool_ptr,
                                  NXD_ADDRESS *server_ip_address, ULONG server_port,
                                  CHAR *client_name, CHAR *client_password,
                                  ULONG connect_wait, ULONG reply_wait)
{
    UINT status = NX_PTR_ERROR;

    if ((client_name != NX_NULL) && (client_password != NX_NULL))
    {
        status = pop3_connect_check(client_ptr, ip_ptr, packet_pool_ptr, server_ip_address,
                                    server_port, connect_wait, reply_wait);
    }
    if (status == NX_SUCCESS)
    {
        status = _nxd_pop3_client_create_ext(client_ptr, APOP_authentication, ip_ptr,
                                             packet_pool_ptr, server_ip_address, server_port,
                                             client_name, client_password, connect_wait,
                                             reply_wait);
    }
    return status;
}

UINT _nxde_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                              NX_PACKET_POOL *packet_pool_ptr, NXD_ADDRESS *server_ip_address,
                              ULONG server_port, CHAR *client_name, CHAR *client_password)
{
    return _nxde_pop3_client_create_ext(client_ptr, APOP_authentication, ip_ptr, packet_pool_ptr,
                                        server_ip_address, server_port, client_name,
                                        client_password, NX_POP3_CLIENT_CONNECTION_TIMEOUT,
                                        NX_POP3_SERVER_REPLY_TIMEOUT);
}

UINT _nxe_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                             NX_PACKET_POOL *packet_pool_ptr, ULONG server_ip_address,
                             ULONG server_port, CHAR *client_name, CHAR *client_password)
{
    NXD_ADDRESS server;

    server.nxd_ip_version = NX_IP_VERSION_V4;
    server.nxd_ip_address.v4 = server_ip_address;
    return _nxde_pop3_client_create(client_ptr, APOP_authentication, ip_ptr, packet_pool_ptr,
                                    &server, server_port, client_name, client_password);
}

UINT _nxde_pop3_client_connect(NX_POP3_CLIENT *client_ptr, NX_IP *ip_ptr,
                               NX_PACKET_POOL *packet_pool_ptr, NXD_ADDRESS *server_ip_address,
                               ULONG server_port, ULONG connect_wait, ULONG reply_wait,
                               NX_POP3_APOP_STAMP *apop_stamp)
{
    UINT status = pop3_connect_check(client_ptr, ip_ptr, packet_pool_ptr, server_ip_address,
                                     server_port, connect_wait, reply_wait);

    if (status == NX_SUCCESS)
    {
        status = _nxd_pop3_client_connect(client_ptr, ip_ptr, packet_pool_ptr, server_ip_address,
                                          server_port, connect_wait, reply_wait, apop_stamp);
    }
    return status;
}

UINT _nxe_pop3_client_login(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                            CHAR *client_name, CHAR *client_password)
{
    if (!pop3_client_valid(client_ptr) || (client_name == NX_NULL) || (client_password == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_login(client_ptr, apop_stamp, client_name, client_password);
}

#if NX_POP3_CLIENT_ENABLE_SASL
UINT _nxe_pop3_client_apop(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                           CHAR *client_name, CHAR *client_password)
{
    if (!pop3_client_valid(client_ptr) || (client_name == NX_NULL) || (client_password == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_apop(client_ptr, apop_stamp, client_name, client_password);
}

UINT _nxe_pop3_client_user_pass(NX_POP3_CLIENT *client_ptr, CHAR *client_name,
                                CHAR *client_password)
{
    if (!pop3_client_valid(client_ptr) || (client_name == NX_NULL) || (client_password == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_user_pass(client_ptr, client_name, client_password);
}

UINT _nxe_pop3_client_auth(NX_POP3_CLIENT *client_ptr, UINT mechanism, CHAR *client_name,
                           CHAR *secret, CHAR *nonce)
{
    if (!pop3_client_valid(client_ptr) || (client_name == NX_NULL) || (secret == NX_NULL) ||
        ((mechanism == NX_POP3_SASL_SCRAM_SHA_256) && (nonce == NX_NULL)))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_auth(client_ptr, mechanism, client_name, secret, nonce);
}
#endif

UINT _nxe_pop3_client_delete(NX_POP3_CLIENT *client_ptr)
{
    if (!pop3_client_valid(client_ptr))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_delete(client_ptr);
}

UINT _nxe_pop3_client_mail_items_get(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                     ULONG *maildrop_total_size)
{
    if (!pop3_client_valid(client_ptr) || (number_mail_items == NX_NULL) ||
        (maildrop_total_size == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_mail_items_get(client_ptr, number_mail_items, maildrop_total_size);
}

UINT _nxe_pop3_client_mail_items_get64(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                       ULONG64 *maildrop_total_size)
{
    if (!pop3_client_valid(client_ptr) || (number_mail_items == NX_NULL) ||
        (maildrop_total_size == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_mail_items_get64(client_ptr, number_mail_items, maildrop_total_size);
}

/* A valid client, a non-NULL out pointer and an index above 0. */
static UINT pop3_item_check(const NX_POP3_CLIENT *client_ptr, const VOID *out, UINT mail_item)
{
    if (!pop3_client_valid(client_ptr) || (out == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    return (mail_item == 0u) ? NX_POP3_CLIENT_INVALID_INDEX : NX_SUCCESS;
}

UINT _nxe_pop3_client_mail_item_size_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *size)
{
    UINT status = pop3_item_check(client_ptr, size, mail_item);
    return (status != NX_SUCCESS) ? status :
           _nx_pop3_client_mail_item_size_get(client_ptr, mail_item, size);
}

UINT _nxe_pop3_client_mail_item_size_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                           ULONG64 *size)
{
    UINT status = pop3_item_check(client_ptr, size, mail_item);
    return (status != NX_SUCCESS) ? status :
           _nx_pop3_client_mail_item_size_get64(client_ptr, mail_item, size);
}

UINT _nxe_pop3_client_mail_item_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *item_size)
{
    UINT status = pop3_item_check(client_ptr, item_size, mail_item);
    return (status != NX_SUCCESS) ? status :
           _nx_pop3_client_mail_item_get(client_ptr, mail_item, item_size);
}

UINT _nxe_pop3_client_mail_item_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                      ULONG64 *item_size)
{
    UINT status = pop3_item_check(client_ptr, item_size, mail_item);
    return (status != NX_SUCCESS) ? status :
           _nx_pop3_client_mail_item_get64(client_ptr, mail_item, item_size);
}

UINT _nxe_pop3_client_mail_item_message_get(NX_POP3_CLIENT *client_ptr,
                                            NX_PACKET **recv_packet_ptr,
                                            ULONG *bytes_retrieved, UINT *final_packet)
{
    if (!pop3_client_valid(client_ptr) || (recv_packet_ptr == NX_NULL) ||
        (bytes_retrieved == NX_NULL) || (final_packet == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_mail_item_message_get(client_ptr, recv_packet_ptr, bytes_retrieved,
                                                 final_packet);
}

#if NX_POP3_CLIENT_ENABLE_MESSAGE_READ
UINT _nxe_pop3_client_message_read(NX_POP3_CLIENT *client_ptr, NX_POP3_READER *reader,
                                   UCHAR *buffer, ULONG size, ULONG *bytes_read,
                                   UINT *final_read)
{
    if (!pop3_client_valid(client_ptr) || (reader == NX_NULL) || (bytes_read == NX_NULL) ||
        (final_read == NX_NULL) || ((buffer == NX_NULL) && (size > 0u)))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_message_read(client_ptr, reader, buffer, size, bytes_read, final_read);
}
#endif

UINT _nxe_pop3_client_mail_item_delete(NX_POP3_CLIENT *client_ptr, UINT mail_index)
{
    UINT status = pop3_item_check(client_ptr, client_ptr, mail_index);
    return (status != NX_SUCCESS) ? status : _nx_pop3_client_mail_item_delete(client_ptr, mail_index);
}

UINT _nxe_pop3_client_noop(NX_POP3_CLIENT *client_ptr)
{
    return pop3_client_valid(client_ptr) ? _nx_pop3_client_noop(client_ptr) : NX_PTR_ERROR;
}

UINT _nxe_pop3_client_reset(NX_POP3_CLIENT *client_ptr)
{
    return pop3_client_valid(client_ptr) ? _nx_pop3_client_reset(client_ptr) : NX_PTR_ERROR;
}

UINT _nxe_pop3_client_quit(NX_POP3_CLIENT *client_ptr)
{
    return pop3_client_valid(client_ptr) ? _nx_pop3_client_quit(client_ptr) : NX_PTR_ERROR;
}

UINT _nxe_pop3_client_reply_timeout_set(NX_POP3_CLIENT *client_ptr, ULONG reply_wait)
{
    if (!pop3_client_valid(client_ptr))
    {
        return NX_PTR_ERROR;
    }
    return (reply_wait == 0u) ? NX_OPTION_ERROR :
           _nx_pop3_client_reply_timeout_set(client_ptr, reply_wait);
}

#if NX_POP3_CLIENT_ENABLE_CAPA
UINT _nxe_pop3_client_capabilities_get(NX_POP3_CLIENT *client_ptr,
                                       NX_POP3_CAPA_CALLBACK callback, VOID *context)
{
    return pop3_client_valid(client_ptr) ?
           _nx_pop3_client_capabilities_get(client_ptr, callback, context) : NX_PTR_ERROR;
}
#endif

#if NX_POP3_CLIENT_ENABLE_LISTINGS
UINT _nxe_pop3_client_mail_items_list(NX_POP3_CLIENT *client_ptr, NX_POP3_LIST_CALLBACK callback,
                                      VOID *context)
{
    return (pop3_client_valid(client_ptr) && (callback != NX_NULL)) ?
           _nx_pop3_client_mail_items_list(client_ptr, callback, context) : NX_PTR_ERROR;
}

UINT _nxe_pop3_client_mail_items_uidl(NX_POP3_CLIENT *client_ptr, NX_POP3_UIDL_CALLBACK callback,
                                      VOID *context)
{
    return (pop3_client_valid(client_ptr) && (callback != NX_NULL)) ?
           _nx_pop3_client_mail_items_uidl(client_ptr, callback, context) : NX_PTR_ERROR;
}

UINT _nxe_pop3_client_mail_item_uid_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, CHAR *uid,
                                        UINT uid_size)
{
    UINT status = pop3_item_check(client_ptr, uid, mail_item);

    if ((status == NX_SUCCESS) && (uid_size <= NX_POP3_MAX_UID))
    {
        status = NX_SIZE_ERROR;
    }
    return (status != NX_SUCCESS) ? status :
           _nx_pop3_client_mail_item_uid_get(client_ptr, mail_item, uid, uid_size);
}
#endif

#if NX_POP3_CLIENT_ENABLE_TOP
UINT _nxe_pop3_client_mail_item_top_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, UINT lines)
{
    UINT status = pop3_item_check(client_ptr, client_ptr, mail_item);

    return (status != NX_SUCCESS) ? status :
           _nx_pop3_client_mail_item_top_get(client_ptr, mail_item, lines);
}
#endif

#if NX_POP3_CLIENT_ENABLE_UTF8
UINT _nxe_pop3_client_utf8(NX_POP3_CLIENT *client_ptr)
{
    return pop3_client_valid(client_ptr) ? _nx_pop3_client_utf8(client_ptr) : NX_PTR_ERROR;
}
#endif

#if NX_POP3_CLIENT_ENABLE_PIPELINING
UINT _nxe_pop3_client_pipeline_start(NX_POP3_CLIENT *client_ptr, NX_POP3_PIPELINE *pipeline,
                                     const UINT *mail_items, UINT count)
{
    if (!pop3_client_valid(client_ptr) || (pipeline == NX_NULL) ||
        ((mail_items == NX_NULL) && (count > 0u)))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_pipeline_start(client_ptr, pipeline, mail_items, count);
}

UINT _nxe_pop3_client_pipeline_next(NX_POP3_CLIENT *client_ptr, UINT *mail_item,
                                    ULONG64 *item_size)
{
    if (!pop3_client_valid(client_ptr) || (mail_item == NX_NULL) || (item_size == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    return _nx_pop3_client_pipeline_next(client_ptr, mail_item, item_size);
}
#endif

#if NX_POP3_CLIENT_ENABLE_STLS
UINT _nxe_pop3_client_stls(NX_POP3_CLIENT *client_ptr)
{
    return pop3_client_valid(client_ptr) ? _nx_pop3_client_stls(client_ptr) : NX_PTR_ERROR;
}

UINT _nxe_pop3_client_tls_verify_result_get(NX_POP3_CLIENT *client_ptr, ULONG *result)
{
    return (pop3_client_valid(client_ptr) && (result != NX_NULL)) ?
           _nx_pop3_client_tls_verify_result_get(client_ptr, result) : NX_PTR_ERROR;
}
#endif
