/* The AUTH exchange (RFC 5034; see nx_pop3_sasl.h): the command with or
 * without an initial response, each challenge decoded as it arrives, each
 * response encoded into as many packets as it takes, "*" for a challenge that
 * cannot be answered. */
#define NX_POP3_SOURCE_CODE
#include "nx_pop3_sasl.h"

#if NX_POP3_CLIENT_ENABLE_SASL

#include "nx_base64.h"
#include "nx_crypto_wipe.h"
#include "nx_pop3_auth.h"
#include "nx_pop3_command.h"
#include "nx_pop3_reply.h"

#include <string.h>

/* A challenge line may run to this many octets before the parser gives up on
 * it (NX_POP3_REPLY_TOO_LONG); up to there a challenge too long to keep is read
 * to its end and cancelled. */
#define SASL_CHALLENGE_LINE_MAX 65535u

/* The mechanisms of this build, strongest first. */
static const NX_POP3_SASL_MECHANISM *const sasl_mechanisms[] =
{
#if NX_POP3_CLIENT_ENABLE_SASL_SCRAM_SHA_256
    &_nx_pop3_sasl_scram_sha_256,
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_CRAM_MD5
    &_nx_pop3_sasl_cram_md5,
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_OAUTHBEARER
    &_nx_pop3_sasl_oauthbearer,
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_XOAUTH2
    &_nx_pop3_sasl_xoauth2,
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_PLAIN
    &_nx_pop3_sasl_plain,
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_LOGIN
    &_nx_pop3_sasl_login,
#endif
};

#define SASL_MECHANISM_COUNT ((UINT)(sizeof(sasl_mechanisms) / sizeof(sasl_mechanisms[0])))

static const NX_POP3_SASL_MECHANISM *sasl_mechanism(UINT code)
{
    const NX_POP3_SASL_MECHANISM *found = NX_NULL;
    UINT i;

    for (i = 0u; i < SASL_MECHANISM_COUNT; i++)
    {
        if (sasl_mechanisms[i]->code == code)
        {
            found = sasl_mechanisms[i];
        }
    }
    return found;
}

static CHAR sasl_upper(CHAR c)
{
    CHAR upper = c;

    if ((c >= 'a') && (c <= 'z'))
    {
        upper = (CHAR)(c - ('a' - 'A'));
    }
    return upper;
}

UINT _nx_pop3_sasl_offered(const CHAR *arguments)
{
    UINT mask = 0u;
    UINT start = 0u;
    UINT end;
    UINT i;

    /* Each word of the line (bounded by the listing line it came from). */
    while (arguments[start] != '\0')
    {
        if (arguments[start] == ' ')
        {
            start++;
            continue;
        }
        for (end = start; (arguments[end] != '\0') && (arguments[end] != ' '); end++)
        {
        }
        for (i = 0u; i < SASL_MECHANISM_COUNT; i++)
        {
            const CHAR *name = sasl_mechanisms[i]->name;
            UINT length = (UINT)strlen(name);
            UINT k;

            if (end - start != length)
            {
                continue;
            }
            for (k = 0u; (k < length) && (sasl_upper(arguments[start + k]) == name[k]); k++)
            {
            }
            if (k == length)
            {
                mask |= 1u << sasl_mechanisms[i]->code;
            }
        }
        start = end;
    }
    return mask;
}

VOID _nx_pop3_sasl_put(NX_POP3_SASL_OUTPUT *output, const VOID *data, ULONG length)
{
    if (length > 0u)
    {
        output->put(output, (const UCHAR *)data, length);
    }
}

VOID _nx_pop3_sasl_put_text(NX_POP3_SASL_OUTPUT *output, const CHAR *text)
{
    _nx_pop3_sasl_put(output, text, (ULONG)strlen(text)); /* lengths checked on entry */
}

