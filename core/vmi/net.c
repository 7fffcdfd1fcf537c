/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's sockets from the kernel's own tables (`ids net`): TCP's
 * listening hash (tcp_hashinfo.lhash2) and established hash (.ehash, which
 * also holds time-wait and request socks), UDP's udp_table; the socket files
 * in the tasks' fd tables (who owns a socket); and the /proc/net entries
 * whose reads netstat sees (init_net.proc_net's children).
 *
 * Layout (6.x): a bucket array of `mask + 1` heads; TCP chains are
 * hlist_nulls lists (the end is an odd "nulls" value, not NULL) through
 * sock_common.skc_nulls_node, UDP chains plain hlists through skc_node.
 * Every bucket count, chain length and pointer is checked; each chain runs
 * Brent's cycle detection, and a limit caps the sockets in all.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/vmi.h>

#define NET_MAX_BUCKETS (1u << 22)  /* more is not a table this IDS can walk in a pause */
#define SOCK_COMMON_MAX 512          /* bytes of sock_common read at once */
#define CHUNK 1024                   /* bytes of a bucket or fd array read at once */
#define PROC_TREE_DEPTH 64
#define PROC_TREE_BUDGET 4096

struct net_walk {
	struct vmi *v;
	uint64_t size, daddr, rcv_saddr, dport, num, family, state, net, v6_daddr, v6_rcv_saddr;
	uint64_t nulls_node, node, sk_socket, hnext;
	bool have_v6;
	uint32_t limit, seen;
	vmi_sock_cb cb;
	void *ctx;
};

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t x = 0;
	for (unsigned i = n; i--; )
		x = x << 8 | p[i];
	return x;
}

/* A member of n bytes at off inside the sock_common copy. */
static bool fits(const struct net_walk *w, uint64_t off, uint64_t n)
{
	return off <= w->size && n <= w->size - off;
}

static int net_offsets(struct vmi *v, struct net_walk *w)
{
	static const char *const need[] = {
		"sock_common.skc_daddr", "sock_common.skc_rcv_saddr", "sock_common.skc_dport",
		"sock_common.skc_num", "sock_common.skc_family", "sock_common.skc_state",
		"sock_common.skc_net", "sock_common.skc_nulls_node", "sock_common.skc_node",
		"sock.sk_socket", "hlist_nulls_node.next", "sizeof.sock_common",
	};
	uint64_t *dst[] = { &w->daddr, &w->rcv_saddr, &w->dport, &w->num, &w->family, &w->state,
			    &w->net, &w->nulls_node, &w->node, &w->sk_socket, &w->hnext, &w->size };
	for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
		int rc = vmi_field(v, need[i], dst[i]);
		if (rc)
			return rc;
	}
	w->have_v6 = vmi_field(v, "sock_common.skc_v6_daddr", &w->v6_daddr) == VMI_OK &&
		     vmi_field(v, "sock_common.skc_v6_rcv_saddr", &w->v6_rcv_saddr) == VMI_OK;
	unsigned p = v->ptr_size;
	if (w->size > SOCK_COMMON_MAX || !fits(w, w->daddr, 4) || !fits(w, w->rcv_saddr, 4) ||
	    !fits(w, w->dport, 2) || !fits(w, w->num, 2) || !fits(w, w->family, 2) ||
	    !fits(w, w->state, 1) || !fits(w, w->net, p) ||
	    (w->have_v6 && (!fits(w, w->v6_daddr, 16) || !fits(w, w->v6_rcv_saddr, 16))) ||
	    w->nulls_node != w->node)
		return vmi_fail(v, VMI_ENOKEY, "the profile's sock_common layout is implausible "
				"(size %llu)", (unsigned long long)w->size);
	return VMI_OK;
}

/* Reads the socket whose chain node is at node (node - node_off is the sock). */
/* Reads the sock at sk (its sock_common in one piece, then sk_socket when
 * full: time-wait and request socks are only a sock_common). */
