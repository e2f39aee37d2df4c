/* libFuzzer harness for the server's administration requests: a request line as the
 * daemon reads it, then the checks every user/session command goes through (names,
 * DATE, DURATION, SIZE, keys, options). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ctl.h"
#include "server/adminargs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[CTL_MAX_ARGS + 1], err[160], why[200], *line = malloc(size + 1);
	int argc = 0;

	if (!line)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	if (ctl_parse_request(line, argv, &argc, err, sizeof(err)) == 0) {
		why[0] = '\0';
		if (admin_check(argc, argv, why, sizeof(why)) < 0 &&
		    (!why[0] || !memchr(why, '\0', sizeof(why)) || strchr(why, '\n')))
			abort();   /* a refusal says why, in one line */
	}
	free(line);
	return 0;
}
