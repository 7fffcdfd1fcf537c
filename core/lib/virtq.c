/* SPDX-License-Identifier: GPL-2.0-only */
/* A virtio split virtqueue, the device side, and virtio-blk requests (mamoru/virtq.h). */
#include <mamoru/libc.h>
#include <mamoru/virtq.h>

#define DESC_SIZE 16u
#define DESC_F_NEXT 1u
#define DESC_F_WRITE 2u
#define DESC_F_INDIRECT 4u
#define AVAIL_F_NO_INTERRUPT 1u

/* Guest memory is little-endian, as is every CPU Mamoru runs on; read byte by byte
 * anyway: no alignment or endianness assumption. */
static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)v);
	wr16(p + 2, (uint16_t)(v >> 16));
}

uint8_t *vq_at(const struct vq_mem *m, uint64_t ipa, uint64_t len)
{
	if (!m->host || ipa < m->base || len > m->size || ipa - m->base > m->size - len)
		return NULL;
	return m->host + (uintptr_t)(ipa - m->base);
}

const char *virtq_check(const struct virtq *q, const struct vq_mem *m)
{
	if (q->num == 0 || q->num > VIRTQ_MAX || (q->num & (q->num - 1)))
		return "the queue size is not a power of 2 up to the maximum";
	if (q->desc % 16 || q->avail % 2 || q->used % 4)
		return "a ring is misaligned";
	if (!vq_at(m, q->desc, (uint64_t)DESC_SIZE * q->num) ||
	    !vq_at(m, q->avail, 6 + 2 * (uint64_t)q->num) ||
	    !vq_at(m, q->used, 6 + 8 * (uint64_t)q->num))
		return "a ring is outside the guest's RAM";
	return NULL;
}

int virtq_next(struct virtq *q, const struct vq_mem *m, uint16_t *head)
{
	const uint8_t *avail = vq_at(m, q->avail, 6 + 2 * (uint64_t)q->num);
	if (!avail)
		return -1;
	uint16_t idx = rd16(avail + 2);
	uint16_t pending = (uint16_t)(idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->num)
		return -1;
	*head = rd16(avail + 4 + 2 * (q->last_avail % q->num));
	q->last_avail++;
	return *head < q->num ? 1 : -1;
}

int virtq_chain(const struct virtq *q, const struct vq_mem *m, uint16_t head,
		struct vq_seg *segs, unsigned max, unsigned *n)
{
	const uint8_t *table = vq_at(m, q->desc, (uint64_t)DESC_SIZE * q->num);
	uint32_t i = head;
	bool writing = false;
	*n = 0;
	if (!table)
		return -1;
	for (;;) {
		if (i >= q->num || *n >= q->num || *n >= max)
			return -1;            /* out of range, a loop, or too long */
		uint8_t d[DESC_SIZE];
		memcpy(d, table + i * DESC_SIZE, DESC_SIZE);   /* read once */
		uint64_t addr = rd64(d);
		uint32_t len = rd32(d + 8);
		uint16_t flags = rd16(d + 12), next = rd16(d + 14);
		if (flags & DESC_F_INDIRECT)
			return -1;
		bool w = flags & DESC_F_WRITE;
		if (writing && !w)
			return -1;            /* readable after writable (2.7.4.2) */
		writing = w;
		uint8_t *p = vq_at(m, addr, len);
		if (!p)
			return -1;
		segs[(*n)++] = (struct vq_seg){p, len, w};
		if (!(flags & DESC_F_NEXT))
			return 0;
		i = next;
	}
}

