// SPDX-License-Identifier: GPL-2.0
#include <sys/mman.h>

#include "hugemem.h"

void *huge_map(size_t bytes)
{
	void *p;

	if (!bytes)
		return NULL;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* only a hint: failing (no THP in this kernel) changes nothing */
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

void huge_unmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}
