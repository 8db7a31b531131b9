/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector's silent flows (collector_silent.c): flows found by a dump
 * that no event will end. Called in the collector thread only.
 */
#ifndef FLOWTOP_COLLECTOR_SILENT_H
#define FLOWTOP_COLLECTOR_SILENT_H

#include <stdint.h>

#include "collector.h"
#include "ct.h"
#include "ct_parse.h"

/* After the first dump and read: when the fallback dump may first run. */
void silent_start(struct collector *c);

/* A silent flow's deadline: timeout_s (the dump's) from now, and a margin. */
void silent_deadline(struct collector *c, struct flow_rec *f,
		     uint32_t timeout_s);

/*
 * A packet of silent flow f was counted (a read reported it): its end may
 * have moved, later or, for a connection whose state sets it (TCP: a FIN
 * or RST), much earlier.
 */
void silent_moved(struct collector *c, struct flow_rec *f);

/*
 * Silent flow f listed as e (the conntrack backend's counter read, a
 * dump): its deadline comes no later than e's timeout, and its state is
 * e's.
 */
void silent_listed(struct collector *c, struct flow_rec *f,
		   const struct ct_entry *e);

/*
 * Once per interval: asks the kernel about the silent flows whose time is
 * up (ended ones go through hooks->destroyed), and dumps the table when
 * early drops made deadlines unreliable. 0 or a negative errno.
 */
int silent_look(struct collector *c, const struct ct_hooks *hooks);

#endif
