/* libunbound through dlopen: only a server whose resolver forwards loads it. */
#include <stddef.h>

#include "unboundapi.h"
#include "../../common/dl.h"
#include "../../common/util.h"

#define UNBOUND_SONAME "libunbound.so.8"

static const struct dl_sym symbols[] = {
#define SYM(f) { "ub_" #f, offsetof(struct unbound_api, f) }
	SYM(ctx_create), SYM(ctx_delete), SYM(ctx_set_option), SYM(ctx_set_fwd),
	SYM(ctx_add_ta_file), SYM(ctx_async), SYM(ctx_debuglevel), SYM(ctx_debugout),
	SYM(ctx_zone_remove), SYM(fd), SYM(process), SYM(resolve), SYM(resolve_async), SYM(cancel),
	SYM(resolve_free), SYM(strerror), SYM(version),
#undef SYM
};

const struct unbound_api *unboundapi_load(void)
{
	static struct unbound_api api;
	static int loaded;

	if (!loaded)
		loaded = dl_load("resolver", UNBOUND_SONAME, symbols, ARRAY_SIZE(symbols),
				 &api) == 0 ? 1 : -1;
	return loaded > 0 ? &api : NULL;
}
