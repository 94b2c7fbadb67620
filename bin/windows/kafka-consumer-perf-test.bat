@echo off
rem kafka-consumer-perf-test.bat: measure consumer throughput.
"%~dp0samsa-run.bat" consumer-perf-test %*
