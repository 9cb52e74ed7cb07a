/* dladdr(), strdup() and strndup() are extensions; the build uses -std=c11. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "driver_options.h"

#include <ctype.h>
#include <dlfcn.h>
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <mysql.h>

/* ---- list helpers ---------------------------------------------------- */

void driver_option_list_free(driver_option_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].name);
        free(list->items[i].envvar);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

/* Appends a copy of name (and envvar), skipping names already listed:
 * libmariadb's table repeats some keys. Returns 0 or -1 on allocation failure. */
static int options_add(driver_option_list *list, const char *name, size_t name_len,
                       const char *envvar)
{
    for (size_t i = 0; i < list->count; i++)
        if (strlen(list->items[i].name) == name_len &&
            memcmp(list->items[i].name, name, name_len) == 0)
            return 0;
    /* Grow by doubling: capacity is the next power of two >= count. */
    if ((list->count & (list->count - 1)) == 0) {
        size_t cap = list->count ? list->count * 2 : 1;
        driver_option *items = realloc(list->items, cap * sizeof(*items));
        if (items == NULL)
            return -1;
        list->items = items;
    }
    driver_option *item = &list->items[list->count];
    item->name = strndup(name, name_len);
    item->envvar = envvar ? strdup(envvar) : NULL;
    if (item->name == NULL || (envvar && item->envvar == NULL)) {
        free(item->name);
        free(item->envvar);
        return -1;
    }
    list->count++;
    return 0;
}

