/* libFuzzer harness for what crosses the control socket: request lines as the daemon reads
 * them, and replies as the CLI reads them (JSON parsed, then rendered as text). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ctl.h"
#include "common/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[CTL_MAX_ARGS + 1], err[160], *line = malloc(size + 1);
	struct json_value *v = NULL;
	const char *why;
	size_t off;
	int argc = 0;
	FILE *null;

	if (!line)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	if (ctl_parse_request(line, argv, &argc, err, sizeof(err)) == 0) {
		if (argc < 1 || argc > CTL_MAX_ARGS || argv[argc] != NULL)
			abort();
	} else if (!memchr(err, '\0', sizeof(err)) || strchr(err, '\n')) {
		abort();   /* an error is one line */
	}
	free(line);
	if (json_parse((const char *)data, size, &v, &why, &off) == 0) {
		null = fopen("/dev/null", "w");
		if (null) {
			ctl_render_status(null, v, 1764000000);
			fclose(null);
		}
		json_value_free(v);
	}
	return 0;
}
