// SPDX-License-Identifier: GPL-2.0
/* libfixbuf and its glib functions, looked up at run time (fixbuf_dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "dl_syms.h"
#include "fixbuf_dl.h"

/* Debian 12's libfixbuf9; the headers flowtop is built with are its. */
#define LIBFIXBUF_SONAME "libfixbuf.so.9"
#define LIBGLIB_SONAME "libglib-2.0.so.0"

struct fixbuf_api fbx;

static const struct dl_sym syms[] = {
	DL_SYM(fbx, fBufAllocForExport), DL_SYM(fbx, fBufAppend),
	DL_SYM(fbx, fBufEmit), DL_SYM(fbx, fBufFree),
	DL_SYM(fbx, fBufGetExporter), DL_SYM(fbx, fBufGetSession),
	DL_SYM(fbx, fBufSetAutomaticMode), DL_SYM(fbx, fBufSetExportTemplate),
	DL_SYM(fbx, fBufSetInternalTemplate), DL_SYM(fbx, fbExporterAllocFile),
	DL_SYM(fbx, fbExporterAllocNet), DL_SYM(fbx, fbExporterClose),
	DL_SYM(fbx, fbInfoModelAlloc), DL_SYM(fbx, fbInfoModelFree),
	DL_SYM(fbx, fbSessionAddTemplate), DL_SYM(fbx, fbSessionAlloc),
	DL_SYM(fbx, fbSessionExportTemplates), DL_SYM(fbx, fbSessionFree),
	DL_SYM(fbx, fbSessionSetDomain), DL_SYM(fbx, fbTemplateAlloc),
	DL_SYM(fbx, fbTemplateAppendSpecArray), DL_SYM(fbx, g_clear_error),
	DL_SYM(fbx, g_error_matches), DL_SYM(fbx, g_log_set_default_handler),
	DL_SYM(fbx, g_quark_from_string),
};

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static void *glib, *lib;

int fixbuf_load(char *err, size_t errlen)
{
	char why[256];
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
		glib = dl_open_syms(LIBGLIB_SONAME, RTLD_NOW | RTLD_GLOBAL,
				    NULL, NULL, 0, why, sizeof(why));
	if (!glib) {
		snprintf(err, errlen, "IPFIX export needs glib, which cannot "
			 "be loaded (%s); install libglib2.0-0", why);
		ret = -ENOENT;
		goto out;
	}
	lib = dl_open_syms(LIBFIXBUF_SONAME, RTLD_NOW | RTLD_LOCAL, glib, syms,
			   sizeof(syms) / sizeof(syms[0]), why, sizeof(why));
	if (!lib) {
		snprintf(err, errlen, "IPFIX export needs libfixbuf, which "
			 "cannot be loaded (%s); install libfixbuf9", why);
		ret = -ENOENT;
	}
out:
	pthread_mutex_unlock(&load_lock);
	return ret;
}
