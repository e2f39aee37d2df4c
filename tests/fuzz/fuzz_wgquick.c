/* libFuzzer harness for the wg-quick reader: any input either fails cleanly or round-trips. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/wgquick.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tunnel t, t2;
	struct diag d = { 0 }, d2 = { 0 };
	char *text = NULL, *text2 = NULL;

	tunnel_init(&t);
	tunnel_init(&t2);
	if (wgq_parse(&t, "fuzz.conf", (const char *)data, size, &d) < 0)
		goto out;
	text = wgq_write(&t);
	if (!text) {
		fprintf(stderr, "a parsed tunnel could not be written\n");
		abort();
	}
	if (wgq_parse(&t2, "written.conf", text, strlen(text), &d2) < 0 || d2.n) {
		diag_print(&d2, stderr);
		fprintf(stderr, "written file does not parse cleanly:\n%s", text);
		abort();
	}
	if (!wgq_equal(&t, &t2)) {
		fprintf(stderr, "round-trip differs:\n%s", text);
		abort();
	}
	text2 = wgq_write(&t2);
	if (!text2 || strcmp(text, text2)) {
		fprintf(stderr, "writer is not canonical:\n%s\n---\n%s", text, text2 ? text2 : "(null)");
		abort();
	}
out:
	wgq_text_free(text);
	wgq_text_free(text2);
	tunnel_clear(&t);
	tunnel_clear(&t2);
	diag_clear(&d);
	diag_clear(&d2);
	return 0;
}
