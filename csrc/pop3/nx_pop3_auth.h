/**
 * @file nx_pop3_auth.h
 * @brief Authentication: the APOP timestamp, found in the greeting as it passes
 *        the status-line parser (a sink of its text bytes) and hashed at once,
 *        and the login (APOP, USER/PASS). Internal to the client.
 *
 * The timestamp is the first <...@...> of the greeting, restarting at every
 * '<' (RFC 1939, 7): linear time and constant memory whatever the greeting.
 */
#ifndef NX_POP3_AUTH_H
#define NX_POP3_AUTH_H

#include "nxd_pop3_client.h"

/** Starts looking for a timestamp. */
VOID _nx_pop3_apop_stamp_start(NX_POP3_APOP_STAMP *stamp);

/** One byte of greeting text; the signature of an NX_POP3_REPLY_SINK, with
 *  context an NX_POP3_APOP_STAMP. */
VOID _nx_pop3_apop_stamp_byte(VOID *context, UCHAR c);

/** NX_TRUE when a complete timestamp went into the stamp's MD5. */
UINT _nx_pop3_apop_stamp_found(const NX_POP3_APOP_STAMP *stamp);

/** The APOP digest: MD5(timestamp + secret) as 32 lowercase hex digits and a
 *  NUL in hex[33]. The stamp is wiped, found or not. NX_POP3_APOP_FAILED_MD5_DIGEST
 *  when the greeting had no timestamp. */
UINT _nx_pop3_apop_digest(NX_POP3_APOP_STAMP *stamp, const CHAR *secret, CHAR hex[33]);

/** Logs in from the AUTHORIZATION state: APOP when apop_stamp (or NX_NULL)
 *  holds the greeting's timestamp, falling back to USER/PASS when the server
 *  answers -ERR (as NetX does); USER/PASS otherwise. The credentials were
 *  checked by the caller. */
UINT _nx_pop3_login(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                    const CHAR *name, const CHAR *password);

#if NX_POP3_CLIENT_ENABLE_SASL
/** NX_SUCCESS for a text of at most max characters (no NUL) holding neither CR
 *  nor LF, their count in *length; NX_POP3_PARAM_ERROR otherwise. At most max + 1
 *  bytes are read. */
UINT _nx_pop3_text_check(const CHAR *text, ULONG max, ULONG *length);

/** "APOP name digest" only (no fallback): NX_POP3_APOP_FAILED_MD5_DIGEST with
 *  nothing sent when apop_stamp is NX_NULL or holds no timestamp. The stamp is
 *  wiped. The credentials were checked by the caller. */
UINT _nx_pop3_apop(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                   const CHAR *name, const CHAR *password);

/** "USER name", "PASS password" only. The credentials were checked by the caller. */
UINT _nx_pop3_user_pass(NX_POP3_CLIENT *client_ptr, const CHAR *name, const CHAR *password);
#endif

/** NX_SUCCESS for a name of at most NX_POP3_MAX_USERNAME and a password of at
 *  most NX_POP3_MAX_PASSWORD characters, neither holding CR or LF;
 *  NX_POP3_PARAM_ERROR otherwise (a CR or LF would inject a command). Checked in
 *  the core, not only in the checking layer, for that reason. */
UINT _nx_pop3_credentials_check(const CHAR *name, const CHAR *password);

#endif /* NX_POP3_AUTH_H */
