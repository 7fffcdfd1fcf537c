/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Iteration over a kernel list_head { next; prev; } ring, defended against
 * hostile memory: a hard limit on nodes, Brent's cycle detection on node
 * addresses (a ring that never returns to its head), pointer validation
 * (kernel VA, pointer-aligned, mapped) and optionally next->prev == node.
 * list_head's members are guest pointers: next at 0, prev one pointer on.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/vmi.h>

#define LIST_NEXT 0

void vmi_list_init(struct vmi_list_iter *it, struct vmi *v, uint64_t head, uint32_t limit,
		   uint32_t flags)
{
	memset(it, 0, sizeof(*it));
	it->v = v;
	it->head = head;
	it->cur = head;
	it->limit = limit;
	it->flags = flags;
	it->tortoise = head;
	it->power = 1;
}

static int bad(struct vmi_list_iter *it, int err)
{
	it->done = true;
	return err;
}

int vmi_list_next(struct vmi_list_iter *it, uint64_t *node)
{
	struct vmi *v = it->v;
	unsigned long long head = it->head, cur = it->cur;
	uint64_t next, prev;

	if (it->done)
		return 0;
	if (!vmi_is_kptr(v, it->head))
		return bad(it, vmi_fail(v, VMI_EBADPTR, "list head 0x%llx is not a kernel address",
					head));
	int rc = vmi_read_ulong(v, it->cur + LIST_NEXT, &next);
	if (rc)
		return bad(it, vmi_context(v, rc, "list at 0x%llx: reading next of node 0x%llx",
					   head, cur));
	if (next == it->head) {
		it->done = true;
		return 0;
	}
	if (it->count >= it->limit)
		return bad(it, vmi_fail(v, VMI_ELIMIT, "list at 0x%llx: more than %u entries",
					head, it->limit));
	if (!vmi_is_kptr(v, next))
		return bad(it, vmi_fail(v, VMI_EBADPTR,
					"list at 0x%llx: node 0x%llx (entry %u) has bad next 0x%llx",
					head, cur, it->count, (unsigned long long)next));
	if (it->flags & VMI_LIST_CHECK_PREV) {
		rc = vmi_read_ulong(v, next + v->ptr_size, &prev);
		if (rc)
			return bad(it, vmi_context(v, rc, "list at 0x%llx: reading node 0x%llx", head,
						   (unsigned long long)next));
		if (prev != it->cur)
			return bad(it, vmi_fail(v, VMI_ECORRUPT,
						"list at 0x%llx: node 0x%llx has prev 0x%llx, not 0x%llx",
						head, (unsigned long long)next,
						(unsigned long long)prev, cur));
	}
	/* Brent: the tortoise jumps to the hare at each power of two. */
	if (next == it->tortoise)
		return bad(it, vmi_fail(v, VMI_ELOOP,
					"list at 0x%llx: cycle through node 0x%llx that does not "
					"return to the head (after %u entries)",
					head, (unsigned long long)next, it->count));
	if (++it->lam == it->power) {
		it->tortoise = next;
		if (it->power < 0x80000000u)
			it->power *= 2;
		it->lam = 0;
	}
	it->cur = next;
	it->count++;
	*node = next;
	return 1;
}
