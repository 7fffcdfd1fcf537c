/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Line editor: keeps the line and the cursor, and echoes VT100 sequences so
 * the terminal shows the same thing. Only printable ASCII ever enters the
 * line; anything else is counted so the whole line can be refused.
 */
#include <mamoru/lineedit.h>
#include <mamoru/libc.h>

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

#define ESC_MAX_LEN 16   /* parameter bytes swallowed before giving up */
#define KEY_CTRL(c) ((c) & 0x1f)

static void out(struct lineedit *le, const char *s, size_t n)
{
	con_write(le->echo, s, n);
}

static void outs(struct lineedit *le, const char *s)
{
	out(le, s, strlen(s));
}

static void cursor_move(struct lineedit *le, size_t n, char dir)
{
	char seq[32];
	int len;

	if (!n)
		return;
	len = m_snprintf(seq, sizeof(seq), "\x1b[%zu%c", n, dir);
	out(le, seq, (size_t)len);
}

static void reset(struct lineedit *le)
{
	le->len = 0;
	le->cursor = 0;
	le->overflow = false;
	le->bad_bytes = 0;
	le->esc_state = ESC_NONE;
	le->esc_len = 0;
	le->hist_browse = 0;
	le->finished = false;
}

void le_init(struct lineedit *le, struct console *echo)
{
	memset(le, 0, sizeof(*le));
	le->echo = echo;
	le->line = le->buf;
}

void le_redraw(struct lineedit *le, const char *prompt)
{
	outs(le, "\r");
	if (prompt)
		outs(le, prompt);
	out(le, le->buf, le->len);
	outs(le, "\x1b[K");
	cursor_move(le, le->len - le->cursor, 'D');
}

static void insert(struct lineedit *le, char c)
{
	if (le->len >= LE_LINE_MAX - 1) {
		le->overflow = true;
		return;
	}
	memmove(le->buf + le->cursor + 1, le->buf + le->cursor, le->len - le->cursor);
	le->buf[le->cursor] = c;
	le->len++;
	le->cursor++;
	/* Mid-line: rewrite the tail, then step back to the cursor. */
	out(le, le->buf + le->cursor - 1, le->len - le->cursor + 1);
	cursor_move(le, le->len - le->cursor, 'D');
}

/* Removes the character at pos (the cursor already stands on pos). */
static void erase_at_cursor(struct lineedit *le)
{
	memmove(le->buf + le->cursor, le->buf + le->cursor + 1, le->len - le->cursor - 1);
	le->len--;
	out(le, le->buf + le->cursor, le->len - le->cursor);
	outs(le, " ");
	cursor_move(le, le->len - le->cursor + 1, 'D');
}

static void backspace(struct lineedit *le)
{
	if (le->cursor == 0)
		return;
	le->cursor--;
	outs(le, "\b");
	erase_at_cursor(le);
}

static void delete_char(struct lineedit *le)
{
	if (le->cursor < le->len)
		erase_at_cursor(le);
}

static void home(struct lineedit *le)
{
	cursor_move(le, le->cursor, 'D');
	le->cursor = 0;
}

static void end(struct lineedit *le)
{
	cursor_move(le, le->len - le->cursor, 'C');
	le->cursor = le->len;
}

static void kill_line(struct lineedit *le)
{
	home(le);
	outs(le, "\x1b[K");
	le->len = 0;
	le->overflow = false;
	le->bad_bytes = 0;
}

static void replace_line(struct lineedit *le, const char *s)
{
	size_t n = strnlen(s, LE_LINE_MAX - 1);

	home(le);
	memcpy(le->buf, s, n);
	le->len = le->cursor = n;
	out(le, le->buf, n);
	outs(le, "\x1b[K");
}

/* History entry k (1 = the most recent). */
static const char *hist_entry(const struct lineedit *le, int k)
{
	return le->history[(le->hist_head + LE_HISTORY - k) % LE_HISTORY];
}

static void hist_add(struct lineedit *le, const char *line)
{
	if (le->hist_count > 0 && strcmp(hist_entry(le, 1), line) == 0)
		return;
	memcpy(le->history[le->hist_head], line, strlen(line) + 1);
	le->hist_head = (le->hist_head + 1) % LE_HISTORY;
	if (le->hist_count < LE_HISTORY)
		le->hist_count++;
}

static void hist_up(struct lineedit *le)
{
	if (le->hist_browse >= le->hist_count)
		return;
	if (le->hist_browse == 0) {
		memcpy(le->saved, le->buf, le->len);
		le->saved[le->len] = '\0';
	}
	le->hist_browse++;
	replace_line(le, hist_entry(le, le->hist_browse));
}

