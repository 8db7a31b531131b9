/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's per-CPU conntrack statistics of this network namespace
 * (/proc/net/stat/nf_conntrack): a header line of column names, then one
 * line of hexadecimal numbers per CPU.
 */
#ifndef FLOWTOP_CT_STAT_H
#define FLOWTOP_CT_STAT_H

#include <stdint.h>

#define CT_STAT_PATH "/proc/net/stat/nf_conntrack"

/*
 * Sums the column named col over every CPU line of text (the file's
 * contents, NUL-terminated) into *sum. 0, -ENOENT when there is no such
 * column, -EINVAL when a CPU line is malformed.
 */
int ct_stat_sum(const char *text, const char *col, uint64_t *sum);

/*
 * Connections dropped early to make room in a full table (early_drop),
 * since the namespace began, from path (CT_STAT_PATH). 0 or a negative
 * errno.
 */
int ct_stat_early_drops(const char *path, uint64_t *sum);

#endif
