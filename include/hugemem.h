/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FLOWTOP_HUGEMEM_H
#define FLOWTOP_HUGEMEM_H

#include <stddef.h>

/*
 * Large tables that are read at random places (the flow array, its hash
 * buckets, the counter slot index): with 4 KiB pages nearly every lookup
 * also misses the TLB, which in a virtual machine costs a two-level page
 * walk. These are mapped on their own and asked for as transparent huge
 * pages (a hint: with THP off, or "never", they are ordinary pages).
 *
 * huge_map returns zero-filled memory of at least bytes, backed only as it
 * is touched (address space is all it takes until then), or NULL.
 */
void *huge_map(size_t bytes);
void huge_unmap(void *p, size_t bytes);

#endif