static void hist_down(struct lineedit *le)
{
	if (le->hist_browse == 0)
		return;
	le->hist_browse--;
	replace_line(le, le->hist_browse ? hist_entry(le, le->hist_browse) : le->saved);
}

static void cursor_key(struct lineedit *le, char key)
{
	switch (key) {
	case 'A':
		hist_up(le);
		break;
	case 'B':
		hist_down(le);
		break;
	case 'C':
		if (le->cursor < le->len) {
			cursor_move(le, 1, 'C');
			le->cursor++;
		}
		break;
	case 'D':
		if (le->cursor > 0) {
			cursor_move(le, 1, 'D');
			le->cursor--;
		}
		break;
	case 'H':
		home(le);
		break;
	case 'F':
		end(le);
		break;
	default:
		break;   /* unknown: swallowed */
	}
}

/* ESC [ <params> <final>: "1~"/"7~" Home, "4~"/"8~" End, "3~" Delete. */
static void csi_final(struct lineedit *le, char final)
{
	const char *p = le->esc_buf;

	if (final != '~') {
		cursor_key(le, final);
		return;
	}
	if (le->esc_len != 1)
		return;
	if (p[0] == '1' || p[0] == '7')
		home(le);
	else if (p[0] == '4' || p[0] == '8')
		end(le);
	else if (p[0] == '3')
		delete_char(le);
}

/* Advances the escape-sequence state machine. Returns false when c ends the
 * sequence without belonging to it (a control byte): the caller then
 * handles c as an ordinary key. */
static bool escape_byte(struct lineedit *le, uint8_t c)
{
	switch (le->esc_state) {
	case ESC_START:
		if (c == '[' || c == 'O') {
			le->esc_state = c == '[' ? ESC_CSI : ESC_SS3;
			le->esc_len = 0;
			return true;
		}
		if (c == 0x1b)
			return true;
		le->esc_state = ESC_NONE;
		return c >= 0x20 && c <= 0x7e;   /* ESC x (Alt-x): swallowed */
	case ESC_CSI:
		if (c >= 0x20 && c <= 0x3f) {
			if (le->esc_len < sizeof(le->esc_buf) - 1)
				le->esc_buf[le->esc_len] = (char)c;
			if (++le->esc_len > ESC_MAX_LEN)
				le->esc_state = ESC_NONE;
			return true;
		}
		le->esc_state = ESC_NONE;
		if (c >= 0x40 && c <= 0x7e) {
			le->esc_buf[MIN(le->esc_len, sizeof(le->esc_buf) - 1)] = '\0';
			csi_final(le, (char)c);
			return true;
		}
		return false;
	default:   /* ESC_SS3 */
		le->esc_state = ESC_NONE;
		if (c >= 0x40 && c <= 0x7e) {
			cursor_key(le, (char)c);
			return true;
		}
		return false;
	}
}

static enum le_result enter(struct lineedit *le)
{
	outs(le, "\r\n");
	le->finished = true;
	le->buf[le->len] = '\0';
	if (le->overflow)
		return LE_TOO_LONG;
	if (le->bad_bytes)
		return LE_BAD_INPUT;
	le->line = le->buf;
	if (le->len)
		hist_add(le, le->buf);
	return LE_LINE;
}

enum le_result le_feed(struct lineedit *le, uint8_t c)
{
	if (le->finished)
		reset(le);
	if (le->esc_state != ESC_NONE && escape_byte(le, c))
		return LE_CONTINUE;
	if (c == '\r' || c == '\n') {
		/* The second half of CR LF / LF CR is not another Enter. */
		if (le->last_eol && le->last_eol != (char)c) {
			le->last_eol = 0;
			return LE_CONTINUE;
		}
		le->last_eol = (char)c;
		return enter(le);
	}
	le->last_eol = 0;
	if (c >= 0x20 && c <= 0x7e) {
		insert(le, (char)c);
		return LE_CONTINUE;
	}
	switch (c) {
	case 0x1b:
		le->esc_state = ESC_START;
		break;
	case KEY_CTRL('C'):
		outs(le, "^C\r\n");
		le->finished = true;
		return LE_CANCEL;
	case 0x7f:
	case '\b':
		backspace(le);
		break;
	case KEY_CTRL('U'):
		kill_line(le);
		break;
	case KEY_CTRL('A'):
		home(le);
		break;
	case KEY_CTRL('E'):
		end(le);
		break;
	case '\t':
		break;   /* no completion; ignored, not counted as bad */
	default:
		if (le->bad_bytes < SIZE_MAX)
			le->bad_bytes++;
		break;
	}
	return LE_CONTINUE;
}