VOID _nx_pop3_sasl_put_saslname(NX_POP3_SASL_OUTPUT *output, const CHAR *name)
{
    ULONG run = 0u;
    ULONG i;

    for (i = 0u; name[i] != '\0'; i++) /* at most NX_POP3_MAX_USERNAME */
    {
        if ((name[i] == ',') || (name[i] == '='))
        {
            _nx_pop3_sasl_put(output, &name[run], i - run);
            _nx_pop3_sasl_put_text(output, (name[i] == ',') ? "=2C" : "=3D");
            run = i + 1u;
        }
    }
    _nx_pop3_sasl_put(output, &name[run], i - run);
}

/* An output that counts. */
typedef struct SASL_COUNT_STRUCT
{
    NX_POP3_SASL_OUTPUT output;
    ULONG length;
} SASL_COUNT;

static VOID sasl_count_put(NX_POP3_SASL_OUTPUT *output, const UCHAR *data, ULONG length)
{
    (VOID)data;
    ((SASL_COUNT *)output)->length += length;
}

/* An output that encodes into a text buffer (the initial response, counted first). */
typedef struct SASL_TEXT_STRUCT
{
    NX_POP3_SASL_OUTPUT output;
    CHAR *text;
    ULONG size;
    ULONG length;
    UCHAR group[3];
    UINT count;
} SASL_TEXT;

static VOID sasl_text_put(NX_POP3_SASL_OUTPUT *output, const UCHAR *data, ULONG length)
{
    SASL_TEXT *text = (SASL_TEXT *)output;
    ULONG i;

    for (i = 0u; i < length; i++)
    {
        text->group[text->count] = data[i];
        text->count++;
        if (text->count == 3u)
        {
            if (text->length + 4u < text->size) /* counted first: it always fits */
            {
                _nx_base64_encode_group(text->group, 3u, &text->text[text->length]);
                text->length += 4u;
            }
            text->count = 0u;
        }
    }
}

static VOID sasl_text_end(SASL_TEXT *text)
{
    if ((text->count > 0u) && (text->length + 4u < text->size)) /* as above */
    {
        _nx_base64_encode_group(text->group, text->count, &text->text[text->length]);
        text->length += 4u;
    }
    text->text[text->length] = '\0';
    _nx_crypto_wipe(text->group, sizeof(text->group));
}

/* An output that encodes into packets and sends them: a response line of any
 * length. The first failure is kept and later bytes are dropped. */
typedef struct SASL_LINE_STRUCT
{
    NX_POP3_SASL_OUTPUT output;
    NX_POP3_CLIENT *client;
    NX_PACKET *packet;
    UINT status;
    UCHAR group[3];
    UINT count;
} SASL_LINE;

static VOID sasl_line_send(SASL_LINE *line)
{
    NX_POP3_CLIENT *client_ptr = line->client;
    UINT status = nx_tcp_socket_send(&client_ptr->nx_pop3_client_tcp_socket, line->packet,
                                     NX_POP3_TCP_SOCKET_SEND_WAIT);

    if (status != NX_SUCCESS)
    {
        (VOID)nx_packet_release(line->packet);
        line->status = status;
    }
    line->packet = NX_NULL;
}

static VOID sasl_line_chars(SASL_LINE *line, const CHAR *chars, ULONG length)
{
    ULONG done = 0u;
    ULONG rounds;

    /* Each round copies at least a byte or sends a full packet, and a packet
     * holds at least one byte: 2 * length + 2 rounds always suffice. */
    for (rounds = 0u; (rounds < 2u * length + 2u) && (done < length) &&
                      (line->status == NX_SUCCESS); rounds++)
    {
        ULONG room;

        if (line->packet == NX_NULL)
        {
            UINT status = nx_packet_allocate(line->client->nx_pop3_client_packet_pool_ptr,
                                             &line->packet, NX_TCP_PACKET,
                                             NX_POP3_CLIENT_PACKET_TIMEOUT);
            if ((status == NX_SUCCESS) &&
                (line->packet->nx_packet_append_ptr == line->packet->nx_packet_data_end))
            {
                (VOID)nx_packet_release(line->packet); /* no room after the TCP reserve */
                status = NX_INVALID_PARAMETERS;
            }
            if (status != NX_SUCCESS)
            {
                line->packet = NX_NULL;
                line->status = (status == NX_INVALID_PARAMETERS) ?
                               NX_POP3_INSUFFICIENT_PACKET_PAYLOAD : status;
                break;
            }
        }
        room = (ULONG)(line->packet->nx_packet_data_end - line->packet->nx_packet_append_ptr);
        if (room == 0u)
        {
            sasl_line_send(line); /* full: the next round takes another packet */
            continue;
        }
        if (room > length - done)
        {
            room = length - done;
        }
        memcpy(line->packet->nx_packet_append_ptr, &chars[done], room);
        line->packet->nx_packet_append_ptr += room;
        line->packet->nx_packet_length += room;
        done += room;
    }
}

