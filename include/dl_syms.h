/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Libraries opened at run time, for the one feature that needs them
 * (libcurl for -u, libfixbuf for --ipfix): mapped by every process they
 * would cost resident memory for nothing.
 */
#ifndef FLOWTOP_DL_SYMS_H
#define FLOWTOP_DL_SYMS_H

#include <stddef.h>

/* A function to look up, and where its address goes. */
struct dl_sym {
	const char *name;
	void **fn;
};

#define DL_SYM(api, name) { #name, (void **)&(api).name }

/*
 * dlopen()s soname (flags as for dlopen) and fills in every one of syms[n]
 * from it, or from also (another handle, may be NULL) where it has none.
 * Returns the handle; NULL with the reason in why (the loader's, or the
 * missing function's name), and nothing left open.
 */
void *dl_open_syms(const char *soname, int flags, void *also,
		   const struct dl_sym *syms, size_t n,
		   char *why, size_t whylen);

#endif