static int read_sock(struct net_walk *w, uint64_t sk, bool full, struct vmi_sock *s)
{
	struct vmi *v = w->v;
	uint8_t buf[SOCK_COMMON_MAX];
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = vmi_read_virt(v, sk, buf, (size_t)w->size)))
		return vmi_context(v, rc, "reading the sock at 0x%llx", (unsigned long long)sk);
	s->sk = sk;
	s->family = (uint16_t)get_le(buf + w->family, 2);
	s->state = buf[w->state];
	s->lport = (uint16_t)get_le(buf + w->num, 2);
	s->rport = (uint16_t)(buf[w->dport] << 8 | buf[w->dport + 1]);   /* big-endian */
	s->net = get_le(buf + w->net, v->ptr_size);
	if (s->family == VMI_AF_INET6 && w->have_v6) {
		memcpy(s->laddr, buf + w->v6_rcv_saddr, 16);
		memcpy(s->raddr, buf + w->v6_daddr, 16);
	} else {
		memcpy(s->laddr, buf + w->rcv_saddr, 4);
		memcpy(s->raddr, buf + w->daddr, 4);
	}
	if (full && (rc = vmi_read_ptr(v, sk + w->sk_socket, &s->socket, true)))
		return vmi_context(v, rc, "reading sk_socket of the sock at 0x%llx",
				   (unsigned long long)sk);
	return VMI_OK;
}

static int visit_sock(struct net_walk *w, uint64_t sk, enum vmi_sock_proto proto,
		      const char *table)
{
	struct vmi_sock s;
	int rc;

	if (++w->seen > w->limit)
		return vmi_fail(w->v, VMI_ELIMIT, "more than %u sockets", w->limit);
	/* Peek at the state first: it decides whether there is more than a sock_common. */
	uint8_t st;
	if ((rc = vmi_read_virt(w->v, sk + w->state, &st, 1)))
		return vmi_context(w->v, rc, "reading the sock at 0x%llx", (unsigned long long)sk);
	bool full = proto == VMI_PROTO_UDP ||
		    (st != VMI_TCP_TIME_WAIT && st != VMI_TCP_NEW_SYN_RECV);
	if ((rc = read_sock(w, sk, full, &s)))
		return rc;
	s.proto = proto;
	s.table = table;
	return w->cb(w->ctx, &s);
}

/* The offsets vmi_sock_read needs past net_offsets: sk_protocol and sk_type. */
static int read_offsets(struct vmi *v, struct net_walk *w, uint64_t *poff, uint64_t *toff)
{
	uint64_t psize, tsize, bits;
	int rc;

	if ((rc = net_offsets(v, w)) || (rc = vmi_field(v, "sock.sk_protocol", poff)) ||
	    (rc = vmi_field(v, "sock.sk_type", toff)) ||
	    (rc = vmi_field(v, "sizeof.sock.sk_protocol", &psize)) ||
	    (rc = vmi_field(v, "sizeof.sock.sk_type", &tsize)))
		return rc;
	/* Before 5.6 both were bitfields: not read here. */
	if (psize != 2 || tsize != 2 || vmi_field(v, "bitfield.sock.sk_protocol", &bits) == VMI_OK)
		return vmi_fail(v, VMI_ENOKEY, "sock.sk_protocol is not a 16-bit member here");
	return VMI_OK;
}

int vmi_sock_layout(struct vmi *v)
{
	struct net_walk w = {.v = v};
	uint64_t poff, toff;
	return read_offsets(v, &w, &poff, &toff);
}

int vmi_sock_read(struct vmi *v, uint64_t sk, struct vmi_sock *s)
{
	struct net_walk w = {.v = v};
	uint64_t poff, toff;
	uint8_t b[2];
	int rc;

	if ((rc = read_offsets(v, &w, &poff, &toff)))
		return rc;
	if (!vmi_is_kptr(v, sk))
		return vmi_fail(v, VMI_EBADPTR, "sock 0x%llx is not a kernel address",
				(unsigned long long)sk);
	if ((rc = read_sock(&w, sk, true, s)))
		return rc;
	if ((rc = vmi_read_virt(v, sk + poff, b, 2)))
		return vmi_context(v, rc, "reading sk_protocol of the sock at 0x%llx",
				   (unsigned long long)sk);
	s->protocol = (uint16_t)(b[0] | b[1] << 8);
	if ((rc = vmi_read_virt(v, sk + toff, b, 2)))
		return vmi_context(v, rc, "reading sk_type of the sock at 0x%llx",
				   (unsigned long long)sk);
	s->type = (uint16_t)(b[0] | b[1] << 8);
	s->proto = s->protocol == 6 ? VMI_PROTO_TCP : s->protocol == 17 ? VMI_PROTO_UDP
									 : VMI_PROTO_OTHER;
	s->table = "file";
	return VMI_OK;
}

