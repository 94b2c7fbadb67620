@echo off
rem zookeeper-server-start.bat: run Apache ZooKeeper with a zookeeper.properties file (not needed for one broker).
"%~dp0samsa-run.bat" zookeeper-server-start %*
