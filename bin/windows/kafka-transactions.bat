@echo off
rem kafka-transactions.bat: list and describe transactions.
"%~dp0samsa-run.bat" transactions %*