bool vmi_sock_must_be_hashed(const struct vmi_sock *s)
{
	if (s->family != VMI_AF_INET && s->family != VMI_AF_INET6)
		return false;
	if (s->proto == VMI_PROTO_TCP && s->type == 1 /* SOCK_STREAM */)
		return s->state != VMI_TCP_CLOSE;
	if (s->proto == VMI_PROTO_UDP && s->type == 2 /* SOCK_DGRAM */)
		return s->lport != 0;
	return false;
}

/* One chain: hlist_nulls (TCP: ends at an odd value) or hlist (UDP: NULL). */
static int walk_chain(struct net_walk *w, uint64_t first, bool nulls, enum vmi_sock_proto proto,
		      const char *table, uint64_t bucket)
{
	struct vmi *v = w->v;
	uint64_t node = first, tortoise = first, off = nulls ? w->nulls_node : w->node;
	uint32_t power = 1, lam = 0, n = 0;
	int rc;

	while (nulls ? !(node & 1) : node != 0) {
		if (!vmi_is_kptr(v, node) || node < off)
			return vmi_fail(v, VMI_EBADPTR, "%s bucket %llu: node 0x%llx (entry %u) is "
					"not a kernel address", table, (unsigned long long)bucket,
					(unsigned long long)node, n);
		if ((rc = visit_sock(w, node - off, proto, table)))
			return rc < 0 ? vmi_context(v, rc, "%s bucket %llu", table,
						    (unsigned long long)bucket) : rc;
		uint64_t next;
		/* hlist_node and hlist_nulls_node both start with next. */
		if ((rc = vmi_read_ulong(v, node + w->hnext, &next)))
			return vmi_context(v, rc, "%s bucket %llu: reading the next of 0x%llx", table,
					   (unsigned long long)bucket, (unsigned long long)node);
		if (next == tortoise)
			return vmi_fail(v, VMI_ELOOP, "%s bucket %llu: the chain loops through "
					"0x%llx (after %u entries)", table, (unsigned long long)bucket,
					(unsigned long long)next, n + 1);
		if (++lam == power) {
			tortoise = next;
			if (power < 0x80000000u)
				power *= 2;
			lam = 0;
		}
		node = next;
		n++;
	}
	return VMI_OK;
}

/* A table of count buckets of bsize bytes at base, each with a chain head
 * (one pointer) at hoff. */
static int walk_table(struct net_walk *w, uint64_t base, uint64_t count, uint64_t bsize,
		      uint64_t hoff, bool nulls, enum vmi_sock_proto proto, const char *table)
{
	struct vmi *v = w->v;
	uint8_t chunk[CHUNK];
	uint64_t c0 = 0, cn = 0;
	int rc;

	if (count == 0 || count > NET_MAX_BUCKETS)
		return vmi_fail(v, VMI_ELIMIT, "%s: %llu buckets (implausible)", table,
				(unsigned long long)count);
	if (bsize == 0 || bsize > CHUNK || hoff > bsize || v->ptr_size > bsize - hoff)
		return vmi_fail(v, VMI_ENOKEY, "%s: the profile's bucket layout is implausible",
				table);
	if (!vmi_is_kptr(v, base))
		return vmi_fail(v, VMI_EBADPTR, "%s: bucket array 0x%llx is not a kernel address",
				table, (unsigned long long)base);
	for (uint64_t i = 0; i < count; i++) {
		if (i >= c0 + cn) {
			c0 = i;
			cn = MIN(count - i, CHUNK / bsize);
			if ((rc = vmi_read_virt(v, base + i * bsize, chunk, (size_t)(cn * bsize))))
				return vmi_context(v, rc, "reading %s buckets %llu..%llu", table,
						   (unsigned long long)i,
						   (unsigned long long)(i + cn - 1));
		}
		uint64_t first = get_le(chunk + (i - c0) * bsize + hoff, v->ptr_size);
		if ((rc = walk_chain(w, first, nulls, proto, table, i)))
			return rc;
	}
	return VMI_OK;
}

