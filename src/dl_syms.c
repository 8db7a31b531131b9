// SPDX-License-Identifier: GPL-2.0
/* dlopen plus a table of functions to look up (dl_syms.h). */
#include <dlfcn.h>
#include <stdio.h>

#include "dl_syms.h"

void *dl_open_syms(const char *soname, int flags, void *also,
		   const struct dl_sym *syms, size_t n,
		   char *why, size_t whylen)
{
	void *lib = dlopen(soname, flags);

	if (!lib) {
		snprintf(why, whylen, "%s", dlerror());
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(lib, syms[i].name);

		if (!p && also)
			p = dlsym(also, syms[i].name);
		if (!p) {
			snprintf(why, whylen, "%s has no %s", soname,
				 syms[i].name);
			dlclose(lib);
			return NULL;
		}
		*syms[i].fn = p;
	}
	return lib;
}
