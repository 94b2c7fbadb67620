@echo off
rem kafka-get-offsets.bat: print partition offsets (earliest, latest, by timestamp).
"%~dp0samsa-run.bat" get-offsets %*