static VOID sasl_line_put(NX_POP3_SASL_OUTPUT *output, const UCHAR *data, ULONG length)
{
    SASL_LINE *line = (SASL_LINE *)output;
    CHAR chars[4];
    ULONG i;

    for (i = 0u; (i < length) && (line->status == NX_SUCCESS); i++)
    {
        line->group[line->count] = data[i];
        line->count++;
        if (line->count == 3u)
        {
            _nx_base64_encode_group(line->group, 3u, chars);
            sasl_line_chars(line, chars, 4u);
            line->count = 0u;
        }
    }
    _nx_crypto_wipe(chars, sizeof(chars));
}

static VOID sasl_line_start(SASL_LINE *line, NX_POP3_CLIENT *client_ptr)
{
    memset(line, 0, sizeof(*line));
    line->output.put = sasl_line_put;
    line->client = client_ptr;
    line->status = NX_SUCCESS;
}

/* The rest of the line: the last group, CRLF, and the last packet sent. A
 * failure closes the connection: half a line went out. */
static UINT sasl_line_end(SASL_LINE *line)
{
    CHAR chars[4];

    /* After a failure the writes below do nothing, and no packet is held: a
     * failed allocation took none, a failed send released its own. */
    if (line->count > 0u)
    {
        _nx_base64_encode_group(line->group, line->count, chars);
        sasl_line_chars(line, chars, 4u);
    }
    sasl_line_chars(line, "\r\n", 2u);
    if (line->status == NX_SUCCESS)
    {
        sasl_line_send(line); /* the packet holds at least the CRLF */
    }
    _nx_crypto_wipe(line->group, sizeof(line->group));
    _nx_crypto_wipe(chars, sizeof(chars));
    return (line->status == NX_SUCCESS) ? NX_SUCCESS : _nx_pop3_abort(line->client, line->status);
}

/* Sends the mechanism's response of the present step as one line. */
static UINT sasl_respond(NX_POP3_CLIENT *client_ptr, const NX_POP3_SASL_MECHANISM *mechanism,
                         NX_POP3_SASL *sasl)
{
    SASL_LINE line;

    sasl_line_start(&line, client_ptr);
    mechanism->respond(sasl, &line.output);
    sasl->step++;
    return sasl_line_end(&line);
}

/* "*": the exchange is cancelled (RFC 5034) and, for what made it so, the
 * connection closed with status. */
static UINT sasl_cancel(NX_POP3_CLIENT *client_ptr, UINT status)
{
    SASL_LINE line;

    sasl_line_start(&line, client_ptr);
    sasl_line_chars(&line, "*", 1u);
    (VOID)sasl_line_end(&line);
    return _nx_pop3_abort(client_ptr, status);
}

static UINT sasl_nonce_check(const CHAR *nonce)
{
    ULONG length = 0u;
    ULONG i;
    UINT status = (nonce != NX_NULL) ?
                  _nx_pop3_text_check(nonce, NX_POP3_SCRAM_NONCE_MAX, &length) :
                  NX_POP3_PARAM_ERROR;

    if (length < NX_POP3_SCRAM_NONCE_MIN)
    {
        status = NX_POP3_PARAM_ERROR;
    }

    for (i = 0u; (status == NX_SUCCESS) && (i < length); i++)
    {
        if ((nonce[i] < 0x21) || (nonce[i] > 0x7E) || (nonce[i] == ','))
        {
            status = NX_POP3_PARAM_ERROR;
        }
    }
    return status;
}

