@echo off
rem kafka-producer-perf-test.bat: measure producer throughput and latency.
"%~dp0samsa-run.bat" producer-perf-test %*
