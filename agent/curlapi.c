/* libcurl through dlopen: only an agent with a portal, and `warren enroll`, load it. */
#include <dlfcn.h>
#include <stddef.h>

#include "curlapi.h"
#include "../common/log.h"

#define CURL_SONAME "libcurl.so.4"

static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
#define SYM(f) { "curl_" #f, offsetof(struct curl_api, f) }
	SYM(global_init), SYM(global_cleanup), SYM(easy_init), SYM(easy_cleanup),
	SYM(easy_setopt), SYM(easy_getinfo), SYM(easy_perform), SYM(easy_strerror),
	SYM(multi_init), SYM(multi_cleanup), SYM(multi_setopt), SYM(multi_add_handle),
	SYM(multi_remove_handle), SYM(multi_assign), SYM(multi_socket_action),
	SYM(multi_info_read), SYM(multi_strerror), SYM(slist_append), SYM(slist_free_all),
#undef SYM
};

const struct curl_api *curlapi_load(void)
{
	static struct curl_api api;
	static int loaded;
	void *h;
	size_t i;

	if (loaded)
		return loaded > 0 ? &api : NULL;
	loaded = -1;
	h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_err("portal: %s", dlerror());
		return NULL;
	}
	for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *f = dlsym(h, symbols[i].name);

		if (!f) {
			log_err("portal: %s: no %s", CURL_SONAME, symbols[i].name);
			return NULL;
		}
		/* POSIX guarantees object and function pointers convert through void *. */
		*(void **)((char *)&api + symbols[i].offset) = f;
	}
	loaded = 1;
	return &api;
}
