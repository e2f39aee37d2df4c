/* Libraries loaded when first needed (dlopen), with every symbol checked up front. */
#ifndef WARREN_DL_H
#define WARREN_DL_H

#include <stddef.h>

/* One function of the library and where its address goes in the caller's table. */
struct dl_sym {
	const char *name;
	size_t offset;
};

/* Open soname and fill api (a struct of function pointers) from syms. 0, or -ENOENT
 * with the reason logged under what ("portal") when the library or a symbol is missing. */
int dl_load(const char *what, const char *soname, const struct dl_sym *syms, size_t n,
	    void *api);

#endif
