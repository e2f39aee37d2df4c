/* QR renderings: every module drawn where libqrencode put it, valid PNG and SVG, file modes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qrencode.h>
#include <zlib.h>

#include "server/qr.h"

static const char conf[] =
	"[Interface]\n"
	"PrivateKey = KLeLIKeNSHj6VO5UWFrJJhrKQpIZDBt6bM4My9eVFk4=\n"
	"Address = 10.9.0.2/32, fd09::2/128\n"
	"DNS = 10.9.0.1\n"
	"MTU = 1420\n"
	"\n"
	"[Peer]\n"
	"PublicKey = QskunAMGW2ajaEorHds1utre+JztLMjKyvytRS8QTwQ=\n"
	"PresharedKey = dtOs0ifGmD9Dnxs0ZUXr6HkDWPdyksqAC4WaTyojOyY=\n"
	"AllowedIPs = 0.0.0.0/0, ::/0\n"
	"Endpoint = vpn.example.net:51820\n"
	"PersistentKeepalive = 25\n";

/* The reference: libqrencode with the parameters qr.h promises. */
static QRcode *reference(void)
{
	QRcode *q = QRcode_encodeString(conf, 0, QR_ECLEVEL_M, QR_MODE_8, 1);

	assert_non_null(q);
	return q;
}

