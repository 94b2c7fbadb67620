@echo off
rem kafka-share-groups.bat: list and describe share groups (KIP-932).
"%~dp0samsa-run.bat" share-groups %*
