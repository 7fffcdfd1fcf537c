/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guests: each is one Linux (or other) kernel with its RAM, vCPU, emulated
 * devices and console, loaded from the guest bundle.
 */
#ifndef MAMORU_GUEST_H
#define MAMORU_GUEST_H

#include <arch/guest_arch.h>
#include <mamoru/console.h>
#include <mamoru/guest_console.h>
#include <mamoru/guest_stats.h>
#include <mamoru/guest_wp.h>
#include <mamoru/vdev.h>

#define GUEST_MAX 2
#define GUEST_MAX_VDEVS 8
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
	uint64_t exits_seen, bad_accesses;
	unsigned bad_reported;       /* bad accesses reported this boot (core/vdev.c) */
	uint64_t boots;              /* resets so far: the IDS keeps state per boot */
	/* A stop (enum vcpu_stop + 1) a vCPU asked for, for the boot CPU to act on
	 * (mamoru/vcpu_pin.h); 0: none. Set under vcpu_lock. */
	uint32_t posted;
	char posted_why[96];

	/* Guest RAM: one contiguous block of host memory. */
	uint64_t ram_ipa, ram_size;
	uintptr_t ram_host;
	uint64_t kernel_ipa, initrd_ipa, dtb_ipa;

	unsigned nr_vcpus;           /* its device tree's cpu nodes (1..ARCH_GUEST_VCPUS) */

	struct guest_image image;
	struct arch_guest arch;      /* the CPU side's state (arch/guest_arch.h) */
	struct guest_wp wp;          /* stage-2 write protection (the IDS arms it) */

	struct vdev vdevs[GUEST_MAX_VDEVS];
	unsigned nvdevs;
	const char *irqchip;         /* the emulator of its interrupt controller */
	bool dt_rewrite;             /* an emulator changes its tree (emulators_rewrite_dt) */
	bool dtb_on_heap;            /* image.dtb is a kmalloc'd tree (passthrough's, the rewrite's) */
	struct guest_console console;   /* the UART the guest's console is on */

	/* The counters as they were at the last guest_stats_mark() (guest_stats.h). */
	struct {
		uint64_t at_ns, run_ns, exits, bad_accesses;
		uint64_t arch[GUEST_STATS_MAX];
		uint64_t reads[GUEST_MAX_VDEVS], writes[GUEST_MAX_VDEVS];
	} stats_base;

	/* Console output ring (bytes the guest wrote to its UART): its vCPUs add to it while
	 * handling an exit, and what goes to the user's console is written from it under the
	 * port's lock, by a core other than the boot CPU only once it has let vcpu_lock go
	 * (guest_console.c). */
	uint8_t out_ring[GUEST_CONSOLE_RING];
	uint64_t out_head;           /* total bytes ever written */
	uint64_t out_sent;           /* of those, written to the user's console or passed over */
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
/* Reloads the images into otherwise zeroed RAM, resets the devices and puts
 * the vCPU at the kernel entry. */
int guest_reset(struct guest *g);
void guest_start(struct guest *g);       /* LOADED/PAUSED/HALTED -> RUNNING */
void guest_pause(struct guest *g);
void guest_resume(struct guest *g);
void guest_halt(struct guest *g, const char *reason);

/* Copies the vCPU's live EL1 state into g->arch.vcpu for inspection. */
void guest_snapshot(struct guest *g);

/* Guest-physical read, bounded to guest RAM; -1 outside it. */
int guest_read_phys(struct guest *g, uint64_t ipa, void *buf, size_t len);

/* How a vCPU's slice ended, for the scheduler: 0 (false) when it idles. */
enum guest_slice {
	GUEST_SLICE_IDLE,       /* it went idle (WFI, nothing pending) or is off */
	GUEST_SLICE_PREEMPTED,  /* a host interrupt, a burst of traps used up: its turn
				 * goes on if time is left */
	GUEST_SLICE_TURN_OVER,  /* it gave up its turn (WFE, a report), or it stopped */
};
/* Runs vCPU cpu of g until the hypervisor is needed and acts on why it stopped
 * (power off, reset, crash). */
enum guest_slice guest_run_slice(struct guest *g, unsigned cpu);
/* Gives the CPU to the vCPUs of the running guests in turn (core/guest_sched.c)
 * until one does not idle. False when none is running or all of them idle (the
 * caller may sleep until an interrupt). */
bool guests_run(void);
/* Lets g's vCPUs run for about ns, or until all of them idle when they all take turns
 * on the boot CPU (with pinned vCPUs the other cores run theirs, of every guest, for
 * ns): the IDS waits so for a guest that it stopped inside a critical section. False
 * when g is no longer running afterwards (it powered off, crashed or was reset). */
bool guest_run_for(struct guest *g, uint64_t ns);
/* What a vCPU's stop (enum vcpu_stop, arch/vcpu_run.h) means for its guest: reboot,
 * halt with why. Acts at once on the boot CPU alone; with pinned vCPUs it is posted
 * for the boot CPU (guests_act_on_posted), which acts with the other cores stopped. */
void guest_act_on_stop(struct guest *g, int stop, const char *why);

#endif
