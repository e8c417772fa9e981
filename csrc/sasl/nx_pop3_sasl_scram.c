/* SCRAM-SHA-256 (RFC 5802, RFC 7677), without channel binding ("n,,"):
 *   client-first  n,,n=NAME,r=CNONCE
 *   server-first  r=CNONCE+SNONCE,s=SALT,i=ITERATIONS[,extensions]
 *   client-final  c=biws,r=CNONCE+SNONCE,p=PROOF
 *   server-final  v=SIGNATURE  (or e=ERROR)
 * then an empty response and +OK. The password never goes out, and the client
 * logs in only once the server has shown, by its signature, that it holds the
 * salted password: a server that cannot is refused (NX_POP3_SERVER_NOT_VERIFIED).
 * The salted password and every key derived from it are wiped as soon as the
 * proof and the expected signature are computed. */
#define NX_POP3_SOURCE_CODE
#include "nx_pop3_sasl.h"

#if NX_POP3_CLIENT_ENABLE_SASL_SCRAM_SHA_256

#include "nx_base64.h"
#include "nx_crypto_wipe.h"
#include "nx_hmac.h"
#include "nx_pbkdf2.h"

#include <string.h>

/* Longest salt accepted, bytes once decoded (servers use 16 to 32). */
#define SCRAM_MAX_SALT 64u

/* One attribute "x=value" of a message: the value's place and length. */
typedef struct SCRAM_ATTRIBUTE_STRUCT
{
    const UCHAR *value;
    ULONG length;
} SCRAM_ATTRIBUTE;

/* The attribute named name at *offset (then past its ','): NX_TRUE when found. */
static UINT scram_attribute(const UCHAR *message, ULONG length, ULONG *offset, CHAR name,
                            SCRAM_ATTRIBUTE *attribute)
{
    ULONG start = *offset;
    ULONG end;

    if ((start + 2u > length) || (message[start] != (UCHAR)name) || (message[start + 1u] != '='))
    {
        return NX_FALSE;
    }
    for (end = start + 2u; (end < length) && (message[end] != ','); end++)
    {
    }
    attribute->value = &message[start + 2u];
    attribute->length = end - (start + 2u);
    *offset = (end < length) ? (end + 1u) : end;
    return NX_TRUE;
}

/* "n=NAME,r=CNONCE": the client-first message without its gs2 header. */
static VOID scram_client_first_bare(NX_POP3_SASL *sasl, NX_POP3_SASL_OUTPUT *output)
{
    _nx_pop3_sasl_put_text(output, "n=");
    _nx_pop3_sasl_put_saslname(output, sasl->name);
    _nx_pop3_sasl_put_text(output, ",r=");
    _nx_pop3_sasl_put_text(output, sasl->nonce);
}

/* The AuthMessage, fed to the client's and the server's HMAC at once. */
typedef struct SCRAM_AUTH_MESSAGE_STRUCT
{
    NX_POP3_SASL_OUTPUT output;
    NX_HMAC_SHA256 *client;
    NX_HMAC_SHA256 *server;
} SCRAM_AUTH_MESSAGE;

static VOID scram_auth_message_put(NX_POP3_SASL_OUTPUT *output, const UCHAR *data, ULONG length)
{
    SCRAM_AUTH_MESSAGE *message = (SCRAM_AUTH_MESSAGE *)output;

    _nx_hmac_sha256_update(message->client, data, length);
    _nx_hmac_sha256_update(message->server, data, length);
}

/* The keys that work from the password, salt and iteration count, and from
 * them the proof and the signature to expect. */