/* The bucket array pointer and its mask (a u32) of a hash table struct. */
static int table_of(struct vmi *v, uint64_t obj, const char *arr, const char *mask,
		    uint64_t *base, uint64_t *count)
{
	uint64_t aoff, moff;
	uint32_t m;
	int rc;

	if ((rc = vmi_field(v, arr, &aoff)) || (rc = vmi_field(v, mask, &moff)))
		return rc;
	if ((rc = vmi_read_ptr(v, obj + aoff, base, false)) || (rc = vmi_read_u32(v, obj + moff, &m)))
		return vmi_context(v, rc, "reading %s and %s", arr, mask);
	*count = (uint64_t)m + 1;
	return VMI_OK;
}

/* The three tables, walked in this order: where each keeps its bucket array,
 * mask and chain head (keys of the profile), and how its chains end. */
struct sock_table {
	const char *sym, *arr, *mask, *bsize, *head, *name;
	bool nulls;
	enum vmi_sock_proto proto;
};

static const struct sock_table sock_tables[] = {
	/* Listening sockets: lhash2, keyed by port and address. */
	{"tcp_hashinfo", "inet_hashinfo.lhash2", "inet_hashinfo.lhash2_mask",
	 "sizeof.inet_listen_hashbucket", "inet_listen_hashbucket.nulls_head", "listen", true,
	 VMI_PROTO_TCP},
	/* Connected, time-wait and request socks. */
	{"tcp_hashinfo", "inet_hashinfo.ehash", "inet_hashinfo.ehash_mask",
	 "sizeof.inet_ehash_bucket", "inet_ehash_bucket.chain", "established", true, VMI_PROTO_TCP},
	{"udp_table", "udp_table.hash", "udp_table.mask", "sizeof.udp_hslot", "udp_hslot.head",
	 "udp", false, VMI_PROTO_UDP},
};

int vmi_sock_foreach(struct vmi *v, uint32_t limit, vmi_sock_cb cb, void *ctx)
{
	struct net_walk w = {.v = v, .limit = limit, .cb = cb, .ctx = ctx};
	uint64_t obj[ARRAY_SIZE(sock_tables)];
	int rc;

	if ((rc = net_offsets(v, &w)))
		return rc;
	/* Every symbol first: a profile without one walks nothing. */
	for (size_t i = 0; i < ARRAY_SIZE(sock_tables); i++)
		if ((rc = vmi_sym(v, sock_tables[i].sym, &obj[i])))
			return rc;
	for (size_t i = 0; i < ARRAY_SIZE(sock_tables); i++) {
		const struct sock_table *t = &sock_tables[i];
		uint64_t base = 0, count = 0, bsize = 0, hoff = 0;
		if ((rc = table_of(v, obj[i], t->arr, t->mask, &base, &count)) ||
		    (rc = vmi_field(v, t->bsize, &bsize)) || (rc = vmi_field(v, t->head, &hoff)) ||
		    (rc = walk_table(&w, base, count, bsize, hoff, t->nulls, t->proto, t->name)))
			return rc;
	}
	return VMI_OK;
}

/* -- socket files in the tasks' fd tables ------------------------------------ */

/*
 * Each loop here is bounded, but the bounds multiply (tasks x fd slots x reads
 * per slot): a hostile kernel that points every task at one huge fd array of
 * socket files would keep the walk (and the main loop running it) busy for
 * hours. So one budget covers the whole scan, and an fd array already walked
 * is not walked again (threads and CLONE_FILES children share a files_struct;
 * a hostile kernel can alias files_structs or fdtables: all lead to one array).
 */
#define WALKED_MAX 64                /* fd arrays remembered; later ones are only charged */
#define COST_TABLE 1                 /* a task's files, fdtable and max_fds */
#define COST_SLOT 1                  /* an fd slot */
#define COST_FILE 1                  /* a file's f_op */
#define COST_SOCKET 2                /* a socket file's socket and sk, and the callback */

struct walked {
	uint64_t arr;
	uint32_t max;
};

struct file_walk {
	struct vmi *v;
	uint64_t files, fdt, max_fds, fd, f_op, priv, sock_sk, sfops;
	uint64_t init_files;         /* init_task's files_struct (kernel threads share it) */
	uint32_t fd_limit, budget, spent;
	struct walked walked[WALKED_MAX];
	unsigned nwalked;
	vmi_sock_file_cb cb;
	void *ctx;
	struct vmi_sock_file_stats st;
};

