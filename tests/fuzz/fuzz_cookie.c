/* libFuzzer harness for the Cookie request header: whatever websession_cookie_find makes
 * of it is one of its four answers; a value it finds is a well-formed session value taken
 * from the header after "__Host-warren=", goes back into a Set-Cookie unchanged and looks
 * up no session; and the same header with a NUL inside is read only up to it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth/websession.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct websession_store *store;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char value[WEBSESSION_ID_LEN + 1], set[WEBSESSION_SET_COOKIE_SIZE], *hdr, *at;
	struct websession_info info;
	size_t i;
	int r;

	if (!store && websession_store_new(NULL, &store) != 0)
		abort();
	hdr = malloc(size + 1);
	if (!hdr)
		abort();
	memcpy(hdr, data, size);
	hdr[size] = '\0';

	r = websession_cookie_find(hdr, value);
	if (r == 0) {
		if (strlen(value) != WEBSESSION_ID_LEN)
			abort();
		for (i = 0; i < WEBSESSION_ID_LEN; i++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				    value[i]))
				abort();
		at = strstr(hdr, value);
		if (!at || !strstr(hdr, WEBSESSION_COOKIE) || strlen(hdr) > WEBSESSION_COOKIE_HEADER_MAX)
			abort();
		if (websession_set_cookie(set, value) != 0 || strchr(set, '\r') || strchr(set, '\n') ||
		    strncmp(set, WEBSESSION_COOKIE "=", sizeof(WEBSESSION_COOKIE)) != 0 ||
		    strncmp(set + sizeof(WEBSESSION_COOKIE), value, WEBSESSION_ID_LEN) != 0)
			abort();
		if (websession_lookup(store, value, NULL, WEBSESSION_READ, 1, &info) != -ENOENT)
			abort();
	} else if (r == -ENOENT || r == -EINVAL || r == -E2BIG) {
		if (value[0] != '\0')
			abort();
	} else {
		abort();
	}
	free(hdr);
	return 0;
}
