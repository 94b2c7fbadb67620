@echo off
rem kafka-dump-log.bat: print log segment and index files (offline).
"%~dp0samsa-run.bat" dump-log %*
