/* The MySQL password of `rdssecure connect|audit mysql` when the URI has
 * none: --password-file FILE (its first line; a file only its owner may
 * read), else MYSQL_PWD, else a prompt without echo when stdin is a
 * terminal, else none. */
#ifndef RDSSECURE_CLI_PASSWORD_H
#define RDSSECURE_CLI_PASSWORD_H

#include <stddef.h>

/* `uri` with the password from those sources written into it
 * (percent-encoded), or `uri` itself when it has one or none is found; a
 * malloc'd copy to wipe and free. NULL with `problem` filled when the file
 * cannot be used, a password is too long or the prompt's input ended, or
 * --password-file comes with a URI that has a password. */
char *uri_with_password(const char *uri, const char *password_file, char *problem, size_t problem_size);

#endif
