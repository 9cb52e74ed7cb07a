/* Error names, descriptions and error objects. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rdss_error {
    rdss_code code;
    char *message;
    char *driver_message;
    char *cert_subject;
    char *cert_issuer;
    char *cert_not_after;
    char *chain_not_after;
};

/* Returned when an error object cannot be allocated; never freed or changed. */
static struct rdss_error out_of_memory_error = {
    RDSS_ERR_INTERNAL, (char *)"out of memory while reporting an error", NULL, NULL, NULL, NULL, NULL};

/* Deliberately no `default:` in these switches: with -Wswitch (in -Wall) and
 * -Werror, a code added to the enum without a name or description fails the
 * build. */
const char *rdss_error_name(int code)
{
    if (code < RDSS_OK || code > RDSS_CODE_MAX)
        return "unknown";
    switch ((rdss_code)code) {
    case RDSS_OK: return "ok";
    case RDSS_ERR_CERT_VERIFY: return "cert_verify";
    case RDSS_ERR_HOSTNAME_MISMATCH: return "hostname_mismatch";
    case RDSS_ERR_TLS_REFUSED: return "tls_refused";
    case RDSS_ERR_TIMEOUT: return "timeout";
    case RDSS_ERR_AUTH: return "auth";
    case RDSS_ERR_NETWORK: return "network";
    case RDSS_ERR_INSECURE_OPTION: return "insecure_option";
    case RDSS_ERR_BUNDLE: return "bundle";
    case RDSS_ERR_INVALID_ARGUMENT: return "invalid_argument";
    case RDSS_ERR_SERVER: return "server";
    case RDSS_ERR_INTERNAL: return "internal";
    }
    return "unknown";
}

const char *rdss_strerror(int code)
{
    if (code < RDSS_OK || code > RDSS_CODE_MAX)
        return "unknown error code";
    switch ((rdss_code)code) {
    case RDSS_OK: return "connected over TLS; certificate chain and host name verified";
    case RDSS_ERR_CERT_VERIFY: return "the server's certificate chain does not verify against the trusted CA bundle";
    case RDSS_ERR_HOSTNAME_MISMATCH: return "the server's certificate does not cover the requested host name";
    case RDSS_ERR_TLS_REFUSED: return "the server refused TLS or offers none we allow";
    case RDSS_ERR_TIMEOUT: return "the connect deadline passed";
    case RDSS_ERR_AUTH: return "TLS was verified, then the server rejected the credentials";
    case RDSS_ERR_NETWORK: return "the server could not be reached (name resolution, refused, unreachable, reset)";
    case RDSS_ERR_INSECURE_OPTION: return "an option would weaken TLS; nothing was sent";
    case RDSS_ERR_BUNDLE: return "the CA bundle is missing, unreadable, malformed or unsafe";
    case RDSS_ERR_INVALID_ARGUMENT: return "a NULL or malformed argument";
    case RDSS_ERR_SERVER: return "TLS was verified, then the server failed the connection";
    case RDSS_ERR_INTERNAL: return "out of memory or an unexpected library failure";
    }
    return "unknown error code";
}

int rdss_code_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    for (int code = RDSS_OK; code <= RDSS_CODE_MAX; code++)
        if (strcmp(rdss_error_name(code), name) == 0)
            return code;
    return -1;
}

RDSS__PRINTF(1, 0) static char *vformat(const char *fmt, va_list ap)
{
    va_list measure;
    va_copy(measure, ap);
    int len = vsnprintf(NULL, 0, fmt, measure); /* NOLINT(clang-analyzer-valist.Uninitialized): va_copy above */
    va_end(measure);
    if (len < 0)
        return NULL;
    char *text = malloc((size_t)len + 1);
    if (text != NULL)
        vsnprintf(text, (size_t)len + 1, fmt, ap);
    return text;
}

/* The length of the valid UTF-8 sequence at `s` that is printable text
 * (not a C1 control, not U+2028/U+2029, which some readers take for line
 * breaks), or 0. */
static size_t printable_utf8(const unsigned char *s)
{
    size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0)
        return 0; /* C1 controls */
    if (len == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
                     (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))))
        return 0; /* overlong, surrogate, line and paragraph separators */
    if (len == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
        return 0;
    return len;
}

/* Makes `text` one line of printable text: each run of control characters
 * (libpq's messages end with a newline and may hold several lines; a server
 * that has not shown a certificate may send anything) becomes one space,
 * bytes that are not printable UTF-8 become '?', and trailing spaces go. A
 * message cannot then forge a second line or drive a terminal. */
