/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Line editor for the serial shell. Fed one byte at a time (from the UART
 * receive buffer), it echoes through a console and returns a result when a
 * line is complete. Understands VT100/xterm escape sequences for the arrow
 * keys, Home/End and Delete.
 */
#ifndef MAMORU_LINEEDIT_H
#define MAMORU_LINEEDIT_H

#include <mamoru/console.h>

#define LE_LINE_MAX 256      /* bytes in a line, NUL included */
#define LE_HISTORY 16

enum le_result {
	LE_CONTINUE = 0,     /* nothing to do yet */
	LE_LINE,             /* Enter: the line is in le->line */
	LE_CANCEL,           /* Ctrl-C: line abandoned ("^C" echoed) */
	LE_TOO_LONG,         /* Enter after the line overflowed: discarded */
	LE_BAD_INPUT,        /* Enter after non-printable bytes: discarded */
};

struct lineedit {
	struct console *echo;
	char buf[LE_LINE_MAX];
	size_t len, cursor;
	bool overflow;
	size_t bad_bytes;
	int esc_state;
	char esc_buf[8];
	size_t esc_len;
	char last_eol;                   /* to fold CR LF into one Enter */
	char history[LE_HISTORY][LE_LINE_MAX];
	int hist_count, hist_head, hist_browse;
	char saved[LE_LINE_MAX];         /* the line being typed while browsing */
	const char *line;                /* valid after LE_LINE until next feed */
	bool finished;                   /* a line ended: reset on the next feed,
	                                    so line and bad_bytes stay readable */
};

void le_init(struct lineedit *le, struct console *echo);
/* Printable ASCII is inserted at the cursor; Backspace/DEL, Ctrl-U (clear
 * the line, also forgetting overflow and bad bytes), Ctrl-A/Ctrl-E, Ctrl-C,
 * arrows, Home/End/Delete edit; CR, LF, CR LF and LF CR are one Enter. Tab
 * is ignored (no completion, not counted as bad). Other bytes are dropped
 * and counted in bad_bytes. If the line both overflowed and had bad bytes
 * the result is LE_TOO_LONG. */
enum le_result le_feed(struct lineedit *le, uint8_t c);
/* Redraw prompt+line (after output interrupted it). */
void le_redraw(struct lineedit *le, const char *prompt);

#endif
