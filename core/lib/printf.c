/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * printf-style formatting without floating point: m_vformat does the work
 * and writes through a callback; m_vsnprintf is a callback into a buffer.
 */
#include <mamoru/libc.h>

#define F_LEFT  0x01u
#define F_ZERO  0x02u
#define F_PLUS  0x04u
#define F_SPACE 0x08u
#define F_ALT   0x10u

#define MAX_FIELD 1000000   /* width/precision are clamped to this */
#define INT_LIMIT 0x7fffffff

enum len_mod { L_NONE, L_HH, L_H, L_L, L_LL, L_Z, L_J, L_T };

struct out {
	fmt_out_fn fn;
	void *ctx;
	size_t total;
};

struct spec {
	unsigned flags;
	int width;
	int prec;            /* -1: none given */
	enum len_mod len;
	char conv;
};

static void emit(struct out *o, const char *s, size_t n)
{
	if (!n)
		return;
	o->fn(o->ctx, s, n);
	o->total += n;
}

static void pad(struct out *o, char c, int n)
{
	char chunk[16];
	size_t i;

	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = c;
	while (n > 0) {
		int k = n < (int)sizeof(chunk) ? n : (int)sizeof(chunk);

		emit(o, chunk, (size_t)k);
		n -= k;
	}
}

/* Parses a decimal field, saturating so that huge widths cannot overflow. */
static int parse_field(const char **fmt)
{
	int v = 0;

	while (**fmt >= '0' && **fmt <= '9') {
		if (v < MAX_FIELD)
			v = v * 10 + (**fmt - '0');
		(*fmt)++;
	}
	return v > MAX_FIELD ? MAX_FIELD : v;
}

static int clamp_field(int v)
{
	return v > MAX_FIELD ? MAX_FIELD : v;
}

/* Reads flags, width, precision and length modifier after a '%'. */
static void parse_spec(const char **fmtp, struct spec *sp, va_list *ap)
{
	const char *fmt = *fmtp;

	sp->flags = 0;
	for (;; fmt++) {
		if (*fmt == '-')
			sp->flags |= F_LEFT;
		else if (*fmt == '0')
			sp->flags |= F_ZERO;
		else if (*fmt == '+')
			sp->flags |= F_PLUS;
		else if (*fmt == ' ')
			sp->flags |= F_SPACE;
		else if (*fmt == '#')
			sp->flags |= F_ALT;
		else
			break;
	}
	sp->width = 0;
	if (*fmt == '*') {
		int w = va_arg(*ap, int);

		fmt++;
		if (w < 0) {
			sp->flags |= F_LEFT;
			w = (w < -MAX_FIELD) ? MAX_FIELD : -w;
		}
		sp->width = clamp_field(w);
	} else {
		sp->width = parse_field(&fmt);
	}
	sp->prec = -1;
	if (*fmt == '.') {
		fmt++;
		if (*fmt == '*') {
			int p = va_arg(*ap, int);

			fmt++;
			sp->prec = p < 0 ? -1 : clamp_field(p);
		} else {
			sp->prec = parse_field(&fmt);
		}
	}
	sp->len = L_NONE;
	if (*fmt == 'h') {
		fmt++;
		sp->len = L_H;
		if (*fmt == 'h') {
			fmt++;
			sp->len = L_HH;
		}
	} else if (*fmt == 'l') {
		fmt++;
		sp->len = L_L;
		if (*fmt == 'l') {
			fmt++;
			sp->len = L_LL;
		}
	} else if (*fmt == 'z') {
		fmt++;
		sp->len = L_Z;
	} else if (*fmt == 'j') {
		fmt++;
		sp->len = L_J;
	} else if (*fmt == 't') {
		fmt++;
		sp->len = L_T;
	}
	sp->conv = *fmt;
	if (*fmt)
		fmt++;
	*fmtp = fmt;
}

static int64_t get_signed(enum len_mod len, va_list *ap)
{
	switch (len) {
	case L_HH: return (signed char)va_arg(*ap, int);
	case L_H:  return (short)va_arg(*ap, int);
	case L_L:  return va_arg(*ap, long);
	case L_LL: return va_arg(*ap, long long);
	case L_Z:  return (int64_t)va_arg(*ap, size_t);  /* the signed size_t */
	case L_J:  return va_arg(*ap, intmax_t);
	case L_T:  return va_arg(*ap, ptrdiff_t);
	default:   return va_arg(*ap, int);
	}
}

