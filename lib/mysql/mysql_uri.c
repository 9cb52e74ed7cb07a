#include "mysql/mysql_uri.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A percent-decoded copy of [start, end) into *out. */
static rdss_code decode(const char *start, const char *end, const char *what, char **out,
                        rdss_error **err)
{
    char *text = malloc((size_t)(end - start) + 1);
    if (text == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    char *o = text;
    for (const char *p = start; p < end; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        int byte = -1;
        if (end - p >= 3 && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0)
            byte = hex_value(p[1]) * 16 + hex_value(p[2]);
        if (byte <= 0) {
            free(text);
            return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                              "the %s in the mysql:// URI has a bad percent escape (%%XX with two "
                              "hex digits, not %%00)", what);
        }
        *o++ = (char)byte;
        p += 2;
    }
    *o = '\0';
    free(*out);
    *out = text;
    return RDSS_OK;
}

static rdss_code parse_port(const char *start, const char *end, unsigned *port, rdss_error **err)
{
    unsigned long value = 0;
    if (start == end || end - start > 5)
        goto bad;
    for (const char *p = start; p < end; p++) {
        if (!isdigit((unsigned char)*p))
            goto bad;
        value = value * 10 + (unsigned long)(*p - '0');
    }
    if (value == 0 || value > 65535)
        goto bad;
    *port = (unsigned)value;
    return RDSS_OK;
bad:
    return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                      "the port in the mysql:// URI must be a number from 1 to 65535, not \"%.*s\"",
                      (int)(end - start), start);
}

/* host, [v6], host:port or [v6]:port in [start, end). */
static rdss_code parse_host_port(const char *start, const char *end, rdss__mysql_uri *out, rdss_error **err)
{
    const char *host_end = end, *port_start = NULL;
    rdss_code code = RDSS_OK;
    if (start < end && *start == '[') {
        const char *close = memchr(start, ']', (size_t)(end - start));
        if (close == NULL || close == start + 1)
            return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                              "the IPv6 address in the mysql:// URI needs its closing ']'");
        if (close + 1 < end && close[1] != ':')
            return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                              "unexpected text after ']' in the mysql:// URI host");
        port_start = close + 1 < end ? close + 2 : NULL;
        code = decode(start + 1, close, "host", &out->host, err);
    } else {
        const char *colon = memchr(start, ':', (size_t)(end - start));
        if (colon != NULL) {
            host_end = colon;
            port_start = colon + 1;
        }
        if (host_end == start)
            return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "the mysql:// URI names no host");
        code = decode(start, host_end, "host", &out->host, err);
    }
    if (code != RDSS_OK)
        return code;
    if (strchr(out->host, ',') != NULL || strchr(out->host, '/') != NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "the mysql:// URI host \"%s\" must be one host name or address",
                          out->host);
    return port_start ? parse_port(port_start, end, &out->port, err) : RDSS_OK;
}

static rdss_code parse_option(char *key, char *value, rdss__mysql_uri *out, rdss_error **err)
{
    for (char *c = key; *c; c++)
        if (*c == '_')
            *c = '-';
    if (strcmp(key, "ssl-mode") == 0 || strcmp(key, "sslmode") == 0) {
        if (strcasecmp(value, "DISABLED") == 0 || strcasecmp(value, "PREFERRED") == 0)
            return rdss__fail(err, RDSS_ERR_INSECURE_OPTION,
                              "ssl-mode=%s would allow a connection without verified TLS; "
                              "librdssecure always uses VERIFY_IDENTITY", value);
        if (strcasecmp(value, "REQUIRED") == 0 || strcasecmp(value, "VERIFY_CA") == 0 ||
            strcasecmp(value, "VERIFY_IDENTITY") == 0)
            return RDSS_OK;
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "unknown ssl-mode \"%s\" in the mysql:// URI",
                          value);
    }
    char **slot = strcmp(key, "ssl-ca") == 0 ? &out->ssl_ca : strcmp(key, "charset") == 0 ? &out->charset : NULL;
    if (slot == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "unknown option \"%s\" in the mysql:// URI (known: ssl-mode, ssl-ca, charset)",
                          key);
    char *copy = strdup(value);
    if (copy == NULL)
        return rdss__fail(err, RDSS_ERR_INTERNAL, "out of memory");
    free(*slot);
    *slot = copy;
    return RDSS_OK;
}

static rdss_code parse_query(const char *start, const char *end, rdss__mysql_uri *out, rdss_error **err)
{
    while (start < end) {
        const char *amp = memchr(start, '&', (size_t)(end - start));
        const char *item_end = amp ? amp : end;
        const char *equals = memchr(start, '=', (size_t)(item_end - start));
        if (equals == NULL || equals == start)
            return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                              "the mysql:// URI option \"%.*s\" is not key=value",
                              (int)(item_end - start), start);
        char *key = NULL, *value = NULL;
        rdss_code code = decode(start, equals, "option name", &key, err);
        if (code == RDSS_OK)
            code = decode(equals + 1, item_end, "option value", &value, err);
        if (code == RDSS_OK && key != NULL && value != NULL)
            code = parse_option(key, value, out, err);
        free(key);
        free(value);
        if (code != RDSS_OK)
            return code;
        start = amp ? amp + 1 : end;
    }
    return RDSS_OK;
}

static rdss_code parse(const char *uri, rdss__mysql_uri *out, rdss_error **err)
{
    const char *rest = NULL;
    if (strncasecmp(uri, "mysql://", 8) == 0)
        rest = uri + 8;
    else if (strncasecmp(uri, "mariadb://", 10) == 0)
        rest = uri + 10;
    else
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                          "not a mysql:// URI (mysql://user:password@host:port/database)");
    const char *end = rest + strlen(rest);
    const char *query = strchr(rest, '?');
    const char *authority_end = rest + strcspn(rest, "/?");
    const char *at = NULL;
    for (const char *p = rest; p < authority_end; p++)
        if (*p == '@')
            at = p; /* the last '@': a password may hold a raw one */
    rdss_code code = RDSS_OK;
    if (at != NULL) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        code = decode(rest, colon ? colon : at, "user name", &out->user, err);
        if (code == RDSS_OK && colon != NULL)
            code = decode(colon + 1, at, "password", &out->password, err);
        if (code != RDSS_OK)
            return code;
        rest = at + 1;
    }
    code = parse_host_port(rest, authority_end, out, err);
    if (code == RDSS_OK && *authority_end == '/') {
        const char *db_end = query ? query : end;
        if (db_end > authority_end + 1) {
            code = decode(authority_end + 1, db_end, "database", &out->database, err);
            if (code != RDSS_OK)
                return code;
            if (strchr(out->database, '/') != NULL)
                return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT,
                                  "the mysql:// URI path must be one database name");
        }
    }
    if (code == RDSS_OK && query != NULL)
        code = parse_query(query + 1, end, out, err);
    return code;
}

rdss_code rdss__mysql_uri_parse(const char *uri, rdss__mysql_uri *out, rdss_error **err)
{
    memset(out, 0, sizeof(*out));
    if (uri == NULL)
        return rdss__fail(err, RDSS_ERR_INVALID_ARGUMENT, "the mysql:// URI is NULL");
    rdss_code code = parse(uri, out, err);
    if (code != RDSS_OK) {
        rdss__mysql_uri_free(out);
        return code;
    }
    return rdss__succeed(err);
}

void rdss__mysql_uri_free(rdss__mysql_uri *uri)
{
    free(uri->user);
    free(uri->password);
    free(uri->host);
    free(uri->database);
    free(uri->ssl_ca);
    free(uri->charset);
    memset(uri, 0, sizeof(*uri));
}
