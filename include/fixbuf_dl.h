/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libfixbuf, opened at run time. Only IPFIX export uses it, and mapping
 * it (with glib) costs every flowtop process some 1.3 MB of resident
 * memory, so it is not linked: fixbuf_load opens it on first use and fills
 * in fbx, whose members carry the names and types of the functions they
 * point to. The headers stay a build dependency.
 */
#ifndef FLOWTOP_FIXBUF_DL_H
#define FLOWTOP_FIXBUF_DL_H

#include <stddef.h>

#include <fixbuf/public.h>

#define FBX_FN(name) __typeof__(name) *name

struct fixbuf_api {
	FBX_FN(fBufAllocForExport);
	FBX_FN(fBufAppend);
	FBX_FN(fBufEmit);
	FBX_FN(fBufFree);
	FBX_FN(fBufGetExporter);
	FBX_FN(fBufGetSession);
	FBX_FN(fBufSetAutomaticMode);
	FBX_FN(fBufSetExportTemplate);
	FBX_FN(fBufSetInternalTemplate);
	FBX_FN(fbExporterAllocFile);
	FBX_FN(fbExporterAllocNet);
	FBX_FN(fbExporterClose);
	FBX_FN(fbInfoModelAlloc);
	FBX_FN(fbInfoModelFree);
	FBX_FN(fbSessionAddTemplate);
	FBX_FN(fbSessionAlloc);
	FBX_FN(fbSessionExportTemplates);
	FBX_FN(fbSessionFree);
	FBX_FN(fbSessionSetDomain);
	FBX_FN(fbTemplateAlloc);
	FBX_FN(fbTemplateAppendSpecArray);
	/* glib, which libfixbuf brings along */
	FBX_FN(g_clear_error);
	FBX_FN(g_error_matches);
	FBX_FN(g_log_set_default_handler);
	FBX_FN(g_quark_from_string);
};

#undef FBX_FN

extern struct fixbuf_api fbx;

/*
 * Opens libfixbuf once (it stays open) and fills in fbx. 0, or -ENOENT
 * with a one-line reason in err.
 */
int fixbuf_load(char *err, size_t errlen);

#endif
