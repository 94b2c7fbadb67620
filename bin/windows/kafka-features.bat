@echo off
rem kafka-features.bat: describe the cluster's supported and finalized features.
"%~dp0samsa-run.bat" features %*
