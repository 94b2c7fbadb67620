@echo off
rem zookeeper-server-stop.bat: stop the running Apache ZooKeeper server.
"%~dp0samsa-run.bat" zookeeper-server-stop %*
