#!/bin/bash
# The object-level dependencies between src/ modules form no cycle
# (scripts/module-deps.sh): data flows kernel -> collector -> flow table
# -> snapshot -> front ends, shared vocabulary at the bottom. Needs only a
# build, not root.
. "$(dirname "$0")/lib.sh"
require_flowtop
require_tool_cmd() { command -v "$1" >/dev/null || skip "needs $1"; }
require_tool_cmd nm
require_tool_cmd python3

rc=0
"$TOP/scripts/module-deps.sh" --cycles "$TOP/$BUILD" >"$TMPD/cycles" 2>&1 || rc=$?
case $rc in
0) pass ;;
1) fail "dependency cycles between modules:
$(cat "$TMPD/cycles")" ;;
*) fail "scripts/module-deps.sh failed (exit $rc): $(cat "$TMPD/cycles")" ;;
esac
