@echo off
rem kafka-console-producer.bat: publish lines of standard input to a topic.
"%~dp0samsa-run.bat" console-producer %*
