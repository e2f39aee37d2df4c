/* `warren genkey`, `pubkey` and `genpsk`: the same keys and output as wg(8). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "../profiles/key.h"

/* Refuse to print a secret to a file others can read, as wg does. */
static int stdout_private_check(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077))
		fprintf(stderr, "warren: warning: writing a secret key to a file readable by others\n");
	return 0;
}

static int print_key(const uint8_t key[KEY_LEN])
{
	char b64[KEY_B64_LEN];
	int r = EXIT_OK;

	key_to_base64(b64, key);
	if (printf("%s\n", b64) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "warren: writing key: %s\n", strerror(errno));
		r = EXIT_RUNTIME;
	}
	sodium_memzero(b64, sizeof(b64));
	return r;
}

static int gen(int argc, char **argv, void (*generate)(uint8_t *))
{
	uint8_t key[KEY_LEN];
	int r;

	if (argc > 1) {
		fprintf(stderr, "warren %s: unexpected argument \"%s\"\n", argv[0], argv[1]);
		return cli_usage(cli_find(argv[0]), EXIT_USAGE);
	}
	stdout_private_check();
	generate(key);
	r = print_key(key);
	sodium_memzero(key, sizeof(key));
	return r;
}

int cmd_genkey(int argc, char **argv)
{
	return gen(argc, argv, key_generate_private);
}

int cmd_genpsk(int argc, char **argv)
{
	return gen(argc, argv, key_generate_preshared);
}

int cmd_pubkey(int argc, char **argv)
{
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	char buf[KEY_B64_LEN + 2];
	size_t n;
	int r = EXIT_USAGE;

	if (argc > 1) {
		fprintf(stderr, "warren pubkey: unexpected argument \"%s\"\n", argv[1]);
		return cli_usage(cli_find("pubkey"), EXIT_USAGE);
	}
	/* Like wg: one key, optionally followed by a newline, and nothing else. */
	n = fread(buf, 1, sizeof(buf), stdin);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n != KEY_B64_LEN - 1 || !feof(stdin))
		goto bad;
	buf[n] = '\0';
	if (key_from_base64(priv, buf) < 0 || key_public(pub, priv) < 0)
		goto bad;
	r = print_key(pub);
	goto out;
bad:
	fprintf(stderr, "warren pubkey: key is not the correct length or format\n");
out:
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(priv, sizeof(priv));
	return r;
}
