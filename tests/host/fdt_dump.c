/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fdt_dump <file.dtb> [query...]: validates a DTB with fdt_init and prints a
 * canonical text form: reserved memory, every node path with its properties,
 * then lookup results (bootargs, stdout-path, translated reg, interrupt
 * parents and specifiers, phandles). Each query is a path or alias to
 * resolve, "compat=<string>" to list the compatible nodes, "cpus" for the
 * CPU nodes and their enable methods (fdt_cpus), "vcpus" for a guest's vCPUs
 * (fdt_guest_vcpus), or "slots" for the spin-table
 * release slots (fdt_next_release_slot).
 * On an invalid blob prints "error: <message>" and exits 1.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mamoru/fdt.h>
#include <mamoru/fdt_cpus.h>

static struct fdt fdt;

/* The node's absolute path, built by walking up the parents. */
static const char *path_of(int node, char *buf, size_t size)
{
	int chain[FDT_MAX_DEPTH + 1], n = 0;
	size_t len = 0;

	if (node < 0)
		return "(none)";
	while (node >= 0 && n <= FDT_MAX_DEPTH) {
		chain[n++] = node;
		node = fdt_parent(&fdt, node);
	}
	buf[0] = '\0';
	for (int i = n - 2; i >= 0; i--) {
		const char *name = fdt_node_name(&fdt, chain[i]);

		len += (size_t)snprintf(buf + len, size - len, "/%s", name ? name : "?");
		if (len >= size)
			return buf;
	}
	if (n <= 1)
		snprintf(buf, size, "/");
	return buf;
}

static bool printable_strings(const char *v, int len)
{
	if (len <= 0 || v[len - 1] != '\0' || v[0] == '\0')
		return false;
	for (int i = 0; i < len; i++) {
		if (v[i] == '\0') {
			if (i > 0 && v[i - 1] == '\0')
				return false;  /* empty string inside the list */
		} else if (!isprint((unsigned char)v[i])) {
			return false;
		}
	}
	return true;
}

static void print_value(const unsigned char *v, int len)
{
	if (len == 0) {
		printf("(empty)");
	} else if (printable_strings((const char *)v, len)) {
		for (int i = 0; i < len; i += (int)strlen((const char *)v + i) + 1)
			printf("%s\"%s\"", i ? ", " : "", (const char *)v + i);
	} else if (len % 4 == 0) {
		printf("<");
		for (int i = 0; i < len; i += 4)
			printf("%s0x%08x", i ? " " : "", fdt32_to_cpu(v + i));
		printf(">");
	} else {
		printf("[");
		for (int i = 0; i < len; i++)
			printf("%s%02x", i ? " " : "", v[i]);
		printf("]");
	}
}

static void dump_tree(void)
{
	char path[1024];
	int node;

	for (node = fdt_root(&fdt); node >= 0; node = fdt_next_node(&fdt, node, NULL)) {
		printf("node %s\n", path_of(node, path, sizeof(path)));
		for (int prop = fdt_first_prop(&fdt, node); prop >= 0;
		     prop = fdt_next_prop(&fdt, prop)) {
			const char *name;
			int len;
			const unsigned char *v = fdt_prop_value(&fdt, prop, &name, &len);

			if (!v) {
				printf("  ? (unreadable property)\n");
				continue;
			}
			printf("  %s = ", name);
			print_value(v, len);
			printf("\n");
		}
	}
}

static void dump_reg(int node, const char *path)
{
	int len;

	if (!fdt_getprop(&fdt, node, "reg", &len))
		return;
	for (int i = 0;; i++) {
		uint64_t addr, size;
		int err = fdt_get_reg(&fdt, node, i, &addr, &size);

		if (err == FDT_ERR_NOTFOUND && i > 0)
			break;
		if (err) {
			printf("reg %s: error: %s\n", path, fdt_strerror(err));
			break;
		}
		printf("reg %s [%d]: addr 0x%llx size 0x%llx\n", path, i, (unsigned long long)addr,
		       (unsigned long long)size);
	}
}

static void dump_irqs(int node, const char *path)
{
	char ppath[1024];
	int len;

	if (!fdt_getprop(&fdt, node, "interrupts", &len) &&
	    !fdt_getprop(&fdt, node, "interrupts-extended", &len))
		return;
	printf("irq-parent %s: %s\n", path,
	       path_of(fdt_interrupt_parent(&fdt, node), ppath, sizeof(ppath)));
	for (int i = 0;; i++) {
		uint32_t cells[4];
		int n = 0, ctrl = -1;
		int err = fdt_get_interrupt_ctrl(&fdt, node, i, &ctrl, cells, 4, &n);

		if (err == FDT_ERR_NOTFOUND && i > 0)
			break;
		if (err) {
			printf("irq %s: error: %s\n", path, fdt_strerror(err));
			break;
		}
		printf("irq %s [%d]: ctrl %s cells %d:", path, i, path_of(ctrl, ppath, sizeof(ppath)), n);
		for (int k = 0; k < n && k < 4; k++)
			printf(" 0x%x", cells[k]);
		printf("\n");
	}
}

