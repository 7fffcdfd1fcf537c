/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest-controlled text made safe for the operator's terminal: a process
 * named "\033[2J" must not clear the screen, a module name must not move
 * the cursor or hide the line that reports it.
 */
#include <mamoru/libc.h>

static const char hex[] = "0123456789abcdef";

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
		if (o + n >= size)
			break;                 /* never half an escape */
		memcpy(out + o, buf, n);
		o += n;
	}
	out[o] = 0;
	return o;
}
