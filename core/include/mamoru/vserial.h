/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vserial: hands the user's console to a guest's UART until the escape
 * sequence ESC x q, Xvisor-style.
 */
#ifndef MAMORU_VSERIAL_H
#define MAMORU_VSERIAL_H

#include <mamoru/guest.h>

void vserial_bind(struct guest *g);
struct guest *vserial_bound(void);
/* A byte typed while bound: forwarded, or part of the escape sequence. */
void vserial_input(uint8_t c);
/* True when the bound guest can take another byte now. */
bool vserial_ready(void);

#endif