static uint64_t get_unsigned(enum len_mod len, va_list *ap)
{
	switch (len) {
	case L_HH: return (unsigned char)va_arg(*ap, unsigned int);
	case L_H:  return (unsigned short)va_arg(*ap, unsigned int);
	case L_L:  return va_arg(*ap, unsigned long);
	case L_LL: return va_arg(*ap, unsigned long long);
	case L_Z:  return va_arg(*ap, size_t);
	case L_J:  return va_arg(*ap, uintmax_t);
	case L_T:  return (uint64_t)va_arg(*ap, ptrdiff_t);
	default:   return va_arg(*ap, unsigned int);
	}
}

/* Emits prefix, precision zeros and digits of a converted integer, padded to
 * the field width. */
static void put_number(struct out *o, const struct spec *sp, const char *prefix,
		       uint64_t v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int nd = 0, zeros, plen, body;

	if (!(v == 0 && sp->prec == 0)) {
		do {
			buf[sizeof(buf) - 1 - (size_t)nd++] = digits[v % base];
			v /= base;
		} while (v);
	}
	plen = (int)strlen(prefix);
	zeros = sp->prec > nd ? sp->prec - nd : 0;
	body = plen + zeros + nd;
	if (!(sp->flags & F_LEFT) && (sp->flags & F_ZERO) && sp->prec < 0 && sp->width > body) {
		zeros += sp->width - body;
		body = sp->width;
	}
	if (!(sp->flags & F_LEFT) && sp->width > body)
		pad(o, ' ', sp->width - body);
	emit(o, prefix, (size_t)plen);
	pad(o, '0', zeros);
	emit(o, buf + sizeof(buf) - nd, (size_t)nd);
	if ((sp->flags & F_LEFT) && sp->width > body)
		pad(o, ' ', sp->width - body);
}

static void put_string(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	int w = sp->width - (n < (size_t)MAX_FIELD ? (int)n : MAX_FIELD);

	if (!(sp->flags & F_LEFT))
		pad(o, ' ', w);
	emit(o, s, n);
	if (sp->flags & F_LEFT)
		pad(o, ' ', w);
}

static void convert(struct out *o, struct spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case 'd':
	case 'i': {
		int64_t v = get_signed(sp->len, ap);
		/* Negate in unsigned arithmetic: -INT64_MIN overflows. */
		uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		const char *prefix = v < 0 ? "-" : (sp->flags & F_PLUS) ? "+" :
				     (sp->flags & F_SPACE) ? " " : "";

		put_number(o, sp, prefix, mag, 10, false);
		break;
	}
	case 'u':
		put_number(o, sp, "", get_unsigned(sp->len, ap), 10, false);
		break;
	case 'x':
	case 'X': {
		uint64_t v = get_unsigned(sp->len, ap);
		const char *prefix = ((sp->flags & F_ALT) && v) ? (sp->conv == 'x' ? "0x" : "0X") : "";

		put_number(o, sp, prefix, v, 16, sp->conv == 'X');
		break;
	}
	case 'p':
		put_number(o, sp, "0x", (uintptr_t)va_arg(*ap, void *), 16, false);
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);
		size_t n;

		if (!s)
			s = "(null)";
		n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
		put_string(o, sp, s, n);
		break;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);

		put_string(o, sp, &c, 1);
		break;
	}
	case '%':
		emit(o, "%", 1);
		break;
	case '\0':
		emit(o, "%", 1);   /* a lone '%' at the end */
		break;
	default:
		/* Unknown conversion: show it rather than consume an argument. */
		emit(o, "%", 1);
		emit(o, &sp->conv, 1);
		break;
	}
}

int m_vformat(fmt_out_fn fn, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { fn, ctx, 0 };
	struct spec sp;
	va_list args;

	/* A copy, so that helpers can take a pointer to it portably. */
	va_copy(args, ap);
	while (*fmt) {
		const char *start = fmt;

		while (*fmt && *fmt != '%')
			fmt++;
		emit(&o, start, (size_t)(fmt - start));
		if (!*fmt)
			break;
		fmt++;
		parse_spec(&fmt, &sp, &args);
		convert(&o, &sp, &args);
	}
	va_end(args);
	return o.total > INT_LIMIT ? INT_LIMIT : (int)o.total;
}

struct buf_ctx {
	char *buf;
	size_t size;
	size_t pos;      /* bytes stored so far, < size */
};

static void buf_out(void *ctx, const char *s, size_t n)
{
	struct buf_ctx *b = ctx;
	size_t room;

	if (b->size == 0)
		return;
	room = b->size - 1 - b->pos;
	if (n > room)
		n = room;
	memcpy(b->buf + b->pos, s, n);
	b->pos += n;
}

int m_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_ctx b = { buf, size, 0 };
	int n = m_vformat(buf_out, &b, fmt, ap);

	if (size)
		buf[b.pos] = '\0';
	return n;
}

int m_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = m_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
