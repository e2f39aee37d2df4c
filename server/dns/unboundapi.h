/* libunbound, loaded when the server's resolver starts: linked into warren it would be mapped
 * (with nettle, gmp and libevent) into every agent, which never resolves through it. */
#ifndef WARREN_DNS_UNBOUNDAPI_H
#define WARREN_DNS_UNBOUNDAPI_H

#include <unbound.h>

struct unbound_api {
	struct ub_ctx *(*ctx_create)(void);
	void (*ctx_delete)(struct ub_ctx *ctx);
	int (*ctx_set_option)(struct ub_ctx *ctx, const char *opt, const char *val);
	int (*ctx_set_fwd)(struct ub_ctx *ctx, const char *addr);
	int (*ctx_add_ta_file)(struct ub_ctx *ctx, const char *fname);
	int (*ctx_async)(struct ub_ctx *ctx, int dothread);
	int (*ctx_debuglevel)(struct ub_ctx *ctx, int d);
	int (*ctx_debugout)(struct ub_ctx *ctx, void *out);
	int (*ctx_zone_remove)(struct ub_ctx *ctx, const char *zone_name);
	int (*fd)(struct ub_ctx *ctx);
	int (*process)(struct ub_ctx *ctx);
	int (*resolve)(struct ub_ctx *ctx, const char *name, int rrtype, int rrclass,
		       struct ub_result **result);
	int (*resolve_async)(struct ub_ctx *ctx, const char *name, int rrtype, int rrclass,
			     void *mydata, ub_callback_type callback, int *async_id);
	int (*cancel)(struct ub_ctx *ctx, int async_id);
	void (*resolve_free)(struct ub_result *result);
	const char *(*strerror)(int err);
	const char *(*version)(void);
};

/* Load libunbound (once); NULL with the reason logged when it cannot be. */
const struct unbound_api *unboundapi_load(void);

#endif