static VOID scram_prove(NX_POP3_SASL *sasl, const UCHAR *salt, ULONG salt_length,
                        ULONG iterations, const UCHAR *server_first, ULONG server_first_length)
{
    UCHAR salted[NX_SHA256_DIGEST_SIZE];
    UCHAR client_key[NX_SHA256_DIGEST_SIZE];
    UCHAR stored_key[NX_SHA256_DIGEST_SIZE];
    UCHAR server_key[NX_SHA256_DIGEST_SIZE];
    NX_HMAC_SHA256 client_hmac;
    NX_HMAC_SHA256 server_hmac;
    NX_SHA256 sha;
    SCRAM_AUTH_MESSAGE message = { { scram_auth_message_put }, &client_hmac, &server_hmac };
    UINT i;

    (VOID)_nx_pbkdf2_hmac_sha256((const UCHAR *)sasl->secret, sasl->secret_length, salt,
                                 salt_length, iterations, salted, sizeof(salted));
    _nx_hmac_sha256(salted, sizeof(salted), (const UCHAR *)"Client Key", 10u, client_key);
    _nx_hmac_sha256(salted, sizeof(salted), (const UCHAR *)"Server Key", 10u, server_key);
    _nx_sha256_initialize(&sha);
    _nx_sha256_update(&sha, client_key, sizeof(client_key));
    _nx_sha256_digest_calculate(&sha, stored_key);

    /* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
    _nx_hmac_sha256_initialize(&client_hmac, stored_key, sizeof(stored_key));
    _nx_hmac_sha256_initialize(&server_hmac, server_key, sizeof(server_key));
    scram_client_first_bare(sasl, &message.output);
    _nx_pop3_sasl_put(&message.output, ",", 1u);
    _nx_pop3_sasl_put(&message.output, server_first, server_first_length);
    _nx_pop3_sasl_put_text(&message.output, ",c=biws,r=");
    _nx_pop3_sasl_put(&message.output, sasl->scram_nonce, sasl->scram_nonce_length);
    _nx_hmac_sha256_digest_calculate(&client_hmac, sasl->scram_proof); /* ClientSignature */
    _nx_hmac_sha256_digest_calculate(&server_hmac, sasl->scram_server_signature);
    for (i = 0u; i < NX_SHA256_DIGEST_SIZE; i++)
    {
        sasl->scram_proof[i] ^= client_key[i]; /* ClientProof */
    }

    _nx_crypto_wipe(salted, sizeof(salted));
    _nx_crypto_wipe(client_key, sizeof(client_key));
    _nx_crypto_wipe(stored_key, sizeof(stored_key));
    _nx_crypto_wipe(server_key, sizeof(server_key));
    _nx_crypto_wipe(&client_hmac, sizeof(client_hmac));
    _nx_crypto_wipe(&server_hmac, sizeof(server_hmac));
    _nx_crypto_wipe(&sha, sizeof(sha));
}

/* The server-first message: our nonce extended, a salt, a sane iteration count. */
static UINT scram_server_first(NX_POP3_SASL *sasl, const UCHAR *message, ULONG length)
{
    SCRAM_ATTRIBUTE nonce;
    SCRAM_ATTRIBUTE salt_text;
    SCRAM_ATTRIBUTE count;
    UCHAR salt[SCRAM_MAX_SALT];
    ULONG salt_length = 0u;
    ULONG iterations = 0u;
    ULONG offset = 0u;
    ULONG own = (ULONG)strlen(sasl->nonce);
    ULONG i;
    UINT status = NX_POP3_INVALID_CHALLENGE;

    /* A mandatory extension ("m=") is one this client cannot know. */
    if (scram_attribute(message, length, &offset, 'r', &nonce) &&
        scram_attribute(message, length, &offset, 's', &salt_text) &&
        scram_attribute(message, length, &offset, 'i', &count) &&
        (nonce.length > own) && (memcmp(nonce.value, sasl->nonce, own) == 0) &&
        (count.length > 0u) && (count.length <= 8u))
    {
        status = NX_SUCCESS;
    }
    for (i = 0u; (status == NX_SUCCESS) && (i < nonce.length); i++)
    {
        if ((nonce.value[i] < 0x21u) || (nonce.value[i] > 0x7Eu))
        {
            status = NX_POP3_INVALID_CHALLENGE; /* printable, and ',' ended it */
        }
    }
    for (i = 0u; (status == NX_SUCCESS) && (i < count.length); i++)
    {
        if ((count.value[i] < '0') || (count.value[i] > '9'))
        {
            status = NX_POP3_INVALID_CHALLENGE;
        }
        else
        {
            iterations = iterations * 10u + (ULONG)(count.value[i] - '0'); /* 8 digits fit */
        }
    }
    if ((status == NX_SUCCESS) &&
        ((iterations < NX_POP3_SCRAM_MIN_ITERATIONS) || (iterations > NX_POP3_SCRAM_MAX_ITERATIONS)))
    {
        status = NX_POP3_INVALID_CHALLENGE;
    }
    if (status == NX_SUCCESS)
    {
        status = _nx_base64_decode((const CHAR *)salt_text.value, salt_text.length, salt,
                                   sizeof(salt), &salt_length);
        if ((status != NX_SUCCESS) || (salt_length == 0u))
        {
            status = NX_POP3_INVALID_CHALLENGE;
        }
    }
    if (status == NX_SUCCESS)
    {
        sasl->scram_nonce = nonce.value;
        sasl->scram_nonce_length = nonce.length;
        scram_prove(sasl, salt, salt_length, iterations, message, length);
    }
    _nx_crypto_wipe(salt, sizeof(salt));
    return status;
}

