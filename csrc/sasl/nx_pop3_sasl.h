/**
 * @file nx_pop3_sasl.h
 * @brief SASL for POP3 (RFC 5034): the AUTH exchange (nx_pop3_sasl.c) and the
 *        interface each mechanism implements (one file per mechanism, each
 *        behind its NX_POP3_CLIENT_ENABLE_SASL_* macro). Internal to the client.
 *
 * A mechanism never touches the network. It reads each challenge, decoded from
 * base64 into the exchange's buffer, and writes each response, as raw bytes,
 * into an output; the exchange encodes them into packets, counts them (to know
 * whether an initial response fits the command line), or, for SCRAM, feeds
 * them to an HMAC. Adding a mechanism is one NX_POP3_SASL_* code, one macro,
 * one file, and one row in the table of nx_pop3_sasl.c.
 */
#ifndef NX_POP3_SASL_H
#define NX_POP3_SASL_H

#include "nxd_pop3_client.h"

#if NX_POP3_CLIENT_ENABLE_SASL

#if NX_POP3_CLIENT_ENABLE_SASL_SCRAM_SHA_256
#include "nx_sha256.h"
#endif

/** Where a response goes: put() takes raw bytes in any pieces. */
typedef struct NX_POP3_SASL_OUTPUT_STRUCT NX_POP3_SASL_OUTPUT;
struct NX_POP3_SASL_OUTPUT_STRUCT
{
    VOID (*put)(NX_POP3_SASL_OUTPUT *output, const UCHAR *data, ULONG length);
};

/** Writes length bytes of data to output. */
VOID _nx_pop3_sasl_put(NX_POP3_SASL_OUTPUT *output, const VOID *data, ULONG length);

/** Writes a NUL-terminated text (its length was checked by the exchange). */
VOID _nx_pop3_sasl_put_text(NX_POP3_SASL_OUTPUT *output, const CHAR *text);

/** Writes a name as a SASL "saslname" (RFC 5802, 7628): ',' as "=2C", '=' as "=3D". */
VOID _nx_pop3_sasl_put_saslname(NX_POP3_SASL_OUTPUT *output, const CHAR *name);

/** One exchange: the caller's credentials and the mechanism's state. On the
 *  stack of nx_pop3_client_auth(), wiped when it returns. */
typedef struct NX_POP3_SASL_STRUCT
{
    const CHAR *name;
    const CHAR *secret;
    ULONG secret_length;
    const CHAR *nonce;            /* SCRAM's client nonce */
    UINT step;                    /* responses sent (the initial one included) */
    UINT verified;                /* SCRAM: the server's signature matched */
    UINT refused;                 /* the server refused in a challenge (SCRAM e=, OAuth JSON) */
#if NX_POP3_CLIENT_ENABLE_SASL_CRAM_MD5
    CHAR cram_digest[33];         /* CRAM-MD5's answer, hex */
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_SCRAM_SHA_256
    const UCHAR *scram_nonce;     /* the whole nonce, in the server-first challenge */
    ULONG scram_nonce_length;
    UCHAR scram_proof[NX_SHA256_DIGEST_SIZE];
    UCHAR scram_server_signature[NX_SHA256_DIGEST_SIZE];
#endif
} NX_POP3_SASL;


/** A mechanism: its name in AUTH and CAPA, whether its first response is the
 *  client's (an initial response), and its two steps. */
typedef struct NX_POP3_SASL_MECHANISM_STRUCT
{
    CHAR name[14];
    UINT code;                    /* NX_POP3_SASL_* */
    UINT client_first;            /* NX_TRUE: it speaks first (may go as initial response) */
    /** A challenge (decoded, length bytes; the first of a client-first mechanism
     *  is its "+" with nothing, handled by the exchange). NX_SUCCESS: respond();
     *  NX_POP3_INVALID_CHALLENGE or NX_POP3_SERVER_NOT_VERIFIED: cancel and close;
     *  NX_POP3_SERVER_ERROR_STATUS: the server refused in the challenge: respond()
     *  as the mechanism says, then the -ERR is read. */
    UINT (*challenge)(NX_POP3_SASL *sasl, const UCHAR *challenge, ULONG length);
    /** The response of the present step (sasl->step responses sent before it);
     *  may be called twice for the same step (counting, then sending). */
    VOID (*respond)(NX_POP3_SASL *sasl, NX_POP3_SASL_OUTPUT *output);
    /** +OK arrived: NX_SUCCESS, or NX_POP3_SERVER_NOT_VERIFIED when the
     *  mechanism needs a proof from the server that did not come. NX_NULL: none. */
    UINT (*success)(NX_POP3_SASL *sasl);
} NX_POP3_SASL_MECHANISM;

/** Most challenges of one exchange, of any mechanism (SCRAM has two). */
#define NX_POP3_SASL_MAX_CHALLENGES 4u

/** The mask (1u << NX_POP3_SASL_*) of the mechanisms of this build named in a
 *  CAPA "SASL" line's arguments (case-insensitive). */
UINT _nx_pop3_sasl_offered(const CHAR *arguments);

/* The mechanisms, each in its own file. */
#if NX_POP3_CLIENT_ENABLE_SASL_PLAIN
extern const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_plain;
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_LOGIN
extern const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_login;
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_CRAM_MD5
extern const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_cram_md5;
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_SCRAM_SHA_256
extern const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_scram_sha_256;
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_XOAUTH2
extern const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_xoauth2;
#endif
#if NX_POP3_CLIENT_ENABLE_SASL_OAUTHBEARER
extern const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_oauthbearer;
#endif

#endif /* NX_POP3_CLIENT_ENABLE_SASL */

#endif /* NX_POP3_SASL_H */