/* The command, with the initial response when the server takes one (it listed
 * SASL in CAPA) and it fits the command line. */
static UINT sasl_start(NX_POP3_CLIENT *client_ptr, const NX_POP3_SASL_MECHANISM *mechanism,
                       NX_POP3_SASL *sasl)
{
    CHAR initial[NX_POP3_MAX_COMMAND_LINE + 1u];
    NX_POP3_ARGUMENTS arguments;
    UINT status;

    arguments.text[0] = mechanism->name;
    arguments.count = 1u;
    if ((mechanism->client_first != 0u) &&
        ((client_ptr->nx_pop3_client_capabilities & NX_POP3_CAPABILITY_SASL) != 0u))
    {
        SASL_COUNT count;
        ULONG line;

        count.output.put = sasl_count_put;
        count.length = 0u;
        mechanism->respond(sasl, &count.output);
        /* "AUTH " name " " response CRLF (every mechanism here has a first
         * response of at least one byte: none needs RFC 5034's "=" for an
         * empty one). */
        line = 5u + (ULONG)strlen(mechanism->name) + 1u +
               NX_BASE64_ENCODED_LENGTH(count.length) + 2u;
        if (line <= NX_POP3_MAX_COMMAND_LINE)
        {
            SASL_TEXT text;

            memset(&text, 0, sizeof(text));
            text.output.put = sasl_text_put;
            text.text = initial;
            text.size = sizeof(initial);
            mechanism->respond(sasl, &text.output);
            sasl_text_end(&text);
            arguments.text[1] = initial;
            arguments.count = 2u;
            sasl->step = 1u;
        }
    }
    status = _nx_pop3_command_send(client_ptr, NX_POP3_COMMAND_AUTH, &arguments);
    _nx_crypto_wipe(initial, sizeof(initial));
    return status;
}

/* One challenge, decoded into challenge[]: what to do with it. */
static UINT sasl_challenge(const NX_POP3_SASL_MECHANISM *mechanism, NX_POP3_SASL *sasl,
                           NX_BASE64_DECODER *decoder)
{
    ULONG length = 0u;
    UINT status = _nx_base64_decoder_end(decoder, &length);

    if ((status != NX_SUCCESS) || (sasl->refused != 0u))
    {
        /* Not base64, longer than NX_POP3_MAX_CHALLENGE, or after the exchange was over. */
        status = NX_POP3_INVALID_CHALLENGE;
    }
    else if ((mechanism->client_first != 0u) && (sasl->step == 0u))
    {
        /* The "+" that asks for the first response carries nothing. */
        status = (length == 0u) ? NX_SUCCESS : NX_POP3_INVALID_CHALLENGE;
    }
    else
    {
        status = mechanism->challenge(sasl, decoder->output, length);
        if (status == NX_POP3_SERVER_ERROR_STATUS)
        {
            sasl->refused = NX_TRUE; /* answered as the mechanism says; -ERR follows */
            status = NX_SUCCESS;
        }
    }
    return status;
}

