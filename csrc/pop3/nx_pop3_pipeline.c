/* Pipelined batches of RETR (RFC 2449 PIPELINING): the commands go out in a
 * window ahead of their replies, the replies are read in order through the
 * same status-line parser and body decoder as a single RETR's. Without
 * PIPELINING in the last CAPA the window is one command: the same calls work
 * one RETR at a time. */
#define NX_POP3_SOURCE_CODE
#include "nxd_pop3_client.h"
#include "nx_pop3_command.h"

#if NX_POP3_CLIENT_ENABLE_PIPELINING

UINT _nx_pop3_client_pipeline_start(NX_POP3_CLIENT *client_ptr, NX_POP3_PIPELINE *pipeline,
                                    const UINT *mail_items, UINT count)
{
    UINT status = _nx_pop3_command_allowed(client_ptr, NX_POP3_COMMAND_RETR);
    UINT index;

    /* Message 0 can never be valid: refused now, before anything is in flight. */
    for (index = 0u; (status == NX_SUCCESS) && (index < count); index++)
    {
        status = (mail_items[index] == 0u) ? NX_POP3_CLIENT_INVALID_INDEX : NX_SUCCESS;
    }
    if (status == NX_SUCCESS)
    {
        pipeline->nx_pop3_pipeline_items = mail_items;
        pipeline->nx_pop3_pipeline_count = count;
        pipeline->nx_pop3_pipeline_sent = 0u;
        pipeline->nx_pop3_pipeline_read = 0u;
        pipeline->nx_pop3_pipeline_window =
            ((client_ptr->nx_pop3_client_capabilities & NX_POP3_CAPABILITY_PIPELINING) != 0u) ?
            NX_POP3_PIPELINE_WINDOW : 1u;
        client_ptr->nx_pop3_client_pipeline = pipeline;
    }
    return status;
}

/* Ends the batch: other commands are allowed again. */
static UINT pop3_pipeline_end(NX_POP3_CLIENT *client_ptr, UINT status)
{
    client_ptr->nx_pop3_client_pipeline = NX_NULL;
    return status;
}

UINT _nx_pop3_client_pipeline_next(NX_POP3_CLIENT *client_ptr, UINT *mail_item,
                                   ULONG64 *item_size)
{
    NX_POP3_PIPELINE *pipeline = client_ptr->nx_pop3_client_pipeline;
    NX_POP3_ARGUMENTS arguments;
    NX_POP3_REPLY reply;
    ULONG64 octets;
    UINT status = NX_SUCCESS;
    UINT in_flight;
    UINT sent = 0u;

    *mail_item = 0u;
    *item_size = 0u;
    if (pipeline == NX_NULL)
    {
        return NX_POP3_CLIENT_INVALID_STATE; /* no batch */
    }
    if (client_ptr->nx_pop3_client_state != NX_POP3_STATE_TRANSACTION)
    {
        /* A body not read to its end, or the connection gone. */
        return (client_ptr->nx_pop3_client_state == NX_POP3_STATE_CLOSED) ?
               pop3_pipeline_end(client_ptr, NX_NOT_CONNECTED) : NX_POP3_CLIENT_INVALID_STATE;
    }
    if (pipeline->nx_pop3_pipeline_read == pipeline->nx_pop3_pipeline_count)
    {
        return pop3_pipeline_end(client_ptr, NX_NO_MORE_ENTRIES);
    }

    /* With nothing in flight, nothing may be waiting either (as before any
     * command); with replies in flight, waiting bytes are theirs. */
    if (pipeline->nx_pop3_pipeline_sent == pipeline->nx_pop3_pipeline_read)
    {
        status = _nx_pop3_quiet_check(client_ptr);
        if (status != NX_SUCCESS)
        {
            return pop3_pipeline_end(client_ptr, status);
        }
    }

    /* Refill the window in one packet of RETR lines once half of it has been
     * answered (or it is empty), so the commands cost a few sends per batch,
     * not one per message. The window is a few hundred octets of commands:
     * never enough to fill a buffer while its replies wait to be read. */
    in_flight = pipeline->nx_pop3_pipeline_sent - pipeline->nx_pop3_pipeline_read;
    if ((pipeline->nx_pop3_pipeline_sent < pipeline->nx_pop3_pipeline_count) &&
        (in_flight <= pipeline->nx_pop3_pipeline_window / 2u))
    {
        UINT wanted = pipeline->nx_pop3_pipeline_window - in_flight;
        UINT left = pipeline->nx_pop3_pipeline_count - pipeline->nx_pop3_pipeline_sent;

        status = _nx_pop3_command_send_many(client_ptr, NX_POP3_COMMAND_RETR,
                                            &pipeline->nx_pop3_pipeline_items[
                                                pipeline->nx_pop3_pipeline_sent],
                                            (wanted < left) ? wanted : left, &sent);
        pipeline->nx_pop3_pipeline_sent += sent;
    }
    if ((status != NX_SUCCESS) && (in_flight == 0u))
    {
        return pop3_pipeline_end(client_ptr, status); /* nothing in flight: a clean stop */
    }
    if (status != NX_SUCCESS)
    {
        /* Replies are in flight for commands before these: the stream can only
         * be resynchronised by ending the session (the send closed it). */
        return pop3_pipeline_end(client_ptr, _nx_pop3_abort(client_ptr, status));
    }

    /* The next reply, in order. */
    arguments.count = 1u;
    arguments.number[0] = pipeline->nx_pop3_pipeline_items[pipeline->nx_pop3_pipeline_read];
    *mail_item = arguments.number[0];
    pipeline->nx_pop3_pipeline_read++;
    status = _nx_pop3_command_reply(client_ptr, NX_POP3_COMMAND_RETR, &arguments, &reply);
    if (status == NX_SUCCESS)
    {
        if (_nx_pop3_reply_number(&reply, 0u, &octets) == NX_SUCCESS)
        {
            *item_size = octets; /* advisory, as for RETR */
        }
    }
    else if (status != NX_POP3_SERVER_ERROR_STATUS)
    {
        status = pop3_pipeline_end(client_ptr, status); /* the connection is gone */
    }
    return status;
}

#endif