/* Reads a whole file into a NUL-terminated buffer. */
static unsigned char *read_whole_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char *buf = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && len < (1L << 28) &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) != NULL) {
        if (fread(buf, 1, (size_t)len, f) == (size_t)len) {
            buf[len] = '\0';
            *size = (size_t)len;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* ---- libpq ----------------------------------------------------------- */

int driver_options_libpq(driver_option_list *out)
{
    *out = (driver_option_list){0};
    PQconninfoOption *opts = PQconndefaults();
    /* PQconndefaults() also fails when PGSERVICE names a service that does
     * not exist; parsing an empty string lists the same keywords without
     * looking at the environment. */
    if (opts == NULL)
        opts = PQconninfoParse("", NULL);
    if (opts == NULL)
        return -1;
    int rc = 0;
    for (PQconninfoOption *o = opts; o->keyword != NULL && rc == 0; o++)
        rc = options_add(out, o->keyword, strlen(o->keyword), o->envvar);
    PQconninfoFree(opts);
    if (rc == 0 && out->count == 0)
        rc = -1;
    if (rc != 0)
        driver_option_list_free(out);
    return rc;
}

/* ---- libmariadb option-file keys, read from its ELF image ------------ */

/*
 * The keys live in a static array of
 *     struct { union { int option; void *func; } u; int type; const char *conf_key; }
 * (24 bytes on LP64, conf_key at offset 16) that ends with a NULL conf_key.
 * The library is position independent, so each conf_key is filled at load
 * time by a RELATIVE relocation whose addend is the string's address.
 * The array is found by its first two keys, "port" then "socket".
 */
enum { ENTRY_SIZE = 24, KEY_OFFSET = 16, TYPE_OFFSET = 8, MAX_ENTRIES = 4096 };

typedef struct elf_image {
    const unsigned char *data;
    size_t size;
    Elf64_Ehdr eh;
    struct reloc { uint64_t at, value; } *relocs; /* RELATIVE relocations only */
    size_t nrelocs;
} elf_image;

/* Bounds-checked copy out of the file (avoids unaligned struct access). */
static int elf_read(const elf_image *im, uint64_t off, void *dst, size_t n)
{
    if (off > im->size || n > im->size - off)
        return -1;
    memcpy(dst, im->data + off, n);
    return 0;
}

static int elf_phdr(const elf_image *im, size_t i, Elf64_Phdr *ph)
{
    return elf_read(im, im->eh.e_phoff + (uint64_t)i * im->eh.e_phentsize, ph, sizeof(*ph));
}

/* Maps a virtual address to a file offset through the PT_LOAD segments;
 * *avail is how many file-backed bytes follow it in that segment. */
static int elf_va_to_off(const elf_image *im, uint64_t va, uint64_t *off, uint64_t *avail)
{
    for (size_t i = 0; i < im->eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (elf_phdr(im, i, &ph) != 0)
            return -1;
        if (ph.p_type != PT_LOAD || ph.p_offset >= im->size || va < ph.p_vaddr ||
            va - ph.p_vaddr >= ph.p_filesz)
            continue;
        if (va - ph.p_vaddr >= im->size - ph.p_offset)
            return -1;
        *off = ph.p_offset + (va - ph.p_vaddr);
        *avail = ph.p_filesz - (va - ph.p_vaddr);
        if (*avail > im->size - *off)
            *avail = im->size - *off;
        return 0;
    }
    return -1;
}

/* Loads the RELATIVE relocations listed by the dynamic segment (DT_RELA). */
static int elf_load_relocs(elf_image *im)
{
    uint32_t relative;
    if (im->eh.e_machine == EM_X86_64)
        relative = R_X86_64_RELATIVE;
    else if (im->eh.e_machine == EM_AARCH64)
        relative = R_AARCH64_RELATIVE;
    else
        return -1;

    uint64_t rela = 0, relasz = 0, relaent = 0;
    for (size_t i = 0; i < im->eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (elf_phdr(im, i, &ph) != 0)
            return -1;
        if (ph.p_type != PT_DYNAMIC)
            continue;
        for (uint64_t d = 0; d + sizeof(Elf64_Dyn) <= ph.p_filesz; d += sizeof(Elf64_Dyn)) {
            Elf64_Dyn dyn;
            if (elf_read(im, ph.p_offset + d, &dyn, sizeof(dyn)) != 0 || dyn.d_tag == DT_NULL)
                break;
            if (dyn.d_tag == DT_RELA)
                rela = dyn.d_un.d_ptr;
            else if (dyn.d_tag == DT_RELASZ)
                relasz = dyn.d_un.d_val;
            else if (dyn.d_tag == DT_RELAENT)
                relaent = dyn.d_un.d_val;
        }
    }
    uint64_t off, avail;
    if (rela == 0 || relaent < sizeof(Elf64_Rela) || elf_va_to_off(im, rela, &off, &avail) != 0 ||
        relasz > avail)
        return -1;
    size_t n = relasz / relaent;
    im->relocs = calloc(n ? n : 1, sizeof(*im->relocs));
    if (im->relocs == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        Elf64_Rela r;
        if (elf_read(im, off + i * relaent, &r, sizeof(r)) != 0)
            return -1;
        if (ELF64_R_TYPE(r.r_info) == relative)
            im->relocs[im->nrelocs++] = (struct reloc){r.r_offset, (uint64_t)r.r_addend};
    }
    return 0;
}

/* The pointer a data slot holds once loaded: a RELATIVE relocation's addend,
 * else whatever the file holds there (0 for the terminating NULL). */
static uint64_t elf_slot(const elf_image *im, uint64_t va)
{
    for (size_t i = 0; i < im->nrelocs; i++)
        if (im->relocs[i].at == va)
            return im->relocs[i].value;
    uint64_t off, avail, value = 0;
    if (elf_va_to_off(im, va, &off, &avail) == 0 && avail >= sizeof(value))
        elf_read(im, off, &value, sizeof(value));
    return value;
}

/* The option-file key at va, or NULL if va does not hold a plausible key. */
static const char *elf_key(const elf_image *im, uint64_t va)
{
    uint64_t off, avail;
    if (va == 0 || elf_va_to_off(im, va, &off, &avail) != 0)
        return NULL;
    const char *s = (const char *)im->data + off;
    size_t len = 0;
    while (len < avail && len < 64 && (isalnum((unsigned char)s[len]) || s[len] == '-' ||
                                       s[len] == '_'))
        len++;
    return len > 0 && len < avail && s[len] == '\0' ? s : NULL;
}

static int key_is(const elf_image *im, uint64_t va, const char *want)
{
    const char *s = elf_key(im, va);
    return s != NULL && strcmp(s, want) == 0;
}

/* Finds the table and collects its keys. */
static int elf_collect_keys(const elf_image *im, driver_option_list *out)
{
    uint64_t first = 0;
    size_t found = 0;
    for (size_t i = 0; i < im->nrelocs; i++)
        if (key_is(im, im->relocs[i].value, "port") &&
            key_is(im, elf_slot(im, im->relocs[i].at + ENTRY_SIZE), "socket")) {
            first = im->relocs[i].at;
            found++;
        }
    if (found != 1) /* none, or ambiguous: the layout is not what we expect */
        return -1;

    for (size_t n = 0; n < MAX_ENTRIES; n++) {
        uint64_t slot = first + n * ENTRY_SIZE;
        uint64_t value = elf_slot(im, slot);
        if (value == 0)
            return out->count > 0 ? 0 : -1;
        /* The entry's type is a small enum; a wild value means we are not
         * stepping through the array we think we are. */
        uint64_t off, avail;
        int32_t type;
        const char *key = elf_key(im, value);
        if (key == NULL || elf_va_to_off(im, slot - KEY_OFFSET + TYPE_OFFSET, &off, &avail) != 0 ||
            elf_read(im, off, &type, sizeof(type)) != 0 || type < 0 || type > 15)
            return -1;
        if (options_add(out, key, strlen(key), NULL) != 0)
            return -1;
    }
    return -1;
}

static int keys_from_file(const char *path, driver_option_list *out)
{
    elf_image im = {0};
    im.data = read_whole_file(path, &im.size);
    if (im.data == NULL)
        return -1;
    const uint16_t probe = 1; /* fields are read in host order: host must be little-endian too */
    int rc = -1;
    if (im.size >= sizeof(im.eh) && memcmp(im.data, ELFMAG, SELFMAG) == 0 &&
        im.data[EI_CLASS] == ELFCLASS64 && im.data[EI_DATA] == ELFDATA2LSB &&
        *(const unsigned char *)&probe == 1 && elf_read(&im, 0, &im.eh, sizeof(im.eh)) == 0 &&
        im.eh.e_phentsize >= sizeof(Elf64_Phdr) && elf_load_relocs(&im) == 0)
        rc = elf_collect_keys(&im, out);
    free(im.relocs);
    free((void *)im.data);
    if (rc != 0)
        driver_option_list_free(out);
    return rc;
}

int driver_options_mariadb_keys(driver_option_list *out)
{
    *out = (driver_option_list){0};
    /* In a program built without -fpic, &mysql_init is the program's own
     * PLT stub and dladdr() names the program; the version string that
     * mysql_get_client_info() returns lives in the library's .rodata. */
    const void *probes[] = {(const void *)&mysql_init, mysql_get_client_info()};
    const char *tried = NULL;
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        Dl_info info;
        if (dladdr(probes[i], &info) == 0 || info.dli_fname == NULL ||
            (tried != NULL && strcmp(tried, info.dli_fname) == 0))
            continue;
        if (keys_from_file(info.dli_fname, out) == 0)
            return 0;
        tried = info.dli_fname;
    }
    return -1;
}

/* ---- enum mysql_option from mysql.h ---------------------------------- */

/* Blanks comments and preprocessor lines in place, keeping newlines. */
static void strip_c(char *s)
{
    int line_start = 1, in_directive = 0, backslash = 0;
    for (char *p = s; *p != '\0'; p++) {
        if (p[0] == '/' && p[1] == '*') {
            char *end = strstr(p + 2, "*/");
            char *stop = end ? end + 2 : p + strlen(p);
            for (; p < stop; p++)
                if (*p != '\n')
                    *p = ' ';
            p--;
            continue;
        }
        if (p[0] == '/' && p[1] == '/') {
            while (*p != '\0' && *p != '\n')
                *p++ = ' ';
            if (*p == '\0')
                break;
        }
        if (*p == '\n') {
            /* A directive goes on past a newline escaped by a backslash. */
            in_directive = in_directive && backslash;
            line_start = 1;
            continue;
        }
        if (line_start && *p == '#')
            in_directive = 1;
        if (!isspace((unsigned char)*p))
            line_start = 0;
        backslash = *p == '\\';
        if (in_directive) {
            *p = ' ';
        } else if (*p == '"' || *p == '\'') {
            /* Skip a literal whole: a comment opener inside one is text. */
            char quote = *p;
            for (p++; *p != '\0' && *p != quote && *p != '\n'; p++)
                if (*p == '\\' && p[1] != '\0')
                    p++;
            if (*p != quote)
                p--; /* let the loop see the newline or the end */
        }
    }
}

static const char *skip_space(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

static size_t ident_len(const char *p)
{
    size_t n = 0;
    if (isalpha((unsigned char)*p) || *p == '_')
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
    return n;
}

/* Returns the character after `enum mysql_option {`, or NULL. */
static const char *find_enum_body(const char *text)
{
    for (const char *p = text; (p = strstr(p, "enum")) != NULL; p += 4) {
        if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            continue;
        const char *q = skip_space(p + 4);
        if (q == p + 4 || ident_len(q) != strlen("mysql_option") ||
            strncmp(q, "mysql_option", ident_len(q)) != 0)
            continue;
        q = skip_space(q + ident_len(q));
        if (*q == '{') /* a definition, not a use such as a parameter type */
            return q + 1;
    }
    return NULL;
}

int driver_options_mysql_enum(const char *mysql_h_path, driver_option_list *out)
{
    *out = (driver_option_list){0};
    size_t size;
    char *text = (char *)read_whole_file(mysql_h_path, &size);
    if (text == NULL)
        return -1;
    strip_c(text);

    int rc = -1;
    const char *p = find_enum_body(text);
    while (p != NULL) {
        p = skip_space(p);
        if (*p == '}') { /* also accepts a trailing comma */
            rc = out->count > 0 ? 0 : -1;
            break;
        }
        size_t n = ident_len(p);
        if (n == 0 || options_add(out, p, n, NULL) != 0)
            break;
        p = skip_space(p + n);
        if (*p == '=') { /* skip the initializer up to a top-level ',' or '}' */
            int depth = 0;
            for (; *p != '\0' && (depth > 0 || (*p != ',' && *p != '}')); p++)
                depth += (*p == '(') - (*p == ')');
        }
        if (*p == ',')
            p++;
        else if (*p != '}')
            break;
    }
    free(text);
    if (rc != 0)
        driver_option_list_free(out);
    return rc;
}
