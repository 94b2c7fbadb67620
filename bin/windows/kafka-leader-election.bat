@echo off
rem kafka-leader-election.bat: elect the preferred (or, unclean, any live) replica as partition leader.
"%~dp0samsa-run.bat" leader-election %*