/* The replies, to +OK or -ERR, each within the reply wait. */
static UINT sasl_exchange(NX_POP3_CLIENT *client_ptr, const NX_POP3_SASL_MECHANISM *mechanism,
                          NX_POP3_SASL *sasl, UCHAR *challenge, ULONG challenge_size)
{
    UINT status = NX_POP3_INVALID_CHALLENGE; /* more challenges than any mechanism has */
    UINT round;

    for (round = 0u; round <= NX_POP3_SASL_MAX_CHALLENGES; round++)
    {
        NX_POP3_REPLY reply;
        NX_BASE64_DECODER decoder;

        _nx_pop3_reply_begin(client_ptr, &reply);
        _nx_pop3_reply_continuation_allow(&reply, SASL_CHALLENGE_LINE_MAX);
        _nx_base64_decoder_start(&decoder, challenge, challenge_size);
        _nx_pop3_reply_sink_set(&reply, _nx_base64_decoder_byte, &decoder);
        status = _nx_pop3_reply_receive(client_ptr, &reply);
        if (status == NX_SUCCESS)
        {
            /* +OK: logged in, if the mechanism is satisfied. */
            if (sasl->refused != 0u)
            {
                status = NX_POP3_INVALID_CHALLENGE; /* +OK after its own refusal */
            }
            else if (mechanism->success != NX_NULL)
            {
                status = mechanism->success(sasl);
            }
            if (status == NX_SUCCESS)
            {
                client_ptr->nx_pop3_client_state = NX_POP3_STATE_TRANSACTION;
            }
            else
            {
                status = _nx_pop3_abort(client_ptr, status);
            }
            break;
        }
        if ((status != NX_POP3_SERVER_ERROR_STATUS) || (reply.status != NX_POP3_REPLY_IS_CONTINUE))
        {
            break; /* -ERR (still in AUTHORIZATION), or the exchange failed (closed) */
        }
#if NX_POP3_CLIENT_ENABLE_RESPONSE_CODES
        client_ptr->nx_pop3_client_response_code = NX_POP3_RESPONSE_NONE;
#endif
        status = NX_POP3_INVALID_CHALLENGE;
        if (round < NX_POP3_SASL_MAX_CHALLENGES)
        {
            status = sasl_challenge(mechanism, sasl, &decoder);
        }
        if (status != NX_SUCCESS)
        {
            status = sasl_cancel(client_ptr, status);
            break;
        }
        status = sasl_respond(client_ptr, mechanism, sasl);
        if (status != NX_SUCCESS)
        {
            break;
        }
    }
    return status;
}

UINT _nx_pop3_client_auth(NX_POP3_CLIENT *client_ptr, UINT mechanism, CHAR *client_name,
                          CHAR *secret, CHAR *nonce)
{
    const NX_POP3_SASL_MECHANISM *descriptor = sasl_mechanism(mechanism);
    UCHAR challenge[NX_POP3_MAX_CHALLENGE];
    NX_POP3_SASL sasl;
    ULONG length = 0u;
    UINT capabilities = client_ptr->nx_pop3_client_capabilities;
    UINT status = (descriptor != NX_NULL) ? NX_SUCCESS : NX_OPTION_ERROR;

    memset(&sasl, 0, sizeof(sasl));
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_text_check(client_name, NX_POP3_MAX_USERNAME, &length);
    }
    if ((status == NX_SUCCESS) && (length == 0u))
    {
        status = NX_POP3_PARAM_ERROR; /* a name is needed */
    }
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_text_check(secret, NX_POP3_MAX_SASL_SECRET, &sasl.secret_length);
    }
    if ((status == NX_SUCCESS) && (mechanism == NX_POP3_SASL_SCRAM_SHA_256))
    {
        status = sasl_nonce_check(nonce);
    }
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_command_allowed(client_ptr, NX_POP3_COMMAND_AUTH);
    }
    /* Never a mechanism the server did not offer, when it said what it offers. */
    if ((status == NX_SUCCESS) && ((capabilities & NX_POP3_CAPABILITY_ASKED) != 0u) &&
        (((capabilities & NX_POP3_CAPABILITY_SASL) == 0u) ||
         ((client_ptr->nx_pop3_client_sasl_mechanisms & (1u << mechanism)) == 0u)))
    {
        status = NX_POP3_MECHANISM_NOT_OFFERED;
    }
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_quiet_check(client_ptr);
    }
    if (status == NX_SUCCESS)
    {
        sasl.name = client_name;
        sasl.secret = secret;
        sasl.nonce = nonce;
        status = sasl_start(client_ptr, descriptor, &sasl);
    }
    if (status == NX_SUCCESS)
    {
        status = sasl_exchange(client_ptr, descriptor, &sasl, challenge, sizeof(challenge));
    }
    _nx_crypto_wipe(&sasl, sizeof(sasl));
    _nx_crypto_wipe(challenge, sizeof(challenge));
    return status;
}

#endif /* NX_POP3_CLIENT_ENABLE_SASL */
