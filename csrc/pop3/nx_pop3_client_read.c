/* nx_pop3_client_message_read(): the RETR body into a caller buffer, looping
 * over packets in C. */
#define NX_POP3_SOURCE_CODE
#include "nxd_pop3_client.h"

#if NX_POP3_CLIENT_ENABLE_MESSAGE_READ

#include <string.h>

VOID nx_pop3_client_message_reader_release(NX_POP3_READER *reader)
{
    if ((reader != NX_NULL) && (reader->nx_pop3_reader_packet != NX_NULL))
    {
        (VOID)nx_packet_release(reader->nx_pop3_reader_packet);
        reader->nx_pop3_reader_packet = NX_NULL;
        reader->nx_pop3_reader_offset = 0u;
    }
}

UINT _nx_pop3_client_message_read(NX_POP3_CLIENT *client_ptr, NX_POP3_READER *reader,
                                 UCHAR *buffer, ULONG size, ULONG *bytes_read, UINT *final_read)
{
    ULONG copied = 0u;
    UINT status = NX_SUCCESS;
    UINT done = NX_FALSE;

    /* Each pass empties the held packet or fills the buffer, or gets a new
     * packet from message_get, which either fails or makes progress; the pass
     * count is bounded by size plus one per empty piece, and empty pieces only
     * come from input bytes the decoder consumed. */
    while ((copied < size) && (done == NX_FALSE) && (status == NX_SUCCESS))
    {
        NX_PACKET *packet = reader->nx_pop3_reader_packet;

        if (packet == NX_NULL)
        {
            ULONG bytes;
            UINT final_packet;

            status = _nx_pop3_client_mail_item_message_get(client_ptr, &packet, &bytes,
                                                           &final_packet);
            if (status != NX_SUCCESS)
            {
                break;
            }
            reader->nx_pop3_reader_packet = packet;
            reader->nx_pop3_reader_offset = 0u;
            reader->nx_pop3_reader_final = final_packet;
        }
        else
        {
            ULONG available = packet->nx_packet_length - reader->nx_pop3_reader_offset;
            ULONG chunk = (available < size - copied) ? available : (size - copied);

            memcpy(buffer + copied, packet->nx_packet_prepend_ptr + reader->nx_pop3_reader_offset,
                   chunk);
            copied += chunk;
            reader->nx_pop3_reader_offset += chunk;
            if (reader->nx_pop3_reader_offset == packet->nx_packet_length)
            {
                done = reader->nx_pop3_reader_final;
                nx_pop3_client_message_reader_release(reader);
            }
        }
    }

    /* A final empty piece may be waiting though the buffer is full. */
    if ((done == NX_FALSE) && (reader->nx_pop3_reader_packet != NX_NULL) &&
        (reader->nx_pop3_reader_final != 0u) &&
        (reader->nx_pop3_reader_offset == reader->nx_pop3_reader_packet->nx_packet_length))
    {
        done = NX_TRUE;
        nx_pop3_client_message_reader_release(reader);
    }
    *bytes_read = copied;
    *final_read = done;
    return status;
}

#endif
