/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vserial: hands the user's console to a guest's console UART until the
 * escape sequence ESC x q, Xvisor-style. The escape sequence always works:
 * bytes the guest does not read are queued a little, then dropped.
 */
#ifndef MAMORU_VSERIAL_H
#define MAMORU_VSERIAL_H

#include <mamoru/guest.h>

void vserial_bind(struct guest *g);
struct guest *vserial_bound(void);
/* A byte typed while bound: queued for the guest, or part of the escape
 * sequence (which detaches). Never blocks. */
void vserial_input(uint8_t c);
/* Hands queued bytes to the bound guest's UART as far as it takes them;
 * true when it took any. */
bool vserial_pump(void);

#endif
