@echo off
rem kafka-configs.bat: describe and alter topic, broker and group configs.
"%~dp0samsa-run.bat" configs %*
