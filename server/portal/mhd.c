/* libmicrohttpd through dlopen: the portal process is the only one that needs it. */
#include <stddef.h>

#include "mhd.h"
#include "../../common/dl.h"
#include "../../common/util.h"

#define MHD_SONAME "libmicrohttpd.so.12"

static const struct dl_sym symbols[] = {
#define SYM(f) { "MHD_" #f, offsetof(struct mhd_api, f) }
	SYM(start_daemon), SYM(stop_daemon), SYM(run), SYM(get_timeout), SYM(get_daemon_info),
	SYM(get_connection_info), SYM(get_connection_values), SYM(lookup_connection_value),
	SYM(suspend_connection), SYM(resume_connection),
	SYM(create_response_from_buffer_with_free_callback_cls),
	SYM(create_response_from_callback), SYM(add_response_header),
	SYM(queue_response), SYM(destroy_response),
#undef SYM
};

const struct mhd_api *mhd_load(void)
{
	static struct mhd_api api;
	static int loaded;

	if (!loaded)
		loaded = dl_load("portal", MHD_SONAME, symbols, ARRAY_SIZE(symbols), &api) == 0 ? 1 : -1;
	return loaded > 0 ? &api : NULL;
}
