/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest-controlled text made safe for the operator's terminal: a process
 * named "\033[2J" must not clear the screen, a module name must not move
 * the cursor or hide the line that reports it. And for JSON: whatever the
 * bytes, the output is one valid string literal.
 */
#include <mamoru/libc.h>

static const char hex[] = "0123456789abcdef";

/* Appends n bytes of piece at out[*o] unless that would leave no room for
 * the NUL: never half an escape. */
static bool put(char *out, size_t size, size_t *o, const char *piece, size_t n)
{
	if (*o + n >= size)
		return false;
	memcpy(out + *o, piece, n);
	*o += n;
	return true;
}

size_t str_escape(char *out, size_t size, const char *in, size_t len, unsigned flags)
{
	size_t o = 0;

	if (!size)
		return 0;
	for (size_t i = 0; i < len && in[i]; i++) {
		unsigned char c = (unsigned char)in[i];
		char buf[4];
		size_t n;
		if (c == '\\' && !(flags & ESC_KEEP_BACKSLASH)) {
			buf[0] = '\\';
			buf[1] = '\\';
			n = 2;
		} else if ((c >= 0x20 && c < 0x7f) ||
			   ((flags & ESC_KEEP_LINES) && (c == '\n' || c == '\t'))) {
			buf[0] = (char)c;
			n = 1;
		} else {
			buf[0] = '\\';
			buf[1] = 'x';
			buf[2] = hex[c >> 4];
			buf[3] = hex[c & 15];
			n = 4;
		}
		if (!put(out, size, &o, buf, n))
			break;
	}
	out[o] = 0;
	return o;
}

size_t json_escape(char *out, size_t size, const char *in, size_t len)
{
	size_t o = 0;

	if (!size)
		return 0;
	for (size_t i = 0; i < len && in[i]; i++) {
		unsigned char c = (unsigned char)in[i];
		char buf[6] = {'\\', (char)c};
		size_t n = 2;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			buf[0] = (char)c;
			n = 1;
		} else if (c != '"' && c != '\\') {
			memcpy(buf, "\\u00", 4);
			buf[4] = hex[c >> 4];
			buf[5] = hex[c & 15];
			n = 6;
		}
		if (!put(out, size, &o, buf, n))
			break;
	}
	out[o] = 0;
	return o;
}
