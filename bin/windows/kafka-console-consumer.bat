@echo off
rem kafka-console-consumer.bat: print records of topics to standard output.
"%~dp0samsa-run.bat" console-consumer %*
