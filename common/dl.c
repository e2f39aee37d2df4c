/* dlopen with the whole table resolved at once: a missing symbol is one clear error at
 * start, not a crash at the first call. */
#include <dlfcn.h>
#include <errno.h>

#include "dl.h"
#include "log.h"

int dl_load(const char *what, const char *soname, const struct dl_sym *syms, size_t n,
	    void *api)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h) {
		log_err("%s: %s", what, dlerror());
		return -ENOENT;
	}
	for (i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);

		if (!f) {
			log_err("%s: %s: no %s", what, soname, syms[i].name);
			dlclose(h);
			return -ENOENT;
		}
		/* POSIX guarantees object and function pointers convert through void *. */
		*(void **)((char *)api + syms[i].offset) = f;
	}
	return 0;
}
