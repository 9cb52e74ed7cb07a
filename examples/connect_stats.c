/* connect_stats: connect to each TARGET once (a libpq conninfo or a mysql://
 * URI) and print the process's connect counters, as a monitoring agent
 * would export them (one line per typed result).
 *
 *   example_connect_stats 'host=db1... user=app dbname=app' mysql://app:pw@db2.../app
 */
#include <stdio.h>
#include <string.h>

#include <rdssecure/mysql.h>
#include <rdssecure/pg.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "mysql://", 8) == 0) {
            MYSQL *mysql = mysql_init(NULL);
            rdss_mysql_connect_uri(NULL, mysql, argv[i], 0, NULL);
            mysql_close(mysql);
        } else {
            PQfinish(rdss_pg_connect(NULL, argv[i], NULL));
        }
    }
    /* Counters are per process and thread-safe: read them whenever. */
    printf("rdssecure_connect_attempts %llu\n", rdss_stats_attempts());
    for (int code = 0; code <= RDSS_CODE_MAX; code++)
        printf("rdssecure_connect_results{result=\"%s\"} %llu\n", rdss_error_name(code),
               rdss_stats_results(code));
    mysql_library_end();
    return 0;
}
