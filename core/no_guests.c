/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the main loop asks of guest support, in a build without it (Kconfig
 * GUESTS off: a CPU that cannot run guests yet). There is never a guest to run
 * or a guest console to pass input to.
 */
#include <arch/cpu.h>
#include <arch/vcpu_run.h>
#include <mamoru/bundle.h>
#include <mamoru/console.h>
#include <mamoru/guest.h>
#include <mamoru/passthrough.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>
#include <mamoru/vserial.h>

bool guests_run(void) { return false; }
void guests_act_on_posted(void) {}
uint32_t vcpus_stop_others(void) { return 0; }
void vcpus_resume_others(void) {}
bool vcpus_wake_pending(void) { return false; }
void vcpu_kick_waiting(void) {}
uint64_t vcpu_turns_ended(unsigned core) { (void)core; return 0; }

__noreturn void vcpus_secondary_loop(void)
{
	smp_idle();
}
void vcpu_before_idle(void) {}
struct guest *vserial_bound(void) { return NULL; }
void vserial_input(uint8_t c) { (void)c; }
bool vserial_pump(void) { return false; }
void passthrough_host_init(const struct fdt *host) { (void)host; }

int bundle_load_guests(const void *bundle, size_t size, bool autostart)
{
	(void)bundle;
	(void)size;
	(void)autostart;
	printk("guests: this build has no guest support\n");
	return -1;
}
