/* QR codes with libqrencode, drawn as terminal half blocks, SVG paths or a PNG written here. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qrencode.h>
#include <sodium.h>
#include <zlib.h>

#include "qr.h"
#include "common/util.h"

static int encode(const char *text, QRcode **out)
{
	QRcode *q;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return errno ? -errno : -EINVAL;
	*out = q;
	return 0;
}

static void release(QRcode *q)
{
	if (!q)
		return;
	sodium_memzero(q->data, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
}

/* Whether module (x, y) is dark; outside the symbol (quiet zone) it is light. */
static int dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

int qr_width(const char *text)
{
	QRcode *q;
	int r = encode(text, &q), w;

	if (r < 0)
		return r;
	w = q->width;
	release(q);
	return w;
}

int qr_utf8(const char *text, FILE *f)
{
	static const char *const glyph[4] = { " ", "\u2580", "\u2584", "\u2588" };
	QRcode *q;
	int r = encode(text, &q), x, y, m = QR_UTF8_QUIET;

	if (r < 0)
		return r;
	for (y = -m; y < q->width + m; y += 2) {
		for (x = -m; x < q->width + m; x++)
			fputs(glyph[dark(q, x, y) | dark(q, x, y + 1) << 1], f);
		fputc('\n', f);
	}
	release(q);
	return ferror(f) ? -EIO : 0;
}

int qr_svg(const char *text, FILE *f)
{
	QRcode *q;
	int r = encode(text, &q), x, y, n;

	if (r < 0)
		return r;
	n = q->width + 2 * QR_QUIET;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
		n * QR_PNG_SCALE, n * QR_PNG_SCALE, n, n, n, n);
	/* One rectangle per horizontal run of dark modules keeps the path short. */
	for (y = 0; y < q->width; y++)
		for (x = 0; x < q->width; x++) {
			int run = 0;

			while (x + run < q->width && dark(q, x + run, y))
				run++;
			if (!run)
				continue;
			fprintf(f, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
			x += run;
		}
	fputs("\"/>\n</svg>\n", f);
	release(q);
	return ferror(f) ? -EIO : 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Append a chunk (length, type, data, CRC of type and data) at *pos in buf. */
static void chunk(uint8_t *buf, size_t *pos, const char type[4], const uint8_t *data,
		  size_t len)
{
	uint8_t *p = buf + *pos;
	uLong crc;

	put32(p, (uint32_t)len);
	memcpy(p + 4, type, 4);
	if (len)
		memcpy(p + 8, data, len);
	crc = crc32(0L, p + 4, (uInt)(len + 4));
	put32(p + 8 + len, (uint32_t)crc);
	*pos += 12 + len;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int qr_png(const char *text, const char *path)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	uint8_t ihdr[13], *raw = NULL, *z = NULL, *file = NULL;
	size_t side, stride, raw_len, file_len = 0, pos = 0;
	uLongf z_len;
	QRcode *q = NULL;
	int r, fd = -1, created = 0;
	size_t x, y;

	r = encode(text, &q);
	if (r < 0)
		return r;
	side = (size_t)(q->width + 2 * QR_QUIET) * QR_PNG_SCALE;
	stride = 1 + (side + 7) / 8;        /* filter byte, then 8 pixels a byte */
	raw_len = stride * side;
	raw = xmalloc(raw_len);
	/* 1-bit grayscale: 1 is white, so start white and clear the dark pixels. */
	memset(raw, 0xff, raw_len);
	for (y = 0; y < side; y++) {
		uint8_t *row = raw + y * stride;

		row[0] = 0;                  /* filter: none */
		for (x = 0; x < side; x++)
			if (dark(q, (int)(x / QR_PNG_SCALE) - QR_QUIET,
				 (int)(y / QR_PNG_SCALE) - QR_QUIET))
				row[1 + x / 8] &= (uint8_t)~(0x80 >> (x % 8));
	}
	z_len = compressBound((uLong)raw_len);
	z = xmalloc(z_len);
	if (compress2(z, &z_len, raw, (uLong)raw_len, 9) != Z_OK) {
		r = -ENOMEM;
		goto out;
	}
	put32(ihdr, (uint32_t)side);
	put32(ihdr + 4, (uint32_t)side);
	ihdr[8] = 1;                        /* bit depth */
	ihdr[9] = 0;                        /* colour type: grayscale */
	ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filtering, no interlace */
	file_len = sizeof(sig) + (12 + sizeof(ihdr)) + (12 + z_len) + 12;
	file = xmalloc(file_len);
	memcpy(file, sig, sizeof(sig));
	pos = sizeof(sig);
	chunk(file, &pos, "IHDR", ihdr, sizeof(ihdr));
	chunk(file, &pos, "IDAT", z, z_len);
	chunk(file, &pos, "IEND", NULL, 0);

	/* O_EXCL first, to know whether a failure should remove the file. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		created = 1;
	} else if (errno == EEXIST) {
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			r = -errno;
			goto out;
		}
		/* An older file may be readable by others: tighten it before writing. */
		if (fchmod(fd, 0600) < 0) {
			r = -errno;
			goto out;
		}
	} else {
		r = -errno;
		goto out;
	}
	r = write_all(fd, file, pos);
	if (r == 0 && close(fd) < 0)
		r = -errno;
	else if (r < 0)
		close(fd);
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0 && created)
		unlink(path);
	if (raw) {
		sodium_memzero(raw, raw_len);
		free(raw);
	}
	if (z) {
		sodium_memzero(z, compressBound((uLong)raw_len));
		free(z);
	}
	if (file) {
		sodium_memzero(file, file_len);
		free(file);
	}
	release(q);
	return r;
}
