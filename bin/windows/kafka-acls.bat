@echo off
rem kafka-acls.bat: add, remove and list ACLs.
"%~dp0samsa-run.bat" acls %*
