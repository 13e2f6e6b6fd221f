#!/bin/sh
# 40-crash.sh on a volume kept full, with discards: kernel demotions and
# unmaps run at the cuts.
FULL=1 . ./40-crash.sh
