/* libFuzzer harness for the administration API's request parsing: a route (method and
 * path, percent-encoded), a query string and a JSON body, as the HTTPS API and the
 * control socket hand them in, through api_route, api_input and api_parse. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "server/api/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: METHOD ' ' PATH ['?' QUERY] '\n' BODY */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char params[API_MAX_PARAMS][DB_NAME_MAX * 3 + 1], allow[64], why[256];
	char *text = malloc(size + 1), *nl, *sp, *query;
	const struct api_op *op;
	struct json_value *in = NULL;
	void *req;
	size_t n = 0;
	int status;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	nl = memchr(text, '\n', size);
	sp = strchr(text, ' ');
	if (!nl || !sp || sp > nl)
		goto out;
	*nl = '\0';
	*sp = '\0';
	query = strchr(sp + 1, '?');
	if (query)
		*query++ = '\0';
	op = api_route(text, sp + 1, params, &n, &status, allow, sizeof(allow));
	if (!op) {
		if (status != 404 && status != 405)
			abort();
		goto out;
	}
	why[0] = '\0';
	if (api_input(op, params, n, query, nl + 1, size - (size_t)(nl + 1 - text), &in, why,
		      sizeof(why)) < 0) {
		if (!why[0] || strchr(why, '\n'))
			abort();   /* a refusal says why, in one line */
		goto out;
	}
	req = calloc(1, op->req_size + 1);
	if (!req)
		abort();
	if (api_parse(op, in, req, why, sizeof(why)) < 0) {
		if (!why[0] || strchr(why, '\n'))
			abort();
	} else {
		api_req_clear(op, req);
	}
	free(req);
out:
	json_value_free(in);
	free(text);
	return 0;
}
