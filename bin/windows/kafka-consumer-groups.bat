@echo off
rem kafka-consumer-groups.bat: list, describe and delete consumer groups; reset and delete their offsets.
"%~dp0samsa-run.bat" consumer-groups %*