static void one_line(char *text)
{
    unsigned char *out = (unsigned char *)text;
    for (const unsigned char *in = (const unsigned char *)text; *in != '\0';) {
        size_t len = *in < 0x80 ? 1 : printable_utf8(in);
        if (*in < 0x20 || *in == 0x7f) {
            if (out > (unsigned char *)text && out[-1] != ' ')
                *out++ = ' ';
            in++;
        } else if (len == 0) {
            *out++ = '?';
            in++;
        } else {
            memmove(out, in, len);
            out += len;
            in += len;
        }
    }
    while (out > (unsigned char *)text && out[-1] == ' ')
        out--;
    *out = '\0';
}

RDSS__PRINTF(2, 0) static rdss_error *error_vnew(rdss_code code, const char *fmt, va_list ap)
{
    rdss_error *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return &out_of_memory_error;
    e->code = code;
    e->message = vformat(fmt, ap);
    if (e->message == NULL) {
        free(e);
        return &out_of_memory_error;
    }
    one_line(e->message);
    return e;
}

rdss_error *rdss__error_new(rdss_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rdss_error *e = error_vnew(code, fmt, ap);
    va_end(ap);
    return e;
}

rdss_code rdss__fail(rdss_error **err, rdss_code code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    va_list ap;
    va_start(ap, fmt);
    *err = error_vnew(code, fmt, ap);
    va_end(ap);
    return code;
}

rdss_code rdss__hand_over(rdss_error **err, rdss_error *e)
{
    rdss_code code = rdss_error_code(e);
    if (err != NULL)
        *err = e;
    else
        rdss_error_free(e);
    return code;
}

rdss_code rdss__succeed(rdss_error **err)
{
    if (err != NULL)
        *err = NULL;
    return RDSS_OK;
}

static void replace_string(char **field, const char *value)
{
    if (value == NULL)
        return;
    char *copy = strdup(value);
    if (copy == NULL)
        return; /* detail is optional: keep the error usable without it */
    free(*field);
    *field = copy;
}

void rdss__error_set_driver_message(rdss_error *e, const char *message)
{
    if (e == NULL || e == &out_of_memory_error || message == NULL || message[0] == '\0')
        return;
    replace_string(&e->driver_message, message);
    if (e->driver_message != NULL)
        one_line(e->driver_message);
}

void rdss__error_set_cert(rdss_error *e, const char *subject, const char *issuer,
                          const char *not_after)
{
    if (e == NULL || e == &out_of_memory_error)
        return;
    replace_string(&e->cert_subject, subject);
    replace_string(&e->cert_issuer, issuer);
    replace_string(&e->cert_not_after, not_after);
}

void rdss__error_set_chain_not_after(rdss_error *e, const char *not_after)
{
    if (e == NULL || e == &out_of_memory_error)
        return;
    replace_string(&e->chain_not_after, not_after);
}

/* The message with `added` before or after it. */
RDSS__PRINTF(3, 0) static void join_message(rdss_error *e, int before, const char *fmt, va_list ap)
{
    if (e == NULL || e == &out_of_memory_error)
        return;
    char *added = vformat(fmt, ap);
    if (added == NULL)
        return;
    size_t len = strlen(added) + strlen(e->message) + 1;
    char *joined = malloc(len);
    if (joined != NULL) {
        snprintf(joined, len, "%s%s", before ? added : e->message, before ? e->message : added);
        one_line(joined);
        free(e->message);
        e->message = joined;
    }
    free(added);
}

void rdss__error_prefix_message(rdss_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    join_message(e, 1, fmt, ap);
    va_end(ap);
}

void rdss__error_append_message(rdss_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    join_message(e, 0, fmt, ap);
    va_end(ap);
}

rdss_code rdss_error_code(const rdss_error *err)
{
    return err == NULL ? RDSS_OK : err->code;
}

const char *rdss_error_message(const rdss_error *err)
{
    return err == NULL ? "" : err->message;
}

const char *rdss_error_driver_message(const rdss_error *err)
{
    return err == NULL ? NULL : err->driver_message;
}

const char *rdss_error_cert_subject(const rdss_error *err)
{
    return err == NULL ? NULL : err->cert_subject;
}

const char *rdss_error_cert_issuer(const rdss_error *err)
{
    return err == NULL ? NULL : err->cert_issuer;
}

const char *rdss_error_cert_not_after(const rdss_error *err)
{
    return err == NULL ? NULL : err->cert_not_after;
}

const char *rdss_error_chain_not_after(const rdss_error *err)
{
    return err == NULL ? NULL : err->chain_not_after;
}

void rdss_error_free(rdss_error *err)
{
    if (err == NULL || err == &out_of_memory_error)
        return;
    free(err->message);
    free(err->driver_message);
    free(err->cert_subject);
    free(err->cert_issuer);
    free(err->cert_not_after);
    free(err->chain_not_after);
    free(err);
}
