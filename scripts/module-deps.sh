#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Object-level dependencies between flowtop's src/ modules, from the
# symbols each object file defines and uses (nm). Prints one edge a line
# ("a.o -> b.o": a uses a symbol b defines), then the cycles, if any.
#
# usage: scripts/module-deps.sh [BUILD_DIR]   (default build)
#        --cycles: print only the cycles; exit 1 when there is one
#
# A cycle means two modules each need the other: neither can be read,
# tested or replaced alone. Data should flow one way (kernel -> collector
# -> flow table -> snapshot -> front ends), shared vocabulary at the bottom.
set -euo pipefail

only_cycles=0
if [ "${1:-}" = --cycles ]; then
	only_cycles=1
	shift
fi
build=${1:-build}
src_dir=$(cd "$(dirname "$0")/.." && pwd)/src

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

objs=()
for c in "$src_dir"/*.c; do
	o="$build/$(basename "${c%.c}").o"
	[ -f "$o" ] || { echo "module-deps: $o missing; run make first" >&2; exit 2; }
	objs+=("$o")
done

# "D obj sym" for every global symbol defined, "U obj sym" for every use
for o in "${objs[@]}"; do
	b=$(basename "$o")
	nm -g --defined-only "$o" | awk -v o="$b" 'NF >= 3 { print "D", o, $3 }'
	nm -u "$o" | awk -v o="$b" '{ print "U", o, $NF }'
done | awk '
	$1 == "D" { def[$3] = $2; next }
	{ use[NR] = $2 " " $3 }
	END {
		for (i in use) {
			split(use[i], f, " ")
			if ((f[2] in def) && def[f[2]] != f[1])
				print f[1], def[f[2]]
		}
	}' | sort -u > "$tmp"

if [ $only_cycles = 0 ]; then
	awk '{ print $1 " -> " $2 }' "$tmp"
fi

# strongly connected components of more than one module: the cycles
python3 - "$tmp" <<'PY'
import sys
from collections import defaultdict
g = defaultdict(set)
for line in open(sys.argv[1]):
    a, b = line.split()
    g[a].add(b)
    g.setdefault(b, set())
index, low, stack, on, out = {}, {}, [], set(), []
sys.setrecursionlimit(10000)
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v); on.add(v)
    for w in sorted(g[v]):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            out.append(sorted(comp))
for v in sorted(g):
    if v not in index:
        visit(v)
for comp in out:
    members = set(comp)
    edges = [f"{a} -> {b}" for a in comp for b in sorted(g[a]) if b in members]
    print("cycle: " + " ".join(comp))
    for e in edges:
        print("    " + e)
sys.exit(1 if out else 0)
PY
