@echo off
rem Stops running Samsa brokers (the node processes running src\broker\main.ts).
wmic process where "commandline like '%%src\\broker\\main.ts%%' and not name='wmic.exe'" call terminate
