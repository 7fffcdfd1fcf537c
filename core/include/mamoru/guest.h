/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guests: each is one Linux (or other) kernel with its RAM, vCPU, emulated
 * devices and console, loaded from the guest bundle.
 */
#ifndef MAMORU_GUEST_H
#define MAMORU_GUEST_H

#include <arch/stage2.h>
#include <arch/vcpu.h>
#include <arch/vgic.h>
#include <mamoru/console.h>
#include <mamoru/guest_wp.h>
#include <mamoru/vdev.h>

#define GUEST_MAX 2
#define GUEST_MAX_VDEVS 4
#define GUEST_NAME_MAX 16
#define GUEST_CONSOLE_RING 16384   /* output kept while nobody watches */

enum guest_state {
	GUEST_EMPTY = 0,     /* slot unused */
	GUEST_LOADED,        /* image in memory, never started */
	GUEST_RUNNING,
	GUEST_PAUSED,
	GUEST_HALTED,        /* powered off, halted by the user, or crashed */
	GUEST_FAILED,        /* its images could not be loaded (see reason) */
};

struct guest_image {
	const uint8_t *kernel, *initrd, *dtb;
	size_t kernel_size, initrd_size, dtb_size;
	const uint8_t *profile;      /* IDS kernel profile, may be NULL */
	size_t profile_size;
	const uint8_t *integrity;    /* kernel integrity manifest, may be NULL */
	size_t integrity_size;
};

struct guest {
	char name[GUEST_NAME_MAX];
	int id;
	enum guest_state state;
	char reason[96];             /* why it stopped, for `guest list` */
	unsigned resets;
	uint64_t exits_seen, bad_accesses;

	/* Guest RAM: one contiguous block of host memory. */
	uint64_t ram_ipa, ram_size;
	uintptr_t ram_host;
	uint64_t kernel_ipa, initrd_ipa, dtb_ipa;

	struct guest_image image;
	struct vcpu vcpu;
	struct stage2 s2_tables;
	struct stage2 *s2;
	struct vgic vgic;
	struct guest_wp wp;          /* stage-2 write protection (the IDS arms it) */

	struct vdev vdevs[GUEST_MAX_VDEVS];
	unsigned nvdevs;
	struct vdev *uart;           /* the guest's console UART */

	/* Console output ring (bytes the guest wrote to its UART). */
	uint8_t out_ring[GUEST_CONSOLE_RING];
	uint64_t out_head;           /* total bytes ever written */
	bool bound;                  /* output also goes to the user's console */
};

extern struct guest guests[GUEST_MAX];

struct guest *guest_by_name(const char *name);
/* The guest named by argv (or guest0 when name is NULL); prints an error
 * on con when there is none. */
struct guest *guest_lookup(struct console *con, const char *name);
const char *guest_state_name(enum guest_state s);

/* Sets up a guest from a bundle entry: validates the images, allocates
 * RAM, builds stage 2 and devices, loads the images. Prints why on error. */
int guest_create(struct guest *g, const char *name, const struct guest_image *img);
/* Reloads the images and puts the vCPU at the kernel entry. */
int guest_reset(struct guest *g);
void guest_start(struct guest *g);       /* LOADED/PAUSED/HALTED -> RUNNING */
void guest_pause(struct guest *g);
void guest_resume(struct guest *g);
void guest_halt(struct guest *g, const char *reason);

/* Adds an emulated device at [base, base+size) of g's guest-physical space;
 * NULL when g already has GUEST_MAX_VDEVS devices. */
struct vdev *guest_add_vdev(struct guest *g, const char *name, uint64_t base, uint64_t size,
			    const struct vdev_ops *ops, void *priv);

/* An access by the guest to guest-physical ipa that stage 2 does not map
 * (the arch code decoded it; size is 1, 2, 4 or 8): the emulated device
 * there handles it. A read leaves the value in *val, a write takes it from
 * *val. GUEST_MMIO_NODEV when no device is there, GUEST_MMIO_REJECTED when
 * the device refuses the access: the arch code then injects an abort. */
#define GUEST_MMIO_OK 0
#define GUEST_MMIO_NODEV (-1)
#define GUEST_MMIO_REJECTED (-2)
int guest_mmio(struct guest *g, uint64_t ipa, bool write, unsigned size, uint64_t *val);
/* Reports (rate-limited) and counts a guest access that gets an abort. */
void guest_bad_access(struct guest *g, const char *what, uint64_t ipa, uint64_t pc);

/* Copies the vCPU's live EL1 state into g->vcpu for inspection. */
void guest_snapshot(struct guest *g);

/* Guest-physical access, bounded to guest RAM; -1 outside it. */
int guest_read_phys(struct guest *g, uint64_t ipa, void *buf, size_t len);
int guest_write_phys(struct guest *g, uint64_t ipa, const void *buf, size_t len);

/* Console output of the guest (from its emulated UART). */
void guest_console_put(struct guest *g, uint8_t c);
/* Bytes typed by the user for the guest (vserial bind). */
void guest_console_input(struct guest *g, uint8_t c);

/* Runs the scheduler's share for guests: enters a runnable guest until
 * something needs the hypervisor (an interrupt, idle, a stop). Returns
 * false when no guest is runnable (the caller may sleep). */
bool guests_run(void);

/* Loads every guest in the bundle found through /chosen initrd. */
int guests_init(const void *bundle, size_t size, bool autostart);

#endif
