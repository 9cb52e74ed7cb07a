/* rdss_fake_server MODE: one fake server for the demo (blackhole, pg-no-tls,
 * my-no-tls, my-tls-stall) on 127.0.0.1; prints its port and serves until
 * it is killed. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fake_server.h"

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        fake_mode mode;
    } modes[] = {{"blackhole", FAKE_BLACKHOLE},
                 {"pg-no-tls", FAKE_PG_REFUSE_TLS},
                 {"my-no-tls", FAKE_MY_NO_TLS},
                 {"my-tls-stall", FAKE_MY_TLS_STALL}};
    for (size_t i = 0; argc == 2 && i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(argv[1], modes[i].name) != 0)
            continue;
        fake_server *server = fake_server_start(modes[i].mode);
        printf("%d\n", fake_server_port(server));
        fflush(stdout);
        for (;;)
            pause();
    }
    fprintf(stderr, "usage: %s blackhole|pg-no-tls|my-no-tls|my-tls-stall\n", argv[0]);
    return 2;
}