/* Takes n units from the scan's budget; VMI_ELIMIT once it is spent. */
static int charge(struct file_walk *w, uint32_t n)
{
	if (n > w->budget - w->spent) {
		w->spent = w->budget;
		return vmi_fail(w->v, VMI_ELIMIT, "the fd tables hold more than %u fd slots and "
				"socket files in all (the scan's budget; aliased or oversized tables)",
				w->budget);
	}
	w->spent += n;
	return VMI_OK;
}

/* Whether fd[0..max) at arr was walked already in this scan (remembers it if not). */
static bool walked_before(struct file_walk *w, uint64_t arr, uint32_t max)
{
	for (unsigned i = 0; i < w->nwalked; i++)
		if (w->walked[i].arr == arr) {
			if (max <= w->walked[i].max)
				return true;
			w->walked[i].max = max;     /* a longer view of it: walked (and charged) again */
			return false;
		}
	if (w->nwalked < WALKED_MAX)
		w->walked[w->nwalked++] = (struct walked){arr, max};
	return false;
}

static int one_file(struct file_walk *w, const struct vmi_task *t, uint32_t fd, uint64_t file)
{
	struct vmi *v = w->v;
	uint64_t fop, sock, sk;
	int rc;

	if (!vmi_is_kptr(v, file))
		return vmi_fail(v, VMI_EBADPTR, "fd %u of pid %d: file 0x%llx is not a kernel "
				"address", fd, t->pid, (unsigned long long)file);
	if ((rc = charge(w, COST_FILE)))
		return rc;
	if ((rc = vmi_read_ptr(v, file + w->f_op, &fop, true)))
		return vmi_context(v, rc, "reading f_op of fd %u of pid %d", fd, t->pid);
	if (fop != w->sfops)
		return 0;
	if ((rc = charge(w, COST_SOCKET)))
		return rc;
	if ((rc = vmi_read_ptr(v, file + w->priv, &sock, false)) ||
	    (rc = vmi_read_ptr(v, sock + w->sock_sk, &sk, true)))
		return vmi_context(v, rc, "reading the socket of fd %u of pid %d", fd, t->pid);
	return sk ? w->cb(w->ctx, t, fd, sk) : 0;
}

static int task_files(void *ctx, const struct vmi_task *t)
{
	struct file_walk *w = ctx;
	struct vmi *v = w->v;
	uint64_t files, fdt, arr;
	uint32_t max;
	uint8_t chunk[CHUNK];
	unsigned p = v->ptr_size;
	int rc;

	/* A kernel thread has no mm (nor fds of its own); an exiting process has dropped
	 * its mm. PF_KTHREAD alone is only a flag a rootkit can set on its own process. */
	if (!t->mm)
		return 0;
	if ((rc = charge(w, COST_TABLE)))
		return rc;
	if ((rc = vmi_read_ptr(v, t->addr + w->files, &files, true)))
		return vmi_context(v, rc, "reading the files of pid %d", t->pid);
	if (!files)
		return 0;                 /* exiting */
	if ((t->flags & PF_KTHREAD) && files != w->init_files && !w->st.disguised++) {
		w->st.disguised_pid = t->pid;
		memcpy(w->st.disguised_comm, t->comm, sizeof(w->st.disguised_comm));
	}
	if ((rc = vmi_read_ptr(v, files + w->fdt, &fdt, false)) ||
	    (rc = vmi_read_u32(v, fdt + w->max_fds, &max)) ||
	    (rc = vmi_read_ptr(v, fdt + w->fd, &arr, false)))
		return vmi_context(v, rc, "reading the fd table of pid %d", t->pid);
	/* Only the first fd_limit slots: a larger table is a process that raised its
	 * fd limit (the rest is counted, for a partial result), or a hostile max_fds. */
	uint32_t room = max;
	max = MIN(max, w->fd_limit);
	if (walked_before(w, arr, max))
		return 0;
	if (room > max) {
		if (!w->st.tasks++) {
			w->st.first_pid = t->pid;
			w->st.first_max = room;
		}
		w->st.skipped += room - max;
	}
	for (uint32_t i = 0; i < max; ) {
		uint32_t n = MIN(max - i, (uint32_t)(CHUNK / p));
		if ((rc = charge(w, n * COST_SLOT)))
			return vmi_context(v, rc, "pid %d", t->pid);
		if ((rc = vmi_read_virt(v, arr + (uint64_t)i * p, chunk, (size_t)n * p)))
			return vmi_context(v, rc, "reading fds %u..%u of pid %d", i, i + n - 1,
					   t->pid);
		for (uint32_t j = 0; j < n; j++) {
			uint64_t file = get_le(chunk + (size_t)j * p, p);
			if (file && (rc = one_file(w, t, i + j, file)))
				return rc;
		}
		i += n;
	}
	return 0;
}

