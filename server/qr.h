/* QR codes of client configurations: terminal (UTF-8), SVG and PNG renderings. */
#ifndef WARREN_SERVER_QR_H
#define WARREN_SERVER_QR_H

#include <stdio.h>

/* Every rendering encodes text byte for byte (8-bit mode, case kept) at error
 * correction level M, the smallest version that fits. The text usually holds a private
 * key: the module buffers and the PNG's pixels are wiped before they are freed.
 * Errors are -errno: -ERANGE when text is too long for a QR code (about 2,300 bytes),
 * -EINVAL when it is empty, -EIO when writing to the stream failed. */

/* Modules per side of text's QR code, without quiet zone; or -errno. */
int qr_width(const char *text);

/* For a terminal with dark text on a light background: each dark module is ink, each
 * light module is background, two module rows per line with the half blocks U+2580
 * (upper), U+2584 (lower) and U+2588 (full), and space. A quiet zone of 2 modules of
 * spaces surrounds it (the light background beyond extends it). Lines are
 * (width + 4 + 1) / 2, each of width + 4 characters and a newline. On a light-on-dark
 * terminal the code shows inverted, which many but not all scanners read. */
#define QR_UTF8_QUIET 2
int qr_utf8(const char *text, FILE *f);

/* A standalone SVG 1.1 document: viewBox "0 0 N N" with N = width + 8 (quiet zone of 4),
 * a white rect and one black path of the dark modules, shape-rendering crispEdges,
 * displayed at 8 px per module. */
#define QR_QUIET 4
#define QR_PNG_SCALE 8
int qr_svg(const char *text, FILE *f);

/* A PNG at path, created or truncated with mode 0600 (it shows a private key): 1-bit
 * grayscale, (width + 8) * 8 pixels per side, quiet zone of 4 modules. A file this
 * call created is removed again on failure. */
int qr_png(const char *text, const char *path);

#endif
