@echo off
rem kafka-delete-records.bat: delete records of partitions up to given offsets.
"%~dp0samsa-run.bat" delete-records %*