/* The server-final message: its signature, compared in constant time. */
static UINT scram_server_final(NX_POP3_SASL *sasl, const UCHAR *message, ULONG length)
{
    SCRAM_ATTRIBUTE attribute;
    UCHAR signature[NX_SHA256_DIGEST_SIZE + 3u];
    ULONG signature_length = 0u;
    ULONG offset = 0u;
    UCHAR difference = 0u;
    UINT status = NX_POP3_SERVER_NOT_VERIFIED;
    UINT i;

    if (scram_attribute(message, length, &offset, 'e', &attribute))
    {
        status = NX_POP3_SERVER_ERROR_STATUS; /* the server refused: -ERR follows */
    }
    else if (scram_attribute(message, length, &offset, 'v', &attribute) &&
             (_nx_base64_decode((const CHAR *)attribute.value, attribute.length, signature,
                                sizeof(signature), &signature_length) == NX_SUCCESS) &&
             (signature_length == NX_SHA256_DIGEST_SIZE))
    {
        for (i = 0u; i < NX_SHA256_DIGEST_SIZE; i++)
        {
            difference |= (UCHAR)(signature[i] ^ sasl->scram_server_signature[i]);
        }
        if (difference == 0u)
        {
            sasl->verified = NX_TRUE;
            status = NX_SUCCESS;
        }
    }
    _nx_crypto_wipe(sasl->scram_server_signature, sizeof(sasl->scram_server_signature));
    return status;
}

static UINT sasl_scram_challenge(NX_POP3_SASL *sasl, const UCHAR *challenge, ULONG length)
{
    UINT status = NX_POP3_INVALID_CHALLENGE;

    if (sasl->step == 1u)
    {
        status = scram_server_first(sasl, challenge, length);
    }
    else if (sasl->step == 2u)
    {
        status = scram_server_final(sasl, challenge, length);
    }
    return status;
}

static VOID sasl_scram_respond(NX_POP3_SASL *sasl, NX_POP3_SASL_OUTPUT *output)
{
    CHAR proof[NX_BASE64_ENCODED_LENGTH(NX_SHA256_DIGEST_SIZE) + 1u];

    if (sasl->step == 0u)
    {
        _nx_pop3_sasl_put_text(output, "n,,");
        scram_client_first_bare(sasl, output);
    }
    else if (sasl->step == 1u)
    {
        (VOID)_nx_base64_encode(sasl->scram_proof, sizeof(sasl->scram_proof), proof, sizeof(proof));
        _nx_pop3_sasl_put_text(output, "c=biws,r=");
        _nx_pop3_sasl_put(output, sasl->scram_nonce, sasl->scram_nonce_length);
        _nx_pop3_sasl_put_text(output, ",p=");
        _nx_pop3_sasl_put_text(output, proof);
        _nx_crypto_wipe(sasl->scram_proof, sizeof(sasl->scram_proof));
        _nx_crypto_wipe(proof, sizeof(proof));
    }
    /* After the server-final message (verified, or e=): an empty response. */
}

static UINT sasl_scram_success(NX_POP3_SASL *sasl)
{
    return (sasl->verified != 0u) ? NX_SUCCESS : NX_POP3_SERVER_NOT_VERIFIED;
}

const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_scram_sha_256 =
{
    "SCRAM-SHA-256", NX_POP3_SASL_SCRAM_SHA_256, NX_TRUE, sasl_scram_challenge,
    sasl_scram_respond, sasl_scram_success
};

#endif
