/* libmicrohttpd through dlopen: the portal process is the only one that needs it. */
#include <dlfcn.h>
#include <stddef.h>

#include "mhd.h"
#include "../common/log.h"

#define MHD_SONAME "libmicrohttpd.so.12"

static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
#define SYM(f) { "MHD_" #f, offsetof(struct mhd_api, f) }
	SYM(start_daemon), SYM(stop_daemon), SYM(run), SYM(get_timeout), SYM(get_daemon_info),
	SYM(get_connection_info), SYM(get_connection_values), SYM(lookup_connection_value),
	SYM(suspend_connection), SYM(resume_connection),
	SYM(create_response_from_buffer_with_free_callback_cls), SYM(add_response_header),
	SYM(queue_response), SYM(destroy_response),
#undef SYM
};

const struct mhd_api *mhd_load(void)
{
	static struct mhd_api api;
	static int loaded;
	void *h;
	size_t i;

	if (loaded)
		return loaded > 0 ? &api : NULL;
	loaded = -1;
	h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_err("portal: %s", dlerror());
		return NULL;
	}
	for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *f = dlsym(h, symbols[i].name);

		if (!f) {
			log_err("portal: %s: no %s", MHD_SONAME, symbols[i].name);
			return NULL;
		}
		/* POSIX guarantees object and function pointers convert through void *. */
		*(void **)((char *)&api + symbols[i].offset) = f;
	}
	loaded = 1;
	return &api;
}
