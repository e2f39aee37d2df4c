/* libcurl through dlopen: only an agent with a portal, and `warren enroll`, load it. */
#include <stddef.h>

#include "curlapi.h"
#include "../common/dl.h"
#include "../common/util.h"

#define CURL_SONAME "libcurl.so.4"

static const struct dl_sym symbols[] = {
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

	if (!loaded)
		loaded = dl_load("portal", CURL_SONAME, symbols, ARRAY_SIZE(symbols), &api) == 0 ? 1 : -1;
	return loaded > 0 ? &api : NULL;
}
