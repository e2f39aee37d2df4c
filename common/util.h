/* Small helpers every module uses: aborting allocation, array sizes, string copies. */
#ifndef WARREN_UTIL_H
#define WARREN_UTIL_H

#include <stddef.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (of elem-sized items, *n used) by one zeroed item and return it. */
void *array_push(void *arr_ptr, size_t *n, size_t elem);

/* Copy with truncation check: 0, or -ENAMETOOLONG when src does not fit. */
int strlcpy_check(char *dst, const char *src, size_t size);
/* The value of one hex digit (either case), or -1. */
int hex_digit(int c);

#endif
