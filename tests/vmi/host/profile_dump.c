/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * profile_dump: loads a profile with the hypervisor's parser (core/vmi/profile.c)
 * and prints it like `./mamoru profile --show`, so tests can compare the two.
 *
 *   profile_dump FILE [--text]        the --show lines (and the text symbols)
 *   profile_dump FILE --sym ADDR...   symbolize link addresses: "ADDR NAME+0xOFF" or "ADDR ?"
 *   profile_dump FILE --lookup NAME...  text symbol addresses: "NAME 0x..." or "NAME ?"
 *   profile_dump FILE --value KEY...  profile_value(): "KEY 0x..." or "KEY ?"
 * A profile the parser rejects: "profile_dump: <reason>" on stderr, exit status 1.
 */
#include <mamoru/vmi/profile.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_escaped(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", stdout);
		else if (*c >= 0x20 && *c < 0x7f)
			putchar(*c);
		else if (*c == '\n')
			fputs("\\n", stdout);
		else
			printf("\\x%02x", *c);
	}
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	unsigned char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		unsigned char *bigger = realloc(buf, cap * 2);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: profile_dump FILE [--text | --sym ADDR... | --lookup NAME... |"
				" --value KEY...]\n");
		return 2;
	}
	size_t len;
	unsigned char *data = read_file(argv[1], &len);
	if (!data) {
		fprintf(stderr, "profile_dump: cannot read %s\n", argv[1]);
		return 2;
	}
	struct profile p;
	char err[128];
	if (profile_load(&p, data, len, err, sizeof(err)) != 0) {
		fprintf(stderr, "profile_dump: %s\n", err);
		free(data);
		return 1;
	}
	if (argc > 2 && strcmp(argv[2], "--sym") == 0) {
		for (int i = 3; i < argc; i++) {
			uint64_t addr = strtoull(argv[i], NULL, 0), off;
			const char *name;
			if (profile_symbolize(&p, addr, &name, &off) == 0)
				printf("%s %s+0x%llx\n", argv[i], name, (unsigned long long)off);
			else
				printf("%s ?\n", argv[i]);
		}
	} else if (argc > 2 && strcmp(argv[2], "--lookup") == 0) {
		for (int i = 3; i < argc; i++) {
			uint64_t addr;
			if (profile_text_symbol(&p, argv[i], &addr) == 0)
				printf("%s 0x%016llx\n", argv[i], (unsigned long long)addr);
			else
				printf("%s ?\n", argv[i]);
		}
	} else if (argc > 2 && strcmp(argv[2], "--value") == 0) {
		for (int i = 3; i < argc; i++) {
			uint64_t val;
			if (profile_value(&p, argv[i], &val) == 0)
				printf("%s 0x%016llx\n", argv[i], (unsigned long long)val);
			else
				printf("%s ?\n", argv[i]);
		}
	} else {
		struct profile_entry e;
		for (size_t i = 0; profile_entry_at(&p, i, &e) == 0; i++) {
			printf("%s ", e.key);
			if (e.kind == PROFILE_STRING)
				print_escaped(e.string);
			else if (e.kind == PROFILE_ADDRESS)
				printf("0x%016llx", (unsigned long long)e.value);
			else
				printf("%llu", (unsigned long long)e.value);
			putchar('\n');
		}
		printf("text_symbols %zu\n", profile_text_count(&p));
		if (argc > 2 && strcmp(argv[2], "--text") == 0) {
			uint64_t addr;
			const char *name;
			for (size_t i = 0; profile_text_at(&p, i, &addr, &name) == 0; i++)
				printf("0x%016llx %s\n", (unsigned long long)addr, name);
		}
	}
	free(data);
	return 0;
}