bool virtq_push(struct virtq *q, const struct vq_mem *m, uint16_t head, uint32_t len)
{
	uint8_t *used = vq_at(m, q->used, 6 + 8 * (uint64_t)q->num);
	const uint8_t *avail = vq_at(m, q->avail, 6 + 2 * (uint64_t)q->num);
	if (!used || !avail)
		return false;
	uint8_t *e = used + 4 + 8 * (q->used_idx % q->num);
	wr32(e, head);
	wr32(e + 4, len);
	q->used_idx++;
	/* The entry before the index that publishes it (the vCPU is stopped meanwhile:
	 * program order on this CPU is all the guest can observe afterwards). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	wr16(used + 2, q->used_idx);
	return !(rd16(avail) & AVAIL_F_NO_INTERRUPT);
}

bool vq_overlaps(uint64_t ipa, uint64_t len, const struct vq_range *r, unsigned nr)
{
	for (unsigned i = 0; len && i < nr; i++)
		if (r[i].size && ipa <= r[i].ipa + (r[i].size - 1) && r[i].ipa <= ipa + (len - 1))
			return true;
	return false;
}

bool vq_writes_into(const struct vq_mem *m, const struct vq_seg *segs, unsigned n,
		    const struct vq_range *r, unsigned nr)
{
	for (unsigned i = 0; i < n; i++)
		if (segs[i].write &&
		    vq_overlaps(m->base + (uint64_t)(segs[i].p - m->host), segs[i].len, r, nr))
			return true;
	return false;
}

/*
 * A request is bytes, not descriptors (VIRTIO 1.x, "Message Framing": the device makes
 * no assumption about how the driver splits them): the device-readable part (the
 * chain's first descriptors; virtq_chain refuses a readable one after a writable one)
 * holds the 16-byte header, then an OUT request's data; the device-writable part an IN
 * request's data, then the status byte, its last byte. A cursor walks one part.
 */
struct cursor {
	const struct vq_seg *seg, *end;
	uint32_t off;                   /* into *seg */
};

/* Past empty descriptors and the end of the current one. */
static void settle(struct cursor *c)
{
	while (c->seg < c->end && c->off == c->seg->len) {
		c->seg++;
		c->off = 0;
	}
}

/* Copies len bytes at the cursor to (to_chain false) or from (true) buf; the caller
 * knows the part holds them. */
static void copy_at(struct cursor *c, uint8_t *buf, uint32_t len, bool to_chain)
{
	while (len) {
		settle(c);
		uint32_t k = MIN(len, c->seg->len - c->off);
		if (to_chain)
			memcpy(c->seg->p + c->off, buf, k);
		else
			memcpy(buf, c->seg->p + c->off, k);
		c->off += k;
		buf += k;
		len -= k;
	}
}

static uint64_t part_bytes(const struct vq_seg *s, const struct vq_seg *end)
{
	uint64_t n = 0;
	for (; s < end; s++)
		n += s->len;
	return n;
}

/* Moves count sectors from sector on between the part at c and the backend: whole
 * sectors straight from or into a descriptor, a sector split across descriptors through
 * a bounce buffer. The status for it; *done the bytes moved. */
static uint8_t transfer(struct cursor *c, const struct vblk_backend *b, bool in,
			uint64_t sector, uint64_t count, uint32_t *done)
{
	static uint8_t bounce[VIRTIO_BLK_SECTOR];      /* one CPU, no nesting */
	while (count) {
		settle(c);
		uint32_t whole = (c->seg->len - c->off) / VIRTIO_BLK_SECTOR;
		uint32_t k = (uint32_t)MIN((uint64_t)whole, count);
		int err;
		if (k) {
			uint8_t *p = c->seg->p + c->off;
			err = in ? b->read(b->ctx, sector, k, p) : b->write(b->ctx, sector, k, p);
			c->off += k * VIRTIO_BLK_SECTOR;
		} else {
			k = 1;
			if (in) {
				err = b->read(b->ctx, sector, 1, bounce);
				if (!err)
					copy_at(c, bounce, VIRTIO_BLK_SECTOR, true);
			} else {
				copy_at(c, bounce, VIRTIO_BLK_SECTOR, false);
				err = b->write(b->ctx, sector, 1, bounce);
			}
		}
		if (err)
			return VIRTIO_BLK_S_IOERR;
		*done += k * VIRTIO_BLK_SECTOR;
		sector += k;
		count -= k;
	}
	return VIRTIO_BLK_S_OK;
}

/* An IN or OUT request of data bytes at c: a whole number of sectors, at most
 * VIRTIO_BLK_REQ_MAX (the device offers size_max x seg_max: more is a guest's way to
 * hold the hypervisor in one request as long as it likes), within the backend. */
static uint8_t io(struct cursor *c, const struct vblk_backend *b, bool in, uint64_t sector,
		  uint64_t data, uint32_t *written)
{
	uint32_t done = 0;
	if (data % VIRTIO_BLK_SECTOR || data > VIRTIO_BLK_REQ_MAX)
		return VIRTIO_BLK_S_IOERR;
	uint64_t count = data / VIRTIO_BLK_SECTOR;
	if (sector > b->sectors || count > b->sectors - sector)
		return VIRTIO_BLK_S_IOERR;
	uint8_t st = transfer(c, b, in, sector, count, &done);
	if (in)
		*written += done;
	return st;
}

/* The readable part's length in descriptors; -1 when a readable one follows a
 * writable one (virtq_chain refuses such chains). */
static int readable_part(const struct vq_seg *segs, unsigned n)
{
	unsigned r = 0;
	while (r < n && !segs[r].write)
		r++;
	for (unsigned i = r; i < n; i++)
		if (!segs[i].write)
			return -1;
	return (int)r;
}

uint8_t *vblk_status_place(const struct vq_seg *segs, unsigned n)
{
	if (readable_part(segs, n) < 0)
		return NULL;
	for (unsigned i = n; i-- > 0 && segs[i].write; )
		if (segs[i].len)
			return segs[i].p + segs[i].len - 1;
	return NULL;
}

int64_t vblk_request(const struct vq_seg *segs, unsigned n, const struct vblk_backend *b)
{
	uint8_t *status = vblk_status_place(segs, n);
	if (!status)
		return -1;
	unsigned r = (unsigned)readable_part(segs, n);
	const struct vq_seg *end = segs + n;
	uint64_t rd = part_bytes(segs, segs + r), wr = part_bytes(segs + r, end);
	uint32_t written = 0;
	uint8_t st;
	if (rd < 16) {
		st = VIRTIO_BLK_S_IOERR;         /* no header */
	} else {
		uint8_t hdr[16];
		struct cursor rc = {segs, segs + r, 0}, wc = {segs + r, end, 0};
		copy_at(&rc, hdr, sizeof(hdr), false);
		uint32_t type = rd32(hdr);
		uint64_t sector = rd64(hdr + 8);
		uint64_t rdata = rd - 16, wdata = wr - 1;
		if (type == VIRTIO_BLK_T_IN) {
			st = rdata ? VIRTIO_BLK_S_IOERR : io(&wc, b, true, sector, wdata, &written);
		} else if (type == VIRTIO_BLK_T_OUT) {
			st = wdata ? VIRTIO_BLK_S_IOERR : io(&rc, b, false, sector, rdata, &written);
		} else if (type == VIRTIO_BLK_T_FLUSH) {
			/* Written through: nothing to do. */
			st = rdata || wdata ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		} else if (type == VIRTIO_BLK_T_GET_ID) {
			if (rdata || wdata == 0) {
				st = VIRTIO_BLK_S_IOERR;
			} else {
				uint8_t id[VIRTIO_BLK_ID_BYTES] = {0};
				uint32_t len = (uint32_t)MIN(wdata, (uint64_t)VIRTIO_BLK_ID_BYTES);
				size_t idlen = b->id ? strnlen(b->id, VIRTIO_BLK_ID_BYTES) : 0;
				memcpy(id, b->id ? b->id : "", idlen);
				copy_at(&wc, id, len, true);
				written = len;
				st = VIRTIO_BLK_S_OK;
			}
		} else {
			st = VIRTIO_BLK_S_UNSUPP;
		}
	}
	*status = st;
	return (int64_t)written + 1;
}
