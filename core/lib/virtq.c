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

static bool is_io(uint32_t type)
{
	return type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT;
}

/* The data of an IN or OUT request: each middle descriptor a whole number of sectors in
 * the right direction, all of them within the backend; the status for it. */
static uint8_t io(const struct vq_seg *segs, unsigned n, const struct vblk_backend *b,
		  uint32_t type, uint64_t sector, uint32_t *written)
{
	bool in = type == VIRTIO_BLK_T_IN;
	uint64_t total = 0;
	for (unsigned i = 1; i + 1 < n; i++) {
		if (segs[i].write != in || segs[i].len % VIRTIO_BLK_SECTOR)
			return VIRTIO_BLK_S_IOERR;
		total += segs[i].len / VIRTIO_BLK_SECTOR;      /* < 2^32 * VIRTQ_MAX */
	}
	/* Larger than the device offers (size_max x seg_max): a guest's way to hold the
	 * hypervisor in one request for as long as it likes. */
	if (total > VIRTIO_BLK_REQ_MAX / VIRTIO_BLK_SECTOR)
		return VIRTIO_BLK_S_IOERR;
	if (sector > b->sectors || total > b->sectors - sector)
		return VIRTIO_BLK_S_IOERR;
	for (unsigned i = 1; i + 1 < n; i++) {
		uint32_t count = segs[i].len / VIRTIO_BLK_SECTOR;
		int err = in ? b->read(b->ctx, sector, count, segs[i].p) :
			       b->write(b->ctx, sector, count, segs[i].p);
		if (err)
			return VIRTIO_BLK_S_IOERR;
		if (in)
			*written += segs[i].len;
		sector += count;
	}
	return VIRTIO_BLK_S_OK;
}

int64_t vblk_request(const struct vq_seg *segs, unsigned n, const struct vblk_backend *b)
{
	if (n == 0 || !segs[n - 1].write || segs[n - 1].len == 0)
		return -1;
	uint8_t *status = segs[n - 1].p + segs[n - 1].len - 1;
	uint32_t written = 0;
	uint8_t st;
	if (n < 2 || segs[0].write || segs[0].len != 16 || segs[n - 1].len != 1) {
		st = VIRTIO_BLK_S_IOERR;         /* not the layout served (mamoru/virtq.h) */
	} else {
		uint32_t type = rd32(segs[0].p);
		uint64_t sector = rd64(segs[0].p + 8);
		if (is_io(type)) {
			st = io(segs, n, b, type, sector, &written);
		} else if (type == VIRTIO_BLK_T_FLUSH) {
			st = n == 2 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;   /* written through */
		} else if (type == VIRTIO_BLK_T_GET_ID) {
			if (n != 3 || !segs[1].write) {
				st = VIRTIO_BLK_S_IOERR;
			} else {
				uint32_t len = MIN(segs[1].len, VIRTIO_BLK_ID_BYTES);
				size_t idlen = b->id ? strnlen(b->id, VIRTIO_BLK_ID_BYTES) : 0;
				memset(segs[1].p, 0, len);
				if (idlen)
					memcpy(segs[1].p, b->id, MIN(idlen, (size_t)len));
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
