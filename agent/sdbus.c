/* sd-bus through dlopen: only an agent or `warren up` with DNS on a host with a system bus loads it. */
#include <stddef.h>

#include "sdbus.h"
#include "../common/dl.h"
#include "../common/util.h"

#define SYSTEMD_SONAME "libsystemd.so.0"

static const struct dl_sym symbols[] = {
#define SYM(f) { "sd_bus_" #f, offsetof(struct sdbus_api, f) }
	SYM(open_system), SYM(flush_close_unref), SYM(call), SYM(call_async), SYM(get_fd),
	SYM(get_events), SYM(get_timeout), SYM(process), SYM(slot_unref),
	SYM(message_new_method_call), SYM(message_unref), SYM(message_get_error),
	SYM(message_append), SYM(message_append_array), SYM(message_open_container),
	SYM(message_close_container), SYM(message_read), SYM(error_free),
#undef SYM
};

const struct sdbus_api *sdbus_load(void)
{
	static struct sdbus_api api;
	static int loaded;

	if (!loaded)
		loaded = dl_load("DNS", SYSTEMD_SONAME, symbols, ARRAY_SIZE(symbols), &api) == 0 ? 1 : -1;
	return loaded > 0 ? &api : NULL;
}
