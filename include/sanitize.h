/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Making outside strings (DNS names, GeoIP fields, process names, user
 * names) safe to show: they come from remote servers and other users'
 * processes, so they may carry terminal escape sequences or broken UTF-8.
 */
#ifndef FLOWTOP_SANITIZE_H
#define FLOWTOP_SANITIZE_H

#include <stddef.h>

/*
 * Copies len bytes of src into dst (size bytes, always NUL-terminated when
 * size > 0) as printable UTF-8: every C0/C1 control character, DEL, escape
 * sequence (ESC with its CSI/OSC/DCS body), bidirectional override and
 * invalid UTF-8 byte becomes one '?'. Output that would not fit is cut at a
 * character boundary and ends in "..." so a cut is visible. NUL in src ends
 * the copy. Returns strlen(dst).
 */
size_t sanitize_text(char *dst, size_t size, const char *src, size_t len);

/* sanitize_text of a NUL-terminated string. */
size_t sanitize_str(char *dst, size_t size, const char *src);

#endif