static void dump_lookups(void)
{
	char path[1024];
	const char *bootargs, *opts;
	int node;

	bootargs = fdt_getprop_str(&fdt, fdt_path_offset(&fdt, "/chosen"), "bootargs");
	printf("bootargs: %s\n", bootargs ? bootargs : "(none)");
	node = fdt_stdout_node(&fdt, &opts);
	if (node < 0)
		printf("stdout: error: %s\n", fdt_strerror(node));
	else
		printf("stdout: %s options %s\n", path_of(node, path, sizeof(path)), opts ? opts : "(none)");
	for (node = fdt_root(&fdt); node >= 0; node = fdt_next_node(&fdt, node, NULL)) {
		uint32_t ph;

		path_of(node, path, sizeof(path));
		dump_reg(node, path);
		dump_irqs(node, path);
		if (fdt_getprop_u32(&fdt, node, "phandle", &ph) == FDT_OK) {
			char other[1024];

			printf("phandle 0x%x: %s\n", ph,
			       path_of(fdt_node_by_phandle(&fdt, ph), other, sizeof(other)));
		}
	}
}

static void query_cpus(void)
{
	struct fdt_cpu cpus[FDT_CPUS_MAX];
	int n = fdt_cpus(&fdt, cpus, FDT_CPUS_MAX);

	if (n < 0) {
		printf("cpus: error: %s\n", fdt_strerror(n));
		return;
	}
	printf("cpus: %d\n", n);
	for (int i = 0; i < n && i < FDT_CPUS_MAX; i++) {
		printf("cpu 0x%llx: %s", (unsigned long long)cpus[i].mpidr,
		       cpu_enable_name(cpus[i].enable));
		if (cpus[i].enable == CPU_ENABLE_SPIN_TABLE)
			printf(" release 0x%llx", (unsigned long long)cpus[i].release_addr);
		printf("\n");
	}
}

static void query_vcpus(void)
{
	static const char *const names[] = {"ok", "none", "too many", "bad reg"};
	unsigned n;
	enum fdt_vcpus r = fdt_guest_vcpus(&fdt, &n);
	printf("vcpus: %s %u\n", names[r], n);
}

static void query_slots(void)
{
	uint64_t addr;
	int n = 0;

	for (int node = -1; (node = fdt_next_release_slot(&fdt, node, &addr)) >= 0; n++)
		printf("slot 0x%llx\n", (unsigned long long)addr);
	printf("slots: %d\n", n);
}

static void query(const char *q)
{
	char path[1024];

	if (strcmp(q, "cpus") == 0) {
		query_cpus();
		return;
	}
	if (strcmp(q, "vcpus") == 0) {
		query_vcpus();
		return;
	}
	if (strcmp(q, "slots") == 0) {
		query_slots();
		return;
	}

	if (strncmp(q, "compat=", 7) == 0) {
		int n = 0;

		for (int node = fdt_find_compatible(&fdt, -1, q + 7); node >= 0;
		     node = fdt_find_compatible(&fdt, node, q + 7), n++)
			printf("compat %s: %s\n", q + 7, path_of(node, path, sizeof(path)));
		if (!n)
			printf("compat %s: (none)\n", q + 7);
		return;
	}
	int node = fdt_path_offset(&fdt, q);

	if (node < 0)
		printf("path %s: error: %s\n", q, fdt_strerror(node));
	else
		printf("path %s: %s\n", q, path_of(node, path, sizeof(path)));
}

static unsigned char *read_file(const char *name, size_t *len)
{
	FILE *f = fopen(name, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				exit(2);
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	/* Exactly n bytes, so that AddressSanitizer sees any read past the end. */
	unsigned char *exact = malloc(n ? n : 1);

	if (!exact)
		exit(2);
	memcpy(exact, buf, n);
	free(buf);
	*len = n;
	return exact;
}

int main(int argc, char **argv)
{
	unsigned char *blob;
	size_t len;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: fdt_dump <file.dtb> [path|alias|compat=<string>|cpus|vcpus|slots...]\n");
		return 2;
	}
	blob = read_file(argv[1], &len);
	if (!blob) {
		fprintf(stderr, "fdt_dump: cannot read %s\n", argv[1]);
		return 2;
	}
	err = fdt_init(&fdt, blob, len);
	if (err) {
		printf("error: %s\n", fdt_strerror(err));
		free(blob);
		return 1;
	}
	for (int i = 0; i < fdt_num_mem_rsv(&fdt); i++) {
		uint64_t a, s;

		if (fdt_get_mem_rsv(&fdt, i, &a, &s) == FDT_OK)
			printf("memreserve 0x%llx 0x%llx\n", (unsigned long long)a, (unsigned long long)s);
	}
	dump_tree();
	dump_lookups();
	for (int i = 2; i < argc; i++)
		query(argv[i]);
	free(blob);
	return 0;
}
