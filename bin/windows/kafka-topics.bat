@echo off
rem kafka-topics.bat: create, list, describe, alter and delete topics.
"%~dp0samsa-run.bat" topics %*