/* Module (x, y) of the symbol with its quiet zone of m modules. */
static int ref_dark(const QRcode *q, int m, int x, int y)
{
	x -= m;
	y -= m;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

/* What fn writes for text, in *out (freed by the caller); fn's result. */
static int capture(int (*fn)(const char *, FILE *), const char *text, char **out)
{
	size_t len = 0;
	FILE *f;
	int r;

	*out = NULL;
	f = open_memstream(out, &len);
	assert_non_null(f);
	r = fn(text, f);
	fclose(f);
	return r;
}

static void test_width(void **state)
{
	QRcode *q = reference();
	char big[3001];

	(void)state;
	assert_int_equal(qr_width(conf), q->width);
	assert_int_equal(q->width % 4, 1);       /* 21 + 4 (version - 1) */
	QRcode_free(q);
	assert_int_equal(qr_width(""), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(qr_width(big), -ERANGE);
}

static void test_utf8(void **state)
{
	static const char *const glyph[4] = { " ", "\u2580", "\u2584", "\u2588" };
	QRcode *q = reference();
	int w = q->width, m = QR_UTF8_QUIET, n = w + 2 * m, lines = 0, x, y = 0;
	char *out, *p;
	int r = capture(qr_utf8, conf, &out);

	(void)state;
	assert_int_equal(r, 0);
	for (p = out; *p; ) {
		for (x = 0; x < n; x++) {
			int want = ref_dark(q, m, x, y) | ref_dark(q, m, x, y + 1) << 1;
			size_t gl = strlen(glyph[want]);

			if (strncmp(p, glyph[want], gl))
				fail_msg("line %d column %d: expected glyph %d", lines, x, want);
			p += gl;
		}
		assert_int_equal(*p, '\n');
		p++;
		lines++;
		y += 2;
	}
	assert_int_equal(lines, (n + 1) / 2);
	/* only the four glyphs and newlines */
	for (p = out; *p; ) {
		int ok = 0;

		for (x = 0; x < 4 && !ok; x++)
			if (!strncmp(p, glyph[x], strlen(glyph[x]))) {
				p += strlen(glyph[x]);
				ok = 1;
			}
		if (!ok && *p == '\n') {
			p++;
			ok = 1;
		}
		assert_true(ok);
	}
	/* the quiet zone: the first line is all spaces */
	assert_int_equal(strspn(out, " "), (size_t)n);
	free(out);
	QRcode_free(q);
	assert_int_equal(capture(qr_utf8, "", &out), -EINVAL);
	free(out);
}

static void test_svg(void **state)
{
	QRcode *q = reference();
	int n = q->width + 2 * QR_QUIET, x, y, run, run2, used, opens = 0, closes = 0;
	char *out, *p, *d, head[200];
	int r = capture(qr_svg, conf, &out);
	unsigned char *grid = calloc((size_t)n * (size_t)n, 1);

	(void)state;
	assert_int_equal(r, 0);
	assert_non_null(grid);
	assert_true(!strncmp(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44));
	snprintf(head, sizeof(head), "viewBox=\"0 0 %d %d\"", n, n);
	assert_non_null(strstr(out, head));
	assert_non_null(strstr(out, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(out, "shape-rendering=\"crispEdges\""));
	snprintf(head, sizeof(head), "width=\"%d\" height=\"%d\"", n * 8, n * 8);
	assert_non_null(strstr(out, head));
	/* well-formed: one root, every element closed, exactly one path */
	for (p = out; (p = strchr(p, '<')); p++) {
		char *e = strchr(p, '>');

		assert_non_null(e);
		if (p[1] == '?')
			assert_int_equal(e[-1], '?');
		else if (p[1] == '/')
			closes++;
		else if (e[-1] != '/')
			opens++;
		assert_null(memchr(p + 1, '<', (size_t)(e - p - 1)));
	}
	assert_int_equal(opens, 1);
	assert_int_equal(closes, 1);
	assert_true(strlen(out) > 7 && !strcmp(out + strlen(out) - 7, "</svg>\n"));
	d = strstr(out, "<path ");
	assert_non_null(d);
	assert_null(strstr(d + 1, "<path"));
	/* the path's rectangles cover exactly the dark modules */
	d = strstr(d, " d=\"");
	assert_non_null(d);
	for (d += 4; *d == 'M'; d += used) {
		assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &used), 4);
		assert_int_equal(run, run2);
		assert_true(x >= QR_QUIET && y >= QR_QUIET && x + run <= n - QR_QUIET);
		while (run--)
			grid[y * n + x++]++;
	}
	assert_int_equal(*d, '"');
	for (y = 0; y < n; y++)
		for (x = 0; x < n; x++)
			assert_int_equal(grid[y * n + x], ref_dark(q, QR_QUIET, x, y));
	free(grid);
	free(out);
	QRcode_free(q);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void check_png(const char *path)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	QRcode *q = reference();
	size_t len, pos = 8, side = (size_t)(q->width + 2 * QR_QUIET) * QR_PNG_SCALE;
	size_t stride = 1 + (side + 7) / 8, x, y;
	unsigned char *png = slurp(path, &len), *idat = NULL, *raw;
	size_t idat_len = 0;
	uLongf raw_len = (uLongf)(stride * side + 1);
	const char *want[3] = { "IHDR", "IDAT", "IEND" };
	int i = 0;

	assert_memory_equal(png, sig, 8);
	while (pos < len) {
		uint32_t n = get32(png + pos);

		assert_true(i < 3);
		assert_true(pos + 12 + n <= len);
		assert_memory_equal(png + pos + 4, want[i], 4);
		assert_int_equal(get32(png + pos + 8 + n),
				 (uint32_t)crc32(0L, png + pos + 4, n + 4));
		if (i == 0) {
			assert_int_equal(n, 13);
			assert_int_equal(get32(png + pos + 8), side);     /* width */
			assert_int_equal(get32(png + pos + 12), side);    /* height */
			assert_int_equal(png[pos + 16], 1);               /* bit depth */
			assert_int_equal(png[pos + 17], 0);               /* grayscale */
			assert_int_equal(png[pos + 18] | png[pos + 19] | png[pos + 20], 0);
		} else if (i == 1) {
			idat = png + pos + 8;
			idat_len = n;
		} else {
			assert_int_equal(n, 0);
		}
		pos += 12 + n;
		i++;
	}
	assert_int_equal(i, 3);
	assert_int_equal(pos, len);
	raw = malloc(raw_len);
	assert_non_null(raw);
	assert_int_equal(uncompress(raw, &raw_len, idat, (uLong)idat_len), Z_OK);
	assert_int_equal(raw_len, stride * side);
	for (y = 0; y < side; y++) {
		assert_int_equal(raw[y * stride], 0);                 /* filter none */
		for (x = 0; x < side; x++) {
			int black = !(raw[y * stride + 1 + x / 8] & (0x80 >> (x % 8)));

			assert_int_equal(black, ref_dark(q, QR_QUIET, (int)(x / QR_PNG_SCALE),
							 (int)(y / QR_PNG_SCALE)));
		}
	}
	free(raw);
	free(png);
	QRcode_free(q);
}

static void test_png(void **state)
{
	char dir[] = "/tmp/warren-qr-XXXXXX", path[64], missing[80];
	struct stat st;
	mode_t old;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/user.png", dir);
	/* 0600 whatever the umask */
	old = umask(0);
	assert_int_equal(qr_png(conf, path), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	check_png(path);

	/* an existing readable file is tightened and overwritten */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(truncate(path, 1 << 20), 0);
	assert_int_equal(qr_png(conf, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	check_png(path);

	/* errors are -errno, and nothing is left behind */
	snprintf(missing, sizeof(missing), "%s/no/such.png", dir);
	assert_int_equal(qr_png(conf, missing), -ENOENT);
	unlink(path);
	assert_int_equal(qr_png("", path), -EINVAL);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_png),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
