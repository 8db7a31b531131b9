// SPDX-License-Identifier: GPL-2.0
/* libfixbuf and its glib functions, looked up at run time (fixbuf_dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "fixbuf_dl.h"

/* Debian 12's libfixbuf9; the headers flowtop is built with are its. */
#define LIBFIXBUF_SONAME "libfixbuf.so.9"
#define LIBGLIB_SONAME "libglib-2.0.so.0"

struct fixbuf_api fbx;

#define SYM(name) { #name, (void **)&fbx.name }

static const struct {
	const char *name;
	void **fn;
} syms[] = {
	SYM(fBufAllocForExport), SYM(fBufAppend), SYM(fBufEmit),
	SYM(fBufFree), SYM(fBufGetExporter), SYM(fBufGetSession),
	SYM(fBufSetAutomaticMode), SYM(fBufSetExportTemplate),
	SYM(fBufSetInternalTemplate), SYM(fbExporterAllocFile),
	SYM(fbExporterAllocNet), SYM(fbExporterClose), SYM(fbInfoModelAlloc),
	SYM(fbInfoModelFree), SYM(fbSessionAddTemplate), SYM(fbSessionAlloc),
	SYM(fbSessionExportTemplates), SYM(fbSessionFree),
	SYM(fbSessionSetDomain), SYM(fbTemplateAlloc),
	SYM(fbTemplateAppendSpecArray), SYM(g_clear_error),
	SYM(g_error_matches), SYM(g_log_set_default_handler),
	SYM(g_quark_from_string),
};

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static void *glib, *lib;

/* The symbol from libfixbuf, else from glib. */
static void *lookup(const char *name)
{
	void *p = dlsym(lib, name);

	return p ? p : dlsym(glib, name);
}

int fixbuf_load(char *err, size_t errlen)
{
	int ret = 0;

	pthread_mutex_lock(&load_lock);
	if (lib)
		goto out;
	/*
	 * libfixbuf.so.9 uses glib without naming it as a dependency (it
	 * counts on the program linking glib): glib goes first, and global,
	 * so that libfixbuf's references to it resolve.
	 */
	if (!glib)
		glib = dlopen(LIBGLIB_SONAME, RTLD_NOW | RTLD_GLOBAL);
	if (!glib) {
		snprintf(err, errlen, "IPFIX export needs glib, which cannot "
			 "be loaded (%s); install libglib2.0-0", dlerror());
		ret = -ENOENT;
		goto out;
	}
	lib = dlopen(LIBFIXBUF_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(err, errlen, "IPFIX export needs libfixbuf, which "
			 "cannot be loaded (%s); install libfixbuf9",
			 dlerror());
		ret = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].fn = lookup(syms[i].name);
		if (!*syms[i].fn) {
			snprintf(err, errlen, "%s has no %s: IPFIX export "
				 "cannot work", LIBFIXBUF_SONAME, syms[i].name);
			dlclose(lib);
			lib = NULL;
			ret = -ENOENT;
			goto out;
		}
	}
out:
	pthread_mutex_unlock(&load_lock);
	return ret;
}
