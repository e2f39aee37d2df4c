/* The build's host tool that turns the files of web/ into the C table of
 * server/portal/assets.h: bytes, gzip copy, content type, ETags and the build id.
 *
 *   embedgen OUT.c ROOT FILE...
 *
 * Each FILE lies below ROOT; its URL path is FILE without ROOT ("web/console/app.js" is
 * "/console/app.js"). The build id is a hash over every path and content as found; in
 * HTML files "%BUILD%" is then replaced by it, so a page names its files under
 * /static/BUILD/ and a new build never meets an old cache. OUT.c is written only when
 * every file was read, through a temporary file and rename. */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HASH_BYTES 16                /* 128 bits: an ETag, 32 hex digits */
#define BUILD_HEX 16                 /* the build id's length in the URL */
#define PLACEHOLDER "%BUILD%"

struct file {
	char *path;                  /* the URL path */
	const char *type;
	unsigned char *data;
	size_t len;
	unsigned char *gz;
	size_t gz_len;
	bool html;
};

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "embedgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *must(void *p)
{
	if (!p)
		die("out of memory");
	return p;
}

/* A name without an extension (LICENSE, README) is plain text; any other extension must
 * be known, so nothing is served under a guessed type. */
static const char *type_of(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;
	size_t i;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot)
		return "text/plain; charset=utf-8";
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* Only what the portal can look up: [A-Za-z0-9._-] segments, none empty or hidden. */
static bool path_ok(const char *p)
{
	const char *s;

	if (p[0] != '/' || strlen(p) > 200)
		return false;
	for (s = p; *s; s++) {
		char c = *s;

		if (c == '/') {
			if (s[1] == '\0' || s[1] == '/' || s[1] == '.')
				return false;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int read_file(const char *name, unsigned char **data, size_t *len)
{
	FILE *f = fopen(name, "rb");
	unsigned char *b = NULL;
	size_t cap = 0, n = 0, got;
	int ret = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			b = must(realloc(b, cap));
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		ret = -EIO;
		free(b);
		goto out;
	}
	*data = b;
	*len = n;
out:
	fclose(f);
	return ret;
}

/* gzip at the best level; the header carries no name and no time, so a build is
 * reproducible. */
static void gzip(struct file *f)
{
	z_stream z = { 0 };
	size_t cap = deflateBound(&z, (uLong)f->len) + 32;

	f->gz = must(malloc(cap));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2 failed");
	z.next_in = f->data;
	z.avail_in = (uInt)f->len;
	z.next_out = f->gz;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		die("gzip of %s did not finish", f->path);
	f->gz_len = z.total_out;
	deflateEnd(&z);
	if (f->gz_len >= f->len) {
		free(f->gz);
		f->gz = NULL;
		f->gz_len = 0;
	}
}

/* Every "%BUILD%" in f becomes build. */
static void substitute(struct file *f, const char *build)
{
	size_t pl = strlen(PLACEHOLDER), bl = strlen(build), i, o = 0, count = 0;
	unsigned char *out;

	for (i = 0; i + pl <= f->len; i++)
		if (memcmp(f->data + i, PLACEHOLDER, pl) == 0)
			count++;
	if (!count)
		return;
	out = must(malloc(f->len + count * bl + 1));
	for (i = 0; i < f->len;) {
		if (i + pl <= f->len && memcmp(f->data + i, PLACEHOLDER, pl) == 0) {
			memcpy(out + o, build, bl);
			o += bl;
			i += pl;
		} else {
			out[o++] = f->data[i++];
		}
	}
	free(f->data);
	f->data = out;
	f->len = o;
}

static void hash_hex(const unsigned char *d, size_t len, char hex[2 * HASH_BYTES + 1])
{
	unsigned char h[HASH_BYTES];

	crypto_generichash(h, sizeof(h), d, len, NULL, 0);
	sodium_bin2hex(hex, 2 * HASH_BYTES + 1, h, sizeof(h));
}

static void emit_bytes(FILE *o, const char *name, size_t i, const unsigned char *d, size_t len)
{
	size_t k;

	if (len == 0) {              /* C has no empty arrays */
		fprintf(o, "static const unsigned char %s%zu[1];\n", name, i);
		return;
	}
	fprintf(o, "static const unsigned char %s%zu[%zu] = {", name, i, len);
	for (k = 0; k < len; k++)
		fprintf(o, "%s%u,", k % 24 ? "" : "\n\t", d[k]);
	fprintf(o, "\n};\n");
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->path, ((const struct file *)b)->path);
}

int main(int argc, char **argv)
{
	crypto_generichash_state st;
	unsigned char bh[HASH_BYTES];
	char build[2 * HASH_BYTES + 1], hex[2 * HASH_BYTES + 1], *tmp;
	const char *out, *root;
	struct file *files;
	size_t rootlen, n, i;
	FILE *o;
	int r;

	if (argc < 4 || sodium_init() < 0) {
		fprintf(stderr, "usage: embedgen OUT.c ROOT FILE...\n");
		return 2;
	}
	out = argv[1];
	root = argv[2];
	rootlen = strlen(root);
	while (rootlen && root[rootlen - 1] == '/')
		rootlen--;
	n = (size_t)argc - 3;
	files = must(calloc(n, sizeof(*files)));
	for (i = 0; i < n; i++) {
		const char *name = argv[i + 3];
		struct file *f = &files[i];

		if (strncmp(name, root, rootlen) != 0 || name[rootlen] != '/')
			die("%s: not below the root", name);
		f->path = must(strdup(name + rootlen));
		if (!path_ok(f->path))
			die("%s: a name the portal will not serve (only [A-Za-z0-9._-], no hidden files)",
			    name);
		f->type = type_of(f->path);
		if (!f->type)
			die("%s: no content type for this extension (add one to embedgen.c)", name);
		f->html = strncmp(f->type, "text/html", 9) == 0;
		if ((r = read_file(name, &f->data, &f->len)) < 0)
			die("%s: cannot be read", name);
	}
	qsort(files, n, sizeof(*files), cmp_file);
	for (i = 1; i < n; i++)
		if (strcmp(files[i - 1].path, files[i].path) == 0)
			die("%s: named twice", files[i].path);

	/* The build id, over the files as found (before substitution). */
	crypto_generichash_init(&st, NULL, 0, sizeof(bh));
	for (i = 0; i < n; i++) {
		hash_hex(files[i].data, files[i].len, hex);
		crypto_generichash_update(&st, (const unsigned char *)files[i].path,
					  strlen(files[i].path) + 1);
		crypto_generichash_update(&st, (const unsigned char *)hex, strlen(hex));
	}
	crypto_generichash_final(&st, bh, sizeof(bh));
	sodium_bin2hex(build, sizeof(build), bh, sizeof(bh));
	build[BUILD_HEX] = '\0';

	tmp = must(malloc(strlen(out) + 5));
	sprintf(tmp, "%s.tmp", out);
	o = fopen(tmp, "w");
	if (!o)
		die("%s: cannot be written", tmp);
	fprintf(o, "/* Written by server/portal/embedgen.c from %.*s/; not to be edited. */\n"
		"#include \"server/portal/assets.h\"\n\n", (int)rootlen, root);
	for (i = 0; i < n; i++) {
		if (files[i].html)
			substitute(&files[i], build);
		gzip(&files[i]);
		emit_bytes(o, "d", i, files[i].data, files[i].len);
		if (files[i].gz)
			emit_bytes(o, "z", i, files[i].gz, files[i].gz_len);
	}
	fprintf(o, "\nstatic const struct web_asset assets[] = {\n");
	for (i = 0; i < n; i++) {
		const struct file *f = &files[i];

		hash_hex(f->data, f->len, hex);
		fprintf(o, "\t{ \"%s\", \"%s\", d%zu, %zu, ", f->path, f->type, i, f->len);
		if (f->gz)
			fprintf(o, "z%zu, %zu, \"\\\"%s\\\"\", \"\\\"%s-gz\\\"\" },\n", i, f->gz_len,
				hex, hex);
		else
			fprintf(o, "NULL, 0, \"\\\"%s\\\"\", NULL },\n", hex);
	}
	fprintf(o, "};\n\nconst struct web_bundle web_bundle = { \"%s\", assets, %zu };\n", build, n);
	if (ferror(o) | fclose(o))
		die("%s: write failed", tmp);
	if (rename(tmp, out) < 0)
		die("%s: rename failed", out);
	for (i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].data);
		free(files[i].gz);
	}
	free(files);
	free(tmp);
	return 0;
}