int vmi_sock_file_foreach(struct vmi *v, uint32_t task_limit, uint32_t fd_limit,
			  uint32_t budget, vmi_sock_file_cb cb, void *ctx,
			  struct vmi_sock_file_stats *st)
{
	struct file_walk w = {.v = v, .fd_limit = fd_limit, .budget = budget, .cb = cb,
			      .ctx = ctx};
	uint64_t init;
	int rc;

	if ((rc = vmi_field(v, "task_struct.files", &w.files)) ||
	    (rc = vmi_field(v, "files_struct.fdt", &w.fdt)) ||
	    (rc = vmi_field(v, "fdtable.max_fds", &w.max_fds)) ||
	    (rc = vmi_field(v, "fdtable.fd", &w.fd)) || (rc = vmi_field(v, "file.f_op", &w.f_op)) ||
	    (rc = vmi_field(v, "file.private_data", &w.priv)) ||
	    (rc = vmi_field(v, "socket.sk", &w.sock_sk)) ||
	    (rc = vmi_sym(v, "socket_file_ops", &w.sfops)) ||
	    (rc = vmi_sym(v, "init_task", &init)))
		return rc;
	if ((rc = vmi_read_ptr(v, init + w.files, &w.init_files, true)))
		return vmi_context(v, rc, "reading init_task's files");
	rc = vmi_task_foreach(v, task_limit, task_files, &w);
	if (st)
		*st = w.st;
	return rc;
}

/* -- /proc/net entries --------------------------------------------------------- */

int vmi_proc_net_entry(struct vmi *v, const char *name, struct vmi_proc_entry *e)
{
	static const char *const need[] = {
		"net.proc_net", "proc_dir_entry.subdir", "proc_dir_entry.subdir_node",
		"proc_dir_entry.name", "proc_dir_entry.namelen", "proc_dir_entry.seq_ops",
		"proc_dir_entry.proc_ops", "rb_node.rb_left", "rb_node.rb_right",
		"seq_operations.start", "seq_operations.next", "seq_operations.stop",
		"seq_operations.show",
	};
	uint64_t o[ARRAY_SIZE(need)], init_net, dir, stack[PROC_TREE_DEPTH];
	size_t len = strlen(name), sp = 0;
	uint32_t seen = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	if (len == 0 || len > 255)
		return vmi_fail(v, VMI_EINVAL, "bad /proc/net entry name");
	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if ((rc = vmi_field(v, need[i], &o[i])))
			return rc;
	enum { PROC_NET, SUBDIR, NODE, NAME, NAMELEN, SEQ_OPS, PROC_OPS, LEFT, RIGHT, START, NEXT,
	       STOP, SHOW };
	if ((rc = vmi_sym(v, "init_net", &init_net)))
		return rc;
	if ((rc = vmi_read_ptr(v, init_net + o[PROC_NET], &dir, false)) ||
	    (rc = vmi_read_ptr(v, dir + o[SUBDIR], &stack[0], true)))
		return vmi_context(v, rc, "reading init_net's /proc/net directory");
	sp = stack[0] ? 1 : 0;
	while (sp) {
		uint64_t node = stack[--sp], pde = node - o[NODE], left, right, str;
		uint8_t nlen;
		char got[256];
		if (++seen > PROC_TREE_BUDGET)
			return vmi_fail(v, VMI_ELIMIT, "/proc/net has more than %u entries (or its "
					"tree loops)", PROC_TREE_BUDGET);
		if (!vmi_is_kptr(v, node) || node < o[NODE])
			return vmi_fail(v, VMI_EBADPTR, "/proc/net: tree node 0x%llx is not a kernel "
					"address", (unsigned long long)node);
		if ((rc = vmi_read_virt(v, pde + o[NAMELEN], &nlen, 1)) ||
		    (rc = vmi_read_ptr(v, node + o[LEFT], &left, true)) ||
		    (rc = vmi_read_ptr(v, node + o[RIGHT], &right, true)))
			return vmi_context(v, rc, "reading the /proc/net entry at 0x%llx",
					   (unsigned long long)pde);
		if (nlen == len) {
			if ((rc = vmi_read_ptr(v, pde + o[NAME], &str, false)) ||
			    (rc = vmi_read_virt(v, str, got, len)))
				return vmi_context(v, rc, "reading the name of the /proc/net entry at "
						   "0x%llx", (unsigned long long)pde);
			if (!memcmp(got, name, len)) {
				e->pde = pde;
				break;
			}
		}
		if (sp + 2 > PROC_TREE_DEPTH)
			return vmi_fail(v, VMI_ECORRUPT, "/proc/net's tree is deeper than %u",
					PROC_TREE_DEPTH);
		if (right)
			stack[sp++] = right;
		if (left)
			stack[sp++] = left;
	}
	if (!e->pde)
		return vmi_fail(v, VMI_ECORRUPT, "/proc/net/%s is not in init_net's /proc/net", name);
	if ((rc = vmi_read_ptr(v, e->pde + o[PROC_OPS], &e->proc_ops, true)) ||
	    (rc = vmi_read_ptr(v, e->pde + o[SEQ_OPS], &e->seq_ops, true)))
		return vmi_context(v, rc, "reading /proc/net/%s's operations", name);
	if (e->seq_ops &&
	    ((rc = vmi_read_ptr(v, e->seq_ops + o[START], &e->start, true)) ||
	     (rc = vmi_read_ptr(v, e->seq_ops + o[NEXT], &e->next, true)) ||
	     (rc = vmi_read_ptr(v, e->seq_ops + o[STOP], &e->stop, true)) ||
	     (rc = vmi_read_ptr(v, e->seq_ops + o[SHOW], &e->show, true))))
		return vmi_context(v, rc, "reading /proc/net/%s's seq_operations at 0x%llx", name,
				   (unsigned long long)e->seq_ops);
	return VMI_OK;
}

