/* libFuzzer harness for the voucher code parser (what anyone may send to
 * POST /api/v1/vouchers/redeem): an accepted code's canonical form is the input with
 * dashes and spaces gone, upper case, O as 0 and I, L as 1, in groups of four, and parses
 * to itself; a refusal leaves no canonical form and says why; the first 12 bytes as a
 * code's bits make a code that parses back to itself and hashes alike every time. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth/voucher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), canon[VOUCHER_TEXT_LEN + 1], again[VOUCHER_TEXT_LEN + 1];
	char want[VOUCHER_TEXT_LEN + 1], why[160];
	uint8_t raw[VOUCHER_RAW_LEN] = { 0 }, key[VOUCHER_KEY_LEN] = { 7 };
	uint8_t h1[VOUCHER_HASH_LEN], h2[VOUCHER_HASH_LEN];
	size_t i, n = 0;
	int r;

	if (!in)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	why[0] = '\0';
	r = voucher_parse(in, canon, why, sizeof(why));
	if (r == 0) {
		for (i = 0; in[i]; i++) {
			char c = in[i];

			if (c == '-' || c == ' ')
				continue;
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			if (c == 'O')
				c = '0';
			else if (c == 'I' || c == 'L')
				c = '1';
			if (n && n % 5 == 4)
				want[n++] = '-';
			if (n >= VOUCHER_TEXT_LEN)
				abort();
			want[n++] = c;
		}
		want[n] = '\0';
		if (strcmp(want, canon) != 0 || voucher_parse(canon, again, NULL, 0) != 0 ||
		    strcmp(again, canon) != 0)
			abort();
	} else if ((r != -EINVAL && r != -EBADMSG) || canon[0] ||
		   strncmp(why, "code: ", 6) != 0) {
		abort();
	}

	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	voucher_from_raw(raw, canon);
	if (voucher_parse(canon, again, NULL, 0) != 0 || strcmp(again, canon) != 0)
		abort();
	voucher_hash(key, canon, h1);
	voucher_hash(key, again, h2);
	if (memcmp(h1, h2, sizeof(h1)) != 0)
		abort();
	free(in);
	return 0;
}
