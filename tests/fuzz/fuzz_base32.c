/* libFuzzer harness for the base32 decoder (a TOTP secret as a person pastes it) and the
 * TOTP code check: a decoded secret encodes back to the input's characters, upper case
 * without spaces, since each byte string has one spelling; any input encodes and decodes
 * back; a code that is not six digits is refused as malformed without touching the last
 * step. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth/base32.h"
#include "server/auth/totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = size, n = 0, m = 0, i, k = 0;
	uint8_t *bin = malloc(cap + 1), *back;
	char *enc, *canon, code[8];
	uint64_t last = 0;
	int r;

	if (!bin)
		abort();
	r = base32_decode((const char *)data, size, bin, cap, &n);
	if (r == 0) {
		enc = malloc(BASE32_LEN(n) + 1);
		canon = malloc(size + 1);
		if (!enc || !canon)
			abort();
		for (i = 0; i < size; i++)
			if (data[i] != ' ')
				canon[k++] = (char)toupper(data[i]);
		canon[k] = '\0';
		if (base32_encode(bin, n, enc, BASE32_LEN(n) + 1) != 0 || strcmp(enc, canon) != 0)
			abort();
		free(enc);
		free(canon);
	} else if (r != -EINVAL || n != 0) {
		abort();
	}
	/* too small a buffer is -ENOSPC or, for bad input, -EINVAL; never an overrun */
	if (size && base32_decode((const char *)data, size, bin, size / 2, &n) == 0 && n > size / 2)
		abort();

	enc = malloc(BASE32_LEN(size) + 1);
	back = malloc(size + 1);
	if (!enc || !back)
		abort();
	if (base32_encode(data, size, enc, BASE32_LEN(size) + 1) != 0 ||
	    base32_decode(enc, strlen(enc), back, size, &m) != 0 || m != size ||
	    (size && memcmp(back, data, size) != 0))
		abort();
	free(enc);
	free(back);

	/* the first bytes as a TOTP code, the rest as the key */
	memset(code, 0, sizeof(code));
	memcpy(code, data, size < 7 ? size : 7);
	r = totp_verify(size > 7 ? data + 7 : data, size > 7 ? size - 7 : 0, code, 1700000000,
			&last);
	for (i = 0; i < TOTP_DIGITS && code[i] >= '0' && code[i] <= '9'; i++)
		;
	if (i < TOTP_DIGITS || code[TOTP_DIGITS] != '\0') {
		if (r != -EINVAL || last != 0)
			abort();
	} else if (r != 0 && r != -EACCES) {
		abort();
	}
	free(bin);
	return 0;
}
