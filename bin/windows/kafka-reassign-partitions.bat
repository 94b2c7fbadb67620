@echo off
rem kafka-reassign-partitions.bat: generate, execute, verify, cancel and list partition reassignments.
"%~dp0samsa-run.bat" reassign-partitions %*
