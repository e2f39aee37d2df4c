/* libFuzzer harness for what an agent reads from a portal besides the profile: the
 * enrolment answer, response header lines and error bodies. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/portal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct portal_enrollment e;
	struct portal_headers h;
	char why[200], err[128];
	size_t i, start = 0;

	memset(&e, 0, sizeof(e));
	why[0] = '\0';
	if (portal_enroll_parse((const char *)data, size, &e, why, sizeof(why)) == 0) {
		if (strlen(e.credential) != PORTAL_CREDENTIAL_LEN || !e.device[0])
			abort();
	} else if (!why[0] || strchr(why, '\n')) {
		abort();   /* a refusal says why, in one line */
	}
	portal_enrollment_clear(&e);
	/* The same bytes as header lines, split where libcurl would split them. */
	memset(&h, 0, sizeof(h));
	for (i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			portal_header_line(&h, (const char *)data + start, i - start);
			start = i + 1;
		}
	}
	if (memchr(h.etag, '\0', sizeof(h.etag)) == NULL || memchr(h.sig, '\0', sizeof(h.sig)) == NULL)
		abort();
	portal_error_text((const char *)data, size, err, sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	return 0;
}
