/* libFuzzer harness for portal profiles: any input is refused with one line, or it
 * round-trips (parse, build, parse gives an equal profile and the same bytes again). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *text)
{
	fprintf(stderr, "%s\n%s\n", what, text ? text : "");
	abort();
}

/* A refusal is one non-empty line of printable text (UTF-8 from quoted values is fine). */
static void check_why(const char *why)
{
	const unsigned char *s;

	if (!why[0])
		die("refused without a reason", NULL);
	for (s = (const unsigned char *)why; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			die("the reason is not one printable line:", why);
}

/* The signature decoder sees arbitrary text too: it must refuse, never crash. */
static void check_verify(const uint8_t *data, size_t size)
{
	static const uint8_t pk[crypto_sign_PUBLICKEYBYTES] = { 1 };
	char sig[PROFILE_SIG_B64_LEN + 8];
	size_t n = size < sizeof(sig) - 1 ? size : sizeof(sig) - 1;
	int r;

	memcpy(sig, data, n);
	sig[n] = '\0';
	r = profile_verify(pk, (const char *)data, size, sig);
	if (r != 0 && r != -EBADMSG)
		die("profile_verify returned something else than 0 or -EBADMSG", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile p, p2;
	char why[512], why2[512], *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;

	check_verify(data, size);
	memset(&p2, 0, sizeof(p2));
	if (profile_parse((const char *)data, size, &p, why, sizeof(why)) < 0) {
		check_why(why);
		if (p.tunnels || p.n_tunnels || p.device[0])
			die("a refused profile was not left cleared", why);
		goto out;
	}
	text = profile_build(&p, &len);
	if (!text)
		die("a parsed profile could not be built", NULL);
	if (strlen(text) != len)
		die("built length differs from the text", text);
	if (profile_parse(text, len, &p2, why2, sizeof(why2)) < 0)
		die(why2, text);
	if (!profile_equal(&p, &p2))
		die("round trip differs:", text);
	text2 = profile_build(&p2, &len2);
	if (!text2 || len2 != len || memcmp(text, text2, len) != 0)
		die("the builder is not canonical:", text);
out:
	profile_text_free(text, len);
	profile_text_free(text2, len2);
	profile_clear(&p);
	profile_clear(&p2);
	return 0;
}
