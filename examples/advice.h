/* Shared by the examples: the advice a person needs for each typed error.
 * A program acts on the code; people read this. */
#ifndef RDSSECURE_EXAMPLE_ADVICE_H
#define RDSSECURE_EXAMPLE_ADVICE_H

#include <rdssecure/rdssecure.h>

/* What to do about each failure: the troubleshooting a team needs at 2 AM. */
static const char *advice(rdss_code code)
{
    switch (code) {
    case RDSS_ERR_CERT_VERIFY:
        return "The server's certificate does not chain to a trusted CA. After an RDS CA rotation "
               "this means the bundle is out of date: download the current global bundle and point "
               "RDSSECURE_CA_BUNDLE (or the BUNDLE argument) at it.";
    case RDSS_ERR_HOSTNAME_MISMATCH:
        return "The certificate is valid but names another host. Connect with the RDS endpoint "
               "name; through a tunnel or a CNAME, keep verification and set the verify-name to "
               "the endpoint (rdss_config_set_verify_name).";
    case RDSS_ERR_TLS_REFUSED:
        return "The server does not offer TLS: check the endpoint and port, and that the server "
               "has TLS configured (RDS always offers it).";
    case RDSS_ERR_TIMEOUT:
        return "No answer in time: check security groups (inbound to the database port from "
               "this host), network ACLs and routing; this is seldom a TLS problem.";
    case RDSS_ERR_NETWORK:
        return "The server could not be reached: check the endpoint name (DNS) and port.";
    case RDSS_ERR_AUTH:
        return "TLS was fine; the user name or password is wrong.";
    case RDSS_ERR_SERVER:
        return "TLS was fine; the server refused for another reason (database name, connection limit).";
    case RDSS_ERR_INSECURE_OPTION:
        return "The connection string, a handle option or an option file asks for something weaker "
               "than verified TLS; remove it.";
    case RDSS_ERR_BUNDLE:
        return "The CA bundle cannot be used: fix the file the message names.";
    case RDSS_ERR_INVALID_ARGUMENT:
        return "The connection string or an option is malformed.";
    case RDSS_ERR_INTERNAL:
        return "An unexpected failure inside the library (out of memory?).";
    case RDSS_OK:
        break;
    }
    return "";
}

#endif
