/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the walker tools share (walk_test, walk_short_test and their fuzzers): guest memory
 * held in a buffer, read a descriptor at a time with the reads counted, and the command
 * line's numbers. Header-only: each tool is one file.
 */
#ifndef TESTS_VMI_HOST_WALK_IMAGE_H
#define TESTS_VMI_HOST_WALK_IMAGE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Guest-physical gpa onwards; reads outside it fail. */
struct walk_image {
	uint64_t gpa;
	const uint8_t *data;
	size_t size;
	unsigned long reads;
};

/* Reads an n-byte descriptor (n = 4 or 8, naturally aligned) at pa; counts the read. */
static inline int image_read(struct walk_image *m, uint64_t pa, void *val, size_t n)
{
	m->reads++;
	if ((pa & (n - 1)) || pa < m->gpa || pa - m->gpa > m->size || m->size - (pa - m->gpa) < n)
		return -1;
	memcpy(val, m->data + (pa - m->gpa), n);
	return 0;
}

/* The whole of file path, as guest memory from gpa; exits 2 when it cannot be read. */
static inline struct walk_image image_load(const char *prog, const char *path, uint64_t gpa)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
	if (size < 0 || !data || fread(data, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "%s: cannot read %s\n", prog, path);
		exit(2);
	}
	fclose(f);
	return (struct walk_image){ .gpa = gpa, .data = data, .size = (size_t)size };
}

static inline void image_free(struct walk_image *m)
{
	free((void *)m->data);
	m->data = NULL;
}

/* A command-line number (C syntax: 0x.. hex, 0.. octal); exits 2 on anything else. */
static inline uint64_t parse_num(const char *prog, const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*s == 0 || *end) {
		fprintf(stderr, "%s: bad number '%s'\n", prog, s);
		exit(2);
	}
	return v;
}

/* Eight bytes of a fuzzer's input, little-endian as the host reads them. */
static inline uint64_t input_word(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* "fault <kind> level=N reads=N: <description>", the line both walkers print for a fault. */
static inline void print_fault(const char *kind, int level, unsigned long reads, const char *text)
{
	printf("fault %s level=%d reads=%lu: %s\n", kind, level, reads, text);
}

#endif