/* -- addresses as netstat prints them ----------------------------------------- */

/* Appends to buf (always terminated); at counts what would have been written. */
static size_t put_num(char *buf, size_t size, size_t at, bool hex, bool sep, char c, unsigned x)
{
	if (at + 1 >= size)
		return at;
	int n = hex ? m_snprintf(buf + at, size - at, "%s%x", sep ? ":" : "", x)
		    : m_snprintf(buf + at, size - at, "%s%u", sep ? (c == '.' ? "." : ":") : "", x);
	return at + (size_t)n;
}

static size_t put_str(char *buf, size_t size, size_t at, const char *s)
{
	if (at + 1 >= size)
		return at;
	return at + (size_t)m_snprintf(buf + at, size - at, "%s", s);
}

size_t vmi_format_addr(uint16_t family, const uint8_t addr[16], char *buf, size_t size)
{
	size_t at = 0;

	if (!size)
		return 0;
	buf[0] = 0;
	if (family != VMI_AF_INET6) {
		for (int i = 0; i < 4; i++)
			at = put_num(buf, size, at, false, i > 0, '.', addr[i]);
		return MIN(at, size - 1);
	}
	uint16_t g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (uint16_t)(addr[2 * i] << 8 | addr[2 * i + 1]);
	/* ::ffff:a.b.c.d, an IPv4 address on an IPv6 socket. */
	if (!g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xffff) {
		at = put_str(buf, size, at, "::ffff:");
		for (int i = 12; i < 16; i++)
			at = put_num(buf, size, at, false, i > 12, '.', addr[i]);
		return MIN(at, size - 1);
	}
	/* RFC 5952: the longest run of two or more zero groups (the first of equal
	 * ones) becomes "::"; hex digits in lower case without leading zeros. */
	int best = -1, best_len = 1;
	for (int i = 0; i < 8; ) {
		int j = i;
		while (j < 8 && !g[j])
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			at = put_str(buf, size, at, "::");
			i += best_len - 1;
			continue;
		}
		bool after_gap = best >= 0 && i == best + best_len;
		at = put_num(buf, size, at, true, i > 0 && !after_gap, ':', g[i]);
	}
	return MIN(at, size - 1);
}
