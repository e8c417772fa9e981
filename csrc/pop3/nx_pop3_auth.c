/* Authentication (see nx_pop3_auth.h): the APOP timestamp and digest, and the
 * login over the command layer. */
#define NX_POP3_SOURCE_CODE
#include "nx_pop3_auth.h"
#include "nx_pop3_command.h"

#include <string.h>

#define STAMP_NONE  0u
#define STAMP_OPEN  1u /* inside <...>, no '@' yet */
#define STAMP_AT    2u /* inside <...>, '@' seen */
#define STAMP_FOUND 3u

static const CHAR pop3_hex[] = "0123456789abcdef";

VOID _nx_pop3_apop_stamp_start(NX_POP3_APOP_STAMP *stamp)
{
    memset(stamp, 0, sizeof(*stamp));
}

VOID _nx_pop3_apop_stamp_byte(VOID *context, UCHAR c)
{
    NX_POP3_APOP_STAMP *stamp = (NX_POP3_APOP_STAMP *)context;
    UINT state = stamp->nx_pop3_apop_state;

    if (state == STAMP_FOUND)
    {
        return;
    }
    if (c == '<')
    {
        _nx_md5_initialize(&stamp->nx_pop3_apop_md5); /* the first <...@...> wins */
        state = STAMP_OPEN;
    }
    else if (state == STAMP_NONE)
    {
        return;
    }
    else if (c == '@')
    {
        state = STAMP_AT;
    }
    else if (c == '>')
    {
        state = (state == STAMP_AT) ? STAMP_FOUND : STAMP_NONE;
    }
    stamp->nx_pop3_apop_state = state;
    if (state != STAMP_NONE)
    {
        _nx_md5_update(&stamp->nx_pop3_apop_md5, &c, 1u);
    }
}

UINT _nx_pop3_apop_stamp_found(const NX_POP3_APOP_STAMP *stamp)
{
    return (stamp->nx_pop3_apop_state == STAMP_FOUND) ? NX_TRUE : NX_FALSE;
}

UINT _nx_pop3_apop_digest(NX_POP3_APOP_STAMP *stamp, const CHAR *secret, CHAR hex[33])
{
    UCHAR digest[16];
    UINT status = NX_POP3_APOP_FAILED_MD5_DIGEST;
    UINT i;

    hex[0] = '\0';
    if (_nx_pop3_apop_stamp_found(stamp) != 0u)
    {
        _nx_md5_update(&stamp->nx_pop3_apop_md5, (const UCHAR *)secret, (ULONG)strlen(secret));
        _nx_md5_digest_calculate(&stamp->nx_pop3_apop_md5, digest);
        for (i = 0u; i < 16u; i++)
        {
            hex[2u * i] = pop3_hex[digest[i] >> 4];
            hex[2u * i + 1u] = pop3_hex[digest[i] & 0x0Fu];
        }
        hex[32] = '\0';
        memset(digest, 0, sizeof(digest));
        status = NX_SUCCESS;
    }
    memset(stamp, 0, sizeof(*stamp)); /* the secret went through the MD5 block */
    return status;
}

/* Shared with SASL (nx_pop3_sasl.c), and the login services of their own
 * (nx_pop3_client_apop/_user_pass), only when it is built; without it these are
 * parts of the login that the compiler joins into it. */
#if NX_POP3_CLIENT_ENABLE_SASL
#define POP3_LOGIN_SCOPE
#else
#define POP3_LOGIN_SCOPE static
#endif

POP3_LOGIN_SCOPE UINT _nx_pop3_text_check(const CHAR *text, ULONG max, ULONG *length)
{
    ULONG i;

    /* NUL ends the text, so it cannot be inside; at most max + 1 bytes read. */
    for (i = 0u; (i <= max) && (text[i] != '\0'); i++)
    {
        if ((text[i] == '\r') || (text[i] == '\n'))
        {
            return NX_POP3_PARAM_ERROR;
        }
    }
    *length = i;
    return (i <= max) ? NX_SUCCESS : NX_POP3_PARAM_ERROR;
}

UINT _nx_pop3_credentials_check(const CHAR *name, const CHAR *password)
{
    ULONG length;
    UINT status = _nx_pop3_text_check(name, NX_POP3_MAX_USERNAME, &length);

    return (status == NX_SUCCESS) ? _nx_pop3_text_check(password, NX_POP3_MAX_PASSWORD, &length)
                                  : status;
}

POP3_LOGIN_SCOPE UINT _nx_pop3_apop(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                                    const CHAR *name, const CHAR *password)
{
    NX_POP3_ARGUMENTS arguments;
    NX_POP3_REPLY reply;
    CHAR hex[33];
    UINT status = NX_POP3_APOP_FAILED_MD5_DIGEST; /* no stamp: APOP is not offered */

    if (apop_stamp != NX_NULL)
    {
        status = _nx_pop3_apop_digest(apop_stamp, password, hex); /* wipes the stamp */
    }
    if (status == NX_SUCCESS)
    {
        arguments.text[0] = name;
        arguments.text[1] = hex;
        arguments.count = 2u;
        status = _nx_pop3_command(client_ptr, NX_POP3_COMMAND_APOP, &arguments, &reply);
        memset(hex, 0, sizeof(hex));
        client_ptr->nx_pop3_client_enable_APOP_authentication = (status == NX_SUCCESS);
        if (status == NX_SUCCESS)
        {
            client_ptr->nx_pop3_client_state = NX_POP3_STATE_TRANSACTION;
        }
    }
    return status;
}

POP3_LOGIN_SCOPE UINT _nx_pop3_user_pass(NX_POP3_CLIENT *client_ptr, const CHAR *name,
                                         const CHAR *password)
{
    NX_POP3_ARGUMENTS arguments;
    NX_POP3_REPLY reply;
    UINT status;

    /* Out of AUTHORIZATION the command layer refuses USER and PASS alike. */
    arguments.text[0] = name;
    arguments.count = 1u;
    status = _nx_pop3_command(client_ptr, NX_POP3_COMMAND_USER, &arguments, &reply);
    if (status == NX_SUCCESS)
    {
        arguments.text[0] = password;
        status = _nx_pop3_command(client_ptr, NX_POP3_COMMAND_PASS, &arguments, &reply);
    }
    if (status == NX_SUCCESS)
    {
        client_ptr->nx_pop3_client_enable_APOP_authentication = NX_FALSE;
        client_ptr->nx_pop3_client_state = NX_POP3_STATE_TRANSACTION;
    }
    return status;
}

UINT _nx_pop3_login(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                    const CHAR *name, const CHAR *password)
{
    UINT status = NX_POP3_APOP_FAILED_MD5_DIGEST;

    if (apop_stamp != NX_NULL)
    {
        status = _nx_pop3_apop(client_ptr, apop_stamp, name, password); /* wipes the stamp */
    }
    /* A refused APOP falls back to USER/PASS, as NetX does; nx_pop3_client_apop()
     * does not. */
    if ((status == NX_POP3_APOP_FAILED_MD5_DIGEST) || (status == NX_POP3_SERVER_ERROR_STATUS))
    {
        status = _nx_pop3_user_pass(client_ptr, name, password);
    }
    return status;
}
