/* libFuzzer harness for the password policy, which reads UTF-8 from anyone who sets a
 * password: it answers NULL or one of its reasons, and NULL only for 8 to 128 bytes of
 * well-formed UTF-8 without NUL. glibc's mbrtowc is the reference, with surrogates and
 * values past U+10FFFF refused on top, as it takes them. The first byte splits the input
 * into name and password. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "server/auth/pwhash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const reasons[] = {
	"shorter than 8 bytes", "longer than 128 bytes", "not valid UTF-8",
	"contains a NUL character", "one character repeated", "the same as the account name",
};

static int utf8_ok(const char *s, size_t len)
{
	mbstate_t st;
	size_t i = 0, n;
	wchar_t wc;

	memset(&st, 0, sizeof(st));
	while (i < len) {
		n = mbrtowc(&wc, s + i, len - i, &st);
		if (n == (size_t)-1 || n == (size_t)-2)
			return 0;
		if (n == 0)
			n = 1;          /* a NUL: valid UTF-8, refused for other reasons */
		if ((wc >= 0xd800 && wc <= 0xdfff) || wc > 0x10ffff)
			return 0;
		i += n;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const char *why, *pw;
	size_t cut, len, i;
	char *name;

	if (!ready) {
		if (!setlocale(LC_CTYPE, "C.UTF-8"))
			abort();
		ready = 1;
	}
	if (size < 1)
		return 0;
	cut = data[0] % 16;
	if (cut > size - 1)
		cut = size - 1;
	name = malloc(cut + 1);
	if (!name)
		abort();
	memcpy(name, data + 1, cut);
	name[cut] = '\0';
	pw = (const char *)data + 1 + cut;
	len = size - 1 - cut;

	why = pwhash_password_problem(pw, len, data[0] & 0x80 ? NULL : name);
	if (why) {
		for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
			if (why == reasons[i] || strcmp(why, reasons[i]) == 0)
				break;
		if (i == sizeof(reasons) / sizeof(reasons[0]))
			abort();
	} else if (len < PWHASH_PASSWORD_MIN || len > PWHASH_PASSWORD_MAX ||
		   memchr(pw, '\0', len) || !utf8_ok(pw, len)) {
		abort();
	}
	/* and the other way: well-formed input of a good length is refused only for the
	 * reasons that do not concern its encoding */
	if (len >= PWHASH_PASSWORD_MIN && len <= PWHASH_PASSWORD_MAX && utf8_ok(pw, len) &&
	    !memchr(pw, '\0', len) && why && strcmp(why, "not valid UTF-8") == 0)
		abort();
	free(name);
	return 0;
}
